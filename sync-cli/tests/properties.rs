//! Properties checked on generated input (proptest):
//! - a quantity is accepted only if it is a finite, non-negative decimal of
//!   at most the limit, per the documented grammar;
//! - any ID that the ID check accepts round-trips through the URL as one
//!   path segment;
//! - any bytes as a listing's page: never a panic, never a quantity out of
//!   range, and each record judged exactly as `fetch` judges the same object
//!   as a body (one rulebook), its quantities per location included;
//! - quantities per location are accepted iff their exact sum is the
//!   product's quantity.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions

use std::sync::LazyLock;

use proptest::prelude::*;
use regex::Regex;
use sync_cli::UrlTemplate;
use sync_cli::id::{MAX_ID_CHARS, check_id, is_forbidden};
use sync_cli::target::parse_base_url;
use sync_cli::validate::{
    DEFAULT_MAX_QUANTITY, MAX_QUANTITY_CHARS, validate_answer, validate_body,
};

/// Cases per property: enough to mean something, few enough to keep the
/// test suite fast. `PROPTEST_CASES` overrides it for a longer run.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// --- quantities -----------------------------------------------------------------

/// The documented grammar of a quantity string.
static DECIMAL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\A-?[0-9]+(\.[0-9]+)?\z").unwrap());

/// The oracle: the quantity an answer with `value` as its quantity should
/// give, or `None` when it must be refused.
fn expected_quantity(value: &serde_json::Value, max: f64) -> Option<f64> {
    let parsed = match value {
        serde_json::Value::String(s) => {
            if s.chars().count() > MAX_QUANTITY_CHARS || !DECIMAL.is_match(s) {
                return None;
            }
            s.parse::<f64>().unwrap()
        }
        serde_json::Value::Number(n) => n.as_f64().unwrap(),
        _ => return None,
    };
    let finite_non_negative = parsed.is_finite() && (parsed >= 0.0 || parsed == 0.0);
    (finite_non_negative && parsed <= max).then_some(parsed + 0.0)
}

