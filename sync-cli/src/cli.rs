//! Command-line interface (clap derive; `///` comments are the help text).

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args, Parser, Subcommand};

use crate::output::Format;
use crate::target::parse_endpoint;
use crate::tls::CA_FILE_ENV;
use crate::validate::{MAX_QUANTITY_CEILING, MAX_QUANTITY_FLOOR};

/// Environment variable holding the API token.
pub const TOKEN_ENV: &str = "STOCK_API_TOKEN";

/// Fetch stock quantities from GlobalShop's stock API.
///
/// For each external ID, `sync-cli fetch` asks the API for the product's
/// on-hand quantity and prints one JSON line saying what it found.
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

    /// Requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,

    /// Largest body accepted, in bytes; a larger one is invalid_response.
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

    /// Output format: jsonl for programs, table for people.
    #[arg(long, value_enum, default_value_t = Format::Jsonl)]
    pub format: Format,
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

const EXIT_STATUS: &str = concat!(exit_status_and_examples!(), "\n  sync-cli fetch --help");

const FETCH_AFTER_HELP: &str = concat!(
    "\
Token:
  Set STOCK_API_TOKEN to send `Authorization: Bearer <token>`. It is never an
  option (it would show in `ps`) and never printed.

Output (jsonl), one object per ID, in input order:
  {\"external_id\":\"GS-1001\",\"status\":\"ok\",\"quantity\":50.0,\"http_status\":200,\"attempts\":1,\"elapsed_ms\":3}
  {\"external_id\":\"GS-0000\",\"status\":\"not_found\",\"http_status\":404,\"error\":\"GET ... answered 404 Not Found: ...\",...}
  status: ok, not_found, invalid_response, connection_error, timeout, http_error;
  every non-ok object has an \"error\" sentence naming the URL.

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
    use crate::validate::MAX_QUANTITY_CHARS;
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
    fn seconds() {
        assert_eq!(parse_seconds("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_seconds("0.5"), Ok(Duration::from_millis(500)));
        for bad in ["0", "-1", "NaN", "inf", "x", "", "1e9"] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
    }
}
