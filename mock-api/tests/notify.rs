//! `--notify-url`: a PUT that changes a product POSTs a signed notification.
//! A small receiving server runs in the test; the signature is computed here
//! again, with hmac and sha2, independently of mock-api's own code.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions

mod common;

use std::fmt::Write;
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use common::put;
use hmac::{Hmac, KeyInit, Mac};
use mock_api::{AppState, Notifier, Settings, app};
use sha2::Sha256;
use tokio::sync::mpsc;

const SECRET: &str = "n0tify-s3cret";

/// One notification as the receiver saw it.
struct Received {
    headers: HeaderMap,
    body: Bytes,
}

/// A receiver on a free port that answers after `delay`; returns its URL
/// and what it receives.
async fn receiver(delay: Duration) -> (String, mpsc::UnboundedReceiver<Received>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = Router::new()
        .route(
            "/stock_sync_api/notify",
            post(
                async move |State(tx): State<mpsc::UnboundedSender<Received>>,
                            headers: HeaderMap,
                            body: Bytes| {
                    tx.send(Received { headers, body }).unwrap();
                    tokio::time::sleep(delay).await;
                    (StatusCode::ACCEPTED, r#"{"accepted": 1}"#)
                },
            ),
        )
        .with_state(tx);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}/stock_sync_api/notify"), rx)
}

fn notifying(url: &str) -> Router {
    let settings = Settings {
        notifier: Some(Notifier::new(url, Some(SECRET)).unwrap()),
        ..Settings::default()
    };
    app(AppState::new(mock_api::demo_products(), settings))
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Received>) -> Received {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("a notification within 5 s")
        .unwrap()
}

fn header<'a>(received: &'a Received, name: &str) -> &'a str {
    received.headers[name].to_str().unwrap()
}

/// HMAC-SHA256(secret, "<timestamp>.<body>") in lowercase hex, computed here.
fn expected_signature(timestamp: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(SECRET.as_bytes()).unwrap();
    let mut signed = timestamp.as_bytes().to_vec();
    signed.push(b'.');
    signed.extend_from_slice(body);
    mac.update(&signed);
    let digest = mac.finalize().into_bytes();
    let mut hex = String::from("sha256=");
    for byte in digest {
        write!(hex, "{byte:02x}").unwrap();
    }
    hex
}

#[tokio::test]
async fn a_changing_put_posts_a_signed_notification() {
    let (url, mut rx) = receiver(Duration::ZERO).await;
    let router = notifying(&url);
    let answer = put(&router, "/api/stock/GS-1001", r#"{"quantity": "61"}"#).await;
    assert_eq!(answer.status, StatusCode::OK);

    let got = next(&mut rx).await;
    assert_eq!(&got.body[..], br#"{"product_ids":["GS-1001"]}"#);
    let body: serde_json::Value = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(body, serde_json::json!({"product_ids": ["GS-1001"]}));
    assert_eq!(header(&got, "content-type"), "application/json");

    let timestamp = header(&got, "x-stock-sync-timestamp");
    let unix: u64 = timestamp.parse().unwrap();
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(unix.abs_diff(now) <= 5, "{unix} vs {now}");

    let signature = header(&got, "x-stock-sync-signature");
    assert_eq!(signature, expected_signature(timestamp, &got.body));
    // A wrong secret or body would not match.
    assert_ne!(signature, expected_signature(timestamp, b"{}"));
}

#[tokio::test]
async fn a_created_product_is_notified_and_the_same_quantity_is_not() {
    let (url, mut rx) = receiver(Duration::ZERO).await;
    let router = notifying(&url);
    // GS-1002 already has 120: nothing changes, nothing is sent.
    let same = put(&router, "/api/stock/GS-1002", r#"{"quantity": 120}"#).await;
    assert_eq!(same.status, StatusCode::OK);
    let refused = put(&router, "/api/stock/GS-1002", r#"{"quantity": "-1"}"#).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let created = put(&router, "/api/stock/NEW-7", r#"{"quantity": "3"}"#).await;
    assert_eq!(created.status, StatusCode::CREATED);

    let got = next(&mut rx).await;
    assert_eq!(&got.body[..], br#"{"product_ids":["NEW-7"]}"#);
    let more = tokio::time::timeout(Duration::from_millis(300), rx.recv()).await;
    assert!(more.is_err(), "only the change is notified");
}

#[tokio::test]
async fn a_put_of_new_locations_is_notified_and_the_same_ones_are_not() {
    let (url, mut rx) = receiver(Duration::ZERO).await;
    let router = notifying(&url);
    // GS-1013 already has PARIS 30 and LYON 15: nothing changes, nothing is sent.
    let same = r#"{"locations": [{"location": "LYON", "quantity": 15}, {"location": "PARIS", "quantity": "30"}]}"#;
    assert_eq!(
        put(&router, "/api/stock/GS-1013", same).await.status,
        StatusCode::OK
    );
    let refused = put(&router, "/api/stock/GS-1013", r#"{"quantity": "45"}"#).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let moved = r#"{"locations": [{"location": "PARIS", "quantity": "29"}, {"location": "LYON", "quantity": "16"}]}"#;
    assert_eq!(
        put(&router, "/api/stock/GS-1013", moved).await.status,
        StatusCode::OK
    );

    let got = next(&mut rx).await;
    assert_eq!(&got.body[..], br#"{"product_ids":["GS-1013"]}"#);
    let more = tokio::time::timeout(Duration::from_millis(300), rx.recv()).await;
    assert!(more.is_err(), "only the change is notified");
}

#[tokio::test]
async fn the_put_never_waits_for_the_notification() {
    let (url, mut rx) = receiver(Duration::from_secs(3)).await;
    let router = notifying(&url);
    let start = Instant::now();
    let answer = put(&router, "/api/stock/GS-1003", r#"{"quantity": "1"}"#).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "the PUT took {:?}",
        start.elapsed()
    );
    let got = next(&mut rx).await;
    assert_eq!(&got.body[..], br#"{"product_ids":["GS-1003"]}"#);
}

#[tokio::test]
async fn an_unreachable_receiver_leaves_the_put_alone() {
    // A port that was free a moment ago: connection refused.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let router = notifying(&format!("http://{address}/notify"));
    let answer = put(&router, "/api/stock/GS-1004", r#"{"quantity": "8"}"#).await;
    assert_eq!(answer.status, StatusCode::OK);
}
