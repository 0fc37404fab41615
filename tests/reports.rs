//! Reporter output for a hand-built run: CLI text, Newman-shaped JSON and JUnit XML, snapshotted,
//! plus a check that a registered secret leaks into none of them (nor into the HTML page).

use std::time::{Duration, UNIX_EPOCH};

use serde_json::{Value, json};
use snapman::http::call::{ReceivedResponse, RequestError, SentRequest};
use snapman::report::{
    CliReporter, CliReporterOptions, ReportContext, html_report, json_report, junit_xml,
    write_html, write_json, write_junit,
};
use snapman::runner::summary::{
    Assertion, AssertionError, ConsoleLine, Execution, Retention, RunSummary, ScriptError,
};
use snapman::secret::Redactor;

const SECRET: &str = "tok-9f8e7d6c5b4a";
const BASE: &str = "http://127.0.0.1:3000";

fn pass(name: &str) -> Assertion {
    Assertion {
        name: name.into(),
        skipped: false,
        error: None,
    }
}

fn fail(name: &str, message: &str) -> Assertion {
    Assertion {
        name: name.into(),
        skipped: false,
        error: Some(AssertionError {
            name: "AssertionError".into(),
            message: message.into(),
        }),
    }
}

fn get(url: &str) -> SentRequest {
    SentRequest {
        method: "GET".into(),
        url: url.into(),
        headers: vec![("Accept".into(), "*/*".into())],
        body: None,
        definition: None,
        dropped_body_len: None,
    }
}

fn ok(code: u16, status: &str, body: &str, ms: u64) -> ReceivedResponse {
    ReceivedResponse {
        code,
        status: status.into(),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: body.as_bytes().to_vec(),
        response_time: Duration::from_millis(ms),
        first_byte: Duration::from_millis(ms / 2),
        response_size: body.len() + 40,
        truncated_from: None,
    }
}

