//! `mock-api`: a simulated GlobalShop stock API with injectable faults.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use mock_api::clock::MAX_OFFSET_SECS;
use mock_api::{
    AppState, Clock, Notifier, Settings, app, demo_products, load_products, notify, rate,
};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

/// How long open connections (a `slow` or `endless_body` answer, say) may
/// delay exit after SIGTERM or Ctrl-C.
const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(2);

/// A simulated GlobalShop stock API, with products that misbehave on purpose.
///
/// Routes: GET /api/stock/{id}, PUT /api/stock/{id} with {"quantity": "60"}
/// or {"locations": [{"location": "PARIS", "quantity": "30"}, ...]}, GET
/// /api/stock?limit=500&cursor=C&updated_since=T (the listing, by pages), GET
/// /api/levels (the same, one record per product and location), GET /health.
/// Every answer carries a Date header: the API's own clock.
///
/// The first line on stdout is `listening on http://ADDRESS`; request logs go to
/// stderr (RUST_LOG, default info).
#[derive(Debug, Parser)]
#[command(version, after_help = AFTER_HELP)]
struct Args {
    /// Address to listen on; port 0 takes a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:5000")]
    bind: String,

    /// JSON array of products instead of the built-in demo data, each
    /// {"product_id": "123", "quantity": "50"} with optional "fault" (a name
    /// below), "updated_at" (RFC 3339: when its quantity last changed;
    /// default: the load time) and "locations" (see below).
    #[arg(long, value_name = "FILE")]
    data: Option<PathBuf>,

    /// Delay added to every stock request, in milliseconds.
    #[arg(long, value_name = "N", default_value_t = 0)]
    latency_ms: u64,

    /// Require `Authorization: Bearer T` on the stock routes (401 otherwise).
    #[arg(long, value_name = "T", env = "MOCK_API_TOKEN", hide_env_values = true)]
    token: Option<String>,

    /// Shift the API's clock N seconds ahead of the system's (behind when
    /// negative, at most 100 years either way): the Date header, the
    /// products' updated_at and the updated_since comparison all follow it.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 0,
        allow_negative_numbers = true,
        value_parser = clap::value_parser!(i64).range(-MAX_OFFSET_SECS..=MAX_OFFSET_SECS)
    )]
    clock_offset_secs: i64,

    /// At most N stock requests a second (a token bucket of N, refilled at N
    /// a second); over it, 429 with Retry-After. Stock answers carry
    /// RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset (seconds).
    /// Refused requests are counted in the log, each second and at exit.
    /// 0: no limit.
    #[arg(long, value_name = "N", default_value_t = 0)]
    rate_limit: u32,

    /// After a PUT changes a product, POST {"product_ids": [ID]} to URL,
    /// signed: X-Stock-Sync-Timestamp (UNIX seconds, real time) and
    /// X-Stock-Sync-Signature: sha256=<hex HMAC-SHA256(secret,
    /// "<timestamp>.<body>")>. The secret is read from MOCK_API_NOTIFY_SECRET
    /// only (never an argument; required with this option; never logged).
    /// Sent in the background; each answer's status is logged.
    #[arg(long, value_name = "URL", env = "MOCK_API_NOTIFY_URL")]
    notify_url: Option<String>,
}

const AFTER_HELP: &str = "\
Faults (\"fault\" in a data file; demo products GS-9001 onwards):
  error_500            always 500, plain-text body
  error_503_once       503 on the first request, normal afterwards
  rate_limited_once    429 with Retry-After: 1 first, normal afterwards
  invalid_json         200, body not JSON
  wrong_product_id     200, valid JSON naming another product
  negative_quantity    200, quantity \"-5\"
  quantity_not_number  200, quantity \"lots\"
  empty_body           200, empty body
  html_page            200, an HTML error page (text/html)
  huge_body            200, a JSON body of 64 MiB, streamed
  endless_body         200, a body streamed slowly forever
  slow                 answers only after 10 minutes
  missing_quantity     200, JSON without a quantity
  listing_error_503    (data files only) its own GET is normal, but every
                       listing page that holds it answers 503
  locations_sum_mismatch
                       200, quantity one more than its locations' sum
  location_twice       200, its first location listed again at the end
                       with quantity \"0\" (these two need locations)

In the listing, negative_quantity, quantity_not_number, missing_quantity,
locations_sum_mismatch and location_twice show the same bad record; the other
faults are listed normally.

