//! The snapshot file format: what one trial's response looks like on disk.
//!
//! As in insta, a metadata header between `---` lines comes first, then the contents, which is
//! what gets compared. The contents read like an HTTP exchange: the request line (method and URL,
//! secrets masked), the status, the selected response headers, a blank line and the body (JSON
//! pretty-printed in the server's key order, text as is, binary as a digest):
//!
//! ```text
//! ---
//! source: Salesforce OCI
//! trial: Inventory::Get availability#2
//! ---
//! POST https://example.test/inventory/availability?key=[redacted]
//! HTTP 200
//! content-type: application/json
//!
//! {
//!   "records": [
//!     {
//!       "effectiveDate": "[date]",
//!       "onHand": 12
//!     }
//!   ]
//! }
//! ```
//!
//! A binary body is stored as `<binary 1024 bytes sha256:9f86d0...>`; an empty body leaves out
//! the blank line too. Comparison ignores the header, `\r\n` versus `\n` and trailing newlines.

use percent_encoding::percent_decode_str;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::redact::{TrialRedactions, apply};
use crate::secret::Redactor;

/// What a snapshot records for one trial.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotContent {
    /// The request method.
    pub method: String,
    /// The request URL, secrets masked.
    pub url: String,
    /// The response status.
    pub status: u16,
    /// The selected response headers, names lowercase, in the configured order.
    pub headers: Vec<(String, String)>,
    /// The response body.
    pub body: SnapshotBody,
}

/// A response body as a snapshot stores it.
#[derive(Debug, Clone, PartialEq)]
pub enum SnapshotBody {
    /// A body that parses as JSON, redacted.
    Json(Value),
    /// A UTF-8 body that is not JSON.
    Text(String),
    /// Anything else, recorded by size and digest.
    Binary {
        /// Size in bytes.
        len: usize,
        /// Lowercase hex SHA-256.
        sha256: String,
    },
    /// No body at all.
    Empty,
}

/// The header of a snapshot file: where it comes from, not compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotMeta {
    /// The collection's name.
    pub collection: String,
    /// The trial name, e.g. `folder::sub::request#2`.
    pub trial: String,
}

/// The response of one trial, as the runner received it.
#[derive(Debug, Clone, Copy)]
pub struct ResponseParts<'a> {
    /// The request method.
    pub method: &'a str,
    /// The URL as sent.
    pub url: &'a str,
    /// The response status.
    pub status: u16,
    /// All response headers, in received order.
    pub headers: &'a [(String, String)],
    /// The raw response body (already decompressed).
    pub body: &'a [u8],
}

/// A snapshot file read back: its header (when it has one) and its comparable contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedSnapshot {
    /// The header, when the file starts with one.
    pub meta: Option<SnapshotMeta>,
    /// The contents, normalised for comparison (see [`normalize`]).
    pub contents: String,
}

impl SnapshotContent {
    /// Builds a snapshot from a response: the body becomes JSON when it parses as JSON, text when
    /// it is UTF-8 and a digest otherwise; then `redactions` apply to JSON bodies, and every secret
    /// that `redactor` knows is masked in the URL, the headers and the body.
    pub fn from_parts(
        parts: &ResponseParts<'_>,
        redactions: &TrialRedactions,
        redactor: &Redactor,
    ) -> Self {
        let headers = redactions
            .headers
            .iter()
            .flat_map(|wanted| {
                parts
                    .headers
                    .iter()
                    .filter(move |(name, _)| name.eq_ignore_ascii_case(wanted))
                    .map(move |(_, value)| (wanted.to_ascii_lowercase(), redactor.redact(value)))
            })
            .collect();
        Self {
            method: parts.method.to_string(),
            url: mask_uuid_segments(&mask_url(parts.url, redactor)),
            status: parts.status,
            headers,
            body: SnapshotBody::from_bytes(parts.body, redactions, redactor),
        }
    }

