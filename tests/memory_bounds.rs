//! What a run keeps is bounded, through the binary: a response body above `--max-body-size` is
//! read as a stream and cut (scripts and every report see the start and are told the whole
//! size), and the CLI's final failure list keeps the first failures and says how many more
//! there were.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::{collection, emulator, run_collection, snapman, write_json};
use serde_json::{Value, json};

/// Bytes the local server sends as one response body (60 MiB).
const BIG: usize = 60 << 20;

/// Serves one request with a body of `BIG` bytes (gzip-encoded when `gzip`, a few KiB on the
/// wire) on a loopback port, whatever the request asks, then stops (or gives up after 60 s
/// without a client). Returns the base URL.
fn serve_big_body(gzip: bool) -> String {
    let body = if gzip {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(&vec![b'a'; BIG]).expect("gzip");
        encoder.finish().expect("gzip")
    } else {
        vec![b'a'; BIG]
    };
    let encoding = if gzip {
        "Content-Encoding: gzip\r\n"
    } else {
        ""
    };
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    listener.set_nonblocking(true).expect("nonblocking");
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut stream = loop {
            match listener.accept() {
                Ok((stream, _)) => break stream,
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(_) => return,
            }
        };
        let _ = stream.set_nonblocking(false);
        let mut head = [0u8; 4096];
        let _ = stream.read(&mut head);
        let _ = write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n{encoding}Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        for chunk in body.chunks(64 << 10) {
            if stream.write_all(chunk).is_err() {
                return;
            }
        }
    });
    base
}

#[test]
fn a_body_above_max_body_size_is_streamed_cut_and_reported() {
    let base = serve_big_body(false);
    let dir = tempfile::tempdir().expect("tempdir");
    let c = collection(json!([{
        "name": "big",
        "request": {"method": "GET", "url": format!("{base}/big")},
        "event": [{"listen": "test", "script": {"exec": [
            "pm.test('scripts see the kept start', function () {",
            "  pm.expect(pm.response.text().length).to.equal(1048576);",
            "});"
        ]}}]
    }]));
    let path = write_json(dir.path(), "c.postman_collection.json", &c);
    let out = snapman(dir.path())
        .arg("run")
        .arg(&path)
        .args(["--max-body-size", "1M", "-r", "cli,json,junit,html"])
        .args(["--reporter-json-export", "r.json"])
        .args(["--reporter-junit-export", "r.xml"])
        .args(["--reporter-html-export", "r.html"])
        .output()
        .expect("snapman runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let note = format!("response body truncated by --max-body-size: {BIG} bytes received");
    assert!(stdout.contains(&note), "the CLI says so: {stdout}");
    assert!(stdout.contains("[200 OK, 60.00MB,"), "{stdout}");
    let report: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("r.json")).expect("json report"))
            .expect("json");
    let execution = &report["run"]["executions"][0];
    assert_eq!(execution["snapman"]["responseTruncated"]["size"], BIG);
    let data = execution["response"]["stream"]["data"].as_array();
    assert_eq!(data.map(Vec::len), Some(1 << 20));
    assert_eq!(report["run"]["transfers"]["responseTotal"], BIG);
    for file in ["r.xml", "r.html"] {
        let text = std::fs::read_to_string(dir.path().join(file)).expect("report");
        assert!(text.contains(&note), "{file} says the body was cut");
    }
}

/// Gzip bodies are cut after decoding, as they arrive; plain-`http` requests to a host hyper
/// refuses, sent by hand to the `HTTP_PROXY`, are read the same way.
#[test]
fn gzip_and_proxied_bodies_are_cut_as_they_arrive() {
    for (gzip, proxied) in [(true, false), (false, true), (true, true)] {
        let base = serve_big_body(gzip);
        let dir = tempfile::tempdir().expect("tempdir");
        let url = if proxied {
            "{{APIURL}}/big".to_string()
        } else {
            format!("{base}/big")
        };
        let c = collection(json!([{"name": "big", "request": {"method": "GET", "url": url}}]));
        let path = write_json(dir.path(), "c.postman_collection.json", &c);
        let out = snapman(dir.path())
            .env("HTTP_PROXY", &base)
            .arg("run")
            .arg(&path)
            .args(["--max-body-size", "64K", "-r", "json"])
            .args(["--reporter-json-export", "r.json"])
            .output()
            .expect("snapman runs");
        let case = format!("gzip {gzip}, proxied {proxied}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{case}: {stderr}");
        let report: Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("r.json")).expect("report"))
                .expect("json");
        let execution = &report["run"]["executions"][0];
        assert_eq!(
            execution["snapman"]["responseTruncated"]["size"], BIG,
            "{case}"
        );
        let data = execution["response"]["stream"]["data"].as_array();
        assert_eq!(data.map(Vec::len), Some(64 << 10), "{case}");
        assert_eq!(data.and_then(|d| d.first()), Some(&json!(b'a')), "{case}");
    }
}

#[test]
fn max_body_size_must_be_a_size() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_json(dir.path(), "c.json", &collection(json!([])));
    for bad in ["0", "12X", "lots"] {
        let out = snapman(dir.path())
            .arg("run")
            .arg(&path)
            .args(["--max-body-size", bad])
            .output()
            .expect("snapman runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {stderr}");
        assert!(stderr.contains("--max-body-size"), "{stderr}");
    }
}

#[test]
fn the_cli_lists_the_first_thousand_failures_and_counts_the_rest() {
    let emu = emulator();
    let c = collection(json!([{
        "name": "many failures",
        "request": {"method": "GET", "url": "{{base}}/get"},
        "event": [{"listen": "test", "script": {"exec": [
            "for (let i = 0; i < 1005; i++) {",
            "  pm.test('check ' + i, function () { pm.expect(i).to.equal(-1); });",
            "}"
        ]}}]
    }]));
    let r = run_collection(&emu, &c, &[]);
    let stdout = r.stdout();
    assert_eq!(r.code(), 1, "{}", r.stderr());
    assert!(stdout.contains("1000.  AssertionError"), "{stdout}");
    assert!(!stdout.contains("1001.  AssertionError"), "{stdout}");
    assert!(
        stdout.contains("5 more failure(s) not listed here: only the first 1000 are kept"),
        "{stdout}"
    );
    // The file reporters keep every failure.
    assert_eq!(
        r.report["run"]["failures"].as_array().map(Vec::len),
        Some(1005)
    );
}
