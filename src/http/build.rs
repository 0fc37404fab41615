//! Turns a resolved Postman request into a `RequestSpec`: URL, headers and every body mode, with
//! the Content-Type rules of postman-runtime's body builder.

use std::path::Path;

use base64::Engine;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

use crate::collection::model::{Body, FormList, FormParam, Request};
use crate::http::spec::{ProtocolSettings, RequestSpec};
use crate::http::url;

/// Methods whose body Postman drops unless `disableBodyPruning` is set.
const METHODS_WITHOUT_BODY: [&str; 5] = ["GET", "HEAD", "COPY", "PURGE", "UNLOCK"];

/// What postman-runtime leaves unencoded in urlencoded bodies: letters, digits and `-_.~`
/// (`! ' ( ) *` are encoded, unlike Node's `querystring.escape`).
const FORM_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A request that could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The request has no URL (Newman's wording).
    #[error("request url is empty")]
    NoUrl,
}

/// Non-fatal notes produced while building (Newman prints them as console warnings).
pub type Warnings = Vec<String>;

/// Builds the spec of a request whose strings are already resolved.
pub fn build(
    req: &Request,
    settings: ProtocolSettings,
    working_dir: &Path,
) -> Result<(RequestSpec, Warnings), BuildError> {
    let mut warnings = Warnings::new();
    let method = req
        .method
        .as_deref()
        .filter(|m| !m.is_empty())
        .unwrap_or("GET")
        .to_ascii_uppercase();
    let url_field = req.url.as_ref().ok_or(BuildError::NoUrl)?;
    let raw = url::assemble(url_field, &|s| s.to_string());
    if raw.trim().is_empty() {
        return Err(BuildError::NoUrl);
    }
    let url = url::encode(&raw, settings.disable_url_encoding);
    let headers: Vec<(String, String)> = req
        .header
        .as_ref()
        .map(|h| h.entries())
        .unwrap_or_default()
        .into_iter()
        .filter(|h| h.disabled != Some(true) && !h.key.is_empty())
        .map(|h| (h.key, value_text(h.value.as_ref())))
        .collect();
    let mut spec = RequestSpec {
        method,
        url,
        headers,
        body: None,
        content_type_from_body: false,
        settings,
    };
    let prune =
        METHODS_WITHOUT_BODY.contains(&spec.method.as_str()) && !spec.settings.disable_body_pruning;
    if let Some(body) = req.body.as_ref().filter(|b| b.disabled != Some(true))
        && !prune
    {
        build_body(&mut spec, body, working_dir, &mut warnings)?;
    }
    Ok((spec, warnings))
}

/// The text of a header or form value: strings as is, other JSON as its JSON text.
fn value_text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn set_content_type_if_missing(spec: &mut RequestSpec, value: &str) {
    if !spec.has_header("content-type") {
        spec.headers
            .push(("Content-Type".to_string(), value.to_string()));
        spec.content_type_from_body = true;
    }
}

