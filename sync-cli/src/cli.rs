//! Command-line interface (clap derive; `///` comments are the help text).

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args, Parser, Subcommand};
use reqwest::header::HeaderName;

use crate::asked::{DEFAULT_IDS_PER_REQUEST, MAX_IDS_PER_REQUEST};
use crate::auth::{AUTH_ENV, AUTH_HEADER_ENV, AuthScheme, parse_header_name};
use crate::listing::Paging;
use crate::output::Format;
use crate::page::Pointer;
use crate::rate::MAX_RPS_CEILING;
use crate::target::{parse_endpoint, parse_listing_endpoint};
use crate::tls::CA_FILE_ENV;
use crate::validate::{MAX_QUANTITY_CEILING, MAX_QUANTITY_FLOOR};

pub use crate::auth::{TOKEN_ENV, USER_ENV};

/// Fetch stock quantities from GlobalShop's stock API.
///
/// For each external ID, `sync-cli fetch` asks the API for the product's
/// on-hand quantity and prints one JSON line saying what it found;
/// `sync-cli list` reads the API's listing of many products a page, and
/// prints the same line for each record.
#[derive(Debug, Parser)]
#[command(
    name = "sync-cli",
    version,
    propagate_version = true,
    args_override_self = true,
    after_help = EXIT_STATUS
)]
pub struct Cli {
    /// More logs on stderr: -v info (retries), -vv debug, -vvv trace. RUST_LOG
    /// overrides.
    #[arg(short, long, action = ArgAction::Count, global = true, display_order = 100)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fetch the quantity of each external ID: one JSON line per ID on stdout, in
    /// input order.
    #[command(after_help = FETCH_AFTER_HELP, args_override_self = true)]
    Fetch(FetchArgs),
    /// Read the API's whole listing, page by page: one JSON line per record on
    /// stdout, then one line saying whether the listing is complete.
    #[command(
        after_help = LIST_AFTER_SHORT_HELP,
        after_long_help = LIST_AFTER_HELP,
        args_override_self = true
    )]
    List(Box<ListArgs>),
}

impl Command {
    /// The HTTP options of either command.
    pub fn http(&self) -> &HttpArgs {
        match self {
            Command::Fetch(args) => &args.http,
            Command::List(args) => &args.http,
        }
    }
}

/// Options of `sync-cli fetch`.
#[derive(Debug, Args)]
pub struct FetchArgs {
    /// External IDs to fetch. Without any, IDs are read from stdin, one per line
    /// (blank lines, empty or only spaces and tabs, are skipped).
    #[arg(value_name = "ID", value_parser = parse_id)]
    pub ids: Vec<String>,

    /// Base URL of the stock API (http or https).
    // Checked by `target::parse_base_url` after parsing, not as a clap value
    // parser: clap would repeat the value, credentials included, in its error.
    #[arg(long, value_name = "URL", env = "STOCK_API_URL")]
    pub base_url: String,

    /// Path template appended to the base URL; {id} becomes the external ID,
    /// percent-encoded as one path segment.
    #[arg(
        long,
        value_name = "TEMPLATE",
        env = "STOCK_API_ENDPOINT",
        default_value = "/api/stock/{id}",
        value_parser = parse_endpoint
    )]
    pub endpoint: String,

    #[command(flatten)]
    pub http: HttpArgs,

    /// Requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,

    /// Output format: jsonl for programs, table for people.
    #[arg(long, value_enum, default_value_t = Format::Jsonl)]
    pub format: Format,
}

