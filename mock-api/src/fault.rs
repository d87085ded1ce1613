//! Faults that a product can be configured to show, so that clients can be
//! tested against every way a real stock API misbehaves.
//!
//! Most faults shape the answer of `GET /api/stock/{id}` for their product.
//! In the listing (`GET /api/stock`), `negative_quantity`,
//! `quantity_not_number`, `missing_quantity`, `locations_sum_mismatch` and
//! `location_twice` show the same bad record there too, the others are
//! listed normally; and `listing_error_503` is for the listing only: any
//! listing page that holds its product answers 503, so that a listing can be
//! cut in the middle (the pages before it are fine).
//!
//! `locations_sum_mismatch` and `location_twice` spoil a product's
//! quantities per location, so they need a product that has some.

use std::fmt;
use std::str::FromStr;

/// One injected failure, attached to a product in the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// Always answers 500 with a plain-text body.
    Error500,
    /// Answers 503 to the first request for the product, normally afterwards.
    Error503Once,
    /// Answers 429 with `Retry-After: 1` to the first request, normally afterwards.
    RateLimitedOnce,
    /// Answers 200 with a body that is not JSON.
    InvalidJson,
    /// Answers 200 with valid JSON naming another product.
    WrongProductId,
    /// Answers 200 with quantity `"-5"`.
    NegativeQuantity,
    /// Answers 200 with quantity `"lots"`.
    QuantityNotNumber,
    /// Answers 200 with an empty body.
    EmptyBody,
    /// Answers 200 with an HTML error page (`text/html`).
    HtmlPage,
    /// Answers 200 with a JSON-looking body of 64 MiB, streamed.
    HugeBody,
    /// Answers 200 and then streams the body slowly, forever.
    EndlessBody,
    /// Answers only after 10 minutes.
    Slow,
    /// Answers 200 with a product but no `quantity` field.
    MissingQuantity,
    /// In the listing, every page that holds this product answers 503; its
    /// own `GET /api/stock/{id}` answers normally.
    ListingError503,
    /// Answers 200 with the product's locations and a quantity one more
    /// than their sum.
    LocationsSumMismatch,
    /// Answers 200 with the product's first location given a second time,
    /// at the end, with quantity `"0"` (the sum still right).
    LocationTwice,
}

impl Fault {
    /// Every fault, in the order they are documented.
    pub const ALL: [Fault; 16] = [
        Fault::Error500,
        Fault::Error503Once,
        Fault::RateLimitedOnce,
        Fault::InvalidJson,
        Fault::WrongProductId,
        Fault::NegativeQuantity,
        Fault::QuantityNotNumber,
        Fault::EmptyBody,
        Fault::HtmlPage,
        Fault::HugeBody,
        Fault::EndlessBody,
        Fault::Slow,
        Fault::MissingQuantity,
        Fault::ListingError503,
        Fault::LocationsSumMismatch,
        Fault::LocationTwice,
    ];

    /// The name used in data files.
    pub fn name(self) -> &'static str {
        match self {
            Fault::Error500 => "error_500",
            Fault::Error503Once => "error_503_once",
            Fault::RateLimitedOnce => "rate_limited_once",
            Fault::InvalidJson => "invalid_json",
            Fault::WrongProductId => "wrong_product_id",
            Fault::NegativeQuantity => "negative_quantity",
            Fault::QuantityNotNumber => "quantity_not_number",
            Fault::EmptyBody => "empty_body",
            Fault::HtmlPage => "html_page",
            Fault::HugeBody => "huge_body",
            Fault::EndlessBody => "endless_body",
            Fault::Slow => "slow",
            Fault::MissingQuantity => "missing_quantity",
            Fault::ListingError503 => "listing_error_503",
            Fault::LocationsSumMismatch => "locations_sum_mismatch",
            Fault::LocationTwice => "location_twice",
        }
    }

    /// Whether the fault shows only on the first request for the product.
    pub fn is_once(self) -> bool {
        matches!(self, Fault::Error503Once | Fault::RateLimitedOnce)
    }

    /// Whether the fault fails the listing pages that hold its product
    /// (and leaves the product's own GET alone).
    pub fn fails_listing_page(self) -> bool {
        matches!(self, Fault::ListingError503)
    }

    /// Whether the fault spoils the product's locations, which it must have
    /// (a data file that gives it to a product without locations is refused).
    pub fn needs_locations(self) -> bool {
        matches!(self, Fault::LocationsSumMismatch | Fault::LocationTwice)
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A fault name that is not one of [`Fault::ALL`].
#[derive(Debug, thiserror::Error)]
#[error("unknown fault {name:?} (known faults: {known})")]
pub struct UnknownFault {
    name: String,
    known: String,
}

impl FromStr for Fault {
    type Err = UnknownFault;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Fault::ALL
            .into_iter()
            .find(|fault| fault.name() == s)
            .ok_or_else(|| UnknownFault {
                name: s.to_owned(),
                known: Fault::ALL.map(Fault::name).join(", "),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for fault in Fault::ALL {
            assert_eq!(fault.name().parse::<Fault>().ok(), Some(fault));
        }
    }

    #[test]
    fn unknown_name_lists_the_known_ones() {
        let err = "error_501".parse::<Fault>().unwrap_err().to_string();
        assert!(err.contains("\"error_501\""), "{err}");
        assert!(err.contains("error_500, error_503_once"), "{err}");
    }
}
