//! What arrives at the echo service for each request feature (URL, query, headers, bodies,
//! auth, variables, redirects, cookies), read back from the echo in the JSON report.

mod common;

use common::{collection, emulator, run_collection, write_json};
use serde_json::{Value, json};

fn item(name: &str, request: Value) -> Value {
    json!({"name": name, "request": request})
}

#[test]
fn url_object_parts_are_sent_not_raw() {
    let emu = emulator();
    let port = emu.addr().port().to_string();
    let c = collection(json!([item(
        "parts",
        json!({
            "method": "GET",
            "url": {
                "raw": "http://wrong.invalid/nothing",
                "protocol": "http", "host": ["127", "0", "0", "1"], "port": port,
                "path": ["get"],
                "query": [
                    {"key": "a", "value": "1"},
                    {"key": "off", "value": "x", "disabled": true},
                    {"key": "sp ace", "value": "x y"},
                    {"key": "a", "value": "2"}
                ]
            }
        })
    )]));
    let r = run_collection(&emu, &c, &[]);
    assert_eq!(r.code(), 0, "{}", r.stdout());
    let echoed = r.echoed(0);
    assert_eq!(echoed["args"]["a"], json!(["1", "2"]));
    assert_eq!(echoed["args"]["sp ace"], "x y");
    assert!(echoed["args"].get("off").is_none());
    assert!(
        echoed["url"]
            .as_str()
            .unwrap()
            .ends_with("/get?a=1&sp%20ace=x%20y&a=2"),
        "{}",
        echoed["url"]
    );
}

#[test]
fn path_variables_and_unresolved_variables() {
    let emu = emulator();
    let c = collection(json!([item(
        "path var",
        json!({"method": "GET", "url": {
            "raw": "{{base}}/:endpoint", "host": ["{{base}}"], "path": [":endpoint"],
            "variable": [{"key": "endpoint", "value": "get"}], "query": [{"key": "u", "value": "{{undefined_var}}"}]}})
    ),]));
    let r = run_collection(&emu, &c, &[]);
    assert_eq!(r.code(), 0, "{}", r.stdout());
    assert_eq!(r.echoed(0)["args"]["u"], "{{undefined_var}}");
}

#[test]
fn headers_disabled_dropped_and_system_headers_added() {
    let emu = emulator();
    let c = collection(json!([item(
        "h",
        json!({"method": "GET", "url": "{{base}}/headers", "header": [
            {"key": "X-One", "value": "1"},
            {"key": "X-Off", "value": "0", "disabled": true},
            {"key": "Accept", "value": "application/json"}
        ]})
    )]));
    let r = run_collection(&emu, &c, &[]);
    let headers = &r.echoed(0)["headers"];
    assert_eq!(headers["x-one"], "1");
    assert!(headers.get("x-off").is_none());
    assert_eq!(headers["accept"], "application/json");
    assert!(
        headers["user-agent"]
            .as_str()
            .unwrap()
            .starts_with("PostmanRuntime/")
    );
    assert_eq!(headers["cache-control"], "no-cache");
    assert!(headers["postman-token"].as_str().unwrap().len() == 36);
}

#[test]
fn raw_json_body_gets_content_type_from_language() {
    let emu = emulator();
    let c = collection(json!([item(
        "raw",
        json!({"method": "POST", "url": "{{base}}/post",
        "body": {"mode": "raw", "raw": "{\"id\": {{id}} // comment\n}", "options": {"raw": {"language": "json"}}}})
    )]));
    let r = run_collection(&emu, &c, &["--env-var", "id=42"]);
    let e = r.echoed(0);
    assert_eq!(e["headers"]["content-type"], "application/json");
    assert_eq!(e["json"], json!({"id": 42}));
}

