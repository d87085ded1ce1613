//! Every route and every fault, through `app()` with `tower::ServiceExt::oneshot`.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions

mod common;

use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{get, put, send};
use http_body_util::BodyExt;
use mock_api::{AppState, Product, Settings, app};
use serde_json::{Value, json};
use tower::ServiceExt;

fn demo() -> (AppState, Router) {
    let state = AppState::demo();
    (state.clone(), app(state))
}

#[tokio::test]
async fn health_answers_200() {
    let (_, router) = demo();
    let answer = get(&router, "/health").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json(), json!({"status": "ok"}));
}

#[tokio::test]
async fn known_product_answers_its_quantity() {
    let (state, router) = demo();
    let answer = get(&router, "/api/stock/GS-1001").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.content_type(), "application/json");
    assert_eq!(
        answer.json(),
        json!({"product_id": "GS-1001", "quantity": "50"})
    );
    assert_eq!(state.hits("GS-1001"), 1);
}

#[tokio::test]
async fn unknown_product_answers_404_with_json_error() {
    let (_, router) = demo();
    let answer = get(&router, "/api/stock/GS-0000").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.json(), json!({"error": "product not found"}));
}

#[tokio::test]
async fn unknown_route_answers_404_with_json_error() {
    let (_, router) = demo();
    let answer = get(&router, "/api/nothing").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(answer.json()["error"].is_string());
}

#[tokio::test]
async fn put_sets_quantity_from_a_string_or_a_number() {
    let (_, router) = demo();
    let answer = put(&router, "/api/stock/GS-1001", r#"{"quantity": "60"}"#).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.json(),
        json!({"product_id": "GS-1001", "quantity": "60"})
    );
    assert_eq!(
        get(&router, "/api/stock/GS-1001").await.json()["quantity"],
        "60"
    );

    let answer = put(&router, "/api/stock/GS-1002", r#"{"quantity": 12.5}"#).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        get(&router, "/api/stock/GS-1002").await.json()["quantity"],
        "12.5"
    );
}

#[tokio::test]
async fn put_creates_an_unknown_product() {
    let (_, router) = demo();
    let answer = put(&router, "/api/stock/NEW-1", r#"{"quantity": 3}"#).await;
    assert_eq!(answer.status, StatusCode::CREATED);
    assert_eq!(
        get(&router, "/api/stock/NEW-1").await.json()["quantity"],
        "3"
    );
}

#[tokio::test]
async fn put_refuses_bad_bodies_with_400_json() {
    let (_, router) = demo();
    for body in [
        "",
        "not json",
        "[1]",
        "{}",
        r#"{"quantity": "-1"}"#,
        r#"{"quantity": -1}"#,
        r#"{"quantity": "lots"}"#,
        r#"{"quantity": "1,5"}"#,
        r#"{"quantity": null}"#,
        r#"{"quantity": [1]}"#,
    ] {
        let answer = put(&router, "/api/stock/GS-1001", body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        assert!(answer.json()["error"].is_string(), "{body}");
    }
    assert_eq!(
        get(&router, "/api/stock/GS-1001").await.json()["quantity"],
        "50"
    );
}

#[tokio::test]
async fn percent_encoded_ids_are_one_segment() {
    let state = AppState::new(vec![Product::new("a/b?c#d e%é", "4")], Settings::default());
    let router = app(state);
    let answer = get(&router, "/api/stock/a%2Fb%3Fc%23d%20e%25%C3%A9").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.json(),
        json!({"product_id": "a/b?c#d e%é", "quantity": "4"})
    );
}

#[tokio::test]
async fn token_is_required_on_stock_routes_only() {
    let settings = Settings {
        token: Some("s3cret".into()),
        ..Settings::default()
    };
    let router = app(AppState::new(mock_api::demo_products(), settings));
    let with = |auth: Option<&str>, uri: &str| {
        let mut request = Request::get(uri);
        if let Some(auth) = auth {
            request = request.header(header::AUTHORIZATION, auth);
        }
        request.body(Body::empty()).unwrap()
    };
    for auth in [
        None,
        Some("Bearer wrong"),
        Some("s3cret"),
        Some("Bearer s3cret2"),
    ] {
        let answer = send(&router, with(auth, "/api/stock/GS-1001")).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(answer.headers[header::WWW_AUTHENTICATE], "Bearer");
        assert!(answer.json()["error"].is_string());
    }
    let answer = send(&router, with(Some("Bearer s3cret"), "/api/stock/GS-1001")).await;
    assert_eq!(answer.status, StatusCode::OK);
    let answer = send(&router, with(Some("Bearer s3cret"), "/api/stock")).await;
    assert_eq!(answer.status, StatusCode::OK);
    let answer = send(&router, with(None, "/health")).await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn latency_is_added_to_stock_requests() {
    let settings = Settings {
        latency: Duration::from_millis(150),
        ..Settings::default()
    };
    let router = app(AppState::new(mock_api::demo_products(), settings));
    let start = Instant::now();
    assert_eq!(
        get(&router, "/api/stock/GS-1001").await.status,
        StatusCode::OK
    );
    assert!(start.elapsed() >= Duration::from_millis(150));
    let start = Instant::now();
    assert_eq!(get(&router, "/health").await.status, StatusCode::OK);
    assert!(start.elapsed() < Duration::from_millis(150));
}

// --- faults -----------------------------------------------------------------

#[tokio::test]
async fn error_500_always_answers_500_in_plain_text() {
    let (_, router) = demo();
    for _ in 0..2 {
        let answer = get(&router, "/api/stock/GS-9001").await;
        assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(answer.content_type().starts_with("text/plain"));
        assert!(!answer.body.is_empty());
    }
}

#[tokio::test]
async fn error_503_once_fails_the_first_request_only() {
    let (state, router) = demo();
    assert_eq!(
        get(&router, "/api/stock/GS-9002").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    let answer = get(&router, "/api/stock/GS-9002").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.json(),
        json!({"product_id": "GS-9002", "quantity": "10"})
    );
    assert_eq!(state.hits("GS-9002"), 2);
}

#[tokio::test]
async fn rate_limited_once_answers_429_with_retry_after_first() {
    let (_, router) = demo();
    let answer = get(&router, "/api/stock/GS-9003").await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(answer.headers[header::RETRY_AFTER], "1");
    let answer = get(&router, "/api/stock/GS-9003").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json()["quantity"], "10");
}

#[tokio::test]
async fn invalid_json_answers_200_with_a_body_that_is_not_json() {
    let (_, router) = demo();
    let answer = get(&router, "/api/stock/GS-9004").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(!answer.body.is_empty());
    assert!(serde_json::from_slice::<Value>(&answer.body).is_err());
}

#[tokio::test]
async fn wrong_product_id_names_another_product() {
    let (_, router) = demo();
    let answer = get(&router, "/api/stock/GS-9005").await;
    assert_eq!(answer.status, StatusCode::OK);
    let body = answer.json();
    assert_ne!(body["product_id"], "GS-9005");
    assert!(body["product_id"].is_string());
    assert_eq!(body["quantity"], "10");
}

#[tokio::test]
async fn negative_and_non_numeric_quantities() {
    let (_, router) = demo();
    let answer = get(&router, "/api/stock/GS-9006").await;
    assert_eq!(
        answer.json(),
        json!({"product_id": "GS-9006", "quantity": "-5"})
    );
    let answer = get(&router, "/api/stock/GS-9007").await;
    assert_eq!(
        answer.json(),
        json!({"product_id": "GS-9007", "quantity": "lots"})
    );
    let answer = get(&router, "/api/stock/GS-9013").await;
    assert_eq!(answer.json(), json!({"product_id": "GS-9013"}));
}

#[tokio::test]
async fn empty_body_answers_200_with_nothing() {
    let (_, router) = demo();
    let answer = get(&router, "/api/stock/GS-9008").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.body.is_empty());
}

