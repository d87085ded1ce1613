//! Where requests go: the base URL, the endpoint template, and how an external ID
//! becomes exactly one path segment.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

use crate::error::Error;
use crate::reason::{Code, Reason};

/// Bytes left as they are in an encoded ID: RFC 3986 "unreserved" characters.
/// Everything else (`/`, `?`, `#`, `%`, spaces, non-ASCII, ...) is percent-encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The placeholder that an endpoint template must contain.
pub const ID_PLACEHOLDER: &str = "{id}";

/// Percent-encodes an external ID as one URL path segment.
///
/// ```
/// assert_eq!(sync_cli::encode_segment("a/b?c#d"), "a%2Fb%3Fc%23d");
/// assert_eq!(sync_cli::encode_segment("50% é"), "50%25%20%C3%A9");
/// ```
pub fn encode_segment(id: &str) -> String {
    utf8_percent_encode(id, SEGMENT).to_string()
}

/// Checks a base URL: absolute `http` or `https`, with a host, without
/// credentials, query or fragment. Messages show the value without its
/// credentials (see [`without_userinfo`]), even when it is not a URL at all.
pub fn parse_base_url(value: &str) -> Result<Url, String> {
    let shown = format!("{:?}", without_userinfo(value));
    let url = Url::parse(value).map_err(|e| {
        format!("{shown} is not a valid URL ({e}); expected something like http://127.0.0.1:5000")
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "the base URL {shown} must start with http:// or https://"
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "the base URL {shown} must not contain credentials; put the token in STOCK_API_TOKEN"
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("the base URL {shown} has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "the base URL {shown} must not have a query or fragment; use --endpoint for the path and query"
        ));
    }
    Ok(url)
}

/// A URL, or what was meant as one, with whatever precedes an `@` in its
/// authority (user name and password) replaced by `***`: the form every
/// message shows. Works on text that does not parse as a URL, too.
///
/// ```
/// use sync_cli::target::without_userinfo;
/// assert_eq!(without_userinfo("http://me:pw@h:99999/x"), "http://***@h:99999/x");
/// assert_eq!(without_userinfo("me:pw@h"), "***@h");
/// assert_eq!(without_userinfo("http://h/a@b"), "http://h/a@b");
/// ```
pub fn without_userinfo(value: &str) -> String {
    let authority_start = value.find("://").map_or(0, |i| i + 3);
    let rest = &value[authority_start..];
    let authority_end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!(
            "{}***{}",
            &value[..authority_start],
            &value[authority_start + at..]
        ),
        None => value.to_owned(),
    }
}

/// Checks that an endpoint template contains `{id}`. Used as a clap value parser.
pub fn parse_endpoint(value: &str) -> Result<String, String> {
    if value.contains(ID_PLACEHOLDER) {
        Ok(value.to_owned())
    } else {
        Err(format!(
            "the endpoint template {value:?} must contain {ID_PLACEHOLDER}, e.g. /api/stock/{ID_PLACEHOLDER}"
        ))
    }
}

/// Checks a listing's endpoint (`list --endpoint`): a path, with a query if
/// needed, without `{id}` (that is `fetch`'s endpoint). Used as a clap value
/// parser.
pub fn parse_listing_endpoint(value: &str) -> Result<String, String> {
    if value.contains(ID_PLACEHOLDER) {
        return Err(format!(
            "the listing endpoint {value:?} contains {ID_PLACEHOLDER}: it is the path of the \
             whole listing, e.g. /api/stock (STOCK_API_ENDPOINT is fetch's, \
             STOCK_API_LISTING_ENDPOINT list's)"
        ));
    }
    if value.contains('#') {
        return Err(format!(
            "the listing endpoint {value:?} must not have a fragment (#)"
        ));
    }
    Ok(value.to_owned())
}

/// The listing's URL: `base` and `endpoint` joined with one slash.
///
/// ```
/// use sync_cli::target::{listing_url, parse_base_url};
/// let base = parse_base_url("http://127.0.0.1:5000/v1/").unwrap();
/// assert_eq!(
///     listing_url(&base, "/stock?location=2").unwrap().as_str(),
///     "http://127.0.0.1:5000/v1/stock?location=2"
/// );
/// ```
pub fn listing_url(base: &Url, endpoint: &str) -> Result<Url, Error> {
    let endpoint = parse_listing_endpoint(endpoint).map_err(Error::Usage)?;
    let base_text = base.as_str().trim_end_matches('/');
    let slash = if endpoint.starts_with('/') || endpoint.is_empty() {
        ""
    } else {
        "/"
    };
    let full = format!("{base_text}{slash}{endpoint}");
    Url::parse(&full).map_err(|e| {
        Error::Usage(format!(
            "base URL {base} and listing endpoint {endpoint:?} do not make a URL ({e})"
        ))
    })
}

