//! `snapman doctor` through the CLI against the in-process emulator: a ready org passes, and a
//! key the connected app does not know fails the token line with its fix.

mod common;

use common::snapman;

#[test]
fn doctor_passes_against_the_emulator() {
    let dir = tempfile::tempdir().unwrap();
    let out = snapman(dir.path())
        .args(["doctor", "--emulator", "--location-group", "NoSuchGroup"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("ok   token exchange works"), "{stdout}");
    assert!(
        stdout.contains("ok   token carries sfcc_inventory_reservations_rw"),
        "{stdout}"
    );
    assert!(stdout.contains("verdict: ready"), "{stdout}");
}

#[test]
fn doctor_fails_with_a_key_the_app_does_not_know() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let status = snapman(dir.path())
        .args(["keygen", "--out"])
        .arg(&keys)
        .status()
        .unwrap();
    assert!(status.success());
    let out = snapman(dir.path())
        .args(["doctor", "--emulator", "--sf-key"])
        .arg(keys.join("server.key"))
        .arg("--sf-cert")
        .arg(keys.join("server.crt"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("ok   key readable"), "{stdout}");
    assert!(stdout.contains("FAIL token exchange works"), "{stdout}");
    assert!(stdout.contains("invalid assertion"), "{stdout}");
    let key_text = std::fs::read_to_string(keys.join("server.key")).unwrap();
    for line in key_text.lines().filter(|l| !l.starts_with("-----")) {
        assert!(!stdout.contains(line), "the key leaked into the report");
    }
}
