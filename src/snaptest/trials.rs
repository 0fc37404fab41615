//! Building libtest-mimic trials from a running collection: each trial waits for its execution
//! (see [`LiveRun`]), then checks its outcome (failed assertions, request and script errors) and
//! its expectation (a snapshot to compare, or the verdict against a saved example).
//!
//! Snapshots are compared inside the trial, so a trial that a filter leaves out never writes a
//! `.snap` or `.snap.new` file.

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use libtest_mimic::{Failed, Trial};
use serde_json::Value;

use super::names::TrialId;
use super::query::redact_query;
use crate::cli::Expect;
use crate::report::cli::{CliReporter, CliReporterOptions};
use crate::report::context::SnapshotResult;
use crate::runner::plan::PlannedItem;
use crate::runner::summary::Execution;
use crate::secret::Redactor;
use crate::snapshot::{
    CompareOutcome, RedactionConfig, ResponseParts, SnapshotContent, SnapshotMeta, SnapshotStore,
    UpdateMode, normalize, unified_diff,
};
use crate::vars::Scopes;

/// How trials check responses.
#[derive(Debug, Clone)]
pub struct TrialOptions {
    /// Where the collection's snapshots live.
    pub store: SnapshotStore,
    /// Redactions and recorded headers.
    pub config: RedactionConfig,
    /// What to do with new or changed snapshots.
    pub mode: UpdateMode,
    /// Snapshots or saved examples.
    pub expect: Expect,
    /// Colour in diffs.
    pub color: bool,
    /// Print the console lines of scripts when a trial runs (`--nocapture`).
    pub nocapture: bool,
    /// `--verbose`: print the request and response (as `snapman run --verbose` does) when a
    /// trial runs.
    pub verbose: Option<CliReporterOptions>,
}

/// The run's executions as they finish, shared by the thread that runs the collection and the
/// trials that wait for them, so each trial is reported as soon as its request and scripts are
/// done.
#[derive(Debug, Default)]
pub struct LiveRun {
    state: Mutex<LiveState>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct LiveState {
    /// The first execution of each `(iteration, position)`: trials look theirs up by key, so
    /// waiting stays constant-time however long the run.
    executions: HashMap<(usize, usize), Execution>,
    /// The latest iteration an execution came from.
    latest_iteration: Option<usize>,
    finished: bool,
    run_error: Option<String>,
    scopes: Option<Scopes>,
}

impl LiveRun {
    /// An empty run, shared.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn state(&self) -> std::sync::MutexGuard<'_, LiveState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a finished execution and wakes the waiting trial.
    pub fn push(&self, execution: Execution) {
        let mut state = self.state();
        state.latest_iteration = state.latest_iteration.max(Some(execution.iteration));
        state
            .executions
            .entry((execution.iteration, execution.position))
            .or_insert(execution);
        drop(state);
        self.changed.notify_all();
    }

    /// Marks the run as over (`run_error` says why it ended early); every waiting trial wakes.
    pub fn finish(&self, run_error: Option<String>) {
        let mut state = self.state();
        state.finished = true;
        state.run_error = run_error;
        drop(state);
        self.changed.notify_all();
    }

    /// Keeps the scopes the run ended with (the next collection starts from its globals).
    pub fn set_scopes(&self, scopes: Scopes) {
        self.state().scopes = Some(scopes);
    }

