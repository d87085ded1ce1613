//! Which external IDs may be sent: the same rules as the addon's
//! (`check_external_id` in `stock_sync_api/synccli/ids.py`), checked in the
//! same order, against the same table of cases
//! (`stock_sync_api/synccli/tests/external_id_vectors.json`, run by the tests
//! of both).
//!
//! An external ID
//! 1. is not blank: not empty, not only ASCII spaces and tabs ([`is_blank`]);
//! 2. has at most [`MAX_ID_CHARS`] characters (Unicode scalar values, as
//!    Python's `len()` counts them);
//! 3. has no character of Unicode general categories Cc (control), Cf
//!    (format, e.g. U+200B or U+202E), Zl or Zp (line and paragraph
//!    separators);
//! 4. neither starts nor ends with whitespace (Unicode White_Space: space,
//!    U+00A0, U+3000, ...);
//! 5. is not `.` or `..`, which URL parsers remove from a path.
//!
//! Spaces inside, punctuation and any other Unicode are allowed: the ID is
//! percent-encoded as one URL path segment (see [`crate::target`]).

use unicode_general_category::{GeneralCategory, get_general_category};

use crate::reason::{Code, Reason};

/// The longest external ID, in characters.
pub const MAX_ID_CHARS: usize = 255;

/// Characters of a value shown in a message (between its quotes, escapes
/// included) before it is cut with "…".
const SHOWN_CHARS: usize = 40;

/// Why an external ID is refused (no request is sent for it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadId {
    #[error("external ID is empty")]
    Empty,
    #[error("external ID {shown} is longer than {MAX_ID_CHARS} characters ({chars})")]
    TooLong { shown: String, chars: usize },
    #[error("external ID {shown} contains a control character ({code})")]
    ControlCharacter { shown: String, code: String },
    #[error("external ID {shown} starts or ends with spaces ({code})")]
    Spaces { shown: String, code: String },
    #[error("external ID {shown} is a dot segment, which URL parsers remove from a path")]
    DotSegment { shown: String },
}

impl BadId {
    /// The rule broken, as the shared table of cases names it.
    pub fn rule(&self) -> &'static str {
        match self {
            BadId::Empty => "empty",
            BadId::TooLong { .. } => "too_long",
            BadId::ControlCharacter { .. } => "control",
            BadId::Spaces { .. } => "spaces",
            BadId::DotSegment { .. } => "dot",
        }
    }
}

impl BadId {
    /// The reason code of a line refused for this ID, and the values it
    /// names.
    pub fn reason(&self) -> Reason {
        match self {
            BadId::Empty => Reason::new(Code::IdEmpty),
            BadId::TooLong { chars, .. } => Reason::new(Code::IdTooLong)
                .with("length", *chars)
                .with("limit", MAX_ID_CHARS),
            BadId::ControlCharacter { code, .. } => {
                Reason::new(Code::IdControlCharacter).with("character", code.as_str())
            }
            BadId::Spaces { code, .. } => {
                Reason::new(Code::IdSpaces).with("character", code.as_str())
            }
            BadId::DotSegment { .. } => Reason::new(Code::IdDotSegment),
        }
    }

    /// The reason code of a line refused for this location code:
    /// `location_code_invalid`, naming the code (`location`), the rule it
    /// breaks (`rule`, as [`BadId::rule`] names it) and the values that
    /// rule's code for an ID names.
    pub fn location_reason(&self) -> Reason {
        let shown = match self {
            BadId::Empty => String::new(),
            BadId::TooLong { shown, .. }
            | BadId::ControlCharacter { shown, .. }
            | BadId::Spaces { shown, .. }
            | BadId::DotSegment { shown } => crate::reason::unquoted(shown),
        };
        let mut reason = Reason::new(Code::LocationCodeInvalid)
            .with("location", shown)
            .with("rule", self.rule());
        reason.values.extend(self.reason().values);
        reason
    }
}

/// Whether a line (or an ID) is blank: empty, or nothing but ASCII spaces
/// and tabs. Blank stdin lines are skipped; any other line is an ID and
/// checked by [`check_id`], so a line of non-breaking spaces is refused, not
/// dropped.
pub fn is_blank(text: &str) -> bool {
    text.chars().all(|c| c == ' ' || c == '\t')
}

