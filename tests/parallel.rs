//! `--parallel N` (iterations at once, each isolated, reported in order), `--partition` (shards
//! of iterations or of top-level folders) and `snapman merge-reports` joining the shards.

mod common;

use std::path::Path;
use std::time::Instant;

use common::{collection, emulator, snapman, write_json};
use serde_json::{Value, json};

/// Two requests per iteration; the first waits 0.5 s and appends the iteration's `n` to a
/// collection variable, the second checks the variable holds only its own `n`.
fn counting() -> Value {
    collection(json!([
        {"name": "Slow", "request": {"method": "GET", "url": "{{base}}/delay/0.5"},
         "event": [{"listen": "test", "script": {"exec": [
            "pm.collectionVariables.set('seen', (pm.collectionVariables.get('seen') || '') + pm.iterationData.get('n'));"
         ]}}]},
        {"name": "Check", "request": {"method": "GET", "url": "{{base}}/get?n={{n}}"},
         "event": [{"listen": "test", "script": {"exec": [
            "pm.test('own writes only', () => pm.expect(pm.collectionVariables.get('seen')).to.eql(String(pm.iterationData.get('n'))));"
         ]}}]}
    ]))
}

fn data(dir: &Path, rows: usize) {
    let rows: Vec<Value> = (1..=rows).map(|n| json!({"n": n})).collect();
    write_json(dir, "data.json", &json!(rows));
}

fn run(dir: &Path, base: &str, extra: &[&str]) -> std::process::Output {
    snapman(dir)
        .args(["run", "c.postman_collection.json", "-d", "data.json"])
        .args(["--env-var", &format!("base={base}")])
        .args(extra)
        .output()
        .expect("snapman runs")
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("report")).expect("JSON")
}

/// The JSON report of a run that exited 0 (its output shown when it did not).
fn passed_with_report(out: &std::process::Output, report: &Path) -> Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    read(report)
}

