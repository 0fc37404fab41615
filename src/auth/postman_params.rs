//! Helpers shared by the signing auth types (digest, oauth1, hawk): parameter values as text,
//! random nonces and the parts of a request URL that signatures cover.

use std::collections::HashMap;

use rand::Rng;
use rand::distr::Alphanumeric;
use serde_json::Value;

use crate::collection::model::Auth;

/// The auth block's own parameters as text (`null` becomes empty, other values their JSON text).
pub fn params(auth: &Auth) -> HashMap<String, String> {
    auth.params_list()
        .into_iter()
        .map(|(k, v)| {
            let text = match v {
                Value::Null => String::new(),
                Value::String(s) => s,
                other => other.to_string(),
            };
            (k, text)
        })
        .collect()
}

/// A parameter's value, empty when absent.
pub fn get<'a>(params: &'a HashMap<String, String>, key: &str) -> &'a str {
    params.get(key).map_or("", String::as_str)
}

/// A parameter read as a flag (`true` or `"true"`).
pub fn flag(params: &HashMap<String, String>, key: &str) -> bool {
    get(params, key) == "true"
}

/// HMAC-SHA256 of `data` under `key` (any key length is valid for HMAC).
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    use hmac::{Hmac, Mac};
    Hmac::<sha2::Sha256>::new_from_slice(key)
        .map(|m| m.chain_update(data).finalize().into_bytes().to_vec())
        .unwrap_or_default()
}

/// `len` random ASCII letters and digits (nonces, client nonces).
pub fn random_alnum(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// The request target of an absolute URL: path and query as written, without the fragment.
pub fn path_and_query(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let target = rest.find(['/', '?']).map_or("", |i| &rest[i..]);
    target.split('#').next().unwrap_or("")
}

/// Scheme, host and port of an absolute URL (the port defaults by scheme).
pub fn origin(url: &str) -> (String, String, u16) {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let default = if scheme.eq_ignore_ascii_case("https") {
        443
    } else {
        80
    };
    let (host, port) = match host_port.find(']') {
        Some(end) => (&host_port[..=end], host_port[end + 1..].strip_prefix(':')),
        None => match host_port.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        },
    };
    (
        scheme.to_ascii_lowercase(),
        host.to_string(),
        port.and_then(|p| p.parse().ok()).unwrap_or(default),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_and_query_keeps_the_target_as_written() {
        assert_eq!(path_and_query("http://h:1/a/./b?x=%20#f"), "/a/./b?x=%20");
        assert_eq!(path_and_query("http://h?x=1"), "?x=1");
        assert_eq!(path_and_query("http://h"), "");
    }

    #[test]
    fn origin_defaults_the_port_by_scheme() {
        assert_eq!(origin("https://a.b/x"), ("https".into(), "a.b".into(), 443));
        assert_eq!(
            origin("http://u:p@127.0.0.1:8080/x"),
            ("http".into(), "127.0.0.1".into(), 8080)
        );
    }

    #[test]
    fn random_alnum_has_the_length_asked() {
        let n = random_alnum(11);
        assert_eq!(n.len(), 11);
        assert!(n.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
