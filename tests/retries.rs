//! `--retries`: with the OCI emulator answering 20% of requests 429 or 503, a run with
//! `--retries 3` gives the same results as a clean run, and the requests that needed a retry
//! are reported as flaky (JSON, JUnit `<flakyFailure>`).

mod common;

use std::path::Path;

use common::{collection, snapman, write_json};
use serde_json::{Value, json};
use snapman::emulator::oci::{AccessCheck, Denied, Grant, OciOptions, OciState, Scope, oci_router};
use snapman::emulator::{EmulatorHandle, start_background};

const AV: &str = "/inventory/availability/v1/organizations/f_ecom_test_org";

/// The token `all` has every scope; anything else is invalid.
struct TestAccess;

impl AccessCheck for TestAccess {
    fn check(&self, bearer: Option<&str>) -> Result<Grant, Denied> {
        match bearer {
            Some("all") => Ok(Grant {
                scopes: Scope::ALL.iter().map(|s| s.org_name().to_owned()).collect(),
            }),
            None => Err(Denied::Missing),
            Some(_) => Err(Denied::Invalid),
        }
    }
}

/// The OCI emulator with `rate` of requests answered 429 and `rate` answered 503.
fn oci(rate: f64) -> EmulatorHandle {
    let state = OciState::new(
        std::sync::Arc::new(TestAccess),
        OciOptions {
            rate_429: rate,
            rate_503: rate,
            retry_after_secs: 0,
            seed: 7,
            ..OciOptions::default()
        },
    );
    start_background("127.0.0.1:0", Some(oci_router(state))).expect("emulator starts")
}

fn availability() -> Value {
    collection(json!([{
        "name": "Availability",
        "request": {
            "method": "POST",
            "url": format!("{{{{base}}}}{AV}/availability-records/actions/get-availability"),
            "auth": {"type": "bearer", "bearer": [{"key": "token", "value": "all"}]},
            "header": [{"key": "Content-Type", "value": "application/json"}],
            "body": {"mode": "raw", "raw": "{\"skus\": [\"ID-PEM\"], \"locations\": [\"Warehouse01\"]}"}
        },
        "event": [{"listen": "test", "script": {"exec": [
            "pm.test('200', () => pm.response.to.have.status(200));",
            "pm.test('has records', () => pm.expect(pm.response.json().records || pm.response.json().groups || pm.response.json()).to.be.ok);"
        ]}}]
    }]))
}

struct Outcome {
    code: i32,
    report: Value,
    junit: String,
}

fn run(emu: &EmulatorHandle, dir: &Path, extra: &[&str]) -> Outcome {
    let path = write_json(dir, "av.postman_collection.json", &availability());
    let out = snapman(dir)
        .arg("run")
        .arg(&path)
        .args(["--env-var", &format!("base={}", emu.base_url())])
        .args(["-n", "30", "-r", "json,junit"])
        .args([
            "--reporter-json-export",
            "r.json",
            "--reporter-junit-export",
            "r.xml",
        ])
        .args(extra)
        .output()
        .expect("snapman runs");
    let text = std::fs::read_to_string(dir.join("r.json")).expect("report written");
    Outcome {
        code: out.status.code().unwrap_or(-1),
        report: serde_json::from_str(&text).expect("JSON"),
        junit: std::fs::read_to_string(dir.join("r.xml")).expect("junit written"),
    }
}

/// Per execution: status code and each assertion's name and error message.
fn results(report: &Value) -> Vec<Value> {
    report["run"]["executions"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|e| {
                    let assertions: Vec<Value> = e["assertions"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .map(|x| json!([x["assertion"], x["error"]["message"]]))
                                .collect()
                        })
                        .unwrap_or_default();
                    json!([e["response"]["code"], assertions])
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn retries_under_injected_429_and_503_give_the_clean_results() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clean = run(&oci(0.0), dir.path(), &[]);
    assert_eq!(clean.code, 0);
    assert_eq!(results(&clean.report).len(), 30);

    // Without retries the faults show (so the comparison below means something).
    let faulty = run(&oci(0.1), dir.path(), &[]);
    assert_eq!(faulty.code, 1);
    assert_ne!(results(&faulty.report), results(&clean.report));

    let retried = run(
        &oci(0.1),
        dir.path(),
        &["--retries", "3", "--retry-backoff", "20"],
    );
    assert_eq!(retried.code, 0);
    assert_eq!(results(&retried.report), results(&clean.report));
    assert_eq!(retried.report["run"]["stats"], clean.report["run"]["stats"]);

    let executions = retried.report["run"]["executions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let flaky: Vec<&Value> = executions
        .iter()
        .filter(|e| e["snapman"]["flaky"] == true)
        .collect();
    assert!(!flaky.is_empty(), "some requests needed a retry");
    assert_eq!(retried.report["run"]["snapman"]["flakyItems"], flaky.len());
    let reason = flaky[0]["snapman"]["retries"][0]["reason"]
        .as_str()
        .unwrap_or_default();
    assert!(
        reason == "429 Too Many Requests" || reason == "503 Service Unavailable",
        "{reason}"
    );

    let doc = roxmltree::Document::parse(&retried.junit).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.attribute("failures"), Some("0"));
    let flaky_cases = root
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .filter(|c| c.children().any(|n| n.has_tag_name("flakyFailure")))
        .count();
    assert_eq!(flaky_cases, flaky.len());
    let first = root
        .descendants()
        .find(|n| n.has_tag_name("flakyFailure"))
        .expect("a flakyFailure");
    assert_eq!(first.attribute("type"), Some("Retried"));
}
