//! The one reader of untrusted JSON, for `fetch`'s answers and `list`'s
//! pages alike: a body becomes a [`Node`] (an object keeps every key it was
//! given, so that a key given twice is seen), and a [`Pointer`] (RFC 6901)
//! leads to a value in it.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Number;

use crate::invalid::Invalid;

/// Reads an untrusted body as one JSON value: not empty, not an HTML page,
/// JSON (serde_json's nesting limit of 128 included), whatever its
/// Content-Type.
pub fn parse_json<'de, T: Deserialize<'de>>(body: &'de [u8]) -> Result<T, Invalid> {
    let trimmed = body.trim_ascii();
    if trimmed.is_empty() {
        return Err(Invalid::Empty);
    }
    if trimmed.starts_with(b"<") {
        return Err(Invalid::Html);
    }
    serde_json::from_slice(body).map_err(|e| Invalid::NotJson(e.to_string()))
}

/// A JSON pointer (RFC 6901): empty for the whole value, else `/`-separated
/// keys (or array indexes), `~1` standing for `/` and `~0` for `~`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pointer {
    text: String,
    tokens: Vec<String>,
}

impl Pointer {
    /// Reads a pointer: empty, or starting with `/`.
    ///
    /// ```
    /// use sync_cli::page::Pointer;
    /// assert!(Pointer::parse("/items").is_ok());
    /// assert!(Pointer::parse("").is_ok());
    /// assert!(Pointer::parse("items").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Pointer, String> {
        let Some(rest) = text.strip_prefix('/') else {
            if text.is_empty() {
                return Ok(Pointer {
                    text: String::new(),
                    tokens: Vec::new(),
                });
            }
            return Err(format!(
                "{text:?} is not a JSON pointer: it is empty (the whole value) or starts \
                 with /, e.g. /items or /data/0/sku"
            ));
        };
        let mut tokens = Vec::new();
        for raw in rest.split('/') {
            let mut token = String::with_capacity(raw.len());
            let mut chars = raw.chars();
            while let Some(c) = chars.next() {
                if c != '~' {
                    token.push(c);
                    continue;
                }
                match chars.next() {
                    Some('0') => token.push('~'),
                    Some('1') => token.push('/'),
                    _ => {
                        return Err(format!(
                            "{text:?} is not a JSON pointer: ~ is written ~0 and / inside a \
                             key ~1"
                        ));
                    }
                }
            }
            tokens.push(token);
        }
        Ok(Pointer {
            text: text.to_owned(),
            tokens,
        })
    }

    /// The pointer as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether this is the whole value (the empty pointer).
    pub fn is_root(&self) -> bool {
        self.tokens.is_empty()
    }
}

impl fmt::Display for Pointer {
    /// `/items`, or `''` for the whole value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_root() {
            f.write_str("''")
        } else {
            f.write_str(&self.text)
        }
    }
}

/// A JSON value as read from an untrusted body: like [`serde_json::Value`],
/// but an object keeps every key it was given, in order, so that a key given
/// twice is seen.
#[derive(Debug)]
pub enum Node {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
}

