//! Request parsing for the echo service: query strings, urlencoded and multipart bodies, cookies.
//!
//! Shapes follow postman-echo (Express + qs): a key given once maps to a string, a repeated key
//! maps to an array of strings in arrival order, e.g. `?a=1&a=2&b=3` -> `{"a":["1","2"],"b":"3"}`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

/// Collects key/value pairs into a JSON object; repeated keys become arrays.
pub(super) fn multi_map<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Map<String, Value>
where
    K: Into<String>,
    V: Into<String>,
{
    let mut out = Map::new();
    for (key, value) in pairs {
        let key = key.into();
        let value = Value::String(value.into());
        match out.get_mut(&key) {
            Some(Value::Array(items)) => items.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
            None => {
                out.insert(key, value);
            }
        }
    }
    out
}

/// Decodes `a=1&b=x+y` style text (query strings and urlencoded bodies) into ordered pairs.
pub(super) fn form_pairs(raw: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Parses a query string into postman-echo's `args` object.
pub(super) fn query_args(query: Option<&str>) -> Map<String, Value> {
    multi_map(form_pairs(query.unwrap_or_default().as_bytes()))
}

/// Splits a `Cookie` header into name/value pairs (the last value of a repeated name wins).
pub(super) fn cookies(header: &str) -> Map<String, Value> {
    header
        .split(';')
        .filter_map(|part| part.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), Value::String(v.trim().to_owned())))
        .collect()
}

/// Re-formats a Content-Type the way Express's `res.send()` does: lower-case media type and
/// parameter names, and `charset=utf-8` added to text and JSON types that lack a charset.
pub(super) fn normalize_content_type(value: &str) -> String {
    let mut parts = value.split(';').map(str::trim);
    let media = parts.next().unwrap_or_default().to_ascii_lowercase();
    let mut params: Vec<String> = parts
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| format!("{}={}", k.trim().to_ascii_lowercase(), v.trim()))
        .collect();
    let wants_charset = media.starts_with("text/") || media.ends_with("json");
    if wants_charset && !params.iter().any(|p| p.starts_with("charset=")) {
        params.push("charset=utf-8".to_owned());
    }
    std::iter::once(media)
        .chain(params)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Parses a `multipart/form-data` body into `(form, files)`.
///
/// Text parts land in `form` (repeated names become arrays). File parts land in `files`, keyed
/// by file name, as `data:application/octet-stream;base64,...` whatever their declared type,
/// because that is what postman-echo reports. A body without a boundary yields two empty maps.
pub(super) fn multipart(
    body: &[u8],
    content_type: &str,
) -> (Map<String, Value>, Map<String, Value>) {
    let mut form = Vec::new();
    let mut files = Map::new();
    let Some(boundary) = boundary(content_type) else {
        return (Map::new(), files);
    };
    let delimiter = [b"--", boundary.as_bytes()].concat();
    for part in split(body, &delimiter).into_iter().skip(1) {
        if part.starts_with(b"--") {
            break;
        }
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        let (head, content) = match find(part, b"\r\n\r\n") {
            Some(at) => (&part[..at], &part[at + 4..]),
            None => (part, &[][..]),
        };
        let content = content.strip_suffix(b"\r\n").unwrap_or(content);
        let head = String::from_utf8_lossy(head);
        if let Some(filename) = disposition_param(&head, "filename") {
            let uri = format!(
                "data:application/octet-stream;base64,{}",
                STANDARD.encode(content)
            );
            files.insert(filename, Value::String(uri));
        } else if let Some(name) = disposition_param(&head, "name") {
            form.push((name, String::from_utf8_lossy(content).into_owned()));
        }
    }
    (multi_map(form), files)
}

/// The `boundary` parameter of a multipart Content-Type, without quotes.
fn boundary(content_type: &str) -> Option<&str> {
    let (_, rest) = content_type.split_once("boundary=")?;
    let rest = rest.strip_prefix('"').unwrap_or(rest);
    let end = rest.find(['"', ';']).unwrap_or(rest.len());
    Some(&rest[..end]).filter(|b| !b.is_empty())
}

/// The quoted value of `key="..."` in a part's headers; `name` does not match inside `filename`.
fn disposition_param(head: &str, key: &str) -> Option<String> {
    let needle = format!("{key}=\"");
    let mut from = 0;
    while let Some(found) = head[from..].find(&needle) {
        let at = from + found;
        let standalone = head[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_ascii_alphanumeric());
        let value_start = at + needle.len();
        if standalone {
            let end = head[value_start..].find('"')?;
            return Some(head[value_start..value_start + end].to_owned());
        }
        from = value_start;
    }
    None
}

/// Position of the first occurrence of `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Splits `hay` on every occurrence of `sep`.
fn split<'a>(mut hay: &'a [u8], sep: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    while let Some(at) = find(hay, sep) {
        out.push(&hay[..at]);
        hay = &hay[at + sep.len()..];
    }
    out.push(hay);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn repeated_keys_become_arrays_in_order() {
        let args = query_args(Some("a=1&b=x+y&a=2&a=3&c&d=%C3%A9"));
        assert_eq!(
            Value::Object(args),
            json!({"a": ["1", "2", "3"], "b": "x y", "c": "", "d": "é"})
        );
        assert_eq!(Value::Object(query_args(None)), json!({}));
    }

    #[test]
    fn cookies_are_split_and_trimmed() {
        assert_eq!(
            Value::Object(cookies("a=1; b = two;bad; c=x=y")),
            json!({"a": "1", "b": "two", "c": "x=y"})
        );
    }

    #[test]
    fn content_type_is_normalized_like_express() {
        assert_eq!(
            normalize_content_type("Text/Plain"),
            "text/plain; charset=utf-8"
        );
        assert_eq!(
            normalize_content_type("application/json; Charset=latin1"),
            "application/json; charset=latin1"
        );
        assert_eq!(normalize_content_type("image/png"), "image/png");
    }

    #[test]
    fn multipart_splits_fields_and_files() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\nv1\r\n\
            --XyZ\r\nContent-Disposition: form-data; filename=\"f.txt\"; name=\"up\"\r\n\
            Content-Type: text/plain\r\n\r\nhi\r\n\
            --XyZ\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\nv2\r\n--XyZ--\r\n";
        let (form, files) = multipart(body, "multipart/form-data; boundary=\"XyZ\"");
        assert_eq!(Value::Object(form), json!({"k": ["v1", "v2"]}));
        assert_eq!(
            Value::Object(files),
            json!({"f.txt": "data:application/octet-stream;base64,aGk="})
        );
    }

    #[test]
    fn multipart_without_boundary_is_empty() {
        let (form, files) = multipart(b"--x\r\n\r\n", "multipart/form-data");
        assert!(form.is_empty() && files.is_empty());
    }
}