#[test]
fn urlencoded_and_formdata_bodies() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("upload.txt"), "file content").unwrap();
    let c = collection(json!([
        item(
            "urlencoded",
            json!({"method": "POST", "url": "{{base}}/post", "body": {"mode": "urlencoded", "urlencoded": [
            {"key": "a", "value": "1"}, {"key": "a", "value": "2"}, {"key": "off", "value": "x", "disabled": true},
            {"key": "sym", "value": "x&y=z"}]}})
        ),
        item(
            "formdata",
            json!({"method": "POST", "url": "{{base}}/post", "body": {"mode": "formdata", "formdata": [
            {"key": "text", "value": "v", "type": "text"},
            {"key": "doc", "src": "upload.txt", "type": "file"}]}})
        ),
    ]));
    let wd = dir.path().to_str().unwrap().to_string();
    let r = run_collection(&emu, &c, &["--working-dir", &wd]);
    assert_eq!(r.code(), 0, "{}", r.stdout());
    let e = r.echoed(0);
    assert_eq!(e["form"]["a"], json!(["1", "2"]));
    assert_eq!(e["form"]["sym"], "x&y=z");
    assert!(e["form"].get("off").is_none());
    assert_eq!(
        e["headers"]["content-type"],
        "application/x-www-form-urlencoded"
    );
    let f = r.echoed(1);
    assert_eq!(f["form"]["text"], "v");
    let file = f["files"]["upload.txt"].as_str().unwrap();
    assert!(file.starts_with("data:"), "{file}");
    assert!(
        f["headers"]["content-type"]
            .as_str()
            .unwrap()
            .starts_with("multipart/form-data; boundary=")
    );
}

#[test]
fn graphql_and_file_bodies() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("body.bin"), "binary-ish").unwrap();
    let c = collection(json!([
        item(
            "gql",
            json!({"method": "POST", "url": "{{base}}/post", "body": {"mode": "graphql",
            "graphql": {"query": "query Q { a }", "variables": "{\"x\": 1}"}}})
        ),
        item(
            "file",
            json!({"method": "POST", "url": "{{base}}/post", "header": [{"key": "Content-Type", "value": "text/plain"}],
            "body": {"mode": "file", "file": {"src": "body.bin"}}})
        ),
    ]));
    let wd = dir.path().to_str().unwrap().to_string();
    let r = run_collection(&emu, &c, &["--working-dir", &wd]);
    assert_eq!(
        r.echoed(0)["json"],
        json!({"query": "query Q { a }", "variables": {"x": 1}})
    );
    assert_eq!(r.echoed(1)["data"], "binary-ish");
}

#[test]
fn get_body_is_pruned() {
    let emu = emulator();
    let c = collection(json!([item(
        "get with body",
        json!({"method": "GET", "url": "{{base}}/get",
        "body": {"mode": "raw", "raw": "should not be sent"}})
    )]));
    let r = run_collection(&emu, &c, &[]);
    assert!(r.echoed(0)["headers"].get("content-length").is_none());
    assert!(
        r.executions()[0]["request"]["body"].is_null()
            || r.executions()[0]["request"].get("body").is_none()
    );
}

#[test]
fn auth_inheritance_noauth_and_types() {
    let emu = emulator();
    let mut c = collection(json!([
        {"name": "inherits", "item": [item("collection bearer", json!({"method": "GET", "url": "{{base}}/headers"}))]},
        {"name": "stops", "auth": {"type": "noauth"}, "item": [item("no auth", json!({"method": "GET", "url": "{{base}}/headers"}))]},
        item("basic", json!({"method": "GET", "url": "{{base}}/basic-auth", "auth": {"type": "basic", "basic": [
            {"key": "username", "value": "postman"}, {"key": "password", "value": "password"}]}})),
        item("apikey query", json!({"method": "GET", "url": "{{base}}/get", "auth": {"type": "apikey", "apikey": [
            {"key": "key", "value": "api_key"}, {"key": "value", "value": "{{key}}"}, {"key": "in", "value": "query"}]}})),
        item("oauth2 stored token", json!({"method": "GET", "url": "{{base}}/headers", "auth": {"type": "oauth2", "oauth2": [
            {"key": "accessToken", "value": "stored-token"}, {"key": "addTokenTo", "value": "header"}]}})),
    ]));
    c["auth"] = json!({"type": "bearer", "bearer": [{"key": "token", "value": "{{tok}}"}]});
    let r = run_collection(
        &emu,
        &c,
        &["--env-var", "tok=T-123", "--env-var", "key=K 1234"],
    );
    let arrived = emu.requests();
    let auth_of = |path: &str| {
        arrived
            .iter()
            .find(|q| q.target.starts_with(path))
            .and_then(|q| q.header("authorization").map(str::to_string))
    };
    assert_eq!(auth_of("/headers").as_deref(), Some("Bearer T-123"));
    assert_eq!(
        r.echoed(0)["headers"]["authorization"],
        "Bearer [redacted]",
        "the report masks the token"
    );
    assert!(r.echoed(1)["headers"].get("authorization").is_none());
    assert_eq!(r.echoed(2)["authenticated"], true);
    assert_eq!(r.echoed(3)["args"]["api_key"], "[redacted]");
    assert!(
        arrived.iter().any(|q| q.target == "/get?api_key=K%201234"),
        "{arrived:?}"
    );
    assert_eq!(r.echoed(4)["headers"]["authorization"], "Bearer [redacted]");
    assert!(
        arrived
            .iter()
            .any(|q| q.header("authorization") == Some("Bearer stored-token"))
    );
    assert_eq!(r.code(), 0, "{}", r.report);
}

