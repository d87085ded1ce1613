//! Why a line is not `ok`, as a stable code (`reason`) and the values that
//! code names, for a program to word in its user's language.
//!
//! Every non-`ok` line of `fetch` and `list`, and the trailer of an
//! incomplete listing, carries `"reason": "<code>"` beside its English
//! `error` sentence, plus the values of [`Code`]'s documentation as extra
//! keys. The codes are part of the output's contract: a code is never
//! renamed, only added. docs/sync-cli.md lists them all (a test checks it).

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

/// A stable code for why a line is not `ok`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Code {
    // The external ID.
    /// The ID is blank (fetch: no request sent).
    IdEmpty,
    /// The ID is longer than `limit` characters (`length`, `limit`).
    IdTooLong,
    /// The ID holds a control character (`character`, e.g. "U+0007").
    IdControlCharacter,
    /// The ID starts or ends with whitespace (`character`).
    IdSpaces,
    /// The ID is `.` or `..`.
    IdDotSegment,
    /// The ID cannot be sent: a comma with `list --ids-param`, or a URL
    /// that parsers would change (a safeguard).
    IdNotSendable,
    /// A listed ID holds a piece of a secret; it is not printed.
    IdHoldsSecret,

    // The answer's status.
    /// 404: the API does not know the product (fetch), or the listing's path.
    NotFound,
    /// 401 or 403: the credentials were refused (`http_status`).
    Unauthorized,
    /// A 3xx redirect, never followed (`http_status`).
    Redirect,
    /// 429, after retries (`http_status`).
    RateLimited,
    /// A 5xx, after retries (`http_status`).
    ServerError,
    /// Any other status (`http_status`).
    HttpStatus,

    // No answer in time, or no connection.
    /// No connection within `seconds`.
    ConnectTimeout,
    /// No answer within `seconds`.
    Timeout,
    /// The headers came, the whole body not within `seconds`.
    BodyTimeout,
    /// The TLS handshake failed, e.g. a certificate that does not verify.
    Tls,
    /// The host name could not be resolved.
    Dns,
    /// Nothing listens at the address (connection refused).
    ConnectionRefused,
    /// The connection failed otherwise: reset, closed early, a body cut.
    ConnectionError,

    // The body.
    /// The body is empty.
    BodyEmpty,
    /// The body is an HTML page.
    BodyHtml,
    /// The body is compressed (`encoding`), which sync-cli never asks for.
    BodyCompressed,
    /// The body is larger than `limit` bytes.
    BodyTooLarge,
    /// The body is not JSON.
    NotJson,
    /// The body is another JSON value than an object (`found`).
    NotObject,
    /// A key that sync-cli reads is given twice (`key` for fetch, `field`
    /// for list).
    DuplicateKey,

    // The fields.
    /// The product's ID is missing (list: `field`).
    ProductIdMissing,
    /// The product's ID is neither a string nor a number (`found`; list:
    /// `field`).
    ProductIdWrongType,
    /// The answer is about another product (`expected`, `got`).
    ProductIdMismatch,
    /// The quantity is missing (list: `field`).
    QuantityMissing,
    /// The quantity is neither a string nor a number (`found`; list:
    /// `field`).
    QuantityWrongType,
    /// The quantity is not a decimal number (`value`; list: `field`).
    QuantityNotNumber,
    /// The quantity is negative (`value`; list: `field`).
    QuantityNegative,
    /// The quantity is not a finite number (`value`; list: `field`).
    QuantityNotFinite,
    /// The quantity is above `--max-quantity` (`value`, `limit`; list:
    /// `field`).
    QuantityAboveLimit,
    /// The quantity is a string longer than `limit` characters (`length`,
    /// `limit`; list: `field`).
    QuantityTooLong,

    // Quantities per location (an answer's or a record's `locations`, and
    // `list --location-field`).
    /// `locations` is neither an array nor null (`found`).
    LocationsNotArray,
    /// An entry of `locations` is not an object (`entry`, from 1; `found`).
    LocationNotObject,
    /// An entry of `locations` has no `location` (`entry`); list
    /// `--location-field`: the record has none (`field`).
    LocationMissing,
    /// The location's code is neither a string nor a number (`found`;
    /// `entry` or `field`).
    LocationWrongType,
    /// The location's code breaks a rule of an external ID (`location`,
    /// `rule`, and the values of that rule's `id_*` code; `entry` or
    /// `field`).
    LocationCodeInvalid,
    /// A location's code holds a piece of a secret; it is not printed.
    LocationHoldsSecret,
    /// A location's quantity is missing (`location`).
    LocationQuantityMissing,
    /// A location's quantity is neither a string nor a number (`location`,
    /// `found`).
    LocationQuantityWrongType,
    /// A location's quantity is not a decimal number (`location`, `value`).
    LocationQuantityNotNumber,
    /// A location's quantity is negative (`location`, `value`).
    LocationQuantityNegative,
    /// A location's quantity is not a finite number (`location`, `value`).
    LocationQuantityNotFinite,
    /// A location's quantity is above `--max-quantity` (`location`,
    /// `value`, `limit`).
    LocationQuantityAboveLimit,
    /// A location's quantity is a string longer than `limit` characters
    /// (`location`, `length`, `limit`).
    LocationQuantityTooLong,
    /// A code is given twice in `locations` (`location`).
    LocationTwice,
    /// The product's quantity is not the exact sum of its locations'
    /// (`total`, `sum`).
    LocationsSumMismatch,

    // A listing's records.
    /// A record is another JSON value than an object (`found`).
    RecordNotObject,
    /// The ID was listed before: none of its quantities is to be used.
    ListedTwice,
    /// An ID asked for with `--ids-param` that no record answered.
    NotListed,

    // A listing that ends incomplete (the trailer).
    /// More pages than `--max-pages` (`limit`).
    TooManyPages,
    /// A page URL, cursor or body came again (`repeated`: `url`, `cursor`
    /// or `body`).
    PageLoop,
    /// No records at `--records-path` (`field`).
    RecordsMissing,
    /// The records at `--records-path` are not an array (`found`, `field`).
    RecordsNotArray,
    /// The next cursor is neither a string, a number nor null (`found`,
    /// `field`).
    CursorWrongType,
    /// The next page given is not a URL.
    NextPageNotUrl,
    /// The next page given is on another origin than the base URL's.
    NextPageOtherOrigin,
    /// The next page given has credentials in its URL.
    NextPageCredentials,
}

