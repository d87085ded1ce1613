//! Quantities per location: in the answers, the listing, a `PUT` and the
//! faults of locations, through `app()`.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions

mod common;

use std::time::{Duration, SystemTime};

use axum::Router;
use axum::http::StatusCode;
use common::{get, put};
use mock_api::clock::rfc3339;
use mock_api::{AppState, Fault, Location, Product, Settings, app};
use serde_json::{Value, json};

/// 2026-12-04T10:00:00Z
const T0: u64 = 1_796_378_400;

fn at(secs_after_t0: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(T0 + secs_after_t0)
}

fn serve(products: Vec<Product>) -> (AppState, Router) {
    let state = AppState::new(products, Settings::default());
    (state.clone(), app(state))
}

fn demo() -> Router {
    app(AppState::demo())
}

fn body(answer: &common::Answer) -> &str {
    std::str::from_utf8(&answer.body).unwrap()
}

/// The listing's item for `id`.
async fn listed(router: &Router, id: &str) -> Value {
    let page = get(router, "/api/stock?limit=1000").await.json();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["product_id"] == id)
        .unwrap_or_else(|| panic!("{id} not listed"))
        .clone()
}

#[tokio::test]
async fn a_located_product_answers_its_locations_in_order() {
    let router = demo();
    let answer = get(&router, "/api/stock/GS-1013").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        body(&answer),
        r#"{"product_id":"GS-1013","quantity":"45","locations":[{"location":"PARIS","quantity":"30"},{"location":"LYON","quantity":"15"}]}"#
    );
    // A product without locations answers exactly as before.
    let plain = get(&router, "/api/stock/GS-1001").await;
    assert_eq!(body(&plain), r#"{"product_id":"GS-1001","quantity":"50"}"#);
}

#[tokio::test]
async fn the_listing_shows_the_locations_before_updated_at() {
    let (_, router) = serve(vec![
        Product::located("A", &[("LYON", "2.5"), ("PARIS", "1")]).updated_at(at(0)),
        Product::new("B", "4").updated_at(at(0)),
    ]);
    let page = get(&router, "/api/stock").await;
    assert_eq!(
        body(&page),
        concat!(
            r#"{"items":[{"product_id":"A","quantity":"3.5","locations":[{"location":"LYON","quantity":"2.5"},{"location":"PARIS","quantity":"1"}],"updated_at":"2026-12-04T10:00:00Z"},"#,
            r#"{"product_id":"B","quantity":"4","updated_at":"2026-12-04T10:00:00Z"}],"next_cursor":null}"#
        )
    );
}

