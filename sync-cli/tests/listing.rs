//! `sync-cli list` against small in-process servers: every paging style to
//! its end, each thing a listing is never trusted with, the trailer, exit
//! statuses, streaming, and the examples of `list --help`.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{RawServer, Reply, cmd, json_lines, output_ids};
use serde_json::{Value, json};
use url::Url;

/// The `Date` of a listing's first page, and of the others.
const FIRST_DATE: &str = "Fri, 04 Dec 2026 10:00:00 GMT";
const LATER_DATE: &str = "Fri, 04 Dec 2026 10:00:07 GMT";

const TOKEN: &str = "tok-l1sting-5ecret-0123456789";

/// A request head's target as a URL (on a dummy host).
fn target(head: &str) -> Url {
    let path = head.split(' ').nth(1).unwrap();
    Url::parse(&format!("http://test{path}")).unwrap()
}

fn param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The `Host` header of a request head.
fn host(head: &str) -> String {
    head.lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("host")
                .then(|| value.trim().to_owned())
        })
        .unwrap()
}

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("GS-{:04}", 1000 + i)).collect()
}

fn json_reply(date: &str, extra: &[(&str, &str)], body: &Value) -> Reply {
    let mut headers = vec![("Date", date), ("Content-Type", "application/json")];
    headers.extend_from_slice(extra);
    Reply::status("200 OK", &headers, &body.to_string())
}

/// GlobalShop's listing of `ids` (quantity: the index), at most `cap`
/// records a page whatever `limit` asks, cursors `c<index>`.
fn globalshop(ids: Vec<String>, cap: usize) -> RawServer {
    RawServer::start(move |_, head| {
        let url = target(head);
        let limit: usize = param(&url, "limit").map_or(500, |l| l.parse().unwrap());
        let start: usize = param(&url, "cursor").map_or(0, |c| c[1..].parse().unwrap());
        let end = (start + limit.min(cap)).min(ids.len());
        let items: Vec<Value> = (start..end)
            .map(|i| json!({"product_id": ids[i], "quantity": i.to_string(), "updated_at": "2026-12-04T09:00:00Z"}))
            .collect();
        let next = (end < ids.len()).then(|| format!("c{end}"));
        let date = if start == 0 { FIRST_DATE } else { LATER_DATE };
        json_reply(date, &[], &json!({"items": items, "next_cursor": next}))
    })
}

/// `sync-cli list --base-url <url>` with short timeouts and no retries.
fn list(url: &str) -> assert_cmd::Command {
    let mut cmd = cmd();
    cmd.args([
        "list",
        "--base-url",
        url,
        "--timeout",
        "5",
        "--retries",
        "0",
    ]);
    cmd
}

struct Run {
    code: Option<i32>,
    records: Vec<Value>,
    trailer: Value,
    stderr: String,
}

fn run(cmd: &mut assert_cmd::Command) -> Run {
    let output = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let mut lines = json_lines(&output.stdout);
    let trailer = lines
        .pop()
        .unwrap_or_else(|| panic!("no output; stderr: {stderr}"));
    assert!(
        trailer.get("listing").is_some(),
        "the last line is not the trailer: {trailer}"
    );
    for line in &lines {
        assert!(line.get("listing").is_none(), "trailer before the end");
    }
    Run {
        code: output.status.code(),
        records: lines,
        trailer,
        stderr,
    }
}

fn error_of(run: &Run) -> &str {
    run.trailer["error"].as_str().unwrap()
}

fn assert_incomplete(run: &Run, records: usize, pages: u64) {
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert_eq!(run.trailer["listing"], "incomplete", "{}", run.trailer);
    assert_eq!(run.records.len(), records, "{:?}", run.records);
    assert_eq!(run.trailer["records"], records as u64);
    assert_eq!(run.trailer["pages"], pages);
    assert!(run.trailer.get("server_time").is_none());
    assert!(
        run.stderr.contains("the listing is incomplete"),
        "{}",
        run.stderr
    );
}

// --- the four paging styles, to the end -------------------------------------------

