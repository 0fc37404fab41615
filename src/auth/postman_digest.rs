//! Postman `digest` auth, as postman-runtime's digest.js does it: a request without `realm` and
//! `nonce` goes out unsigned; a 401 whose `WWW-Authenticate` carries a Digest challenge fills
//! them in and the request is replayed once, signed.
//!
//! ```text
//! Authorization: Digest username="u", realm="r", nonce="n", uri="/p?q", algorithm="MD5",
//!                qop=auth, nc=00000001, cnonce="c", response="...", opaque="o"
//! ```

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use md5::Md5;
use sha2::{Digest, Sha256, Sha512_256};

use crate::auth::postman_params::{flag, get, params, path_and_query, random_alnum};
use crate::collection::model::Auth;
use crate::http::call::ReceivedResponse;
use crate::http::spec::RequestSpec;

/// The challenge state of each digest auth block during a run. postman-runtime writes the
/// challenge (realm, nonce, qop, opaque, algorithm) and the client nonce back into the auth
/// block, so later requests that use the same block sign at once, counting `nc` up.
#[derive(Debug, Default)]
pub struct DigestSessions {
    state: Mutex<HashMap<String, HashMap<String, String>>>,
}

impl DigestSessions {
    /// Adds the digest header when the block (or its stored challenge) has a realm and a nonce.
    /// `owner` names where the block lives (request, folder or collection): blocks with the same
    /// parameters at different places keep separate challenges, as in postman-runtime.
    pub fn sign(&self, spec: &mut RequestSpec, auth: &Auth, owner: &str) {
        let key = key(auth, owner);
        let mut p = params(auth);
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(stored) = state.get(&key) {
            p.extend(stored.clone());
        }
        if get(&p, "clientNonce").is_empty() {
            p.insert("clientNonce".into(), random_alnum(8));
        }
        if sign(spec, &p) {
            if let Some(stored) = state.get_mut(&key) {
                let nc = u32::from_str_radix(get(&p, "nonceCount"), 16).unwrap_or(1);
                stored.insert("nonceCount".into(), format!("{:08x}", nc.saturating_add(1)));
                stored.insert("clientNonce".into(), get(&p, "clientNonce").to_string());
            }
        }
    }

    /// The request to replay after `response`, when it is a 401 with a Digest challenge and
    /// retries are not disabled; the challenge is kept for the block's later requests.
    pub fn replay(
        &self,
        spec: &RequestSpec,
        auth: &Auth,
        owner: &str,
        response: &ReceivedResponse,
    ) -> Option<RequestSpec> {
        if response.code != 401 || flag(&params(auth), "disableRetryRequest") {
            return None;
        }
        let challenge = challenge(response)?;
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key(auth, owner), challenge);
        let mut next = spec.clone();
        next.remove_header("authorization");
        self.sign(&mut next, auth, owner);
        next.has_header("authorization").then_some(next)
    }
}

fn key(auth: &Auth, owner: &str) -> String {
    format!(
        "{owner}\n{}",
        serde_json::to_string(auth).unwrap_or_default()
    )
}

/// The parameters a 401's `WWW-Authenticate: Digest ...` sets.
fn challenge(response: &ReceivedResponse) -> Option<HashMap<String, String>> {
    let header = response
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("www-authenticate"))
        .map(|(_, v)| v.trim())
        .find(|v| v.len() > 6 && v[..6].eq_ignore_ascii_case("digest"))?;
    let fields = parse_challenge(&header[6..]);
    let mut p = HashMap::new();
    p.insert("realm".to_string(), fields.get("realm")?.clone());
    p.insert("nonce".to_string(), fields.get("nonce")?.clone());
    p.insert(
        "opaque".into(),
        fields.get("opaque").cloned().unwrap_or_default(),
    );
    // Kept as the server wrote it: postman-runtime signs with qop only when it is exactly
    // `auth` or `auth-int`, so a list (`auth,auth-int`) or another token signs without it.
    let chosen = fields.get("qop").map_or("", |q| q.trim());
    p.insert("qop".into(), chosen.to_string());
    if let Some(algorithm) = fields.get("algorithm") {
        p.insert("algorithm".into(), algorithm.clone());
    }
    p.insert("nonceCount".into(), "00000001".into());
    Some(p)
}

