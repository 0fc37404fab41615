//! Script behaviour that depends on the runner, through the binary: what scripts see of the run
//! (`pm.execution.location`, `pm.iterationData`, `pm.response` after a request error) matches
//! Newman 6.2.

mod common;

use common::{assertions, collection, emulator, run_collection, write_json};
use serde_json::{Value, json};

fn scripted(name: &str, listen: &str, exec: &str, url: &str) -> Value {
    json!({
        "name": name,
        "event": [{"listen": listen, "script": {"exec": [exec]}}],
        "request": url
    })
}

#[test]
fn location_names_the_collection_folders_and_item() {
    let emu = emulator();
    let c = collection(
        json!([{"name": "Outer", "item": [{"name": "Inner", "item": [
            scripted("Leaf", "test",
                "pm.test('location', () => pm.expect(Array.from(pm.execution.location)).to.eql(['test collection', 'Outer', 'Inner', 'Leaf']));\n\
                 pm.test('current', () => pm.expect(pm.execution.location.current).to.equal('Leaf'));",
                "{{base}}/get")
        ]}]}]),
    );
    let run = run_collection(&emu, &c, &[]);
    assert_eq!(run.code(), 0, "{}", run.stdout());
    assert_eq!(
        assertions(&run.report),
        [
            ("location".to_string(), None),
            ("current".to_string(), None)
        ]
    );
}

#[test]
fn iteration_data_changes_do_not_reach_later_scripts() {
    let emu = emulator();
    let c = collection(json!([
        {
            "name": "first",
            "event": [
                {"listen": "prerequest", "script": {"exec": [
                    "pm.iterationData.set('row', 'changed');\n\
                     pm.test('own change', () => pm.expect(pm.iterationData.get('row')).to.equal('changed'));"
                ]}},
                {"listen": "test", "script": {"exec": [
                    "pm.test('test script', () => pm.expect(pm.iterationData.get('row')).to.equal('r1'));"
                ]}}
            ],
            "request": "{{base}}/get?row={{row}}"
        },
        scripted("second", "test",
            "pm.test('next item', () => pm.expect(pm.iterationData.get('row')).to.equal('r1'));",
            "{{base}}/get")
    ]));
    let dir = tempfile::tempdir().expect("tempdir");
    let data = write_json(dir.path(), "data.json", &json!([{"row": "r1"}]));
    let run = run_collection(&emu, &c, &["-d", data.to_str().expect("utf-8 path")]);
    assert_eq!(run.code(), 0, "{}", run.stdout());
    assert_eq!(
        assertions(&run.report),
        [
            ("own change".to_string(), None),
            ("test script".to_string(), None),
            ("next item".to_string(), None)
        ]
    );
    // The request itself is resolved from the data row, not from the script's change.
    assert_eq!(run.echoed(0)["args"]["row"], "r1");
}

#[test]
fn tests_after_a_request_error_still_register() {
    let emu = emulator();
    let c = collection(json!([scripted(
        "refused",
        "test",
        "pm.test('code', () => pm.expect(pm.response.code).to.equal(200));\n\
         pm.test('later', () => {});",
        "http://127.0.0.1:9/"
    )]));
    let run = run_collection(&emu, &c, &[]);
    assert_eq!(run.code(), 1, "{}", run.stdout());
    assert_eq!(
        assertions(&run.report),
        [
            (
                "code".to_string(),
                Some("expected undefined to equal 200".to_string())
            ),
            ("later".to_string(), None)
        ]
    );
}

