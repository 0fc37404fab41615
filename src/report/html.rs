//! The HTML reporter: one self-contained page (inline CSS, a small inline script, inline SVG
//! charts; nothing loaded from elsewhere) that replaces newman-reporter-html/htmlextra for the
//! common case: summary, pass/fail per folder, a "failures only" filter and a search box, a
//! timeline (waterfall) of the requests and a response-time histogram, then every request with
//! its checks, console output, pretty-printed JSON bodies, retries (flaky) and, under
//! `snapman test`, its snapshot diff side by side.
//!
//! ```text
//! Shop API — failed                        (started, duration)
//! [iterations | requests | test-scripts | prerequest-scripts | assertions] executed / failed
//! Failures: 1. AssertionError  Users › Get user  (link to the request)
//! Iteration 1
//!   Users
//!     ▸ GET http://127.0.0.1:3000/users/1  200 OK  512B  35ms
//!       ✓ Status is 200   ✗ Body has name: expected ...   – Has avatar (skipped)
//!       <details> request / response headers and bodies
//! ```
//!
//! The page is rendered with handlebars from [`html.hbs`](./html.hbs) in strict mode, with HTML
//! escaping on for every value, straight into the file through the write edge's masking
//! ([`crate::report::mask`]): every secret in the page is masked there, in whatever escaped
//! form it reached the page. Bodies are cut at [`BODY_LIMIT`] before a secret that straddles
//! the cut, so none is left half-shown. Bodies that are not UTF-8 are shown as their size.

use std::path::Path;

use chrono::{DateTime, Utc};
use handlebars::Handlebars;
use serde::Serialize;

use crate::error::Error;
use crate::report::cli::{format_bytes, format_ms};
use crate::report::context::{
    FailureKind, ReportContext, ResponseStats, SnapshotResult, execution_failures, millis,
    run_duration,
};
use crate::report::mask::{masked_markup, write_masked_markup};
use crate::runner::summary::{Count, Execution, RunSummary};
use crate::secret::Redactor;

/// The page template.
const TEMPLATE: &str = include_str!("html.hbs");

/// Bodies longer than this many bytes are cut on the page.
pub const BODY_LIMIT: usize = 16 * 1024;

