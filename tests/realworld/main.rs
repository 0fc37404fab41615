//! The yardstick: snapman against recorded Newman 6.2.2 runs of third-party collections.
//!
//! Every collection under `tests/fixtures/realworld/<repo>/` runs through the proxy stand-in
//! ([`snapman::emulator::proxy_echo`]); the requests it receives and the JSON report's assertion
//! outcomes are compared with the golden recorded from Newman in `tests/realworld/goldens/`.
//! `known_differences.txt` lists the collections that differ today, each with its reason: the
//! test fails when any other collection differs, and when a listed one has come to match (so the
//! list shrinks as snapman improves). The same holds for `--export-collection`, which must write
//! the collection back unchanged apart from what the run's scripts changed
//! (`known_export_differences.txt`).
//!
//! `tests/realworld/record.sh` refreshes the goldens with Newman (the ignored test
//! `record_newman_goldens`); Newman is never needed to run this test.

mod golden;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;

/// Collections of third-party repositories, one folder per repository.
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/realworld");
/// This test's own folder: goldens and the known-difference lists.
const HERE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/realworld");
/// A run still going after this long is killed and counted as erroring.
const RUN_LIMIT: Duration = Duration::from_secs(40);
/// Per-request timeout given to both runners (the stand-in answers at once).
const REQUEST_TIMEOUT_MS: &str = "10000";

/// Which runner a run uses.
#[derive(Clone, Copy, PartialEq)]
enum Runner {
    Snapman,
    Newman,
}

/// What one run left behind.
struct Run {
    /// The comparable record (see [`golden::record`]).
    record: Value,
    /// Killed after [`RUN_LIMIT`], or no JSON report written.
    trouble: Option<String>,
    /// The exported collection (snapman only).
    export: Option<Value>,
}

/// Every collection, as `repo/file.json`, sorted.
fn collections() -> Vec<String> {
    let mut found = Vec::new();
    let mut repos: Vec<PathBuf> = std::fs::read_dir(FIXTURES)
        .expect("fixtures folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    repos.sort();
    for repo in repos {
        let repo_name = repo.file_name().unwrap().to_string_lossy().into_owned();
        for entry in std::fs::read_dir(&repo).expect("repo folder").flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".json") {
                found.push(format!("{repo_name}/{name}"));
            }
        }
    }
    found.sort();
    found
}

/// Runs one collection with one runner through a fresh stand-in.
fn run(id: &str, runner: Runner, newman: Option<&Path>) -> Run {
    let collection = Path::new(FIXTURES).join(id);
    let dir = tempfile::tempdir().expect("temp dir");
    let report_path = dir.path().join("report.json");
    let export_path = dir.path().join("export.json");
    let proxy = snapman::emulator::proxy_echo::start("127.0.0.1:0").expect("stand-in starts");
    let mut cmd = match (runner, newman) {
        (Runner::Newman, Some(newman)) => {
            let mut cmd = Command::new(newman);
            cmd.arg("run")
                .arg(&collection)
                .args(["--color", "off", "--disable-unicode"]);
            cmd
        }
        _ => {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_snapman"));
            cmd.arg("run")
                .arg(&collection)
                .arg("--export-collection")
                .arg(&export_path);
            cmd
        }
    };
    cmd.args(["-k", "-r", "json", "--timeout-request", REQUEST_TIMEOUT_MS])
        .arg("--reporter-json-export")
        .arg(&report_path)
        .current_dir(collection.parent().expect("collection folder"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for var in ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"] {
        cmd.env(var, proxy.proxy_url());
    }
    let mut child = cmd.spawn().expect("runner starts");
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() > RUN_LIMIT => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("waiting for the run of {id}: {e}"),
        }
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        use std::io::Read as _;
        let _ = pipe.read_to_string(&mut stderr);
    }
    let read_json = |path: &Path| {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|text| serde_json::from_str::<Value>(&text).ok())
    };
    let report = read_json(&report_path);
    let trouble = match (&status, &report) {
        (None, _) => Some(format!("still running after {}s", RUN_LIMIT.as_secs())),
        (Some(status), None) => Some(format!(
            "no JSON report (exit {:?}): {}",
            status.code(),
            stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("")
        )),
        _ => None,
    };
    let exit_code = status.and_then(|s| s.code());
    Run {
        record: golden::record(exit_code, &proxy.requests(), report.as_ref()),
        trouble,
        export: read_json(&export_path),
    }
}

