//! Quantities per location: the optional `locations` array of an answer or
//! a listing's record,
//! `[{"location": "PARIS", "quantity": "30"}, {"location": "LYON", "quantity": "20"}]`.
//!
//! The array is held to the rules of the rest of the answer:
//! - `null` or absent: the answer has no quantities per location;
//! - otherwise an array (it may be empty: the stock is nowhere) of objects,
//!   each with `location` and `quantity` once;
//! - each `location` a string or a number (its decimal text), a code by the
//!   rules of an external ID ([`check_id`]), no code twice;
//! - each `quantity` by the rules of the product's quantity
//!   ([`parse_quantity`], `--max-quantity` included);
//! - the product's quantity equal to the sum of the locations' quantities,
//!   compared exactly as decimals ([`Decimal`]): `"0.1"` and `"0.2"` make
//!   `"0.3"`, which doubles would not.
//!
//! Anything else makes the answer `invalid_response`.

use std::collections::HashSet;
use std::fmt;

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::id::{BadId, check_id, quote};
use crate::invalid::{Invalid, shorten};
use crate::json::Node;
use crate::quantity::parse_quantity;

/// The quantity at each location, in the answer's order; printed as a JSON
/// object, `{"PARIS": 30.0, "LYON": 20.0}`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Locations(pub Vec<(String, f64)>);

impl Locations {
    /// The codes, in the answer's order.
    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(code, _)| code.as_str())
    }
}

impl Serialize for Locations {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (code, quantity) in &self.0 {
            map.serialize_entry(code, quantity)?;
        }
        map.end()
    }
}

impl fmt::Display for Locations {
    /// `PARIS 30 + LYON 20`, for the table.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, (code, quantity)) in self.0.iter().enumerate() {
            let plus = if n > 0 { " + " } else { "" };
            write!(f, "{plus}{} {quantity}", crate::id::printable(code))?;
        }
        Ok(())
    }
}

/// The keys of a location's entry that sync-cli reads.
const ENTRY_KEYS: [&str; 2] = ["location", "quantity"];

/// Reads the `locations` of an answer (`value`: `None` when absent), whose
/// own quantity, already accepted, is `total`.
///
/// ```
/// use sync_cli::json::parse_json;
/// use sync_cli::locations::read_locations;
/// let array = parse_json(br#"[{"location": "PARIS", "quantity": "0.1"}, {"location": 7, "quantity": 0.2}]"#).unwrap();
/// let total = parse_json(br#""0.3""#).unwrap();
/// let read = read_locations(Some(&array), &total, 1e9).unwrap().unwrap();
/// assert_eq!(read.0, [("PARIS".to_owned(), 0.1), ("7".to_owned(), 0.2)]);
/// let total = parse_json(b"0.30000000000000004").unwrap();
/// assert!(read_locations(Some(&array), &total, 1e9).is_err());
/// ```
pub fn read_locations(
    value: Option<&Node>,
    total: &Node,
    max_quantity: f64,
) -> Result<Option<Locations>, Invalid> {
    let items = match value {
        None | Some(Node::Null) => return Ok(None),
        Some(Node::Array(items)) => items,
        Some(other) => return Err(Invalid::LocationsNotArray(other.kind())),
    };
    let mut read = Vec::with_capacity(items.len());
    let mut codes: HashSet<String> = HashSet::with_capacity(items.len());
    let mut sum = Decimal::ZERO;
    for (index, item) in items.iter().enumerate() {
        let entry = index + 1;
        let Node::Object(keys) = item else {
            return Err(Invalid::LocationNotObject {
                entry,
                found: item.kind(),
            });
        };
        for name in ENTRY_KEYS {
            if keys.iter().filter(|(key, _)| key == name).count() > 1 {
                return Err(Invalid::LocationKeyTwice { entry, key: name });
            }
        }
        let field = |name: &str| keys.iter().find_map(|(key, v)| (key == name).then_some(v));
        let code = read_code(field("location")).map_err(|why| why.at(entry))?;
        let quantity_node = field("quantity");
        let quantity = parse_quantity(quantity_node, max_quantity).map_err(|invalid| {
            Invalid::LocationQuantity {
                location: quote(&code),
                invalid: Box::new(invalid),
            }
        })?;
        if let Some(node) = quantity_node {
            sum.add(&Decimal::of(node));
        }
        if !codes.insert(code.clone()) {
            return Err(Invalid::LocationTwice(quote(&code)));
        }
        read.push((code, quantity));
    }
    let expected = Decimal::of(total);
    if expected != sum {
        return Err(Invalid::SumMismatch {
            total: shown(total),
            sum: shorten(&sum.to_string()),
        });
    }
    Ok(Some(Locations(read)))
}

