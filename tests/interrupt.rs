//! SIGINT and SIGTERM sent to the real binary: the run stops, cancels the request in flight,
//! writes every requested report marked as interrupted, and exits 130 or 143; a second signal
//! exits at once; `snapman test --update` leaves no temporary files; `snapman emulator` deletes
//! its ephemeral key on SIGTERM.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{EmulatorHandle, collection, emulator, snapman, write_json};
use serde_json::{Value, json};

/// Sends `signal` (`INT`, `TERM`) to the child, as a terminal or a CI cancel would.
fn send(child: &Child, signal: &str) {
    let status = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .expect("kill runs");
    assert!(status.success());
}

/// Waits for the child to exit (at most `limit`), returning its exit code and the time taken.
fn wait_exit(child: &mut Child, limit: Duration) -> (Option<i32>, Duration) {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return (status.code(), started.elapsed());
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("the process did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Three slow requests: a signal arrives while the first is in flight.
fn slow_collection() -> Value {
    let item = |n: u32| json!({"name": format!("slow {n}"), "request": {"method": "GET", "url": "{{base}}/delay/4"}});
    collection(json!([item(1), item(2), item(3)]))
}

/// Waits until the emulator has received a request (so the binary's signal handlers, installed
/// before the first request, are in place).
fn wait_first_request(emu: &EmulatorHandle) {
    let started = Instant::now();
    while emu.requests().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no request arrived"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(100));
}

/// Starts `snapman run` with every file reporter and waits until the first request is out.
fn start_run(dir: &Path, emu: &EmulatorHandle, c: &Value) -> Child {
    let path = write_json(dir, "c.json", c);
    let child = snapman(dir)
        .arg("run")
        .arg(&path)
        .args(["--env-var", &format!("base={}", emu.base_url())])
        .args(["-r", "cli,json,junit,html"])
        .args(["--reporter-json-export", "out/r.json"])
        .args(["--reporter-junit-export", "out/r.xml"])
        .args(["--reporter-html-export", "out/r.html"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_first_request(emu);
    child
}

fn check_reports(dir: &Path, signal: &str) {
    let json: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("out/r.json")).expect("json report written"),
    )
    .expect("the JSON report is valid JSON");
    let message = json["run"]["error"]["message"].as_str().expect("run.error");
    assert!(
        message.contains(&format!("interrupted by {signal}")),
        "{message}"
    );
    assert!(
        json["run"]["executions"]
            .as_array()
            .expect("executions")
            .is_empty(),
        "the request in flight was cancelled, none completed"
    );
    let xml = std::fs::read_to_string(dir.join("out/r.xml")).expect("junit written");
    assert!(xml.trim_end().ends_with("</testsuites>"), "{xml}");
    assert!(xml.contains("interrupted by"), "{xml}");
    let html = std::fs::read_to_string(dir.join("out/r.html")).expect("html written");
    assert!(html.trim_end().ends_with("</html>"));
    assert!(html.contains("interrupted by"));
}

#[test]
fn sigint_cancels_the_request_in_flight_writes_reports_and_exits_130() {
    let emu = emulator();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = start_run(dir.path(), &emu, &slow_collection());
    send(&child, "INT");
    let (code, took) = wait_exit(&mut child, Duration::from_secs(20));
    assert_eq!(code, Some(130));
    assert!(
        took < Duration::from_secs(3),
        "cancelled, not waited: {took:?}"
    );
    check_reports(dir.path(), "SIGINT");
}

#[test]
fn sigterm_exits_143_with_reports_marked_interrupted() {
    let emu = emulator();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = start_run(dir.path(), &emu, &slow_collection());
    send(&child, "TERM");
    let (code, _) = wait_exit(&mut child, Duration::from_secs(20));
    assert_eq!(code, Some(143));
    check_reports(dir.path(), "SIGTERM");
}

#[test]
fn a_second_signal_exits_at_once() {
    let emu = emulator();
    let dir = tempfile::tempdir().expect("tempdir");
    // A script that never ends (after a first request): the first signal cannot stop it, the
    // second exits.
    let c = collection(json!([
        {"name": "first", "request": {"method": "GET", "url": "{{base}}/get"}},
        {"name": "spin", "event": [{"listen": "prerequest", "script": {
            "type": "text/javascript", "exec": ["while (true) {}"]}}],
            "request": {"method": "GET", "url": "{{base}}/get"}}
    ]));
    let mut child = start_run(dir.path(), &emu, &c);
    send(&child, "INT");
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().expect("wait").is_none(),
        "still in the script"
    );
    send(&child, "INT");
    let (code, took) = wait_exit(&mut child, Duration::from_secs(10));
    assert_eq!(code, Some(130));
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[test]
fn interrupted_test_update_leaves_no_temporary_files() {
    let emu = emulator();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_json(dir.path(), "c.json", &slow_collection());
    let mut child = snapman(dir.path())
        .arg("test")
        .arg(&path)
        .args(["--env-var", &format!("base={}", emu.base_url())])
        .args(["--update", "always", "--snapshot-dir", "snaps"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    wait_first_request(&emu);
    send(&child, "INT");
    let (code, _) = wait_exit(&mut child, Duration::from_secs(20));
    assert_eq!(code, Some(130));
    let mut stack = vec![dir.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("dir").flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(!name.starts_with(".snapman-tmp-"), "leftover {name}");
            if entry.path().is_dir() {
                stack.push(entry.path());
            }
        }
    }
}

#[test]
fn the_emulator_deletes_its_ephemeral_key_on_sigterm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = snapman(dir.path())
        .arg("emulator")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let key = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix("keyFile: ").map(str::to_string))
        .expect("the emulator names its key file");
    assert!(Path::new(&key).exists());
    send(&child, "TERM");
    let (code, _) = wait_exit(&mut child, Duration::from_secs(10));
    assert_eq!(code, Some(0));
    assert!(!Path::new(&key).exists(), "{key} removed");
}
