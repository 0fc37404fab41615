//! Typed deserialization of parsed JSON with errors placed back in the source text.
//!
//! serde reports a type error with a JSON path (`item[2].request.url`, via
//! `serde_path_to_error`); this module finds that path's byte offset in the original text, names
//! items on the way (`item[2] "Get token" › request.url`) and digs into untagged enums, whose own
//! error ("did not match any variant") would otherwise hide the real problem.

use std::fmt::Write as _;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::model::{Header, Request, Url};
use super::source::{SourceError, describe};

/// One step of a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// An object member.
    Key(String),
    /// An array element.
    Index(usize),
}

impl Segment {
    /// A key segment.
    pub fn key(k: &str) -> Segment {
        Segment::Key(k.to_string())
    }
}

/// Deserializes `value` (found at `prefix` inside the file's JSON) into `T`, or returns an error
/// positioned at the offending value in `text`.
pub fn deserialize_at<T: DeserializeOwned>(
    value: &Value,
    prefix: &[Segment],
    root: &Value,
    text: &str,
    path: &Path,
) -> Result<T, SourceError> {
    let (sub, message) = match typed::<T>(value) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    let mut at: Vec<Segment> = prefix.to_vec();
    at.extend(sub);
    let (at, message) = refine(root, at, message);
    Err(error_at(root, text, path, &at, message))
}

/// An error at JSON path `at`, with the item path as a note.
pub fn error_at(
    root: &Value,
    text: &str,
    path: &Path,
    at: &[Segment],
    message: impl Into<String>,
) -> SourceError {
    let offset = locate(text, at).unwrap_or(0);
    let err = SourceError::at_offset(path, text, offset, message);
    if at.is_empty() {
        return err;
    }
    let named = item_path(root, at);
    let plain = json_path(at);
    if named == plain {
        err.with_note(format!("at {plain}"))
    } else {
        err.with_note(format!("at {named} ({plain})"))
    }
}

fn typed<T: DeserializeOwned>(value: &Value) -> Result<T, (Vec<Segment>, String)> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let segments = e
            .path()
            .iter()
            .filter_map(|s| match s {
                serde_path_to_error::Segment::Seq { index } => Some(Segment::Index(*index)),
                serde_path_to_error::Segment::Map { key } => Some(Segment::Key(key.clone())),
                _ => None,
            })
            .collect();
        (segments, e.into_inner().to_string())
    })
}

/// Replaces "did not match any variant of untagged enum X" by the error of the variant the
/// value was meant to be, repeatedly, so that the path ends at the real culprit.
fn refine(root: &Value, mut at: Vec<Segment>, mut message: String) -> (Vec<Segment>, String) {
    loop {
        let Some(rest) = message.split("untagged enum ").nth(1) else {
            return (at, message);
        };
        let enum_name = rest.trim().to_string();
        let Some(value) = value_at(root, &at) else {
            return (at, message);
        };
        let found = describe(value);
        let sub = match (enum_name.as_str(), value) {
            ("RequestField", Value::Object(_)) => typed::<Request>(value).err(),
            ("RequestField", _) => {
                return (
                    at,
                    format!("expected a URL string or a request object, found {found}"),
                );
            }
            ("UrlField", Value::Object(_)) => typed::<Url>(value).err(),
            ("UrlField", _) => {
                return (
                    at,
                    format!("expected a URL string or a URL object, found {found}"),
                );
            }
            ("HeaderList", Value::Array(_)) => typed::<Vec<Header>>(value).err(),
            ("HeaderList", _) => {
                return (
                    at,
                    format!("expected a list of headers or a string, found {found}"),
                );
            }
            ("StringOrList", Value::Array(_)) => typed::<Vec<String>>(value).err(),
            ("StringOrList", _) => {
                return (
                    at,
                    format!("expected a string or a list of strings, found {found}"),
                );
            }
            _ => None,
        };
        let Some((sub, sub_message)) = sub else {
            return (at, message);
        };
        at.extend(sub);
        message = sub_message;
    }
}

/// The value at `at` inside `root`.
pub fn value_at<'v>(root: &'v Value, at: &[Segment]) -> Option<&'v Value> {
    at.iter().try_fold(root, |v, seg| match seg {
        Segment::Key(k) => v.get(k),
        Segment::Index(i) => v.get(i),
    })
}

/// `item[2].request.url`.
pub fn json_path(at: &[Segment]) -> String {
    let mut out = String::new();
    for seg in at {
        match seg {
            Segment::Key(k) if out.is_empty() => out.push_str(k),
            Segment::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Segment::Index(i) => {
                let _ = write!(out, "[{i}]");
            }
        }
    }
    out
}

