//! How fast requests may go: `--max-rps` and the API's own quota.
//!
//! One [`RateLimiter`] is shared by every worker of a run (`fetch`'s pool or
//! `list`'s single reader). Before each request a worker takes the next free
//! slot: slots are `1 / max_rps` seconds apart, so that no window of one
//! second ever holds more than `max_rps` requests, whatever the concurrency.
//! An answer saying that the API's quota is spent ([`quota_wait`]) holds
//! every worker's next request until the quota's reset.
//!
//! A 429 or 503 with `Retry-After` is not this module's: that request's own
//! retry waits it out ([`crate::retry`]).

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;

/// The longest hold that a quota answer can ask for.
pub const MAX_QUOTA_WAIT: Duration = Duration::from_secs(60);

/// The largest `--max-rps`.
pub const MAX_RPS_CEILING: f64 = 10_000.0;

/// A reset value from which `X-RateLimit-Reset` is read as a Unix time (as
/// GitHub sends it) rather than as seconds from now: 2001-09-09.
const UNIX_TIME_FROM: f64 = 1e9;

/// The next free request slot and any quota hold, shared by every worker.
#[derive(Debug)]
pub struct RateLimiter {
    /// Time between two requests; `None`: no cap (`--max-rps 0`).
    interval: Option<Duration>,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// The earliest start of the next request under `--max-rps`.
    next_slot: Option<Instant>,
    /// No request starts before this (a spent quota).
    hold_until: Option<Instant>,
}

impl RateLimiter {
    /// A limiter of at most `max_rps` requests a second; 0 (or less, or not a
    /// number) is no cap.
    pub fn new(max_rps: f64) -> Self {
        // Rounded up to the nanosecond: N slots never fit in less than a
        // second.
        let interval = (max_rps > 0.0 && max_rps.is_finite())
            .then(|| Duration::from_nanos((1e9 / max_rps.min(MAX_RPS_CEILING)).ceil() as u64));
        RateLimiter {
            interval,
            state: Mutex::new(State {
                next_slot: None,
                hold_until: None,
            }),
        }
    }

    /// Takes the next request slot and returns how long to wait before
    /// sending (zero: send now). The slot is taken at once, so that workers
    /// waiting at the same time each get their own.
    pub fn reserve(&self, now: Instant) -> Duration {
        // A poisoned lock only means that another worker panicked while
        // holding it; its state is two instants, always consistent.
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut start = now;
        if let Some(hold) = state.hold_until {
            start = start.max(hold);
        }
        if let Some(interval) = self.interval {
            if let Some(slot) = state.next_slot {
                start = start.max(slot);
            }
            state.next_slot = Some(start + interval);
        }
        start - now
    }

    /// Waits for the next request slot (see [`RateLimiter::reserve`]).
    pub fn acquire(&self) {
        let wait = self.reserve(Instant::now());
        if !wait.is_zero() {
            log::debug!("waiting {} ms for a request slot", wait.as_millis());
            std::thread::sleep(wait);
        }
    }

    /// Holds every request not yet started until `until`.
    pub fn hold_until(&self, until: Instant) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.hold_until = Some(state.hold_until.map_or(until, |held| held.max(until)));
    }
}

/// How long an answer asks every worker to hold off: when it says the quota
/// is spent (`RateLimit-Remaining: 0` or `X-RateLimit-Remaining: 0`) and when
/// it resets (`RateLimit-Reset` or `X-RateLimit-Reset`, of the same family,
/// in seconds; an `X-RateLimit-Reset` from 1e9 on is a Unix time, as GitHub
/// sends it), capped at [`MAX_QUOTA_WAIT`]. `None` when the quota is not
/// spent, or its reset is missing, unreadable or past.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use reqwest::header::{HeaderMap, HeaderValue};
/// use sync_cli::rate::quota_wait;
/// let mut headers = HeaderMap::new();
/// headers.insert("ratelimit-remaining", HeaderValue::from_static("0"));
/// headers.insert("ratelimit-reset", HeaderValue::from_static("2"));
/// assert_eq!(quota_wait(&headers, SystemTime::now()), Some(Duration::from_secs(2)));
/// ```
pub fn quota_wait(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    [
        ("ratelimit-remaining", "ratelimit-reset", false),
        ("x-ratelimit-remaining", "x-ratelimit-reset", true),
    ]
    .into_iter()
    .filter(|(remaining, _, _)| header_number(headers, remaining) == Some(0.0))
    .filter_map(|(_, reset, unix_time_allowed)| {
        let reset = header_number(headers, reset)?;
        let secs = if unix_time_allowed && reset >= UNIX_TIME_FROM {
            let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs_f64();
            reset - now
        } else {
            reset
        };
        (secs > 0.0).then(|| Duration::from_secs_f64(secs.min(MAX_QUOTA_WAIT.as_secs_f64())))
    })
    .max()
}

