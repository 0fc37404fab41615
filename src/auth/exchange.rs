//! Token requests: the JWT bearer exchange, plus the password and client-credentials grants of
//! Postman's `oauth2` auth, with bounded retries on network errors and 5xx.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use super::diagnose::diagnose;
use super::error::AuthError;
use super::jwt::{JWT_BEARER_GRANT, JwtClaims, mint_assertion};
use super::key::PrivateKey;
use crate::secret::{MASK, Secret};

/// First retry delay; doubled per attempt up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// Longest retry delay.
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// Response fields that hold secrets and are masked in `raw`.
const SECRET_FIELDS: [&str; 4] = ["access_token", "refresh_token", "id_token", "signature"];

/// Everything needed to mint and exchange a Salesforce JWT assertion.
#[derive(Clone, Debug)]
pub struct SfAuthConfig {
    /// Login URL, e.g. `https://login.salesforce.com`; also the assertion's `aud`.
    pub login_url: String,
    /// The connected app's consumer key (`iss`).
    pub client_id: String,
    /// The username to run as (`sub`).
    pub username: String,
    /// The private key matching the certificate uploaded to the app.
    pub key: PrivateKey,
    /// Assertion lifetime in seconds.
    pub exp_seconds: u64,
}

impl SfAuthConfig {
    /// The claims this configuration mints.
    pub fn claims(&self) -> JwtClaims {
        JwtClaims {
            iss: self.client_id.clone(),
            sub: self.username.clone(),
            aud: self.login_url.trim_end_matches('/').to_string(),
            exp_seconds: self.exp_seconds,
        }
    }

    /// `{login}/services/oauth2/token`.
    pub fn token_url(&self) -> String {
        format!(
            "{}/services/oauth2/token",
            self.login_url.trim_end_matches('/')
        )
    }
}

/// A successful Salesforce token response.
#[derive(Clone, Debug)]
pub struct TokenResponse {
    /// The session token.
    pub access_token: Secret<String>,
    /// The org's instance URL, base of its REST APIs.
    pub instance_url: String,
    /// The identity URL, `https://<login host>/id/<org id>/<user id>`.
    pub id: String,
    /// The org id, from `id`.
    pub org_id: String,
    /// The user id, from `id`.
    pub user_id: String,
    /// Granted scopes, space separated.
    pub scope: Option<String>,
    /// Usually `Bearer`.
    pub token_type: String,
    /// Milliseconds since the epoch, when present.
    pub issued_at: Option<String>,
    /// The whole response with `access_token` (and other secrets) masked.
    pub raw: Value,
}

/// How the client authenticates to a token endpoint (Postman's `client_authentication`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ClientAuth {
    /// HTTP Basic `client_id:client_secret`.
    #[default]
    Header,
    /// `client_id` and `client_secret` form fields.
    Body,
}

/// A generic OAuth 2.0 client (Postman's `oauth2` auth).
#[derive(Clone, Debug)]
pub struct OAuth2Client {
    /// The token endpoint (`accessTokenUrl`).
    pub token_url: String,
    /// The client id.
    pub client_id: String,
    /// The client secret, if any.
    pub client_secret: Option<Secret<String>>,
    /// Where the client credentials go.
    pub client_auth: ClientAuth,
    /// Requested scopes, space separated.
    pub scope: Option<String>,
}

/// A successful generic OAuth 2.0 token response.
#[derive(Clone, Debug)]
pub struct OAuth2Token {
    /// The access token.
    pub access_token: Secret<String>,
    /// Usually `Bearer`.
    pub token_type: String,
    /// Lifetime in seconds, when given.
    pub expires_in: Option<u64>,
    /// Granted scopes, when given.
    pub scope: Option<String>,
    /// A refresh token, when given.
    pub refresh_token: Option<Secret<String>>,
    /// Salesforce's instance URL, when the endpoint is Salesforce.
    pub instance_url: Option<String>,
    /// The whole response with secrets masked.
    pub raw: Value,
}

/// Mints an assertion and exchanges it at `{login}/services/oauth2/token`.
///
/// Network errors and 5xx answers are retried up to `retries` times with backoff; OAuth errors
/// are not retried and come back diagnosed.
pub async fn exchange_jwt(
    client: &reqwest::Client,
    cfg: &SfAuthConfig,
    retries: u32,
) -> Result<TokenResponse, AuthError> {
    let url = cfg.token_url();
    let claims = cfg.claims();
    let body = post_form(client, &url, &cfg.login_url, retries, || {
        let assertion = mint_assertion(&cfg.key, &claims)?;
        Ok(FormRequest {
            fields: vec![
                ("grant_type", Secret::new(JWT_BEARER_GRANT.to_string())),
                ("assertion", assertion),
            ],
            basic: None,
        })
    })
    .await?;
    parse_sf_token(&url, body)
}

