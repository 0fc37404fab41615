//! Serde model of Postman collection v2.0/v2.1 files, environments and globals.
//!
//! Every struct keeps the fields it does not interpret in `extra`, and every optional field is an
//! `Option`, so that a collection read and written back (`--export-collection`) loses nothing.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A whole collection file (`info`, `item`, `event`, `variable`, `auth`, ...).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Collection {
    /// Name, id, description and schema URL.
    pub info: Info,
    /// Top-level items and folders, in run order.
    #[serde(default)]
    pub item: Vec<Item>,
    /// Collection-level pre-request and test scripts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<Vec<Event>>,
    /// Collection variables: the only item-level variable list Postman uses as a scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variable: Option<Vec<Variable>>,
    /// Collection-level auth, inherited by items without their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<Auth>,
    /// Protocol settings merged root to leaf (`followRedirects`, `disableBodyPruning`, ...).
    #[serde(
        default,
        rename = "protocolProfileBehavior",
        skip_serializing_if = "Option::is_none"
    )]
    pub protocol_profile_behavior: Option<Map<String, Value>>,
    /// Everything else the file holds, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The `info` block of a collection.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Info {
    /// Collection name.
    #[serde(default)]
    pub name: String,
    /// Postman's id of the collection.
    #[serde(
        default,
        rename = "_postman_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub postman_id: Option<String>,
    /// Schema URL naming the format version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Description (string or `{content, type}`), kept as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Value>,
    /// Everything else, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An entry of `item[]`: a folder when it has `item`, a request otherwise.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Item {
    /// Item id (used by `--folder` and `setNextRequest`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Item name (an item without one is written back without one, as the Postman SDK does).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Children; present means this item is a folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<Vec<Item>>,
    /// The request; a bare string means GET of that URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<RequestField>,
    /// Saved example responses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Vec<Value>>,
    /// Scripts of this item or folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<Vec<Event>>,
    /// Folder-level auth (request auth lives in `request.auth`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<Auth>,
    /// Item variables: kept, but not a scope (Postman ignores them when resolving).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variable: Option<Vec<Variable>>,
    /// Protocol settings for this item or folder.
    #[serde(
        default,
        rename = "protocolProfileBehavior",
        skip_serializing_if = "Option::is_none"
    )]
    pub protocol_profile_behavior: Option<Map<String, Value>>,
    /// Everything else (description, ...), kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Item {
    /// True when this item is a folder (has `item[]`).
    pub fn is_folder(&self) -> bool {
        self.item.is_some()
    }
}

/// `request` as written: a URL string or a full request object.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RequestField {
    /// Shorthand: GET of this URL.
    Url(String),
    /// A full request.
    Full(Box<Request>),
}

impl RequestField {
    /// The request as an object, expanding the URL shorthand.
    pub fn to_request(&self) -> Request {
        match self {
            RequestField::Url(u) => Request {
                method: Some("GET".into()),
                url: Some(UrlField::Raw(u.clone())),
                ..Request::default()
            },
            RequestField::Full(r) => (**r).clone(),
        }
    }
}

/// A request object.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Request {
    /// HTTP method, any string; GET when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<HeaderList>,
    /// URL, as a string or as parts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<UrlField>,
    /// Body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Body>,
    /// Request auth; absent or null inherits from folders and collection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<Auth>,
    /// Description, kept as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Value>,
    /// Everything else (proxy, certificate, ...), kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `header` as written: a list of entries, or one string of `Key: value` lines.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum HeaderList {
    /// The usual list form.
    List(Vec<Header>),
    /// Legacy single-string form.
    Raw(String),
}

impl HeaderList {
    /// The headers as entries, parsing the string form.
    pub fn entries(&self) -> Vec<Header> {
        match self {
            HeaderList::List(l) => l.clone(),
            HeaderList::Raw(s) => s
                .lines()
                .filter_map(|line| {
                    let (k, v) = line.split_once(':')?;
                    Some(Header {
                        key: k.trim().to_string(),
                        value: Some(Value::String(v.trim().to_string())),
                        ..Header::default()
                    })
                })
                .collect(),
        }
    }
}

/// One header entry.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Header {
    /// Header name.
    #[serde(default)]
    pub key: String,
    /// Header value (usually a string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// Disabled headers are not sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    /// Everything else (description, type, ...), kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `url` as written: a string or an object of parts.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum UrlField {
    /// A URL string, parsed the way Postman parses it.
    Raw(String),
    /// URL parts; when given, the parts (not `raw`) are what is sent.
    Parts(Box<Url>),
}

