//! Loading collections, environments and globals from files, with errors that point at the source.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::locate::{Segment, deserialize_at, error_at, locate};
use super::model::{Collection, Variable, VariableFile};
use super::source::{LoadError, SourceError, describe, parse_json, read_source};

/// What a v1 collection gets told.
const V1_MESSAGE: &str =
    "collection format v1 is not supported; export it as v2.1 from Postman (File > Export)";

/// Collection format version from `info.schema`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaVersion {
    /// `.../collection/v2.0.0/collection.json`: auth parameters as objects.
    V2_0,
    /// `.../collection/v2.1.0/collection.json`, and the default for a missing or unknown schema.
    V2_1,
}

impl SchemaVersion {
    /// The version named by a schema URL; anything unrecognised counts as v2.1, as in Newman.
    pub fn from_schema(schema: Option<&str>) -> SchemaVersion {
        match schema {
            Some(s) if s.contains("v2.0.0") => SchemaVersion::V2_0,
            _ => SchemaVersion::V2_1,
        }
    }
}

/// A collection as loaded from a file.
#[derive(Debug, Clone)]
pub struct LoadedCollection {
    /// The file it came from.
    pub path: PathBuf,
    /// Its format version.
    pub version: SchemaVersion,
    /// The typed model.
    pub collection: Collection,
    /// The file as parsed (the inner object when it was wrapped as `{"collection": {...}}`), for
    /// `--export-collection` fidelity checks.
    pub raw: Value,
    /// Notes on the input that do not stop the run (e.g. an unknown schema version).
    pub warnings: Vec<String>,
}

/// Reads and parses a collection file (v2.0 or v2.1; v1 is refused with advice).
pub fn load_collection(path: &Path) -> Result<LoadedCollection, LoadError> {
    let source = read_source(path)?;
    parse_collection(&source.text, path)
}

/// Parses collection text; `path` is only used in messages and in the result.
pub fn parse_collection(text: &str, path: &Path) -> Result<LoadedCollection, LoadError> {
    let file = parse_json(text, path)?;
    let Some(outer) = file.as_object() else {
        let found = describe(&file);
        return Err(not_a_collection(&file, text, path, &format!("the file holds {found}")).into());
    };
    // The Postman API wraps a collection as `{"collection": {...}}`; Newman unwraps it.
    let wrapped = !outer.contains_key("info") && !outer.contains_key("item");
    let (top, prefix) = match outer.get("collection") {
        Some(Value::Object(inner)) if wrapped => (inner, vec![Segment::key("collection")]),
        _ => (outer, Vec::new()),
    };
    if is_v1(top) {
        let mut at = prefix;
        at.push(Segment::key("requests"));
        return Err(SourceError::at_offset(path, text, offset(text, &at), V1_MESSAGE).into());
    }
    if top.contains_key("values") && !top.contains_key("item") {
        let why = "it has `values`, so it looks like an environment or globals file \
                   (pass those with -e/--environment or -g/--globals)";
        return Err(not_a_collection(&file, text, path, why).into());
    }
    if !top.contains_key("info") && !top.contains_key("item") {
        return Err(not_a_collection(&file, text, path, "it has neither `info` nor `item`").into());
    }
    let schema = top
        .get("info")
        .and_then(|i| i.get("schema"))
        .and_then(Value::as_str);
    let postman_schema = schema.filter(|s| is_postman_schema(s));
    if !top.contains_key("item") && postman_schema.is_none() {
        return Err(not_a_collection(&file, text, path, &lookalike(top)).into());
    }
    let mut warnings = Vec::new();
    if let Some(s) = postman_schema
        && !KNOWN_SCHEMAS.iter().any(|v| s.contains(v))
    {
        warnings.push(format!(
            "{}: unknown collection schema version `{s}`; running it as v2.1",
            path.display()
        ));
    }
    let raw = Value::Object(top.clone());
    let version = SchemaVersion::from_schema(schema);
    let prepared = prepare(top);
    let typed_from = prepared.as_ref().unwrap_or(&raw);
    let collection = deserialize_at::<Collection>(typed_from, &prefix, &file, text, path)?;
    Ok(LoadedCollection {
        path: path.to_path_buf(),
        version,
        collection,
        raw,
        warnings,
    })
}