/// Why an entry's code cannot be used, before its entry is known.
enum CodeError {
    Missing,
    WrongType(&'static str),
    Bad(BadId),
}

impl CodeError {
    fn at(self, entry: usize) -> Invalid {
        match self {
            CodeError::Missing => Invalid::LocationMissing { entry },
            CodeError::WrongType(found) => Invalid::LocationWrongType { entry, found },
            CodeError::Bad(bad) => Invalid::LocationCode { entry, bad },
        }
    }
}

/// A location's code: a string, or a number as its decimal text, that
/// passes the rules of an external ID.
fn read_code(value: Option<&Node>) -> Result<String, CodeError> {
    let code = match value {
        None => return Err(CodeError::Missing),
        Some(Node::String(s)) => s.clone(),
        Some(Node::Number(n)) => n.to_string(),
        Some(other) => return Err(CodeError::WrongType(other.kind())),
    };
    check_id(&code).map_err(CodeError::Bad)?;
    Ok(code)
}

/// A quantity as messages show it: a string quoted and escaped, a number as
/// it is, both cut after 40 characters.
fn shown(node: &Node) -> String {
    match node {
        Node::String(s) => quote(s),
        Node::Number(n) => shorten(&n.to_string()),
        other => other.kind().to_owned(),
    }
}

/// An exact non-negative decimal: the digits of its whole part (no leading
/// zero) and of its fraction (no trailing zero), each digit 0 to 9.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decimal {
    whole: Vec<u8>,
    fraction: Vec<u8>,
}

impl Decimal {
    pub const ZERO: Decimal = Decimal {
        whole: Vec::new(),
        fraction: Vec::new(),
    };

    /// The exact value of an accepted quantity: a string as written
    /// (`"12.50"` is 12.5); a JSON number as the shortest decimal that
    /// reads back as the same double (`0.1` is 0.1). A quantity accepted as
    /// zero for its sign (`"-0"`, or a negative too small for a double) is
    /// zero, as its line prints it.
    pub fn of(node: &Node) -> Decimal {
        let text = match node {
            Node::String(s) => s.clone(),
            Node::Number(n) => match n.as_f64() {
                // Integers as written; other numbers by Rust's `Display`,
                // which never uses an exponent.
                Some(_) if n.is_u64() || n.is_i64() => n.to_string(),
                Some(f) => f.to_string(),
                None => String::new(),
            },
            _ => String::new(),
        };
        if text.starts_with('-') {
            return Decimal::ZERO;
        }
        Decimal::parse(&text)
    }

    /// Reads `digits(.digits)?`; anything else is zero (callers give
    /// accepted quantities only).
    fn parse(text: &str) -> Decimal {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |part: &str| -> Option<Vec<u8>> {
            part.bytes()
                .map(|b| b.is_ascii_digit().then(|| b - b'0'))
                .collect()
        };
        let (Some(mut whole), Some(mut fraction)) = (digits(whole), digits(fraction)) else {
            return Decimal::ZERO;
        };
        let leading = whole.iter().take_while(|&&d| d == 0).count();
        whole.drain(..leading);
        while fraction.last() == Some(&0) {
            fraction.pop();
        }
        Decimal { whole, fraction }
    }

