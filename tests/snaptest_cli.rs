//! `snapman test` and `snapman snapshots` end to end: the binary against the in-process emulator,
//! snapshot files in a temporary directory.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{EmulatorHandle, collection, emulator, snapman, write_json};
use serde_json::{Value, json};

/// A folder with a POST whose echoed body carries `value`, and a plain GET.
fn demo(value: &str) -> Value {
    collection(json!([
        {"name": "Folder", "item": [
            {"name": "Post value", "request": {
                "method": "POST",
                "url": "{{base}}/post",
                "header": [{"key": "Content-Type", "value": "application/json"}],
                "body": {"mode": "raw", "raw": format!("{{\"v\": \"{value}\"}}")}
            }},
            {"name": "Status", "request": "{{base}}/status/201"}
        ]},
        {"name": "Top", "request": "{{base}}/get?x=1"}
    ]))
}

struct Project {
    dir: tempfile::TempDir,
    collection: PathBuf,
}

impl Project {
    fn new(value: &Value) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let collection = write_json(dir.path(), "demo.postman_collection.json", value);
        write_json(
            dir.path(),
            "demo.snapman.json",
            &json!({"redactions": {".headers[\"postman-token\"]": "[uuid]"}}),
        );
        Project { dir, collection }
    }

    fn rewrite(&self, value: &Value) {
        write_json(self.dir.path(), "demo.postman_collection.json", value);
    }

    fn snaps(&self) -> PathBuf {
        self.dir.path().join("tests/snapshots/demo")
    }

    /// `snapman test` with the emulator's URL in `{{base}}` and `extra` arguments.
    fn test(&self, emu: &EmulatorHandle, extra: &[&str]) -> Output {
        snapman(self.dir.path())
            .arg("test")
            .arg(&self.collection)
            .args(["--env-var", &format!("base={}", emu.base_url())])
            .args(extra)
            .output()
            .expect("snapman runs")
    }

    fn snapshots(&self, args: &[&str], stdin: &str) -> Output {
        use std::io::Write;
        let mut child = snapman(self.dir.path())
            .arg("snapshots")
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("snapman starts");
        if let Some(mut input) = child.stdin.take() {
            input.write_all(stdin.as_bytes()).expect("stdin");
        }
        child.wait_with_output().expect("snapman runs")
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The outcome libtest printed for `name` (`ok`, `FAILED`), padding ignored.
fn outcome(out: &str, name: &str) -> Option<String> {
    out.lines().find_map(|line| {
        let rest = line.strip_prefix("test ")?.strip_prefix(name)?;
        let result = rest.trim_start().strip_prefix("... ")?;
        rest.starts_with(' ').then(|| result.to_string())
    })
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if let Ok(rel) = path.strip_prefix(root) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn snapshot_round_trip() {
    let emu = emulator();
    let p = Project::new(&demo("one"));
    let first = p.test(&emu, &["--update", "always"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stdout));
    assert_eq!(
        files(&p.snaps()),
        ["Folder/Post_value.snap", "Folder/Status.snap", "Top.snap"]
    );
    let post = read(&p.snaps().join("Folder/Post_value.snap"));
    assert!(
        post.starts_with(
            "---\nsource: test collection\ntrial: Folder::Post value\n---\nPOST http://127.0.0.1:"
        ),
        "{post}"
    );
    assert!(post.contains("\"v\": \"one\""), "{post}");
    let status = read(&p.snaps().join("Folder/Status.snap"));
    assert!(status.contains("\nHTTP 201\n"), "{status}");

    let second = p.test(&emu, &[]);
    let out = text(&second.stdout);
    assert_eq!(second.status.code(), Some(0), "{out}");
    assert_eq!(
        outcome(&out, "Folder::Post value").as_deref(),
        Some("ok"),
        "{out}"
    );
    assert!(out.contains("3 passed; 0 failed"), "{out}");
    assert_eq!(read(&p.snaps().join("Folder/Post_value.snap")), post);
}

#[test]
fn changed_body_fails_with_a_diff_and_a_check_never_writes() {
    let emu = emulator();
    let p = Project::new(&demo("one"));
    assert_eq!(p.test(&emu, &["--update", "always"]).status.code(), Some(0));
    let stored = read(&p.snaps().join("Folder/Post_value.snap"));
    p.rewrite(&demo("two"));
    let run = p.test(&emu, &[]);
    let out = text(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "{out}");
    assert!(
        out.contains("snapshot mismatch: ") && out.contains("Folder/Post_value.snap"),
        "{out}"
    );
    assert!(out.contains("│-    \"v\": \"one\""), "{out}");
    assert!(out.contains("│+    \"v\": \"two\""), "{out}");
    assert!(out.contains("--update new"), "{out}");
    assert_eq!(outcome(&out, "Top").as_deref(), Some("ok"), "{out}");
    assert_eq!(read(&p.snaps().join("Folder/Post_value.snap")), stored);
    assert!(!files(&p.snaps()).iter().any(|f| f.ends_with(".new")));
}

#[test]
fn missing_snapshot_in_no_mode_fails_and_says_how_to_create_it() {
    let emu = emulator();
    let p = Project::new(&demo("one"));
    let run = p.test(&emu, &[]);
    let out = text(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "{out}");
    assert!(out.contains("missing snapshot: "), "{out}");
    assert!(out.contains("SNAPMAN_UPDATE=new"), "{out}");
    assert!(out.contains("snapman snapshots review"), "{out}");
    assert!(out.contains("0 passed; 3 failed"), "{out}");
    assert!(files(&p.snaps()).is_empty());
}

#[test]
fn pending_snapshots_accept_reject_review_and_prune() {
    let emu = emulator();
    let p = Project::new(&demo("one"));
    assert_eq!(p.test(&emu, &["--update", "always"]).status.code(), Some(0));
    let snap = p.snaps().join("Folder/Post_value.snap");
    let pending = p.snaps().join("Folder/Post_value.snap.new");
    let stored = read(&snap);
    p.rewrite(&demo("two"));

    let run = snapman(p.dir.path())
        .args(["test", "demo.postman_collection.json"])
        .args(["--env-var", &format!("base={}", emu.base_url())])
        .env("SNAPMAN_UPDATE", "new")
        .output()
        .expect("snapman runs");
    assert_eq!(run.status.code(), Some(1));
    assert!(text(&run.stderr).contains("1 snapshot(s) pending review"));
    assert_eq!(read(&snap), stored);
    assert!(read(&pending).contains("\"v\": \"two\""));

    let reject = p.snapshots(&["reject", "demo.postman_collection.json"], "");
    assert_eq!(reject.status.code(), Some(0));
    assert!(text(&reject.stdout).contains("rejected "));
    assert!(!pending.exists());
    assert_eq!(read(&snap), stored);

    assert_eq!(p.test(&emu, &["--update", "new"]).status.code(), Some(1));
    let review = p.snapshots(&["review"], "a\n");
    let out = text(&review.stdout);
    assert_eq!(review.status.code(), Some(0), "{out}");
    assert!(out.contains("│+    \"v\": \"two\""), "{out}");
    assert!(out.contains("1 accepted, 0 rejected, 0 skipped"), "{out}");
    assert!(!pending.exists());
    assert!(read(&snap).contains("\"v\": \"two\""));
    assert_eq!(p.test(&emu, &[]).status.code(), Some(0));

    p.rewrite(&collection(json!([
        {"name": "Top", "request": "{{base}}/get?x=1"}
    ])));
    let prune = p.snapshots(&["prune", "demo.postman_collection.json"], "");
    assert_eq!(prune.status.code(), Some(0), "{}", text(&prune.stderr));
    assert!(text(&prune.stdout).contains("Post_value.snap"));
    assert_eq!(files(&p.snaps()), ["Top.snap"]);
}

#[test]
fn accept_takes_single_files() {
    let emu = emulator();
    let p = Project::new(&demo("one"));
    assert_eq!(p.test(&emu, &["--update", "new"]).status.code(), Some(1));
    assert_eq!(files(&p.snaps()).len(), 3);
    let one = "tests/snapshots/demo/Top.snap.new";
    let accept = p.snapshots(&["accept", one], "");
    assert_eq!(accept.status.code(), Some(0), "{}", text(&accept.stderr));
    assert_eq!(
        files(&p.snaps()),
        [
            "Folder/Post_value.snap.new",
            "Folder/Status.snap.new",
            "Top.snap"
        ]
    );
    let bad = p.snapshots(&["accept", "tests/snapshots/demo/Top.snap"], "");
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn libtest_flags_list_filter_exact_and_json() {
    let emu = emulator();
    let p = Project::new(&demo("one"));
    assert_eq!(p.test(&emu, &["--update", "always"]).status.code(), Some(0));

    let hits = emu.hits();
    let list = p.test(&emu, &["--", "--list"]);
    assert_eq!(list.status.code(), Some(0));
    assert_eq!(
        text(&list.stdout),
        "Folder::Post value: test\nFolder::Status: test\nTop: test\n"
    );
    assert_eq!(emu.hits(), hits, "--list sends nothing");

    let filtered = p.test(&emu, &["--", "Folder::"]);
    let out = text(&filtered.stdout);
    assert_eq!(filtered.status.code(), Some(0), "{out}");
    assert!(
        out.contains("2 passed; 0 failed; 0 ignored; 0 measured; 1 filtered out"),
        "{out}"
    );
    assert!(outcome(&out, "Top").is_none(), "{out}");
    assert!(
        text(&filtered.stderr).contains("1 request(s) outside the filter ran too"),
        "{}",
        text(&filtered.stderr)
    );

    let exact = p.test(&emu, &["--", "--exact", "Folder::Status"]);
    let out = text(&exact.stdout);
    assert!(
        out.contains("1 passed; 0 failed; 0 ignored; 0 measured; 2 filtered out"),
        "{out}"
    );

    let skip = p.test(&emu, &["--", "--skip", "Folder"]);
    assert!(
        text(&skip.stdout).contains("1 passed; 0 failed; 0 ignored; 0 measured; 2 filtered out")
    );

    p.rewrite(&demo("two"));
    let json_run = p.test(&emu, &["--", "--format", "json"]);
    assert_eq!(json_run.status.code(), Some(1));
    let events: Vec<Value> = text(&json_run.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let results: Vec<(String, String)> = events
        .iter()
        .filter(|e| e["type"] == "test" && e["event"] != "started")
        .map(|e| {
            (
                e["name"].as_str().unwrap_or_default().to_string(),
                e["event"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        results,
        [
            ("Folder::Post value".to_string(), "failed".to_string()),
            ("Folder::Status".to_string(), "ok".to_string()),
            ("Top".to_string(), "ok".to_string())
        ]
    );

    let bad = p.test(&emu, &["--", "--format", "yaml"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("test harness arguments"));
}

#[test]
fn iterations_get_numbered_trials_and_files() {
    let emu = emulator();
    let p = Project::new(&collection(json!([
        {"name": "Top", "request": "{{base}}/get?x=1"}
    ])));
    let run = p.test(&emu, &["-n", "2", "--update", "always"]);
    let out = text(&run.stdout);
    assert_eq!(outcome(&out, "Top#1").as_deref(), Some("ok"), "{out}");
    assert_eq!(outcome(&out, "Top#2").as_deref(), Some("ok"), "{out}");
    assert_eq!(files(&p.snaps()), ["Top@1.snap", "Top@2.snap"]);
}

#[test]
fn saved_examples_are_expectations() {
    let emu = emulator();
    let with_examples = collection(json!([
        {"name": "Matches", "request": "{{base}}/status/201", "response": [
            {"name": "other", "code": 500, "body": "{}"},
            {"name": "created", "code": 201, "body": "{\n\"status\":   201}"}
        ]},
        {"name": "Differs", "request": "{{base}}/status/404", "response": [
            {"name": "found", "code": 200, "body": "{\"status\": 200}"}
        ]},
        {"name": "None", "request": "{{base}}/status/200"}
    ]));
    let p = Project::new(&with_examples);
    let run = p.test(&emu, &["--expect", "examples"]);
    let out = text(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "{out}");
    assert_eq!(outcome(&out, "Matches").as_deref(), Some("ok"), "{out}");
    assert!(
        out.contains("response differs from the saved example \"found\""),
        "{out}"
    );
    assert!(
        out.contains("│-HTTP 200") && out.contains("│+HTTP 404"),
        "{out}"
    );
    assert!(out.contains("│+  \"status\": 404"), "{out}");
    assert!(out.contains("no saved example response"), "{out}");
    assert!(files(&p.snaps()).is_empty());
}

#[test]
fn no_snapshot_holds_a_secret() {
    let emu = emulator();
    let secret_key = "sk-live-SECRET-1234";
    let token = "bearer-SECRET-5678";
    let mut c = collection(json!([
        {"name": "Keyed", "request": {
            "url": "{{base}}/get?key={{apiKey}}",
            "header": [{"key": "X-Api-Key", "value": "{{apiKey}}"}]
        }},
        {"name": "Headers", "request": "{{base}}/headers"}
    ]));
    c["auth"] = json!({"type": "bearer", "bearer": [{"key": "token", "value": token}]});
    let p = Project::new(&c);
    write_json(
        p.dir.path(),
        "env.postman_environment.json",
        &json!({"name": "env", "values": [
            {"key": "apiKey", "value": secret_key, "type": "secret", "enabled": true}
        ]}),
    );
    fs::write(
        p.dir.path().join("demo.snapman.json"),
        r#"{"headers": ["content-type", "x-api-key"], "redactions": {".**.postman-token": "[uuid]"}}"#,
    )
    .expect("config");
    let run = p.test(
        &emu,
        &["-e", "env.postman_environment.json", "--update", "always"],
    );
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stdout));
    let names = files(&p.snaps());
    assert_eq!(names, ["Headers.snap", "Keyed.snap"]);
    for name in names {
        let body = read(&p.snaps().join(&name));
        assert!(!body.contains("SECRET"), "{name} leaks a secret:\n{body}");
        assert!(body.contains("[redacted]"), "{name}:\n{body}");
    }
    let keyed = read(&p.snaps().join("Keyed.snap"));
    assert!(keyed.contains("/get?key=[redacted]\n"), "{keyed}");
}

#[test]
fn echo_demo_passes_twice_without_changing_its_snapshots() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("tempdir");
    let snaps = dir.path().join("snaps");
    let stored = root.join("tests/snapshots/echo-demo");
    for name in files(&stored) {
        let target = snaps.join(&name);
        fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        fs::copy(stored.join(&name), &target).expect("copy");
    }
    let before: Vec<String> = files(&snaps).iter().map(|f| read(&snaps.join(f))).collect();
    assert_eq!(before.len(), 8);
    for _ in 0..2 {
        let run = snapman(dir.path())
            .arg("test")
            .arg(root.join("collections/echo-demo.postman_collection.json"))
            .args(["--emulator", "--snapshot-dir"])
            .arg(&snaps)
            .env("SNAPMAN_UPDATE", "new")
            .output()
            .expect("snapman runs");
        let out = text(&run.stdout);
        assert_eq!(run.status.code(), Some(0), "{out}");
        assert!(out.contains("8 passed; 0 failed"), "{out}");
    }
    let after: Vec<String> = files(&snaps).iter().map(|f| read(&snaps.join(f))).collect();
    assert_eq!(after, before, "no file changed and none was added");
    assert!(!after.iter().any(|s| s.contains("demo-token-1234")));
}

#[test]
fn oci_collection_passes_twice_against_the_emulator_without_snapshot_changes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("tempdir");
    let snaps = dir.path().join("snaps");
    let stored = root.join("tests/snapshots/omnichannel-inventory");
    for name in files(&stored) {
        let target = snaps.join(&name);
        fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        fs::copy(stored.join(&name), &target).expect("copy");
    }
    let before: Vec<String> = files(&snaps).iter().map(|f| read(&snaps.join(f))).collect();
    assert!(before.len() >= 20, "{} snapshots", before.len());
    for _ in 0..2 {
        let run = snapman(dir.path())
            .arg("test")
            .arg(root.join("collections/omnichannel-inventory.postman_collection.json"))
            .arg("-e")
            .arg(root.join("environments/emulator.postman_environment.json"))
            .args(["--emulator", "--snapshot-dir"])
            .arg(&snaps)
            .env("SNAPMAN_UPDATE", "new")
            .output()
            .expect("snapman runs");
        let out = text(&run.stdout);
        assert_eq!(run.status.code(), Some(0), "{out}{}", text(&run.stderr));
        assert!(out.contains(" 0 failed"), "{out}");
    }
    let after: Vec<String> = files(&snaps).iter().map(|f| read(&snaps.join(f))).collect();
    assert_eq!(after, before, "no file changed and none was added");
    for snap in &after {
        assert!(
            !snap.contains("00D") || !snap.contains("!AQ"),
            "an access token: {snap}"
        );
        assert!(!snap.contains("eyJ"), "a JWT: {snap}");
    }
}