/// Why the page could not be rendered (a bug in the template, never bad input).
#[derive(Debug, thiserror::Error)]
pub enum HtmlReportError {
    /// The built-in template does not compile.
    #[error("failed to compile the html report template: {0}")]
    Template(#[from] Box<handlebars::TemplateError>),
    /// Rendering failed.
    #[error("failed to render the html report: {0}")]
    Render(#[from] handlebars::RenderError),
}

/// The page's template, compiled.
fn template() -> Result<Handlebars<'static>, HtmlReportError> {
    let mut hbs = Handlebars::new();
    hbs.set_strict_mode(true);
    hbs.register_escape_fn(escape);
    hbs.register_template_string("page", TEMPLATE)
        .map_err(Box::new)?;
    Ok(hbs)
}

/// Renders the page into `out` (unmasked: callers write through the write edge).
fn render(ctx: &ReportContext, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let hbs = template().map_err(std::io::Error::other)?;
    hbs.render_to_write("page", &Page::of(ctx), out)
        .map_err(std::io::Error::other)
}

/// The whole page as a string (every value HTML-escaped, every secret masked).
pub fn html_report(ctx: &ReportContext) -> Result<String, HtmlReportError> {
    template()?;
    masked_markup(ctx.redactor, |w| render(ctx, w)).map_err(|e| {
        HtmlReportError::Render(handlebars::RenderErrorReason::Other(e.to_string()).into())
    })
}

/// Escapes text for HTML content and double-quoted attributes. Unlike handlebars' default it
/// leaves `=` and backticks alone, so URLs and bodies stay readable in the page source.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// Writes the page to `path`, atomically, masked as it is written.
pub fn write_html(path: &Path, ctx: &ReportContext) -> Result<(), Error> {
    write_masked_markup(path, ctx.redactor, |w| render(ctx, w))
}

/// Everything the template shows.
#[derive(Debug, Serialize)]
struct Page {
    collection: String,
    started: String,
    duration: String,
    passed: bool,
    run_error: Option<String>,
    counts: Vec<CountRow>,
    average: String,
    received: String,
    failures: Vec<FailureRow>,
    folders: Vec<FolderRow>,
    flaky: usize,
    timeline: String,
    histogram: String,
    iterations: Vec<IterationView>,
}

/// Pass/fail of one folder path over the whole run.
#[derive(Debug, Serialize)]
struct FolderRow {
    name: String,
    requests: usize,
    failed: usize,
}

/// A snapshot comparison of `snapman test`.
#[derive(Debug, Serialize)]
struct SnapshotView {
    status: &'static str,
    failed: bool,
    file: Option<String>,
    rows: Vec<DiffRow>,
    message: Option<String>,
}

/// One row of a side-by-side diff: the stored line and the new one.
#[derive(Debug, Serialize, PartialEq, Eq)]
struct DiffRow {
    /// `same`, `changed`, `gap`.
    kind: &'static str,
    left: String,
    right: String,
}

#[derive(Debug, Serialize)]
struct CountRow {
    label: &'static str,
    executed: usize,
    failed: usize,
}

#[derive(Debug, Serialize)]
struct FailureRow {
    number: usize,
    anchor: String,
    name: String,
    path: String,
    iteration: usize,
    at: String,
    message: String,
}

#[derive(Debug, Serialize)]
struct IterationView {
    number: usize,
    folders: Vec<FolderView>,
}

/// A run of consecutive requests of one iteration in the same folder.
#[derive(Debug, Serialize)]
struct FolderView {
    /// `Shop › Orders`, or empty for top-level requests.
    name: String,
    requests: Vec<RequestView>,
}

#[derive(Debug, Serialize)]
struct RequestView {
    anchor: String,
    name: String,
    failed: bool,
    /// Lower-cased text the search box matches: folder, name, method, URL, status.
    search: String,
    retries: Option<String>,
    flaky: bool,
    snapshot: Option<SnapshotView>,
    method: String,
    url: String,
    status: Option<String>,
    size: Option<String>,
    time: Option<String>,
    assertions: Vec<AssertionView>,
    request_error: Option<String>,
    script_errors: Vec<String>,
    console: Vec<ConsoleView>,
    request: Option<MessageView>,
    response: Option<MessageView>,
}

#[derive(Debug, Serialize)]
struct AssertionView {
    name: String,
    /// `passed`, `failed` or `skipped` (also the CSS class).
    state: &'static str,
    message: Option<String>,
}

#[derive(Debug, Serialize)]
struct ConsoleView {
    level: String,
    text: String,
}

/// Headers and body of a request or response.
#[derive(Debug, Serialize)]
struct MessageView {
    headers: Vec<HeaderView>,
    body: Option<BodyView>,
}

#[derive(Debug, Serialize)]
struct HeaderView {
    key: String,
    value: String,
}

#[derive(Debug, Serialize)]
struct BodyView {
    /// The text shown, `None` for binary bodies.
    text: Option<String>,
    /// What was left out: `binary, 2B` or `first 16kB of 20kB shown`.
    note: Option<String>,
}

impl Page {
    fn of(ctx: &ReportContext) -> Self {
        let summary = ctx.summary;
        let s = summary.stats();
        let row = |label, c: Count| CountRow {
            label,
            executed: c.total,
            failed: c.failed,
        };
        let times = ResponseStats::of(summary);
        let mut failures: Vec<FailureRow> = Vec::new();
        for (index, e) in summary.executions.iter().enumerate() {
            for f in execution_failures(e) {
                let message = match f.kind {
                    FailureKind::Assertion(_, a) => format!("{}: {}", a.name, f.message()),
                    _ => f.message(),
                };
                failures.push(FailureRow {
                    number: failures.len() + 1,
                    anchor: anchor(index),
                    name: f.name().to_string(),
                    path: f.execution.path_display(),
                    iteration: f.execution.iteration + 1,
                    at: f.at(),
                    message,
                });
            }
            // `snapman test`: a response that differs from its snapshot fails too.
            if let Some(message) = ctx.snapshot_of(e).and_then(|v| v.message.as_deref()) {
                failures.push(FailureRow {
                    number: failures.len() + 1,
                    anchor: anchor(index),
                    name: "SnapshotMismatch".into(),
                    path: e.path_display(),
                    iteration: e.iteration + 1,
                    at: "snapshot".into(),
                    message: message.lines().next().unwrap_or_default().to_string(),
                });
            }
        }
        let snapshot_failed = |e: &Execution| ctx.snapshot_of(e).is_some_and(|v| v.failed());
        Page {
            collection: summary.collection_name.clone(),
            started: DateTime::<Utc>::from(summary.started)
                .format("%Y-%m-%d %H:%M:%S UTC")
                .to_string(),
            duration: format_ms(millis(run_duration(summary))),
            passed: summary.passed() && !summary.executions.iter().any(snapshot_failed),
            run_error: summary.run_error.clone(),
            counts: vec![
                row("iterations", s.iterations),
                row("requests", s.requests),
                row("test-scripts", s.test_scripts),
                row("prerequest-scripts", s.prerequest_scripts),
                row("assertions", s.assertions),
            ],
            average: format!(
                "{} [min: {}, max: {}, s.d.: {}]",
                format_ms(times.response.average),
                format_ms(times.response.min),
                format_ms(times.response.max),
                format_ms(times.response.sd)
            ),
            received: format_bytes(times.bytes),
            failures,
            folders: folder_rows(summary, &snapshot_failed),
            flaky: summary.tally.flaky_items,
            timeline: timeline_svg(summary),
            histogram: histogram_svg(summary),
            iterations: iterations(ctx),
        }
    }
}

/// The id of the page section of the execution at `index`.
fn anchor(index: usize) -> String {
    format!("request-{}", index + 1)
}

/// The executions grouped by iteration, then by runs of the same folder.
fn iterations(ctx: &ReportContext) -> Vec<IterationView> {
    let (summary, redactor) = (ctx.summary, ctx.redactor);
    let mut out: Vec<IterationView> = Vec::new();
    for (index, e) in summary.executions.iter().enumerate() {
        let number = e.iteration + 1;
        if out.last().is_none_or(|it| it.number != number) {
            out.push(IterationView {
                number,
                folders: Vec::new(),
            });
        }
        let folder = e.folder_path.join(" › ");
        let mut request = request_view(index, e, redactor);
        request.snapshot = ctx.snapshot_of(e).map(snapshot_view);
        request.failed |= request.snapshot.as_ref().is_some_and(|v| v.failed);
        let Some(iteration) = out.last_mut() else {
            continue;
        };
        match iteration.folders.last_mut() {
            Some(f) if f.name == folder => f.requests.push(request),
            _ => iteration.folders.push(FolderView {
                name: folder,
                requests: vec![request],
            }),
        }
    }
    out
}

/// One request's section; `redactor` only keeps body cuts off secrets.
fn request_view(index: usize, e: &Execution, redactor: &Redactor) -> RequestView {
    let response = e.response.as_ref();
    let search = format!(
        "{} {} {}",
        e.path_display(),
        e.request
            .as_ref()
            .map_or_else(String::new, |r| format!("{} {}", r.method, r.url)),
        response.map_or_else(String::new, |r| format!("{} {}", r.code, r.status))
    );
    RequestView {
        anchor: anchor(index),
        name: e.item_name.clone(),
        failed: e.failed(),
        search,
        retries: (!e.retries.is_empty()).then(|| {
            let reasons: Vec<&str> = e.retries.iter().map(|r| r.reason.as_str()).collect();
            format!(
                "retried {} time(s) after {}",
                e.retries.len(),
                reasons.join(", ")
            )
        }),
        flaky: e.flaky(),
        snapshot: None,
        method: e
            .request
            .as_ref()
            .map_or_else(String::new, |r| r.method.clone()),
        url: e
            .request
            .as_ref()
            .map_or_else(String::new, |r| r.url.clone()),
        status: response.map(|r| format!("{} {}", r.code, r.status)),
        size: response.map(|r| format_bytes(r.response_size)),
        time: response.map(|r| format_ms(millis(r.response_time))),
        assertions: e
            .assertions
            .iter()
            .map(|a| AssertionView {
                name: a.name.clone(),
                state: match (&a.error, a.skipped) {
                    (Some(_), _) => "failed",
                    (None, true) => "skipped",
                    (None, false) => "passed",
                },
                message: a
                    .error
                    .as_ref()
                    .map(|err| format!("{}: {}", err.name, err.message)),
            })
            .collect(),
        request_error: e.request_error.as_ref().map(ToString::to_string),
        script_errors: e
            .script_errors
            .iter()
            .map(|s| format!("{} in {}-script: {}", s.name, s.listen, s.message))
            .collect(),
        console: e
            .console
            .iter()
            .map(|c| ConsoleView {
                level: c.level.clone(),
                text: c.text.clone(),
            })
            .collect(),
        request: e
            .request
            .as_ref()
            .and_then(|r| message(&r.headers, r.body.as_deref().unwrap_or_default(), redactor)),
        response: response.and_then(|r| message(&r.headers, &r.body, redactor)),
    }
}

fn headers(list: &[(String, String)]) -> Vec<HeaderView> {
    list.iter()
        .map(|(k, v)| HeaderView {
            key: k.clone(),
            value: v.clone(),
        })
        .collect()
}

/// Headers and body, or `None` when there are neither.
fn message(list: &[(String, String)], bytes: &[u8], redactor: &Redactor) -> Option<MessageView> {
    (!list.is_empty() || !bytes.is_empty()).then(|| MessageView {
        headers: headers(list),
        body: (!bytes.is_empty()).then(|| body(bytes, redactor)),
    })
}

/// A body pretty-printed when it is JSON, then cut at [`BODY_LIMIT`] (before a secret the cut
/// would split); binary bodies become their size.
fn body(bytes: &[u8], redactor: &Redactor) -> BodyView {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) if !t.contains('\0') => {
            let pretty = serde_json::from_str::<serde_json::Value>(t)
                .ok()
                .filter(|v| v.is_object() || v.is_array())
                .and_then(|v| serde_json::to_string_pretty(&v).ok());
            pretty.unwrap_or_else(|| t.to_string())
        }
        _ => {
            return BodyView {
                text: None,
                note: Some(format!("binary, {}", format_bytes(bytes.len()))),
            };
        }
    };
    if text.len() <= BODY_LIMIT {
        return BodyView {
            text: Some(text),
            note: None,
        };
    }
    let mut cut = BODY_LIMIT;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    if let Some(&(start, _)) = redactor
        .secret_spans(&text)
        .iter()
        .find(|(start, end)| *start < cut && cut < *end)
    {
        cut = start;
    }
    BodyView {
        note: Some(format!(
            "first {} of {} shown",
            format_bytes(cut),
            format_bytes(text.len())
        )),
        text: Some(text[..cut].to_string()),
    }
}