/// Collection format versions Newman 6 knows.
const KNOWN_SCHEMAS: [&str; 2] = ["/collection/v2.0.0/", "/collection/v2.1.0/"];

/// True for a Postman collection schema URL (`schema.getpostman.com` or `schema.postman.com`).
fn is_postman_schema(schema: &str) -> bool {
    let lower = schema.to_ascii_lowercase();
    (lower.contains("schema.getpostman.com") || lower.contains("schema.postman.com"))
        && lower.contains("/collection/")
}

/// Why a JSON object with no `item` list and no Postman schema is not a collection: what it
/// looks like, and what to do with it.
fn lookalike(top: &Map<String, Value>) -> String {
    let has = |k: &str| top.contains_key(k);
    if has("openapi") || has("swagger") {
        "it looks like an OpenAPI/Swagger document (it has `openapi`/`swagger`); import it into \
         Postman (or convert it with openapi-to-postmanv2) and export the collection as v2.1"
            .to_string()
    } else if has("_type") && (has("__export_format") || has("resources")) {
        "it looks like an Insomnia export; import it into Postman and export the collection \
         as v2.1"
            .to_string()
    } else if top
        .get("log")
        .is_some_and(|l| l.get("entries").is_some_and(Value::is_array))
    {
        "it looks like a HAR file (it has `log.entries`); import it into Postman and export \
         the collection as v2.1"
            .to_string()
    } else if has("values") || top.get("info").is_some_and(|i| i.get("values").is_some()) {
        "it looks like an environment or globals file (it has `values`); pass those with \
         -e/--environment or -g/--globals"
            .to_string()
    } else {
        "it has no `item` list and its `info.schema` is not a Postman collection schema URL; \
         export the collection from Postman as v2.1"
            .to_string()
    }
}

/// Reads an environment or globals file. `expected_scope` is `"environment"` or `"globals"`.
///
/// A cloud-API wrapper (`{"environment": {...}}`) is unwrapped; a file whose
/// `_postman_variable_scope` names the other scope is accepted, as Newman does.
pub fn load_variable_file(path: &Path, expected_scope: &str) -> Result<VariableFile, LoadError> {
    let source = read_source(path)?;
    parse_variable_file(&source.text, path, expected_scope)
}

/// Parses environment or globals text; see [`load_variable_file`].
pub fn parse_variable_file(
    text: &str,
    path: &Path,
    expected_scope: &str,
) -> Result<VariableFile, LoadError> {
    let raw = parse_json(text, path)?;
    if raw.is_array() {
        // A bare list of variables, as the SDK's `VariableScope` accepts.
        let values = deserialize_at::<Vec<Variable>>(&raw, &[], &raw, text, path)?;
        check_keys(&values, Vec::new(), &raw, text, path)?;
        return Ok(VariableFile {
            values,
            ..VariableFile::default()
        });
    }
    let Some(top) = raw.as_object() else {
        let message = format!(
            "not an {expected_scope} file: expected a JSON object with `values`, found {}",
            describe(&raw)
        );
        return Err(SourceError::at_offset(path, text, offset(text, &[]), message).into());
    };
    if is_v1(top) || (top.contains_key("info") && top.contains_key("item")) {
        let message = format!(
            "this is a Postman collection, not an {expected_scope} file \
             (pass the collection as the first argument)"
        );
        return Err(SourceError::at_offset(path, text, offset(text, &[]), message).into());
    }
    let other = if expected_scope == "globals" {
        "environment"
    } else {
        "globals"
    };
    let wrapper = [expected_scope, other]
        .into_iter()
        .find(|k| !top.contains_key("values") && top.get(*k).is_some_and(Value::is_object));
    let prefix: Vec<Segment> = wrapper.map(Segment::key).into_iter().collect();
    let inner = wrapper.and_then(|k| top.get(k)).unwrap_or(&raw);
    let file = deserialize_at::<VariableFile>(inner, &prefix, &raw, text, path)?;
    let mut at = prefix;
    at.push(Segment::key("values"));
    check_keys(&file.values, at, &raw, text, path)?;
    Ok(file)
}

