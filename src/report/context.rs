//! What every reporter gets, and the facts they all derive from it: failures in order, timings.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::http::call::RequestError;
use crate::runner::summary::{
    Assertion, Execution, FAILURES_KEPT, RunSummary, ScriptError, TimeTally,
};
use crate::secret::Redactor;

/// What every reporter gets besides the summary.
#[derive(Debug, Clone, Copy)]
pub struct ReportContext<'a> {
    /// The run's results.
    pub summary: &'a RunSummary,
    /// The collection JSON (for Newman's `collection` key).
    pub collection: &'a serde_json::Value,
    /// `{id, name, values:[...]}`, or `Null` when no environment was given.
    pub environment: &'a serde_json::Value,
    /// `{id, name, values:[...]}`, or `Null` when no globals were given.
    pub globals: &'a serde_json::Value,
    /// Masks every secret in every string a reporter writes.
    pub redactor: &'a Redactor,
    /// What `snapman test` found comparing responses with snapshots or saved examples (empty
    /// for `snapman run`).
    pub snapshots: &'a [SnapshotResult],
    /// `--reporter-json-omit-bodies`: no request or response bodies in the JSON report.
    pub omit_bodies: bool,
}

/// The verdict of one `snapman test` trial on its response: snapman's addition to every report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotResult {
    /// The trial's name (`Folder::Request#2`).
    pub trial: String,
    /// 0-based iteration of the execution it checked.
    pub iteration: usize,
    /// 0-based position of the item in the run's item list.
    pub position: usize,
    /// `matched`, `created`, `written`, `mismatch`, `missing`, `example-matched`,
    /// `example-mismatch` or `error`.
    pub status: &'static str,
    /// The snapshot file, when there is one.
    pub file: Option<String>,
    /// The `.snap.new` file written for review, if any.
    pub pending: Option<String>,
    /// Why it failed (no colour), when it failed.
    pub message: Option<String>,
}

impl SnapshotResult {
    /// True when the comparison failed.
    pub fn failed(&self) -> bool {
        self.message.is_some()
    }
}

impl<'a> ReportContext<'a> {
    /// The snapshot verdict on `e`, when `snapman test` checked it.
    pub fn snapshot_of(&self, e: &Execution) -> Option<&'a SnapshotResult> {
        self.snapshots
            .iter()
            .find(|s| s.iteration == e.iteration && s.position == e.position)
    }
}

/// What went wrong in one failure (the `at` of Newman's `run.failures[]`).
#[derive(Debug, Clone, Copy)]
pub enum FailureKind<'a> {
    /// A failed assertion and its 0-based index in the execution's assertions.
    Assertion(usize, &'a Assertion),
    /// An exception in a pre-request or test script.
    Script(&'a ScriptError),
    /// No response.
    Request(&'a RequestError),
}

/// One failure of one execution, in the order Newman reports them.
#[derive(Debug, Clone, Copy)]
pub struct Failure<'a> {
    /// The execution it belongs to.
    pub execution: &'a Execution,
    /// What failed.
    pub kind: FailureKind<'a>,
}

impl Failure<'_> {
    /// The error class name (`AssertionError`, `TypeError`, `Error` for request errors).
    pub fn name(&self) -> &str {
        match self.kind {
            FailureKind::Assertion(_, a) => a.error.as_ref().map_or("AssertionError", |e| &e.name),
            FailureKind::Script(s) => &s.name,
            FailureKind::Request(_) => "Error",
        }
    }

    /// The error message.
    pub fn message(&self) -> String {
        match self.kind {
            FailureKind::Assertion(_, a) => a
                .error
                .as_ref()
                .map_or_else(String::new, |e| e.message.clone()),
            FailureKind::Script(s) => s.message.clone(),
            FailureKind::Request(r) => r.to_string(),
        }
    }

    /// Newman's `at`: `assertion:N in test-script`, `test-script:L:C`, `prerequest-script`, `request`.
    pub fn at(&self) -> String {
        match self.kind {
            FailureKind::Assertion(index, _) => format!("assertion:{index} in test-script"),
            FailureKind::Script(s) => {
                let mut at = format!("{}-script", s.listen);
                if let Some(line) = s.line {
                    at.push_str(&format!(":{line}"));
                    if let Some(column) = s.column {
                        at.push_str(&format!(":{column}"));
                    }
                }
                at
            }
            FailureKind::Request(_) => "request".to_string(),
        }
    }
}

/// The failures of one execution: pre-request script errors, the request error, failed
/// assertions, then test script errors (the order in which they happen in a Newman run).
pub fn execution_failures(e: &Execution) -> Vec<Failure<'_>> {
    let script = |prerequest: bool| {
        e.script_errors
            .iter()
            .filter(move |s| (s.listen == "prerequest") == prerequest)
            .map(|s| Failure {
                execution: e,
                kind: FailureKind::Script(s),
            })
    };
    let request = e.request_error.iter().map(|r| Failure {
        execution: e,
        kind: FailureKind::Request(r),
    });
    let assertions = e
        .assertions
        .iter()
        .enumerate()
        .filter(|(_, a)| a.error.is_some())
        .map(|(i, a)| Failure {
            execution: e,
            kind: FailureKind::Assertion(i, a),
        });
    script(true)
        .chain(request)
        .chain(assertions)
        .chain(script(false))
        .collect()
}

