//! The OAuth token endpoints: Salesforce's `/services/oauth2/token` (jwt-bearer, password,
//! client_credentials) and Account Manager's `/dw/oauth2/access_token`.
//!
//! Errors are HTTP 400 with `{"error": "...", "error_description": "..."}`, byte-exact to what
//! Salesforce answers, plus an `x-snapman-emulator-reason` header saying why.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey};
use rand::Rng;
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};

use super::login::{App, LoginData, LoginState, TokenInfo, UserRegistration};
use super::parse::multipart;

/// The JWT bearer `grant_type`.
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// Header that carries the emulator's explanation of an error.
const REASON_HEADER: &str = "x-snapman-emulator-reason";
/// Account Manager names of the seven OCI scopes, granted when none are requested.
const AM_SCOPES: [&str; 7] = [
    "sfcc.inventory.impex-graphs",
    "sfcc.inventory.impex-inventory.rw",
    "sfcc.inventory.impex-inventory",
    "sfcc.inventory.availability",
    "sfcc.inventory.availability.rw",
    "sfcc.inventory.reservations",
    "sfcc.inventory.reservations.rw",
];
/// Further Account Manager scopes seen in public collections.
const AM_EXTRA_SCOPES: [&str; 3] = [
    "sfcc.inventory.impex-event-log",
    "sfcc.inventory.impex-graphs.rw",
    "sfcc.inventory.admin.rw",
];

/// An OAuth error answer.
pub(super) struct OAuthFail {
    status: StatusCode,
    error: &'static str,
    description: &'static str,
    reason: String,
}

impl OAuthFail {
    /// A 400 with the given error, description and explanation.
    fn new(error: &'static str, description: &'static str, reason: impl Into<String>) -> Self {
        OAuthFail {
            status: StatusCode::BAD_REQUEST,
            error,
            description,
            reason: reason.into(),
        }
    }

    /// `invalid_grant` / `invalid assertion`.
    fn assertion(reason: impl Into<String>) -> Self {
        Self::new("invalid_grant", "invalid assertion", reason)
    }

    /// `invalid_grant` / `user hasn't approved this consumer`.
    fn not_approved(reason: impl Into<String>) -> Self {
        Self::new(
            "invalid_grant",
            "user hasn't approved this consumer",
            reason,
        )
    }
}

impl IntoResponse for OAuthFail {
    fn into_response(self) -> Response {
        let body = json!({"error": self.error, "error_description": self.description});
        let mut response = (self.status, Json(body)).into_response();
        if let Ok(value) = HeaderValue::from_str(&self.reason) {
            response.headers_mut().insert(REASON_HEADER, value);
        }
        response
    }
}

/// Form fields from the body (form-encoded or multipart) and the query string; the body wins.
fn params(headers: &HeaderMap, query: Option<&str>, body: &[u8]) -> HashMap<String, String> {
    let mut out: HashMap<String, String> = query
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let is_form = content_type.starts_with("application/x-www-form-urlencoded");
    if is_form {
        out.extend(url::form_urlencoded::parse(body).into_owned());
    } else if content_type.starts_with("multipart/form-data") {
        // Postman's `formdata` body mode, which public collections use for the token call.
        let (form, _) = multipart(body, content_type);
        out.extend(
            form.into_iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k, v.to_string()))),
        );
    }
    out
}

