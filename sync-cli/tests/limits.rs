//! Bad input through the whole program: external IDs that are refused
//! before any request, stdin line endings, and quantities beyond the
//! sanity bound.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions

mod common;

use common::{RawServer, Reply, Server, cmd, json_lines, output_ids};
use mock_api::{Product, Settings};
use serde_json::Value;

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Answers every request with a valid body for the ID in its path.
fn echo_server() -> RawServer {
    RawServer::start(|_, head| {
        let path = head.split(' ').nth(1).unwrap_or_default();
        let segment = path.rsplit('/').next().unwrap_or_default();
        let id = percent_encoding::percent_decode_str(segment)
            .decode_utf8()
            .unwrap()
            .into_owned();
        let body = serde_json::json!({"product_id": id, "quantity": "5"}).to_string();
        Reply::status("200 OK", &[], &body)
    })
}

fn error_of(line: &Value) -> &str {
    line["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error in {line}"))
}

/// A refused ID: http_error, no attempt, a message ending with "no request
/// was sent".
fn assert_refused(line: &Value, id: &str, reason: &str) {
    assert_eq!(line["external_id"], id, "{line}");
    assert_eq!(line["status"], "http_error", "{line}");
    assert_eq!(line["attempts"], 0, "{line}");
    assert!(line.get("http_status").is_none(), "{line}");
    let error = error_of(line);
    assert!(error.contains(reason), "{error:?} lacks {reason:?}");
    assert!(error.ends_with("; no request was sent"), "{error:?}");
    assert!(
        !error.chars().any(sync_cli::id::is_forbidden),
        "raw control character in {error:?}"
    );
}