/// Requests and failures per folder path (top-level requests under the collection's name), in
/// the order folders first appear.
fn folder_rows(
    summary: &RunSummary,
    snapshot_failed: &dyn Fn(&Execution) -> bool,
) -> Vec<FolderRow> {
    let mut rows: Vec<FolderRow> = Vec::new();
    for e in &summary.executions {
        let name = if e.folder_path.is_empty() {
            summary.collection_name.clone()
        } else {
            e.folder_path.join(" › ")
        };
        let row = match rows.iter().position(|r| r.name == name) {
            Some(i) => &mut rows[i],
            None => {
                rows.push(FolderRow {
                    name,
                    requests: 0,
                    failed: 0,
                });
                let last = rows.len() - 1;
                &mut rows[last]
            }
        };
        row.requests += 1;
        row.failed += usize::from(e.failed() || snapshot_failed(e));
    }
    rows
}

fn snapshot_view(v: &SnapshotResult) -> SnapshotView {
    let message = v.message.clone();
    SnapshotView {
        status: v.status,
        failed: v.failed(),
        file: v.file.clone(),
        rows: message.as_deref().map(side_by_side).unwrap_or_default(),
        message,
    }
}

/// The rows of a snapshot diff (as `snapman test` prints it: `old new │±text`) side by side:
/// unchanged lines on both sides, removed lines left facing the added lines right.
fn side_by_side(diff: &str) -> Vec<DiffRow> {
    let mut rows = Vec::new();
    let (mut removed, mut added): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    let flush = |rows: &mut Vec<DiffRow>, removed: &mut Vec<String>, added: &mut Vec<String>| {
        let n = removed.len().max(added.len());
        let (mut l, mut r) = (removed.drain(..), added.drain(..));
        for _ in 0..n {
            rows.push(DiffRow {
                kind: "changed",
                left: l.next().unwrap_or_default(),
                right: r.next().unwrap_or_default(),
            });
        }
    };
    for line in diff.lines() {
        if line.starts_with('┈') {
            flush(&mut rows, &mut removed, &mut added);
            rows.push(DiffRow {
                kind: "gap",
                left: "…".into(),
                right: "…".into(),
            });
            continue;
        }
        let Some((gutter, rest)) = line.split_once('│') else {
            continue;
        };
        if !gutter
            .trim()
            .chars()
            .all(|c| c.is_ascii_digit() || c == ' ')
        {
            continue;
        }
        let mut chars = rest.chars();
        let sign = chars.next();
        let text: String = chars.collect();
        match sign {
            Some('-') => removed.push(text),
            Some('+') => added.push(text),
            Some(' ') => {
                flush(&mut rows, &mut removed, &mut added);
                rows.push(DiffRow {
                    kind: "same",
                    left: text.clone(),
                    right: text,
                });
            }
            _ => {}
        }
    }
    flush(&mut rows, &mut removed, &mut added);
    rows
}

