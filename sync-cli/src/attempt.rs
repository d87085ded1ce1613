//! How one attempt (one request) ended, and the sentence that says so.
//!
//! [`classify`] and [`classify_io`] turn the HTTP client's errors into an
//! [`Attempt`]; [`Attempt::sentence`] words a failed attempt as the one
//! sentence of a result's `error`, naming the URL.

use std::io;
use std::time::Duration;

use reqwest::StatusCode;
use url::Url;

use crate::invalid::Invalid;
use crate::reason::{Code, Reason};
use crate::retry::is_retryable_status;

/// What made a connection fail, for the reason code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// The TLS handshake failed.
    Tls,
    /// The host name could not be resolved.
    Dns,
    /// Nothing listens at the address.
    Refused,
    /// Anything else: reset, closed early, a body cut.
    Other,
}

/// How one attempt ended. `B` is what a 2xx answer's body became: the
/// answer itself as read ([`crate::http::Answer`]), then a quantity once
/// checked (`fetch`).
#[derive(Debug)]
pub enum Attempt<B> {
    /// A 2xx answer: its body, or why it could not be used.
    Body {
        status: StatusCode,
        result: Result<B, Invalid>,
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
        cause: Cause,
        status: Option<StatusCode>,
        /// The request went out on a connection that was already open, and
        /// the connection closed before any byte of an answer came back: what
        /// a server that closes idle keep-alive connections gives, and safe
        /// to send again at once on a new connection.
        unanswered: bool,
    },
}

/// The time limits that a sentence may name.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// `--timeout`: one attempt, from connecting to the end of the body.
    pub timeout: Duration,
    /// `--connect-timeout`.
    pub connect_timeout: Duration,
}

impl Limits {
    /// The connect timeout to give the HTTP client: `--connect-timeout`, or
    /// when that is not shorter than `--timeout`, a little less than
    /// `--timeout`, so that a connection that never comes is reported as such
    /// rather than as an answer that never came.
    pub fn client_connect_timeout(&self) -> Duration {
        if self.connect_timeout < self.timeout {
            self.connect_timeout
        } else {
            self.timeout.mul_f64(0.9)
        }
    }
}

impl<B> Attempt<B> {
    /// The same attempt, with a 2xx body turned into `C` by `f` (which may
    /// refuse it).
    pub fn and_then_body<C>(self, f: impl FnOnce(B) -> Result<C, Invalid>) -> Attempt<C> {
        match self {
            Attempt::Body { status, result } => Attempt::Body {
                status,
                result: result.and_then(f),
            },
            Attempt::NotFound => Attempt::NotFound,
            Attempt::Status {
                status,
                retry_after,
            } => Attempt::Status {
                status,
                retry_after,
            },
            Attempt::Timeout { connecting, status } => Attempt::Timeout { connecting, status },
            Attempt::Connection {
                detail,
                cause,
                status,
                unanswered,
            } => Attempt::Connection {
                detail,
                cause,
                status,
                unanswered,
            },
        }
    }

    /// Whether another attempt may give another result.
    pub fn retryable(&self) -> bool {
        match self {
            Attempt::Body { .. } | Attempt::NotFound => false,
            Attempt::Status { status, .. } => is_retryable_status(*status),
            Attempt::Timeout { .. } | Attempt::Connection { .. } => true,
        }
    }

    /// The wait a 429 or 503 asked for.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Attempt::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Whether the request was never answered on a reused connection (see
    /// [`Attempt::Connection::unanswered`]).
    pub fn unanswered(&self) -> bool {
        matches!(
            self,
            Attempt::Connection {
                unanswered: true,
                ..
            }
        )
    }