fn check_quantity(quantity_json: &str, max: f64) -> Result<(), TestCaseError> {
    let body = format!(r#"{{"product_id": "GS-1", "quantity": {quantity_json}}}"#);
    let got = validate_body(body.as_bytes(), "GS-1", max);
    match serde_json::from_str::<serde_json::Value>(quantity_json) {
        Ok(value) => {
            let expected = expected_quantity(&value, max);
            prop_assert_eq!(
                got.as_ref().ok().copied(),
                expected,
                "{} -> {:?}",
                quantity_json,
                got
            );
        }
        // Not JSON (e.g. a number out of range): refused.
        Err(_) => prop_assert!(got.is_err(), "{} -> {:?}", quantity_json, got),
    }
    if let Ok(quantity) = got {
        prop_assert!(quantity.is_finite() && quantity.is_sign_positive() && quantity <= max);
    }
    Ok(())
}

/// Strings near and far from the grammar.
fn quantity_strings() -> impl Strategy<Value = String> {
    prop_oneof![
        // In the grammar (negative ones then refused unless zero).
        "-?[0-9]{1,12}(\\.[0-9]{1,8})?",
        // Around the limit.
        "(99999999[0-9]|1000000000|100000000[0-9])(\\.[0-9]{1,3})?",
        // Near misses: signs, spaces, exponents, hex, separators.
        "[-+ 0-9.eExX,_]{0,14}",
        prop::sample::select(vec![
            "", "NaN", "nan", "inf", "-inf", "Infinity", "+5", " 5", "5 ", ".5", "5.", "1,5",
            "1_000", "0x10", "1e3", "1E3", "5e-1", "-0", "-0.0", "00", "٥", "５", "1\u{0}",
        ])
        .prop_map(str::to_owned),
        // Whatever Rust prints for any double: NaN, inf, exponents, negatives.
        any::<f64>().prop_map(|f| f.to_string()),
        any::<f64>().prop_map(|f| format!("{f:e}")),
        // Long digit strings: overflow, and the length guard.
        (1usize..1100).prop_map(|n| "9".repeat(n)),
        (0usize..1100).prop_map(|n| format!("0.{}", "0".repeat(n))),
        // Anything.
        any::<String>(),
    ]
}

/// JSON number texts, exponents included.
fn json_numbers() -> impl Strategy<Value = String> {
    prop_oneof![
        "-?(0|[1-9][0-9]{0,20})(\\.[0-9]{1,20})?([eE][-+]?[0-9]{1,3})?",
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(|f| serde_json::Value::from(f).to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        (0u32..2_000_000_000).prop_map(|n| n.to_string()),
    ]
}

fn limits() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(DEFAULT_MAX_QUANTITY),
        Just(0.0),
        (0u32..100_000).prop_map(f64::from),
        0.0..1e15,
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_quantity_string_is_accepted_iff_it_is_a_finite_non_negative_decimal_within_the_limit(
        s in quantity_strings(),
        max in limits(),
    ) {
        check_quantity(&serde_json::Value::from(s).to_string(), max)?;
    }

    #[test]
    fn a_quantity_number_is_accepted_iff_it_is_finite_non_negative_and_within_the_limit(
        text in json_numbers(),
        max in limits(),
    ) {
        check_quantity(&text, max)?;
    }

    #[test]
    fn other_json_types_are_never_a_quantity(
        text in prop::sample::select(vec!["null", "true", "false", "[]", "[1]", "{}", r#"{"v": 1}"#]),
    ) {
        check_quantity(text, DEFAULT_MAX_QUANTITY)?;
    }
}

// --- IDs ------------------------------------------------------------------------

/// (base URL, endpoint template) pairs whose `{id}` is a whole path segment.
const TEMPLATES: [(&str, &str); 3] = [
    ("http://127.0.0.1:5000", "/api/stock/{id}"),
    ("https://api.example.com/base/", "v2/items/{id}/stock"),
    ("http://localhost:8069", "/{id}"),
];

fn ids() -> impl Strategy<Value = String> {
    prop_oneof![
        // Printable text of any script (no control, format or unassigned).
        "\\PC{1,40}",
        // ASCII with every URL delimiter.
        "[ -~]{1,40}",
        // Characters that mean something to URLs, paths and percent-encoding.
        prop::collection::vec(
            prop::sample::select(vec![
                "/", "?", "#", "%", "%2F", "%25", ".", "..", " ", "+", "&", "=", ";", ":", "@",
                "\\", "[", "]", "é", "日", "🦀", "\u{a0}", "\u{e000}", "~", "-", "_",
            ]),
            1..12,
        )
        .prop_map(|parts| parts.concat()),
        // Anything, control characters included (then refused).
        any::<String>(),
        // Around the length limit.
        (250usize..260).prop_map(|n| "é".repeat(n)),
    ]
}

/// The oracle of the ID check.
fn id_is_acceptable(id: &str) -> bool {
    let chars = id.chars().count();
    let blank = id.chars().all(|c| c == ' ' || c == '\t');
    let spaced = id.starts_with(char::is_whitespace) || id.ends_with(char::is_whitespace);
    !blank
        && chars <= MAX_ID_CHARS
        && !id.chars().any(is_forbidden)
        && !spaced
        && id != "."
        && id != ".."
}

fn round_trip(id: &str, base: &str, endpoint: &str) -> Result<(), TestCaseError> {
    let template = UrlTemplate::new(&parse_base_url(base).unwrap(), endpoint).unwrap();
    let expected: Vec<String> = template
        .url_for("ID")
        .unwrap()
        .path_segments()
        .unwrap()
        .map(str::to_owned)
        .collect();
    // Every ID that the check accepts can be sent (dot segments are refused
    // by the check itself).
    let url = template.url_for(id);
    prop_assert!(url.is_ok(), "{:?} refused: {:?}", id, url);
    let url = url.unwrap();
    prop_assert_eq!(url.query(), None, "{:?} -> {}", id, url);
    prop_assert_eq!(url.fragment(), None, "{:?} -> {}", id, url);
    let base_url = parse_base_url(base).unwrap();
    prop_assert_eq!(url.host_str(), base_url.host_str());
    let segments: Vec<&str> = url.path_segments().unwrap().collect();
    prop_assert_eq!(segments.len(), expected.len(), "{:?} -> {}", id, url);
    for (segment, template_segment) in segments.iter().zip(&expected) {
        if template_segment == "ID" {
            let decoded = percent_encoding::percent_decode_str(segment)
                .decode_utf8()
                .unwrap();
            prop_assert_eq!(&*decoded, id);
        } else {
            prop_assert_eq!(segment, template_segment);
        }
    }
    // What is sent is the URL as built: parsing it again changes nothing.
    prop_assert_eq!(url::Url::parse(url.as_str()).unwrap(), url.clone());
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_accepted_id_round_trips_through_the_url_as_one_path_segment(id in ids()) {
        let checked = check_id(&id);
        prop_assert_eq!(checked.is_ok(), id_is_acceptable(&id), "{:?}: {:?}", id, checked);
        match checked {
            Ok(()) => {
                for (base, endpoint) in TEMPLATES {
                    round_trip(&id, base, endpoint)?;
                }
            }
            Err(refused) => {
                let message = refused.to_string();
                prop_assert!(!message.chars().any(is_forbidden), "{:?}", message);
                prop_assert!(message.chars().count() < 120, "{}", message);
            }
        }
    }
}

// --- listing pages ---------------------------------------------------------------

use sync_cli::page::{PageFormat, Pointer, read_page};

fn page_format(max: f64) -> PageFormat {
    PageFormat {
        records: Pointer::parse("/items").unwrap(),
        id: Pointer::parse("/product_id").unwrap(),
        quantity: Pointer::parse("/quantity").unwrap(),
        location: None,
        cursor: Some(Pointer::parse("/next_cursor").unwrap()),
        max_quantity: max,
    }
}

/// JSON texts of values a record's field may hold.
fn field_values() -> impl Strategy<Value = String> {
    prop_oneof![
        quantity_strings().prop_map(|s| serde_json::Value::from(s).to_string()),
        json_numbers(),
        ids().prop_map(|s| serde_json::Value::from(s).to_string()),
        prop::sample::select(vec!["null", "true", "[]", "[\"1\"]", "{}", r#"{"v": "1"}"#])
            .prop_map(str::to_owned),
    ]
}

/// A JSON object of `fields` (each key, and its value as JSON text), in
/// their order, repeated keys kept.
fn json_object(fields: &[(&str, String)]) -> String {
    let fields: Vec<String> = fields
        .iter()
        .map(|(key, value)| format!("{}: {value}", serde_json::Value::from(*key)))
        .collect();
    format!("{{{}}}", fields.join(", "))
}

/// A location's entry as JSON text: its keys in any order, some missing or
/// twice, values of any kind.
fn location_entries() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec!["location", "quantity", "location", "quantity", "x"]);
    let value = prop_oneof![
        prop::sample::select(vec![r#""PARIS""#, r#""LYON""#, "7", r#"" P""#, r#""..""#])
            .prop_map(str::to_owned),
        field_values(),
    ];
    prop_oneof![
        9 => prop::collection::vec((key, value), 0..4).prop_map(|fields| json_object(&fields)),
        1 => field_values(),
    ]
}

/// A `locations` value as JSON text: arrays of entries, or anything.
fn locations_values() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::collection::vec(location_entries(), 0..4)
            .prop_map(|entries| format!("[{}]", entries.join(", "))),
        1 => field_values(),
    ]
}

/// A record whose locations add up: thousandths at each code, the total
/// their sum, both as strings or numbers.
fn consistent_records() -> impl Strategy<Value = String> {
    let codes = prop::sample::subsequence(vec!["PARIS", "LYON", "NICE", "LILLE"], 0..4);
    (
        codes,
        prop::collection::vec(0u64..10_000_000, 4),
        any::<bool>(),
    )
        .prop_map(|(codes, thousandths, as_numbers)| {
            let text = |n: u64| {
                let text = format!("{}.{:03}", n / 1000, n % 1000);
                if as_numbers {
                    text
                } else {
                    format!("\"{text}\"")
                }
            };
            let entries: Vec<String> = codes
                .iter()
                .zip(&thousandths)
                .map(|(code, n)| format!(r#"{{"location": "{code}", "quantity": {}}}"#, text(*n)))
                .collect();
            let total: u64 = thousandths.iter().take(codes.len()).sum();
            format!(
                r#"{{"product_id": "GS-1", "quantity": {}, "locations": [{}]}}"#,
                text(total),
                entries.join(", ")
            )
        })
}

/// A record as JSON text: keys in any order, some given twice, some other.
fn records() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "product_id",
        "quantity",
        "updated_at",
        "product_id",
        "quantity",
        "locations",
    ]);
    let value = |key: &str| -> BoxedStrategy<String> {
        if key == "locations" {
            locations_values().boxed()
        } else {
            field_values().boxed()
        }
    };
    let field = key.prop_flat_map(move |key| (Just(key), value(key)));
    prop_oneof![
        2 => consistent_records(),
        9 => prop::collection::vec(field, 0..5).prop_map(|fields| json_object(&fields)),
        1 => field_values(),
    ]
}

/// Pages: well-formed ones of generated records (with each record's text),
/// the same cut or spoiled, and any bytes.
fn pages() -> impl Strategy<Value = (Vec<u8>, Option<Vec<String>>)> {
    let page = || {
        (prop::collection::vec(records(), 0..8), field_values()).prop_map(|(records, cursor)| {
            let body = format!(
                r#"{{"items": [{}], "next_cursor": {cursor}}}"#,
                records.join(", ")
            );
            (body.into_bytes(), records)
        })
    };
    prop_oneof![
        6 => page().prop_map(|(body, records)| (body, Some(records))),
        1 => (page(), any::<prop::sample::Index>()).prop_map(|((mut body, _), cut)| {
            body.truncate(cut.index(body.len() + 1));
            (body, None)
        }),
        1 => (page(), any::<prop::sample::Index>(), any::<u8>()).prop_map(|((mut body, _), at, byte)| {
            let at = at.index(body.len());
            body[at] = byte;
            (body, None)
        }),
        1 => prop::collection::vec(any::<u8>(), 0..256).prop_map(|body| (body, None)),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_page_is_read_without_panic_and_by_fetch_s_rules((body, texts) in pages(), max in limits()) {
        let Ok(page) = read_page(&body, &page_format(max)) else {
            return Ok(());
        };
        if let Some(texts) = &texts {
            prop_assert_eq!(page.records.len(), texts.len());
        }
        for (n, record) in page.records.iter().enumerate() {
            match &record.result {
                Ok(quantity) => {
                    prop_assert!(quantity.is_finite() && quantity.is_sign_positive() && *quantity <= max);
                    let id = record.id.as_deref().unwrap();
                    prop_assert!(check_id(id).is_ok(), "{:?}", id);
                }
                Err(error) => {
                    let message = error.to_string();
                    prop_assert!(!message.chars().any(is_forbidden), "{:?}", message);
                    prop_assert!(message.chars().count() < 200, "{}", message);
                }
            }
            // One rulebook: the record as a body for its own ID gets the
            // same verdict from fetch's validation.
            let text = texts.as_ref().map(|texts| &texts[n]);
            if let (Some(text), Some(id)) = (text, record.id.as_deref().filter(|id| check_id(id).is_ok())) {
                let as_body = validate_answer(text.as_bytes(), id, max)
                    .ok()
                    .map(|answer| (answer.quantity, answer.locations));
                let as_record = record
                    .result
                    .as_ref()
                    .ok()
                    .map(|quantity| (*quantity, record.locations.clone()));
                prop_assert_eq!(as_body, as_record, "{}", text);
            }
        }
    }
}

// --- quantities per location --------------------------------------------------

/// Quantities in thousandths, as exact decimal text.
fn thousandths(n: u64) -> String {
    format!("{}.{:03}", n / 1000, n % 1000)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn locations_are_accepted_iff_their_exact_sum_is_the_quantity(
        quantities in prop::collection::vec(0u64..1_000_000_000, 0..6),
        off_by in prop_oneof![3 => Just(0i64), 1 => Just(1i64), 1 => Just(-1i64), 1 => -1000i64..1000],
        as_numbers in prop::collection::vec(any::<bool>(), 7),
    ) {
        let sum: u64 = quantities.iter().sum();
        let Some(total) = sum.checked_add_signed(off_by) else {
            return Ok(());
        };
        // A JSON number goes through a double: only a few digits stay exact.
        let text = |n: u64, number: bool| {
            if number { thousandths(n) } else { format!("\"{}\"", thousandths(n)) }
        };
        let entries: Vec<String> = quantities
            .iter()
            .enumerate()
            .map(|(i, n)| format!(r#"{{"location": "L{i}", "quantity": {}}}"#, text(*n, as_numbers[i])))
            .collect();
        let body = format!(
            r#"{{"product_id": "GS-1", "quantity": {}, "locations": [{}]}}"#,
            text(total, as_numbers[6]),
            entries.join(", ")
        );
        let got = validate_answer(body.as_bytes(), "GS-1", 1e9);
        if off_by == 0 {
            let answer = got.unwrap();
            let expected: Vec<(String, f64)> = quantities
                .iter()
                .enumerate()
                .map(|(i, n)| (format!("L{i}"), thousandths(*n).parse().unwrap()))
                .collect();
            prop_assert_eq!(answer.locations.unwrap().0, expected);
        } else {
            let refused = got.unwrap_err();
            prop_assert!(refused.to_string().contains("is not the sum"), "{}", refused);
        }
    }
}