#[tokio::test]
async fn html_page_answers_200_with_html() {
    let (_, router) = demo();
    let answer = get(&router, "/api/stock/GS-9009").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.content_type().starts_with("text/html"));
    assert!(answer.body.starts_with(b"<!DOCTYPE html>"));
}

#[tokio::test]
async fn huge_body_streams_64_mib_of_json() {
    let (_, router) = demo();
    let response = router
        .oneshot(
            Request::get("/api/stock/GS-9010")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get(header::CONTENT_LENGTH).is_none());
    let mut body = response.into_body();
    let (mut total, mut largest_frame) = (0usize, 0usize);
    let mut head = Vec::new();
    let mut last = Vec::new();
    while let Some(frame) = body.frame().await {
        let data = frame.unwrap().into_data().unwrap();
        if head.is_empty() {
            head = data.to_vec();
        }
        total += data.len();
        largest_frame = largest_frame.max(data.len());
        last = data.to_vec();
    }
    assert_eq!(total, 64 * 1024 * 1024);
    assert!(
        largest_frame <= 64 * 1024,
        "frames are small: {largest_frame}"
    );
    assert!(head.starts_with(br#"{"product_id":"GS-9010","quantity":"10","padding":""#));
    assert!(last.ends_with(b"\"}"));
}

#[tokio::test]
async fn endless_body_keeps_streaming() {
    let (_, router) = demo();
    let response = router
        .oneshot(
            Request::get("/api/stock/GS-9011")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body();
    let mut frames = 0;
    let read = tokio::time::timeout(Duration::from_millis(450), async {
        while let Some(frame) = body.frame().await {
            frame.unwrap();
            frames += 1;
        }
    })
    .await;
    assert!(read.is_err(), "the body ended");
    assert!(frames >= 3, "only {frames} frames");
}

#[tokio::test(start_paused = true)]
async fn slow_answers_after_ten_minutes() {
    let (_, router) = demo();
    let request = || {
        Request::get("/api/stock/GS-9012")
            .body(Body::empty())
            .unwrap()
    };
    let early =
        tokio::time::timeout(Duration::from_secs(599), router.clone().oneshot(request())).await;
    assert!(early.is_err(), "answered before 10 minutes");
    let start = tokio::time::Instant::now();
    let answer = send(&router, request()).await;
    assert!(start.elapsed() >= Duration::from_secs(600));
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.json(),
        json!({"product_id": "GS-9012", "quantity": "10"})
    );
}
