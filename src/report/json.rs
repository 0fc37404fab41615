//! The JSON reporter: Newman's run summary shape, so tools that read Newman reports work unchanged.
//!
//! ```json
//! { "collection": {..}, "environment": {..}, "globals": {..},
//!   "run": { "stats": {..}, "timings": {..}, "executions": [..], "transfers": {..},
//!            "failures": [..], "error": null } }
//! ```
//!
//! Differences from Newman, on purpose:
//! - `response.body` holds the body as text (base64 with `"bodyEncoding": "base64"` when it is
//!   not UTF-8) instead of Newman's `stream: {type: "Buffer", data: [bytes]}`, which makes
//!   reports several times larger than the bodies they hold.
//! - `item`, `failures[].source` and `failures[].parent` carry only `id` and `name`, not the
//!   whole serialised item.
//! - `requestError` is `{code, message}` (Node's `errno`/`syscall` are not known here).
//!
//! How the counts are derived from [`RunSummary::stats`]:
//! - `scripts` = pre-request scripts + test scripts run; failed = script errors.
//! - `prerequests` and `tests` count the per-item script events, as Newman does: one of each per
//!   execution; failed = executions with a pre-request (resp. test) script error.
//! - `pending` is always 0: the report is written after the run.
//! - `items.failed` counts executions with any failure (Newman almost always reports 0 there).
//! - `transfers.responseTotal` sums response body sizes, which is what Newman's sum ends up
//!   counting; `timings.response*` are over executions that got a response, `dns*`/`firstByte*` are 0.
//! - `executions[].id` is the item id and `cursor.ref` the execution's own id, as in Newman.
//! - Assertion `index` is the 0-based position among the execution's assertions, so `at` reads
//!   `assertion:<index> in test-script`.
//!
//! Every string in the report, including the collection, environment and globals, goes through
//! the [`Redactor`](crate::secret::Redactor).

use std::path::Path;

use base64::Engine;
use serde_json::{Map, Value, json};

use crate::error::Error;
use crate::http::call::{ReceivedResponse, SentRequest};
use crate::report::context::{
    Failure, FailureKind, ReportContext, ResponseStats, epoch_millis, millis, run_failures,
};
use crate::runner::summary::{Count, Execution, RunSummary};

/// The whole report as a JSON value (every string redacted).
pub fn json_report(ctx: &ReportContext) -> Value {
    let summary = ctx.summary;
    let report = json!({
        "collection": ctx.collection,
        "environment": ctx.environment,
        "globals": ctx.globals,
        "run": {
            "stats": stats(summary),
            "timings": timings(summary),
            "executions": summary.executions.iter().map(|e| execution(summary, e)).collect::<Vec<_>>(),
            "transfers": { "responseTotal": ResponseStats::of(summary).bytes },
            "failures": run_failures(summary).iter().map(|f| failure(summary, f)).collect::<Vec<_>>(),
            "error": summary.run_error.as_ref().map(|m| json!({ "name": "Error", "message": m })),
        }
    });
    let mut report = report;
    ctx.redactor.redact_json(&mut report);
    report
}

/// Writes [`json_report`] as indented JSON to `path`, atomically.
pub fn write_json(path: &Path, ctx: &ReportContext) -> Result<(), Error> {
    let report = json_report(ctx);
    crate::atomic::write_with(path, |w| {
        serde_json::to_writer_pretty(&mut *w, &report)?;
        w.write_all(b"\n")
    })
}

fn count(c: Count) -> Value {
    json!({ "total": c.total, "pending": 0, "failed": c.failed })
}

fn stats(summary: &RunSummary) -> Value {
    let s = summary.stats();
    let events = |listen: &str| Count {
        total: summary.executions.len(),
        failed: summary
            .executions
            .iter()
            .filter(|e| e.script_errors.iter().any(|s| s.listen == listen))
            .count(),
    };
    let scripts = Count {
        total: s.prerequest_scripts.total + s.test_scripts.total,
        failed: s.prerequest_scripts.failed + s.test_scripts.failed,
    };
    json!({
        "iterations": count(s.iterations),
        "items": count(s.items),
        "scripts": count(scripts),
        "prerequests": count(events("prerequest")),
        "requests": count(s.requests),
        "tests": count(events("test")),
        "assertions": count(s.assertions),
        "testScripts": count(s.test_scripts),
        "prerequestScripts": count(s.prerequest_scripts),
    })
}

