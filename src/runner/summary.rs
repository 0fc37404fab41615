//! The results of a run: one `Execution` per request sent, plus counts. Reporters read only this.

use std::time::SystemTime;

use crate::http::call::{ReceivedResponse, RequestError, SentRequest};

/// One assertion (`pm.test`, `tests[...]`) as evaluated.
#[derive(Debug, Clone)]
pub struct Assertion {
    /// The test name.
    pub name: String,
    /// Skipped with `pm.test.skip`.
    pub skipped: bool,
    /// The failure, when it failed.
    pub error: Option<AssertionError>,
}

/// Why an assertion failed.
#[derive(Debug, Clone)]
pub struct AssertionError {
    /// Error class name (`AssertionError`, `TypeError`, ...).
    pub name: String,
    /// The failure message (chai's wording).
    pub message: String,
}

/// An exception or syntax error in a script.
#[derive(Debug, Clone)]
pub struct ScriptError {
    /// `prerequest` or `test`.
    pub listen: String,
    /// Error class name.
    pub name: String,
    /// The message.
    pub message: String,
    /// 1-based line in the script, when known.
    pub line: Option<u32>,
    /// 1-based column in the script, when known.
    pub column: Option<u32>,
}

/// One line a script wrote with `console.*`.
#[derive(Debug, Clone)]
pub struct ConsoleLine {
    /// `log`, `info`, `warn`, `error`, `debug`.
    pub level: String,
    /// The text, secrets already masked.
    pub text: String,
}

/// One retry of a request (`--retries`): why the previous attempt was not kept, and how long
/// snapman waited before sending again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retry {
    /// `429 Too Many Requests`, `503 Service Unavailable`, `ECONNRESET`, ...
    pub reason: String,
    /// The wait before the next attempt.
    pub wait: std::time::Duration,
}

/// One execution of one request item in one iteration.
#[derive(Debug, Clone, Default)]
pub struct Execution {
    /// Unique id of this execution.
    pub id: String,
    /// The item's id (its Postman id, or a generated one).
    pub item_id: String,
    /// The item's name.
    pub item_name: String,
    /// Names of the enclosing folders, outermost first.
    pub folder_path: Vec<String>,
    /// 0-based iteration.
    pub iteration: usize,
    /// 0-based position of the item in the run's item list.
    pub position: usize,
    /// What was sent, when a request was built.
    pub request: Option<SentRequest>,
    /// What came back.
    pub response: Option<ReceivedResponse>,
    /// Why nothing came back.
    pub request_error: Option<RequestError>,
    /// Assertions from test scripts, in order.
    pub assertions: Vec<Assertion>,
    /// Script errors (pre-request and test).
    pub script_errors: Vec<ScriptError>,
    /// Console output of this item's scripts.
    pub console: Vec<ConsoleLine>,
    /// Number of pre-request scripts that ran for this item.
    pub prerequest_scripts: usize,
    /// Number of test scripts that ran for this item.
    pub test_scripts: usize,
    /// Retries of the request (`--retries`), in order; empty when the first attempt was kept.
    pub retries: Vec<Retry>,
    /// When the item started (before its pre-request scripts), if known.
    pub started: Option<SystemTime>,
}

impl Execution {
    /// `Folder › Sub › Request`.
    pub fn path_display(&self) -> String {
        let mut parts = self.folder_path.clone();
        parts.push(self.item_name.clone());
        parts.join(" › ")
    }

    /// True when the request needed retries and everything passed in the end.
    pub fn flaky(&self) -> bool {
        !self.retries.is_empty() && !self.failed()
    }

    /// This execution without its request and response bodies (what is kept of it when no
    /// reporter shows bodies).
    pub fn without_bodies(mut self) -> Self {
        if let Some(r) = &mut self.request {
            r.drop_body();
        }
        if let Some(r) = &mut self.response {
            r.body = Vec::new();
        }
        self
    }

    /// True when anything about this execution failed.
    pub fn failed(&self) -> bool {
        self.request_error.is_some()
            || !self.script_errors.is_empty()
            || self.assertions.iter().any(|a| a.error.is_some())
    }
}

/// Executed and failed counts of one kind of thing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Count {
    /// How many ran.
    pub total: usize,
    /// How many failed.
    pub failed: usize,
}

