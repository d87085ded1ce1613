//! The program's interface: arguments and stdin, output shape and order,
//! formats, logging, the token's secrecy, and exit statuses.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions

mod common;

use std::time::{Duration, Instant};

use common::{Server, cmd, json_lines, output_ids};
use mock_api::{AppState, Settings};

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn ids_from_stdin_skip_blank_lines() {
    let server = Server::demo();
    let output = server
        .fetch()
        .write_stdin("GS-1001\n\n   \nGS-1002\r\n\nGS-0000\nGS-1003")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let lines = json_lines(&output.stdout);
    let ids = output_ids(&lines);
    assert_eq!(ids, ["GS-1001", "GS-1002", "GS-0000", "GS-1003"]);
}

#[test]
fn empty_stdin_prints_nothing_and_exits_0() {
    let server = Server::demo();
    let output = server.fetch().write_stdin("\n\n").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(output.stdout.is_empty());
}

#[test]
fn base_url_from_the_environment() {
    let server = Server::demo();
    let output = cmd()
        .env("STOCK_API_URL", &server.url)
        .args(["fetch", "GS-1004"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(json_lines(&output.stdout)[0]["quantity"], 7.0);
}

#[test]
fn output_keeps_input_order_with_many_workers() {
    // A latency and a retried ID early in the list make later IDs finish first.
    let settings = Settings {
        latency: Duration::from_millis(20),
        ..Settings::default()
    };
    let server = Server::start(AppState::new(mock_api::demo_products(), settings));
    let mut ids = vec!["GS-9003".to_owned(), "GS-9002".to_owned()];
    for n in 0..300 {
        ids.push(format!("GS-{}", 1001 + n % 12));
    }
    ids.push("GS-0000".into());
    let input = ids.join("\n");
    let start = Instant::now();
    let output = server
        .fetch()
        .args(["--concurrency", "32"])
        .write_stdin(input)
        .output()
        .unwrap();
    let elapsed = start.elapsed();
    let lines = json_lines(&output.stdout);
    let got = output_ids(&lines);
    assert_eq!(got, ids);
    assert_eq!(output.status.code(), Some(3));
    assert!(lines[..ids.len() - 1].iter().all(|l| l["status"] == "ok"));
    // 302 requests of 20 ms one after the other would take 6 s.
    assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
}

#[test]
fn thousands_of_ids_from_stdin() {
    let server = Server::demo();
    let ids: Vec<String> = (0..5000).map(|n| format!("GS-{}", 1001 + n % 12)).collect();
    let input = ids.join("\n");
    let output = server
        .fetch()
        .args(["--concurrency", "16"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let lines = json_lines(&output.stdout);
    assert_eq!(lines.len(), 5000);
    assert_eq!(
        lines[4999]["external_id"],
        format!("GS-{}", 1001 + 4999 % 12)
    );
}

#[test]
fn only_json_on_stdout_even_with_logs() {
    let server = Server::demo();
    let output = server
        .fetch()
        .args(["-vv", "GS-1001", "GS-9002", "GS-9001", "GS-0000"])
        .env("RUST_LOG", "debug")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    assert_eq!(json_lines(&output.stdout).len(), 4);
    let logs = stderr(&output);
    assert!(logs.contains("retry 1 of 2"), "{logs}");
}

#[test]
fn verbose_flag_enables_info_logs() {
    let server = Server::demo();
    let quiet = server
        .fetch()
        .args(["--retries", "1", "GS-9001"])
        .output()
        .unwrap();
    assert!(quiet.stderr.is_empty(), "{}", stderr(&quiet));
    let verbose = server
        .fetch()
        .args(["-v", "--retries", "1", "GS-9001"])
        .output()
        .unwrap();
    let logs = stderr(&verbose);
    assert!(
        logs.contains("INFO") && logs.contains("retry 1 of 1"),
        "{logs}"
    );
    assert!(logs.contains("1 ID in"), "summary at info level: {logs}");
}

#[test]
fn token_never_appears_in_any_output_even_at_trace_level() {
    const TOKEN: &str = "tok-d3adb33f-very-secret";
    let settings = Settings {
        token: Some(TOKEN.into()),
        ..Settings::default()
    };
    let server = Server::start(AppState::new(mock_api::demo_products(), settings));
    for (token, extra) in [(TOKEN, "GS-1001"), ("wrong-tok-d3adb33f", "GS-1002")] {
        let output = server
            .fetch()
            .env("STOCK_API_TOKEN", token)
            .env("RUST_LOG", "trace")
            .args([
                "-vvv",
                "--retries",
                "1",
                extra,
                "GS-9001",
                "GS-9004",
                "GS-0000",
                "GS-9003",
            ])
            .output()
            .unwrap();
        let (out, err) = (
            String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr(&output),
        );
        assert!(err.contains("TRACE"), "trace logging was not on: {err}");
        for text in [&out, &err] {
            assert!(!text.contains(token), "the token leaked:\n{text}");
            assert!(
                !text.contains("d3adb33f"),
                "part of the token leaked:\n{text}"
            );
        }
        assert_eq!(json_lines(&output.stdout).len(), 5);
    }
}

#[test]
fn table_format_for_people() {
    let server = Server::demo();
    let output = server
        .fetch()
        .args([
            "--format",
            "table",
            "--retries",
            "0",
            "GS-1001",
            "GS-1002",
            "GS-9006",
            "GS-0000",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let text = String::from_utf8(output.stdout.clone()).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 5, "{text}");
    assert!(
        rows[0].starts_with("ID       STATUS            QUANTITY  ERROR"),
        "{text}"
    );
    assert!(
        rows[1].starts_with("GS-1001  ok                      50"),
        "{text}"
    );
    assert!(
        rows[2].starts_with("GS-1002  ok                     120"),
        "{text}"
    );
    assert!(
        rows[3].starts_with("GS-9006  invalid_response            GET "),
        "{text}"
    );
    assert!(
        rows[4].starts_with("GS-0000  not_found                   GET "),
        "{text}"
    );
    let summary = stderr(&output);
    assert_eq!(summary.lines().count(), 1, "{summary}");
    assert!(summary.starts_with("4 IDs in "), "{summary}");
    assert!(
        summary.contains("2 ok, 2 not ok (1 not_found, 1 invalid_response)"),
        "{summary}"
    );
}

// --- exit statuses ------------------------------------------------------------

#[test]
fn exit_0_when_every_id_is_ok() {
    let server = Server::demo();
    server.fetch().args(["GS-1001", "GS-1012"]).assert().code(0);
}

#[test]
fn exit_3_when_some_id_is_not_ok() {
    let server = Server::demo();
    let output = server
        .fetch()
        .args(["GS-1001", "GS-0000"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    assert_eq!(
        json_lines(&output.stdout).len(),
        2,
        "output is still complete"
    );
}

fn assert_usage_error(args: &[&str], env: &[(&str, &str)], expected: &str) {
    let mut command = cmd();
    command.args(args);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.write_stdin("").output().unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
    assert!(output.stdout.is_empty());
    assert!(
        err.contains(expected),
        "{args:?}: {err:?} lacks {expected:?}"
    );
}

#[test]
fn exit_2_on_usage_errors() {
    let url = "http://127.0.0.1:9";
    assert_usage_error(&["fetch", "x"], &[], "--base-url <URL>");
    assert_usage_error(
        &["fetch", "--base-url", "ftp://h", "x"],
        &[],
        "http:// or https://",
    );
    assert_usage_error(
        &["fetch", "--base-url", "127.0.0.1:5000", "x"],
        &[],
        "not a valid URL",
    );
    assert_usage_error(
        &["fetch", "x"],
        &[("STOCK_API_URL", "nonsense")],
        "not a valid URL",
    );
    assert_usage_error(
        &["fetch", "--base-url", "http://u:p@h", "x"],
        &[],
        "credentials",
    );
    assert_usage_error(
        &["fetch", "--base-url", url, "--endpoint", "/api/stock", "x"],
        &[],
        "{id}",
    );
    assert_usage_error(
        &["fetch", "--base-url", url, "x"],
        &[("STOCK_API_ENDPOINT", "/a")],
        "{id}",
    );
    assert_usage_error(
        &["fetch", "--base-url", url, "--endpoint", "/a b/{id}", "x"],
        &[],
        "endpoint",
    );
    assert_usage_error(
        &["fetch", "--base-url", url, "--timeout", "0", "x"],
        &[],
        "--timeout",
    );
    assert_usage_error(
        &["fetch", "--base-url", url, "--timeout", "soon", "x"],
        &[],
        "--timeout",
    );
    assert_usage_error(
        &["fetch", "--base-url", url, "--connect-timeout=-1", "x"],
        &[],
        "--connect-timeout",
    );
    assert_usage_error(
        &["fetch", "--base-url", url, "--concurrency", "0", "x"],
        &[],
        "--concurrency",
    );
    assert_usage_error(
        &["fetch", "--base-url", url, "--retries", "x", "x"],
        &[],
        "--retries",
    );
    assert_usage_error(
        &["fetch", "--base-url", url, "--max-body-bytes", "0", "x"],
        &[],
        "--max-body-bytes",
    );
    assert_usage_error(
        &["fetch", "--base-url", url, "--format", "xml", "x"],
        &[],
        "--format",
    );
    assert_usage_error(
        &["fetch", "--base-url", url, "--token", "t", "x"],
        &[],
        "--token",
    );
    assert_usage_error(&["fetch", "--base-url", url, " "], &[], "blank");
    assert_usage_error(
        &["fetch", "--base-url", url, "x"],
        &[("STOCK_API_TOKEN", "a\nb")],
        "STOCK_API_TOKEN",
    );
    assert_usage_error(
        &["fetch"],
        &[("STOCK_API_URL", url), ("STOCK_API_TOKEN", "a\u{7f}")],
        "STOCK_API_TOKEN",
    );
    assert_usage_error(&["get"], &[], "unrecognized subcommand");
    assert_usage_error(&[], &[], "Usage");
}

#[test]
fn exit_1_when_stdin_cannot_be_read() {
    // A directory opens but cannot be read.
    let server = Server::demo();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sync-cli"))
        .env_clear()
        .args(["fetch", "--base-url", &server.url])
        .stdin(std::fs::File::open("/").unwrap())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("sync-cli: "), "{err}");
    assert!(err.contains("cannot read IDs from stdin"), "{err}");
}

#[test]
fn exit_1_on_invalid_utf8_after_writing_the_earlier_results() {
    let server = Server::demo();
    let output = server
        .fetch()
        .write_stdin(b"GS-1001\nGS-\xff\nGS-1002\n".to_vec())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("line 2") && err.contains("UTF-8"), "{err}");
    let lines = json_lines(&output.stdout);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["external_id"], "GS-1001");
}

#[test]
fn help_has_examples_and_exit_statuses() {
    let output = cmd().args(["fetch", "--help"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let help = String::from_utf8(output.stdout).unwrap();
    for expected in [
        "Examples:",
        "Exit status:",
        "STOCK_API_URL",
        "STOCK_API_ENDPOINT",
        "STOCK_API_TOKEN",
        "--timeout",
        "--connect-timeout",
        "--retries",
        "--concurrency",
        "--max-body-bytes",
        "--format",
        "[default: /api/stock/{id}]",
        "[default: 10]",
        "[default: 5]",
        "[default: 2]",
        "[default: 8]",
        "[default: jsonl]",
    ] {
        assert!(help.contains(expected), "help lacks {expected:?}:\n{help}");
    }
    let output = cmd().arg("--help").output().unwrap();
    assert!(
        String::from_utf8(output.stdout)
            .unwrap()
            .contains("Exit status:")
    );
}

// --- the edges of stdout and stderr ----------------------------------------------

/// `sync-cli` with a clean environment, as a std command (for pipes that
/// assert_cmd does not offer).
fn std_cmd(args: &[&str]) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_sync-cli"));
    command.env_clear().args(args);
    command
}

#[test]
fn exit_1_not_a_panic_when_nobody_reads_stderr() {
    let server = Server::demo();
    let mut child = std_cmd(&[
        "fetch",
        "--base-url",
        &server.url,
        "--format",
        "table",
        "GS-1001",
    ])
    .stdin(std::process::Stdio::null())
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    // Nobody will read it: writing the summary there fails.
    drop(child.stderr.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("GS-1001  ok"), "{text}");
}

/// Runs `sync-cli <args>` through `sh` with `redirect` applied to it.
fn through_sh(redirect: &str, args: &[&str]) -> std::process::Output {
    let script = format!("exec \"$0\" \"$@\" {redirect}");
    std::process::Command::new("sh")
        .env_clear()
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_sync-cli"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn exit_1_when_stdout_is_closed() {
    let server = Server::demo();
    let output = through_sh(">&-", &["fetch", "--base-url", &server.url, "GS-1001"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("sync-cli: stdout is closed"), "{err}");
    assert_eq!(server.hits("GS-1001"), 0, "a request was sent for nothing");
    // Thrown away on purpose is fine.
    let output = through_sh(
        "> /dev/null",
        &["fetch", "--base-url", &server.url, "GS-1001"],
    );
    assert_eq!(output.status.code(), Some(0), "{output:?}");
}

#[test]
fn a_closed_pipe_on_stdout_is_one_sentence() {
    let server = Server::demo();
    let ids: Vec<String> = (0..3000).map(|n| format!("GS-{}", 1001 + n % 12)).collect();
    let mut args = vec!["fetch", "--base-url", server.url.as_str()];
    args.extend(ids.iter().map(String::as_str));
    let mut child = std_cmd(&args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "sync-cli: the run stopped: cannot write results to stdout: the reader closed its end of \
         the pipe\n"
    );
}

#[test]
fn invalid_utf8_on_stdin_is_said_once() {
    let server = Server::demo();
    let output = server
        .fetch()
        .write_stdin(b"GS-1001\nGS-\xff\n".to_vec())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "sync-cli: the run stopped: cannot read IDs from stdin at line 2: the line is not valid \
         UTF-8\n"
    );
}

// --- blank lines -------------------------------------------------------------------

#[test]
fn only_empty_lines_and_ascii_spaces_are_blank() {
    let server = Server::demo();
    // Blank: empty, spaces, tabs. Not blank: lines of non-ASCII spaces,
    // which are IDs, refused because they start with a space.
    let output = server
        .fetch()
        .write_stdin("GS-1001\n\n \t \n\u{a0}\n\u{3000}\u{3000}\r\n\u{2003}\nGS-1002\n")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let lines = json_lines(&output.stdout);
    let ids = output_ids(&lines);
    assert_eq!(
        ids,
        [
            "GS-1001",
            "\u{a0}",
            "\u{3000}\u{3000}",
            "\u{2003}",
            "GS-1002"
        ]
    );
    for line in &lines[1..4] {
        assert_eq!(line["status"], "http_error", "{line}");
        assert_eq!(line["attempts"], 0, "{line}");
        let error = line["error"].as_str().unwrap();
        assert!(error.contains("starts or ends with spaces"), "{error}");
    }
    // An argument follows the same rule.
    let output = server.fetch().arg(" \t").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let output = server.fetch().arg("\u{a0}").output().unwrap();
    assert_eq!(output.status.code(), Some(3));
}
