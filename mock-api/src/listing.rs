//! The listing's query string (`limit`, `cursor`, `updated_since`, `ids`)
//! and its cursors.
//!
//! A cursor is the hex of the last product_id of the page it follows; clients
//! pass it back as it came (it is opaque to them).

use std::time::SystemTime;

use crate::clock::parse_rfc3339;

/// Page size when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 500;
/// The largest page; a larger `limit` is served as this one.
pub const MAX_LIMIT: usize = 1000;

/// What a listing request asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListingQuery {
    /// Products per page, 1 to [`MAX_LIMIT`].
    pub limit: usize,
    /// The page starts after this product_id (from the start when `None`).
    pub after: Option<String>,
    /// Only products whose `updated_at` is at or after this time.
    pub since: Option<SystemTime>,
    /// Only these products (`ids`, comma-separated), as APIs that filter
    /// their listing by ID do (WooCommerce's `include`, Shopify's
    /// `inventory_item_ids`).
    pub ids: Option<Vec<String>>,
}

/// A query parameter the listing cannot use: a 400 naming it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParamError {
    /// The parameter's name.
    pub parameter: &'static str,
    /// One sentence saying what is wrong with it, naming it.
    pub message: String,
}

fn refuse(parameter: &'static str, message: String) -> ParamError {
    ParamError { parameter, message }
}

impl ListingQuery {
    /// Reads the decoded `(name, value)` pairs of the query string. Unknown
    /// parameters are ignored; a known one given twice is refused.
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, ParamError> {
        let mut query = ListingQuery {
            limit: DEFAULT_LIMIT,
            after: None,
            since: None,
            ids: None,
        };
        let mut seen: Vec<&str> = Vec::new();
        for (name, value) in pairs {
            let parameter = match name.as_str() {
                "limit" => "limit",
                "cursor" => "cursor",
                "updated_since" => "updated_since",
                "ids" => "ids",
                _ => continue,
            };
            if seen.contains(&parameter) {
                return Err(refuse(
                    parameter,
                    format!("{parameter} is given more than once"),
                ));
            }
            seen.push(parameter);
            match parameter {
                "limit" => query.limit = parse_limit(value)?,
                "cursor" => query.after = Some(decode_cursor(value)?),
                "ids" => query.ids = Some(value.split(',').map(str::to_owned).collect()),
                _ => query.since = Some(parse_since(value)?),
            }
        }
        Ok(query)
    }
}

fn parse_limit(value: &str) -> Result<usize, ParamError> {
    let digits = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
    let limit = value.trim_start_matches('0');
    if !digits || limit.is_empty() {
        return Err(refuse(
            "limit",
            format!("limit must be a whole number from 1 to {MAX_LIMIT}, not {value:?}"),
        ));
    }
    // Any number of digits: a larger limit is served as the largest page.
    Ok(limit
        .parse::<usize>()
        .map_or(MAX_LIMIT, |n| n.min(MAX_LIMIT)))
}

fn parse_since(value: &str) -> Result<SystemTime, ParamError> {
    parse_rfc3339(value).ok_or_else(|| {
        let hint = if value.contains(' ') {
            " (a '+' in a query string must be sent as %2B)"
        } else {
            ""
        };
        refuse(
            "updated_since",
            format!(
                "updated_since must be an RFC 3339 time such as 2026-12-04T10:00:00Z, \
                 not {value:?}{hint}"
            ),
        )
    })
}

/// The cursor of the page that comes after the product `last_id`.
pub fn cursor_after(last_id: &str) -> String {
    use std::fmt::Write;
    last_id.bytes().fold(String::new(), |mut hex, byte| {
        let _ = write!(hex, "{byte:02x}");
        hex
    })
}

/// The product_id a cursor made by [`cursor_after`] stands for.
pub fn decode_cursor(cursor: &str) -> Result<String, ParamError> {
    let bad = || {
        refuse(
            "cursor",
            format!(
                "cursor {cursor:?} is not one this API gave: pass the next_cursor of \
                 the previous page as it came"
            ),
        )
    };
    // An odd length leaves a last pair short: refused too.
    let bytes = (0..cursor.len())
        .step_by(2)
        .map(|i| {
            cursor
                .get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(bad)?;
    String::from_utf8(bytes).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> Result<ListingQuery, ParamError> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        ListingQuery::parse(&pairs)
    }

    #[test]
    fn defaults_and_bounds_of_limit() {
        assert_eq!(query(&[]).unwrap().limit, 500);
        assert_eq!(query(&[("limit", "1")]).unwrap().limit, 1);
        assert_eq!(query(&[("limit", "007")]).unwrap().limit, 7);
        assert_eq!(query(&[("limit", "1000")]).unwrap().limit, 1000);
        assert_eq!(query(&[("limit", "1001")]).unwrap().limit, 1000);
        assert_eq!(
            query(&[("limit", "99999999999999999999999999")])
                .unwrap()
                .limit,
            1000
        );
        for bad in ["0", "000", "-1", "", "ten", "1.5", "+5", " 5", "1e3"] {
            let err = query(&[("limit", bad)]).unwrap_err();
            assert_eq!(err.parameter, "limit", "{bad}");
            assert!(err.message.starts_with("limit must be"), "{err}");
        }
    }

    #[test]
    fn cursors_round_trip_and_bad_ones_are_refused() {
        for id in ["GS-1001", "", "a/b?c#d e%é"] {
            assert_eq!(decode_cursor(&cursor_after(id)).unwrap(), id);
        }
        assert_eq!(cursor_after("GS-1"), "47532d31");
        for bad in ["abc", "zz", "ff", "c3", "47532d3 ", "GS-1001"] {
            let err = decode_cursor(bad).unwrap_err();
            assert_eq!(err.parameter, "cursor", "{bad}");
        }
        let parsed = query(&[("cursor", "47532d31")]).unwrap();
        assert_eq!(parsed.after.as_deref(), Some("GS-1"));
    }

    #[test]
    fn updated_since_is_rfc3339() {
        let parsed = query(&[("updated_since", "2026-12-04T10:00:00Z")]).unwrap();
        assert_eq!(parsed.since, parse_rfc3339("2026-12-04T11:00:00+01:00"));
        let err = query(&[("updated_since", "2026-12-04")]).unwrap_err();
        assert_eq!(err.parameter, "updated_since");
        let err = query(&[("updated_since", "2026-12-04T11:00:00 01:00")]).unwrap_err();
        assert!(err.message.contains("%2B"), "{err}");
    }

    #[test]
    fn twice_is_refused_unknown_is_ignored() {
        let err = query(&[("limit", "5"), ("limit", "6")]).unwrap_err();
        assert_eq!(err.parameter, "limit");
        assert!(err.message.contains("more than once"), "{err}");
        assert!(query(&[("page", "2"), ("sort", "x")]).is_ok());
    }
}
