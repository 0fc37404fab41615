//! What a run of one collection leaves behind, reduced to what two runners must agree on: the
//! exit code, the requests on the wire and the assertion outcomes. Values random by design are
//! masked so Newman's recording and snapman's run compare equal when they behave the same.

use std::sync::LazyLock;

use base64::Engine as _;
use regex::Regex;
use serde_json::{Value, json};
use snapman::emulator::proxy_echo::ProxiedRequest;

/// Headers left out of the comparison: random by design (`user-agent` names the runner,
/// `postman-token` is a fresh UUID) or connection management that says nothing about the request.
const IGNORED_HEADERS: [&str; 4] = ["user-agent", "postman-token", "connection", "proxy-connection"];

/// `{{$guid}}` and friends.
static UUID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
        .expect("valid regex")
});

/// ISO 8601 instants (`{{$isoTimestamp}}`, `new Date().toISOString()`) and Unix times in seconds
/// or milliseconds from 2001 to 2033 (`{{$timestamp}}`, `Date.now()`).
static TIMESTAMP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z|\b1[0-9]\d{8}(\d{3})?\b")
        .expect("valid regex")
});

/// `boundary=...` in a multipart content type.
static BOUNDARY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)boundary="?([^";,\s]+)"?"#).expect("valid regex"));

/// Masks the values that are random by design.
fn mask(text: &str) -> String {
    let text = UUID.replace_all(text, "<uuid>");
    TIMESTAMP.replace_all(&text, "<timestamp>").into_owned()
}

/// One request as the comparison sees it.
pub fn request(request: &ProxiedRequest) -> Value {
    let content_type = request
        .headers
        .iter()
        .find(|(k, _)| k == "content-type")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    let boundary = content_type
        .to_ascii_lowercase()
        .contains("multipart/")
        .then(|| BOUNDARY.captures(content_type))
        .flatten()
        .map(|c| c[1].to_owned());
    let unbound = |text: &str| match &boundary {
        Some(b) => text.replace(b.as_str(), "<boundary>"),
        None => text.to_owned(),
    };
    let mut headers: Vec<(String, String)> = request
        .headers
        .iter()
        .filter(|(k, _)| !IGNORED_HEADERS.contains(&k.as_str()))
        // The boundary's length is the runner's choice, so the length of a multipart body is too.
        .filter(|(k, _)| !(boundary.is_some() && k == "content-length"))
        .map(|(k, v)| (k.clone(), mask(&unbound(v))))
        .collect();
    headers.sort_by(|a, b| a.0.cmp(&b.0));
    let body = match std::str::from_utf8(&request.body) {
        Ok(text) => mask(&unbound(text)),
        Err(_) => format!(
            "base64:{}",
            base64::engine::general_purpose::STANDARD.encode(&request.body)
        ),
    };
    json!({
        "method": request.method,
        "url": mask(&request.url),
        "headers": headers.into_iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>(),
        "body": body,
    })
}

/// The executions of a Newman-format JSON report: item name and assertion outcomes in order.
pub fn executions(report: &Value) -> Value {
    let executions = report["run"]["executions"].as_array().cloned().unwrap_or_default();
    executions
        .iter()
        .map(|execution| {
            let assertions: Vec<Value> = execution["assertions"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|a| {
                    let outcome = if a["skipped"].as_bool() == Some(true) {
                        "skipped"
                    } else if a.get("error").is_some_and(|e| !e.is_null()) {
                        "failed"
                    } else {
                        "passed"
                    };
                    json!([mask(a["assertion"].as_str().unwrap_or_default()), outcome])
                })
                .collect();
            json!({
                "item": execution["item"]["name"],
                "assertions": assertions,
            })
        })
        .collect()
}

/// The whole record of one run.
pub fn record(exit_code: Option<i32>, requests: &[ProxiedRequest], report: Option<&Value>) -> Value {
    json!({
        "exit_code": exit_code,
        "report_written": report.is_some(),
        "requests": requests.iter().map(request).collect::<Vec<_>>(),
        "executions": report.map(executions).unwrap_or(Value::Array(Vec::new())),
    })
}

/// Up to `limit` differences between `expected` and `actual`, as `path: expected != actual`.
pub fn differences(expected: &Value, actual: &Value, limit: usize) -> Vec<String> {
    let mut out = Vec::new();
    walk("", expected, actual, limit, &mut out);
    out
}

/// Depth-first comparison behind [`differences`].
fn walk(path: &str, expected: &Value, actual: &Value, limit: usize, out: &mut Vec<String>) {
    if out.len() >= limit || expected == actual {
        return;
    }
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, value) in e {
                walk(&format!("{path}/{key}"), value, a.get(key).unwrap_or(&Value::Null), limit, out);
            }
            for (key, value) in a {
                if !e.contains_key(key) {
                    walk(&format!("{path}/{key}"), &Value::Null, value, limit, out);
                }
            }
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (i, (e, a)) in e.iter().zip(a).enumerate() {
                walk(&format!("{path}/{i}"), e, a, limit, out);
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            out.push(format!("{path}: {} items expected, {} found", e.len(), a.len()));
            // Show the first item that differs, to tell a missing request from a changed one.
            if let Some(i) = (0..e.len().min(a.len())).find(|&i| e[i] != a[i]) {
                walk(&format!("{path}/{i}"), &e[i], &a[i], limit, out);
            }
        }
        _ => out.push(format!("{path}: {} != {}", short(expected), short(actual))),
    }
}

/// A value cut to a readable length.
fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 160 {
        format!("{}...", text.chars().take(160).collect::<String>())
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxied(headers: &[(&str, &str)], body: &str) -> ProxiedRequest {
        ProxiedRequest {
            method: "POST".into(),
            url: "https://example.com/a?id=0b5f2c9e-1d1b-4f5a-9a51-6c1a0c5b8e11".into(),
            headers: headers.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn masks_random_values_and_boundaries() {
        let r = request(&proxied(
            &[
                ("user-agent", "newman"),
                ("content-type", "multipart/form-data; boundary=--xyz123"),
                ("content-length", "99"),
                ("x-time", "1764496000"),
            ],
            "----xyz123\r\nx\r\n----xyz123--",
        ));
        assert_eq!(r["url"], "https://example.com/a?id=<uuid>");
        assert_eq!(
            r["headers"],
            json!([
                "content-type: multipart/form-data; boundary=<boundary>",
                "x-time: <timestamp>"
            ])
        );
        assert_eq!(r["body"], "--<boundary>\r\nx\r\n--<boundary>--");
    }

    #[test]
    fn differences_name_the_path() {
        let d = differences(&json!({"a": [1, 2]}), &json!({"a": [1, 3]}), 5);
        assert_eq!(d, vec!["/a/1: 2 != 3"]);
    }
}
