//! The Salesforce login the commands share: the `--sf-*` flags (falling back to `SF_*` variables
//! read through [`RunContext`]) turned into a configuration, and the login before a run.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use crate::auth::{
    self, DEFAULT_EXP_SECONDS, KeySource, PRODUCTION_LOGIN_URL, SessionVar, SfAuthConfig,
    SfSession, SfVarNames,
};
use crate::cli::{SfArgs, SfLoginArgs};
use crate::context::RunContext;
use crate::error::Error;
use crate::http::client::ClientOptions;
use crate::secret::{Redactor, Secret};

/// The outcome of the `--sf-*` login: variables to set, and the session for re-login.
#[derive(Debug)]
pub struct SfLogin {
    /// Environment variables to set before the first request.
    pub vars: Vec<SessionVar>,
    /// The session (absent for `--sf-org-json`, which cannot mint).
    pub session: Option<Arc<SfSession>>,
}

/// Logs in as the `--sf-*` flags (or `SF_*` variables) say, before a run.
///
/// Returns `None` when no `--sf-*` flag is given and `SF_CLIENT_ID` is unset. Key problems exit 2;
/// exchange failures exit 3 with the diagnosis. Every credential is registered with `redactor`.
pub fn login_for_run(
    args: &SfArgs,
    client: &ClientOptions,
    defaults: Option<&SfDefaults>,
    ctx: &RunContext,
    redactor: &Redactor,
) -> Result<Option<SfLogin>, Error> {
    let names = SfVarNames {
        jwt: args.jwt_var.clone().unwrap_or_else(|| "jwt".to_string()),
        token: args
            .token_var
            .clone()
            .unwrap_or_else(|| "access_token".to_string()),
    };
    if let Some(source) = &args.org_json {
        let (text, origin) = if source.as_os_str() == "-" {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).map_err(|e| {
                Error::Input(format!("failed to read --sf-org-json from stdin: {e}"))
            })?;
            (text, "standard input (--sf-org-json -)".to_string())
        } else {
            let path = ctx.resolve(source);
            let text = std::fs::read_to_string(&path).map_err(|source| Error::Read {
                path: path.clone(),
                source,
            })?;
            (text, path.display().to_string())
        };
        let vars = auth::org_session_vars(&text, &origin, &names.token)
            .map_err(|e| Error::Input(e.to_string()))?;
        register(redactor, &vars, &names);
        return Ok(Some(SfLogin {
            vars,
            session: None,
        }));
    }
    if !args.any() && ctx.var("SF_CLIENT_ID").is_none() && defaults.is_none() {
        return Ok(None);
    }
    let cfg = sf_config_with(&args.login, ctx, redactor, defaults)?;
    if let Some(registrar) = defaults.and_then(|d| d.registrar.as_ref()) {
        let public_key = cfg.key.public_key_pem()?;
        registrar
            .register(&cfg.client_id, &cfg.username, &public_key)
            .map_err(|e| Error::Input(e.to_string()))?;
    }
    let session = Arc::new(SfSession::new(
        cfg,
        names,
        args.jwt_only,
        client.clone(),
        redactor.clone(),
    ));
    let vars = block_on(session.login())??;
    Ok(Some(SfLogin {
        vars,
        session: Some(session),
    }))
}

/// Registers the credential values among `vars` with the redactor.
fn register(redactor: &Redactor, vars: &[SessionVar], names: &SfVarNames) {
    for v in vars {
        if v.name == names.jwt || v.name == names.token {
            redactor.add_minted(v.value.expose());
        }
    }
}

/// Runs a future on a fresh single-threaded runtime.
pub(super) fn block_on<F: std::future::Future>(future: F) -> Result<F::Output, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("failed to start the async runtime: {e}")))?;
    Ok(runtime.block_on(future))
}

/// A flag's value, else the environment variable's.
fn flag_or_env(flag: Option<&str>, ctx: &RunContext, var: &str) -> Option<String> {
    flag.map(str::to_string)
        .or_else(|| ctx.var(var).map(str::to_string))
}