fn timings(summary: &RunSummary) -> Value {
    let r = ResponseStats::of(summary);
    json!({
        "responseAverage": r.average,
        "responseMin": r.min,
        "responseMax": r.max,
        "responseSd": r.sd,
        "dnsAverage": 0, "dnsMin": 0, "dnsMax": 0, "dnsSd": 0,
        "firstByteAverage": 0, "firstByteMin": 0, "firstByteMax": 0, "firstByteSd": 0,
        "started": epoch_millis(summary.started),
        "completed": epoch_millis(summary.completed),
    })
}

/// The run's item list length: the highest position seen plus one.
fn run_length(summary: &RunSummary) -> usize {
    summary
        .executions
        .iter()
        .map(|e| e.position + 1)
        .max()
        .unwrap_or(0)
}

/// postman-runtime's cursor, with `ref` = the execution's unique id.
fn cursor(summary: &RunSummary, e: &Execution) -> Value {
    let length = run_length(summary);
    let cycles = summary.iterations;
    let empty = length == 0 || cycles == 0;
    let last_position = e.position + 1 >= length;
    json!({
        "position": e.position,
        "iteration": e.iteration,
        "length": length,
        "cycles": cycles,
        "empty": empty,
        "eof": empty || (last_position && e.iteration + 1 >= cycles),
        "bof": empty || (e.position == 0 && e.iteration == 0),
        "cr": length == 0 || last_position,
        "ref": e.id,
    })
}

fn headers(list: &[(String, String)]) -> Value {
    list.iter()
        .map(|(k, v)| json!({ "key": k, "value": v }))
        .collect()
}

/// The URL as the Postman SDK serialises it, plus `raw`.
fn url(raw: &str) -> Value {
    let Ok(u) = url::Url::parse(raw) else {
        return json!({ "raw": raw });
    };
    let mut out = Map::new();
    out.insert("protocol".into(), json!(u.scheme()));
    if let Some(port) = u.port() {
        out.insert("port".into(), json!(port.to_string()));
    }
    let path: Vec<&str> = u.path_segments().map(Iterator::collect).unwrap_or_default();
    out.insert("path".into(), json!(path));
    let host: Vec<&str> = u
        .host_str()
        .map(|h| h.split('.').collect())
        .unwrap_or_default();
    out.insert("host".into(), json!(host));
    let query: Vec<Value> = u
        .query()
        .filter(|q| !q.is_empty())
        .map(|q| {
            q.split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((k, v)) => json!({ "key": k, "value": v }),
                    None => json!({ "key": pair, "value": null }),
                })
                .collect()
        })
        .unwrap_or_default();
    out.insert("query".into(), json!(query));
    out.insert("variable".into(), json!([]));
    out.insert("raw".into(), json!(raw));
    Value::Object(out)
}

/// Bodies longer than this are cut in the JSON report (with a note saying so).
pub const REPORT_BODY_LIMIT: usize = 50 << 20;

/// A body as text, or base64 when it is not UTF-8: `(text, is_base64)`. Bodies above
/// [`REPORT_BODY_LIMIT`] keep their first bytes and end with a note giving the full size.
fn body_text(bytes: &[u8]) -> (String, bool) {
    let kept = &bytes[..bytes.len().min(REPORT_BODY_LIMIT)];
    let note = (kept.len() < bytes.len()).then(|| {
        format!(
            "\n[truncated by snapman: {} bytes in all, the first {} kept]",
            bytes.len(),
            kept.len()
        )
    });
    let (mut text, base64) = match std::str::from_utf8(kept) {
        Ok(s) => (s.to_string(), false),
        // A cut inside a multi-byte character is still text.
        Err(e) if note.is_some() && e.error_len().is_none() => (
            String::from_utf8_lossy(&kept[..e.valid_up_to()]).into_owned(),
            false,
        ),
        Err(_) => (base64::engine::general_purpose::STANDARD.encode(kept), true),
    };
    if let Some(note) = note {
        text.push_str(&note);
    }
    (text, base64)
}

fn request(r: &SentRequest) -> Value {
    let mut out = Map::new();
    out.insert("url".into(), url(&r.url));
    out.insert("header".into(), headers(&r.headers));
    out.insert("method".into(), json!(r.method));
    if let Some(body) = &r.body {
        let (text, base64) = body_text(body);
        let mut b = json!({ "mode": "raw", "raw": text });
        if base64 {
            b["rawEncoding"] = json!("base64");
        }
        out.insert("body".into(), b);
    }
    Value::Object(out)
}