#[test]
fn ids_longer_than_255_characters_are_refused_without_a_request() {
    let server = echo_server();
    let longest = "é".repeat(255);
    let too_long = "x".repeat(256);
    let output = cmd()
        .args(["fetch", "--base-url", &server.url, "--concurrency", "1"])
        .args([&longest, &too_long, "GS-1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let lines = json_lines(&output.stdout);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["status"], "ok", "{}", lines[0]);
    assert_refused(&lines[1], &too_long, "is longer than 255 characters");
    assert!(error_of(&lines[1]).starts_with(r#"external ID "xxxxxxxxxx"#));
    assert!(error_of(&lines[1]).len() < 150, "{}", lines[1]);
    assert_eq!(lines[2]["status"], "ok");
    let requested = server.request_lines();
    assert_eq!(requested.len(), 2, "{requested:?}");
    assert!(!requested.iter().any(|line| line.contains("xxx")));
}

#[test]
fn ids_with_control_characters_are_refused_and_shown_escaped() {
    let server = echo_server();
    let cases = [
        ("GS\u{7}1", "U+0007", r#""GS\u{7}1""#),
        ("GS\u{1b}[2J", "U+001B", r#""GS\u{1b}[2J""#),
        ("tab\there", "U+0009", r#""tab\there""#),
        ("rtl\u{202e}1001", "U+202E", r#""rtl\u{202e}1001""#),
        ("zero\u{200b}width", "U+200B", r#""zero\u{200b}width""#),
        ("line\u{2028}sep", "U+2028", r#""line\u{2028}sep""#),
        ("del\u{7f}", "U+007F", r#""del\u{7f}""#),
    ];
    let ids: Vec<&str> = cases.iter().map(|(id, _, _)| *id).collect();
    let output = cmd()
        .args(["fetch", "--base-url", &server.url])
        .args(&ids)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let lines = json_lines(&output.stdout);
    assert_eq!(lines.len(), cases.len());
    for (line, (id, code, shown)) in lines.iter().zip(cases) {
        assert_refused(
            line,
            id,
            &format!("external ID {shown} contains a control character ({code})"),
        );
    }
    assert!(server.requests().is_empty(), "{:?}", server.request_lines());
    // Nothing raw on stderr either.
    assert!(!stderr(&output).chars().any(sync_cli::id::is_forbidden));
}

#[test]
fn spaces_and_unicode_are_allowed_and_encoded() {
    let server = echo_server();
    let output = cmd()
        .args(["fetch", "--base-url", &server.url, "--concurrency", "1"])
        .args(["a b", "Pièce n°7", "日本", "a\u{a0}b", "🦀"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        server.request_lines(),
        [
            "GET /api/stock/a%20b HTTP/1.1",
            "GET /api/stock/Pi%C3%A8ce%20n%C2%B07 HTTP/1.1",
            "GET /api/stock/%E6%97%A5%E6%9C%AC HTTP/1.1",
            "GET /api/stock/a%C2%A0b HTTP/1.1",
            "GET /api/stock/%F0%9F%A6%80 HTTP/1.1",
        ]
    );
}

#[test]
fn stdin_line_endings_and_stray_carriage_returns() {
    let server = echo_server();
    // CRLF and LF lines, a final line ending in a lone CR, a CR inside a line
    // (old Mac line endings), a blank CRLF line, a line of a NUL, a line
    // ending in two CRs (found by the stdin_ids fuzz target).
    let input = b"GS-1\r\nGS-2\nGS-3\rGS-4\n\r\n\0\nGS-6\r\r\nGS-5\r".to_vec();
    let output = cmd()
        .args(["fetch", "--base-url", &server.url, "--concurrency", "1"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let lines = json_lines(&output.stdout);
    let ids = output_ids(&lines);
    assert_eq!(ids, ["GS-1", "GS-2", "GS-3\rGS-4", "\0", "GS-6\r", "GS-5"]);
    assert_eq!(lines[0]["status"], "ok");
    assert_eq!(lines[1]["status"], "ok");
    assert_refused(
        &lines[2],
        "GS-3\rGS-4",
        r#""GS-3\rGS-4" contains a control character (U+000D)"#,
    );
    assert_refused(&lines[3], "\0", "(U+0000)");
    assert_refused(
        &lines[4],
        "GS-6\r",
        r#""GS-6\r" contains a control character (U+000D)"#,
    );
    assert_eq!(lines[5]["status"], "ok", "{}", lines[5]);
    assert_eq!(
        server.request_lines(),
        [
            "GET /api/stock/GS-1 HTTP/1.1",
            "GET /api/stock/GS-2 HTTP/1.1",
            "GET /api/stock/GS-5 HTTP/1.1",
        ]
    );
}

#[test]
fn table_format_escapes_control_characters_in_ids() {
    let server = echo_server();
    let output = cmd()
        .args(["fetch", "--base-url", &server.url, "--format", "table"])
        .args(["a\u{1b}[31mb", "rtl\u{202e}x", "ok"])
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        !text
            .chars()
            .any(|c| c != '\n' && sync_cli::id::is_forbidden(c)),
        "{text:?}"
    );
    assert!(text.contains(r"a\u{1b}[31mb  http_error"), "{text}");
    assert!(text.contains(r"rtl\u{202e}x"), "{text}");
}

// --- quantities ---------------------------------------------------------------

fn products() -> Vec<Product> {
    vec![
        Product::new("at-limit", "1000000000"),
        Product::new("just-above", "1000000000.5"),
        Product::new("huge", "1000000000000"),
        Product::new("absurd", "9".repeat(400)),
        Product::new("normal", "12.5"),
    ]
}

#[test]
fn quantities_above_the_limit_are_invalid_response() {
    let server = Server::with(products(), Settings::default());
    let output = server
        .fetch()
        .args(["at-limit", "just-above", "huge", "absurd", "normal"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let lines = json_lines(&output.stdout);
    assert_eq!(lines[0]["status"], "ok");
    assert_eq!(lines[0]["quantity"], 1e9);
    for (line, shown) in lines[1..3]
        .iter()
        .zip([r#""1000000000.5""#, r#""1000000000000""#])
    {
        assert_eq!(line["status"], "invalid_response", "{line}");
        assert!(line.get("quantity").is_none(), "{line}");
        let error = error_of(line);
        assert!(
            error.ends_with(&format!(
                "quantity {shown} is above the limit of 1000000000"
            )),
            "{error}"
        );
    }
    assert_eq!(lines[3]["status"], "invalid_response");
    assert!(
        error_of(&lines[3]).contains("is not a finite number"),
        "{}",
        lines[3]
    );
    assert_eq!(lines[4]["quantity"], 12.5);
}

#[test]
fn max_quantity_is_a_setting() {
    let server = Server::with(products(), Settings::default());
    let output = server
        .fetch()
        .args(["--max-quantity", "1e13", "huge", "just-above"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let lines = json_lines(&output.stdout);
    assert_eq!(lines[0]["quantity"], 1e12);
    assert_eq!(lines[1]["quantity"], 1_000_000_000.5);

    let output = server
        .fetch()
        .args(["--max-quantity", "12", "normal"])
        .output()
        .unwrap();
    let lines = json_lines(&output.stdout);
    assert_eq!(lines[0]["status"], "invalid_response");
    assert!(error_of(&lines[0]).ends_with(r#"quantity "12.5" is above the limit of 12"#));
}

#[test]
fn json_numbers_above_the_limit_and_long_strings_are_refused() {
    let long = "1".repeat(1001);
    let server = RawServer::start(move |n, _| {
        let quantity = match n {
            0 => serde_json::json!(1e12),
            1 => serde_json::json!(u64::MAX),
            _ => serde_json::json!(long),
        };
        let body = serde_json::json!({"product_id": "x", "quantity": quantity}).to_string();
        Reply::status("200 OK", &[], &body)
    });
    let mut errors = Vec::new();
    for _ in 0..3 {
        let output = cmd()
            .args(["fetch", "--base-url", &server.url, "x"])
            .output()
            .unwrap();
        let lines = json_lines(&output.stdout);
        assert_eq!(lines[0]["status"], "invalid_response", "{}", lines[0]);
        errors.push(error_of(&lines[0]).to_owned());
    }
    assert!(errors[0].ends_with("quantity 1000000000000.0 is above the limit of 1000000000"));
    assert!(errors[1].ends_with("quantity 18446744073709551615 is above the limit of 1000000000"));
    assert!(
        errors[2].ends_with("quantity is a string of 1001 characters, more than the limit of 1000")
    );
}

#[test]
fn max_quantity_usage_errors_and_help() {
    for bad in ["-1", "0", "0.5", "NaN", "inf", "1e15", "lots"] {
        let output = cmd()
            .args(["fetch", "--base-url", "http://127.0.0.1:9"])
            .arg(format!("--max-quantity={bad}"))
            .arg("x")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{bad}");
        assert!(
            stderr(&output).contains("--max-quantity"),
            "{}",
            stderr(&output)
        );
        assert!(output.stdout.is_empty());
    }
    let output = cmd().args(["fetch", "--help"]).output().unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    for expected in [
        "--max-quantity <N>",
        "[default: 1000000000]",
        "From 1 to 100000000000000 (1e14)",
        "--ca-file <PATH>",
        "[env: STOCK_API_CA_FILE=]",
        "External IDs:",
        "Quantities:",
        "TLS:",
    ] {
        assert!(help.contains(expected), "help lacks {expected:?}:\n{help}");
    }
}
