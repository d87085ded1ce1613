//! The rule of a quantity, the product's and each location's alike
//! ([`parse_quantity`]; the grammar is in [`crate::validate`]'s
//! documentation).

use std::cmp::Ordering;

use crate::id::quote;
use crate::invalid::{Invalid, Limit, MAX_QUANTITY_CHARS, shorten};
use crate::json::Node;

/// Reads a quantity given as a JSON string (`"50"`, `"12.5"`) or number, of at
/// most `max_quantity`.
pub fn parse_quantity(value: Option<&Node>, max_quantity: f64) -> Result<f64, Invalid> {
    let (quantity, shown) = match value {
        None => return Err(Invalid::Missing("quantity")),
        Some(Node::String(s)) => {
            let chars = s.chars().count();
            if chars > MAX_QUANTITY_CHARS {
                return Err(Invalid::TooLong(chars));
            }
            if !is_decimal(s) {
                return Err(Invalid::NotDecimal(quote(s)));
            }
            let parsed: f64 = s.parse().map_err(|_| Invalid::NotDecimal(quote(s)))?;
            (parsed, quote(s))
        }
        Some(Node::Number(n)) => {
            let shown = shorten(&n.to_string());
            (n.as_f64().ok_or(Invalid::NotDecimal(shown.clone()))?, shown)
        }
        Some(other) => {
            return Err(Invalid::WrongType {
                field: "quantity",
                found: other.kind(),
            });
        }
    };
    if !quantity.is_finite() {
        return Err(Invalid::NotFinite(shown));
    }
    if quantity < 0.0 {
        return Err(Invalid::Negative(shown));
    }
    // Also refuses everything when `max_quantity` is NaN.
    if quantity
        .partial_cmp(&max_quantity)
        .is_none_or(Ordering::is_gt)
    {
        return Err(Invalid::AboveLimit {
            shown,
            limit: Limit(max_quantity),
        });
    }
    // `-0` is zero; normalise so it prints as `0.0`.
    Ok(quantity + 0.0)
}

/// `-?digits(.digits)?`, ASCII only: no exponent, sign `+`, spaces or commas.
fn is_decimal(s: &str) -> bool {
    let unsigned = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match unsigned.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (unsigned, None),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    digits(int) && frac.is_none_or(digits)
}
