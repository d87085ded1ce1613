//! Any bytes as the body of a 2xx answer for product "GS-1001": validation
//! never panics, whatever it accepts is a finite quantity from 0 to the
//! limit, its quantities per location too (codes by the ID rules, none
//! twice), and whatever it refuses is explained in one short printable line.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::HashSet;

use sync_cli::id::{check_id, is_forbidden};
use sync_cli::validate::{DEFAULT_MAX_QUANTITY, validate_answer};

fuzz_target!(|body: &[u8]| {
    // The first byte also picks a smaller limit, so that both sides of a
    // limit are reached.
    let max = match body.first() {
        Some(b) if b % 4 == 0 => f64::from(*b),
        _ => DEFAULT_MAX_QUANTITY,
    };
    let in_range = |quantity: f64| {
        assert!(quantity.is_finite(), "{quantity}");
        assert!(quantity >= 0.0 && quantity.is_sign_positive(), "{quantity}");
        assert!(quantity <= max, "{quantity} > {max}");
    };
    match validate_answer(body, "GS-1001", max) {
        Ok(answer) => {
            in_range(answer.quantity);
            if let Some(locations) = answer.locations {
                let mut codes = HashSet::new();
                for (code, quantity) in &locations.0 {
                    in_range(*quantity);
                    assert!(check_id(code).is_ok(), "{code:?}");
                    assert!(codes.insert(code.clone()), "{code:?} twice");
                }
            }
        }
        Err(invalid) => {
            let message = invalid.to_string();
            assert!(!message.is_empty());
            assert!(message.chars().count() <= 200, "{message}");
            assert!(!message.chars().any(is_forbidden), "{message:?}");
        }
    }
});
