//! Any bytes as a page of a listing: reading it never panics; every record
//! it accepts has an ID that `fetch` would send and a finite quantity from 0
//! to the limit, its location (`--location-field`) or its quantities per
//! location by the same rules; whatever it refuses (the page or a record)
//! is explained in one short printable line.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sync_cli::id::{check_id, is_forbidden};
use std::collections::HashSet;

use sync_cli::page::{PageFormat, Pointer, read_page};
use sync_cli::validate::DEFAULT_MAX_QUANTITY;

fn pointer(text: &str) -> Pointer {
    Pointer::parse(text).expect("a valid pointer")
}

fn check_message(message: &str) {
    assert!(!message.is_empty());
    assert!(message.chars().count() <= 300, "{message}");
    assert!(!message.chars().any(is_forbidden), "{message:?}");
}

fuzz_target!(|body: &[u8]| {
    // The first byte also picks the page's layout and now and then a small
    // limit, so that both sides of a limit are reached.
    let first = body.first().copied().unwrap_or(0);
    let max = if first % 4 == 0 {
        f64::from(first)
    } else {
        DEFAULT_MAX_QUANTITY
    };
    // An odd length reads one record per item and location
    // (--location-field), an even one each record's `locations` array.
    let per_location = body.len() % 2 == 1;
    let format = if first % 3 == 0 {
        // WooCommerce-like: the page is the array itself.
        PageFormat {
            records: pointer(""),
            id: pointer("/sku"),
            quantity: pointer("/stock_quantity"),
            location: per_location.then(|| pointer("/location_id")),
            cursor: None,
            max_quantity: max,
        }
    } else {
        // GlobalShop's listing, with a nested pointer now and then.
        PageFormat {
            records: pointer(if first % 3 == 1 { "/items" } else { "/data/0/items" }),
            id: pointer("/product_id"),
            quantity: pointer("/quantity"),
            location: per_location.then(|| pointer("/location")),
            cursor: Some(pointer("/next_cursor")),
            max_quantity: max,
        }
    };
    let in_range = |quantity: f64| {
        assert!(quantity.is_finite(), "{quantity}");
        assert!(quantity >= 0.0 && quantity.is_sign_positive(), "{quantity}");
        assert!(quantity <= max, "{quantity} > {max}");
    };
    match read_page(body, &format) {
        Ok(page) => {
            for record in &page.records {
                match &record.result {
                    Ok(quantity) => {
                        in_range(*quantity);
                        let id = record.id.as_deref().expect("an accepted record has an ID");
                        assert!(check_id(id).is_ok(), "{id:?}");
                        assert_eq!(record.location.is_some(), format.location.is_some());
                        if let Some(location) = &record.location {
                            assert!(check_id(location).is_ok(), "{location:?}");
                            assert!(record.locations.is_none());
                        }
                        let mut codes = HashSet::new();
                        for (code, quantity) in record.locations.iter().flat_map(|l| &l.0) {
                            in_range(*quantity);
                            assert!(check_id(code).is_ok(), "{code:?}");
                            assert!(codes.insert(code.clone()), "{code:?} twice");
                        }
                    }
                    Err(error) => check_message(&error.to_string()),
                }
            }
        }
        Err(error) => check_message(&error.to_string()),
    }
});
