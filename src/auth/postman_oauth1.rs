//! Postman `oauth1` auth, as postman-runtime's oauth1.js signs: the `oauth_*` protocol
//! parameters plus the URL query and a urlencoded body go into the signature base string,
//! signed with HMAC-SHA1/256/512, RSA-SHA1/256/512 (PKCS#1 v1.5, as Node's `crypto.createSign`)
//! or PLAINTEXT, and the result is sent in the `Authorization` header or added to the query (or
//! the urlencoded body). A block without a consumer key (or without the secret or private key
//! its method needs) signs nothing, as in postman-runtime.
//!
//! ```text
//! Authorization: OAuth oauth_consumer_key="k",oauth_signature_method="HMAC-SHA1",
//!                oauth_timestamp="1461319769",oauth_nonce="ik3oT5",oauth_version="1.0",
//!                oauth_signature="..."
//! ```

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use crate::auth::postman_params::{flag, get, origin, params, random_alnum};
use crate::collection::model::Auth;
use crate::http::spec::RequestSpec;

/// RFC 3986 unreserved characters stay; everything else is percent-encoded.
const OAUTH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Why a block could not sign.
#[derive(Debug, thiserror::Error)]
pub enum OAuth1Error {
    /// A signature method snapman does not know.
    #[error(
        "oauth1 signature method `{0}` is not supported (supported: HMAC-SHA1/256/512, RSA-SHA1/256/512, PLAINTEXT)"
    )]
    UnsupportedMethod(String),
    /// The RSA private key could not be read.
    #[error("oauth1 {method}: invalid private key: {reason}")]
    PrivateKey {
        /// The signature method.
        method: String,
        /// Why (never the key itself).
        reason: String,
    },
}

