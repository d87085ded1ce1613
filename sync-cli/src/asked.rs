//! `list --ids-param NAME`: a listing asked only for some external IDs,
//! comma-separated in one query parameter, at most `--ids-per-request` a
//! request (WooCommerce's `include`, Shopify's `inventory_item_ids`).
//!
//! This module prepares the requests: which IDs can be asked for (the
//! rulebook's IDs, without a comma, each once), in groups of at most N, and
//! the query that asks for a group. [`crate::listing`] reads each group's
//! listing, and says which IDs no record answered.

use std::collections::HashSet;

use url::form_urlencoded::byte_serialize;

use crate::id::{check_id, quote};
use crate::reason::{Code, Reason};

/// The most IDs of one request (`--ids-per-request`).
pub const MAX_IDS_PER_REQUEST: u16 = 1000;

/// The default of `--ids-per-request`.
pub const DEFAULT_IDS_PER_REQUEST: u16 = 50;

/// An ID that is not asked for, why, and its reason code.
#[derive(Clone, Debug, PartialEq)]
pub struct Refused {
    pub id: String,
    /// One sentence, the ID shown escaped.
    pub error: String,
    pub reason: Reason,
}

/// Why an ID cannot be asked for with `--ids-param`, if it cannot: the
/// rules of every external ID, and no comma (the separator).
pub fn refusal(id: &str, param: &str) -> Option<Refused> {
    let (why, reason) = match check_id(id) {
        Err(bad) => (bad.to_string(), bad.reason()),
        Ok(()) if id.contains(',') => (
            format!(
                "external ID {} holds a comma, which separates the IDs of --ids-param {param}",
                quote(id)
            ),
            Reason::new(Code::IdNotSendable),
        ),
        Ok(()) => return None,
    };
    Some(Refused {
        id: id.to_owned(),
        error: format!("{why}; it was not asked for"),
        reason,
    })
}

/// The IDs to ask for, in groups of at most `per_request`, in the order
/// given, each once.
#[derive(Debug, Default)]
pub struct Groups {
    list: Vec<Vec<String>>,
    seen: HashSet<String>,
    per_request: usize,
}

impl Groups {
    pub fn new(per_request: u16) -> Groups {
        Groups {
            list: Vec::new(),
            seen: HashSet::new(),
            per_request: usize::from(per_request.max(1)),
        }
    }

    /// Adds an ID that can be asked for; one given before is left out.
    pub fn push(&mut self, id: String) {
        if !self.seen.insert(id.clone()) {
            return;
        }
        match self.list.last_mut() {
            Some(group) if group.len() < self.per_request => group.push(id),
            _ => self.list.push(vec![id]),
        }
    }

    /// The groups, one request's IDs each.
    pub fn into_groups(self) -> Vec<Vec<String>> {
        self.list
    }
}

/// `NAME=a,b,c` for a query: the name and each ID form-encoded, the commas
/// between them as they are (as APIs document them).
///
/// ```
/// use sync_cli::asked::query;
/// assert_eq!(query("include", &["GS-1".into(), "a b&c".into()]), "include=GS-1,a+b%26c");
/// ```
pub fn query(param: &str, ids: &[String]) -> String {
    let name: String = byte_serialize(param.as_bytes()).collect();
    let values: Vec<String> = ids
        .iter()
        .map(|id| byte_serialize(id.as_bytes()).collect())
        .collect();
    format!("{name}={}", values.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_grouped_in_order_each_once() {
        let mut groups = Groups::new(2);
        for id in ["a", "b", "a", "c", "d", "e", "b"] {
            groups.push(id.into());
        }
        assert_eq!(
            groups.into_groups(),
            [vec!["a", "b"], vec!["c", "d"], vec!["e"]]
        );
        assert!(Groups::new(50).into_groups().is_empty());
    }

    #[test]
    fn ids_that_cannot_be_asked_for() {
        assert_eq!(refusal("GS-1", "include"), None);
        assert_eq!(refusal("Pièce 7", "include"), None);
        let comma = refusal("a,b", "include").unwrap();
        assert_eq!(comma.reason.code, Code::IdNotSendable);
        assert_eq!(
            comma.error,
            r#"external ID "a,b" holds a comma, which separates the IDs of --ids-param include; it was not asked for"#
        );
        let control = refusal("GS\u{7}", "include").unwrap();
        assert_eq!(control.reason.code, Code::IdControlCharacter);
        assert!(control.error.ends_with("; it was not asked for"));
        assert_eq!(
            refusal("..", "include").unwrap().reason.code,
            Code::IdDotSegment
        );
    }

    #[test]
    fn the_query_keeps_its_commas() {
        assert_eq!(
            query(
                "inventory_item_ids",
                &["808950810".into(), "39072856".into()]
            ),
            "inventory_item_ids=808950810,39072856"
        );
        assert_eq!(query("a b", &["é/?#".into()]), "a+b=%C3%A9%2F%3F%23");
    }
}