/// Every variable needs a name (`key`, or the legacy `id`).
fn check_keys(
    values: &[Variable],
    mut at: Vec<Segment>,
    raw: &Value,
    text: &str,
    path: &Path,
) -> Result<(), SourceError> {
    let Some(i) = values.iter().position(|v| v.name().is_none()) else {
        return Ok(());
    };
    at.push(Segment::Index(i));
    let message = format!("variable [{i}] has no `key`");
    Err(error_at(raw, text, path, &at, message))
}

/// Shapes Newman runs but the model does not take, rewritten for deserialization only (`raw`
/// keeps the file as written): an `item`-only file gets an `info` made from the top-level
/// `name` (two of Newman's own fixtures are such), and a single `event` object on the
/// collection, a folder or an item becomes a one-element list (the SDK accepts both).
/// `None` when nothing needed rewriting.
fn prepare(top: &Map<String, Value>) -> Option<Value> {
    let mut map = top.clone();
    let mut changed = false;
    if !map.contains_key("info") {
        let mut info = Map::new();
        if let Some(name) = top.get("name").filter(|n| n.is_string()) {
            info.insert("name".into(), name.clone());
        }
        map.insert("info".into(), Value::Object(info));
        changed = true;
    }
    let mut copy = Value::Object(map);
    changed |= wrap_single_events(&mut copy);
    changed.then_some(copy)
}

/// Wraps `event: {..}` into `event: [{..}]` here and in all nested items; true if any was.
fn wrap_single_events(node: &mut Value) -> bool {
    let Value::Object(map) = node else {
        return false;
    };
    let mut changed = false;
    if let Some(event) = map.get_mut("event").filter(|e| e.is_object()) {
        *event = Value::Array(vec![event.take()]);
        changed = true;
    }
    if let Some(Value::Array(items)) = map.get_mut("item") {
        for item in items {
            changed |= wrap_single_events(item);
        }
    }
    changed
}

