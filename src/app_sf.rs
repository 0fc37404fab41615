//! The Salesforce side of the commands: the `--sf-*` login before a run, `snapman token` and
//! `snapman keygen`. Flags fall back to `SF_*` variables read through [`RunContext`].

use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use crate::app::from_cwd;
use crate::auth::{
    self, DEFAULT_EXP_SECONDS, EXCHANGE_RETRIES, KeySource, PRODUCTION_LOGIN_URL, SessionVar,
    SfAuthConfig, SfSession, SfVarNames,
};
use crate::cli_sf::{KeygenArgs, SfArgs, SfLoginArgs, TokenArgs};
use crate::context::RunContext;
use crate::error::{EXIT_OK, Error};
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
            let path = from_cwd(ctx, source);
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
            redactor.add(v.value.expose());
        }
    }
}

/// Runs a future on a fresh single-threaded runtime.
fn block_on<F: std::future::Future>(future: F) -> Result<F::Output, Error> {
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
    let source = match (
        &login.key,
        ctx.var("SF_JWT_KEY_FILE"),
        ctx.var("SF_JWT_KEY"),
    ) {
        (Some(path), _, _) => KeySource::File(from_cwd(ctx, path)),
        (None, Some(path), _) => KeySource::File(from_cwd(ctx, Path::new(path))),
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
        KeySource::Pem(pem) => redactor.add(pem.expose()),
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

/// `snapman token`: the token response as JSON (token masked unless `--show-secrets`), or the
/// signed assertion alone with `--jwt-only`.
pub fn token_command(args: &TokenArgs, ctx: &RunContext) -> Result<u8, Error> {
    let redactor = Redactor::new();
    let cfg = sf_config(&args.login, ctx, &redactor)?;
    let mut out = std::io::stdout().lock();
    if args.jwt_only {
        let jwt = auth::mint_assertion(&cfg.key, &cfg.claims())?;
        writeln!(out, "{}", jwt.expose()).map_err(stdout_error)?;
        return Ok(EXIT_OK);
    }
    let client = crate::http::client::reqwest_client(&ClientOptions {
        insecure: args.insecure,
        ..ClientOptions::default()
    })
    .map_err(|e| Error::Usage(format!("failed to build the HTTP client: {e}")))?;
    let token = block_on(auth::exchange_jwt(&client, &cfg, EXCHANGE_RETRIES))??;
    let mut shown = token.raw.clone();
    if args.show_secrets
        && let Some(map) = shown.as_object_mut()
    {
        map.insert(
            "access_token".to_string(),
            Value::String(token.access_token.expose().clone()),
        );
    }
    let text = serde_json::to_string_pretty(&shown)
        .map_err(|e| Error::Usage(format!("failed to print the token response: {e}")))?;
    writeln!(out, "{text}").map_err(stdout_error)?;
    Ok(EXIT_OK)
}

/// `snapman keygen`: writes the key pair and certificate, then prints the next steps.
pub fn keygen_command(args: &KeygenArgs, ctx: &RunContext) -> Result<u8, Error> {
    let dir = from_cwd(ctx, &args.out);
    let keys = auth::generate(args.days, &args.cn)?;
    auth::write_keys(&dir, &keys)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "wrote {}, {} and {}",
        dir.join("server.key").display(),
        dir.join("server.crt").display(),
        dir.join("public.key").display()
    )
    .and_then(|()| writeln!(out, "{}", auth::next_steps(&dir)))
    .map_err(stdout_error)?;
    Ok(EXIT_OK)
}

/// A failed write to stdout (a closed pipe).
fn stdout_error(e: std::io::Error) -> Error {
    Error::Usage(format!("failed to write to stdout: {e}"))
}
