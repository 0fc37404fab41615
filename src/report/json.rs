//! The JSON reporter: Newman's run summary shape, so tools that read Newman reports
//! (newman-reporter-htmlextra, Allure's adapter, dashboards) work unchanged. The shape is checked
//! against a report Newman 6.2.2 wrote for the same collection
//! (`tests/fixtures/newman-shape/`).
//!
//! ```json
//! { "collection": {..}, "environment": {..}, "globals": {..},
//!   "run": { "stats": {..}, "timings": {..}, "executions": [..], "transfers": {..},
//!            "failures": [..], "error": null, "snapman": {..} } }
//! ```
//!
//! As in Newman:
//! - `collection`, `executions[].item`, `failures[].source` and `failures[].parent` are the
//!   collection as the Postman SDK normalises it (see [`super::newman`]).
//! - `response.stream` is Node's Buffer JSON, `{"type": "Buffer", "data": [bytes]}`;
//!   `--reporter-json-omit-bodies` leaves `data` empty and drops request bodies (and says so
//!   in `run.snapman.bodiesOmitted`).
//! - `request.header` lists the headers as sent, those the item did not set marked
//!   `system: true`, and the item's disabled headers with `disabled: true`; `request.body` is
//!   the body as sent: `raw` text as sent, other modes (`urlencoded`, `formdata`, ...) as defined
//!   at send time, variables resolved in keys and values, disabled fields listed as defined.
//! - `failures[].error` carries `id`, `timestamp`, `checksum` (MD5 of name and message),
//!   `stacktrace`, and `type: "Error"` for script errors; `at` is `assertion:N in test-script`,
//!   `test-script`, `prerequest-script` or `request`.
//! - `run.stats` counts as Newman does: `items`, `prerequests` and `tests` count one event per
//!   execution and never fail (Newman only fails them on runtime errors); `scripts` = pre-request
//!   plus test scripts, failed = script errors.
//!
//! Where snapman differs or adds:
//! - `request.auth` is the effective auth block as written in the collection (variables not
//!   resolved); its secrets are masked like every string.
//! - `requestError` is `{code, message}` (Node's `errno`/`syscall` are not known here).
//! - `run.timings.firstByte*` are filled on every run (Newman fills them only under
//!   `--verbose`), from the time between handing a request to the HTTP client and its response
//!   headers: on a new connection that includes DNS, TCP and TLS set-up, which Newman's phase
//!   leaves out (reqwest does not time them apart). `dns*` stay 0, as Newman writes them when it
//!   has no timings.
//! - snapman's own facts live under `snapman` keys: `run.snapman` (`failedItems`, `flakyItems`,
//!   `bodiesOmitted`, `redacted`), `executions[].snapman.snapshot` (what `snapman test` found
//!   comparing the response with its snapshot or saved example) and
//!   `executions[].snapman.retries`/`.flaky` (`--retries`: each retry's reason and wait, and
//!   whether the request passed after retrying).
//!
//! Every string in the report, including the collection, environment and globals, goes through
//! the [`Redactor`](crate::secret::Redactor).

use std::path::Path;

use base64::Engine;
use md5::{Digest, Md5};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value, json};

use crate::error::Error;
use crate::http::call::{ReceivedResponse, SentRequest};
use crate::report::context::{
    Failure, FailureKind, ReportContext, ResponseStats, epoch_millis, millis, run_failures,
};
use crate::report::mask::{MaskedJson, write_masked_json};
use crate::report::newman::{
    SdkCollection, SdkItem, query_list, sdk_collection, sdk_url, stable_id,
};
use crate::runner::summary::{Count, Execution, RunSummary};

/// The whole report as a JSON value (every string redacted). [`write_json`] writes the same
/// document without holding it whole.
pub fn json_report(ctx: &ReportContext) -> Value {
    let sdk = sdk_collection(ctx.collection);
    serde_json::to_value(Report::new(ctx, &sdk)).unwrap_or(Value::Null)
}

/// The report, serialised piece by piece: one execution's JSON exists at a time, and each piece
/// passes through the redactor as it is written.
struct Report<'a> {
    built: Built<'a>,
    mask: MaskedJson<'a>,
}

impl<'a> Report<'a> {
    fn new(ctx: &'a ReportContext<'a>, sdk: &'a SdkCollection) -> Self {
        Report {
            built: Built {
                ctx,
                sdk,
                timestamp: epoch_millis(ctx.summary.completed),
            },
            mask: MaskedJson::new(ctx.redactor),
        }
    }
}

