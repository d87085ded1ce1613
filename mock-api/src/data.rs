//! Product data: the built-in demo set and the `--data FILE` format.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::Value;

use crate::fault::Fault;
use crate::locations::{Location, decimal_sum, parse_locations, total};
use crate::quantity::{json_kind, parse_quantity};

/// One product as the simulated API knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Product {
    /// The external ID (`product_id` in the API).
    pub product_id: String,
    /// The on-hand quantity, as the decimal string the API answers with
    /// (with locations: their sum).
    pub quantity: String,
    /// Where the stock is, in the order given; `None`: the API does not say.
    pub locations: Option<Vec<Location>>,
    /// The failure this product shows, if any.
    pub fault: Option<Fault>,
    /// When its quantity last changed, on the API's clock; `None` when
    /// loading it: the time it is loaded.
    pub updated_at: Option<SystemTime>,
}

impl Product {
    /// A product without a fault.
    pub fn new(product_id: impl Into<String>, quantity: impl Into<String>) -> Self {
        Product {
            product_id: product_id.into(),
            quantity: quantity.into(),
            locations: None,
            fault: None,
            updated_at: None,
        }
    }

    /// A product stocked in several locations, given as `(code, quantity)`
    /// pairs; its quantity is their sum.
    ///
    /// ```
    /// use mock_api::Product;
    /// let product = Product::located("GS-1013", &[("PARIS", "30"), ("LYON", "12.5")]);
    /// assert_eq!(product.quantity, "42.5");
    /// ```
    pub fn located(product_id: impl Into<String>, locations: &[(&str, &str)]) -> Self {
        Product::new(product_id, "0").with_locations(
            locations
                .iter()
                .map(|&(code, quantity)| Location::new(code, quantity))
                .collect(),
        )
    }

    /// The product stocked in `locations`; its quantity becomes their sum
    /// (it stays as it was when one of them is not a plain decimal).
    #[must_use]
    pub fn with_locations(mut self, locations: Vec<Location>) -> Self {
        if let Some(sum) = decimal_sum(locations.iter().map(|l| l.quantity.as_str())) {
            self.quantity = sum;
        }
        self.locations = Some(locations);
        self
    }

    /// A product that shows `fault`.
    #[must_use]
    pub fn with_fault(mut self, fault: Fault) -> Self {
        self.fault = Some(fault);
        self
    }

    /// A product whose quantity last changed at `time` (on the API's clock)
    /// rather than when it is loaded.
    #[must_use]
    pub fn updated_at(mut self, time: SystemTime) -> Self {
        self.updated_at = Some(time);
        self
    }
}

/// The built-in demo data: `GS-1001` to `GS-1012` are normal products,
/// [`DEMO_LOCATED`] (`GS-1013` to `GS-1015`) normal products stocked in two
/// locations, `PARIS` and `LYON`, and `GS-9001` onwards each show one fault
/// (quantity `"10"` where the fault lets an answer through; `PARIS` 6 and
/// `LYON` 4 for the faults of locations); every fault but
/// `listing_error_503`, which would fail the demo's whole listing (it is for
/// data files); then [`DEMO_SIZES`], a T-shirt's three sizes (`GS-2001-S`,
/// `GS-2001-M`, `GS-2001-L`).
pub fn demo_products() -> Vec<Product> {
    const NORMAL: [(&str, &str); 12] = [
        ("GS-1001", "50"),
        ("GS-1002", "120"),
        ("GS-1003", "0"),
        ("GS-1004", "7"),
        ("GS-1005", "33"),
        ("GS-1006", "250"),
        ("GS-1007", "18"),
        ("GS-1008", "64"),
        ("GS-1009", "5"),
        ("GS-1010", "12"),
        ("GS-1011", "90"),
        ("GS-1012", "41"),
    ];
    let normal = NORMAL.into_iter().map(|(id, qty)| Product::new(id, qty));
    let located = DEMO_LOCATED
        .into_iter()
        .map(|(id, locations)| Product::located(id, &locations));
    let faulty = Fault::ALL
        .into_iter()
        .filter(|fault| !fault.fails_listing_page())
        .zip(9001..)
        .map(|(fault, n)| {
            let id = format!("GS-{n}");
            let product = if fault.needs_locations() {
                Product::located(id, &[("PARIS", "6"), ("LYON", "4")])
            } else {
                Product::new(id, "10")
            };
            product.with_fault(fault)
        });
    let sizes = DEMO_SIZES
        .into_iter()
        .map(|(id, qty)| Product::new(id, qty));
    normal.chain(located).chain(faulty).chain(sizes).collect()
}

/// The demo T-shirt in three sizes: each size (a variant in Odoo) is a
/// product of its own, with its own ID.
pub const DEMO_SIZES: [(&str, &str); 3] =
    [("GS-2001-S", "12"), ("GS-2001-M", "20"), ("GS-2001-L", "7")];