/// The object form of a URL.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Url {
    /// The URL as typed in the app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
    /// Scheme without `://`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// Host as a string or as labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<StringOrList>,
    /// Port (a string in exports, sometimes a number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<Value>,
    /// Path as a string or as segments (strings or `{type, value}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<Value>,
    /// Query parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<Vec<QueryParam>>,
    /// Fragment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// Path variables (`:name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variable: Option<Vec<Variable>>,
    /// Everything else, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A string or a list of strings (host labels).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum StringOrList {
    /// One string.
    One(String),
    /// Several strings.
    List(Vec<String>),
}

/// One query parameter.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct QueryParam {
    /// Parameter name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Value; `null` sends the bare key. Numbers and booleans are read as their text.
    #[serde(
        default,
        deserialize_with = "scalar_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub value: Option<String>,
    /// Disabled parameters are dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    /// Everything else, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A request body.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Body {
    /// `raw`, `urlencoded`, `formdata`, `file` or `graphql`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Raw text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
    /// URL-encoded form parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urlencoded: Option<FormList>,
    /// Multipart form parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formdata: Option<FormList>,
    /// `{src, content}` of a file body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<Value>,
    /// `{query, variables, operationName}` of a GraphQL body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub graphql: Option<Value>,
    /// Mode options, e.g. `{"raw": {"language": "json"}}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Value>,
    /// A disabled body is not sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    /// Everything else, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `urlencoded` or `formdata` as written: the usual list, or a string (`a=1&b=2`, or empty),
/// which Newman accepts too.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum FormList {
    /// The usual list form.
    List(Vec<FormParam>),
    /// A query-string form.
    Text(String),
}

/// A string, or what the list/object form deserializes to, delegating to it directly so that
/// errors inside keep their path and position (an untagged enum would lose both).
macro_rules! string_or {
    ($ty:ident, $text:ident, $full:ident, $visit:ident, $access:ident, $de:ident, $expecting:literal) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> serde::de::Visitor<'de> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<$ty, E> {
                        Ok($ty::$text(s.to_string()))
                    }
                    fn $visit<A: serde::de::$access<'de>>(self, a: A) -> Result<$ty, A::Error> {
                        Deserialize::deserialize(serde::de::value::$de::new(a)).map($ty::$full)
                    }
                }
                d.deserialize_any(V)
            }
        }
    };
}

string_or!(
    FormList,
    Text,
    List,
    visit_seq,
    SeqAccess,
    SeqAccessDeserializer,
    "a list of parameters or a string"
);
string_or!(
    ScriptField,
    Source,
    Full,
    visit_map,
    MapAccess,
    MapAccessDeserializer,
    "a script object or its source as a string"
);

impl FormList {
    /// The parameters; the string form is split at `&` and `=` as the SDK's `QueryParam.parse`
    /// does (values kept as written, empty pieces dropped).
    pub fn params(&self) -> Vec<FormParam> {
        match self {
            FormList::List(list) => list.clone(),
            FormList::Text(text) => text
                .split('&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                    FormParam {
                        key: key.to_string(),
                        value: Some(Value::String(value.to_string())),
                        ..FormParam::default()
                    }
                })
                .collect(),
        }
    }
}

/// One urlencoded or formdata parameter.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FormParam {
    /// Parameter name.
    #[serde(default)]
    pub key: String,
    /// Value (text parts; non-strings are JSON-stringified).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// Disabled parameters are dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    /// `text` or `file`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// File path(s) of a file part, relative to the working directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src: Option<Value>,
    /// Content-Type of this part.
    #[serde(
        default,
        rename = "contentType",
        skip_serializing_if = "Option::is_none"
    )]
    pub content_type: Option<String>,
    /// Everything else (description, fileName, ...), kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An auth block: `{"type": t, t: params}` with params as a v2.1 list or a v2.0 map.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Auth {
    /// Auth type (`noauth`, `bearer`, `basic`, `apikey`, `oauth2`, ...); an unknown one is a
    /// load error.
    #[serde(rename = "type", default, deserialize_with = "known_auth_type")]
    pub kind: String,
    /// The parameter blocks, keyed by type, kept as written.
    #[serde(flatten)]
    pub params: Map<String, Value>,
}