/// `item[2] "Get token" › request.url`: the path with every `item[i]` named.
pub fn item_path(root: &Value, at: &[Segment]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Vec<Segment> = Vec::new();
    let mut value = Some(root);
    let mut k = 0;
    while k < at.len() {
        match (&at[k], at.get(k + 1)) {
            (Segment::Key(key), Some(Segment::Index(i))) if key == "item" => {
                value = value.and_then(|v| v.get("item")).and_then(|v| v.get(i));
                if !current.is_empty() {
                    parts.push(json_path(&std::mem::take(&mut current)));
                }
                let mut part = format!("item[{i}]");
                if let Some(name) = value.and_then(|v| v.get("name")).and_then(Value::as_str) {
                    let _ = write!(part, " {name:?}");
                }
                parts.push(part);
                k += 2;
            }
            (seg, _) => {
                value = value.and_then(|v| value_at(v, std::slice::from_ref(seg)));
                current.push(seg.clone());
                k += 1;
            }
        }
    }
    if !current.is_empty() {
        parts.push(json_path(&current));
    }
    parts.join(" › ")
}

/// The byte offset in `text` (valid JSON) where the value at `at` starts.
pub fn locate(text: &str, at: &[Segment]) -> Option<usize> {
    let b = text.as_bytes();
    let mut i = skip_ws(b, 0);
    for seg in at {
        match seg {
            Segment::Key(want) => {
                if b.get(i) != Some(&b'{') {
                    return None;
                }
                i += 1;
                loop {
                    i = skip_ws(b, i);
                    if b.get(i) != Some(&b'"') {
                        return None;
                    }
                    let end = skip_string(b, i)?;
                    let key: String = serde_json::from_str(&text[i..end]).ok()?;
                    i = skip_ws(b, end);
                    if b.get(i) != Some(&b':') {
                        return None;
                    }
                    i = skip_ws(b, i + 1);
                    if &key == want {
                        break;
                    }
                    i = skip_ws(b, skip_value(b, i)?);
                    if b.get(i) == Some(&b',') {
                        i += 1;
                    }
                }
            }
            Segment::Index(want) => {
                if b.get(i) != Some(&b'[') {
                    return None;
                }
                i = skip_ws(b, i + 1);
                for _ in 0..*want {
                    if b.get(i) == Some(&b']') {
                        return None;
                    }
                    i = skip_ws(b, skip_value(b, i)?);
                    if b.get(i) == Some(&b',') {
                        i = skip_ws(b, i + 1);
                    }
                }
                if b.get(i) == Some(&b']') {
                    return None;
                }
            }
        }
    }
    Some(i)
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// `i` is at an opening quote; returns the index after the closing one.
fn skip_string(b: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    loop {
        match b.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
}

/// `i` is at the start of a value; returns the index after it.
fn skip_value(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'"' => skip_string(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match b.get(j)? {
                    b'"' => j = skip_string(b, j)?,
                    b'{' | b'[' => {
                        depth += 1;
                        j += 1;
                    }
                    b'}' | b']' => {
                        depth -= 1;
                        j += 1;
                        if depth == 0 {
                            return Some(j);
                        }
                    }
                    _ => j += 1,
                }
            }
        }
        _ => {
            let mut j = i;
            while b
                .get(j)
                .is_some_and(|c| !matches!(c, b',' | b'}' | b']') && !c.is_ascii_whitespace())
            {
                j += 1;
            }
            Some(j)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collection::model::Collection;

    const TEXT: &str = r#"{
  "info": {"name": "x"},
  "item": [
    {"name": "a, \"b\"", "request": "http://a"},
    {"name": "Get token", "item": [
      {"name": "Login", "request": {"url": 7}}
    ]}
  ]
}"#;

    fn path(segs: &[&str]) -> Vec<Segment> {
        segs.iter()
            .map(|s| match s.parse() {
                Ok(i) => Segment::Index(i),
                Err(_) => Segment::key(s),
            })
            .collect()
    }

    #[test]
    fn locates_values_by_path() {
        let at = locate(TEXT, &path(&["item", "1", "item", "0", "request", "url"])).unwrap();
        assert_eq!(&TEXT[at..at + 1], "7");
        let at = locate(TEXT, &path(&["item", "0", "request"])).unwrap();
        assert!(TEXT[at..].starts_with("\"http://a\""));
        assert_eq!(locate(TEXT, &path(&["item", "5"])), None);
        assert_eq!(locate(TEXT, &path(&["nope"])), None);
    }

    #[test]
    fn names_items_along_the_path() {
        let root: Value = serde_json::from_str(TEXT).unwrap();
        let at = path(&["item", "1", "item", "0", "request", "url"]);
        assert_eq!(
            item_path(&root, &at),
            "item[1] \"Get token\" › item[0] \"Login\" › request.url"
        );
        assert_eq!(json_path(&at), "item[1].item[0].request.url");
    }

    #[test]
    fn digs_into_untagged_enums_for_the_real_error() {
        let root: Value = serde_json::from_str(TEXT).unwrap();
        let err =
            deserialize_at::<Collection>(&root, &[], &root, TEXT, Path::new("c.json")).unwrap_err();
        let shown = err.to_string();
        assert!(
            shown.starts_with(
                "c.json:6:44: expected a URL string or a URL object, found a number (7)"
            ),
            "{shown}"
        );
        assert!(
            shown.contains("item[1] \"Get token\" › item[0] \"Login\" › request.url"),
            "{shown}"
        );
    }
}