/// An external ID that cannot be sent without changing the URL's path (`.` and
/// `..` are dot segments, which URL parsers remove even when percent-encoded).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("external ID {id:?} cannot be sent as one URL path segment (it would become {url})")]
pub struct UnsafeId {
    pub id: String,
    pub url: String,
}

impl UnsafeId {
    /// The reason code of the line of such an ID (none that passes
    /// [`crate::id::check_id`] gets it: a safeguard).
    pub fn reason(&self) -> Reason {
        Reason::new(Code::IdNotSendable)
    }
}

/// The base URL and endpoint template joined, ready to take IDs.
#[derive(Debug, Clone)]
pub struct UrlTemplate {
    /// The full URL text split around each `{id}`.
    parts: Vec<String>,
}

impl UrlTemplate {
    /// Joins `base` and `endpoint` (which must contain `{id}`).
    pub fn new(base: &Url, endpoint: &str) -> Result<Self, Error> {
        let endpoint = parse_endpoint(endpoint).map_err(Error::Usage)?;
        let base_text = base.as_str().trim_end_matches('/');
        let slash = if endpoint.starts_with('/') { "" } else { "/" };
        let full = format!("{base_text}{slash}{endpoint}");
        let template = UrlTemplate {
            parts: full.split(ID_PLACEHOLDER).map(str::to_owned).collect(),
        };
        // The template itself must be a URL that parsers leave as it is, or no
        // ID could be checked against it.
        template.url_for("ID").map_err(|e| {
            Error::Usage(format!(
                "base URL {base} and endpoint {endpoint:?} do not make a usable URL (it becomes {}); \
                 percent-encode the endpoint's special characters",
                e.url
            ))
        })?;
        Ok(template)
    }

    /// The URL for one external ID.
    pub fn url_for(&self, id: &str) -> Result<Url, UnsafeId> {
        let text = self.parts.join(&encode_segment(id));
        match Url::parse(&text) {
            Ok(url) if url.as_str() == text => Ok(url),
            Ok(url) => Err(UnsafeId {
                id: id.to_owned(),
                url: url.to_string(),
            }),
            Err(_) => Err(UnsafeId {
                id: id.to_owned(),
                url: text,
            }),
        }
    }

