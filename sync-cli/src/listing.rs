//! `sync-cli list`: reads a listing to its end, page by page, and writes one
//! result per record as each page arrives, then a trailer saying whether the
//! listing is complete.
//!
//! Nothing about a listing is trusted. A next page on another origin than
//! the base URL (scheme, host, port) is never asked for, so the token never
//! goes there; a page or cursor seen twice (a loop), more pages than
//! `--max-pages`, a page over `--max-body-bytes`, a page that is not a page
//! of records, or a page that fails after its retries ends the listing as
//! incomplete, with a sentence naming the page and its URL. An ID listed
//! again is refused where it is listed again.
//!
//! Memory: one page at a time, plus the fingerprints of what was seen
//! ([`crate::seen`]).

use std::collections::HashSet;
use std::io::Write;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::datetime;
use url::Url;

use crate::asked::{self, Groups, refusal};
use crate::attempt::Attempt;
use crate::error::Error;
use crate::http::{Answer, Exchange, Http};
use crate::id::quote;
use crate::locations::Locations;
use crate::outcome::{Outcome, Status};
use crate::output::{JsonLines, Sink};
use crate::page::{PageFormat, Record, read_page};
use crate::reason::{Code, Reason};
use crate::seen::Seen;

/// How a listing says where its next page is (`--paging`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Paging {
    /// A cursor in the body (--cursor-field), sent back as --cursor-param.
    Cursor,
    /// The `Link: <url>; rel="next"` header, followed as given.
    Link,
    /// Page numbers 1, 2, ... in --page-param, until a page with no record.
    Page,
    /// Offsets 0, N, 2N, ... in --offset-param, until a page with no record.
    Offset,
}

/// What `list` asks and how it reads the answers.
#[derive(Clone, Debug)]
pub struct ListSettings {
    pub paging: Paging,
    pub cursor_param: String,
    pub page_param: String,
    pub offset_param: String,
    /// Empty: no page size is sent.
    pub page_size_param: String,
    pub page_size: u32,
    /// `(--since-param, --since)`.
    pub since: Option<(String, String)>,
    pub max_pages: u64,
    pub format: PageFormat,
    /// `--ids-param` and `--ids-per-request`: ask only for some IDs.
    pub ids: Option<IdsParam>,
}

/// How a listing is asked only for some IDs (`--ids-param`).
#[derive(Clone, Debug)]
pub struct IdsParam {
    /// The query parameter that takes the IDs, comma-separated.
    pub param: String,
    /// The most IDs of one request.
    pub per_request: u16,
}

/// How a listing ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListSummary {
    /// Record lines written.
    pub records: u64,
    /// Of which not `ok`.
    pub not_ok: u64,
    /// Pages read.
    pub pages: u64,
    /// Why the listing is incomplete; `None` when complete.
    pub error: Option<String>,
    /// The reason code of an incomplete listing.
    pub reason: Option<Reason>,
    /// The first page's `Date`, in RFC 3339.
    pub server_time: Option<String>,
}

impl ListSummary {
    pub fn is_complete(&self) -> bool {
        self.error.is_none()
    }
}

/// The trailer line of a complete listing.
#[derive(Serialize)]
struct Complete<'a> {
    listing: &'static str,
    records: u64,
    pages: u64,
    /// `null` when the first page had no readable `Date`.
    server_time: Option<&'a str>,
}

/// The trailer line of an incomplete listing.
#[derive(Serialize)]
struct Incomplete<'a> {
    listing: &'static str,
    #[serde(flatten)]
    reason: Option<&'a Reason>,
    records: u64,
    pages: u64,
    error: &'a str,
}

/// Reads the listing at `start` (the base URL and `--endpoint`) to its end
/// and writes to `out` one JSON line per record, flushed page by page, then
/// the trailer. Fails only when `out` cannot be written.
pub fn list_all<W: Write>(
    http: &Http,
    start: &Url,
    settings: &ListSettings,
    out: W,
) -> Result<ListSummary, Error> {
    let mut out = JsonLines::new(out);
    let mut reader = Reader::new(http, start, settings);
    let result = reader.read_all(&mut out);
    finish(reader, result, out)
}