    /// The compared part of the file: request line, status, headers and body.
    pub fn contents(&self) -> String {
        let mut out = format!(
            "{} {}\nHTTP {}\n",
            one_line(&self.method),
            one_line(&self.url),
            self.status
        );
        for (name, value) in &self.headers {
            out.push_str(&format!("{}: {}\n", one_line(name), one_line(value)));
        }
        let body = match &self.body {
            SnapshotBody::Json(v) => {
                serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
            }
            SnapshotBody::Text(t) => t.clone(),
            SnapshotBody::Binary { len, sha256 } => format!("<binary {len} bytes sha256:{sha256}>"),
            SnapshotBody::Empty => String::new(),
        };
        if !body.is_empty() {
            out.push('\n');
            out.push_str(&body);
            if !body.ends_with('\n') {
                out.push('\n');
            }
        }
        out
    }

    /// The whole file text: header, then [`Self::contents`].
    pub fn render(&self, meta: &SnapshotMeta) -> String {
        format!(
            "---\nsource: {}\ntrial: {}\n---\n{}",
            one_line(&meta.collection),
            one_line(&meta.trial),
            self.contents()
        )
    }
}

impl SnapshotBody {
    fn from_bytes(body: &[u8], redactions: &TrialRedactions, redactor: &Redactor) -> Self {
        if body.is_empty() {
            return SnapshotBody::Empty;
        }
        if let Ok(mut value) = serde_json::from_slice::<Value>(body) {
            apply(&mut value, &redactions.rules);
            mask_json(&mut value, redactor);
            return SnapshotBody::Json(value);
        }
        match std::str::from_utf8(body) {
            Ok(text) => match ndjson_lines(text, redactions, redactor) {
                Some(lines) => SnapshotBody::Text(lines),
                None => SnapshotBody::Text(redactor.redact(text)),
            },
            Err(_) => SnapshotBody::Binary {
                len: body.len(),
                sha256: Sha256::digest(body)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect(),
            },
        }
    }
}

/// NDJSON (every non-blank line a JSON value, as OCI exports are): each line redacted by the
/// same selectors as a JSON body and written back compactly; `None` when the text is not NDJSON.
fn ndjson_lines(text: &str, redactions: &TrialRedactions, redactor: &Redactor) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let mut value: Value = serde_json::from_str(line).ok()?;
        if !value.is_object() {
            return None;
        }
        apply(&mut value, &redactions.rules);
        mask_json(&mut value, redactor);
        out.push_str(&value.to_string());
        out.push('\n');
    }
    (!out.is_empty()).then_some(out)
}

/// A UUID (8-4-4-4-12 hex digits).
fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Replaces path segments that are UUIDs (generated ids of reservations, imports, exports)
/// with `[uuid]`, so the request line of a snapshot is stable from run to run.
fn mask_uuid_segments(url: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (url, None),
    };
    let path: Vec<&str> = head
        .split('/')
        .map(|seg| if is_uuid(seg) { "[uuid]" } else { seg })
        .collect();
    let mut out = path.join("/");
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// Masks secrets in a URL, also where one appears percent-encoded (then the URL is kept decoded).
fn mask_url(url: &str, redactor: &Redactor) -> String {
    let masked = redactor.redact(url);
    let decoded = percent_decode_str(&masked).decode_utf8_lossy();
    let decoded_masked = redactor.redact(&decoded);
    if decoded_masked == decoded {
        masked
    } else {
        decoded_masked
    }
}

/// Masks secrets in every string and number of a JSON value (and keys holding a token).
fn mask_json(value: &mut Value, redactor: &Redactor) {
    redactor.redact_json(value);
}

/// Header lines are one line each; a stray line break would corrupt the format.
fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

/// Contents as compared: `\r\n` becomes `\n`, trailing newlines are dropped.
pub fn normalize(text: &str) -> String {
    text.replace("\r\n", "\n")
        .trim_end_matches('\n')
        .to_string()
}

