//! The snapshot store end to end: render, compare in every update mode, pending files, prune,
//! redactions from a config file and secret masking, on temporary directories.

use std::fs;
use std::path::{Path, PathBuf};

use snapman::secret::Redactor;
use snapman::snapshot::{
    CompareOutcome, RedactionConfig, ResponseParts, SnapshotContent, SnapshotError, SnapshotMeta,
    SnapshotStore, UpdateMode, load_config_for,
};

const JSON_HEADERS: &[(&str, &str)] = &[("Content-Type", "application/json"), ("Date", "now")];

fn trial() -> Vec<String> {
    vec!["Inventory".to_string(), "Get availability".to_string()]
}

fn headers() -> Vec<(String, String)> {
    JSON_HEADERS
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

/// Renders a snapshot of a GET response with `body`, as the runner would.
fn render_with(body: &str, cfg: &RedactionConfig, redactor: &Redactor, url: &str) -> String {
    let headers = headers();
    let parts = ResponseParts {
        method: "GET",
        url,
        status: 200,
        headers: &headers,
        body: body.as_bytes(),
    };
    let meta = SnapshotMeta {
        collection: "Demo".to_string(),
        trial: trial().join("::"),
    };
    SnapshotContent::from_parts(&parts, &cfg.for_trial(&trial()), redactor).render(&meta)
}

fn render(body: &str) -> String {
    render_with(
        body,
        &RedactionConfig::default(),
        &Redactor::new(),
        "https://api.test/availability",
    )
}

fn store() -> (tempfile::TempDir, SnapshotStore) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = SnapshotStore::for_collection(dir.path(), "Demo");
    (dir, store)
}

