//! Postman `asap` auth (Atlassian service-to-service JWT), as postman-runtime's asap.js signs:
//! header `{"alg", "kid"}`, payload the block's `claims` followed by `iat`, `iss`, `sub` (the
//! issuer when absent), `jti` (a UUID when absent), `aud` and `exp` (`iat` + the block's `exp`
//! seconds, 3600 by default), sent as `Authorization: Bearer <jwt>`. The private key is PEM or a
//! `data:application/pkcs8;kid=...;base64,...` URI. RS256/384/512 and PS256/384/512.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey};
use rsa::pkcs1::EncodeRsaPrivateKey;
use serde_json::{Map, Value};

use super::key::{KeySource, load_private_key};
use super::postman::text;
use crate::collection::model::Auth;
use crate::http::spec::RequestSpec;
use crate::secret::Secret;

/// Why an `asap` block could not sign (Newman then sends the request unsigned, with a warning).
#[derive(Debug, thiserror::Error)]
#[error("could not sign the request: {0}")]
pub struct AsapError(pub String);

/// Signs the request; returns the token for the redactor.
pub fn apply(spec: &mut RequestSpec, auth: &Auth) -> Result<Secret<String>, AsapError> {
    let jwt = sign(auth, chrono::Utc::now().timestamp())?;
    spec.set_header("Authorization", format!("Bearer {}", jwt.expose()));
    Ok(jwt)
}

/// The token as of `now` (seconds since the epoch).
pub fn sign(auth: &Auth, now: i64) -> Result<Secret<String>, AsapError> {
    let param = |name: &str| text(auth.param(name));
    let mut claims = match auth.param("claims") {
        Some(Value::Object(map)) => map.clone(),
        Some(Value::String(s)) if !s.trim().is_empty() => {
            match serde_json::from_str::<Value>(s.trim()) {
                Ok(Value::Object(map)) => map,
                _ => return Err(AsapError("Failed to parse claims".into())),
            }
        }
        _ => Map::new(),
    };
    let claim = |claims: &Map<String, Value>, name: &str| {
        claims
            .get(name)
            .map(|v| text(Some(v)))
            .filter(|s| !s.is_empty())
    };
    let issuer = claim(&claims, "iss").unwrap_or_else(|| param("iss"));
    let subject = claim(&claims, "sub")
        .or_else(|| Some(param("sub")).filter(|s| !s.is_empty()))
        .unwrap_or_else(|| issuer.clone());
    let audience = claim(&claims, "aud").unwrap_or_else(|| param("aud"));
    let jti = claim(&claims, "jti").unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let issued_at = claims.get("iat").cloned().unwrap_or(Value::from(now));
    let lifetime = param("exp").parse::<i64>().ok().filter(|n| *n != 0);
    let expiry = claim(&claims, "exp")
        .and_then(|e| e.parse::<i64>().ok())
        .unwrap_or(now + lifetime.unwrap_or(3600));
    let kid = claim(&claims, "kid").unwrap_or_else(|| param("kid"));
    let alg_name = Some(param("alg"))
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| "RS256".into());
    let private_key = param("privateKey");
    if kid.is_empty() || issuer.is_empty() || audience.is_empty() || private_key.is_empty() {
        return Err(AsapError("One or more of required claims missing".into()));
    }
    let alg = match alg_name.as_str() {
        "RS256" => Algorithm::RS256,
        "RS384" => Algorithm::RS384,
        "RS512" => Algorithm::RS512,
        "PS256" => Algorithm::PS256,
        "PS384" => Algorithm::PS384,
        "PS512" => Algorithm::PS512,
        _ => return Err(AsapError("invalid algorithm".into())),
    };
    let key = signing_key(&private_key, &kid)?;
    claims.insert("iat".into(), issued_at);
    claims.insert("iss".into(), Value::String(issuer));
    claims.insert("sub".into(), Value::String(subject));
    claims.insert("jti".into(), Value::String(jti));
    claims.insert("aud".into(), Value::String(audience));
    claims.insert("exp".into(), Value::from(expiry));
    let mut header = Map::new();
    header.insert("alg".into(), Value::String(alg_name));
    header.insert("kid".into(), Value::String(kid));
    let encode = |v: Map<String, Value>| URL_SAFE_NO_PAD.encode(Value::Object(v).to_string());
    let message = format!("{}.{}", encode(header), encode(claims));
    let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &key, alg)
        .map_err(|e| AsapError(e.to_string()))?;
    Ok(Secret::new(format!("{message}.{signature}")))
}