/// The demo products stocked in two locations: their IDs and their
/// quantity in each (their total is the sum).
pub const DEMO_LOCATED: [(&str, [(&str, &str); 2]); 3] = [
    ("GS-1013", [("PARIS", "30"), ("LYON", "15")]),
    ("GS-1014", [("PARIS", "8"), ("LYON", "24")]),
    ("GS-1015", [("PARIS", "0"), ("LYON", "6")]),
];

/// A data file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("cannot read data file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("data file {} is not valid JSON: {source}", path.display())]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("data file {} must hold a JSON array of products, not {found}", path.display())]
    NotArray { path: PathBuf, found: &'static str },
    #[error("data file {}, entry {index}{}: {reason}", path.display(), describe_id(.product_id.as_deref()))]
    Entry {
        path: PathBuf,
        /// 1-based position in the array.
        index: usize,
        product_id: Option<String>,
        reason: String,
    },
}

fn describe_id(id: Option<&str>) -> String {
    id.map(|id| format!(" (product_id {id:?})"))
        .unwrap_or_default()
}

/// Reads a data file: a JSON array of
/// `{"product_id": "123", "quantity": "50", "fault": "error_500"}` objects
/// (`product_id` and `quantity` strings or numbers, `fault` optional).
pub fn load_products(path: &Path) -> Result<Vec<Product>, DataError> {
    let text = std::fs::read(path).map_err(|source| DataError::Read {
        path: path.to_owned(),
        source,
    })?;
    let value: Value = serde_json::from_slice(&text).map_err(|source| DataError::Json {
        path: path.to_owned(),
        source,
    })?;
    parse_products(&value).map_err(|err| match err {
        ParseError::NotArray(found) => DataError::NotArray {
            path: path.to_owned(),
            found,
        },
        ParseError::Entry {
            index,
            product_id,
            reason,
        } => DataError::Entry {
            path: path.to_owned(),
            index,
            product_id,
            reason,
        },
    })
}

enum ParseError {
    NotArray(&'static str),
    Entry {
        index: usize,
        product_id: Option<String>,
        reason: String,
    },
}

fn parse_products(value: &Value) -> Result<Vec<Product>, ParseError> {
    let Value::Array(entries) = value else {
        return Err(ParseError::NotArray(json_kind(value)));
    };
    let mut seen = HashSet::new();
    let mut products = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let fail = |product_id: Option<&str>, reason: String| ParseError::Entry {
            index: i + 1,
            product_id: product_id.map(str::to_owned),
            reason,
        };
        let Value::Object(fields) = entry else {
            return Err(fail(
                None,
                format!("expected an object, found {}", json_kind(entry)),
            ));
        };
        let product_id = match fields.get("product_id") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(_)) => return Err(fail(None, "product_id is empty".into())),
            Some(other) => {
                return Err(fail(
                    None,
                    format!(
                        "product_id must be a string or a number, not {}",
                        json_kind(other)
                    ),
                ));
            }
            None => return Err(fail(None, "product_id is missing".into())),
        };
        let id = Some(product_id.as_str());
        if let Some(key) = fields.keys().find(|k| {
            !matches!(
                k.as_str(),
                "product_id" | "quantity" | "locations" | "fault" | "updated_at"
            )
        }) {
            return Err(fail(
                id,
                format!(
                    "unknown key {key:?} (expected product_id, quantity or locations or both, \
                     an optional fault and an optional updated_at)"
                ),
            ));
        }
        let (quantity, locations) = parse_stock(fields.get("quantity"), fields.get("locations"))
            .map_err(|reason| fail(id, reason))?;
        let fault = match fields.get("fault") {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) => {
                Some(name.parse::<Fault>().map_err(|e| fail(id, e.to_string()))?)
            }
            Some(other) => {
                return Err(fail(
                    id,
                    format!("fault must be a string, not {}", json_kind(other)),
                ));
            }
        };
        let updated_at = match fields.get("updated_at") {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => {
                Some(crate::clock::parse_rfc3339(text).ok_or_else(|| {
                    fail(
                        id,
                        format!("updated_at must be an RFC 3339 time, not {text:?}"),
                    )
                })?)
            }
            Some(other) => {
                return Err(fail(
                    id,
                    format!("updated_at must be a string, not {}", json_kind(other)),
                ));
            }
        };
        if let Some(fault) = fault.filter(|f| f.needs_locations() && locations.is_none()) {
            return Err(fail(
                id,
                format!("fault {fault} needs locations: give the product's locations"),
            ));
        }
        if !seen.insert(product_id.clone()) {
            return Err(fail(id, "product_id appears more than once".into()));
        }
        products.push(Product {
            product_id,
            quantity,
            locations,
            fault,
            updated_at,
        });
    }
    Ok(products)
}

