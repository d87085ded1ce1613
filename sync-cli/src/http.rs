//! The HTTP side shared by `fetch` and `list`: one pooled client, one GET
//! with its retries, its request rate and its body limit, and the redaction
//! of the credentials from every sentence made of an answer.
//!
//! [`Http::get`] never interprets a body: `fetch` checks it as one product
//! ([`crate::validate`]), `list` as a page of records ([`crate::page`]).

use std::io::Read;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use reqwest::header::{self, HeaderMap, HeaderValue};
use rustls::pki_types::CertificateDer;
use url::Url;

use crate::attempt::{Attempt, Limits, classify, classify_io, root_cause};
use crate::auth::Credentials;
use crate::error::Error;
use crate::id::quote;
use crate::invalid::Invalid;
use crate::rate::{RateLimiter, quota_wait};
use crate::retry::{RetryPolicy, parse_retry_after};
use crate::token::Secrets;

/// `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("sync-cli/", env!("CARGO_PKG_VERSION"));

/// Settings of the HTTP side, the same for `fetch` and `list`.
#[derive(Clone, Debug)]
pub struct HttpSettings {
    /// Time limit of one attempt, from connecting to the end of the body.
    pub timeout: Duration,
    /// Time limit of connecting.
    pub connect_timeout: Duration,
    /// Retries and backoff.
    pub retry: RetryPolicy,
    /// Largest body read; a larger one is refused.
    pub max_body_bytes: u64,
    /// Connections kept open for reuse (at least the number of workers).
    pub pool_size: usize,
    /// Requests a second at most, across every worker (0: no cap).
    pub max_rps: f64,
    /// CA certificates trusted besides the system's (`--ca-file`).
    pub extra_roots: Vec<CertificateDer<'static>>,
}

/// A 2xx answer as read: its headers and its whole body (at most
/// `max_body_bytes`).
#[derive(Debug)]
pub struct Answer {
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// How a GET ended, after its retries.
#[derive(Debug)]
pub struct Exchange {
    /// The last attempt.
    pub attempt: Attempt<Answer>,
    /// Requests sent (retries included).
    pub attempts: u32,
    /// Time spent, waits included.
    pub elapsed: Duration,
}

/// One HTTP client for the whole run. `Sync`: worker threads share it.
#[derive(Debug)]
pub struct Http {
    client: Client,
    /// A client that never reuses a connection, for sending again at once a
    /// request that a reused connection never answered; built when first
    /// needed.
    fresh: OnceLock<Option<Client>>,
    headers: HeaderMap,
    roots: Vec<reqwest::Certificate>,
    settings: HttpSettings,
    rate: RateLimiter,
    /// Kept only to keep them out of messages.
    secrets: Secrets,
    /// Whether the pooled client has had an answer, so that it may hold an
    /// open connection that a server may close at any time.
    answered: AtomicBool,
}

impl Http {
    /// Pooled keep-alive connections, no redirects, the credentials'
    /// header (marked sensitive) on every request, certificates verified
    /// against the system's CA certificates plus `settings.extra_roots`.
    pub fn new(credentials: &Credentials, settings: HttpSettings) -> Result<Self, Error> {
        install_crypto_provider();
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        if let Some((name, value)) = credentials.header() {
            headers.insert(name.clone(), value.clone());
        }
        let roots = settings
            .extra_roots
            .iter()
            .map(|der| reqwest::Certificate::from_der(der))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::Client(root_cause(&e)))?;
        let client = build_client(&settings, &headers, &roots, settings.pool_size)?;
        Ok(Http {
            client,
            fresh: OnceLock::new(),
            headers,
            roots,
            rate: RateLimiter::new(settings.max_rps),
            settings,
            secrets: credentials.secrets().clone(),
            answered: AtomicBool::new(false),
        })
    }

    /// The time limits that sentences name.
    pub fn limits(&self) -> Limits {
        Limits {
            timeout: self.settings.timeout,
            connect_timeout: self.settings.connect_timeout,
        }
    }

    /// The body limit (`--max-body-bytes`).
    pub fn max_body_bytes(&self) -> u64 {
        self.settings.max_body_bytes
    }

    /// `text` without any piece of a secret (see [`Secrets::redact`]).
    pub fn redact(&self, text: String) -> String {
        match self.secrets.redact(&text) {
            std::borrow::Cow::Borrowed(_) => text,
            std::borrow::Cow::Owned(redacted) => redacted,
        }
    }

    /// Whether `text` holds a piece of a secret (the token, the user, ...).
    pub fn holds_secret(&self, text: &str) -> bool {
        self.secrets.holds_secret(text)
    }

