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

/// Serves `body` as JSON to every request, on a loopback port.
fn serve_json(body: String) -> u16 {
    use std::io::{Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

#[test]
fn collection_and_environment_can_be_urls() {
    let emu = emulator();
    let c = collection(json!([{"name": "from url", "request": {"method": "GET",
        "url": "{{base}}/get?from={{where}}"}}]));
    let collection_port = serve_json(c.to_string());
    let env = json!({"name": "remote", "values": [
        {"key": "base", "value": emu.base_url(), "enabled": true},
        {"key": "where", "value": "remote-env", "enabled": true}]});
    let env_port = serve_json(env.to_string());
    let dir = tempfile::tempdir().unwrap();
    let out = snapman(dir.path())
        .args(["run", &format!("http://127.0.0.1:{collection_port}/c.json")])
        .args(["-e", &format!("http://127.0.0.1:{env_port}/env.json")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        emu.requests()
            .iter()
            .any(|r| r.target == "/get?from=remote-env"),
        "{:?}",
        emu.requests()
    );
    let out = snapman(dir.path())
        .args(["run", "http://127.0.0.1:1/missing.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("http://127.0.0.1:1/missing.json") && err.contains("cannot fetch"),
        "{err}"
    );
}

#[test]
fn cookie_jar_is_read_and_exported_as_tough_cookie_json() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let host = emu.addr().ip().to_string();
    let jar = json!({"version": "tough-cookie@4.1.3-postman.1", "storeType": "MemoryCookieStore",
        "cookies": [{"key": "imported", "value": "x1", "domain": host, "path": "/",
            "hostOnly": true, "creation": "2026-01-01T00:00:00.000Z"}]});
    common::write_json(dir.path(), "jar.json", &jar);
    let c = collection(json!([
        {"name": "set", "request": {"method": "GET", "url": "{{base}}/cookies/set?c1=v1"}},
        {"name": "read", "request": {"method": "GET", "url": "{{base}}/get?case=jar"}}]));
    let jar_in = dir.path().join("jar.json");
    let jar_out = dir.path().join("out-jar.json");
    let r = run_collection(
        &emu,
        &c,
        &[
            "--cookie-jar",
            jar_in.to_str().unwrap(),
            "--export-cookie-jar",
            jar_out.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code(), 0, "{}", r.stderr());
    let sent = emu
        .requests()
        .into_iter()
        .find(|q| q.target == "/get?case=jar")
        .unwrap();
    let cookie = sent.header("cookie").unwrap_or_default().to_string();
    assert!(
        cookie.contains("imported=x1") && cookie.contains("c1=v1"),
        "{cookie}"
    );
    let exported: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&jar_out).unwrap()).unwrap();
    assert_eq!(exported["storeType"], "MemoryCookieStore");
    let keys: Vec<&str> = exported["cookies"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["key"].as_str())
        .collect();
    assert_eq!(keys, ["imported", "c1"]);
    assert_eq!(exported["cookies"][1]["domain"], host.as_str());
}

#[test]
fn no_insecure_file_read_keeps_body_files_inside_the_working_directory() {
    let emu = emulator();
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.txt");
    std::fs::write(&secret, "outside").unwrap();
    let c = collection(json!([{"name": "file", "request": {"method": "POST",
        "url": "{{base}}/post?case=file", "body": {"mode": "file", "file": {"src": secret.to_str().unwrap()}}}}]));
    let open = run_collection(&emu, &c, &[]);
    assert_eq!(open.code(), 0);
    let sent = |emu: &common::EmulatorHandle| {
        emu.requests()
            .into_iter()
            .rfind(|q| q.target == "/post?case=file")
            .unwrap()
    };
    assert_eq!(sent(&emu).body, b"outside");
    let closed = run_collection(&emu, &c, &["--no-insecure-file-read"]);
    assert_eq!(closed.code(), 0);
    assert!(sent(&emu).body.is_empty());
    assert!(
        closed
            .stdout()
            .contains("PPERM: insecure file access outside working directory"),
        "{}",
        closed.stdout()
    );
}
