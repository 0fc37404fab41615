//! Postman's `jwt` auth: signs a JWT per request from the block's algorithm, header, payload and
//! secret or private key, and sends it as a header (`Authorization: <prefix> <jwt>`) or a query
//! parameter, as postman-runtime's `lib/authorizer/jwt.js` does:
//!
//! ```text
//! {"type": "jwt", "jwt": [{"key": "algorithm", "value": "HS256"}, {"key": "secret", "value": "..."},
//!   {"key": "payload", "value": "{\"sub\": \"me\"}"}, {"key": "addTokenTo", "value": "header"}]}
//! ```

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey};
use rsa::pkcs1::EncodeRsaPrivateKey;
use serde_json::{Map, Value};

use super::key::{KeySource, load_private_key};
use super::postman::{add_query_param, text};
use crate::collection::model::Auth;
use crate::http::spec::RequestSpec;
use crate::secret::Secret;

/// Why a `jwt` auth block cannot be signed. Messages never contain key material.
#[derive(Debug, thiserror::Error)]
pub enum JwtAuthError {
    /// The algorithm is not one snapman signs.
    #[error(
        "jwt auth: algorithm `{0}` is not supported (supported: HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512)"
    )]
    Algorithm(String),
    /// An HS algorithm without a secret.
    #[error("jwt auth: the {0} algorithm needs a secret")]
    MissingSecret(String),
    /// An RS/PS algorithm without a private key.
    #[error("jwt auth: the {0} algorithm needs a private key (PEM)")]
    MissingKey(String),
    /// The header or payload is not JSON.
    #[error("jwt auth: the {what} is not valid JSON: {reason}")]
    Json {
        /// `header` or `payload`.
        what: &'static str,
        /// The parser's message.
        reason: String,
    },
    /// The secret is marked base64 but is not.
    #[error("jwt auth: the secret is marked base64-encoded but is not valid base64")]
    Base64,
    /// The private key cannot be used.
    #[error("jwt auth: {0}")]
    Key(String),
    /// Signing failed.
    #[error("jwt auth: failed to sign: {0}")]
    Sign(String),
}

/// A boolean parameter given as `true` or `"true"`.
fn flag(auth: &Auth, name: &str) -> bool {
    match auth.param(name) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// A JSON object parameter given as an object or as JSON text; empty means `{}`.
fn json_param(auth: &Auth, name: &'static str) -> Result<Map<String, Value>, JwtAuthError> {
    let invalid = |reason: String| JwtAuthError::Json { what: name, reason };
    match auth.param(name) {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map.clone()),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(Map::new()),
        Some(Value::String(s)) => match serde_json::from_str(s.trim()) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(invalid("expected a JSON object".to_string())),
            Err(e) => Err(invalid(format!("line {} column {}", e.line(), e.column()))),
        },
        Some(_) => Err(invalid("expected a JSON object".to_string())),
    }
}

/// The signing algorithm named by the block.
fn algorithm(name: &str) -> Result<Algorithm, JwtAuthError> {
    Ok(match name {
        "HS256" => Algorithm::HS256,
        "HS384" => Algorithm::HS384,
        "HS512" => Algorithm::HS512,
        "RS256" => Algorithm::RS256,
        "RS384" => Algorithm::RS384,
        "RS512" => Algorithm::RS512,
        "PS256" => Algorithm::PS256,
        "PS384" => Algorithm::PS384,
        "PS512" => Algorithm::PS512,
        other => return Err(JwtAuthError::Algorithm(other.to_string())),
    })
}

/// The key for `alg`: the secret for HS (base64-decoded to ASCII when marked, as Node's
/// `Buffer.toString('ascii')` does), else the RSA private key (any PEM form, with `passphrase`).
fn signing_key(auth: &Auth, name: &str) -> Result<EncodingKey, JwtAuthError> {
    if name.starts_with("HS") {
        let secret = text(auth.param("secret"));
        if secret.is_empty() {
            return Err(JwtAuthError::MissingSecret(name.to_string()));
        }
        if flag(auth, "isSecretBase64Encoded") {
            let bytes = STANDARD
                .decode(secret.trim())
                .map_err(|_| JwtAuthError::Base64)?;
            let ascii: Vec<u8> = bytes.iter().map(|b| b & 0x7f).collect();
            return Ok(EncodingKey::from_secret(&ascii));
        }
        return Ok(EncodingKey::from_secret(secret.as_bytes()));
    }
    let pem = text(auth.param("privateKey"));
    if pem.trim().is_empty() {
        return Err(JwtAuthError::MissingKey(name.to_string()));
    }
    let passphrase = Some(text(auth.param("passphrase")))
        .filter(|p| !p.is_empty())
        .map(Secret::new);
    let key = load_private_key(&KeySource::AuthBlock(Secret::new(pem)), passphrase.as_ref())
        .map_err(|e| JwtAuthError::Key(e.to_string().replace("SF_JWT_KEY", "privateKey")))?;
    let der = key
        .rsa()
        .to_pkcs1_der()
        .map_err(|e| JwtAuthError::Sign(e.to_string()))?;
    Ok(EncodingKey::from_rsa_der(der.as_bytes()))
}

