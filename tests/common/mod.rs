//! Shared helpers for integration tests: the in-process emulator, a hermetic `snapman` command,
//! and collection builders.

#![allow(
    dead_code,
    reason = "each test binary uses a different subset of these helpers"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

pub use snapman::emulator::EmulatorHandle;

/// Starts the emulator on an ephemeral loopback port.
pub fn emulator() -> EmulatorHandle {
    snapman::emulator::start_background("127.0.0.1:0", None).expect("emulator starts")
}

/// The snapman binary with a clean environment (no colour, no SF_* variables, fixed HOME).
pub fn snapman(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_snapman"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("NO_COLOR", "1")
        .current_dir(dir);
    cmd
}

/// A v2.1 collection with the given items (and optional extra top-level keys).
pub fn collection(items: Value) -> Value {
    json!({
        "info": {
            "name": "test collection",
            "_postman_id": "11111111-2222-3333-4444-555555555555",
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
        },
        "item": items
    })
}

/// Writes `value` as JSON to `dir/name` and returns the path.
pub fn write_json(dir: &Path, name: &str, value: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(value).unwrap()).unwrap();
    path
}

/// The result of a run with the JSON reporter.
pub struct RunResult {
    /// Process output.
    pub output: Output,
    /// The JSON report (Null when none was written).
    pub report: Value,
    /// The temporary directory the run used (kept alive).
    pub dir: tempfile::TempDir,
}

impl RunResult {
    /// Exit code.
    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }

    /// Stdout as text.
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    /// Stderr as text.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// The executions of the report.
    pub fn executions(&self) -> Vec<Value> {
        self.report["run"]["executions"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The echo service's JSON answer for execution `i` (what arrived there).
    pub fn echoed(&self, i: usize) -> Value {
        let bytes: Vec<u8> = self.executions()[i]["response"]["stream"]["data"]
            .as_array()
            .unwrap_or_else(|| panic!("execution {i} has a body: {}", self.report))
            .iter()
            .filter_map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
            .collect();
        let body = String::from_utf8(bytes).expect("the echo body is text");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("echo body is JSON ({e}): {body}"))
    }
}

/// `(name, error message)` of every assertion in a JSON report, in order (`None` when it passed).
pub fn assertions(report: &Value) -> Vec<(String, Option<String>)> {
    report["run"]["executions"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|e| e["assertions"].as_array().cloned().unwrap_or_default())
        .map(|a| {
            (
                a["assertion"].as_str().unwrap_or_default().to_string(),
                a["error"]["message"].as_str().map(str::to_string),
            )
        })
        .collect()
}

/// Runs `collection` against the emulator (its base URL in `{{base}}`), with extra arguments.
pub fn run_collection(emu: &EmulatorHandle, collection: &Value, extra: &[&str]) -> RunResult {
    let dir = tempfile::tempdir().unwrap();
    let path = write_json(dir.path(), "c.postman_collection.json", collection);
    let report = dir.path().join("report.json");
    let output = snapman(dir.path())
        .arg("run")
        .arg(&path)
        .args(["--env-var", &format!("base={}", emu.base_url())])
        .args(["-r", "cli,json", "--reporter-json-export"])
        .arg(&report)
        .args(extra)
        .output()
        .expect("snapman runs");
    let report = std::fs::read_to_string(&report)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    RunResult {
        output,
        report,
        dir,
    }
}
