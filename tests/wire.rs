//! What snapman puts on the wire, compared with what Newman 6.2.2 sends for the same request
//! (recorded with Newman against a raw echo server): body modes, missing files, cookies, inputs
//! Newman accepts, request error codes. Each test runs the binary against the in-process
//! emulator and reads the emulator's journal.

mod common;

use common::{collection, emulator, run_collection, snapman, write_json};
use serde_json::{Value, json};
use snapman::emulator::RecordedRequest;

/// The journal entry for the request whose path starts with `path`.
fn arrived(emu: &snapman::emulator::EmulatorHandle, path: &str) -> RecordedRequest {
    emu.requests()
        .into_iter()
        .find(|r| r.target.starts_with(path))
        .unwrap_or_else(|| panic!("no request to {path} arrived: {:?}", emu.requests()))
}

fn body_text(r: &RecordedRequest) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

fn post(name: &str, path: &str, header: Value, body: Value) -> Value {
    json!({"name": name, "request": {
        "method": "POST", "url": format!("{{{{base}}}}{path}"), "header": header, "body": body}})
}

#[test]
fn urlencoded_body_mode_wins_over_a_json_content_type_and_encodes_like_newman() {
    let emu = emulator();
    let items = json!([
        post(
            "json header",
            "/post?case=1",
            json!([{"key": "Content-Type", "value": "application/json"}]),
            json!({"mode": "urlencoded", "urlencoded": [
                {"key": "a b", "value": "x!'()*~-_.y"},
                {"key": "grant_type", "value": "client_credentials"}]})
        ),
        post(
            "charset kept",
            "/post?case=2",
            json!([{"key": "content-type", "value": "application/x-www-form-urlencoded; charset=utf-8"}]),
            json!({"mode": "urlencoded", "urlencoded": [{"key": "k", "value": "a b+c/é&="}]})
        ),
    ]);
    let r = run_collection(&emu, &collection(items), &[]);
    assert_eq!(r.code(), 0, "{}", r.stdout());
    let first = arrived(&emu, "/post?case=1");
    assert_eq!(
        first.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        body_text(&first),
        "a%20b=x%21%27%28%29%2A~-_.y&grant_type=client_credentials"
    );
    let second = arrived(&emu, "/post?case=2");
    assert_eq!(
        second.header("content-type"),
        Some("application/x-www-form-urlencoded; charset=utf-8")
    );
    assert_eq!(body_text(&second), "k=a%20b%2Bc%2F%C3%A9%26%3D");
}

#[test]
fn formdata_missing_files_are_sent_as_newman_sends_them() {
    let emu = emulator();
    let items = json!([
        post(
            "mixed",
            "/post?case=mixed",
            json!([]),
            json!({"mode": "formdata", "formdata": [
            {"key": "t", "value": "v", "type": "text"},
            {"key": "f", "src": [], "type": "file"},
            {"key": "g", "src": "nope.bin", "type": "file"},
            {"key": "h", "type": "file"}]})
        ),
        post(
            "all missing",
            "/post?case=none",
            json!([{"key": "Content-Type", "value": "multipart/form-data"}]),
            json!({"mode": "formdata", "formdata": [{"key": "g", "src": "nope.bin", "type": "file"}]})
        ),
    ]);
    let r = run_collection(&emu, &collection(items), &[]);
    assert_eq!(r.code(), 0, "{}", r.stdout());
    let mixed = arrived(&emu, "/post?case=mixed");
    let body = body_text(&mixed);
    assert!(body.contains("name=\"t\"\r\n\r\nv\r\n"), "{body}");
    // A part whose file was never chosen: empty file name, no Content-Type, no content.
    assert!(
        body.contains("Content-Disposition: form-data; name=\"f\"; filename=\"\"\r\n\r\n\r\n"),
        "{body}"
    );
    assert!(
        body.contains("Content-Disposition: form-data; name=\"h\"; filename=\"\"\r\n\r\n\r\n"),
        "{body}"
    );
    // A file that does not exist is left out.
    assert!(!body.contains("name=\"g\""), "{body}");
    assert!(
        mixed
            .header("content-type")
            .is_some_and(|ct| ct.starts_with("multipart/form-data; boundary=")),
        "{mixed:?}"
    );
    let none = arrived(&emu, "/post?case=none");
    assert!(none.body.is_empty(), "{none:?}");
    assert_eq!(none.header("content-type"), Some("multipart/form-data"));
    assert_eq!(none.header("content-length"), Some("0"));
    let out = r.stdout();
    assert!(
        out.contains("Form param `f`, file load error: missing file source"),
        "{out}"
    );
    assert!(
        out.contains("Form param `g`, file load error: \"nope.bin\", no such file"),
        "{out}"
    );
}