    /// A short description for retry logs.
    pub fn describe(&self) -> String {
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

    /// The reason code of a failed attempt, and the values it names (the
    /// time limit, in seconds, of a timeout).
    pub fn reason(&self, limits: Limits) -> Reason {
        let seconds = |d: Duration| d.as_secs_f64();
        match self {
            Attempt::Body {
                result: Err(invalid),
                ..
            } => invalid.reason(),
            Attempt::Body { .. } => Reason::new(Code::HttpStatus),
            Attempt::NotFound => Reason::new(Code::NotFound),
            Attempt::Status { status, .. } => Reason::new(match status.as_u16() {
                401 | 403 => Code::Unauthorized,
                429 => Code::RateLimited,
                300..=399 => Code::Redirect,
                500..=599 => Code::ServerError,
                _ => Code::HttpStatus,
            }),
            Attempt::Timeout {
                connecting: true, ..
            } => {
                let limit = if limits.connect_timeout < limits.timeout {
                    limits.connect_timeout
                } else {
                    limits.timeout
                };
                Reason::new(Code::ConnectTimeout).with("seconds", seconds(limit))
            }
            Attempt::Timeout {
                status: Some(_), ..
            } => Reason::new(Code::BodyTimeout).with("seconds", seconds(limits.timeout)),
            Attempt::Timeout { .. } => {
                Reason::new(Code::Timeout).with("seconds", seconds(limits.timeout))
            }
            Attempt::Connection { cause, .. } => Reason::new(match cause {
                Cause::Tls => Code::Tls,
                Cause::Dns => Code::Dns,
                Cause::Refused => Code::ConnectionRefused,
                Cause::Other => Code::ConnectionError,
            }),
        }
    }

    /// One human sentence for a failed attempt at `url` for `id`.
    pub fn sentence(&self, url: &Url, id: &str, limits: Limits) -> String {
        match self {
            Attempt::Body { status, result } => match result {
                Ok(_) => format!("GET {url} answered {status}"),
                Err(invalid) => format!("GET {url} answered {status}, but {invalid}"),
            },
            Attempt::NotFound => format!(
                "GET {url} answered 404 Not Found: the API does not know product {}",
                crate::id::quote(id)
            ),
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
            } => {
                if limits.connect_timeout < limits.timeout {
                    format!(
                        "could not connect to {url} within {} (--connect-timeout)",
                        seconds(limits.connect_timeout)
                    )
                } else {
                    format!(
                        "could not connect to {url} within {} (--timeout, which is not longer \
                         than --connect-timeout, also limits connecting)",
                        seconds(limits.timeout)
                    )
                }
            }
            Attempt::Timeout {
                status: Some(status),
                ..
            } => format!(
                "GET {url} answered {status}, but the body was not complete within {}",
                seconds(limits.timeout)
            ),
            Attempt::Timeout { .. } => {
                format!("GET {url} got no answer within {}", seconds(limits.timeout))
            }
            Attempt::Connection {
                detail,
                status: Some(status),
                ..
            } => format!("GET {url} answered {status}, but reading the body failed: {detail}"),
            Attempt::Connection { detail, .. } => format!("GET {url} failed: {detail}"),
        }
    }
}

/// An error before the answer's headers arrived. `reused`: the request may
/// have gone out on a connection opened for an earlier one.
pub fn classify<B>(err: &reqwest::Error, reused: bool) -> Attempt<B> {
    if err.is_timeout() {
        return Attempt::Timeout {
            connecting: err.is_connect(),
            status: None,
        };
    }
    if let Some(tls) = find::<rustls::Error>(err) {
        return Attempt::Connection {
            detail: tls_detail(tls),
            cause: Cause::Tls,
            status: None,
            unanswered: false,
        };
    }
    if err.is_connect() {
        let nobody_listens =
            find::<io::Error>(err).is_some_and(|e| e.kind() == io::ErrorKind::ConnectionRefused);
        let cause = if err.is_dns() {
            Cause::Dns
        } else if nobody_listens {
            Cause::Refused
        } else {
            Cause::Other
        };
        return Attempt::Connection {
            detail: format!("cannot connect: {}", root_cause(err)),
            cause,
            status: None,
            unanswered: false,
        };
    }
    let closed_early = find::<hyper::Error>(err).is_some_and(hyper::Error::is_incomplete_message)
        || find::<io::Error>(err).is_some_and(|e| {
            matches!(
                e.kind(),
                io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
            )
        });
    Attempt::Connection {
        detail: root_cause(err),
        cause: Cause::Other,
        status: None,
        unanswered: reused && closed_early,
    }
}

/// An error while reading the body of an answer with `status`.
pub fn classify_io<B>(err: &io::Error, status: StatusCode) -> Attempt<B> {
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
        cause: Cause::Other,
        status: Some(status),
        unanswered: false,
    }
}

/// The first error of type `E` in the chain of `err`.
fn find<'a, E: std::error::Error + 'static>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a E> {
    let mut cause = Some(err);
    while let Some(current) = cause {
        if let Some(found) = current.downcast_ref::<E>() {
            return Some(found);
        }
        // An io::Error wrapping another error gives, as its source, the
        // source of that error: go through the wrapped error itself.
        cause = match current
            .downcast_ref::<io::Error>()
            .and_then(io::Error::get_ref)
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => current.source(),
        };
    }
    None
}

/// The innermost error message (e.g. "Connection refused (os error 111)"),
/// which says more than reqwest's "error sending request for url (...)".
pub fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

