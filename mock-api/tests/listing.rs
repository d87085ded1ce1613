//! The listing (`GET /api/stock`), `updated_at`, the `Date` header and the
//! clock offset, through `app()`.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::http::{StatusCode, header};
use common::{Answer, get, put};
use mock_api::clock::{parse_rfc3339, rfc3339};
use mock_api::{AppState, Clock, Fault, Product, Settings, app};
use serde_json::{Value, json};

/// 2026-12-04T10:00:00Z
const T0: u64 = 1_796_378_400;

fn at(secs_after_t0: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(T0 + secs_after_t0)
}

fn serve(products: Vec<Product>) -> Router {
    app(AppState::new(products, Settings::default()))
}

/// `count` products `P-000`, `P-001`, ..., given in reverse order.
fn numbered(count: usize) -> Vec<Product> {
    (0..count)
        .rev()
        .map(|n| Product::new(format!("P-{n:03}"), n.to_string()))
        .collect()
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["product_id"].as_str().unwrap().to_owned())
        .collect()
}

/// The `Date` header, read with a parser of its own.
fn date(answer: &Answer) -> SystemTime {
    let date = answer.headers[header::DATE].to_str().unwrap();
    httpdate::parse_http_date(date).unwrap()
}

fn near(a: SystemTime, b: SystemTime, tolerance: Duration) -> bool {
    let gap = a.duration_since(b).or_else(|e| Ok::<_, ()>(e.duration()));
    gap.unwrap() <= tolerance
}

#[tokio::test]
async fn pages_in_id_order_to_the_end_with_the_cursor() {
    let router = serve(numbered(25));
    let mut uri = "/api/stock?limit=10".to_owned();
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    loop {
        let answer = get(&router, &uri).await;
        assert_eq!(answer.status, StatusCode::OK, "{uri}");
        assert_eq!(answer.content_type(), "application/json");
        let page = answer.json();
        for item in page["items"].as_array().unwrap() {
            let keys: BTreeSet<&str> = item
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(
                keys,
                BTreeSet::from(["product_id", "quantity", "updated_at"])
            );
        }
        sizes.push(ids(&page).len());
        seen.extend(ids(&page));
        match &page["next_cursor"] {
            Value::Null => break,
            Value::String(cursor) => uri = format!("/api/stock?limit=10&cursor={cursor}"),
            other => panic!("next_cursor {other}"),
        }
    }
    assert_eq!(sizes, [10, 10, 5]);
    let expected: Vec<String> = (0..25).map(|n| format!("P-{n:03}")).collect();
    assert_eq!(seen, expected);
    let first = get(&router, "/api/stock?limit=1").await.json();
    assert_eq!(first["items"][0]["quantity"], "0");
}

#[tokio::test]
async fn a_page_that_ends_the_listing_exactly_has_a_null_cursor() {
    let router = serve(numbered(4));
    let page = get(&router, "/api/stock?limit=4").await.json();
    assert_eq!(ids(&page).len(), 4);
    assert_eq!(page["next_cursor"], Value::Null);
    let empty = get(&serve(Vec::new()), "/api/stock").await.json();
    assert_eq!(empty, json!({"items": [], "next_cursor": null}));
}

#[tokio::test]
async fn ids_keeps_only_the_products_asked_for() {
    let router = serve(numbered(25));
    let page = get(&router, "/api/stock?ids=P-003,P-017,P-999")
        .await
        .json();
    assert_eq!(ids(&page), ["P-003", "P-017"]);
    assert_eq!(page["next_cursor"], Value::Null);
    // Paged as any listing: one product a page, then the next.
    let first = get(&router, "/api/stock?ids=P-017,P-003&limit=1")
        .await
        .json();
    assert_eq!(ids(&first), ["P-003"]);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let second = get(
        &router,
        &format!("/api/stock?ids=P-017,P-003&limit=1&cursor={cursor}"),
    )
    .await
    .json();
    assert_eq!(ids(&second), ["P-017"]);
    assert_eq!(second["next_cursor"], Value::Null);
}

#[tokio::test]
async fn limit_defaults_to_500_and_is_capped_at_1000() {
    let router = serve(numbered(1500));
    for (query, expected) in [
        ("", 500),
        ("?limit=1", 1),
        ("?limit=999", 999),
        ("?limit=1000", 1000),
        ("?limit=1001", 1000),
        ("?limit=5000", 1000),
        ("?limit=123456789012345678901234567890", 1000),
    ] {
        let page = get(&router, &format!("/api/stock{query}")).await.json();
        assert_eq!(ids(&page).len(), expected, "{query}");
        assert!(page["next_cursor"].is_string(), "{query}");
    }
}