/// Options of `sync-cli list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// External IDs to ask for, with --ids-param. Without any, --ids-param
    /// reads them from stdin, one per line (blank lines are skipped).
    #[arg(value_name = "ID", value_parser = parse_id, requires = "ids_param")]
    pub ids: Vec<String>,

    /// Base URL of the stock API (http or https).
    // Checked after parsing, as for `fetch`.
    #[arg(long, value_name = "URL", env = "STOCK_API_URL")]
    pub base_url: String,

    /// Path of the listing, appended to the base URL (a query may follow,
    /// e.g. /inventory_levels.json?location_ids=1).
    #[arg(
        long,
        value_name = "PATH",
        env = "STOCK_API_LISTING_ENDPOINT",
        default_value = "/api/stock",
        value_parser = parse_listing_endpoint
    )]
    pub endpoint: String,

    /// How the next page is found: cursor (in the body), link (the Link
    /// header's rel="next"), page (numbers 1, 2, ...) or offset (0, N, 2N,
    /// ...). page and offset stop at the first page with no record.
    #[arg(long, value_enum, value_name = "STYLE", default_value_t = Paging::Cursor)]
    pub paging: Paging,

    /// Query parameter that sends the cursor back (cursor paging).
    #[arg(long, value_name = "NAME", default_value = "cursor", value_parser = parse_param)]
    pub cursor_param: String,

    /// JSON pointer to the next page's cursor in a page (cursor paging); null
    /// or absent ends the listing; an absolute http(s) URL there is followed
    /// as given, like a Link.
    #[arg(long, value_name = "POINTER", default_value = "/next_cursor", value_parser = Pointer::parse)]
    pub cursor_field: Pointer,

    /// Query parameter of the page number (page paging).
    #[arg(long, value_name = "NAME", default_value = "page", value_parser = parse_param)]
    pub page_param: String,

    /// Query parameter of the offset (offset paging).
    #[arg(long, value_name = "NAME", default_value = "offset", value_parser = parse_param)]
    pub offset_param: String,

    /// Query parameter of the page size ('' sends none). Not added to URLs
    /// that a page gives (Link, a cursor that is a URL).
    #[arg(long, value_name = "NAME", default_value = "limit")]
    pub page_size_param: String,

    /// Records asked for per page (an API may serve fewer).
    #[arg(long, value_name = "N", default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub page_size: u32,

    /// JSON pointer to the array of records in a page ('' for a page that is
    /// the array itself).
    #[arg(long, value_name = "POINTER", default_value = "/items", value_parser = Pointer::parse)]
    pub records_path: Pointer,

    /// JSON pointer to the external ID in a record (a string or a number).
    #[arg(long, value_name = "POINTER", default_value = "/product_id", value_parser = Pointer::parse)]
    pub id_field: Pointer,

    /// JSON pointer to the quantity in a record (a string or a number).
    #[arg(long, value_name = "POINTER", default_value = "/quantity", value_parser = Pointer::parse)]
    pub quantity_field: Pointer,

    /// JSON pointer to the location in a record, for a listing of one record
    /// per item and location (a string or a number, a code by the rules of
    /// an external ID): each line then names its location. Without it, a
    /// record's "locations" array is read.
    #[arg(long, value_name = "POINTER", value_parser = Pointer::parse)]
    pub location_field: Option<Pointer>,

    /// Only what changed since TIME (as the API reads it, e.g. RFC 3339
    /// 2026-12-04T10:00:00Z), sent as --since-param. Not added to URLs that
    /// a page gives.
    #[arg(long, value_name = "TIME", value_parser = parse_since)]
    pub since: Option<String>,

    /// Query parameter of --since.
    #[arg(long, value_name = "NAME", default_value = "updated_since", value_parser = parse_param)]
    pub since_param: String,

    /// Ask only for some external IDs (the arguments, or stdin's lines),
    /// comma-separated in this query parameter (e.g. include,
    /// inventory_item_ids), at most --ids-per-request a request, each
    /// request's pages followed as usual. Records of other IDs are left
    /// out; an ID that no record answers gets a not_found line (reason
    /// not_listed).
    #[arg(long, value_name = "NAME", value_parser = parse_param)]
    pub ids_param: Option<String>,

    /// Most IDs in one request of --ids-param (1 to 1000).
    #[arg(
        long,
        value_name = "N",
        default_value_t = DEFAULT_IDS_PER_REQUEST,
        value_parser = clap::value_parser!(u16).range(1..=i64::from(MAX_IDS_PER_REQUEST)),
        requires = "ids_param"
    )]
    pub ids_per_request: u16,

    /// Most pages read; a listing with more ends incomplete.
    #[arg(long, value_name = "N", default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_pages: u64,

    #[command(flatten)]
    pub http: HttpArgs,
}

/// Options of the HTTP side, the same for `fetch` and `list`.
#[derive(Debug, Args)]
pub struct HttpArgs {
    /// Time limit of each attempt in seconds, from connecting to the end of the
    /// body.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_seconds)]
    pub timeout: Duration,