fn sign(spec: &mut RequestSpec, p: &HashMap<String, String>) -> bool {
    if get(p, "realm").is_empty() || get(p, "nonce").is_empty() {
        return false;
    }
    let uri = match path_and_query(&spec.url) {
        "" => "/".to_string(),
        t if t.starts_with('?') => format!("/{t}"),
        t => t.to_string(),
    };
    let body = spec.body.clone().unwrap_or_default();
    let header = header(p, &spec.method, &uri, &body);
    spec.set_header("Authorization", header);
    true
}

/// The `Digest ...` header value for these parameters.
fn header(p: &HashMap<String, String>, method: &str, uri: &str, body: &[u8]) -> String {
    let algorithm = match get(p, "algorithm") {
        "" => "MD5",
        a => a,
    };
    let qop = get(p, "qop");
    let nc = match get(p, "nonceCount") {
        "" => "00000001".to_string(),
        n => n.to_string(),
    };
    let cnonce = match get(p, "clientNonce") {
        "" => random_alnum(8),
        c => c.to_string(),
    };
    let (user, realm, nonce) = (get(p, "username"), get(p, "realm"), get(p, "nonce"));
    let hash = |s: &[u8]| hash(algorithm, s);
    let mut ha1 = hash(format!("{user}:{realm}:{}", get(p, "password")).as_bytes());
    if algorithm.to_ascii_lowercase().ends_with("-sess") {
        ha1 = hash(format!("{ha1}:{nonce}:{cnonce}").as_bytes());
    }
    let ha2 = if qop == "auth-int" {
        hash(format!("{method}:{uri}:{}", hash(body)).as_bytes())
    } else {
        hash(format!("{method}:{uri}").as_bytes())
    };
    let standard_qop = qop == "auth" || qop == "auth-int";
    let response = if standard_qop {
        hash(format!("{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}").as_bytes())
    } else {
        hash(format!("{ha1}:{nonce}:{ha2}").as_bytes())
    };
    let mut parts = vec![
        format!("username=\"{user}\""),
        format!("realm=\"{realm}\""),
        format!("nonce=\"{nonce}\""),
        format!("uri=\"{uri}\""),
        format!("algorithm=\"{algorithm}\""),
    ];
    if standard_qop {
        parts.push(format!("qop={qop}"));
    }
    if standard_qop || algorithm == "MD5-sess" {
        parts.push(format!("nc={nc}"));
        parts.push(format!("cnonce=\"{cnonce}\""));
    }
    parts.push(format!("response=\"{response}\""));
    let opaque = get(p, "opaque");
    if !opaque.is_empty() {
        parts.push(format!("opaque=\"{opaque}\""));
    }
    format!("Digest {}", parts.join(", "))
}