/// A TLS failure in words (never a Rust debug value).
pub fn tls_detail(err: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    match err {
        rustls::Error::InvalidCertificate(cert) => {
            let why = match cert {
                C::UnknownIssuer => "it is not signed by a trusted CA (for a private CA, give \
                                     its certificate with --ca-file)"
                    .to_owned(),
                C::NotValidForName | C::NotValidForNameContext { .. } => {
                    "it is not valid for this host name".to_owned()
                }
                C::Expired | C::ExpiredContext { .. } => "it has expired".to_owned(),
                C::NotValidYet | C::NotValidYetContext { .. } => "it is not valid yet".to_owned(),
                C::Revoked => "it has been revoked".to_owned(),
                C::BadSignature => "its signature does not verify".to_owned(),
                C::BadEncoding => "it is not a well-formed certificate".to_owned(),
                C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
                    "it is not meant for a TLS server".to_owned()
                }
                C::Other(other) => match other.to_string().as_str() {
                    "CaUsedAsEndEntity" => {
                        "it is a CA certificate, not a server certificate signed by a CA".to_owned()
                    }
                    name => format!("it does not verify ({})", words(name)),
                },
                other => format!("it does not verify ({})", words(&format!("{other:?}"))),
            };
            format!("cannot connect: the server's TLS certificate was refused: {why}")
        }
        rustls::Error::AlertReceived(alert) => format!(
            "cannot connect: the server ended the TLS handshake ({} alert)",
            words(&format!("{alert:?}"))
        ),
        other => format!("cannot connect: TLS failure: {other}"),
    }
}

