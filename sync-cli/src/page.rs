//! One page of a listing, read from an untrusted body: where its records are
//! and where each record keeps its ID and quantity (JSON pointers, RFC 6901),
//! and the cursor of the next page.
//!
//! Each record is held to the rules of `fetch`, from the same code: the ID is
//! a JSON string or number ([`crate::validate::read_product_id`]) that
//! passes [`crate::id::check_id`]; the quantity passes
//! [`crate::quantity::parse_quantity`]. As for `fetch`, a key given twice on
//! the way to a value that sync-cli reads is an ambiguous answer, refused
//! whichever value would win. Whether an ID was listed before is the
//! listing's business ([`crate::listing`]), not a page's.

pub use crate::json::Pointer;

use crate::id::{BadId, check_id};
use crate::invalid::Invalid;
use crate::json::{Found, Node, child_mut, find, find_path, parse_json};
use crate::locations::{Locations, read_locations};
use crate::quantity::parse_quantity;
use crate::reason::{Code, Reason, json_type};
use crate::validate::read_product_id;

/// How a listing's pages are laid out.
#[derive(Clone, Debug)]
pub struct PageFormat {
    /// Where the array of records is (`--records-path`).
    pub records: Pointer,
    /// Where a record keeps its external ID (`--id-field`).
    pub id: Pointer,
    /// Where a record keeps its quantity (`--quantity-field`).
    pub quantity: Pointer,
    /// Where a record keeps its location (`--location-field`), for a
    /// listing of one record per item and location. Without it, a record's
    /// `locations` array is read ([`crate::locations`]).
    pub location: Option<Pointer>,
    /// Where the next page's cursor is (`--cursor-field`), for cursor paging.
    pub cursor: Option<Pointer>,
    /// Largest quantity accepted (`--max-quantity`).
    pub max_quantity: f64,
}

/// A page, read.
#[derive(Debug)]
pub struct Page {
    pub records: Vec<Record>,
    /// The next page's cursor (cursor paging): `None` when null or absent.
    pub cursor: Option<String>,
}

/// One record of a page.
#[derive(Debug, PartialEq)]
pub struct Record {
    /// The external ID, when it could be read (even if refused).
    pub id: Option<String>,
    /// The location (`--location-field`), when it could be read and passes
    /// the rules of a code (even if the record is refused).
    pub location: Option<String>,
    /// The quantity, or why the record cannot be used.
    pub result: Result<f64, RecordError>,
    /// The quantity at each location, when the record is accepted and
    /// gives them.
    pub locations: Option<Locations>,
}

/// Why a page ends the listing (it is not a page of records).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PageError {
    #[error("{0}")]
    Body(Invalid),
    #[error("the body has no records at {0} (--records-path)")]
    NoRecords(Pointer),
    #[error("the body has the key of {0} more than once (--records-path)")]
    RecordsTwice(Pointer),
    #[error("{} is {found}, not an array of records (--records-path {pointer})", place(.pointer, "the body", "the value at"))]
    RecordsNotArray {
        pointer: Pointer,
        found: &'static str,
    },
    #[error("the body has the key of {0} more than once (--cursor-field)")]
    CursorTwice(Pointer),
    #[error("the next cursor at {pointer} is {found}, not a string or a number (--cursor-field)")]
    CursorType {
        pointer: Pointer,
        found: &'static str,
    },
}

/// Why one record cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RecordError {
    #[error("the record is {0}, not an object")]
    NotObject(&'static str),
    #[error("{invalid} (--id-field {pointer})")]
    Id { pointer: Pointer, invalid: Invalid },
    #[error("the record has the key of {0} more than once (--id-field)")]
    IdTwice(Pointer),
    #[error("{0}")]
    BadId(BadId),
    #[error("{invalid} (--quantity-field {pointer})")]
    Quantity { pointer: Pointer, invalid: Invalid },
    #[error("the record has the key of {0} more than once (--quantity-field)")]
    QuantityTwice(Pointer),
    #[error("location is missing (--location-field {0})")]
    LocationMissing(Pointer),
    #[error("location is {found}, not a string or a number (--location-field {pointer})")]
    LocationWrongType {
        pointer: Pointer,
        found: &'static str,
    },
    #[error("the record has the key of {0} more than once (--location-field)")]
    LocationTwice(Pointer),
    #[error("{} (--location-field {pointer})", bad.to_string().replacen("external ID", "location code", 1))]
    BadLocation { pointer: Pointer, bad: BadId },
    #[error("{0}")]
    Locations(Invalid),
    #[error("the record has the key \"locations\" more than once")]
    LocationsTwice,
}

