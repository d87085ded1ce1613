//! `sync-cli list` end to end against mock-api's own listing (in process):
//! GlobalShop's shape with the defaults, a page failing in the middle, a
//! delta since a time, and mock-api's rate limit met without a refusal.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions

mod common;

use std::time::{Duration, SystemTime};

use common::{Server, cmd, json_lines, output_ids};
use mock_api::{Fault, Product, Settings};
use serde_json::Value;

fn list(server: &Server) -> assert_cmd::Command {
    let mut cmd = cmd();
    cmd.args(["list", "--base-url", &server.url, "--timeout", "5"]);
    cmd
}

/// Runs and splits the output into records and trailer.
fn run(cmd: &mut assert_cmd::Command) -> (Option<i32>, Vec<Value>, Value) {
    let output = cmd.output().unwrap();
    let mut lines = json_lines(&output.stdout);
    let trailer = lines
        .pop()
        .unwrap_or_else(|| panic!("{}", String::from_utf8_lossy(&output.stderr)));
    (output.status.code(), lines, trailer)
}

#[test]
fn the_demo_listing_with_the_defaults() {
    let server = Server::demo();
    let (code, records, trailer) = run(list(&server).args(["--page-size", "5"]));
    let expected: Vec<String> = server
        .state
        .products()
        .iter()
        .map(|p| p.product_id.clone())
        .collect();
    assert_eq!(output_ids(&records), expected);
    assert_eq!(trailer["listing"], "complete", "{trailer}");
    assert_eq!(trailer["pages"], expected.len().div_ceil(5) as u64);
    let gs_1001 = records
        .iter()
        .find(|r| r["external_id"] == "GS-1001")
        .unwrap();
    assert_eq!(gs_1001["status"], "ok");
    assert_eq!(gs_1001["quantity"], 50.0);
    // The faults that give a bad quantity give it in the listing too.
    assert!(records.iter().any(|r| r["status"] == "invalid_response"));
    assert_eq!(code, Some(3));
    // server_time: the API's clock, RFC 3339, to the second.
    let server_time = trailer["server_time"].as_str().unwrap();
    assert_eq!(server_time.len(), 20, "{server_time}");
    assert!(server_time.ends_with('Z'));
}

#[test]
fn a_page_failing_in_the_middle_keeps_the_pages_before_it() {
    let mut products: Vec<Product> = (1..=10)
        .map(|n| Product::new(format!("P-{n:02}"), "4"))
        .collect();
    products[6] = Product::new("P-07", "4").with_fault(Fault::ListingError503);
    let server = Server::with(products, Settings::default());
    let (code, records, trailer) = run(list(&server).args(["--page-size", "3", "--retries", "1"]));
    assert_eq!(code, Some(1));
    assert_eq!(
        output_ids(&records),
        ["P-01", "P-02", "P-03", "P-04", "P-05", "P-06"]
    );
    assert_eq!(trailer["listing"], "incomplete");
    assert_eq!(trailer["pages"], 2);
    let error = trailer["error"].as_str().unwrap();
    assert!(error.starts_with("page 3: GET http://"), "{error}");
    assert!(
        error.ends_with("answered 503 Service Unavailable (after 2 attempts)"),
        "{error}"
    );
}

#[test]
fn a_delta_since_a_time_lists_what_changed() {
    let hour_ago = SystemTime::now() - Duration::from_secs(3600);
    let products = (1..=6)
        .map(|n| Product::new(format!("P-{n}"), "1").updated_at(hour_ago))
        .collect();
    let server = Server::with(products, Settings::default());
    server.state.set_quantity("P-4", "9".into());
    let since = sync_cli::listing::rfc3339(SystemTime::now() - Duration::from_secs(600));
    let (code, records, trailer) = run(list(&server).args(["--since", &since]));
    assert_eq!(code, Some(0), "{trailer}");
    assert_eq!(output_ids(&records), ["P-4"]);
    assert_eq!(records[0]["quantity"], 9.0);
}

#[test]
fn mock_api_s_rate_limit_is_met_without_a_refusal() {
    // 2 requests a second: each answer says what is left, and the one that
    // spends the quota holds sync-cli until its reset.
    let products = (1..=7)
        .map(|n| Product::new(format!("P-{n}"), "1"))
        .collect();
    let settings = Settings {
        rate_limit: 2,
        ..Settings::default()
    };
    let server = Server::with(products, settings);
    let (code, records, trailer) = run(list(&server).args(["--page-size", "1"]));
    assert_eq!(code, Some(0), "{trailer}");
    assert_eq!(records.len(), 7);
    assert_eq!(server.state.rate_limiter().unwrap().refused(), 0);
}

#[test]
fn fetch_with_max_rps_meets_mock_api_s_rate_limit_without_a_refusal() {
    let settings = Settings {
        rate_limit: 2,
        ..Settings::default()
    };
    let server = Server::with(mock_api::demo_products(), settings);
    let output = server
        .fetch()
        .args(["--concurrency", "4", "--max-rps", "2"])
        .args([
            "GS-1001", "GS-1002", "GS-1003", "GS-1004", "GS-1005", "GS-1006",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(server.state.rate_limiter().unwrap().refused(), 0);
}

#[test]
fn one_product_of_100_000_is_one_request_with_ids_param() {
    // A click on one product in listing mode: mock-api's listing filtered
    // by its `ids` parameter, as `list --ids-param ids` asks it.
    let products = (0..100_000)
        .map(|n| Product::new(format!("P-{n:06}"), "3"))
        .collect();
    let server = Server::with(products, Settings::default());
    let (code, lines, trailer) =
        run(list(&server).args(["--ids-param", "ids", "P-054321", "P-999999"]));
    assert_eq!(code, Some(3), "{trailer}");
    assert_eq!(output_ids(&lines), ["P-054321", "P-999999"]);
    assert_eq!(lines[0]["status"], "ok");
    assert_eq!(lines[0]["quantity"], 3.0);
    assert_eq!(lines[0]["attempts"], 1);
    assert_eq!(lines[1]["reason"], "not_listed");
    // One page, so one request.
    assert_eq!(trailer["pages"], 1, "{trailer}");
    assert_eq!(trailer["listing"], "complete");
}
