//! Postman's URL handling: the object form assembled into a string, `:name` path variables,
//! Postman's parser, and the encoder (postman-url-encoder's sets), so the URL sent is Newman's.

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use crate::collection::model::{StringOrList, Url, UrlField};

/// Characters postman-url-encoder percent-encodes in a path (besides controls and non-ASCII).
const PATH_SET: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// Characters postman-url-encoder percent-encodes in a query (besides controls and non-ASCII).
const QUERY_SET: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'\'')
    .add(b'<')
    .add(b'>');

/// A query key: the query set plus `&` and `=`.
const QUERY_KEY_SET: &AsciiSet = &QUERY_SET.add(b'&').add(b'=');

/// A query value: the query set plus `&`.
const QUERY_VALUE_SET: &AsciiSet = &QUERY_SET.add(b'&');

/// `key=value` encoded as postman-url-encoder encodes one query parameter.
pub fn encode_query_param(key: &str, value: &str) -> String {
    format!(
        "{}={}",
        utf8_percent_encode(key, QUERY_KEY_SET),
        utf8_percent_encode(value, QUERY_VALUE_SET)
    )
}

/// Characters encoded in a fragment.
const FRAGMENT_SET: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'<').add(b'>').add(b'`');

/// A URL split the way Postman's SDK splits it (`Url.parse`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedUrl {
    /// Scheme, without `://`.
    pub protocol: Option<String>,
    /// `user:pass` before `@`.
    pub auth: Option<String>,
    /// Host as written.
    pub host: String,
    /// Port as written.
    pub port: Option<String>,
    /// Path after the host, without the leading `/`; None when the URL has no path.
    pub path: Option<String>,
    /// Query string after `?`, as written; None when there is no `?`.
    pub query: Option<String>,
    /// Fragment after `#`.
    pub hash: Option<String>,
}

/// Splits a URL string as postman-collection's `Url.parse` does (no validation).
pub fn parse(input: &str) -> ParsedUrl {
    let mut rest = input.trim_start().to_string();
    let mut p = ParsedUrl::default();
    if let Some(i) = rest.find('#') {
        p.hash = Some(rest[i + 1..].to_string());
        rest.truncate(i);
    }
    if let Some(i) = rest.find('?') {
        p.query = Some(rest[i + 1..].to_string());
        rest.truncate(i);
    }
    if let Some(i) = rest.find("://") {
        p.protocol = Some(rest[..i].to_string());
        rest = rest[i + 3..].to_string();
    } else if let Some(i) = rest.find(":\\\\") {
        p.protocol = Some(rest[..i].to_string());
        rest = rest[i + 3..].to_string();
    }
    let rest = rest.replace('\\', "/");
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], Some(rest[i + 1..].to_string())),
        None => (rest.as_str(), None),
    };
    p.path = path;
    let hostport = match authority.rfind('@') {
        Some(i) => {
            p.auth = Some(authority[..i].to_string());
            &authority[i + 1..]
        }
        None => authority,
    };
    let port_at = if hostport.starts_with('[') {
        hostport.find("]:").map(|i| i + 1)
    } else {
        hostport.rfind(':')
    };
    match port_at {
        Some(i) => {
            p.host = hostport[..i].to_string();
            p.port = Some(hostport[i + 1..].to_string());
        }
        None => p.host = hostport.to_string(),
    }
    p
}

/// The URL of a request as one string, before variable resolution: the raw string, or the
/// object's parts assembled (ignoring `raw`, as Newman does) with `:name` path variables replaced.
/// `resolve` resolves path-variable values.
pub fn assemble(url: &UrlField, resolve: &dyn Fn(&str) -> String) -> String {
    match url {
        UrlField::Raw(s) => s.clone(),
        UrlField::Parts(u) => assemble_parts(u, resolve),
    }
}

