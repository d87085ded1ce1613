//! Running many fetches at once while writing results in input order.
//!
//! ```text
//! feeder thread --jobs (bounded)--> N workers --results--> caller's thread
//!      ^                                                    (reorder buffer, writes in order)
//!      +------------------- credits (one per written result) ---+
//! ```
//!
//! The feeder reads IDs lazily and may only run `window` IDs ahead of the
//! last one written, so memory stays flat however many IDs there are and
//! however slow one of them is.

use std::collections::BTreeMap;
use std::io::{self, BufRead};

use crossbeam_channel::{Receiver, Sender, bounded};

use crate::error::Error;
use crate::outcome::Outcome;
use crate::output::Sink;

/// Where IDs come from.
#[derive(Debug)]
pub enum Ids<R> {
    /// IDs given as arguments.
    List(Vec<String>),
    /// One ID per line (blank lines skipped), read lazily.
    Lines(R),
}

impl<R: BufRead> Ids<R> {
    /// The number of IDs, when known in advance.
    pub fn len_hint(&self) -> Option<usize> {
        match self {
            Ids::List(ids) => Some(ids.len()),
            Ids::Lines(_) => None,
        }
    }

    fn into_iter(self) -> Box<dyn Iterator<Item = Result<String, Error>> + Send>
    where
        R: Send + 'static,
    {
        match self {
            Ids::List(ids) => Box::new(ids.into_iter().map(Ok)),
            Ids::Lines(reader) => Box::new(LineIds::new(reader)),
        }
    }
}

/// The IDs of a reader: its non-blank lines ([`crate::id::is_blank`]: empty
/// or only ASCII spaces and tabs), without their line endings
/// (`\n`, `\r\n`, or a final `\r`), UTF-8 or an [`Error::Input`] that ends
/// the iteration. IDs are not checked here (see [`crate::id::check_id`]): a
/// `\r` inside a line stays in its ID, which is then refused.
#[derive(Debug)]
pub struct LineIds<R> {
    reader: R,
    line: u64,
    done: bool,
}

impl<R: BufRead> LineIds<R> {
    pub fn new(reader: R) -> Self {
        LineIds {
            reader,
            line: 0,
            done: false,
        }
    }
}

impl<R: BufRead> Iterator for LineIds<R> {
    type Item = Result<String, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let mut text = String::new();
            self.line += 1;
            match self.reader.read_line(&mut text) {
                Ok(0) => self.done = true,
                Ok(_) => {
                    let id = text.strip_suffix('\n').unwrap_or(&text);
                    let id = id.strip_suffix('\r').unwrap_or(id);
                    if !crate::id::is_blank(id) {
                        return Some(Ok(id.to_owned()));
                    }
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => self.line -= 1,
                Err(source) => {
                    self.done = true;
                    let source = if source.kind() == io::ErrorKind::InvalidData {
                        io::Error::new(io::ErrorKind::InvalidData, "the line is not valid UTF-8")
                    } else {
                        source
                    };
                    return Some(Err(Error::Input {
                        line: self.line,
                        cause: source,
                    }));
                }
            }
        }
        None
    }
}

/// Fetches every ID with `concurrency` worker threads and hands the results to
/// `sink` in input order, each as soon as it and all before it are done.
pub fn run<R, F>(
    ids: Ids<R>,
    concurrency: usize,
    fetch: &F,
    sink: &mut dyn Sink,
) -> Result<(), Error>
where
    R: BufRead + Send + 'static,
    F: Fn(&str) -> Outcome + Sync,
{
    let concurrency = concurrency.max(1);
    let workers = ids
        .len_hint()
        .map_or(concurrency, |n| n.clamp(1, concurrency));
    let window = (concurrency * 4).max(64);

    let (job_tx, job_rx) = bounded::<(u64, String)>(concurrency);
    let (result_tx, result_rx) = bounded::<(u64, Outcome)>(window);
    let (credit_tx, credit_rx) = bounded::<()>(window);
    for _ in 0..window {
        credit_tx
            .send(())
            .expect("the channel has room for every credit");
    }
    let ids = ids.into_iter();

    std::thread::scope(|scope| {
        let feeder = std::thread::Builder::new()
            .name("feeder".into())
            .spawn_scoped(scope, move || feed(ids, &job_tx, &credit_rx))
            .map_err(|e| Error::Thread(format!("cannot start the feeder thread: {e}")))?;
        for n in 0..workers {
            let (job_rx, result_tx) = (job_rx.clone(), result_tx.clone());
            std::thread::Builder::new()
                .name(format!("worker-{n}"))
                .spawn_scoped(scope, move || {
                    for (seq, id) in job_rx {
                        if result_tx.send((seq, fetch(&id))).is_err() {
                            break;
                        }
                    }
                })
                .map_err(|e| Error::Thread(format!("cannot start worker {n}: {e}")))?;
        }
        drop((job_rx, result_tx));
        // Returning drops `result_rx` and `credit_tx`, which stops the feeder
        // and the workers if writing failed.
        let written = write_in_order(result_rx, credit_tx, sink);
        let fed = feeder
            .join()
            .unwrap_or_else(|_| Err(Error::Thread("the feeder thread panicked".into())));
        written.and(fed)
    })
}

