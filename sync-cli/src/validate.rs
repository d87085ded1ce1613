//! Validation of an answer's body. The body is untrusted: its Content-Type is
//! ignored and every field is checked.
//!
//! A quantity is accepted when it is
//! - a JSON number (any JSON number syntax, exponents included: `50`, `12.5`,
//!   `1e3`), or a JSON string of ASCII digits with an optional fraction and an
//!   optional leading `-` (`"50"`, `"12.5"`, `"007"`; not `"+5"`, `" 5"`,
//!   `"1e3"`, `".5"`, `"5."`, `"1,5"`, `"0x10"`, `"NaN"`, `"inf"`), the
//!   string at most [`MAX_QUANTITY_CHARS`] characters long;
//! - once rounded to the nearest double-precision number: finite, not below
//!   zero (`-0` is zero) and not above the limit (`--max-quantity`, by default
//!   [`DEFAULT_MAX_QUANTITY`]).
//!
//! The body must be one JSON object in which `product_id` and `quantity`
//! each appear once: a key given twice is an ambiguous answer (parsers differ
//! on which value wins), refused whichever value sync-cli would read.
//!
//! Anything else makes the answer `invalid_response`: the quantity is never
//! applied.

use unicode_normalization::UnicodeNormalization;

use crate::id::{quote, quote_ascii};
use crate::invalid::{Invalid, shorten};
use crate::json::{Node, parse_json};
use crate::locations::{Locations, read_locations};
use crate::quantity::parse_quantity;

pub use crate::invalid::MAX_QUANTITY_CHARS;

/// The default largest quantity accepted (`--max-quantity`).
pub const DEFAULT_MAX_QUANTITY: f64 = 1e9;

/// The smallest value `--max-quantity` may take (and the addon's setting:
/// `MAX_QUANTITY_RANGE` in `stock_sync_api/synccli/settings.py`).
pub const MAX_QUANTITY_FLOOR: f64 = 1.0;

/// The largest value `--max-quantity` may take (and the addon's setting):
/// every whole number up to it is exact as a double (2^53 is about 9.007e15),
/// so what Odoo stores is what the API said, and Odoo's settings form keeps
/// it as typed (it rounds whole numbers from 2^49, about 5.6e14, up by one).
pub const MAX_QUANTITY_CEILING: f64 = 1e14;

/// Checks a body and returns the quantity.
///
/// The body must be a JSON object whose `product_id` (string or number) equals
/// `expected_id` and whose `quantity` (string or number) is a finite,
/// non-negative decimal of at most `max_quantity` (see the module's
/// documentation for the exact rules). Other keys are ignored.
///
/// ```
/// use sync_cli::validate::validate_body;
/// let body = br#"{"product_id": "123", "quantity": "12.5"}"#;
/// assert_eq!(validate_body(body, "123", 1e9), Ok(12.5));
/// let body = br#"{"product_id": "123", "quantity": "-1"}"#;
/// assert!(validate_body(body, "123", 1e9).is_err());
/// let body = br#"{"product_id": "123", "quantity": 1e12}"#;
/// assert_eq!(
///     validate_body(body, "123", 1e9).unwrap_err().to_string(),
///     "quantity 1000000000000.0 is above the limit of 1000000000"
/// );
/// ```
pub fn validate_body(body: &[u8], expected_id: &str, max_quantity: f64) -> Result<f64, Invalid> {
    validate_answer(body, expected_id, max_quantity).map(|answer| answer.quantity)
}

/// What an accepted answer says.
#[derive(Clone, Debug, PartialEq)]
pub struct Answered {
    pub quantity: f64,
    /// The quantity at each location, when the answer gives `locations`
    /// (see [`crate::locations`]); their sum is `quantity`.
    pub locations: Option<Locations>,
}

