//! Building libtest-mimic trials from a finished run: each trial carries its execution's
//! outcome (failed assertions, request and script errors) and its expectation (a snapshot to
//! compare when the trial runs, or the verdict against a saved example).
//!
//! Snapshots are compared inside the trial, so a trial that a filter leaves out never writes a
//! `.snap` or `.snap.new` file.

use libtest_mimic::{Failed, Trial};
use serde_json::Value;

use super::names::TrialId;
use super::query::redact_query;
use crate::cli::Expect;
use crate::runner::plan::PlannedItem;
use crate::runner::summary::{Execution, RunSummary};
use crate::secret::Redactor;
use crate::snapshot::{
    CompareOutcome, RedactionConfig, ResponseParts, SnapshotContent, SnapshotMeta, SnapshotStore,
    UpdateMode, normalize, unified_diff,
};

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
}

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
    fn run(self) -> Result<(), Failed> {
        if self.nocapture {
            for line in &self.console {
                println!("{}", self.redactor.redact(line));
            }
        }
        let mut failures = self.failures;
        match self.expectation {
            Expectation::None => {}
            Expectation::Example(failure) => failures.extend(failure),
            Expectation::Snapshot {
                store,
                path,
                numbered,
                rendered,
                mode,
                color,
            } => match store.compare(&path, numbered, &rendered, mode, color) {
                Ok(outcome) => failures.extend(snapshot_failure(&outcome)),
                Err(e) => failures.push(format!("failed to compare the snapshot: {e}")),
            },
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(Failed::from(self.redactor.redact(&failures.join("\n"))))
        }
    }
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

/// One trial per id, in order. `items` is the run's item list (ids point into it by position)
/// and `summary` the finished run; an id without an execution failed to run (bail, timeout).
pub fn build_trials(
    ids: &[TrialId],
    items: &[PlannedItem],
    summary: &RunSummary,
    collection_name: &str,
    redactor: &Redactor,
    opts: &TrialOptions,
) -> Vec<Trial> {
    ids.iter()
        .map(|id| {
            let execution = summary
                .executions
                .iter()
                .find(|e| e.iteration == id.iteration && e.position == id.position);
            let work = match (execution, items.get(id.position)) {
                (Some(execution), Some(item)) => {
                    trial_work(id, item, execution, collection_name, redactor, opts)
                }
                _ => TrialWork {
                    failures: vec![format!(
                        "not run: the run stopped before this request ({})",
                        summary
                            .run_error
                            .as_deref()
                            .unwrap_or("--bail after a failure")
                    )],
                    console: Vec::new(),
                    expectation: Expectation::None,
                    nocapture: false,
                    redactor: redactor.clone(),
                },
            };
            Trial::test(id.name.clone(), move || work.run())
        })
        .collect()
}

/// Trials that only name the run's requests, for `--list` (nothing is sent).
pub fn listed_trials(ids: &[TrialId]) -> Vec<Trial> {
    ids.iter()
        .map(|id| Trial::test(id.name.clone(), || Ok(())))
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
    let console = execution
        .console
        .iter()
        .map(|c| format!("[{}] {}", c.level, c.text))
        .collect();
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
        nocapture: opts.nocapture,
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