/// Newman's `run.stats`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Iterations run.
    pub iterations: Count,
    /// Items run (executions).
    pub items: Count,
    /// Requests sent (failed = request errors).
    pub requests: Count,
    /// Test scripts run (failed = script errors).
    pub test_scripts: Count,
    /// Pre-request scripts run (failed = script errors).
    pub prerequest_scripts: Count,
    /// Assertions (failed = failed assertions; skipped ones count in total).
    pub assertions: Count,
}

/// What a run keeps of its executions once the observer has seen them: every execution for
/// the reporters that list them (JSON, JUnit, HTML), with or without bodies, or none (only the
/// CLI reporter, which prints each execution as it finishes). Counts and the first failures are
/// always kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Keep every execution (in [`RunSummary::executions`]).
    pub executions: bool,
    /// Keep request and response bodies in the executions kept.
    pub bodies: bool,
}

impl Default for Retention {
    /// Everything, as a library caller reading [`RunSummary::executions`] expects.
    fn default() -> Self {
        Retention {
            executions: true,
            bodies: true,
        }
    }
}

/// Failed executions the summary keeps for the final failure list, whatever the retention.
pub const FAILURES_KEPT: usize = 1000;

/// Counts over every execution of a run, kept or not: Newman's stats, response times (mean and
/// spread by Welford's method, so nothing per request is kept), bytes received.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tally {
    /// Newman's counts (`iterations` is set from the summary).
    pub stats: Stats,
    /// Failures of every kind (failed assertions, script errors, request errors).
    pub failures: usize,
    /// Executions with a failure.
    pub failed_items: usize,
    /// Executions that passed after retrying.
    pub flaky_items: usize,
    /// Responses received.
    pub responses: usize,
    /// Response times (sending to the end of the body), in milliseconds.
    pub response_time: TimeTally,
    /// Times to the response headers, in milliseconds, where they were measured.
    pub first_byte: TimeTally,
    /// Response body bytes received (before `--max-body-size` cut them).
    pub bytes: usize,
    /// The run's item list length as seen: the highest position plus one.
    pub length: usize,
}

impl Tally {
    /// Counts one execution in.
    pub fn add(&mut self, e: &Execution) {
        let s = &mut self.stats;
        s.items.total += 1;
        let failed = e.failed();
        s.items.failed += usize::from(failed);
        self.failed_items += usize::from(failed);
        self.flaky_items += usize::from(e.flaky());
        if e.request.is_some() || e.request_error.is_some() {
            s.requests.total += 1;
        }
        s.requests.failed += usize::from(e.request_error.is_some());
        s.prerequest_scripts.total += e.prerequest_scripts;
        s.test_scripts.total += e.test_scripts;
        for err in &e.script_errors {
            if err.listen == "prerequest" {
                s.prerequest_scripts.failed += 1;
            } else {
                s.test_scripts.failed += 1;
            }
        }
        let failed_assertions = e.assertions.iter().filter(|a| a.error.is_some()).count();
        s.assertions.total += e.assertions.len();
        s.assertions.failed += failed_assertions;
        self.failures +=
            failed_assertions + e.script_errors.len() + usize::from(e.request_error.is_some());
        self.length = self.length.max(e.position + 1);
        if let Some(r) = &e.response {
            self.responses += 1;
            self.response_time
                .add(r.response_time.as_secs_f64() * 1000.0);
            if !r.first_byte.is_zero() {
                self.first_byte.add(r.first_byte.as_secs_f64() * 1000.0);
            }
            self.bytes += r.received_size();
        }
    }
}

/// Count, mean, extremes and sum of squared deviations of some times, kept as they come
/// (Welford's method), so no time needs keeping.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TimeTally {
    /// Times counted.
    pub count: usize,
    /// Their mean.
    pub mean: f64,
    /// Sum of squared deviations from the mean (Welford's `M2`).
    pub m2: f64,
    /// The shortest.
    pub min: f64,
    /// The longest.
    pub max: f64,
}

impl TimeTally {
    /// Counts one time in.
    pub fn add(&mut self, ms: f64) {
        self.count += 1;
        let delta = ms - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (ms - self.mean);
        self.min = if self.count == 1 {
            ms
        } else {
            self.min.min(ms)
        };
        self.max = self.max.max(ms);
    }
}

