//! Secrets audit through the binary: collections that obtain or carry secrets in each way run
//! with every reporter, `--verbose`, and `snapman test --update always -- --nocapture`; no
//! secret byte may appear in stdout, stderr, reports or snapshots. Exports keep the user's data
//! exactly as the run left it.

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{collection, emulator, snapman, write_json};
use serde_json::{Value, json};

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The token the echo service's `/oauth2/token` hands out, fetched as a client would.
fn fetched_token(base: &str) -> String {
    let authority = base.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(authority).expect("connect");
    write!(
        stream,
        "POST /oauth2/token HTTP/1.1\r\nHost: {authority}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("read");
    let body = reply.split_once("\r\n\r\n").expect("body").1;
    let v: Value = serde_json::from_str(body).expect("json");
    v["access_token"].as_str().expect("token").to_string()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `c` with every reporter and `--verbose`, then as `snapman test --update always --
/// --nocapture`, and returns every output (name, content) besides the inputs.
fn outputs_of(c: &Value, env: &Value, extra: &[&str], base: &str) -> Vec<(String, String)> {
    let inputs = tempfile::tempdir().expect("tempdir");
    let out = tempfile::tempdir().expect("tempdir");
    let path = write_json(inputs.path(), "c.postman_collection.json", c);
    let env_path = write_json(inputs.path(), "env.json", env);
    let base_var = format!("base={base}");
    let run = snapman(out.path())
        .arg("run")
        .arg(&path)
        .arg("-e")
        .arg(&env_path)
        .args([
            "--env-var",
            &base_var,
            "--verbose",
            "-r",
            "cli,json,junit,html",
        ])
        .args(["--reporter-json-export", "r/report.json"])
        .args(["--reporter-junit-export", "r/report.xml"])
        .args(["--reporter-html-export", "r/report.html"])
        .args(extra)
        .output()
        .expect("run");
    assert!(
        std::fs::metadata(out.path().join("r/report.json")).is_ok(),
        "run wrote its report: {}",
        text(&run.stderr)
    );
    let test: Output = snapman(out.path())
        .arg("test")
        .arg(&path)
        .arg("-e")
        .arg(&env_path)
        .args(["--env-var", &base_var, "--update", "always"])
        .args(["--snapshot-dir", "snaps"])
        .args(extra)
        .args(["--", "--nocapture"])
        .output()
        .expect("test");
    let mut outputs = vec![
        ("run stdout".to_string(), text(&run.stdout)),
        ("run stderr".to_string(), text(&run.stderr)),
        ("test stdout".to_string(), text(&test.stdout)),
        ("test stderr".to_string(), text(&test.stderr)),
    ];
    let written = files(out.path());
    assert!(
        written
            .iter()
            .any(|p| p.starts_with(out.path().join("snaps"))),
        "snapshots written: {}",
        text(&test.stderr)
    );
    for p in written {
        outputs.push((
            p.display().to_string(),
            text(&std::fs::read(&p).expect("read")),
        ));
    }
    outputs
}

fn assert_no_leak(channel: &str, outputs: &[(String, String)], secrets: &[&str]) {
    for (name, content) in outputs {
        for s in secrets {
            assert!(
                !content.contains(s),
                "{channel}: {name} contains the secret {s:.10}...:\n{content}"
            );
        }
    }
    assert!(
        outputs.iter().any(|(_, c)| c.contains("[redacted]")),
        "{channel}: the mask shows somewhere"
    );
}

fn test_script(lines: &[&str]) -> Value {
    json!([{"listen": "test", "script": {"type": "text/javascript", "exec": lines}}])
}

fn pre_script(lines: &[&str]) -> Value {
    json!([{"listen": "prerequest", "script": {"type": "text/javascript", "exec": lines}}])
}

fn plain_env() -> Value {
    json!({"id": "e", "name": "env", "values": []})
}

#[test]
fn a_collections_own_token_request_never_leaks() {
    let emu = emulator();
    let base = emu.base_url();
    let token = fetched_token(base);
    let c = collection(json!([
        {"name": "get token", "event": test_script(&[
            "const t = pm.response.json().access_token;",
            "pm.collectionVariables.set('session', t);",
            "console.log('token is ' + t);"
        ]), "request": {"method": "POST", "url": "{{base}}/oauth2/token",
            "body": {"mode": "urlencoded", "urlencoded": [
                {"key": "grant_type", "value": "password"},
                {"key": "client_secret", "value": "CS-literal-4f1e9a"},
                {"key": "password", "value": "PW-literal-77c2b1"}
            ]}}},
        {"name": "use token", "event": test_script(&[
            "pm.test('sent ' + pm.variables.get('session'), function () {",
            "  pm.expect(pm.response.json().args.access_token).to.eql('something else');",
            "});"
        ]), "request": {"method": "GET", "url": "{{base}}/get?access_token={{session}}",
            "header": [{"key": "Authorization", "value": "Bearer {{session}}"}]}}
    ]));
    let outputs = outputs_of(&c, &plain_env(), &[], base);
    assert_no_leak(
        "own token request",
        &outputs,
        &[&token, "CS-literal-4f1e9a", "PW-literal-77c2b1"],
    );
}

#[test]
fn a_token_fetched_with_pm_send_request_never_leaks() {
    let emu = emulator();
    let base = emu.base_url();
    let token = fetched_token(base);
    let c = collection(json!([
        {"name": "echo", "event": pre_script(&[
            "pm.sendRequest({url: pm.variables.get('base') + '/oauth2/token', method: 'POST'}, function (err, res) {",
            "  pm.environment.set('fetched', res.json().access_token);",
            "  console.log('fetched ' + res.json().access_token);",
            "});"
        ]), "request": {"method": "GET", "url": "{{base}}/headers",
            "header": [{"key": "X-Custom", "value": "{{fetched}}"}]}}
    ]));
    let outputs = outputs_of(&c, &plain_env(), &[], base);
    assert_no_leak("pm.sendRequest", &outputs, &[&token]);
}

#[test]
fn an_oauth2_block_token_never_leaks() {
    let emu = emulator();
    let base = emu.base_url();
    let token = fetched_token(base);
    let c = collection(json!([
        {"name": "oauth2", "request": {"method": "GET", "url": "{{base}}/headers",
            "auth": {"type": "oauth2", "oauth2": [
                {"key": "grant_type", "value": "client_credentials"},
                {"key": "accessTokenUrl", "value": "{{base}}/oauth2/token"},
                {"key": "clientId", "value": "audit-client"},
                {"key": "clientSecret", "value": "CS2-literal-0b9d7e"},
                {"key": "addTokenTo", "value": "header"}
            ]}}}
    ]));
    let outputs = outputs_of(&c, &plain_env(), &[], base);
    assert_no_leak("oauth2 block", &outputs, &[&token, "CS2-literal-0b9d7e"]);
}

#[test]
fn literal_secrets_in_bodies_secret_variables_and_custom_names_never_leak() {
    let emu = emulator();
    let base = emu.base_url();
    let c = collection(json!([
        {"name": "form", "request": {"method": "POST", "url": "{{base}}/post",
            "body": {"mode": "urlencoded", "urlencoded": [
                {"key": "client_secret", "value": "CS3-literal-c0ffee"},
                {"key": "password", "value": "PW3 literal&odd=chars"}
            ]}}},
        {"name": "json", "request": {"method": "POST", "url": "{{base}}/post",
            "header": [{"key": "Content-Type", "value": "application/json"}],
            "body": {"mode": "raw", "raw": "{\"api_key\": \"AK-literal-5e6f7a\", \"pin\": \"PIN-9f8e7d6c\"}"}}},
        {"name": "secret variable", "event": test_script(&[
            "console.log('db is ' + pm.environment.get('db'));"
        ]), "request": {"method": "GET", "url": "{{base}}/headers",
            "header": [{"key": "X-Db", "value": "{{db}}"}]}}
    ]));
    let env = json!({"id": "e", "name": "env", "values": [
        {"key": "db", "value": "DB-secret-typed-31415", "type": "secret", "enabled": true}
    ]});
    let outputs = outputs_of(&c, &env, &["--secret-names", "pin"], base);
    assert_no_leak(
        "literal secrets",
        &outputs,
        &[
            "CS3-literal-c0ffee",
            "PW3 literal&odd=chars",
            "PW3+literal%26odd%3Dchars",
            "AK-literal-5e6f7a",
            "PIN-9f8e7d6c",
            "DB-secret-typed-31415",
        ],
    );
}

/// The JUnit and HTML reports are masked where they are written, in the escaped form a secret
/// takes there: a learned password with `'`, `<`, `&`, `>`, `"` and `=` reaches the XML as
/// `&apos;`/`&quot;`... (quick-xml's escaping, which no registered form of the secret matches)
/// and the page as `&#x27;`/`&lt;`..., in attribute values and in text.
#[test]
fn secrets_in_escaped_markup_are_masked_where_the_reports_are_written() {
    let emu = emulator();
    let base = emu.base_url();
    let password = "Zq9'<&>\"Xv4=";
    let c = collection(json!([
        {"name": "login", "event": test_script(&[
            "const pw = pm.response.json().form.password;",
            "console.log('echoed ' + pw);",
            "pm.test('password ' + pw + ' is refused', function () {",
            "  pm.expect(pw).to.equal('no: ' + pw);",
            "});"
        ]), "request": {"method": "POST", "url": "{{base}}/post",
            "body": {"mode": "urlencoded", "urlencoded": [
                {"key": "password", "value": password}
            ]}}}
    ]));
    let outputs = outputs_of(&c, &plain_env(), &[], base);
    assert_no_leak("escaped markup", &outputs, &["Zq9", "Xv4"]);
    for report in ["report.xml", "report.html"] {
        let (_, content) = outputs
            .iter()
            .find(|(name, _)| name.ends_with(report))
            .expect("report written");
        assert!(
            content.contains("password [redacted] is refused"),
            "{report} masks the assertion name:\n{content}"
        );
        assert!(
            content.contains("echoed [redacted]"),
            "{report} masks the console"
        );
    }
}

#[test]
fn show_secrets_prints_them_and_is_refused_under_ci() {
    let emu = emulator();
    let c = collection(json!([
        {"name": "form", "request": {"method": "POST", "url": "{{base}}/post",
            "body": {"mode": "urlencoded", "urlencoded": [
                {"key": "password", "value": "PW4-literal-abcdef"}
            ]}}}
    ]));
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_json(dir.path(), "c.json", &c);
    let base_var = format!("base={}", emu.base_url());
    let run = |extra: &[&str], ci: bool| {
        let mut cmd = snapman(dir.path());
        if ci {
            cmd.env("CI", "true");
        }
        cmd.arg("run")
            .arg(&path)
            .args(["--env-var", &base_var, "--verbose"])
            .args(extra)
            .output()
            .expect("run")
    };
    let masked = run(&[], false);
    assert_eq!(masked.status.code(), Some(0), "{}", text(&masked.stderr));
    assert!(!text(&masked.stdout).contains("PW4-literal-abcdef"));
    let shown = run(&["--show-secrets"], false);
    assert!(text(&shown.stdout).contains("PW4-literal-abcdef"));
    let refused = run(&["--show-secrets"], true);
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused.stderr).contains("--force-show-secrets"));
    let forced = run(&["--force-show-secrets"], true);
    assert!(text(&forced.stdout).contains("PW4-literal-abcdef"));
}

