//! Quantities per location: where a product's stock is, as the data file, a
//! `PUT` and the answers give it:
//! `"locations": [{"location": "PARIS", "quantity": "30"}, {"location": "LYON", "quantity": "20"}]`.
//!
//! A location code follows the rules of an external ID (as sync-cli checks
//! them): not empty, at most [`MAX_CODE_CHARS`] characters, no character of
//! Unicode categories Cc, Cf, Zl or Zp, no whitespace at either end, not `.`
//! or `..`. A code appears at most once in a product. Each quantity is a
//! non-negative decimal, as the product's own; the product's quantity is
//! their sum.

use serde::Serialize;
use serde_json::Value;

use crate::quantity::{is_decimal, json_kind, parse_quantity, same_quantity};

/// The longest location code, in characters.
pub const MAX_CODE_CHARS: usize = 255;

/// Characters of a code shown in a message before it is cut with "…".
const SHOWN_CHARS: usize = 40;

/// A product's stock in one location.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Location {
    /// The API's code of the location.
    pub location: String,
    /// The quantity there, as the decimal string the API answers with.
    pub quantity: String,
}

impl Location {
    pub fn new(location: impl Into<String>, quantity: impl Into<String>) -> Self {
        Location {
            location: location.into(),
            quantity: quantity.into(),
        }
    }
}

/// Why a `locations` array, or the quantity given beside it, is refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum LocationsError {
    #[error(
        "locations must be an array such as [{{\"location\": \"PARIS\", \"quantity\": \"30\"}}], not {0}"
    )]
    NotArray(&'static str),
    #[error(
        "locations is empty: list at least one location (a location without stock has quantity \"0\")"
    )]
    Empty,
    #[error("locations entry {index}: {reason}")]
    Entry {
        /// 1-based position in the array.
        index: usize,
        reason: String,
    },
    #[error(
        "quantity {given:?} is not the sum of the locations' quantities ({sum}): give their sum, or leave quantity out"
    )]
    SumMismatch { given: String, sum: String },
}

/// Reads a `locations` array: each entry `{"location": "<code>", "quantity":
/// "<decimal>"}` (quantity a string or a number), codes checked, none twice,
/// in the order given.
pub fn parse_locations(value: &Value) -> Result<Vec<Location>, LocationsError> {
    let Value::Array(entries) = value else {
        return Err(LocationsError::NotArray(json_kind(value)));
    };
    if entries.is_empty() {
        return Err(LocationsError::Empty);
    }
    let mut locations: Vec<Location> = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let fail = |reason: String| LocationsError::Entry {
            index: i + 1,
            reason,
        };
        let location = parse_location(entry).map_err(fail)?;
        if locations.iter().any(|l| l.location == location.location) {
            return Err(fail(format!(
                "location {} appears more than once",
                shown(&location.location)
            )));
        }
        locations.push(location);
    }
    Ok(locations)
}

fn parse_location(entry: &Value) -> Result<Location, String> {
    let Value::Object(fields) = entry else {
        return Err(format!(
            "expected an object such as {{\"location\": \"PARIS\", \"quantity\": \"30\"}}, found {}",
            json_kind(entry)
        ));
    };
    if let Some(key) = fields
        .keys()
        .find(|k| !matches!(k.as_str(), "location" | "quantity"))
    {
        return Err(format!(
            "unknown key {key:?} (expected location and quantity)"
        ));
    }
    let code = match fields.get("location") {
        None => return Err("location is missing".into()),
        Some(Value::String(code)) => code,
        Some(other) => {
            return Err(format!(
                "location must be a string such as \"PARIS\", not {}",
                json_kind(other)
            ));
        }
    };
    check_code(code)?;
    let quantity = parse_quantity(fields.get("quantity"))
        .map_err(|err| format!("location {}: {err}", shown(code)))?;
    if !is_decimal(&quantity) {
        return Err(format!(
            "location {}: quantity {quantity} must be written as a plain decimal such as \"50\"",
            shown(code)
        ));
    }
    Ok(Location::new(code.clone(), quantity))
}

