//! `sync-cli`: fetch stock quantities from GlobalShop's stock API.
//!
//! The library behind the `sync-cli` program. Two commands share one HTTP
//! side, one rulebook and one output:
//!
//! - `fetch` ([`fetch_all`]): external IDs in, one GET each by a pool of
//!   workers, one result per ID out, in input order;
//! - `list` ([`list_all`]): one listing read page by page, one result per
//!   record out as each page arrives, then a trailer line.
//!
//! | module | what |
//! | --- | --- |
//! | [`cli`] | the command line (clap); `main.rs` only wires it up |
//! | [`http`] | the one HTTP client: a GET with retries, rate, body limit |
//! | [`rate`] | `--max-rps` and the API's quota (`RateLimit-*` headers) |
//! | [`retry`] | backoff and `Retry-After` |
//! | [`attempt`] | how one request ended, and the sentence saying so |
//! | [`id`] | rulebook: which external IDs are valid |
//! | [`json`] | the one reader of untrusted JSON, JSON pointers |
//! | [`invalid`] | why an untrusted body is refused, and its reason code |
//! | [`quantity`] | rulebook: a quantity, the product's or a location's |
//! | [`locations`] | rulebook: the optional quantities per location |
//! | [`validate`] | rulebook: an untrusted answer, its product ID |
//! | [`target`] | base URL, endpoint template, percent-encoding of IDs |
//! | [`fetch`] | `fetch`, one ID: its URL, one GET, its body checked |
//! | [`fetching`] | `fetch`: the run, its progress bar, results counted |
//! | [`pipeline`] | `fetch`'s workers, bounded channels, reorder buffer |
//! | [`listing`] | `list`: paging, what is never followed, the trailer |
//! | [`page`] | `list`, one page: JSON pointers, records by the rulebook |
//! | [`asked`] | `list --ids-param`: the IDs asked for, in groups |
//! | [`seen`] | `list`: compact sets of IDs, URLs, cursors seen |
//! | [`outcome`] | one result line (`fetch`'s and `list`'s) |
//! | [`reason`] | the stable codes of `reason`: why a line is not ok |
//! | [`output`] | where results go ([`output::Sink`]): JSON lines, table, summary |
//! | [`auth`] | `--auth`: the header that carries the credentials |
//! | [`token`] | the secrets and their redaction from everything printed |
//! | [`tls`] | extra CA certificates, the plain-http warning |
//! | [`logging`] | logs on stderr, redacted |
//! | [`error`] | errors that stop a run (per-ID failures are outcomes) |

pub mod asked;
pub mod attempt;
pub mod auth;
pub mod cli;
pub mod error;
pub mod fetch;
pub mod fetching;
pub mod http;
pub mod id;
pub mod invalid;
pub mod json;
pub mod listing;
pub mod locations;
pub mod logging;
pub mod outcome;
pub mod output;
pub mod page;
pub mod pipeline;
pub mod quantity;
pub mod rate;
pub mod reason;
pub mod retry;
pub mod seen;
pub mod target;
pub mod tls;
pub mod token;
pub mod validate;

pub use auth::{AuthScheme, Credentials};
pub use error::Error;
pub use fetch::Fetcher;
pub use fetching::{RunConfig, fetch_all};
pub use http::{Http, HttpSettings, USER_AGENT};
pub use listing::{IdsParam, ListSettings, ListSummary, Paging, list_all, list_ids};
pub use outcome::{Outcome, Status};
pub use output::{Format, Summary};
pub use pipeline::{Ids, LineIds};
pub use reason::{Code, Reason};
pub use target::{UrlTemplate, encode_segment};
pub use token::{Secrets, Token};