    /// Adds `other`, exactly.
    pub fn add(&mut self, other: &Decimal) {
        // The fraction, from its last digit, then the whole part.
        if self.fraction.len() < other.fraction.len() {
            self.fraction.resize(other.fraction.len(), 0);
        }
        let mut carry = 0;
        for i in (0..self.fraction.len()).rev() {
            let digit = self.fraction[i] + other.fraction.get(i).copied().unwrap_or(0) + carry;
            self.fraction[i] = digit % 10;
            carry = digit / 10;
        }
        while self.fraction.last() == Some(&0) {
            self.fraction.pop();
        }
        let width = self.whole.len().max(other.whole.len());
        let mut whole = Vec::with_capacity(width + 1);
        for i in 0..width {
            let at = |digits: &[u8]| {
                digits
                    .len()
                    .checked_sub(i + 1)
                    .map_or(0, |position| digits[position])
            };
            let digit = at(&self.whole) + at(&other.whole) + carry;
            whole.push(digit % 10);
            carry = digit / 10;
        }
        if carry > 0 {
            whole.push(carry);
        }
        whole.reverse();
        self.whole = whole;
    }
}

impl fmt::Display for Decimal {
    /// `0`, `12.5`, `1000`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = |digits: &[u8]| {
            digits
                .iter()
                .map(|d| char::from(b'0' + d))
                .collect::<String>()
        };
        if self.whole.is_empty() {
            f.write_str("0")?;
        } else {
            f.write_str(&text(&self.whole))?;
        }
        if !self.fraction.is_empty() {
            write!(f, ".{}", text(&self.fraction))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse_json;

    const MAX: f64 = 1e9;

    fn node(json: &str) -> Node {
        parse_json(json.as_bytes()).unwrap()
    }

    fn read(locations: &str, total: &str) -> Result<Option<Locations>, Invalid> {
        read_locations(Some(&node(locations)), &node(total), MAX)
    }

    fn decimal(text: &str) -> Decimal {
        Decimal::parse(text)
    }

    #[test]
    fn decimals_add_exactly() {
        let cases = [
            (&["0.1", "0.2"][..], "0.3"),
            (&["12.5", "7.5"], "20"),
            (&["999", "1"], "1000"),
            (&["0.999", "0.001"], "1"),
            (&["007", "0.50"], "7.5"),
            (&[], "0"),
            (&["0", "0.0"], "0"),
            (
                &["123456789012345678901234567890.5", "0.5"],
                "123456789012345678901234567891",
            ),
            (
                &["0.0000000000000000000000000000001", "1"],
                "1.0000000000000000000000000000001",
            ),
        ];
        for (parts, expected) in cases {
            let mut sum = Decimal::ZERO;
            for part in parts {
                sum.add(&decimal(part));
            }
            assert_eq!(sum.to_string(), expected, "{parts:?}");
            assert_eq!(sum, decimal(expected), "{parts:?}");
        }
    }

    #[test]
    fn numbers_count_as_their_shortest_decimal() {
        assert_eq!(Decimal::of(&node("0.1")).to_string(), "0.1");
        assert_eq!(Decimal::of(&node("1e3")).to_string(), "1000");
        assert_eq!(Decimal::of(&node("1e-7")).to_string(), "0.0000001");
        assert_eq!(
            Decimal::of(&node("18446744073709551615")).to_string(),
            "18446744073709551615"
        );
        assert_eq!(Decimal::of(&node("-0")).to_string(), "0");
        assert_eq!(Decimal::of(&node(r#""-0.0""#)).to_string(), "0");
        assert_eq!(Decimal::of(&node(r#""12.50""#)).to_string(), "12.5");
    }

    #[test]
    fn the_contract_s_locations() {
        let got = read(
            r#"[{"location": "PARIS", "quantity": "30"}, {"location": "LYON", "quantity": "20"}]"#,
            r#""50""#,
        );
        let expected = Locations(vec![("PARIS".into(), 30.0), ("LYON".into(), 20.0)]);
        assert_eq!(got, Ok(Some(expected.clone())));
        assert_eq!(
            serde_json::to_string(&expected).unwrap(),
            r#"{"PARIS":30.0,"LYON":20.0}"#
        );
        assert_eq!(expected.to_string(), "PARIS 30 + LYON 20");
        // Null is absent; an empty array is stock nowhere.
        assert_eq!(read("null", r#""5""#), Ok(None));
        assert_eq!(read_locations(None, &node("5"), MAX), Ok(None));
        assert_eq!(read("[]", "0"), Ok(Some(Locations::default())));
        // Numbers, extra keys, an exact sum of strings and numbers.
        let got = read(
            r#"[{"location": 12, "quantity": 0.1, "name": "x"}, {"location": "B", "quantity": "0.20"}]"#,
            "0.3",
        );
        assert_eq!(
            got,
            Ok(Some(Locations(vec![("12".into(), 0.1), ("B".into(), 0.2)])))
        );
    }

    #[test]
    fn every_rule_refuses() {
        let entry = |q: &str| format!(r#"[{{"location": "P", "quantity": {q}}}]"#);
        let cases: Vec<(String, &str, &str)> = vec![
            (
                r#"{"P": 1}"#.into(),
                "1",
                "locations is an object, not an array",
            ),
            (
                "[1]".into(),
                "1",
                "locations entry 1 is a number, not an object",
            ),
            (
                r#"[{"quantity": "1"}]"#.into(),
                "1",
                "locations entry 1 has no location",
            ),
            (
                r#"[{"location": null, "quantity": "1"}]"#.into(),
                "1",
                "locations entry 1: location is null, not a string or a number",
            ),
            (
                r#"[{"location": " P", "quantity": "1"}]"#.into(),
                "1",
                r#"locations entry 1: location code " P" starts or ends with spaces (U+0020)"#,
            ),
            (
                r#"[{"location": "P", "quantity": "1", "quantity": "1"}]"#.into(),
                "1",
                r#"locations entry 1 has the key "quantity" more than once"#,
            ),
            (
                r#"[{"location": "P"}]"#.into(),
                "1",
                r#"location "P": quantity is missing"#,
            ),
            (
                entry(r#""-1""#),
                "1",
                r#"location "P": quantity "-1" is negative"#,
            ),
            (
                entry("2e9"),
                "1",
                r#"location "P": quantity 2000000000.0 is above the limit of 1000000000"#,
            ),
            (
                r#"[{"location": "P", "quantity": "1"}, {"location": "P", "quantity": "0"}]"#
                    .into(),
                "1",
                r#"location "P" appears more than once in locations"#,
            ),
            (
                entry(r#""6""#),
                "7",
                "quantity 7 is not the sum of the locations' quantities (6)",
            ),
            (
                entry("0.1"),
                r#""0.10000000000000001""#,
                r#"quantity "0.10000000000000001" is not the sum of the locations' quantities (0.1)"#,
            ),
        ];
        for (locations, total, message) in cases {
            let got = read(&locations, total).unwrap_err();
            assert_eq!(got.to_string(), message, "{locations}");
        }
    }

    #[test]
    fn a_long_sum_is_cut_in_its_message() {
        let long = format!(r#""0.{}1""#, "0".repeat(900));
        let locations = format!(r#"[{{"location": "P", "quantity": {long}}}]"#);
        let refused = read(&locations, "1").unwrap_err();
        let message = refused.to_string();
        assert!(message.chars().count() < 120, "{message}");
        assert!(
            message.ends_with(" quantities (0.00000000000000000000000000000000000000…)"),
            "{message}"
        );
        let sum = refused.reason().value("sum").cloned().unwrap();
        assert_eq!(sum.as_str().map(|s| s.chars().count()), Some(41));
    }

    #[test]
    fn codes_are_compared_whole_and_exactly() {
        let got = read(
            r#"[{"location": "WAREHOUSE-1", "quantity": "1"}, {"location": "WAREHOUSE-2", "quantity": "2"},
                {"location": "PARIS", "quantity": "3"}, {"location": "paris", "quantity": "4"}]"#,
            "10",
        );
        assert_eq!(got.map(|l| l.map(|l| l.0.len())), Ok(Some(4)));
        // A number and the string of its text are one code.
        let got = read(
            r#"[{"location": 7, "quantity": "1"}, {"location": "7", "quantity": "2"}]"#,
            "3",
        );
        assert_eq!(got, Err(Invalid::LocationTwice(r#""7""#.into())));
    }
}
