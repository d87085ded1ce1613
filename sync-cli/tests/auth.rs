//! `--auth bearer|header|basic`: what each scheme sends, checked at the
//! server, for `fetch` and `list`; credentials that do not fit their scheme
//! are usage errors; and no secret (the token, the user, the base64 string
//! that carries them) is ever printed, whatever a hostile API echoes.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions

mod common;

use std::fmt::Write as _;

use common::{RawServer, Reply, cmd, json_lines};
use serde_json::json;

/// A WooCommerce-like consumer key and secret.
const USER: &str = "ck_5ecret-user-0123456789abcdef";
const TOKEN: &str = "cs_5ecret/token-0123456789abcdef";
/// base64("ck_5ecret-user-0123456789abcdef:cs_5ecret/token-0123456789abcdef")
const BASIC: &str =
    "Y2tfNWVjcmV0LXVzZXItMDEyMzQ1Njc4OWFiY2RlZjpjc181ZWNyZXQvdG9rZW4tMDEyMzQ1Njc4OWFiY2RlZg==";

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The value of the header `name` in a request head (names compared without
/// case).
fn header_of(head: &str, name: &str) -> Option<String> {
    head.lines().skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name)
            .then(|| value.trim().to_owned())
    })
}

/// A server that answers `fetch` with a valid body for the ID in the path,
/// and `list` (the path `/api/stock`) with a page of one record.
fn stock_server() -> RawServer {
    RawServer::start(|_, head| {
        let path = head.split(' ').nth(1).unwrap_or_default();
        let body = match path.strip_prefix("/api/stock/") {
            Some(id) => json!({"product_id": id, "quantity": "5"}),
            None => {
                json!({"items": [{"product_id": "GS-1", "quantity": "5"}], "next_cursor": null})
            }
        };
        Reply::status("200 OK", &[], &body.to_string())
    })
}

/// Runs `fetch GS-1` then `list` against a fresh server with `env` and
/// `args`, both successful; returns the two request heads.
fn both_commands(env: &[(&str, &str)], args: &[&str]) -> Vec<String> {
    let server = stock_server();
    for command in [
        vec!["fetch", "--base-url", &server.url, "GS-1"],
        vec!["list", "--base-url", &server.url],
    ] {
        let output = cmd()
            .envs(env.iter().copied())
            .args(&command)
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    }
    let heads = server.requests();
    assert_eq!(heads.len(), 2);
    heads
}

#[test]
fn bearer_is_the_default_and_sends_the_token() {
    for args in [&[][..], &["--auth", "bearer"]] {
        for head in both_commands(&[("STOCK_API_TOKEN", TOKEN)], args) {
            let expected = format!("Bearer {TOKEN}");
            assert_eq!(header_of(&head, "authorization"), Some(expected));
        }
    }
}

#[test]
fn header_sends_the_token_as_given_in_the_named_header() {
    let env = [("STOCK_API_TOKEN", TOKEN)];
    let args = [
        "--auth",
        "header",
        "--auth-header",
        "X-Shopify-Access-Token",
    ];
    for head in both_commands(&env, &args) {
        assert_eq!(
            header_of(&head, "x-shopify-access-token").as_deref(),
            Some(TOKEN)
        );
        assert_eq!(header_of(&head, "authorization"), None, "{head}");
    }
    // Frappe's `Authorization: token key:secret`: the token as given.
    let env = [("STOCK_API_TOKEN", "token 5ecretkey:5ecretsecret")];
    let args = ["--auth", "header", "--auth-header", "Authorization"];
    for head in both_commands(&env, &args) {
        assert_eq!(
            header_of(&head, "authorization").as_deref(),
            Some("token 5ecretkey:5ecretsecret")
        );
    }
}

#[test]
fn basic_sends_the_user_and_the_token_in_base64() {
    let env = [("STOCK_API_TOKEN", TOKEN), ("STOCK_API_USER", USER)];
    for head in both_commands(&env, &["--auth", "basic"]) {
        assert_eq!(
            header_of(&head, "authorization"),
            Some(format!("Basic {BASIC}"))
        );
    }
    // PrestaShop: the key as the user, an empty password.
    let env = [("STOCK_API_USER", "PRESTAKEY")];
    for head in both_commands(&env, &["--auth", "basic"]) {
        // base64("PRESTAKEY:")
        assert_eq!(
            header_of(&head, "authorization").as_deref(),
            Some("Basic UFJFU1RBS0VZOg==")
        );
    }
}

