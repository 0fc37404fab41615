//! Minting the RS256 assertion of Salesforce's OAuth 2.0 JWT bearer flow.
//!
//! The claims are exactly what Salesforce reads, with no `iat`, `nbf` or `jti`:
//!
//! ```text
//! {"alg":"RS256","typ":"JWT"} . {"iss":"3MVG9...","sub":"user@example.com","aud":"https://login.salesforce.com","exp":1700000180}
//! ```

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey;
use serde::Serialize;

use super::error::AuthError;
use super::key::PrivateKey;
use crate::secret::Secret;

/// The assertion's default lifetime: three minutes, as Salesforce documents.
pub const DEFAULT_EXP_SECONDS: u64 = 180;

/// The `grant_type` of the JWT bearer flow.
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// The production login URL, also the default audience.
pub const PRODUCTION_LOGIN_URL: &str = "https://login.salesforce.com";

/// The sandbox and scratch-org login URL.
pub const SANDBOX_LOGIN_URL: &str = "https://test.salesforce.com";

/// What goes into the assertion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JwtClaims {
    /// The connected app's consumer key.
    pub iss: String,
    /// The username to run as.
    pub sub: String,
    /// The audience: the login URL.
    pub aud: String,
    /// Seconds from now until `exp`.
    pub exp_seconds: u64,
}

/// The serialized claim set.
#[derive(Serialize)]
struct ClaimSet<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: u64,
}

/// Signs an assertion that expires `claims.exp_seconds` from now.
pub fn mint_assertion(key: &PrivateKey, claims: &JwtClaims) -> Result<Secret<String>, AuthError> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|e| AuthError::Sign(format!("system clock is before 1970: {e}")))?
        .as_secs();
    mint_assertion_at(key, claims, now)
}

/// Signs an assertion as if the clock read `now` (seconds since the epoch): `exp = now + exp_seconds`.
pub fn mint_assertion_at(
    key: &PrivateKey,
    claims: &JwtClaims,
    now: u64,
) -> Result<Secret<String>, AuthError> {
    let der = key
        .rsa()
        .to_pkcs1_der()
        .map_err(|e| AuthError::Sign(e.to_string()))?;
    let encoding_key = EncodingKey::from_rsa_der(der.as_bytes());
    let set = ClaimSet {
        iss: &claims.iss,
        sub: &claims.sub,
        aud: &claims.aud,
        exp: now.saturating_add(claims.exp_seconds),
    };
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), &set, &encoding_key)
        .map(Secret::new)
        .map_err(|e| AuthError::Sign(e.to_string()))
}