/// `repo/file.json` → reason, from a known-difference list (`#` comments and blank lines skipped).
fn known(name: &str) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(Path::new(HERE).join(name)).unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (id, reason) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
            assert!(
                !reason.trim().is_empty(),
                "{name}: `{id}` needs a reason after the name"
            );
            (id.to_owned(), reason.trim().to_owned())
        })
        .collect()
}

/// The golden file of a collection.
fn golden_path(id: &str) -> PathBuf {
    Path::new(HERE).join("goldens").join(id)
}

/// Runs `work` over every collection on a few threads; results in collection order.
fn each_collection<T: Send>(ids: &[String], work: impl Fn(&str) -> T + Sync) -> Vec<T> {
    let jobs = std::env::var("SNAPMAN_REALWORLD_JOBS")
        .ok()
        .and_then(|j| j.parse().ok())
        .unwrap_or(4usize);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<T>>> = Mutex::new((0..ids.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(id) = ids.get(i) else { break };
                    let result = work(id);
                    results.lock().unwrap()[i] = Some(result);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|r| r.expect("every collection ran"))
        .collect()
}

/// A collection as the export comparison sees it: a `{"collection": {...}}` envelope (the
/// Postman API's format) opened, since the export is the collection itself, without Newman's
/// export stamps, and without the collection variables when the run's scripts set them.
fn export_view(collection: &Value, scripts_set_variables: bool) -> Value {
    let mut view = match collection.get("collection") {
        Some(inner) if collection.get("info").is_none() => inner.clone(),
        _ => collection.clone(),
    };
    if let Some(object) = view.as_object_mut() {
        // The stamps Newman adds to every export (a top-level `name`, the scope, when and by
        // what it was exported) are not the collection's content.
        for stamp in [
            "name",
            "_postman_variable_scope",
            "_postman_exported_at",
            "_postman_exported_using",
        ] {
            object.remove(stamp);
        }
        if scripts_set_variables {
            object.remove("variable");
        }
    }
    view
}

/// How a collection fared on one comparison.
enum Verdict {
    Identical,
    Differs(Vec<String>),
    Errors(String),
}

/// Checks `verdicts` against a known-difference list; returns the complaints.
fn judge(label: &str, list: &str, ids: &[String], verdicts: &[Verdict]) -> Vec<String> {
    let known = known(list);
    let mut complaints = Vec::new();
    let (mut identical, mut differing, mut erroring) = (0, 0, 0);
    let mut classes: BTreeMap<&str, usize> = BTreeMap::new();
    for (id, verdict) in ids.iter().zip(verdicts) {
        let listed = known.contains_key(id);
        if let (Some(reason), false) = (known.get(id), matches!(verdict, Verdict::Identical)) {
            let class = reason.split(':').next().unwrap_or(reason);
            *classes.entry(class).or_default() += 1;
        }
        match verdict {
            Verdict::Identical => {
                identical += 1;
                if listed {
                    complaints.push(format!(
                        "{label}: {id} now matches; remove it from tests/realworld/{list}"
                    ));
                }
            }
            Verdict::Differs(diffs) => {
                differing += 1;
                if !listed {
                    complaints.push(format!(
                        "{label}: {id} differs:\n    {}",
                        diffs.join("\n    ")
                    ));
                }
            }
            Verdict::Errors(why) => {
                erroring += 1;
                if !listed {
                    complaints.push(format!("{label}: {id} errors: {why}"));
                }
            }
        }
    }
    for id in known.keys() {
        if !ids.contains(id) {
            complaints.push(format!(
                "{label}: {list} names {id}, which is not a collection"
            ));
        }
    }
    eprintln!(
        "{label}: {} collections: {identical} identical, {differing} differing, {erroring} erroring",
        ids.len()
    );
    let classes: Vec<String> = classes.iter().map(|(c, n)| format!("{c} {n}")).collect();
    eprintln!("  known differences by class: {}", classes.join(", "));
    complaints
}

/// Runs with its own harness so the counts are printed on success too (libtest would capture
/// them): `realworld_collections_match_newman`, the ignored `record_newman_goldens`, and the
/// masking rules' own tests.
fn main() -> ExitCode {
    let arguments = Arguments::from_args();
    let mut trials = vec![
        Trial::test("realworld_collections_match_newman", compare_with_goldens),
        Trial::test("record_newman_goldens", record_newman_goldens).with_ignored_flag(true),
    ];
    trials.extend(golden::trials());
    libtest_mimic::run(&arguments, trials).exit_code()
}

/// snapman against the Newman goldens, and the export round trip, over every collection.
fn compare_with_goldens() -> Result<(), Failed> {
    let ids = collections();
    if ids.is_empty() {
        return Err(format!("no collections under {FIXTURES}").into());
    }
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("realworld");
    let outcomes = each_collection(&ids, |id| {
        let run = run(id, Runner::Snapman, None);
        let actual_path = out_dir.join(id);
        if let Some(parent) = actual_path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let _ = std::fs::write(
            &actual_path,
            serde_json::to_string_pretty(&run.record).unwrap_or_default(),
        );
        let wire = match (&run.trouble, std::fs::read_to_string(golden_path(id))) {
            (_, Err(_)) => Verdict::Errors("no golden; run tests/realworld/record.sh".into()),
            (Some(trouble), _) => Verdict::Errors(trouble.clone()),
            (None, Ok(text)) => {
                let expected: Value = serde_json::from_str(&text).expect("golden is JSON");
                let expected = golden::remask(&expected);
                let diffs = golden::differences(&expected, &run.record, 6);
                if diffs.is_empty() {
                    Verdict::Identical
                } else {
                    Verdict::Differs(diffs)
                }
            }
        };
        let source = std::fs::read_to_string(Path::new(FIXTURES).join(id)).unwrap_or_default();
        let input: Value = serde_json::from_str(&source).unwrap_or(Value::Null);
        let sets = [
            "collectionVariables.set",
            "collectionVariables.unset",
            "collectionVariables.clear",
        ]
        .iter()
        .any(|call| source.contains(call));
        let export = match &run.export {
            None => Verdict::Errors("no export written".into()),
            Some(export) => {
                let diffs =
                    golden::differences(&export_view(&input, sets), &export_view(export, sets), 6);
                if diffs.is_empty() {
                    Verdict::Identical
                } else {
                    Verdict::Differs(diffs)
                }
            }
        };
        (wire, export)
    });
    let (wire, export): (Vec<Verdict>, Vec<Verdict>) = outcomes.into_iter().unzip();
    let mut complaints = judge(
        "wire and assertions vs Newman",
        "known_differences.txt",
        &ids,
        &wire,
    );
    complaints.extend(judge(
        "--export-collection round trip",
        "known_export_differences.txt",
        &ids,
        &export,
    ));
    eprintln!("snapman's records are in {}", out_dir.display());
    if complaints.is_empty() {
        Ok(())
    } else {
        Err(complaints.join("\n").into())
    }
}

/// Records the goldens with Newman: `SNAPMAN_NEWMAN=path/to/newman` (see `record.sh`).
/// `SNAPMAN_REALWORLD_ONLY=repo/file.json,...` records only those collections.
fn record_newman_goldens() -> Result<(), Failed> {
    let newman = std::env::var("SNAPMAN_NEWMAN").map_err(
        |_| "SNAPMAN_NEWMAN names the newman executable (tests/realworld/record.sh sets it)",
    )?;
    let newman = PathBuf::from(newman);
    let only: Vec<String> = std::env::var("SNAPMAN_REALWORLD_ONLY")
        .map(|s| {
            s.split(',')
                .filter(|id| !id.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let ids: Vec<String> = collections()
        .into_iter()
        .filter(|id| only.is_empty() || only.contains(id))
        .collect();
    let troubles = each_collection(&ids, |id| {
        let run = run(id, Runner::Newman, Some(&newman));
        let path = golden_path(id);
        std::fs::create_dir_all(path.parent().expect("golden folder")).expect("golden folder");
        let text = serde_json::to_string_pretty(&run.record).expect("record serializes") + "\n";
        std::fs::write(&path, text).expect("golden written");
        run.trouble.map(|t| format!("{id}: {t}"))
    });
    let troubles: Vec<String> = troubles.into_iter().flatten().collect();
    eprintln!(
        "recorded {} goldens; Newman wrote no report for {}:\n{}",
        ids.len(),
        troubles.len(),
        troubles.join("\n")
    );
    Ok(())
}
