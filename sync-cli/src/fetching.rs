//! `sync-cli fetch`: every ID through [`crate::pipeline`]'s workers, one
//! result per ID written in input order, each counted for the [`Summary`],
//! with a progress bar on stderr when asked.

use std::io::{BufRead, Write};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::auth::Credentials;
use crate::error::Error;
use crate::fetch::Fetcher;
use crate::http::{Http, HttpSettings};
use crate::outcome::{Outcome, Status};
use crate::output::{self, Format, Sink, Summary};
use crate::pipeline::{self, Ids};
use crate::target::UrlTemplate;

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

impl<S: Sink> Sink for Counting<'_, S> {
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
