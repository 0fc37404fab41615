//! Bad input and bad usage: exit code 2, with the file, position and item named; never a panic.

mod common;

use common::{collection, snapman, write_json};
use serde_json::json;

fn run(dir: &std::path::Path, args: &[&str]) -> (i32, String) {
    let out = snapman(dir).args(args).output().expect("snapman runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (out.status.code().unwrap_or(-1), stderr)
}

#[test]
fn broken_collection_json_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.postman_collection.json");
    std::fs::write(
        &path,
        "{\n  \"info\": {\"name\": \"x\"},\n  \"item\": [\n    {\"name\": \"a\",}\n  ]\n}\n",
    )
    .unwrap();
    let (code, stderr) = run(dir.path(), &["run", "broken.postman_collection.json"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("broken.postman_collection.json:4:"),
        "{stderr}"
    );
}

#[test]
fn wrong_type_names_the_item_path() {
    let dir = tempfile::tempdir().unwrap();
    let c = collection(
        json!([{"name": "Folder", "item": [{"name": "Get token", "request": {"url": "h", "header": 7}}]}]),
    );
    write_json(dir.path(), "c.json", &c);
    let (code, stderr) = run(dir.path(), &["run", "c.json"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("c.json:"), "{stderr}");
    assert!(stderr.contains("Get token"), "{stderr}");
}

#[test]
fn v1_collection_is_refused_with_advice() {
    let dir = tempfile::tempdir().unwrap();
    write_json(
        dir.path(),
        "v1.json",
        &json!({"id": "x", "name": "old", "order": [], "requests": []}),
    );
    let (code, stderr) = run(dir.path(), &["run", "v1.json"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("v1"), "{stderr}");
}

#[test]
fn missing_and_broken_environment_globals_and_data() {
    let dir = tempfile::tempdir().unwrap();
    write_json(dir.path(), "c.json", &collection(json!([])));
    std::fs::write(
        dir.path().join("env.json"),
        "{\"values\": [ {\"key\": \"a\" ",
    )
    .unwrap();
    std::fs::write(dir.path().join("data.json"), "[{\"a\": 1}, 5]").unwrap();
    let (code, stderr) = run(dir.path(), &["run", "c.json", "-e", "nope.json"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("nope.json"), "{stderr}");
    let (code, stderr) = run(dir.path(), &["run", "c.json", "-e", "env.json"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("env.json:1:"), "{stderr}");
    let (code, stderr) = run(dir.path(), &["run", "c.json", "-g", "env.json"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("env.json"), "{stderr}");
    let (code, stderr) = run(dir.path(), &["run", "c.json", "-d", "data.json"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("data.json") && stderr.contains("[1]"),
        "{stderr}"
    );
}

#[test]
fn bad_flags_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    write_json(dir.path(), "c.json", &collection(json!([])));
    let (code, stderr) = run(dir.path(), &["run", "c.json", "-r", "html5"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown reporter `html5`"), "{stderr}");
    let (code, _) = run(dir.path(), &["run", "c.json", "-n", "0"]);
    assert_eq!(code, 2);
    let (code, _) = run(dir.path(), &["run", "c.json", "--no-such-flag"]);
    assert_eq!(code, 2);
    let (code, stderr) = run(dir.path(), &["run", "c.json", "--env-var", "=x"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--env-var") || stderr.contains("key"),
        "{stderr}"
    );
}

#[test]
fn check_lists_items_and_warns_without_sending() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = collection(json!([
        {"name": "F", "item": [{"name": "Uses vars", "request": {"method": "POST",
            "url": "http://127.0.0.1:1/{{path}}?k={{defined}}"},
            "event": [{"listen": "test", "script": {"exec": ["pm.environment.set('fromScript', 1)"]}},
                      {"listen": "prerequest", "script": {"exec": ["let x = ;"]}}]}]},
        {"name": "Later", "request": "http://127.0.0.1:1/{{fromScript}}"}
    ]));
    c["variable"] = json!([{"key": "defined", "value": "1"}]);
    write_json(dir.path(), "c.json", &c);
    let out = snapman(dir.path())
        .args(["check", "c.json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a script syntax error fails the check: {stdout}"
    );
    assert!(
        stdout.contains("F › Uses vars POST http://127.0.0.1:1/{{path}}?k={{defined}}"),
        "{stdout}"
    );
    assert!(
        stdout.contains("variable {{path}} is not defined"),
        "{stdout}"
    );
    assert!(!stdout.contains("{{defined}} is not defined"), "{stdout}");
    assert!(
        !stdout.contains("{{fromScript}} is not defined"),
        "set by a script: {stdout}"
    );
    assert!(
        stdout.contains("F › Uses vars: pre-request script at 1:"),
        "{stdout}"
    );
}

#[test]
fn check_reports_what_will_certainly_fail_and_collection_script_errors_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = collection(json!([
        {"name": "needs fs", "request": {"method": "GET", "url": "http://127.0.0.1:1/a"},
         "event": [{"listen": "test", "script": {"exec": ["const pad = require('left-pad'); const _ = require('lodash');"]}}]},
        {"name": "no url", "request": {"method": "", "url": ""}},
        {"name": "nothing"},
        {"name": "files", "request": {"method": "POST", "url": "http://127.0.0.1:1/f",
            "body": {"mode": "formdata", "formdata": [
                {"key": "gone", "type": "file", "src": "missing.bin"},
                {"key": "unchosen", "type": "file", "src": []}]}}},
        {"name": "file body", "request": {"method": "POST", "url": "http://127.0.0.1:1/g",
            "body": {"mode": "file", "file": {"src": "missing.txt"}}}},
    ]));
    c["event"] = json!([{"listen": "prerequest", "script": {"exec": ["let x = ;"]}}]);
    write_json(dir.path(), "c.json", &c);
    let out = snapman(dir.path())
        .args(["check", "c.json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    for expected in [
        "needs fs: test script requires `left-pad`, which snapman's sandbox does not have",
        "no url: the method is empty",
        "no url: the URL is empty; the request will fail",
        "nothing: has neither `request` nor `item`",
        "files: form-data file `gone` (`missing.bin`) does not exist",
        "files: form-data file `unchosen` has no file chosen",
        "file body: file body `missing.txt` does not exist",
    ] {
        assert!(stdout.contains(expected), "{expected}: {stdout}");
    }
    assert!(!stdout.contains("`lodash`, which"), "{stdout}");
    assert_eq!(
        stdout.matches("collection: pre-request script").count(),
        1,
        "{stdout}"
    );
}