/// Reads the listing at `start` asked only for `ids`, with
/// `settings.ids` (`--ids-param`): each group of at most
/// `--ids-per-request` IDs is one request, whose pages are followed as
/// usual. Writes one JSON line per record of an ID asked for (records of
/// other IDs are left out), a `not_found` line (reason `not_listed`) for
/// each ID that no record answered, a line for each ID that cannot be
/// asked for, then the trailer, whose `records` and `pages` add up every
/// request's. Fails only when `ids` cannot be read or `out` cannot be
/// written.
pub fn list_ids<W: Write>(
    http: &Http,
    start: &Url,
    settings: &ListSettings,
    ids: impl IntoIterator<Item = Result<String, Error>>,
    out: W,
) -> Result<ListSummary, Error> {
    let Some(ids_param) = &settings.ids else {
        return list_all(http, start, settings, out);
    };
    let mut out = JsonLines::new(out);
    let mut reader = Reader::new(http, start, settings);
    let mut groups = Groups::new(ids_param.per_request);
    for id in ids {
        let id = id?;
        match refusal(&id, &ids_param.param) {
            Some(refused) => {
                let line = Outcome::failed(
                    &refused.id,
                    Status::HttpError,
                    None,
                    refused.error,
                    0,
                    Duration::ZERO,
                )
                .with_reason(refused.reason);
                reader.summary.not_ok += 1;
                out.write(line)?;
            }
            None => groups.push(id),
        }
    }
    out.flush()?;
    let mut result = Ok(());
    for group in groups.into_groups() {
        result = reader.read_group(group, &mut out);
        if result.is_err() {
            break;
        }
    }
    finish(reader, result, out)
}

/// Writes the trailer of a listing read as far as `result` says.
fn finish<W: Write>(
    mut reader: Reader<'_>,
    result: Result<(), Stop>,
    mut out: JsonLines<W>,
) -> Result<ListSummary, Error> {
    let http = reader.http;
    if let Err(stop) = result {
        match stop {
            Stop::Incomplete(error, reason) => {
                reader.summary.error = Some(http.redact(error));
                reader.summary.reason = Some(reason.redacted(|text| http.redact(text)));
            }
            Stop::Output(err) => return Err(err),
        }
    }
    let summary = reader.summary;
    match &summary.error {
        None => out.write_line(&Complete {
            listing: "complete",
            records: summary.records,
            pages: summary.pages,
            server_time: summary.server_time.as_deref(),
        })?,
        Some(error) => out.write_line(&Incomplete {
            listing: "incomplete",
            reason: summary.reason.as_ref(),
            records: summary.records,
            pages: summary.pages,
            error,
        })?,
    }
    out.flush()?;
    Ok(summary)
}

/// Why reading stopped before the end.
enum Stop {
    /// The listing cannot be read further: why, in one sentence, and its
    /// reason code.
    Incomplete(String, Reason),
    /// The output cannot be written.
    Output(Error),
}

impl From<Error> for Stop {
    fn from(err: Error) -> Self {
        Stop::Output(err)
    }
}

/// The request of one group of `--ids-param`.
struct Group {
    /// `NAME=a,b,c`, added to the URLs sync-cli makes.
    query: String,
    /// The IDs asked for, in order.
    ids: Vec<String>,
    asked: HashSet<String>,
    answered: HashSet<String>,
    /// Records of IDs not asked for, left out.
    left_out: u64,
    /// Requests sent for the group, and since when.
    attempts: u32,
    started: Instant,
}

struct Reader<'a> {
    http: &'a Http,
    start: &'a Url,
    settings: &'a ListSettings,
    summary: ListSummary,
    /// The group of `--ids-param` being read.
    group: Option<Group>,
    /// External IDs listed so far.
    ids: Seen,
    /// Page URLs asked for so far.
    urls: Seen,
    /// Cursors given so far.
    cursors: Seen,
    /// Page bodies read so far.
    bodies: Seen,
}