impl Code {
    /// Every code, in the order of the documentation.
    pub const ALL: [Code; 63] = [
        Code::IdEmpty,
        Code::IdTooLong,
        Code::IdControlCharacter,
        Code::IdSpaces,
        Code::IdDotSegment,
        Code::IdNotSendable,
        Code::IdHoldsSecret,
        Code::NotFound,
        Code::Unauthorized,
        Code::Redirect,
        Code::RateLimited,
        Code::ServerError,
        Code::HttpStatus,
        Code::ConnectTimeout,
        Code::Timeout,
        Code::BodyTimeout,
        Code::Tls,
        Code::Dns,
        Code::ConnectionRefused,
        Code::ConnectionError,
        Code::BodyEmpty,
        Code::BodyHtml,
        Code::BodyCompressed,
        Code::BodyTooLarge,
        Code::NotJson,
        Code::NotObject,
        Code::DuplicateKey,
        Code::ProductIdMissing,
        Code::ProductIdWrongType,
        Code::ProductIdMismatch,
        Code::QuantityMissing,
        Code::QuantityWrongType,
        Code::QuantityNotNumber,
        Code::QuantityNegative,
        Code::QuantityNotFinite,
        Code::QuantityAboveLimit,
        Code::QuantityTooLong,
        Code::LocationsNotArray,
        Code::LocationNotObject,
        Code::LocationMissing,
        Code::LocationWrongType,
        Code::LocationCodeInvalid,
        Code::LocationHoldsSecret,
        Code::LocationQuantityMissing,
        Code::LocationQuantityWrongType,
        Code::LocationQuantityNotNumber,
        Code::LocationQuantityNegative,
        Code::LocationQuantityNotFinite,
        Code::LocationQuantityAboveLimit,
        Code::LocationQuantityTooLong,
        Code::LocationTwice,
        Code::LocationsSumMismatch,
        Code::RecordNotObject,
        Code::ListedTwice,
        Code::NotListed,
        Code::TooManyPages,
        Code::PageLoop,
        Code::RecordsMissing,
        Code::RecordsNotArray,
        Code::CursorWrongType,
        Code::NextPageNotUrl,
        Code::NextPageOtherOrigin,
        Code::NextPageCredentials,
    ];

