//! `--rate-limit N`: at most N stock requests a second, as a token bucket of N
//! tokens refilled at N a second. A request over it is refused (429) and
//! counted; [`log_refusals`] logs the count once a second.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The token bucket of the stock routes, and its count of refused requests.
#[derive(Debug)]
pub struct RateLimiter {
    rate: u32,
    bucket: Mutex<Bucket>,
    refused: AtomicU64,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    refilled_at: Instant,
}

/// What the bucket said about one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quota {
    /// Let through; `remaining` more requests would be now, and the bucket
    /// is full again in `reset_secs` seconds.
    Allowed { remaining: u32, reset_secs: u64 },
    /// Refused: a request may come again in `retry_after_secs` (at least 1).
    Refused { retry_after_secs: u64 },
}

impl Quota {
    /// The `RateLimit-Remaining` header's value.
    pub fn remaining(self) -> u32 {
        match self {
            Quota::Allowed { remaining, .. } => remaining,
            Quota::Refused { .. } => 0,
        }
    }

    /// The `RateLimit-Reset` header's value, in seconds: when the bucket is
    /// full again, or, refused, when a request may come again.
    pub fn reset_secs(self) -> u64 {
        match self {
            Quota::Allowed { reset_secs, .. } => reset_secs,
            Quota::Refused { retry_after_secs } => retry_after_secs,
        }
    }
}

impl RateLimiter {
    /// A full bucket of `rate` requests a second; `None` for 0 (no limit).
    pub fn new(rate: u32) -> Option<Self> {
        (rate > 0).then(|| RateLimiter {
            rate,
            bucket: Mutex::new(Bucket {
                tokens: f64::from(rate),
                refilled_at: Instant::now(),
            }),
            refused: AtomicU64::new(0),
        })
    }

    /// Requests a second.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// Takes a token for a request arriving at `now`, or refuses it (and
    /// counts it).
    pub fn check(&self, now: Instant) -> Quota {
        let rate = f64::from(self.rate);
        let mut bucket = self.bucket.lock().unwrap_or_else(PoisonError::into_inner);
        let elapsed = now.saturating_duration_since(bucket.refilled_at);
        bucket.tokens = (bucket.tokens + elapsed.as_secs_f64() * rate).min(rate);
        bucket.refilled_at = bucket.refilled_at.max(now);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Quota::Allowed {
                remaining: bucket.tokens.floor() as u32,
                reset_secs: whole_secs((rate - bucket.tokens) / rate),
            }
        } else {
            self.refused.fetch_add(1, Ordering::Relaxed);
            Quota::Refused {
                retry_after_secs: whole_secs((1.0 - bucket.tokens) / rate).max(1),
            }
        }
    }

    /// How many requests were refused since the start.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
}

/// `secs` rounded up to a whole number of seconds.
fn whole_secs(secs: f64) -> u64 {
    secs.max(0.0).ceil() as u64
}

/// Logs, once a second, how many requests were refused in that second (only
/// when some were). Runs until dropped.
pub async fn log_refusals(limiter: &RateLimiter) {
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    let mut logged = 0;
    loop {
        ticks.tick().await;
        let total = limiter.refused();
        if total > logged {
            tracing::info!(
                refused = total - logged,
                total,
                "rate limit of {}/s: {} requests refused in the last second",
                limiter.rate(),
                total - logged
            );
            logged = total;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_limit_at_zero() {
        assert!(RateLimiter::new(0).is_none());
    }

    #[test]
    fn a_full_bucket_lets_n_through_then_refuses() {
        let limiter = RateLimiter::new(3).unwrap();
        let t = Instant::now();
        assert_eq!(
            limiter.check(t),
            Quota::Allowed {
                remaining: 2,
                reset_secs: 1
            }
        );
        assert_eq!(limiter.check(t).remaining(), 1);
        assert_eq!(limiter.check(t).remaining(), 0);
        assert_eq!(
            limiter.check(t),
            Quota::Refused {
                retry_after_secs: 1
            }
        );
        assert_eq!(limiter.refused(), 1);
        // A third of a second later, one token is back.
        let later = t + Duration::from_millis(334);
        assert_eq!(limiter.check(later).remaining(), 0);
        assert!(matches!(limiter.check(later), Quota::Refused { .. }));
        assert_eq!(limiter.refused(), 2);
        // A second later, the bucket is full again (and never fuller).
        let much_later = t + Duration::from_secs(60);
        assert_eq!(limiter.check(much_later).remaining(), 2);
    }

    #[test]
    fn the_bucket_refills_over_time() {
        let limiter = RateLimiter::new(10).unwrap();
        let t = Instant::now();
        let allowed = (0..100)
            .filter(|i| {
                let at = t + Duration::from_millis(i * 20);
                matches!(limiter.check(at), Quota::Allowed { .. })
            })
            .count();
        // 2 s of requests every 20 ms: the 10 of the full bucket, then 10 a
        // second (at most one more for rounding).
        assert!((29..=31).contains(&allowed), "{allowed}");
        assert_eq!(limiter.refused(), 100 - allowed as u64);
    }
}