impl<'a> Reader<'a> {
    fn new(http: &'a Http, start: &'a Url, settings: &'a ListSettings) -> Reader<'a> {
        Reader {
            http,
            start,
            settings,
            summary: ListSummary {
                records: 0,
                not_ok: 0,
                pages: 0,
                error: None,
                reason: None,
                server_time: None,
            },
            group: None,
            ids: Seen::new(),
            urls: Seen::new(),
            cursors: Seen::new(),
            bodies: Seen::new(),
        }
    }

    /// Reads the listing asked for one group of IDs, then writes a
    /// `not_listed` line for each ID of it that no record answered.
    fn read_group<W: Write>(
        &mut self,
        ids: Vec<String>,
        out: &mut JsonLines<W>,
    ) -> Result<(), Stop> {
        let Some(ids_param) = &self.settings.ids else {
            return Ok(());
        };
        let param = ids_param.param.as_str();
        self.group = Some(Group {
            query: asked::query(param, &ids),
            asked: ids.iter().cloned().collect(),
            ids,
            answered: HashSet::new(),
            left_out: 0,
            attempts: 0,
            started: Instant::now(),
        });
        // Each request is a listing of its own: its pages may look like
        // another request's (an empty page, the same cursors).
        self.urls = Seen::new();
        self.cursors = Seen::new();
        self.bodies = Seen::new();
        let first = self.first_url();
        self.read_all(out)?;
        let Some(group) = self.group.take() else {
            return Ok(());
        };
        if group.left_out > 0 {
            log::info!(
                "GET {first}: {} records of IDs not asked for were left out",
                group.left_out
            );
        }
        let elapsed = group.started.elapsed();
        for id in group.ids.iter().filter(|id| !group.answered.contains(*id)) {
            let error = self.http.redact(format!(
                "GET {first} listed no record for external ID {} (asked for with --ids-param \
                 {param})",
                quote(id)
            ));
            let line = Outcome::failed(id, Status::NotFound, None, error, group.attempts, elapsed)
                .with_reason(Reason::new(Code::NotListed));
            self.summary.not_ok += 1;
            out.write(line)?;
        }
        out.flush()?;
        Ok(())
    }

    fn read_all<W: Write>(&mut self, out: &mut JsonLines<W>) -> Result<(), Stop> {
        let mut next = Some(self.first_url());
        let mut offset: u64 = 0;
        // The page number of `--paging page`, from 1 in each request.
        let mut page_number: u64 = 1;
        while let Some(url) = next.take() {
            let number = self.summary.pages + 1;
            if number > self.settings.max_pages {
                let reason = Reason::new(Code::TooManyPages).with("limit", self.settings.max_pages);
                return Err(Stop::Incomplete(
                    format!(
                        "page {number} (GET {url}) was not read: the listing has more than {} \
                         pages (--max-pages)",
                        self.settings.max_pages
                    ),
                    reason,
                ));
            }
            if !self.urls.insert(url.as_str()) {
                return Err(Stop::Incomplete(
                    format!(
                        "page {number} (GET {url}) was not read: that URL was read before, for \
                         an earlier page (a loop)"
                    ),
                    Reason::new(Code::PageLoop).with("repeated", "url"),
                ));
            }
            let (answer, exchange) = self.get(number, &url)?;
            if number == 1 {
                self.summary.server_time = server_time(&answer.headers);
                if self.summary.server_time.is_none() {
                    log::warn!(
                        "page 1 (GET {url}) has no readable Date header: the trailer's \
                         server_time is null"
                    );
                }
            }
            let Answer { headers, body } = answer;
            if !self.bodies.insert(body.as_slice()) {
                return Err(Stop::Incomplete(
                    format!(
                        "page {number} (GET {url}) answered the same body as an earlier page (a \
                         loop)"
                    ),
                    Reason::new(Code::PageLoop).with("repeated", "body"),
                ));
            }
            let page = read_page(&body, &self.settings.format).map_err(|e| {
                Stop::Incomplete(
                    format!(
                        "page {number} (GET {url}) answered {}, but {e}",
                        exchange.status
                    ),
                    e.reason(),
                )
            })?;
            drop(body);
            let count = page.records.len() as u64;
            log::debug!("page {number} (GET {url}): {count} records");
            for (index, record) in page.records.into_iter().enumerate() {
                let Some(outcome) = self.outcome(number, &url, index + 1, record, &exchange) else {
                    continue;
                };
                self.summary.records += 1;
                if !outcome.is_ok() {
                    self.summary.not_ok += 1;
                }
                out.write(outcome)?;
            }
            out.flush()?;
            self.summary.pages = number;
            next = match self.settings.paging {
                Paging::Cursor => match page.cursor {
                    Some(cursor) => Some(self.after_cursor(number, &url, &cursor)?),
                    None => None,
                },
                Paging::Link => match next_link(&headers) {
                    Some(target) => Some(self.follow(number, &url, &target)?),
                    None => None,
                },
                Paging::Page if count > 0 => {
                    page_number += 1;
                    let page = page_number.to_string();
                    Some(self.url_with(&[(&self.settings.page_param, &page)]))
                }
                Paging::Offset if count > 0 => {
                    // By the records received: an API that serves fewer
                    // than asked skips none.
                    offset += count;
                    let offset = offset.to_string();
                    Some(self.url_with(&[(&self.settings.offset_param, &offset)]))
                }
                Paging::Page | Paging::Offset => None,
            };
        }
        Ok(())
    }

    /// The first page's URL.
    fn first_url(&self) -> Url {
        match self.settings.paging {
            Paging::Cursor | Paging::Link => self.url_with(&[]),
            Paging::Page => self.url_with(&[(&self.settings.page_param, "1")]),
            Paging::Offset => self.url_with(&[(&self.settings.offset_param, "0")]),
        }
    }

    /// The listing's URL with the page size, `--since` and `extra`.
    fn url_with(&self, extra: &[(&str, &str)]) -> Url {
        let settings = self.settings;
        let size = settings.page_size.to_string();
        let mut params: Vec<(&str, &str)> = Vec::new();
        if !settings.page_size_param.is_empty() {
            params.push((&settings.page_size_param, &size));
        }
        if let Some((name, value)) = &settings.since {
            params.push((name, value));
        }
        let mut url = self.start.clone();
        if !params.is_empty() {
            url.query_pairs_mut().extend_pairs(params);
        }
        if let Some(group) = &self.group {
            // Added as it is: its commas stay commas.
            let query = match url.query() {
                Some(query) if !query.is_empty() => format!("{query}&{}", group.query),
                _ => group.query.clone(),
            };
            url.set_query(Some(&query));
        }
        if !extra.is_empty() {
            url.query_pairs_mut().extend_pairs(extra);
        }
        url
    }

    /// One page, after its retries: its answer, or why the listing stops.
    fn get(&mut self, number: u64, url: &Url) -> Result<(Answer, PageExchange), Stop> {
        let Exchange {
            attempt,
            attempts,
            elapsed,
        } = self.http.get(url);
        if let Some(group) = &mut self.group {
            group.attempts += attempts;
        }
        let after = if attempts > 1 {
            format!(" (after {attempts} attempts)")
        } else {
            String::new()
        };
        let reason = attempt.reason(self.http.limits());
        let sentence = match attempt {
            Attempt::Body {
                status,
                result: Ok(answer),
            } => {
                let exchange = PageExchange {
                    status,
                    attempts,
                    elapsed,
                };
                return Ok((answer, exchange));
            }
            Attempt::Body {
                status,
                result: Err(invalid),
            } => format!("GET {url} answered {status}, but {invalid}"),
            Attempt::NotFound => {
                format!("GET {url} answered 404 Not Found (check --endpoint and --base-url)")
            }
            other => other.sentence(url, "", self.http.limits()),
        };
        Err(Stop::Incomplete(
            format!("page {number}: {sentence}{after}"),
            reason,
        ))
    }

    /// The line for one record, or `None` for a record of an ID that the
    /// request of `--ids-param` did not ask for.
    fn outcome(
        &mut self,
        number: u64,
        url: &Url,
        index: usize,
        record: Record,
        exchange: &PageExchange,
    ) -> Option<Outcome> {
        if let (Some(group), Some(id)) = (&mut self.group, &record.id) {
            if !group.asked.contains(id) {
                // An API that matches loosely (a SKU search) or ignores the
                // parameter: the ID may be asked for in another request.
                group.left_out += 1;
                return None;
            }
            group.answered.insert(id.clone());
        }
        Some(self.line(number, url, index, record, exchange))
    }

    /// The line for one record: refused when its ID holds a secret or was
    /// listed before.
    fn line(
        &mut self,
        number: u64,
        url: &Url,
        index: usize,
        record: Record,
        exchange: &PageExchange,
    ) -> Outcome {
        let Record {
            id,
            location,
            result,
            locations,
        } = record;
        let status = exchange.status.as_u16();
        let refuse = |id: Option<&str>, location: Option<&str>, why: String, reason: Reason| {
            let error = self
                .http
                .redact(format!("page {number} (GET {url}), record {index}: {why}"));
            let reason = reason.redacted(|text| self.http.redact(text));
            Outcome::invalid_record(id, status, error, exchange.attempts, exchange.elapsed)
                .at_location(location.map(str::to_owned))
                .with_reason(reason)
        };
        let Some(id) = id else {
            return match result {
                Err(error) => refuse(None, None, error.to_string(), error.reason()),
                Ok(_) => refuse(
                    None,
                    None,
                    String::new(),
                    Reason::new(Code::ProductIdMissing),
                ),
            };
        };
        if self.http.holds_secret(&id) {
            return refuse(
                None,
                None,
                "its external ID holds the API token or another credential (not printed)".into(),
                Reason::new(Code::IdHoldsSecret),
            );
        }
        // Codes are printed as they are: one that echoes a secret is refused.
        let echoes = {
            let mut codes = location
                .iter()
                .map(String::as_str)
                .chain(locations.iter().flat_map(Locations::codes));
            codes.any(|code| self.http.holds_secret(code))
        };
        if echoes {
            return refuse(
                Some(&id),
                None,
                "a location code holds the API token or another credential (not printed)".into(),
                Reason::new(Code::LocationHoldsSecret),
            );
        }
        // Listed before: the ID, or with --location-field the ID at its
        // location (a record whose location cannot be read is refused for
        // that, and is no pair).
        let new = match (&self.settings.format.location, &location) {
            (None, _) => self.ids.insert(id.as_str()),
            (Some(_), Some(location)) => self.ids.insert(&(id.as_str(), location.as_str())),
            (Some(_), None) => true,
        };
        if !new {
            let why = match &location {
                None => format!(
                    "external ID {} is listed twice (it was listed before): none of its \
                     quantities is to be used",
                    quote(&id)
                ),
                Some(location) => format!(
                    "external ID {} is listed twice at location {} (it was listed there \
                     before): none of its quantities is to be used",
                    quote(&id),
                    quote(location)
                ),
            };
            return refuse(
                Some(&id),
                location.as_deref(),
                why,
                Reason::new(Code::ListedTwice),
            );
        }
        match result {
            Ok(quantity) => {
                let mut outcome = Outcome::ok(&id, quantity, exchange.attempts, exchange.elapsed)
                    .at_location(location)
                    .with_locations(locations);
                outcome.http_status = Some(status);
                outcome
            }
            Err(error) => refuse(
                Some(&id),
                location.as_deref(),
                error.to_string(),
                error.reason(),
            ),
        }
    }

    /// The URL after a page's cursor: a URL on the base URL's origin is
    /// followed as given, anything else is sent as `--cursor-param`, unless
    /// an earlier page gave it already.
    fn after_cursor(&mut self, number: u64, url: &Url, cursor: &str) -> Result<Url, Stop> {
        if is_absolute_url(cursor) {
            return self.follow(number, url, cursor);
        }
        if !self.cursors.insert(cursor) {
            return Err(Stop::Incomplete(
                format!(
                    "page {} was not read: page {number} (GET {url}) gives the cursor {}, which \
                     an earlier page gave (a loop)",
                    number + 1,
                    quote(cursor)
                ),
                Reason::new(Code::PageLoop).with("repeated", "cursor"),
            ));
        }
        Ok(self.url_with(&[(&self.settings.cursor_param, cursor)]))
    }

    /// The next page's URL as a page gives it (`Link` or a cursor that is a
    /// URL), resolved against that page's URL, if it stays on the base URL's
    /// origin.
    fn follow(&self, number: u64, url: &Url, target: &str) -> Result<Url, Stop> {
        let next = number + 1;
        let mut resolved = url.join(target).map_err(|e| {
            Stop::Incomplete(
                format!(
                    "page {next} was not read: page {number} (GET {url}) gives as the next page \
                     {}, which is not a URL ({e})",
                    quote(target)
                ),
                Reason::new(Code::NextPageNotUrl),
            )
        })?;
        resolved.set_fragment(None);
        if !same_origin(&resolved, self.start) {
            return Err(Stop::Incomplete(
                format!(
                    "page {next} was not read: page {number} (GET {url}) gives as the next page \
                     {resolved}, which is not on {} (the base URL's scheme, host and port): not \
                     followed, the token is never sent elsewhere",
                    origin(self.start)
                ),
                Reason::new(Code::NextPageOtherOrigin),
            ));
        }
        if !resolved.username().is_empty() || resolved.password().is_some() {
            return Err(Stop::Incomplete(
                format!(
                    "page {next} was not read: page {number} (GET {url}) gives as the next page \
                     a URL with credentials in it: not followed"
                ),
                Reason::new(Code::NextPageCredentials),
            ));
        }
        Ok(resolved)
    }
}

/// What a page's line needs of its exchange.
struct PageExchange {
    status: StatusCode,
    attempts: u32,
    elapsed: Duration,
}

/// Whether `text` is an absolute http(s) URL (a next page given in full).
fn is_absolute_url(text: &str) -> bool {
    let lower = |n: usize| text.get(..n).map(str::to_ascii_lowercase);
    lower(7).is_some_and(|s| s == "http://") || lower(8).is_some_and(|s| s == "https://")
}

/// Same scheme, host and port (default ports included).
fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host() == b.host()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// `scheme://host:port`.
fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// The target of the first `Link` whose `rel` includes `next` (RFC 8288),
/// across every `Link` header.
pub fn next_link(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::LINK)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(next_in_link_header)
}