#[test]
fn cookie_jar_reads_and_writes_the_runs_cookies() {
    let emu = emulator();
    let c = collection(json!([
        scripted(
            "server sets a",
            "test",
            "const jar = pm.cookies.jar();\n\
             const url = pm.variables.get('base') + '/';\n\
             jar.get(url, 'a', (err, value) => pm.test('get', () => pm.expect([err, value]).to.eql([null, '1'])));\n\
             jar.set(url, 'b', '2', (err, cookie) => pm.test('set', () => {\n\
               pm.expect(err).to.equal(null);\n\
               pm.expect(cookie).to.include({name: 'b', value: '2', path: '/', hostOnly: true, httpOnly: false});\n\
             }));\n\
             jar.set(url, {name: 'gone', value: 'x'}, () => jar.unset(url, 'gone', (err) =>\n\
               jar.getAll(url, (e, all) => pm.test('getAll', () => pm.expect(all.map(c => c.name + '=' + c.value).sort()).to.eql(['a=1', 'b=2'])))));\n\
             pm.test('callback required', () => pm.expect(() => jar.get(url, 'a')).to.throw('CookieJar.get() requires a callback function'));",
            "{{base}}/cookies/set?a=1"
        ),
        scripted(
            "jar cookie is sent",
            "test",
            "pm.test('sent', () => pm.expect(pm.response.json().cookies).to.eql({a: '1', b: '2'}));\n\
             pm.cookies.jar().clear(pm.variables.get('base') + '/', () =>\n\
               pm.cookies.jar().getAll(pm.variables.get('base') + '/', (e, all) => pm.test('cleared', () => pm.expect(all).to.eql([]))));",
            "{{base}}/cookies"
        ),
    ]));
    let run = run_collection(&emu, &c, &[]);
    assert_eq!(run.code(), 0, "{}", run.stdout());
    let names: Vec<String> = assertions(&run.report)
        .into_iter()
        .map(|(name, error)| {
            assert_eq!(error, None, "{name}");
            name
        })
        .collect();
    assert_eq!(
        names,
        [
            "callback required",
            "get",
            "set",
            "getAll",
            "sent",
            "cleared"
        ]
    );
}

#[test]
fn pm_require_loads_team_and_npm_packages_from_local_files() {
    let emu = emulator();
    let dir = tempfile::tempdir().expect("tempdir");
    let packages = dir.path().join("packages");
    std::fs::create_dir_all(packages.join("@acme/strings")).expect("mkdir");
    std::fs::write(
        packages.join("@acme/sign.js"),
        "const CryptoJS = require('crypto-js');\n\
         module.exports = { sign: (text) => CryptoJS.HmacSHA256(text, 'key').toString() };",
    )
    .expect("write");
    std::fs::write(
        packages.join("@acme/strings/index.js"),
        "exports.shout = (s) => s.toUpperCase() + '!';",
    )
    .expect("write");
    let npm = dir.path().join("node_modules/tiny-pad");
    std::fs::create_dir_all(npm.join("lib")).expect("mkdir");
    std::fs::write(
        npm.join("package.json"),
        r#"{"name": "tiny-pad", "version": "1.2.3", "main": "lib/index.js"}"#,
    )
    .expect("write");
    std::fs::write(
        npm.join("lib/index.js"),
        "const fill = require('./fill');\nmodule.exports = (s, n) => fill(n - s.length) + s;",
    )
    .expect("write");
    std::fs::write(
        npm.join("lib/fill.js"),
        "module.exports = (n) => ' '.repeat(Math.max(0, n));",
    )
    .expect("write");
    let c = collection(json!([scripted(
        "packages",
        "test",
        "const { sign } = pm.require('@acme/sign');\n\
         pm.test('team file', () => pm.expect(sign('msg')).to.equal('2d93cbc1be167bcb1637a4a23cbff01a7878f0c50ee833954ea5221bb1b8c628'));\n\
         pm.test('team folder', () => pm.expect(pm.require('@acme/strings').shout('hi')).to.equal('HI!'));\n\
         pm.test('npm', () => pm.expect(pm.require('npm:tiny-pad@1.2.3')('7', 3)).to.equal('  7'));\n\
         pm.test('wrong version', () => pm.expect(() => pm.require('npm:tiny-pad@2.0.0')).to.throw(/holds version 1.2.3, not 2.0.0/));\n\
         pm.require('@acme/missing');",
        "{{base}}/get"
    )]));
    let run = run_collection(
        &emu,
        &c,
        &[
            "--package-dir",
            packages.to_str().expect("utf-8"),
            "--working-dir",
            dir.path().to_str().expect("utf-8"),
        ],
    );
    assert_eq!(run.code(), 1, "{}", run.stdout());
    let passed: Vec<String> = assertions(&run.report)
        .into_iter()
        .map(|(name, error)| {
            assert_eq!(error, None, "{name}");
            name
        })
        .collect();
    assert_eq!(passed, ["team file", "team folder", "npm", "wrong version"]);
    let failure = run.report["run"]["failures"][0]["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        failure.contains("Cannot find package '@acme/missing'")
            && failure.contains("@acme/missing.js"),
        "{failure}"
    );
}