/// Lower-case hex of the digest named by `algorithm` (MD5 unless it names SHA-256 or SHA-512-256).
fn hash(algorithm: &str, data: &[u8]) -> String {
    let upper = algorithm.to_ascii_uppercase();
    if upper.starts_with("SHA-512-256") {
        hex(&Sha512_256::digest(data))
    } else if upper.starts_with("SHA-256") {
        hex(&Sha256::digest(data))
    } else {
        hex(&Md5::digest(data))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `key=value` / `key="value"` pairs of a challenge, keys lower-cased.
fn parse_challenge(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut rest = text.trim();
    while let Some((key, after)) = rest.split_once('=') {
        let key = key
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let after = after.trim_start();
        let (value, remaining) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            (&quoted[..end], quoted.get(end + 1..).unwrap_or(""))
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim(), &after[end..])
        };
        out.insert(key, value.to_string());
        rest = remaining.trim_start().trim_start_matches(',');
    }
    out
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
    fn rfc2617_example_with_qop_auth() {
        // RFC 2617 section 3.5.
        let params = p(&[
            ("username", "Mufasa"),
            ("password", "Circle Of Life"),
            ("realm", "testrealm@host.com"),
            ("nonce", "dcd98b7102dd2f0e8b11d0f600bfb0c093"),
            ("qop", "auth"),
            ("clientNonce", "0a4f113b"),
            ("opaque", "5ccc069c403ebaf9f0171e9517f40e41"),
        ]);
        let h = header(&params, "GET", "/dir/index.html", b"");
        assert!(
            h.contains("response=\"6629fae49393a05397450978507c4ef1\""),
            "{h}"
        );
        assert!(h.starts_with("Digest username=\"Mufasa\", realm=\"testrealm@host.com\""));
        assert!(h.ends_with("opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""));
        assert!(h.contains("qop=auth, nc=00000001, cnonce=\"0a4f113b\""));
    }

    #[test]
    fn without_qop_the_response_skips_nc_and_cnonce() {
        let params = p(&[
            ("username", "postman"),
            ("password", "password"),
            ("realm", "Users"),
            ("nonce", "ni1LiL0O37PRRhofWdCLmwFsnEtH1lew"),
        ]);
        let h = header(&params, "GET", "/digest-auth", b"");
        // Computed by postman-runtime for the same inputs (conformance reference run).
        assert!(
            h.contains("response=\"254679099562cf07df9b6f5d8d15db44\""),
            "{h}"
        );
        assert!(!h.contains("cnonce"));
    }

    #[test]
    fn sha256_sess_hashes_differ_from_md5() {
        let base = [
            ("username", "u"),
            ("password", "p"),
            ("realm", "r"),
            ("nonce", "n"),
            ("qop", "auth"),
            ("clientNonce", "c"),
        ];
        let md5 = header(&p(&base), "GET", "/", b"");
        let mut with = base.to_vec();
        with.push(("algorithm", "SHA-256-sess"));
        let sha = header(&p(&with), "GET", "/", b"");
        let response = |h: &str| {
            h.split("response=\"")
                .nth(1)
                .map(|r| r[..r.find('"').unwrap_or(0)].len())
        };
        assert_eq!(response(&md5), Some(32));
        assert_eq!(response(&sha), Some(64));
        assert!(sha.contains("algorithm=\"SHA-256-sess\""));
    }

    #[test]
    fn challenge_parsing_handles_quotes_and_commas() {
        let c = parse_challenge(
            r#" realm="Users, Inc", nonce="abc", qop="auth,auth-int", algorithm=MD5"#,
        );
        assert_eq!(c.get("realm").map(String::as_str), Some("Users, Inc"));
        assert_eq!(c.get("nonce").map(String::as_str), Some("abc"));
        assert_eq!(c.get("qop").map(String::as_str), Some("auth,auth-int"));
        assert_eq!(c.get("algorithm").map(String::as_str), Some("MD5"));
    }

    #[test]
    fn replay_signs_after_a_401_challenge() {
        let auth: Auth = serde_json::from_value(serde_json::json!({
            "type": "digest", "digest": {"username": "postman", "password": "password"}
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let mut spec = RequestSpec {
            method: "GET".into(),
            url: "http://127.0.0.1:1/digest-auth".into(),
            ..RequestSpec::default()
        };
        let sessions = DigestSessions::default();
        sessions.sign(&mut spec, &auth, "item");
        assert!(!spec.has_header("authorization"));
        let response = ReceivedResponse {
            code: 401,
            headers: vec![(
                "WWW-Authenticate".into(),
                r#"Digest realm="Users", nonce="n1", qop="auth""#.into(),
            )],
            ..ReceivedResponse::default()
        };
        let next = sessions
            .replay(&spec, &auth, "item", &response)
            .unwrap_or_else(|| panic!("no replay"));
        let (_, value) = &next.headers[0];
        assert!(value.starts_with(
            "Digest username=\"postman\", realm=\"Users\", nonce=\"n1\", uri=\"/digest-auth\""
        ));
        assert!(value.contains("qop=auth, nc=00000001"));
        // The block's next request signs at once, counting on.
        let mut later = spec.clone();
        sessions.sign(&mut later, &auth, "item");
        let (_, value) = &later.headers[0];
        assert!(value.contains("nc=00000002"), "{value}");
        // The same parameters elsewhere start without a challenge.
        let mut elsewhere = spec.clone();
        sessions.sign(&mut elsewhere, &auth, "folder");
        assert!(!elsewhere.has_header("authorization"));
    }
}