/// The OAuth 2.0 resource owner password grant (`grant_type=password`).
pub async fn password_grant(
    client: &reqwest::Client,
    oauth: &OAuth2Client,
    username: &str,
    password: &Secret<String>,
    retries: u32,
) -> Result<OAuth2Token, AuthError> {
    let extra = vec![
        ("username", Secret::new(username.to_string())),
        ("password", password.clone()),
    ];
    oauth_grant(client, oauth, "password", extra, retries).await
}

/// The OAuth 2.0 client credentials grant (`grant_type=client_credentials`).
pub async fn client_credentials_grant(
    client: &reqwest::Client,
    oauth: &OAuth2Client,
    retries: u32,
) -> Result<OAuth2Token, AuthError> {
    oauth_grant(client, oauth, "client_credentials", Vec::new(), retries).await
}

/// Shared body of the generic grants.
async fn oauth_grant(
    client: &reqwest::Client,
    oauth: &OAuth2Client,
    grant_type: &str,
    extra: Vec<(&'static str, Secret<String>)>,
    retries: u32,
) -> Result<OAuth2Token, AuthError> {
    let mut fields = vec![("grant_type", Secret::new(grant_type.to_string()))];
    fields.extend(extra);
    if let Some(scope) = &oauth.scope {
        fields.push(("scope", Secret::new(scope.clone())));
    }
    let basic = match oauth.client_auth {
        ClientAuth::Header => Some((oauth.client_id.clone(), oauth.client_secret.clone())),
        ClientAuth::Body => {
            fields.push(("client_id", Secret::new(oauth.client_id.clone())));
            if let Some(secret) = &oauth.client_secret {
                fields.push(("client_secret", secret.clone()));
            }
            None
        }
    };
    let url = &oauth.token_url;
    let body = post_form(client, url, url, retries, || {
        Ok(FormRequest {
            fields: fields.clone(),
            basic: basic.clone(),
        })
    })
    .await?;
    parse_oauth_token(url, body)
}

/// One form POST; values are secrets so that a stray `{:?}` prints nothing.
struct FormRequest {
    fields: Vec<(&'static str, Secret<String>)>,
    basic: Option<(String, Option<Secret<String>>)>,
}

/// POSTs a form built fresh per attempt, retrying transport errors and 5xx, and returns the
/// JSON body of a 2xx answer. OAuth errors become [`AuthError::Diagnosed`].
async fn post_form(
    client: &reqwest::Client,
    url: &str,
    login_url: &str,
    retries: u32,
    build: impl Fn() -> Result<FormRequest, AuthError>,
) -> Result<Value, AuthError> {
    let attempts = retries.saturating_add(1);
    let mut backoff = FIRST_BACKOFF;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let form = build()?;
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form.fields.iter().map(|(k, v)| (*k, v.expose().as_str())))
            .finish();
        let mut request = client
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(encoded);
        if let Some((id, secret)) = &form.basic {
            let pair = format!(
                "{id}:{}",
                secret.as_ref().map_or("", |s| s.expose().as_str())
            );
            request = request.header("authorization", format!("Basic {}", STANDARD.encode(pair)));
        }
        let retry_left = attempt < attempts;
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) if retry_left && (e.is_connect() || e.is_timeout() || e.is_request()) => {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
            Err(e) => {
                return Err(AuthError::Network {
                    url: url.to_string(),
                    attempts: attempt,
                    message: describe(&e),
                });
            }
        };
        let status = response.status();
        if status.is_server_error() {
            if retry_left {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
            return Err(AuthError::Server5xx {
                url: url.to_string(),
                status: status.as_u16(),
                attempts: attempt,
            });
        }
        let malformed = |reason: String| AuthError::Malformed {
            url: url.to_string(),
            reason,
        };
        let text = response
            .text()
            .await
            .map_err(|e| malformed(format!("failed to read the body: {}", e.without_url())))?;
        let body: Option<Value> = serde_json::from_str(&text).ok();
        if status.is_success() {
            return body.ok_or_else(|| malformed(format!("HTTP {status} with a non-JSON body")));
        }
        let error = body.as_ref().and_then(|b| b.get("error")?.as_str());
        let Some(error) = error else {
            return Err(malformed(format!(
                "HTTP {status} without an OAuth error body"
            )));
        };
        let description = body
            .as_ref()
            .and_then(|b| b.get("error_description")?.as_str())
            .unwrap_or_default();
        return Err(AuthError::Diagnosed {
            error: error.to_string(),
            error_description: description.to_string(),
            diagnosis: diagnose(error, description, login_url),
        });
    }
}

