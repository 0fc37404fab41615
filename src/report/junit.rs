//! The JUnit reporter, built with `quick-junit`.
//!
//! ```xml
//! <testsuites name="Shop API" tests="3" failures="1" errors="1" time="1.250">
//!   <testsuite name="Users / Admin" tests="2" failures="1" errors="0" time="0.070">
//!     <testcase name="Get user [iteration 1]" classname="Users / Admin" assertions="2" time="0.035">
//!       <failure message="Body has name: expected undefined to equal 'Ann'" type="AssertionError">
//!         Body has name: expected undefined to equal 'Ann'
//!           at assertion:1 in test-script
//!       </failure>
//!     </testcase>
//!   </testsuite>
//! </testsuites>
//! ```
//!
//! One `<testsuite>` per folder path (`Folder / Sub`; the collection name for top-level
//! requests) and one `<testcase>` per request *execution*. Newman instead makes one suite per
//! request and one testcase per assertion name, merging all iterations into it (NM #2197,
//! #3371), so a failure in iteration 2 hides behind a pass in iteration 1; here every iteration
//! is its own testcase, named `Request [iteration N]` when there is more than one iteration.
//!
//! Failed assertions give `<failure>` (message: the first one's `name: message`; text: all of
//! them). Request errors and script errors give `<error>`, which wins over `<failure>` when both
//! happen, and its text lists the assertion failures too. Console lines go to `<system-out>`.
//! Under `snapman test`, a response that differs from its snapshot (or saved example) is a
//! `<failure type="SnapshotMismatch">`, and its text ends every other failure's. A request sent
//! again under `--retries` gets one `<flakyFailure>` per retry when it passed in the end (one
//! `<rerunFailure>` each when it did not), as nextest and Maven Surefire write them.
//!
//! The XML is masked as it is written, by the write edge ([`crate::report::mask`]).

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestRerun, TestSuite};

use crate::error::Error;
use crate::report::context::{
    Failure, FailureKind, ReportContext, SnapshotResult, execution_failures, run_duration,
};
use crate::report::mask::{masked_markup, write_masked_markup};
use crate::runner::summary::Execution;
use crate::secret::Redactor;

/// The JUnit report of a run, before masking (see [`junit_xml`] and [`write_junit`]).
pub fn junit_report(ctx: &ReportContext) -> Report {
    junit_report_many(std::slice::from_ref(ctx))
}

/// One JUnit report for the runs of several collections: with more than one, every suite name
/// starts with its collection's (`Collection / Folder`).
pub fn junit_report_many(ctxs: &[ReportContext]) -> Report {
    let several = ctxs.len() > 1;
    let mut suites = Vec::new();
    let mut time = Duration::ZERO;
    for ctx in ctxs {
        suites.extend(collection_suites(ctx, several));
        time += run_duration(ctx.summary);
    }
    let name = match ctxs {
        [one] => one.summary.collection_name.clone(),
        _ => "snapman".to_string(),
    };
    let mut report = Report::new(name.as_str());
    if let Some(first) = ctxs.first() {
        let started: DateTime<FixedOffset> = DateTime::<Utc>::from(first.summary.started).into();
        report.set_timestamp(started);
    }
    report.set_time(time).add_test_suites(suites);
    report
}

/// The suites of one collection's run: one per folder path (the collection's name for
/// top-level requests), prefixed with the collection's name when `prefixed`.
fn collection_suites(ctx: &ReportContext, prefixed: bool) -> Vec<TestSuite> {
    let summary = ctx.summary;
    let collection = summary.collection_name.clone();
    let started: DateTime<FixedOffset> = DateTime::<Utc>::from(summary.started).into();

    let mut suites: Vec<TestSuite> = Vec::new();
    for e in &summary.executions {
        let suite_name = match (e.folder_path.is_empty(), prefixed) {
            (true, _) => collection.clone(),
            (false, false) => e.folder_path.join(" / "),
            (false, true) => format!(
                "{} / {}",
                summary.collection_name,
                e.folder_path.join(" / ")
            ),
        };
        let case = test_case(e, &suite_name, summary.iterations, ctx.snapshot_of(e));
        let index = match suites.iter().position(|s| s.name.as_str() == suite_name) {
            Some(i) => i,
            None => {
                let mut suite = TestSuite::new(suite_name.as_str());
                suite.set_timestamp(started);
                suites.push(suite);
                suites.len() - 1
            }
        };
        let suite = &mut suites[index];
        let time = suite.time.unwrap_or_default() + case.time.unwrap_or_default();
        suite.set_time(time);
        suite.add_test_case(case);
    }
    if let Some(message) = &summary.run_error {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        status.set_type("RunError").set_message(message.as_str());
        let mut case = TestCase::new("run", status);
        case.set_classname(collection.as_str());
        let mut suite = TestSuite::new(collection.as_str());
        suite.set_timestamp(started);
        suite.add_test_case(case);
        suites.push(suite);
    }
    suites
}

