//! The API's secrets: the token, the user of `--auth basic` and the base64
//! string that carries both ([`Secrets`]), and how they are kept out of
//! everything sync-cli prints.
//!
//! A broken or hostile API may echo its credentials back, and not
//! necessarily as they were sent: JSON escapes (`\/` as PHP writes it,
//! `\u0041`), a value cut short in a message, percent-encoding. So a secret
//! is not looked for in the raw answer but in what is about to be printed,
//! under every escaping sync-cli or an API may have applied, and every piece
//! of it of [`PIECE_CHARS`] characters or more is replaced by `<redacted>`.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::ops::Range;

use reqwest::header::HeaderValue;

use crate::error::Error;

/// The shortest piece of a secret that must never be printed (the whole
/// secret when it is shorter).
pub const PIECE_CHARS: usize = 8;

/// What replaces a piece of a secret.
pub const REDACTED: &str = "<redacted>";

/// What replaces a piece of a secret that shares a piece with [`REDACTED`]
/// (a secret shorter than a piece, e.g. `d`): the first of these that holds
/// no piece of any secret.
const OTHER_MARKERS: [&str; 4] = ["[hidden]", "***", "###", "~~~"];

/// The API token. Its `Debug` output never shows the value.
#[derive(Clone)]
pub struct Token {
    value: String,
    /// The token alone, to redact.
    secrets: Secrets,
}

impl Token {
    /// A token from `STOCK_API_TOKEN`; `None` when unset or empty.
    pub fn from_env_value(value: Option<std::ffi::OsString>) -> Result<Option<Token>, Error> {
        let Some(value) = value else { return Ok(None) };
        let value = value
            .into_string()
            .map_err(|_| Error::Usage("STOCK_API_TOKEN is not valid UTF-8".into()))?;
        if value.is_empty() {
            return Ok(None);
        }
        let token = Token::new(value);
        // Checked here so that building the header cannot fail later.
        token.header_value()?;
        Ok(Some(token))
    }

    fn new(value: String) -> Token {
        let secrets = Secrets::new([value.as_str()]);
        Token { value, secrets }
    }

    /// What replaces a piece of this token: `<redacted>`, or for a token
    /// that shares a piece with it, another marker that does not.
    pub fn marker(&self) -> &'static str {
        self.secrets.marker()
    }

    /// The `Authorization: Bearer` header value, marked sensitive so that
    /// HTTP logging never shows it.
    pub fn header_value(&self) -> Result<HeaderValue, Error> {
        let mut value = HeaderValue::from_str(&format!("Bearer {}", self.value)).map_err(|_| {
            Error::Usage("STOCK_API_TOKEN contains characters not allowed in an HTTP header".into())
        })?;
        value.set_sensitive(true);
        Ok(value)
    }

    /// `text` with every piece of the token of [`PIECE_CHARS`] characters or
    /// more replaced by `<redacted>`, whether it appears as it is or escaped
    /// (JSON `\"`, `\/`, `\u00e9`, Rust `\u{e9}`, `\x41`, percent-encoding,
    /// HTML character references), once or twice, or would appear once
    /// `text` is escaped again (as a JSON string). See [`Secrets::redact`].
    ///
    /// ```
    /// use sync_cli::Token;
    /// let token = Token::from_env_value(Some("s3cret/token-value".into())).unwrap().unwrap();
    /// assert_eq!(token.redact("product_id is \"s3cret\\/token-v…\""), "product_id is \"<redacted>…\"");
    /// assert_eq!(token.redact("nothing secret"), "nothing secret");
    /// ```
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        self.secrets.redact(text)
    }
}

/// Every secret of a run (the token, the user of `--auth basic`, the
/// credentials as they are encoded in a header), and how they are kept out
/// of what is printed. Its `Debug` output never shows a value.
#[derive(Clone)]
pub struct Secrets {
    /// Every run of [`PIECE_CHARS`] characters of each secret (the whole
    /// secret when it is shorter).
    pieces: HashSet<Vec<char>>,
    /// The lengths of those pieces, each once.
    widths: Vec<usize>,
    /// What replaces a piece: [`REDACTED`], unless that holds a piece.
    marker: &'static str,
}