    /// The template as text, with `{id}` in place.
    pub fn display(&self) -> String {
        self.parts.join(ID_PLACEHOLDER)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(base: &str, endpoint: &str) -> UrlTemplate {
        UrlTemplate::new(&parse_base_url(base).unwrap(), endpoint).unwrap()
    }

    #[test]
    fn ids_become_exactly_one_segment() {
        let t = template("http://127.0.0.1:5000", "/api/stock/{id}");
        let cases = [
            ("GS-1001", "/api/stock/GS-1001"),
            ("a/b", "/api/stock/a%2Fb"),
            ("?x", "/api/stock/%3Fx"),
            ("#", "/api/stock/%23"),
            ("%", "/api/stock/%25"),
            ("%2F", "/api/stock/%252F"),
            ("a b", "/api/stock/a%20b"),
            ("é", "/api/stock/%C3%A9"),
            ("../admin", "/api/stock/..%2Fadmin"),
            ("a.b_c~d", "/api/stock/a.b_c~d"),
            ("\\", "/api/stock/%5C"),
            ("tab\there", "/api/stock/tab%09here"),
            ("...", "/api/stock/..."),
        ];
        for (id, path) in cases {
            let url = t.url_for(id).unwrap();
            assert_eq!(url.path(), path, "{id:?}");
            assert_eq!(url.query(), None, "{id:?}");
            assert_eq!(url.fragment(), None, "{id:?}");
            let segment = url.path_segments().unwrap().next_back().unwrap();
            let decoded = percent_encoding::percent_decode_str(segment)
                .decode_utf8()
                .unwrap();
            assert_eq!(decoded, id);
        }
    }

    #[test]
    fn dot_segments_are_refused() {
        let t = template("http://h", "/api/stock/{id}");
        for id in [".", ".."] {
            let err = t.url_for(id).unwrap_err();
            assert_eq!(err.id, id);
        }
    }

    #[test]
    fn ids_in_a_query_template_cannot_add_parameters() {
        let t = template("https://h/base/", "stock?id={id}&v=1");
        let url = t.url_for("1&admin=yes#x").unwrap();
        assert_eq!(url.path(), "/base/stock");
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(
            pairs,
            [
                ("id".into(), "1&admin=yes#x".into()),
                ("v".into(), "1".into())
            ]
        );
    }

    #[test]
    fn base_url_checks() {
        assert!(parse_base_url("http://127.0.0.1:5000").is_ok());
        assert!(parse_base_url("https://api.example.com/prefix").is_ok());
        for bad in [
            "",
            "127.0.0.1:5000",
            "localhost",
            "ftp://h",
            "file:///tmp",
            "http://user:pw@h",
            "http://user@h",
            "http://h/?q=1",
            "http://h/#f",
            "not a url",
        ] {
            assert!(parse_base_url(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn base_url_errors_never_show_credentials() {
        for bad in [
            "http://user:s3cretpw@h",
            "http://user:s3cretpw@h:99999",
            "http://user:s3cretpw@[::1",
            "http://user:s3cretpw@h/?q=1",
            "ftp://user:s3cretpw@h",
            "user:s3cretpw@h",
            "http://user:s3cretpw@",
            "http://us@er:s3cretpw@h",
            "http://user:s3cretpw@h\\x",
        ] {
            let message = parse_base_url(bad).unwrap_err();
            assert!(!message.contains("s3cretpw"), "{bad}: {message}");
            assert!(!message.contains("user"), "{bad}: {message}");
            assert!(message.contains("***@"), "{bad}: {message}");
        }
        let message = parse_base_url("http://me:pw@h:99999").unwrap_err();
        assert_eq!(
            message,
            r#""http://***@h:99999" is not a valid URL (invalid port number); expected something like http://127.0.0.1:5000"#
        );
    }

    #[test]
    fn endpoint_must_contain_the_placeholder() {
        assert!(parse_endpoint("/api/stock/{id}").is_ok());
        assert!(parse_endpoint("/api/stock/").is_err());
        assert!(parse_endpoint("/api/stock/{ID}").is_err());
    }

    #[test]
    fn base_path_and_slashes_are_joined_once() {
        assert_eq!(
            template("http://h/v1/", "/stock/{id}")
                .url_for("x")
                .unwrap()
                .as_str(),
            "http://h/v1/stock/x"
        );
        assert_eq!(
            template("http://h", "stock/{id}")
                .url_for("x")
                .unwrap()
                .as_str(),
            "http://h/stock/x"
        );
    }

    #[test]
    fn listing_urls() {
        let base = parse_base_url("http://h:5000").unwrap();
        let url = |endpoint| listing_url(&base, endpoint).map(|u| u.to_string());
        assert_eq!(url("/api/stock").unwrap(), "http://h:5000/api/stock");
        assert_eq!(url("api/stock").unwrap(), "http://h:5000/api/stock");
        assert_eq!(url("").unwrap(), "http://h:5000/");
        assert_eq!(
            url("/inventory_levels.json?location_ids=1").unwrap(),
            "http://h:5000/inventory_levels.json?location_ids=1"
        );
        for bad in ["/api/stock/{id}", "/api/stock#top"] {
            assert!(url(bad).unwrap_err().is_usage(), "{bad}");
        }
    }

    #[test]
    fn unusable_templates_are_usage_errors() {
        let base = parse_base_url("http://h").unwrap();
        assert!(UrlTemplate::new(&base, "/a b/{id}").unwrap_err().is_usage());
        assert!(UrlTemplate::new(&base, "/stock").unwrap_err().is_usage());
    }

    #[test]
    fn an_id_that_a_url_would_change_is_not_sendable() {
        // No template that `UrlTemplate::new` accepts does this to an ID
        // that `check_id` accepts; a hand-made one shows the safeguard.
        let t = UrlTemplate {
            parts: vec!["http://h/a/".into(), "/../b".into()],
        };
        let err = t.url_for("x").unwrap_err();
        assert_eq!(err.url, "http://h/a/b");
        assert_eq!(err.reason().code.as_str(), "id_not_sendable");
    }
}
