//! Postman `hawk` auth, as postman-runtime's hawk.js (the `hawk` client) builds it: an HMAC over
//! the normalized request string, with an optional payload hash.
//!
//! ```text
//! Authorization: Hawk id="dh37fgj492je", ts="1795704024", nonce="eFRP2o", ext="x", mac="..."
//! ```

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::auth::postman_params::{flag, get, origin, params, path_and_query, random_alnum};
use crate::collection::model::Auth;
use crate::http::spec::RequestSpec;

/// Adds the Hawk header. The timestamp and nonce are generated when the block leaves them empty.
pub fn apply(spec: &mut RequestSpec, auth: &Auth) {
    let p = params(auth);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let ts = match get(&p, "timestamp") {
        "" => now.to_string(),
        t => t.to_string(),
    };
    let nonce = match get(&p, "nonce") {
        "" => random_alnum(6),
        n => n.to_string(),
    };
    let header = header(spec, &p, &ts, &nonce);
    spec.set_header("Authorization", header);
}

fn header(spec: &RequestSpec, p: &HashMap<String, String>, ts: &str, nonce: &str) -> String {
    let sha1 = get(p, "algorithm").eq_ignore_ascii_case("sha1");
    let (_, host, port) = origin(&spec.url);
    let resource = match path_and_query(&spec.url) {
        "" => "/".to_string(),
        t if t.starts_with('?') => format!("/{t}"),
        t => t.to_string(),
    };
    let hash = if flag(p, "includePayloadHash") {
        let content_type = spec
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default();
        let mut payload = format!("hawk.1.payload\n{content_type}\n").into_bytes();
        payload.extend_from_slice(spec.body.as_deref().unwrap_or_default());
        payload.push(b'\n');
        let digest = if sha1 {
            Sha1::digest(&payload).to_vec()
        } else {
            Sha256::digest(&payload).to_vec()
        };
        STANDARD.encode(digest)
    } else {
        String::new()
    };
    let ext = get(p, "extraData");
    let (app, dlg) = (get(p, "app"), get(p, "delegation"));
    let mut normalized = format!(
        "hawk.1.header\n{ts}\n{nonce}\n{}\n{resource}\n{}\n{port}\n{hash}\n{}\n",
        spec.method.to_ascii_uppercase(),
        host.to_ascii_lowercase(),
        ext.replace('\\', "\\\\").replace('\n', "\\n")
    );
    if !app.is_empty() {
        normalized.push_str(&format!("{app}\n{dlg}\n"));
    }
    let key = get(p, "authKey").as_bytes();
    let mac = if sha1 {
        Hmac::<Sha1>::new_from_slice(key).map(|m| {
            m.chain_update(normalized.as_bytes())
                .finalize()
                .into_bytes()
                .to_vec()
        })
    } else {
        Hmac::<Sha256>::new_from_slice(key).map(|m| {
            m.chain_update(normalized.as_bytes())
                .finalize()
                .into_bytes()
                .to_vec()
        })
    };
    let mac = STANDARD.encode(mac.unwrap_or_default());
    let mut parts = vec![
        format!("id=\"{}\"", get(p, "authId")),
        format!("ts=\"{ts}\""),
        format!("nonce=\"{nonce}\""),
    ];
    if !hash.is_empty() {
        parts.push(format!("hash=\"{hash}\""));
    }
    if !ext.is_empty() {
        parts.push(format!(
            "ext=\"{}\"",
            ext.replace('\\', "\\\\").replace('"', "\\\"")
        ));
    }
    parts.push(format!("mac=\"{mac}\""));
    if !app.is_empty() {
        parts.push(format!("app=\"{app}\""));
        if !dlg.is_empty() {
            parts.push(format!("dlg=\"{dlg}\""));
        }
    }
    format!("Hawk {}", parts.join(", "))
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

    #[test]
    fn hawk_spec_example_mac() {
        // The example from the hawk README: GET /resource/1?b=1&a=2 on example.com:8000.
        let spec = RequestSpec {
            method: "GET".into(),
            url: "http://example.com:8000/resource/1?b=1&a=2".into(),
            ..RequestSpec::default()
        };
        let params = p(&[
            ("authId", "dh37fgj492je"),
            ("authKey", "werxhqb98rpaxn39848xrunpaw3489ruxnpa98w4rxn"),
            ("algorithm", "sha256"),
            ("extraData", "some-app-ext-data"),
        ]);
        let h = header(&spec, &params, "1353832234", "j4h3g2");
        assert_eq!(
            h,
            "Hawk id=\"dh37fgj492je\", ts=\"1353832234\", nonce=\"j4h3g2\", ext=\"some-app-ext-data\", mac=\"6R4rV5iE+NPoym+WwjeHzjAGXUtLNIxmo1vpMofpLAE=\""
        );
    }

    #[test]
    fn payload_hash_is_added_when_asked() {
        let spec = RequestSpec {
            method: "POST".into(),
            url: "http://example.com:8000/resource/1?b=1&a=2".into(),
            headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
            body: Some(b"Thank you for flying Hawk".to_vec()),
            ..RequestSpec::default()
        };
        let params = p(&[
            ("authId", "dh37fgj492je"),
            ("authKey", "werxhqb98rpaxn39848xrunpaw3489ruxnpa98w4rxn"),
            ("includePayloadHash", "true"),
        ]);
        let h = header(&spec, &params, "1353832234", "j4h3g2");
        assert!(
            h.contains("hash=\"Yi9LfIIFRtBEPt74PVmbTF/xVAwPn7ub15ePICfgnuY=\""),
            "{h}"
        );
    }
}
