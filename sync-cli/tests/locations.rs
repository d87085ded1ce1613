//! Quantities per location, end to end: the `locations` array of `fetch`'s
//! answers and of `list`'s records against mock-api (in process), each rule
//! of the array against raw answers, and `list --location-field` for
//! listings of one record per item and location.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions

mod common;

use common::{RawServer, Reply, Server, cmd, json_lines};
use mock_api::{Product, Settings};
use serde_json::{Value, json};

/// The lines of a run, and its exit status.
fn run(cmd: &mut assert_cmd::Command) -> (Option<i32>, Vec<Value>) {
    let output = cmd.output().unwrap();
    (output.status.code(), json_lines(&output.stdout))
}

/// The raw stdout of a run (key order kept, which `Value` sorts).
fn stdout(cmd: &mut assert_cmd::Command) -> String {
    String::from_utf8(cmd.output().unwrap().stdout).unwrap()
}

/// The line of `id` among `lines`.
fn line<'a>(lines: &'a [Value], id: &str) -> &'a Value {
    lines
        .iter()
        .find(|line| line["external_id"] == id)
        .unwrap_or_else(|| panic!("no line for {id}: {lines:?}"))
}

/// A server whose every answer (or page) is `body`.
fn answering(body: &str) -> RawServer {
    let body = body.to_owned();
    RawServer::start(move |_, _| Reply::status("200 OK", &[], &body))
}

/// The one line of `fetch` of `id` answered `body`, with `args`.
fn fetch_answered(id: &str, body: &str, args: &[&str]) -> Value {
    let server = answering(body);
    let (_, lines) = run(cmd()
        .args(["fetch", "--base-url", &server.url, "--retries", "0"])
        .args(args)
        .arg(id));
    assert_eq!(lines.len(), 1, "{lines:?}");
    lines[0].clone()
}