    /// The code as printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::IdEmpty => "id_empty",
            Code::IdTooLong => "id_too_long",
            Code::IdControlCharacter => "id_control_character",
            Code::IdSpaces => "id_spaces",
            Code::IdDotSegment => "id_dot_segment",
            Code::IdNotSendable => "id_not_sendable",
            Code::IdHoldsSecret => "id_holds_secret",
            Code::NotFound => "not_found",
            Code::Unauthorized => "unauthorized",
            Code::Redirect => "redirect",
            Code::RateLimited => "rate_limited",
            Code::ServerError => "server_error",
            Code::HttpStatus => "http_status",
            Code::ConnectTimeout => "connect_timeout",
            Code::Timeout => "timeout",
            Code::BodyTimeout => "body_timeout",
            Code::Tls => "tls",
            Code::Dns => "dns",
            Code::ConnectionRefused => "connection_refused",
            Code::ConnectionError => "connection_error",
            Code::BodyEmpty => "body_empty",
            Code::BodyHtml => "body_html",
            Code::BodyCompressed => "body_compressed",
            Code::BodyTooLarge => "body_too_large",
            Code::NotJson => "not_json",
            Code::NotObject => "not_object",
            Code::DuplicateKey => "duplicate_key",
            Code::ProductIdMissing => "product_id_missing",
            Code::ProductIdWrongType => "product_id_wrong_type",
            Code::ProductIdMismatch => "product_id_mismatch",
            Code::QuantityMissing => "quantity_missing",
            Code::QuantityWrongType => "quantity_wrong_type",
            Code::QuantityNotNumber => "quantity_not_number",
            Code::QuantityNegative => "quantity_negative",
            Code::QuantityNotFinite => "quantity_not_finite",
            Code::QuantityAboveLimit => "quantity_above_limit",
            Code::QuantityTooLong => "quantity_too_long",
            Code::LocationsNotArray => "locations_not_array",
            Code::LocationNotObject => "location_not_object",
            Code::LocationMissing => "location_missing",
            Code::LocationWrongType => "location_wrong_type",
            Code::LocationCodeInvalid => "location_code_invalid",
            Code::LocationHoldsSecret => "location_holds_secret",
            Code::LocationQuantityMissing => "location_quantity_missing",
            Code::LocationQuantityWrongType => "location_quantity_wrong_type",
            Code::LocationQuantityNotNumber => "location_quantity_not_number",
            Code::LocationQuantityNegative => "location_quantity_negative",
            Code::LocationQuantityNotFinite => "location_quantity_not_finite",
            Code::LocationQuantityAboveLimit => "location_quantity_above_limit",
            Code::LocationQuantityTooLong => "location_quantity_too_long",
            Code::LocationTwice => "location_twice",
            Code::LocationsSumMismatch => "locations_sum_mismatch",
            Code::RecordNotObject => "record_not_object",
            Code::ListedTwice => "listed_twice",
            Code::NotListed => "not_listed",
            Code::TooManyPages => "too_many_pages",
            Code::PageLoop => "page_loop",
            Code::RecordsMissing => "records_missing",
            Code::RecordsNotArray => "records_not_array",
            Code::CursorWrongType => "cursor_wrong_type",
            Code::NextPageNotUrl => "next_page_not_url",
            Code::NextPageOtherOrigin => "next_page_other_origin",
            Code::NextPageCredentials => "next_page_credentials",
        }
    }
}

/// A code and the values it names, printed as `"reason": "<code>"` followed
/// by one key per value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason {
    pub code: Code,
    pub values: Vec<(&'static str, Value)>,
}

impl Reason {
    pub fn new(code: Code) -> Reason {
        Reason {
            code,
            values: Vec::new(),
        }
    }

    /// The same reason, naming one more value.
    #[must_use]
    pub fn with(mut self, key: &'static str, value: impl Into<Value>) -> Reason {
        self.values.push((key, value.into()));
        self
    }

    /// The value named `key`, if any.
    pub fn value(&self, key: &str) -> Option<&Value> {
        self.values
            .iter()
            .find_map(|(name, value)| (*name == key).then_some(value))
    }

    /// The same reason with every string value passed through `redact`
    /// (values may come from an untrusted answer).
    #[must_use]
    pub fn redacted(mut self, redact: impl Fn(String) -> String) -> Reason {
        for (_, value) in &mut self.values {
            if let Value::String(text) = value {
                *text = redact(std::mem::take(text));
            }
        }
        self
    }
}

impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.values.len() + 1))?;
        map.serialize_entry("reason", self.code.as_str())?;
        for (key, value) in &self.values {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// A JSON type as messages name it ("an array") as a value names it
/// ("array").
pub fn json_type(kind: &str) -> &str {
    kind.strip_prefix("an ")
        .or_else(|| kind.strip_prefix("a "))
        .unwrap_or(kind)
}

/// A value as a message shows it (`"-5"`, quoted, escaped and cut; or a
/// number), without the quotes around it.
pub fn unquoted(shown: &str) -> String {
    shown
        .strip_prefix('"')
        .and_then(|inner| inner.strip_suffix('"'))
        .unwrap_or(shown)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            let name = code.as_str();
            assert!(seen.insert(name), "{name} twice");
            assert!(
                name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{name}"
            );
        }
    }

    #[test]
    fn a_reason_prints_its_code_then_its_values() {
        let reason = Reason::new(Code::QuantityAboveLimit)
            .with("value", "2000")
            .with("limit", 1000.0);
        assert_eq!(
            serde_json::to_string(&reason).unwrap(),
            r#"{"reason":"quantity_above_limit","value":"2000","limit":1000.0}"#
        );
        assert_eq!(reason.value("value"), Some(&Value::from("2000")));
        let redacted = reason.redacted(|text| text.replace("2000", "<redacted>"));
        assert_eq!(redacted.value("value"), Some(&Value::from("<redacted>")));
    }

    #[test]
    fn values_as_messages_show_them() {
        assert_eq!(json_type("an array"), "array");
        assert_eq!(json_type("a number"), "number");
        assert_eq!(json_type("null"), "null");
        assert_eq!(unquoted(r#""-5""#), "-5");
        assert_eq!(unquoted("-5"), "-5");
        assert_eq!(unquoted(r#""a\"b…""#), r#"a\"b…"#);
    }
}