    /// Waits until the run is over; returns the scopes it ended with, if it got that far.
    pub fn wait_finished(&self) -> Option<Scopes> {
        let mut state = self.state();
        while !state.finished {
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        state.scopes.clone()
    }

    /// Waits for the execution of the item at `position` in `iteration`. `Err` says why there
    /// is none: the run ended, or moved on to a later iteration, without sending it.
    fn wait_for(&self, iteration: usize, position: usize) -> Result<Execution, String> {
        let mut state = self.state();
        loop {
            if let Some(e) = state.executions.get(&(iteration, position)) {
                return Ok(e.clone());
            }
            let moved_on = state.latest_iteration.is_some_and(|i| i > iteration);
            if state.finished || moved_on {
                let why = match (&state.run_error, moved_on) {
                    (Some(error), false) => error.clone(),
                    (None, false) => "--bail after a failure".to_string(),
                    (_, true) => "setNextRequest skipped it".to_string(),
                };
                return Err(format!(
                    "not run: the run did not reach this request ({why})"
                ));
            }
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// The verdicts of the trials that ran, for the reports.
pub type Verdicts = Arc<Mutex<Vec<SnapshotResult>>>;

/// What a trial compares against when it runs.
enum Expectation {
    /// Nothing to compare (no response).
    None,
    /// Compare the rendered snapshot with the stored one.
    Snapshot {
        store: SnapshotStore,
        path: Vec<String>,
        numbered: Option<usize>,
        rendered: String,
        mode: UpdateMode,
        color: bool,
    },
    /// Already compared with the saved example: the failure, if any.
    Example(Option<String>),
}

/// Everything a trial needs when it runs, owned so the closure can move to a test thread.
struct TrialWork {
    failures: Vec<String>,
    console: Vec<String>,
    expectation: Expectation,
    nocapture: bool,
    redactor: Redactor,
}

impl TrialWork {
    /// Prints what was asked, compares, and returns the trial's outcome and its verdict on the
    /// response (when there was one to check).
    fn run(self) -> (Result<(), Failed>, Option<Verdict>) {
        if self.nocapture {
            for line in &self.console {
                println!("{}", self.redactor.redact(line));
            }
        }
        let mut failures = self.failures;
        let verdict = match self.expectation {
            Expectation::None => None,
            Expectation::Example(failure) => {
                let verdict = Verdict {
                    status: if failure.is_some() {
                        "example-mismatch"
                    } else {
                        "example-matched"
                    },
                    file: None,
                    pending: None,
                    message: failure.as_deref().map(strip_ansi),
                };
                failures.extend(failure);
                Some(verdict)
            }
            Expectation::Snapshot {
                store,
                path,
                numbered,
                rendered,
                mode,
                color,
            } => match store.compare(&path, numbered, &rendered, mode, color) {
                Ok(outcome) => {
                    let failure = snapshot_failure(&outcome);
                    let verdict = Verdict::of(&outcome, failure.as_deref());
                    failures.extend(failure);
                    Some(verdict)
                }
                Err(e) => {
                    let message = format!("failed to compare the snapshot: {e}");
                    failures.push(message.clone());
                    Some(Verdict {
                        status: "error",
                        file: None,
                        pending: None,
                        message: Some(message),
                    })
                }
            },
        };
        let outcome = if failures.is_empty() {
            Ok(())
        } else {
            Err(Failed::from(self.redactor.redact(&failures.join("\n"))))
        };
        (outcome, verdict)
    }
}

/// A trial's verdict on its response, before it is placed in the run.
struct Verdict {
    status: &'static str,
    file: Option<String>,
    pending: Option<String>,
    message: Option<String>,
}

impl Verdict {
    fn of(outcome: &CompareOutcome, failure: Option<&str>) -> Self {
        let show = |p: &std::path::Path| Some(p.display().to_string());
        let (status, file, pending) = match outcome {
            CompareOutcome::Matched => ("matched", None, None),
            CompareOutcome::Created(p) => ("created", show(p), None),
            CompareOutcome::Written(p) => ("written", show(p), None),
            CompareOutcome::Mismatch { path, pending, .. } => {
                ("mismatch", show(path), pending.as_deref().and_then(show))
            }
            CompareOutcome::Missing { path, pending } => {
                ("missing", show(path), pending.as_deref().and_then(show))
            }
        };
        Self {
            status,
            file,
            pending,
            message: failure.map(strip_ansi),
        }
    }
}

/// `text` without ANSI colour sequences (reports are plain text).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for next in chars.by_ref() {
                if next.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// How to turn a pending or missing snapshot into a stored one.
const HOW_TO_UPDATE: &str = "rerun with `--update new` (or `SNAPMAN_UPDATE=new`), then accept \
     with `snapman snapshots review`";

/// The failure message of a snapshot comparison, if it failed.
fn snapshot_failure(outcome: &CompareOutcome) -> Option<String> {
    match outcome {
        CompareOutcome::Matched | CompareOutcome::Created(_) | CompareOutcome::Written(_) => None,
        CompareOutcome::Mismatch {
            path,
            pending,
            diff,
        } => {
            let next = match pending {
                Some(p) => format!(
                    "the new result is in {}; review it with `snapman snapshots review`",
                    p.display()
                ),
                None => format!("to update it, {HOW_TO_UPDATE}"),
            };
            Some(format!(
                "snapshot mismatch: {}\n{diff}{next}",
                path.display()
            ))
        }
        CompareOutcome::Missing { path, pending } => Some(match pending {
            Some(p) => format!(
                "new snapshot written to {} for review: accept it with `snapman snapshots review`",
                p.display()
            ),
            None => format!(
                "missing snapshot: {}\nto create it, {HOW_TO_UPDATE}",
                path.display()
            ),
        }),
    }
}

/// Why an execution failed on its own (before any snapshot).
fn execution_failures(execution: &Execution) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(e) = &execution.request_error {
        out.push(format!("request error: {} {}", e.code, e.message));
    }
    for e in &execution.script_errors {
        let at = match (e.line, e.column) {
            (Some(l), Some(c)) => format!(" at {l}:{c}"),
            (Some(l), None) => format!(" at line {l}"),
            _ => String::new(),
        };
        out.push(format!(
            "{} script error{at}: {}: {}",
            e.listen, e.name, e.message
        ));
    }
    for a in &execution.assertions {
        if let Some(err) = &a.error {
            out.push(format!(
                "assertion failed: {}: {}: {}",
                a.name, err.name, err.message
            ));
        }
    }
    out
}

/// The example response that is the expectation: the first whose `code` equals `status`, else
/// the first one.
fn pick_example(examples: &[Value], status: u16) -> Option<&Value> {
    examples
        .iter()
        .find(|e| e.get("code").and_then(Value::as_u64) == Some(u64::from(status)))
        .or_else(|| examples.first())
}

/// Compares a response's status and body with the item's saved example, through the same
/// redactions and body normalisation as snapshots.
fn example_failure(
    item: &PlannedItem,
    parts: &ResponseParts<'_>,
    config: &RedactionConfig,
    trial: &TrialId,
    redactor: &Redactor,
    color: bool,
) -> Option<String> {
    let Some(example) = pick_example(&item.examples, parts.status) else {
        return Some(
            "no saved example response to compare with: add one in Postman, or use \
             `--expect snapshots`"
                .to_string(),
        );
    };
    let redactions = config.for_trial(&trial.config_path);
    let body = example.get("body").and_then(Value::as_str).unwrap_or("");
    let status = example
        .get("code")
        .and_then(Value::as_u64)
        .and_then(|c| u16::try_from(c).ok())
        .unwrap_or(parts.status);
    let expected = ResponseParts {
        status,
        headers: &[],
        body: body.as_bytes(),
        ..*parts
    };
    let actual = ResponseParts {
        headers: &[],
        ..*parts
    };
    let expected =
        normalize(&SnapshotContent::from_parts(&expected, &redactions, redactor).contents());
    let actual = normalize(&SnapshotContent::from_parts(&actual, &redactions, redactor).contents());
    if expected == actual {
        return None;
    }
    let name = example.get("name").and_then(Value::as_str).unwrap_or("");
    let diff = unified_diff(
        &format!("{expected}\n"),
        &format!("{actual}\n"),
        &format!("saved example \"{name}\""),
        "response",
        color,
    );
    Some(format!(
        "response differs from the saved example \"{name}\"\n{diff}"
    ))
}

/// A trial ready to hand to libtest-mimic, or to run directly (`--silent`).
pub struct PendingTrial {
    /// The libtest name.
    pub name: String,
    /// Waits for the trial's execution, compares it and records the verdict.
    pub run: Box<dyn FnOnce() -> Result<(), Failed> + Send>,
}

impl PendingTrial {
    /// The libtest-mimic trial.
    pub fn into_trial(self) -> Trial {
        Trial::test(self.name, self.run)
    }
}

/// One trial per id, in order. `items` is the run's item list (ids point into it by position);
/// each trial waits on `live` for its execution, so trials finish as the run goes. An id that
/// gets no execution failed to run (bail, timeout, a skip). Verdicts go to `verdicts`.
pub fn build_trials(
    ids: &[TrialId],
    items: &Arc<Vec<PlannedItem>>,
    live: &Arc<LiveRun>,
    verdicts: &Verdicts,
    collection_name: &str,
    redactor: &Redactor,
    opts: &Arc<TrialOptions>,
) -> Vec<PendingTrial> {
    ids.iter()
        .map(|id| {
            let id = id.clone();
            let items = Arc::clone(items);
            let live = Arc::clone(live);
            let verdicts = Arc::clone(verdicts);
            let collection_name = collection_name.to_string();
            let redactor = redactor.clone();
            let opts = Arc::clone(opts);
            let name = id.name.clone();
            let run = move || {
                let work = match (
                    live.wait_for(id.iteration, id.position),
                    items.get(id.position),
                ) {
                    (Ok(execution), Some(item)) => {
                        trial_work(&id, item, &execution, &collection_name, &redactor, &opts)
                    }
                    (Ok(_), None) => not_run("not run: no such request".into(), &redactor),
                    (Err(why), _) => not_run(why, &redactor),
                };
                let (outcome, verdict) = work.run();
                if let Some(v) = verdict {
                    verdicts
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(SnapshotResult {
                            trial: id.name.clone(),
                            iteration: id.iteration,
                            position: id.position,
                            status: v.status,
                            file: v.file,
                            pending: v.pending,
                            message: v.message.map(|m| redactor.redact(&m)),
                        });
                }
                outcome
            };
            PendingTrial {
                name,
                run: Box::new(run),
            }
        })
        .collect()
}

fn not_run(why: String, redactor: &Redactor) -> TrialWork {
    TrialWork {
        failures: vec![why],
        console: Vec::new(),
        expectation: Expectation::None,
        nocapture: false,
        redactor: redactor.clone(),
    }
}

/// Trials that only name the run's requests, for `--list` (nothing is sent).
pub fn listed_trials(ids: &[TrialId]) -> Vec<PendingTrial> {
    ids.iter()
        .map(|id| PendingTrial {
            name: id.name.clone(),
            run: Box::new(|| Ok(())),
        })
        .collect()
}

fn trial_work(
    id: &TrialId,
    item: &PlannedItem,
    execution: &Execution,
    collection_name: &str,
    redactor: &Redactor,
    opts: &TrialOptions,
) -> TrialWork {
    let mut console: Vec<String> = execution
        .console
        .iter()
        .map(|c| format!("[{}] {}", c.level, c.text))
        .collect();
    if let Some(cli) = opts.verbose {
        let mut reporter = CliReporter::new(Vec::new(), cli, redactor.clone());
        reporter.execution_finished(execution);
        console = vec![String::from_utf8_lossy(&reporter.into_inner()).into_owned()];
    }
    let expectation = match (&execution.request, &execution.response) {
        (Some(request), Some(response)) => {
            let parts = ResponseParts {
                method: &request.method,
                url: &request.url,
                status: response.code,
                headers: &response.headers,
                body: &response.body,
            };
            match opts.expect {
                Expect::Snapshots => {
                    let redactions = opts.config.for_trial(&id.config_path);
                    let meta = SnapshotMeta {
                        collection: collection_name.to_string(),
                        trial: id.local_name(),
                    };
                    let mut content = SnapshotContent::from_parts(&parts, &redactions, redactor);
                    content.url = redact_query(&content.url, &redactions.rules);
                    Expectation::Snapshot {
                        store: opts.store.clone(),
                        path: id.path.clone(),
                        numbered: id.numbered,
                        rendered: content.render(&meta),
                        mode: opts.mode,
                        color: opts.color,
                    }
                }
                Expect::Examples => Expectation::Example(example_failure(
                    item,
                    &parts,
                    &opts.config,
                    id,
                    redactor,
                    opts.color,
                )),
            }
        }
        _ => Expectation::None,
    };
    TrialWork {
        failures: execution_failures(execution),
        console,
        expectation,
        nocapture: opts.nocapture || opts.verbose.is_some(),
        redactor: redactor.clone(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn example_with_matching_code_wins() {
        let examples = vec![
            json!({"name": "ok", "code": 200}),
            json!({"name": "gone", "code": 404}),
        ];
        assert_eq!(
            pick_example(&examples, 404).and_then(|e| e.get("name")),
            Some(&json!("gone"))
        );
        assert_eq!(
            pick_example(&examples, 500).and_then(|e| e.get("name")),
            Some(&json!("ok"))
        );
        assert!(pick_example(&[], 200).is_none());
    }

    #[test]
    fn missing_snapshot_says_how_to_create_it() {
        let msg = snapshot_failure(&CompareOutcome::Missing {
            path: "s/a.snap".into(),
            pending: None,
        })
        .unwrap_or_default();
        assert!(msg.contains("missing snapshot: s/a.snap"), "{msg}");
        assert!(msg.contains("SNAPMAN_UPDATE=new"), "{msg}");
        assert!(msg.contains("snapman snapshots review"), "{msg}");
        assert_eq!(snapshot_failure(&CompareOutcome::Matched), None);
    }
}