/// Builds the mint/exchange configuration from flags and `SF_*` variables, loading the key.
/// Login values that apply when neither a flag nor an environment variable gives one (the
/// in-process emulator's app, user and key under `--emulator`).
#[derive(Debug, Clone)]
pub struct SfDefaults {
    /// Login URL.
    pub login_url: String,
    /// Consumer key of the connected app.
    pub client_id: String,
    /// Pre-authorized user.
    pub username: String,
    /// The app's private key (PEM).
    pub key_pem: Secret<String>,
    /// Registers the client id, user and key actually used (the user's own `SF_*` ones too).
    pub registrar: Option<crate::emulator::Registrar>,
}

/// The auth configuration from flags and `SF_*` variables.
pub fn sf_config(
    login: &SfLoginArgs,
    ctx: &RunContext,
    redactor: &Redactor,
) -> Result<SfAuthConfig, Error> {
    sf_config_with(login, ctx, redactor, None)
}

/// The auth configuration from flags, then `SF_*` variables, then `defaults`.
pub fn sf_config_with(
    login: &SfLoginArgs,
    ctx: &RunContext,
    redactor: &Redactor,
    defaults: Option<&SfDefaults>,
) -> Result<SfAuthConfig, Error> {
    let missing = |what: &str, flag: &str, var: &str| {
        Error::Usage(format!(
            "Salesforce auth needs {what}: pass {flag} or set {var}"
        ))
    };
    let client_id = flag_or_env(login.client_id.as_deref(), ctx, "SF_CLIENT_ID")
        .or_else(|| defaults.map(|d| d.client_id.clone()))
        .ok_or_else(|| {
            missing(
                "the connected app's consumer key",
                "--sf-client-id",
                "SF_CLIENT_ID",
            )
        })?;
    let username = flag_or_env(login.username.as_deref(), ctx, "SF_USERNAME")
        .or_else(|| defaults.map(|d| d.username.clone()))
        .ok_or_else(|| missing("a username", "--sf-username", "SF_USERNAME"))?;
    let login_url = flag_or_env(login.login_url.as_deref(), ctx, "SF_LOGIN_URL")
        .or_else(|| defaults.map(|d| d.login_url.clone()))
        .unwrap_or_else(|| PRODUCTION_LOGIN_URL.to_string());
    check_login_url(&login_url)?;
    let source = match (
        &login.key,
        ctx.var("SF_JWT_KEY_FILE"),
        ctx.var("SF_JWT_KEY"),
    ) {
        (Some(path), _, _) => KeySource::File(ctx.resolve(path)),
        (None, Some(path), _) => KeySource::File(ctx.resolve(Path::new(path))),
        (None, None, Some(pem)) => KeySource::Pem(Secret::new(pem.to_string())),
        (None, None, None) if defaults.is_some() => KeySource::Pem(
            defaults
                .map(|d| d.key_pem.clone())
                .unwrap_or_else(|| Secret::new(String::new())),
        ),
        (None, None, None) => {
            return Err(Error::Usage(
                "Salesforce auth needs the private key: pass --sf-key FILE, or set SF_JWT_KEY_FILE (a path) or SF_JWT_KEY (the PEM text)".to_string(),
            ));
        }
    };
    match &source {
        KeySource::File(path) => {
            if let Ok(text) = std::fs::read_to_string(path) {
                redactor.add(&text);
            }
        }
        KeySource::Pem(pem) | KeySource::AuthBlock(pem) => redactor.add(pem.expose()),
    }
    let passphrase = ctx
        .var("SF_JWT_KEY_PASSPHRASE")
        .map(|p| Secret::new(p.to_string()));
    if let Some(p) = &passphrase {
        redactor.add(p.expose());
    }
    let key = auth::load_private_key(&source, passphrase.as_ref())?;
    Ok(SfAuthConfig {
        login_url,
        client_id,
        username,
        key,
        exp_seconds: login.exp_seconds.unwrap_or(DEFAULT_EXP_SECONDS),
    })
}

/// A login URL must be an absolute http(s) URL with a host: anything else is a usage error
/// (exit 2), found before any request is made.
fn check_login_url(url: &str) -> Result<(), Error> {
    let bad = |why: &str| {
        Error::Usage(format!(
            "--sf-login-url (or SF_LOGIN_URL) `{url}` is not a usable URL: {why}; expected e.g. \
             https://login.salesforce.com or https://MyDomain.my.salesforce.com"
        ))
    };
    let parsed = url::Url::parse(url.trim()).map_err(|e| bad(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad(&format!(
            "the scheme is {}, not http or https",
            parsed.scheme()
        )));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("it has no host"));
    }
    Ok(())
}
