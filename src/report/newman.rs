//! The collection as the Postman SDK serialises it after loading (what Newman's JSON report
//! embeds in `collection`, `executions[].item` and `failures[].source`/`.parent`): URLs split
//! into `host`/`path`/`query`/`variable` without `raw`, every item and script with an `id`,
//! `event: []` and `response: []` where absent, variables and auth parameters typed (`any`),
//! descriptions as `{content, type}`.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::http::url;
use crate::runner::plan;
/// A UUID-shaped id derived from a seed, so a report is the same each time it is built.
pub use crate::runner::plan::stable_id;

/// The normalised collection, with an index of its request items by id.
#[derive(Debug, Clone, Default)]
pub struct SdkCollection {
    /// The whole collection, normalised.
    pub collection: Value,
    /// Per request item id: the item, its parent (folder, or the collection for top-level
    /// items) and the effective auth (own, else the nearest ancestor's).
    pub items: HashMap<String, SdkItem>,
}

/// One request item of an [`SdkCollection`].
#[derive(Debug, Clone)]
pub struct SdkItem {
    /// The item, normalised.
    pub item: Value,
    /// The folder (or collection) that holds it, normalised.
    pub parent: Value,
    /// The auth that applies to it, if any.
    pub auth: Option<Value>,
}

impl SdkItem {
    /// The id of the item's first script for `listen` (`test`, `prerequest`), and that script's
    /// last execution id.
    pub fn script_ids(&self, listen: &str) -> Option<(Value, Value)> {
        let event = self.item["event"]
            .as_array()?
            .iter()
            .find(|e| e["listen"] == listen)?;
        Some((
            event["script"]["id"].clone(),
            event["script"]["_lastExecutionId"].clone(),
        ))
    }
}

fn new_id(seed: &str) -> Value {
    Value::String(stable_id(seed))
}

/// Normalises a collection JSON (as exported, or as snapman serialises its model).
pub fn sdk_collection(raw: &Value) -> SdkCollection {
    let info = &raw["info"];
    let mut out_info = Map::new();
    if let Some(id) = info.get("_postman_id") {
        out_info.insert("_postman_id".into(), id.clone());
    }
    out_info.insert("name".into(), info["name"].clone());
    if let Some(schema) = info.get("schema") {
        out_info.insert("schema".into(), schema.clone());
    }
    if let Some(d) = info.get("description") {
        out_info.insert("description".into(), description(d));
    }
    let auth = raw.get("auth").filter(|a| !a.is_null()).map(sdk_auth);
    let mut collection = Map::new();
    collection.insert(
        "_".into(),
        json!({ "postman_id": info.get("_postman_id").cloned().unwrap_or(Value::Null) }),
    );
    if let Some(a) = &auth {
        collection.insert("auth".into(), a.clone());
    }
    collection.insert(
        "event".into(),
        events(
            raw.get("event"),
            &format!("collection {}", info["_postman_id"]),
        ),
    );
    collection.insert("variable".into(), variables(raw.get("variable")));
    collection.insert("info".into(), Value::Object(out_info));
    let mut items = HashMap::new();
    let children = raw["item"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let normalised: Vec<Value> = children
        .iter()
        .enumerate()
        .map(|(i, c)| sdk_item(c, &[i], auth.as_ref(), &mut items))
        .collect();
    collection.insert("item".into(), Value::Array(normalised));
    let collection = Value::Object(collection);
    // Top-level items have the collection as their parent.
    for entry in items.values_mut() {
        if entry.parent.is_null() {
            entry.parent = collection.clone();
        }
    }
    SdkCollection { collection, items }
}

/// Normalises an item or folder at `trail` (its indices from the collection down; an item
/// without an id gets [`plan::generated_id`], as the runner gives it); request items are
/// indexed in `index` (with a null parent when they sit at the top level).
fn sdk_item(
    raw: &Value,
    trail: &[usize],
    inherited: Option<&Value>,
    index: &mut HashMap<String, SdkItem>,
) -> Value {
    let mut out = Map::new();
    let id = raw
        .get("id")
        .cloned()
        .filter(|v| v.as_str().is_some_and(|s| !s.is_empty()))
        .unwrap_or_else(|| json!(plan::generated_id(trail)));
    let owner = id.as_str().unwrap_or_default().to_string();
    out.insert("id".into(), id);
    out.insert("name".into(), raw["name"].clone());
    if let Some(d) = raw.get("description") {
        out.insert("description".into(), description(d));
    }
    // A folder's auth sits on the folder, a request's on its request.
    let own_auth = raw
        .get("auth")
        .or_else(|| raw.get("request").and_then(|r| r.get("auth")))
        .filter(|a| !a.is_null())
        .map(sdk_auth);
    let effective = match &own_auth {
        Some(a) if a["type"] != "inherit" => Some(a.clone()),
        _ => inherited.cloned(),
    };
    if let Some(children) = raw.get("item").and_then(Value::as_array) {
        let mut found = Vec::new();
        let mut sub = HashMap::new();
        let normalised: Vec<Value> = children
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut here = trail.to_vec();
                here.push(i);
                sdk_item(c, &here, effective.as_ref(), &mut sub)
            })
            .collect();
        out.insert("item".into(), Value::Array(normalised));
        if let Some(a) = own_auth {
            out.insert("auth".into(), a);
        }
        out.insert("event".into(), events(raw.get("event"), &owner));
        let folder = Value::Object(out);
        for (id, mut entry) in sub {
            if entry.parent.is_null() {
                entry.parent = folder.clone();
            }
            found.push((id, entry));
        }
        index.extend(found);
        return folder;
    }
    let request = raw.get("request").map_or_else(|| json!({}), sdk_request);
    out.insert("request".into(), request);
    out.insert(
        "response".into(),
        raw.get("response").cloned().unwrap_or_else(|| json!([])),
    );
    out.insert("event".into(), events(raw.get("event"), &owner));
    let item = Value::Object(out);
    if let Some(id) = item["id"].as_str() {
        index.insert(
            id.to_string(),
            SdkItem {
                item: item.clone(),
                parent: Value::Null,
                auth: effective,
            },
        );
    }
    item
}

