//! What goes over the wire: URL encoding, headers, which statuses are retried,
//! and failures that mock-api cannot produce (raw TCP servers).

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions

mod common;

use std::time::{Duration, Instant};

use common::{RawServer, Reply, Server, cmd, json_lines};
use mock_api::{Product, Settings};

fn ok_body(id: &str) -> String {
    serde_json::json!({"product_id": id, "quantity": "5"}).to_string()
}

/// Answers every request with a valid body for the ID in its path.
fn echo_server() -> RawServer {
    RawServer::start(|_, head| {
        let path = head.split(' ').nth(1).unwrap_or_default();
        let segment = path.rsplit('/').next().unwrap_or_default();
        let id = percent_decode(segment);
        Reply::status(
            "200 OK",
            &[("Content-Type", "application/json")],
            &ok_body(&id),
        )
    })
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .unwrap()
        .into_owned()
}

const WEIRD_IDS: [(&str, &str); 10] = [
    ("a/b", "/api/stock/a%2Fb"),
    ("?x", "/api/stock/%3Fx"),
    ("#", "/api/stock/%23"),
    ("%", "/api/stock/%25"),
    ("%41", "/api/stock/%2541"),
    ("a b", "/api/stock/a%20b"),
    ("é", "/api/stock/%C3%A9"),
    ("../../admin", "/api/stock/..%2F..%2Fadmin"),
    ("x&y=1", "/api/stock/x%26y%3D1"),
    ("GS-1001", "/api/stock/GS-1001"),
];

#[test]
fn weird_ids_are_sent_as_one_encoded_path_segment() {
    let server = echo_server();
    let ids: Vec<&str> = WEIRD_IDS.iter().map(|(id, _)| *id).collect();
    let output = cmd()
        .args(["fetch", "--base-url", &server.url, "--concurrency", "1"])
        .args(&ids)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut lines = server.request_lines();
    lines.sort();
    let mut expected: Vec<String> = WEIRD_IDS
        .iter()
        .map(|(_, path)| format!("GET {path} HTTP/1.1"))
        .collect();
    expected.sort();
    assert_eq!(lines, expected);
}

#[test]
fn weird_ids_round_trip_through_mock_api() {
    let products = WEIRD_IDS
        .iter()
        .map(|(id, _)| Product::new(*id, "3"))
        .collect();
    let server = Server::with(products, Settings::default());
    let input = WEIRD_IDS.map(|(id, _)| id).join("\n");
    let output = server.fetch().write_stdin(input).output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let lines = json_lines(&output.stdout);
    for (line, (id, _)) in lines.iter().zip(WEIRD_IDS) {
        assert_eq!(line["external_id"], id);
        assert_eq!(line["status"], "ok", "{line}");
        assert_eq!(server.hits(id), 1, "{id}");
    }
}