fn iterations_of(report: &Value) -> Vec<u64> {
    report["run"]["executions"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["cursor"]["iteration"].as_u64())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn parallel_iterations_overlap_stay_isolated_and_report_in_order() {
    let emu = emulator();
    let dir = tempfile::tempdir().expect("tempdir");
    write_json(dir.path(), "c.postman_collection.json", &counting());
    data(dir.path(), 6);
    let started = Instant::now();
    let out = run(
        dir.path(),
        emu.base_url(),
        &[
            "--parallel",
            "6",
            "-r",
            "json",
            "--reporter-json-export",
            "r.json",
        ],
    );
    let parallel = started.elapsed().as_secs_f64();
    let report = passed_with_report(&out, &dir.path().join("r.json"));
    assert_eq!(iterations_of(&report), [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    assert_eq!(report["run"]["stats"]["assertions"]["failed"], 0);

    // One after the other, the writes accumulate across iterations (the check then fails),
    // and the six 0.5 s waits add up.
    let started = Instant::now();
    let sequential = run(
        dir.path(),
        emu.base_url(),
        &["-r", "json", "--reporter-json-export", "s.json"],
    );
    let one_by_one = started.elapsed().as_secs_f64();
    assert_eq!(sequential.status.code(), Some(1));
    assert!(
        parallel + 1.5 < one_by_one,
        "--parallel 6 took {parallel:.2}s, one by one {one_by_one:.2}s"
    );
}

#[test]
fn partitions_cover_every_iteration_once_and_merge_back() {
    let emu = emulator();
    let dir = tempfile::tempdir().expect("tempdir");
    write_json(dir.path(), "c.postman_collection.json", &counting());
    data(dir.path(), 5);
    for shard in 1..=2 {
        let out = run(
            dir.path(),
            emu.base_url(),
            &[
                "--parallel",
                "5",
                "--partition",
                &format!("count:{shard}/2"),
                "-r",
                "json,junit",
                "--reporter-json-export",
                &format!("shard{shard}.json"),
                "--reporter-junit-export",
                &format!("shard{shard}.xml"),
            ],
        );
        assert_eq!(out.status.code(), Some(0));
    }
    assert_eq!(
        iterations_of(&read(&dir.path().join("shard1.json"))),
        [0, 0, 2, 2, 4, 4]
    );
    assert_eq!(
        iterations_of(&read(&dir.path().join("shard2.json"))),
        [1, 1, 3, 3]
    );

    let merged = snapman(dir.path())
        .args(["merge-reports", "--json", "all.json", "--junit", "all.xml"])
        .args(["shard1.json", "shard2.json", "shard1.xml", "shard2.xml"])
        .output()
        .expect("snapman runs");
    assert_eq!(
        merged.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    let all = read(&dir.path().join("all.json"));
    assert_eq!(iterations_of(&all), [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
    assert_eq!(all["run"]["stats"]["iterations"]["total"], 5);
    assert_eq!(all["run"]["stats"]["assertions"]["total"], 5);
    assert_eq!(all["run"]["stats"]["requests"]["total"], 10);
    let xml = std::fs::read_to_string(dir.path().join("all.xml")).expect("junit");
    let doc = roxmltree::Document::parse(&xml).expect("XML");
    assert_eq!(doc.root_element().attribute("tests"), Some("10"));
    let cases = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .count();
    assert_eq!(cases, 10);

    let bad = snapman(dir.path())
        .args([
            "run",
            "c.postman_collection.json",
            "--partition",
            "count:3/2",
        ])
        .output()
        .expect("snapman runs");
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn a_single_iteration_run_is_split_by_top_level_folder() {
    let emu = emulator();
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = |name: &str| {
        json!({"name": name, "item": [
            {"name": format!("{name} 1"), "request": "{{base}}/get"},
            {"name": format!("{name} 2"), "request": "{{base}}/get"}
        ]})
    };
    write_json(
        dir.path(),
        "c.postman_collection.json",
        &collection(json!([folder("A"), folder("B"), folder("C"), folder("D")])),
    );
    let mut names = Vec::new();
    for shard in 1..=3 {
        let out = snapman(dir.path())
            .args(["run", "c.postman_collection.json"])
            .args(["--env-var", &format!("base={}", emu.base_url())])
            .args(["--partition", &format!("hash:{shard}/3"), "-r", "json"])
            .args(["--reporter-json-export", "r.json"])
            .output()
            .expect("snapman runs");
        assert_eq!(out.status.code(), Some(0));
        let report = read(&dir.path().join("r.json"));
        let mut shard_names: Vec<String> = report["run"]["executions"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["item"]["name"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        // A folder's requests stay together, in order.
        for pair in shard_names.chunks(2) {
            assert_eq!(pair.len(), 2, "{shard_names:?}");
            assert_eq!(pair[0][..1], pair[1][..1], "{shard_names:?}");
        }
        names.append(&mut shard_names);
    }
    names.sort();
    assert_eq!(
        names,
        ["A 1", "A 2", "B 1", "B 2", "C 1", "C 2", "D 1", "D 2"]
    );
}

/// Scripts that wait on `pm.sendRequest` hold their engine through the wait: iterations whose
/// waits overlap run on engines of their own, and each still sees only its own variables.
#[test]
fn parallel_scripts_waiting_on_send_request_overlap_and_stay_isolated() {
    let emu = emulator();
    let dir = tempfile::tempdir().expect("tempdir");
    write_json(
        dir.path(),
        "c.postman_collection.json",
        &collection(json!([
            {"name": "Fetch", "request": {"method": "GET", "url": "{{base}}/get?n={{n}}"},
             "event": [{"listen": "test", "script": {"exec": [
                "const n = String(pm.iterationData.get('n'));",
                "pm.environment.set('mine', n);",
                "pm.sendRequest(pm.environment.get('base') + '/delay/0.4', (err, res) => {",
                "  pm.test('waited ' + n, () => pm.expect(res.code).to.eql(200));",
                "  pm.test('still mine ' + n, () => pm.expect(pm.environment.get('mine')).to.eql(n));",
                "});"
             ]}}]}
        ])),
    );
    write_json(
        dir.path(),
        "e.json",
        &json!({"name": "e", "values": [{"key": "base", "value": emu.base_url()}]}),
    );
    data(dir.path(), 4);
    let started = Instant::now();
    let out = snapman(dir.path())
        .args([
            "run",
            "c.postman_collection.json",
            "-d",
            "data.json",
            "-e",
            "e.json",
        ])
        .args(["--env-var", &format!("base={}", emu.base_url())])
        .args([
            "--parallel",
            "4",
            "-r",
            "json",
            "--reporter-json-export",
            "r.json",
        ])
        .output()
        .expect("snapman runs");
    let took = started.elapsed().as_secs_f64();
    let report = passed_with_report(&out, &dir.path().join("r.json"));
    let names: Vec<String> = report["run"]["executions"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|e| e["assertions"].as_array().cloned().unwrap_or_default())
        .filter_map(|a| a["assertion"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        names,
        [1, 2, 3, 4]
            .iter()
            .flat_map(|n| [format!("waited {n}"), format!("still mine {n}")])
            .collect::<Vec<_>>()
    );
    assert_eq!(report["run"]["stats"]["assertions"]["failed"], 0);
    // One after the other the waits alone take 1.6 s.
    assert!(took < 1.55, "four overlapping 0.4 s waits took {took:.2}s");
}
