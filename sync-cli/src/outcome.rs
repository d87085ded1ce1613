//! The result for one external ID: one JSON line of output.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use crate::locations::Locations;
use crate::reason::Reason;

/// How fetching one ID ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 200, valid body, quantity present.
    Ok,
    /// 404: the API does not know the product.
    NotFound,
    /// A 2xx answer whose body is not the expected JSON.
    InvalidResponse,
    /// DNS, refused, reset, TLS failure, after retries.
    ConnectionError,
    /// No complete answer in time, after retries.
    Timeout,
    /// Any other status, after retries where retryable.
    HttpError,
}

impl Status {
    /// Every status, in the order summaries list them.
    pub const ALL: [Status; 6] = [
        Status::Ok,
        Status::NotFound,
        Status::InvalidResponse,
        Status::ConnectionError,
        Status::Timeout,
        Status::HttpError,
    ];

    /// The name used in the output.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::NotFound => "not_found",
            Status::InvalidResponse => "invalid_response",
            Status::ConnectionError => "connection_error",
            Status::Timeout => "timeout",
            Status::HttpError => "http_error",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result for one external ID (or one record of a listing), serialised
/// as one JSON line:
///
/// ```json
/// {"external_id":"123","status":"ok","quantity":50.0,"http_status":200,"attempts":1,"elapsed_ms":3}
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Outcome {
    /// Always present for `fetch`; absent for a listed record whose ID could
    /// not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// `list --location-field`: the record's location, when it could be
    /// read and passes the rules of a code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    pub status: Status,
    /// Why the line is not `ok`: `"reason": "<code>"` and the values the
    /// code names, as keys of the line itself.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// Present when `status` is `ok`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<f64>,
    /// The quantity at each location, when `ok` and the answer gives them
    /// (`"locations": {"PARIS": 30.0, "LYON": 20.0}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locations: Option<Locations>,
    /// The last HTTP status received, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// One sentence saying what happened and with which URL; present unless `ok`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Requests sent for this ID (0 when none could be sent); for a listed
    /// record, those of its page.
    pub attempts: u32,
    /// Time spent on this ID, retries and waits included; for a listed
    /// record, on its page.
    pub elapsed_ms: u64,
}

impl Outcome {
    /// A successful fetch, answered 200 (callers may set another 2xx).
    pub fn ok(external_id: &str, quantity: f64, attempts: u32, elapsed: Duration) -> Self {
        Outcome {
            external_id: Some(external_id.to_owned()),
            location: None,
            status: Status::Ok,
            reason: None,
            quantity: Some(quantity),
            locations: None,
            http_status: Some(200),
            error: None,
            attempts,
            elapsed_ms: millis(elapsed),
        }
    }

    /// A failed fetch.
    pub fn failed(
        external_id: &str,
        status: Status,
        http_status: Option<u16>,
        error: String,
        attempts: u32,
        elapsed: Duration,
    ) -> Self {
        Outcome {
            external_id: Some(external_id.to_owned()),
            location: None,
            status,
            reason: None,
            quantity: None,
            locations: None,
            http_status,
            error: Some(error),
            attempts,
            elapsed_ms: millis(elapsed),
        }
    }

    /// A record of a listing that cannot be used; `external_id` when it
    /// could be read.
    pub fn invalid_record(
        external_id: Option<&str>,
        http_status: u16,
        error: String,
        attempts: u32,
        elapsed: Duration,
    ) -> Self {
        Outcome {
            external_id: external_id.map(str::to_owned),
            location: None,
            status: Status::InvalidResponse,
            reason: None,
            quantity: None,
            locations: None,
            http_status: Some(http_status),
            error: Some(error),
            attempts,
            elapsed_ms: millis(elapsed),
        }
    }

    /// The same line, saying why it is not `ok`.
    #[must_use]
    pub fn with_reason(mut self, reason: Reason) -> Self {
        self.reason = Some(reason);
        self
    }

    /// The same line, with the quantity at each location.
    #[must_use]
    pub fn with_locations(mut self, locations: Option<Locations>) -> Self {
        self.locations = locations;
        self
    }

    /// The same line, about one location of its ID (`list
    /// --location-field`).
    #[must_use]
    pub fn at_location(mut self, location: Option<String>) -> Self {
        self.location = location;
        self
    }

    pub fn is_ok(&self) -> bool {
        self.status == Status::Ok
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shape() {
        let ok = Outcome::ok("123", 50.0, 1, Duration::from_millis(7));
        assert_eq!(
            serde_json::to_string(&ok).unwrap(),
            r#"{"external_id":"123","status":"ok","quantity":50.0,"http_status":200,"attempts":1,"elapsed_ms":7}"#
        );
        let failed = Outcome::failed(
            "999",
            Status::NotFound,
            Some(404),
            "GET http://h/api/stock/999 answered 404 Not Found".into(),
            1,
            Duration::from_millis(2),
        );
        assert_eq!(
            serde_json::to_string(&failed).unwrap(),
            r#"{"external_id":"999","status":"not_found","http_status":404,"error":"GET http://h/api/stock/999 answered 404 Not Found","attempts":1,"elapsed_ms":2}"#
        );
    }

    #[test]
    fn locations_and_location_take_their_places() {
        let ok = Outcome::ok("GS-1013", 45.0, 1, Duration::from_millis(3)).with_locations(Some(
            Locations(vec![("PARIS".into(), 30.0), ("LYON".into(), 15.0)]),
        ));
        assert_eq!(
            serde_json::to_string(&ok).unwrap(),
            r#"{"external_id":"GS-1013","status":"ok","quantity":45.0,"locations":{"PARIS":30.0,"LYON":15.0},"http_status":200,"attempts":1,"elapsed_ms":3}"#
        );
        let ok = Outcome::ok("A", 30.0, 1, Duration::ZERO).at_location(Some("PARIS".into()));
        assert_eq!(
            serde_json::to_string(&ok).unwrap(),
            r#"{"external_id":"A","location":"PARIS","status":"ok","quantity":30.0,"http_status":200,"attempts":1,"elapsed_ms":0}"#
        );
    }

    #[test]
    fn a_record_without_a_readable_id_has_no_external_id() {
        let record = Outcome::invalid_record(
            None,
            200,
            "page 1 (GET http://h/api/stock), record 3: product_id is missing".into(),
            1,
            Duration::from_millis(4),
        );
        assert_eq!(
            serde_json::to_string(&record).unwrap(),
            r#"{"status":"invalid_response","http_status":200,"error":"page 1 (GET http://h/api/stock), record 3: product_id is missing","attempts":1,"elapsed_ms":4}"#
        );
    }

    #[test]
    fn status_names_match_serde() {
        for status in Status::ALL {
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::Value::from(status.as_str())
            );
        }
    }
}