fn compare(store: &SnapshotStore, actual: &str, mode: UpdateMode) -> CompareOutcome {
    store
        .compare(&trial(), None, actual, mode, false)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Every file under `dir`, relative and sorted, with its content.
fn tree(dir: &Path) -> Vec<(String, String)> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let rel = path
                    .strip_prefix(base)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .into_owned();
                out.push((rel, fs::read_to_string(&path).unwrap_or_default()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn names(dir: &Path) -> Vec<String> {
    tree(dir).into_iter().map(|(name, _)| name).collect()
}

#[test]
fn round_trip_matches_and_ignores_header() {
    let (dir, store) = store();
    let text = render(r#"{"records":[{"sku":"A1","onHand":3}]}"#);
    let path = store.path_for(&trial(), None);
    assert_eq!(
        compare(&store, &text, UpdateMode::Always),
        CompareOutcome::Created(path.clone())
    );
    assert_eq!(
        fs::read_to_string(&path).ok().as_deref(),
        Some(text.as_str())
    );
    assert!(
        text.contains("\n  \"records\": [\n    {\n      \"sku\": \"A1\",\n      \"onHand\": 3\n")
    );
    assert!(text.contains("content-type: application/json\n") && !text.contains("now"));
    assert_eq!(
        compare(&store, &text, UpdateMode::No),
        CompareOutcome::Matched
    );
    let renamed = text
        .replace("source: Demo", "source: Renamed")
        .replace("\n", "\r\n");
    assert_eq!(
        compare(&store, &renamed, UpdateMode::No),
        CompareOutcome::Matched
    );
    assert_eq!(
        names(dir.path()),
        vec!["Demo/Inventory/Get_availability.snap"]
    );
}

#[test]
fn changed_body_mismatches_with_diff_and_no_mode_never_writes() {
    let (dir, store) = store();
    compare(
        &store,
        &render(r#"{"sku":"A1","onHand":3}"#),
        UpdateMode::Always,
    );
    let before = tree(dir.path());
    let outcome = compare(
        &store,
        &render(r#"{"sku":"A1","onHand":7}"#),
        UpdateMode::No,
    );
    let CompareOutcome::Mismatch {
        path,
        pending,
        diff,
    } = &outcome
    else {
        panic!("expected a mismatch, got {outcome:?}");
    };
    assert!(outcome.is_failure());
    assert_eq!(path, &store.path_for(&trial(), None));
    assert_eq!(pending, &None);
    assert!(diff.contains("│-  \"onHand\": 3\n"), "{diff}");
    assert!(diff.contains("│+  \"onHand\": 7\n"), "{diff}");
    assert!(diff.contains("│   \"sku\": \"A1\",\n"), "{diff}");
    assert_eq!(tree(dir.path()), before, "no mode must not touch any file");
}

#[test]
fn missing_in_no_mode_fails_without_writing() {
    let (dir, store) = store();
    let outcome = compare(&store, &render("{}"), UpdateMode::No);
    assert_eq!(
        outcome,
        CompareOutcome::Missing {
            path: store.path_for(&trial(), None),
            pending: None
        }
    );
    assert!(outcome.is_failure());
    assert!(names(dir.path()).is_empty());
}

#[test]
fn new_mode_writes_pending_and_accept_reject_work() {
    let (dir, store) = store();
    let old = render(r#"{"v":1}"#);
    let new = render(r#"{"v":2}"#);
    compare(&store, &old, UpdateMode::Always);
    let snap = store.path_for(&trial(), None);
    let pending_path = PathBuf::from(format!("{}.new", snap.display()));

    let outcome = compare(&store, &new, UpdateMode::New);
    assert!(
        matches!(&outcome, CompareOutcome::Mismatch { pending: Some(p), .. } if *p == pending_path)
    );
    assert_eq!(
        fs::read_to_string(&snap).ok(),
        Some(old.clone()),
        "old file untouched"
    );
    assert_eq!(fs::read_to_string(&pending_path).ok(), Some(new.clone()));
    assert_eq!(store.pending().ok(), Some(vec![pending_path.clone()]));

    store
        .reject(&pending_path)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        names(dir.path()),
        vec!["Demo/Inventory/Get_availability.snap"]
    );
    assert_eq!(fs::read_to_string(&snap).ok(), Some(old.clone()));

    compare(&store, &new, UpdateMode::New);
    store
        .accept(&pending_path)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fs::read_to_string(&snap).ok(), Some(new.clone()));
    assert_eq!(store.pending().ok(), Some(vec![]));
    assert_eq!(
        compare(&store, &new, UpdateMode::No),
        CompareOutcome::Matched
    );

    let not_pending = store.accept(&snap).expect_err("a .snap is not pending");
    assert!(
        matches!(not_pending, SnapshotError::NotPending { .. }),
        "{not_pending}"
    );
}

#[test]
fn new_mode_on_missing_writes_only_pending_and_match_clears_stale_pending() {
    let (dir, store) = store();
    let text = render(r#"{"v":1}"#);
    let outcome = compare(&store, &text, UpdateMode::New);
    let CompareOutcome::Missing {
        pending: Some(pending),
        ..
    } = outcome
    else {
        panic!("expected a pending file, got {outcome:?}");
    };
    assert_eq!(
        names(dir.path()),
        vec!["Demo/Inventory/Get_availability.snap.new"]
    );
    store.accept(&pending).unwrap_or_else(|e| panic!("{e}"));
    fs::write(&pending, render(r#"{"v":"stale"}"#)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        compare(&store, &text, UpdateMode::New),
        CompareOutcome::Matched
    );
    assert_eq!(
        names(dir.path()),
        vec!["Demo/Inventory/Get_availability.snap"]
    );
}

#[test]
fn unseen_creates_missing_and_pends_mismatches() {
    let (dir, store) = store();
    let snap = store.path_for(&trial(), None);
    assert_eq!(
        compare(&store, &render("[1]"), UpdateMode::Unseen),
        CompareOutcome::Created(snap.clone())
    );
    let outcome = compare(&store, &render("[2]"), UpdateMode::Unseen);
    assert!(
        matches!(
            outcome,
            CompareOutcome::Mismatch {
                pending: Some(_),
                ..
            }
        ),
        "{outcome:?}"
    );
    assert_eq!(
        names(dir.path()),
        vec![
            "Demo/Inventory/Get_availability.snap",
            "Demo/Inventory/Get_availability.snap.new"
        ]
    );
    assert!(
        fs::read_to_string(&snap)
            .unwrap_or_default()
            .contains("\n  1\n")
    );
}

#[test]
fn always_overwrites_and_clears_pending() {
    let (dir, store) = store();
    compare(&store, &render("[1]"), UpdateMode::Always);
    compare(&store, &render("[2]"), UpdateMode::New);
    let snap = store.path_for(&trial(), None);
    assert_eq!(
        compare(&store, &render("[3]"), UpdateMode::Always),
        CompareOutcome::Written(snap.clone())
    );
    assert_eq!(
        names(dir.path()),
        vec!["Demo/Inventory/Get_availability.snap"]
    );
    assert!(
        fs::read_to_string(&snap)
            .unwrap_or_default()
            .contains("\n  3\n")
    );
}

#[test]
fn prune_removes_snapshots_of_gone_trials() {
    let (dir, store) = store();
    let kept = vec!["Inventory".to_string(), "Kept".to_string()];
    let gone = vec!["Old folder".to_string(), "Gone".to_string()];
    for path in [&kept, &gone] {
        store
            .compare(path, Some(1), &render("{}"), UpdateMode::Always, false)
            .unwrap_or_else(|e| panic!("{e}"));
        store
            .compare(path, Some(1), &render("[]"), UpdateMode::New, false)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let leftover = store.root().join("Inventory/.snapman-tmp-x1y2");
    fs::write(&leftover, "half").unwrap_or_else(|e| panic!("{e}"));
    let live = vec![store.path_for(&kept, Some(1))];
    let removed = store.prune(&live).unwrap_or_else(|e| panic!("{e}"));
    let root = store.root();
    assert_eq!(
        removed,
        vec![
            root.join("Inventory/.snapman-tmp-x1y2"),
            root.join("Old_folder/Gone@1.snap"),
            root.join("Old_folder/Gone@1.snap.new"),
        ]
    );
    assert_eq!(
        names(dir.path()),
        vec![
            "Demo/Inventory/Kept@1.snap",
            "Demo/Inventory/Kept@1.snap.new"
        ]
    );
    assert!(!root.join("Old_folder").exists(), "emptied folder removed");
}

#[test]
fn config_redactions_and_per_request_rules_make_runs_stable() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let collection = dir.path().join("demo.postman_collection.json");
    fs::write(
        dir.path().join("demo.snapman.json"),
        r#"{
          "redactions": {".records[].effectiveDate": "[date]", ".**.reservationTime": "[time]"},
          "headers": ["content-type", "date"],
          "requests": {"Inventory::Get availability": {"redactions": {".requestId": "[id]"}}}
        }"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let cfg = load_config_for(&collection).unwrap_or_else(|e| panic!("{e}"));
    let body = |n: u32| {
        format!(
            r#"{{"requestId":"req-{n}","records":[{{"effectiveDate":"2024-0{n}-01","qty":5}}],"deep":{{"x":{{"reservationTime":"{n}:00"}}}},"reservationTime":"{n}"}}"#
        )
    };
    let url = "https://api.test/availability";
    let first = render_with(&body(1), &cfg, &Redactor::new(), url);
    let second = render_with(&body(2), &cfg, &Redactor::new(), url);
    assert_eq!(first, second);
    for expected in [
        "\"requestId\": \"[id]\"",
        "\"effectiveDate\": \"[date]\"",
        "\"reservationTime\": \"[time]\"",
        "date: now",
    ] {
        assert!(first.contains(expected), "{expected} missing from {first}");
    }
    assert!(first.contains("\"qty\": 5"));
    let default = load_config_for(&dir.path().join("other.json")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(default, RedactionConfig::default());
}

#[test]
fn secrets_never_land_in_a_snapshot_file() {
    let (dir, store) = store();
    let redactor = Redactor::new();
    redactor.add("tok_SECRET_123");
    redactor.add("hunter2-password");
    let body = r#"{"token":"tok_SECRET_123","echo":{"password":"hunter2-password","note":"Bearer tok_SECRET_123"}}"#;
    let url = "https://api.test/x?access_token=tok_SECRET_123";
    let text = render_with(body, &RedactionConfig::default(), &redactor, url);
    let text_body = render_with(
        "plain tok_SECRET_123 text",
        &RedactionConfig::default(),
        &redactor,
        url,
    );
    compare(&store, &text, UpdateMode::Always);
    compare(&store, &text_body, UpdateMode::New);
    let files = tree(dir.path());
    assert_eq!(files.len(), 2);
    for (name, content) in files {
        assert!(
            !content.contains("SECRET") && !content.contains("hunter2"),
            "{name}: {content}"
        );
        assert!(
            content.contains("access_token=[redacted]"),
            "{name}: {content}"
        );
    }
}

#[test]
fn failed_write_leaves_old_file_intact_and_no_temp_file() {
    let (dir, store) = store();
    let old = render("[1]");
    compare(&store, &old, UpdateMode::Always);
    let snap = store.path_for(&trial(), None);
    // A non-empty directory where the pending file must go makes the final rename fail.
    let blocker = PathBuf::from(format!("{}.new", snap.display()));
    fs::create_dir_all(blocker.join("inside")).unwrap_or_else(|e| panic!("{e}"));
    let err = store
        .compare(&trial(), None, &render("[2]"), UpdateMode::New, false)
        .expect_err("the rename cannot succeed");
    assert!(matches!(err, SnapshotError::Write { .. }), "{err}");
    assert_eq!(fs::read_to_string(&snap).ok(), Some(old));
    assert!(
        !names(dir.path())
            .iter()
            .any(|n| n.contains(".snapman-tmp-")),
        "{:?}",
        names(dir.path())
    );
}