impl Secrets {
    /// The secrets to keep out of everything printed; empty ones are left
    /// out.
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Secrets {
        let mut pieces = HashSet::new();
        let mut widths = Vec::new();
        for secret in secrets {
            let chars: Vec<char> = secret.chars().collect();
            if chars.is_empty() {
                continue;
            }
            let width = PIECE_CHARS.min(chars.len());
            if !widths.contains(&width) {
                widths.push(width);
            }
            pieces.extend(chars.windows(width).map(<[char]>::to_vec));
        }
        widths.sort_unstable();
        let mut secrets = Secrets {
            pieces,
            widths,
            marker: REDACTED,
        };
        secrets.marker = std::iter::once(REDACTED)
            .chain(OTHER_MARKERS)
            .find(|marker| secrets.redact_once(marker, "").is_none())
            .unwrap_or("");
        secrets
    }

    /// Whether there is no secret at all.
    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    /// What replaces a piece of a secret: `<redacted>`, or when a secret
    /// shares a piece with it, another marker that does not.
    pub fn marker(&self) -> &'static str {
        self.marker
    }

    /// Whether `text` holds a piece of a secret, under any escaping
    /// [`Secrets::redact`] looks through.
    pub fn holds_secret(&self, text: &str) -> bool {
        self.redact_once(text, "").is_some()
    }

    /// `text` with every piece of each secret of [`PIECE_CHARS`] characters
    /// or more replaced by `<redacted>`, whether it appears as it is or
    /// escaped (JSON `\"`, `\/`, `\u00e9`, Rust `\u{e9}`, `\x41`,
    /// percent-encoding, HTML character references), once or twice, or would
    /// appear once `text` is escaped again (as a JSON string).
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let Some(mut out) = self.redact_once(text, self.marker) else {
            return Cow::Borrowed(text);
        };
        // A replacement may make a new piece with its neighbours (a secret
        // that holds "redacted", pieces that join once cut out): redact again
        // until nothing is found; without a marker at last, which always ends
        // since each round then shortens the text.
        for _ in 0..3 {
            match self.redact_once(&out, self.marker) {
                Some(again) => out = again,
                None => return Cow::Owned(out),
            }
        }
        while let Some(again) = self.redact_once(&out, "") {
            out = again;
        }
        Cow::Owned(out)
    }

    /// `text` with the pieces found in it replaced by `marker`, or `None`
    /// when there is none.
    fn redact_once(&self, text: &str, marker: &str) -> Option<String> {
        if self.pieces.is_empty() {
            return None;
        }
        let raw: Vec<Unit> = text
            .char_indices()
            .map(|(start, c)| Unit {
                c,
                span: start..start + c.len_utf8(),
            })
            .collect();
        let decoded = decode(&raw);
        let twice = decode(&decoded);
        let json = escape(&raw, Style::Json);
        let quoted = escape(&raw, Style::Quote);
        let mut hidden: Vec<Range<usize>> = Vec::new();
        for view in [&raw, &decoded, &twice, &json, &quoted] {
            self.find_pieces(view, &mut hidden);
        }
        if hidden.is_empty() {
            return None;
        }
        hidden.sort_by_key(|r| r.start);
        let mut merged: Vec<Range<usize>> = Vec::with_capacity(hidden.len());
        for range in hidden {
            match merged.last_mut() {
                Some(last) if last.end >= range.start => last.end = last.end.max(range.end),
                _ => merged.push(range),
            }
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for range in merged {
            out.push_str(&text[at..range.start]);
            out.push_str(marker);
            at = range.end;
        }
        out.push_str(&text[at..]);
        Some(out)
    }

    /// Adds to `hidden` the spans of `text` behind each run of the view that
    /// is a piece of a secret.
    fn find_pieces(&self, view: &[Unit], hidden: &mut Vec<Range<usize>>) {
        let chars: Vec<char> = view.iter().map(|u| u.c).collect();
        for &width in &self.widths {
            if chars.len() < width {
                continue;
            }
            for (start, window) in chars.windows(width).enumerate() {
                if self.pieces.contains(window) {
                    let units = &view[start..start + width];
                    let from = units.iter().map(|u| u.span.start).min().unwrap_or(0);
                    let to = units.iter().map(|u| u.span.end).max().unwrap_or(0);
                    // A piece made only of the quotes around a JSON string
                    // cannot be hidden: it is not in the text.
                    if from < to {
                        hidden.push(from..to);
                    }
                }
            }
        }
    }
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secrets(<redacted>)")
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// A character of a view of the text, and the bytes of the text it stands for.
#[derive(Clone, Debug)]
struct Unit {
    c: char,
    span: Range<usize>,
}

/// One level of escapes undone: each escape sequence becomes the character it
/// stands for, spanning all of its bytes; anything else stays as it is.
fn decode(units: &[Unit]) -> Vec<Unit> {
    let mut out = Vec::with_capacity(units.len());
    let mut i = 0;
    while i < units.len() {
        if let Some((c, len)) = decode_one(units, i) {
            out.push(Unit {
                c,
                span: units[i].span.start..units[i + len - 1].span.end,
            });
            i += len;
        } else {
            out.push(units[i].clone());
            i += 1;
        }
    }
    out
}

/// The escape sequence starting at `units[i]`, if any: the character and how
/// many units it takes.
fn decode_one(units: &[Unit], i: usize) -> Option<(char, usize)> {
    let at = |k: usize| units.get(i + k).map(|u| u.c);
    let hex = |from: usize, len: usize| -> Option<u32> {
        let digits: String = (from..from + len).map(at).collect::<Option<String>>()?;
        if digits.chars().all(|c| c.is_ascii_hexdigit()) {
            u32::from_str_radix(&digits, 16).ok()
        } else {
            None
        }
    };
    match at(0)? {
        '\\' => match at(1)? {
            c @ ('"' | '\\' | '/' | '\'') => Some((c, 2)),
            'n' => Some(('\n', 2)),
            'r' => Some(('\r', 2)),
            't' => Some(('\t', 2)),
            'b' => Some(('\u{8}', 2)),
            'f' => Some(('\u{c}', 2)),
            '0' => Some(('\0', 2)),
            'x' => Some((char::from_u32(hex(2, 2)?)?, 4)),
            'u' if at(2) == Some('{') => {
                let len = (3..10).find(|&k| at(k) == Some('}'))? - 3;
                Some((char::from_u32(hex(3, len)?)?, len + 4))
            }
            'u' => {
                let first = hex(2, 4)?;
                if (0xD800..0xDC00).contains(&first) && at(6) == Some('\\') && at(7) == Some('u') {
                    let second = hex(8, 4)?;
                    if (0xDC00..0xE000).contains(&second) {
                        let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                        return Some((char::from_u32(code)?, 12));
                    }
                }
                Some((char::from_u32(first)?, 6))
            }
            _ => None,
        },
        '%' => {
            let lead = hex(1, 2)?;
            let len = match lead {
                0x00..=0x7F => 1,
                0xC2..=0xDF => 2,
                0xE0..=0xEF => 3,
                0xF0..=0xF4 => 4,
                _ => return None,
            };
            let mut bytes = Vec::with_capacity(len);
            for n in 0..len {
                if at(3 * n) != Some('%') {
                    return None;
                }
                bytes.push(u8::try_from(hex(3 * n + 1, 2)?).ok()?);
            }
            let c = std::str::from_utf8(&bytes).ok()?.chars().next()?;
            Some((c, 3 * len))
        }
        '&' => {
            let end = (1..12).find(|&k| at(k) == Some(';'))?;
            let name: String = (1..end).map(at).collect::<Option<String>>()?;
            let c = match name.as_str() {
                "quot" => '"',
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "apos" => '\'',
                _ => {
                    let code = if let Some(h) = name
                        .strip_prefix(['#'])
                        .and_then(|n| n.strip_prefix(['x', 'X']))
                    {
                        u32::from_str_radix(h, 16).ok()?
                    } else {
                        name.strip_prefix('#')?.parse().ok()?
                    };
                    char::from_u32(code)?
                }
            };
            Some((c, end + 1))
        }
        _ => None,
    }
}

/// How a text is escaped once more when printed.
#[derive(Clone, Copy)]
enum Style {
    /// As serde_json writes a string (the JSON lines).
    Json,
    /// As [`crate::id::quote`] writes a value in a message.
    Quote,
}

/// The text as it reads once escaped in `style`, quotes included: `"` and
/// `\` get a backslash, control characters an escape; each produced
/// character spans the character it comes from (the quotes around span
/// nothing).
fn escape(units: &[Unit], style: Style) -> Vec<Unit> {
    let end = units.last().map_or(0, |u| u.span.end);
    let mut out = Vec::with_capacity(units.len() + 2);
    out.push(Unit { c: '"', span: 0..0 });
    for unit in units {
        let mut push = |c: char| {
            out.push(Unit {
                c,
                span: unit.span.clone(),
            });
        };
        let escaped = match (unit.c, style) {
            ('"' | '\\', _) => format!("\\{}", unit.c),
            ('\n', _) => "\\n".to_owned(),
            ('\r', _) => "\\r".to_owned(),
            ('\t', _) => "\\t".to_owned(),
            ('\u{8}', Style::Json) => "\\b".to_owned(),
            ('\u{c}', Style::Json) => "\\f".to_owned(),
            (c, Style::Json) if u32::from(c) < 0x20 => format!("\\u{:04x}", u32::from(c)),
            (c, Style::Quote) if crate::id::is_forbidden(c) => {
                format!("\\u{{{:x}}}", u32::from(c))
            }
            (c, _) => {
                push(c);
                continue;
            }
        };
        for e in escaped.chars() {
            push(e);
        }
    }
    out.push(Unit {
        c: '"',
        span: end..end,
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "tok-5ecret/0123456789\"abc\\def-ghij";

    fn token(value: &str) -> Token {
        Token::new(value.to_owned())
    }

    /// Every piece of `secret` of `PIECE_CHARS` characters.
    fn pieces(secret: &str) -> Vec<String> {
        let chars: Vec<char> = secret.chars().collect();
        chars
            .windows(PIECE_CHARS.min(chars.len()))
            .map(|w| w.iter().collect())
            .collect()
    }

    fn assert_clean(secret: &str, printed: &str) {
        for piece in pieces(secret) {
            assert!(
                !printed.contains(&piece),
                "{piece:?} of the token in {printed:?}"
            );
        }
    }

    /// The ways an answer or a message may carry the token.
    fn disguises(secret: &str) -> Vec<String> {
        let json = serde_json::to_string(secret).unwrap();
        let php = json.replace('/', "\\/");
        let each = |escape: fn(u32) -> String| {
            let mut out = String::new();
            for c in secret.chars() {
                out.push_str(&escape(u32::from(c)));
            }
            out
        };
        let all_u = each(|c| format!("\\u{c:04x}"));
        let rust = each(|c| format!("\\u{{{c:x}}}"));
        let percent = crate::target::encode_segment(secret);
        let html = each(|c| format!("&#{c};"));
        vec![
            secret.to_owned(),
            json.clone(),
            php,
            all_u,
            rust,
            percent,
            html,
            crate::id::quote(secret),
            // A JSON string of a JSON string.
            serde_json::to_string(&json).unwrap(),
        ]
    }

    #[test]
    fn every_disguise_of_the_token_is_redacted() {
        let token = token(SECRET);
        for disguise in disguises(SECRET) {
            let text = format!("GET http://h/x answered 200 OK, but product_id is {disguise}, …");
            let redacted = token.redact(&text);
            assert!(redacted.contains(REDACTED), "{text} -> {redacted}");
            assert!(
                redacted.starts_with("GET http://h/x answered"),
                "{redacted}"
            );
            assert_clean(SECRET, &redacted);
            // And once more escaped, as the JSON line prints it.
            assert_clean(SECRET, &serde_json::to_string(&redacted).unwrap());
        }
    }

    #[test]
    fn pieces_cut_anywhere_are_redacted() {
        let token = token(SECRET);
        let chars: Vec<char> = SECRET.chars().collect();
        for from in 0..chars.len() {
            for to in (from + PIECE_CHARS)..=chars.len() {
                let piece: String = chars[from..to].iter().collect();
                for disguise in disguises(&piece) {
                    let text = format!("quantity {disguise}… is not a decimal number");
                    let redacted = token.redact(&text);
                    assert_clean(SECRET, &redacted);
                    assert_clean(SECRET, &serde_json::to_string(&redacted).unwrap());
                }
            }
        }
    }

    #[test]
    fn short_runs_and_other_text_are_left_alone() {
        let token = token(SECRET);
        let text = "GET http://127.0.0.1:5000/api/stock/tok-5ec answered 404 Not Found";
        assert_eq!(token.redact(text), text);
        assert!(matches!(token.redact(text), Cow::Borrowed(_)));
        assert_eq!(token.redact(""), "");
        // Escapes that are not complete are text.
        let odd = r"\u12 \u{zz} %4 &#x; \";
        assert_eq!(token.redact(odd), odd);
    }

    #[test]
    fn a_token_shorter_than_a_piece_is_redacted_whole() {
        let token = token("abc");
        assert_eq!(
            token.redact("x abc y \\u0061bc"),
            "x <redacted> y <redacted>"
        );
    }

    #[test]
    fn neighbouring_pieces_become_one_marker() {
        let token = token("0123456789abcdef");
        assert_eq!(token.redact("[0123456789abcdef]"), "[<redacted>]");
        assert_eq!(token.redact("0123456789abcdef"), "<redacted>");
        assert_eq!(
            token.redact("01234567 and 89abcdef"),
            "<redacted> and <redacted>"
        );
    }

    #[test]
    fn a_piece_made_by_the_marker_or_by_cutting_is_redacted_too() {
        // The marker itself is a piece of this token.
        let marked = token("x<redacted>y");
        let out = marked.redact("a x<redacted>y b <redacted>y");
        assert_clean("x<redacted>y", &out);
        // Cutting a piece out joins two halves of another.
        let joined = token("abcdefgh");
        let out = joined.redact("abcd\\u0061bcdefghefgh");
        assert_clean("abcdefgh", &out);
    }

    #[test]
    fn a_token_that_shares_a_piece_with_the_marker_gets_another() {
        // Found by the redact fuzz target: a one-letter token ("d") made
        // every marker a piece to redact again.
        let short = token("d");
        assert_eq!(short.marker(), "***");
        assert_eq!(short.redact("a d b dd"), "a *** b ***");
        assert_eq!(token("a").marker(), "[hidden]");
        let star = token("[hidden]*#");
        assert_eq!(star.marker(), "<redacted>");
        let odd = token("<>[]*#~");
        assert_eq!(odd.marker(), "<redacted>");
        for secret in ["d", "e", "a", "*", "#", "~", "[", "<"] {
            let t = token(secret);
            let out = t.redact("a d e * # ~ [ < > x");
            assert!(!out.contains(secret), "{secret:?}: {out}");
        }
    }

    #[test]
    fn a_piece_that_the_quotes_of_a_json_string_complete_is_redacted() {
        // Found by the redact fuzz target: once printed as a JSON string,
        // the opening quote and the first 7 characters make a piece.
        let quoted = token("\"abcdefgh");
        let out = quoted.redact("abcdefg and more");
        assert_clean("\"abcdefgh", &serde_json::to_string(&out).unwrap());
        assert_eq!(out, "<redacted> and more");
        // A token of one quote cannot be kept out of JSON's own quotes, and
        // is not looked for there.
        assert_eq!(token("\"").redact("plain"), "plain");
    }

    #[test]
    fn pieces_that_escaping_would_make_are_redacted() {
        // Found by the redact fuzz target: a tab that serde_json prints as
        // `\t` completes a token that holds a backslash and a `t`.
        let secret = "ab\\t\\\".ok";
        let t = token(secret);
        let out = t.redact("sab\t\".ok");
        assert_clean(secret, &serde_json::to_string(&out).unwrap());
        assert_clean(secret, &crate::id::quote(&out));
    }

    #[test]
    fn every_secret_of_several_is_redacted_under_every_disguise() {
        let user = "ck_user/0123456789\"xyz";
        let secrets = Secrets::new([SECRET, user, "", "dGVzdDp1c2VyOnBhc3M="]);
        for secret in [SECRET, user, "dGVzdDp1c2VyOnBhc3M="] {
            for disguise in disguises(secret) {
                let text = format!("401: {disguise} is not allowed, nor {disguise}");
                let redacted = secrets.redact(&text);
                assert!(redacted.starts_with("401: "), "{redacted}");
                assert!(secrets.holds_secret(&text), "{text}");
                assert!(!secrets.holds_secret(&redacted), "{redacted}");
                assert_clean(secret, &redacted);
                assert_clean(secret, &serde_json::to_string(&redacted).unwrap());
            }
        }
        assert_eq!(secrets.redact("nothing secret"), "nothing secret");
        assert!(Secrets::new([]).is_empty());
        assert!(Secrets::new([""]).is_empty());
        assert_eq!(Secrets::new([]).redact("text"), "text");
    }

    #[test]
    fn a_short_secret_among_others_gets_a_marker_that_holds_none() {
        // A one-letter user is in `<redacted>`: the marker is another, for
        // every secret alike.
        let secrets = Secrets::new(["d", "0123456789abcdef"]);
        assert_eq!(secrets.marker(), "***");
        assert_eq!(secrets.redact("d 0123456789abcdef x"), "*** *** x");
    }

    #[test]
    fn debug_never_shows_the_value() {
        assert_eq!(format!("{:?}", token(SECRET)), "Token(<redacted>)");
        assert_eq!(
            format!("{:?}", Secrets::new([SECRET])),
            "Secrets(<redacted>)"
        );
    }

    #[test]
    fn tokens_that_cannot_be_a_header_are_usage_errors() {
        let err = Token::from_env_value(Some("a\nb".into())).unwrap_err();
        assert!(err.is_usage());
        assert!(!err.to_string().contains("a\nb"));
        assert!(Token::from_env_value(Some("".into())).unwrap().is_none());
        assert!(Token::from_env_value(None).unwrap().is_none());
    }
}