#[test]
fn cursor_paging_reads_to_the_end_with_the_first_page_s_date() {
    let server = globalshop(ids(7), 1000);
    let run = run(list(&server.url).args(["--page-size", "3"]));
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(output_ids(&run.records), ids(7));
    for (i, record) in run.records.iter().enumerate() {
        assert_eq!(record["status"], "ok", "{record}");
        assert_eq!(record["quantity"], i as f64);
        assert_eq!(record["http_status"], 200);
    }
    assert_eq!(
        run.trailer,
        json!({"listing": "complete", "records": 7, "pages": 3, "server_time": "2026-12-04T10:00:00Z"})
    );
    assert_eq!(
        server.targets(),
        [
            "/api/stock?limit=3",
            "/api/stock?limit=3&cursor=c3",
            "/api/stock?limit=3&cursor=c6"
        ]
    );
}

#[test]
fn cursor_paging_does_not_stop_at_a_short_or_empty_page() {
    // The API serves 2 a page whatever is asked, and one page is empty but
    // has a cursor: only null ends the listing.
    let server = RawServer::start(|_, head| {
        let url = target(head);
        let body = match param(&url, "cursor").as_deref() {
            None => {
                json!({"items": [{"product_id": "A", "quantity": 1}, {"product_id": "B", "quantity": 2}], "next_cursor": "x"})
            }
            Some("x") => json!({"items": [], "next_cursor": "y"}),
            Some("y") => json!({"items": [{"product_id": "C", "quantity": 3}]}),
            Some(other) => panic!("cursor {other}"),
        };
        json_reply(FIRST_DATE, &[], &body)
    });
    let run = run(&mut list(&server.url));
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(output_ids(&run.records), ["A", "B", "C"]);
    assert_eq!(run.trailer["pages"], 3);
}

/// A Shopify-like listing: records at /inventory_levels, the next page in a
/// Link header (absolute, on the same origin), page_info in its query.
fn shopify(pages: usize) -> RawServer {
    RawServer::start(move |_, head| {
        let url = target(head);
        let page: usize = param(&url, "page_info").map_or(1, |p| p[1..].parse().unwrap());
        let levels: Vec<Value> = (0..2)
            .map(|i| json!({"inventory_item_id": 800 + page * 10 + i, "location_id": 1, "available": page * 10 + i}))
            .collect();
        let link = format!(
            "<http://{}/admin/api/2024-01/inventory_levels.json?limit=2&page_info=p{}>; rel=\"next\", <http://{}/previous>; rel=\"previous\"",
            host(head),
            page + 1,
            host(head)
        );
        let mut extra = Vec::new();
        if page < pages {
            extra.push(("Link", link.as_str()));
        }
        json_reply(
            if page == 1 { FIRST_DATE } else { LATER_DATE },
            &extra,
            &json!({"inventory_levels": levels}),
        )
    })
}

fn shopify_args() -> [&'static str; 12] {
    [
        "--endpoint",
        "/admin/api/2024-01/inventory_levels.json?location_ids=1",
        "--paging",
        "link",
        "--page-size",
        "2",
        "--records-path",
        "/inventory_levels",
        "--id-field",
        "/inventory_item_id",
        "--quantity-field",
        "/available",
    ]
}

#[test]
fn link_paging_follows_the_header_as_given_without_since() {
    let server = shopify(3);
    let run = run(list(&server.url)
        .args(shopify_args())
        .args(["--since", "2026-12-04T09:00:00Z"]));
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        output_ids(&run.records),
        ["810", "811", "820", "821", "830", "831"]
    );
    assert_eq!(run.records[5]["quantity"], 31.0);
    assert_eq!(run.trailer["pages"], 3);
    assert_eq!(run.trailer["server_time"], "2026-12-04T10:00:00Z");
    assert_eq!(
        server.targets(),
        [
            // The first URL: endpoint, page size, since.
            "/admin/api/2024-01/inventory_levels.json?location_ids=1&limit=2&updated_since=2026-12-04T09%3A00%3A00Z",
            // Then as the Link gives them: no since added.
            "/admin/api/2024-01/inventory_levels.json?limit=2&page_info=p2",
            "/admin/api/2024-01/inventory_levels.json?limit=2&page_info=p3",
        ]
    );
}

#[test]
fn a_relative_link_is_resolved_against_the_page_s_url() {
    let server = RawServer::start(|n, _| {
        let (body, link) = match n {
            0 => (
                json!({"items": [{"product_id": "A", "quantity": 1}]}),
                Some("<page2?x=1>; rel=next"),
            ),
            _ => (json!({"items": [{"product_id": "B", "quantity": 2}]}), None),
        };
        json_reply(
            FIRST_DATE,
            &link.map(|l| ("Link", l)).into_iter().collect::<Vec<_>>(),
            &body,
        )
    });
    let run = run(list(&server.url).args(["--endpoint", "/v1/stock", "--paging", "link"]));
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(output_ids(&run.records), ["A", "B"]);
    assert_eq!(server.targets(), ["/v1/stock?limit=500", "/v1/page2?x=1"]);
}