/// Sends IDs to the workers, each once a credit says there is room for its
/// result.
fn feed(
    ids: Box<dyn Iterator<Item = Result<String, Error>> + Send>,
    jobs: &Sender<(u64, String)>,
    credits: &Receiver<()>,
) -> Result<(), Error> {
    for (seq, id) in (0u64..).zip(ids) {
        let id = id?;
        if credits.recv().is_err() || jobs.send((seq, id)).is_err() {
            // The writer stopped; its error is the one reported.
            break;
        }
    }
    Ok(())
}

// Takes the channel ends by value: returning drops them, which is what stops
// the feeder and the workers when writing fails.
#[allow(clippy::needless_pass_by_value)]
fn write_in_order(
    results: Receiver<(u64, Outcome)>,
    credits: Sender<()>,
    sink: &mut dyn Sink,
) -> Result<(), Error> {
    let mut next = 0u64;
    let mut pending = BTreeMap::new();
    for (seq, outcome) in &results {
        pending.insert(seq, outcome);
        while let Some(outcome) = pending.remove(&next) {
            sink.write(outcome)?;
            next += 1;
            // Fails only once the feeder is done, which is fine.
            let _ = credits.try_send(());
        }
        if results.is_empty() {
            sink.flush()?;
        }
    }
    debug_assert!(pending.is_empty());
    sink.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Status;
    use std::io::Cursor;
    use std::time::Duration;

    #[derive(Default)]
    struct Collect(Vec<String>);

    impl Sink for Collect {
        fn write(&mut self, outcome: Outcome) -> Result<(), Error> {
            self.0.push(outcome.external_id.unwrap_or_default());
            Ok(())
        }
        fn flush(&mut self) -> Result<(), Error> {
            Ok(())
        }
    }

    fn echo(id: &str) -> Outcome {
        // Later IDs finish first.
        let n: u64 = id.trim_start_matches("id").parse().unwrap_or(0);
        std::thread::sleep(Duration::from_millis(20u64.saturating_sub(n)));
        Outcome::ok(id, 1.0, 1, Duration::ZERO)
    }

    #[test]
    fn results_come_in_input_order() {
        let ids: Vec<String> = (0..200).map(|n| format!("id{n}")).collect();
        let mut sink = Collect::default();
        run(
            Ids::<Cursor<Vec<u8>>>::List(ids.clone()),
            16,
            &echo,
            &mut sink,
        )
        .unwrap();
        assert_eq!(sink.0, ids);
    }

    #[test]
    fn lines_skip_blanks_and_strip_line_endings() {
        let input = "a\n\n  \r\n\t \nb\r\n c \n\u{a0}\n\u{3000}\nx\ry\r\r\nlast\r";
        let mut sink = Collect::default();
        run(
            Ids::Lines(Cursor::new(input.as_bytes().to_vec())),
            3,
            &echo,
            &mut sink,
        )
        .unwrap();
        assert_eq!(
            sink.0,
            ["a", "b", " c ", "\u{a0}", "\u{3000}", "x\ry\r", "last"]
        );
    }

    #[test]
    fn invalid_utf8_is_an_input_error_with_the_line_number() {
        let input = b"a\nb\n\xff\xfe\nc\n".to_vec();
        let mut sink = Collect::default();
        let err = run(Ids::Lines(Cursor::new(input)), 2, &echo, &mut sink).unwrap_err();
        assert!(matches!(err, Error::Input { line: 3, .. }), "{err:?}");
        assert_eq!(sink.0, ["a", "b"]);
    }

    #[test]
    fn a_failing_sink_stops_the_run() {
        struct Fail(usize);
        impl Sink for Fail {
            fn write(&mut self, _: Outcome) -> Result<(), Error> {
                self.0 += 1;
                if self.0 == 3 {
                    Err(Error::Output(io::Error::from(io::ErrorKind::BrokenPipe)))
                } else {
                    Ok(())
                }
            }
            fn flush(&mut self) -> Result<(), Error> {
                Ok(())
            }
        }
        let ids: Vec<String> = (0..100_000).map(|n| format!("id{n}")).collect();
        let fast =
            |id: &str| Outcome::failed(id, Status::Timeout, None, String::new(), 1, Duration::ZERO);
        let err = run(Ids::<Cursor<Vec<u8>>>::List(ids), 4, &fast, &mut Fail(0)).unwrap_err();
        assert!(matches!(err, Error::Output(_)));
    }

    #[test]
    fn a_slow_first_id_does_not_let_the_buffer_grow() {
        struct Check<'a>(&'a AtomicUsize, usize);
        impl Sink for Check<'_> {
            fn write(&mut self, _: Outcome) -> Result<(), Error> {
                if self.1 == 0 {
                    // While id0 was pending, at most `window` fetches started.
                    let seen = self.0.load(Ordering::SeqCst);
                    assert!(seen <= 64 + 1, "{seen} fetches started");
                }
                self.1 += 1;
                Ok(())
            }
            fn flush(&mut self) -> Result<(), Error> {
                Ok(())
            }
        }
        use std::sync::atomic::{AtomicUsize, Ordering};
        let started = AtomicUsize::new(0);
        let fetch = |id: &str| {
            started.fetch_add(1, Ordering::SeqCst);
            if id == "id0" {
                std::thread::sleep(Duration::from_millis(300));
            }
            Outcome::ok(id, 1.0, 1, Duration::ZERO)
        };
        let ids: Vec<String> = (0..1000).map(|n| format!("id{n}")).collect();
        let mut sink = Check(&started, 0);
        run(Ids::<Cursor<Vec<u8>>>::List(ids), 8, &fetch, &mut sink).unwrap();
        assert_eq!(sink.1, 1000);
    }
}