#[test]
fn exports_keep_the_users_data_and_reports_are_masked() {
    let emu = emulator();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = collection(json!([
        {"name": "login", "event": test_script(&[
            "pm.environment.set('token', pm.response.json().access_token);",
            "pm.environment.set('count', 7);",
            "pm.globals.set('password', 'set-by-script-pw');",
            "pm.collectionVariables.set('later', 'from the run');"
        ]), "request": {"method": "POST", "url": "{{base}}/oauth2/token",
            "header": [{"key": "Authorization", "value": "Bearer {{token}}"}],
            "description": "uses {{password}} and {{token}}"}}
    ]));
    c["variable"] = json!([
        {"key": "password", "value": "password", "type": "secret"},
        {"key": "ref", "value": "{{token}}", "type": "string"}
    ]);
    let env = json!({"id": "env-1", "name": "audit env", "values": [
        {"key": "base", "value": emu.base_url(), "type": "default", "enabled": true},
        {"key": "password", "value": "env-pw-2718", "type": "secret", "enabled": true},
        {"key": "token", "value": "", "type": "secret", "enabled": true},
        {"key": "count", "value": "0", "type": "default", "enabled": true}
    ]});
    let globals = json!({"id": "g-1", "name": "globals", "values": [
        {"key": "password", "value": "old-global-pw", "type": "default", "enabled": true}
    ]});
    let path = write_json(dir.path(), "c.json", &c);
    let env_path = write_json(dir.path(), "env.json", &env);
    let globals_path = write_json(dir.path(), "globals.json", &globals);
    let out = snapman(dir.path())
        .arg("run")
        .arg(&path)
        .arg("-e")
        .arg(&env_path)
        .arg("-g")
        .arg(&globals_path)
        .args(["-r", "cli,json", "--reporter-json-export", "report.json"])
        .args(["--export-environment", "env-out.json"])
        .args(["--export-globals", "globals-out.json"])
        .args(["--export-collection", "c-out.json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let token = fetched_token(emu.base_url());
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(name)).expect(name))
            .expect("json")
    };
    let values = |v: &Value| -> Vec<(String, Value, String)> {
        v["values"]
            .as_array()
            .expect("values")
            .iter()
            .map(|x| {
                (
                    x["key"].as_str().unwrap_or_default().to_string(),
                    x["value"].clone(),
                    x["type"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    };
    // The environment as the script left it: keys, values and types, the secret type included.
    assert_eq!(
        values(&read("env-out.json")),
        vec![
            ("base".into(), json!(emu.base_url()), "default".into()),
            ("password".into(), json!("env-pw-2718"), "secret".into()),
            ("token".into(), json!(token), "secret".into()),
            ("count".into(), json!(7), "default".into()),
        ]
    );
    assert_eq!(
        values(&read("globals-out.json")),
        vec![(
            "password".into(),
            json!("set-by-script-pw"),
            "default".into()
        )]
    );
    // The collection export is the collection as loaded (as Newman exports it), stamps aside.
    let mut exported = read("c-out.json");
    let stamps = exported.as_object_mut().expect("object");
    assert_eq!(
        stamps.remove("_postman_variable_scope"),
        Some(json!("collection"))
    );
    assert!(stamps.remove("_postman_exported_at").is_some());
    assert!(stamps.remove("_postman_exported_using").is_some());
    assert_eq!(stamps.remove("name"), Some(json!("collection")));
    assert_eq!(exported, c);
    // The report has the same keys, with the values masked.
    let report_text = std::fs::read_to_string(dir.path().join("report.json")).expect("report");
    for secret in [token.as_str(), "env-pw-2718", "set-by-script-pw"] {
        assert!(!report_text.contains(secret), "report leaks {secret:.8}");
    }
    let report: Value = serde_json::from_str(&report_text).expect("report is JSON");
    let env_keys: Vec<&str> = report["environment"]["values"]
        .as_array()
        .expect("values")
        .iter()
        .filter_map(|v| v["key"].as_str())
        .collect();
    assert_eq!(env_keys, ["base", "password", "token", "count"]);
    assert_eq!(report["collection"]["variable"][0]["key"], "password");
    assert_eq!(report["collection"]["variable"][1]["value"], "{{token}}");
}

#[test]
fn minted_credentials_reach_exports_only_with_export_secrets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let c = collection(json!([
        {"name": "noop", "request": {"method": "GET", "url": "https://postman-echo.com/get"}}
    ]));
    let path = write_json(dir.path(), "c.json", &c);
    let run = |extra: &[&str]| {
        let out = snapman(dir.path())
            .arg("run")
            .arg(&path)
            .args(["--emulator", "--export-environment", "env-out.json"])
            .args(extra)
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let v: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("env-out.json")).expect("export"),
        )
        .expect("json");
        v["values"]
            .as_array()
            .expect("values")
            .iter()
            .find(|x| x["key"] == "access_token")
            .map(|x| x["value"].as_str().unwrap_or_default().to_string())
            .expect("access_token exported")
    };
    assert_eq!(run(&[]), "");
    assert!(run(&["--export-secrets"]).len() > 20);
}
