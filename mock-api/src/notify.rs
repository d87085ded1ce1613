//! `--notify-url URL`: after a `PUT` changes a product, the API tells a client
//! so, as GlobalShop's system tells Odoo: a signed `POST` to that URL, sent in
//! the background (the `PUT` never waits for it).
//!
//! ```text
//! POST URL
//! Content-Type: application/json
//! X-Stock-Sync-Timestamp: <unix seconds, real time>
//! X-Stock-Sync-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
//!
//! {"product_ids":["GS-1001"]}
//! ```
//!
//! The secret comes from the environment variable [`SECRET_ENV`], never an
//! argument, and is never logged. The timestamp is the system's real time,
//! never the shifted clock of `--clock-offset-secs`: the receiver checks it
//! against its own clock. Each answer's status (or the error) is logged.

use std::error::Error as _;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use hmac::{Hmac, KeyInit, Mac};
use reqwest::Url;
use reqwest::header::CONTENT_TYPE;
use sha2::Sha256;

/// The environment variable that holds the notifications' secret.
pub const SECRET_ENV: &str = "MOCK_API_NOTIFY_SECRET";
/// The header with the notification's UNIX time, in seconds.
pub const TIMESTAMP_HEADER: &str = "X-Stock-Sync-Timestamp";
/// The header with the notification's signature.
pub const SIGNATURE_HEADER: &str = "X-Stock-Sync-Signature";
/// How long one notification may take, answer included.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// How much of a refusal's body is logged.
const LOGGED_BODY_CHARS: usize = 200;

/// Sends the notifications to one URL, signed with one secret. Cloning is
/// cheap; `Debug` never shows the secret.
#[derive(Clone)]
pub struct Notifier {
    url: Url,
    /// The URL as logs show it: without user, password or query.
    shown_url: Arc<str>,
    secret: Arc<[u8]>,
    client: reqwest::Client,
}

impl fmt::Debug for Notifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notifier")
            .field("url", &self.shown_url)
            .field("secret", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// Why notifications cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum NotifierError {
    #[error(
        "--notify-url needs the notifications' secret in the environment variable \
         {SECRET_ENV} (never an argument), which is not set or empty"
    )]
    MissingSecret,
    #[error("--notify-url {url:?} is not an http:// or https:// URL: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("cannot set up the notifications' HTTP client: {0}")]
    Client(String),
}

impl Notifier {
    /// Notifications to `url`, signed with `secret` (from [`SECRET_ENV`]).
    pub fn new(url: &str, secret: Option<&str>) -> Result<Self, NotifierError> {
        let secret = secret
            .filter(|s| !s.is_empty())
            .ok_or(NotifierError::MissingSecret)?;
        let bad_url = |reason: String| NotifierError::BadUrl {
            url: url.to_owned(),
            reason,
        };
        let parsed = Url::parse(url).map_err(|err| bad_url(err.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") || !parsed.has_host() {
            return Err(bad_url("it needs http:// or https:// and a host".into()));
        }
        // reqwest is built without a default TLS crypto provider; install
        // rustls's ring provider (a no-op when one is already installed).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("mock-api/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| NotifierError::Client(error_chain(&err)))?;
        Ok(Notifier {
            shown_url: shown_url(&parsed).into(),
            url: parsed,
            secret: secret.as_bytes().into(),
            client,
        })
    }

    /// The URL as logs show it (without user, password or query).
    pub fn shown_url(&self) -> &str {
        &self.shown_url
    }

    /// Sends the notification that `product_id` changed, in the background.
    /// Must be called within a tokio runtime.
    pub fn notify(&self, product_id: &str) {
        let notifier = self.clone();
        let product_id = product_id.to_owned();
        tokio::spawn(async move { notifier.deliver(&product_id).await });
    }

    /// Sends one notification now and logs how it went.
    async fn deliver(&self, product_id: &str) {
        let body = body(&[product_id]);
        let timestamp = unix_now();
        let signature = signature(&self.secret, timestamp, &body);
        let sent = self
            .client
            .post(self.url.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(TIMESTAMP_HEADER, timestamp)
            .header(SIGNATURE_HEADER, signature)
            .body(body)
            .send()
            .await;
        let url = &self.shown_url;
        match sent {
            Ok(answer) if answer.status().is_success() => {
                let status = answer.status();
                tracing::info!(
                    product_id,
                    status = status.as_u16(),
                    "notified {url} of {product_id}: {status}"
                );
            }
            Ok(answer) => {
                let status = answer.status();
                let text = answer.text().await.unwrap_or_default();
                let text: String = text.chars().take(LOGGED_BODY_CHARS).collect();
                tracing::warn!(
                    product_id,
                    status = status.as_u16(),
                    "notification of {product_id} to {url} refused: {status} {text:?}"
                );
            }
            Err(err) => {
                tracing::warn!(
                    product_id,
                    "notification of {product_id} to {url} failed: {}",
                    error_chain(&err.without_url())
                );
            }
        }
    }
}

/// The notification's body: `{"product_ids":[...]}`.
pub fn body(product_ids: &[&str]) -> Vec<u8> {
    serde_json::json!({ "product_ids": product_ids })
        .to_string()
        .into_bytes()
}

/// `sha256=<lowercase hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
pub fn signature(secret: &[u8], timestamp: u64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let mut hex = String::with_capacity(7 + 2 * digest.len());
    hex.push_str("sha256=");
    for byte in digest {
        hex.push(char::from(HEX[usize::from(byte >> 4)]));
        hex.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    hex
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The system's real UNIX time, in seconds.
fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `url` without user, password or query, for the logs.
fn shown_url(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

/// An error and its sources, joined by ": ".
fn error_chain(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_of_a_known_vector() {
        // Computed elsewhere: HMAC-SHA256("s3cr3t", "1796378400." + body).
        assert_eq!(
            signature(b"s3cr3t", 1_796_378_400, br#"{"product_ids":["GS-1001"]}"#),
            "sha256=31d3a48f519826c08afd1c1fce2ea5f3f31b92439f9b84b61e5bd98e75b8f36f"
        );
    }

    #[test]
    fn body_is_the_contract_json() {
        assert_eq!(body(&["GS-1001"]), br#"{"product_ids":["GS-1001"]}"#);
    }

    #[test]
    fn secret_is_required_and_never_shown() {
        let url = "http://127.0.0.1:8069/stock_sync_api/notify";
        assert!(matches!(
            Notifier::new(url, None),
            Err(NotifierError::MissingSecret)
        ));
        assert!(matches!(
            Notifier::new(url, Some("")),
            Err(NotifierError::MissingSecret)
        ));
        let notifier = Notifier::new("http://u:pw@host:8069/notify?k=v", Some("s3cr3t")).unwrap();
        let debug = format!("{notifier:?}");
        assert!(
            !debug.contains("s3cr3t") && !debug.contains("pw"),
            "{debug}"
        );
        assert_eq!(notifier.shown_url(), "http://host:8069/notify");
        for bad in ["ftp://host/x", "not a url", "http://"] {
            assert!(
                matches!(
                    Notifier::new(bad, Some("s")),
                    Err(NotifierError::BadUrl { .. })
                ),
                "{bad}"
            );
        }
    }
}