impl Serialize for Report<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (ctx, mask) = (self.built.ctx, &self.mask);
        let started = epoch_millis(ctx.summary.started);
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("collection", &mask.value(self.built.sdk.collection.clone()))?;
        map.serialize_entry(
            "environment",
            &mask.value(scope(ctx.environment, &format!("environment {started}"))),
        )?;
        map.serialize_entry(
            "globals",
            &mask.value(scope(ctx.globals, &format!("globals {started}"))),
        )?;
        map.serialize_entry("run", &Run(self))?;
        map.end()
    }
}

/// The report's `run` object.
struct Run<'r, 'a>(&'r Report<'a>);

impl Serialize for Run<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Report { built, mask } = self.0;
        let (ctx, summary) = (built.ctx, built.ctx.summary);
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("stats", &mask.value(stats(summary)))?;
        map.serialize_entry("timings", &mask.value(timings(summary)))?;
        map.serialize_entry(
            "executions",
            &mask.each(|| summary.executions.iter().map(|e| built.execution(e))),
        )?;
        map.serialize_entry(
            "transfers",
            &mask.value(json!({ "responseTotal": summary.tally.bytes })),
        )?;
        map.serialize_entry(
            "failures",
            &mask.each(|| run_failures(summary).into_iter().map(|f| built.failure(&f))),
        )?;
        map.serialize_entry(
            "error",
            &mask.value(json!(
                summary
                    .run_error
                    .as_ref()
                    .map(|m| json!({ "name": "Error", "message": m }))
            )),
        )?;
        let mut snapman = mask.value(json!({
            "failedItems": summary.tally.failed_items,
            "flakyItems": summary.tally.flaky_items,
            "bodiesOmitted": ctx.omit_bodies,
            "redacted": false,
        }));
        // Whether any secret was masked anywhere in the report (every piece before this one).
        snapman["redacted"] = json!(mask.masked());
        map.serialize_entry("snapman", &snapman)?;
        map.end()
    }
}

/// An environment or globals export in Newman's shape: `{id, name?, values: [{type, value,
/// key, disabled?}]}`.
fn scope(export: &Value, seed: &str) -> Value {
    let mut out = Map::new();
    out.insert(
        "id".into(),
        export
            .get("id")
            .cloned()
            .filter(|v| !v.is_null())
            .unwrap_or_else(|| json!(stable_id(seed))),
    );
    if let Some(name) = export.get("name").filter(|n| !n.is_null()) {
        out.insert("name".into(), name.clone());
    }
    let values: Vec<Value> = export["values"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|v| {
            let kind = v.get("type").cloned().unwrap_or_else(|| json!("any"));
            let mut item = json!({ "type": kind, "value": v["value"], "key": v["key"] });
            if v["enabled"] == false {
                item["disabled"] = json!(true);
            }
            item
        })
        .collect();
    out.insert("values".into(), json!(values));
    Value::Object(out)
}

/// Writes the report as indented JSON to `path`, atomically, one piece at a time.
pub fn write_json(path: &Path, ctx: &ReportContext) -> Result<(), Error> {
    let sdk = sdk_collection(ctx.collection);
    write_masked_json(path, &Report::new(ctx, &sdk))
}

fn count(c: Count) -> Value {
    json!({ "total": c.total, "pending": 0, "failed": c.failed })
}

fn stats(summary: &RunSummary) -> Value {
    let s = summary.stats();
    // One `prerequest` and one `test` event per execution; Newman fails them (and `items`)
    // only on runtime errors, never on a script's own error.
    let events = Count {
        total: s.items.total,
        failed: 0,
    };
    let scripts = Count {
        total: s.prerequest_scripts.total + s.test_scripts.total,
        failed: s.prerequest_scripts.failed + s.test_scripts.failed,
    };
    json!({
        "iterations": count(s.iterations),
        "items": count(Count { failed: 0, ..s.items }),
        "scripts": count(scripts),
        "prerequests": count(events),
        "requests": count(s.requests),
        "tests": count(events),
        "assertions": count(s.assertions),
        "testScripts": count(s.test_scripts),
        "prerequestScripts": count(s.prerequest_scripts),
    })
}