/// A WooCommerce-like listing: the page is a top-level array, `per_page`
/// capped at `cap` by the API, `page` from 1; past the end, `[]`.
fn woocommerce(ids: Vec<String>, cap: usize) -> RawServer {
    RawServer::start(move |_, head| {
        let url = target(head);
        let page: usize = param(&url, "page").unwrap().parse().unwrap();
        let per_page: usize = param(&url, "per_page").unwrap().parse().unwrap();
        let size = per_page.min(cap);
        let products: Vec<Value> = ids
            .iter()
            .enumerate()
            .skip((page - 1) * size)
            .take(size)
            .map(|(i, sku)| json!({"id": i, "sku": sku, "stock_quantity": i, "name": "x"}))
            .collect();
        json_reply(FIRST_DATE, &[], &Value::Array(products))
    })
}

fn woocommerce_args() -> [&'static str; 16] {
    [
        "--endpoint",
        "/wp-json/wc/v3/products",
        "--paging",
        "page",
        "--page-param",
        "page",
        "--page-size-param",
        "per_page",
        "--page-size",
        "5",
        "--records-path",
        "",
        "--id-field",
        "/sku",
        "--quantity-field",
        "/stock_quantity",
    ]
}

#[test]
fn page_paging_reads_short_pages_until_an_empty_one() {
    // 5 asked, 2 served: a client stopping at a short page would miss 3.
    let server = woocommerce(ids(5), 2);
    let run = run(list(&server.url).args(woocommerce_args()));
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(output_ids(&run.records), ids(5));
    assert_eq!(run.records[4]["quantity"], 4.0);
    assert_eq!(run.trailer["pages"], 4);
    let pages: Vec<String> = server
        .targets()
        .iter()
        .map(|t| param(&target(&format!("GET {t} HTTP/1.1")), "page").unwrap())
        .collect();
    assert_eq!(pages, ["1", "2", "3", "4"]);
    assert_eq!(
        server.targets()[0],
        "/wp-json/wc/v3/products?per_page=5&page=1"
    );
}

#[test]
fn offset_paging_advances_by_the_records_received() {
    // 4 asked, 3 served: offsets 0, 3, 6, 8; none skipped.
    let all = ids(8);
    let catalog = all.clone();
    let server = RawServer::start(move |_, head| {
        let url = target(head);
        let offset: usize = param(&url, "offset").unwrap().parse().unwrap();
        let limit: usize = param(&url, "limit").unwrap().parse().unwrap();
        let data: Vec<Value> = catalog
            .iter()
            .skip(offset)
            .take(limit.min(3))
            .map(|sku| json!({"sku": sku, "on_hand": "1.5"}))
            .collect();
        json_reply(FIRST_DATE, &[], &json!({"data": data}))
    });
    let run = run(list(&server.url).args([
        "--paging",
        "offset",
        "--page-size",
        "4",
        "--records-path",
        "/data",
        "--id-field",
        "/sku",
        "--quantity-field",
        "/on_hand",
        "--since",
        "2026-12-01T00:00:00+01:00",
        "--since-param",
        "modified_after",
    ]));
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(output_ids(&run.records), all);
    assert_eq!(run.trailer["pages"], 4);
    assert_eq!(
        server.targets(),
        [
            "/api/stock?limit=4&modified_after=2026-12-01T00%3A00%3A00%2B01%3A00&offset=0",
            "/api/stock?limit=4&modified_after=2026-12-01T00%3A00%3A00%2B01%3A00&offset=3",
            "/api/stock?limit=4&modified_after=2026-12-01T00%3A00%3A00%2B01%3A00&offset=6",
            "/api/stock?limit=4&modified_after=2026-12-01T00%3A00%3A00%2B01%3A00&offset=8",
        ]
    );
}

