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
#[derive(Debug, Clone)]
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
    /// Every execution, in order.
    pub executions: Vec<Execution>,
    /// A fatal error that ended the run early (global timeout, ...).
    pub run_error: Option<String>,
}

impl RunSummary {
    /// Newman's counts, derived from the executions.
    pub fn stats(&self) -> Stats {
        let mut s = Stats {
            iterations: Count {
                total: self.iterations,
                failed: 0,
            },
            ..Stats::default()
        };
        for e in &self.executions {
            s.items.total += 1;
            s.items.failed += usize::from(e.failed());
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
            s.assertions.total += e.assertions.len();
            s.assertions.failed += e.assertions.iter().filter(|a| a.error.is_some()).count();
        }
        s
    }

    /// True when nothing failed and the run was not cut short.
    pub fn passed(&self) -> bool {
        self.run_error.is_none() && !self.executions.iter().any(Execution::failed)
    }
}