/// Checks a body as [`validate_body`] does, and its optional `locations`
/// array ([`crate::locations::read_locations`]).
///
/// ```
/// use sync_cli::validate::validate_answer;
/// let body = br#"{"product_id": "1", "quantity": "5", "locations": [{"location": "P", "quantity": "5"}]}"#;
/// let answer = validate_answer(body, "1", 1e9).unwrap();
/// assert_eq!(answer.quantity, 5.0);
/// assert_eq!(answer.locations.unwrap().0, [("P".to_owned(), 5.0)]);
/// ```
pub fn validate_answer(
    body: &[u8],
    expected_id: &str,
    max_quantity: f64,
) -> Result<Answered, Invalid> {
    let root: Node = parse_json(body)?;
    let Node::Object(entries) = &root else {
        return Err(Invalid::NotObject(root.kind()));
    };
    // The first of the keys given a second time, in the body's order.
    let mut seen: Vec<&str> = Vec::new();
    for (key, _) in entries {
        if let Some(&name) = READ_KEYS.iter().find(|name| **name == key.as_str()) {
            if seen.contains(&name) {
                return Err(Invalid::DuplicateKey(name));
            }
            seen.push(name);
        }
    }
    let field = |name: &str| {
        entries
            .iter()
            .find_map(|(key, value)| (key == name).then_some(value))
    };
    check_product_id(field("product_id"), expected_id)?;
    let quantity = parse_quantity(field("quantity"), max_quantity)?;
    let locations = match field("quantity") {
        Some(total) => read_locations(field("locations"), total, max_quantity)?,
        None => None,
    };
    Ok(Answered {
        quantity,
        locations,
    })
}

/// The keys of an answer that sync-cli reads.
const READ_KEYS: [&str; 3] = ["product_id", "quantity", "locations"];

/// Reads a product ID given as a JSON string or number (`"123"` or `123`,
/// which are the same ID); a listing's record IDs are read by it too.
pub fn read_product_id(value: Option<&Node>) -> Result<String, Invalid> {
    match value {
        None => Err(Invalid::Missing("product_id")),
        Some(Node::String(s)) => Ok(s.clone()),
        Some(Node::Number(n)) => Ok(n.to_string()),
        Some(other) => Err(Invalid::WrongType {
            field: "product_id",
            found: other.kind(),
        }),
    }
}

