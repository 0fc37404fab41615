//! `snapman merge-reports`: joins the JSON and JUnit reports of the shards of a partitioned run
//! (`--partition`) into one of each, as if one machine had run everything.
//!
//! - JSON (Newman's shape): executions and failures of every shard, ordered by iteration (shard
//!   order within one iteration); `stats` summed (`iterations` is the run's count, the largest
//!   a shard saw); response timings recomputed over every execution, first-byte timings
//!   combined from the shards' (each weighted by its responses); `started` the earliest,
//!   `completed` the latest; the collection, environment and globals of the first shard.
//! - JUnit: every shard's `<testsuite>` elements copied as they are under one `<testsuites>`
//!   whose `tests`, `failures`, `errors` and `time` are the sums.

use std::path::{Path, PathBuf};

use quick_xml::Reader;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, Event};
use serde_json::{Map, Value, json};

use crate::cli::MergeArgs;
use crate::context::RunContext;
use crate::error::{EXIT_OK, Error};
use crate::report::context::Spread;

/// Runs `snapman merge-reports`.
pub fn merge_command(args: &MergeArgs, ctx: &RunContext) -> Result<u8, Error> {
    if args.json.is_none() && args.junit.is_none() {
        return Err(Error::Usage(
            "merge-reports: say what to write with --json FILE and/or --junit FILE".into(),
        ));
    }
    let inputs: Vec<PathBuf> = args.inputs.iter().map(|p| ctx.resolve(p)).collect();
    let of_kind = |ext: &str| -> Vec<&PathBuf> {
        inputs
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case(ext)))
            .collect()
    };
    if let Some(out) = &args.json {
        let files = of_kind("json");
        if files.is_empty() {
            return Err(Error::Usage(
                "merge-reports: no .json report among the inputs".into(),
            ));
        }
        let reports = files
            .iter()
            .map(|p| read_json(p))
            .collect::<Result<Vec<_>, _>>()?;
        let merged = merge_json(reports);
        let text = serde_json::to_string_pretty(&merged)
            .map_err(|e| Error::Input(format!("failed to serialise the report: {e}")))?;
        crate::atomic::write(&ctx.resolve(out), format!("{text}\n").as_bytes())?;
    }
    if let Some(out) = &args.junit {
        let files = of_kind("xml");
        if files.is_empty() {
            return Err(Error::Usage(
                "merge-reports: no .xml report among the inputs".into(),
            ));
        }
        let texts = files
            .iter()
            .map(|p| {
                std::fs::read_to_string(p)
                    .map_err(|e| Error::Input(format!("{}: {e}", p.display())))
                    .map(|t| (p.to_path_buf(), t))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let merged = merge_junit(&texts)?;
        crate::atomic::write(&ctx.resolve(out), merged.as_bytes())?;
    }
    Ok(EXIT_OK)
}

fn read_json(path: &Path) -> Result<Value, Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Input(format!("{}: {e}", path.display())))?;
    let value: Value = serde_json::from_str(&text).map_err(|e| {
        Error::Input(format!(
            "{}:{}:{}: not a JSON report: {e}",
            path.display(),
            e.line(),
            e.column()
        ))
    })?;
    if !value["run"]["executions"].is_array() {
        return Err(Error::Input(format!(
            "{}: not a snapman or Newman JSON report (no run.executions)",
            path.display()
        )));
    }
    Ok(value)
}

/// The iteration of an execution or failure (its cursor's).
fn iteration_of(v: &Value) -> u64 {
    v["cursor"]["iteration"].as_u64().unwrap_or(0)
}

