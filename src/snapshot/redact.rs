//! Redactions: the per-collection config file and replacing selected JSON values.
//!
//! The config lives beside the collection, named after it: `oci.postman_collection.json` (or
//! `oci.json`) pairs with `oci.snapman.json`. Every key is optional:
//!
//! ```json
//! {
//!   "redactions": {
//!     ".records[].effectiveDate": "[date]",
//!     ".**.reservationTime": "[time]"
//!   },
//!   "headers": ["content-type", "location"],
//!   "requests": {
//!     "Inventory::Get availability": { "redactions": { ".**.id": "[id]" } },
//!     "Get token": { "redactions": { ".issued_at": "[timestamp]" } }
//!   }
//! }
//! ```
//!
//! - `redactions` maps a selector (see [`super::Selector`]) to the text that replaces each value
//!   it selects, in every request of the collection.
//! - `headers` lists the response headers a snapshot records (default: `content-type`).
//! - `requests` adds redactions for one request, keyed by its trial path (`Folder::Request`) or
//!   by its bare name.
//!
//! Built in, before any config: every value under a key that commonly holds a secret
//! (`access_token`, `client_secret`, `password`, ...) becomes [`crate::secret::MASK`].

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use super::error::SnapshotError;
use super::selector::{PathItem, Selector, parse_selector};
use crate::secret::MASK;

/// The header a snapshot records when no config names any.
pub const DEFAULT_HEADER: &str = "content-type";

/// Keys whose values are masked in every body, at any depth.
const SECRET_KEYS: &[&str] = &[
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "client_assertion",
    "assertion",
    "password",
    "private_key",
    "api_key",
    "apiKey",
    "signature",
];

/// Keys whose values change on every call even against the same org (a token response's
/// `issued_at`): replaced by a placeholder in every body, at any depth.
const VOLATILE_KEYS: &[(&str, &str)] = &[("issued_at", "[timestamp]")];

/// One redaction: every value the selector selects is replaced by `replacement`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redaction {
    /// Which values.
    pub selector: Selector,
    /// The text stored instead, such as `[date]`.
    pub replacement: String,
}

/// The redaction config of a collection (see the module docs for the file format).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedactionConfig {
    /// Redactions for every request.
    pub rules: Vec<Redaction>,
    /// Response headers to record, lowercase.
    pub headers: Vec<String>,
    /// Extra redactions by trial path (`Folder::Request`) or request name.
    pub per_request: BTreeMap<String, Vec<Redaction>>,
}

impl Default for RedactionConfig {
    fn default() -> Self {
        Self {
            rules: Vec::new(),
            headers: vec![DEFAULT_HEADER.to_string()],
            per_request: BTreeMap::new(),
        }
    }
}

/// The redactions and headers that apply to one trial, built-in ones included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrialRedactions {
    /// Per-request rules first, then collection rules, then the built-in secret keys.
    pub rules: Vec<Redaction>,
    /// Response headers to record, lowercase.
    pub headers: Vec<String>,
}

impl RedactionConfig {
    /// What applies to the trial at `trial_path` (folders, then the request name).
    pub fn for_trial(&self, trial_path: &[String]) -> TrialRedactions {
        let mut keys = vec![trial_path.join("::")];
        if let [_, .., request] = trial_path {
            keys.push(request.clone());
        }
        let mut rules: Vec<Redaction> = keys
            .iter()
            .filter_map(|key| self.per_request.get(key))
            .flatten()
            .cloned()
            .collect();
        rules.extend(self.rules.iter().cloned());
        rules.extend(builtin_rules());
        TrialRedactions {
            rules,
            headers: self.headers.clone(),
        }
    }
}

fn builtin_rules() -> impl Iterator<Item = Redaction> {
    SECRET_KEYS
        .iter()
        .map(|key| (*key, MASK))
        .chain(VOLATILE_KEYS.iter().copied())
        .filter_map(|(key, replacement)| {
            parse_selector(&format!(".**.{key}"))
                .ok()
                .map(|selector| Redaction {
                    selector,
                    replacement: replacement.to_string(),
                })
        })
}

