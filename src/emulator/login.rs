//! The Salesforce login emulator: registered apps and users, issued tokens, and the router for
//! `POST /services/oauth2/token`, `POST /dw/oauth2/access_token` (and its newer
//! `/dwsso/oauth2/access_token` path) and `POST /services/Soap/u/{version}`.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::{any, post};
use rand::Rng;
use rand::distr::Alphanumeric;
use rsa::RsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use x509_cert::Certificate;
use x509_cert::der::{DecodePem, Encode};

use super::login_soap::soap_login;
use super::login_token::{account_manager_token, oauth_token, token_get};
use super::oci::{AccessCheck, Denied, Grant};

/// The seven OCI scopes a Salesforce-org token carries by default.
pub const DEFAULT_SCOPES: [&str; 7] = [
    "sfcc_inventory_impex_graphs",
    "sfcc_inventory_impex_inventory_rw",
    "sfcc_inventory_impex_inventory",
    "sfcc_inventory_availability",
    "sfcc_inventory_availability_rw",
    "sfcc_inventory_reservations",
    "sfcc_inventory_reservations_rw",
];

/// Default access-token lifetime (Salesforce's default session timeout is two hours).
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(2 * 60 * 60);

/// Account Manager access-token lifetime (thirty minutes; `expires_in` says 1799).
const DEFAULT_AM_TOKEN_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// How far in the past `exp` may be before an assertion counts as expired (clock skew).
const DEFAULT_EXP_SKEW: Duration = Duration::from_secs(180);

/// A connected app (or Account Manager API client) to register.
#[derive(Clone, Default)]
pub struct AppRegistration {
    /// Consumer key (`iss` of assertions, `client_id` of the other grants).
    pub consumer_key: String,
    /// PEM of the uploaded certificate (or an SPKI public key), for JWT bearer.
    pub certificate_pem: Option<String>,
    /// Client secret, for the password and client-credentials grants.
    pub client_secret: Option<String>,
    /// The "Run As" user of the client-credentials flow.
    pub run_as: Option<String>,
    /// Account Manager only: issue opaque access tokens instead of JWTs (the API client's
    /// "Token Endpoint Auth Method"/"Access Token Format" setting; JWT is what the OCI setup
    /// guides configure).
    pub opaque_tokens: bool,
}

impl fmt::Debug for AppRegistration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppRegistration")
            .field("consumer_key", &self.consumer_key)
            .field("run_as", &self.run_as)
            .finish_non_exhaustive()
    }
}

/// A user to register.
#[derive(Clone)]
pub struct UserRegistration {
    /// Login name, e.g. `admin@acme.example`.
    pub username: String,
    /// 18-character org id (`00D...`).
    pub org_id: String,
    /// 18-character user id (`005...`).
    pub user_id: String,
    /// Password for the password grant and SOAP login.
    pub password: Option<String>,
    /// Consumer keys of the apps this user is pre-authorized for.
    pub authorized_apps: Vec<String>,
    /// False makes every login fail with `inactive_user`.
    pub active: bool,
}

impl UserRegistration {
    /// An active user in `org_id` whose user id is derived from the org and the name (the same
    /// on every run), with no app yet.
    pub fn in_org(username: &str, org_id: &str) -> Self {
        UserRegistration {
            org_id: org_id.to_owned(),
            user_id: stable_id("005", &format!("{org_id}/{username}")),
            ..Self::new(username)
        }
    }

    /// An active user with fresh random org and user ids and no app yet.
    pub fn new(username: &str) -> Self {
        UserRegistration {
            username: username.to_string(),
            org_id: salesforce_id("00D"),
            user_id: salesforce_id("005"),
            password: None,
            authorized_apps: Vec::new(),
            active: true,
        }
    }
}

impl fmt::Debug for UserRegistration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserRegistration")
            .field("username", &self.username)
            .field("org_id", &self.org_id)
            .field("user_id", &self.user_id)
            .field("authorized_apps", &self.authorized_apps)
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

/// What an access token stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenInfo {
    /// The user it runs as (empty for Account Manager client tokens without a user).
    pub username: String,
    /// The org (or tenant) id.
    pub org_id: String,
    /// The user id.
    pub user_id: String,
    /// Granted scopes, as named at grant time.
    pub scopes: Vec<String>,
    /// The client (consumer key) it was issued to.
    pub client_id: String,
}