#[test]
fn dot_segments_are_refused_without_a_request() {
    let server = echo_server();
    let output = cmd()
        .args(["fetch", "--base-url", &server.url, ".", "..", "ok"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let lines = json_lines(&output.stdout);
    for line in &lines[..2] {
        assert_eq!(line["status"], "http_error");
        assert_eq!(line["attempts"], 0);
        assert!(
            line["error"]
                .as_str()
                .unwrap()
                .contains("no request was sent")
        );
    }
    assert_eq!(lines[2]["status"], "ok");
    assert_eq!(server.request_lines(), ["GET /api/stock/ok HTTP/1.1"]);
}

#[test]
fn endpoint_template_and_env_variables() {
    let server = RawServer::start(|_, _| Reply::status("200 OK", &[], &ok_body("a/b?c")));
    let output = cmd()
        .env("STOCK_API_URL", format!("{}/base/", server.url))
        .env("STOCK_API_ENDPOINT", "v2/items/{id}/stock?fields=qty")
        .args(["fetch", "a/b?c"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        server.request_lines(),
        ["GET /base/v2/items/a%2Fb%3Fc/stock?fields=qty HTTP/1.1"]
    );
}

#[test]
fn options_override_env_variables() {
    let server = echo_server();
    let output = cmd()
        .env("STOCK_API_URL", common::closed_port_url())
        .env("STOCK_API_ENDPOINT", "/wrong/{id}")
        .args([
            "fetch",
            "--base-url",
            &server.url,
            "--endpoint",
            "/right/{id}",
            "x",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(server.request_lines(), ["GET /right/x HTTP/1.1"]);
}

#[test]
fn token_is_sent_as_a_bearer_header() {
    let server = echo_server();
    let output = cmd()
        .env("STOCK_API_TOKEN", "tok-123")
        .args(["fetch", "--base-url", &server.url, "x"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let head = server.requests()[0].to_lowercase();
    assert!(
        head.contains("\r\nauthorization: bearer tok-123\r\n"),
        "{head}"
    );
    assert!(head.contains("\r\nuser-agent: sync-cli/"), "{head}");
}

#[test]
fn no_token_no_authorization_header() {
    let server = echo_server();
    let output = cmd()
        .env("STOCK_API_TOKEN", "")
        .args(["fetch", "--base-url", &server.url, "x"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(
        !server.requests()[0]
            .to_lowercase()
            .contains("authorization")
    );
}

#[test]
fn token_protected_mock_api() {
    let settings = Settings {
        token: Some("s3cret-tok".into()),
        ..Settings::default()
    };
    let server = Server::with(mock_api::demo_products(), settings);
    let output = server.fetch().arg("GS-1001").output().unwrap();
    assert_eq!(output.status.code(), Some(3));
    let lines = json_lines(&output.stdout);
    assert_eq!(lines[0]["status"], "http_error");
    assert_eq!(lines[0]["http_status"], 401);
    assert_eq!(lines[0]["attempts"], 1, "401 is not retried");
    assert!(
        lines[0]["error"]
            .as_str()
            .unwrap()
            .contains("STOCK_API_TOKEN")
    );

    let output = server
        .fetch()
        .env("STOCK_API_TOKEN", "s3cret-tok")
        .arg("GS-1001")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(json_lines(&output.stdout)[0]["quantity"], 50.0);
}

/// Requests a raw server answering always `status` gets.
fn attempts_for(status: &'static str, headers: &'static [(&'static str, &'static str)]) -> usize {
    let server = RawServer::start(move |_, _| Reply::status(status, headers, "{}"));
    let output = cmd()
        .args(["fetch", "--base-url", &server.url, "--retries", "2", "x"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let lines = json_lines(&output.stdout);
    assert_eq!(lines[0]["attempts"], server.requests().len());
    server.requests().len()
}

#[test]
fn which_statuses_are_retried() {
    assert_eq!(attempts_for("404 Not Found", &[]), 1);
    assert_eq!(attempts_for("400 Bad Request", &[]), 1);
    assert_eq!(attempts_for("403 Forbidden", &[]), 1);
    assert_eq!(
        attempts_for("301 Moved Permanently", &[("Location", "/elsewhere")]),
        1
    );
    assert_eq!(attempts_for("408 Request Timeout", &[]), 3);
    assert_eq!(
        attempts_for("429 Too Many Requests", &[("Retry-After", "0")]),
        3
    );
    assert_eq!(attempts_for("502 Bad Gateway", &[]), 3);
}

#[test]
fn redirects_are_not_followed() {
    let server = RawServer::start(|_, _| {
        Reply::status("302 Found", &[("Location", "http://127.0.0.1:1/other")], "")
    });
    let output = cmd()
        .args(["fetch", "--base-url", &server.url, "x"])
        .output()
        .unwrap();
    let lines = json_lines(&output.stdout);
    assert_eq!(lines[0]["status"], "http_error");
    assert_eq!(lines[0]["http_status"], 302);
    assert!(
        lines[0]["error"]
            .as_str()
            .unwrap()
            .contains("redirects are not followed")
    );
}

#[test]
fn retry_after_as_an_http_date_is_honoured() {
    let server = RawServer::start(|n, _| {
        if n == 0 {
            let date = httpdate_in(Duration::from_secs(2));
            Reply::status("429 Too Many Requests", &[("Retry-After", leak(date))], "")
        } else {
            Reply::status("200 OK", &[], &ok_body("x"))
        }
    });
    let start = Instant::now();
    let output = cmd()
        .args(["fetch", "--base-url", &server.url, "x"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    // An HTTP date has whole seconds: the wait is between 1 and 2 s.
    assert!(
        start.elapsed() >= Duration::from_millis(900),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(server.requests().len(), 2);
}

fn httpdate_in(d: Duration) -> String {
    httpdate::fmt_http_date(std::time::SystemTime::now() + d)
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

#[test]
fn declared_content_length_over_the_limit_is_refused() {
    let server = RawServer::start(|_, _| {
        // Promises 10 MiB but sends only the head: the client must not wait.
        Reply::Bytes(b"HTTP/1.1 200 OK\r\nContent-Length: 10485760\r\n\r\n{".to_vec())
    });
    let start = Instant::now();
    let output = cmd()
        .args(["fetch", "--base-url", &server.url, "--timeout", "5", "x"])
        .output()
        .unwrap();
    assert!(start.elapsed() < Duration::from_secs(2));
    let lines = json_lines(&output.stdout);
    assert_eq!(lines[0]["status"], "invalid_response");
    assert!(
        lines[0]["error"]
            .as_str()
            .unwrap()
            .contains("limit of 1048576 bytes")
    );
}

#[test]
fn content_type_is_not_trusted() {
    let server = RawServer::start(|_, _| {
        Reply::status("200 OK", &[("Content-Type", "text/html")], &ok_body("x"))
    });
    let output = cmd()
        .args(["fetch", "--base-url", &server.url, "x"])
        .output()
        .unwrap();
    assert_eq!(json_lines(&output.stdout)[0]["status"], "ok");
}

#[test]
fn connection_closed_without_an_answer_is_connection_error() {
    let server = RawServer::start(|_, _| Reply::Drop);
    let output = cmd()
        .args(["fetch", "--base-url", &server.url, "--retries", "1", "x"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let lines = json_lines(&output.stdout);
    assert_eq!(lines[0]["status"], "connection_error", "{}", lines[0]);
    assert_eq!(lines[0]["attempts"], 2);
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn body_cut_short_is_connection_error() {
    let server = RawServer::start(|_, _| {
        Reply::Bytes(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"product_id\"".to_vec())
    });
    let output = cmd()
        .args(["fetch", "--base-url", &server.url, "--retries", "0", "x"])
        .output()
        .unwrap();
    let lines = json_lines(&output.stdout);
    assert_eq!(lines[0]["status"], "connection_error", "{}", lines[0]);
    assert_eq!(lines[0]["http_status"], 200);
}

#[test]
fn connect_timeout_bounds_connecting() {
    let Some(saturated) = common::saturated_listener() else {
        eprintln!("could not fill a listener's accept queue here; skipping");
        return;
    };
    let start = Instant::now();
    let output = cmd()
        .args([
            "fetch",
            "--base-url",
            &saturated.url,
            "--connect-timeout",
            "0.3",
            "--retries",
            "1",
            "x",
        ])
        .output()
        .unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    let lines = json_lines(&output.stdout);
    assert_eq!(lines[0]["status"], "timeout", "{}", lines[0]);
    assert_eq!(lines[0]["attempts"], 2);
    assert!(
        lines[0]["error"]
            .as_str()
            .unwrap()
            .contains("could not connect")
    );
}

#[test]
fn an_announced_body_of_terabytes_is_never_allocated() {
    // With the limit raised as far as it goes, a server announcing 100 TB
    // (and sending a few bytes) must cost a few bytes, not abort the run.
    let server = RawServer::start(|_, _| {
        Reply::Bytes(
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 100000000000000\r\n\r\n{\"product_id\""
                .to_vec(),
        )
    });
    let output = cmd()
        .args(["fetch", "--base-url", &server.url, "--retries", "0"])
        .args(["--max-body-bytes", "18446744073709551615", "a", "b"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    let lines = json_lines(&output.stdout);
    assert_eq!(lines.len(), 2);
    for (line, id) in lines.iter().zip(["a", "b"]) {
        assert_eq!(line["external_id"], id);
        assert_eq!(line["status"], "connection_error", "{line}");
        assert_eq!(line["http_status"], 200);
    }
}

#[test]
fn a_compressed_body_is_named_as_such() {
    let server = RawServer::start(|_, _| {
        let mut bytes = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Encoding: gzip\r\nContent-Length: 10\r\n\r\n".to_vec();
        bytes.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
        Reply::Bytes(bytes)
    });
    let output = cmd()
        .args(["fetch", "--base-url", &server.url, "x"])
        .output()
        .unwrap();
    let line = &json_lines(&output.stdout)[0];
    assert_eq!(line["status"], "invalid_response", "{line}");
    assert!(
        line["error"].as_str().unwrap().ends_with(
            r#"answered 200 OK, but the body is compressed (Content-Encoding: "gzip"), which sync-cli never asks for"#
        ),
        "{line}"
    );
    // Nothing asked for compression.
    let head = server.requests()[0].to_ascii_lowercase();
    assert!(!head.contains("accept-encoding"), "{head}");
}

#[test]
fn a_key_given_twice_is_invalid_response_naming_the_key() {
    let server = RawServer::start(|n, _| {
        let body = if n % 2 == 0 {
            r#"{"product_id": "x", "quantity": "1", "quantity": "2"}"#
        } else {
            r#"{"product_id": "y", "product_id": "x", "quantity": "1"}"#
        };
        Reply::status("200 OK", &[], body)
    });
    for key in ["quantity", "product_id"] {
        let output = cmd()
            .args(["fetch", "--base-url", &server.url, "x"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(3));
        let line = &json_lines(&output.stdout)[0];
        assert_eq!(line["status"], "invalid_response", "{line}");
        assert!(
            line["error"].as_str().unwrap().ends_with(&format!(
                r#"but the body has the key "{key}" more than once"#
            )),
            "{line}"
        );
    }
}

#[test]
fn a_timeout_below_the_connect_timeout_says_no_connection_was_made() {
    let Some(saturated) = common::saturated_listener() else {
        eprintln!("could not fill a listener's accept queue here; skipping");
        return;
    };
    let output = cmd()
        .args(["fetch", "--base-url", &saturated.url])
        .args([
            "--timeout",
            "0.5",
            "--connect-timeout",
            "5",
            "--retries",
            "0",
            "x",
        ])
        .output()
        .unwrap();
    let line = &json_lines(&output.stdout)[0];
    assert_eq!(line["status"], "timeout", "{line}");
    let error = line["error"].as_str().unwrap();
    assert!(
        error.starts_with(&format!(
            "could not connect to {}/api/stock/x within 0.5 s",
            saturated.url
        )),
        "{error}"
    );
    assert!(error.contains("--timeout"), "{error}");
}

/// A server that keeps a connection open after answering its first request
/// (no `Connection: close`) and closes it, without an answer, when a second
/// request arrives on it: what a load balancer with a short keep-alive does
/// to a client that reuses the connection. Counts the requests it received.
struct ClosingServer {
    url: String,
    requests: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

fn closing_server() -> ClosingServer {
    use std::io::{BufRead, BufReader, Write};
    use std::sync::atomic::Ordering;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = std::sync::Arc::clone(&requests);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let count = std::sync::Arc::clone(&count);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut stream = stream;
                for n in 0.. {
                    let mut head = String::new();
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        head.push_str(&line);
                        if line == "\r\n" {
                            break;
                        }
                    }
                    count.fetch_add(1, Ordering::SeqCst);
                    if n > 0 {
                        return; // closed, unanswered
                    }
                    let path = head.split(' ').nth(1).unwrap_or_default();
                    let id = path.rsplit('/').next().unwrap_or_default();
                    let body = ok_body(id);
                    let _ = write!(
                        stream,
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                }
            });
        }
    });
    ClosingServer { url, requests }
}

#[test]
fn a_request_unanswered_on_a_reused_connection_is_sent_again_at_once() {
    let server = closing_server();
    let ids: Vec<String> = (0..60).map(|n| format!("GS-{n}")).collect();
    let start = Instant::now();
    let output = cmd()
        .args([
            "fetch",
            "--base-url",
            &server.url,
            "--retries",
            "0",
            "--concurrency",
            "4",
        ])
        .args(&ids)
        .output()
        .unwrap();
    let elapsed = start.elapsed();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let lines = json_lines(&output.stdout);
    assert_eq!(lines.len(), 60);
    for line in &lines {
        assert_eq!(line["status"], "ok", "{line}");
        assert_eq!(line["attempts"], 1, "{line}");
    }
    // Connections were reused, refused, and the requests sent again.
    let requests = server.requests.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        requests > 60,
        "{requests} requests: no connection was reused"
    );
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}