fn timings(summary: &RunSummary) -> Value {
    let stats = ResponseStats::of(summary);
    let (r, f) = (stats.response, stats.first_byte);
    // Nothing measured: Newman's initial `0`.
    let first_byte = |ms: f64| if f.count == 0 { json!(0) } else { json!(ms) };
    json!({
        "responseAverage": r.average,
        "responseMin": r.min,
        "responseMax": r.max,
        "responseSd": r.sd,
        // Not measured: reqwest does not time name resolution. Newman's initial zeros stay.
        "dnsAverage": 0, "dnsMin": 0, "dnsMax": 0, "dnsSd": 0,
        "firstByteAverage": first_byte(f.average),
        "firstByteMin": first_byte(f.min),
        "firstByteMax": first_byte(f.max),
        "firstByteSd": first_byte(f.sd),
        "started": epoch_millis(summary.started),
        "completed": epoch_millis(summary.completed),
    })
}

/// postman-runtime's cursor, with `ref` = the execution's unique id.
fn cursor(summary: &RunSummary, e: &Execution) -> Value {
    let length = summary.tally.length;
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
        "httpRequestId": http_request_id(e),
    })
}

/// A stable id for the HTTP request of an execution (Newman's `cursor.httpRequestId`).
fn http_request_id(e: &Execution) -> String {
    stable_id(&format!("http-request {}", e.id))
}