/// Why a bearer token was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BearerError {
    /// No token was presented.
    #[error("no bearer token")]
    Missing,
    /// The token was never issued here.
    #[error("invalid bearer token")]
    Invalid,
    /// The token has expired.
    #[error("expired bearer token")]
    Expired,
}

/// Why an app could not be registered.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// The certificate or public key PEM could not be read.
    #[error(
        "app {app}: the certificate is not a PEM X.509 certificate or RSA public key: {reason}"
    )]
    Certificate {
        /// The consumer key.
        app: String,
        /// What is wrong.
        reason: String,
    },
}

/// A registered app.
pub(super) struct App {
    pub(super) public_key: Option<RsaPublicKey>,
    pub(super) client_secret: Option<String>,
    pub(super) run_as: Option<String>,
    pub(super) opaque_tokens: bool,
}

/// An issued token and its expiry.
struct Issued {
    info: TokenInfo,
    expires: Instant,
}

/// Everything the emulator knows; behind one lock.
pub(super) struct LoginData {
    pub(super) base_url: String,
    pub(super) apps: HashMap<String, App>,
    pub(super) users: HashMap<String, UserRegistration>,
    pub(super) audiences: Vec<String>,
    pub(super) scopes: Vec<String>,
    pub(super) inactive_orgs: Vec<String>,
    pub(super) api_access_control: bool,
    pub(super) exp_skew: Duration,
    pub(super) login_limit: Option<u32>,
    pub(super) logins: HashMap<String, u32>,
    pub(super) auto_register: bool,
    /// The org auto-registered users join (`None`: each gets a random one).
    pub(super) default_org: Option<String>,
    token_lifetime: Duration,
    am_token_lifetime: Duration,
    /// The key Account Manager JWTs are signed with (made on first use).
    am_key: Option<jsonwebtoken::EncodingKey>,
    tokens: HashMap<String, Issued>,
    /// Issued-token count at which expired tokens are next dropped.
    prune_at: usize,
}

/// Expired tokens are not looked for while fewer than this many were issued.
const PRUNE_MIN: usize = 1024;

impl LoginData {
    /// Issues an opaque Salesforce-style token (`<15-char org id>!AQ...`) for `info`.
    pub(super) fn issue(&mut self, info: TokenInfo) -> String {
        let prefix: String = info.org_id.chars().take(15).collect();
        let tail: String = rand::rng()
            .sample_iter(&Alphanumeric)
            .take(96)
            .map(char::from)
            .collect();
        let token = format!("{prefix}!AQ{tail}");
        let now = Instant::now();
        // Expired tokens are forgotten (checked again only when the map has doubled, so
        // issuing stays amortised constant time).
        if self.tokens.len() >= self.prune_at {
            self.tokens.retain(|_, issued| issued.expires > now);
            self.prune_at = (self.tokens.len() * 2).max(PRUNE_MIN);
        }
        let expires = now + self.token_lifetime;
        self.tokens.insert(token.clone(), Issued { info, expires });
        token
    }

    /// How long issued tokens live.
    pub(super) fn token_lifetime(&self) -> Duration {
        self.token_lifetime
    }

    /// How long Account Manager tokens live.
    pub(super) fn am_token_lifetime(&self) -> Duration {
        self.am_token_lifetime
    }

    /// Records a token issued elsewhere (an Account Manager JWT) with the given lifetime.
    pub(super) fn remember(&mut self, token: &str, info: TokenInfo, lifetime: Duration) {
        let expires = Instant::now() + lifetime;
        self.tokens
            .insert(token.to_owned(), Issued { info, expires });
    }

