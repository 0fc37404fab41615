//! postman-echo's signed-auth endpoints, ported from the conformance kit's `echo_server.py`
//! with real checking: `/digest-auth` (MD5, realm `Users`, a fixed nonce, `qop="auth"`) and
//! `/auth/hawk` (sha256 MAC for id `dh37fgj492je`) and `/oauth1` (HMAC-SHA1/256 for consumer
//! `RKCGzna7bv9YD57c`, parameters from the header, the query and a urlencoded body).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, HOST, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde_json::json;
use sha1::Sha1;
use sha2::Sha256;

/// Digest credentials `/digest-auth` accepts.
const DIGEST_USER: &str = "postman";
const DIGEST_PASS: &str = "password";
const DIGEST_REALM: &str = "Users";
/// A fixed nonce, so two runs of one collection send identical requests.
const DIGEST_NONCE: &str = "ni1LiL0O37PRRhofWdCLmwFsnEtH1lew";
/// The Hawk id and key `/auth/hawk` knows.
const HAWK_ID: &str = "dh37fgj492je";
const HAWK_KEY: &str = "werxhqb98rpaxn39848xrunpaw3489ruxnpa98w4rxn";
/// The OAuth 1.0a consumer `/oauth1` knows.
const OAUTH1_CONSUMER: &str = "RKCGzna7bv9YD57c";
const OAUTH1_SECRET: &str = "D+EdQ-gs$-%@2Nu7";
/// Characters OAuth leaves unencoded.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `/digest-auth`: a 401 challenge unless the `Authorization: Digest` response is right.
pub(super) async fn digest_auth(method: Method, headers: HeaderMap) -> Response {
    let challenge =
        format!("Digest realm=\"{DIGEST_REALM}\", nonce=\"{DIGEST_NONCE}\", qop=\"auth\"");
    let unauthorized = || {
        let mut r = (StatusCode::UNAUTHORIZED, "Unauthorized").into_response();
        if let Ok(v) = HeaderValue::from_str(&challenge) {
            r.headers_mut().insert(WWW_AUTHENTICATE, v);
        }
        r.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        r
    };
    let auth = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(rest) = auth.strip_prefix("Digest ") else {
        return unauthorized();
    };
    let p = fields(rest);
    let get = |k: &str| p.get(k).map_or("", String::as_str);
    let md5 = |s: String| hex(&Md5::digest(s.as_bytes()));
    let ha1 = md5(format!(
        "{}:{}:{DIGEST_PASS}",
        get("username"),
        get("realm")
    ));
    let ha2 = md5(format!("{method}:{}", get("uri")));
    let expected = if get("qop").is_empty() {
        md5(format!("{ha1}:{}:{ha2}", get("nonce")))
    } else {
        md5(format!(
            "{ha1}:{}:{}:{}:{}:{ha2}",
            get("nonce"),
            get("nc"),
            get("cnonce"),
            get("qop")
        ))
    };
    if get("username") == DIGEST_USER && get("response") == expected {
        super::echo::json_reply(StatusCode::OK, json!({ "authenticated": true }))
    } else {
        unauthorized()
    }
}

/// `/auth/hawk`: checks the MAC over the normalized request string.
pub(super) async fn hawk_auth(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let fail = |msg: &str| {
        let mut r = super::echo::json_reply(
            StatusCode::UNAUTHORIZED,
            json!({ "statusCode": 401, "error": "Unauthorized", "message": msg }),
        );
        if let Ok(v) = HeaderValue::from_str(&format!("Hawk error=\"{msg}\"")) {
            r.headers_mut().insert(WWW_AUTHENTICATE, v);
        }
        r
    };
    let auth = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(rest) = auth.strip_prefix("Hawk ") else {
        return fail("Missing authentication");
    };
    let a = fields(rest);
    let get = |k: &str| a.get(k).map_or("", String::as_str);
    if get("id") != HAWK_ID {
        return fail("Unknown credentials");
    }
    let host = headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (hostname, port) = match host.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty() => (h, p),
        _ => (host, "80"),
    };
    let target = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut normalized = format!(
        "hawk.1.header\n{}\n{}\n{method}\n{target}\n{}\n{port}\n{}\n{}\n",
        get("ts"),
        get("nonce"),
        hostname.to_ascii_lowercase(),
        get("hash"),
        get("ext").replace('\\', "\\\\").replace('\n', "\\n")
    );
    if !get("app").is_empty() {
        normalized.push_str(&format!("{}\n{}\n", get("app"), get("dlg")));
    }
    let mac = Hmac::<Sha256>::new_from_slice(HAWK_KEY.as_bytes()).map(|m| {
        STANDARD.encode(
            m.chain_update(normalized.as_bytes())
                .finalize()
                .into_bytes(),
        )
    });
    if mac.ok().as_deref() != Some(get("mac")) {
        return fail("Bad mac");
    }
    super::echo::json_reply(
        StatusCode::OK,
        json!({ "message": "Hawk Authentication Successful" }),
    )
}

