//! `--rate-limit`: the token bucket of the stock routes, through `app()`.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions

mod common;

use std::time::Duration;

use axum::http::{StatusCode, header};
use common::{Answer, get, put};
use mock_api::{AppState, Settings, app};

fn limited(rate: u32) -> (AppState, axum::Router) {
    let settings = Settings {
        rate_limit: rate,
        ..Settings::default()
    };
    let state = AppState::new(mock_api::demo_products(), settings);
    (state.clone(), app(state))
}

fn header_number(answer: &Answer, name: &str) -> u64 {
    answer.headers[name].to_str().unwrap().parse().unwrap()
}

fn refused(state: &AppState) -> u64 {
    state.rate_limiter().unwrap().refused()
}

#[tokio::test]
async fn over_n_requests_a_second_answers_429_with_the_quota_headers() {
    let (state, router) = limited(3);
    let uris = [
        "/api/stock/GS-1001",
        "/api/stock?limit=2",
        "/api/stock/nope",
    ];
    for (uri, left) in uris.into_iter().zip([2, 1, 0]) {
        let answer = get(&router, uri).await;
        assert_ne!(answer.status, StatusCode::TOO_MANY_REQUESTS, "{uri}");
        assert_eq!(header_number(&answer, "ratelimit-limit"), 3);
        assert_eq!(header_number(&answer, "ratelimit-remaining"), left, "{uri}");
        assert!(header_number(&answer, "ratelimit-reset") <= 1);
    }
    assert_eq!(refused(&state), 0);

    let answer = put(&router, "/api/stock/GS-1001", r#"{"quantity": "1"}"#).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(answer.json()["error"].is_string());
    let retry_after = header_number(&answer, header::RETRY_AFTER.as_str());
    assert!(retry_after >= 1);
    assert_eq!(header_number(&answer, "ratelimit-remaining"), 0);
    assert!(header_number(&answer, "ratelimit-reset") >= 1);
    // The refused PUT changed nothing.
    assert_eq!(refused(&state), 1);

    for _ in 0..4 {
        let answer = get(&router, "/api/stock").await;
        assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    }
    assert_eq!(refused(&state), 5);
    assert_eq!(state.lookup("GS-1001").unwrap().quantity, "50");
}

#[tokio::test]
async fn the_bucket_refills_at_n_a_second() {
    let (state, router) = limited(20);
    for _ in 0..20 {
        assert_eq!(
            get(&router, "/api/stock/GS-1001").await.status,
            StatusCode::OK
        );
    }
    assert_eq!(
        get(&router, "/api/stock/GS-1001").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // 20 a second: one token every 50 ms.
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert_eq!(
        get(&router, "/api/stock/GS-1001").await.status,
        StatusCode::OK
    );
    assert_eq!(refused(&state), 1);
}

#[tokio::test]
async fn health_is_never_limited() {
    let (state, router) = limited(1);
    for _ in 0..5 {
        let answer = get(&router, "/health").await;
        assert_eq!(answer.status, StatusCode::OK);
        assert!(answer.headers.get("ratelimit-remaining").is_none());
    }
    assert_eq!(refused(&state), 0);
}

#[tokio::test]
async fn no_limit_by_default() {
    let state = AppState::demo();
    assert!(state.rate_limiter().is_none());
    let router = app(state);
    for _ in 0..50 {
        let answer = get(&router, "/api/stock/GS-1001").await;
        assert_eq!(answer.status, StatusCode::OK);
        assert!(answer.headers.get("ratelimit-remaining").is_none());
    }
}