/// `<url>; rel="next"` in one `Link` header value of comma-separated links.
fn next_in_link_header(value: &str) -> Option<String> {
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        let inner = rest.strip_prefix('<')?;
        let end = inner.find('>')?;
        let target = &inner[..end];
        rest = &inner[end + 1..];
        // The link's parameters run to the next comma outside quotes.
        let mut in_quotes = false;
        let mut escaped = false;
        let params_end = rest
            .char_indices()
            .find(|&(_, c)| {
                if escaped {
                    escaped = false;
                } else if in_quotes && c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    in_quotes = !in_quotes;
                } else if c == ',' && !in_quotes {
                    return true;
                }
                false
            })
            .map_or(rest.len(), |(i, _)| i);
        let params = &rest[..params_end];
        rest = &rest[params_end..];
        let is_next = params.split(';').any(|param| {
            let Some((name, value)) = param.split_once('=') else {
                return false;
            };
            name.trim().eq_ignore_ascii_case("rel")
                && value
                    .trim()
                    .trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|rel| rel.eq_ignore_ascii_case("next"))
        });
        if is_next {
            return Some(target.trim().to_owned());
        }
    }
}

/// The `Date` header in RFC 3339 (`2026-12-04T10:00:00Z`).
fn server_time(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::DATE)?.to_str().ok()?;
    let time = httpdate::parse_http_date(value).ok()?;
    Some(rfc3339(time))
}