#[test]
fn the_scheme_and_the_header_come_from_the_environment_too() {
    let env = [
        ("STOCK_API_TOKEN", TOKEN),
        ("STOCK_API_AUTH", "header"),
        ("STOCK_API_AUTH_HEADER", "X-Api-Key"),
    ];
    for head in both_commands(&env, &[]) {
        assert_eq!(header_of(&head, "x-api-key").as_deref(), Some(TOKEN));
    }
    let env = [
        ("STOCK_API_TOKEN", TOKEN),
        ("STOCK_API_USER", USER),
        ("STOCK_API_AUTH", "basic"),
    ];
    for head in both_commands(&env, &[]) {
        assert_eq!(
            header_of(&head, "authorization"),
            Some(format!("Basic {BASIC}"))
        );
    }
    // An option wins over the environment.
    let env = [("STOCK_API_TOKEN", TOKEN), ("STOCK_API_AUTH", "basic")];
    for head in both_commands(&env, &["--auth", "bearer"]) {
        assert_eq!(
            header_of(&head, "authorization"),
            Some(format!("Bearer {TOKEN}"))
        );
    }
}

/// Runs `command` with `env` and expects exit status 2, `expected` in
/// stderr, no secret in it, and no request sent.
fn assert_usage_error(command: &str, env: &[(&str, &str)], args: &[&str], expected: &str) {
    let server = stock_server();
    let output = cmd()
        .envs(env.iter().copied())
        .args([command, "--base-url", &server.url])
        .args(args)
        .args(if command == "fetch" {
            &["GS-1"][..]
        } else {
            &[]
        })
        .output()
        .unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{command} {args:?}: {err}");
    assert!(err.contains(expected), "{command} {args:?}: {err}");
    assert!(!err.contains("5ecret"), "{err}");
    assert!(output.stdout.is_empty());
    assert!(server.requests().is_empty(), "a request was sent");
}

#[test]
fn a_wrong_scheme_is_a_usage_error() {
    let token = [("STOCK_API_TOKEN", TOKEN)];
    for command in ["fetch", "list"] {
        assert_usage_error(
            command,
            &token,
            &["--auth", "digest"],
            "invalid value 'digest' for '--auth <SCHEME>'",
        );
        assert_usage_error(
            command,
            &[("STOCK_API_TOKEN", TOKEN), ("STOCK_API_AUTH", "Bearer2")],
            &[],
            "[possible values: bearer, header, basic]",
        );
    }
}

#[test]
fn credentials_that_do_not_fit_the_scheme_are_usage_errors() {
    let token = [("STOCK_API_TOKEN", TOKEN)];
    let user = [("STOCK_API_TOKEN", TOKEN), ("STOCK_API_USER", USER)];
    for command in ["fetch", "list"] {
        assert_usage_error(
            command,
            &token,
            &["--auth", "header"],
            "--auth header needs --auth-header NAME",
        );
        assert_usage_error(
            command,
            &token,
            &["--auth", "header", "--auth-header", "X Api Key"],
            "not a valid HTTP header name",
        );
        assert_usage_error(
            command,
            &token,
            &["--auth", "header", "--auth-header", "Host"],
            "cannot carry the token",
        );
        assert_usage_error(
            command,
            &token,
            &["--auth-header", "X-Api-Key"],
            "but --auth is bearer",
        );
        assert_usage_error(
            command,
            &[
                ("STOCK_API_TOKEN", TOKEN),
                ("STOCK_API_AUTH_HEADER", "X-Key"),
            ],
            &["--auth", "basic"],
            "but --auth is basic",
        );
        assert_usage_error(
            command,
            &user,
            &[],
            "STOCK_API_USER is only used by --auth basic",
        );
        assert_usage_error(
            command,
            &token,
            &["--auth", "basic"],
            "--auth basic needs STOCK_API_USER",
        );
        assert_usage_error(
            command,
            &[("STOCK_API_TOKEN", TOKEN), ("STOCK_API_USER", "us:5ecret")],
            &["--auth", "basic"],
            "contains a colon",
        );
        assert_usage_error(
            command,
            &[("STOCK_API_TOKEN", "5ecret\ntoken")],
            &["--auth", "header", "--auth-header", "X-Api-Key"],
            "STOCK_API_TOKEN contains characters not allowed in an HTTP header",
        );
    }
}