/// `CaUsedAsEndEntity` as "ca used as end entity": a Rust name in words,
/// with anything after the name (`Foo { .. }`, `Foo(..)`) left out.
fn words(name: &str) -> String {
    let name = name
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default();
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// "10 s", "0.5 s".
pub fn seconds(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("http://h:1/api/stock/GS-1").unwrap()
    }

    const LIMITS: Limits = Limits {
        timeout: Duration::from_secs(10),
        connect_timeout: Duration::from_secs(5),
    };

    #[test]
    fn which_attempts_are_retried() {
        let status = |code| StatusCode::from_u16(code).unwrap();
        let retried: [Attempt<f64>; 3] = [
            Attempt::Status {
                status: status(503),
                retry_after: None,
            },
            Attempt::Timeout {
                connecting: true,
                status: None,
            },
            Attempt::Connection {
                detail: String::new(),
                cause: Cause::Other,
                status: None,
                unanswered: false,
            },
        ];
        for attempt in &retried {
            assert!(attempt.retryable(), "{attempt:?}");
        }
        let final_: [Attempt<f64>; 3] = [
            Attempt::NotFound,
            Attempt::Status {
                status: status(400),
                retry_after: None,
            },
            Attempt::Body {
                status: status(200),
                result: Err(Invalid::Empty),
            },
        ];
        for attempt in &final_ {
            assert!(!attempt.retryable(), "{attempt:?}");
        }
    }

    #[test]
    fn sentences_name_the_url_and_the_cause() {
        let cases: Vec<(Attempt<f64>, &str)> = vec![
            (
                Attempt::NotFound,
                r#"GET http://h:1/api/stock/GS-1 answered 404 Not Found: the API does not know product "GS-1""#,
            ),
            (
                Attempt::Status {
                    status: StatusCode::UNAUTHORIZED,
                    retry_after: None,
                },
                "GET http://h:1/api/stock/GS-1 answered 401 Unauthorized (check STOCK_API_TOKEN)",
            ),
            (
                Attempt::Status {
                    status: StatusCode::FOUND,
                    retry_after: None,
                },
                "GET http://h:1/api/stock/GS-1 answered 302 Found (redirects are not followed)",
            ),
            (
                Attempt::Timeout {
                    connecting: false,
                    status: None,
                },
                "GET http://h:1/api/stock/GS-1 got no answer within 10 s",
            ),
            (
                Attempt::Timeout {
                    connecting: false,
                    status: Some(StatusCode::OK),
                },
                "GET http://h:1/api/stock/GS-1 answered 200 OK, but the body was not complete within 10 s",
            ),
            (
                Attempt::Timeout {
                    connecting: true,
                    status: None,
                },
                "could not connect to http://h:1/api/stock/GS-1 within 5 s (--connect-timeout)",
            ),
            (
                Attempt::Body {
                    status: StatusCode::OK,
                    result: Err(Invalid::DuplicateKey("quantity")),
                },
                r#"GET http://h:1/api/stock/GS-1 answered 200 OK, but the body has the key "quantity" more than once"#,
            ),
        ];
        for (attempt, expected) in cases {
            assert_eq!(attempt.sentence(&url(), "GS-1", LIMITS), expected);
        }
    }

    #[test]
    fn reasons_of_attempts() {
        let status = |code| StatusCode::from_u16(code).unwrap();
        let code = |attempt: Attempt<f64>| attempt.reason(LIMITS);
        let answered = |n| Attempt::Status {
            status: status(n),
            retry_after: None,
        };
        for (n, expected) in [
            (401, "unauthorized"),
            (403, "unauthorized"),
            (301, "redirect"),
            (429, "rate_limited"),
            (500, "server_error"),
            (503, "server_error"),
            (400, "http_status"),
            (418, "http_status"),
        ] {
            assert_eq!(code(answered(n)).code.as_str(), expected, "{n}");
        }
        let connecting = code(Attempt::Timeout {
            connecting: true,
            status: None,
        });
        assert_eq!(connecting.code.as_str(), "connect_timeout");
        assert_eq!(connecting.value("seconds"), Some(&5.0.into()));
        let body = code(Attempt::Timeout {
            connecting: false,
            status: Some(StatusCode::OK),
        });
        assert_eq!(body.code.as_str(), "body_timeout");
        assert_eq!(body.value("seconds"), Some(&10.0.into()));
        for (cause, expected) in [
            (Cause::Tls, "tls"),
            (Cause::Dns, "dns"),
            (Cause::Refused, "connection_refused"),
            (Cause::Other, "connection_error"),
        ] {
            let attempt = Attempt::Connection {
                detail: String::new(),
                cause,
                status: None,
                unanswered: false,
            };
            assert_eq!(code(attempt).code.as_str(), expected);
        }
        assert_eq!(code(Attempt::NotFound).code.as_str(), "not_found");
    }

    #[test]
    fn a_timeout_below_the_connect_timeout_is_named_when_connecting() {
        let limits = Limits {
            timeout: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(5),
        };
        assert_eq!(limits.client_connect_timeout(), Duration::from_millis(900));
        assert_eq!(LIMITS.client_connect_timeout(), Duration::from_secs(5));
        let connecting: Attempt<f64> = Attempt::Timeout {
            connecting: true,
            status: None,
        };
        assert_eq!(
            connecting.sentence(&url(), "GS-1", limits),
            "could not connect to http://h:1/api/stock/GS-1 within 1 s (--timeout, which is not \
             longer than --connect-timeout, also limits connecting)"
        );
    }

    #[test]
    fn tls_failures_are_words_not_debug_values() {
        use rustls::{CertificateError, Error, OtherError};
        #[derive(Debug)]
        struct CaUsedAsEndEntity;
        impl std::fmt::Display for CaUsedAsEndEntity {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                // As webpki displays its errors.
                write!(f, "{self:?}")
            }
        }
        impl std::error::Error for CaUsedAsEndEntity {}
        let ca = Error::InvalidCertificate(CertificateError::Other(OtherError(
            std::sync::Arc::new(CaUsedAsEndEntity),
        )));
        assert_eq!(
            tls_detail(&ca),
            "cannot connect: the server's TLS certificate was refused: it is a CA certificate, \
             not a server certificate signed by a CA"
        );
        let unknown = tls_detail(&Error::InvalidCertificate(CertificateError::UnknownIssuer));
        assert!(unknown.contains("not signed by a trusted CA"), "{unknown}");
        assert!(unknown.contains("--ca-file"), "{unknown}");
        let odd = tls_detail(&Error::InvalidCertificate(
            CertificateError::UnknownRevocationStatus,
        ));
        assert!(
            odd.ends_with("it does not verify (unknown revocation status)"),
            "{odd}"
        );
        for message in [tls_detail(&ca), unknown, odd] {
            assert!(
                !message.contains(['(', ')']) || !message.contains("Other("),
                "{message}"
            );
        }
        assert_eq!(
            words("NotValidForNameContext { expected: .. }"),
            "not valid for name context"
        );
    }

    #[test]
    fn a_stale_connection_is_unanswered_only_when_reused() {
        let attempt: Attempt<f64> = Attempt::Connection {
            detail: "connection closed before message completed".into(),
            cause: Cause::Other,
            status: None,
            unanswered: true,
        };
        assert!(attempt.unanswered() && attempt.retryable());
        assert!(!Attempt::<f64>::NotFound.unanswered());
    }
}