impl Auth {
    /// The value of parameter `name` of this auth's own type, in either shape.
    pub fn param(&self, name: &str) -> Option<&Value> {
        match self.params.get(&self.kind)? {
            Value::Array(list) => list
                .iter()
                .rev()
                .find(|p| p.get("key").and_then(Value::as_str) == Some(name))
                .and_then(|p| p.get("value")),
            Value::Object(map) => map.get(name),
            _ => None,
        }
    }

    /// All parameters of this auth's own type as `(key, value)` pairs, in either shape.
    pub fn params_list(&self) -> Vec<(String, Value)> {
        match self.params.get(&self.kind) {
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(|p| {
                    let key = p.get("key")?.as_str()?.to_string();
                    Some((key, p.get("value").cloned().unwrap_or(Value::Null)))
                })
                .collect(),
            Some(Value::Object(map)) => map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            _ => Vec::new(),
        }
    }
}

/// A script event (`prerequest` or `test`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    /// `prerequest` or `test`.
    #[serde(default)]
    pub listen: String,
    /// The script.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<ScriptField>,
    /// Disabled events are skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    /// Everything else (id, ...), kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `script` as written: an object, or the source as a bare string (which Newman accepts).
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum ScriptField {
    /// The source itself.
    Source(String),
    /// The usual `{exec, type, ...}` object.
    Full(Script),
}

impl ScriptField {
    /// The source as one string, lines joined with newlines.
    pub fn source(&self) -> String {
        match self {
            ScriptField::Source(s) => s.clone(),
            ScriptField::Full(script) => script.source(),
        }
    }
}

/// A script body.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Script {
    /// Source lines (array) or the whole source (string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec: Option<StringOrList>,
    /// Everything else (type, id, src, name), kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Script {
    /// The source as one string, lines joined with newlines.
    pub fn source(&self) -> String {
        match &self.exec {
            Some(StringOrList::One(s)) => s.clone(),
            Some(StringOrList::List(lines)) => lines.join("\n"),
            None => String::new(),
        }
    }
}

impl Event {
    /// The script source when this event is enabled and has non-blank code.
    pub fn enabled_source(&self) -> Option<String> {
        if self.disabled == Some(true) {
            return None;
        }
        let src = self.script.as_ref()?.source();
        (!src.trim().is_empty()).then_some(src)
    }
}

/// A variable entry, used by collections, URLs, environments and globals alike.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Variable {
    /// Variable name (`key`; legacy exports use `id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Legacy name field, and Postman's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Value, any JSON; an explicit `null` is kept as `Some(Value::Null)`.
    #[serde(
        default,
        deserialize_with = "present_value",
        skip_serializing_if = "Option::is_none"
    )]
    pub value: Option<Value>,
    /// `string`, `secret`, `default`, `any`, ...
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// SDK flag: a disabled variable is skipped when resolving.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    /// App flag in environment exports: `false` means the app does not use it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Everything else (name, description, system), kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Deserializes a field that is present (even as `null`) into `Some`.
fn present_value<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// Deserializes a string, number or boolean as text (`null` as `None`).
fn scalar_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        other => Err(serde::de::Error::custom(format!(
            "expected a string, found {other}"
        ))),
    }
}

impl Variable {
    /// The variable's name: `key`, else the legacy `id`.
    pub fn name(&self) -> Option<&str> {
        self.key.as_deref().or(self.id.as_deref())
    }
}

/// An environment or globals export.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct VariableFile {
    /// Postman's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Environment name (`pm.environment.name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The variables.
    #[serde(default)]
    pub values: Vec<Variable>,
    /// Everything else (`_postman_variable_scope`, ...), kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The auth types Postman defines (and `inherit`, which defers to the parent).
pub const AUTH_TYPES: [&str; 14] = [
    "noauth", "inherit", "apikey", "awsv4", "basic", "bearer", "digest", "edgegrid", "hawk",
    "ntlm", "oauth1", "oauth2", "jwt", "asap",
];

/// An auth `type` that Postman knows (or empty, which means none).
fn known_auth_type<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let kind = String::deserialize(d)?;
    if kind.is_empty() || AUTH_TYPES.contains(&kind.as_str()) {
        Ok(kind)
    } else {
        Err(serde::de::Error::custom(format!(
            "unknown auth type `{kind}` (known: {})",
            AUTH_TYPES.join(", ")
        )))
    }
}