fn execution(iteration: usize, position: usize, folders: &[&str], name: &str) -> Execution {
    Execution {
        id: format!("exec-{iteration}-{position}"),
        item_id: format!("item-{position}"),
        item_name: name.into(),
        folder_path: folders.iter().map(|f| f.to_string()).collect(),
        iteration,
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

/// One iteration: a top-level login, a folder with a failing assertion, a folder with a request
/// error plus a test-script error and a request with a pre-request script error.
fn iteration(i: usize) -> Vec<Execution> {
    let mut login = execution(i, 0, &[], "Login");
    login.request = Some(SentRequest {
        method: "POST".into(),
        url: format!("{BASE}/login?key={SECRET}"),
        headers: vec![
            ("Authorization".into(), format!("Bearer {SECRET}")),
            ("Content-Type".into(), "application/json".into()),
        ],
        body: Some(format!("{{\"password\":\"{SECRET}\"}}").into_bytes()),
        definition: None,
        dropped_body_len: None,
    });
    login.response = Some(ok(200, "OK", &format!("{{\"token\":\"{SECRET}\"}}"), 20));
    login.assertions = vec![pass("Status is 200")];
    login.console = vec![ConsoleLine {
        level: "log".into(),
        text: format!("token is {SECRET}"),
    }];
    login.prerequest_scripts = 1;

    let mut user = execution(i, 1, &["Users"], "Get user");
    user.request = Some(get(&format!("{BASE}/users/1")));
    user.response = Some(ok(200, "OK", "{\"id\":1}", 30 + 10 * i as u64));
    user.assertions = vec![
        pass("Status is 200"),
        fail("Body has name", "expected undefined to equal 'Ann'"),
        Assertion {
            skipped: true,
            ..pass("Has avatar")
        },
    ];

    let mut orders = execution(i, 2, &["Shop", "Orders"], "List orders");
    orders.request = Some(get("http://127.0.0.1:1/orders"));
    orders.request_error = Some(RequestError {
        code: "ECONNREFUSED".into(),
        message: "connect ECONNREFUSED 127.0.0.1:1".into(),
    });
    orders.script_errors = vec![ScriptError {
        listen: "test".into(),
        name: "TypeError".into(),
        message: "Cannot read properties of undefined (reading 'json')".into(),
        line: Some(2),
        column: Some(19),
    }];
    orders.console = vec![ConsoleLine {
        level: "warn".into(),
        text: "no response".into(),
    }];

    let mut create = execution(i, 3, &["Shop", "Orders"], "Create order");
    create.prerequest_scripts = 1;
    create.script_errors = vec![ScriptError {
        listen: "prerequest".into(),
        name: "ReferenceError".into(),
        message: "orderId is not defined".into(),
        line: Some(1),
        column: None,
    }];
    create.request = Some(get(&format!("{BASE}/orders")));
    create.response = Some(ok(201, "Created", "{}", 40));
    create.assertions = vec![pass("Created")];
    vec![login, user, orders, create]
}

fn summary() -> RunSummary {
    let started = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut summary = RunSummary::new(
        "Shop API",
        Some("col-1".into()),
        started,
        Retention::default(),
    );
    summary.completed = started + Duration::from_millis(1500);
    summary.iterations = 2;
    (0..2).flat_map(iteration).for_each(|e| summary.record(e));
    summary
}

fn redactor() -> Redactor {
    let r = Redactor::new();
    r.add(SECRET);
    r
}

fn collection() -> Value {
    json!({
        "info": { "_postman_id": "col-1", "name": "Shop API" },
        "variable": [{ "key": "apiKey", "value": SECRET }],
    })
}

fn environment() -> Value {
    json!({ "id": "env-1", "name": "local", "values": [{ "key": "token", "value": SECRET, "enabled": true }] })
}

fn cli_output(summary: &RunSummary, opts: CliReporterOptions) -> String {
    let mut reporter = CliReporter::new(Vec::new(), opts, redactor());
    reporter.run_started(&summary.collection_name);
    for i in 0..summary.iterations {
        reporter.iteration_started(i, summary.iterations);
        for e in summary.executions.iter().filter(|e| e.iteration == i) {
            reporter.execution_finished(e);
        }
    }
    reporter.run_finished(summary);
    String::from_utf8(reporter.into_inner()).expect("utf-8 output")
}

/// The reports of the hand-built run: (cli verbose, json, junit xml, html).
fn all_outputs() -> (String, Value, String, String) {
    let summary = summary();
    let (collection, environment, redactor) = (collection(), environment(), redactor());
    let ctx = ReportContext {
        summary: &summary,
        collection: &collection,
        environment: &environment,
        globals: &Value::Null,
        redactor: &redactor,
        snapshots: &[],
        omit_bodies: false,
    };
    let opts = CliReporterOptions {
        color: false,
        verbose: true,
        unicode: false,
    };
    let xml = junit_xml(&ctx).expect("junit serialises");
    let html = html_report(&ctx).expect("html renders");
    (cli_output(&summary, opts), json_report(&ctx), xml, html)
}

/// The hand-built summary has a fixed clock and fixed response times, so the CLI text (whose
/// table borders depend on the width of the duration) is stable as is; the JUnit timestamps are
/// filtered so a change of the fixture's clock does not churn the snapshot.
fn time_filters() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r#"timestamp="[^"]+""#, r#"timestamp="[timestamp]""#);
    settings.add_filter(
        r#"<testsuites name="Shop API" (.*)time="[0-9.]+""#,
        r#"<testsuites name="Shop API" ${1}time="[duration]""#,
    );
    settings
}

#[test]
fn cli_output_plain() {
    let opts = CliReporterOptions {
        color: false,
        verbose: false,
        unicode: true,
    };
    let out = cli_output(&summary(), opts);
    assert!(!out.contains('\u{1b}'), "no colour codes when color is off");
    time_filters().bind(|| insta::assert_snapshot!(out));
}

#[test]
fn cli_output_verbose_ascii() {
    let (cli, ..) = all_outputs();
    assert!(cli.is_ascii());
    time_filters().bind(|| insta::assert_snapshot!(cli));
}

#[test]
fn cli_output_coloured_when_asked() {
    let opts = CliReporterOptions {
        color: true,
        verbose: false,
        unicode: true,
    };
    let out = cli_output(&summary(), opts);
    assert!(out.contains("\u{1b}[31m"), "failures are red");
}

#[test]
fn cli_notes_the_run_error() {
    let mut s = summary();
    s.run_error = Some("callback timed out".into());
    let opts = CliReporterOptions {
        color: false,
        verbose: false,
        unicode: true,
    };
    let out = cli_output(&s, opts);
    assert!(out.contains("run error: callback timed out"));
}

#[test]
fn json_report_has_newmans_shape() {
    let (_, report, ..) = all_outputs();
    let executions = report["run"]["executions"].as_array().expect("executions");
    assert_eq!(executions.len(), 8);
    assert_eq!(executions[1]["item"]["name"], "Get user");
    assert_eq!(
        executions[1]["assertions"][1]["error"]["test"],
        "Body has name"
    );
    assert_eq!(executions[2]["requestError"]["code"], "ECONNREFUSED");
    assert_eq!(
        report["run"]["failures"][0]["at"],
        "assertion:1 in test-script"
    );
    insta::with_settings!({ sort_maps => false }, {
        insta::assert_json_snapshot!(report, {
            ".run.timings.started" => "[started]",
            ".run.timings.completed" => "[completed]",
        });
    });
}

#[test]
fn junit_report_has_a_suite_per_folder() {
    let (_, _, xml, _) = all_outputs();
    assert!(xml.contains(r#"<testsuite name="Shop / Orders""#));
    assert!(xml.contains(r#"name="Get user [iteration 2]""#));
    time_filters().bind(|| insta::assert_snapshot!(xml));
}

#[test]
fn no_output_leaks_a_registered_secret() {
    let (cli, report, xml, html) = all_outputs();
    let json = serde_json::to_string(&report).expect("json");
    for (name, text) in [
        ("cli", &cli),
        ("json", &json),
        ("junit", &xml),
        ("html", &html),
    ] {
        assert!(!text.contains(SECRET), "{name} output leaks the secret");
        assert!(text.contains("[redacted]"), "{name} output shows the mask");
    }
    // The secret was present in the URL, a header, the bodies and a console line.
    assert!(cli.contains("/login?key=[redacted]"));
    assert!(cli.contains("Authorization: Bearer [redacted]"));
    assert!(cli.contains("token is [redacted]"));
    let body: Vec<u8> = report["run"]["executions"][0]["response"]["stream"]["data"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_u64)
                .map(|b| b as u8)
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(String::from_utf8_lossy(&body), r#"{"token":"[redacted]"}"#);
    assert!(xml.contains("token is [redacted]"));
    assert!(html.contains("/login?key=[redacted]"));
}

#[test]
fn writers_create_directories_and_write_whole_files() {
    let summary = summary();
    let (collection, redactor) = (collection(), redactor());
    let ctx = ReportContext {
        summary: &summary,
        collection: &collection,
        environment: &Value::Null,
        globals: &Value::Null,
        redactor: &redactor,
        snapshots: &[],
        omit_bodies: false,
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let json_path = dir.path().join("out/nested/report.json");
    let xml_path = dir.path().join("out/nested/report.xml");
    let html_path = dir.path().join("out/nested/report.html");
    write_json(&json_path, &ctx).expect("json written");
    write_junit(&xml_path, &ctx).expect("junit written");
    write_html(&html_path, &ctx).expect("html written");
    let read: Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).expect("read json"))
            .expect("parse");
    assert_eq!(read, json_report(&ctx));
    let xml = std::fs::read_to_string(&xml_path).expect("read xml");
    assert!(xml.trim_end().ends_with("</testsuites>"));
    let html = std::fs::read_to_string(&html_path).expect("read html");
    assert_eq!(html, html_report(&ctx).expect("html renders"));
    let files = std::fs::read_dir(dir.path().join("out/nested"))
        .expect("dir")
        .count();
    assert_eq!(files, 3, "no temporary files left behind");
}

#[test]
fn writer_reports_unwritable_path() {
    let summary = summary();
    let redactor = redactor();
    let ctx = ReportContext {
        summary: &summary,
        collection: &Value::Null,
        environment: &Value::Null,
        globals: &Value::Null,
        redactor: &redactor,
        snapshots: &[],
        omit_bodies: false,
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("file");
    std::fs::write(&file, "x").expect("write");
    let err = write_json(&file.join("report.json"), &ctx).expect_err("parent is a file");
    assert!(err.to_string().starts_with("failed to write "));
}