/// Every run of 8 characters of `secret`.
fn pieces(secret: &str) -> Vec<String> {
    let chars: Vec<char> = secret.chars().collect();
    chars.windows(8).map(|w| w.iter().collect()).collect()
}

fn assert_no_secret(output: &std::process::Output) {
    let out = String::from_utf8_lossy(&output.stdout);
    let err = stderr(output);
    for text in [&*out, &*err] {
        for secret in [USER, TOKEN, BASIC] {
            for piece in pieces(secret) {
                assert!(!text.contains(&piece), "{piece:?} leaked:\n{text}");
            }
        }
        assert!(!text.contains("5ecret"), "a secret leaked:\n{text}");
    }
}

/// Every character as `\uXXXX`, as a JSON string may carry it.
fn all_escaped(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let _ = write!(out, "\\u{:04x}", u32::from(c));
    }
    out
}

#[test]
fn a_hostile_api_echoing_the_credentials_never_gets_them_printed() {
    // A broken API that echoes the user, the token or the base64 it received
    // in the fields sync-cli reads, escaped as PHP writes JSON or as \uXXXX,
    // whole or cut; and a listing whose next page, on another origin, carries
    // them in its URL.
    let server = RawServer::start(|n, head| {
        let path = head.split(' ').nth(1).unwrap_or_default();
        let php = |text: &str| serde_json::to_string(text).unwrap().replace('/', "\\/");
        let secrets = [USER, TOKEN, BASIC];
        let secret = secrets[n % 3];
        let cut: String = secret.chars().skip(2).take(20).collect();
        if path.starts_with("/api/stock/") {
            let body = match n % 4 {
                0 => format!(r#"{{"product_id": {}, "quantity": "1"}}"#, php(secret)),
                1 => format!(r#"{{"product_id": "x", "quantity": {}}}"#, php(secret)),
                2 => format!(
                    r#"{{"product_id": "{}", "quantity": "1"}}"#,
                    all_escaped(secret)
                ),
                _ => format!(
                    r#"{{"product_id": "x", "quantity": "{}"}}"#,
                    all_escaped(&cut)
                ),
            };
            return Reply::status("200 OK", &[], &body);
        }
        let link = format!(
            "<http://elsewhere.invalid/next?user={USER}&token={TOKEN}&basic={BASIC}>; rel=\"next\""
        );
        let items = json!([
            {"product_id": USER, "quantity": 1},
            {"product_id": "GS-1", "quantity": BASIC},
            {"product_id": "GS-2", "quantity": TOKEN},
        ]);
        let body = json!({"items": items}).to_string();
        Reply::status("200 OK", &[("Link", &link), ("X-Echo", BASIC)], &body)
    });
    let env = [
        ("STOCK_API_TOKEN", TOKEN),
        ("STOCK_API_USER", USER),
        ("RUST_LOG", "trace"),
    ];
    for format in ["jsonl", "table"] {
        for _ in 0..4 {
            let output = cmd()
                .envs(env)
                .args([
                    "-vvv",
                    "fetch",
                    "--auth",
                    "basic",
                    "--base-url",
                    &server.url,
                ])
                .args(["--format", format, "x"])
                .output()
                .unwrap();
            assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
            assert!(
                stderr(&output).contains("TRACE"),
                "trace logging was not on"
            );
            assert_no_secret(&output);
        }
    }
    let output = cmd()
        .envs(env)
        .args(["-vvv", "list", "--auth", "basic", "--base-url", &server.url])
        .args(["--paging", "link"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let lines = json_lines(&output.stdout);
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(
        lines[..3]
            .iter()
            .all(|line| line["status"] == "invalid_response")
    );
    assert!(
        lines[0]["error"]
            .as_str()
            .unwrap()
            .contains("holds the API token or another credential"),
        "{}",
        lines[0]
    );
    assert_eq!(lines[3]["listing"], "incomplete");
    assert!(
        lines[3]["error"].as_str().unwrap().contains("<redacted>"),
        "{}",
        lines[3]
    );
    assert_no_secret(&output);
    // They were sent, and show nowhere.
    let heads = server.requests();
    assert_eq!(heads.len(), 9);
    assert!(heads.iter().all(|head| head.contains(BASIC)));
}