/// Every failure of the executions the run kept, in order.
pub fn run_failures(summary: &RunSummary) -> Vec<Failure<'_>> {
    summary
        .executions
        .iter()
        .flat_map(execution_failures)
        .collect()
}

/// The first failures of the run (at most [`FAILURES_KEPT`], whatever the retention), and how
/// many more there were.
pub fn first_failures(summary: &RunSummary) -> (Vec<Failure<'_>>, usize) {
    let listed: Vec<Failure<'_>> = summary
        .failed
        .iter()
        .flat_map(execution_failures)
        .take(FAILURES_KEPT)
        .collect();
    let more = summary.tally.failures.saturating_sub(listed.len());
    (listed, more)
}

/// Mean, extremes and population standard deviation of some times, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Spread {
    /// Times counted.
    pub count: usize,
    /// Mean.
    pub average: f64,
    /// Shortest.
    pub min: f64,
    /// Longest.
    pub max: f64,
    /// Population standard deviation.
    pub sd: f64,
}

impl Spread {
    /// The spread of `times` (all zero when there is none).
    pub fn of(times: &[f64]) -> Self {
        if times.is_empty() {
            return Self::default();
        }
        let n = times.len() as f64;
        let average = times.iter().sum::<f64>() / n;
        let variance = times.iter().map(|t| (t - average).powi(2)).sum::<f64>() / n;
        Self {
            count: times.len(),
            average,
            min: times.iter().copied().fold(f64::INFINITY, f64::min),
            max: times.iter().copied().fold(0.0, f64::max),
            sd: variance.sqrt(),
        }
    }
}

impl From<&TimeTally> for Spread {
    fn from(t: &TimeTally) -> Self {
        if t.count == 0 {
            return Self::default();
        }
        Self {
            count: t.count,
            average: t.mean,
            min: t.min,
            max: t.max,
            sd: (t.m2 / t.count as f64).max(0.0).sqrt(),
        }
    }
}

/// Response timings in milliseconds, plus bytes received.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ResponseStats {
    /// Response times (sending to the end of the body), over every response.
    pub response: Spread,
    /// Times to the response headers, over the responses where it was measured (as Newman
    /// leaves out the phases it did not time).
    pub first_byte: Spread,
    /// Sum of response body sizes (what Newman's `transfers.responseTotal` ends up counting).
    pub bytes: usize,
}

impl ResponseStats {
    /// Statistics over every execution that got a response (kept or not).
    pub fn of(summary: &RunSummary) -> Self {
        let t = &summary.tally;
        Self {
            response: Spread::from(&t.response_time),
            first_byte: Spread::from(&t.first_byte),
            bytes: t.bytes,
        }
    }
}

/// A duration in (fractional) milliseconds.
pub fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Milliseconds since the Unix epoch (0 for times before it).
pub fn epoch_millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// How long the run took (zero if the clock went backwards).
pub fn run_duration(summary: &RunSummary) -> Duration {
    summary
        .completed
        .duration_since(summary.started)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::http::call::ReceivedResponse;

    fn execution(ms: u64, first_byte_ms: u64, body: &str) -> Execution {
        Execution {
            id: String::new(),
            item_id: String::new(),
            item_name: "r".into(),
            folder_path: vec![],
            iteration: 0,
            position: 0,
            request: None,
            response: Some(ReceivedResponse {
                response_time: Duration::from_millis(ms),
                first_byte: Duration::from_millis(first_byte_ms),
                body: body.as_bytes().to_vec(),
                ..ReceivedResponse::default()
            }),
            request_error: None,
            assertions: vec![],
            script_errors: vec![],
            console: vec![],
            prerequest_scripts: 0,
            test_scripts: 0,
            retries: vec![],
            started: None,
        }
    }

    #[test]
    fn response_stats_are_population_statistics() {
        let mut summary = RunSummary::new("c", None, UNIX_EPOCH, Default::default());
        summary.record(execution(10, 4, "ab"));
        summary.record(execution(30, 0, "cde"));
        summary.record(execution(20, 8, ""));
        let s = ResponseStats::of(&summary);
        let r = s.response;
        assert_eq!(
            (r.count, r.min, r.max, r.average, s.bytes),
            (3, 10.0, 30.0, 20.0, 5)
        );
        assert!((r.sd - (200.0_f64 / 3.0).sqrt()).abs() < 1e-9, "{}", r.sd);
        // The unmeasured (zero) first byte is left out.
        let f = s.first_byte;
        assert_eq!(
            (f.count, f.min, f.max, f.average, f.sd),
            (2, 4.0, 8.0, 6.0, 2.0)
        );
    }
}
