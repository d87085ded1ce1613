//! Errors that stop a whole run (per-ID failures are [`crate::Outcome`]s, not errors).

use std::io;

/// Why a run could not start or could not finish.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A setting that cannot be used; reported like a command-line usage error.
    #[error("{0}")]
    Usage(String),
    /// The IDs could not be read.
    #[error("cannot read IDs from stdin at line {line}: {source}")]
    Input { line: u64, source: io::Error },
    /// The results could not be written.
    #[error("cannot write results to stdout: {0}")]
    Output(#[source] io::Error),
    /// A worker thread could not be started, or one panicked.
    #[error("worker thread failure: {0}")]
    Thread(String),
    /// The HTTP client could not be set up (e.g. no CA certificate found).
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
}

impl Error {
    /// Whether this is a usage error (exit status 2).
    pub fn is_usage(&self) -> bool {
        matches!(self, Error::Usage(_))
    }
}