/// `/oauth1`: recomputes the signature over every parameter sent and compares.
pub(super) async fn oauth1(method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let auth = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut params: Vec<(String, String)> = Vec::new();
    if let Some(rest) = auth.strip_prefix("OAuth ") {
        params.extend(
            fields(rest)
                .into_iter()
                .map(|(k, v)| (decode(&k), decode(&v))),
        );
    }
    params.extend(form_pairs(uri.query().unwrap_or("")));
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.contains("application/x-www-form-urlencoded") {
        params.extend(form_pairs(&String::from_utf8_lossy(&body)));
    }
    let find = |key: &str| {
        params
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map_or(String::new(), |(_, v)| v.clone())
    };
    let signature = find("oauth_signature");
    let secret = if find("oauth_consumer_key") == OAUTH1_CONSUMER {
        OAUTH1_SECRET
    } else {
        ""
    };
    let host = headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let base_uri = format!("http://{host}{}", uri.path());
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "oauth_signature" && k != "realm")
        .map(|(k, v)| (pct(k), pct(v)))
        .collect();
    pairs.sort();
    let normalized = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let base_string = format!("{method}&{}&{}", pct(&base_uri), pct(&normalized));
    let key = format!("{}&", pct(secret));
    let expected = match find("oauth_signature_method").as_str() {
        "HMAC-SHA1" | "" => Hmac::<Sha1>::new_from_slice(key.as_bytes())
            .map(|m| {
                STANDARD.encode(
                    m.chain_update(base_string.as_bytes())
                        .finalize()
                        .into_bytes(),
                )
            })
            .ok(),
        "HMAC-SHA256" => Hmac::<Sha256>::new_from_slice(key.as_bytes())
            .map(|m| {
                STANDARD.encode(
                    m.chain_update(base_string.as_bytes())
                        .finalize()
                        .into_bytes(),
                )
            })
            .ok(),
        _ => None,
    };
    if expected.is_some_and(|e| e == signature) {
        return super::echo::json_reply(
            StatusCode::OK,
            json!({ "status": "pass", "message": "OAuth-1.0a signature verification was successful" }),
        );
    }
    super::echo::json_reply(
        StatusCode::UNAUTHORIZED,
        json!({ "status": "fail", "message": "HMAC-SHA1 verification failed", "base_uri": base_uri,
            "normalized_param_string": normalized, "base_string": base_string, "signing_key": key }),
    )
}

/// RFC 3986 percent-encoding (unreserved characters stay).
fn pct(s: &str) -> String {
    utf8_percent_encode(s, UNRESERVED).to_string()
}

fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// `a=1&b=x+y` decoded, blank values kept.
fn form_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(&k.replace('+', " ")), decode(&v.replace('+', " ")))
        })
        .collect()
}

/// `key="value"` and `key=value` pairs of an auth header's parameters.
fn fields(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut rest = text.trim();
    while let Some((key, after)) = rest.split_once('=') {
        let key = key.trim().trim_start_matches(',').trim().to_string();
        let (value, remaining) = match after.strip_prefix('"') {
            Some(quoted) => {
                let end = quoted.find('"').unwrap_or(quoted.len());
                (&quoted[..end], quoted.get(end + 1..).unwrap_or(""))
            }
            None => {
                let end = after.find(',').unwrap_or(after.len());
                (after[..end].trim(), &after[end..])
            }
        };
        out.insert(key, value.to_string());
        rest = remaining.trim_start().trim_start_matches(',');
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