Locations: a product of the data file may say where its stock is, with
  \"locations\": [{\"location\": \"PARIS\", \"quantity\": \"30\"},
                {\"location\": \"LYON\", \"quantity\": 20}]
Its quantity is then their sum (left out, or equal to it). A code follows
the rules of an external ID (1 to 255 characters, no control character, no
spaces at either end), at most once per product; at least one location.
The answers and the listing then show \"locations\" (quantities as decimal
strings, in the order given). A PUT of {\"locations\": [...]} sets them; a
PUT of a quantity alone is refused (400) for such a product. Demo products
GS-1013 to GS-1015 are stocked in PARIS and LYON.

Listing: GET /api/stock answers {\"items\": [{\"product_id\", \"quantity\",
\"locations\" (when it has them), \"updated_at\"}, ...], \"next_cursor\": \"...\"
| null}, by product_id; limit 1 to 1000 (default 500, larger served as
1000), cursor: the previous page's next_cursor, updated_since (RFC 3339):
products whose updated_at is at or after it. A bad parameter answers 400
{\"error\", \"parameter\"}.

Examples:
  mock-api
  mock-api --bind 127.0.0.1:0 --latency-ms 20
  mock-api --data products.json --token secret
  mock-api --clock-offset-secs -3600      the API's clock an hour behind
  mock-api --rate-limit 2                 2 stock requests a second, 429 beyond
  MOCK_API_NOTIFY_SECRET=s3cret mock-api --notify-url http://localhost:8069/stock_sync_api/notify
  curl -i 'http://127.0.0.1:5000/api/stock?limit=10&updated_since=2026-12-04T10:00:00Z'";

fn main() -> ExitCode {
    let args = Args::parse();
    let _log_guard = init_logging();
    let products = match &args.data {
        None => demo_products(),
        Some(path) => match load_products(path) {
            Ok(products) => products,
            Err(err) => {
                eprintln!("mock-api: {err}");
                return ExitCode::from(2);
            }
        },
    };
    let notifier = match args.notify_url.as_deref().filter(|url| !url.is_empty()) {
        None => None,
        Some(url) => {
            let secret = std::env::var(notify::SECRET_ENV).ok();
            match Notifier::new(url, secret.as_deref()) {
                Ok(notifier) => Some(notifier),
                Err(err) => {
                    eprintln!("mock-api: {err}");
                    return ExitCode::from(2);
                }
            }
        }
    };
    let settings = Settings {
        latency: Duration::from_millis(args.latency_ms),
        token: args.token.filter(|t| !t.is_empty()),
        clock: Clock::with_offset_secs(args.clock_offset_secs),
        rate_limit: args.rate_limit,
        notifier,
    };
    match serve(&args.bind, AppState::new(products, settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("mock-api: {err:#}");
            ExitCode::from(1)
        }
    }
}

/// Logs to stderr through a non-blocking writer, so a reader that does not
/// drain stderr can never stall the server (lines are dropped instead).
fn init_logging() -> tracing_appender::non_blocking::WorkerGuard {
    let (writer, guard) = tracing_appender::non_blocking(std::io::stderr());
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("mock_api=info,tower_http=info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .init();
    guard
}

#[tokio::main]
async fn serve(bind: &str, state: AppState) -> anyhow::Result<()> {
    let listener = TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    let address = listener
        .local_addr()
        .context("cannot read the bound address")?;
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "listening on http://{address}")
            .and_then(|()| stdout.flush())
            .context("cannot write to stdout")?;
    }
    tracing::info!(
        products = state.products().len(),
        "listening on http://{address}"
    );

    let watched = state.clone();
    let reporter = state.clone();
    tokio::spawn(async move {
        if let Some(limiter) = reporter.rate_limiter() {
            rate::log_refusals(limiter).await;
        }
    });
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let app = app(state);
    let mut server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stop_rx.await;
            })
            .await
    });
    tokio::select! {
        result = &mut server => return result.context("server task failed")?.context("server failed"),
        () = shutdown_signal() => {}
    }
    tracing::info!("shutting down");
    let _ = stop_tx.send(());
    let stopped = tokio::time::timeout(SHUTDOWN_DEADLINE, server).await;
    if let Some(limiter) = watched.rate_limiter() {
        tracing::info!(
            total = limiter.refused(),
            "rate limit of {}/s: {} requests refused in all",
            limiter.rate(),
            limiter.refused()
        );
    }
    if let Ok(result) = stopped {
        result
            .context("server task failed")?
            .context("server failed")
    } else {
        tracing::warn!("connections still open after {SHUTDOWN_DEADLINE:?}; exiting anyway");
        Ok(())
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