/// Joins Newman-shaped JSON reports (see the module documentation).
pub fn merge_json(reports: Vec<Value>) -> Value {
    let mut iter = reports.into_iter();
    let Some(mut merged) = iter.next() else {
        return Value::Null;
    };
    let rest: Vec<Value> = iter.collect();
    let take = |r: &Value, key: &str| -> Vec<Value> {
        r["run"][key].as_array().cloned().unwrap_or_default()
    };
    let mut executions = take(&merged, "executions");
    let mut failures = take(&merged, "failures");
    for r in &rest {
        executions.extend(take(r, "executions"));
        failures.extend(take(r, "failures"));
    }
    executions.sort_by_key(iteration_of);
    failures.sort_by_key(iteration_of);

    let all: Vec<&Value> = std::iter::once(&merged).chain(&rest).collect();
    let stats = merge_stats(&all);
    let timings = merge_timings(&all, &executions);
    let transfers: u64 = all
        .iter()
        .map(|r| r["run"]["transfers"]["responseTotal"].as_u64().unwrap_or(0))
        .sum();
    let error = all
        .iter()
        .map(|r| r["run"]["error"].clone())
        .find(|e| !e.is_null())
        .unwrap_or(Value::Null);
    let sum = |key: &str| -> u64 {
        all.iter()
            .map(|r| r["run"]["snapman"][key].as_u64().unwrap_or(0))
            .sum()
    };
    let any = |key: &str| all.iter().any(|r| r["run"]["snapman"][key] == true);
    let snapman = json!({
        "failedItems": sum("failedItems"),
        "flakyItems": sum("flakyItems"),
        "bodiesOmitted": any("bodiesOmitted"),
        "redacted": any("redacted"),
        "mergedFrom": all.len(),
    });
    merged["run"] = json!({
        "stats": stats,
        "timings": timings,
        "executions": executions,
        "transfers": { "responseTotal": transfers },
        "failures": failures,
        "error": error,
        "snapman": snapman,
    });
    merged
}

fn merge_stats(all: &[&Value]) -> Value {
    let mut out = Map::new();
    let keys: Vec<String> = all
        .first()
        .and_then(|r| r["run"]["stats"].as_object())
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    for key in keys {
        let field = |f: &str| -> Vec<u64> {
            all.iter()
                .map(|r| r["run"]["stats"][&key][f].as_u64().unwrap_or(0))
                .collect()
        };
        let combine = |values: Vec<u64>| -> u64 {
            if key == "iterations" {
                values.into_iter().max().unwrap_or(0)
            } else {
                values.into_iter().sum()
            }
        };
        let (total, failed, pending) = (
            combine(field("total")),
            combine(field("failed")),
            combine(field("pending")),
        );
        out.insert(
            key.clone(),
            json!({ "total": total, "pending": pending, "failed": failed }),
        );
    }
    Value::Object(out)
}

fn merge_timings(all: &[&Value], executions: &[Value]) -> Value {
    let mut timings = all
        .first()
        .map(|r| r["run"]["timings"].clone())
        .unwrap_or_else(|| json!({}));
    let times: Vec<f64> = executions
        .iter()
        .filter_map(|e| e["response"]["responseTime"].as_f64())
        .collect();
    let spreads = [
        ("response", (!times.is_empty()).then(|| Spread::of(&times))),
        ("firstByte", merged_first_byte(all)),
    ];
    for (name, spread) in spreads {
        if let Some(s) = spread {
            timings[format!("{name}Average")] = json!(s.average);
            timings[format!("{name}Min")] = json!(s.min);
            timings[format!("{name}Max")] = json!(s.max);
            timings[format!("{name}Sd")] = json!(s.sd);
        }
    }
    let started = all
        .iter()
        .filter_map(|r| r["run"]["timings"]["started"].as_u64())
        .min();
    let completed = all
        .iter()
        .filter_map(|r| r["run"]["timings"]["completed"].as_u64())
        .max();
    if let Some(s) = started {
        timings["started"] = json!(s);
    }
    if let Some(c) = completed {
        timings["completed"] = json!(c);
    }
    timings
}