fn response(e: &Execution, r: &ReceivedResponse) -> Value {
    let (text, base64) = body_text(&r.body);
    let mut out = json!({
        "id": e.id,
        "status": r.status,
        "code": r.code,
        "header": headers(&r.headers),
        "body": text,
        "responseTime": millis(r.response_time).round() as u64,
        "responseSize": r.response_size,
    });
    if base64 {
        out["bodyEncoding"] = json!("base64");
    }
    out
}

/// Newman's assertion error: `{name, index, test, message, stack}`.
fn assertion_error(index: usize, position: usize, test: &str, name: &str, message: &str) -> Value {
    json!({
        "name": name,
        "index": index,
        "test": test,
        "message": message,
        "stack": format!("{name}: {message}\n   at Object.eval sandbox-script.js:{}:{})", index + 1, position + 1),
    })
}

fn execution(summary: &RunSummary, e: &Execution) -> Value {
    let mut out = Map::new();
    out.insert("cursor".into(), cursor(summary, e));
    out.insert(
        "item".into(),
        json!({ "id": e.item_id, "name": e.item_name }),
    );
    if let Some(r) = &e.request {
        out.insert("request".into(), request(r));
    }
    if let Some(r) = &e.response {
        out.insert("response".into(), response(e, r));
    }
    out.insert("id".into(), json!(e.item_id));
    if let Some(err) = &e.request_error {
        out.insert(
            "requestError".into(),
            json!({ "code": err.code, "message": err.message }),
        );
    }
    let assertions: Vec<Value> = e
        .assertions
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let mut v = json!({ "assertion": a.name, "skipped": a.skipped });
            if let Some(err) = &a.error {
                v["error"] = assertion_error(i, e.position, &a.name, &err.name, &err.message);
            }
            v
        })
        .collect();
    out.insert("assertions".into(), json!(assertions));
    for listen in ["prerequest", "test"] {
        let errors: Vec<Value> = e
            .script_errors
            .iter()
            .filter(|s| s.listen == listen)
            .map(|s| json!({ "error": { "name": s.name, "message": s.message } }))
            .collect();
        if !errors.is_empty() {
            out.insert(format!("{listen}Script"), json!(errors));
        }
    }
    Value::Object(out)
}

fn failure(summary: &RunSummary, f: &Failure) -> Value {
    let e = f.execution;
    let error = match f.kind {
        FailureKind::Assertion(i, a) => {
            assertion_error(i, e.position, &a.name, f.name(), &f.message())
        }
        FailureKind::Script(s) => json!({ "name": s.name, "message": s.message }),
        FailureKind::Request(r) => json!({ "name": "Error", "code": r.code, "message": r.message }),
    };
    let parent = match e.folder_path.last() {
        Some(folder) => json!({ "name": folder }),
        None => json!({ "id": summary.collection_id, "name": summary.collection_name }),
    };
    json!({
        "error": error,
        "at": f.at(),
        "source": { "id": e.item_id, "name": e.item_name },
        "parent": parent,
        "cursor": cursor(summary, e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_is_split_like_the_postman_sdk() {
        let v = url("http://127.0.0.1:8080/a/b?x=1&y");
        assert_eq!(v["protocol"], "http");
        assert_eq!(v["port"], "8080");
        assert_eq!(v["host"], json!(["127", "0", "0", "1"]));
        assert_eq!(v["path"], json!(["a", "b"]));
        assert_eq!(
            v["query"],
            json!([{"key": "x", "value": "1"}, {"key": "y", "value": null}])
        );
        assert_eq!(url("not a url"), json!({ "raw": "not a url" }));
    }

    #[test]
    fn huge_bodies_are_cut_with_a_note() {
        // The cut falls inside a two-byte character: the text stays text.
        let body = format!("a{}", "é".repeat(REPORT_BODY_LIMIT / 2 + 10));
        let (text, base64) = body_text(body.as_bytes());
        assert!(!base64);
        assert!(text.len() < REPORT_BODY_LIMIT + 100);
        assert!(text.starts_with("aéé"));
        assert!(text.ends_with(&format!(
            "[truncated by snapman: {} bytes in all, the first {REPORT_BODY_LIMIT} kept]",
            body.len()
        )));
    }

    #[test]
    fn binary_bodies_become_base64() {
        assert_eq!(body_text(b"hi"), ("hi".to_string(), false));
        assert_eq!(body_text(&[0xff, 0x00]), ("/wA=".to_string(), true));
    }
}