/// Writes [`junit_report`] as XML to `path`, atomically.
pub fn write_junit(path: &Path, ctx: &ReportContext) -> Result<(), Error> {
    write_junit_many(path, std::slice::from_ref(ctx))
}

/// The redactor of the runs' reports (they share the process's secrets; the first one's).
fn redactor_of<'a>(ctxs: &[ReportContext<'a>]) -> &'a Redactor {
    ctxs.first().map_or(Redactor::global(), |ctx| ctx.redactor)
}

/// [`junit_report`] as XML, masked.
pub fn junit_xml(ctx: &ReportContext) -> std::io::Result<String> {
    let report = junit_report(ctx);
    masked_markup(ctx.redactor, |w| {
        report.serialize(w).map_err(std::io::Error::other)
    })
}

/// Writes [`junit_report_many`] as XML to `path`, atomically, masked as it is written.
pub fn write_junit_many(path: &Path, ctxs: &[ReportContext]) -> Result<(), Error> {
    let report = junit_report_many(ctxs);
    write_masked_markup(path, redactor_of(ctxs), |w| {
        report.serialize(w).map_err(std::io::Error::other)
    })
}

/// One line per failure: `name: message` then `  at ...`.
fn failure_text(f: &Failure) -> String {
    let head = match f.kind {
        FailureKind::Assertion(_, a) => format!("{}: {}", a.name, f.message()),
        FailureKind::Script(s) => format!("{} in {}-script: {}", s.name, s.listen, s.message),
        FailureKind::Request(r) => r.to_string(),
    };
    format!("{head}\n  at {}", f.at())
}

fn test_case(
    e: &Execution,
    classname: &str,
    iterations: usize,
    snapshot: Option<&SnapshotResult>,
) -> TestCase {
    let failures = execution_failures(e);
    let snapshot_failure = snapshot.and_then(|s| s.message.as_deref());
    let first_error = failures
        .iter()
        .find(|f| !matches!(f.kind, FailureKind::Assertion(..)));
    let first_failed = failures
        .iter()
        .find(|f| matches!(f.kind, FailureKind::Assertion(..)));
    let status = match (first_error, first_failed) {
        (None, None) => match snapshot_failure {
            None => TestCaseStatus::success(),
            Some(text) => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                let head = text.lines().next().unwrap_or_default();
                status
                    .set_type("SnapshotMismatch")
                    .set_message(head)
                    .set_description(text);
                status
            }
        },
        (Some(first), _) | (None, Some(first)) => {
            let (kind, ty, message) = match first.kind {
                FailureKind::Assertion(_, a) => (
                    NonSuccessKind::Failure,
                    first.name().to_string(),
                    format!("{}: {}", a.name, first.message()),
                ),
                FailureKind::Script(s) => (
                    NonSuccessKind::Error,
                    "ScriptError".to_string(),
                    format!("{} in {}-script: {}", s.name, s.listen, s.message),
                ),
                FailureKind::Request(r) => (
                    NonSuccessKind::Error,
                    "RequestError".to_string(),
                    r.to_string(),
                ),
            };
            let mut text: Vec<String> = failures.iter().map(failure_text).collect();
            text.extend(snapshot_failure.map(str::to_string));
            let mut status = TestCaseStatus::non_success(kind);
            status
                .set_type(ty)
                .set_message(message)
                .set_description(text.join("\n"));
            status
        }
    };
    let mut status = status;
    // Each retry is a run that did not count: `<flakyFailure>` when the request passed in the
    // end, `<rerunFailure>` when it did not.
    for r in &e.retries {
        let mut rerun = TestRerun::new(NonSuccessKind::Failure);
        rerun.set_type("Retried").set_message(format!(
            "{} (retried after {} ms)",
            r.reason,
            r.wait.as_millis()
        ));
        status.add_rerun(rerun);
    }
    let mut name = e.item_name.clone();
    if iterations > 1 {
        name.push_str(&format!(" [iteration {}]", e.iteration + 1));
    }
    let mut case = TestCase::new(name, status);
    case.set_classname(classname)
        .set_assertions(e.assertions.len())
        .set_time(
            e.response
                .as_ref()
                .map_or(Duration::ZERO, |r| r.response_time),
        );
    if !e.console.is_empty() {
        let lines: Vec<String> = e
            .console
            .iter()
            .map(|c| format!("[{}] {}", c.level, c.text))
            .collect();
        case.set_system_out(lines.join("\n"));
    }
    case
}
