//! `sync-cli`: parse the command line, set up logging, run, map the outcome to
//! the documented exit status.

use std::io::{self, BufReader, BufWriter, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::{CommandFactory, Parser};
use sync_cli::cli::{Cli, Command, FetchArgs, HttpArgs, ListArgs};
use sync_cli::logging::init_logger;
use sync_cli::output::stdout_was_closed;
use sync_cli::page::PageFormat;
use sync_cli::retry::RetryPolicy;
use sync_cli::target::{listing_url, parse_base_url};
use sync_cli::tls::{load_ca_file, plain_http_warning};
use sync_cli::{
    Credentials, Format, Http, HttpSettings, Ids, IdsParam, LineIds, ListSettings, Paging,
    RunConfig, UrlTemplate,
};
use url::Url;

/// Some IDs (or records) were not `ok`.
const EXIT_NOT_ALL_OK: u8 = 3;
/// Usage error (also clap's own).
const EXIT_USAGE: u8 = 2;
/// The run itself failed (or the listing is incomplete).
const EXIT_FAILED: u8 = 1;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let http = cli.command.http();
    let credentials = match Credentials::from_env(http.auth, http.auth_header.as_ref()) {
        Ok(credentials) => credentials,
        Err(err) => return exit_code_for(&err.into()),
    };
    init_logger(cli.verbose, credentials.secrets().clone());
    match run(cli, credentials) {
        Ok(code) => code,
        Err(err) => exit_code_for(&err),
    }
}

/// Says why on stderr (if stderr can still be written to) and gives the exit
/// status.
fn exit_code_for(err: &anyhow::Error) -> ExitCode {
    match err.downcast_ref::<sync_cli::Error>() {
        Some(usage) if usage.is_usage() => {
            let _ = Cli::command()
                .error(clap::error::ErrorKind::ValueValidation, usage)
                .print();
            ExitCode::from(EXIT_USAGE)
        }
        _ => {
            let _ = writeln!(io::stderr().lock(), "sync-cli: {err:#}");
            ExitCode::from(EXIT_FAILED)
        }
    }
}

fn run(cli: Cli, credentials: Credentials) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Fetch(args) => fetch(args, credentials),
        Command::List(args) => list(args, &credentials),
    }
}

/// The HTTP settings of either command.
fn http_settings(args: &HttpArgs, pool_size: usize) -> anyhow::Result<HttpSettings> {
    let extra_roots = match &args.ca_file {
        Some(path) => load_ca_file(path)?,
        None => Vec::new(),
    };
    Ok(HttpSettings {
        timeout: args.timeout,
        connect_timeout: args.connect_timeout,
        retry: RetryPolicy::new(args.retries),
        max_body_bytes: args.max_body_bytes,
        pool_size,
        max_rps: args.max_rps,
        extra_roots,
    })
}

fn refuse_closed_stdout() -> anyhow::Result<()> {
    if stdout_was_closed() {
        anyhow::bail!(
            "stdout is closed, so every result would be lost (to throw them away on \
             purpose, redirect stdout to /dev/null for writing: > /dev/null)"
        );
    }
    Ok(())
}

fn fetch(args: FetchArgs, credentials: Credentials) -> anyhow::Result<ExitCode> {
    let base_url = parse_base_url(&args.base_url).map_err(sync_cli::Error::Usage)?;
    let template = UrlTemplate::new(&base_url, &args.endpoint)?;
    let settings = http_settings(&args.http, usize::from(args.concurrency))?;
    refuse_closed_stdout()?;
    base_url_warning(&base_url);
    let ids = if args.ids.is_empty() {
        Ids::Lines(BufReader::new(io::stdin()))
    } else {
        Ids::List(args.ids)
    };
    let stdout = io::stdout();
    let config = RunConfig {
        template,
        credentials,
        settings,
        max_quantity: args.http.max_quantity,
        concurrency: usize::from(args.concurrency),
        format: args.format,
        progress: io::stderr().is_terminal() && ids.len_hint().is_none_or(|n| n >= 20),
        output_is_terminal: stdout.is_terminal(),
    };
    log::debug!("fetching from {}", config.template.display());
    let summary = sync_cli::fetch_all(config, ids, BufWriter::new(stdout.lock()))
        .context("the run stopped")?;
    match args.format {
        Format::Table => writeln!(io::stderr().lock(), "{summary}")
            .context("cannot write the summary to stderr")?,
        Format::Jsonl => log::info!("{summary}"),
    }
    Ok(if summary.all_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_NOT_ALL_OK)
    })
}

fn list(args: Box<ListArgs>, credentials: &Credentials) -> anyhow::Result<ExitCode> {
    let args = *args;
    let base_url = parse_base_url(&args.base_url).map_err(sync_cli::Error::Usage)?;
    let start = listing_url(&base_url, &args.endpoint)?;
    let http = Http::new(credentials, http_settings(&args.http, 1)?)?;
    refuse_closed_stdout()?;
    base_url_warning(&base_url);
    let settings = ListSettings {
        paging: args.paging,
        cursor_param: args.cursor_param,
        page_param: args.page_param,
        offset_param: args.offset_param,
        page_size_param: args.page_size_param,
        page_size: args.page_size,
        since: args.since.map(|since| (args.since_param, since)),
        max_pages: args.max_pages,
        format: PageFormat {
            records: args.records_path,
            id: args.id_field,
            quantity: args.quantity_field,
            location: args.location_field,
            cursor: (args.paging == Paging::Cursor).then_some(args.cursor_field),
            max_quantity: args.http.max_quantity,
        },
        ids: args.ids_param.map(|param| IdsParam {
            param,
            per_request: args.ids_per_request,
        }),
    };
    log::debug!("listing {start}");
    let stdout = io::stdout();
    let out = BufWriter::new(stdout.lock());
    let summary = if settings.ids.is_none() {
        sync_cli::list_all(&http, &start, &settings, out)
    } else if args.ids.is_empty() {
        let ids = LineIds::new(BufReader::new(io::stdin()));
        sync_cli::list_ids(&http, &start, &settings, ids, out)
    } else {
        sync_cli::list_ids(&http, &start, &settings, args.ids.into_iter().map(Ok), out)
    }
    .context("the run stopped")?;
    if let Some(error) = &summary.error {
        log::warn!("the listing is incomplete: {error}");
        return Ok(ExitCode::from(EXIT_FAILED));
    }
    log::info!(
        "the listing is complete: {} records in {} pages, {} not ok",
        summary.records,
        summary.pages,
        summary.not_ok
    );
    Ok(if summary.not_ok == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_NOT_ALL_OK)
    })
}

/// Logs, once per run and before any request, the warning about plain
/// http:// to another machine.
fn base_url_warning(base_url: &Url) {
    if let Some(warning) = plain_http_warning(base_url) {
        log::warn!("{warning}");
    }
}