#[test]
fn a_missing_file_body_is_sent_empty_with_a_warning() {
    let emu = emulator();
    let items = json!([post(
        "file",
        "/post?case=file",
        json!([]),
        json!({"mode": "file", "file": {"src": "nope.bin"}})
    )]);
    let r = run_collection(&emu, &collection(items), &[]);
    assert_eq!(r.code(), 0, "{}{}", r.stdout(), r.stderr());
    let sent = arrived(&emu, "/post?case=file");
    assert!(sent.body.is_empty());
    assert_eq!(sent.header("content-length"), Some("0"));
    assert!(
        r.stdout()
            .contains("Binary file load error: \"nope.bin\", no such file"),
        "{}",
        r.stdout()
    );
}

#[test]
fn a_request_cookie_header_is_merged_with_the_jar() {
    let emu = emulator();
    let items = json!([
        {"name": "set", "request": {"method": "GET", "url": "{{base}}/cookies/set?c1=v1&c2=v2"}},
        {"name": "manual", "request": {"method": "GET", "url": "{{base}}/get?case=cookie",
            "header": [{"key": "Cookie", "value": "manual=m1"}]}},
    ]);
    let r = run_collection(&emu, &collection(items), &[]);
    assert_eq!(r.code(), 0, "{}", r.stdout());
    let sent = arrived(&emu, "/get?case=cookie");
    assert_eq!(sent.header("cookie"), Some("manual=m1; c1=v1; c2=v2"));
}

#[test]
fn an_item_without_a_request_is_an_error_entry() {
    let emu = emulator();
    let items = json!([
        {"name": "no request"},
        {"name": "after", "request": {"method": "GET", "url": "{{base}}/get?case=after"}},
    ]);
    let r = run_collection(&emu, &collection(items), &[]);
    assert_eq!(r.code(), 1, "{}", r.stdout());
    let executions = r.executions();
    assert_eq!(executions.len(), 2, "{}", r.report);
    assert_eq!(executions[0]["item"]["name"], "no request");
    let error = executions[0]["requestError"].to_string();
    assert!(error.contains("request url is empty"), "{error}");
    assert_eq!(r.report["run"]["stats"]["requests"]["failed"], 1);
    arrived(&emu, "/get?case=after");
}