/// Reads a snapshot file's text back. A file without a header is all contents.
pub fn parse_snapshot(text: &str) -> ParsedSnapshot {
    let text = text.replace("\r\n", "\n");
    let Some(rest) = text.strip_prefix("---\n") else {
        return ParsedSnapshot {
            meta: None,
            contents: normalize(&text),
        };
    };
    let (header, contents) = match rest.find("\n---\n") {
        Some(end) => (&rest[..end], &rest[end + 5..]),
        None => match rest.strip_suffix("\n---") {
            Some(header) => (header, ""),
            None => {
                return ParsedSnapshot {
                    meta: None,
                    contents: normalize(&text),
                };
            }
        },
    };
    let field = |key: &str| {
        header
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap_or_default()
            .to_string()
    };
    ParsedSnapshot {
        meta: Some(SnapshotMeta {
            collection: field("source: "),
            trial: field("trial: "),
        }),
        contents: normalize(contents),
    }
}

#[cfg(test)]
mod uuid_and_ndjson_tests {
    use super::*;

    #[test]
    fn uuid_path_segments_are_masked_and_other_segments_kept() {
        assert_eq!(
            mask_uuid_segments(
                "https://h/docs/bb73f2d5-0b84-4711-897b-8e8e7b4a18bf/x?id=bb73f2d5-0b84-4711-897b-8e8e7b4a18bf"
            ),
            "https://h/docs/[uuid]/x?id=bb73f2d5-0b84-4711-897b-8e8e7b4a18bf"
        );
        assert_eq!(
            mask_uuid_segments("https://h/Warehouse01"),
            "https://h/Warehouse01"
        );
    }