    /// The Account Manager signing key, made on first use.
    pub(super) fn am_key(&mut self) -> Result<jsonwebtoken::EncodingKey, String> {
        if let Some(key) = &self.am_key {
            return Ok(key.clone());
        }
        use rsa::pkcs1::EncodeRsaPrivateKey as _;
        let key =
            rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).map_err(|e| e.to_string())?;
        let der = key.to_pkcs1_der().map_err(|e| e.to_string())?;
        let key = jsonwebtoken::EncodingKey::from_rsa_der(der.as_bytes());
        self.am_key = Some(key.clone());
        Ok(key)
    }

    /// A user registered on first use: in the default org (stable ids) when there is one.
    pub(super) fn new_user(&self, username: &str) -> UserRegistration {
        match &self.default_org {
            Some(org) => UserRegistration::in_org(username, org),
            None => UserRegistration::new(username),
        }
    }

    /// The identity URL of a user.
    pub(super) fn identity_url(&self, user: &UserRegistration) -> String {
        format!("{}/id/{}/{}", self.base_url, user.org_id, user.user_id)
    }
}

/// Shared state of the login emulator; cheap to clone.
#[derive(Clone)]
pub struct LoginState {
    inner: Arc<Mutex<LoginData>>,
}

impl fmt::Debug for LoginState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LoginState")
    }
}

impl LoginState {
    /// An emulator reachable at `base_url`, with no apps or users, accepting the production and
    /// sandbox audiences and its own base URL.
    pub fn new(base_url: String) -> Self {
        let base_url = base_url.trim_end_matches('/').to_string();
        let audiences = vec![
            "https://login.salesforce.com".to_string(),
            "https://test.salesforce.com".to_string(),
            base_url.clone(),
        ];
        LoginState {
            inner: Arc::new(Mutex::new(LoginData {
                base_url,
                apps: HashMap::new(),
                users: HashMap::new(),
                audiences,
                scopes: DEFAULT_SCOPES.iter().map(|s| s.to_string()).collect(),
                inactive_orgs: Vec::new(),
                api_access_control: false,
                exp_skew: DEFAULT_EXP_SKEW,
                login_limit: None,
                logins: HashMap::new(),
                auto_register: false,
                default_org: None,
                token_lifetime: DEFAULT_TOKEN_LIFETIME,
                am_token_lifetime: DEFAULT_AM_TOKEN_LIFETIME,
                am_key: None,
                tokens: HashMap::new(),
                prune_at: PRUNE_MIN,
            })),
        }
    }

    /// Locks the state, surviving a poisoned lock (a panicked handler must not wedge the rest).
    pub(super) fn lock(&self) -> MutexGuard<'_, LoginData> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers (or replaces) a connected app.
    pub fn register_app(&self, app: AppRegistration) -> Result<(), RegisterError> {
        let public_key = match &app.certificate_pem {
            Some(pem) => {
                Some(
                    public_key_from_pem(pem).map_err(|reason| RegisterError::Certificate {
                        app: app.consumer_key.clone(),
                        reason,
                    })?,
                )
            }
            None => None,
        };
        self.lock().apps.insert(
            app.consumer_key,
            App {
                public_key,
                client_secret: app.client_secret,
                run_as: app.run_as,
                opaque_tokens: app.opaque_tokens,
            },
        );
        Ok(())
    }

    /// Registers (or replaces) a user.
    pub fn register_user(&self, user: UserRegistration) {
        self.lock().users.insert(user.username.clone(), user);
    }

    /// The registered user named `username`, if any.
    pub fn user(&self, username: &str) -> Option<UserRegistration> {
        self.lock().users.get(username).cloned()
    }

    /// Replaces the accepted `aud` values (to reproduce `audience is invalid`).
    pub fn set_audiences(&self, audiences: Vec<String>) {
        self.lock().audiences = audiences;
    }

    /// Replaces the scopes granted to Salesforce-org tokens.
    pub fn set_scopes(&self, scopes: Vec<String>) {
        self.lock().scopes = scopes;
    }

