//! Any bytes as the body of a 2xx answer for product "GS-1001": validation
//! never panics, whatever it accepts is a finite quantity from 0 to the
//! limit, and whatever it refuses is explained in one short printable line.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sync_cli::id::is_forbidden;
use sync_cli::validate::{DEFAULT_MAX_QUANTITY, validate_body};

fuzz_target!(|body: &[u8]| {
    // The first byte also picks a smaller limit, so that both sides of a
    // limit are reached.
    let max = match body.first() {
        Some(b) if b % 4 == 0 => f64::from(*b),
        _ => DEFAULT_MAX_QUANTITY,
    };
    match validate_body(body, "GS-1001", max) {
        Ok(quantity) => {
            assert!(quantity.is_finite(), "{quantity}");
            assert!(quantity >= 0.0 && quantity.is_sign_positive(), "{quantity}");
            assert!(quantity <= max, "{quantity} > {max}");
        }
        Err(invalid) => {
            let message = invalid.to_string();
            assert!(!message.is_empty());
            assert!(message.chars().count() <= 200, "{message}");
            assert!(!message.chars().any(is_forbidden), "{message:?}");
        }
    }
});
