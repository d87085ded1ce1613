//! The `mock-api` program itself: the first stdout line, data files, shutdown.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

struct Server {
    child: Child,
    address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(args: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mock-api"))
        .args(["--bind", "127.0.0.1:0"])
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("MOCK_API_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let address = line
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .trim_end()
        .to_owned();
    assert!(line.ends_with('\n'));
    Server { child, address }
}

/// A plain HTTP/1.1 request; returns the whole answer.
fn http_raw(address: &str, request_line: &str, extra: &str) -> String {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    write!(
        stream,
        "{request_line} HTTP/1.1\r\nHost: {address}\r\n{extra}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

/// The values of a header in a whole answer (names case-insensitive).
fn header_values(answer: &str, name: &str) -> Vec<String> {
    let head = answer.split("\r\n\r\n").next().unwrap_or_default();
    head.lines()
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().to_owned())
        .collect()
}

/// A plain HTTP/1.1 GET; returns the status line and the body.
fn http_get(address: &str, path: &str, extra: &str) -> (String, String) {
    let answer = http_raw(address, &format!("GET {path}"), extra);
    let status = answer.lines().next().unwrap_or_default().to_owned();
    let body = answer
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    (status, body)
}

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("mock-api-{}-{name}", std::process::id()));
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn first_line_names_the_address_and_the_server_answers() {
    let server = start(&[]);
    let (ip, port) = server.address.rsplit_once(':').unwrap();
    assert_eq!(ip, "127.0.0.1");
    assert!(port.parse::<u16>().unwrap() > 0);
    let (status, body) = http_get(&server.address, "/api/stock/GS-1002", "");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(body, r#"{"product_id":"GS-1002","quantity":"120"}"#);
}

#[test]
fn token_option_protects_stock_routes() {
    let server = start(&["--token", "abc"]);
    let (status, _) = http_get(&server.address, "/api/stock/GS-1001", "");
    assert_eq!(status, "HTTP/1.1 401 Unauthorized");
    let (status, _) = http_get(
        &server.address,
        "/api/stock/GS-1001",
        "Authorization: Bearer abc\r\n",
    );
    assert_eq!(status, "HTTP/1.1 200 OK");
}

#[test]
fn data_file_replaces_the_demo_data() {
    let path = temp_file(
        "good.json",
        r#"[{"product_id": "X1", "quantity": "3"}, {"product_id": 42, "quantity": 1.5, "fault": "error_500"}]"#,
    );
    let server = start(&["--data", path.to_str().unwrap()]);
    let (status, body) = http_get(&server.address, "/api/stock/X1", "");
    assert_eq!(
        (status.as_str(), body.as_str()),
        ("HTTP/1.1 200 OK", r#"{"product_id":"X1","quantity":"3"}"#)
    );
    let (status, _) = http_get(&server.address, "/api/stock/42", "");
    assert_eq!(status, "HTTP/1.1 500 Internal Server Error");
    let (status, _) = http_get(&server.address, "/api/stock/GS-1001", "");
    assert_eq!(status, "HTTP/1.1 404 Not Found");
    std::fs::remove_file(path).unwrap();
}

#[test]
fn data_file_with_locations_answers_them() {
    let path = temp_file(
        "locations.json",
        r#"[{"product_id": "X1", "locations": [{"location": "PARIS", "quantity": "30"}, {"location": "LYON", "quantity": 20}]},
            {"product_id": "X2", "quantity": 5, "locations": [{"location": "LYON", "quantity": "5.0"}], "updated_at": "2026-12-04T10:00:00Z"}]"#,
    );
    let server = start(&["--data", path.to_str().unwrap()]);
    let (status, body) = http_get(&server.address, "/api/stock/X1", "");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(
        body,
        r#"{"product_id":"X1","quantity":"50","locations":[{"location":"PARIS","quantity":"30"},{"location":"LYON","quantity":"20"}]}"#
    );
    let (_, body) = http_get(&server.address, "/api/stock?cursor=5831", "");
    assert_eq!(
        body,
        r#"{"items":[{"product_id":"X2","quantity":"5","locations":[{"location":"LYON","quantity":"5.0"}],"updated_at":"2026-12-04T10:00:00Z"}],"next_cursor":null}"#
    );
    std::fs::remove_file(path).unwrap();
}

#[test]
fn bad_locations_stop_startup_with_exit_2_naming_the_product() {
    let cases = [
        (
            "sum.json",
            r#"[{"product_id": "A", "quantity": "50", "locations": [{"location": "PARIS", "quantity": "30"}, {"location": "LYON", "quantity": "10"}]}]"#,
            "entry 1 (product_id \"A\"): quantity \"50\" is not the sum of the locations' quantities (40)",
        ),
        (
            "twice.json",
            r#"[{"product_id": "B", "locations": [{"location": "LYON", "quantity": "1"}, {"location": "LYON", "quantity": "2"}]}]"#,
            "entry 1 (product_id \"B\"): locations entry 2: location \"LYON\" appears more than once",
        ),
        (
            "code.json",
            r#"[{"product_id": "C", "locations": [{"location": "\tLYON", "quantity": "1"}]}]"#,
            "entry 1 (product_id \"C\"): locations entry 1: location \"\\tLYON\" contains a control character (U+0009)",
        ),
        (
            "fault.json",
            r#"[{"product_id": "D", "quantity": "1", "fault": "location_twice"}]"#,
            "entry 1 (product_id \"D\"): fault location_twice needs locations",
        ),
    ];
    for (name, contents, expected) in cases {
        let path = temp_file(name, contents);
        let output = Command::new(env!("CARGO_BIN_EXE_mock-api"))
            .args(["--bind", "127.0.0.1:0", "--data", path.to_str().unwrap()])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
        assert!(output.stdout.is_empty());
        assert!(stderr.contains(expected), "{name}: {stderr}");
        std::fs::remove_file(path).unwrap();
    }
}

#[test]
fn help_describes_the_data_file() {
    let output = Command::new(env!("CARGO_BIN_EXE_mock-api"))
        .arg("--help")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let help = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "\"locations\"",
        "\"updated_at\"",
        "locations_sum_mismatch",
        "location_twice",
    ] {
        assert!(help.contains(expected), "--help lacks {expected}: {help}");
    }
}

#[test]
fn bad_data_files_stop_startup_with_exit_2() {
    let cases = [
        (
            "unknown-fault.json",
            r#"[{"product_id": "A", "quantity": "1"}, {"product_id": "B", "quantity": "1", "fault": "explode"}]"#,
            "entry 2 (product_id \"B\"): unknown fault \"explode\"",
        ),
        ("not-json.json", "[{", "is not valid JSON"),
        (
            "bad-quantity.json",
            r#"[{"product_id": "A", "quantity": "lots"}]"#,
            "entry 1 (product_id \"A\"): quantity \"lots\"",
        ),
    ];
    for (name, contents, expected) in cases {
        let path = temp_file(name, contents);
        let output = Command::new(env!("CARGO_BIN_EXE_mock-api"))
            .args(["--bind", "127.0.0.1:0", "--data", path.to_str().unwrap()])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
        assert!(output.stdout.is_empty());
        assert!(stderr.contains(path.to_str().unwrap()), "{stderr}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
        std::fs::remove_file(path).unwrap();
    }
    let output = Command::new(env!("CARGO_BIN_EXE_mock-api"))
        .args(["--data", "/nonexistent/products.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/products.json"));
}

#[cfg(unix)]
#[test]
fn sigterm_stops_the_server_even_with_a_hanging_request() {
    let mut server = start(&[]);
    // A request to the `slow` product that would hang for 10 minutes.
    let mut hanging = TcpStream::connect(&server.address).unwrap();
    write!(
        hanging,
        "GET /api/stock/GS-9012 HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let start = Instant::now();
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "still running");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn clock_offset_shifts_the_date_header_on_the_wire() {
    let server = start(&["--clock-offset-secs", "-7200"]);
    for path in ["/health", "/api/stock?limit=2", "/nowhere"] {
        let answer = http_raw(&server.address, &format!("GET {path}"), "");
        let dates = header_values(&answer, "date");
        assert_eq!(dates.len(), 1, "one Date header: {answer}");
        let date = httpdate::parse_http_date(&dates[0]).unwrap();
        let expected = SystemTime::now() - Duration::from_secs(7200);
        let gap = expected
            .duration_since(date)
            .unwrap_or_else(|e| e.duration());
        assert!(gap < Duration::from_secs(5), "{path}: {}", dates[0]);
    }
}

#[test]
fn clock_offset_must_be_a_number_within_100_years() {
    for bad in ["soon", "1.5", "3155760001", "-3155760001"] {
        let output = Command::new(env!("CARGO_BIN_EXE_mock-api"))
            .args(["--bind", "127.0.0.1:0", "--clock-offset-secs", bad])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{bad}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--clock-offset-secs"), "{stderr}");
    }
}

#[test]
fn the_listing_pages_on_the_wire() {
    let server = start(&[]);
    let (status, body) = http_get(&server.address, "/api/stock?limit=2", "");
    assert_eq!(status, "HTTP/1.1 200 OK");
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(page["items"][1]["product_id"], "GS-1002");
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, body) = http_get(
        &server.address,
        &format!("/api/stock?limit=2&cursor={cursor}"),
        "",
    );
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(page["items"][0]["product_id"], "GS-1003");
    let (status, body) = http_get(&server.address, "/api/stock?limit=0", "");
    assert_eq!(status, "HTTP/1.1 400 Bad Request");
    assert!(body.contains(r#""parameter":"limit""#), "{body}");
}

#[cfg(unix)]
#[test]
fn rate_limit_refusals_are_counted_in_the_log() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mock-api"))
        .args(["--bind", "127.0.0.1:0", "--rate-limit", "2"])
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let address = line
        .trim_end()
        .strip_prefix("listening on http://")
        .unwrap();
    let statuses: Vec<String> = (0..5)
        .map(|_| http_get(address, "/api/stock/GS-1001", "").0)
        .collect();
    let refused = statuses
        .iter()
        .filter(|s| s.as_str() == "HTTP/1.1 429 Too Many Requests")
        .count();
    assert!(refused >= 2, "{statuses:?}");
    // The per-second line comes within a second or so.
    std::thread::sleep(Duration::from_millis(1500));
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    // The refusals may straddle two seconds: the per-second lines add up.
    let per_second: usize = stderr
        .lines()
        .filter(|line| line.contains("requests refused in the last second"))
        .filter_map(|line| line.split_once(" refused=")?.1.split(' ').next())
        .map(|count| count.parse::<usize>().unwrap())
        .sum();
    assert_eq!(per_second, refused, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "rate limit of 2/s: {refused} requests refused in all"
        )),
        "{stderr}"
    );
}

#[test]
fn notify_url_without_the_secret_is_a_usage_error() {
    for secret in [None, Some("")] {
        let mut command = Command::new(env!("CARGO_BIN_EXE_mock-api"));
        command.args([
            "--bind",
            "127.0.0.1:0",
            "--notify-url",
            "http://127.0.0.1:9/notify",
        ]);
        command.env_remove("MOCK_API_NOTIFY_SECRET");
        if let Some(secret) = secret {
            command.env("MOCK_API_NOTIFY_SECRET", secret);
        }
        let output = command.output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{secret:?}");
        assert!(output.stdout.is_empty());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("MOCK_API_NOTIFY_SECRET"), "{stderr}");
    }
    let output = Command::new(env!("CARGO_BIN_EXE_mock-api"))
        .args(["--bind", "127.0.0.1:0", "--notify-url", "ftp://host/x"])
        .env("MOCK_API_NOTIFY_SECRET", "s")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--notify-url"));
}

/// Accepts one HTTP request, answers 202, and returns the request as text.
fn receive_one(listener: &std::net::TcpListener) -> String {
    let (mut stream, _) = listener.accept().unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut request = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let n = stream.read(&mut buffer).unwrap();
        assert!(n > 0, "connection closed early");
        request.extend_from_slice(&buffer[..n]);
        let text = String::from_utf8_lossy(&request);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = header_values(&format!("X\r\n{head}"), "content-length")
                .first()
                .map_or(0, |v| v.parse().unwrap());
            if body.len() >= length {
                break;
            }
        }
    }
    stream
        .write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 15\r\nConnection: close\r\n\r\n{\"accepted\": 1}")
        .unwrap();
    String::from_utf8(request).unwrap()
}