impl PageError {
    /// The reason code of a listing that this page ends, and the values it
    /// names (`field`: the pointer given as an option).
    pub fn reason(&self) -> Reason {
        match self {
            PageError::Body(invalid) => invalid.reason(),
            PageError::NoRecords(pointer) => {
                Reason::new(Code::RecordsMissing).with("field", pointer.as_str())
            }
            PageError::RecordsTwice(pointer) | PageError::CursorTwice(pointer) => {
                Reason::new(Code::DuplicateKey).with("field", pointer.as_str())
            }
            PageError::RecordsNotArray { pointer, found } => Reason::new(Code::RecordsNotArray)
                .with("found", json_type(found))
                .with("field", pointer.as_str()),
            PageError::CursorType { pointer, found } => Reason::new(Code::CursorWrongType)
                .with("found", json_type(found))
                .with("field", pointer.as_str()),
        }
    }
}

impl RecordError {
    /// The reason code of a record refused for this, and the values it
    /// names (`field`: the pointer given as an option).
    pub fn reason(&self) -> Reason {
        match self {
            RecordError::NotObject(kind) => {
                Reason::new(Code::RecordNotObject).with("found", json_type(kind))
            }
            RecordError::Id { pointer, invalid } | RecordError::Quantity { pointer, invalid } => {
                invalid.reason().with("field", pointer.as_str())
            }
            RecordError::IdTwice(pointer)
            | RecordError::QuantityTwice(pointer)
            | RecordError::LocationTwice(pointer) => {
                Reason::new(Code::DuplicateKey).with("field", pointer.as_str())
            }
            RecordError::BadId(bad) => bad.reason(),
            RecordError::LocationMissing(pointer) => {
                Reason::new(Code::LocationMissing).with("field", pointer.as_str())
            }
            RecordError::LocationWrongType { pointer, found } => {
                Reason::new(Code::LocationWrongType)
                    .with("found", json_type(found))
                    .with("field", pointer.as_str())
            }
            RecordError::BadLocation { pointer, bad } => {
                bad.location_reason().with("field", pointer.as_str())
            }
            RecordError::Locations(invalid) => invalid.reason(),
            RecordError::LocationsTwice => Reason::new(Code::DuplicateKey).with("key", "locations"),
        }
    }
}

/// `whole` for the empty pointer, else `"{at} {pointer}"`.
fn place(pointer: &Pointer, whole: &str, at: &str) -> String {
    if pointer.is_root() {
        whole.to_owned()
    } else {
        format!("{at} {pointer}")
    }
}

/// Reads one page: any bytes give a page or a [`PageError`], never a
/// panic, and every quantity of a page is one that `fetch` would accept.
///
/// ```
/// use sync_cli::page::{PageFormat, Pointer, read_page};
/// let format = PageFormat {
///     records: Pointer::parse("/items").unwrap(),
///     id: Pointer::parse("/product_id").unwrap(),
///     quantity: Pointer::parse("/quantity").unwrap(),
///     location: None,
///     cursor: Some(Pointer::parse("/next_cursor").unwrap()),
///     max_quantity: 1e9,
/// };
/// let body = br#"{"items": [{"product_id": "GS-1", "quantity": "5"}], "next_cursor": "c2"}"#;
/// let page = read_page(body, &format).unwrap();
/// assert_eq!(page.records[0].id.as_deref(), Some("GS-1"));
/// assert_eq!(page.records[0].result, Ok(5.0));
/// assert_eq!(page.cursor.as_deref(), Some("c2"));
/// ```
pub fn read_page(body: &[u8], format: &PageFormat) -> Result<Page, PageError> {
    let mut root: Node = parse_json(body).map_err(PageError::Body)?;
    let cursor = match &format.cursor {
        Some(pointer) => read_cursor(&root, pointer)?,
        None => None,
    };
    let path = match find_path(&root, &format.records) {
        Found::Here(path) => path,
        Found::Missing => return Err(PageError::NoRecords(format.records.clone())),
        Found::Twice => return Err(PageError::RecordsTwice(format.records.clone())),
    };
    let node = path.into_iter().fold(&mut root, child_mut);
    let items = match std::mem::replace(node, Node::Null) {
        Node::Array(items) => items,
        other => {
            return Err(PageError::RecordsNotArray {
                pointer: format.records.clone(),
                found: other.kind(),
            });
        }
    };
    drop(root);
    let records = items
        .into_iter()
        .map(|item| read_record(&item, format))
        .collect();
    Ok(Page { records, cursor })
}