#[test]
fn variable_scopes_env_globals_data_and_enabled_false() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let env = write_json(
        dir.path(),
        "env.json",
        &json!({"name": "e", "values": [
        {"key": "who", "value": "env", "enabled": true},
        {"key": "hidden", "value": "used-by-newman", "enabled": false}]}),
    );
    let globals = write_json(
        dir.path(),
        "globals.json",
        &json!({"name": "g", "values": [
        {"key": "who", "value": "global"}, {"key": "g", "value": "only-global"}]}),
    );
    let data = dir.path().join("data.csv");
    std::fs::write(&data, "row,quoted\n1,\"a,b\"\n2,\"c\"\"d\"\n").unwrap();
    let mut c = collection(json!([item(
        "vars",
        json!({"method": "GET",
        "url": "{{base}}/get?who={{who}}&g={{g}}&row={{row}}&q={{quoted}}&c={{coll}}&hidden={{hidden}}"})
    )]));
    c["variable"] =
        json!([{"key": "coll", "value": "collection"}, {"key": "who", "value": "collection"}]);
    let args = [
        "-e",
        env.to_str().unwrap(),
        "-g",
        globals.to_str().unwrap(),
        "-d",
        data.to_str().unwrap(),
    ];
    let r = run_collection(&emu, &c, &args);
    assert_eq!(r.executions().len(), 2, "one iteration per data row");
    let first = &r.echoed(0)["args"];
    assert_eq!(first["who"], "env");
    assert_eq!(first["g"], "only-global");
    assert_eq!(first["row"], "1");
    assert_eq!(first["q"], "a,b");
    assert_eq!(first["c"], "collection");
    assert_eq!(
        first["hidden"], "{{hidden}}",
        "enabled:false is ignored, as in the Postman app"
    );
    assert_eq!(r.echoed(1)["args"]["q"], "c\"d");
    let mut newman = args.to_vec();
    newman.push("--newman-enabled-vars");
    let r = run_collection(&emu, &c, &newman);
    assert_eq!(r.echoed(0)["args"]["hidden"], "used-by-newman");
}

#[test]
fn iteration_count_reuses_last_data_row() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let data = write_json(dir.path(), "data.json", &json!([{"n": 1}, {"n": 2}]));
    let c = collection(json!([item(
        "n",
        json!({"method": "GET", "url": "{{base}}/get?n={{n}}"})
    )]));
    let r = run_collection(&emu, &c, &["-d", data.to_str().unwrap(), "-n", "3"]);
    let ns: Vec<Value> = (0..3).map(|i| r.echoed(i)["args"]["n"].clone()).collect();
    assert_eq!(ns, [json!("1"), json!("2"), json!("2")]);
}

#[test]
fn redirects_followed_unless_ignored() {
    let emu = emulator();
    let c = collection(json!([item(
        "redirect",
        json!({"method": "GET",
        "url": "{{base}}/redirect-to?url=/get%3Ffrom%3Dredirect&status_code=302"})
    )]));
    let r = run_collection(&emu, &c, &[]);
    assert_eq!(r.executions()[0]["response"]["code"], 200);
    assert_eq!(r.echoed(0)["args"]["from"], "redirect");
    let r = run_collection(&emu, &c, &["--ignore-redirects"]);
    assert_eq!(r.executions()[0]["response"]["code"], 302);
}

