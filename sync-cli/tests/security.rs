//! Nobody gets in where they don't belong: certificates are verified (real
//! TLS servers with certificates made by the test), `--ca-file` trusts a
//! private CA, plain http:// to another host is warned about, and the token
//! shows nowhere.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{RawServer, Reply, cmd, json_lines};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use serde_json::Value;

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

// --- certificates and a TLS server ------------------------------------------------

/// A CA made for one test.
struct Ca {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key).unwrap();
        Ca {
            issuer: Issuer::new(params, key),
            pem: cert.pem(),
        }
    }

    /// A server certificate for `names` (DNS names or IP addresses) and its key.
    fn server_cert(&self, names: &[&str]) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        let key = KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "stock API");
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        (cert.der().clone(), key)
    }
}

/// A file in a directory of its own, removed when dropped.
struct TempFile {
    dir: PathBuf,
    path: PathBuf,
}

impl TempFile {
    fn new(name: &str, contents: &str) -> TempFile {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "sync-cli-security-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, contents).unwrap();
        TempFile { dir, path }
    }

    fn path(&self) -> &Path {
        &self.path
    }

    fn arg(&self) -> &str {
        self.path.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// An HTTPS server on 127.0.0.1 answering every request with a valid body
/// for the ID in its path; counts the requests that got through the
/// handshake.
struct TlsServer {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl TlsServer {
    fn start(cert: CertificateDer<'static>, key: PrivateKeyDer<'static>) -> TlsServer {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .unwrap();
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("https://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (config, seen) = (Arc::clone(&config), Arc::clone(&seen));
                std::thread::spawn(move || serve_tls(stream, config, &seen));
            }
        });
        TlsServer { url, requests }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve_tls(stream: TcpStream, config: Arc<ServerConfig>, seen: &Mutex<Vec<String>>) {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let connection = ServerConnection::new(config).unwrap();
    let mut tls = StreamOwned::new(connection, stream);
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match tls.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            // A refused handshake ends here.
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let path = head.split(' ').nth(1).unwrap_or_default().to_owned();
    seen.lock().unwrap().push(head);
    let id = path.rsplit('/').next().unwrap_or_default();
    let body = serde_json::json!({"product_id": id, "quantity": "5"}).to_string();
    let response = format!(
        "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = tls.write_all(response.as_bytes());
    tls.conn.send_close_notify();
    let _ = tls.flush();
}

/// `sync-cli fetch --base-url <url>` whose system CA certificates are
/// `system_ca` (through `SSL_CERT_FILE`), so that the test does not depend on
/// the machine's store.
fn https_fetch(url: &str, system_ca: &TempFile) -> assert_cmd::Command {
    let mut command = cmd();
    command.env("SSL_CERT_FILE", system_ca.path()).args([
        "fetch",
        "--base-url",
        url,
        "--retries",
        "0",
        "--timeout",
        "5",
    ]);
    command
}

fn only_line(output: &std::process::Output) -> Value {
    let lines = json_lines(&output.stdout);
    assert_eq!(lines.len(), 1, "{}", stderr(output));
    lines.into_iter().next().unwrap()
}

// --- TLS ------------------------------------------------------------------------------

#[test]
fn a_private_ca_is_refused_unless_given_with_ca_file() {
    let private = Ca::new("GlobalShop private CA");
    let (cert, key) = private.server_cert(&["127.0.0.1", "localhost"]);
    let server = TlsServer::start(cert, key);
    let system = TempFile::new("system.pem", &Ca::new("Some public CA").pem);
    let ca_file = TempFile::new("private-ca.pem", &private.pem);

    let output = https_fetch(&server.url, &system)
        .arg("GS-1001")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let line = only_line(&output);
    assert_eq!(line["status"], "connection_error", "{line}");
    let error = line["error"].as_str().unwrap();
    assert!(error.contains(&server.url), "{error}");
    assert!(error.contains("certificate"), "{error}");
    assert!(server.requests().is_empty(), "a request got through");

    let output = https_fetch(&server.url, &system)
        .args(["--ca-file", ca_file.arg(), "GS-1001"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let line = only_line(&output);
    assert_eq!(line["status"], "ok", "{line}");
    assert_eq!(line["quantity"], 5.0);

    // The same from the environment.
    let output = https_fetch(&server.url, &system)
        .env("STOCK_API_CA_FILE", ca_file.path())
        .arg("GS-1002")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn ca_file_adds_to_the_system_roots() {
    let public = Ca::new("Some public CA");
    let (cert, key) = public.server_cert(&["127.0.0.1"]);
    let server = TlsServer::start(cert, key);
    let system = TempFile::new("system.pem", &public.pem);
    let ca_file = TempFile::new("private-ca.pem", &Ca::new("GlobalShop private CA").pem);
    let output = https_fetch(&server.url, &system)
        .args(["--ca-file", ca_file.arg(), "GS-1001"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(only_line(&output)["status"], "ok");
}

#[test]
fn the_host_name_is_verified_even_with_ca_file() {
    let private = Ca::new("GlobalShop private CA");
    let (cert, key) = private.server_cert(&["stock.example.com"]);
    let server = TlsServer::start(cert, key);
    let system = TempFile::new("system.pem", &Ca::new("Some public CA").pem);
    let ca_file = TempFile::new("private-ca.pem", &private.pem);
    let output = https_fetch(&server.url, &system)
        .args(["--ca-file", ca_file.arg(), "GS-1001"])
        .output()
        .unwrap();
    let line = only_line(&output);
    assert_eq!(line["status"], "connection_error", "{line}");
    assert!(
        line["error"].as_str().unwrap().contains("certificate"),
        "{line}"
    );
    assert!(server.requests().is_empty());
}

#[test]
fn a_self_signed_server_certificate_is_refused() {
    let ca = Ca::new("GlobalShop private CA");
    let (cert, key) = ca.server_cert(&["127.0.0.1"]);
    let server = TlsServer::start(cert, key);
    // The machine's own CA certificates, whatever they are: the test's CA is
    // not among them.
    let output = cmd()
        .args([
            "fetch",
            "--base-url",
            &server.url,
            "--retries",
            "0",
            "GS-1001",
        ])
        .output()
        .unwrap();
    let lines = json_lines(&output.stdout);
    if output.status.code() == Some(1) {
        // A machine without any CA certificate cannot build a client.
        assert!(
            stderr(&output).contains("CA certificates"),
            "{}",
            stderr(&output)
        );
        return;
    }
    assert_eq!(lines[0]["status"], "connection_error", "{}", lines[0]);
    assert!(server.requests().is_empty());
}

#[test]
fn ca_file_errors_are_usage_errors() {
    let missing = std::env::temp_dir().join("sync-cli-no-such-dir/ca.pem");
    let not_pem = TempFile::new(
        "key.pem",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    );
    let cases: [(&str, &str); 2] = [
        (missing.to_str().unwrap(), "cannot read the file"),
        (not_pem.arg(), "no certificate found"),
    ];
    for (path, reason) in cases {
        for via_env in [false, true] {
            let mut command = cmd();
            command.args(["fetch", "--base-url", "https://127.0.0.1:9", "x"]);
            if via_env {
                command.env("STOCK_API_CA_FILE", path);
            } else {
                command.args(["--ca-file", path]);
            }
            let output = command.output().unwrap();
            let err = stderr(&output);
            assert_eq!(output.status.code(), Some(2), "{err}");
            assert!(output.stdout.is_empty());
            assert!(
                err.contains(&format!("--ca-file {path}: {reason}")),
                "{err}"
            );
        }
    }
}

// --- plain http ----------------------------------------------------------------------

const PLAIN_HTTP_WARNING: &str = "uses plain http:// to a non-local host";

#[test]
fn plain_http_to_a_remote_host_warns_once_at_startup() {
    // `.invalid` never resolves: no request leaves this machine.
    let output = cmd()
        .args([
            "fetch",
            "--base-url",
            "http://stock.example.invalid",
            "--retries",
            "0",
            "--connect-timeout",
            "1",
            "--timeout",
            "2",
            "GS-1",
            "GS-2",
            "GS-3",
        ])
        .output()
        .unwrap();
    let err = stderr(&output);
    assert_eq!(err.matches(PLAIN_HTTP_WARNING).count(), 1, "{err}");
    let warning = err
        .lines()
        .find(|l| l.contains(PLAIN_HTTP_WARNING))
        .unwrap();
    assert!(warning.contains("WARN"), "{warning}");
    assert!(warning.contains("(stock.example.invalid)"), "{warning}");
    assert!(warning.contains("unencrypted"), "{warning}");
    let lines = json_lines(&output.stdout);
    assert_eq!(lines.len(), 3);
    assert!(lines.iter().all(|l| l["status"] != "ok"), "{lines:?}");
}

#[test]
fn the_warning_comes_before_any_request() {
    // Given the URL alone: a usage error after parsing still warns, with no
    // ID to fetch at all.
    let output = cmd()
        .args(["fetch", "--base-url", "http://stock.example.invalid"])
        .write_stdin("")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(
        stderr(&output).contains(PLAIN_HTTP_WARNING),
        "{}",
        stderr(&output)
    );
}

#[test]
fn no_warning_for_loopback_or_https() {
    let closed = common::closed_port_url();
    let port = closed.rsplit(':').next().unwrap();
    for url in [
        closed.clone(),
        format!("http://localhost:{port}"),
        format!("http://[::1]:{port}"),
        format!("http://127.0.0.2:{port}"),
        "https://stock.example.invalid".to_owned(),
    ] {
        let output = cmd()
            .args(["fetch", "--base-url", &url, "--retries", "0"])
            .args(["--connect-timeout", "1", "--timeout", "2", "GS-1"])
            .output()
            .unwrap();
        let err = stderr(&output);
        assert!(!err.contains("plain http"), "{url}: {err}");
        assert_eq!(json_lines(&output.stdout).len(), 1, "{url}");
    }
}

// --- the token ---------------------------------------------------------------------

const TOKEN: &str = "tok-5ecret-0123456789abcdef-0123456789abcdef-0123456789abcdef";

fn assert_no_token(output: &std::process::Output) {
    let out = String::from_utf8_lossy(&output.stdout);
    let err = stderr(output);
    for text in [&*out, &*err] {
        assert!(!text.contains(TOKEN), "the token leaked:\n{text}");
        assert!(
            !text.contains("5ecret"),
            "part of the token leaked:\n{text}"
        );
    }
}

#[test]
fn a_401_that_echoes_nothing_never_shows_the_token_even_at_trace_level() {
    let server = RawServer::start(|_, _| Reply::status("401 Unauthorized", &[], ""));
    let output = cmd()
        .env("STOCK_API_TOKEN", TOKEN)
        .env("RUST_LOG", "trace")
        .args([
            "-vvv",
            "fetch",
            "--base-url",
            &server.url,
            "GS-1001",
            "GS-1002",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    assert!(
        stderr(&output).contains("TRACE"),
        "trace logging was not on"
    );
    let lines = json_lines(&output.stdout);
    for line in &lines {
        assert_eq!(line["status"], "http_error");
        assert_eq!(line["http_status"], 401);
        assert!(
            line["error"]
                .as_str()
                .unwrap()
                .contains("check STOCK_API_TOKEN")
        );
    }
    // It was sent, and shows nowhere.
    assert!(server.requests()[0].contains(TOKEN));
    assert_no_token(&output);
}

#[test]
fn an_answer_that_echoes_the_token_does_not_put_it_in_messages() {
    // A broken API that answers with the Authorization header it received,
    // in product_id (cut to 40 characters in messages), in quantity, or as
    // garbage.
    let server = RawServer::start(|n, head| {
        let token = head
            .lines()
            .find_map(|l| l.strip_prefix("authorization: Bearer "))
            .or_else(|| {
                head.lines()
                    .find_map(|l| l.strip_prefix("Authorization: Bearer "))
            })
            .unwrap_or("none")
            .to_owned();
        let body = match n % 3 {
            0 => serde_json::json!({"product_id": token, "quantity": "1"}).to_string(),
            1 => serde_json::json!({"product_id": "x", "quantity": token}).to_string(),
            _ => format!("Bearer {token} is not allowed here"),
        };
        Reply::status("200 OK", &[], &body)
    });
    for _ in 0..3 {
        let output = cmd()
            .env("STOCK_API_TOKEN", TOKEN)
            .env("RUST_LOG", "trace")
            .args(["fetch", "--base-url", &server.url, "x"])
            .output()
            .unwrap();
        let line = &json_lines(&output.stdout)[0];
        assert_eq!(line["status"], "invalid_response", "{line}");
        assert_no_token(&output);
    }
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn a_refused_token_is_not_repeated_in_the_usage_error() {
    let output = cmd()
        .env("STOCK_API_TOKEN", "5ecret\nline")
        .args(["fetch", "--base-url", "http://127.0.0.1:9", "x"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("STOCK_API_TOKEN"));
    assert!(!stderr(&output).contains("5ecret"), "{}", stderr(&output));
}

/// A token with the characters that escaping changes: `/` (`\/` in PHP's
/// JSON), `"` and `\`.
const ESCAPED_TOKEN: &str = "tok/5ecret\"0123\\456789/abcdef-ghijklmnop/qrstuvwxyz";

/// Every run of 8 characters of `token`.
fn pieces(token: &str) -> Vec<String> {
    let chars: Vec<char> = token.chars().collect();
    chars.windows(8).map(|w| w.iter().collect()).collect()
}

fn assert_no_piece_of(token: &str, output: &std::process::Output) {
    let out = String::from_utf8_lossy(&output.stdout);
    let err = stderr(output);
    for text in [&*out, &*err] {
        for piece in pieces(token) {
            assert!(
                !text.contains(&piece),
                "{piece:?} of the token leaked:\n{text}"
            );
        }
    }
}

/// The token as a JSON string would carry it, with every character escaped
/// as `\uXXXX`.
fn all_escaped(text: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for c in text.chars() {
        let _ = write!(out, "\\u{:04x}", u32::from(c));
    }
    out
}

#[test]
fn a_token_echoed_with_json_escapes_is_redacted_from_output_and_logs() {
    // A broken API that echoes the Authorization header it received, escaped
    // as PHP writes JSON (`\/`), or with every character as `\uXXXX`, in
    // product_id or in quantity, whole or cut.
    let server = RawServer::start(|n, head| {
        let token = head
            .lines()
            .find_map(|l| {
                l.strip_prefix("authorization: Bearer ")
                    .or_else(|| l.strip_prefix("Authorization: Bearer "))
            })
            .unwrap_or("none")
            .to_owned();
        let json = serde_json::to_string(&token).unwrap();
        let php = json.replace('/', "\\/");
        let cut: String = token.chars().skip(3).take(20).collect();
        let body = match n % 5 {
            0 => format!(r#"{{"product_id": {php}, "quantity": "1"}}"#),
            1 => format!(r#"{{"product_id": "x", "quantity": {php}}}"#),
            2 => format!(
                r#"{{"product_id": "{}", "quantity": "1"}}"#,
                all_escaped(&token)
            ),
            3 => format!(
                r#"{{"product_id": "x", "quantity": "{}"}}"#,
                all_escaped(&cut)
            ),
            _ => format!(r#"{{"product_id": "x", "quantity": [{php}]}}"#),
        };
        Reply::status("200 OK", &[], &body)
    });
    for format in ["jsonl", "table"] {
        for _ in 0..5 {
            let output = cmd()
                .env("STOCK_API_TOKEN", ESCAPED_TOKEN)
                .env("RUST_LOG", "debug")
                .args([
                    "-vv",
                    "fetch",
                    "--base-url",
                    &server.url,
                    "--format",
                    format,
                    "x",
                ])
                .output()
                .unwrap();
            assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
            if format == "jsonl" {
                let line = &json_lines(&output.stdout)[0];
                assert_eq!(line["status"], "invalid_response", "{line}");
            }
            assert!(
                stderr(&output).contains("DEBUG"),
                "debug logging was not on"
            );
            assert_no_piece_of(ESCAPED_TOKEN, &output);
        }
    }
    assert_eq!(server.requests().len(), 10);
    assert!(
        server.requests()[0].contains(ESCAPED_TOKEN),
        "the token was not sent"
    );
}

// --- credentials in the base URL --------------------------------------------------

#[test]
fn credentials_in_the_base_url_are_never_repeated() {
    let cases = [
        ("http://admin:hunter2pw@127.0.0.1:5000", "credentials"),
        (
            "http://admin:hunter2pw@127.0.0.1:99999",
            "invalid port number",
        ),
        ("http://admin:hunter2pw@[::1", "invalid IPv6 address"),
        ("https://admin:hunter2pw@h/?a=1", "credentials"),
        ("ftp://admin:hunter2pw@h", "http:// or https://"),
    ];
    for (url, reason) in cases {
        for from_env in [false, true] {
            let mut command = cmd();
            if from_env {
                command.env("STOCK_API_URL", url).args(["fetch", "x"]);
            } else {
                command.args(["fetch", "--base-url", url, "x"]);
            }
            let output = command.output().unwrap();
            assert_eq!(output.status.code(), Some(2), "{url}");
            let err = stderr(&output);
            assert!(err.contains(reason), "{url}: {err}");
            assert!(err.contains("***@"), "{url}: {err}");
            assert!(!err.contains("hunter2pw"), "{url}: {err}");
            assert!(!err.contains("admin"), "{url}: {err}");
            assert!(output.stdout.is_empty());
        }
    }
}

// --- TLS failures in words ----------------------------------------------------------

#[test]
fn a_ca_certificate_used_as_the_server_certificate_is_one_clear_sentence() {
    // The server presents a CA certificate (trusted, for its own name) as
    // its own certificate.
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, "a CA");
    let cert = params.self_signed(&key).unwrap();
    let system = TempFile::new("system.pem", &cert.pem());
    let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let server = TlsServer::start(cert.der().clone(), der);
    let output = https_fetch(&server.url, &system)
        .arg("GS-1001")
        .output()
        .unwrap();
    let line = only_line(&output);
    assert_eq!(line["status"], "connection_error", "{line}");
    let error = line["error"].as_str().unwrap();
    assert!(
        error.ends_with(
            "failed: cannot connect: the server's TLS certificate was refused: it is a CA \
             certificate, not a server certificate signed by a CA"
        ),
        "{error}"
    );
    assert!(!error.contains("Other("), "{error}");
    // No log line of the TLS library at the default level.
    assert_eq!(stderr(&output), "", "{}", stderr(&output));
    assert!(server.requests().is_empty());
}

#[test]
fn an_unknown_issuer_says_how_to_trust_a_private_ca() {
    let ca = Ca::new("GlobalShop private CA");
    let (cert, key) = ca.server_cert(&["127.0.0.1"]);
    let server = TlsServer::start(cert, key);
    let system = TempFile::new("system.pem", &Ca::new("Some public CA").pem);
    let output = https_fetch(&server.url, &system)
        .arg("GS-1001")
        .output()
        .unwrap();
    let error = only_line(&output)["error"].as_str().unwrap().to_owned();
    assert!(
        error.ends_with(
            "the server's TLS certificate was refused: it is not signed by a trusted CA (for a \
             private CA, give its certificate with --ca-file)"
        ),
        "{error}"
    );
    assert_eq!(stderr(&output), "");
}
