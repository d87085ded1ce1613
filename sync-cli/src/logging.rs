//! Logs on stderr (env_logger), with the credentials redacted from every
//! record, sync-cli's own and its libraries' alike.

use log::{LevelFilter, Log, Metadata, Record};

use crate::token::Secrets;

/// Logs to stderr at the level of `-v` (warnings by default; `RUST_LOG`
/// overrides), every record passed through [`Secrets::redact`]. At the default
/// level the TLS libraries are silent: a certificate that does not verify is
/// already the result's one sentence.
pub fn init_logger(verbose: u8, secrets: Secrets) {
    let level = match verbose {
        0 => LevelFilter::Warn,
        1 => LevelFilter::Info,
        2 => LevelFilter::Debug,
        _ => LevelFilter::Trace,
    };
    let mut builder = env_logger::Builder::new();
    builder.filter_level(level);
    if verbose == 0 {
        builder
            .filter_module("rustls", LevelFilter::Off)
            .filter_module("rustls_platform_verifier", LevelFilter::Off);
    }
    if let Ok(filters) = std::env::var("RUST_LOG") {
        builder.parse_filters(&filters);
    }
    let inner = builder
        .target(env_logger::Target::Stderr)
        .format_timestamp_millis()
        .build();
    let max = inner.filter();
    if log::set_boxed_logger(Box::new(Redacting { inner, secrets })).is_ok() {
        log::set_max_level(max);
    }
}

/// A logger that redacts every secret before the inner logger formats a
/// record.
#[derive(Debug)]
pub struct Redacting<L> {
    pub inner: L,
    pub secrets: Secrets,
}

impl<L: Log> Log for Redacting<L> {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        self.inner.enabled(metadata)
    }

    fn log(&self, record: &Record<'_>) {
        if !self.inner.enabled(record.metadata()) {
            return;
        }
        if self.secrets.is_empty() {
            return self.inner.log(record);
        }
        let text = record.args().to_string();
        let text = self.secrets.redact(&text);
        self.inner.log(
            &Record::builder()
                .args(format_args!("{text}"))
                .metadata(record.metadata().clone())
                .module_path(record.module_path())
                .file(record.file())
                .line(record.line())
                .build(),
        );
    }

    fn flush(&self) {
        self.inner.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Debug, Default)]
    struct Collect(Mutex<Vec<String>>);

    impl Log for Collect {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn log(&self, record: &Record<'_>) {
            self.0.lock().unwrap().push(record.args().to_string());
        }
        fn flush(&self) {}
    }

    #[test]
    fn records_are_redacted_before_they_are_written() {
        let logger = Redacting {
            inner: Collect::default(),
            secrets: Secrets::new(["tok-5ecret-0123456789"]),
        };
        let decoded = "tok-5ecret-0123";
        logger.log(
            &Record::builder()
                .args(format_args!(
                    "Invalid {{ NotDecimal(\"\\u0074ok-5ecret-0\") }} {decoded:?}"
                ))
                .level(log::Level::Debug)
                .build(),
        );
        let lines = logger.inner.0.lock().unwrap();
        assert_eq!(lines.len(), 1);
        assert!(!lines[0].contains("5ecret"), "{}", lines[0]);
        assert!(lines[0].contains("<redacted>"), "{}", lines[0]);
    }
}
