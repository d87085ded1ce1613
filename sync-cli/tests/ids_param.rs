//! `list --ids-param NAME --ids-per-request N`: a listing asked only for
//! some IDs, comma-separated, at most N a request, each request's pages
//! followed as usual; the requests counted at the server.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions

mod common;

use common::{RawServer, Reply, cmd, json_lines};
use serde_json::{Value, json};
use url::Url;

fn target(head: &str) -> Url {
    let path = head.split(' ').nth(1).unwrap();
    Url::parse(&format!("http://test{path}")).unwrap()
}

fn param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// GS-1000 to GS-1999, quantity its number; `include` keeps the IDs it
/// names (all without it); at most `cap` records a page, the next page by
/// cursor (`c<index>`). With `honour` false, `include` is ignored.
fn catalog(cap: usize, honour: bool) -> RawServer {
    RawServer::start(move |_, head| {
        let url = target(head);
        let all: Vec<String> = (1000..2000).map(|n| format!("GS-{n}")).collect();
        let wanted: Vec<String> = match param(&url, "include") {
            Some(list) if honour => list
                .split(',')
                .filter(|id| all.contains(&(*id).to_owned()))
                .map(str::to_owned)
                .collect(),
            _ => all,
        };
        let start: usize = param(&url, "cursor").map_or(0, |c| c[1..].parse().unwrap());
        let end = (start + cap).min(wanted.len());
        let items: Vec<Value> = wanted[start..end]
            .iter()
            .map(|id| json!({"product_id": id, "quantity": id[3..].to_owned()}))
            .collect();
        let next = (end < wanted.len()).then(|| format!("c{end}"));
        let body = json!({"items": items, "next_cursor": next});
        Reply::status("200 OK", &[], &body.to_string())
    })
}

struct Run {
    code: Option<i32>,
    lines: Vec<Value>,
    trailer: Value,
    stderr: String,
}

fn list(server: &RawServer, args: &[&str], stdin: Option<&str>) -> Run {
    let mut cmd = cmd();
    cmd.args(["list", "--base-url", &server.url, "--retries", "0"])
        .args(args);
    if let Some(stdin) = stdin {
        cmd.write_stdin(stdin);
    }
    let output = cmd.output().unwrap();
    let mut lines = json_lines(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let trailer = lines.pop().unwrap_or_else(|| panic!("no output: {stderr}"));
    Run {
        code: output.status.code(),
        lines,
        trailer,
        stderr,
    }
}

fn ids_of(lines: &[Value]) -> Vec<&str> {
    lines
        .iter()
        .map(|line| line["external_id"].as_str().unwrap())
        .collect()
}

#[test]
fn only_the_ids_asked_for_are_asked_at_most_n_a_request_pages_followed() {
    let server = catalog(2, true);
    let run = list(
        &server,
        &["--ids-param", "include", "--ids-per-request", "3"],
        Some("GS-1001\nGS-1002\nGS-1003\nGS-1004\nGS-1005\n"),
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        ids_of(&run.lines),
        ["GS-1001", "GS-1002", "GS-1003", "GS-1004", "GS-1005"]
    );
    assert!(run.lines.iter().all(|line| line["status"] == "ok"));
    assert_eq!(run.lines[0]["quantity"], 1001.0);
    assert_eq!(
        server.targets(),
        [
            "/api/stock?limit=500&include=GS-1001,GS-1002,GS-1003",
            "/api/stock?limit=500&include=GS-1001,GS-1002,GS-1003&cursor=c2",
            "/api/stock?limit=500&include=GS-1004,GS-1005",
        ]
    );
    assert_eq!(run.trailer["listing"], "complete");
    assert_eq!(run.trailer["records"], 5);
    assert_eq!(run.trailer["pages"], 3);
}

#[test]
fn one_product_of_a_large_catalog_is_one_request() {
    let server = catalog(500, true);
    let run = list(&server, &["--ids-param", "include", "GS-1500"], None);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(ids_of(&run.lines), ["GS-1500"]);
    assert_eq!(server.requests().len(), 1);
    assert_eq!(run.trailer["pages"], 1);
}

#[test]
fn the_default_is_50_ids_a_request() {
    let server = catalog(1000, true);
    let ids: Vec<String> = (1000..1120).map(|n| format!("GS-{n}")).collect();
    let run = list(&server, &["--ids-param", "include"], Some(&ids.join("\n")));
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.lines.len(), 120);
    let asked: Vec<usize> = server
        .requests()
        .iter()
        .map(|head| param(&target(head), "include").unwrap().split(',').count())
        .collect();
    assert_eq!(asked, [50, 50, 20]);
}

#[test]
fn an_id_that_no_record_answers_gets_a_not_listed_line() {
    let server = catalog(500, true);
    let run = list(
        &server,
        &["--ids-param", "include", "GS-1001", "GS-0000", "GS-1002"],
        None,
    );
    assert_eq!(run.code, Some(3), "{}", run.stderr);
    assert_eq!(ids_of(&run.lines), ["GS-1001", "GS-1002", "GS-0000"]);
    let missing = &run.lines[2];
    assert_eq!(missing["status"], "not_found");
    assert_eq!(missing["reason"], "not_listed");
    assert_eq!(missing["attempts"], 1);
    let error = missing["error"].as_str().unwrap();
    assert!(
        error.ends_with(
            r#"listed no record for external ID "GS-0000" (asked for with --ids-param include)"#
        ),
        "{error}"
    );
    assert!(error.starts_with("GET http://"), "{error}");
    // The trailer counts the API's records, not the IDs it did not list.
    assert_eq!(run.trailer["records"], 2);
    assert_eq!(run.trailer["listing"], "complete");
}

