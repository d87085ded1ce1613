//! The shared table of external ID cases, which the addon's tests run too
//! (`stock_sync_api/synccli/tests/external_id_vectors.json`): sync-cli's
//! check must give each case the same verdict and rule as the addon's.

#![allow(clippy::unwrap_used)]

mod common;

use common::{RawServer, Reply, cmd, json_lines};
use serde_json::Value;
use sync_cli::id::{check_id, is_blank};

const VECTORS: &str = include_str!("../../stock_sync_api/synccli/tests/external_id_vectors.json");

/// Each case: the ID, the rule that refuses it (None: accepted), its note.
fn cases() -> Vec<(String, Option<String>, String)> {
    let doc: Value = serde_json::from_str(VECTORS).unwrap();
    doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|case| {
            let repeat = case["repeat"].as_u64().unwrap_or(1) as usize;
            (
                case["id"].as_str().unwrap().repeat(repeat),
                case["refused"].as_str().map(str::to_owned),
                case["note"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_id_check_follows_the_shared_table() {
    let cases = cases();
    assert!(cases.len() > 40);
    for (id, refused, note) in cases {
        let got = check_id(&id).err().map(|e| e.rule().to_owned());
        assert_eq!(got, refused, "{id:?} ({note})");
    }
}

#[test]
fn the_binary_follows_the_shared_table() {
    // Each case as an argument, except those an argument cannot hold (NUL)
    // or that are blank (a usage error as an argument, skipped on stdin).
    let server = RawServer::start(|_, head| {
        let path = head.split(' ').nth(1).unwrap_or_default();
        let id = percent_encoding::percent_decode_str(path.rsplit('/').next().unwrap_or_default())
            .decode_utf8()
            .unwrap()
            .into_owned();
        let body = serde_json::json!({"product_id": id, "quantity": "1"}).to_string();
        Reply::status("200 OK", &[], &body)
    });
    let cases: Vec<_> = cases()
        .into_iter()
        .filter(|(id, _, _)| !id.contains('\0') && !is_blank(id))
        .collect();
    let output = cmd()
        .args(["fetch", "--base-url", &server.url, "--concurrency", "1"])
        .args(cases.iter().map(|(id, _, _)| id))
        .output()
        .unwrap();
    let lines = json_lines(&output.stdout);
    assert_eq!(lines.len(), cases.len());
    for ((id, refused, note), line) in cases.iter().zip(&lines) {
        assert_eq!(line["external_id"], id.as_str());
        if refused.is_some() {
            assert_eq!(line["status"], "http_error", "{id:?} ({note}): {line}");
            assert_eq!(line["attempts"], 0, "{id:?} ({note}): {line}");
        } else {
            assert_eq!(line["status"], "ok", "{id:?} ({note}): {line}");
        }
    }
}