#[test]
fn since_is_on_every_url_that_sync_cli_makes() {
    let server = globalshop(ids(5), 2);
    let run = run(list(&server.url).args(["--since", "2026-12-04T09:55:00Z"]));
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    for t in server.targets() {
        let url = target(&format!("GET {t} HTTP/1.1"));
        assert_eq!(
            param(&url, "updated_since").as_deref(),
            Some("2026-12-04T09:55:00Z"),
            "{t}"
        );
    }
    assert_eq!(server.targets().len(), 3);
}

#[test]
fn the_page_size_param_can_be_left_out() {
    let server = globalshop(ids(2), 1000);
    let run = run(list(&server.url).args(["--page-size-param", ""]));
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(server.targets(), ["/api/stock"]);
}

#[test]
fn server_time_is_null_without_a_date() {
    let server = RawServer::start(|_, _| {
        Reply::status("200 OK", &[], r#"{"items": [], "next_cursor": null}"#)
    });
    let run = run(&mut list(&server.url));
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        run.trailer,
        json!({"listing": "complete", "records": 0, "pages": 1, "server_time": null})
    );
    assert!(
        run.stderr.contains("no readable Date header"),
        "{}",
        run.stderr
    );
}

// --- what is never trusted ----------------------------------------------------------

/// A server that must never be asked anything.
fn elsewhere() -> RawServer {
    RawServer::start(|_, _| Reply::status("200 OK", &[], r#"{"items": []}"#))
}

#[test]
fn a_link_to_another_origin_is_never_followed_and_gets_no_token() {
    let other = elsewhere();
    let link = format!("<{}/api/stock?page=2>; rel=\"next\"", other.url);
    let server = RawServer::start(move |_, _| {
        json_reply(
            FIRST_DATE,
            &[("Link", &link)],
            &json!({"items": [{"product_id": "A", "quantity": 1}]}),
        )
    });
    let run = run(list(&server.url)
        .env("STOCK_API_TOKEN", TOKEN)
        .args(["--paging", "link"]));
    assert_incomplete(&run, 1, 1);
    assert_eq!(run.records[0]["status"], "ok");
    assert!(other.requests().is_empty(), "{:?}", other.requests());
    let error = error_of(&run);
    assert!(
        error.starts_with("page 2 was not read: page 1 (GET "),
        "{error}"
    );
    assert!(
        error.contains(&format!("{}/api/stock?page=2", other.url)),
        "{error}"
    );
    assert!(error.contains("not followed"), "{error}");
    // The token went to the listing's own server only.
    assert!(
        server.requests()[0]
            .to_lowercase()
            .contains(&format!("authorization: bearer {TOKEN}").to_lowercase())
    );
    assert!(!run.stderr.contains("5ecret") && !error.contains("5ecret"));
}

#[test]
fn a_cursor_that_is_a_url_on_another_origin_is_never_followed() {
    let other = elsewhere();
    let next = format!("{}/api/stock?cursor=2", other.url);
    let server = RawServer::start(move |_, _| {
        json_reply(
            FIRST_DATE,
            &[],
            &json!({"items": [{"product_id": "A", "quantity": 1}], "next_cursor": next}),
        )
    });
    let run = run(list(&server.url).env("STOCK_API_TOKEN", TOKEN));
    assert_incomplete(&run, 1, 1);
    assert!(other.requests().is_empty(), "{:?}", other.requests());
    assert!(
        error_of(&run).contains("not followed"),
        "{}",
        error_of(&run)
    );
    // Another port of the same host is another origin too.
    assert!(other.url.starts_with("http://127.0.0.1:"));
}

#[test]
fn a_cursor_that_is_a_url_on_the_same_origin_is_followed_as_given() {
    let server = RawServer::start(|n, head| {
        let body = if n == 0 {
            json!({"items": [{"product_id": "A", "quantity": 1}], "next_cursor": format!("http://{}/api/stock/next?token=abc", host(head))})
        } else {
            json!({"items": [{"product_id": "B", "quantity": 1}], "next_cursor": null})
        };
        json_reply(FIRST_DATE, &[], &body)
    });
    let run = run(list(&server.url).args(["--since", "2026-01-01T00:00:00Z"]));
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(output_ids(&run.records), ["A", "B"]);
    assert_eq!(server.targets()[1], "/api/stock/next?token=abc");
}

#[test]
fn a_cursor_given_twice_is_a_loop() {
    let server = RawServer::start(|n, _| {
        let items = json!([{"product_id": format!("P{n}"), "quantity": 1}]);
        let cursor = if n == 0 { "a" } else { "b" };
        // Page 1 gives "a", page 2 "b", page 3 "b" again.
        json_reply(
            FIRST_DATE,
            &[],
            &json!({"items": items, "next_cursor": cursor}),
        )
    });
    let run = run(&mut list(&server.url));
    assert_incomplete(&run, 3, 3);
    let error = error_of(&run);
    assert!(
        error.starts_with("page 4 was not read: page 3 (GET "),
        "{error}"
    );
    assert!(
        error.contains(r#"the cursor "b""#) && error.contains("a loop"),
        "{error}"
    );
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn a_link_back_to_an_earlier_page_is_a_loop() {
    let server = RawServer::start(|n, _| {
        let link = if n == 0 {
            "</api/stock?p=2>; rel=next"
        } else {
            "</api/stock?limit=500>; rel=next"
        };
        json_reply(
            FIRST_DATE,
            &[("Link", link)],
            &json!({"items": [{"product_id": format!("P{n}"), "quantity": 1}]}),
        )
    });
    let run = run(list(&server.url).args(["--paging", "link"]));
    assert_incomplete(&run, 2, 2);
    let error = error_of(&run);
    assert!(error.starts_with("page 3 (GET http://"), "{error}");
    assert!(
        error.contains("/api/stock?limit=500) was not read"),
        "{error}"
    );
    assert!(error.contains("a loop"), "{error}");
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn an_api_that_ignores_the_page_number_is_a_loop_not_an_endless_listing() {
    let server = RawServer::start(|_, _| {
        json_reply(
            FIRST_DATE,
            &[],
            &json!([{"sku": "W-1", "stock_quantity": 1}]),
        )
    });
    let run = run(list(&server.url).args(woocommerce_args()));
    assert_incomplete(&run, 1, 1);
    let error = error_of(&run);
    assert!(
        error.starts_with("page 2 (GET ") && error.contains("same body as an earlier page"),
        "{error}"
    );
}

#[test]
fn more_pages_than_max_pages_is_incomplete() {
    let server = globalshop(ids(6), 2);
    let run_2 = run(list(&server.url).args(["--max-pages", "2"]));
    assert_incomplete(&run_2, 4, 2);
    let error = error_of(&run_2);
    assert!(
        error.starts_with("page 3 (GET ") && error.contains("more than 2 pages (--max-pages)"),
        "{error}"
    );
    assert_eq!(server.requests().len(), 2);
    // Exactly as many pages as allowed is complete.
    let run_3 = run(list(&server.url).args(["--max-pages", "3"]));
    assert_eq!(run_3.code, Some(0), "{}", run_3.stderr);
    assert_eq!(run_3.trailer["pages"], 3);
}

#[test]
fn a_page_over_the_body_limit_ends_the_listing() {
    let server = RawServer::start(|n, _| {
        let mut items = vec![json!({"product_id": format!("P{n}"), "quantity": 1})];
        if n == 1 {
            items.extend((0..20).map(|i| json!({"product_id": format!("X{i}"), "quantity": 1})));
        }
        json_reply(
            FIRST_DATE,
            &[],
            &json!({"items": items, "next_cursor": format!("c{n}")}),
        )
    });
    let run = run(list(&server.url).args(["--max-body-bytes", "300"]));
    assert_incomplete(&run, 1, 1);
    let error = error_of(&run);
    assert!(error.starts_with("page 2: GET http://"), "{error}");
    assert!(
        error.ends_with("answered 200 OK, but the body is larger than the limit of 300 bytes"),
        "{error}"
    );
}

#[test]
fn a_failing_page_ends_the_listing_after_its_retries_keeping_earlier_records() {
    let server = RawServer::start(|n, _| {
        if n == 0 {
            json_reply(
                FIRST_DATE,
                &[],
                &json!({"items": [{"product_id": "A", "quantity": 1}, {"product_id": "B", "quantity": 2}], "next_cursor": "c2"}),
            )
        } else {
            Reply::status("503 Service Unavailable", &[("Retry-After", "0")], "busy")
        }
    });
    let output_run = run(list(&server.url).args(["--retries", "2"]));
    assert_incomplete(&output_run, 2, 1);
    assert_eq!(output_ids(&output_run.records), ["A", "B"]);
    let error = error_of(&output_run);
    assert!(
        error.starts_with("page 2: GET http://")
            && error.contains("/api/stock?limit=500&cursor=c2"),
        "{error}"
    );
    assert!(
        error.ends_with("answered 503 Service Unavailable (after 3 attempts)"),
        "{error}"
    );
    assert_eq!(server.requests().len(), 4);
}

#[test]
fn a_listing_endpoint_that_does_not_exist_says_so() {
    let server = RawServer::start(|_, _| Reply::status("404 Not Found", &[], "{}"));
    let run = run(&mut list(&server.url));
    assert_incomplete(&run, 0, 0);
    assert!(
        error_of(&run).contains("404 Not Found (check --endpoint"),
        "{}",
        error_of(&run)
    );
}

#[test]
fn pages_that_are_not_pages_of_records_end_the_listing() {
    let cases = [
        (
            "<html>maintenance</html>",
            "the body is an HTML page, not JSON",
        ),
        ("{\"items\": [", "the body is not JSON"),
        (
            r#"{"items": {"GS-1": 5}}"#,
            "the value at /items is an object, not an array of records",
        ),
        (
            r#"{"data": []}"#,
            "the body has no records at /items (--records-path)",
        ),
        (
            r#"{"items": [], "next_cursor": {"a": 1}}"#,
            "the next cursor at /next_cursor is an object",
        ),
    ];
    for (body, expected) in cases {
        let server = RawServer::start(move |n, _| {
            if n == 0 {
                json_reply(
                    FIRST_DATE,
                    &[],
                    &json!({"items": [{"product_id": "A", "quantity": 1}], "next_cursor": "c"}),
                )
            } else {
                Reply::status("200 OK", &[], body)
            }
        });
        let run = run(&mut list(&server.url));
        assert_incomplete(&run, 1, 1);
        let error = error_of(&run);
        assert!(error.starts_with("page 2 (GET "), "{error}");
        assert!(
            error.contains(&format!("answered 200 OK, but {expected}")),
            "{error}"
        );
    }
}

// --- records ---------------------------------------------------------------------------

#[test]
fn an_id_listed_again_is_refused_where_it_is_listed_again() {
    let server = RawServer::start(|n, _| {
        let body = if n == 0 {
            json!({"items": [{"product_id": "A", "quantity": 1}, {"product_id": "B", "quantity": 2}], "next_cursor": "c"})
        } else {
            json!({"items": [{"product_id": "C", "quantity": 3}, {"product_id": "A", "quantity": 9}], "next_cursor": null})
        };
        json_reply(FIRST_DATE, &[], &body)
    });
    let run = run(&mut list(&server.url));
    assert_eq!(run.code, Some(3), "{}", run.stderr);
    assert_eq!(run.trailer["listing"], "complete");
    assert_eq!(run.trailer["records"], 4);
    assert_eq!(output_ids(&run.records), ["A", "B", "C", "A"]);
    assert_eq!(run.records[0]["status"], "ok");
    // The last line of "A" is a refusal: a consumer taking the last line
    // never applies either quantity.
    let last = &run.records[3];
    assert_eq!(last["status"], "invalid_response");
    assert!(last.get("quantity").is_none());
    let error = last["error"].as_str().unwrap();
    assert!(error.starts_with("page 2 (GET http://"), "{error}");
    assert!(
        error.contains(r#"record 2: external ID "A" is listed twice"#),
        "{error}"
    );
}

#[test]
fn records_follow_fetch_s_rules() {
    let server = RawServer::start(|_, _| {
        json_reply(
            FIRST_DATE,
            &[],
            &json!({"items": [
                {"product_id": "ok", "quantity": "50"},
                {"quantity": "1"},
                {"product_id": ["x"], "quantity": "1"},
                {"product_id": "neg", "quantity": "-1"},
                {"product_id": "big", "quantity": 1e12},
                {"product_id": "nan", "quantity": "NaN"},
                {"product_id": " spaced", "quantity": "1"},
                {"product_id": 42, "quantity": 7}
            ], "next_cursor": null}),
        )
    });
    let run = run(&mut list(&server.url));
    assert_eq!(run.code, Some(3), "{}", run.stderr);
    let statuses: Vec<&str> = run
        .records
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            "ok",
            "invalid_response",
            "invalid_response",
            "invalid_response",
            "invalid_response",
            "invalid_response",
            "invalid_response",
            "ok"
        ]
    );
    // Without a readable ID: no external_id at all.
    assert!(run.records[1].get("external_id").is_none());
    assert!(run.records[2].get("external_id").is_none());
    assert!(
        run.records[1]["error"]
            .as_str()
            .unwrap()
            .ends_with("record 2: product_id is missing (--id-field /product_id)")
    );
    assert_eq!(run.records[3]["external_id"], "neg");
    assert!(
        run.records[3]["error"]
            .as_str()
            .unwrap()
            .contains(r#"quantity "-1" is negative"#)
    );
    assert!(
        run.records[4]["error"]
            .as_str()
            .unwrap()
            .contains("above the limit of 1000000000")
    );
    assert!(
        run.records[6]["error"]
            .as_str()
            .unwrap()
            .contains("starts or ends with spaces")
    );
    assert_eq!(run.records[7]["external_id"], "42");
    assert_eq!(run.records[7]["quantity"], 7.0);
    for record in &run.records[1..7] {
        assert!(record.get("quantity").is_none(), "{record}");
    }
}

#[test]
fn max_quantity_applies_to_records() {
    let server = RawServer::start(|_, _| {
        json_reply(
            FIRST_DATE,
            &[],
            &json!({"items": [{"product_id": "A", "quantity": 11}]}),
        )
    });
    let run = run(list(&server.url).args(["--max-quantity", "10"]));
    assert_eq!(run.code, Some(3));
    assert!(
        run.records[0]["error"]
            .as_str()
            .unwrap()
            .contains("above the limit of 10")
    );
}

#[test]
fn an_id_that_holds_the_token_is_not_printed() {
    let server = RawServer::start(|_, _| {
        json_reply(
            FIRST_DATE,
            &[],
            &json!({"items": [{"product_id": TOKEN, "quantity": 1}]}),
        )
    });
    let output = list(&server.url)
        .env("STOCK_API_TOKEN", TOKEN)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(3));
    assert!(!stdout.contains("5ecret"), "{stdout}");
    assert!(stdout.contains("holds the API token"), "{stdout}");
}

// --- output and exit statuses ---------------------------------------------------------

#[test]
fn records_are_printed_as_each_page_arrives() {
    let release = Arc::new(AtomicBool::new(false));
    let held = Arc::clone(&release);
    let server = RawServer::start(move |n, _| {
        if n == 1 {
            // Page 2 is answered only once page 1's records were read.
            while !held.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        let body = if n == 0 {
            json!({"items": [{"product_id": "A", "quantity": 1}, {"product_id": "B", "quantity": 1}], "next_cursor": "c"})
        } else {
            json!({"items": [{"product_id": "C", "quantity": 1}], "next_cursor": null})
        };
        json_reply(FIRST_DATE, &[], &body)
    });
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sync-cli"))
        .env_clear()
        .args(["list", "--base-url", &server.url])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let _ = tx.send(line.unwrap());
        }
    });
    let first = rx.recv_timeout(Duration::from_secs(10));
    let second = rx.recv_timeout(Duration::from_secs(10));
    release.store(true, Ordering::SeqCst);
    assert!(first.unwrap().contains(r#""external_id":"A""#));
    assert!(second.unwrap().contains(r#""external_id":"B""#));
    let rest: Vec<String> = rx.iter().collect();
    assert_eq!(rest.len(), 2, "{rest:?}");
    assert!(rest[1].contains(r#""listing":"complete""#));
    assert!(child.wait().unwrap().success());
}

#[test]
fn exit_2_on_usage_errors() {
    let cases: &[(&[&str], &str)] = &[
        (&["--records-path", "items"], "not a JSON pointer"),
        (&["--id-field", "/a~2"], "not a JSON pointer"),
        (
            &["--endpoint", "/api/stock/{id}"],
            "STOCK_API_LISTING_ENDPOINT",
        ),
        (
            &["--paging", "pages"],
            "possible values: cursor, link, page, offset",
        ),
        (&["--max-rps=-1"], "--max-rps"),
        (&["--page-size", "0"], "--page-size"),
        (&["--max-pages", "0"], "--max-pages"),
        (&["--cursor-param", ""], "cannot be empty"),
        (&["--since", " "], "--since needs a time"),
    ];
    for (args, expected) in cases {
        let output = cmd()
            .args(["list", "--base-url", "http://127.0.0.1:9"])
            .args(*args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty());
    }
    let output = cmd().arg("list").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--base-url"));
    let output = cmd()
        .args(["list", "--base-url", "ftp://h"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn environment_variables_of_list() {
    let server = globalshop(ids(1), 10);
    let output = cmd()
        .env("STOCK_API_URL", &server.url)
        .env("STOCK_API_ENDPOINT", "/wrong/{id}")
        .env("STOCK_API_LISTING_ENDPOINT", "/api/stock?warehouse=WH")
        .arg("list")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(server.targets(), ["/api/stock?warehouse=WH&limit=500"]);
}

#[test]
fn a_connection_refused_is_incomplete_with_nothing_printed_but_the_trailer() {
    let run = run(&mut list(&common::closed_port_url()));
    assert_incomplete(&run, 0, 0);
    assert!(
        error_of(&run).starts_with("page 1: GET http://127.0.0.1:"),
        "{}",
        error_of(&run)
    );
}

// --- the examples of `list --help` work --------------------------------------------

/// A server of every example's API, by path.
fn universal() -> RawServer {
    RawServer::start(|_, head| {
        let url = target(head);
        match url.path() {
            "/api/stock" => {
                let next = if param(&url, "cursor").is_none() {
                    json!("c1")
                } else {
                    Value::Null
                };
                let id = if next.is_null() { "GS-1002" } else { "GS-1001" };
                json_reply(
                    FIRST_DATE,
                    &[],
                    &json!({"items": [{"product_id": id, "quantity": "5"}], "next_cursor": next}),
                )
            }
            "/admin/api/2024-01/inventory_levels.json" => {
                let first = param(&url, "page_info").is_none();
                let link = format!(
                    "<http://{}{}?page_info=2>; rel=\"next\"",
                    host(head),
                    url.path()
                );
                let extra: Vec<(&str, &str)> = if first { vec![("Link", &link)] } else { vec![] };
                let id = if first { 1 } else { 2 };
                json_reply(
                    FIRST_DATE,
                    &extra,
                    &json!({"inventory_levels": [{"inventory_item_id": id, "available": 3}]}),
                )
            }
            "/wp-json/wc/v3/products" => {
                let page = param(&url, "page").unwrap();
                let body = if page == "1" {
                    json!([{"sku": "W-1", "stock_quantity": 2}])
                } else {
                    json!([])
                };
                json_reply(FIRST_DATE, &[], &body)
            }
            "/v1/stock" => {
                let offset = param(&url, "offset").unwrap();
                let body = if offset == "0" {
                    json!({"data": [{"sku": "E-1", "on_hand": 4}]})
                } else {
                    json!({"data": []})
                };
                json_reply(FIRST_DATE, &[], &body)
            }
            other => Reply::status("404 Not Found", &[], other),
        }
    })
}

/// Splits an example's command line as a shell would (spaces, single quotes).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                word.get_or_insert_with(String::new);
            }
            ' ' if !quoted => words.extend(word.take()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

#[test]
fn every_example_of_list_help_works() {
    let output = cmd().args(["list", "--help"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let help = String::from_utf8(output.stdout).unwrap();
    let examples = help
        .split("Examples, one per paging style:")
        .nth(1)
        .unwrap();
    let mut commands = Vec::new();
    let mut current = String::new();
    for line in examples.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(start) = line.strip_suffix('\\') {
            current.push_str(start);
        } else {
            current.push_str(line);
            commands.push(std::mem::take(&mut current));
        }
    }
    assert_eq!(commands.len(), 5, "{commands:?}");
    let server = universal();
    for command in &commands {
        let mut words = shell_words(command);
        let mut run_cmd = cmd();
        if let Some(assignment) = words.first().filter(|w| w.contains('=')).cloned() {
            let (name, _) = assignment.split_once('=').unwrap();
            run_cmd.env(name, &server.url);
            words.remove(0);
        }
        assert_eq!(words[0], "sync-cli", "{command}");
        // The same command, against the test's server (a later --base-url
        // wins).
        let result = run(run_cmd.args(&words[1..]).args(["--base-url", &server.url]));
        assert_eq!(result.code, Some(0), "{command}: {}", result.stderr);
        assert_eq!(result.trailer["listing"], "complete", "{command}");
        assert!(!result.records.is_empty(), "{command}");
        assert!(
            result.records.iter().all(|r| r["status"] == "ok"),
            "{command}: {:?}",
            result.records
        );
    }
    for style in ["--paging link", "--paging page", "--paging offset"] {
        assert!(commands.iter().any(|c| c.contains(style)), "{style}");
    }
}
