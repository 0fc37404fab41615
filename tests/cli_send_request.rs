//! `pm.sendRequest` end to end through the binary: callback, promise and `await` styles, in
//! pre-request and test scripts, under `snapman run` (reports written, exit code by outcome)
//! and `snapman test`. A run must never end in a panic.

mod common;

use common::{
    EmulatorHandle, assertions, collection, emulator, run_collection, snapman, write_json,
};
use serde_json::{Value, json};

/// One item whose pre-request and test scripts call `pm.sendRequest` in `style`:
/// the pre-request script stores the echoed query value, the test script asserts on it and on
/// a second request of its own.
fn item(style: &str) -> Value {
    let (pre, test) = match style {
        "callback" => (
            "pm.sendRequest(pm.variables.get('base') + '/get?v=pre-callback', (err, res) => {\n\
               pm.variables.set('pre', err ? 'error: ' + err.message : res.json().args.v);\n\
             });",
            "pm.sendRequest(pm.variables.get('base') + '/get?v=test-callback', (err, res) => {\n\
               pm.test('test request', () => pm.expect(res.json().args.v).to.equal('test-callback'));\n\
             });",
        ),
        "promise" => (
            "pm.sendRequest(pm.variables.get('base') + '/get?v=pre-promise')\n\
               .then(res => pm.variables.set('pre', res.json().args.v));",
            "pm.sendRequest({url: pm.variables.get('base') + '/post', method: 'POST',\n\
                             header: {'Content-Type': 'application/json'},\n\
                             body: {mode: 'raw', raw: '{\"v\":\"test-promise\"}'}})\n\
               .then(res => pm.test('test request', () => pm.expect(res.json().json.v).to.equal('test-promise')));",
        ),
        // Top-level `await`, as the Postman app allows.
        "await" => (
            "const res = await pm.sendRequest(pm.variables.get('base') + '/get?v=pre-await');\n\
             pm.variables.set('pre', res.json().args.v);",
            "const res = await pm.sendRequest(pm.variables.get('base') + '/status/201');\n\
             pm.test('test request', () => pm.expect(res.code).to.equal(201));",
        ),
        other => panic!("unknown style {other}"),
    };
    let test = format!(
        "{test}\npm.test('pre-request result', () => pm.expect(pm.variables.get('pre')).to.equal('pre-{style}'));"
    );
    json!({
        "name": style,
        "event": [
            {"listen": "prerequest", "script": {"exec": [pre]}},
            {"listen": "test", "script": {"exec": [test]}}
        ],
        "request": format!("{{{{base}}}}/get?item={style}")
    })
}

fn styles() -> Value {
    collection(json!([item("callback"), item("promise"), item("await")]))
}

/// `(name, passed)` of every assertion in the JSON report, in order.
fn outcomes(report: &Value) -> Vec<(String, bool)> {
    assertions(report)
        .into_iter()
        .map(|(name, error)| (name, error.is_none()))
        .collect()
}

#[test]
fn send_request_in_every_style_runs_and_writes_the_report() {
    let emu = emulator();
    let run = run_collection(&emu, &styles(), &[]);
    assert!(!run.stderr().contains("panicked"), "{}", run.stderr());
    assert_eq!(run.code(), 0, "{}\n{}", run.stdout(), run.stderr());
    let pre = ("pre-request result".to_string(), true);
    let test = ("test request".to_string(), true);
    // With top-level `await` the script's last line runs after its request completes.
    let expected = [
        pre.clone(),
        test.clone(),
        pre.clone(),
        test.clone(),
        test,
        pre,
    ];
    assert_eq!(outcomes(&run.report), expected, "{}", run.stdout());
    assert_eq!(run.report["run"]["stats"]["prerequestScripts"]["total"], 3);
    // The summary printed after the run proves the process got past the run itself.
    assert!(run.stdout().contains("assertions"), "{}", run.stdout());
}