/// Signs the request. The timestamp and nonce are generated when the block leaves them empty.
pub fn apply(spec: &mut RequestSpec, auth: &Auth) -> Result<(), OAuth1Error> {
    let p = params(auth);
    let rsa = get(&p, "signatureMethod")
        .to_ascii_uppercase()
        .starts_with("RSA");
    if get(&p, "consumerKey").is_empty()
        || (!rsa && get(&p, "consumerSecret").is_empty())
        || (rsa && get(&p, "privateKey").is_empty())
    {
        return Ok(());
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let timestamp = match get(&p, "timestamp") {
        "" => now.to_string(),
        t => t.to_string(),
    };
    let nonce = match get(&p, "nonce") {
        "" => random_alnum(11),
        n => n.to_string(),
    };
    sign(spec, &p, &timestamp, &nonce)
}

fn sign(
    spec: &mut RequestSpec,
    p: &HashMap<String, String>,
    timestamp: &str,
    nonce: &str,
) -> Result<(), OAuth1Error> {
    let method = match get(p, "signatureMethod") {
        "" => "HMAC-SHA1".to_string(),
        m => m.to_ascii_uppercase(),
    };
    if !matches!(
        method.as_str(),
        "HMAC-SHA1"
            | "HMAC-SHA256"
            | "HMAC-SHA512"
            | "RSA-SHA1"
            | "RSA-SHA256"
            | "RSA-SHA512"
            | "PLAINTEXT"
    ) {
        return Err(OAuth1Error::UnsupportedMethod(method));
    }
    let form = is_urlencoded(spec);
    let mut protocol: Vec<(String, String)> = [
        ("oauth_consumer_key", get(p, "consumerKey")),
        ("oauth_token", get(p, "token")),
        ("oauth_signature_method", method.as_str()),
        ("oauth_timestamp", timestamp),
        ("oauth_nonce", nonce),
        ("oauth_version", get(p, "version")),
        ("oauth_callback", get(p, "callback")),
        ("oauth_verifier", get(p, "verifier")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    if flag(p, "includeBodyHash") && !form && method != "PLAINTEXT" {
        let body = spec.body.clone().unwrap_or_default();
        let hash = match method.as_str() {
            "HMAC-SHA256" | "RSA-SHA256" => Sha256::digest(&body).to_vec(),
            "HMAC-SHA512" | "RSA-SHA512" => Sha512::digest(&body).to_vec(),
            _ => Sha1::digest(&body).to_vec(),
        };
        protocol.push(("oauth_body_hash".into(), STANDARD.encode(hash)));
    }
    if !flag(p, "addEmptyParamsToSign") {
        protocol.retain(|(_, v)| !v.is_empty());
    }
    let key = format!(
        "{}&{}",
        encode(get(p, "consumerSecret")),
        encode(get(p, "tokenSecret"))
    );
    let signature = if method == "PLAINTEXT" {
        key
    } else if method.starts_with("RSA") {
        let base = base_string(spec, &protocol, form);
        rsa_base64(&method, get(p, "privateKey"), base.as_bytes())?
    } else {
        let base = base_string(spec, &protocol, form);
        hmac_base64(&method, key.as_bytes(), base.as_bytes())
    };
    protocol.retain(|(_, v)| !v.is_empty());
    protocol.push(("oauth_signature".into(), signature));
    if flag(p, "addParamsToHeader") {
        let raw = flag(p, "disableHeaderEncoding");
        let mut parts = Vec::new();
        let realm = get(p, "realm");
        if !realm.trim().is_empty() {
            let realm = if raw {
                realm.to_string()
            } else {
                encode(realm)
            };
            parts.push(format!("realm=\"{realm}\""));
        }
        parts.extend(protocol.iter().map(|(k, v)| {
            let value = if raw { v.clone() } else { encode(v) };
            format!("{k}=\"{value}\"")
        }));
        spec.set_header("Authorization", format!("OAuth {}", parts.join(",")));
    } else if form {
        let mut body = spec.body.clone().unwrap_or_default();
        for (k, v) in &protocol {
            if !body.is_empty() {
                body.push(b'&');
            }
            body.extend_from_slice(format!("{}={}", encode(k), encode(v)).as_bytes());
        }
        spec.body = Some(body);
    } else {
        let (path, fragment) = match spec.url.split_once('#') {
            Some((p, f)) => (p.to_string(), Some(f.to_string())),
            None => (spec.url.clone(), None),
        };
        let mut url = path;
        for (k, v) in &protocol {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&format!("{}={}", encode(k), encode(v)));
        }
        if let Some(f) = fragment {
            url.push('#');
            url.push_str(&f);
        }
        spec.url = url;
    }
    Ok(())
}

/// PKCS#1 v1.5 signature of `data` with the PEM key (PKCS#1 or PKCS#8, encrypted with
/// `passphrase`-less keys only), base64, as Node's `crypto.createSign(method).sign(key)`.
fn rsa_base64(method: &str, pem: &str, data: &[u8]) -> Result<String, OAuth1Error> {
    use crate::auth::key::{KeySource, load_private_key};
    use crate::secret::Secret;
    let key = load_private_key(&KeySource::AuthBlock(Secret::new(pem.to_string())), None).map_err(
        |e| OAuth1Error::PrivateKey {
            method: method.to_string(),
            reason: e.to_string(),
        },
    )?;
    let (scheme, hashed) = match method {
        "RSA-SHA256" => (
            rsa::Pkcs1v15Sign::new::<Sha256>(),
            Sha256::digest(data).to_vec(),
        ),
        "RSA-SHA512" => (
            rsa::Pkcs1v15Sign::new::<Sha512>(),
            Sha512::digest(data).to_vec(),
        ),
        _ => (
            rsa::Pkcs1v15Sign::new::<Sha1>(),
            Sha1::digest(data).to_vec(),
        ),
    };
    let signature = key
        .rsa()
        .sign(scheme, &hashed)
        .map_err(|e| OAuth1Error::PrivateKey {
            method: method.to_string(),
            reason: e.to_string(),
        })?;
    Ok(STANDARD.encode(signature))
}

fn is_urlencoded(spec: &RequestSpec) -> bool {
    spec.headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("content-type")
            && v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
    })
}

/// `METHOD&url&params`, each part percent-encoded; params sorted by encoded key, then value.
fn base_string(spec: &RequestSpec, protocol: &[(String, String)], form: bool) -> String {
    let (scheme, host, port) = origin(&spec.url);
    let without_fragment = spec.url.split('#').next().unwrap_or("");
    let (before_query, query) = without_fragment
        .split_once('?')
        .unwrap_or((without_fragment, ""));
    let after_scheme = before_query
        .split_once("://")
        .map_or(before_query, |(_, r)| r);
    let path = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
    let authority = if port == 80 || port == 443 {
        host.to_ascii_lowercase()
    } else {
        format!("{}:{port}", host.to_ascii_lowercase())
    };
    let base_url = format!("{scheme}://{authority}{path}");
    let mut pairs: Vec<(String, String)> = protocol
        .iter()
        .map(|(k, v)| (encode(k), encode(v)))
        .collect();
    pairs.extend(decoded_pairs(query));
    if form {
        let body = spec.body.clone().unwrap_or_default();
        pairs.extend(decoded_pairs(&String::from_utf8_lossy(&body)));
    }
    pairs.sort();
    let normalized = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    format!(
        "{}&{}&{}",
        spec.method.to_ascii_uppercase(),
        encode(&base_url),
        encode(&normalized)
    )
}

