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
const IGNORED_HEADERS: [&str; 4] = [
    "user-agent",
    "postman-token",
    "connection",
    "proxy-connection",
];

/// `{{$guid}}` and friends (also inside longer tokens such as `<uuid>_4F7346`).
static UUID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
        .expect("valid regex")
});

/// The current time as runners write it: ISO 8601 (`{{$isoTimestamp}}`, `toISOString()`), the
/// compact forms of AWS (`20261130T095957Z`) and EdgeGrid (`20261130T09:59:58+0000`), and Unix
/// times in seconds or milliseconds from 2001 to 2033 (`{{$timestamp}}`, `Date.now()`).
static TIMESTAMP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z",
        r"|\b\d{8}T\d{6}Z|\b\d{8}T\d\d:\d\d:\d\d\+0000",
        r"|\b1[0-9]\d{8}(\d{3})?\b",
    ))
    .expect("valid regex")
});

/// Values an auth scheme derives from the current time or a fresh nonce (signatures, generated
/// nonces, the date in an AWS credential scope): masked when the same text holds a masked time,
/// and in an AWS Signature V4 `Authorization` header (its time is in `X-Amz-Date`).
static TIME_DERIVED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r#"(?P<k>oauth_signature=|oauth_nonce=|\bmac=|Signature=|X-Amz-Signature=|Credential=[^/\s]+/)"#,
        r#"(?P<v>"[^"]*"|[^",&;/\s]+)"#,
    ))
    .expect("valid regex")
});

/// Akamai EdgeGrid's signature: base64, so it may hold `/` and `+`.
static EDGEGRID_DERIVED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?P<k>;signature=)(?P<v>[^;"\s]+)"#).expect("valid regex"));

/// Digest auth's client nonce and the response computed from it.
static DIGEST_DERIVED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?P<k>\b(?:cnonce|response)=)(?P<v>"[^"]*"|[^",\s]+)"#).expect("valid regex")
});

/// `boundary=...` in a multipart content type.
static BOUNDARY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)boundary="?([^";,\s]+)"?"#).expect("valid regex"));

/// Masks the values that are random by design, and what auth schemes derive from them.
fn mask(text: &str) -> String {
    let text = UUID.replace_all(text, "<uuid>");
    let mut text = TIMESTAMP.replace_all(&text, "<timestamp>").into_owned();
    if text.contains("<timestamp>") || text.contains("AWS4-HMAC-SHA256 Credential=") {
        text = TIME_DERIVED
            .replace_all(&text, "${k}<derived>")
            .into_owned();
        text = EDGEGRID_DERIVED
            .replace_all(&text, "${k}<derived>")
            .into_owned();
    }
    if text.contains("cnonce=") {
        text = DIGEST_DERIVED
            .replace_all(&text, "${k}<derived>")
            .into_owned();
    }
    text
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
        .map(|(k, v)| (mask(k), mask(&unbound(v))))
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
    let executions = report["run"]["executions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
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
pub fn record(
    exit_code: Option<i32>,
    requests: &[ProxiedRequest],
    report: Option<&Value>,
) -> Value {
    json!({
        "exit_code": exit_code,
        "report_written": report.is_some(),
        "requests": requests.iter().map(request).collect::<Vec<_>>(),
        "executions": report.map(executions).unwrap_or(Value::Array(Vec::new())),
    })
}

/// `value` with every string masked again: goldens recorded before a masking rule was added
/// compare under the current rules without a new recording.
pub fn remask(value: &Value) -> Value {
    match value {
        Value::String(text) => Value::String(mask(text)),
        Value::Array(items) => Value::Array(items.iter().map(remask).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), remask(v))).collect())
        }
        other => other.clone(),
    }
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
                walk(
                    &format!("{path}/{key}"),
                    value,
                    a.get(key).unwrap_or(&Value::Null),
                    limit,
                    out,
                );
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
            out.push(format!(
                "{path}: {} items expected, {} found",
                e.len(),
                a.len()
            ));
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

use checks::{
    differences_name_the_path, masks_random_values_and_boundaries,
    masks_what_auth_derives_from_the_time,
};

/// The masking rules' own tests, as trials of the harness in `main.rs`.
pub fn trials() -> Vec<libtest_mimic::Trial> {
    use libtest_mimic::Trial;
    let check =
        |f: fn()| move || std::panic::catch_unwind(f).map_err(|_| "assertion failed".into());
    vec![
        Trial::test(
            "golden::masks_random_values_and_boundaries",
            check(masks_random_values_and_boundaries),
        ),
        Trial::test(
            "golden::masks_what_auth_derives_from_the_time",
            check(masks_what_auth_derives_from_the_time),
        ),
        Trial::test(
            "golden::differences_name_the_path",
            check(differences_name_the_path),
        ),
    ]
}

mod checks {
    use super::*;

    fn proxied(headers: &[(&str, &str)], body: &str) -> ProxiedRequest {
        ProxiedRequest {
            method: "POST".into(),
            url: "https://example.com/a?id=0b5f2c9e-1d1b-4f5a-9a51-6c1a0c5b8e11".into(),
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    pub fn masks_random_values_and_boundaries() {
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

    pub fn masks_what_auth_derives_from_the_time() {
        assert_eq!(
            mask(r#"OAuth oauth_timestamp="1764496000",oauth_nonce="ab",oauth_signature="x%3D""#),
            r#"OAuth oauth_timestamp="<timestamp>",oauth_nonce=<derived>,oauth_signature=<derived>"#
        );
        assert_eq!(
            mask(
                "AWS4-HMAC-SHA256 Credential=key/20261130/eu/s/aws4_request, Signature=9e28 20261130T095524Z"
            ),
            "AWS4-HMAC-SHA256 Credential=key/<derived>/eu/s/aws4_request, Signature=<derived> <timestamp>"
        );
        assert_eq!(
            mask("AWS4-HMAC-SHA256 Credential=key/20261130/eu/s/aws4_request, Signature=9e28"),
            "AWS4-HMAC-SHA256 Credential=key/<derived>/eu/s/aws4_request, Signature=<derived>"
        );
        assert_eq!(
            mask(
                "EG1-HMAC-SHA256 client_token=c;timestamp=20261130T09:55:24+0000;signature=a/b+c="
            ),
            "EG1-HMAC-SHA256 client_token=c;timestamp=<timestamp>;signature=<derived>"
        );
        // A fixed timestamp and nonce leave the signature to compare.
        let fixed = r#"OAuth oauth_timestamp="ts",oauth_signature="x""#;
        assert_eq!(mask(fixed), fixed);
    }

    pub fn differences_name_the_path() {
        let d = differences(&json!({"a": [1, 2]}), &json!({"a": [1, 3]}), 5);
        assert_eq!(d, vec!["/a/1: 2 != 3"]);
    }
}