/// Checks a location code against the rules of an external ID.
pub fn check_code(code: &str) -> Result<(), String> {
    if code.chars().all(|c| c == ' ' || c == '\t') {
        return Err("location is empty".into());
    }
    let chars = code.chars().count();
    if chars > MAX_CODE_CHARS {
        return Err(format!(
            "location {} is longer than {MAX_CODE_CHARS} characters ({chars})",
            shown(code)
        ));
    }
    if let Some(c) = code.chars().find(|&c| is_forbidden(c)) {
        return Err(format!(
            "location {} contains a control character (U+{:04X})",
            shown(code),
            u32::from(c)
        ));
    }
    let ends = [code.chars().next(), code.chars().next_back()];
    if let Some(c) = ends.into_iter().flatten().find(|c| c.is_whitespace()) {
        return Err(format!(
            "location {} starts or ends with spaces (U+{:04X})",
            shown(code),
            u32::from(c)
        ));
    }
    if code == "." || code == ".." {
        return Err(format!(
            "location {} is a dot segment, refused as in an external ID",
            shown(code)
        ));
    }
    Ok(())
}

/// Whether `c` is of Unicode general category Cc (control), Cf (format, e.g.
/// U+200B or U+202E), Zl or Zp (line and paragraph separators).
fn is_forbidden(c: char) -> bool {
    const FORMAT: [(u32, u32); 21] = [
        (0x00AD, 0x00AD),
        (0x0600, 0x0605),
        (0x061C, 0x061C),
        (0x06DD, 0x06DD),
        (0x070F, 0x070F),
        (0x0890, 0x0891),
        (0x08E2, 0x08E2),
        (0x180E, 0x180E),
        (0x200B, 0x200F),
        (0x202A, 0x202E),
        (0x2060, 0x2064),
        (0x2066, 0x206F),
        (0xFEFF, 0xFEFF),
        (0xFFF9, 0xFFFB),
        (0x110BD, 0x110BD),
        (0x110CD, 0x110CD),
        (0x13430, 0x1343F),
        (0x1BCA0, 0x1BCA3),
        (0x1D173, 0x1D17A),
        (0xE0001, 0xE0001),
        (0xE0020, 0xE007F),
    ];
    let code = u32::from(c);
    c.is_control()
        || c == '\u{2028}'
        || c == '\u{2029}'
        || FORMAT
            .iter()
            .any(|&(first, last)| (first..=last).contains(&code))
}

/// A code for a message: quoted, escaped, cut with "…" when long.
fn shown(code: &str) -> String {
    let quoted = format!("{code:?}");
    if quoted.chars().count() <= SHOWN_CHARS {
        quoted
    } else {
        let cut: String = quoted.chars().take(SHOWN_CHARS).collect();
        format!("{cut}…\"")
    }
}

/// The product's quantity for these locations: their sum, or `given` when
/// it is the same number (else [`LocationsError::SumMismatch`]).
pub fn total(given: Option<String>, locations: &[Location]) -> Result<String, LocationsError> {
    let sum =
        decimal_sum(locations.iter().map(|l| l.quantity.as_str())).unwrap_or_else(|| "0".into());
    match given {
        None => Ok(sum),
        Some(given) if same_quantity(&given, &sum) => Ok(given),
        Some(given) => Err(LocationsError::SumMismatch { given, sum }),
    }
}