/// A string field of a JSON object.
fn str_field(body: &Value, name: &str) -> Option<String> {
    body.get(name)?.as_str().map(str::to_string)
}

/// `body` with every secret field replaced by [`MASK`].
fn masked(mut body: Value) -> Value {
    if let Some(map) = body.as_object_mut() {
        for field in SECRET_FIELDS {
            if let Some(v) = map.get_mut(field) {
                *v = Value::String(MASK.to_string());
            }
        }
    }
    body
}

/// Reads a Salesforce token response (§1.4 of the fact sheet).
fn parse_sf_token(url: &str, body: Value) -> Result<TokenResponse, AuthError> {
    let missing = |field: &str| AuthError::Malformed {
        url: url.to_string(),
        reason: format!("the token response has no {field}"),
    };
    let access_token = str_field(&body, "access_token").ok_or_else(|| missing("access_token"))?;
    let instance_url = str_field(&body, "instance_url").ok_or_else(|| missing("instance_url"))?;
    let id = str_field(&body, "id").ok_or_else(|| missing("id"))?;
    let mut parts = id.trim_end_matches('/').rsplit('/');
    let (user_id, org_id) = match (parts.next(), parts.next()) {
        (Some(user), Some(org)) if id.contains("/id/") => (user.to_string(), org.to_string()),
        _ => {
            return Err(missing(
                "identity URL of the form .../id/<org id>/<user id>",
            ));
        }
    };
    Ok(TokenResponse {
        access_token: Secret::new(access_token),
        instance_url,
        id,
        org_id,
        user_id,
        scope: str_field(&body, "scope"),
        token_type: str_field(&body, "token_type").unwrap_or_else(|| "Bearer".to_string()),
        issued_at: str_field(&body, "issued_at"),
        raw: masked(body),
    })
}

/// Reads a generic OAuth 2.0 token response.
fn parse_oauth_token(url: &str, body: Value) -> Result<OAuth2Token, AuthError> {
    let access_token = str_field(&body, "access_token").ok_or_else(|| AuthError::Malformed {
        url: url.to_string(),
        reason: "the token response has no access_token".to_string(),
    })?;
    let expires_in = body.get("expires_in").and_then(|v| {
        v.as_u64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
    });
    Ok(OAuth2Token {
        access_token: Secret::new(access_token),
        token_type: str_field(&body, "token_type").unwrap_or_else(|| "Bearer".to_string()),
        expires_in,
        scope: str_field(&body, "scope"),
        refresh_token: str_field(&body, "refresh_token").map(Secret::new),
        instance_url: str_field(&body, "instance_url"),
        raw: masked(body),
    })
}

/// A transport error in words: a timeout says so, otherwise the innermost cause is named.
pub(crate) fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "the host did not answer in time (--auth-timeout)".to_string();
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text = cause.to_string();
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sf_token_parses_ids_and_masks_the_token() {
        let body = json!({
            "access_token": "00D5g000004XXXX!AQ8AQsecret",
            "scope": "api id",
            "instance_url": "https://acme.my.salesforce.com",
            "id": "https://login.salesforce.com/id/00D5g000004XXXXEAA/0055g00000AbCdEAAA",
            "token_type": "Bearer"
        });
        let t = parse_sf_token("u", body).unwrap();
        assert_eq!(t.org_id, "00D5g000004XXXXEAA");
        assert_eq!(t.user_id, "0055g00000AbCdEAAA");
        assert_eq!(t.access_token.expose(), "00D5g000004XXXX!AQ8AQsecret");
        assert_eq!(t.raw["access_token"], MASK);
        assert!(!format!("{t:?}").contains("AQ8AQsecret"));
    }

    #[test]
    fn sf_token_without_id_is_malformed() {
        let err = parse_sf_token("u", json!({"access_token": "x", "instance_url": "y"}));
        assert!(err.unwrap_err().to_string().contains("no id"));
    }

    #[test]
    fn oauth_token_reads_string_expiry() {
        let t = parse_oauth_token(
            "u",
            json!({"access_token": "tok-secret", "expires_in": "1799"}),
        )
        .unwrap();
        assert_eq!(t.expires_in, Some(1799));
        assert_eq!(t.raw["access_token"], MASK);
        assert_eq!(t.token_type, "Bearer");
    }
}
