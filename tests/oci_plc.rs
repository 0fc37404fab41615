//! The public, script-heavy OCI collection (tests/fixtures/oci-plc, unchanged) runs with
//! `--emulator` and an environment filled with the emulator's values: zero failed assertions in
//! the whole run and in every folder.

mod common;

use std::path::{Path, PathBuf};

use common::snapman;
use serde_json::Value;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/oci-plc")
}

/// Runs the collection (optionally some folders) and returns the JSON report.
fn run(folders: &[&str]) -> Value {
    let out_dir = tempfile::tempdir().unwrap();
    let report = out_dir.path().join("report.json");
    let mut cmd = snapman(&fixture());
    cmd.args([
        "run",
        "oci-plc.postman_collection.json",
        "-e",
        "oci-plc.emulator.postman_environment.json",
        "--emulator",
        "--sf-jwt-var",
        "JWT",
        "-r",
        "json",
        "--reporter-json-export",
    ])
    .arg(&report);
    for f in folders {
        cmd.args(["--folder", f]);
    }
    let output = cmd.output().expect("snapman runs");
    let text = std::fs::read_to_string(&report).unwrap_or_else(|e| {
        panic!(
            "no report ({e}); stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let report: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "failures: {:#}",
        report["run"]["failures"]
    );
    report
}

fn assertions(report: &Value) -> (u64, u64) {
    let stats = &report["run"]["stats"]["assertions"];
    (
        stats["total"].as_u64().unwrap_or(0),
        stats["failed"].as_u64().unwrap_or(1),
    )
}

#[test]
fn whole_collection_passes_against_the_emulator() {
    let report = run(&[]);
    let (total, failed) = assertions(&report);
    assert_eq!(failed, 0);
    assert!(total >= 50, "{total} assertions");
    let requests = report["run"]["stats"]["requests"]["total"]
        .as_u64()
        .unwrap();
    assert_eq!(requests, 26, "every request of every folder ran");
}

#[test]
fn every_folder_passes_on_its_own() {
    let folders: [&[&str]; 5] = [
        &["Upload Inventory (Happy Path)"],
        &["Get Import Jobs"],
        // Deleting needs a job to delete: the folder's own advice is to upload first.
        &[
            "Upload Inventory (Happy Path)",
            "Get and Delete Import Jobs",
        ],
        &["Get Availability (Log In Flow + Connect API)"],
        &["Get Availability (oAuth Flow + Connect API)"],
    ];
    for folder in folders {
        let report = run(folder);
        let (total, failed) = assertions(&report);
        assert_eq!(failed, 0, "{folder:?}");
        assert!(total > 0, "{folder:?} ran assertions");
    }
}
