//! A run's Salesforce session: mints the assertion, exchanges it, and hands out the variables a
//! collection reads (`jwt`, `access_token`, `instance_url`, `sf_org_id`, `sf_user_id`,
//! `sf_username`). It logs in again on demand (a 401 mid-run) and registers every credential
//! with the run's redactor before anyone can print it.

use std::sync::Mutex;

use super::error::AuthError;
use super::exchange::{SfAuthConfig, exchange_jwt};
use super::jwt::mint_assertion;
use crate::http::client::{ClientOptions, reqwest_client};
use crate::secret::{Redactor, Secret};

/// How many times a token request is retried on network errors and 5xx.
pub const EXCHANGE_RETRIES: u32 = 2;

/// Variable names of the session values (`--sf-jwt-var`, `--sf-token-var`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SfVarNames {
    /// Receives the signed assertion (default `jwt`).
    pub jwt: String,
    /// Receives the access token (default `access_token`).
    pub token: String,
}

impl Default for SfVarNames {
    fn default() -> Self {
        SfVarNames {
            jwt: "jwt".to_string(),
            token: "access_token".to_string(),
        }
    }
}

/// One variable the session sets; `secret` values are credentials.
#[derive(Clone, Debug)]
pub struct SessionVar {
    /// Variable name.
    pub name: String,
    /// Its value.
    pub value: Secret<String>,
}

/// The values of the last login.
#[derive(Default)]
struct SessionState {
    vars: Vec<SessionVar>,
    /// Set by a login after the first; cleared by [`SfSession::take_refreshed`].
    refreshed: bool,
    logins: u32,
}

/// A Salesforce JWT bearer session shared by a run.
pub struct SfSession {
    cfg: SfAuthConfig,
    names: SfVarNames,
    jwt_only: bool,
    client: ClientOptions,
    redactor: Redactor,
    state: Mutex<SessionState>,
}

impl std::fmt::Debug for SfSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SfSession")
            .field("login_url", &self.cfg.login_url)
            .field("client_id", &self.cfg.client_id)
            .field("username", &self.cfg.username)
            .field("jwt_only", &self.jwt_only)
            .finish_non_exhaustive()
    }
}

impl SfSession {
    /// A session that has not logged in yet; `client` carries TLS and host-routing options.
    pub fn new(
        cfg: SfAuthConfig,
        names: SfVarNames,
        jwt_only: bool,
        client: ClientOptions,
        redactor: Redactor,
    ) -> Self {
        SfSession {
            cfg,
            names,
            jwt_only,
            client,
            redactor,
            state: Mutex::new(SessionState::default()),
        }
    }

    /// Mints an assertion and (unless jwt-only) exchanges it; returns the variables to set.
    ///
    /// A fresh HTTP client is used per login, so the session works from any tokio runtime.
    pub async fn login(&self) -> Result<Vec<SessionVar>, AuthError> {
        let jwt = mint_assertion(&self.cfg.key, &self.cfg.claims())?;
        self.redactor.add_minted(jwt.expose());
        let mut vars = vec![SessionVar {
            name: self.names.jwt.clone(),
            value: jwt,
        }];
        if !self.jwt_only {
            let client = reqwest_client(&self.client).map_err(|e| AuthError::Network {
                url: self.cfg.token_url(),
                attempts: 0,
                message: e.to_string(),
            })?;
            let token = exchange_jwt(&client, &self.cfg, EXCHANGE_RETRIES).await?;
            self.redactor.add_minted(token.access_token.expose());
            let plain = |name: &str, value: &str| SessionVar {
                name: name.to_string(),
                value: Secret::new(value.to_string()),
            };
            vars.push(SessionVar {
                name: self.names.token.clone(),
                value: token.access_token.clone(),
            });
            vars.push(plain("instance_url", &token.instance_url));
            vars.push(plain("sf_org_id", &token.org_id));
            vars.push(plain("sf_user_id", &token.user_id));
            vars.push(plain("sf_username", &self.cfg.username));
        }
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.logins += 1;
        state.refreshed = state.logins > 1;
        state.vars = vars.clone();
        Ok(vars)
    }

    /// The credentials of the last login (assertion and access token), by variable name.
    pub fn credentials(&self) -> Vec<SessionVar> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state
            .vars
            .iter()
            .filter(|v| v.name == self.names.jwt || v.name == self.names.token)
            .cloned()
            .collect()
    }

    /// The variables of a login after the first, once (for the runner to store).
    pub fn take_refreshed(&self) -> Option<Vec<SessionVar>> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if !state.refreshed {
            return None;
        }
        state.refreshed = false;
        Some(state.vars.clone())
    }
}