/// The RSA key from PEM text or from a `data:application/pkcs8;kid=<kid>;base64,<der>` URI
/// (whose kid must be the block's).
fn signing_key(private_key: &str, kid: &str) -> Result<EncodingKey, AsapError> {
    let failed = || AsapError("Failed to parse private key.".into());
    let trimmed = private_key.trim().trim_matches('"');
    let pem = if let Some(uri) = trimmed.strip_prefix("data:application/pkcs8;kid=") {
        let (uri_kid, der) = uri
            .split_once(";base64,")
            .ok_or_else(|| AsapError("Malformed Data URI".into()))?;
        let uri_kid = percent_encoding::percent_decode_str(uri_kid).decode_utf8_lossy();
        if uri_kid != kid {
            return Err(AsapError(
                "Supplied key id does not match the one included in data uri.".into(),
            ));
        }
        let der = STANDARD.decode(der.trim()).map_err(|_| failed())?;
        // PKCS#8 DER wrapped as PEM, the form the key loader reads.
        pkcs8::der::pem::encode_string("PRIVATE KEY", pkcs8::LineEnding::LF, &der)
            .map_err(|_| failed())?
    } else {
        trimmed.to_string()
    };
    let key =
        load_private_key(&KeySource::AuthBlock(Secret::new(pem)), None).map_err(|_| failed())?;
    let der = key.rsa().to_pkcs1_der().map_err(|_| failed())?;
    Ok(EncodingKey::from_rsa_der(der.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn block(extra: Value) -> Auth {
        let mut params = vec![
            json!({"key": "kid", "value": "svc/key1"}),
            json!({"key": "iss", "value": "issuer-svc"}),
            json!({"key": "aud", "value": "aud-svc"}),
            json!({"key": "privateKey", "value": key_pem()}),
        ];
        if let Value::Array(more) = extra {
            params.extend(more);
        }
        serde_json::from_value(json!({"type": "asap", "asap": params})).unwrap()
    }

    fn key_pem() -> String {
        static KEY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        KEY.get_or_init(|| {
            crate::auth::keygen::generate(1, "asap test")
                .expect("key generates")
                .key_pem
                .expose()
                .clone()
        })
        .clone()
    }

    fn decoded(jwt: &str, part: usize) -> Value {
        let piece = jwt.split('.').nth(part).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(piece).unwrap()).unwrap()
    }

    #[test]
    fn claims_in_newmans_order() {
        let jwt = sign(
            &block(json!([{"key": "claims", "value": "{\"jti\":\"fixed-jti\",\"extra\":1}"}])),
            1_440_938_160,
        )
        .unwrap();
        let jwt = jwt.expose();
        assert_eq!(
            decoded(jwt, 0).to_string(),
            r#"{"alg":"RS256","kid":"svc/key1"}"#
        );
        assert_eq!(
            decoded(jwt, 1).to_string(),
            r#"{"jti":"fixed-jti","extra":1,"iat":1440938160,"iss":"issuer-svc","sub":"issuer-svc","aud":"aud-svc","exp":1440941760}"#
        );
    }

    #[test]
    fn missing_claims_and_bad_algorithms_are_errors() {
        let no_kid = block(json!([{"key": "kid", "value": ""}]));
        assert!(
            sign(&no_kid, 0)
                .unwrap_err()
                .to_string()
                .contains("required claims")
        );
        let hs = block(json!([{"key": "alg", "value": "HS256"}]));
        assert!(
            sign(&hs, 0)
                .unwrap_err()
                .to_string()
                .contains("invalid algorithm")
        );
    }
}