#[test]
fn failed_assertions_after_send_request_exit_one_with_the_report() {
    let emu = emulator();
    let failing = collection(json!([{
        "name": "wrong",
        "event": [{"listen": "test", "script": {"exec": [
            "pm.sendRequest(pm.variables.get('base') + '/status/404', (err, res) =>\n\
               pm.test('is 200', () => pm.expect(res.code).to.equal(200)));"
        ]}}],
        "request": "{{base}}/get"
    }]));
    let run = run_collection(&emu, &failing, &[]);
    assert!(!run.stderr().contains("panicked"), "{}", run.stderr());
    assert_eq!(run.code(), 1, "{}\n{}", run.stdout(), run.stderr());
    assert_eq!(outcomes(&run.report), [("is 200".to_string(), false)]);
}

#[test]
fn send_request_errors_reach_the_script_in_every_style() {
    let emu = emulator();
    // Port 9 (discard) is closed on loopback: every style sees a connection error.
    let errors = collection(json!([{
        "name": "refused",
        "event": [{"listen": "test", "script": {"exec": [
            "const url = 'http://127.0.0.1:9/x';\n\
             pm.sendRequest(url, (err, res) => pm.test('callback error', () => pm.expect(err).to.be.an('error')));\n\
             pm.sendRequest(url).catch(err => pm.test('promise error', () => pm.expect(err.message).to.be.a('string')));\n\
             (async () => {\n\
               try { await pm.sendRequest(url); } catch (err) { pm.test('await error', () => {}); }\n\
             })();"
        ]}}],
        "request": "{{base}}/get"
    }]));
    let run = run_collection(&emu, &errors, &[]);
    assert!(!run.stderr().contains("panicked"), "{}", run.stderr());
    assert_eq!(run.code(), 0, "{}\n{}", run.stdout(), run.stderr());
    assert_eq!(
        outcomes(&run.report),
        [
            ("callback error".to_string(), true),
            ("promise error".to_string(), true),
            ("await error".to_string(), true)
        ]
    );
}

/// `snapman test` over the same collection: every request a passing trial, snapshots written.
fn snapman_test(emu: &EmulatorHandle, value: &Value) -> (std::process::Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_json(dir.path(), "styles.postman_collection.json", value);
    let out = snapman(dir.path())
        .arg("test")
        .arg(&path)
        .args(["--env-var", &format!("base={}", emu.base_url())])
        .args(["--update", "always"])
        .output()
        .expect("snapman runs");
    (out, dir)
}

#[test]
fn send_request_in_every_style_under_snapman_test() {
    let emu = emulator();
    let (out, dir) = snapman_test(&emu, &styles());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("test result: ok. 3 passed; 0 failed"),
        "{stdout}"
    );
    for style in ["callback", "promise", "await"] {
        let snap = dir
            .path()
            .join(format!("tests/snapshots/styles/{style}.snap"));
        assert!(snap.is_file(), "{} missing\n{stdout}", snap.display());
    }
}

#[test]
fn a_slow_send_request_is_cut_at_the_script_timeout() {
    let emu = emulator();
    let slow = collection(json!([{
        "name": "slow",
        "event": [{"listen": "prerequest", "script": {"exec": [
            "pm.sendRequest(pm.variables.get('base') + '/delay/5', () => pm.variables.set('late', 1));"
        ]}}],
        "request": "{{base}}/get"
    }]));
    let started = std::time::Instant::now();
    let run = run_collection(&emu, &slow, &["--timeout-script", "300"]);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert!(!run.stderr().contains("panicked"), "{}", run.stderr());
    assert_eq!(run.code(), 1, "{}\n{}", run.stdout(), run.stderr());
    let failure = &run.report["run"]["failures"][0]["error"];
    assert_eq!(
        failure["message"], "script timed out after 300 ms",
        "{}",
        run.report["run"]["failures"]
    );
}