/// The exact sum of plain decimals (`digits` or `digits.digits`), written
/// without leading or trailing zeros (`"12.5"` + `"7.50"` is `"20"`), or
/// `None` when one is not a plain decimal.
pub fn decimal_sum<'a>(parts: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let parts: Vec<(&str, &str)> = parts
        .into_iter()
        .map(|p| is_decimal(p).then(|| p.split_once('.').unwrap_or((p, ""))))
        .collect::<Option<_>>()?;
    let scale = parts.iter().map(|(_, frac)| frac.len()).max().unwrap_or(0);
    // Digits of the sum, least significant first.
    let mut sum: Vec<u8> = Vec::new();
    for (int, frac) in parts {
        let digits = int
            .bytes()
            .chain(frac.bytes())
            .chain(std::iter::repeat_n(b'0', scale - frac.len()))
            .rev()
            .map(|b| b - b'0');
        let mut carry = 0;
        let mut at = 0;
        for d in digits {
            if at == sum.len() {
                sum.push(0);
            }
            let s = sum[at] + d + carry;
            sum[at] = s % 10;
            carry = s / 10;
            at += 1;
        }
        while carry > 0 {
            if at == sum.len() {
                sum.push(0);
            }
            let s = sum[at] + carry;
            sum[at] = s % 10;
            carry = s / 10;
            at += 1;
        }
    }
    while sum.len() <= scale {
        sum.push(0);
    }
    let text: String = sum.iter().rev().map(|d| char::from(b'0' + d)).collect();
    let (int, frac) = text.split_at(text.len() - scale);
    let int = match int.trim_start_matches('0') {
        "" => "0",
        int => int,
    };
    let frac = frac.trim_end_matches('0');
    Some(if frac.is_empty() {
        int.to_owned()
    } else {
        format!("{int}.{frac}")
    })
}