/// Checks an external ID against the rules of this module.
///
/// ```
/// use sync_cli::id::check_id;
/// assert!(check_id("GS-1001").is_ok());
/// assert!(check_id("Pièce n° 7 / A").is_ok());
/// assert_eq!(
///     check_id("GS\u{7}1").unwrap_err().to_string(),
///     r#"external ID "GS\u{7}1" contains a control character (U+0007)"#
/// );
/// ```
pub fn check_id(id: &str) -> Result<(), BadId> {
    if is_blank(id) {
        return Err(BadId::Empty);
    }
    let chars = id.chars().count();
    if chars > MAX_ID_CHARS {
        return Err(BadId::TooLong {
            shown: escape_id(id),
            chars,
        });
    }
    if let Some(c) = id.chars().find(|&c| is_forbidden(c)) {
        return Err(BadId::ControlCharacter {
            shown: escape_id(id),
            code: format!("U+{:04X}", u32::from(c)),
        });
    }
    let ends = [id.chars().next(), id.chars().next_back()];
    if let Some(c) = ends.into_iter().flatten().find(|c| c.is_whitespace()) {
        return Err(BadId::Spaces {
            shown: escape_id(id),
            code: format!("U+{:04X}", u32::from(c)),
        });
    }
    if id == "." || id == ".." {
        return Err(BadId::DotSegment {
            shown: escape_id(id),
        });
    }
    Ok(())
}

/// Whether `c` is of general category Cc, Cf, Zl or Zp.
pub fn is_forbidden(c: char) -> bool {
    matches!(
        get_general_category(c),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    )
}

/// An ID for a message or a terminal; see [`quote`].
pub fn escape_id(id: &str) -> String {
    quote(id)
}

/// Untrusted text for a message: in double quotes, with `"`, `\` and every
/// forbidden character escaped (`\u{7}`), so that no control character
/// reaches a terminal or a log raw, and cut with "…" after 40 characters of
/// output.
pub fn quote(text: &str) -> String {
    quote_with(text, false)
}

/// [`quote`], with every non-ASCII character escaped too (`\u{e9}`): for two
/// values that would otherwise print alike.
pub fn quote_ascii(text: &str) -> String {
    quote_with(text, true)
}

fn quote_with(text: &str, ascii: bool) -> String {
    let mut shown = String::with_capacity(text.len().min(SHOWN_CHARS * 4) + 8);
    shown.push('"');
    let mut count = 0;
    let mut piece = String::new();
    for c in text.chars() {
        piece.clear();
        if ascii && !c.is_ascii() {
            use std::fmt::Write as _;
            let _ = write!(piece, "\\u{{{:x}}}", u32::from(c));
        } else {
            push_escaped(&mut piece, c);
        }
        count += piece.chars().count();
        if count > SHOWN_CHARS {
            shown.push('…');
            break;
        }
        shown.push_str(&piece);
    }
    shown.push('"');
    shown
}

