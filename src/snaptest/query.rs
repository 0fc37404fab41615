//! Redactions of the request line: the URL's query parameters are redacted by the same
//! selectors as the body, seen as a flat object of name → value, so `.n` (or `.**.n`) turns
//! `GET http://h/get?q=a&n=731` into `GET http://h/get?q=a&n=[random]`.
//!
//! Parameters no rule selects keep their exact spelling (and encoding).

use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

use crate::snapshot::{Redaction, apply};

/// `url` with each selected query value replaced by its rule's text.
pub fn redact_query(url: &str, rules: &[Redaction]) -> String {
    let (head, fragment) = match url.split_once('#') {
        Some((h, f)) => (h, Some(f)),
        None => (url, None),
    };
    let Some((base, query)) = head.split_once('?') else {
        return url.to_string();
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| {
            let Some((key, value)) = pair.split_once('=') else {
                return pair.to_string();
            };
            let name = percent_decode_str(key).decode_utf8_lossy().into_owned();
            let decoded = percent_decode_str(value).decode_utf8_lossy().into_owned();
            let mut object = Map::new();
            object.insert(name.clone(), Value::String(decoded.clone()));
            let mut view = Value::Object(object);
            apply(&mut view, rules);
            match view.get(&name) {
                Some(Value::String(s)) if *s != decoded => format!("{key}={s}"),
                _ => pair.to_string(),
            }
        })
        .collect();
    let mut out = format!("{base}?{}", pairs.join("&"));
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::parse_selector;

    fn rule(selector: &str, replacement: &str) -> Redaction {
        Redaction {
            selector: parse_selector(selector).unwrap_or_else(|e| panic!("{e}")),
            replacement: replacement.to_string(),
        }
    }

    #[test]
    fn selected_values_are_replaced_others_kept() {
        let rules = [rule(".n", "[random]"), rule(".**.ts", "[time]")];
        assert_eq!(
            redact_query("http://h/get?q=hello%20world&n=731&ts=1#top", &rules),
            "http://h/get?q=hello%20world&n=[random]&ts=[time]#top"
        );
        assert_eq!(redact_query("http://h/get", &rules), "http://h/get");
        assert_eq!(redact_query("http://h/?flag&n", &rules), "http://h/?flag&n");
    }
}