    /// Sets how long issued tokens live.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.lock().token_lifetime = lifetime;
    }

    /// Sets how long Account Manager tokens live (`expires_in` is one second less).
    pub fn set_am_token_lifetime(&self, lifetime: Duration) {
        self.lock().am_token_lifetime = lifetime;
    }

    /// Sets the org users registered on first use join (their ids then stay the same from run
    /// to run).
    pub fn set_default_org(&self, org_id: &str) {
        self.lock().default_org = Some(org_id.to_owned());
    }

    /// Sets how far in the past an assertion's `exp` may lie (default three minutes).
    pub fn set_exp_skew(&self, skew: Duration) {
        self.lock().exp_skew = skew;
    }

    /// Turns on API Access Control: users not pre-authorized get `invalid_app_access`.
    pub fn set_api_access_control(&self, on: bool) {
        self.lock().api_access_control = on;
    }

    /// Limits successful logins per user; past it logins fail with `rate_limit_exceeded`.
    pub fn set_login_limit(&self, limit: Option<u32>) {
        self.lock().login_limit = limit;
    }

    /// Turns on registration on first use: the password and client-credentials grants accept
    /// any client id, secret, username and password they have not seen, register them and
    /// answer from then on as if they had been registered (later mismatches still fail).
    pub fn set_auto_register(&self, on: bool) {
        self.lock().auto_register = on;
    }

    /// Marks an org inactive (locked or expired): its users get `inactive_org`.
    pub fn deactivate_org(&self, org_id: &str) {
        self.lock().inactive_orgs.push(org_id.to_string());
    }

    /// The base URL this emulator was created with.
    pub fn base_url(&self) -> String {
        self.lock().base_url.clone()
    }

    /// Checks a bearer token (`Bearer x`, `OAuth x` or the bare token).
    pub fn validate_bearer(&self, token: &str) -> Result<TokenInfo, BearerError> {
        let is_scheme =
            |s: &str| s.eq_ignore_ascii_case("bearer") || s.eq_ignore_ascii_case("oauth");
        let token = token.trim();
        let token = match token.split_once(char::is_whitespace) {
            Some((scheme, rest)) if is_scheme(scheme) => rest.trim(),
            None if is_scheme(token) => "",
            _ => token,
        };
        if token.is_empty() {
            return Err(BearerError::Missing);
        }
        let data = self.lock();
        let issued = data.tokens.get(token).ok_or(BearerError::Invalid)?;
        if Instant::now() >= issued.expires {
            return Err(BearerError::Expired);
        }
        Ok(issued.info.clone())
    }
}

/// The login emulator's tokens are what the OCI emulator accepts: their scopes are the grant.
impl AccessCheck for LoginState {
    fn check(&self, bearer: Option<&str>) -> Result<Grant, Denied> {
        let token = bearer.ok_or(Denied::Missing)?;
        self.validate_bearer(token)
            .map(|info| Grant {
                scopes: info.scopes,
            })
            .map_err(|error| match error {
                BearerError::Missing => Denied::Missing,
                BearerError::Invalid => Denied::Invalid,
                BearerError::Expired => Denied::Expired,
            })
    }
}

/// The router with the three login endpoints, to merge into the emulator's server.
pub fn login_router(state: LoginState) -> Router {
    Router::new()
        .route("/services/oauth2/token", post(oauth_token).get(token_get))
        .route("/dw/oauth2/access_token", post(account_manager_token))
        .route("/dwsso/oauth2/access_token", post(account_manager_token))
        .route("/services/Soap/u/{version}", post(soap_login))
        .route("/services/oauth2/{*rest}", any(super::shape::unknown))
        .route("/dw/oauth2/{*rest}", any(super::shape::unknown))
        .route("/dwsso/oauth2/{*rest}", any(super::shape::unknown))
        .with_state(state)
}

/// The RSA public key of a PEM certificate or SPKI public key.
fn public_key_from_pem(pem: &str) -> Result<RsaPublicKey, String> {
    if pem.contains("BEGIN CERTIFICATE") {
        let cert = Certificate::from_pem(pem.trim().as_bytes()).map_err(|e| e.to_string())?;
        let spki = cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| e.to_string())?;
        RsaPublicKey::from_public_key_der(&spki).map_err(|e| e.to_string())
    } else {
        RsaPublicKey::from_public_key_pem(pem.trim()).map_err(|e| e.to_string())
    }
}

/// A random 18-character Salesforce id with the given 3-character key prefix.
pub fn salesforce_id(prefix: &str) -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::rng();
    let mut id: String = prefix.chars().take(3).collect();
    id.push_str("5g");
    while id.len() < 15 {
        id.push(char::from(CHARS[rng.random_range(0..CHARS.len())]));
    }
    id.push_str(&id_suffix(&id));
    id
}