/// The longest waterfall drawn; later requests are left out (the page says how many).
const TIMELINE_ROWS: usize = 300;

/// A waterfall of the requests as inline SVG: one bar per execution from when its item started
/// to when its response ended, on the run's time axis; red for failed requests.
fn timeline_svg(summary: &RunSummary) -> String {
    let start = summary.started;
    let total = millis(run_duration(summary)).max(1.0);
    let (width, row, left) = (1000.0_f64, 14.0_f64, 0.0_f64);
    let shown: Vec<&Execution> = summary.executions.iter().take(TIMELINE_ROWS).collect();
    if shown.is_empty() {
        return String::new();
    }
    let height = row * shown.len() as f64 + 24.0;
    let mut svg = format!(
        r#"<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="Timeline of the requests">"#
    );
    let mut previous_end = 0.0_f64;
    for (i, e) in shown.iter().enumerate() {
        let offset = e
            .started
            .and_then(|t| t.duration_since(start).ok())
            .map_or(previous_end, millis);
        let took = e.response.as_ref().map_or(0.0, |r| millis(r.response_time));
        previous_end = offset + took;
        let x = left + offset / total * width;
        let w = (took / total * width).max(1.5);
        let y = row * i as f64 + 2.0;
        let class = if e.failed() { "bar failed" } else { "bar" };
        let label = escape(&format!(
            "{} — starts at {}, takes {}",
            e.path_display(),
            format_ms(offset),
            format_ms(took)
        ));
        svg.push_str(&format!(
            r#"<rect class="{class}" x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{:.1}"><title>{label}</title></rect>"#,
            row - 4.0
        ));
    }
    let axis = row * shown.len() as f64 + 16.0;
    svg.push_str(&format!(
        r#"<text x="0" y="{axis:.1}" class="axis">0 ms</text><text x="{width}" y="{axis:.1}" class="axis" text-anchor="end">{}</text></svg>"#,
        escape(&format_ms(total))
    ));
    svg
}