fn build_body(
    spec: &mut RequestSpec,
    body: &Body,
    working_dir: &Path,
    warnings: &mut Warnings,
) -> Result<(), BuildError> {
    match body.mode.as_deref() {
        Some("raw") => {
            let Some(raw) = body.raw.as_deref().filter(|r| !r.is_empty()) else {
                return Ok(());
            };
            let language = body
                .options
                .as_ref()
                .and_then(|o| o.pointer("/raw/language"))
                .and_then(Value::as_str);
            let content_type = match language {
                Some("json") => "application/json",
                Some("javascript") => "application/javascript",
                Some("html") => "text/html",
                Some("xml") => "application/xml",
                _ => "text/plain",
            };
            set_content_type_if_missing(spec, content_type);
            let is_json = language == Some("json") || (language.is_none() && header_is_json(spec));
            let text = if is_json && (raw.contains("//") || raw.contains("/*")) {
                strip_json_comments(raw)
            } else {
                raw.to_string()
            };
            spec.body = Some(text.into_bytes());
        }
        Some("urlencoded") => {
            let params = body
                .urlencoded
                .as_ref()
                .map(FormList::params)
                .unwrap_or_default();
            let params = enabled(&params);
            if params.is_empty() {
                return Ok(());
            }
            let encoded: Vec<String> = params
                .iter()
                .map(|p| {
                    format!(
                        "{}={}",
                        utf8_percent_encode(&p.key, FORM_SET),
                        utf8_percent_encode(&value_text(p.value.as_ref()), FORM_SET)
                    )
                })
                .collect();
            set_form_content_type(spec);
            spec.body = Some(encoded.join("&").into_bytes());
        }
        Some("formdata") => {
            // A string in place of the list is what the SDK reads as no parameters at all.
            let params = match &body.formdata {
                Some(FormList::List(list)) => enabled(list),
                _ => Vec::new(),
            };
            let parts: Vec<Part> = params
                .into_iter()
                .flat_map(|p| form_parts(p, working_dir, spec.settings.secure_file_read, warnings))
                .collect();
            // No part left (every file unreadable): nothing is sent, the user's headers stay.
            if parts.is_empty() {
                return Ok(());
            }
            let boundary = format!(
                "--------------------------{}",
                &uuid::Uuid::new_v4().as_u128().to_string()[..24]
            );
            let mut out = Vec::new();
            for part in parts {
                out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
                out.extend_from_slice(part.head.as_bytes());
                out.extend_from_slice(b"\r\n");
                out.extend_from_slice(&part.content);
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
            spec.remove_header("content-type");
            spec.headers.push((
                "Content-Type".to_string(),
                format!("multipart/form-data; boundary={boundary}"),
            ));
            spec.content_type_from_body = true;
            spec.body = Some(out);
        }
        Some("file") => {
            let src = body
                .file
                .as_ref()
                .and_then(|f| f.get("src"))
                .and_then(Value::as_str);
            if let Some(src) = src.filter(|s| !s.is_empty()) {
                // Newman sends an unreadable file as an empty body, with a warning.
                match read_body_file(working_dir, src, spec.settings.secure_file_read) {
                    Ok(bytes) => spec.body = Some(bytes),
                    Err(reason) => {
                        warnings.push(format!("Binary file load error: \"{src}\", {reason}"));
                    }
                }
            } else if let Some(content) = body
                .file
                .as_ref()
                .and_then(|f| f.get("content"))
                .and_then(Value::as_str)
            {
                spec.body = Some(content.as_bytes().to_vec());
            }
        }
        Some("graphql") => {
            let Some(gql) = body.graphql.as_ref() else {
                return Ok(());
            };
            let query = gql.get("query").and_then(Value::as_str).unwrap_or("");
            let mut text = format!("{{\"query\":{}", Value::String(query.to_string()));
            if let Some(op) = gql.get("operationName").and_then(Value::as_str) {
                text.push_str(&format!(",\"operationName\":{}", Value::String(op.into())));
            }
            match gql.get("variables") {
                Some(Value::String(s)) if !s.trim().is_empty() => {
                    text.push_str(&format!(",\"variables\":{s}"));
                }
                Some(v @ Value::Object(_)) => text.push_str(&format!(",\"variables\":{v}")),
                _ => {}
            }
            text.push('}');
            set_content_type_if_missing(spec, "application/json");
            spec.body = Some(text.into_bytes());
        }
        _ => {}
    }
    Ok(())
}

fn header_is_json(spec: &RequestSpec) -> bool {
    spec.headers.iter().any(|(k, v)| {
        if !k.eq_ignore_ascii_case("content-type") {
            return false;
        }
        let v = v.to_ascii_lowercase();
        let mime = v.split(';').next().unwrap_or("").trim();
        mime.starts_with("application/") && (mime.ends_with("/json") || mime.ends_with("+json"))
    })
}

/// Sets the urlencoded Content-Type as postman-request's `form` does: a header that already
/// names it is kept, any other Content-Type (even `application/json`) gets its value replaced,
/// keeping the name as the user spelled it.
fn set_form_content_type(spec: &mut RequestSpec) {
    const FORM: &str = "application/x-www-form-urlencoded";
    let existing = spec
        .headers
        .iter_mut()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"));
    match existing {
        Some((_, v)) if v.starts_with(FORM) => {}
        Some((_, v)) => *v = FORM.to_string(),
        None => {
            spec.headers
                .push(("Content-Type".to_string(), FORM.to_string()));
            spec.content_type_from_body = true;
        }
    }
}

/// Newman's refusal under `--no-insecure-file-read`.
const PPERM: &str = "PPERM: insecure file access outside working directory";

/// Reads a body or form file relative to `working_dir`; with `secure`, only inside it (checked on
/// the path as written, as Newman's SecureFS does). The error is Newman's wording.
fn read_body_file(working_dir: &Path, src: &str, secure: bool) -> Result<Vec<u8>, String> {
    let path = working_dir.join(src);
    if secure && !lexically_inside(&path, working_dir) {
        return Err(PPERM.to_string());
    }
    std::fs::read(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    })
}