#[tokio::test]
async fn bad_parameters_answer_400_naming_them() {
    let router = serve(numbered(3));
    for (query, parameter) in [
        ("limit=0", "limit"),
        ("limit=-1", "limit"),
        ("limit=ten", "limit"),
        ("limit=", "limit"),
        ("limit=2.5", "limit"),
        ("limit=1&limit=2", "limit"),
        ("cursor=zz", "cursor"),
        ("cursor=abc", "cursor"),
        ("cursor=P-001", "cursor"),
        ("updated_since=yesterday", "updated_since"),
        ("updated_since=2026-12-04", "updated_since"),
        ("updated_since=2026-12-04T10:00:00", "updated_since"),
        ("updated_since=2026-12-04T11:00:00+01:00", "updated_since"),
    ] {
        let answer = get(&router, &format!("/api/stock?{query}")).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(answer.content_type(), "application/json", "{query}");
        let body = answer.json();
        assert_eq!(body["parameter"], parameter, "{query}");
        let error = body["error"].as_str().unwrap();
        assert!(error.starts_with(parameter), "{query}: {error}");
    }
    let answer = get(&router, "/api/stock?limit=%zz").await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.json()["error"].is_string());
}

#[tokio::test]
async fn updated_since_keeps_the_products_changed_at_or_after_it() {
    let router = serve(vec![
        Product::new("A", "1").updated_at(at(0)),
        Product::new("B", "2").updated_at(at(10)),
        Product::new("C", "3").updated_at(at(20)),
        Product::new("D", "4").updated_at(at(5)),
    ]);
    let all = get(&router, "/api/stock").await.json();
    assert_eq!(all["items"][0]["updated_at"], "2026-12-04T10:00:00Z");
    assert_eq!(all["items"][2]["updated_at"], "2026-12-04T10:00:20Z");
    for (since, expected) in [
        ("2026-12-04T10:00:10Z", vec!["B", "C"]),
        ("2026-12-04T11:00:10%2B01:00", vec!["B", "C"]),
        ("2026-12-04T10:00:09.5Z", vec!["B", "C"]),
        ("2026-12-04T10:00:10.5Z", vec!["C"]),
        ("2026-12-04T09:00:00Z", vec!["A", "B", "C", "D"]),
        ("2026-12-04T10:00:21Z", vec![]),
    ] {
        let page = get(&router, &format!("/api/stock?updated_since={since}"))
            .await
            .json();
        assert_eq!(ids(&page), expected, "{since}");
    }
    // The filter holds across pages.
    let page = get(
        &router,
        "/api/stock?updated_since=2026-12-04T10:00:05Z&limit=2",
    )
    .await
    .json();
    assert_eq!(ids(&page), ["B", "C"]);
    let cursor = page["next_cursor"].as_str().unwrap();
    let page = get(
        &router,
        &format!("/api/stock?updated_since=2026-12-04T10:00:05Z&limit=2&cursor={cursor}"),
    )
    .await
    .json();
    assert_eq!(ids(&page), ["D"]);
    assert_eq!(page["next_cursor"], Value::Null);
}

