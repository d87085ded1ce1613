//! Errors that stop a whole run (per-ID failures are
//! [`Outcome`](crate::outcome::Outcome)s, not errors).

use std::io;

/// Why a run could not start or could not finish.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A setting that cannot be used; reported like a command-line usage error.
    #[error("{0}")]
    Usage(String),
    /// The IDs could not be read.
    // The cause is in the message, not a `source`: `{:#}` would say it twice.
    #[error("cannot read IDs from stdin at line {line}: {cause}")]
    Input { line: u64, cause: io::Error },
    /// The results could not be written.
    #[error("cannot write results to stdout: {}", output_cause(.0))]
    Output(io::Error),
    /// A worker thread could not be started, or one panicked.
    #[error("worker thread failure: {0}")]
    Thread(String),
    /// The HTTP client could not be set up (e.g. no CA certificate found).
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
}

/// The cause of a failed write, in words.
fn output_cause(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::BrokenPipe => "the reader closed its end of the pipe".into(),
        _ => err.to_string(),
    }
}

impl Error {
    /// Whether this is a usage error (exit status 2).
    pub fn is_usage(&self) -> bool {
        matches!(self, Error::Usage(_))
    }
}