#[cfg(unix)]
#[test]
fn a_put_is_notified_and_logged_without_the_secret() {
    let secret = "bin-s3cret-value";
    let receiver = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/stock_sync_api/notify",
        receiver.local_addr().unwrap()
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_mock-api"))
        .args(["--bind", "127.0.0.1:0", "--notify-url", &url])
        .env("MOCK_API_NOTIFY_SECRET", secret)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let address = line
        .trim_end()
        .strip_prefix("listening on http://")
        .unwrap()
        .to_owned();

    let mut stream = TcpStream::connect(&address).unwrap();
    let body = r#"{"quantity": "77"}"#;
    write!(
        stream,
        "PUT /api/stock/GS-1005 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");

    let request = receive_one(&receiver);
    assert!(
        request.starts_with("POST /stock_sync_api/notify HTTP/1.1\r\n"),
        "{request}"
    );
    assert!(
        request.ends_with(r#"{"product_ids":["GS-1005"]}"#),
        "{request}"
    );
    assert_eq!(
        header_values(&request, "content-type"),
        ["application/json"]
    );
    assert_eq!(header_values(&request, "x-stock-sync-timestamp").len(), 1);
    let signature = header_values(&request, "x-stock-sync-signature");
    assert!(signature[0].starts_with("sha256="), "{signature:?}");

    // Let the answer be logged, then stop.
    std::thread::sleep(Duration::from_millis(500));
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("notified http://"), "{stderr}");
    assert!(stderr.contains("202 Accepted"), "{stderr}");
    assert!(!stderr.contains(secret), "the secret is logged: {stderr}");
}
