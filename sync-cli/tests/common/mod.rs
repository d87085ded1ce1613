//! Test helpers: an in-process mock-api, tiny raw HTTP servers, and a `cmd()`
//! that runs `sync-cli` with a clean environment.

#![allow(dead_code, clippy::unwrap_used)] // each test file uses a part

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use mock_api::{AppState, Product, Settings};
use serde_json::Value;

/// A mock-api server running on a background thread for the rest of the test.
pub struct Server {
    pub url: String,
    pub state: AppState,
}

impl Server {
    pub fn start(state: AppState) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let router = mock_api::app(state.clone());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                axum::serve(listener, router).await.unwrap();
            });
        });
        Server { url, state }
    }

    /// The built-in demo data.
    pub fn demo() -> Server {
        Server::start(AppState::demo())
    }

    pub fn with(products: Vec<Product>, settings: Settings) -> Server {
        Server::start(AppState::new(products, settings))
    }

    /// `sync-cli fetch --base-url <this server>` with short timeouts.
    pub fn fetch(&self) -> Command {
        let mut cmd = cmd();
        cmd.args(["fetch", "--base-url", &self.url, "--timeout", "1"]);
        cmd
    }

    pub fn hits(&self, id: &str) -> u64 {
        self.state.hits(id)
    }
}

/// `sync-cli` with an empty environment (no `STOCK_API_*`, no `RUST_LOG`) and a
/// safety timeout; each test sets what it needs.
pub fn cmd() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sync-cli"));
    cmd.env_clear().timeout(Duration::from_secs(30));
    cmd
}

/// The stdout of a run as JSON objects, one per line; panics on anything else.
pub fn json_lines(stdout: &[u8]) -> Vec<Value> {
    let text = std::str::from_utf8(stdout).unwrap();
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "unterminated output: {text:?}"
    );
    text.lines()
        .map(|line| {
            let value: Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line:?}"));
            assert!(value.is_object(), "not an object: {line}");
            value
        })
        .collect()
}

/// The `external_id` of each output line, in order.
pub fn output_ids(lines: &[Value]) -> Vec<&str> {
    lines
        .iter()
        .map(|line| line["external_id"].as_str().unwrap())
        .collect()
}

/// A base URL whose port nothing listens on.
pub fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{address}")
}

/// What a raw server does with the n-th request (0-based): answer with these
/// bytes, or drop the connection without answering.
pub enum Reply {
    Bytes(Vec<u8>),
    Drop,
}

impl Reply {
    /// A full response with `Connection: close`.
    pub fn status(status: &str, headers: &[(&str, &str)], body: &str) -> Reply {
        let mut head = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
        for (name, value) in headers {
            let _ = write!(head, "{name}: {value}\r\n");
        }
        let _ = write!(head, "Content-Length: {}\r\n\r\n", body.len());
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body.as_bytes());
        Reply::Bytes(bytes)
    }
}

/// A tiny HTTP server for what mock-api cannot do; records each request head
/// and when it arrived.
pub struct RawServer {
    pub url: String,
    pub requests: Arc<Mutex<Vec<String>>>,
    pub arrivals: Arc<Mutex<Vec<Instant>>>,
}

impl RawServer {
    pub fn start(reply: impl Fn(usize, &str) -> Reply + Send + Sync + 'static) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let arrivals = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        let times = Arc::clone(&arrivals);
        let reply = Arc::new(reply);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (seen, times, reply) =
                    (Arc::clone(&seen), Arc::clone(&times), Arc::clone(&reply));
                std::thread::spawn(move || serve_raw(stream, &seen, &times, &*reply));
            }
        });
        RawServer {
            url,
            requests,
            arrivals,
        }
    }

    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    /// When each request arrived, in the order of [`RawServer::requests`].
    pub fn arrivals(&self) -> Vec<Instant> {
        self.arrivals.lock().unwrap().clone()
    }

    /// The request targets (`/path?query`) received.
    pub fn targets(&self) -> Vec<String> {
        self.request_lines()
            .iter()
            .map(|line| line.split(' ').nth(1).unwrap_or_default().to_owned())
            .collect()
    }

    /// The request lines (`GET /path HTTP/1.1`) received.
    pub fn request_lines(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|head| head.lines().next().unwrap_or_default().to_owned())
            .collect()
    }
}

fn serve_raw(
    mut stream: TcpStream,
    seen: &Mutex<Vec<String>>,
    times: &Mutex<Vec<Instant>>,
    reply: &(dyn Fn(usize, &str) -> Reply + Send + Sync),
) {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let n = {
        let mut seen = seen.lock().unwrap();
        times.lock().unwrap().push(Instant::now());
        seen.push(head.clone());
        seen.len() - 1
    };
    match reply(n, &head) {
        Reply::Bytes(bytes) => {
            let _ = stream.write_all(&bytes);
            let _ = stream.flush();
        }
        Reply::Drop => {}
    }
}

/// A listening socket whose accept queue is full, so that connecting to it
/// hangs (until the connect timeout). Keep it alive for the test.
pub struct Saturated {
    pub url: String,
    _listener: TcpListener,
    _queued: Vec<TcpStream>,
}

pub fn saturated_listener() -> Option<Saturated> {
    let socket = socket_with_backlog_0()?;
    let address: SocketAddr = socket.local_addr().ok()?;
    let mut queued = Vec::new();
    for _ in 0..16 {
        match TcpStream::connect_timeout(&address, Duration::from_millis(200)) {
            Ok(stream) => queued.push(stream),
            Err(_) => {
                return Some(Saturated {
                    url: format!("http://{address}"),
                    _listener: socket,
                    _queued: queued,
                });
            }
        }
    }
    None
}

fn socket_with_backlog_0() -> Option<TcpListener> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    let _guard = runtime.enter();
    let socket = tokio::net::TcpSocket::new_v4().ok()?;
    socket.bind("127.0.0.1:0".parse().ok()?).ok()?;
    let listener = socket.listen(0).ok()?;
    listener.into_std().ok()
}