/// A time in RFC 3339, UTC, to the second (`2026-12-04T10:00:00Z`). A time
/// before 1970 is 1970's first second, one after 9999 the last second of
/// 9999 (a `Date` header is neither).
pub fn rfc3339(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let utc = i64::try_from(secs)
        .ok()
        .and_then(|secs| OffsetDateTime::from_unix_timestamp(secs).ok())
        .unwrap_or(datetime!(9999-12-31 23:59:59 UTC));
    utc.format(&Rfc3339)
        .expect("a UTC time of years 1970 to 9999, to the second, has an RFC 3339 form")
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn rfc3339_of_http_dates() {
        let cases = [
            ("Thu, 01 Jan 1970 00:00:00 GMT", "1970-01-01T00:00:00Z"),
            ("Fri, 04 Dec 2026 10:00:00 GMT", "2026-12-04T10:00:00Z"),
            ("Tue, 29 Feb 2028 23:59:59 GMT", "2028-02-29T23:59:59Z"),
            ("not a date", ""),
            ("Fri, 31 Dec 9999 23:59:59 GMT", "9999-12-31T23:59:59Z"),
            ("Wed, 01 Mar 2000 12:30:05 GMT", "2000-03-01T12:30:05Z"),
        ];
        for (date, expected) in cases {
            let mut headers = HeaderMap::new();
            headers.insert(header::DATE, HeaderValue::from_str(date).unwrap());
            assert_eq!(
                server_time(&headers).unwrap_or_default(),
                expected,
                "{date}"
            );
        }
        assert_eq!(server_time(&HeaderMap::new()), None);
    }

    #[test]
    fn rfc3339_of_every_day_for_ten_years() {
        // Against httpdate's own calendar.
        for day in 0..3653u64 {
            let time = UNIX_EPOCH + Duration::from_secs(day * 86_400 + 3_723 + 20_000 * 86_400);
            let http = httpdate::fmt_http_date(time);
            let mut headers = HeaderMap::new();
            headers.insert(header::DATE, HeaderValue::from_str(&http).unwrap());
            assert_eq!(server_time(&headers).unwrap(), rfc3339(time));
            let text = rfc3339(time);
            let (date, clock) = text.split_once('T').unwrap();
            assert_eq!(clock, "01:02:03Z");
            let parts: Vec<&str> = date.split('-').collect();
            let months = [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ];
            let month: usize = parts[1].parse().unwrap();
            let day_of_month: u32 = parts[2].parse().unwrap();
            assert!(
                http.contains(&format!(
                    "{day_of_month:02} {} {}",
                    months[month - 1],
                    parts[0]
                )),
                "{http} vs {text}"
            );
        }
    }

    fn links(values: &[&str]) -> Option<String> {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(header::LINK, HeaderValue::from_str(value).unwrap());
        }
        next_link(&headers)
    }

    #[test]
    fn link_headers() {
        let shopify = r#"<https://shop.example.com/admin/api/2024-01/inventory_levels.json?limit=50&page_info=abc>; rel="previous", <https://shop.example.com/admin/api/2024-01/inventory_levels.json?limit=50&page_info=def>; rel="next""#;
        assert_eq!(
            links(&[shopify]).as_deref(),
            Some(
                "https://shop.example.com/admin/api/2024-01/inventory_levels.json?limit=50&page_info=def"
            )
        );
        assert_eq!(links(&["</p2>; rel=next"]).as_deref(), Some("/p2"));
        assert_eq!(
            links(&[r#"</p2>; rel="prefetch next""#]).as_deref(),
            Some("/p2")
        );
        assert_eq!(links(&[r#"</p2>; REL="Next""#]).as_deref(), Some("/p2"));
        assert_eq!(
            links(&[
                r#"</a>; title="x, rel=next"; rel="last""#,
                r#"</b>; rel="next""#
            ])
            .as_deref(),
            Some("/b")
        );
        assert_eq!(
            links(&[r#"</a>; rel="nextish""#, r#"</z>; rel="prev""#]),
            None
        );
        assert_eq!(links(&[]), None);
        assert_eq!(links(&["garbage"]), None);
        assert_eq!(links(&["<unterminated; rel=next"]), None);
    }

    #[test]
    fn origins() {
        let base = Url::parse("http://127.0.0.1:5000/api").unwrap();
        let same = ["http://127.0.0.1:5000/x?y=1", "HTTP://127.0.0.1:5000/"];
        for url in same {
            assert!(same_origin(&Url::parse(url).unwrap(), &base), "{url}");
        }
        let other = [
            "https://127.0.0.1:5000/x",
            "http://127.0.0.1:5001/x",
            "http://localhost:5000/x",
            "http://127.0.0.2:5000/x",
            "http://127.0.0.1/x",
        ];
        for url in other {
            assert!(!same_origin(&Url::parse(url).unwrap(), &base), "{url}");
        }
        let https = Url::parse("https://h.example").unwrap();
        assert!(same_origin(
            &Url::parse("https://h.example:443/p").unwrap(),
            &https
        ));
        assert!(is_absolute_url("HTTPS://h/x"));
        assert!(is_absolute_url("http://h"));
        assert!(!is_absolute_url("opaque-cursor"));
        assert!(!is_absolute_url("/api/stock?cursor=x"));
        assert!(!is_absolute_url("http:/x"));
    }
}