/// `a=1&b=%20` as (encoded key, encoded value) pairs, re-encoded the OAuth way.
fn decoded_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let decode = |s: &str| {
                percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (encode(&decode(k)), encode(&decode(v)))
        })
        .collect()
}

fn encode(s: &str) -> String {
    utf8_percent_encode(s, OAUTH).to_string()
}

fn hmac_base64(method: &str, key: &[u8], data: &[u8]) -> String {
    let bytes = match method {
        "HMAC-SHA256" => Hmac::<Sha256>::new_from_slice(key)
            .map(|m| m.chain_update(data).finalize().into_bytes().to_vec()),
        "HMAC-SHA512" => Hmac::<Sha512>::new_from_slice(key)
            .map(|m| m.chain_update(data).finalize().into_bytes().to_vec()),
        _ => Hmac::<Sha1>::new_from_slice(key)
            .map(|m| m.chain_update(data).finalize().into_bytes().to_vec()),
    };
    STANDARD.encode(bytes.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn spec(url: &str) -> RequestSpec {
        RequestSpec {
            method: "GET".into(),
            url: url.into(),
            ..RequestSpec::default()
        }
    }

    #[test]
    fn header_matches_postman_runtime() {
        // Signature from Newman's reference run against the same URL, time and nonce.
        let params = p(&[
            ("consumerKey", "RKCGzna7bv9YD57c"),
            ("consumerSecret", "D+EdQ-gs$-%@2Nu7"),
            ("signatureMethod", "HMAC-SHA1"),
            ("version", "1.0"),
            ("addParamsToHeader", "true"),
        ]);
        let mut s = spec("http://127.0.0.1:44797/oauth1?a=omg");
        sign(&mut s, &params, "1795704049", "ik3oT5").unwrap_or_else(|e| panic!("{e}"));
        let (_, header) = &s.headers[0];
        assert!(header.starts_with("OAuth oauth_consumer_key=\"RKCGzna7bv9YD57c\",oauth_signature_method=\"HMAC-SHA1\",oauth_timestamp=\"1795704049\",oauth_nonce=\"ik3oT5\",oauth_version=\"1.0\",oauth_signature=\"dkcM7MObHBO2X5ox8x%2Fal2CrzgY%3D\""), "{header}");
    }

    #[test]
    fn rfc5849_base_string_and_signature() {
        // RFC 5849 section 3.4.1.1 example (twitter-style), HMAC-SHA1 with token secret.
        let params = p(&[
            ("consumerKey", "9djdj82h48djs9d2"),
            ("consumerSecret", "j49sk3j29djd"),
            ("token", "kkk9d7dh3k39sjv7"),
            ("tokenSecret", "dh893hdasih9"),
            ("signatureMethod", "HMAC-SHA1"),
        ]);
        let mut s = spec("http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b");
        let protocol: Vec<(String, String)> = vec![
            ("oauth_consumer_key".into(), "9djdj82h48djs9d2".into()),
            ("oauth_token".into(), "kkk9d7dh3k39sjv7".into()),
            ("oauth_signature_method".into(), "HMAC-SHA1".into()),
            ("oauth_timestamp".into(), "137131201".into()),
            ("oauth_nonce".into(), "7d8f3e4a".into()),
        ];
        let base = base_string(&s, &protocol, false);
        assert!(base.starts_with("GET&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26oauth_consumer_key"), "{base}");
        sign(&mut s, &params, "137131201", "7d8f3e4a").unwrap_or_else(|e| panic!("{e}"));
        assert!(s.url.contains("oauth_signature="), "{}", s.url);
        assert!(!s.has_header("authorization"));
    }

    #[test]
    fn plaintext_and_empty_params() {
        let params = p(&[
            ("consumerKey", "k"),
            ("consumerSecret", "c s"),
            ("signatureMethod", "PLAINTEXT"),
            ("addParamsToHeader", "true"),
            ("realm", "R"),
        ]);
        let mut s = spec("http://h/x");
        sign(&mut s, &params, "1", "n").unwrap_or_else(|e| panic!("{e}"));
        let (_, header) = &s.headers[0];
        assert_eq!(
            header,
            "OAuth realm=\"R\",oauth_consumer_key=\"k\",oauth_signature_method=\"PLAINTEXT\",oauth_timestamp=\"1\",oauth_nonce=\"n\",oauth_signature=\"c%2520s%26\""
        );
    }

    #[test]
    fn rsa_is_refused() {
        let params = p(&[("signatureMethod", "RSA-SHA1")]);
        assert!(sign(&mut spec("http://h/"), &params, "1", "n").is_err());
    }
}
