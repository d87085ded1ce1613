//! The API's own clock: the system's, shifted by `--clock-offset-secs`, so that
//! tests can put the API's clock and their client's apart. It gives the `Date`
//! header of every answer, the products' `updated_at` and the time that
//! `updated_since` is compared with.

use std::time::{Duration, SystemTime};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The largest clock offset accepted, either way: 100 years, in seconds.
pub const MAX_OFFSET_SECS: i64 = 100 * 365 * 24 * 3600;

/// The system's clock shifted by a fixed number of seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clock {
    offset_secs: i64,
}

impl Clock {
    /// A clock `offset_secs` ahead of the system's (behind when negative),
    /// the offset clamped to [`MAX_OFFSET_SECS`] either way.
    pub fn with_offset_secs(offset_secs: i64) -> Self {
        Clock {
            offset_secs: offset_secs.clamp(-MAX_OFFSET_SECS, MAX_OFFSET_SECS),
        }
    }

    /// How far this clock is ahead of the system's, in seconds.
    pub fn offset_secs(self) -> i64 {
        self.offset_secs
    }

    /// The time on this clock.
    pub fn now(self) -> SystemTime {
        self.shift(SystemTime::now())
    }

    /// `time` (on the system's clock) on this clock.
    pub fn shift(self, time: SystemTime) -> SystemTime {
        let offset = Duration::from_secs(self.offset_secs.unsigned_abs());
        let shifted = if self.offset_secs >= 0 {
            time.checked_add(offset)
        } else {
            time.checked_sub(offset)
        };
        shifted.unwrap_or(time)
    }
}

/// `time` in RFC 3339, UTC, to the second (truncated), e.g.
/// `2026-12-04T10:00:00Z`.
pub fn rfc3339(time: SystemTime) -> String {
    let utc = OffsetDateTime::from(time);
    let utc = utc.replace_nanosecond(0).unwrap_or(utc);
    utc.format(&Rfc3339)
        .unwrap_or_else(|_| utc.unix_timestamp().to_string())
}

/// Reads an RFC 3339 time such as `2026-12-04T10:00:00Z` or
/// `2026-12-04T11:00:00.5+01:00`.
pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .map(SystemTime::from)
}

/// `time` as an HTTP date (IMF-fixdate), e.g. `Fri, 04 Dec 2026 10:00:00 GMT`.
pub fn http_date(time: SystemTime) -> String {
    let utc = OffsetDateTime::from(time);
    let weekday = utc.weekday().to_string();
    let month = utc.month().to_string();
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        &weekday[..3],
        utc.day(),
        &month[..3],
        utc.year(),
        utc.hour(),
        utc.minute(),
        utc.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(unix: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(unix)
    }

    #[test]
    fn formats_and_reads_rfc3339() {
        // 2026-12-04T10:00:00Z
        let t = at(1_796_378_400);
        assert_eq!(rfc3339(t), "2026-12-04T10:00:00Z");
        assert_eq!(
            rfc3339(t + Duration::from_millis(999)),
            "2026-12-04T10:00:00Z"
        );
        assert_eq!(parse_rfc3339("2026-12-04T10:00:00Z"), Some(t));
        assert_eq!(parse_rfc3339("2026-12-04T11:00:00+01:00"), Some(t));
        assert_eq!(
            parse_rfc3339("2026-12-04T10:00:00.25Z"),
            Some(t + Duration::from_millis(250))
        );
        for bad in [
            "",
            "2026-12-04",
            "2026-12-04T10:00:00",
            "2026-12-04 10:00:00 01:00",
            "2026-13-04T10:00:00Z",
            "1796378400",
            "yesterday",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_http_dates() {
        assert_eq!(
            http_date(at(1_796_378_400)),
            "Fri, 04 Dec 2026 10:00:00 GMT"
        );
        assert_eq!(http_date(at(784_111_777)), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(
            http_date(SystemTime::UNIX_EPOCH - Duration::from_secs(86_400)),
            "Wed, 31 Dec 1969 00:00:00 GMT"
        );
    }

    #[test]
    fn offsets_shift_either_way_within_bounds() {
        let t = at(1_796_378_400);
        assert_eq!(Clock::default().shift(t), t);
        assert_eq!(
            Clock::with_offset_secs(3600).shift(t),
            t + Duration::from_secs(3600)
        );
        assert_eq!(
            Clock::with_offset_secs(-90).shift(t),
            t - Duration::from_secs(90)
        );
        assert_eq!(
            Clock::with_offset_secs(i64::MIN).offset_secs(),
            -MAX_OFFSET_SECS
        );
    }
}
