//! Any bytes as sync-cli's stdin: reading IDs never panics, the IDs it yields
//! are non-blank lines (not empty, not only ASCII spaces and tabs) without
//! their line ending, the ID check never panics and
//! explains a refusal in printable text, and every ID it accepts becomes
//! exactly one path segment that decodes back to the ID.

#![no_main]

use std::io::Cursor;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use sync_cli::id::{check_id, is_blank, is_forbidden};
use sync_cli::target::parse_base_url;
use sync_cli::{LineIds, UrlTemplate};

static TEMPLATE: LazyLock<UrlTemplate> = LazyLock::new(|| {
    let base = parse_base_url("http://127.0.0.1:5000").expect("a valid base URL");
    UrlTemplate::new(&base, "/api/stock/{id}").expect("a valid template")
});

fuzz_target!(|input: &[u8]| {
    for item in LineIds::new(Cursor::new(input)) {
        let Ok(id) = item else {
            // Invalid UTF-8 ends the input with an error.
            break;
        };
        assert!(!id.contains('\n'), "{id:?}");
        assert!(!is_blank(&id), "{id:?}");
        // One line ending is stripped; any other CR is in the ID, which is
        // then refused.
        assert!(!id.contains('\r') || check_id(&id).is_err(), "{id:?}");
        match check_id(&id) {
            Ok(()) => round_trip(&id),
            Err(bad) => {
                let message = bad.to_string();
                assert!(!message.chars().any(is_forbidden), "{message:?}");
                assert!(message.chars().count() <= 200, "{message}");
            }
        }
    }
});

fn round_trip(id: &str) {
    // Every ID the check accepts can be sent (it refuses dot segments).
    let url = TEMPLATE
        .url_for(id)
        .unwrap_or_else(|e| panic!("{id:?} accepted but cannot be sent: {e}"));
    assert_eq!(url.query(), None, "{id:?}");
    assert_eq!(url.fragment(), None, "{id:?}");
    let segments: Vec<&str> = url.path_segments().expect("a path").collect();
    assert_eq!(segments.len(), 3, "{id:?} -> {url}");
    assert_eq!(&segments[..2], ["api", "stock"], "{id:?} -> {url}");
    let decoded = percent_encoding::percent_decode_str(segments[2])
        .decode_utf8()
        .expect("UTF-8");
    assert_eq!(decoded, id);
}