/// `id` as it is, or when it holds a forbidden character, with those and
/// backslashes escaped (not quoted nor cut): for the table format.
pub fn printable(id: &str) -> String {
    if !id.chars().any(is_forbidden) {
        return id.to_owned();
    }
    let mut shown = String::with_capacity(id.len() + 8);
    for c in id.chars() {
        if c == '"' {
            shown.push(c);
        } else {
            push_escaped(&mut shown, c);
        }
    }
    shown
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        c if is_forbidden(c) => {
            use std::fmt::Write as _;
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_ids() {
        for id in [
            "GS-1001",
            "a",
            "a b",
            "inner spaces here",
            "é",
            "日本語",
            "50%/?#&=",
            "emoji 🦀",
            "\u{e000}",
            "nb\u{a0}sp",
            &"x".repeat(255),
            &"é".repeat(255),
        ] {
            assert_eq!(check_id(id), Ok(()), "{id:?}");
        }
    }

    #[test]
    fn length_is_counted_in_characters() {
        assert!(check_id(&"é".repeat(255)).is_ok(), "510 bytes, 255 chars");
        let err = check_id(&"x".repeat(256)).unwrap_err();
        assert!(matches!(err, BadId::TooLong { chars: 256, .. }));
        let message = err.to_string();
        assert!(message.starts_with(r#"external ID "xxxx"#), "{message}");
        assert!(
            message.ends_with(r#"x…" is longer than 255 characters (256)"#),
            "{message}"
        );
        assert!(message.chars().count() < 100, "{message}");
        assert_eq!(check_id(""), Err(BadId::Empty));
    }

    #[test]
    fn control_characters_of_each_category_are_refused() {
        let cases = [
            ('\0', "U+0000"),
            ('\u{7}', "U+0007"),
            ('\t', "U+0009"),
            ('\n', "U+000A"),
            ('\r', "U+000D"),
            ('\u{1b}', "U+001B"),
            ('\u{7f}', "U+007F"),
            ('\u{85}', "U+0085"),
            ('\u{9f}', "U+009F"),
            ('\u{ad}', "U+00AD"),
            ('\u{200b}', "U+200B"),
            ('\u{200e}', "U+200E"),
            ('\u{202e}', "U+202E"),
            ('\u{2066}', "U+2066"),
            ('\u{feff}', "U+FEFF"),
            ('\u{e0041}', "U+E0041"),
            ('\u{2028}', "U+2028"),
            ('\u{2029}', "U+2029"),
        ];
        for (c, code) in cases {
            let id = format!("GS{c}1");
            let err = check_id(&id).unwrap_err();
            let message = err.to_string();
            assert!(
                message.ends_with(&format!("contains a control character ({code})")),
                "{message}"
            );
            assert!(!message.contains(c), "raw {code} in {message:?}");
        }
    }

    #[test]
    fn messages_stay_short_however_many_escapes() {
        // Found by the stdin_ids fuzz target: escapes made messages long.
        let id = format!("{}\0", "\u{7f}".repeat(24));
        let message = check_id(&id).unwrap_err().to_string();
        assert!(message.chars().count() < 100, "{message}");
        assert!(!message.contains('\u{7f}'), "{message:?}");
    }

    /// Every code point of categories Cc, Cf, Zl and Zp in Unicode 16 (as
    /// Python's `unicodedata.category` lists them, plus U+13439..U+1343F,
    /// format controls since Unicode 15): an oracle independent of the crate
    /// that `is_forbidden` uses.
    const FORBIDDEN: &[(u32, u32)] = &[
        (0x0, 0x1F),
        (0x7F, 0x9F),
        (0xAD, 0xAD),
        (0x600, 0x605),
        (0x61C, 0x61C),
        (0x6DD, 0x6DD),
        (0x70F, 0x70F),
        (0x890, 0x891),
        (0x8E2, 0x8E2),
        (0x180E, 0x180E),
        (0x200B, 0x200F),
        (0x2028, 0x202E),
        (0x2060, 0x2064),
        (0x2066, 0x206F),
        (0xFEFF, 0xFEFF),
        (0xFFF9, 0xFFFB),
        (0x110BD, 0x110BD),
        (0x110CD, 0x110CD),
        (0x13430, 0x1343F),
        (0x1BCA0, 0x1BCA3),
        (0x1D173, 0x1D17A),
        (0xE0001, 0xE0001),
        (0xE0020, 0xE007F),
    ];

    #[test]
    fn forbidden_characters_are_exactly_cc_cf_zl_zp() {
        let mut ranges = FORBIDDEN.iter().peekable();
        for c in (0..=0x10_FFFF).filter_map(char::from_u32) {
            let code = u32::from(c);
            while ranges.next_if(|&&(_, hi)| hi < code).is_some() {}
            let expected = ranges.peek().is_some_and(|&&(lo, _)| lo <= code);
            assert!(
                is_forbidden(c) == expected,
                "U+{code:04X}: expected forbidden = {expected}"
            );
        }
    }

    #[test]
    fn first_forbidden_character_is_named() {
        let message = check_id("a\u{200b}b\u{7}").unwrap_err().to_string();
        assert_eq!(
            message,
            r#"external ID "a\u{200b}b\u{7}" contains a control character (U+200B)"#
        );
    }

    #[test]
    fn escaping() {
        assert_eq!(escape_id(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(escape_id("a\tb\r\n"), r#""a\tb\r\n""#);
        assert_eq!(escape_id("é 🦀"), "\"é 🦀\"");
        let long = quote(&"\u{7f}".repeat(100));
        assert_eq!(long, format!("\"{}…\"", r"\u{7f}".repeat(6)));
        assert_eq!(quote(&"x".repeat(40)), format!("\"{}\"", "x".repeat(40)));
        assert_eq!(quote(&"é".repeat(41)), format!("\"{}…\"", "é".repeat(40)));
        assert_eq!(printable("plain \"id\" \\"), "plain \"id\" \\");
        assert_eq!(printable("a\u{1b}[2Jb\\"), r"a\u{1b}[2Jb\\");
        assert_eq!(printable("rtl\u{202e}x"), r"rtl\u{202e}x");
    }
}