fn read_cursor(root: &Node, pointer: &Pointer) -> Result<Option<String>, PageError> {
    match find(root, pointer) {
        Found::Missing | Found::Here(Node::Null) => Ok(None),
        Found::Here(Node::String(s)) => Ok(Some(s.clone())),
        Found::Here(Node::Number(n)) => Ok(Some(n.to_string())),
        Found::Here(other) => Err(PageError::CursorType {
            pointer: pointer.clone(),
            found: other.kind(),
        }),
        Found::Twice => Err(PageError::CursorTwice(pointer.clone())),
    }
}

/// One record, by the rules of `fetch`.
fn read_record(record: &Node, format: &PageFormat) -> Record {
    let refused = |id: Option<String>, location: Option<String>, error: RecordError| Record {
        id,
        location,
        result: Err(error),
        locations: None,
    };
    let id = match find(record, &format.id) {
        Found::Here(value) => read_product_id(Some(value)),
        Found::Missing if !matches!(record, Node::Object(_)) => {
            return refused(None, None, RecordError::NotObject(record.kind()));
        }
        Found::Missing => read_product_id(None),
        Found::Twice => return refused(None, None, RecordError::IdTwice(format.id.clone())),
    };
    let id = match id {
        Ok(id) => id,
        Err(invalid) => {
            let error = RecordError::Id {
                pointer: format.id.clone(),
                invalid,
            };
            return refused(None, None, error);
        }
    };
    if let Err(bad) = check_id(&id) {
        return refused(Some(id), None, RecordError::BadId(bad));
    }
    let location = match &format.location {
        Some(pointer) => match read_location(record, pointer) {
            Ok(location) => Some(location),
            Err(error) => return refused(Some(id), None, error),
        },
        None => None,
    };
    let total = match find(record, &format.quantity) {
        Found::Here(value) => Some(value),
        Found::Missing => None,
        Found::Twice => {
            let error = RecordError::QuantityTwice(format.quantity.clone());
            return refused(Some(id), location, error);
        }
    };
    let quantity = match parse_quantity(total, format.max_quantity) {
        Ok(quantity) => quantity,
        Err(invalid) => {
            let error = RecordError::Quantity {
                pointer: format.quantity.clone(),
                invalid,
            };
            return refused(Some(id), location, error);
        }
    };
    let mut locations = None;
    if let (None, Some(total)) = (&format.location, total) {
        // A record that is its own ID and quantity has no locations.
        let entries: &[(String, Node)] = match record {
            Node::Object(entries) => entries,
            _ => &[],
        };
        let mut arrays = entries.iter().filter(|(key, _)| key == "locations");
        let array = match (arrays.next(), arrays.next()) {
            (Some(_), Some(_)) => return refused(Some(id), None, RecordError::LocationsTwice),
            (first, _) => first.map(|(_, value)| value),
        };
        match read_locations(array, total, format.max_quantity) {
            Ok(read) => locations = read,
            Err(invalid) => return refused(Some(id), None, RecordError::Locations(invalid)),
        }
    }
    Record {
        id: Some(id),
        location,
        result: Ok(quantity),
        locations,
    }
}

