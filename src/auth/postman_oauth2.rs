//! Postman's `oauth2` auth fetching its own token: when the block has no usable `accessToken`
//! but a `client_credentials` or `password_credentials` grant with an `accessTokenUrl`, the token
//! is fetched once per configuration and run, and put into the block as `accessToken` (where
//! Postman keeps it), so the stored-token path then applies it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::error::AuthError;
use super::exchange::{ClientAuth, OAuth2Client, client_credentials_grant, password_grant};
use super::postman::text;
use super::session::EXCHANGE_RETRIES;
use crate::collection::model::Auth;
use crate::http::client::ClientOptions;
use crate::secret::{Redactor, Secret};

/// A cached token stops being used this long before it expires.
const EXPIRY_MARGIN: Duration = Duration::from_secs(10);

/// A fetched token and when it expires.
#[derive(Debug)]
struct Cached {
    token: Secret<String>,
    expires: Option<Instant>,
}

/// Tokens fetched during a run, per configuration; cheap to clone (shared).
#[derive(Clone, Debug, Default)]
pub struct OAuth2Tokens {
    cache: Arc<tokio::sync::Mutex<HashMap<String, Cached>>>,
    /// Fetch a token even when the block holds one (`--oauth2-fetch`).
    always_fetch: bool,
}

/// The grant a block asks for, when snapman can fetch it.
enum Grant {
    ClientCredentials,
    Password {
        username: String,
        password: Secret<String>,
    },
}

impl OAuth2Tokens {
    /// Tokens that are fetched for every block that can fetch one, even when it holds a token.
    pub fn always_fetching() -> Self {
        OAuth2Tokens {
            always_fetch: true,
            ..OAuth2Tokens::default()
        }
    }

    /// For an `oauth2` block that needs a token fetched: a copy of it with `accessToken` set.
    /// `None` when there is nothing to fetch (another type, another grant, or a block that
    /// holds a token, which is used as Newman uses it, unless fetching is forced).
    pub async fn fill(
        &self,
        auth: &Auth,
        client: &ClientOptions,
        redactor: &Redactor,
    ) -> Result<Option<Auth>, AuthError> {
        if auth.kind != "oauth2" {
            return Ok(None);
        }
        if !self.always_fetch && !text(auth.param("accessToken")).is_empty() {
            return Ok(None);
        }
        let url = text(auth.param("accessTokenUrl"));
        let grant = match text(auth.param("grant_type")).as_str() {
            "client_credentials" => Grant::ClientCredentials,
            "password_credentials" | "password" => Grant::Password {
                username: text(auth.param("username")),
                password: Secret::new(text(auth.param("password"))),
            },
            _ => return Ok(None),
        };
        if url.is_empty() {
            return Ok(None);
        }
        let secret = text(auth.param("clientSecret"));
        let oauth = OAuth2Client {
            token_url: url,
            client_id: text(auth.param("clientId")),
            client_secret: (!secret.is_empty()).then(|| Secret::new(secret)),
            client_auth: if text(auth.param("client_authentication")) == "body" {
                ClientAuth::Body
            } else {
                ClientAuth::Header
            },
            scope: Some(text(auth.param("scope"))).filter(|s| !s.is_empty()),
        };
        let key = cache_key(&oauth, &grant);
        let mut cache = self.cache.lock().await;
        let fresh = |c: &Cached| c.expires.is_none_or(|e| Instant::now() < e);
        let token = match cache.get(&key).filter(|c| fresh(c)) {
            Some(c) => c.token.clone(),
            None => {
                let http = http_client(client, &oauth.token_url)?;
                let fetched = match &grant {
                    Grant::ClientCredentials => {
                        client_credentials_grant(&http, &oauth, EXCHANGE_RETRIES).await?
                    }
                    Grant::Password { username, password } => {
                        password_grant(&http, &oauth, username, password, EXCHANGE_RETRIES).await?
                    }
                };
                redactor.add(fetched.access_token.expose());
                let expires = fetched
                    .expires_in
                    .map(|s| Instant::now() + Duration::from_secs(s).saturating_sub(EXPIRY_MARGIN));
                cache.insert(
                    key,
                    Cached {
                        token: fetched.access_token.clone(),
                        expires,
                    },
                );
                fetched.access_token
            }
        };
        Ok(Some(with_param(auth, "accessToken", token.expose())))
    }
}

/// A digest of everything that makes a configuration, so secrets are not kept as map keys.
fn cache_key(oauth: &OAuth2Client, grant: &Grant) -> String {
    let (user, password) = match grant {
        Grant::ClientCredentials => ("", ""),
        Grant::Password { username, password } => (username.as_str(), password.expose().as_str()),
    };
    let parts = json!([
        oauth.token_url,
        oauth.client_id,
        oauth.client_secret.as_ref().map(|s| s.expose()),
        oauth.client_auth == ClientAuth::Body,
        oauth.scope,
        user,
        password
    ]);
    let digest = Sha256::digest(parts.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// An HTTP client that honours the run's TLS and host-routing options.
fn http_client(opts: &ClientOptions, url: &str) -> Result<reqwest::Client, AuthError> {
    crate::http::client::reqwest_client(opts).map_err(|e| AuthError::Network {
        url: url.to_string(),
        attempts: 0,
        message: e.to_string(),
    })
}

/// A copy of `auth` with parameter `name` set to `value`, in the block's own shape.
fn with_param(auth: &Auth, name: &str, value: &str) -> Auth {
    let mut out = auth.clone();
    let entry = out
        .params
        .entry(auth.kind.clone())
        .or_insert_with(|| Value::Array(Vec::new()));
    match entry {
        Value::Object(map) => {
            map.insert(name.to_string(), Value::String(value.to_string()));
        }
        Value::Array(list) => {
            list.retain(|p| p.get("key").and_then(Value::as_str) != Some(name));
            list.push(json!({"key": name, "value": value, "type": "string"}));
        }
        other => *other = json!([{"key": name, "value": value, "type": "string"}]),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_param_keeps_the_shape() {
        let a: Auth = serde_json::from_value(json!({"type": "oauth2", "oauth2": [
            {"key": "accessToken", "value": ""}, {"key": "grant_type", "value": "client_credentials"}]}))
        .unwrap();
        assert_eq!(
            with_param(&a, "accessToken", "t1").param("accessToken"),
            Some(&json!("t1"))
        );
        let b: Auth = serde_json::from_value(json!({"type": "oauth2", "oauth2": {}})).unwrap();
        assert_eq!(
            with_param(&b, "accessToken", "t2").param("accessToken"),
            Some(&json!("t2"))
        );
    }

    #[tokio::test]
    async fn nothing_to_fetch_for_stored_tokens_and_other_grants() {
        let tokens = OAuth2Tokens::default();
        let opts = ClientOptions::default();
        let r = Redactor::new();
        let stored: Auth = serde_json::from_value(json!({"type": "oauth2", "oauth2": [
            {"key": "accessToken", "value": "abc"}, {"key": "grant_type", "value": "client_credentials"},
            {"key": "accessTokenUrl", "value": "http://127.0.0.1:9/token"}]}))
        .unwrap();
        assert!(tokens.fill(&stored, &opts, &r).await.unwrap().is_none());
        let code: Auth = serde_json::from_value(json!({"type": "oauth2", "oauth2": [
            {"key": "grant_type", "value": "authorization_code"},
            {"key": "accessTokenUrl", "value": "http://127.0.0.1:9/token"}]}))
        .unwrap();
        assert!(tokens.fill(&code, &opts, &r).await.unwrap().is_none());
    }
}