/// The config file that belongs to a collection: `<stem>.snapman.json` in the same folder, where
/// the stem drops `.json` and then `.postman_collection`.
pub fn config_path_for(collection: &Path) -> PathBuf {
    let name = collection
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_suffix(".json").unwrap_or(&name);
    let stem = stem.strip_suffix(".postman_collection").unwrap_or(stem);
    collection.with_file_name(format!("{stem}.snapman.json"))
}

/// Loads the config beside `collection`, or the default when there is none.
pub fn load_config_for(collection: &Path) -> Result<RedactionConfig, SnapshotError> {
    let path = config_path_for(collection);
    match std::fs::read_to_string(&path) {
        Ok(text) => parse_config(&text, &path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(RedactionConfig::default()),
        Err(source) => Err(SnapshotError::Read { path, source }),
    }
}

/// Loads a redaction config file.
pub fn load_config(path: &Path) -> Result<RedactionConfig, SnapshotError> {
    let text = std::fs::read_to_string(path).map_err(|source| SnapshotError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_config(&text, path)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    redactions: serde_json::Map<String, Value>,
    headers: Option<Vec<String>>,
    #[serde(default)]
    requests: serde_json::Map<String, Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequest {
    #[serde(default)]
    redactions: serde_json::Map<String, Value>,
}

/// Parses config text; `path` is only used in error messages.
pub fn parse_config(text: &str, path: &Path) -> Result<RedactionConfig, SnapshotError> {
    let syntax = |e: serde_json::Error| SnapshotError::ConfigSyntax {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    };
    let raw: RawConfig = serde_json::from_str(text).map_err(syntax)?;
    let rules = parse_rules(&raw.redactions, path, "redactions")?;
    let mut per_request = BTreeMap::new();
    for (name, value) in raw.requests {
        let location = format!("requests.{}", quoted(&name));
        let request: RawRequest =
            serde_json::from_value(value).map_err(|e| SnapshotError::Config {
                path: path.to_path_buf(),
                location: location.clone(),
                message: e.to_string(),
            })?;
        let list = parse_rules(&request.redactions, path, &format!("{location}.redactions"))?;
        per_request.insert(name, list);
    }
    let headers = raw.headers.map_or_else(
        || vec![DEFAULT_HEADER.to_string()],
        |h| h.iter().map(|n| n.to_ascii_lowercase()).collect(),
    );
    Ok(RedactionConfig {
        rules,
        headers,
        per_request,
    })
}

fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| s.to_string())
}

fn parse_rules(
    map: &serde_json::Map<String, Value>,
    path: &Path,
    location: &str,
) -> Result<Vec<Redaction>, SnapshotError> {
    map.iter()
        .map(|(selector, replacement)| {
            let error = |message: String| SnapshotError::Config {
                path: path.to_path_buf(),
                location: format!("{location}.{}", quoted(selector)),
                message,
            };
            let selector = parse_selector(selector).map_err(|e| error(e.to_string()))?;
            let Value::String(replacement) = replacement else {
                return Err(error("the replacement must be a string".to_string()));
            };
            Ok(Redaction {
                selector,
                replacement: replacement.clone(),
            })
        })
        .collect()
}

/// Replaces every value of `value` that a rule selects; the first matching rule wins, and a
/// replaced value is not searched further.
pub fn apply(value: &mut Value, rules: &[Redaction]) {
    let mut path = Vec::new();
    walk(value, rules, &mut path);
}

fn walk(value: &mut Value, rules: &[Redaction], path: &mut Vec<PathItem>) {
    if let Some(rule) = rules.iter().find(|r| r.selector.is_match(path)) {
        *value = Value::String(rule.replacement.clone());
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                path.push(PathItem::Key(key.clone()));
                walk(child, rules, path);
                path.pop();
            }
        }
        Value::Array(items) => {
            let len = items.len();
            for (index, child) in items.iter_mut().enumerate() {
                path.push(PathItem::Index { index, len });
                walk(child, rules, path);
                path.pop();
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rules(pairs: &[(&str, &str)]) -> Vec<Redaction> {
        pairs
            .iter()
            .map(|(s, r)| Redaction {
                selector: parse_selector(s).unwrap_or_else(|e| panic!("{e}")),
                replacement: (*r).to_string(),
            })
            .collect()
    }

    #[test]
    fn apply_replaces_selected_values_only() {
        let mut v = json!({
            "a": {"b": 1, "c": 2},
            "key with space": "x",
            "list": [{"x": 1, "y": 1}, {"x": 2, "y": 2}],
            "nums": [0, 1, 2, 3, 4],
            "deep": {"x": 1, "more": [{"x": 2}, {"inner": {"x": 3}}]}
        });
        apply(
            &mut v,
            &rules(&[
                (".a.b", "[b]"),
                ("[\"key with space\"]", "[space]"),
                (".list[].x", "[x]"),
                (".nums[1:3]", "[n]"),
                (".deep.**.x", "[deep]"),
            ]),
        );
        assert_eq!(
            v,
            json!({
                "a": {"b": "[b]", "c": 2},
                "key with space": "[space]",
                "list": [{"x": "[x]", "y": 1}, {"x": "[x]", "y": 2}],
                "nums": [0, "[n]", "[n]", 3, 4],
                "deep": {"x": "[deep]", "more": [{"x": "[deep]"}, {"inner": {"x": "[deep]"}}]}
            })
        );
    }

    #[test]
    fn whole_lists_and_wildcards() {
        let mut v = json!({"list": [1, 2], "o": {"p": 1, "q": 2}});
        apply(&mut v, &rules(&[(".list[]", "[i]"), (".o.*", "[w]")]));
        assert_eq!(
            v,
            json!({"list": ["[i]", "[i]"], "o": {"p": "[w]", "q": "[w]"}})
        );
    }

    #[test]
    fn config_parses_and_merges_per_request() {
        let text = r#"{
            "redactions": {".records[].effectiveDate": "[date]"},
            "headers": ["Content-Type", "Location"],
            "requests": {
                "Folder::Get": {"redactions": {".id": "[id]"}},
                "Other": {"redactions": {".other": "[o]"}}
            }
        }"#;
        let cfg = parse_config(text, Path::new("c.snapman.json")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cfg.headers, vec!["content-type", "location"]);
        let path = ["Folder".to_string(), "Get".to_string()];
        let trial = cfg.for_trial(&path);
        let shown: Vec<String> = trial.rules.iter().map(|r| r.selector.to_string()).collect();
        assert_eq!(shown[..2], [".id", ".records[].effectiveDate"]);
        assert!(shown.contains(&".**.access_token".to_string()));
        let other = cfg.for_trial(&["Other".to_string()]);
        assert_eq!(other.rules[0].selector.to_string(), ".other");
        assert_eq!(
            other.rules[1].selector.to_string(),
            ".records[].effectiveDate"
        );
    }

    #[test]
    fn config_errors_name_file_and_place() {
        let p = Path::new("c.snapman.json");
        let bad_selector = parse_config(r#"{"redactions": {".a[": "x"}}"#, p)
            .expect_err("bad selector")
            .to_string();
        assert!(
            bad_selector.starts_with("invalid redaction config c.snapman.json, redactions.\".a[\": invalid selector `.a[` at column 4"),
            "{bad_selector}"
        );
        let syntax = parse_config("{\n  \"redactions\": [}", p).expect_err("bad json");
        assert!(
            matches!(syntax, SnapshotError::ConfigSyntax { line: 2, .. }),
            "{syntax}"
        );
        let unknown = parse_config(r#"{"redaction": {}}"#, p).expect_err("typo");
        assert!(
            unknown.to_string().contains("unknown field `redaction`"),
            "{unknown}"
        );
        let not_string = parse_config(r#"{"requests": {"R": {"redactions": {".a": 1}}}}"#, p)
            .expect_err("number");
        assert!(
            not_string
                .to_string()
                .contains("requests.\"R\".redactions.\".a\": the replacement must be a string"),
            "{not_string}"
        );
    }

    #[test]
    fn config_path_is_beside_the_collection() {
        assert_eq!(
            config_path_for(Path::new("collections/oci.postman_collection.json")),
            Path::new("collections/oci.snapman.json")
        );
        assert_eq!(
            config_path_for(Path::new("x/api.json")),
            Path::new("x/api.snapman.json")
        );
    }
}