/// An 18-character Salesforce id with the given key prefix, derived from `seed` (the same seed
/// always gives the same id).
pub fn stable_id(prefix: &str, seed: &str) -> String {
    use sha2::Digest as _;
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let hash = sha2::Sha256::digest(seed.as_bytes());
    let mut id: String = prefix.chars().take(3).collect();
    id.push_str("5g");
    for byte in hash.iter() {
        if id.len() >= 15 {
            break;
        }
        id.push(char::from(CHARS[usize::from(*byte) % CHARS.len()]));
    }
    id.push_str(&id_suffix(&id));
    id
}

/// The 3-character case-checksum that turns a 15-character id into its 18-character form.
fn id_suffix(id15: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
    id15.as_bytes()
        .chunks(5)
        .map(|chunk| {
            let flags = chunk
                .iter()
                .enumerate()
                .filter(|(_, c)| c.is_ascii_uppercase())
                .fold(0usize, |acc, (i, _)| acc | (1 << i));
            char::from(ALPHABET[flags])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_suffix_matches_salesforce() {
        // A documented pair: 001A0000006Vm9r -> 001A0000006Vm9rIAC.
        assert_eq!(id_suffix("001A0000006Vm9r"), "IAC");
        let id = salesforce_id("00D");
        assert_eq!(id.len(), 18);
        assert!(id.starts_with("00D"));
        let stable = stable_id("00D", "seed 7");
        assert_eq!(stable, stable_id("00D", "seed 7"));
        assert_ne!(stable, stable_id("00D", "seed 8"));
        assert_eq!(stable.len(), 18);
    }

    #[test]
    fn expired_tokens_are_forgotten() {
        let state = LoginState::new("http://127.0.0.1:1".to_string());
        state.set_token_lifetime(Duration::ZERO);
        let info = TokenInfo {
            username: "u".to_string(),
            org_id: "00D".to_string(),
            user_id: String::new(),
            scopes: Vec::new(),
            client_id: "c".to_string(),
        };
        for _ in 0..10 * PRUNE_MIN {
            state.lock().issue(info.clone());
        }
        assert!(state.lock().tokens.len() <= PRUNE_MIN + 1);
    }

    #[test]
    fn bearer_tokens_are_checked() {
        let state = LoginState::new("http://127.0.0.1:1".to_string());
        assert_eq!(state.validate_bearer("Bearer "), Err(BearerError::Missing));
        assert_eq!(state.validate_bearer("nope"), Err(BearerError::Invalid));
        let info = TokenInfo {
            username: "u".to_string(),
            org_id: "00D5g0000012345AAA".to_string(),
            user_id: "0055g0000012345AAA".to_string(),
            scopes: vec!["api".to_string()],
            client_id: "c".to_string(),
        };
        let token = state.lock().issue(info.clone());
        assert!(token.starts_with("00D5g0000012345!AQ"));
        assert_eq!(state.validate_bearer(&format!("Bearer {token}")), Ok(info));
        state.set_token_lifetime(Duration::ZERO);
        let expired = state.lock().issue(TokenInfo {
            username: "u".to_string(),
            org_id: "00D".to_string(),
            user_id: String::new(),
            scopes: Vec::new(),
            client_id: "c".to_string(),
        });
        assert_eq!(state.validate_bearer(&expired), Err(BearerError::Expired));
        assert_eq!(state.check(Some(&expired)), Err(Denied::Expired));
        assert_eq!(state.check(None), Err(Denied::Missing));
    }

    #[test]
    fn tokens_grant_their_scopes_to_the_oci_emulator() {
        let state = LoginState::new("http://127.0.0.1:1".to_string());
        let token = state.lock().issue(TokenInfo {
            username: "u".to_string(),
            org_id: "00D5g0000012345AAA".to_string(),
            user_id: String::new(),
            scopes: vec!["sfcc_inventory_availability".to_string()],
            client_id: "c".to_string(),
        });
        let grant = state.check(Some(&token)).expect("valid");
        assert_eq!(
            grant.scopes,
            vec!["sfcc_inventory_availability".to_string()]
        );
        assert_eq!(state.check(Some("nope")), Err(Denied::Invalid));
    }
}