/// Everything a run produced.
#[derive(Debug, Clone)]
pub struct RunSummary {
    /// Collection name.
    pub collection_name: String,
    /// Collection id (`info._postman_id`).
    pub collection_id: Option<String>,
    /// When the run started.
    pub started: SystemTime,
    /// When it ended.
    pub completed: SystemTime,
    /// Iterations run.
    pub iterations: usize,
    /// What is kept of each execution.
    pub retention: Retention,
    /// Counts over every execution.
    pub tally: Tally,
    /// Every execution, in order, as [`Retention`] keeps them (none when it keeps none).
    pub executions: Vec<Execution>,
    /// The first failed executions (at least [`FAILURES_KEPT`] failures' worth, when there are
    /// that many), without bodies: the CLI's final failure list.
    pub failed: Vec<Execution>,
    /// A fatal error that ended the run early (global timeout, ...).
    pub run_error: Option<String>,
}

impl RunSummary {
    /// An empty summary of a run of `collection_name` that started at `started`.
    pub fn new(
        collection_name: &str,
        collection_id: Option<String>,
        started: SystemTime,
        retention: Retention,
    ) -> Self {
        RunSummary {
            collection_name: collection_name.to_string(),
            collection_id,
            started,
            completed: started,
            iterations: 0,
            retention,
            tally: Tally::default(),
            executions: Vec::new(),
            failed: Vec::new(),
            run_error: None,
        }
    }

    /// Counts `e` and keeps what the retention asks for.
    pub fn record(&mut self, mut e: Execution) {
        let failures_before = self.tally.failures;
        self.tally.add(&e);
        if e.failed() && failures_before < FAILURES_KEPT {
            self.failed.push(e.clone().without_bodies());
        }
        if !self.retention.executions {
            return;
        }
        if !self.retention.bodies {
            e = e.without_bodies();
        }
        self.executions.push(e);
    }

    /// Newman's counts.
    pub fn stats(&self) -> Stats {
        Stats {
            iterations: Count {
                total: self.iterations,
                failed: 0,
            },
            ..self.tally.stats
        }
    }

    /// True when nothing failed and the run was not cut short.
    pub fn passed(&self) -> bool {
        self.run_error.is_none() && self.tally.failed_items == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::call::ReceivedResponse;

    fn execution(iteration: usize, failed: bool) -> Execution {
        Execution {
            iteration,
            request: Some(SentRequest {
                body: Some(b"sent".to_vec()),
                ..SentRequest::default()
            }),
            response: Some(ReceivedResponse {
                body: b"received".to_vec(),
                ..ReceivedResponse::default()
            }),
            assertions: vec![Assertion {
                name: "a".into(),
                skipped: false,
                error: failed.then(|| AssertionError {
                    name: "AssertionError".into(),
                    message: "no".into(),
                }),
            }],
            ..Execution::default()
        }
    }

    #[test]
    fn counts_only_keeps_no_execution_and_a_bounded_failure_list() {
        let keep_none = Retention {
            executions: false,
            bodies: false,
        };
        let mut summary = RunSummary::new("c", None, SystemTime::UNIX_EPOCH, keep_none);
        let runs = 2 * FAILURES_KEPT + 10;
        for i in 0..runs {
            summary.record(execution(i, i % 2 == 0));
        }
        assert!(summary.executions.is_empty());
        assert_eq!(summary.failed.len(), FAILURES_KEPT);
        assert!(summary.failed.iter().all(|e| {
            e.response.as_ref().is_some_and(|r| r.body.is_empty())
                && e.request.as_ref().is_some_and(|r| r.body_len() == Some(4))
        }));
        let stats = summary.stats();
        assert_eq!(stats.assertions.total, runs);
        assert_eq!(stats.assertions.failed, FAILURES_KEPT + 5);
        assert_eq!(summary.tally.failures, FAILURES_KEPT + 5);
        assert_eq!(summary.tally.bytes, 8 * runs);
        assert!(!summary.passed());
    }

    #[test]
    fn records_keep_bodies_only_when_asked() {
        for bodies in [false, true] {
            let retention = Retention {
                executions: true,
                bodies,
            };
            let mut summary = RunSummary::new("c", None, SystemTime::UNIX_EPOCH, retention);
            summary.record(execution(0, false));
            let kept = &summary.executions[0];
            let response = kept.response.as_ref().map(|r| r.body.len());
            assert_eq!(response, Some(if bodies { 8 } else { 0 }));
            assert_eq!(
                kept.request.as_ref().and_then(SentRequest::body_len),
                Some(4)
            );
            assert!(summary.passed());
        }
    }
}