/// `client_id:client_secret` from an HTTP Basic header.
fn basic_auth(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// Seconds since the epoch.
fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `POST /services/oauth2/token`.
pub(super) async fn oauth_token(
    State(state): State<LoginState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = params(&headers, query.as_deref(), &body);
    let mut data = state.lock();
    let result = match params.get("grant_type").map(String::as_str) {
        Some(JWT_BEARER) => jwt_bearer(&mut data, &params),
        Some("password") => password(&mut data, &params, &headers),
        Some("client_credentials") => client_credentials(&mut data, &params, &headers),
        Some(other) => Err(OAuthFail::new(
            "unsupported_grant_type",
            "grant type not supported",
            format!(
                "grant_type '{other}' is not one of {JWT_BEARER}, password, client_credentials"
            ),
        )),
        None => Err(OAuthFail::new(
            "unsupported_grant_type",
            "grant type not supported",
            "the request has no grant_type parameter (send it form-encoded in the body)",
        )),
    };
    match result {
        Ok(body) => Json(body).into_response(),
        Err(fail) => fail.into_response(),
    }
}

/// `GET /services/oauth2/token`: Salesforce only takes POST here.
pub(super) async fn token_get() -> Response {
    OAuthFail::new(
        "invalid_request",
        "must use HTTP POST",
        "the token endpoint only accepts POST",
    )
    .into_response()
}

/// Decodes one base64url JWT segment as JSON.
fn segment(part: &str) -> Option<Value> {
    let bytes = URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The JWT bearer grant: signature, iss, exp, aud, sub, in that order.
fn jwt_bearer(data: &mut LoginData, params: &HashMap<String, String>) -> Result<Value, OAuthFail> {
    let assertion = params
        .get("assertion")
        .ok_or_else(|| OAuthFail::assertion("no assertion parameter"))?;
    let parts: Vec<&str> = assertion.split('.').collect();
    let [head, payload, signature] = parts[..] else {
        return Err(OAuthFail::assertion(
            "the assertion is not a three-part JWS",
        ));
    };
    let header =
        segment(head).ok_or_else(|| OAuthFail::assertion("header is not base64url JSON"))?;
    if header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err(OAuthFail::assertion("alg must be RS256"));
    }
    let claims =
        segment(payload).ok_or_else(|| OAuthFail::assertion("claims are not base64url JSON"))?;
    let iss = claims
        .get("iss")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let app = data.apps.get(iss).ok_or_else(|| {
        OAuthFail::new(
            "invalid_client_id",
            "client identifier invalid",
            format!("no connected app has consumer key '{iss}'"),
        )
    })?;
    let public_key = app
        .public_key
        .as_ref()
        .ok_or_else(|| OAuthFail::assertion("the connected app has no certificate uploaded"))?;
    let key = DecodingKey::from_rsa_raw_components(
        &public_key.n().to_bytes_be(),
        &public_key.e().to_bytes_be(),
    );
    let message = format!("{head}.{payload}");
    let verified =
        jsonwebtoken::crypto::verify(signature, message.as_bytes(), &key, Algorithm::RS256)
            .unwrap_or(false);
    if !verified {
        return Err(OAuthFail::assertion(
            "signature does not verify with the app's certificate",
        ));
    }
    let exp = claims
        .get("exp")
        .and_then(|v| v.as_u64().or_else(|| v.as_f64().map(|f| f as u64)))
        .ok_or_else(|| OAuthFail::assertion("no numeric exp claim"))?;
    if exp.saturating_add(data.exp_skew.as_secs()) <= now_secs() {
        return Err(OAuthFail::new(
            "invalid_grant",
            "expired authorization code",
            "exp is in the past",
        ));
    }
    let auds: Vec<&str> = match claims.get("aud") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let accepted = auds.iter().any(|aud| {
        let aud = aud.trim_end_matches('/');
        data.audiences
            .iter()
            .any(|a| a.trim_end_matches('/') == aud)
    });
    if !accepted {
        return Err(OAuthFail::new(
            "invalid_grant",
            "audience is invalid",
            format!(
                "aud {} is not one of {}",
                auds.join(", "),
                data.audiences.join(", ")
            ),
        ));
    }
    // `prn` is the legacy alias of `sub` and wins when both are present.
    let sub = claims
        .get("prn")
        .or_else(|| claims.get("sub"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let user = data
        .users
        .get(sub)
        .ok_or_else(|| OAuthFail::not_approved(format!("no user '{sub}' in this org")))?
        .clone();
    check_user(data, &user)?;
    if !user.authorized_apps.iter().any(|a| a == iss) {
        return Err(if data.api_access_control {
            OAuthFail::new(
                "invalid_app_access",
                "user is not admin approved to access this app",
                "API Access Control is on and the user has no access to the app",
            )
        } else {
            OAuthFail::not_approved("the user is not pre-authorized for this app")
        });
    }
    Ok(success(data, &user, iss, false))
}

/// Refuses inactive users and users of inactive orgs.
fn check_user(data: &LoginData, user: &UserRegistration) -> Result<(), OAuthFail> {
    if !user.active {
        return Err(OAuthFail::new(
            "inactive_user",
            "inactive user",
            "the user is deactivated",
        ));
    }
    if data.inactive_orgs.contains(&user.org_id) {
        return Err(OAuthFail::new(
            "inactive_org",
            "inactive organization",
            "the org is locked or expired",
        ));
    }
    let logins = data.logins.get(&user.username).copied().unwrap_or(0);
    if data.login_limit.is_some_and(|limit| logins >= limit) {
        return Err(OAuthFail::new(
            "rate_limit_exceeded",
            "rate limit exceeded",
            "the user reached the emulator's login limit",
        ));
    }
    Ok(())
}

/// Issues a token for `user` and builds the success body of §1.4 (plus `issued_at` and
/// `signature` for the password and client-credentials grants).
fn success(data: &mut LoginData, user: &UserRegistration, client_id: &str, extra: bool) -> Value {
    *data.logins.entry(user.username.clone()).or_insert(0) += 1;
    let scopes = data.scopes.clone();
    let token = data.issue(TokenInfo {
        username: user.username.clone(),
        org_id: user.org_id.clone(),
        user_id: user.user_id.clone(),
        scopes: scopes.clone(),
        client_id: client_id.to_string(),
    });
    let mut body = json!({
        "access_token": token,
        "scope": scopes.join(" "),
        "instance_url": data.base_url,
        "id": data.identity_url(user),
        "token_type": "Bearer",
    });
    if extra {
        let issued_at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let signature: [u8; 32] = rand::rng().random();
        body["issued_at"] = json!(issued_at.to_string());
        body["signature"] = json!(STANDARD.encode(signature));
    }
    body
}

/// Client id and secret from the Basic header or the form.
fn client_credentials_of(
    params: &HashMap<String, String>,
    headers: &HeaderMap,
) -> (String, Option<String>) {
    basic_auth(headers)
        .map(|(id, secret)| (id, Some(secret)))
        .unwrap_or_else(|| {
            (
                params.get("client_id").cloned().unwrap_or_default(),
                params.get("client_secret").cloned(),
            )
        })
}

/// Checks the client id and secret against the registered apps (registering an unknown client
/// first when auto-registration is on).
fn authenticate_client(
    data: &mut LoginData,
    id: &str,
    secret: Option<&str>,
) -> Result<(), OAuthFail> {
    if data.auto_register && !id.is_empty() && !data.apps.contains_key(id) {
        data.apps.insert(
            id.to_string(),
            App {
                public_key: None,
                client_secret: secret.map(str::to_string),
                run_as: None,
                opaque_tokens: false,
            },
        );
    }
    let app = data.apps.get(id).ok_or_else(|| {
        OAuthFail::new(
            "invalid_client_id",
            "client identifier invalid",
            format!("no connected app has consumer key '{id}'"),
        )
    })?;
    if app.client_secret.is_none() || app.client_secret.as_deref() != secret {
        return Err(OAuthFail::new(
            "invalid_client",
            "invalid client credentials",
            "the client secret does not match",
        ));
    }
    Ok(())
}

/// The resource owner password grant.
fn password(
    data: &mut LoginData,
    params: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<Value, OAuthFail> {
    let (client_id, secret) = client_credentials_of(params, headers);
    authenticate_client(data, &client_id, secret.as_deref())?;
    let username = params.get("username").cloned().unwrap_or_default();
    let failure = || {
        OAuthFail::new(
            "invalid_grant",
            "authentication failure",
            "unknown user or wrong password",
        )
    };
    if data.auto_register && !username.is_empty() && !data.users.contains_key(&username) {
        let mut user = data.new_user(&username);
        user.password = params.get("password").cloned();
        user.authorized_apps.push(client_id.clone());
        data.users.insert(username.clone(), user);
    }
    let user = data.users.get(&username).ok_or_else(failure)?.clone();
    if user.password.is_none() || user.password.as_ref() != params.get("password") {
        return Err(failure());
    }
    check_user(data, &user)?;
    Ok(success(data, &user, &client_id, true))
}

/// The client credentials grant, running as the app's "Run As" user.
fn client_credentials(
    data: &mut LoginData,
    params: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<Value, OAuthFail> {
    let (client_id, secret) = client_credentials_of(params, headers);
    authenticate_client(data, &client_id, secret.as_deref())?;
    let no_user = || {
        OAuthFail::new(
            "invalid_grant",
            "no client credentials user enabled",
            "the app has no Run As user",
        )
    };
    if data.auto_register {
        auto_run_as(data, &client_id);
    }
    let run_as = data
        .apps
        .get(&client_id)
        .and_then(|a| a.run_as.clone())
        .ok_or_else(no_user)?;
    let user = data.users.get(&run_as).ok_or_else(no_user)?.clone();
    check_user(data, &user)?;
    Ok(success(data, &user, &client_id, true))
}

/// Gives an auto-registered app without a "Run As" user one of its own.
fn auto_run_as(data: &mut LoginData, client_id: &str) {
    let Some(app) = data.apps.get_mut(client_id) else {
        return;
    };
    if app.run_as.is_some() {
        return;
    }
    let username = format!("{client_id}@client-credentials.emulator");
    app.run_as = Some(username.clone());
    let user = data.new_user(&username);
    data.users.entry(username).or_insert(user);
}

/// `POST /dw/oauth2/access_token`: Account Manager style client credentials with scopes.
pub(super) async fn account_manager_token(
    State(state): State<LoginState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = params(&headers, query.as_deref(), &body);
    let mut data = state.lock();
    let unauthorized = |reason: &str| {
        let mut fail = OAuthFail::new("invalid_client", "Client authentication failed", reason);
        fail.status = StatusCode::UNAUTHORIZED;
        fail.into_response()
    };
    let Some((client_id, secret)) = basic_auth(&headers) else {
        return unauthorized("no HTTP Basic client credentials");
    };
    if data.auto_register && !data.apps.contains_key(&client_id) {
        let app = App {
            public_key: None,
            client_secret: Some(secret.clone()),
            run_as: None,
            opaque_tokens: false,
        };
        data.apps.insert(client_id.clone(), app);
    }
    let Some(app) = data.apps.get(&client_id) else {
        return unauthorized("unknown client id");
    };
    if app.client_secret.as_deref() != Some(secret.as_str()) {
        return unauthorized("wrong client password");
    }
    let run_as = app.run_as.clone();
    let opaque = app.opaque_tokens;
    if params.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return OAuthFail::new(
            "unsupported_grant_type",
            "grant type not supported",
            "Account Manager API clients use grant_type=client_credentials",
        )
        .into_response();
    }
    let requested: Vec<String> = params
        .get("scope")
        .map(|s| s.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    // With registration on first use, the API client is taken to be configured with whatever
    // `sfcc.*` scopes the collection asks for, as its author's client was.
    let open = data.auto_register;
    let known = |s: &str| {
        s.starts_with("SALESFORCE_COMMERCE_API:")
            || AM_SCOPES.contains(&s)
            || AM_EXTRA_SCOPES.contains(&s)
            || (open && s.starts_with("sfcc."))
    };
    if let Some(bad) = requested.iter().find(|s| !known(s)) {
        return OAuthFail::new(
            "invalid_scope",
            "Invalid scope",
            format!("scope '{bad}' is not known"),
        )
        .into_response();
    }
    let scopes = if requested.is_empty() {
        AM_SCOPES.iter().map(|s| s.to_string()).collect()
    } else {
        requested
    };
    let tenant = scopes
        .iter()
        .find_map(|s| s.strip_prefix("SALESFORCE_COMMERCE_API:"))
        .map(str::to_string);
    let user = run_as.and_then(|u| data.users.get(&u).cloned());
    let info = TokenInfo {
        username: user
            .as_ref()
            .map(|u| u.username.clone())
            .unwrap_or_default(),
        org_id: tenant
            .or_else(|| user.as_ref().map(|u| u.org_id.clone()))
            .unwrap_or_default(),
        user_id: user.as_ref().map(|u| u.user_id.clone()).unwrap_or_default(),
        scopes: scopes.clone(),
        client_id,
    };
    let lifetime = data.am_token_lifetime();
    let token = if opaque {
        let token = data.issue(info.clone());
        data.remember(&token, info, lifetime);
        token
    } else {
        match account_manager_jwt(&mut data, &info, lifetime) {
            Ok(token) => token,
            Err(reason) => {
                let mut fail = OAuthFail::new("server_error", "internal error", reason);
                fail.status = StatusCode::INTERNAL_SERVER_ERROR;
                return fail.into_response();
            }
        }
    };
    Json(json!({
        "access_token": token,
        "scope": scopes.join(" "),
        "token_type": "Bearer",
        "expires_in": lifetime.as_secs().saturating_sub(1),
    }))
    .into_response()
}

/// An Account Manager access token as a JWT (RS256, the claims Account Manager puts in
/// client-credentials tokens), registered as valid for `lifetime`.
fn account_manager_jwt(
    data: &mut LoginData,
    info: &TokenInfo,
    lifetime: std::time::Duration,
) -> Result<String, String> {
    let key = data.am_key()?;
    let now = now_secs();
    let client = info.client_id.as_str();
    let claims = json!({
        "sub": client,
        "cts": "OAUTH2",
        "auditTrackingId": uuid::Uuid::new_v4().to_string(),
        "subname": client,
        "iss": "https://account.demandware.com:443/dwsso/oauth2",
        "tokenName": "access_token",
        "token_type": "Bearer",
        "authGrantId": uuid::Uuid::new_v4().simple().to_string(),
        "aud": client,
        "nbf": now,
        "grant_type": "client_credentials",
        "scope": info.scopes,
        "auth_time": now,
        "realm": "/",
        "exp": now + lifetime.as_secs(),
        "iat": now,
        "expires_in": lifetime.as_secs().saturating_sub(1),
        "jti": uuid::Uuid::new_v4().simple().to_string(),
        "client_id": client,
    });
    let mut header = jsonwebtoken::Header::new(Algorithm::RS256);
    header.typ = Some("JWT".to_owned());
    header.kid = Some("snapman-emulator-account-manager".to_owned());
    let token = jsonwebtoken::encode(&header, &claims, &key).map_err(|e| e.to_string())?;
    data.remember(&token, info.clone(), lifetime);
    Ok(token)
}