#[test]
fn string_forms_and_string_scripts_are_accepted() {
    let emu = emulator();
    let items = json!([
        post("ue string", "/post?case=ue", json!([]),
            json!({"mode": "urlencoded", "urlencoded": "a=1&b=2"})),
        post("ue empty", "/post?case=ue-empty", json!([]),
            json!({"mode": "urlencoded", "urlencoded": ""})),
        post("fd string", "/post?case=fd", json!([]),
            json!({"mode": "formdata", "formdata": "a=1&b=2"})),
        {"name": "script string", "request": {"method": "GET", "url": "{{base}}/get?case=script"},
         "event": [{"listen": "test", "script": "pm.test('string script', () => pm.response.to.have.status(200));"}]},
    ]);
    let r = run_collection(&emu, &collection(items), &[]);
    assert_eq!(r.code(), 0, "{}{}", r.stdout(), r.stderr());
    let ue = arrived(&emu, "/post?case=ue");
    assert_eq!(body_text(&ue), "a=1&b=2");
    assert_eq!(
        ue.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let empty = arrived(&emu, "/post?case=ue-empty");
    assert!(empty.body.is_empty() && empty.header("content-type").is_none());
    let fd = arrived(&emu, "/post?case=fd");
    assert!(fd.body.is_empty() && fd.header("content-type").is_none());
    assert!(r.stdout().contains("string script"), "{}", r.stdout());
    assert_eq!(r.report["run"]["stats"]["assertions"]["total"], 1);
}

/// Runs `snapman run FILE` on `value` written as `name`; exit code and stderr.
fn run_file(name: &str, value: &Value) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = write_json(dir.path(), name, value);
    let out = snapman(dir.path())
        .arg("run")
        .arg(&path)
        .output()
        .expect("snapman runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn json_with_info_but_no_items_is_an_input_error_that_names_the_lookalike() {
    let cases = [
        (
            json!({"openapi": "3.0.0", "info": {"title": "Pets", "version": "1"}, "paths": {}}),
            "OpenAPI",
        ),
        (
            json!({"swagger": "2.0", "info": {"title": "Pets", "version": "1"}, "paths": {}}),
            "OpenAPI",
        ),
        (
            json!({"_type": "export", "__export_format": 4, "info": {}, "resources": []}),
            "Insomnia",
        ),
        (
            json!({"info": {"name": "x"}, "log": {"entries": []}}),
            "HAR",
        ),
        (json!({"info": {"name": "x", "values": []}}), "environment"),
        (json!({"info": {"name": "just info"}}), "schema"),
    ];
    for (value, expected) in cases {
        let (code, _, stderr) = run_file("c.json", &value);
        assert_eq!(code, 2, "{value}: {stderr}");
        assert!(stderr.contains("not a Postman collection"), "{stderr}");
        assert!(stderr.contains(expected), "{value}: {stderr}");
    }
    // A collection with a Postman schema and no items is an empty run, as in Newman.
    let empty = json!({"info": {"name": "e",
        "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"}});
    let (code, _, stderr) = run_file("c.json", &empty);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[test]
fn an_unknown_schema_version_gets_a_warning() {
    let value = json!({"info": {"name": "future",
        "schema": "https://schema.getpostman.com/json/collection/v3.0.0/collection.json"},
        "item": []});
    let (code, _, stderr) = run_file("c.json", &value);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("warning") && stderr.contains("unknown collection schema version"),
        "{stderr}"
    );
}

#[test]
fn request_error_codes_come_from_the_error_type_not_the_url() {
    let emu = emulator();
    // Port 1 on loopback refuses; the URL's words must not decide the code.
    let items = json!([
        {"name": "refused", "request": {"method": "GET",
            "url": "http://127.0.0.1:1/tls/certificate/self-signed"}},
        {"name": "unknown host", "request": {"method": "GET",
            "url": "http://no-such-host.invalid/tls-certificate"}},
    ]);
    let r = run_collection(&emu, &collection(items), &[]);
    assert_eq!(r.code(), 1);
    let executions = r.executions();
    assert_eq!(
        executions[0]["requestError"]["code"], "ECONNREFUSED",
        "{}",
        r.report
    );
    assert_eq!(
        executions[1]["requestError"]["code"], "ENOTFOUND",
        "{}",
        r.report
    );
}

#[test]
fn script_counts_follow_newmans_rules() {
    let emu = emulator();
    // The same shape Newman 6.2.2 reported testScripts 8, prerequestScripts 7, scripts 15 for:
    // every enabled event counts (empty ones and collection-level ones too), disabled ones not.
    let mut c = collection(json!([{"name": "F",
        "event": [{"listen": "test", "script": {"exec": []}},
                  {"listen": "prerequest", "script": {"type": "text/javascript"}}],
        "item": [
            {"name": "a", "request": {"method": "GET", "url": "{{base}}/get?i=a"},
             "event": [{"listen": "test", "script": {"exec": ["pm.test('x', () => {})"]}},
                       {"listen": "test", "disabled": true, "script": {"exec": ["pm.test('y', () => {})"]}}]},
            {"name": "b", "request": {"method": "GET", "url": "{{base}}/get?i=b"},
             "event": [{"listen": "prerequest", "script": {"exec": ["  "]}},
                       {"listen": "test", "script": {"exec": ["throw new Error('boom')"]}}]},
            {"name": "c", "request": {"method": "GET", "url": "{{base}}/get?i=c"}}]}]));
    c["event"] = json!([{"listen": "test", "script": {"exec": [""]}},
        {"listen": "prerequest", "script": {"exec": ["console.log('c')"]}}]);
    let r = run_collection(&emu, &c, &[]);
    let stats = &r.report["run"]["stats"];
    assert_eq!(stats["testScripts"]["total"], 8, "{stats}");
    assert_eq!(stats["testScripts"]["failed"], 1, "{stats}");
    assert_eq!(stats["prerequestScripts"]["total"], 7, "{stats}");
    assert_eq!(stats["scripts"]["total"], 15, "{stats}");
}