/// True when `path`, with `.` and `..` resolved without touching the file system, lies in `dir`.
fn lexically_inside(path: &Path, dir: &Path) -> bool {
    use std::path::Component;
    let normalize = |p: &Path| {
        let mut out = std::path::PathBuf::new();
        for c in p.components() {
            match c {
                Component::ParentDir => {
                    out.pop();
                }
                Component::CurDir => {}
                other => out.push(other),
            }
        }
        out
    };
    normalize(path).starts_with(normalize(dir))
}

fn enabled(params: &[FormParam]) -> Vec<&FormParam> {
    params.iter().filter(|p| p.disabled != Some(true)).collect()
}

struct Part {
    head: String,
    content: Vec<u8>,
}

fn quote(s: &str) -> String {
    s.replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// The multipart parts of one formdata entry: one text part, or one part per readable file.
fn form_parts(
    p: &FormParam,
    working_dir: &Path,
    secure: bool,
    warnings: &mut Warnings,
) -> Vec<Part> {
    let name = quote(&p.key);
    if p.kind.as_deref() != Some("file") {
        let mut head = format!("Content-Disposition: form-data; name=\"{name}\"\r\n");
        if let Some(ct) = p.content_type.as_deref().filter(|c| !c.is_empty()) {
            head.push_str(&format!("Content-Type: {ct}\r\n"));
        }
        return vec![Part {
            head,
            content: value_text(p.value.as_ref()).into_bytes(),
        }];
    }
    let sources: Vec<String> = match &p.src {
        Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    let file_part = |file_name: &str, content: Vec<u8>| {
        let ct = p
            .content_type
            .clone()
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| mime_for(file_name).to_string());
        Part {
            head: format!(
                "Content-Disposition: form-data; name=\"{name}\"; filename=\"{}\"\r\nContent-Type: {ct}\r\n",
                quote(file_name)
            ),
            content,
        }
    };
    if sources.is_empty() {
        if let Some(Value::String(b64)) = p.value.as_ref().filter(|v| v.as_str() != Some(""))
            && let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b64)
        {
            let file_name = p
                .extra
                .get("fileName")
                .and_then(Value::as_str)
                .unwrap_or("file");
            return vec![file_part(file_name, bytes)];
        }
        // No file chosen: Newman sends the part with an empty file name and no content.
        warnings.push(format!(
            "Form param `{}`, file load error: missing file source",
            p.key
        ));
        // The part's own contentType, when it names one, is sent with it (as Newman does).
        let mut head =
            format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"\"\r\n");
        if let Some(ct) = p.content_type.as_deref().filter(|c| !c.is_empty()) {
            head.push_str(&format!("Content-Type: {ct}\r\n"));
        }
        return vec![Part {
            head,
            content: Vec::new(),
        }];
    }
    // A file that cannot be read is left out (with a warning), as Newman does.
    sources
        .iter()
        .filter_map(|src| match read_body_file(working_dir, src, secure) {
            Ok(bytes) => {
                let file_name = Path::new(src)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| src.clone());
                Some(file_part(&file_name, bytes))
            }
            Err(reason) => {
                warnings.push(format!(
                    "Form param `{}`, file load error: \"{src}\", {reason}",
                    p.key
                ));
                None
            }
        })
        .collect()
}

/// A Content-Type for a file part from its extension (the common ones; octet-stream otherwise).
fn mime_for(file_name: &str) -> &'static str {
    let ext = file_name
        .rsplit('.')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "json" => "application/json",
        "txt" => "text/plain",
        "csv" => "text/csv",
        "xml" => "application/xml",
        "html" | "htm" => "text/html",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "js" => "application/javascript",
        _ => "application/octet-stream",
    }
}