/// The shards' first-byte timings combined, each weighted by its number of responses (a
/// snapman shard times every response); shards without them (none measured, or a Newman report
/// run without `--verbose`) are left out. `None` when no shard has them.
fn merged_first_byte(all: &[&Value]) -> Option<Spread> {
    let shards: Vec<Spread> = all
        .iter()
        .filter_map(|r| {
            let t = &r["run"]["timings"];
            let count = r["run"]["executions"]
                .as_array()?
                .iter()
                .filter(|e| e.get("response").is_some())
                .count();
            let average = t["firstByteAverage"].as_f64().filter(|a| *a > 0.0)?;
            Some(Spread {
                count,
                average,
                min: t["firstByteMin"].as_f64()?,
                max: t["firstByteMax"].as_f64()?,
                sd: t["firstByteSd"].as_f64()?,
            })
        })
        .filter(|s| s.count > 0)
        .collect();
    let count: usize = shards.iter().map(|s| s.count).sum();
    if count == 0 {
        return None;
    }
    let n = count as f64;
    let average = shards
        .iter()
        .map(|s| s.count as f64 * s.average)
        .sum::<f64>()
        / n;
    // The pooled variance: each shard's own plus its mean's distance from the whole mean.
    let variance = shards
        .iter()
        .map(|s| s.count as f64 * (s.sd.powi(2) + (s.average - average).powi(2)))
        .sum::<f64>()
        / n;
    Some(Spread {
        count,
        average,
        min: shards.iter().map(|s| s.min).fold(f64::INFINITY, f64::min),
        max: shards.iter().map(|s| s.max).fold(0.0, f64::max),
        sd: variance.sqrt(),
    })
}

