//! A quantity as the data file, a `PUT` and the answers give it: a
//! non-negative decimal, as a JSON string or number ([`parse_quantity`]);
//! and the kind of a JSON value, as messages name it ([`json_kind`]).

use serde_json::Value;

/// Why a quantity is refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error("quantity is missing")]
    Missing,
    #[error("quantity must be a string or a number, not {0}")]
    WrongType(&'static str),
    #[error("quantity {0:?} is not a non-negative decimal number such as \"50\" or \"12.5\"")]
    NotDecimal(String),
    #[error("quantity {0} is negative")]
    Negative(String),
}

/// Checks a quantity given as a JSON string or number and returns it as the
/// decimal string the API answers with.
pub fn parse_quantity(value: Option<&Value>) -> Result<String, QuantityError> {
    match value {
        None => Err(QuantityError::Missing),
        Some(Value::String(s)) => {
            if is_decimal(s) {
                Ok(s.clone())
            } else if s.strip_prefix('-').is_some_and(is_decimal) {
                Err(QuantityError::Negative(format!("{s:?}")))
            } else {
                Err(QuantityError::NotDecimal(s.clone()))
            }
        }
        Some(Value::Number(n)) => match n.as_f64() {
            Some(f) if f.is_finite() && f >= 0.0 => Ok(n.to_string()),
            Some(f) if f < 0.0 => Err(QuantityError::Negative(n.to_string())),
            _ => Err(QuantityError::NotDecimal(n.to_string())),
        },
        Some(other) => Err(QuantityError::WrongType(json_kind(other))),
    }
}

/// Whether two quantities accepted by [`parse_quantity`] are the same number
/// (`"5"`, `"05"` and `"5.0"` are).
pub fn same_quantity(a: &str, b: &str) -> bool {
    fn canonical(s: &str) -> Option<(&str, &str)> {
        if !is_decimal(s) {
            return None;
        }
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        Some((int.trim_start_matches('0'), frac.trim_end_matches('0')))
    }
    match (canonical(a), canonical(b)) {
        (Some(a), Some(b)) => a == b,
        _ => a == b,
    }
}

/// `digits` or `digits.digits`, ASCII only.
pub(crate) fn is_decimal(s: &str) -> bool {
    let (int, frac) = match s.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (s, None),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    digits(int) && frac.is_none_or(digits)
}

/// A short name for the kind of a JSON value, for error messages.
pub fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quantities_accepted_and_refused() {
        let ok = [
            (json!("50"), "50"),
            (json!("12.5"), "12.5"),
            (json!("0"), "0"),
            (json!(7), "7"),
            (json!(12.5), "12.5"),
        ];
        for (value, expected) in ok {
            assert_eq!(
                parse_quantity(Some(&value)).as_deref(),
                Ok(expected),
                "{value}"
            );
        }
        let refused = [
            json!("-5"),
            json!(-5),
            json!("lots"),
            json!(""),
            json!("1,5"),
            json!(" 5"),
            json!(".5"),
            json!("5."),
            json!("1e3"),
            json!(null),
            json!(true),
            json!([5]),
            json!({"q": 5}),
        ];
        for value in refused {
            assert!(parse_quantity(Some(&value)).is_err(), "{value} accepted");
        }
        assert_eq!(parse_quantity(None), Err(QuantityError::Missing));
    }

    #[test]
    fn same_quantity_compares_numbers() {
        for (a, b) in [
            ("5", "5"),
            ("5", "05"),
            ("5", "5.0"),
            ("0", "0.00"),
            ("12.50", "12.5"),
        ] {
            assert!(same_quantity(a, b), "{a} {b}");
        }
        for (a, b) in [("5", "50"), ("5", "0.5"), ("1.05", "1.5"), ("0", "1e3")] {
            assert!(!same_quantity(a, b), "{a} {b}");
        }
        assert!(same_quantity("1e3", "1e3"));
    }
}