    /// Time limit of connecting, in seconds.
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = parse_seconds)]
    pub connect_timeout: Duration,

    /// Retries after connection errors, timeouts, 5xx, 408 and 429 (exponential
    /// backoff with jitter; a 429 or 503's Retry-After is honoured up to 10 s).
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u32).range(0..=20))]
    pub retries: u32,

    /// Most requests a second, across all workers (0: no cap; decimals
    /// allowed, 0.5 is one every 2 s). Besides, an answer saying the API's
    /// quota is spent (RateLimit-Remaining: 0 or X-RateLimit-Remaining: 0)
    /// holds every request until its RateLimit-Reset (at most 60 s).
    #[arg(long, value_name = "N", default_value = "0", value_parser = parse_max_rps)]
    pub max_rps: f64,

    /// Largest body accepted, in bytes (one answer, or one page of a
    /// listing); a larger one is invalid_response (fetch) or ends the
    /// listing (list).
    #[arg(long, value_name = "N", default_value_t = 1024 * 1024, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_body_bytes: u64,

    /// Largest quantity accepted (a sanity bound); a larger one is
    /// invalid_response, never applied. From 1 to 100000000000000 (1e14).
    #[arg(long, value_name = "N", default_value = "1000000000", value_parser = parse_max_quantity)]
    pub max_quantity: f64,

    /// PEM file of CA certificates to trust besides the system's (for an API
    /// whose certificate comes from a private CA). Certificates are always
    /// verified.
    #[arg(long, value_name = "PATH", env = CA_FILE_ENV)]
    pub ca_file: Option<PathBuf>,

    /// How the credentials are sent: the token from STOCK_API_TOKEN, and for
    /// basic the user from STOCK_API_USER (the token may then be empty).
    #[arg(long, value_enum, value_name = "SCHEME", env = AUTH_ENV, default_value_t = AuthScheme::Bearer)]
    pub auth: AuthScheme,

    /// The header that carries the token with --auth header (e.g.
    /// X-Shopify-Access-Token); required by --auth header, refused with
    /// another scheme.
    #[arg(long, value_name = "NAME", env = AUTH_HEADER_ENV, value_parser = parse_header_name)]
    pub auth_header: Option<HeaderName>,
}

/// The exit statuses and the first examples, shared by both help texts.
macro_rules! exit_status_and_examples {
    () => {
        "\
Exit status:
  0  every ID is ok
  3  at least one ID is not ok (the output is still complete)
  2  usage error
  1  the run failed (e.g. stdin unreadable); stderr says why in one line

Examples:
  STOCK_API_URL=http://127.0.0.1:5000 sync-cli fetch GS-1001 GS-1002
  printf 'GS-1001\\nGS-9001\\n' | sync-cli fetch --base-url http://127.0.0.1:5000"
    };
}

const EXIT_STATUS: &str = concat!(
    exit_status_and_examples!(),
    "\n  sync-cli fetch --help\n  sync-cli list --help  (the listing: its own exit statuses and examples)"
);

