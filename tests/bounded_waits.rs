//! Every wait is bounded: token requests to a host that accepts connections and never answers
//! give up after `--auth-timeout` (30 s by default) and name the host; the emulator closes
//! connections that never send a byte.

mod common;

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use common::{collection, emulator, snapman, write_json};
use serde_json::json;

/// A host that accepts connections and never answers; returns its `host:port`.
fn silent_host() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    addr
}

#[test]
fn the_salesforce_exchange_gives_up_on_a_silent_host_and_names_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = snapman(dir.path())
        .args(["keygen", "--out", "keys"])
        .output()
        .expect("keygen");
    assert_eq!(keys.status.code(), Some(0));
    let host = silent_host();
    let started = Instant::now();
    let out = snapman(dir.path())
        .arg("token")
        .args(["--sf-login-url", &format!("http://{host}")])
        .args([
            "--sf-client-id",
            "client",
            "--sf-username",
            "user@example.com",
        ])
        .args(["--sf-key", "keys/server.key", "--auth-timeout", "300"])
        .output()
        .expect("token");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains(&host), "names the host: {stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn an_oauth2_token_fetch_gives_up_on_a_silent_host_and_names_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let host = silent_host();
    let c = collection(json!([{"name": "oauth2", "request": {"method": "GET",
    "url": "http://127.0.0.1:9/never-sent",
    "auth": {"type": "oauth2", "oauth2": [
        {"key": "grant_type", "value": "client_credentials"},
        {"key": "accessTokenUrl", "value": format!("http://{host}/token")},
        {"key": "clientId", "value": "id"},
        {"key": "clientSecret", "value": "secret-value"}
    ]}}}]));
    let path = write_json(dir.path(), "c.json", &c);
    let started = Instant::now();
    let out = snapman(dir.path())
        .arg("run")
        .arg(&path)
        .args(["--auth-timeout", "300"])
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains(&host), "names the host: {stdout}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn the_emulator_closes_half_open_connections() {
    let emu = emulator();
    let addr = emu
        .base_url()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let mut stream = TcpStream::connect(&addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let started = Instant::now();
    let mut buf = [0u8; 16];
    let read = stream
        .read(&mut buf)
        .expect("the server closes, not the read timeout");
    assert_eq!(read, 0);
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
}
