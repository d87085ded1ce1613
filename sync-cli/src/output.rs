//! Writing results: JSON lines for programs, an aligned table for people, and
//! a summary.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::time::Duration;

use crate::error::Error;
use crate::outcome::{Outcome, Status};

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON object per line, for programs.
    Jsonl,
    /// Aligned columns, for people.
    Table,
}

/// Receives results in input order.
pub trait Sink {
    /// Takes the next result.
    fn write(&mut self, outcome: Outcome) -> Result<(), Error>;
    /// Called when no further result is ready yet.
    fn flush(&mut self) -> Result<(), Error>;
}

/// One JSON object per line.
#[derive(Debug)]
pub struct JsonLines<W: Write> {
    out: W,
}

impl<W: Write> JsonLines<W> {
    pub fn new(out: W) -> Self {
        JsonLines { out }
    }
}

impl<W: Write> JsonLines<W> {
    /// Writes any value as one line (a listing's trailer).
    pub fn write_line<T: serde::Serialize>(&mut self, value: &T) -> Result<(), Error> {
        serde_json::to_writer(&mut self.out, value).map_err(|e| Error::Output(e.into()))?;
        self.out.write_all(b"\n").map_err(Error::Output)
    }
}

impl<W: Write> Sink for JsonLines<W> {
    fn write(&mut self, outcome: Outcome) -> Result<(), Error> {
        self.write_line(&outcome)
    }

    fn flush(&mut self) -> Result<(), Error> {
        self.out.flush().map_err(Error::Output)
    }
}

/// Columns ID, STATUS, QUANTITY, ERROR. Widths come from the first
/// [`Table::SAMPLE`] rows, which are held back until then; later rows stream
/// with the same widths, so memory stays flat.
#[derive(Debug)]
pub struct Table<W: Write> {
    out: W,
    sample: Vec<[String; 4]>,
    widths: Option<[usize; 3]>,
}