/// Removes `//` and `/* */` comments outside strings (Newman 6 strips them from JSON bodies).
fn strip_json_comments(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut chars = input.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match (c, chars.peek()) {
            ('"', _) => {
                in_string = true;
                out.push(c);
            }
            ('/', Some('/')) => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            ('/', Some('*')) => {
                chars.next();
                let mut prev = '\0';
                for n in chars.by_ref() {
                    if prev == '*' && n == '/' {
                        break;
                    }
                    prev = n;
                }
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn req(v: Value) -> Request {
        serde_json::from_value(v).expect("valid request")
    }

    fn spec(v: Value) -> RequestSpec {
        build(&req(v), ProtocolSettings::default(), Path::new("."))
            .expect("builds")
            .0
    }

    #[test]
    fn raw_language_sets_content_type_unless_given() {
        let s = spec(json!({"method": "post", "url": "h/p",
            "body": {"mode": "raw", "raw": "{\"a\":1 // c\n}", "options": {"raw": {"language": "json"}}}}));
        assert_eq!(s.method, "POST");
        assert_eq!(
            s.headers,
            vec![("Content-Type".into(), "application/json".into())]
        );
        assert_eq!(String::from_utf8(s.body.unwrap()).unwrap(), "{\"a\":1 \n}");
        let s = spec(json!({"method": "POST", "url": "h/p",
            "header": [{"key": "content-type", "value": "text/xml"}],
            "body": {"mode": "raw", "raw": "<a/>", "options": {"raw": {"language": "xml"}}}}));
        assert_eq!(s.headers, vec![("content-type".into(), "text/xml".into())]);
    }

    #[test]
    fn get_body_is_pruned_unless_disabled() {
        let r = json!({"method": "GET", "url": "h", "body": {"mode": "raw", "raw": "x"}});
        assert!(spec(r.clone()).body.is_none());
        let settings = ProtocolSettings {
            disable_body_pruning: true,
            ..ProtocolSettings::default()
        };
        let (s, _) = build(&req(r), settings, Path::new(".")).unwrap();
        assert_eq!(s.body.unwrap(), b"x");
    }

    #[test]
    fn urlencoded_like_postman_runtime() {
        let s = spec(
            json!({"method": "POST", "url": "h", "body": {"mode": "urlencoded", "urlencoded": [
            {"key": "a b", "value": "x&y=z!*'()"}, {"key": "off", "value": "1", "disabled": true},
            {"key": "a b", "value": "2"}]}}),
        );
        assert_eq!(
            String::from_utf8(s.body.unwrap()).unwrap(),
            "a%20b=x%26y%3Dz%21%2A%27%28%29&a%20b=2"
        );
        assert!(s.headers.contains(&(
            "Content-Type".into(),
            "application/x-www-form-urlencoded".into()
        )));
    }

    #[test]
    fn disabled_headers_dropped_duplicates_kept() {
        let s = spec(json!({"url": "h", "header": [
            {"key": "X", "value": "1"}, {"key": "X", "value": "2"}, {"key": "Y", "value": "3", "disabled": true}]}));
        assert_eq!(
            s.headers,
            vec![("X".into(), "1".into()), ("X".into(), "2".into())]
        );
    }

    #[test]
    fn graphql_splices_string_variables() {
        let s = spec(
            json!({"method": "POST", "url": "h", "body": {"mode": "graphql",
            "graphql": {"query": "{ a }", "variables": "{\"x\": 1}"}}}),
        );
        assert_eq!(
            String::from_utf8(s.body.unwrap()).unwrap(),
            "{\"query\":\"{ a }\",\"variables\":{\"x\": 1}}"
        );
    }

    #[test]
    fn formdata_text_and_missing_file() {
        let (s, warnings) = build(
            &req(
                json!({"method": "POST", "url": "h", "body": {"mode": "formdata", "formdata": [
                {"key": "t", "value": "v", "type": "text"},
                {"key": "f", "src": "does-not-exist.bin", "type": "file"}]}}),
            ),
            ProtocolSettings::default(),
            Path::new("."),
        )
        .unwrap();
        let body = String::from_utf8(s.body.unwrap()).unwrap();
        assert!(body.contains("name=\"t\"\r\n\r\nv\r\n"), "{body}");
        assert!(!body.contains("name=\"f\""));
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("no such file"), "{warnings:?}");
    }

    #[test]
    fn comments_inside_strings_survive() {
        assert_eq!(
            strip_json_comments("{\"u\":\"http://x\" /* c */}"),
            "{\"u\":\"http://x\" }"
        );
    }
}
