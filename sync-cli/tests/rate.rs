//! The request rate, measured where it matters, on the server: `--max-rps`
//! for `fetch` and `list`, and the hold after an answer saying the API's
//! quota is spent.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions

mod common;

use std::time::{Duration, Instant};

use common::{RawServer, Reply, cmd, json_lines};
use serde_json::json;

/// Arrival jitter allowed for on the server's clock: a request leaves
/// sync-cli on its slot, but reaches the server's handler a little later or
/// sooner than the one before it.
const JITTER: Duration = Duration::from_millis(50);

/// One second, less that jitter: no window this long may hold more than the
/// cap.
const WINDOW: Duration = Duration::from_millis(1000 - 50);

/// The most requests that arrived within any window of `window`.
fn most_in_any_window(arrivals: &[Instant], window: Duration) -> usize {
    let mut sorted = arrivals.to_vec();
    sorted.sort();
    (0..sorted.len())
        .map(|i| {
            sorted[i..]
                .iter()
                .take_while(|&&t| t < sorted[i] + window)
                .count()
        })
        .max()
        .unwrap_or(0)
}

fn ok_body(head: &str) -> String {
    let path = head.split(' ').nth(1).unwrap();
    let id = path.rsplit('/').next().unwrap();
    json!({"product_id": id, "quantity": "1"}).to_string()
}

/// Answers every product at once.
fn echo_server() -> RawServer {
    RawServer::start(|_, head| Reply::status("200 OK", &[], &ok_body(head)))
}

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("GS-{i}")).collect()
}

#[test]
fn fetch_never_sends_more_than_max_rps_whatever_the_concurrency() {
    let server = echo_server();
    let output = cmd()
        .args(["fetch", "--base-url", &server.url])
        .args(["--concurrency", "8", "--max-rps", "5"])
        .args(ids(16))
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let arrivals = server.arrivals();
    assert_eq!(arrivals.len(), 16);
    let most = most_in_any_window(&arrivals, WINDOW);
    assert!(most <= 5, "{most} requests within one second");
    // And not much slower than the cap: 16 requests, 5 a second, take 3 s
    // (the margin is for a busy machine).
    let span = *arrivals.iter().max().unwrap() - *arrivals.iter().min().unwrap();
    assert!(span < Duration::from_secs(5), "{span:?}");
}

#[test]
fn without_max_rps_the_same_run_is_not_slowed_down() {
    // The control of the test above: the server does see bursts.
    let server = echo_server();
    let output = cmd()
        .args(["fetch", "--base-url", &server.url, "--concurrency", "8"])
        .args(ids(16))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(most_in_any_window(&server.arrivals(), Duration::from_secs(1)) > 5);
}

#[test]
fn list_never_sends_more_than_max_rps() {
    // Nine pages of one record each.
    let server = RawServer::start(|n, _| {
        let next = (n < 8).then(|| format!("c{}", n + 1));
        let body =
            json!({"items": [{"product_id": format!("P{n}"), "quantity": 1}], "next_cursor": next});
        Reply::status("200 OK", &[], &body.to_string())
    });
    let output = cmd()
        .args(["list", "--base-url", &server.url, "--max-rps", "4"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(json_lines(&output.stdout).len(), 10);
    let arrivals = server.arrivals();
    assert_eq!(arrivals.len(), 9);
    let most = most_in_any_window(&arrivals, WINDOW);
    assert!(most <= 4, "{most} requests within one second");
}

#[test]
fn retries_count_against_max_rps_too() {
    // Every first attempt fails at once: without the cap on retries, each ID
    // would send its three attempts within milliseconds.
    let server = RawServer::start(|n, head| {
        if n % 3 == 2 {
            Reply::status("200 OK", &[], &ok_body(head))
        } else {
            Reply::status("503 Service Unavailable", &[("Retry-After", "0")], "")
        }
    });
    let output = cmd()
        .args(["fetch", "--base-url", &server.url, "--concurrency", "1"])
        .args(["--max-rps", "4", "--retries", "5"])
        .args(ids(3))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let arrivals = server.arrivals();
    assert_eq!(arrivals.len(), 9);
    let most = most_in_any_window(&arrivals, WINDOW);
    assert!(most <= 4, "{most} requests within one second");
}

/// Index and arrival of the request for `id`.
fn arrival_of(server: &RawServer, id: &str) -> Instant {
    let requests = server.requests();
    let n = requests
        .iter()
        .position(|head| head.starts_with(&format!("GET /api/stock/{id} ")))
        .unwrap();
    server.arrivals()[n]
}

#[test]
fn a_spent_quota_holds_every_worker_until_its_reset() {
    // GS-0 is answered at once, saying the quota is spent until 1 s from
    // now; the others after 100 ms. Four workers: GS-0..GS-3 are in flight
    // before the quota answer; every later request waits for the reset.
    let server = RawServer::start(|_, head| {
        if head.starts_with("GET /api/stock/GS-0 ") {
            return Reply::status(
                "200 OK",
                &[("RateLimit-Remaining", "0"), ("RateLimit-Reset", "1")],
                &ok_body(head),
            );
        }
        std::thread::sleep(Duration::from_millis(100));
        Reply::status("200 OK", &[("RateLimit-Remaining", "7")], &ok_body(head))
    });
    let output = cmd()
        .args(["fetch", "--base-url", &server.url, "--concurrency", "4"])
        .args(ids(8))
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let quota = arrival_of(&server, "GS-0");
    let arrivals = server.arrivals();
    assert_eq!(arrivals.len(), 8);
    let held: Vec<Duration> = arrivals
        .iter()
        .filter(|&&t| t > quota + JITTER)
        .map(|&t| t - quota)
        .collect();
    // The requests after the first four, each no earlier than the reset.
    assert!(held.len() >= 4, "{held:?}");
    for wait in &held {
        assert!(*wait >= Duration::from_millis(900), "{held:?}");
    }
}

#[test]
fn a_spent_x_ratelimit_quota_holds_the_next_page() {
    let server = RawServer::start(|n, _| {
        let body = json!({"items": [{"product_id": format!("P{n}"), "quantity": 1}], "next_cursor": (n == 0).then_some("c")});
        let headers: &[(&str, &str)] = if n == 0 {
            &[("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "1")]
        } else {
            &[]
        };
        Reply::status("200 OK", headers, &body.to_string())
    });
    let output = cmd()
        .args(["list", "--base-url", &server.url])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let arrivals = server.arrivals();
    assert_eq!(arrivals.len(), 2);
    let wait = arrivals[1] - arrivals[0];
    assert!(wait >= Duration::from_millis(900), "{wait:?}");
    assert!(wait < Duration::from_secs(3), "{wait:?}");
}

#[test]
fn a_quota_with_requests_left_holds_nothing() {
    let server = RawServer::start(|n, _| {
        let body = json!({"items": [{"product_id": format!("P{n}"), "quantity": 1}], "next_cursor": (n == 0).then_some("c")});
        Reply::status(
            "200 OK",
            &[("RateLimit-Remaining", "1"), ("RateLimit-Reset", "5")],
            &body.to_string(),
        )
    });
    let start = Instant::now();
    let output = cmd()
        .args(["list", "--base-url", &server.url])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
}