fn assemble_parts(u: &Url, resolve: &dyn Fn(&str) -> String) -> String {
    let has_parts = u.host.is_some() || u.path.is_some() || u.protocol.is_some();
    if !has_parts {
        return u.raw.clone().unwrap_or_default();
    }
    let mut out = String::new();
    if let Some(proto) = &u.protocol {
        out.push_str(proto);
        out.push_str("://");
    }
    if let Some(auth) = u.extra.get("auth").and_then(|a| a.as_object()) {
        let user = auth.get("user").and_then(|v| v.as_str()).unwrap_or("");
        let pass = auth.get("password").and_then(|v| v.as_str()).unwrap_or("");
        if !user.is_empty() || !pass.is_empty() {
            out.push_str(user);
            if !pass.is_empty() {
                out.push(':');
                out.push_str(pass);
            }
            out.push('@');
        }
    }
    match &u.host {
        Some(StringOrList::One(h)) => out.push_str(h),
        Some(StringOrList::List(labels)) => out.push_str(&labels.join(".")),
        None => {}
    }
    if let Some(port) = &u.port {
        let port = match port {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if !port.is_empty() {
            out.push(':');
            out.push_str(&port);
        }
    }
    let segments = path_segments(u);
    if let Some(segments) = segments {
        let vars = u.variable.as_deref().unwrap_or_default();
        let replaced: Vec<String> = segments
            .into_iter()
            .map(|seg| replace_path_variable(&seg, vars, resolve))
            .collect();
        out.push('/');
        out.push_str(&replaced.join("/"));
    }
    if let Some(query) = &u.query {
        let enabled: Vec<String> = query
            .iter()
            .filter(|q| q.disabled != Some(true))
            .map(|q| {
                let key = q.key.as_deref().unwrap_or_default();
                match &q.value {
                    Some(v) => encode_query_param(key, v),
                    None => utf8_percent_encode(key, QUERY_KEY_SET).to_string(),
                }
            })
            .collect();
        if !enabled.is_empty() {
            out.push('?');
            out.push_str(&enabled.join("&"));
        }
    }
    if let Some(hash) = &u.hash
        && !hash.is_empty()
    {
        out.push('#');
        out.push_str(hash);
    }
    out
}

fn path_segments(u: &Url) -> Option<Vec<String>> {
    match u.path.as_ref()? {
        serde_json::Value::String(s) => Some(
            s.strip_prefix('/')
                .unwrap_or(s)
                .split('/')
                .map(str::to_string)
                .collect(),
        ),
        serde_json::Value::Array(list) => Some(
            list.iter()
                .map(|seg| match seg {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Object(o) => o
                        .get("value")
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_string(),
                    other => other.to_string(),
                })
                .collect(),
        ),
        _ => None,
    }
}

/// Replaces a `:name` segment (the rest after the name is kept) from `url.variable`, when the
/// variable's value is a non-empty string; otherwise the segment stays as written.
fn replace_path_variable(
    segment: &str,
    vars: &[crate::collection::model::Variable],
    resolve: &dyn Fn(&str) -> String,
) -> String {
    let Some(name_and_rest) = segment.strip_prefix(':') else {
        return segment.to_string();
    };
    let end = name_and_rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '.'))
        .unwrap_or(name_and_rest.len());
    let (name, rest) = name_and_rest.split_at(end);
    let found = vars.iter().rev().find(|v| v.name() == Some(name));
    match found.and_then(|v| v.value.as_ref()) {
        Some(serde_json::Value::String(s)) if !s.is_empty() => format!("{}{rest}", resolve(s)),
        Some(serde_json::Value::Number(n)) => format!("{n}{rest}"),
        _ => segment.to_string(),
    }
}

