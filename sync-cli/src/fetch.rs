//! Fetching one external ID: request, retries, body limit, validation.
//!
//! How an attempt ended and how that is worded is [`crate::attempt`]'s; the
//! token and its redaction are [`crate::token`]'s.

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
use crate::id::{check_id, quote};
use crate::outcome::{Outcome, Status};
use crate::retry::{RetryPolicy, parse_retry_after};
use crate::target::UrlTemplate;
use crate::token::Token;
use crate::validate::{Invalid, validate_body};
use crate::{Error, USER_AGENT};

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
    /// A client that never reuses a connection, for sending again at once a
    /// request that a reused connection never answered; built when first
    /// needed.
    fresh: OnceLock<Option<Client>>,
    headers: HeaderMap,
    roots: Vec<reqwest::Certificate>,
    template: UrlTemplate,
    settings: FetchSettings,
    /// Kept only to keep it out of messages.
    token: Option<Token>,
    /// Whether the pooled client has had an answer, so that it may hold an
    /// open connection that a server may close at any time.
    answered: AtomicBool,
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
        let roots = settings
            .extra_roots
            .iter()
            .map(|der| reqwest::Certificate::from_der(der))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::Client(root_cause(&e)))?;
        let client = build_client(&settings, &headers, &roots, settings.pool_size)?;
        Ok(Fetcher {
            client,
            fresh: OnceLock::new(),
            headers,
            roots,
            template,
            settings,
            token: token.cloned(),
            answered: AtomicBool::new(false),
        })
    }

    fn limits(&self) -> Limits {
        Limits {
            timeout: self.settings.timeout,
            connect_timeout: self.settings.connect_timeout,
        }
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
            let mut attempt = self.attempt(&self.client, &url, id, true);
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
                attempt = self.attempt(fresh, &url, id, false);
            }
            log::debug!("GET {url}: attempt {attempts}: {attempt:?}");
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

    /// One request. `pooled`: sent with the client that keeps connections
    /// open, so that once any answer has come (to any worker), the request
    /// may have gone out on a connection the server has since closed.
    fn attempt(&self, client: &Client, url: &Url, id: &str, pooled: bool) -> Attempt {
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
        let status = response.status();
        if status.is_success() {
            if let Some(encoding) = content_encoding(&response) {
                // Never asked for (no Accept-Encoding is sent), never decoded.
                let result = Err(Invalid::Compressed(quote(&encoding)));
                return Attempt::Body { status, result };
            }
            let result = match self.read_body(&mut response) {
                Ok(body) => validate_body(&body, id, self.settings.max_quantity),
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
        let message = format!("{}{after}", attempt.sentence(url, id, self.limits()));
        let message = match &self.token {
            Some(token) => token.redact(&message).into_owned(),
            None => message,
        };
        Outcome::failed(id, status, http_status, message, attempts, elapsed)
    }
}

/// The client of a run; `pool` connections are kept open for reuse.
fn build_client(
    settings: &FetchSettings,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::parse_base_url;
    use mockito::{Matcher, Server};

    const TOKEN: &str = "tok-5ecret/0123456789-abcdef";

    fn settings(retries: u32) -> FetchSettings {
        let mut retry = RetryPolicy::new(retries);
        retry.base_delay = Duration::from_millis(1);
        retry.max_delay = Duration::from_millis(5);
        retry.max_retry_after = Duration::from_millis(50);
        FetchSettings {
            timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(2),
            retry,
            max_body_bytes: 1024,
            pool_size: 2,
            max_quantity: 1e9,
            extra_roots: Vec::new(),
        }
    }

    fn fetcher(server: &Server, retries: u32, token: Option<&str>) -> Fetcher {
        let template =
            UrlTemplate::new(&parse_base_url(&server.url()).unwrap(), "/api/stock/{id}").unwrap();
        let token = token.map(|t| Token::from_env_value(Some(t.into())).unwrap().unwrap());
        Fetcher::new(template, token.as_ref(), settings(retries)).unwrap()
    }

    fn ok_body(id: &str) -> String {
        serde_json::json!({"product_id": id, "quantity": "12.5"}).to_string()
    }

    #[test]
    fn sends_accept_user_agent_and_the_token_and_nothing_else() {
        let mut server = Server::new();
        let mock = server
            .mock("GET", "/api/stock/GS-1")
            .match_header("accept", "application/json")
            .match_header("user-agent", USER_AGENT)
            .match_header("authorization", format!("Bearer {TOKEN}").as_str())
            .match_header("accept-encoding", Matcher::Missing)
            .match_header("cookie", Matcher::Missing)
            .with_body(ok_body("GS-1"))
            .expect(1)
            .create();
        let outcome = fetcher(&server, 0, Some(TOKEN)).fetch("GS-1");
        mock.assert();
        assert_eq!(outcome.status, Status::Ok, "{outcome:?}");
        assert_eq!(outcome.quantity, Some(12.5));
        assert_eq!(outcome.attempts, 1);
    }

    #[test]
    fn no_token_no_authorization_header() {
        let mut server = Server::new();
        let mock = server
            .mock("GET", "/api/stock/GS-1")
            .match_header("authorization", Matcher::Missing)
            .with_body(ok_body("GS-1"))
            .create();
        assert!(fetcher(&server, 0, None).fetch("GS-1").is_ok());
        mock.assert();
    }

    #[test]
    fn a_sequence_of_503s_then_200_takes_one_attempt_each() {
        let mut server = Server::new();
        let failing = server
            .mock("GET", "/api/stock/GS-1")
            .with_status(503)
            .expect(2)
            .create();
        let ok = server
            .mock("GET", "/api/stock/GS-1")
            .with_body(ok_body("GS-1"))
            .expect(1)
            .create();
        let outcome = fetcher(&server, 2, None).fetch("GS-1");
        failing.assert();
        ok.assert();
        assert_eq!(outcome.status, Status::Ok, "{outcome:?}");
        assert_eq!(outcome.attempts, 3);
    }

    #[test]
    fn retries_stop_at_the_limit_and_say_how_many_attempts() {
        let mut server = Server::new();
        let mock = server
            .mock("GET", "/api/stock/GS-1")
            .with_status(500)
            .expect(3)
            .create();
        let outcome = fetcher(&server, 2, None).fetch("GS-1");
        mock.assert();
        assert_eq!(outcome.status, Status::HttpError);
        assert_eq!(outcome.http_status, Some(500));
        let error = outcome.error.unwrap();
        assert!(
            error.ends_with("answered 500 Internal Server Error (after 3 attempts)"),
            "{error}"
        );
    }

    #[test]
    fn not_found_and_client_errors_are_not_retried() {
        let mut server = Server::new();
        let not_found = server
            .mock("GET", "/api/stock/GS-0")
            .with_status(404)
            .expect(1)
            .create();
        let bad = server
            .mock("GET", "/api/stock/GS-2")
            .with_status(400)
            .expect(1)
            .create();
        let fetcher = fetcher(&server, 3, None);
        assert_eq!(fetcher.fetch("GS-0").status, Status::NotFound);
        assert_eq!(fetcher.fetch("GS-2").status, Status::HttpError);
        not_found.assert();
        bad.assert();
    }

    #[test]
    fn a_429_waits_for_its_retry_after() {
        let mut server = Server::new();
        let limited = server
            .mock("GET", "/api/stock/GS-1")
            .with_status(429)
            .with_header("retry-after", "0")
            .expect(1)
            .create();
        let ok = server
            .mock("GET", "/api/stock/GS-1")
            .with_body(ok_body("GS-1"))
            .expect(1)
            .create();
        let outcome = fetcher(&server, 1, None).fetch("GS-1");
        limited.assert();
        ok.assert();
        assert_eq!(outcome.attempts, 2);
    }

    #[test]
    fn invalid_bodies_are_not_retried() {
        let mut server = Server::new();
        let mock = server
            .mock("GET", "/api/stock/GS-1")
            .with_body(r#"{"product_id": "GS-1", "quantity": "1", "quantity": "2"}"#)
            .expect(1)
            .create();
        let outcome = fetcher(&server, 3, None).fetch("GS-1");
        mock.assert();
        assert_eq!(outcome.status, Status::InvalidResponse);
        assert!(
            outcome
                .error
                .unwrap()
                .ends_with(r#"the key "quantity" more than once"#)
        );
    }

    #[test]
    fn a_compressed_body_is_refused_unread() {
        let mut server = Server::new();
        server
            .mock("GET", "/api/stock/GS-1")
            .with_header("content-encoding", "br")
            .with_body(ok_body("GS-1"))
            .create();
        let outcome = fetcher(&server, 0, None).fetch("GS-1");
        assert_eq!(outcome.status, Status::InvalidResponse);
        let error = outcome.error.unwrap();
        assert!(
            error.contains(r#"compressed (Content-Encoding: "br")"#),
            "{error}"
        );
        // `identity` is no compression.
        let mut server = Server::new();
        server
            .mock("GET", "/api/stock/GS-1")
            .with_header("content-encoding", "identity")
            .with_body(ok_body("GS-1"))
            .create();
        assert!(fetcher(&server, 0, None).fetch("GS-1").is_ok());
    }

    #[test]
    fn a_body_over_the_limit_is_refused() {
        let mut server = Server::new();
        server
            .mock("GET", "/api/stock/GS-1")
            .with_body(format!("{}{}", ok_body("GS-1"), " ".repeat(2000)))
            .create();
        let outcome = fetcher(&server, 0, None).fetch("GS-1");
        assert_eq!(outcome.status, Status::InvalidResponse);
        assert!(
            outcome
                .error
                .unwrap()
                .ends_with("larger than the limit of 1024 bytes")
        );
    }

    #[test]
    fn an_echoed_token_is_redacted_from_the_message() {
        let mut server = Server::new();
        let escaped = serde_json::to_string(TOKEN).unwrap().replace('/', "\\/");
        server
            .mock("GET", "/api/stock/GS-1")
            .with_body(format!(
                r#"{{"product_id": "GS-1", "quantity": {escaped}}}"#
            ))
            .create();
        let outcome = fetcher(&server, 0, Some(TOKEN)).fetch("GS-1");
        assert_eq!(outcome.status, Status::InvalidResponse);
        let error = outcome.error.unwrap();
        assert!(error.contains("<redacted>"), "{error}");
        let chars: Vec<char> = TOKEN.chars().collect();
        for piece in chars.windows(8) {
            let piece: String = piece.iter().collect();
            assert!(!error.contains(&piece), "{piece} in {error}");
        }
    }

    #[test]
    fn refused_ids_send_nothing() {
        let mut server = Server::new();
        let mock = server.mock("GET", Matcher::Any).expect(0).create();
        let fetcher = fetcher(&server, 0, None);
        for id in [".", "..", " GS-1", "GS\u{7}", ""] {
            let outcome = fetcher.fetch(id);
            assert_eq!(outcome.status, Status::HttpError, "{id:?}");
            assert_eq!(outcome.attempts, 0);
            assert!(outcome.error.unwrap().ends_with("no request was sent"));
        }
        mock.assert();
    }
}