#[test]
fn cookie_jar_spans_the_run() {
    let emu = emulator();
    let c = collection(json!([
        item(
            "set",
            json!({"method": "GET", "url": "{{base}}/cookies/set?flavour=oat"})
        ),
        item("read", json!({"method": "GET", "url": "{{base}}/cookies"})),
    ]));
    let r = run_collection(&emu, &c, &["--ignore-redirects"]);
    assert_eq!(r.echoed(1)["cookies"]["flavour"], "oat");
}

#[test]
fn request_error_fails_that_request_and_the_run_goes_on_unless_bail() {
    let emu = emulator();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/get", closed.local_addr().unwrap());
    drop(closed);
    let c = collection(json!([
        item("refused", json!({"method": "GET", "url": dead})),
        item("after", json!({"method": "GET", "url": "{{base}}/get"})),
    ]));
    let r = run_collection(&emu, &c, &[]);
    assert_eq!(r.code(), 1);
    let ex = r.executions();
    assert_eq!(ex.len(), 2);
    assert_eq!(ex[0]["requestError"]["code"], "ECONNREFUSED");
    assert!(r.stdout().contains("ECONNREFUSED"), "{}", r.stdout());
    let r = run_collection(&emu, &c, &["--bail"]);
    assert_eq!(r.executions().len(), 1);
    assert_eq!(r.code(), 1);
}

#[test]
fn folder_selection_and_suppress_exit_code() {
    let emu = emulator();
    let c = collection(json!([
        {"name": "F1", "item": [item("a", json!({"method": "GET", "url": "{{base}}/get?x=a"}))]},
        {"name": "F2", "item": [{"name": "Deep", "item": [item("b", json!({"method": "GET", "url": "{{base}}/get?x=b"}))]}]},
        item("c", json!({"method": "GET", "url": "http://127.0.0.1:1/unreachable"})),
    ]));
    let r = run_collection(&emu, &c, &["--folder", "Deep"]);
    assert_eq!(r.executions().len(), 1);
    assert_eq!(r.echoed(0)["args"]["x"], "b");
    let r = run_collection(&emu, &c, &["--folder", "c", "-x"]);
    assert_eq!(r.executions().len(), 1);
    assert_eq!(r.code(), 0, "-x suppresses the failure exit code");
    let r = run_collection(&emu, &c, &["--folder", "nope"]);
    assert_eq!(r.code(), 2);
    assert!(
        r.stderr()
            .contains("Unable to find a folder or request: nope"),
        "{}",
        r.stderr()
    );
}

#[test]
fn exports_environment_globals_and_collection() {
    let emu = emulator();
    let mut c = collection(json!([item(
        "a",
        json!({"method": "GET", "url": "{{base}}/get"})
    )]));
    c["variable"] = json!([{"key": "v", "value": "1"}]);
    let dir = tempfile::tempdir().unwrap();
    let env_out = dir.path().join("out/env.json");
    let glob_out = dir.path().join("out/globals.json");
    let coll_out = dir.path().join("out/collection.json");
    let r = run_collection(
        &emu,
        &c,
        &[
            "--global-var",
            "gk=gv",
            "--export-environment",
            env_out.to_str().unwrap(),
            "--export-globals",
            glob_out.to_str().unwrap(),
            "--export-collection",
            coll_out.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code(), 0);
    let env: Value = serde_json::from_str(&std::fs::read_to_string(env_out).unwrap()).unwrap();
    assert_eq!(env["_postman_variable_scope"], "environment");
    assert!(
        env["values"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["key"] == "base")
    );
    let globals: Value = serde_json::from_str(&std::fs::read_to_string(glob_out).unwrap()).unwrap();
    assert!(
        globals["values"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["key"] == "gk" && v["value"] == "gv")
    );
    let coll: Value = serde_json::from_str(&std::fs::read_to_string(coll_out).unwrap()).unwrap();
    assert_eq!(coll["info"], c["info"]);
    assert_eq!(coll["item"], c["item"]);
}