/// Joins JUnit files: every `<testsuite>` under one `<testsuites>` with summed counts.
pub fn merge_junit(files: &[(PathBuf, String)]) -> Result<String, Error> {
    let mut inner = Writer::new_with_indent(Vec::new(), b' ', 4);
    let (mut tests, mut failures, mut errors, mut time) = (0u64, 0u64, 0u64, 0f64);
    let mut name: Option<String> = None;
    for (path, text) in files {
        let bad = |e: String| Error::Input(format!("{}: not a JUnit report: {e}", path.display()));
        let mut reader = Reader::from_str(text);
        reader.config_mut().trim_text(true);
        let mut depth = 0usize;
        loop {
            let event = reader.read_event().map_err(|e| bad(e.to_string()))?;
            match &event {
                Event::Eof => break,
                Event::Start(start) if depth == 0 => {
                    if start.name().as_ref() != b"testsuites" {
                        return Err(bad("the root element is not <testsuites>".into()));
                    }
                    for attr in start.attributes().flatten() {
                        let value = attr.unescape_value().map_err(|e| bad(e.to_string()))?;
                        match attr.key.as_ref() {
                            b"tests" => tests += value.parse::<u64>().unwrap_or(0),
                            b"failures" => failures += value.parse::<u64>().unwrap_or(0),
                            b"errors" => errors += value.parse::<u64>().unwrap_or(0),
                            b"time" => time += value.parse::<f64>().unwrap_or(0.0),
                            b"name" if name.is_none() => name = Some(value.into_owned()),
                            _ => {}
                        }
                    }
                    depth = 1;
                    continue;
                }
                Event::End(_) if depth == 1 => {
                    depth = 0;
                    continue;
                }
                _ if depth == 0 => continue,
                Event::Start(_) => depth += 1,
                Event::End(_) => depth -= 1,
                _ => {}
            }
            inner
                .write_event(event)
                .map_err(|e| Error::Input(format!("failed to write the merged report: {e}")))?;
        }
    }
    let mut out = Writer::new_with_indent(Vec::new(), b' ', 4);
    let write = |e: std::io::Error| Error::Input(format!("failed to write the merged report: {e}"));
    out.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .map_err(write)?;
    let mut root = BytesStart::new("testsuites");
    root.push_attribute(("name", name.as_deref().unwrap_or("snapman")));
    root.push_attribute(("tests", tests.to_string().as_str()));
    root.push_attribute(("failures", failures.to_string().as_str()));
    root.push_attribute(("errors", errors.to_string().as_str()));
    root.push_attribute(("time", format!("{time:.3}").as_str()));
    out.write_event(Event::Start(root)).map_err(write)?;
    let body = String::from_utf8_lossy(&inner.into_inner()).into_owned();
    let mut text = String::from_utf8_lossy(&out.into_inner()).into_owned();
    for line in body.lines() {
        text.push_str("\n    ");
        text.push_str(line);
    }
    text.push('\n');
    let mut end = Writer::new(Vec::new());
    end.write_event(Event::End(BytesEnd::new("testsuites")))
        .map_err(write)?;
    text.push_str(&String::from_utf8_lossy(&end.into_inner()));
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(iteration: u64, failed: u64, time: u64) -> Value {
        json!({"collection": {"info": {"name": "c"}}, "run": {
            "stats": {"iterations": {"total": 4, "pending": 0, "failed": 0},
                      "assertions": {"total": 2, "pending": 0, "failed": failed}},
            "timings": {"started": 100 + iteration, "completed": 200 + iteration},
            "executions": [{"cursor": {"iteration": iteration}, "response": {"responseTime": time}}],
            "transfers": {"responseTotal": 10},
            "failures": [], "error": null,
            "snapman": {"failedItems": failed, "flakyItems": 0}}})
    }

    #[test]
    fn json_shards_join_in_iteration_order_with_summed_counts() {
        let merged = merge_json(vec![report(1, 1, 30), report(0, 0, 10)]);
        let run = &merged["run"];
        assert_eq!(run["executions"][0]["cursor"]["iteration"], 0);
        assert_eq!(run["stats"]["iterations"]["total"], 4);
        assert_eq!(
            run["stats"]["assertions"],
            json!({"total": 4, "pending": 0, "failed": 1})
        );
        assert_eq!(run["timings"]["responseAverage"], 20.0);
        assert_eq!(run["timings"]["started"], 100);
        assert_eq!(run["timings"]["completed"], 201);
        assert_eq!(run["transfers"]["responseTotal"], 20);
        assert_eq!(run["snapman"]["mergedFrom"], 2);
    }

    #[test]
    fn first_byte_timings_are_pooled_over_the_shards_responses() {
        // Shard a: one response at 4 ms. Shard b: two, at 8 and 12 ms. A Newman shard without
        // timings counts for nothing.
        let mut a = report(0, 0, 10);
        a["run"]["timings"]["firstByteAverage"] = json!(4.0);
        a["run"]["timings"]["firstByteMin"] = json!(4.0);
        a["run"]["timings"]["firstByteMax"] = json!(4.0);
        a["run"]["timings"]["firstByteSd"] = json!(0.0);
        let mut b = report(1, 0, 30);
        if let Some(executions) = b["run"]["executions"].as_array_mut() {
            executions.push(json!({"cursor": {"iteration": 1}, "response": {"responseTime": 30}}));
        }
        b["run"]["timings"]["firstByteAverage"] = json!(10.0);
        b["run"]["timings"]["firstByteMin"] = json!(8.0);
        b["run"]["timings"]["firstByteMax"] = json!(12.0);
        b["run"]["timings"]["firstByteSd"] = json!(2.0);
        let mut newman = report(2, 0, 50);
        newman["run"]["timings"]["firstByteAverage"] = json!(0);
        let merged = merge_json(vec![a, b, newman]);
        let t = &merged["run"]["timings"];
        assert_eq!(
            (
                &t["firstByteAverage"],
                &t["firstByteMin"],
                &t["firstByteMax"]
            ),
            (&json!(8.0), &json!(4.0), &json!(12.0))
        );
        let sd = t["firstByteSd"].as_f64().unwrap_or_default();
        assert!((sd - (32.0_f64 / 3.0).sqrt()).abs() < 1e-9, "{sd}");
        assert_eq!(t["responseAverage"], 30.0);
    }

    #[test]
    fn junit_suites_are_copied_and_counts_summed() {
        let shard = |n: &str, failures: u32| {
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="c" tests="1" failures="{failures}" errors="0" time="0.5">
  <testsuite name="{n}" tests="1" failures="{failures}" errors="0"><testcase name="r &amp; s"/></testsuite>
</testsuites>"#
            )
        };
        let merged = merge_junit(&[
            (PathBuf::from("a.xml"), shard("A", 0)),
            (PathBuf::from("b.xml"), shard("B", 1)),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            merged.contains(
                r#"<testsuites name="c" tests="2" failures="1" errors="0" time="1.000">"#
            ),
            "{merged}"
        );
        assert!(
            merged.contains(r#"<testsuite name="A""#) && merged.contains(r#"<testsuite name="B""#)
        );
        assert!(merged.contains("r &amp; s"), "{merged}");
        assert!(merged.trim_end().ends_with("</testsuites>"));
        let bad = merge_junit(&[(PathBuf::from("x.xml"), "<html></html>".into())]);
        assert!(bad.is_err());
    }
}