/// A description string becomes `{content, type: "text/plain"}`.
fn description(d: &Value) -> Value {
    match d {
        Value::String(s) => json!({ "content": s, "type": "text/plain" }),
        other => other.clone(),
    }
}

/// Events with script ids (derived from `owner`'s id when absent), `exec` as a list of lines.
fn events(raw: Option<&Value>, owner: &str) -> Value {
    let list = raw
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    list.iter()
        .enumerate()
        .map(|(i, e)| {
            let script = &e["script"];
            let exec = match &script["exec"] {
                Value::String(s) => s.lines().map(|l| json!(l)).collect(),
                Value::Array(a) => a.clone(),
                _ => Vec::new(),
            };
            json!({
                "listen": e["listen"],
                "script": {
                    "id": script
                        .get("id")
                        .cloned()
                        .filter(|v| !v.is_null())
                        .unwrap_or_else(|| new_id(&format!("script {owner} {i}"))),
                    "type": script.get("type").cloned().unwrap_or_else(|| json!("text/javascript")),
                    "exec": exec,
                    "_lastExecutionId": new_id(&format!("execution {owner} {i}")),
                }
            })
        })
        .collect()
}

/// Variables as `{type, value, key}` (type `any` when absent), other fields kept.
fn variables(raw: Option<&Value>) -> Value {
    let list = raw
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    list.iter()
        .map(|v| {
            let mut out = Map::new();
            out.insert(
                "type".into(),
                v.get("type").cloned().unwrap_or_else(|| json!("any")),
            );
            out.insert(
                "value".into(),
                v.get("value").cloned().unwrap_or(Value::Null),
            );
            out.insert("key".into(), v.get("key").cloned().unwrap_or(Value::Null));
            if let Some(obj) = v.as_object() {
                for (k, x) in obj {
                    if !out.contains_key(k) {
                        out.insert(k.clone(), x.clone());
                    }
                }
            }
            Value::Object(out)
        })
        .collect()
}

/// Auth parameters as `[{type, value, key}]` (v2.0's `{key: value}` maps too).
pub fn sdk_auth(raw: &Value) -> Value {
    let Some(obj) = raw.as_object() else {
        return raw.clone();
    };
    let kind = obj.get("type").and_then(Value::as_str).unwrap_or_default();
    let mut out = Map::new();
    out.insert("type".into(), json!(kind));
    if let Some(params) = obj.get(kind) {
        let list: Vec<Value> = match params {
            Value::Array(a) => a
                .iter()
                .map(|p| {
                    json!({
                        "type": p.get("type").cloned().unwrap_or_else(|| json!("any")),
                        "value": p.get("value").cloned().unwrap_or(Value::Null),
                        "key": p.get("key").cloned().unwrap_or(Value::Null),
                    })
                })
                .collect(),
            Value::Object(m) => m
                .iter()
                .map(|(k, v)| json!({ "type": "any", "value": v, "key": k }))
                .collect(),
            _ => Vec::new(),
        };
        out.insert(kind.to_string(), Value::Array(list));
    }
    Value::Object(out)
}

/// A request definition: `{url, header?, method, body?, auth?, description?}`.
fn sdk_request(raw: &Value) -> Value {
    let obj = match raw {
        Value::String(s) => return json!({ "url": sdk_url(&json!(s)), "method": "GET" }),
        Value::Object(o) => o,
        _ => return json!({}),
    };
    let mut out = Map::new();
    out.insert(
        "url".into(),
        obj.get("url").map_or_else(|| sdk_url(&json!("")), sdk_url),
    );
    if let Some(h) = obj.get("header").filter(|h| h.is_array()) {
        out.insert("header".into(), h.clone());
    }
    out.insert(
        "method".into(),
        obj.get("method").cloned().unwrap_or_else(|| json!("GET")),
    );
    if let Some(b) = obj.get("body").filter(|b| !b.is_null()) {
        out.insert("body".into(), b.clone());
    }
    if let Some(d) = obj.get("description") {
        out.insert("description".into(), description(d));
    }
    if let Some(a) = obj.get("auth").filter(|a| !a.is_null()) {
        out.insert("auth".into(), sdk_auth(a));
    }
    Value::Object(out)
}

