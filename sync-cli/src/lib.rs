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
//! | [`validate`] | rulebook: an untrusted body, a product ID, a quantity |
//! | [`target`] | base URL, endpoint template, percent-encoding of IDs |
//! | [`fetch`] | `fetch`, one ID: its URL, one GET, its body checked |
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
pub mod http;
pub mod id;
pub mod json;
pub mod listing;
pub mod locations;
pub mod logging;
pub mod outcome;
pub mod output;
pub mod page;
pub mod pipeline;
pub mod rate;
pub mod reason;
pub mod retry;
pub mod seen;
pub mod target;
pub mod tls;
pub mod token;
pub mod validate;

use std::io::{BufRead, Write};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub use auth::{AuthScheme, Credentials};
pub use error::Error;
pub use fetch::Fetcher;
pub use http::{Http, HttpSettings};
pub use listing::{IdsParam, ListSettings, ListSummary, Paging, list_all, list_ids};
pub use outcome::{Outcome, Status};
pub use output::{Format, Summary};
pub use pipeline::{Ids, LineIds};
pub use reason::{Code, Reason};
pub use target::{UrlTemplate, encode_segment};
pub use token::{Secrets, Token};

/// `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("sync-cli/", env!("CARGO_PKG_VERSION"));

/// Everything a run needs besides its IDs and output.
#[derive(Debug)]
pub struct RunConfig {
    pub template: UrlTemplate,
    pub credentials: Credentials,
    pub settings: HttpSettings,
    /// Largest quantity accepted (`--max-quantity`).
    pub max_quantity: f64,
    pub concurrency: usize,
    pub format: Format,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// Pause the progress bar while writing output (stdout and stderr are the
    /// same terminal).
    pub output_is_terminal: bool,
}

/// Fetches every ID and writes the results to `out` in `config.format`.
pub fn fetch_all<R, W>(config: RunConfig, ids: Ids<R>, out: W) -> Result<Summary, Error>
where
    R: BufRead + Send + 'static,
    W: Write,
{
    let start = Instant::now();
    let http = Http::new(&config.credentials, config.settings)?;
    let fetcher = Fetcher::new(&http, config.template, config.max_quantity);
    let progress = config.progress.then(|| progress_bar(ids.len_hint()));
    let mut summary = Summary::default();
    let fetch = |id: &str| fetcher.fetch(id);
    let result = match config.format {
        Format::Jsonl => {
            let mut sink = Counting {
                inner: output::JsonLines::new(out),
                summary: &mut summary,
                progress: progress.as_ref(),
                suspend: config.output_is_terminal,
            };
            pipeline::run(ids, config.concurrency, &fetch, &mut sink)
        }
        Format::Table => {
            let mut sink = Counting {
                inner: output::Table::new(out),
                summary: &mut summary,
                progress: progress.as_ref(),
                suspend: config.output_is_terminal,
            };
            pipeline::run(ids, config.concurrency, &fetch, &mut sink).and_then(|()| {
                let Counting {
                    inner, progress, ..
                } = &mut sink;
                match progress {
                    Some(bar) => bar.suspend(|| inner.finish()),
                    None => inner.finish(),
                }
            })
        }
    };
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    summary.elapsed = start.elapsed();
    result.map(|()| summary)
}

fn progress_bar(len: Option<usize>) -> ProgressBar {
    let bar = match len {
        Some(len) => ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr())
            .with_style(
                ProgressStyle::with_template("{bar:40} {pos}/{len} IDs  {elapsed}  {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            ),
        None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
            ProgressStyle::with_template("{spinner} {pos} IDs  {elapsed}  {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    };
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// Counts statuses and moves the progress bar while passing results on.
struct Counting<'a, S> {
    inner: S,
    summary: &'a mut Summary,
    progress: Option<&'a ProgressBar>,
    suspend: bool,
}

impl<S: output::Sink> output::Sink for Counting<'_, S> {
    fn write(&mut self, outcome: Outcome) -> Result<(), Error> {
        self.summary.add(outcome.status);
        match self.progress {
            Some(bar) => {
                bar.inc(1);
                if !outcome.is_ok() {
                    let not_ok = self.summary.total() - self.summary.count(Status::Ok);
                    bar.set_message(format!("{not_ok} not ok"));
                }
                if self.suspend {
                    bar.suspend(|| self.inner.write(outcome))
                } else {
                    self.inner.write(outcome)
                }
            }
            None => self.inner.write(outcome),
        }
    }

    fn flush(&mut self) -> Result<(), Error> {
        match self.progress {
            Some(bar) if self.suspend => bar.suspend(|| self.inner.flush()),
            _ => self.inner.flush(),
        }
    }
}
