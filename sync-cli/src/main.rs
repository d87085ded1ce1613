//! `sync-cli`: parse the command line, set up logging, run, map the outcome to
//! the documented exit status.

use std::io::{self, BufReader, BufWriter, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::{CommandFactory, Parser};
use sync_cli::cli::{Cli, Command, FetchArgs, TOKEN_ENV};
use sync_cli::logging::init_logger;
use sync_cli::output::stdout_was_closed;
use sync_cli::retry::RetryPolicy;
use sync_cli::target::parse_base_url;
use sync_cli::tls::{load_ca_file, plain_http_warning};
use sync_cli::{FetchSettings, Format, Ids, RunConfig, Token, UrlTemplate};

/// Some IDs were not `ok`.
const EXIT_NOT_ALL_OK: u8 = 3;
/// Usage error (also clap's own).
const EXIT_USAGE: u8 = 2;
/// The run itself failed.
const EXIT_FAILED: u8 = 1;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let token = match Token::from_env_value(std::env::var_os(TOKEN_ENV)) {
        Ok(token) => token,
        Err(err) => return exit_code_for(&err.into()),
    };
    init_logger(cli.verbose, token.clone());
    match run(cli, token) {
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

fn run(cli: Cli, token: Option<Token>) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Fetch(args) => fetch(args, token),
    }
}

fn fetch(args: FetchArgs, token: Option<Token>) -> anyhow::Result<ExitCode> {
    let base_url = parse_base_url(&args.base_url).map_err(sync_cli::Error::Usage)?;
    let template = UrlTemplate::new(&base_url, &args.endpoint)?;
    let extra_roots = match &args.ca_file {
        Some(path) => load_ca_file(path)?,
        None => Vec::new(),
    };
    if stdout_was_closed() {
        anyhow::bail!(
            "stdout is closed, so every result would be lost (to throw them away on \
             purpose, redirect stdout to /dev/null for writing: > /dev/null)"
        );
    }
    // Once per run, from the URL alone, before any request.
    if let Some(warning) = plain_http_warning(&base_url) {
        log::warn!("{warning}");
    }
    let ids = if args.ids.is_empty() {
        Ids::Lines(BufReader::new(io::stdin()))
    } else {
        Ids::List(args.ids)
    };
    let stdout = io::stdout();
    let config = RunConfig {
        template,
        token,
        settings: FetchSettings {
            timeout: args.timeout,
            connect_timeout: args.connect_timeout,
            retry: RetryPolicy::new(args.retries),
            max_body_bytes: args.max_body_bytes,
            pool_size: usize::from(args.concurrency),
            max_quantity: args.max_quantity,
            extra_roots,
        },
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