/// A URL as the SDK keeps it: `protocol`/`port` when written, `path`, `host`, `query`,
/// `variable`; no `raw`.
pub fn sdk_url(raw: &Value) -> Value {
    let mut out = Map::new();
    match raw {
        Value::Object(o) => {
            if let Some(p) = o.get("protocol") {
                out.insert("protocol".into(), p.clone());
            }
            if let Some(p) = o.get("port") {
                out.insert("port".into(), p.clone());
            }
            let path = match o.get("path") {
                Some(Value::String(s)) => split(s, '/'),
                Some(p) => p.clone(),
                None => json!([]),
            };
            let host = match o.get("host") {
                Some(Value::String(s)) => split(s, '.'),
                Some(h) => h.clone(),
                None => json!([]),
            };
            out.insert("path".into(), path);
            out.insert("host".into(), host);
            out.insert(
                "query".into(),
                o.get("query").cloned().unwrap_or_else(|| json!([])),
            );
            out.insert(
                "variable".into(),
                o.get("variable").cloned().unwrap_or_else(|| json!([])),
            );
        }
        other => {
            let text = other.as_str().unwrap_or_default();
            let p = url::parse(text);
            if let Some(protocol) = p.protocol {
                out.insert("protocol".into(), json!(protocol));
            }
            if let Some(port) = p.port {
                out.insert("port".into(), json!(port));
            }
            out.insert(
                "path".into(),
                p.path
                    .as_deref()
                    .map_or_else(|| json!([]), |s| split(s, '/')),
            );
            out.insert("host".into(), split(&p.host, '.'));
            out.insert(
                "query".into(),
                p.query.as_deref().map_or_else(|| json!([]), query_list),
            );
            out.insert("variable".into(), json!([]));
        }
    }
    Value::Object(out)
}

/// `a.b` -> `["a", "b"]`, keeping `{{...}}` variables whole.
fn split(s: &str, sep: char) -> Value {
    if s.is_empty() {
        return json!([]);
    }
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '{' && chars.peek() == Some(&'{') {
            depth += 1;
        } else if c == '}' && chars.peek() == Some(&'}') {
            depth = depth.saturating_sub(1);
        }
        if c == sep && depth == 0 {
            parts.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    parts.push(current);
    json!(parts)
}

/// `a=1&b` -> `[{key: "a", value: "1"}, {key: "b", value: null}]`.
pub fn query_list(q: &str) -> Value {
    if q.is_empty() {
        return json!([]);
    }
    q.split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => json!({ "key": k, "value": v }),
            None => json!({ "key": pair, "value": null }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_urls_split_like_the_sdk() {
        let u = sdk_url(&json!("{{echo}}/get?who={{who}}&x"));
        assert_eq!(
            u,
            json!({"path": ["get"], "host": ["{{echo}}"],
                   "query": [{"key": "who", "value": "{{who}}"}, {"key": "x", "value": null}],
                   "variable": []})
        );
        let u = sdk_url(&json!("https://{{sub.domain}}.example.com:8443/a/b"));
        assert_eq!(u["host"], json!(["{{sub.domain}}", "example", "com"]));
        assert_eq!(u["port"], "8443");
        assert_eq!(u["protocol"], "https");
        assert_eq!(u["path"], json!(["a", "b"]));
    }

    #[test]
    fn items_get_ids_parents_and_inherited_auth() {
        let raw = json!({
            "info": {"name": "c", "_postman_id": "cid", "description": "d"},
            "auth": {"type": "bearer", "bearer": [{"key": "token", "value": "t"}]},
            "item": [
                {"name": "F", "item": [{"name": "R", "id": "r1", "request": "h/x"}]},
                {"name": "Top", "id": "t1", "request": {"url": "h/y", "method": "POST",
                  "auth": {"type": "noauth"}}}
            ]
        });
        let sdk = sdk_collection(&raw);
        assert_eq!(sdk.collection["info"]["description"]["type"], "text/plain");
        assert_eq!(sdk.collection["variable"], json!([]));
        let r = &sdk.items["r1"];
        assert_eq!(r.parent["name"], "F");
        assert_eq!(r.item["response"], json!([]));
        assert_eq!(r.item["request"]["method"], "GET");
        assert_eq!(
            r.auth.as_ref().map(|a| a["bearer"][0]["type"].clone()),
            Some(json!("any"))
        );
        let t = &sdk.items["t1"];
        assert_eq!(t.parent["info"]["name"], "c");
        assert_eq!(
            t.auth.as_ref().map(|a| a["type"].clone()),
            Some(json!("noauth"))
        );
        assert!(
            sdk.collection["item"][0]["id"].is_string(),
            "folders get ids"
        );
    }
}