impl<W: Write> Table<W> {
    /// Rows held back to size the columns.
    pub const SAMPLE: usize = 1000;
    const HEADER: [&'static str; 4] = ["ID", "STATUS", "QUANTITY", "ERROR"];

    pub fn new(out: W) -> Self {
        Table {
            out,
            sample: Vec::new(),
            widths: None,
        }
    }

    fn cells(outcome: Outcome) -> [String; 4] {
        let mut quantity = outcome.quantity.map(|q| q.to_string()).unwrap_or_default();
        if let Some(locations) = &outcome.locations {
            quantity = format!("{quantity} ({locations})");
        }
        // IDs may hold control characters; show them escaped so they
        // cannot break the table or the terminal.
        [
            crate::id::printable(outcome.external_id.as_deref().unwrap_or_default()),
            outcome.status.as_str().to_owned(),
            quantity,
            outcome.error.unwrap_or_default(),
        ]
    }

    fn print_sample(&mut self) -> Result<(), Error> {
        let mut widths = [0; 3];
        for row in std::iter::once(&Self::HEADER.map(str::to_owned)).chain(&self.sample) {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        self.widths = Some(widths);
        let [id, status, quantity, error] = Self::HEADER;
        let header = format!(
            "{id:<w0$}  {status:<w1$}  {quantity:>w2$}  {error}",
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
        );
        writeln!(self.out, "{header}").map_err(Error::Output)?;
        for row in std::mem::take(&mut self.sample) {
            self.print_row(&row, widths)?;
        }
        Ok(())
    }

    fn print_row(&mut self, row: &[String; 4], widths: [usize; 3]) -> Result<(), Error> {
        let [id, status, quantity, error] = row;
        let line = format!(
            "{id:<w0$}  {status:<w1$}  {quantity:>w2$}  {error}",
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
        );
        writeln!(self.out, "{}", line.trim_end()).map_err(Error::Output)
    }
}

impl<W: Write> Sink for Table<W> {
    fn write(&mut self, outcome: Outcome) -> Result<(), Error> {
        let row = Self::cells(outcome);
        if let Some(widths) = self.widths {
            return self.print_row(&row, widths);
        }
        self.sample.push(row);
        if self.sample.len() >= Self::SAMPLE {
            self.print_sample()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Error> {
        // Rows are held back until the sample is full or the run ends
        // (see `finish`); only what was printed is flushed here.
        self.out.flush().map_err(Error::Output)
    }
}

impl<W: Write> Table<W> {
    /// Prints rows still held back. Call once at the end.
    pub fn finish(&mut self) -> Result<(), Error> {
        if self.widths.is_none() {
            self.print_sample()?;
        }
        self.out.flush().map_err(Error::Output)
    }
}

/// Counts per status.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub counts: BTreeMap<Status, u64>,
    pub elapsed: Duration,
}

impl Summary {
    pub fn add(&mut self, status: Status) {
        *self.counts.entry(status).or_default() += 1;
    }

    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    pub fn count(&self, status: Status) -> u64 {
        self.counts.get(&status).copied().unwrap_or(0)
    }

    /// Whether every ID is `ok` (true when there were none).
    pub fn all_ok(&self) -> bool {
        self.total() == self.count(Status::Ok)
    }
}

impl fmt::Display for Summary {
    /// `24 IDs in 2.1 s: 13 ok, 11 not ok (1 not_found, 6 invalid_response, 2 timeout, 2 http_error)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.total();
        let plural = if total == 1 { "" } else { "s" };
        write!(
            f,
            "{total} ID{plural} in {:.1} s: {} ok",
            self.elapsed.as_secs_f64(),
            self.count(Status::Ok)
        )?;
        let failed: Vec<String> = Status::ALL
            .into_iter()
            .filter(|&s| s != Status::Ok && self.count(s) > 0)
            .map(|s| format!("{} {s}", self.count(s)))
            .collect();
        if !failed.is_empty() {
            let not_ok = total - self.count(Status::Ok);
            write!(f, ", {not_ok} not ok ({})", failed.join(", "))?;
        }
        Ok(())
    }
}

/// Whether stdout was closed when sync-cli started (`>&-`).
///
/// The Rust runtime reopens a closed stdout on `/dev/null`, for reading and
/// writing, before `main` runs: writes then succeed and the results vanish.
/// That is what this recognises (on Linux, from `/proc/self/fd/1` and its
/// open flags). A stdout redirected to `/dev/null` by a shell (`> /dev/null`)
/// is opened for writing only, and is not mistaken for a closed one.
pub fn stdout_was_closed() -> bool {
    stdout_is_devnull_read_write("/proc/self")
}

fn stdout_is_devnull_read_write(proc_dir: &str) -> bool {
    let Ok(target) = std::fs::read_link(format!("{proc_dir}/fd/1")) else {
        return false;
    };
    if target != std::path::Path::new("/dev/null") {
        return false;
    }
    let Ok(info) = std::fs::read_to_string(format!("{proc_dir}/fdinfo/1")) else {
        return false;
    };
    info.lines()
        .find_map(|line| line.strip_prefix("flags:"))
        .and_then(|flags| u32::from_str_radix(flags.trim(), 8).ok())
        // O_ACCMODE is 0o3, O_RDWR 0o2.
        .is_some_and(|flags| flags & 0o3 == 0o2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcomes() -> Vec<Outcome> {
        vec![
            Outcome::ok("GS-1001", 50.0, 1, Duration::ZERO),
            Outcome::ok("GS-10", 12.5, 1, Duration::ZERO),
            Outcome::failed(
                "GS-9001",
                Status::HttpError,
                Some(500),
                "GET http://h/api/stock/GS-9001 answered 500 Internal Server Error".into(),
                3,
                Duration::ZERO,
            ),
        ]
    }

    #[test]
    fn json_lines_one_object_per_line() {
        let mut out = Vec::new();
        let mut sink = JsonLines::new(&mut out);
        for o in outcomes() {
            sink.write(o).unwrap();
        }
        sink.flush().unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        for line in lines {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            assert!(value.is_object());
        }
    }

    #[test]
    fn table_columns_are_aligned() {
        let mut out = Vec::new();
        let mut table = Table::new(&mut out);
        for o in outcomes() {
            table.write(o).unwrap();
        }
        table.finish().unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "\
ID       STATUS      QUANTITY  ERROR
GS-1001  ok                50
GS-10    ok              12.5
GS-9001  http_error            GET http://h/api/stock/GS-9001 answered 500 Internal Server Error
"
        );
    }

    #[test]
    fn table_shows_locations() {
        use crate::locations::Locations;
        let mut out = Vec::new();
        let mut table = Table::new(&mut out);
        let located = Locations(vec![("PARIS".into(), 30.0), ("LYON".into(), 15.5)]);
        table
            .write(Outcome::ok("GS-1013", 45.5, 1, Duration::ZERO).with_locations(Some(located)))
            .unwrap();
        table
            .write(Outcome::ok("A", 3.0, 1, Duration::ZERO))
            .unwrap();
        table.finish().unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\
ID       STATUS                     QUANTITY  ERROR
GS-1013  ok      45.5 (PARIS 30 + LYON 15.5)
A        ok                                3
"
        );
    }

    #[test]
    fn table_streams_after_the_sample() {
        let mut out = Vec::new();
        let mut table = Table::new(&mut out);
        for n in 0..Table::<Vec<u8>>::SAMPLE {
            table
                .write(Outcome::ok(&format!("{n}"), 1.0, 1, Duration::ZERO))
                .unwrap();
        }
        table
            .write(Outcome::ok("a-much-longer-id", 1.0, 1, Duration::ZERO))
            .unwrap();
        assert!(table.sample.is_empty());
        table.finish().unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), Table::<Vec<u8>>::SAMPLE + 2);
        assert!(
            text.ends_with("a-much-longer-id  ok             1\n"),
            "{}",
            &text[text.len() - 60..]
        );
    }

    #[test]
    fn control_characters_in_ids_are_escaped() {
        use crate::id::printable;
        assert_eq!(printable("a\tb\u{1b}[31m"), "a\\tb\\u{1b}[31m");
        assert_eq!(printable("é/?"), "é/?");
        assert_eq!(printable("x\u{202e}y\u{2028}"), "x\\u{202e}y\\u{2028}");
    }

    #[test]
    fn summary_line() {
        let mut summary = Summary::default();
        for o in outcomes() {
            summary.add(o.status);
        }
        summary.elapsed = Duration::from_millis(2140);
        assert_eq!(
            summary.to_string(),
            "3 IDs in 2.1 s: 2 ok, 1 not ok (1 http_error)"
        );
        assert!(!summary.all_ok());
        assert!(Summary::default().all_ok());
    }
}
