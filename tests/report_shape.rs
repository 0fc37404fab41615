//! Reports of real runs: the JSON report against the report Newman 6.2.2 wrote for the same
//! collection (`tests/fixtures/newman-shape/`, recorded against `snapman emulator`), and the
//! JUnit XML of `run` and `test` read back with an independent XML parser (roxmltree).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{collection, emulator, run_collection, snapman, write_json};
use serde_json::{Value, json};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/newman-shape")
        .join(name)
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every key path of `v` (arrays as `[]`) with the JSON types seen there; paths through a
/// `snapman` key (snapman's own additions) are left out.
fn shape(v: &Value) -> BTreeMap<String, BTreeSet<&'static str>> {
    fn walk(v: &Value, path: String, out: &mut BTreeMap<String, BTreeSet<&'static str>>) {
        let kind = match v {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        out.entry(path.clone()).or_default().insert(kind);
        match v {
            Value::Array(items) => items.iter().for_each(|x| walk(x, format!("{path}[]"), out)),
            Value::Object(map) => {
                for (k, x) in map {
                    if k != "snapman" {
                        walk(x, format!("{path}.{k}"), out);
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = BTreeMap::new();
    walk(v, String::new(), &mut out);
    out
}

struct Run {
    output: Output,
    dir: tempfile::TempDir,
}

impl Run {
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// `snapman <command> <collection> --env-var echo=<emulator> <extra>` in a fresh directory.
fn snapman_on(command: &str, collection: &Path, echo: &str, extra: &[&str]) -> Run {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = snapman(dir.path())
        .arg(command)
        .arg(collection)
        .args(["--env-var", &format!("echo={echo}")])
        .args(extra)
        .output()
        .expect("snapman runs");
    Run { output, dir }
}

#[test]
fn json_report_has_the_shape_of_newmans() {
    let emu = emulator();
    let run = snapman_on(
        "run",
        &fixture("shape.postman_collection.json"),
        emu.base_url(),
        &["-r", "json", "--reporter-json-export", "report.json"],
    );
    assert_eq!(run.output.status.code(), Some(1), "{}", run.stdout());
    let ours = read_json(&run.path("report.json"));
    let newman = read_json(&fixture("newman-6.2.2.json"));

    let (ours_shape, newman_shape) = (shape(&ours), shape(&newman));
    let missing: Vec<_> = newman_shape
        .iter()
        .filter(|(k, v)| ours_shape.get(*k) != Some(v))
        .map(|(k, v)| format!("{k}: newman {v:?}, snapman {:?}", ours_shape.get(k)))
        .collect();
    let extra: Vec<_> = ours_shape
        .keys()
        .filter(|k| !newman_shape.contains_key(*k))
        .collect();
    assert!(
        missing.is_empty(),
        "differs from Newman:\n{}",
        missing.join("\n")
    );
    assert!(extra.is_empty(), "keys Newman does not have: {extra:?}");

    let run_of = |r: &Value| r["run"].clone();
    assert_eq!(run_of(&ours)["stats"], run_of(&newman)["stats"]);
    let list = |r: &Value, f: &dyn Fn(&Value) -> Value| -> Vec<Value> {
        r["run"]["failures"]
            .as_array()
            .map(|a| a.iter().map(f).collect())
            .unwrap_or_default()
    };
    for key in [
        "at",
        "error.name",
        "error.message",
        "source.name",
        "parent.name",
    ] {
        let get = |f: &Value| key.split('.').fold(f.clone(), |v, k| v[k].clone());
        assert_eq!(list(&ours, &get), list(&newman, &get), "failures[].{key}");
    }
    let names = |r: &Value| -> Vec<Value> {
        r["run"]["executions"]
            .as_array()
            .map(|a| a.iter().map(|e| e["item"]["name"].clone()).collect())
            .unwrap_or_default()
    };
    assert_eq!(names(&ours), names(&newman));

    // The body is in the Buffer, as bytes.
    let first = &ours["run"]["executions"][0]["response"]["stream"];
    assert_eq!(first["type"], "Buffer");
    let bytes: Vec<u8> = first["data"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|b| b.as_u64())
                .map(|b| b as u8)
                .collect()
        })
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&bytes).expect("the echoed body is JSON");
    assert_eq!(body["args"]["q"], "hello world");
    // Form bodies are listed as Newman lists them.
    let urlencoded = &ours["run"]["executions"][3]["request"]["body"];
    assert_eq!(
        urlencoded,
        &json!({"mode": "urlencoded", "urlencoded": [
            {"key": "a", "value": "1"}, {"key": "a", "value": "2"},
            {"key": "b", "value": "hello world"}]})
    );
    assert_eq!(ours["run"]["snapman"]["failedItems"], 2);
}

#[test]
fn omit_bodies_empties_streams_and_drops_request_bodies() {
    let emu = emulator();
    let run = snapman_on(
        "run",
        &fixture("shape.postman_collection.json"),
        emu.base_url(),
        &[
            "-r",
            "json",
            "--reporter-json-export",
            "report.json",
            "--reporter-json-omit-bodies",
        ],
    );
    let report = read_json(&run.path("report.json"));
    let executions = report["run"]["executions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(executions.len(), 10);
    for e in &executions {
        assert_eq!(
            e["response"]["stream"],
            json!({"type": "Buffer", "data": []})
        );
        assert!(e["request"].get("body").is_none(), "{}", e["request"]);
    }
    assert_eq!(report["run"]["snapman"]["bodiesOmitted"], true);
}

/// A urlencoded and a formdata POST whose field keys and values use variables, with one
/// disabled field each.
fn form_collection() -> Value {
    let post = |name: &str, mode: &str, fields: Value| {
        json!({"name": name, "request": {"method": "POST", "url": "{{base}}/post",
            "body": {"mode": mode, mode: fields}}})
    };
    collection(json!([
        post(
            "urlencoded",
            "urlencoded",
            json!([
                {"key": "user", "value": "{{user}}", "type": "text"},
                {"key": "{{field}}", "value": "{{greeting}} world"},
                {"key": "skipped", "value": "{{user}}", "disabled": true}
            ])
        ),
        post(
            "formdata",
            "formdata",
            json!([
                {"key": "user", "value": "{{user}}", "type": "text"},
                {"key": "{{field}}", "value": "{{greeting}}", "type": "text"},
                {"key": "off", "value": "{{user}}", "type": "text", "disabled": true}
            ])
        )
    ]))
}

/// Newman writes `executions[].request` as sent: form fields with their variables resolved
/// (keys too, disabled fields listed as defined; a urlencoded field without the app's `type`,
/// which the SDK drops), while `executions[].item` keeps the collection's text.
/// `run.timings.firstByte*` are measured.
#[test]
fn form_bodies_are_reported_as_sent_with_variables_resolved() {
    let emu = emulator();
    let env_dir = tempfile::tempdir().expect("tempdir");
    let environment = write_json(
        env_dir.path(),
        "forms.postman_environment.json",
        &json!({"name": "forms", "values": [
            {"key": "user", "value": "ann", "enabled": true},
            {"key": "greeting", "value": "hello", "enabled": true},
            {"key": "field", "value": "note", "enabled": true}
        ]}),
    );
    let defined = form_collection();
    let run = run_collection(&emu, &defined, &["-e", &environment.to_string_lossy()]);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    let executions = run.executions();
    assert_eq!(
        executions[0]["request"]["body"],
        json!({"mode": "urlencoded", "urlencoded": [
            {"key": "user", "value": "ann"},
            {"key": "note", "value": "hello world"},
            {"key": "skipped", "value": "ann", "disabled": true}
        ]})
    );
    assert_eq!(
        executions[1]["request"]["body"],
        json!({"mode": "formdata", "formdata": [
            {"key": "user", "value": "ann", "type": "text"},
            {"key": "note", "value": "hello", "type": "text"},
            {"key": "off", "value": "ann", "type": "text", "disabled": true}
        ]})
    );
    for (i, note) in [(0, "hello world"), (1, "hello")] {
        assert_eq!(
            executions[i]["item"]["request"]["body"], defined["item"][i]["request"]["body"],
            "the item stays as written"
        );
        // What arrived is what the report says was sent.
        assert_eq!(run.echoed(i)["form"], json!({"user": "ann", "note": note}));
    }
    let timings = &run.report["run"]["timings"];
    let ms = |key: &str| timings[key].as_f64().unwrap_or(-1.0);
    assert!(
        0.0 < ms("firstByteMin")
            && ms("firstByteMin") <= ms("firstByteMax")
            && ms("firstByteMax") <= ms("responseMax"),
        "{timings}"
    );
    assert_eq!(ms("dnsAverage"), 0.0, "DNS is not timed");
}

/// `(tests, failures, errors)` of an element.
fn counts(node: roxmltree::Node) -> (u32, u32, u32) {
    let n = |a: &str| {
        node.attribute(a)
            .and_then(|v| v.parse().ok())
            .unwrap_or(u32::MAX)
    };
    (n("tests"), n("failures"), n("errors"))
}

#[test]
fn junit_of_run_parses_with_counts_names_and_failure_text() {
    let emu = emulator();
    let run = snapman_on(
        "run",
        &fixture("shape.postman_collection.json"),
        emu.base_url(),
        &["-r", "junit", "--reporter-junit-export", "junit.xml"],
    );
    let xml = std::fs::read_to_string(run.path("junit.xml")).expect("junit written");
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(counts(root), (10, 1, 1));
    let suites: Vec<(String, (u32, u32, u32))> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .map(|s| {
            (
                s.attribute("name").unwrap_or_default().to_string(),
                counts(s),
            )
        })
        .collect();
    assert_eq!(
        suites,
        [
            ("Query and headers".to_string(), (2, 0, 0)),
            ("Bodies".to_string(), (3, 0, 0)),
            ("Auth".to_string(), (2, 0, 0)),
            ("report shape".to_string(), (1, 0, 0)),
            ("Failures".to_string(), (2, 1, 1)),
        ]
    );
    let case = |name: &str| {
        root.descendants()
            .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(name))
            .unwrap_or_else(|| panic!("testcase {name}"))
    };
    let failure = case("Failed assertion")
        .children()
        .find(|n| n.has_tag_name("failure"))
        .expect("a <failure>");
    assert_eq!(failure.attribute("type"), Some("AssertionError"));
    assert_eq!(
        failure.attribute("message"),
        Some("wrong on purpose: expected 'shape' to deeply equal 'nobody'")
    );
    assert!(
        failure
            .text()
            .unwrap_or_default()
            .contains("at assertion:1 in test-script")
    );
    let error = case("Script error")
        .children()
        .find(|n| n.has_tag_name("error"))
        .expect("an <error>");
    assert!(
        error
            .attribute("message")
            .is_some_and(|m| m.contains("undefinedFunction is not defined")),
        "{:?}",
        error.attribute("message")
    );
    assert!(
        case("GET with query")
            .children()
            .all(|n| !n.is_element() || n.has_tag_name("system-out"))
    );
}

/// A two-request collection against the emulator's `/status/<code>`.
fn status_collection(first: u16) -> Value {
    collection(json!([
        {"name": "Codes", "item": [
            {"name": "First", "request": {"method": "GET", "url": format!("{{{{echo}}}}/status/{first}")},
             "event": [{"listen": "test", "script": {"exec": ["pm.test('answered', () => pm.response.to.have.status(pm.response.code));"]}}]},
            {"name": "Second", "request": {"method": "GET", "url": "{{echo}}/status/200"}}
        ]}
    ]))
}

fn test_in(dir: &Path, echo: &str, extra: &[&str]) -> Output {
    snapman(dir)
        .arg("test")
        .arg(dir.join("codes.postman_collection.json"))
        .args(["--env-var", &format!("echo={echo}")])
        .args(extra)
        .output()
        .expect("snapman runs")
}

#[test]
fn snapman_test_writes_every_report_with_snapshot_verdicts() {
    let emu = emulator();
    let dir = tempfile::tempdir().expect("tempdir");
    write_json(
        dir.path(),
        "codes.postman_collection.json",
        &status_collection(201),
    );
    let reports = [
        "-r",
        "json,junit,html",
        "--reporter-json-export",
        "out/r.json",
        "--reporter-junit-export",
        "out/r.xml",
        "--reporter-html-export",
        "out/r.html",
        "--export-environment",
        "out/env.json",
    ];
    let mut args = reports.to_vec();
    args.extend(["--update", "always"]);
    let created = test_in(dir.path(), emu.base_url(), &args);
    assert_eq!(created.status.code(), Some(0), "{created:?}");
    let report = read_json(&dir.path().join("out/r.json"));
    let statuses: Vec<Value> = report["run"]["executions"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["snapman"]["snapshot"]["status"].clone())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(statuses, [json!("created"), json!("created")]);
    assert!(dir.path().join("out/r.html").is_file());
    assert_eq!(
        read_json(&dir.path().join("out/env.json"))["values"][0]["key"],
        "echo"
    );

    // The same responses match; --silent prints nothing and still writes the reports.
    let matched = test_in(
        dir.path(),
        emu.base_url(),
        &[&reports[..], &["--silent"]].concat(),
    );
    assert_eq!(matched.status.code(), Some(0), "{matched:?}");
    assert!(
        matched.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&matched.stdout)
    );
    let report = read_json(&dir.path().join("out/r.json"));
    assert_eq!(
        report["run"]["executions"][0]["snapman"]["snapshot"]["status"],
        "matched"
    );

    // A changed response fails its trial, and JUnit says why.
    write_json(
        dir.path(),
        "codes.postman_collection.json",
        &status_collection(202),
    );
    let changed = test_in(dir.path(), emu.base_url(), &reports);
    assert_eq!(changed.status.code(), Some(1));
    let xml = std::fs::read_to_string(dir.path().join("out/r.xml")).expect("junit written");
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    assert_eq!(counts(doc.root_element()), (2, 1, 0));
    let failure = doc
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .expect("a <failure>");
    assert_eq!(failure.attribute("type"), Some("SnapshotMismatch"));
    assert_eq!(
        failure.parent().and_then(|c| c.attribute("name")),
        Some("First")
    );
    assert!(
        failure
            .text()
            .unwrap_or_default()
            .contains("snapshot mismatch"),
        "{:?}",
        failure.text()
    );
}

#[test]
fn snapman_test_reports_the_true_duration() {
    let emu = emulator();
    let dir = tempfile::tempdir().expect("tempdir");
    write_json(
        dir.path(),
        "codes.postman_collection.json",
        &status_collection(200),
    );
    let out = test_in(
        dir.path(),
        emu.base_url(),
        &["--delay-request", "400", "--update", "always", "--verbose"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    // --verbose: each trial prints its request and response as `snapman run --verbose` does.
    assert!(stdout.contains("    > GET http://127.0.0.1:"), "{stdout}");
    assert!(stdout.contains("    < 200 OK"), "{stdout}");
    let seconds: f64 = stdout
        .split("finished in ")
        .nth(1)
        .and_then(|rest| rest.split('s').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no duration in {stdout}"));
    assert!(
        seconds >= 0.8,
        "two requests 400 ms apart took {seconds}s? {stdout}"
    );
}