impl Node {
    /// The kind of value, as messages name it ("an array").
    pub fn kind(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "a boolean",
            Node::Number(_) => "a number",
            Node::String(_) => "a string",
            Node::Array(_) => "an array",
            Node::Object(_) => "an object",
        }
    }

    /// The value as a [`serde_json::Value`], arrays and objects left empty
    /// (for the tests, which print it).
    #[cfg(test)]
    fn to_scalar(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Number(n) => Value::Number(n.clone()),
            Node::String(s) => Value::String(s.clone()),
            Node::Array(_) => Value::Array(Vec::new()),
            Node::Object(_) => Value::Object(serde_json::Map::new()),
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Node, E> {
        Ok(Node::Bool(b))
    }
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Node, E> {
        Ok(Node::Number(n.into()))
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Node, E> {
        Ok(Node::Number(n.into()))
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Node, E> {
        // serde_json refuses numbers out of range: a JSON number is finite.
        Ok(Number::from_f64(n).map_or(Node::Null, Node::Number))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Node, E> {
        Ok(Node::String(s.to_owned()))
    }
    fn visit_string<E: de::Error>(self, s: String) -> Result<Node, E> {
        Ok(Node::String(s))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            entries.push((key.into_owned(), map.next_value()?));
        }
        Ok(Node::Object(entries))
    }
}

/// Where a pointer leads in a value.
#[derive(Debug)]
pub enum Found<T> {
    /// The value, through these positions (array index or object entry).
    Here(T),
    Missing,
    /// A key on the way is given more than once.
    Twice,
}

/// The positions, one per pointer token, that lead to the pointed value.
pub fn find_path(root: &Node, pointer: &Pointer) -> Found<Vec<usize>> {
    let mut node = root;
    let mut path = Vec::with_capacity(pointer.tokens.len());
    for token in &pointer.tokens {
        let position = match node {
            Node::Object(entries) => {
                let mut matches = entries
                    .iter()
                    .enumerate()
                    .filter(|(_, (key, _))| key == token);
                match (matches.next(), matches.next()) {
                    (None, _) => return Found::Missing,
                    (Some(_), Some(_)) => return Found::Twice,
                    (Some((position, _)), None) => position,
                }
            }
            Node::Array(items) => match array_index(token) {
                Some(index) if index < items.len() => index,
                _ => return Found::Missing,
            },
            _ => return Found::Missing,
        };
        node = child(node, position);
        path.push(position);
    }
    Found::Here(path)
}

fn child(node: &Node, position: usize) -> &Node {
    match node {
        Node::Object(entries) => &entries[position].1,
        Node::Array(items) => &items[position],
        _ => unreachable!("a path only goes through arrays and objects"),
    }
}

pub fn child_mut(node: &mut Node, position: usize) -> &mut Node {
    match node {
        Node::Object(entries) => &mut entries[position].1,
        Node::Array(items) => &mut items[position],
        _ => unreachable!("a path only goes through arrays and objects"),
    }
}

/// An array index in a pointer: `0`, or digits without a leading zero.
fn array_index(token: &str) -> Option<usize> {
    let digits = !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit());
    if !digits || (token.len() > 1 && token.starts_with('0')) {
        return None;
    }
    token.parse().ok()
}

/// The value a pointer leads to in `root`.
pub fn find<'a>(root: &'a Node, pointer: &Pointer) -> Found<&'a Node> {
    match find_path(root, pointer) {
        Found::Here(path) => Found::Here(path.into_iter().fold(root, child)),
        Found::Missing => Found::Missing,
        Found::Twice => Found::Twice,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pointer(text: &str) -> Pointer {
        Pointer::parse(text).unwrap()
    }

    #[test]
    fn pointers() {
        assert_eq!(pointer("").tokens, Vec::<String>::new());
        assert_eq!(pointer("/items").tokens, ["items"]);
        assert_eq!(pointer("/a~1b/~0c/0").tokens, ["a/b", "~c", "0"]);
        assert_eq!(pointer("/").tokens, [""]);
        assert_eq!(pointer("/a//b").tokens, ["a", "", "b"]);
        for bad in ["items", "#/items", "/a~2", "/a~", " /a"] {
            assert!(Pointer::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(pointer("").to_string(), "''");
        assert_eq!(pointer("/x").to_string(), "/x");
    }

    #[test]
    fn pointers_find_nested_keys_and_array_indexes() {
        let root: Node = serde_json::from_str(
            r#"{"a": {"b": [10, {"c": "deep"}]}, "a/b": 1, "~": 2, "": 3, "d": {"x": 1, "x": 2}}"#,
        )
        .unwrap();
        let text = |p: &str| match find(&root, &pointer(p)) {
            Found::Here(node) => format!("{:?}", node.to_scalar()),
            Found::Missing => "missing".into(),
            Found::Twice => "twice".into(),
        };
        assert_eq!(text("/a/b/1/c"), r#"String("deep")"#);
        assert_eq!(text("/a/b/0"), "Number(10)");
        assert_eq!(text("/a~1b"), "Number(1)");
        assert_eq!(text("/~0"), "Number(2)");
        assert_eq!(text("/"), "Number(3)");
        for missing in ["/a/b/2", "/a/b/01", "/a/b/-", "/a/b/x", "/a/b/0/c", "/z"] {
            assert_eq!(text(missing), "missing", "{missing}");
        }
        assert_eq!(text("/d"), "Object {}");
        assert_eq!(text("/d/x"), "twice");
    }
}