fn check_product_id(value: Option<&Node>, expected: &str) -> Result<(), Invalid> {
    let found = read_product_id(value)?;
    if found == expected {
        return Ok(());
    }
    let show = |text: &str, ascii: bool| match (value, ascii) {
        (Some(Node::String(_)), false) => quote(text),
        (Some(Node::String(_)), true) => quote_ascii(text),
        _ => shorten(text),
    };
    let (mut shown_expected, mut shown_found) = (quote(expected), show(&found, false));
    let mut hint = String::new();
    // Two IDs that print alike (Unicode normalisation, look-alike forms, or a
    // cut) are shown with their non-ASCII characters escaped.
    if shown_expected == shown_found || expected.nfkc().eq(found.nfkc()) {
        shown_expected = quote_ascii(expected);
        shown_found = show(&found, true);
    }
    if shown_expected == shown_found {
        let at = expected
            .chars()
            .zip(found.chars())
            .take_while(|(a, b)| a == b)
            .count();
        hint = format!(" (they differ from character {})", at + 1);
    }
    Err(Invalid::OtherProduct {
        expected: shown_expected,
        found: shown_found,
        hint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invalid::Limit;

    const MAX: f64 = DEFAULT_MAX_QUANTITY;

    fn body(product_id: &str, quantity: &str) -> String {
        format!(r#"{{"product_id": {product_id}, "quantity": {quantity}}}"#)
    }

    #[test]
    fn accepted_quantities() {
        let cases: &[(&str, f64)] = &[
            (r#""50""#, 50.0),
            (r#""12.5""#, 12.5),
            (r#""0""#, 0.0),
            (r#""0.0""#, 0.0),
            (r#""007""#, 7.0),
            (r#""-0""#, 0.0),
            (r#""999999999.125""#, 999_999_999.125),
            (r#""1000000000""#, 1e9),
            ("1000000000", 1e9),
            ("1e9", 1e9),
            ("1000000000.0", 1e9),
            ("50", 50.0),
            ("12.5", 12.5),
            ("0", 0.0),
            ("-0", 0.0),
            ("1e3", 1000.0),
        ];
        for &(quantity, expected) in cases {
            let got = validate_body(body(r#""123""#, quantity).as_bytes(), "123", MAX);
            assert_eq!(got, Ok(expected), "quantity {quantity}");
            assert!(got.unwrap().is_sign_positive(), "quantity {quantity}");
        }
    }

    #[test]
    fn rejected_quantities() {
        let cases: &[(&str, Invalid)] = &[
            (r#""-5""#, Invalid::Negative(r#""-5""#.into())),
            ("-5", Invalid::Negative("-5".into())),
            ("-0.001", Invalid::Negative("-0.001".into())),
            (r#""lots""#, Invalid::NotDecimal(r#""lots""#.into())),
            (r#""1,5""#, Invalid::NotDecimal(r#""1,5""#.into())),
            (r#""""#, Invalid::NotDecimal(r#""""#.into())),
            (r#"" 5""#, Invalid::NotDecimal(r#"" 5""#.into())),
            (r#""5 ""#, Invalid::NotDecimal(r#""5 ""#.into())),
            (r#""+5""#, Invalid::NotDecimal(r#""+5""#.into())),
            (r#"".5""#, Invalid::NotDecimal(r#"".5""#.into())),
            (r#""5.""#, Invalid::NotDecimal(r#""5.""#.into())),
            (r#""1e3""#, Invalid::NotDecimal(r#""1e3""#.into())),
            (r#""NaN""#, Invalid::NotDecimal(r#""NaN""#.into())),
            (r#""inf""#, Invalid::NotDecimal(r#""inf""#.into())),
            (r#""Infinity""#, Invalid::NotDecimal(r#""Infinity""#.into())),
            (r#""-inf""#, Invalid::NotDecimal(r#""-inf""#.into())),
            (r#""٥""#, Invalid::NotDecimal(r#""٥""#.into())),
            (
                "null",
                Invalid::WrongType {
                    field: "quantity",
                    found: "null",
                },
            ),
            (
                "true",
                Invalid::WrongType {
                    field: "quantity",
                    found: "a boolean",
                },
            ),
            (
                "[50]",
                Invalid::WrongType {
                    field: "quantity",
                    found: "an array",
                },
            ),
            (
                r#"{"v": 50}"#,
                Invalid::WrongType {
                    field: "quantity",
                    found: "an object",
                },
            ),
        ];
        for (quantity, expected) in cases {
            let got = validate_body(body(r#""123""#, quantity).as_bytes(), "123", MAX);
            assert_eq!(got.as_ref(), Err(expected), "quantity {quantity}");
        }
    }

    #[test]
    fn too_large_quantities_are_not_finite() {
        let huge = format!("\"{}\"", "9".repeat(400));
        let got = validate_body(body(r#""1""#, &huge).as_bytes(), "1", MAX);
        assert!(matches!(got, Err(Invalid::NotFinite(_))), "{got:?}");
        // serde_json itself refuses a number literal out of f64's range.
        let got = validate_body(body(r#""1""#, "1e400").as_bytes(), "1", MAX);
        assert!(matches!(got, Err(Invalid::NotJson(_))), "{got:?}");
    }

    #[test]
    fn quantities_above_the_limit_are_refused() {
        let limit = Limit(MAX);
        let cases: &[(&str, &str)] = &[
            (r#""1000000000.5""#, r#""1000000000.5""#),
            (r#""1000000001""#, r#""1000000001""#),
            (r#""1000000000000""#, r#""1000000000000""#),
            ("1000000001", "1000000001"),
            ("1e12", "1000000000000.0"),
            ("1.7976931348623157e308", "1.7976931348623157e+308"),
            ("18446744073709551615", "18446744073709551615"),
            (r#""123456789012.125""#, r#""123456789012.125""#),
        ];
        for &(quantity, shown) in cases {
            let got = validate_body(body(r#""1""#, quantity).as_bytes(), "1", MAX);
            let expected = Invalid::AboveLimit {
                shown: shown.into(),
                limit,
            };
            assert_eq!(got, Err(expected), "quantity {quantity}");
        }
        let message = validate_body(body(r#""1""#, "1e12").as_bytes(), "1", MAX)
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "quantity 1000000000000.0 is above the limit of 1000000000"
        );
        // The limit is a setting.
        let small = body(r#""1""#, r#""10.5""#);
        assert_eq!(validate_body(small.as_bytes(), "1", 10.5), Ok(10.5));
        let message = validate_body(small.as_bytes(), "1", 10.0)
            .unwrap_err()
            .to_string();
        assert_eq!(message, r#"quantity "10.5" is above the limit of 10"#);
        assert!(validate_body(small.as_bytes(), "1", f64::NAN).is_err());
        let zero = body(r#""1""#, "0");
        assert_eq!(validate_body(zero.as_bytes(), "1", 0.0), Ok(0.0));
    }

    #[test]
    fn long_quantity_strings_are_refused_before_parsing() {
        let ok = format!("\"{}.{}\"", "0".repeat(500), "0".repeat(499));
        assert_eq!(ok.len(), 1002, "1000 characters between the quotes");
        assert_eq!(
            validate_body(body(r#""1""#, &ok).as_bytes(), "1", MAX),
            Ok(0.0)
        );
        let long = format!("\"{}\"", "0".repeat(1001));
        let got = validate_body(body(r#""1""#, &long).as_bytes(), "1", MAX);
        assert_eq!(got, Err(Invalid::TooLong(1001)));
        assert_eq!(
            got.unwrap_err().to_string(),
            "quantity is a string of 1001 characters, more than the limit of 1000"
        );
    }

    #[test]
    fn product_id_may_be_a_string_or_a_number_and_must_match() {
        let ok: &[(&str, &str)] = &[
            (r#""123""#, "123"),
            ("123", "123"),
            (r#""GS-1001""#, "GS-1001"),
            (r#""a/b é""#, "a/b é"),
        ];
        for &(product_id, asked) in ok {
            assert_eq!(
                validate_body(body(product_id, "1").as_bytes(), asked, MAX),
                Ok(1.0)
            );
        }
        let mismatched: &[(&str, &str)] = &[
            (r#""124""#, "123"),
            ("124", "123"),
            ("123.0", "123"),
            (r#""GS-1001 ""#, "GS-1001"),
            (r#""gs-1001""#, "GS-1001"),
            (r#""0123""#, "123"),
        ];
        for &(product_id, asked) in mismatched {
            let got = validate_body(body(product_id, "1").as_bytes(), asked, MAX);
            assert!(
                matches!(got, Err(Invalid::OtherProduct { .. })),
                "{product_id} vs {asked}: {got:?}"
            );
        }
        for (product_id, found) in [
            ("null", "null"),
            ("[]", "an array"),
            ("{}", "an object"),
            ("false", "a boolean"),
        ] {
            let got = validate_body(body(product_id, "1").as_bytes(), "1", MAX);
            assert_eq!(
                got,
                Err(Invalid::WrongType {
                    field: "product_id",
                    found
                })
            );
        }
    }

    #[test]
    fn rejected_bodies() {
        type Check = fn(&Invalid) -> bool;
        let cases: &[(&[u8], Check)] = &[
            (b"", |e| *e == Invalid::Empty),
            (b"  \r\n", |e| *e == Invalid::Empty),
            (b"<!DOCTYPE html><html><body>502</body></html>", |e| {
                *e == Invalid::Html
            }),
            (b"  <html>", |e| *e == Invalid::Html),
            (b"not json", |e| matches!(e, Invalid::NotJson(_))),
            // JSON has no NaN or infinities: such bodies are not JSON at all.
            (br#"{"product_id": "1", "quantity": NaN}"#, |e| {
                matches!(e, Invalid::NotJson(_))
            }),
            (br#"{"product_id": "1", "quantity": Infinity}"#, |e| {
                matches!(e, Invalid::NotJson(_))
            }),
            (br#"{"product_id": "1", "quantity": -Infinity}"#, |e| {
                matches!(e, Invalid::NotJson(_))
            }),
            (br#"{"product_id": "1", "quantity": "#, |e| {
                matches!(e, Invalid::NotJson(_))
            }),
            (br#"{"product_id": "1", "quantity": "1"} trailing"#, |e| {
                matches!(e, Invalid::NotJson(_))
            }),
            (b"\xef\xbb\xbf{}", |e| matches!(e, Invalid::NotJson(_))),
            (b"[]", |e| *e == Invalid::NotObject("an array")),
            (br#"[{"product_id": "1", "quantity": "1"}]"#, |e| {
                *e == Invalid::NotObject("an array")
            }),
            (b"\"50\"", |e| *e == Invalid::NotObject("a string")),
            (b"50", |e| *e == Invalid::NotObject("a number")),
            (b"null", |e| *e == Invalid::NotObject("null")),
            (b"{}", |e| *e == Invalid::Missing("product_id")),
            (br#"{"product_id": "1"}"#, |e| {
                *e == Invalid::Missing("quantity")
            }),
            (br#"{"quantity": "1"}"#, |e| {
                *e == Invalid::Missing("product_id")
            }),
            (br#"{"product_id": "1", "qty": "1"}"#, |e| {
                *e == Invalid::Missing("quantity")
            }),
        ];
        for (body, check) in cases {
            let got = validate_body(body, "1", MAX);
            let err = got.as_ref().expect_err(&String::from_utf8_lossy(body));
            assert!(check(err), "{:?}: {err:?}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn a_key_given_twice_is_refused_whichever_value_would_win() {
        let cases: &[(&[u8], &str)] = &[
            (
                br#"{"product_id": "1", "quantity": "1", "quantity": "2"}"#,
                "quantity",
            ),
            (
                br#"{"product_id": "1", "quantity": "1", "quantity": "1"}"#,
                "quantity",
            ),
            (
                br#"{"product_id": "2", "product_id": "1", "quantity": "1"}"#,
                "product_id",
            ),
            // The same key once escaped.
            (
                br#"{"product_id": "1", "quantity": "1", "quan\u0074ity": "2"}"#,
                "quantity",
            ),
            // Refused before the values are checked.
            (
                br#"{"product_id": "9", "quantity": "-1", "product_id": "9"}"#,
                "product_id",
            ),
        ];
        for &(body, key) in cases {
            let got = validate_body(body, "1", MAX);
            assert_eq!(
                got,
                Err(Invalid::DuplicateKey(key)),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        assert_eq!(
            Invalid::DuplicateKey("quantity").to_string(),
            r#"the body has the key "quantity" more than once"#
        );
        // Other keys may repeat: they are not read. Nested objects are not
        // the answer's keys.
        let fine = br#"{"product_id": "1", "x": 1, "x": 2, "quantity": {"a": 1, "a": 2}}"#;
        assert!(matches!(
            validate_body(fine, "1", MAX),
            Err(Invalid::WrongType { .. })
        ));
        let fine = br#"{"product_id": "1", "note": 1, "note": 2, "quantity": "3"}"#;
        assert_eq!(validate_body(fine, "1", MAX), Ok(3.0));
    }

    #[test]
    fn product_ids_that_print_alike_are_shown_escaped() {
        // NFC asked, NFD answered.
        let body = serde_json::json!({"product_id": "cafe\u{301}", "quantity": "1"}).to_string();
        let message = validate_body(body.as_bytes(), "caf\u{e9}", MAX)
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            r#"product_id is "cafe\u{301}", not the requested "caf\u{e9}""#
        );
        // Full-width letters look like ASCII ones.
        let body = serde_json::json!({"product_id": "ＧＳ-1", "quantity": "1"}).to_string();
        let message = validate_body(body.as_bytes(), "GS-1", MAX)
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            r#"product_id is "\u{ff27}\u{ff33}-1", not the requested "GS-1""#
        );
        // Alike once cut: where they differ is said.
        let asked = format!("{}a", "x".repeat(60));
        let body =
            serde_json::json!({"product_id": format!("{}b", "x".repeat(60)), "quantity": "1"});
        let message = validate_body(body.to_string().as_bytes(), &asked, MAX)
            .unwrap_err()
            .to_string();
        assert!(
            message.ends_with("(they differ from character 61)"),
            "{message}"
        );
        // IDs that look different are shown as they are.
        let body = serde_json::json!({"product_id": "Pièce 8", "quantity": "1"}).to_string();
        let message = validate_body(body.as_bytes(), "Pièce 7", MAX)
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            r#"product_id is "Pièce 8", not the requested "Pièce 7""#
        );
    }

    #[test]
    fn extra_keys_and_whitespace_are_fine() {
        let body =
            br#"  {"product_id": "1", "quantity": "2", "warehouse": "WH", "updated": null}  "#;
        assert_eq!(validate_body(body, "1", MAX), Ok(2.0));
    }

    #[test]
    fn control_characters_from_the_body_are_escaped_and_cut() {
        // Found by the validate_body fuzz target: escapes made messages long.
        let product_id = format!("GS{}", "\u{7f}".repeat(100));
        let body = serde_json::json!({"product_id": product_id, "quantity": "1"}).to_string();
        let message = validate_body(body.as_bytes(), "GS-1001", MAX)
            .unwrap_err()
            .to_string();
        assert!(!message.contains('\u{7f}'), "{message:?}");
        assert!(message.chars().count() < 100, "{message}");
        assert!(
            message.starts_with(r#"product_id is "GS\u{7f}"#),
            "{message}"
        );
        let body = serde_json::json!({"product_id": "1", "quantity": "\u{1b}[2J\u{202e}"});
        let message = validate_body(body.to_string().as_bytes(), "1", MAX)
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            r#"quantity "\u{1b}[2J\u{202e}" is not a decimal number"#
        );
    }

    #[test]
    fn messages_are_short_and_readable() {
        let long = format!(
            r#"{{"product_id": "1", "quantity": "{}"}}"#,
            "x".repeat(500)
        );
        let message = validate_body(long.as_bytes(), "1", MAX)
            .unwrap_err()
            .to_string();
        assert!(message.len() < 80, "{message}");
        let message = validate_body(
            br#"{"product_id": "GS-1001", "quantity": "1"}"#,
            "GS-9005",
            MAX,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            message,
            r#"product_id is "GS-1001", not the requested "GS-9005""#
        );
    }
}
