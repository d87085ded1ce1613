//! Fetching one external ID: the ID's checks, its URL, one GET through the
//! shared [`Http`] client, the body checked as that product's.
//!
//! How an attempt ended and how that is worded is [`crate::attempt`]'s; the
//! request, its retries and its rate are [`crate::http`]'s.

use std::time::{Duration, Instant};

use url::Url;

use crate::attempt::Attempt;
use crate::http::{Exchange, Http};
use crate::id::check_id;
use crate::invalid::Invalid;
use crate::locations::Locations;
use crate::outcome::{Outcome, Status};
use crate::target::UrlTemplate;
use crate::validate::{Answered, validate_answer};

/// Fetches IDs through one shared [`Http`] client. `Sync`: worker threads
/// share one `Fetcher`.
#[derive(Debug)]
pub struct Fetcher<'a> {
    http: &'a Http,
    template: UrlTemplate,
    /// Largest quantity accepted; a larger one is `invalid_response`.
    max_quantity: f64,
}

impl<'a> Fetcher<'a> {
    pub fn new(http: &'a Http, template: UrlTemplate, max_quantity: f64) -> Self {
        Fetcher {
            http,
            template,
            max_quantity,
        }
    }

    /// Fetches one ID, with retries; never fails: every problem is an
    /// [`Outcome`] with a status and a message.
    pub fn fetch(&self, id: &str) -> Outcome {
        let start = Instant::now();
        if let Err(err) = check_id(id) {
            let message = format!("{err}; no request was sent");
            return Outcome::failed(id, Status::HttpError, None, message, 0, start.elapsed())
                .with_reason(err.reason());
        }
        let url = match self.template.url_for(id) {
            Ok(url) => url,
            Err(err) => {
                let message = format!("{err}; no request was sent");
                return Outcome::failed(id, Status::HttpError, None, message, 0, start.elapsed())
                    .with_reason(err.reason());
            }
        };
        let Exchange {
            attempt,
            attempts,
            elapsed,
        } = self.http.get(&url);
        let attempt = attempt.and_then_body(|answer| {
            let answered = validate_answer(&answer.body, id, self.max_quantity)?;
            // A code is printed as it is: one that echoes a secret is refused.
            let codes = answered.locations.iter().flat_map(Locations::codes);
            if codes.into_iter().any(|code| self.http.holds_secret(code)) {
                return Err(Invalid::LocationHoldsSecret);
            }
            Ok(answered)
        });
        self.outcome(id, &url, &attempt, attempts, elapsed)
    }

    fn outcome(
        &self,
        id: &str,
        url: &Url,
        attempt: &Attempt<Answered>,
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
                Ok(answered) => {
                    let mut outcome = Outcome::ok(id, answered.quantity, attempts, elapsed)
                        .with_locations(answered.locations.clone());
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
        let limits = self.http.limits();
        let message = format!("{}{after}", attempt.sentence(url, id, limits));
        let message = self.http.redact(message);
        let reason = attempt
            .reason(limits)
            .redacted(|text| self.http.redact(text));
        Outcome::failed(id, status, http_status, message, attempts, elapsed).with_reason(reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{AuthScheme, Credentials};
    use crate::http::{HttpSettings, USER_AGENT};
    use crate::retry::RetryPolicy;
    use crate::target::parse_base_url;
    use mockito::{Matcher, Server};

    const TOKEN: &str = "tok-5ecret/0123456789-abcdef";

    fn settings(retries: u32) -> HttpSettings {
        let mut retry = RetryPolicy::new(retries);
        retry.base_delay = Duration::from_millis(1);
        retry.max_delay = Duration::from_millis(5);
        retry.max_retry_after = Duration::from_millis(50);
        HttpSettings {
            timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(2),
            retry,
            max_body_bytes: 1024,
            pool_size: 2,
            max_rps: 0.0,
            extra_roots: Vec::new(),
        }
    }

    fn fetcher(server: &Server, retries: u32, token: Option<&str>) -> Fetcher<'static> {
        let template =
            UrlTemplate::new(&parse_base_url(&server.url()).unwrap(), "/api/stock/{id}").unwrap();
        let credentials = Credentials::new(AuthScheme::Bearer, None, token, None).unwrap();
        let http = Http::new(&credentials, settings(retries)).unwrap();
        Fetcher::new(Box::leak(Box::new(http)), template, 1e9)
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
