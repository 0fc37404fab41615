//! Several collections in one command: `snapman run A.json DIR/` and `snapman test A B` run
//! them in order with one exit code and one set of reports; globals carry from one collection
//! to the next, and each collection gets its own environment unless `-e` is given.

mod common;

use std::path::Path;

use common::{emulator, snapman, write_json};
use serde_json::{Value, json};

fn named(name: &str, items: Value) -> Value {
    json!({
        "info": {"name": name, "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
        "item": items
    })
}

fn request(name: &str, tests: &[&str]) -> Value {
    json!({
        "name": name,
        "request": {"method": "GET", "url": "{{base}}/get?from={{$randomInt}}"},
        "event": [{"listen": "test", "script": {"exec": tests}}]
    })
}

/// `a` sets a global and an environment variable; `dir/b` (with its own environment) and
/// `dir/c` check what they see.
fn layout(root: &Path) {
    write_json(
        root,
        "a.postman_collection.json",
        &named(
            "First",
            json!([{"name": "Setup", "item": [request("Set", &[
                "pm.globals.set('carried', 'from-a');",
                "pm.environment.set('leaked', 'from-a');",
                "pm.test('ok', () => pm.response.to.have.status(200));"
            ])]}]),
        ),
    );
    let dir = root.join("more");
    std::fs::create_dir_all(&dir).expect("mkdir");
    write_json(
        &dir,
        "b.postman_collection.json",
        &named(
            "Second",
            json!([request(
                "Read",
                &[
                    "pm.test('global carried', () => pm.expect(pm.globals.get('carried')).to.eql('from-a'));",
                    "pm.test('own environment', () => pm.expect(pm.environment.get('mine')).to.eql('b'));"
                ]
            )]),
        ),
    );
    write_json(
        &dir,
        "b.postman_environment.json",
        &json!({"name": "b", "values": [{"key": "mine", "value": "b", "enabled": true}]}),
    );
    write_json(
        &dir,
        "c.postman_collection.json",
        &named(
            "Third",
            json!([request(
                "Isolated",
                &[
                    "pm.test('no environment from a', () => pm.expect(pm.environment.get('leaked')).to.be.undefined);",
                    "pm.test('fails on purpose', () => pm.expect(1).to.eql(2));"
                ]
            )]),
        ),
    );
}

#[test]
fn run_takes_files_and_directories_in_order_with_one_set_of_reports() {
    let emu = emulator();
    let dir = tempfile::tempdir().expect("tempdir");
    layout(dir.path());
    let out = snapman(dir.path())
        .args(["run", "a.postman_collection.json", "more"])
        .args(["--global-var", &format!("base={}", emu.base_url())])
        .args(["-r", "cli,json,junit"])
        .args([
            "--reporter-json-export",
            "out/r.json",
            "--reporter-junit-export",
            "out/r.xml",
        ])
        .output()
        .expect("snapman runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let order: Vec<usize> = ["First", "Second", "Third"]
        .iter()
        .map(|n| stdout.find(&format!("\n{n}\n")).unwrap_or(usize::MAX))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}\n{stdout}");

    for (stem, failed) in [("a", 0), ("b", 0), ("c", 1)] {
        let path = dir.path().join(format!("out/r-{stem}.json"));
        let report: Value = serde_json::from_str(
            &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
        )
        .expect("JSON");
        assert_eq!(
            report["run"]["stats"]["assertions"]["failed"], failed,
            "{stem}"
        );
    }
    let xml = std::fs::read_to_string(dir.path().join("out/r.xml")).expect("junit");
    let doc = roxmltree::Document::parse(&xml).expect("XML");
    let suites: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .filter_map(|n| n.attribute("name"))
        .collect();
    assert_eq!(suites, ["First / Setup", "Second", "Third"]);
    assert_eq!(doc.root_element().attribute("tests"), Some("3"));
    assert_eq!(doc.root_element().attribute("failures"), Some("1"));
}

#[test]
fn an_environment_given_with_e_is_shared_and_carried() {
    let emu = emulator();
    let dir = tempfile::tempdir().expect("tempdir");
    layout(dir.path());
    write_json(
        dir.path(),
        "shared.postman_environment.json",
        &json!({"name": "shared", "values": [{"key": "base", "value": emu.base_url(), "enabled": true}]}),
    );
    let out = snapman(dir.path())
        .args([
            "run",
            "a.postman_collection.json",
            "more/c.postman_collection.json",
        ])
        .args(["-e", "shared.postman_environment.json", "-r", "json"])
        .args(["--reporter-json-export", "r.json"])
        .output()
        .expect("snapman runs");
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("r-c.json")).expect("report"),
    )
    .expect("JSON");
    let errors: Vec<Value> = report["run"]["executions"][0]["assertions"]
        .as_array()
        .map(|a| a.iter().map(|x| x["error"]["message"].clone()).collect())
        .unwrap_or_default();
    assert_eq!(
        errors[0], "expected 'from-a' to be undefined",
        "with -e the environment carries over"
    );
}

#[test]
fn test_takes_several_collections_and_prefixes_trials() {
    let emu = emulator();
    let dir = tempfile::tempdir().expect("tempdir");
    layout(dir.path());
    let out = snapman(dir.path())
        .args([
            "test",
            "a.postman_collection.json",
            "more/b.postman_collection.json",
        ])
        .args(["--global-var", &format!("base={}", emu.base_url())])
        .args([
            "--update",
            "always",
            "-r",
            "junit",
            "--reporter-junit-export",
            "r.xml",
        ])
        .output()
        .expect("snapman runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    for name in ["a::Setup::Set", "b::Read"] {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("test {name} ")))
            .unwrap_or_else(|| panic!("no trial {name}: {stdout}"));
        assert!(line.ends_with("... ok"), "{line}");
    }
    let xml = std::fs::read_to_string(dir.path().join("r.xml")).expect("junit");
    let doc = roxmltree::Document::parse(&xml).expect("XML");
    assert_eq!(doc.root_element().attribute("tests"), Some("2"));
    assert_eq!(doc.root_element().attribute("failures"), Some("0"));
}