#[tokio::test]
async fn a_put_that_changes_a_product_stamps_its_updated_at() {
    let router = serve(vec![
        Product::new("A", "1").updated_at(at(0)),
        Product::new("B", "2").updated_at(at(0)),
    ]);
    let answer = put(&router, "/api/stock/A", r#"{"quantity": "7"}"#).await;
    assert_eq!(answer.status, StatusCode::OK);
    let put_date = date(&answer);
    // Same quantity: nothing changes, updated_at neither.
    assert_eq!(
        put(&router, "/api/stock/B", r#"{"quantity": 2.0}"#)
            .await
            .status,
        StatusCode::OK
    );
    let created = put(&router, "/api/stock/C", r#"{"quantity": "3"}"#).await;
    assert_eq!(created.status, StatusCode::CREATED);

    let since = rfc3339(put_date);
    let delta = get(&router, &format!("/api/stock?updated_since={since}"))
        .await
        .json();
    assert_eq!(ids(&delta), ["A", "C"]);
    assert_eq!(delta["items"][0]["quantity"], "7");
    let stamp = delta["items"][0]["updated_at"].as_str().unwrap();
    assert!(stamp >= since.as_str(), "{stamp} < {since}");
    let all = get(&router, "/api/stock").await.json();
    assert_eq!(all["items"][1]["updated_at"], "2026-12-04T10:00:00Z");
}

#[tokio::test]
async fn every_answer_carries_a_date_header() {
    let settings = Settings {
        token: Some("tok".into()),
        ..Settings::default()
    };
    let router = app(AppState::new(mock_api::demo_products(), settings));
    let before = SystemTime::now() - Duration::from_secs(1);
    for uri in ["/health", "/api/stock", "/api/stock/GS-1001", "/nowhere"] {
        let answer = get(&router, uri).await;
        let date = date(&answer);
        assert!(near(date, before, Duration::from_secs(5)), "{uri}");
    }
}

#[tokio::test]
async fn the_clock_offset_shifts_date_updated_at_and_the_filter() {
    let real_now = SystemTime::now();
    let hour = Duration::from_secs(3600);
    let settings = Settings {
        clock: Clock::with_offset_secs(3600),
        ..Settings::default()
    };
    let router = app(AppState::new(vec![Product::new("A", "1")], settings));

    let answer = get(&router, "/api/stock").await;
    assert!(near(date(&answer), real_now + hour, Duration::from_secs(5)));
    let stamp = answer.json()["items"][0]["updated_at"]
        .as_str()
        .unwrap()
        .to_owned();
    let stamp = parse_rfc3339(&stamp).unwrap();
    assert!(near(stamp, real_now + hour, Duration::from_secs(5)));

    // Loaded at "now + 1 h" on the API's clock: after half an hour from now.
    let half = rfc3339(real_now + hour / 2);
    let page = get(&router, &format!("/api/stock?updated_since={half}"))
        .await
        .json();
    assert_eq!(ids(&page), ["A"]);
    let later = rfc3339(real_now + hour * 2);
    let page = get(&router, &format!("/api/stock?updated_since={later}"))
        .await
        .json();
    assert_eq!(ids(&page), Vec::<String>::new());

    let behind = Settings {
        clock: Clock::with_offset_secs(-7200),
        ..Settings::default()
    };
    let router = app(AppState::new(vec![Product::new("A", "1")], behind));
    let answer = get(&router, "/health").await;
    assert!(near(
        date(&answer),
        real_now - hour * 2,
        Duration::from_secs(5)
    ));
    let since = rfc3339(real_now - hour);
    let page = get(&router, &format!("/api/stock?updated_since={since}"))
        .await
        .json();
    assert_eq!(ids(&page), Vec::<String>::new());
}

#[tokio::test]
async fn listing_error_503_fails_the_pages_that_hold_its_product() {
    let mut products = numbered(10);
    products[2] = Product::new("P-007", "7").with_fault(Fault::ListingError503);
    let router = serve(products);

    let first = get(&router, "/api/stock?limit=5").await;
    assert_eq!(first.status, StatusCode::OK);
    let cursor = first.json()["next_cursor"].as_str().unwrap().to_owned();
    let second = get(&router, &format!("/api/stock?limit=5&cursor={cursor}")).await;
    assert_eq!(second.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(second.json()["error"].is_string());
    // Every time, not once.
    let again = get(&router, &format!("/api/stock?limit=5&cursor={cursor}")).await;
    assert_eq!(again.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        get(&router, "/api/stock").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    // The product itself answers normally.
    let own = get(&router, "/api/stock/P-007").await;
    assert_eq!(own.status, StatusCode::OK);
    assert_eq!(own.json(), json!({"product_id": "P-007", "quantity": "7"}));
}

#[tokio::test]
async fn faults_that_give_a_bad_quantity_give_it_in_the_listing_too() {
    let router = app(AppState::demo());
    let page = get(&router, "/api/stock?limit=1000").await.json();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 12 + 3 + Fault::ALL.len() - 1 + 3);
    let item = |id: &str| {
        let mut item = items
            .iter()
            .find(|item| item["product_id"] == id)
            .unwrap()
            .clone();
        item.as_object_mut().unwrap().remove("updated_at");
        item
    };
    assert_eq!(
        item("GS-1003"),
        json!({"product_id": "GS-1003", "quantity": "0"})
    );
    assert_eq!(
        item("GS-9001"),
        json!({"product_id": "GS-9001", "quantity": "10"})
    );
    assert_eq!(
        item("GS-9006"),
        json!({"product_id": "GS-9006", "quantity": "-5"})
    );
    assert_eq!(
        item("GS-9007"),
        json!({"product_id": "GS-9007", "quantity": "lots"})
    );
    assert_eq!(item("GS-9013"), json!({"product_id": "GS-9013"}));
    assert_eq!(
        item("GS-9014"),
        json!({"product_id": "GS-9014", "quantity": "11", "locations": [
            {"location": "PARIS", "quantity": "6"}, {"location": "LYON", "quantity": "4"}
        ]})
    );
    assert_eq!(
        item("GS-9015"),
        json!({"product_id": "GS-9015", "quantity": "10", "locations": [
            {"location": "PARIS", "quantity": "6"}, {"location": "LYON", "quantity": "4"},
            {"location": "PARIS", "quantity": "0"}
        ]})
    );
}
