//! Any token and any text: whatever `Token::redact` returns holds no piece
//! of 8 characters of the token (all of it when shorter), neither as it is
//! nor once escaped as a JSON string, as the JSON line prints it.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sync_cli::Token;

fuzz_target!(|input: &[u8]| {
    // The first byte is the token's length in characters; the token is what
    // follows, the text the rest.
    let Some((&len, rest)) = input.split_first() else {
        return;
    };
    let rest = String::from_utf8_lossy(rest);
    let len = usize::from(len % 64) + 1;
    let split = rest.char_indices().nth(len).map_or(rest.len(), |(i, _)| i);
    let (secret, text) = rest.split_at(split);
    let Ok(Some(token)) = Token::from_env_value(Some(secret.into())) else {
        // Not a token sync-cli would take (not a valid header value).
        return;
    };
    let chars: Vec<char> = secret.chars().collect();
    let width = chars.len().min(8);
    let pieces: Vec<String> = chars.windows(width).map(|w| w.iter().collect()).collect();
    let redacted = token.redact(text);
    let json = serde_json::to_string(&*redacted).expect("a string");
    // The JSON string's own quotes hold no piece of the token, unless the
    // token is that short (one or two characters).
    let printed = if width < 3 { &json[1..json.len() - 1] } else { &json[..] };
    for piece in &pieces {
        assert!(!redacted.contains(piece.as_str()), "{piece:?} in {redacted:?}");
        assert!(!printed.contains(piece.as_str()), "{piece:?} in {json}");
    }
    // Only what holds a piece changes, and then it is marked or shorter.
    if redacted != text {
        assert!(
            redacted.contains(token.marker()) || redacted.len() < text.len(),
            "{text:?} -> {redacted:?}"
        );
    }
});