/// Whether two sets of locations hold the same quantities at the same codes
/// (whatever their order, `"5"` and `"5.0"` alike).
pub fn same_locations(a: &[Location], b: &[Location]) -> bool {
    a.len() == b.len()
        && a.iter().all(|x| {
            b.iter()
                .any(|y| x.location == y.location && same_quantity(&x.quantity, &y.quantity))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sums_are_exact() {
        for (parts, expected) in [
            (vec!["30", "20"], "50"),
            (vec!["12.5", "7.25"], "19.75"),
            (vec!["0.5", "0.5"], "1"),
            (vec!["12.5", "7.50"], "20"),
            (vec!["0", "0.00"], "0"),
            (vec!["007", "3"], "10"),
            (vec!["0.1", "0.2"], "0.3"),
            (vec!["99999999999999999999", "1"], "100000000000000000000"),
            (vec!["5"], "5"),
        ] {
            assert_eq!(
                decimal_sum(parts.clone()).as_deref(),
                Some(expected),
                "{parts:?}"
            );
        }
        assert_eq!(decimal_sum(["1e3", "1"]), None);
        assert_eq!(decimal_sum(["-1", "1"]), None);
    }

    #[test]
    fn locations_are_read_in_order() {
        let locations = parse_locations(&json!([
            {"location": "PARIS", "quantity": "30"},
            {"location": "LYON", "quantity": 20},
            {"location": "Entrepôt n° 3", "quantity": 0.5}
        ]))
        .unwrap();
        assert_eq!(
            locations,
            [
                Location::new("PARIS", "30"),
                Location::new("LYON", "20"),
                Location::new("Entrepôt n° 3", "0.5"),
            ]
        );
        assert_eq!(total(None, &locations).unwrap(), "50.5");
        assert_eq!(total(Some("50.50".into()), &locations).unwrap(), "50.50");
        assert_eq!(
            total(Some("50".into()), &locations)
                .unwrap_err()
                .to_string(),
            "quantity \"50\" is not the sum of the locations' quantities (50.5): give their sum, or leave quantity out"
        );
    }

    #[test]
    fn bad_locations_are_refused_naming_the_entry() {
        let long = "L".repeat(256);
        let cases = [
            (json!({"PARIS": 30}), "locations must be an array"),
            (json!([]), "locations is empty"),
            (json!(["PARIS"]), "locations entry 1: expected an object"),
            (
                json!([{"location": "PARIS", "quantity": "1", "qty": 1}]),
                "locations entry 1: unknown key \"qty\"",
            ),
            (
                json!([{"quantity": "1"}]),
                "locations entry 1: location is missing",
            ),
            (
                json!([{"location": 7, "quantity": "1"}]),
                "locations entry 1: location must be a string",
            ),
            (
                json!([{"location": "", "quantity": "1"}]),
                "locations entry 1: location is empty",
            ),
            (
                json!([{"location": "  ", "quantity": "1"}]),
                "locations entry 1: location is empty",
            ),
            (
                json!([{"location": long, "quantity": "1"}]),
                "locations entry 1: location \"LLLLLLLLL",
            ),
            (
                json!([{"location": "PA\u{7}RIS", "quantity": "1"}]),
                "locations entry 1: location \"PA\\u{7}RIS\" contains a control character (U+0007)",
            ),
            (
                json!([{"location": "PA\u{200b}RIS", "quantity": "1"}]),
                "locations entry 1: location \"PA\\u{200b}RIS\" contains a control character (U+200B)",
            ),
            (
                json!([{"location": "PARIS\u{2028}", "quantity": "1"}]),
                "locations entry 1: location \"PARIS\\u{2028}\" contains a control character (U+2028)",
            ),
            (
                json!([{"location": " PARIS", "quantity": "1"}]),
                "locations entry 1: location \" PARIS\" starts or ends with spaces (U+0020)",
            ),
            (
                json!([{"location": "PARIS\u{a0}", "quantity": "1"}]),
                "locations entry 1: location \"PARIS\\u{a0}\" starts or ends with spaces (U+00A0)",
            ),
            (
                json!([{"location": "..", "quantity": "1"}]),
                "locations entry 1: location \"..\" is a dot segment",
            ),
            (
                json!([{"location": "PARIS", "quantity": "1"}, {"location": "LYON", "quantity": "-2"}]),
                "locations entry 2: location \"LYON\": quantity \"-2\" is negative",
            ),
            (
                json!([{"location": "PARIS"}]),
                "locations entry 1: location \"PARIS\": quantity is missing",
            ),
            (
                json!([{"location": "PARIS", "quantity": "lots"}]),
                "locations entry 1: location \"PARIS\": quantity \"lots\" is not",
            ),
            (
                json!([{"location": "PARIS", "quantity": 1e300}]),
                "locations entry 1: location \"PARIS\": quantity 1e+300 must be written as a plain decimal",
            ),
            (
                json!([{"location": "PARIS", "quantity": "1"}, {"location": "LYON", "quantity": "2"}, {"location": "PARIS", "quantity": "0"}]),
                "locations entry 3: location \"PARIS\" appears more than once",
            ),
        ];
        for (value, expected) in cases {
            let error = parse_locations(&value).unwrap_err().to_string();
            assert!(
                error.starts_with(expected),
                "{error:?} does not start with {expected:?}"
            );
        }
        let error = parse_locations(&json!([{"location": "L".repeat(256), "quantity": "1"}]))
            .unwrap_err()
            .to_string();
        assert!(
            error.ends_with("…\" is longer than 255 characters (256)"),
            "{error}"
        );
        assert!(check_code(&"é".repeat(255)).is_ok());
        assert!(check_code("Entrepôt Lyon-2 / quai B").is_ok());
    }

    #[test]
    fn same_locations_ignores_order_and_writing() {
        let a = [Location::new("PARIS", "30"), Location::new("LYON", "20")];
        let b = [Location::new("LYON", "20.0"), Location::new("PARIS", "030")];
        assert!(same_locations(&a, &b));
        assert!(!same_locations(&a, &b[..1]));
        assert!(!same_locations(
            &a,
            &[Location::new("PARIS", "30"), Location::new("LYON", "21")]
        ));
        assert!(!same_locations(
            &a,
            &[Location::new("PARIS", "30"), Location::new("NICE", "20")]
        ));
    }
}