    /// GETs `url`, with retries (connection errors, timeouts, 408, 429,
    /// 5xx), each request in its turn under `--max-rps` and the API's quota.
    /// Never fails: how it ended is the [`Exchange`].
    pub fn get(&self, url: &Url) -> Exchange {
        let start = Instant::now();
        let policy = &self.settings.retry;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let mut attempt = self.attempt(&self.client, url, true);
            if attempt.unanswered()
                && let Some(fresh) = self.fresh_client()
            {
                // The server closed a kept-alive connection as the request
                // went out: not a failure of the API, so neither an attempt
                // nor a reason to wait.
                log::debug!(
                    "GET {url}: {} on a reused connection; sending it again on a new one",
                    attempt.describe()
                );
                attempt = self.attempt(fresh, url, false);
            }
            log::debug!("GET {url}: attempt {attempts}: {}", attempt.describe());
            if attempt.retryable() && attempts <= policy.retries {
                let delay = policy.delay(attempts, attempt.retry_after());
                log::info!(
                    "GET {url}: {}; retry {attempts} of {} in {} ms",
                    attempt.describe(),
                    policy.retries,
                    delay.as_millis()
                );
                std::thread::sleep(delay);
                continue;
            }
            return Exchange {
                attempt,
                attempts,
                elapsed: start.elapsed(),
            };
        }
    }

    /// The client that opens a new connection for each request.
    fn fresh_client(&self) -> Option<&Client> {
        self.fresh
            .get_or_init(|| {
                build_client(&self.settings, &self.headers, &self.roots, 0)
                    .map_err(|e| log::warn!("{e}"))
                    .ok()
            })
            .as_ref()
    }

    /// One request, sent in its turn ([`RateLimiter`]). `pooled`: sent with
    /// the client that keeps connections open, so that once any answer has
    /// come (to any worker), the request may have gone out on a connection
    /// the server has since closed.
    fn attempt(&self, client: &Client, url: &Url, pooled: bool) -> Attempt<Answer> {
        self.rate.acquire();
        // A per-request timeout bounds the whole exchange, body included (the
        // client-wide one of the blocking client only bounds each read).
        let request = client.get(url.clone()).timeout(self.settings.timeout);
        let mut response = match request.send() {
            Ok(response) => response,
            Err(err) => {
                let reused = pooled && self.answered.load(Ordering::Relaxed);
                return classify(&err, reused);
            }
        };
        self.answered.store(true, Ordering::Relaxed);
        self.note_quota(url, response.headers());
        let status = response.status();
        if status.is_success() {
            if let Some(encoding) = content_encoding(&response) {
                // Never asked for (no Accept-Encoding is sent), never decoded.
                let result = Err(Invalid::Compressed(quote(&encoding)));
                return Attempt::Body { status, result };
            }
            let result = match self.read_body(&mut response) {
                Ok(body) => Ok(Answer {
                    headers: std::mem::take(response.headers_mut()),
                    body,
                }),
                Err(BodyError::TooLarge) => Err(Invalid::TooLarge {
                    limit: self.settings.max_body_bytes,
                }),
                Err(BodyError::Io(err)) => return classify_io(&err, status),
            };
            return Attempt::Body { status, result };
        }
        let retry_after = if matches!(status.as_u16(), 429 | 503) {
            response
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, SystemTime::now()))
        } else {
            None
        };
        // Read a small error body so the connection can be reused; a larger
        // or failing one just closes the connection.
        let _ = std::io::copy(&mut (&mut response).take(64 * 1024), &mut std::io::sink());
        if status == StatusCode::NOT_FOUND {
            Attempt::NotFound
        } else {
            Attempt::Status {
                status,
                retry_after,
            }
        }
    }

    /// An answer that says the quota is spent holds every worker's next
    /// request until its reset.
    fn note_quota(&self, url: &Url, headers: &HeaderMap) {
        if let Some(wait) = quota_wait(headers, SystemTime::now()) {
            log::info!(
                "GET {url}: the API's quota is spent; holding every request for {} ms",
                wait.as_millis()
            );
            self.rate.hold_until(Instant::now() + wait);
        }
    }

    /// Reads the body through the size limit: a larger (or endless) body costs
    /// no more memory than the limit. Memory grows with the bytes that
    /// arrive, never with what the server announces.
    fn read_body(&self, response: &mut Response) -> Result<Vec<u8>, BodyError> {
        let limit = self.settings.max_body_bytes;
        if response.content_length().is_some_and(|len| len > limit) {
            return Err(BodyError::TooLarge);
        }
        let mut body = Vec::new();
        response
            .take(limit.saturating_add(1))
            .read_to_end(&mut body)
            .map_err(BodyError::Io)?;
        if body.len() as u64 > limit {
            return Err(BodyError::TooLarge);
        }
        Ok(body)
    }
}

/// The client of a run; `pool` connections are kept open for reuse.
fn build_client(
    settings: &HttpSettings,
    headers: &HeaderMap,
    roots: &[reqwest::Certificate],
    pool: usize,
) -> Result<Client, Error> {
    let limits = Limits {
        timeout: settings.timeout,
        connect_timeout: settings.connect_timeout,
    };
    Client::builder()
        .tls_certs_merge(roots.to_vec())
        .user_agent(USER_AGENT)
        .default_headers(headers.clone())
        .connect_timeout(limits.client_connect_timeout())
        .timeout(settings.timeout)
        .pool_max_idle_per_host(pool)
        .redirect(reqwest::redirect::Policy::none())
        .tcp_nodelay(true)
        .build()
        .map_err(|e| Error::Client(root_cause(&e)))
}

/// The `Content-Encoding` of an answer, unless absent or `identity`.
fn content_encoding(response: &Response) -> Option<String> {
    let value = response.headers().get(header::CONTENT_ENCODING)?;
    let text = String::from_utf8_lossy(value.as_bytes()).trim().to_owned();
    (!text.is_empty() && !text.eq_ignore_ascii_case("identity")).then_some(text)
}

#[derive(Debug)]
enum BodyError {
    TooLarge,
    Io(std::io::Error),
}

/// reqwest is built without a default TLS crypto provider; install rustls's
/// `ring` provider once (a no-op when one is already installed).
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