#[test]
fn fetch_prints_mock_api_s_demo_locations_in_the_answer_s_order() {
    let server = Server::demo();
    let (code, lines) = run(server
        .fetch()
        .args(["GS-1001", "GS-1013", "GS-1014", "GS-1015"]));
    assert_eq!(code, Some(0), "{lines:?}");
    assert_eq!(
        line(&lines, "GS-1013")["locations"],
        json!({"PARIS": 30.0, "LYON": 15.0})
    );
    assert_eq!(line(&lines, "GS-1013")["quantity"], 45.0);
    assert_eq!(
        line(&lines, "GS-1015")["locations"],
        json!({"PARIS": 0.0, "LYON": 6.0})
    );
    // In the answer's order, not sorted: PARIS before LYON.
    let text = stdout(server.fetch().arg("GS-1014"));
    assert!(
        text.contains(r#""quantity":32.0,"locations":{"PARIS":8.0,"LYON":24.0},"#),
        "{text}"
    );
    // Without locations, the line is as it always was.
    assert!(line(&lines, "GS-1001").get("locations").is_none());
}

#[test]
fn mock_api_s_faults_of_locations_are_refused() {
    let server = Server::demo();
    let (code, lines) = run(server.fetch().args(["GS-9014", "GS-9015"]));
    assert_eq!(code, Some(3));
    let mismatch = line(&lines, "GS-9014");
    assert_eq!(mismatch["status"], "invalid_response");
    assert_eq!(mismatch["reason"], "locations_sum_mismatch");
    assert_eq!(
        (&mismatch["total"], &mismatch["sum"]),
        (&json!("11"), &json!("10"))
    );
    assert!(mismatch.get("quantity").is_none(), "{mismatch}");
    assert!(mismatch.get("locations").is_none(), "{mismatch}");
    let twice = line(&lines, "GS-9015");
    assert_eq!(twice["reason"], "location_twice");
    assert_eq!(twice["location"], "PARIS");
}

#[test]
fn list_prints_the_locations_of_mock_api_s_records() {
    let products = vec![
        Product::located("L-1", &[("PARIS", "30"), ("LYON", "20")]),
        Product::new("L-2", "4"),
        Product::located("L-3", &[("LYON", "12.5"), ("NICE", "0.5")]),
    ];
    let server = Server::with(products, Settings::default());
    let (code, lines) = run(cmd().args(["list", "--base-url", &server.url, "--page-size", "2"]));
    assert_eq!(code, Some(0), "{lines:?}");
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["locations"], json!({"PARIS": 30.0, "LYON": 20.0}));
    let text = stdout(cmd().args(["list", "--base-url", &server.url]));
    assert!(text.contains(r#"{"PARIS":30.0,"LYON":20.0}"#), "{text}");
    assert!(lines[1].get("locations").is_none());
    assert_eq!(lines[2]["locations"], json!({"LYON": 12.5, "NICE": 0.5}));
    assert_eq!(lines[2]["quantity"], 13.0);
}

#[test]
fn list_refuses_mock_api_s_faults_of_locations() {
    let server = Server::demo();
    let (code, lines) = run(cmd().args(["list", "--base-url", &server.url]));
    assert_eq!(code, Some(3));
    assert_eq!(line(&lines, "GS-9014")["reason"], "locations_sum_mismatch");
    assert_eq!(line(&lines, "GS-9015")["reason"], "location_twice");
    assert_eq!(
        line(&lines, "GS-1013")["locations"],
        json!({"PARIS": 30.0, "LYON": 15.0})
    );
}

#[test]
fn an_ok_line_without_locations_is_byte_for_byte_as_before() {
    let elapsed = regex::Regex::new(r#""elapsed_ms":\d+"#).unwrap();
    for body in [
        r#"{"product_id": "A", "quantity": "5"}"#,
        r#"{"product_id": "A", "quantity": "5", "locations": null}"#,
    ] {
        let server = answering(body);
        let output = cmd()
            .args(["fetch", "--base-url", &server.url, "A"])
            .output()
            .unwrap();
        let text = String::from_utf8(output.stdout).unwrap();
        let text = elapsed.replace(&text, r#""elapsed_ms":0"#);
        assert_eq!(
            text,
            "{\"external_id\":\"A\",\"status\":\"ok\",\"quantity\":5.0,\"http_status\":200,\"attempts\":1,\"elapsed_ms\":0}\n",
            "{body}"
        );
    }
}

#[test]
fn the_sum_is_exact_in_decimals() {
    let body = |total: &str, a: &str, b: &str| {
        format!(
            r#"{{"product_id": "A", "quantity": {total}, "locations": [{{"location": "P", "quantity": {a}}}, {{"location": "L", "quantity": {b}}}]}}"#
        )
    };
    // Doubles would not add up: 0.1 + 0.2 is 0.30000000000000004.
    for (total, a, b) in [
        (r#""0.3""#, r#""0.1""#, r#""0.2""#),
        ("0.3", "0.1", "0.2"),
        (r#""0.30""#, "0.1", r#""0.20""#),
        (r#""20""#, r#""12.5""#, "7.5"),
    ] {
        let line = fetch_answered("A", &body(total, a, b), &[]);
        assert_eq!(line["status"], "ok", "{total} {a} {b}: {line}");
    }
    // And no tolerance: a thousandth off, or a digit past a double's
    // precision, is refused.
    for (total, a, b, sum) in [
        (r#""0.301""#, r#""0.1""#, r#""0.2""#, "0.3"),
        (r#""0.30000000000000001""#, r#""0.1""#, r#""0.2""#, "0.3"),
        ("0.30000000000000004", "0.1", "0.2", "0.3"),
        (
            r#""20""#,
            r#""12.5""#,
            r#""7.4999999999999999999""#,
            "19.9999999999999999999",
        ),
    ] {
        let line = fetch_answered("A", &body(total, a, b), &[]);
        assert_eq!(line["reason"], "locations_sum_mismatch", "{line}");
        assert_eq!(line["sum"], sum, "{line}");
    }
}

#[test]
fn location_quantities_follow_the_quantity_s_rules_and_limit() {
    let body = |q: &str| {
        format!(
            r#"{{"product_id": "A", "quantity": {q}, "locations": [{{"location": "P", "quantity": {q}}}]}}"#
        )
    };
    let line = fetch_answered("A", &body(r#""150""#), &["--max-quantity", "100"]);
    // The total is checked first, with the same limit.
    assert_eq!(line["reason"], "quantity_above_limit", "{line}");
    let line = fetch_answered(
        "A",
        r#"{"product_id": "A", "quantity": "100", "locations": [{"location": "P", "quantity": "150"}, {"location": "L", "quantity": "-50"}]}"#,
        &["--max-quantity", "100"],
    );
    assert_eq!(line["reason"], "location_quantity_above_limit", "{line}");
    assert_eq!(
        (&line["location"], &line["limit"]),
        (&json!("P"), &json!(100.0))
    );
    let line = fetch_answered("A", &body(r#""1e3""#), &[]);
    assert_eq!(line["reason"], "quantity_not_number", "{line}");
    let line = fetch_answered(
        "A",
        r#"{"product_id": "A", "quantity": "1", "locations": [{"location": "P", "quantity": "1e0"}]}"#,
        &[],
    );
    assert_eq!(line["reason"], "location_quantity_not_number", "{line}");
    assert!(
        line["error"]
            .as_str()
            .unwrap()
            .contains(r#"location "P": quantity "1e0""#)
    );
}

#[test]
fn location_codes_follow_the_rules_of_an_external_id() {
    let body = |code: &Value| {
        json!({"product_id": "A", "quantity": "1", "locations": [{"location": code, "quantity": "1"}]})
            .to_string()
    };
    let cases = [
        (json!(""), "empty"),
        (json!("x".repeat(256)), "too_long"),
        (json!("PA\u{200b}RIS"), "control"),
        (json!("PARIS\u{a0}"), "spaces"),
        (json!("."), "dot"),
    ];
    for (code, rule) in cases {
        let line = fetch_answered("A", &body(&code), &[]);
        assert_eq!(line["reason"], "location_code_invalid", "{line}");
        assert_eq!(line["rule"], rule, "{line}");
        assert_eq!(line["entry"], 1, "{line}");
        let error = line["error"].as_str().unwrap();
        assert!(error.contains("location code"), "{error}");
        assert!(!error.contains('\u{200b}'), "{error}");
    }
    // Spaces inside, Unicode and numbers are codes.
    for (code, printed) in [
        (json!("Entrepôt 2"), "Entrepôt 2"),
        (json!(655_441_491), "655441491"),
    ] {
        let line = fetch_answered("A", &body(&code), &[]);
        assert_eq!(line["locations"], json!({printed: 1.0}), "{line}");
    }
    // The rules run on every entry, not only the first.
    let line = fetch_answered(
        "A",
        r#"{"product_id": "A", "quantity": "1", "locations": [{"location": "P", "quantity": "1"}, {"location": "..", "quantity": "0"}]}"#,
        &[],
    );
    assert_eq!(
        (&line["reason"], &line["entry"]),
        (&json!("location_code_invalid"), &json!(2))
    );
}

#[test]
fn an_empty_array_is_stock_nowhere() {
    let line = fetch_answered(
        "A",
        r#"{"product_id": "A", "quantity": "0", "locations": []}"#,
        &[],
    );
    assert_eq!(line["locations"], json!({}), "{line}");
    let line = fetch_answered(
        "A",
        r#"{"product_id": "A", "quantity": "1", "locations": []}"#,
        &[],
    );
    assert_eq!(
        (&line["reason"], &line["sum"]),
        (&json!("locations_sum_mismatch"), &json!("0"))
    );
}

#[test]
fn a_locations_key_given_twice_is_refused() {
    let line = fetch_answered(
        "A",
        r#"{"product_id": "A", "quantity": "0", "locations": [], "locations": null}"#,
        &[],
    );
    assert_eq!(
        (&line["reason"], &line["key"]),
        (&json!("duplicate_key"), &json!("locations"))
    );
    let server = answering(
        r#"{"items": [{"product_id": "A", "quantity": "0", "locations": [], "locations": null}]}"#,
    );
    let (_, lines) = run(cmd().args(["list", "--base-url", &server.url]));
    assert_eq!(
        (&lines[0]["reason"], &lines[0]["key"]),
        (&json!("duplicate_key"), &json!("locations"))
    );
}

/// Shopify-like inventory levels: one record per item and location, the
/// location a number.
const LEVELS: &str = r#"{"inventory_levels": [
    {"inventory_item_id": 808950810, "location_id": 655441491, "available": 30},
    {"inventory_item_id": 808950810, "location_id": 905684977, "available": 20},
    {"inventory_item_id": 39072856, "location_id": 655441491, "available": 4},
    {"inventory_item_id": 808950810, "location_id": 905684977, "available": 21},
    {"inventory_item_id": 39072856, "available": 1},
    {"inventory_item_id": 39072856, "location_id": 905684977, "available": -1}
]}"#;

fn levels(args: &[&str]) -> (Option<i32>, Vec<Value>) {
    let server = answering(LEVELS);
    run(cmd()
        .args(["list", "--base-url", &server.url, "--retries", "0"])
        .args(["--records-path", "/inventory_levels"])
        .args([
            "--id-field",
            "/inventory_item_id",
            "--quantity-field",
            "/available",
        ])
        .args(args))
}

#[test]
fn location_field_reads_one_record_per_item_and_location() {
    let (code, lines) = levels(&["--location-field", "/location_id"]);
    assert_eq!(code, Some(3), "{lines:?}");
    assert_eq!(lines.len(), 7);
    let expected = [
        ("808950810", Some("655441491"), "ok", None),
        ("808950810", Some("905684977"), "ok", None),
        ("39072856", Some("655441491"), "ok", None),
        (
            "808950810",
            Some("905684977"),
            "invalid_response",
            Some("listed_twice"),
        ),
        (
            "39072856",
            None,
            "invalid_response",
            Some("location_missing"),
        ),
        (
            "39072856",
            Some("905684977"),
            "invalid_response",
            Some("quantity_negative"),
        ),
    ];
    for (line, (id, location, status, reason)) in lines.iter().zip(expected) {
        assert_eq!(line["external_id"], id, "{line}");
        assert_eq!(line["location"].as_str(), location, "{line}");
        assert_eq!(line["status"], status, "{line}");
        assert_eq!(line["reason"].as_str(), reason, "{line}");
    }
    assert_eq!(lines[0]["quantity"], 30.0);
    assert_eq!(lines[4]["field"], "/location_id");
    assert!(
        lines[3]["error"]
            .as_str()
            .unwrap()
            .contains("at location \"905684977\"")
    );
    // `location` right after `external_id`.
    let server = answering(LEVELS);
    let text = stdout(
        cmd()
            .args(["list", "--base-url", &server.url])
            .args(["--records-path", "/inventory_levels"])
            .args(["--id-field", "/inventory_item_id"])
            .args(["--quantity-field", "/available"])
            .args(["--location-field", "/location_id"]),
    );
    assert!(
        text.starts_with(
            r#"{"external_id":"808950810","location":"655441491","status":"ok","quantity":30.0,"#
        ),
        "{text}"
    );
    assert_eq!(lines[6]["listing"], "complete");
}

#[test]
fn without_location_field_an_item_at_two_locations_is_listed_twice() {
    let (_, lines) = levels(&[]);
    assert_eq!(lines[1]["reason"], "listed_twice", "{}", lines[1]);
    assert!(lines.iter().all(|line| line.get("location").is_none()));
}

#[test]
fn location_field_ignores_a_record_s_locations_array() {
    let server = answering(
        r#"{"items": [{"product_id": "A", "loc": "P", "quantity": "3", "locations": "not read"}]}"#,
    );
    let (code, lines) = run(cmd().args([
        "list",
        "--base-url",
        &server.url,
        "--location-field",
        "/loc",
    ]));
    assert_eq!(code, Some(0), "{lines:?}");
    assert_eq!(lines[0]["location"], "P");
    assert!(lines[0].get("locations").is_none());
}

#[test]
fn location_field_is_a_json_pointer() {
    let output = cmd()
        .args([
            "list",
            "--base-url",
            "http://127.0.0.1:9",
            "--location-field",
            "location_id",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a JSON pointer"));
}

#[test]
fn location_field_with_mock_api_s_listing_of_products() {
    // mock-api lists one record per product: as a listing per location,
    // each record lacks a location and says so.
    let server = Server::with(vec![Product::new("A", "1")], Settings::default());
    let (code, lines) = run(cmd().args([
        "list",
        "--base-url",
        &server.url,
        "--location-field",
        "/warehouse",
    ]));
    assert_eq!(code, Some(3));
    assert_eq!(lines[0]["reason"], "location_missing");
    assert_eq!(lines[0]["field"], "/warehouse");
}
