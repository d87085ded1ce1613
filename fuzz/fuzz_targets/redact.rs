//! Any credentials and any text: whatever the redaction returns holds no
//! piece of 8 characters of any secret (all of it when shorter), neither as
//! it is nor once escaped as a JSON string, as the JSON line prints it.
//!
//! The first byte picks the secrets: below 128, a token alone (`--auth
//! bearer`, `Token::redact`); from 128, `--auth basic` with a user, a token
//! and the base64 string that carries them (`Credentials::redact`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use sync_cli::{AuthScheme, Credentials, Token};

/// The first `len` characters of `text` (from 1 to 64), and the rest.
fn split(text: &str, len: u8) -> (&str, &str) {
    let len = usize::from(len % 64) + 1;
    let at = text.char_indices().nth(len).map_or(text.len(), |(i, _)| i);
    text.split_at(at)
}

/// Every run of 8 characters of `secret` (all of it when shorter).
fn pieces(secret: &str) -> Vec<String> {
    let chars: Vec<char> = secret.chars().collect();
    let width = chars.len().min(8);
    if width == 0 {
        return Vec::new();
    }
    chars.windows(width).map(|w| w.iter().collect()).collect()
}

fn check(secrets: &[&str], text: &str, redacted: &str, marker: &str) {
    let json = serde_json::to_string(redacted).expect("a string");
    for secret in secrets {
        // The JSON string's own quotes hold no piece of a secret, unless the
        // secret is that short (one or two characters).
        let width = secret.chars().count().min(8);
        let printed = if width < 3 { &json[1..json.len() - 1] } else { &json[..] };
        for piece in pieces(secret) {
            assert!(!redacted.contains(piece.as_str()), "{piece:?} in {redacted:?}");
            assert!(!printed.contains(piece.as_str()), "{piece:?} in {json}");
        }
    }
    // Only what holds a piece changes, and then it is marked or shorter.
    if redacted != text {
        assert!(
            redacted.contains(marker) || redacted.len() < text.len(),
            "{text:?} -> {redacted:?}"
        );
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&first, rest)) = input.split_first() else {
        return;
    };
    if first < 128 {
        // The first byte is the token's length in characters; the token is
        // what follows, the text the rest.
        let rest = String::from_utf8_lossy(rest);
        let (secret, text) = split(&rest, first);
        let Ok(Some(token)) = Token::from_env_value(Some(secret.into())) else {
            // Not a token sync-cli would take (not a valid header value).
            return;
        };
        let redacted = token.redact(text);
        check(&[secret], text, &redacted, token.marker());
        return;
    }
    // Basic: the first byte gives the user's length, the second the
    // token's; the user, the token and the text follow.
    let Some((&token_len, rest)) = rest.split_first() else {
        return;
    };
    let rest = String::from_utf8_lossy(rest);
    let (user, rest) = split(&rest, first);
    let (token, text) = split(rest, token_len);
    let Ok(credentials) = Credentials::new(AuthScheme::Basic, None, Some(token), Some(user))
    else {
        // Not credentials sync-cli would take (a colon or a control
        // character in the user, ...).
        return;
    };
    let Some((_, value)) = credentials.header() else {
        panic!("basic always sends a header");
    };
    let value = value.to_str().expect("base64 is ASCII");
    let encoded = value.strip_prefix("Basic ").expect("a Basic header");
    let redacted = credentials.redact(text);
    check(
        &[user, token, encoded],
        text,
        &redacted,
        credentials.secrets().marker(),
    );
});