/// A histogram of response times as inline SVG: ten equal bins from the fastest to the slowest.
fn histogram_svg(summary: &RunSummary) -> String {
    let times: Vec<f64> = summary
        .executions
        .iter()
        .filter_map(|e| e.response.as_ref().map(|r| millis(r.response_time)))
        .collect();
    if times.is_empty() {
        return String::new();
    }
    let min = times.iter().copied().fold(f64::INFINITY, f64::min);
    let max = times.iter().copied().fold(0.0, f64::max);
    const BINS: usize = 10;
    let span = (max - min).max(1.0);
    let mut counts = [0usize; BINS];
    for t in &times {
        let bin = (((t - min) / span) * BINS as f64) as usize;
        counts[bin.min(BINS - 1)] += 1;
    }
    let highest = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
    let (width, height, bar) = (600.0_f64, 160.0_f64, 60.0_f64);
    // Room above the tallest bar for its count.
    const TOP: f64 = 14.0;
    let mut svg = format!(
        r#"<svg class="histogram" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {}" width="{width}" role="img" aria-label="Response time histogram">"#,
        TOP + height + 24.0
    );
    for (i, count) in counts.iter().enumerate() {
        let h = *count as f64 / highest * height;
        let x = i as f64 * bar;
        let from = min + span * i as f64 / BINS as f64;
        let to = min + span * (i + 1) as f64 / BINS as f64;
        let label = escape(&format!(
            "{}–{}: {count} response(s)",
            format_ms(from),
            format_ms(to)
        ));
        svg.push_str(&format!(
            r#"<rect class="bin" x="{:.1}" y="{:.1}" width="{:.1}" height="{h:.1}"><title>{label}</title></rect>"#,
            x + 4.0,
            TOP + height - h,
            bar - 8.0
        ));
        if *count > 0 {
            svg.push_str(&format!(
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" class="axis">{count}</text>"#,
                x + bar / 2.0,
                TOP + height - h - 3.0
            ));
        }
    }
    svg.push_str(&format!(
        r#"<text x="0" y="{:.1}" class="axis">{}</text><text x="{width}" y="{:.1}" class="axis" text-anchor="end">{}</text></svg>"#,
        TOP + height + 16.0,
        escape(&format_ms(min)),
        TOP + height + 16.0,
        escape(&format_ms(max))
    ));
    svg
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use serde_json::Value;

    use super::*;
    use crate::http::call::{ReceivedResponse, RequestError, SentRequest};
    use crate::runner::summary::{Assertion, AssertionError, ConsoleLine, ScriptError};

    const SECRET: &str = "tok-5e3c1a2b9d";

    fn execution(position: usize, folders: &[&str], name: &str) -> Execution {
        Execution {
            id: format!("exec-{position}"),
            item_id: format!("item-{position}"),
            item_name: name.into(),
            folder_path: folders.iter().map(|f| f.to_string()).collect(),
            iteration: 0,
            position,
            request: None,
            response: None,
            request_error: None,
            assertions: vec![],
            script_errors: vec![],
            console: vec![],
            prerequest_scripts: 0,
            test_scripts: 1,
            retries: vec![],
            started: None,
        }
    }

    fn assertion(name: &str, skipped: bool, error: Option<&str>) -> Assertion {
        Assertion {
            name: name.into(),
            skipped,
            error: error.map(|m| AssertionError {
                name: "AssertionError".into(),
                message: m.into(),
            }),
        }
    }

    /// A login whose URL, header, bodies and console carry the secret and whose response is
    /// HTML; a request with passed, failed and skipped assertions; one with a request error
    /// and a script error.
    fn summary() -> RunSummary {
        let mut login = execution(0, &[], "Login");
        login.request = Some(SentRequest {
            method: "POST".into(),
            url: format!("http://127.0.0.1:3000/login?key={SECRET}"),
            headers: vec![("Authorization".into(), format!("Bearer {SECRET}"))],
            body: Some(format!("{{\"password\":\"{SECRET}\"}}").into_bytes()),
            definition: None,
            dropped_body_len: None,
        });
        login.response = Some(ReceivedResponse {
            code: 200,
            status: "OK".into(),
            headers: vec![("Content-Type".into(), "text/html".into())],
            body: format!("<script>alert('{SECRET}')</script>").into_bytes(),
            response_time: Duration::from_millis(20),
            response_size: 120,
            ..ReceivedResponse::default()
        });
        login.assertions = vec![assertion("Status is 200", false, None)];
        login.console = vec![ConsoleLine {
            level: "log".into(),
            text: format!("token is {SECRET}"),
        }];

        let mut user = execution(1, &["Users"], "Get user");
        user.request = Some(SentRequest {
            method: "GET".into(),
            url: "http://127.0.0.1:3000/users/1".into(),
            headers: vec![],
            body: None,
            definition: None,
            dropped_body_len: None,
        });
        user.response = Some(ReceivedResponse {
            code: 404,
            status: "Not Found".into(),
            body: vec![0xff, 0x00, 0x01],
            response_time: Duration::from_millis(35),
            response_size: 60,
            truncated_from: None,
            ..ReceivedResponse::default()
        });
        user.assertions = vec![
            assertion("Status is 200", false, Some("expected 404 to equal 200")),
            assertion("Has avatar", true, None),
        ];

        let mut orders = execution(2, &["Shop", "Orders"], "List orders");
        orders.request = Some(SentRequest {
            method: "GET".into(),
            url: "http://127.0.0.1:1/orders".into(),
            headers: vec![("Accept".into(), "*/*".into())],
            body: None,
            definition: None,
            dropped_body_len: None,
        });
        orders.request_error = Some(RequestError {
            code: "ECONNREFUSED".into(),
            message: "connect ECONNREFUSED 127.0.0.1:1".into(),
        });
        orders.script_errors = vec![ScriptError {
            listen: "test".into(),
            name: "TypeError".into(),
            message: "Cannot read properties of undefined".into(),
            line: Some(2),
            column: Some(19),
        }];

        summary_of(vec![login, user, orders])
    }

    fn summary_of(executions: Vec<Execution>) -> RunSummary {
        let started = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut summary = RunSummary::new("Shop <API>", None, started, Default::default());
        summary.completed = started + Duration::from_millis(1500);
        summary.iterations = 1;
        executions.into_iter().for_each(|e| summary.record(e));
        summary
    }

    fn page(summary: &RunSummary) -> String {
        let redactor = Redactor::new();
        redactor.add(SECRET);
        let ctx = ReportContext {
            summary,
            collection: &Value::Null,
            environment: &Value::Null,
            globals: &Value::Null,
            redactor: &redactor,
            snapshots: &[],
            omit_bodies: false,
        };
        html_report(&ctx).expect("the page renders")
    }

    #[test]
    fn page_has_header_summary_failures_and_requests() {
        let html = page(&summary());
        for piece in [
            "<title>Shop &lt;API&gt; — snapman run report</title>",
            r#"<span class="verdict failed">failed</span>"#,
            "Started 2023-11-14 22:13:20 UTC · took 1.5s",
            r#"<tr><th>assertions</th><td class="num">3</td><td class="num bad">1</td></tr>"#,
            r#"<tr><th>requests</th><td class="num">3</td><td class="num bad">1</td></tr>"#,
            r##"<a href="#request-2">Users › Get user</a>"##,
            r#"id="request-2""#,
            "<h4>Shop › Orders</h4>",
            "[404 Not Found, 60B, 35ms]",
            r#"<li class="failed">Status is 200 — AssertionError: expected 404 to equal 200</li>"#,
            r#"<li class="skipped">Has avatar (skipped)</li>"#,
            "Request error: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1",
            "Script error: TypeError in test-script: Cannot read properties of undefined",
            "at test-script:2:19",
            "binary, 3B",
        ] {
            assert!(html.contains(piece), "page lacks {piece:?}:\n{html}");
        }
        for piece in [
            r#"<tr><th>Users</th><td class="num">1</td><td class="num bad">1</td>"#,
            r#"<svg class="timeline""#,
            r#"<svg class="histogram""#,
            r#"<input type="checkbox" id="only-failures">"#,
            r#"data-search="Users › Get user GET http://127.0.0.1:3000/users/1 404 Not Found""#,
        ] {
            assert!(html.contains(piece), "page lacks {piece:?}");
        }
        // Self-contained: one inline script, nothing loaded from elsewhere.
        assert_eq!(html.matches("<script").count(), 1);
        for external in ["<script src", "<link", "<img", "@import", "url("] {
            assert!(!html.contains(external), "page loads {external}");
        }
    }

    #[test]
    fn json_bodies_are_pretty_printed() {
        let view = body(br#"{"a":{"b":[1,2]}}"#, &Redactor::new());
        assert_eq!(
            view.text.as_deref(),
            Some("{\n  \"a\": {\n    \"b\": [\n      1,\n      2\n    ]\n  }\n}")
        );
        let plain = body(b"42", &Redactor::new());
        assert_eq!(plain.text.as_deref(), Some("42"));
    }

    #[test]
    fn snapshot_diffs_are_laid_side_by_side() {
        let diff = "snapshot mismatch: s/a.snap\n-old snapshot\n+new results\n\
            ─────────────┬──────\n    1     1 │ status: 200\n    2       │-body: a\n          2 │+body: b\n\
                    3 │+extra\n┈┈┈┈┈┈┈┈┈┈┈┈┈┼┈┈┈┈\n    9     9 │ end\nto update it, rerun";
        let rows = side_by_side(diff);
        let kinds: Vec<&str> = rows.iter().map(|r| r.kind).collect();
        assert_eq!(kinds, ["same", "changed", "changed", "gap", "same"]);
        assert_eq!(
            (rows[1].left.as_str(), rows[1].right.as_str()),
            ("body: a", "body: b")
        );
        assert_eq!(
            (rows[2].left.as_str(), rows[2].right.as_str()),
            ("", "extra")
        );
        let view = snapshot_view(&SnapshotResult {
            trial: "A".into(),
            iteration: 0,
            position: 0,
            status: "mismatch",
            file: Some("s/a.snap".into()),
            pending: None,
            message: Some(diff.into()),
        });
        assert!(view.failed && view.rows.len() == 5);
    }

    #[test]
    fn verdict_follows_failures_and_run_error() {
        let mut passing = summary_of(summary().executions.into_iter().take(1).collect());
        let html = page(&passing);
        assert!(html.contains(r#"<span class="verdict passed">passed</span>"#));
        assert!(!html.contains("<h2>Failures</h2>"));
        passing.run_error = Some("callback timed out".into());
        let html = page(&passing);
        assert!(html.contains(r#"<span class="verdict failed">failed</span>"#));
        assert!(html.contains("Run stopped: callback timed out"));
    }

    #[test]
    fn markup_in_data_is_escaped() {
        let html = page(&summary());
        assert!(html.contains("&lt;script&gt;alert(&#x27;[redacted]&#x27;)&lt;/script&gt;"));
        assert_eq!(
            escape(r#"<a href="x">&'="#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#x27;="
        );
    }

    #[test]
    fn a_registered_secret_appears_nowhere() {
        let html = page(&summary());
        assert!(!html.contains(SECRET));
        for masked in [
            "/login?key=[redacted]",
            "Bearer [redacted]",
            "[log] token is [redacted]",
            "&quot;password&quot;: &quot;[redacted]&quot;",
        ] {
            assert!(html.contains(masked), "page lacks {masked:?}");
        }
    }

    #[test]
    fn a_cut_never_splits_a_secret() {
        let redactor = Redactor::new();
        redactor.add(SECRET);
        let mut text = "é".repeat(BODY_LIMIT / 2 - 4);
        text.push_str(SECRET);
        let view = body(text.as_bytes(), &redactor);
        let shown = view.text.expect("text body");
        assert_eq!(
            shown,
            "é".repeat(BODY_LIMIT / 2 - 4),
            "cut before the secret"
        );
        let unmasked = body(text.as_bytes(), &Redactor::new());
        assert_eq!(unmasked.text.map(|t| t.len()), Some(BODY_LIMIT));
        let short = body(b"ok", &redactor);
        assert_eq!((short.text.as_deref(), short.note), (Some("ok"), None));
    }

    #[test]
    fn page_snapshot() {
        insta::assert_snapshot!(page(&summary()));
    }
}