/// Newman's `isV1Collection`: truthy `name`, `order` and `requests`.
fn is_v1(top: &Map<String, Value>) -> bool {
    ["name", "order", "requests"]
        .iter()
        .all(|k| top.get(*k).is_some_and(truthy))
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

fn offset(text: &str, at: &[Segment]) -> usize {
    locate(text, at).unwrap_or(0)
}

fn not_a_collection(raw: &Value, text: &str, path: &Path, why: &str) -> SourceError {
    let message = format!("not a Postman collection: {why}");
    error_at(raw, text, path, &[], message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collection_err(text: &str) -> String {
        parse_collection(text, Path::new("c.json"))
            .unwrap_err()
            .to_string()
    }

    fn env_err(text: &str) -> String {
        parse_variable_file(text, Path::new("e.json"), "environment")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn detects_the_schema_version() {
        let v20 = r#"{"info": {"name": "a", "schema": "https://schema.getpostman.com/json/collection/v2.0.0/collection.json"}, "item": []}"#;
        let v21 = v20.replace("v2.0.0", "v2.1.0");
        let odd = v20.replace("v2.0.0", "v9");
        let none = r#"{"info": {"name": "a"}, "item": []}"#;
        let version = |t: &str| parse_collection(t, Path::new("c")).unwrap().version;
        assert_eq!(version(v20), SchemaVersion::V2_0);
        assert_eq!(version(&v21), SchemaVersion::V2_1);
        assert_eq!(version(&odd), SchemaVersion::V2_1);
        assert_eq!(version(none), SchemaVersion::V2_1);
    }

    #[test]
    fn refuses_v1_with_advice_at_requests() {
        let err = collection_err("{\"name\": \"a\", \"order\": [],\n \"requests\": []}");
        assert!(
            err.starts_with("c.json:2:14: collection format v1 is not supported"),
            "{err}"
        );
        assert!(
            err.contains("export it as v2.1 from Postman (File > Export)"),
            "{err}"
        );
    }

    #[test]
    fn refuses_files_that_are_not_collections() {
        assert!(
            collection_err("[1]")
                .contains("c.json:1:1: not a Postman collection: the file holds an array")
        );
        assert!(collection_err(r#"{"a": 1}"#).contains("it has neither `info` nor `item`"));
        assert!(collection_err(r#"{"values": []}"#).contains("looks like an environment"));
    }

    #[test]
    fn type_errors_name_the_item_and_position() {
        let text = "{\"info\": {\"name\": \"c\"}, \"item\": [\n {\"name\": \"Get token\", \"request\": {\"header\": 7}}]}";
        let err = collection_err(text);
        assert!(
            err.starts_with(
                "c.json:2:46: expected a list of headers or a string, found a number (7)"
            ),
            "{err}"
        );
        assert!(
            err.contains("item[0] \"Get token\" › request.header (item[0].request.header)"),
            "{err}"
        );
        let err = collection_err(r#"{"info": {"name": "c"}, "item": 5}"#);
        assert!(
            err.starts_with("c.json:1:33: invalid type: integer `5`, expected a sequence"),
            "{err}"
        );
    }

    #[test]
    fn environments_unwrap_and_accept_either_scope() {
        let wrapped = r#"{"environment": {"name": "e", "values": [{"key": "a", "value": 1}]}}"#;
        let env = parse_variable_file(wrapped, Path::new("e"), "environment").unwrap();
        assert_eq!(env.name.as_deref(), Some("e"));
        assert_eq!(env.values[0].key.as_deref(), Some("a"));
        let globals = r#"{"globals": {"values": [{"key": "g"}]}}"#;
        let env = parse_variable_file(globals, Path::new("e"), "environment").unwrap();
        assert_eq!(env.values[0].key.as_deref(), Some("g"));
        let scoped = r#"{"values": [{"key": "b"}], "_postman_variable_scope": "globals"}"#;
        let env = parse_variable_file(scoped, Path::new("e"), "environment").unwrap();
        assert_eq!(env.values[0].key.as_deref(), Some("b"));
    }

    #[test]
    fn unwraps_the_postman_api_wrapper() {
        let text =
            "{\"collection\": {\"info\": {\"name\": \"w\"},\n \"item\": [{\"request\": 1}]}}";
        let err = collection_err(text);
        assert!(
            err.starts_with("c.json:2:23: expected a URL string"),
            "{err}"
        );
        assert!(err.contains("collection.item[0].request"), "{err}");
        let ok = text.replace(
            "\"request\": 1",
            "\"name\": \"r\", \"request\": \"http://a\"",
        );
        let loaded = parse_collection(&ok, Path::new("c")).unwrap();
        assert_eq!(loaded.collection.info.name, "w");
        assert_eq!(
            serde_json::to_value(&loaded.collection).unwrap(),
            loaded.raw
        );
    }

    #[test]
    fn accepts_item_only_collections_and_bare_variable_lists() {
        let loaded = parse_collection(r#"{"name": "n", "item": []}"#, Path::new("c")).unwrap();
        assert_eq!(loaded.collection.info.name, "n");
        let unnamed = parse_collection(r#"{"item": []}"#, Path::new("c")).unwrap();
        assert_eq!(unnamed.collection.info.name, "");
        let text =
            r#"{"info": {}, "item": [{"request": "http://a", "event": {"listen": "test"}}]}"#;
        let loaded = parse_collection(text, Path::new("c")).unwrap();
        let events = loaded.collection.item[0].event.as_ref().map(Vec::len);
        assert_eq!(events, Some(1));
        assert!(loaded.raw.pointer("/item/0/event/listen").is_some());
        let list = r#"[{"key": "a", "value": "b"}]"#;
        let globals = parse_variable_file(list, Path::new("g"), "globals").unwrap();
        assert_eq!(globals.values[0].key.as_deref(), Some("a"));
        let err = parse_variable_file("[{}]", Path::new("g"), "globals").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("g:1:2: variable [0] has no `key`"),
            "{err}"
        );
    }

    #[test]
    fn environments_reject_collections_and_keyless_values() {
        let err = env_err(r#"{"info": {}, "item": []}"#);
        assert!(
            err.contains("this is a Postman collection, not an environment file"),
            "{err}"
        );
        let err = env_err("{\"values\": [\n  {\"key\": \"a\"},\n  {\"value\": 1}]}");
        assert!(
            err.starts_with("e.json:3:3: variable [1] has no `key`"),
            "{err}"
        );
        assert!(err.contains("at values[1]"), "{err}");
        let err = env_err("{\"environment\": {\"values\": [{\"key\": 5}]}}");
        assert!(
            err.starts_with("e.json:1:37: invalid type: integer `5`, expected a string"),
            "{err}"
        );
        assert!(err.contains("environment.values[0].key"), "{err}");
        assert!(env_err("7").contains("not an environment file"));
    }
}
