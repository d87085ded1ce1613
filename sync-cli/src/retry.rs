//! When and how long to wait before trying again.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;

/// Retry settings.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub retries: u32,
    /// Backoff before the first retry (doubled for each further retry).
    pub base_delay: Duration,
    /// Longest backoff.
    pub max_delay: Duration,
    /// Longest wait a `Retry-After` header can ask for.
    pub max_retry_after: Duration,
}

impl RetryPolicy {
    /// Defaults: 250 ms, 500 ms, 1 s, ... up to 8 s, with jitter; `Retry-After`
    /// honoured up to 10 s.
    pub fn new(retries: u32) -> Self {
        RetryPolicy {
            retries,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(10),
        }
    }

    /// The wait before retry number `retry` (1 for the first retry): the
    /// server's `Retry-After` when given (capped), else exponential backoff
    /// with jitter (between half and all of the nominal delay).
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.max_retry_after);
        }
        let exponent = retry.saturating_sub(1).min(20);
        let nominal = self
            .base_delay
            .saturating_mul(1 << exponent)
            .min(self.max_delay);
        nominal.mul_f64(0.5 + fastrand::f64() / 2.0)
    }
}

/// Statuses worth another try: 408, 429 and every 5xx.
pub fn is_retryable_status(status: StatusCode) -> bool {
    status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
        || status.is_server_error()
}

/// Reads a `Retry-After` value: delay-seconds or an HTTP date.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use sync_cli::retry::parse_retry_after;
/// assert_eq!(parse_retry_after("3", SystemTime::now()), Some(Duration::from_secs(3)));
/// assert_eq!(parse_retry_after("soon", SystemTime::now()), None);
/// ```
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Very long digit strings saturate instead of failing.
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        let cases = [
            ("0", Some(0)),
            ("1", Some(1)),
            (" 120 ", Some(120)),
            ("99999999999999999999999", Some(u64::MAX)),
            ("Wed, 21 Oct 2015 07:28:05 GMT", Some(5)),
            ("Wed, 21 Oct 2015 07:27:00 GMT", Some(0)),
            ("Wednesday, 21-Oct-15 07:28:30 GMT", Some(30)),
            ("-1", None),
            ("1.5", None),
            ("", None),
            ("tomorrow", None),
        ];
        for (value, expected) in cases {
            assert_eq!(
                parse_retry_after(value, now),
                expected.map(Duration::from_secs),
                "{value:?}"
            );
        }
    }

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let policy = RetryPolicy::new(10);
        for _ in 0..100 {
            let first = policy.delay(1, None);
            assert!(first >= Duration::from_millis(125) && first <= Duration::from_millis(250));
            let third = policy.delay(3, None);
            assert!(third >= Duration::from_millis(500) && third <= Duration::from_secs(1));
            assert!(policy.delay(30, None) <= Duration::from_secs(8));
        }
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let policy = RetryPolicy::new(2);
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(1))),
            Duration::from_secs(1)
        );
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(3600))),
            Duration::from_secs(10)
        );
    }

    #[test]
    fn retryable_statuses() {
        for code in [408, 429, 500, 502, 503, 504, 599] {
            assert!(
                is_retryable_status(StatusCode::from_u16(code).unwrap()),
                "{code}"
            );
        }
        for code in [200, 301, 400, 401, 403, 404, 409, 422] {
            assert!(
                !is_retryable_status(StatusCode::from_u16(code).unwrap()),
                "{code}"
            );
        }
    }
}