/// The location of a record of a listing read per location: a string, or a
/// number as its decimal text, that passes the rules of an external ID.
fn read_location(record: &Node, pointer: &Pointer) -> Result<String, RecordError> {
    let code = match find(record, pointer) {
        Found::Here(Node::String(s)) => s.clone(),
        Found::Here(Node::Number(n)) => n.to_string(),
        Found::Here(other) => {
            return Err(RecordError::LocationWrongType {
                pointer: pointer.clone(),
                found: other.kind(),
            });
        }
        Found::Missing => return Err(RecordError::LocationMissing(pointer.clone())),
        Found::Twice => return Err(RecordError::LocationTwice(pointer.clone())),
    };
    check_id(&code).map_err(|bad| RecordError::BadLocation {
        pointer: pointer.clone(),
        bad,
    })?;
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pointer(text: &str) -> Pointer {
        Pointer::parse(text).unwrap()
    }

    fn format() -> PageFormat {
        PageFormat {
            records: pointer("/items"),
            id: pointer("/product_id"),
            quantity: pointer("/quantity"),
            location: None,
            cursor: Some(pointer("/next_cursor")),
            max_quantity: 1e9,
        }
    }

    fn page(body: &str) -> Result<Page, PageError> {
        read_page(body.as_bytes(), &format())
    }

    fn records(body: &str) -> Vec<Record> {
        page(body).unwrap().records
    }

    fn error(record: &Record) -> String {
        record.result.as_ref().unwrap_err().to_string()
    }

    #[test]
    fn the_contract_s_page() {
        let page = page(
            r#"{"items": [
                {"product_id": "GS-1001", "quantity": "50", "updated_at": "2026-12-04T10:00:00Z"},
                {"product_id": 42, "quantity": 12.5}
            ], "next_cursor": "opaque"}"#,
        )
        .unwrap();
        assert_eq!(
            page.records,
            [
                Record {
                    id: Some("GS-1001".into()),
                    location: None,
                    result: Ok(50.0),
                    locations: None,
                },
                Record {
                    id: Some("42".into()),
                    location: None,
                    result: Ok(12.5),
                    locations: None,
                },
            ]
        );
        assert_eq!(page.cursor.as_deref(), Some("opaque"));
    }

    #[test]
    fn cursors() {
        let cursor = |body: &str| page(body).map(|p| p.cursor);
        assert_eq!(cursor(r#"{"items": [], "next_cursor": null}"#), Ok(None));
        assert_eq!(cursor(r#"{"items": []}"#), Ok(None));
        assert_eq!(
            cursor(r#"{"items": [], "next_cursor": 7}"#),
            Ok(Some("7".into()))
        );
        let err = cursor(r#"{"items": [], "next_cursor": {"a": 1}}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the next cursor at /next_cursor is an object, not a string or a number (--cursor-field)"
        );
        let err = cursor(r#"{"items": [], "next_cursor": "a", "next_cursor": null}"#).unwrap_err();
        assert_eq!(err, PageError::CursorTwice(pointer("/next_cursor")));
        // Without cursor paging, the field is not read.
        let mut no_cursor = format();
        no_cursor.cursor = None;
        let body = br#"{"items": [], "next_cursor": {}}"#;
        assert_eq!(read_page(body, &no_cursor).unwrap().cursor, None);
    }

    #[test]
    fn pages_that_are_not_pages_of_records() {
        let cases = [
            ("", "the body is empty"),
            ("<html>busy</html>", "the body is an HTML page, not JSON"),
            ("{\"items\": [", "the body is not JSON"),
            ("{}", "the body has no records at /items (--records-path)"),
            (
                r#"{"items": {"a": 1}}"#,
                "the value at /items is an object, not an array of records (--records-path /items)",
            ),
            (
                r#"{"items": null}"#,
                "the value at /items is null, not an array of records",
            ),
            (
                r#"{"items": [], "items": []}"#,
                "the body has the key of /items more than once",
            ),
            ("[1, 2]", "the body has no records at /items"),
        ];
        for (body, expected) in cases {
            let message = page(body).unwrap_err().to_string();
            assert!(message.starts_with(expected), "{body}: {message}");
        }
        let mut top = format();
        top.records = pointer("");
        let message = read_page(br#"{"items": []}"#, &top)
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "the body is an object, not an array of records (--records-path '')"
        );
    }

    #[test]
    fn a_top_level_array_with_other_field_names() {
        let format = PageFormat {
            records: pointer(""),
            id: pointer("/sku"),
            quantity: pointer("/stock_quantity"),
            location: None,
            cursor: None,
            max_quantity: 1e9,
        };
        let body = br#"[{"id": 1, "sku": "W-1", "stock_quantity": 3}, {"sku": "W-2", "stock_quantity": null}]"#;
        let page = read_page(body, &format).unwrap();
        assert_eq!(page.records[0].id.as_deref(), Some("W-1"));
        assert_eq!(page.records[0].result, Ok(3.0));
        assert_eq!(page.records[1].id.as_deref(), Some("W-2"));
        assert_eq!(
            error(&page.records[1]),
            "quantity is null, not a string or a number (--quantity-field /stock_quantity)"
        );
    }

    #[test]
    fn records_follow_the_rules_of_fetch() {
        let records = records(
            r#"{"items": [
                {"quantity": "1"},
                {"product_id": {"a": 1}, "quantity": "1"},
                {"product_id": " GS-1", "quantity": "1"},
                {"product_id": "GS\u0007", "quantity": "1"},
                {"product_id": "GS-2", "quantity": "-5"},
                {"product_id": "GS-3", "quantity": "1e3"},
                {"product_id": "GS-4", "quantity": 1e12},
                {"product_id": "GS-5"},
                {"product_id": "GS-6", "quantity": "1", "quantity": "2"},
                {"product_id": "GS-7", "product_id": "GS-8", "quantity": "2"},
                "GS-9",
                {"product_id": "GS-10", "quantity": "-0"}
            ]}"#,
        );
        let expected: [(Option<&str>, &str); 11] = [
            (None, "product_id is missing (--id-field /product_id)"),
            (
                None,
                "product_id is an object, not a string or a number (--id-field /product_id)",
            ),
            (
                Some(" GS-1"),
                r#"external ID " GS-1" starts or ends with spaces (U+0020)"#,
            ),
            (
                Some("GS\u{7}"),
                r#"external ID "GS\u{7}" contains a control character (U+0007)"#,
            ),
            (
                Some("GS-2"),
                r#"quantity "-5" is negative (--quantity-field /quantity)"#,
            ),
            (
                Some("GS-3"),
                r#"quantity "1e3" is not a decimal number (--quantity-field /quantity)"#,
            ),
            (
                Some("GS-4"),
                "quantity 1000000000000.0 is above the limit of 1000000000 (--quantity-field /quantity)",
            ),
            (
                Some("GS-5"),
                "quantity is missing (--quantity-field /quantity)",
            ),
            (
                Some("GS-6"),
                "the record has the key of /quantity more than once (--quantity-field)",
            ),
            (
                None,
                "the record has the key of /product_id more than once (--id-field)",
            ),
            (None, "the record is a string, not an object"),
        ];
        for (record, (id, message)) in records.iter().zip(expected) {
            assert_eq!(record.id.as_deref(), id, "{record:?}");
            assert_eq!(error(record), message);
        }
        assert_eq!(records[11].result, Ok(0.0));
        assert!(records[11].result.as_ref().unwrap().is_sign_positive());
    }

    #[test]
    fn the_record_itself_as_its_id() {
        let format = PageFormat {
            records: pointer("/ids"),
            id: pointer(""),
            quantity: pointer("/q"),
            location: None,
            cursor: None,
            max_quantity: 1e9,
        };
        let page = read_page(br#"{"ids": ["A", 7]}"#, &format).unwrap();
        assert_eq!(page.records[0].id.as_deref(), Some("A"));
        assert_eq!(page.records[1].id.as_deref(), Some("7"));
        assert!(page.records[0].result.is_err());
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let message = page(&deep).unwrap_err().to_string();
        assert!(message.contains("recursion limit"), "{message}");
    }
}