/// The quantity and the locations of a product or a `PUT`: `quantity`
/// alone, `locations` alone (the quantity is then their sum), or both when
/// the quantity is their sum. A `null` quantity beside locations is the
/// same as none.
pub fn parse_stock(
    quantity: Option<&Value>,
    locations: Option<&Value>,
) -> Result<(String, Option<Vec<Location>>), String> {
    match locations.filter(|v| !v.is_null()) {
        None => parse_quantity(quantity)
            .map(|q| (q, None))
            .map_err(|e| e.to_string()),
        Some(locations) => {
            let given = quantity
                .filter(|v| !v.is_null())
                .map(|q| parse_quantity(Some(q)))
                .transpose()
                .map_err(|e| e.to_string())?;
            let locations = parse_locations(locations).map_err(|e| e.to_string())?;
            let quantity = total(given, &locations).map_err(|e| e.to_string())?;
            Ok((quantity, Some(locations)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A product's ID, quantity and `(code, quantity)` pairs.
    type Located<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>);

    fn parse(value: &Value) -> Result<Vec<Product>, String> {
        parse_products(value).map_err(|e| match e {
            ParseError::NotArray(found) => format!("not an array: {found}"),
            ParseError::Entry { index, reason, .. } => format!("entry {index}: {reason}"),
        })
    }

    #[test]
    fn updated_at_from_the_data_file() {
        let products = parse(&json!([
            {"product_id": "A", "quantity": "1", "updated_at": "2026-01-02T03:04:05Z"},
            {"product_id": "B", "quantity": "2"}
        ]))
        .expect("valid data");
        assert_eq!(
            products[0].updated_at,
            crate::clock::parse_rfc3339("2026-01-02T03:04:05Z")
        );
        assert_eq!(products[1].updated_at, None);
        let error =
            parse(&json!([{"product_id": "A", "quantity": "1", "updated_at": "yesterday"}]))
                .expect_err("not a time");
        assert!(
            error.contains("updated_at must be an RFC 3339 time"),
            "{error}"
        );
    }

    #[test]
    fn demo_data_is_exact() {
        let demo = demo_products();
        let summary: Vec<(String, String, Option<&str>)> = demo
            .iter()
            .map(|p| {
                (
                    p.product_id.clone(),
                    p.quantity.clone(),
                    p.fault.map(Fault::name),
                )
            })
            .collect();
        assert_eq!(summary[0], ("GS-1001".into(), "50".into(), None));
        assert_eq!(summary[2], ("GS-1003".into(), "0".into(), None));
        assert_eq!(summary[11], ("GS-1012".into(), "41".into(), None));
        assert_eq!(
            summary[15],
            ("GS-9001".into(), "10".into(), Some("error_500"))
        );
        assert_eq!(summary[26], ("GS-9012".into(), "10".into(), Some("slow")));
        assert_eq!(demo.len(), 12 + 3 + Fault::ALL.len() - 1 + 3);
        // A T-shirt's three sizes, last.
        assert_eq!(
            summary[summary.len() - 3..],
            [
                ("GS-2001-S".into(), "12".into(), None),
                ("GS-2001-M".into(), "20".into(), None),
                ("GS-2001-L".into(), "7".into(), None),
            ]
        );
        assert!(demo.iter().all(|p| p.fault != Some(Fault::ListingError503)));
        // Stocked in two locations: GS-1013 to GS-1015, and the faults of
        // locations.
        let located: Vec<Located> = demo
            .iter()
            .filter_map(|p| {
                let locations = p.locations.as_ref()?;
                let pairs = locations
                    .iter()
                    .map(|l| (l.location.as_str(), l.quantity.as_str()))
                    .collect();
                Some((p.product_id.as_str(), p.quantity.as_str(), pairs))
            })
            .collect();
        assert_eq!(
            located,
            [
                ("GS-1013", "45", vec![("PARIS", "30"), ("LYON", "15")]),
                ("GS-1014", "32", vec![("PARIS", "8"), ("LYON", "24")]),
                ("GS-1015", "6", vec![("PARIS", "0"), ("LYON", "6")]),
                ("GS-9014", "10", vec![("PARIS", "6"), ("LYON", "4")]),
                ("GS-9015", "10", vec![("PARIS", "6"), ("LYON", "4")]),
            ]
        );
        assert_eq!(summary[28].2, Some("locations_sum_mismatch"));
        assert_eq!(summary[29].2, Some("location_twice"));
    }

    #[test]
    fn locations_in_the_data_file() {
        let products = parse(&json!([
            {"product_id": "A", "locations": [{"location": "PARIS", "quantity": "30"}, {"location": "LYON", "quantity": 20}]},
            {"product_id": "B", "quantity": 7.5, "locations": [{"location": "LYON", "quantity": "7.50"}]},
            {"product_id": "C", "quantity": "3", "locations": null},
            {"product_id": "D", "locations": [{"location": "PARIS", "quantity": "1"}], "fault": "location_twice"}
        ]))
        .expect("valid data");
        assert_eq!(products[0].quantity, "50");
        assert_eq!(
            products[0].locations,
            Some(vec![
                Location::new("PARIS", "30"),
                Location::new("LYON", "20")
            ])
        );
        assert_eq!(products[1].quantity, "7.5");
        assert_eq!(products[2].locations, None);
        assert_eq!(products[3].fault, Some(Fault::LocationTwice));
    }

    #[test]
    fn bad_locations_in_the_data_file_name_the_product() {
        let cases = [
            (
                json!([{"product_id": "A", "quantity": "50", "locations": [{"location": "PARIS", "quantity": "30"}, {"location": "LYON", "quantity": "10"}]}]),
                "entry 1: quantity \"50\" is not the sum of the locations' quantities (40)",
            ),
            (
                json!([{"product_id": "A", "locations": [{"location": "PARIS", "quantity": "3"}, {"location": "PARIS", "quantity": "1"}]}]),
                "entry 1: locations entry 2: location \"PARIS\" appears more than once",
            ),
            (
                json!([{"product_id": "A", "locations": [{"location": " PARIS", "quantity": "3"}]}]),
                "entry 1: locations entry 1: location \" PARIS\" starts or ends with spaces",
            ),
            (
                json!([{"product_id": "A", "locations": [{"location": "PARIS", "quantity": "-3"}]}]),
                "entry 1: locations entry 1: location \"PARIS\": quantity \"-3\" is negative",
            ),
            (
                json!([{"product_id": "A", "locations": []}]),
                "entry 1: locations is empty",
            ),
            (
                json!([{"product_id": "A", "quantity": "1", "fault": "locations_sum_mismatch"}]),
                "entry 1: fault locations_sum_mismatch needs locations",
            ),
            (
                json!([{"product_id": "A", "quantity": "lots", "locations": [{"location": "PARIS", "quantity": "3"}]}]),
                "entry 1: quantity \"lots\" is not",
            ),
        ];
        for (value, expected) in cases {
            let err = parse(&value).unwrap_err();
            assert!(
                err.starts_with(expected),
                "{err:?} does not start with {expected:?}"
            );
        }
        let err = load_error(
            &json!([{"product_id": "GS-7", "locations": [{"location": "", "quantity": "3"}]}]),
        );
        assert!(
            err.contains("(product_id \"GS-7\"): locations entry 1: location is empty"),
            "{err}"
        );
    }

    fn load_error(value: &Value) -> String {
        let path = std::env::temp_dir().join(format!("mock-api-unit-{}.json", std::process::id()));
        std::fs::write(&path, value.to_string()).unwrap();
        let err = load_products(&path).unwrap_err().to_string();
        std::fs::remove_file(&path).unwrap();
        err
    }

    #[test]
    fn data_file_entries() {
        let products = parse(&json!([
            {"product_id": "A", "quantity": "1"},
            {"product_id": 123, "quantity": 4.5, "fault": "slow"},
            {"product_id": "B", "quantity": "2", "fault": null},
        ]))
        .unwrap();
        assert_eq!(products[1].product_id, "123");
        assert_eq!(products[1].quantity, "4.5");
        assert_eq!(products[1].fault, Some(Fault::Slow));
        assert_eq!(products[2].fault, None);
    }

    #[test]
    fn bad_data_files_name_the_entry() {
        let cases = [
            (json!({"product_id": "A"}), "not an array: an object"),
            (
                json!([{"product_id": "A", "quantity": "1", "fault": "nope"}]),
                "entry 1: unknown fault \"nope\"",
            ),
            (
                json!([{"product_id": "A", "quantity": "1"}, {"quantity": "1"}]),
                "entry 2: product_id is missing",
            ),
            (
                json!([{"product_id": "A", "quantity": "-1"}]),
                "entry 1: quantity \"-1\" is negative",
            ),
            (
                json!([{"product_id": "A", "quantity": "1", "qty": 2}]),
                "entry 1: unknown key \"qty\"",
            ),
            (
                json!([{"product_id": "A", "quantity": "1"}, {"product_id": "A", "quantity": "2"}]),
                "entry 2: product_id appears more than once",
            ),
            (json!([[1]]), "entry 1: expected an object, found an array"),
        ];
        for (value, expected) in cases {
            let err = parse(&value).unwrap_err();
            assert!(
                err.starts_with(expected),
                "{err:?} does not start with {expected:?}"
            );
        }
    }
}