#[test]
fn records_of_ids_not_asked_for_are_left_out() {
    // An API that ignores the parameter lists everything each time: only the
    // IDs asked for get a line, each once, never "listed twice".
    let server = catalog(1000, false);
    let run = list(
        &server,
        &[
            "-v",
            "--ids-param",
            "include",
            "--ids-per-request",
            "1",
            "GS-1007",
            "GS-1003",
        ],
        None,
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(ids_of(&run.lines), ["GS-1007", "GS-1003"]);
    assert_eq!(run.trailer["records"], 2);
    assert_eq!(server.requests().len(), 2);
    assert!(
        run.stderr
            .contains("999 records of IDs not asked for were left out"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_id_listed_twice_within_its_request_is_still_refused() {
    let server = RawServer::start(|_, _| {
        let items = json!([
            {"product_id": "A", "quantity": 1},
            {"product_id": "A", "quantity": 2},
        ]);
        Reply::status("200 OK", &[], &json!({"items": items}).to_string())
    });
    let run = list(&server, &["--ids-param", "ids", "A"], None);
    assert_eq!(run.code, Some(3), "{}", run.stderr);
    assert_eq!(run.lines.len(), 2);
    assert_eq!(run.lines[1]["reason"], "listed_twice");
}

#[test]
fn ids_that_cannot_be_asked_for_get_a_line_and_no_request() {
    let server = catalog(500, true);
    let run = list(
        &server,
        &["--ids-param", "include"],
        Some("GS-1001\n\nGS-1001\na,b\nGS\u{7}\n  \nGS-1002\n"),
    );
    assert_eq!(run.code, Some(3), "{}", run.stderr);
    assert_eq!(ids_of(&run.lines), ["a,b", "GS\u{7}", "GS-1001", "GS-1002"]);
    assert_eq!(run.lines[0]["status"], "http_error");
    assert_eq!(run.lines[0]["reason"], "id_not_sendable");
    assert_eq!(run.lines[0]["attempts"], 0);
    assert_eq!(run.lines[1]["reason"], "id_control_character");
    // Blank lines skipped, GS-1001 asked once.
    assert_eq!(
        server.targets(),
        ["/api/stock?limit=500&include=GS-1001,GS-1002"]
    );
}

#[test]
fn page_paging_starts_again_at_1_in_each_request() {
    // WooCommerce: ?include=...&page=N&per_page=1, past the end [].
    let server = RawServer::start(|_, head| {
        let url = target(head);
        let ids: Vec<String> = param(&url, "include")
            .unwrap()
            .split(',')
            .map(str::to_owned)
            .collect();
        let page: usize = param(&url, "page").unwrap().parse().unwrap();
        let items: Vec<Value> = ids
            .get(page - 1)
            .map(|id| vec![json!({"sku": id, "stock_quantity": 4})])
            .unwrap_or_default();
        Reply::status("200 OK", &[], &Value::from(items).to_string())
    });
    let args = [
        "--paging",
        "page",
        "--page-size-param",
        "per_page",
        "--page-size",
        "1",
        "--records-path",
        "",
        "--id-field",
        "/sku",
        "--quantity-field",
        "/stock_quantity",
        "--ids-param",
        "include",
        "--ids-per-request",
        "2",
        "W-1",
        "W-2",
        "W-3",
    ];
    let run = list(&server, &args, None);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(ids_of(&run.lines), ["W-1", "W-2", "W-3"]);
    assert_eq!(
        server.targets(),
        [
            "/api/stock?per_page=1&include=W-1,W-2&page=1",
            "/api/stock?per_page=1&include=W-1,W-2&page=2",
            "/api/stock?per_page=1&include=W-1,W-2&page=3",
            "/api/stock?per_page=1&include=W-3&page=1",
            "/api/stock?per_page=1&include=W-3&page=2",
        ]
    );
    assert_eq!(run.trailer["pages"], 5);
}

#[test]
fn a_failing_request_ends_the_listing_as_incomplete() {
    let server = RawServer::start(|n, _| {
        if n == 0 {
            let body = json!({"items": [{"product_id": "A", "quantity": 1}]});
            Reply::status("200 OK", &[], &body.to_string())
        } else {
            Reply::status("503 Service Unavailable", &[], "")
        }
    });
    let run = list(
        &server,
        &["--ids-param", "ids", "--ids-per-request", "1", "A", "B"],
        None,
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert_eq!(ids_of(&run.lines), ["A"]);
    assert_eq!(run.trailer["listing"], "incomplete");
    assert_eq!(run.trailer["reason"], "server_error");
}

fn usage_error(args: &[&str], expected: &str) {
    let output = cmd()
        .args(["list", "--base-url", "http://127.0.0.1:9"])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(stderr.contains(expected), "{args:?}: {stderr}");
}

#[test]
fn ids_param_usage_errors() {
    usage_error(&["GS-1"], "--ids-param <NAME>");
    usage_error(&["--ids-per-request", "5"], "--ids-param <NAME>");
    usage_error(&["--ids-param", ""], "cannot be empty");
    for bad in ["0", "1001", "x"] {
        usage_error(
            &["--ids-param", "include", "--ids-per-request", bad],
            "--ids-per-request",
        );
    }
}

#[test]
fn help_names_the_options() {
    let output = cmd().args(["list", "--help"]).output().unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    assert!(help.contains("--ids-param <NAME>"), "{help}");
    assert!(help.contains("--ids-per-request <N>"), "{help}");
    assert!(help.contains("not_listed"), "{help}");
}