/// The URL to send: parsed as Postman does, `http://` added when no scheme is given, and
/// percent-encoded with postman-url-encoder's sets (existing `%XX` are never re-encoded).
pub fn encode(resolved: &str, disable_encoding: bool) -> String {
    let p = parse(resolved);
    let protocol = p.protocol.clone().unwrap_or_else(|| "http".to_string());
    let mut out = format!("{protocol}://");
    if let Some(auth) = &p.auth {
        out.push_str(auth);
        out.push('@');
    }
    out.push_str(&p.host);
    if let Some(port) = &p.port {
        out.push(':');
        out.push_str(port);
    }
    out.push('/');
    if let Some(path) = &p.path {
        if disable_encoding {
            out.push_str(path);
        } else {
            out.extend(utf8_percent_encode(path, PATH_SET));
        }
    }
    if let Some(q) = &p.query {
        out.push('?');
        if disable_encoding {
            out.push_str(q);
        } else {
            out.extend(utf8_percent_encode(q, QUERY_SET));
        }
    }
    if let Some(h) = &p.hash {
        out.push('#');
        out.extend(utf8_percent_encode(h, FRAGMENT_SET));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collection::model::{QueryParam, Variable};
    use serde_json::json;

    fn ident(s: &str) -> String {
        s.to_string()
    }

    #[test]
    fn parses_like_postman() {
        let p = parse("https://u:p@api.example.com:8443/a/b?x=1&y#frag");
        assert_eq!(p.protocol.as_deref(), Some("https"));
        assert_eq!(p.auth.as_deref(), Some("u:p"));
        assert_eq!(p.host, "api.example.com");
        assert_eq!(p.port.as_deref(), Some("8443"));
        assert_eq!(p.path.as_deref(), Some("a/b"));
        assert_eq!(p.query.as_deref(), Some("x=1&y"));
        assert_eq!(p.hash.as_deref(), Some("frag"));
    }

    #[test]
    fn object_form_ignores_raw_and_drops_disabled_query() {
        let u = Url {
            raw: Some("http://wrong/".into()),
            protocol: Some("https".into()),
            host: Some(StringOrList::List(vec![
                "postman-echo".into(),
                "com".into(),
            ])),
            path: Some(json!(["get", ":id"])),
            query: Some(vec![
                QueryParam {
                    key: Some("a".into()),
                    value: Some("1".into()),
                    ..Default::default()
                },
                QueryParam {
                    key: Some("off".into()),
                    value: Some("x".into()),
                    disabled: Some(true),
                    ..Default::default()
                },
                QueryParam {
                    key: Some("bare".into()),
                    value: None,
                    ..Default::default()
                },
            ]),
            variable: Some(vec![Variable {
                key: Some("id".into()),
                value: Some(json!("42")),
                ..Default::default()
            }]),
            ..Default::default()
        };
        let s = assemble(&UrlField::Parts(Box::new(u)), &ident);
        assert_eq!(s, "https://postman-echo.com/get/42?a=1&bare");
    }

    #[test]
    fn query_parts_encode_separators_inside_keys_and_values() {
        let u = Url {
            host: Some(StringOrList::One("h".into())),
            query: Some(vec![
                QueryParam {
                    key: Some("k#1".into()),
                    value: Some("v&2#".into()),
                    ..Default::default()
                },
                QueryParam {
                    key: Some("a b".into()),
                    value: Some("c=d".into()),
                    ..Default::default()
                },
            ]),
            ..Default::default()
        };
        let s = assemble(&UrlField::Parts(Box::new(u)), &ident);
        assert_eq!(encode(&s, false), "http://h/?k%231=v%262%23&a%20b=c=d");
    }

    #[test]
    fn unset_path_variable_stays() {
        let u = Url {
            host: Some(StringOrList::One("h".into())),
            path: Some(json!("/items/:missing")),
            ..Default::default()
        };
        assert_eq!(
            assemble(&UrlField::Parts(Box::new(u)), &ident),
            "h/items/:missing"
        );
    }

    #[test]
    fn all_disabled_query_gives_no_question_mark() {
        let u = Url {
            host: Some(StringOrList::One("h".into())),
            query: Some(vec![QueryParam {
                key: Some("a".into()),
                disabled: Some(true),
                ..Default::default()
            }]),
            ..Default::default()
        };
        assert_eq!(assemble(&UrlField::Parts(Box::new(u)), &ident), "h");
    }

    #[test]
    fn encodes_with_postman_sets() {
        assert_eq!(
            encode("example.com/a b/{{x}}/ü?q=a b&c='\"&d=%41+/?@", false),
            "http://example.com/a%20b/%7B%7Bx%7D%7D/%C3%BC?q=a%20b&c=%27%22&d=%41+/?@"
        );
        assert_eq!(encode("http://h/p?x=1#a b", false), "http://h/p?x=1#a%20b");
        assert_eq!(encode("http://h", false), "http://h/");
    }
}
