//! Fetching one external ID: request, retries, body limit, validation.

use std::fmt;
use std::io::{self, Read};
use std::time::{Duration, Instant, SystemTime};

use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use reqwest::header::{self, HeaderMap, HeaderValue};
use rustls::pki_types::CertificateDer;
use url::Url;

use crate::id::check_id;
use crate::outcome::{Outcome, Status};
use crate::retry::{RetryPolicy, is_retryable_status, parse_retry_after};
use crate::target::UrlTemplate;
use crate::validate::{Invalid, validate_body};
use crate::{Error, USER_AGENT};

/// The API token. Its `Debug` output never shows the value.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// A token from `STOCK_API_TOKEN`; `None` when unset or empty.
    pub fn from_env_value(value: Option<std::ffi::OsString>) -> Result<Option<Token>, Error> {
        let Some(value) = value else { return Ok(None) };
        let value = value
            .into_string()
            .map_err(|_| Error::Usage("STOCK_API_TOKEN is not valid UTF-8".into()))?;
        if value.is_empty() {
            return Ok(None);
        }
        // Checked here so that building the header cannot fail later.
        HeaderValue::from_str(&format!("Bearer {value}")).map_err(|_| {
            Error::Usage("STOCK_API_TOKEN contains characters not allowed in an HTTP header".into())
        })?;
        Ok(Some(Token(value)))
    }

    /// The `Authorization` header value, marked sensitive so that HTTP logging
    /// never shows it.
    fn header_value(&self) -> Result<HeaderValue, Error> {
        let mut value = HeaderValue::from_str(&format!("Bearer {}", self.0)).map_err(|_| {
            Error::Usage("STOCK_API_TOKEN contains characters not allowed in an HTTP header".into())
        })?;
        value.set_sensitive(true);
        Ok(value)
    }

    /// `text` with every occurrence of the token replaced by `<redacted>`.
    pub fn redact(&self, text: String) -> String {
        if text.contains(&self.0) {
            text.replace(&self.0, "<redacted>")
        } else {
            text
        }
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// Settings of the HTTP side.
#[derive(Clone, Debug)]
pub struct FetchSettings {
    /// Time limit of one attempt, from connecting to the end of the body.
    pub timeout: Duration,
    /// Time limit of connecting.
    pub connect_timeout: Duration,
    /// Retries and backoff.
    pub retry: RetryPolicy,
    /// Largest body read; a larger one is `invalid_response`.
    pub max_body_bytes: u64,
    /// Connections kept open for reuse (at least the number of workers).
    pub pool_size: usize,
    /// Largest quantity accepted; a larger one is `invalid_response`.
    pub max_quantity: f64,
    /// CA certificates trusted besides the system's (`--ca-file`).
    pub extra_roots: Vec<CertificateDer<'static>>,
}

/// Fetches IDs with one shared, pooled HTTP client. `Sync`: worker threads
/// share one `Fetcher`.
#[derive(Debug)]
pub struct Fetcher {
    client: Client,
    template: UrlTemplate,
    settings: FetchSettings,
    /// Kept only to keep it out of messages and logs.
    token: Option<Token>,
}

/// How one attempt ended.
#[derive(Debug)]
enum Attempt {
    /// A 2xx answer, with the body checked.
    Body {
        status: StatusCode,
        result: Result<f64, Invalid>,
    },
    NotFound,
    /// Any other status.
    Status {
        status: StatusCode,
        retry_after: Option<Duration>,
    },
    /// No complete answer in time; `status` when the headers had arrived.
    Timeout {
        connecting: bool,
        status: Option<StatusCode>,
    },
    /// Connection failed; `status` when the headers had arrived.
    Connection {
        detail: String,
        status: Option<StatusCode>,
    },
}

impl Attempt {
    fn retryable(&self) -> bool {
        match self {
            Attempt::Body { .. } | Attempt::NotFound => false,
            Attempt::Status { status, .. } => is_retryable_status(*status),
            Attempt::Timeout { .. } | Attempt::Connection { .. } => true,
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Attempt::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

impl Fetcher {
    /// One client for the whole run: pooled keep-alive connections, no
    /// redirects, the token as a sensitive default header, certificates
    /// verified against the system's CA certificates plus
    /// `settings.extra_roots`.
    pub fn new(
        template: UrlTemplate,
        token: Option<&Token>,
        settings: FetchSettings,
    ) -> Result<Self, Error> {
        install_crypto_provider();
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        if let Some(token) = token {
            headers.insert(header::AUTHORIZATION, token.header_value()?);
        }
        let extra_roots = settings
            .extra_roots
            .iter()
            .map(|der| reqwest::Certificate::from_der(der))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::Client(root_cause(&e)))?;
        let client = Client::builder()
            .tls_certs_merge(extra_roots)
            .user_agent(USER_AGENT)
            .default_headers(headers)
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            .pool_max_idle_per_host(settings.pool_size)
            .redirect(reqwest::redirect::Policy::none())
            .tcp_nodelay(true)
            .build()
            .map_err(|e| Error::Client(root_cause(&e)))?;
        Ok(Fetcher {
            client,
            template,
            settings,
            token: token.cloned(),
        })
    }

    /// Fetches one ID, with retries; never fails: every problem is an
    /// [`Outcome`] with a status and a message.
    pub fn fetch(&self, id: &str) -> Outcome {
        let start = Instant::now();
        if let Err(err) = check_id(id) {
            let message = format!("{err}; no request was sent");
            return Outcome::failed(id, Status::HttpError, None, message, 0, start.elapsed());
        }
        let url = match self.template.url_for(id) {
            Ok(url) => url,
            Err(err) => {
                let message = format!("{err}; no request was sent");
                return Outcome::failed(id, Status::HttpError, None, message, 0, start.elapsed());
            }
        };
        let policy = &self.settings.retry;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let attempt = self.attempt(&url, id);
            log::debug!(
                "GET {url}: attempt {attempts}: {}",
                self.redact(format!("{attempt:?}"))
            );
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
            return self.outcome(id, &url, &attempt, attempts, start.elapsed());
        }
    }

    fn attempt(&self, url: &Url, id: &str) -> Attempt {
        // A per-request timeout bounds the whole exchange, body included (the
        // client-wide one of the blocking client only bounds each read).
        let request = self.client.get(url.clone()).timeout(self.settings.timeout);
        let mut response = match request.send() {
            Ok(response) => response,
            Err(err) => return classify(&err),
        };
        let status = response.status();
        if status.is_success() {
            let result = match self.read_body(&mut response) {
                Ok(body) => self.validate(&body, id),
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
        let _ = io::copy(&mut (&mut response).take(64 * 1024), &mut io::sink());
        if status == StatusCode::NOT_FOUND {
            Attempt::NotFound
        } else {
            Attempt::Status {
                status,
                retry_after,
            }
        }
    }

    /// Validates a body. When it is refused and holds the token (an API that
    /// echoes the request), the reason is found again with the token
    /// replaced, so that no part of it reaches a message.
    fn validate(&self, body: &[u8], id: &str) -> Result<f64, Invalid> {
        let max = self.settings.max_quantity;
        let result = validate_body(body, id, max);
        match (&result, &self.token) {
            (Err(_), Some(token)) if contains(body, token.0.as_bytes()) => {
                let redacted = String::from_utf8_lossy(body).replace(&token.0, "<redacted>");
                // Never accept what was refused.
                validate_body(redacted.as_bytes(), id, max).and(result)
            }
            _ => result,
        }
    }

    /// Reads the body through the size limit: a larger (or endless) body costs
    /// no more memory than the limit.
    fn read_body(&self, response: &mut Response) -> Result<Vec<u8>, BodyError> {
        let limit = self.settings.max_body_bytes;
        if response.content_length().is_some_and(|len| len > limit) {
            return Err(BodyError::TooLarge);
        }
        let expected = response.content_length().unwrap_or(8 * 1024).min(limit);
        let mut body = Vec::with_capacity(usize::try_from(expected).unwrap_or(8 * 1024));
        response
            .take(limit.saturating_add(1))
            .read_to_end(&mut body)
            .map_err(BodyError::Io)?;
        if body.len() as u64 > limit {
            return Err(BodyError::TooLarge);
        }
        Ok(body)
    }

    fn outcome(
        &self,
        id: &str,
        url: &Url,
        attempt: &Attempt,
        attempts: u32,
        elapsed: Duration,
    ) -> Outcome {
        let after = if attempts > 1 {
            format!(" (after {attempts} attempts)")
        } else {
            String::new()
        };
        let (status, http_status) = match attempt {
            Attempt::Body { status, result } => match result {
                Ok(quantity) => {
                    let mut outcome = Outcome::ok(id, *quantity, attempts, elapsed);
                    outcome.http_status = Some(status.as_u16());
                    return outcome;
                }
                Err(_) => (Status::InvalidResponse, Some(status.as_u16())),
            },
            Attempt::NotFound => (Status::NotFound, Some(404)),
            Attempt::Status { status, .. } => (Status::HttpError, Some(status.as_u16())),
            Attempt::Timeout { status, .. } => (Status::Timeout, status.map(|s| s.as_u16())),
            Attempt::Connection { status, .. } => {
                (Status::ConnectionError, status.map(|s| s.as_u16()))
            }
        };
        let message = self.redact(format!("{}{after}", self.sentence(url, id, attempt)));
        Outcome::failed(id, status, http_status, message, attempts, elapsed)
    }

    /// `text` without the token, should an answer have echoed it.
    fn redact(&self, text: String) -> String {
        match &self.token {
            Some(token) => token.redact(text),
            None => text,
        }
    }

    /// One human sentence for a failed attempt, naming the URL.
    fn sentence(&self, url: &Url, id: &str, attempt: &Attempt) -> String {
        match attempt {
            Attempt::Body { status, result } => match result {
                Ok(_) => format!("GET {url} answered {status}"),
                Err(invalid) => format!("GET {url} answered {status}, but {invalid}"),
            },
            Attempt::NotFound => {
                format!("GET {url} answered 404 Not Found: the API does not know product {id:?}")
            }
            Attempt::Status { status, .. } => {
                let hint = match status.as_u16() {
                    401 | 403 => " (check STOCK_API_TOKEN)",
                    300..=399 => " (redirects are not followed)",
                    _ => "",
                };
                format!("GET {url} answered {status}{hint}")
            }
            Attempt::Timeout {
                connecting: true, ..
            } => format!(
                "could not connect to {url} within {}",
                seconds(self.settings.connect_timeout)
            ),
            Attempt::Timeout {
                status: Some(status),
                ..
            } => format!(
                "GET {url} answered {status}, but the body was not complete within {}",
                seconds(self.settings.timeout)
            ),
            Attempt::Timeout { .. } => format!(
                "GET {url} got no answer within {}",
                seconds(self.settings.timeout)
            ),
            Attempt::Connection {
                detail,
                status: Some(status),
            } => format!("GET {url} answered {status}, but reading the body failed: {detail}"),
            Attempt::Connection { detail, .. } => format!("GET {url} failed: {detail}"),
        }
    }
}

impl Attempt {
    /// A short description for retry logs.
    fn describe(&self) -> String {
        match self {
            Attempt::Status { status, .. } => format!("answered {status}"),
            Attempt::Timeout {
                connecting: true, ..
            } => "connect timeout".into(),
            Attempt::Timeout { .. } => "timeout".into(),
            Attempt::Connection { detail, .. } => detail.clone(),
            Attempt::Body { .. } | Attempt::NotFound => "done".into(),
        }
    }
}

#[derive(Debug)]
enum BodyError {
    TooLarge,
    Io(io::Error),
}

/// An error before the answer's headers arrived.
fn classify(err: &reqwest::Error) -> Attempt {
    if err.is_timeout() {
        Attempt::Timeout {
            connecting: err.is_connect(),
            status: None,
        }
    } else if err.is_connect() {
        Attempt::Connection {
            detail: format!("cannot connect: {}", root_cause(err)),
            status: None,
        }
    } else {
        Attempt::Connection {
            detail: root_cause(err),
            status: None,
        }
    }
}

/// An error while reading the body of an answer with `status`.
fn classify_io(err: &io::Error, status: StatusCode) -> Attempt {
    let inner = err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<reqwest::Error>());
    let timed_out = inner.map_or(
        err.kind() == io::ErrorKind::TimedOut,
        reqwest::Error::is_timeout,
    );
    if timed_out {
        return Attempt::Timeout {
            connecting: false,
            status: Some(status),
        };
    }
    let detail = match inner {
        Some(inner) => root_cause(inner),
        None => err.to_string(),
    };
    Attempt::Connection {
        detail,
        status: Some(status),
    }
}

/// The innermost error message (e.g. "Connection refused (os error 111)"),
/// which says more than reqwest's "error sending request for url (...)".
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// "10 s", "0.5 s".
fn seconds(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

/// reqwest is built without a default TLS crypto provider; install rustls's
/// `ring` provider once (a no-op when one is already installed).
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
