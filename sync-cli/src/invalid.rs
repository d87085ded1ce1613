//! Why an untrusted body is refused ([`Invalid`]), and the reason code of
//! each refusal: one vocabulary for the JSON reader ([`crate::json`]), a
//! quantity ([`crate::quantity`]), the quantities per location
//! ([`crate::locations`]), an answer ([`crate::validate`]) and a listing's
//! page ([`crate::page`]).

use std::fmt;

use crate::id::BadId;
use crate::reason::{Code, Reason, json_type, unquoted};

/// The longest quantity string read: a guard against absurd inputs, far above
/// any real quantity.
pub const MAX_QUANTITY_CHARS: usize = 1000;

/// Why a 2xx body is not the expected `{"product_id": ..., "quantity": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    #[error("the body is empty")]
    Empty,
    #[error("the body is an HTML page, not JSON")]
    Html,
    #[error("the body is not JSON ({0})")]
    NotJson(String),
    #[error("the body is {0}, not a JSON object")]
    NotObject(&'static str),
    #[error("{0} is missing")]
    Missing(&'static str),
    #[error("{field} is {found}, not a string or a number")]
    WrongType {
        field: &'static str,
        found: &'static str,
    },
    #[error("the body has the key \"{0}\" more than once")]
    DuplicateKey(&'static str),
    #[error("the body is compressed (Content-Encoding: {0}), which sync-cli never asks for")]
    Compressed(String),
    #[error("product_id is {found}, not the requested {expected}{hint}")]
    OtherProduct {
        expected: String,
        found: String,
        /// Where they differ, when what is shown would look the same.
        hint: String,
    },
    #[error("quantity {0} is not a decimal number")]
    NotDecimal(String),
    #[error("quantity {0} is negative")]
    Negative(String),
    #[error("quantity {0} is not a finite number")]
    NotFinite(String),
    #[error("quantity {shown} is above the limit of {limit}")]
    AboveLimit { shown: String, limit: Limit },
    #[error("quantity is a string of {0} characters, more than the limit of {MAX_QUANTITY_CHARS}")]
    TooLong(usize),
    #[error("the body is larger than the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("locations is {0}, not an array")]
    LocationsNotArray(&'static str),
    #[error("locations entry {entry} is {found}, not an object")]
    LocationNotObject { entry: usize, found: &'static str },
    #[error("locations entry {entry} has no location")]
    LocationMissing { entry: usize },
    #[error("locations entry {entry}: location is {found}, not a string or a number")]
    LocationWrongType { entry: usize, found: &'static str },
    #[error("locations entry {entry}: {}", location_code(.bad))]
    LocationCode { entry: usize, bad: BadId },
    #[error("locations entry {entry} has the key \"{key}\" more than once")]
    LocationKeyTwice { entry: usize, key: &'static str },
    #[error("location {location}: {invalid}")]
    LocationQuantity {
        /// The code, as messages show it.
        location: String,
        invalid: Box<Invalid>,
    },
    #[error("location {0} appears more than once in locations")]
    LocationTwice(String),
    #[error("quantity {total} is not the sum of the locations' quantities ({sum})")]
    SumMismatch {
        /// The product's quantity, as messages show it.
        total: String,
        /// The exact sum of the locations' quantities.
        sum: String,
    },
    #[error("a location code holds the API token or another credential (not printed)")]
    LocationHoldsSecret,
}

/// A refused location code's sentence: an external ID's, about a code.
fn location_code(bad: &BadId) -> String {
    bad.to_string().replacen("external ID", "location code", 1)
}

impl Invalid {
    /// The reason code of a line refused for this, and the values it names
    /// (as messages show them: escaped, and cut after 40 characters).
    pub fn reason(&self) -> Reason {
        let field = |field: &str, product_id: Code, quantity: Code| {
            if field == "product_id" {
                product_id
            } else {
                quantity
            }
        };
        match self {
            Invalid::Empty => Reason::new(Code::BodyEmpty),
            Invalid::Html => Reason::new(Code::BodyHtml),
            Invalid::NotJson(_) => Reason::new(Code::NotJson),
            Invalid::NotObject(kind) => Reason::new(Code::NotObject).with("found", json_type(kind)),
            Invalid::Missing(name) => {
                Reason::new(field(name, Code::ProductIdMissing, Code::QuantityMissing))
            }
            Invalid::WrongType { field: name, found } => Reason::new(field(
                name,
                Code::ProductIdWrongType,
                Code::QuantityWrongType,
            ))
            .with("found", json_type(found)),
            Invalid::DuplicateKey(key) => Reason::new(Code::DuplicateKey).with("key", *key),
            Invalid::Compressed(encoding) => {
                Reason::new(Code::BodyCompressed).with("encoding", unquoted(encoding))
            }
            Invalid::OtherProduct {
                expected, found, ..
            } => Reason::new(Code::ProductIdMismatch)
                .with("expected", unquoted(expected))
                .with("got", unquoted(found)),
            Invalid::NotDecimal(shown) => {
                Reason::new(Code::QuantityNotNumber).with("value", unquoted(shown))
            }
            Invalid::Negative(shown) => {
                Reason::new(Code::QuantityNegative).with("value", unquoted(shown))
            }
            Invalid::NotFinite(shown) => {
                Reason::new(Code::QuantityNotFinite).with("value", unquoted(shown))
            }
            Invalid::AboveLimit { shown, limit } => Reason::new(Code::QuantityAboveLimit)
                .with("value", unquoted(shown))
                .with("limit", limit.0),
            Invalid::TooLong(chars) => Reason::new(Code::QuantityTooLong)
                .with("length", *chars)
                .with("limit", MAX_QUANTITY_CHARS),
            Invalid::TooLarge { limit } => Reason::new(Code::BodyTooLarge).with("limit", *limit),
            Invalid::LocationsNotArray(found) => {
                Reason::new(Code::LocationsNotArray).with("found", json_type(found))
            }
            Invalid::LocationNotObject { entry, found } => Reason::new(Code::LocationNotObject)
                .with("entry", *entry)
                .with("found", json_type(found)),
            Invalid::LocationMissing { entry } => {
                Reason::new(Code::LocationMissing).with("entry", *entry)
            }
            Invalid::LocationWrongType { entry, found } => Reason::new(Code::LocationWrongType)
                .with("entry", *entry)
                .with("found", json_type(found)),
            Invalid::LocationCode { entry, bad } => bad.location_reason().with("entry", *entry),
            Invalid::LocationKeyTwice { entry, key } => Reason::new(Code::DuplicateKey)
                .with("key", *key)
                .with("entry", *entry),
            Invalid::LocationQuantity { location, invalid } => {
                let inner = invalid.reason();
                let code = match inner.code {
                    Code::QuantityMissing => Code::LocationQuantityMissing,
                    Code::QuantityWrongType => Code::LocationQuantityWrongType,
                    Code::QuantityNegative => Code::LocationQuantityNegative,
                    Code::QuantityNotFinite => Code::LocationQuantityNotFinite,
                    Code::QuantityAboveLimit => Code::LocationQuantityAboveLimit,
                    Code::QuantityTooLong => Code::LocationQuantityTooLong,
                    _ => Code::LocationQuantityNotNumber,
                };
                let mut reason = Reason::new(code).with("location", unquoted(location));
                reason.values.extend(inner.values);
                reason
            }
            Invalid::LocationTwice(location) => {
                Reason::new(Code::LocationTwice).with("location", unquoted(location))
            }
            Invalid::SumMismatch { total, sum } => Reason::new(Code::LocationsSumMismatch)
                .with("total", unquoted(total))
                .with("sum", sum.as_str()),
            Invalid::LocationHoldsSecret => Reason::new(Code::LocationHoldsSecret),
        }
    }
}

/// A quantity limit, shown in full (`1000000000`, not `1e9`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit(pub f64);

// Limits come from `--max-quantity`, which refuses NaN.
impl Eq for Limit {}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A number for an error message: at most 40 characters.
pub(crate) fn shorten(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{head}…")
    }
}