/// A header whose value is a non-negative decimal number (`0`, `12`, `1.5`).
fn header_number(headers: &HeaderMap, name: &str) -> Option<f64> {
    let text = headers.get(name)?.to_str().ok()?.trim();
    let valid = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && text.bytes().filter(|&b| b == b'.').count() <= 1
        && !text.starts_with('.')
        && !text.ends_with('.');
    valid
        .then(|| text.parse::<f64>().ok())
        .flatten()
        .filter(|n| n.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn slots_are_one_interval_apart_whatever_the_callers() {
        let limiter = RateLimiter::new(4.0);
        let t0 = Instant::now();
        // Eight workers asking at the same instant get slots 250 ms apart.
        let waits: Vec<Duration> = (0..8).map(|_| limiter.reserve(t0)).collect();
        let expected: Vec<Duration> = (0..8).map(|n| Duration::from_millis(250 * n)).collect();
        assert_eq!(waits, expected);
        // Later, after a pause, the next one goes at once...
        let later = t0 + Duration::from_secs(10);
        assert_eq!(limiter.reserve(later), Duration::ZERO);
        // ... and the one after waits a full interval again.
        assert_eq!(limiter.reserve(later), Duration::from_millis(250));
    }

    #[test]
    fn no_window_of_one_second_holds_more_than_the_cap() {
        for max_rps in [1.0, 2.0, 3.0, 7.0, 10.0, 0.5] {
            let limiter = RateLimiter::new(max_rps);
            let t0 = Instant::now();
            let mut now = t0;
            let mut starts = Vec::new();
            for n in 0..60u32 {
                // Callers come at irregular times.
                now += Duration::from_millis(u64::from(n % 5) * 37);
                starts.push(now + limiter.reserve(now));
            }
            starts.sort();
            for (i, first) in starts.iter().enumerate() {
                let in_window = starts[i..]
                    .iter()
                    .take_while(|&&s| s < *first + Duration::from_secs(1))
                    .count();
                assert!(
                    in_window as f64 <= max_rps.max(1.0),
                    "{max_rps}: {in_window}"
                );
            }
        }
    }

    #[test]
    fn no_cap_never_waits() {
        for max_rps in [0.0, -1.0, f64::NAN] {
            let limiter = RateLimiter::new(max_rps);
            let now = Instant::now();
            for _ in 0..100 {
                assert_eq!(limiter.reserve(now), Duration::ZERO);
            }
        }
    }

    #[test]
    fn a_hold_delays_every_next_request() {
        let limiter = RateLimiter::new(0.0);
        let now = Instant::now();
        limiter.hold_until(now + Duration::from_secs(2));
        // A shorter hold does not shorten it.
        limiter.hold_until(now + Duration::from_secs(1));
        assert_eq!(limiter.reserve(now), Duration::from_secs(2));
        assert_eq!(limiter.reserve(now), Duration::from_secs(2));
        let after = now + Duration::from_secs(3);
        assert_eq!(limiter.reserve(after), Duration::ZERO);
        // With a cap, slots follow the hold.
        let capped = RateLimiter::new(2.0);
        capped.hold_until(now + Duration::from_secs(1));
        assert_eq!(capped.reserve(now), Duration::from_secs(1));
        assert_eq!(capped.reserve(now), Duration::from_millis(1500));
    }

    type Headers = &'static [(&'static str, &'static str)];

    #[test]
    fn quota_answers() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let cases: &[(Headers, Option<u64>)] = &[
            (
                &[("ratelimit-remaining", "0"), ("ratelimit-reset", "1")],
                Some(1000),
            ),
            (
                &[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "3")],
                Some(3000),
            ),
            (
                &[("ratelimit-remaining", "0"), ("ratelimit-reset", "1.5")],
                Some(1500),
            ),
            // Capped.
            (
                &[("ratelimit-remaining", "0"), ("ratelimit-reset", "3600")],
                Some(60_000),
            ),
            // GitHub's Unix time.
            (
                &[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", "1800000007"),
                ],
                Some(7000),
            ),
            (
                &[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", "1799999999"),
                ],
                None,
            ),
            // Not spent, no reset, unreadable, mixed families, zero.
            (
                &[("ratelimit-remaining", "1"), ("ratelimit-reset", "5")],
                None,
            ),
            (&[("ratelimit-remaining", "0")], None),
            (
                &[("ratelimit-remaining", "0"), ("ratelimit-reset", "soon")],
                None,
            ),
            (
                &[("ratelimit-remaining", "0"), ("ratelimit-reset", "-5")],
                None,
            ),
            (
                &[("ratelimit-remaining", "0"), ("x-ratelimit-reset", "5")],
                None,
            ),
            (
                &[("ratelimit-remaining", "0"), ("ratelimit-reset", "0")],
                None,
            ),
            (&[("ratelimit-reset", "5")], None),
        ];
        for (pairs, expected) in cases {
            assert_eq!(
                quota_wait(&headers(pairs), now),
                expected.map(Duration::from_millis),
                "{pairs:?}"
            );
        }
    }
}
