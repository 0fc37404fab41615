//! Newman command-line flags snapman accepts: `--reporter-cli-*`, options for reporters snapman
//! does not have, `-v/--version`.

mod common;

use common::{collection, emulator, run_collection, snapman};
use serde_json::json;

fn two_assertions() -> serde_json::Value {
    collection(
        json!([{"name": "echo", "request": {"method": "GET", "url": "{{base}}/get"},
        "event": [{"listen": "test", "script": {"exec": [
            "console.log('from the script');",
            "pm.test('passes', () => pm.response.to.have.status(200));",
            "pm.test('fails', () => pm.response.to.have.status(404));"]}}]}]),
    )
}

#[test]
fn cli_reporter_options_leave_out_what_they_name() {
    let emu = emulator();
    let full = run_collection(&emu, &two_assertions(), &[]);
    let out = full.stdout();
    assert!(out.starts_with("snapman\n"), "{out}");
    for part in [
        "from the script",
        "✓ passes",
        "1. fails",
        "iterations",
        "#  failure",
    ] {
        assert!(out.contains(part), "{part}: {out}");
    }
    let quiet = run_collection(
        &emu,
        &two_assertions(),
        &[
            "--reporter-cli-no-banner",
            "--reporter-cli-no-console",
            "--reporter-cli-no-success-assertions",
            "--reporter-cli-no-summary",
        ],
    );
    assert_eq!(quiet.code(), 1);
    let out = quiet.stdout();
    assert!(!out.starts_with("snapman"), "{out}");
    assert!(!out.contains("from the script"), "{out}");
    assert!(!out.contains("passes"), "{out}");
    assert!(out.contains("1. fails"), "{out}");
    assert!(!out.contains("iterations"), "{out}");
    assert!(out.contains("#  failure"), "{out}");
    let bare = run_collection(
        &emu,
        &two_assertions(),
        &["--reporter-cli-no-assertions", "--reporter-cli-no-failures"],
    );
    let out = bare.stdout();
    assert!(!out.contains("fails") && !out.contains("passes"), "{out}");
    assert!(!out.contains("#  failure"), "{out}");
    assert!(out.contains("iterations"), "{out}");
}

#[test]
fn show_timestamps_prefixes_request_and_assertion_lines() {
    let emu = emulator();
    let r = run_collection(&emu, &two_assertions(), &["--reporter-cli-show-timestamps"]);
    let out = r.stdout();
    let request = out
        .lines()
        .find(|l| l.contains("GET http"))
        .expect("a request line");
    // `[11/30/2026, 10:05:03 AM] GET ...`
    assert!(request.trim_start().starts_with('['), "{request}");
    assert!(
        request.contains(", ") && request.contains("M] GET"),
        "{request}"
    );
    let passed = out.lines().find(|l| l.contains("passes")).expect("line");
    assert!(
        passed.starts_with('[') && passed.contains("M] "),
        "{passed}"
    );
}

#[test]
fn options_of_reporters_snapman_lacks_are_accepted_with_a_warning() {
    let emu = emulator();
    let r = run_collection(
        &emu,
        &two_assertions(),
        &[
            "--reporter-htmlextra-export",
            "out/report.html",
            "--reporter-htmlextra-darkTheme",
            "--reporter-junitfull-export=x.xml",
        ],
    );
    assert_eq!(r.code(), 1, "{}", r.stderr());
    let err = r.stderr();
    assert!(
        err.contains("--reporter-htmlextra-export") && err.contains("ignored"),
        "{err}"
    );
    assert!(err.contains("--reporter-htmlextra-darkTheme"), "{err}");
    assert!(err.contains("--reporter-junitfull-export"), "{err}");
    assert!(r.report["run"]["executions"].is_array());
}

#[test]
fn dash_v_prints_the_version() {
    let dir = tempfile::tempdir().unwrap();
    for flag in ["-v", "--version", "-V"] {
        let out = snapman(dir.path()).arg(flag).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{flag}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            text.trim(),
            format!("snapman {}", env!("CARGO_PKG_VERSION")),
            "{flag}"
        );
    }
}