#[tokio::test]
async fn a_put_of_locations_sets_them_and_their_sum() {
    let (state, router) = serve(vec![Product::new("A", "1").updated_at(at(0))]);
    let answer = put(
        &router,
        "/api/stock/A",
        r#"{"locations": [{"location": "PARIS", "quantity": "30"}, {"location": "LYON", "quantity": 20.5}]}"#,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", body(&answer));
    let expected = json!({"product_id": "A", "quantity": "50.5", "locations": [
        {"location": "PARIS", "quantity": "30"}, {"location": "LYON", "quantity": "20.5"}
    ]});
    assert_eq!(answer.json(), expected);
    assert_eq!(get(&router, "/api/stock/A").await.json(), expected);
    let mut item = listed(&router, "A").await;
    let stamp = item.as_object_mut().unwrap().remove("updated_at").unwrap();
    assert_eq!(item, expected);
    // updated_at moved from its load time to the PUT's.
    let stamp = stamp.as_str().unwrap().to_owned();
    assert!(
        stamp >= rfc3339(SystemTime::now() - Duration::from_secs(5)),
        "{stamp}"
    );
    assert_eq!(state.products()[0].quantity, "50.5");
}

#[tokio::test]
async fn the_same_locations_again_change_nothing() {
    let (_, router) = serve(vec![
        Product::located("A", &[("PARIS", "30"), ("LYON", "20")]).updated_at(at(0)),
    ]);
    // Another order, other writings of the same numbers, the total given.
    let same = put(
        &router,
        "/api/stock/A",
        r#"{"quantity": 50, "locations": [{"location": "LYON", "quantity": "20.0"}, {"location": "PARIS", "quantity": 30}]}"#,
    )
    .await;
    assert_eq!(same.status, StatusCode::OK, "{}", body(&same));
    let item = listed(&router, "A").await;
    assert_eq!(item["updated_at"], "2026-12-04T10:00:00Z");
    assert_eq!(item["locations"][0]["location"], "PARIS", "kept as it was");

    // One location more, even at 0, is a change.
    let more = put(
        &router,
        "/api/stock/A",
        r#"{"locations": [{"location": "PARIS", "quantity": "30"}, {"location": "LYON", "quantity": "20"}, {"location": "NICE", "quantity": "0"}]}"#,
    )
    .await;
    assert_eq!(more.status, StatusCode::OK);
    let item = listed(&router, "A").await;
    assert_ne!(item["updated_at"], "2026-12-04T10:00:00Z");
    assert_eq!(item["quantity"], "50");
    assert_eq!(item["locations"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn a_put_of_locations_creates_an_unknown_product() {
    let router = demo();
    let answer = put(
        &router,
        "/api/stock/NEW-1",
        r#"{"locations": [{"location": "LYON", "quantity": "3"}]}"#,
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    assert_eq!(
        get(&router, "/api/stock/NEW-1").await.json(),
        json!({"product_id": "NEW-1", "quantity": "3", "locations": [{"location": "LYON", "quantity": "3"}]})
    );
}

#[tokio::test]
async fn a_quantity_alone_is_refused_for_a_located_product() {
    let router = demo();
    let answer = put(&router, "/api/stock/GS-1013", r#"{"quantity": "60"}"#).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let error = answer.json()["error"].as_str().unwrap().to_owned();
    assert!(
        error.starts_with(
            r#"product "GS-1013" is stocked per location (PARIS, LYON): PUT its locations"#
        ),
        "{error}"
    );
    assert_eq!(
        get(&router, "/api/stock/GS-1013").await.json()["quantity"],
        "45"
    );
    // A plain product takes a quantity as before.
    let plain = put(&router, "/api/stock/GS-1001", r#"{"quantity": "60"}"#).await;
    assert_eq!(plain.status, StatusCode::OK);
}

#[tokio::test]
async fn bad_locations_in_a_put_answer_400_saying_what_is_wrong() {
    let router = demo();
    let cases = [
        (
            r#"{"quantity": "40", "locations": [{"location": "PARIS", "quantity": "30"}, {"location": "LYON", "quantity": "15"}]}"#,
            r#"quantity "40" is not the sum of the locations' quantities (45)"#,
        ),
        (
            r#"{"locations": [{"location": "PARIS", "quantity": "30"}, {"location": "PARIS", "quantity": "15"}]}"#,
            r#"locations entry 2: location "PARIS" appears more than once"#,
        ),
        (
            r#"{"locations": [{"location": "", "quantity": "30"}]}"#,
            "locations entry 1: location is empty",
        ),
        (
            r#"{"locations": [{"location": "LYON ", "quantity": "30"}]}"#,
            r#"locations entry 1: location "LYON " starts or ends with spaces (U+0020)"#,
        ),
        (
            r#"{"locations": [{"location": "LY\u0000ON", "quantity": "30"}]}"#,
            "contains a control character (U+0000)",
        ),
        (
            r#"{"locations": [{"location": "PARIS", "quantity": "-1"}]}"#,
            r#"locations entry 1: location "PARIS": quantity "-1" is negative"#,
        ),
        (
            r#"{"locations": [{"location": "PARIS"}]}"#,
            r#"locations entry 1: location "PARIS": quantity is missing"#,
        ),
        (
            r#"{"locations": [{"location": "PARIS", "qty": 3}]}"#,
            r#"locations entry 1: unknown key "qty""#,
        ),
        (r#"{"locations": []}"#, "locations is empty"),
        (
            r#"{"locations": {"PARIS": 3}}"#,
            "locations must be an array",
        ),
        (r#"{"locations": null}"#, "quantity is missing"),
        ("{}", "quantity is missing"),
    ];
    for (put_body, expected) in cases {
        let answer = put(&router, "/api/stock/GS-1014", put_body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{put_body}");
        let error = answer.json()["error"].as_str().unwrap().to_owned();
        assert!(
            error.contains(expected),
            "{put_body}: {error:?} lacks {expected:?}"
        );
    }
    assert_eq!(
        get(&router, "/api/stock/GS-1014").await.json()["quantity"],
        "32"
    );
}

#[tokio::test]
async fn the_faults_of_locations_in_the_answer() {
    let router = demo();
    let locations = json!([
        {"location": "PARIS", "quantity": "6"}, {"location": "LYON", "quantity": "4"}
    ]);
    assert_eq!(
        get(&router, "/api/stock/GS-9014").await.json(),
        json!({"product_id": "GS-9014", "quantity": "11", "locations": locations})
    );
    assert_eq!(
        get(&router, "/api/stock/GS-9015").await.json(),
        json!({"product_id": "GS-9015", "quantity": "10", "locations": [
            {"location": "PARIS", "quantity": "6"}, {"location": "LYON", "quantity": "4"},
            {"location": "PARIS", "quantity": "0"}
        ]})
    );
    // Every time, not once.
    assert_eq!(
        get(&router, "/api/stock/GS-9014").await.json()["quantity"],
        "11"
    );
}

#[tokio::test]
async fn other_faults_of_a_located_product() {
    let located = |id: &str, fault| {
        Product::located(id, &[("PARIS", "1.5"), ("LYON", "2")]).with_fault(fault)
    };
    let (_, router) = serve(vec![
        located("W", Fault::WrongProductId),
        located("N", Fault::NegativeQuantity),
        located("M", Fault::MissingQuantity),
        located("S", Fault::LocationsSumMismatch),
    ]);
    let locations = json!([
        {"location": "PARIS", "quantity": "1.5"}, {"location": "LYON", "quantity": "2"}
    ]);
    assert_eq!(
        get(&router, "/api/stock/W").await.json(),
        json!({"product_id": "GS-1001", "quantity": "3.5", "locations": locations})
    );
    // A bad quantity comes alone, as for a product without locations.
    assert_eq!(
        get(&router, "/api/stock/N").await.json(),
        json!({"product_id": "N", "quantity": "-5"})
    );
    assert_eq!(
        get(&router, "/api/stock/M").await.json(),
        json!({"product_id": "M"})
    );
    assert_eq!(listed(&router, "S").await["quantity"], "4.5");
    // A PUT changes the quantities; the fault stays.
    let answer = put(
        &router,
        "/api/stock/S",
        r#"{"locations": [{"location": "PARIS", "quantity": "0.5"}]}"#,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.json(),
        json!({"product_id": "S", "quantity": "0.5", "locations": [{"location": "PARIS", "quantity": "0.5"}]})
    );
    assert_eq!(get(&router, "/api/stock/S").await.json()["quantity"], "1.5");
}

/// The levels listing's items, as `(product_id, location, quantity)`.
fn levels(page: &Value) -> Vec<(String, String, String)> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            let text = |key: &str| item[key].as_str().unwrap().to_owned();
            (text("product_id"), text("location"), text("quantity"))
        })
        .collect()
}

fn level(id: &str, location: &str, quantity: &str) -> (String, String, String) {
    (id.to_owned(), location.to_owned(), quantity.to_owned())
}

fn located_product(
    id: &str,
    levels: &[(&str, &str)],
    total: &str,
    updated_at: SystemTime,
) -> Product {
    Product {
        product_id: id.to_owned(),
        quantity: total.to_owned(),
        locations: Some(
            levels
                .iter()
                .map(|(code, quantity)| Location::new(*code, *quantity))
                .collect(),
        ),
        fault: None,
        updated_at: Some(updated_at),
    }
}

#[tokio::test]
async fn the_levels_listing_has_one_record_per_product_and_location() {
    let router = demo();
    let answer = get(&router, "/api/levels?limit=1000").await;
    assert_eq!(answer.status, StatusCode::OK);
    // In this order: the product, the location, its quantity there, when that changed.
    assert!(
        body(&answer).contains(
            r#"{"product_id":"GS-1013","location":"PARIS","quantity":"30","updated_at":""#
        ),
        "{}",
        body(&answer)
    );
    let page = answer.json();
    let listed = levels(&page);
    assert!(listed.contains(&level("GS-1013", "PARIS", "30")));
    assert!(listed.contains(&level("GS-1013", "LYON", "15")));
    // Products without locations have no level.
    assert!(!listed.iter().any(|(id, _, _)| id == "GS-1001"));
    assert!(page["next_cursor"].is_null());
}

#[tokio::test]
async fn the_levels_listing_pages_between_the_locations_of_a_product() {
    let (_, router) = serve(vec![
        located_product(
            "A",
            &[("PARIS", "1"), ("LYON", "2"), ("NICE", "3")],
            "6",
            at(0),
        ),
        located_product("B", &[("PARIS", "4")], "4", at(0)),
    ]);
    let mut seen = Vec::new();
    let mut uri = "/api/levels?limit=2".to_owned();
    loop {
        let page = get(&router, &uri).await.json();
        seen.extend(levels(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => uri = format!("/api/levels?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        [
            level("A", "PARIS", "1"),
            level("A", "LYON", "2"),
            level("A", "NICE", "3"),
            level("B", "PARIS", "4"),
        ]
    );
    // A cursor of the product listing is not one of the levels listing.
    let product_cursor = mock_api::listing::cursor_after("A");
    let refused = get(&router, &format!("/api/levels?cursor={product_cursor}")).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.json()["parameter"], "cursor");
}

#[tokio::test]
async fn a_put_stamps_only_the_locations_it_changes() {
    let (state, router) = serve(vec![located_product(
        "A",
        &[("PARIS", "1"), ("LYON", "2")],
        "3",
        at(0),
    )]);
    let since = rfc3339(state.now());
    let changed = put(
        &router,
        "/api/stock/A",
        r#"{"locations": [{"location": "PARIS", "quantity": "1.0"}, {"location": "LYON", "quantity": "5"}]}"#,
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK);
    let page = get(&router, &format!("/api/levels?updated_since={since}"))
        .await
        .json();
    assert_eq!(levels(&page), [level("A", "LYON", "5")]);
    // The product listing stamps the product as a whole.
    let products = get(&router, &format!("/api/stock?updated_since={since}"))
        .await
        .json();
    assert_eq!(products["items"].as_array().unwrap().len(), 1);
    // ids keeps only the products asked for.
    let none = get(&router, "/api/levels?ids=B").await.json();
    assert!(levels(&none).is_empty());
}