    #[test]
    fn ndjson_lines_are_redacted_one_by_one() {
        let rules = TrialRedactions {
            rules: vec![crate::snapshot::Redaction {
                selector: crate::snapshot::parse_selector(".deltaToken").unwrap(),
                replacement: "[token]".into(),
            }],
            headers: Vec::new(),
        };
        let text = "{\"a\":1}\n{\"deltaToken\":\"abc\"}\n";
        assert_eq!(
            ndjson_lines(text, &rules, &Redactor::new()).unwrap(),
            "{\"a\":1}\n{\"deltaToken\":\"[token]\"}\n"
        );
        assert!(ndjson_lines("plain text", &rules, &Redactor::new()).is_none());
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::snapshot::redact::RedactionConfig;

    fn meta() -> SnapshotMeta {
        SnapshotMeta {
            collection: "Demo".to_string(),
            trial: "Folder::Get#2".to_string(),
        }
    }

    fn build(body: &[u8], headers: &[(String, String)], redactor: &Redactor) -> SnapshotContent {
        let parts = ResponseParts {
            method: "GET",
            url: "https://api.test/items?x=1",
            status: 200,
            headers,
            body,
        };
        let trial =
            RedactionConfig::default().for_trial(&["Folder".to_string(), "Get".to_string()]);
        SnapshotContent::from_parts(&parts, &trial, redactor)
    }

    #[test]
    fn renders_the_documented_layout() {
        let headers = vec![
            ("Date".to_string(), "today".to_string()),
            ("Content-Type".to_string(), "application/json".to_string()),
        ];
        let content = build(br#"{"b":1,"a":[true,null]}"#, &headers, &Redactor::new());
        assert_eq!(
            content.render(&meta()),
            "---\nsource: Demo\ntrial: Folder::Get#2\n---\nGET https://api.test/items?x=1\nHTTP 200\n\
             content-type: application/json\n\n{\n  \"b\": 1,\n  \"a\": [\n    true,\n    null\n  ]\n}\n"
        );
    }

    #[test]
    fn bodies_by_kind() {
        let r = Redactor::new();
        assert_eq!(build(b"", &[], &r).body, SnapshotBody::Empty);
        assert_eq!(
            build(b"plain text", &[], &r).body,
            SnapshotBody::Text("plain text".into())
        );
        let binary = build(&[0xff, 0xfe, 0x00], &[], &r);
        let SnapshotBody::Binary { len, sha256 } = &binary.body else {
            panic!("not binary: {binary:?}");
        };
        assert_eq!(*len, 3);
        assert_eq!(sha256.len(), 64);
        assert!(
            binary
                .contents()
                .ends_with(&format!("\n<binary 3 bytes sha256:{sha256}>\n"))
        );
        assert_eq!(
            build(b"", &[], &r).contents(),
            "GET https://api.test/items?x=1\nHTTP 200\n"
        );
    }

    #[test]
    fn secrets_are_masked_everywhere() {
        let r = Redactor::new();
        r.add("s3cr3t-token");
        r.add("98765432");
        let parts = ResponseParts {
            method: "POST",
            url: "https://api.test/x?token=s3cr3t%2Dtoken&k=s3cr3t-token",
            status: 200,
            headers: &[("content-type".to_string(), "text/s3cr3t-token".to_string())],
            body: br#"{"s3cr3t-token": "Bearer s3cr3t-token", "n": 98765432, "access_token": "other"}"#,
        };
        let trial = RedactionConfig::default().for_trial(&["R".to_string()]);
        let text = SnapshotContent::from_parts(&parts, &trial, &r).render(&meta());
        assert!(
            !text.contains("s3cr3t") && !text.contains("98765432"),
            "{text}"
        );
        assert!(
            !text.contains("other"),
            "built-in access_token redaction: {text}"
        );
        assert!(text.contains("token=[redacted]&k=[redacted]"), "{text}");
        assert!(
            text.contains("\"[redacted]\": \"Bearer [redacted]\""),
            "{text}"
        );
    }

    #[test]
    fn token_answers_random_in_production_are_masked_by_default() {
        let parts = ResponseParts {
            method: "POST",
            url: "https://login.test/services/oauth2/token",
            status: 200,
            headers: &[],
            body: br#"{"id": "https://x/id/00D/005", "issued_at": "1732960000000", "signature": "c2lnbmF0dXJl"}"#,
        };
        let trial = RedactionConfig::default().for_trial(&["R".to_string()]);
        let text = SnapshotContent::from_parts(&parts, &trial, &Redactor::new()).render(&meta());
        assert!(text.contains("\"issued_at\": \"[timestamp]\""), "{text}");
        assert!(text.contains("\"signature\": \"[redacted]\""), "{text}");
        assert!(text.contains("https://x/id/00D/005"), "{text}");
    }

    #[test]
    fn parse_gives_back_the_contents() {
        let content = build(br#"{"a":"b"}"#, &[], &Redactor::new());
        let text = content.render(&meta());
        let parsed = parse_snapshot(&text.replace('\n', "\r\n"));
        assert_eq!(parsed.meta, Some(meta()));
        assert_eq!(parsed.contents, normalize(&content.contents()));
        let bare = parse_snapshot("GET x\nHTTP 200\n\n");
        assert_eq!(bare.meta, None);
        assert_eq!(bare.contents, "GET x\nHTTP 200");
    }

    #[test]
    fn json_keeps_key_order_and_applies_rules() {
        let parts = ResponseParts {
            method: "GET",
            url: "u",
            status: 201,
            headers: &[],
            body: br#"{"z":1,"when":"2024-01-01","a":2}"#,
        };
        let cfg = super::super::redact::parse_config(
            r#"{"redactions": {".when": "[date]"}}"#,
            std::path::Path::new("c.json"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let c =
            SnapshotContent::from_parts(&parts, &cfg.for_trial(&["R".into()]), &Redactor::new());
        assert_eq!(
            c.body,
            SnapshotBody::Json(json!({"z": 1, "when": "[date]", "a": 2}))
        );
        assert!(
            c.contents()
                .contains("\"z\": 1,\n  \"when\": \"[date]\",\n  \"a\": 2")
        );
    }
}
