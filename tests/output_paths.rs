//! Report and export paths are decided before the first request: a directory gets a
//! default-named file inside it (as Newman does), an unwritable path exits 2 before anything is
//! sent, and written files are 0644.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::{collection, emulator, snapman, write_json};
use serde_json::json;

fn names_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn directories_get_default_named_files_created_0644() {
    let emu = emulator();
    let dir = tempfile::tempdir().expect("tempdir");
    let c = collection(json!([{"name": "r", "request": {"method": "GET", "url": "{{base}}/get"}}]));
    let path = write_json(dir.path(), "c.json", &c);
    std::fs::create_dir(dir.path().join("existing")).expect("mkdir");
    let out = snapman(dir.path())
        .arg("run")
        .arg(&path)
        .args(["--env-var", &format!("base={}", emu.base_url())])
        .args(["-r", "json,junit", "--reporter-json-export", "reports/"])
        .args(["--reporter-junit-export", "existing"])
        .args(["--export-environment", "exports/"])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reports = names_in(&dir.path().join("reports"));
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(reports[0].starts_with("snapman-run-report-") && reports[0].ends_with(".json"));
    let junit = names_in(&dir.path().join("existing"));
    assert!(junit.len() == 1 && junit[0].ends_with(".xml"), "{junit:?}");
    let exports = names_in(&dir.path().join("exports"));
    assert!(
        exports.len() == 1 && exports[0].starts_with("snapman-environment-"),
        "{exports:?}"
    );
    let report = dir.path().join("reports").join(&reports[0]);
    let mode = std::fs::metadata(&report)
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o644);
}

#[test]
fn an_unwritable_report_path_exits_2_before_any_request() {
    let emu = emulator();
    let dir = tempfile::tempdir().expect("tempdir");
    let c = collection(json!([{"name": "r", "request": {"method": "GET", "url": "{{base}}/get"}}]));
    let path = write_json(dir.path(), "c.json", &c);
    std::fs::write(dir.path().join("blocker"), "a file, not a directory").expect("write");
    for (flag, reporter) in [
        ("--reporter-json-export", "json"),
        ("--reporter-html-export", "html"),
        ("--export-collection", "cli"),
    ] {
        let out = snapman(dir.path())
            .arg("run")
            .arg(&path)
            .args(["--env-var", &format!("base={}", emu.base_url())])
            .args(["-r", reporter, flag, "blocker/out.file"])
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {stderr}");
        assert!(
            stderr.contains(flag) && stderr.contains("blocker"),
            "{stderr}"
        );
    }
    assert!(emu.requests().is_empty(), "nothing was sent");
}