/// Signs the JWT the block describes. The header is `alg` (the block's `algorithm` wins over any
/// `alg` in its header) followed by the block's header fields; the payload is sent as written.
pub fn sign(auth: &Auth) -> Result<Secret<String>, JwtAuthError> {
    let name = text(auth.param("algorithm"));
    let alg = algorithm(&name)?;
    let mut custom = json_param(auth, "header")?;
    custom.remove("alg");
    let mut header = Map::new();
    header.insert("alg".to_string(), Value::String(name.clone()));
    for known in ["typ", "kid"] {
        if let Some(v) = custom.remove(known) {
            header.insert(known.to_string(), v);
        }
    }
    header.extend(custom);
    let payload = json_param(auth, "payload")?;
    let encode =
        |v: &Map<String, Value>| URL_SAFE_NO_PAD.encode(Value::Object(v.clone()).to_string());
    let message = format!("{}.{}", encode(&header), encode(&payload));
    let key = signing_key(auth, &name)?;
    let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &key, alg)
        .map_err(|e| JwtAuthError::Sign(e.to_string()))?;
    Ok(Secret::new(format!("{message}.{signature}")))
}

/// Signs and adds the token to the request; returns it for the redactor.
pub fn apply(spec: &mut RequestSpec, auth: &Auth) -> Result<Secret<String>, JwtAuthError> {
    let jwt = sign(auth)?;
    let or_default = |name: &str, default: &str| {
        Some(text(auth.param(name)))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| default.to_string())
    };
    match or_default("addTokenTo", "header").as_str() {
        "header" => {
            let prefix = or_default("headerPrefix", "Bearer");
            spec.set_header("Authorization", format!("{prefix} {}", jwt.expose()));
        }
        "queryParam" => {
            add_query_param(spec, &or_default("queryParamKey", "token"), jwt.expose());
        }
        _ => {}
    }
    Ok(jwt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn auth(v: Value) -> Auth {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn hs256_matches_a_known_token() {
        // The jwt.io example token: header {"alg":"HS256","typ":"JWT"}, secret "your-256-bit-secret".
        let a = auth(json!({"type": "jwt", "jwt": [
            {"key": "algorithm", "value": "HS256"},
            {"key": "secret", "value": "your-256-bit-secret"},
            {"key": "header", "value": "{\"typ\": \"JWT\"}"},
            {"key": "payload", "value": "{\"sub\":\"1234567890\",\"name\":\"John Doe\",\"iat\":1516239022}"}
        ]}));
        assert_eq!(
            sign(&a).unwrap().expose(),
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
        );
    }

    #[test]
    fn query_param_and_errors() {
        let mut spec = RequestSpec {
            url: "http://h/p?token=old".into(),
            ..RequestSpec::default()
        };
        let a = auth(
            json!({"type": "jwt", "jwt": {"algorithm": "HS512", "secret": "c2VjcmV0",
            "isSecretBase64Encoded": true, "addTokenTo": "queryParam"}}),
        );
        let jwt = apply(&mut spec, &a).unwrap();
        assert_eq!(spec.url, format!("http://h/p?token={}", jwt.expose()));
        let bad = auth(json!({"type": "jwt", "jwt": {"algorithm": "none"}}));
        assert!(matches!(sign(&bad), Err(JwtAuthError::Algorithm(_))));
        let no_key = auth(json!({"type": "jwt", "jwt": {"algorithm": "RS256"}}));
        assert!(matches!(sign(&no_key), Err(JwtAuthError::MissingKey(_))));
        let bad_json = auth(
            json!({"type": "jwt", "jwt": {"algorithm": "HS256", "secret": "s", "payload": "{x"}}),
        );
        assert!(sign(&bad_json).unwrap_err().to_string().contains("payload"));
    }
}
