//! Every status of the contract, against mock-api's demo data and its faults.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions

mod common;

use std::time::{Duration, Instant};

use common::{Server, closed_port_url, json_lines, output_ids};
use serde_json::{Value, json};

/// Runs `fetch` for `ids` and returns the single output object of each.
fn fetch_each(server: &Server, extra: &[&str], ids: &[&str]) -> (Vec<Value>, Option<i32>) {
    let output = server.fetch().args(extra).args(ids).output().unwrap();
    let lines = json_lines(&output.stdout);
    assert_eq!(
        lines.len(),
        ids.len(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for (line, id) in lines.iter().zip(ids) {
        assert_eq!(line["external_id"], *id);
    }
    (lines, output.status.code())
}

fn assert_error_names_url(line: &Value, server: &Server, id: &str) {
    let error = line["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error in {line}"));
    let url = format!("{}/api/stock/{id}", server.url);
    assert!(error.contains(&url), "{error:?} does not name {url}");
    assert!(!error.contains('\n'));
}

#[test]
fn demo_products_are_ok_with_their_quantities() {
    let server = Server::demo();
    let expected = [
        ("GS-1001", 50.0),
        ("GS-1002", 120.0),
        ("GS-1003", 0.0),
        ("GS-1004", 7.0),
        ("GS-1005", 33.0),
        ("GS-1006", 250.0),
        ("GS-1007", 18.0),
        ("GS-1008", 64.0),
        ("GS-1009", 5.0),
        ("GS-1010", 12.0),
        ("GS-1011", 90.0),
        ("GS-1012", 41.0),
    ];
    let ids: Vec<&str> = expected.iter().map(|(id, _)| *id).collect();
    let (lines, code) = fetch_each(&server, &[], &ids);
    assert_eq!(code, Some(0));
    for (line, (_, quantity)) in lines.iter().zip(expected) {
        assert_eq!(line["status"], "ok");
        assert_eq!(line["quantity"], json!(quantity));
        assert!(line.get("error").is_none(), "{line}");
        assert_eq!(line["attempts"], 1);
    }
}

#[test]
fn ok_line_has_the_contract_shape() {
    let server = Server::demo();
    let output = server.fetch().arg("GS-1001").output().unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.starts_with(r#"{"external_id":"GS-1001","status":"ok","quantity":50.0,"#),
        "{text}"
    );
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn unknown_product_is_not_found_without_retry() {
    let server = Server::demo();
    let (lines, code) = fetch_each(&server, &["--retries", "3"], &["GS-0000"]);
    assert_eq!(code, Some(3));
    assert_eq!(lines[0]["status"], "not_found");
    assert_eq!(lines[0]["http_status"], 404);
    assert_eq!(lines[0]["attempts"], 1);
    assert_error_names_url(&lines[0], &server, "GS-0000");
}

#[test]
fn error_500_is_http_error_after_retries() {
    let server = Server::demo();
    let (lines, code) = fetch_each(&server, &["--retries", "2"], &["GS-9001"]);
    assert_eq!(code, Some(3));
    assert_eq!(lines[0]["status"], "http_error");
    assert_eq!(lines[0]["http_status"], 500);
    assert_eq!(lines[0]["attempts"], 3);
    assert_eq!(server.hits("GS-9001"), 3);
    assert_error_names_url(&lines[0], &server, "GS-9001");
    let error = lines[0]["error"].as_str().unwrap();
    assert!(error.contains("500 Internal Server Error"), "{error}");
}

#[test]
fn retries_zero_means_one_attempt() {
    let server = Server::demo();
    let (lines, _) = fetch_each(&server, &["--retries", "0"], &["GS-9001"]);
    assert_eq!(lines[0]["attempts"], 1);
    assert_eq!(server.hits("GS-9001"), 1);
}

#[test]
fn error_503_once_is_ok_on_the_retry() {
    let server = Server::demo();
    let (lines, code) = fetch_each(&server, &[], &["GS-9002"]);
    assert_eq!(code, Some(0));
    assert_eq!(lines[0]["status"], "ok");
    assert_eq!(lines[0]["quantity"], 10.0);
    assert_eq!(lines[0]["attempts"], 2);
    assert_eq!(server.hits("GS-9002"), 2);
}

#[test]
fn error_503_once_without_retries_is_http_error() {
    let server = Server::demo();
    let (lines, _) = fetch_each(&server, &["--retries", "0"], &["GS-9002"]);
    assert_eq!(lines[0]["status"], "http_error");
    assert_eq!(lines[0]["http_status"], 503);
}

#[test]
fn rate_limited_once_waits_for_retry_after() {
    let server = Server::demo();
    let start = Instant::now();
    let (lines, code) = fetch_each(&server, &[], &["GS-9003"]);
    assert_eq!(code, Some(0));
    assert_eq!(lines[0]["status"], "ok");
    assert_eq!(lines[0]["attempts"], 2);
    // Backoff alone would wait at most 250 ms; Retry-After asks for 1 s.
    assert!(
        lines[0]["elapsed_ms"].as_u64().unwrap() >= 1000,
        "{}",
        lines[0]
    );
    assert!(start.elapsed() >= Duration::from_secs(1));
    assert_eq!(server.hits("GS-9003"), 2);
}

#[test]
fn bad_bodies_are_invalid_response_and_not_retried() {
    let server = Server::demo();
    let cases = [
        ("GS-9004", "not JSON"),
        (
            "GS-9005",
            r#"product_id is "GS-1001", not the requested "GS-9005""#,
        ),
        ("GS-9006", r#"quantity "-5" is negative"#),
        ("GS-9007", r#"quantity "lots" is not a decimal number"#),
        ("GS-9008", "the body is empty"),
        ("GS-9009", "HTML"),
        ("GS-9013", "quantity is missing"),
    ];
    let ids: Vec<&str> = cases.iter().map(|(id, _)| *id).collect();
    let (lines, code) = fetch_each(&server, &["--retries", "2"], &ids);
    assert_eq!(code, Some(3));
    for (line, (id, reason)) in lines.iter().zip(cases) {
        assert_eq!(line["status"], "invalid_response", "{line}");
        assert_eq!(line["http_status"], 200, "{line}");
        assert_eq!(line["attempts"], 1, "{line}");
        assert!(line.get("quantity").is_none(), "{line}");
        assert_error_names_url(line, &server, id);
        let error = line["error"].as_str().unwrap();
        assert!(error.contains(reason), "{id}: {error:?} lacks {reason:?}");
        assert_eq!(server.hits(id), 1, "{id} was retried");
    }
}

#[test]
fn huge_body_is_refused_at_the_size_limit() {
    let server = Server::demo();
    let start = Instant::now();
    let (lines, code) = fetch_each(&server, &[], &["GS-9010"]);
    assert_eq!(code, Some(3));
    assert_eq!(lines[0]["status"], "invalid_response");
    assert!(
        lines[0]["error"]
            .as_str()
            .unwrap()
            .contains("limit of 1048576 bytes")
    );
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn max_body_bytes_sets_the_limit() {
    let server = Server::demo();
    // {"product_id":"GS-1001","quantity":"50"} is 40 bytes.
    let (lines, _) = fetch_each(&server, &["--max-body-bytes", "40"], &["GS-1001"]);
    assert_eq!(lines[0]["status"], "ok");
    let (lines, _) = fetch_each(&server, &["--max-body-bytes", "39"], &["GS-1001"]);
    assert_eq!(lines[0]["status"], "invalid_response");
    assert!(
        lines[0]["error"]
            .as_str()
            .unwrap()
            .contains("limit of 39 bytes")
    );
}

#[test]
fn endless_body_times_out_within_the_timeout() {
    let server = Server::demo();
    let start = Instant::now();
    let (lines, code) = fetch_each(
        &server,
        &["--timeout", "0.5", "--retries", "0"],
        &["GS-9011"],
    );
    assert!(
        start.elapsed() < Duration::from_millis(2500),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(code, Some(3));
    assert_eq!(lines[0]["status"], "timeout");
    assert_error_names_url(&lines[0], &server, "GS-9011");
    assert!(lines[0]["error"].as_str().unwrap().contains("0.5 s"));
}

#[test]
fn slow_answer_times_out_after_retries() {
    let server = Server::demo();
    let start = Instant::now();
    let (lines, code) = fetch_each(
        &server,
        &["--timeout", "0.3", "--retries", "1"],
        &["GS-9012"],
    );
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(code, Some(3));
    assert_eq!(lines[0]["status"], "timeout");
    assert_eq!(lines[0]["attempts"], 2);
    assert_eq!(server.hits("GS-9012"), 2);
    assert_error_names_url(&lines[0], &server, "GS-9012");
}

#[test]
fn refused_connection_is_connection_error_after_retries() {
    let url = closed_port_url();
    let output = common::cmd()
        .args(["fetch", "--base-url", &url, "--retries", "1", "GS-1001"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let lines = json_lines(&output.stdout);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["status"], "connection_error");
    assert_eq!(lines[0]["attempts"], 2);
    assert!(lines[0].get("http_status").is_none());
    let error = lines[0]["error"].as_str().unwrap();
    assert!(
        error.contains(&format!("{url}/api/stock/GS-1001")),
        "{error}"
    );
    assert!(error.to_lowercase().contains("refused"), "{error}");
}

#[test]
fn every_demo_id_at_once_in_input_order() {
    let server = Server::demo();
    let mut ids: Vec<String> = (1001..=1012).map(|n| format!("GS-{n}")).collect();
    ids.extend((9001..=9011).map(|n| format!("GS-{n}")));
    ids.push("GS-0000".into());
    let output = server
        .fetch()
        .args(["--timeout", "0.5", "--retries", "1", "--concurrency", "16"])
        .args(&ids)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let lines = json_lines(&output.stdout);
    let got = output_ids(&lines);
    assert_eq!(got, ids);
    let status =
        |id: &str| lines.iter().find(|l| l["external_id"] == id).unwrap()["status"].clone();
    assert_eq!(status("GS-1001"), "ok");
    assert_eq!(status("GS-9001"), "http_error");
    assert_eq!(status("GS-9002"), "ok");
    assert_eq!(status("GS-9003"), "ok");
    assert_eq!(status("GS-9010"), "invalid_response");
    assert_eq!(status("GS-9011"), "timeout");
    assert_eq!(status("GS-0000"), "not_found");
    for line in &lines {
        assert_eq!(
            line["status"] == "ok",
            line.get("error").is_none(),
            "{line}"
        );
    }
}