/// The URL sent, as the SDK serialises a request's URL (no `raw`).
fn url(raw: &str) -> Value {
    let Ok(u) = url::Url::parse(raw) else {
        return sdk_url(&json!(raw));
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
    out.insert(
        "query".into(),
        u.query().map_or_else(|| json!([]), query_list),
    );
    out.insert("variable".into(), json!([]));
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

/// `name: message` hashed, as a stable checksum of an error.
fn checksum(name: &str, message: &str) -> String {
    Md5::digest(format!("{name}: {message}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Everything the per-execution builders share.
struct Built<'a> {
    ctx: &'a ReportContext<'a>,
    sdk: &'a SdkCollection,
    timestamp: u64,
}

impl Built<'_> {
    fn sdk_item(&self, e: &Execution) -> Option<&SdkItem> {
        self.sdk.items.get(&e.item_id)
    }

    /// The request as sent: the item's own headers, then its disabled ones, then the headers
    /// snapman added (`system: true`); the body in the item's mode.
    fn request(&self, e: &Execution, r: &SentRequest) -> Value {
        let item = self.sdk_item(e);
        let defined = item.map(|i| &i.item["request"]);
        let own: Vec<&Value> = defined
            .and_then(|d| d["header"].as_array())
            .map(|h| h.iter().collect())
            .unwrap_or_default();
        let is_own = |name: &str| {
            own.iter().any(|h| {
                h["disabled"] != true
                    && h["key"]
                        .as_str()
                        .is_some_and(|k| k.eq_ignore_ascii_case(name))
            })
        };
        let mut header: Vec<Value> = r
            .headers
            .iter()
            .filter(|(k, _)| is_own(k))
            .map(|(k, v)| json!({ "key": k, "value": v }))
            .collect();
        header.extend(
            own.iter()
                .filter(|h| h["disabled"] == true)
                .map(|h| (*h).clone()),
        );
        header.extend(
            r.headers
                .iter()
                .filter(|(k, _)| !is_own(k))
                .map(|(k, v)| json!({ "key": k, "value": v, "system": true })),
        );
        // The transport adds these two; postman-runtime lists them with the system headers.
        let has = |name: &str| r.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
        if !has("host")
            && let Some(host) = ::url::Url::parse(&r.url).ok().and_then(|u| {
                u.host_str().map(|h| {
                    u.port()
                        .map_or_else(|| h.to_string(), |p| format!("{h}:{p}"))
                })
            })
        {
            header.push(json!({ "key": "Host", "value": host, "system": true }));
        }
        if let Some(length) = r.body_len().filter(|_| !has("content-length")) {
            header.push(
                json!({ "key": "Content-Length", "value": length.to_string(), "system": true }),
            );
        }
        let mut out = Map::new();
        out.insert("url".into(), url(&r.url));
        out.insert("header".into(), json!(header));
        out.insert("method".into(), json!(r.method));
        if !self.ctx.omit_bodies
            && let Some(body) = request_body(r)
        {
            out.insert("body".into(), body);
        }
        if let Some(auth) = item.and_then(|i| i.auth.as_ref()) {
            out.insert("auth".into(), auth.clone());
        }
        Value::Object(out)
    }

    fn response(&self, e: &Execution, r: &ReceivedResponse) -> Value {
        let data: Vec<u8> = if self.ctx.omit_bodies {
            Vec::new()
        } else {
            r.body.clone()
        };
        json!({
            "id": e.id,
            "status": r.status,
            "code": r.code,
            "header": r.headers.iter().map(|(k, v)| json!({ "key": k, "value": v })).collect::<Vec<_>>(),
            "stream": { "type": "Buffer", "data": data },
            "cookie": [],
            "responseTime": millis(r.response_time).round() as u64,
            "responseSize": r.response_size,
        })
    }

    /// Newman's assertion error; `full` adds what Newman adds in `failures[]` (id, checksum,
    /// timestamp, stacktrace).
    fn assertion_error(
        &self,
        index: usize,
        e: &Execution,
        (test, name, message): (&str, &str, &str),
        full: bool,
    ) -> Value {
        let (line, column) = (index + 1, e.position + 1);
        let mut error = json!({
            "name": name,
            "index": index,
            "test": test,
            "message": message,
            "stack": format!("{name}: {message}\n   at Object.eval sandbox-script.js:{line}:{column})"),
        });
        if !full {
            return error;
        }
        let extra = json!({
            "checksum": checksum(name, message),
            "id": stable_id(&format!("assertion {} {index} {full}", e.id)),
            "timestamp": self.timestamp,
            "stacktrace": [{
                "fileName": "sandbox-script.js",
                "lineNumber": line,
                "functionName": "Object.eval",
                "typeName": "Object",
                "methodName": "eval",
                "columnNumber": column,
                "native": false,
            }],
        });
        if let (Some(out), Value::Object(more)) = (error.as_object_mut(), extra) {
            out.extend(more);
        }
        error
    }

    /// Newman's script error; `seed` makes its id.
    fn script_error(&self, seed: &str, name: &str, message: &str) -> Value {
        json!({
            "type": "Error",
            "name": name,
            "message": message,
            "checksum": checksum(name, message),
            "id": stable_id(seed),
            "timestamp": self.timestamp,
            "stacktrace": [],
        })
    }

    fn execution(&self, e: &Execution) -> Value {
        let summary = self.ctx.summary;
        let mut out = Map::new();
        out.insert("cursor".into(), cursor(summary, e));
        out.insert(
            "item".into(),
            self.sdk_item(e).map_or_else(
                || json!({ "id": e.item_id, "name": e.item_name }),
                |i| i.item.clone(),
            ),
        );
        if let Some(r) = &e.request {
            out.insert("request".into(), self.request(e, r));
        }
        if let Some(r) = &e.response {
            out.insert("response".into(), self.response(e, r));
        }
        out.insert("id".into(), json!(e.item_id));
        if let Some(err) = &e.request_error {
            out.insert(
                "requestError".into(),
                json!({ "code": err.code, "message": err.message }),
            );
        }
        if !e.assertions.is_empty() {
            let assertions: Vec<Value> = e
                .assertions
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    let mut v = json!({ "assertion": a.name, "skipped": a.skipped });
                    if let Some(err) = &a.error {
                        v["error"] =
                            self.assertion_error(i, e, (&a.name, &err.name, &err.message), false);
                    }
                    v
                })
                .collect();
            out.insert("assertions".into(), json!(assertions));
        }
        for listen in ["prerequest", "test"] {
            let errors: Vec<Value> = e
                .script_errors
                .iter()
                .filter(|s| s.listen == listen)
                .enumerate()
                .map(|(i, s)| {
                    let seed = format!("script {} {listen} {i}", e.id);
                    json!({ "error": self.script_error(&seed, &s.name, &s.message) })
                })
                .collect();
            if !errors.is_empty() {
                out.insert(format!("{listen}Script"), json!(errors));
            }
        }
        let mut extra = Map::new();
        if let Some(v) = self.ctx.snapshot_of(e) {
            extra.insert(
                "snapshot".into(),
                json!({
                    "trial": v.trial,
                    "status": v.status,
                    "file": v.file,
                    "pending": v.pending,
                    "message": v.message,
                }),
            );
        }
        if let Some(size) = e.response.as_ref().and_then(|r| r.truncated_from) {
            extra.insert("responseTruncated".into(), json!({ "size": size }));
        }
        if !e.retries.is_empty() {
            let retries: Vec<Value> = e
                .retries
                .iter()
                .map(|r| json!({ "reason": r.reason, "waitMs": r.wait.as_millis() as u64 }))
                .collect();
            extra.insert("retries".into(), json!(retries));
            extra.insert("flaky".into(), json!(e.flaky()));
        }
        if !extra.is_empty() {
            out.insert("snapman".into(), Value::Object(extra));
        }
        Value::Object(out)
    }

    fn failure(&self, f: &Failure) -> Value {
        let summary = self.ctx.summary;
        let e = f.execution;
        let item = self.sdk_item(e);
        let (error, listen) = match f.kind {
            FailureKind::Assertion(i, a) => (
                self.assertion_error(i, e, (&a.name, f.name(), &f.message()), true),
                Some("test"),
            ),
            FailureKind::Script(s) => {
                let seed = format!("failure {} {} {}", e.id, s.listen, s.message);
                (
                    self.script_error(&seed, &s.name, &s.message),
                    Some(s.listen.as_str()),
                )
            }
            FailureKind::Request(r) => {
                let seed = format!("request {}", e.id);
                let mut v = self.script_error(&seed, "Error", &r.message);
                v["code"] = json!(r.code);
                (v, None)
            }
        };
        let at = match f.kind {
            FailureKind::Script(s) => format!("{}-script", s.listen),
            _ => f.at(),
        };
        let mut c = json!({
            "ref": e.id,
            "length": summary.tally.length,
            "cycles": summary.iterations,
            "position": e.position,
            "iteration": e.iteration,
            "httpRequestId": http_request_id(e),
        });
        if let Some((script, execution)) = listen.and_then(|l| item.and_then(|i| i.script_ids(l))) {
            c["scriptId"] = script;
            c["execution"] = execution;
        }
        json!({
            "error": error,
            "at": at,
            "source": item.map_or_else(|| json!({ "id": e.item_id, "name": e.item_name }), |i| i.item.clone()),
            "parent": item.map_or_else(
                || json!({ "id": summary.collection_id, "name": summary.collection_name }),
                |i| i.parent.clone(),
            ),
            "cursor": c,
        })
    }
}

/// The request body as Newman shows the request it sent: `raw` text as sent (with the
/// definition's `options`), other modes as defined at send time (variables resolved, every form
/// field listed, disabled ones too). A request without a definition (not built by a run) shows
/// its bytes as `raw`.
fn request_body(sent: &SentRequest) -> Option<Value> {
    // Nothing was sent (a GET's body is dropped).
    let bytes = sent.body.as_deref()?;
    let defined = sent
        .definition
        .as_ref()
        .and_then(|d| serde_json::to_value(d).ok());
    match defined.as_ref().and_then(|d| d["mode"].as_str()) {
        Some("raw") | None => {
            let (text, base64) = body_text(bytes);
            let mut b = json!({ "mode": "raw", "raw": text });
            if base64 {
                b["rawEncoding"] = json!("base64");
            }
            if let Some(options) = defined.as_ref().and_then(|d| d.get("options")) {
                b["options"] = options.clone();
            }
            Some(b)
        }
        Some(_) => defined,
    }
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
        assert!(v.get("raw").is_none(), "the SDK drops raw");
    }

    /// A request sent with `bytes` and `definition` (a body as JSON).
    fn sent(definition: Option<Value>, bytes: Option<&[u8]>) -> SentRequest {
        SentRequest {
            body: bytes.map(<[u8]>::to_vec),
            definition: definition.and_then(|d| serde_json::from_value(d).ok()),
            ..SentRequest::default()
        }
    }

    #[test]
    fn form_bodies_show_their_fields_and_raw_the_bytes_sent() {
        let form = json!({"mode": "urlencoded", "urlencoded": [
            {"key": "a", "value": "1"}, {"key": "b", "value": "x", "disabled": true}]});
        assert_eq!(
            request_body(&sent(Some(form.clone()), Some(b"a=1"))),
            Some(form)
        );
        let raw = json!({"mode": "raw", "options": {"raw": {"language": "json"}}});
        assert_eq!(
            request_body(&sent(Some(raw), Some(b"{}"))),
            Some(json!({"mode": "raw", "raw": "{}", "options": {"raw": {"language": "json"}}}))
        );
        assert_eq!(
            request_body(&sent(None, Some(b"a=1"))),
            Some(json!({"mode": "raw", "raw": "a=1"}))
        );
        let pruned = json!({"mode": "formdata", "formdata": [{"key": "a", "value": "1"}]});
        assert_eq!(request_body(&sent(Some(pruned), None)), None);
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
