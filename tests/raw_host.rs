//! A request whose host is an unresolved variable (`{{APIURL}}/users`, no environment) goes to
//! the HTTP proxy as Newman 6.2.2 sends it: absolute form, host lower-cased, `Host` header the
//! same; its response reaches the scripts and the report like any other. Without a proxy, or
//! when `NO_PROXY` covers the host, it fails as before (exit 1).

mod common;

use std::path::Path;
use std::process::Output;

use common::{assertions, collection, snapman, write_json};
use serde_json::{Value, json};
use snapman::emulator::proxy_echo;

/// A collection whose requests all name `{{APIURL}}` as their host.
fn unresolved_host_collection() -> Value {
    collection(json!([
        {"name": "register", "request": {
            "method": "POST",
            "url": "{{APIURL}}/users?tag={{tag}}",
            "header": [
                {"key": "Content-Type", "value": "application/json"},
                {"key": "X-Requested-With", "value": "XMLHttpRequest"}
            ],
            "body": {"mode": "raw", "raw": "{\"user\":{\"email\":\"{{EMAIL}}\"}}"}
        }, "event": [{"listen": "test", "script": {"exec": [
            "pm.test('answered by the proxy', () => pm.response.to.have.status(200));",
            "pm.test('reflected', () => {",
            "  const echo = pm.response.json();",
            "  pm.expect(echo.url).to.equal('http://{{apiurl}}/users?tag={{tag}}');",
            "  pm.expect(echo.headers.host).to.equal('{{apiurl}}');",
            "  pm.expect(echo.json.user.email).to.equal('{{EMAIL}}');",
            "});"
        ]}}]},
        {"name": "read", "request": {"method": "GET", "url": "http://{{APIURL}}:8080/user"}}
    ]))
}

/// Runs the collection with `env` added to a clean environment; returns the output and report.
fn run(dir: &Path, env: &[(&str, String)]) -> (Output, Value) {
    let path = write_json(dir, "c.json", &unresolved_host_collection());
    let report = dir.join("report.json");
    let mut cmd = snapman(dir);
    cmd.arg("run")
        .arg(&path)
        .args(["-r", "json", "--reporter-json-export"])
        .arg(&report)
        .args(["--timeout-request", "10000"]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = cmd.output().expect("snapman runs");
    let report = std::fs::read_to_string(&report)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    (output, report)
}

#[test]
fn an_unresolved_host_is_sent_to_the_proxy_as_newman_sends_it() {
    let proxy = proxy_echo::start("127.0.0.1:0").expect("stand-in starts");
    let dir = tempfile::tempdir().expect("temp dir");
    let (output, report) = run(dir.path(), &[("HTTP_PROXY", proxy.proxy_url())]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}\n{report}");
    let journal = proxy.requests();
    assert_eq!(journal.len(), 2, "{journal:?}");
    let post = &journal[0];
    assert_eq!(post.method, "POST");
    assert_eq!(post.url, "http://{{apiurl}}/users?tag={{tag}}");
    assert_eq!(post.header("host"), Some("{{apiurl}}"));
    assert_eq!(post.header("content-type"), Some("application/json"));
    assert_eq!(post.header("x-requested-with"), Some("XMLHttpRequest"));
    assert_eq!(post.header("accept"), Some("*/*"));
    assert_eq!(post.header("accept-encoding"), Some("gzip, deflate, br"));
    assert_eq!(post.header("cache-control"), Some("no-cache"));
    assert!(post.header("postman-token").is_some());
    assert!(
        post.header("user-agent")
            .is_some_and(|ua| ua.starts_with("PostmanRuntime/"))
    );
    assert_eq!(post.body, br#"{"user":{"email":"{{EMAIL}}"}}"#);
    assert_eq!(
        post.header("content-length"),
        Some(post.body.len().to_string().as_str())
    );
    let get = &journal[1];
    assert_eq!(get.method, "GET");
    assert_eq!(get.url, "http://{{apiurl}}:8080/user");
    assert_eq!(get.header("host"), Some("{{apiurl}}:8080"));
    assert_eq!(get.header("content-length"), None);
    assert!(get.body.is_empty());
    let outcomes = assertions(&report);
    assert_eq!(
        outcomes,
        vec![
            ("answered by the proxy".to_string(), None),
            ("reflected".to_string(), None)
        ],
        "{report}"
    );
    let response = &report["run"]["executions"][0]["response"];
    assert_eq!(response["code"], 200, "{response}");
    assert_eq!(response["status"], "OK", "{response}");
}

#[test]
fn without_a_proxy_or_with_no_proxy_it_still_fails() {
    let proxy = proxy_echo::start("127.0.0.1:0").expect("stand-in starts");
    for env in [
        vec![],
        vec![
            ("HTTP_PROXY", proxy.proxy_url()),
            ("NO_PROXY", "localhost,{{apiurl}}".to_string()),
        ],
        vec![("http_proxy", proxy.proxy_url()), ("no_proxy", "*".into())],
        // An HTTPS proxy setting does not apply to plain http.
        vec![("HTTPS_PROXY", proxy.proxy_url())],
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let (output, report) = run(dir.path(), &env);
        assert_eq!(output.status.code(), Some(1), "{env:?}: {report}");
        let executions = report["run"]["executions"].as_array().cloned();
        let errors = executions
            .unwrap_or_default()
            .iter()
            .filter(|e| e["requestError"].is_object())
            .count();
        assert_eq!(errors, 2, "{env:?}: {report}");
    }
    assert!(proxy.requests().is_empty(), "{:?}", proxy.requests());
}