const FETCH_AFTER_HELP: &str = concat!(
    "\
Credentials:
  Set STOCK_API_TOKEN to send `Authorization: Bearer <token>` (--auth bearer,
  the default). --auth header --auth-header X-Api-Key sends `X-Api-Key: <token>`;
  --auth basic sends `Authorization: Basic base64(<user>:<token>)`, the user
  from STOCK_API_USER. The token and the user are never options (they would
  show in `ps`) and never printed, nor is the base64 that carries them.

Output (jsonl), one object per ID, in input order:
  {\"external_id\":\"GS-1001\",\"status\":\"ok\",\"quantity\":50.0,\"http_status\":200,\"attempts\":1,\"elapsed_ms\":3}
  {\"external_id\":\"GS-0000\",\"status\":\"not_found\",\"reason\":\"not_found\",\"http_status\":404,\"error\":\"GET ... answered 404 Not Found: ...\",...}
  status: ok, not_found, invalid_response, connection_error, timeout, http_error;
  every non-ok object has an \"error\" sentence naming the URL, and a stable
  \"reason\" code (quantity_negative, product_id_mismatch, not_json, ...) with
  the values it names as keys (\"value\", \"expected\", \"got\", \"limit\", ...);
  the codes are listed in docs/sync-cli.md.

External IDs:
  1 to 255 characters; spaces and any Unicode are allowed and percent-encoded
  as one URL path segment. An ID longer than 255 characters, or with a control
  character (Unicode categories Cc, Cf, Zl, Zp: tab, ESC, U+200B, U+2028, ...),
  or that starts or ends with whitespace (U+0020, U+00A0, U+3000, ...), or
  that is . or .., is http_error with attempts 0: no request is sent.

Blank lines:
  A stdin line that is empty or only spaces and tabs is skipped; any other
  line is one ID (only its line ending, \\n, \\r\\n or a final \\r, is removed).

Quantities:
  \"quantity\" is a JSON number (50, 12.5, 1e3), or a JSON string of digits with
  an optional fraction (\"50\", \"12.5\"; not \"+5\", \" 5\", \"1e3\", \".5\", \"5.\",
  \"1,5\", \"0x10\", \"NaN\"; at most 1000 characters). Rounded to a double, it must
  be finite, not below 0 and not above --max-quantity; otherwise the answer is
  invalid_response and the quantity is never applied.

TLS:
  https:// certificates are verified against the system's CA certificates
  (SSL_CERT_FILE / SSL_CERT_DIR when set) plus those of --ca-file. Plain http://
  to a host other than localhost, 127.0.0.0/8 or ::1 logs a warning.

",
    exit_status_and_examples!(),
    "
  sync-cli fetch --base-url https://api.example.com --format table GS-1001
  sync-cli fetch --timeout 2 --retries 0 --concurrency 32 < ids.txt > results.jsonl"
);

const LIST_AFTER_SHORT_HELP: &str =
    "Examples for each paging style, the output and the exit statuses: sync-cli list --help";

const LIST_AFTER_HELP: &str = "\
Output (jsonl): one object per record, as fetch prints them, page by page:
  {\"external_id\":\"GS-1001\",\"status\":\"ok\",\"quantity\":50.0,\"http_status\":200,\"attempts\":1,\"elapsed_ms\":12}
  {\"external_id\":\"GS-1002\",\"status\":\"invalid_response\",\"reason\":\"quantity_negative\",\"value\":\"-5\",\"error\":\"page 1 (...), record 2: ...\"}
then one last line about the listing itself:
  {\"listing\":\"complete\",\"records\":1200,\"pages\":3,\"server_time\":\"2026-12-04T10:00:00Z\"}
  {\"listing\":\"incomplete\",\"reason\":\"server_error\",\"records\":500,\"pages\":1,\"error\":\"page 2: GET ... answered 503 ...\"}
  server_time is the first page's Date header (the API's clock): ask the next
  delta --since that time, minus a margin. attempts and elapsed_ms of a record
  are its page's.

Records:
  IDs and quantities follow fetch's rules (see sync-cli fetch --help). A record
  whose ID cannot be read is invalid_response without external_id. An ID listed
  again is invalid_response (reason listed_twice) where it is listed again:
  take each ID's LAST line, and an ID listed twice is never applied.

Some IDs only:
  sync-cli list --ids-param include GS-1001 GS-1002 asks ?include=GS-1001,GS-1002
  (at most --ids-per-request IDs a request; stdin's lines when no ID is given).
  Records of other IDs are left out; an ID that no record answers gets
  {\"external_id\":\"...\",\"status\":\"not_found\",\"reason\":\"not_listed\",...}.

Never followed, each ending the listing as incomplete:
  a next page (Link, or a cursor that is a URL) off the base URL's scheme, host
  and port (the token is never sent elsewhere); a page URL, cursor or page body
  seen before (a loop); more than --max-pages pages; a page over
  --max-body-bytes; a page that is not JSON or has no array of records; a page
  that still fails after --retries.

Exit status:
  0  the listing is complete and every record is ok
  3  the listing is complete, some records are not ok
  1  the listing is incomplete (the last line says why; the records before stay)
  2  usage error

Examples, one per paging style:
  # cursor (GlobalShop's listing, the defaults): {\"items\": [...], \"next_cursor\": \"...\"}
  STOCK_API_URL=http://127.0.0.1:5000 sync-cli list
  sync-cli list --base-url http://127.0.0.1:5000 --since 2026-12-04T09:55:00Z

  # link (Shopify-like): Link: <...>; rel=\"next\", {\"inventory_levels\": [...]}
  sync-cli list --base-url https://shop.example.com \\
    --endpoint '/admin/api/2024-01/inventory_levels.json?location_ids=1' \\
    --paging link --page-size 250 --records-path /inventory_levels \\
    --id-field /inventory_item_id --quantity-field /available

  # page (WooCommerce-like): ?page=1&per_page=100, the page is the array itself
  sync-cli list --base-url https://shop.example.com --endpoint /wp-json/wc/v3/products \\
    --paging page --page-param page --page-size-param per_page --page-size 100 \\
    --records-path '' --id-field /sku --quantity-field /stock_quantity

  # offset: ?offset=0&limit=200, then offset=200, ... (by the records received)
  sync-cli list --base-url https://erp.example.com --endpoint /v1/stock \\
    --paging offset --offset-param offset --page-size 200 \\
    --records-path /data --id-field /sku --quantity-field /on_hand";

/// A query parameter's name: not empty.
fn parse_param(value: &str) -> Result<String, String> {
    if value.is_empty() {
        Err("a query parameter's name cannot be empty".into())
    } else {
        Ok(value.to_owned())
    }
}

/// `--since`: not blank, no control character.
fn parse_since(value: &str) -> Result<String, String> {
    if crate::id::is_blank(value) || value.chars().any(char::is_control) {
        Err("--since needs a time, e.g. 2026-12-04T10:00:00Z".into())
    } else {
        Ok(value.to_owned())
    }
}

/// `--max-rps`: from 0 (no cap) to [`MAX_RPS_CEILING`], decimals allowed.
fn parse_max_rps(value: &str) -> Result<f64, String> {
    let rps: f64 = value
        .parse()
        .map_err(|_| format!("{value:?} is not a number of requests a second"))?;
    if !(0.0..=MAX_RPS_CEILING).contains(&rps) {
        return Err(format!(
            "{value} must be from 0 (no cap) to {MAX_RPS_CEILING}"
        ));
    }
    Ok(rps)
}

/// An ID given as an argument: not blank (see [`crate::id::is_blank`]).
fn parse_id(value: &str) -> Result<String, String> {
    if crate::id::is_blank(value) {
        Err("an external ID cannot be blank".into())
    } else {
        Ok(value.to_owned())
    }
}

/// The `--max-quantity` limit: a number from [`MAX_QUANTITY_FLOOR`] to
/// [`MAX_QUANTITY_CEILING`].
fn parse_max_quantity(value: &str) -> Result<f64, String> {
    let max: f64 = value
        .parse()
        .map_err(|_| format!("{value:?} is not a number"))?;
    if !(MAX_QUANTITY_FLOOR..=MAX_QUANTITY_CEILING).contains(&max) {
        return Err(format!(
            "{value} must be from {MAX_QUANTITY_FLOOR} to {MAX_QUANTITY_CEILING:.0}"
        ));
    }
    Ok(max)
}

/// Seconds as a positive decimal (`10`, `0.5`), at most a day.
fn parse_seconds(value: &str) -> Result<Duration, String> {
    let secs: f64 = value
        .parse()
        .map_err(|_| format!("{value:?} is not a number of seconds"))?;
    if !(secs > 0.0 && secs <= 86_400.0) {
        return Err(format!(
            "{value} must be more than 0 and at most 86400 seconds"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::MAX_ID_CHARS;
    use crate::invalid::MAX_QUANTITY_CHARS;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn max_quantity() {
        assert_eq!(parse_max_quantity("1000000000"), Ok(1e9));
        assert_eq!(parse_max_quantity("1e14"), Ok(1e14));
        assert_eq!(parse_max_quantity("1"), Ok(1.0));
        assert_eq!(parse_max_quantity("12.5"), Ok(12.5));
        for bad in ["0", "0.5", "-0", "-1", "NaN", "inf", "1e15", "x", ""] {
            assert!(parse_max_quantity(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn help_states_the_limits_of_the_code() {
        assert!(FETCH_AFTER_HELP.contains(&format!("1 to {MAX_ID_CHARS} characters")));
        assert!(FETCH_AFTER_HELP.contains(&format!("at most {MAX_QUANTITY_CHARS} characters")));
    }

    #[test]
    fn max_rps() {
        assert_eq!(parse_max_rps("0"), Ok(0.0));
        assert_eq!(parse_max_rps("2"), Ok(2.0));
        assert_eq!(parse_max_rps("0.5"), Ok(0.5));
        for bad in ["-1", "NaN", "inf", "x", "", "10001"] {
            assert!(parse_max_rps(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn list_help_has_an_example_per_paging_style() {
        for style in ["cursor", "link", "page", "offset"] {
            assert!(LIST_AFTER_HELP.contains(&format!("# {style}")), "{style}");
        }
        for style in ["--paging link", "--paging page", "--paging offset"] {
            assert!(LIST_AFTER_HELP.contains(style), "{style}");
        }
    }

    #[test]
    fn seconds() {
        assert_eq!(parse_seconds("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_seconds("0.5"), Ok(Duration::from_millis(500)));
        for bad in ["0", "-1", "NaN", "inf", "x", "", "1e9"] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
    }
}
