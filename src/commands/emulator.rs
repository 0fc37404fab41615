//! `snapman emulator`: the echo service and the Salesforce login emulator on one port, with the
//! apps and users of `--cert/--client-id/--username` groups and `--config`, until Ctrl-C.
//!
//! Its stdout starts with the base URL, then `name: value` lines:
//!
//! ```text
//! http://127.0.0.1:41234
//! loginUrl: http://127.0.0.1:41234
//! clientId: 3MVG9snapmanEmulator
//! username: admin@snapman.example
//! organizationId: 00D5gABCDEFGHIJKLM
//! shortCode: kv7kzm78
//! ```

use std::io::Write;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde::Deserialize;

use crate::cli::EmulatorArgs;
use crate::context::RunContext;
use crate::emulator::login::{AppRegistration, LoginState, UserRegistration, login_router};
use crate::emulator::oci::{OciOptions, OciState, SeedData, load_seed, oci_router};
use crate::emulator::{
    AdminState, EmulatorConfig as ServerConfig, EmulatorHandle, ORGANIZATION_ID, Registrar,
    SHORT_CODE, admin_router, emulator_org_id, open_instructions, start_background_with,
};
use crate::error::{EXIT_OK, Error};

/// Consumer key of the ephemeral app made when no `--cert` is given.
const EPHEMERAL_CLIENT_ID: &str = "3MVG9snapmanEmulator";

/// User of the ephemeral app.
const EPHEMERAL_USERNAME: &str = "admin@snapman.example";

/// How often a free port is looked for when another process takes it first.
const PORT_ATTEMPTS: u32 = 5;

/// `--config`: apps, users and settings of the login emulator.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmulatorConfig {
    /// Connected apps.
    #[serde(default)]
    pub apps: Vec<AppConfig>,
    /// Users (all in one org unless `orgId` says otherwise).
    #[serde(default)]
    pub users: Vec<UserConfig>,
    /// Accepted `aud` values, replacing the defaults.
    pub audiences: Option<Vec<String>>,
    /// Scopes granted to tokens, replacing the seven OCI scopes.
    pub scopes: Option<Vec<String>>,
    /// Access-token lifetime in seconds.
    pub token_lifetime_seconds: Option<u64>,
    /// Account Manager access-token lifetime in seconds (default 1800; `expires_in` is one less).
    pub account_manager_token_lifetime_seconds: Option<u64>,
}

/// One connected app of `--config`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppConfig {
    /// Consumer key.
    pub client_id: String,
    /// Certificate or public key: PEM text, or a file path relative to the config file.
    pub certificate: Option<String>,
    /// Client secret for the password and client-credentials grants.
    pub client_secret: Option<String>,
    /// Run-as user of the client-credentials grant.
    pub run_as: Option<String>,
    /// Account Manager: opaque access tokens instead of JWTs.
    #[serde(default)]
    pub opaque_tokens: bool,
}

/// One user of `--config`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserConfig {
    /// Login name.
    pub username: String,
    /// Password for the password grant and SOAP login.
    pub password: Option<String>,
    /// Consumer keys of the apps the user is pre-authorized for.
    #[serde(default)]
    pub apps: Vec<String>,
    /// Org id (default: the emulator's one org).
    pub org_id: Option<String>,
}

/// Starts the echo service plus the login routes on `bind`; the login state knows the base URL
/// (its instance URL and accepted audience), so it is created once the port is known.
pub fn start_with_login(
    bind: &str,
    data: Option<SeedData>,
    open: bool,
) -> Result<(EmulatorHandle, LoginState), Error> {
    let fail = |e: &dyn std::fmt::Display| {
        Error::Usage(format!("failed to start the emulator on {bind}: {e}"))
    };
    let wanted: SocketAddr = bind
        .to_socket_addrs()
        .map_err(|e| fail(&e))?
        .next()
        .ok_or_else(|| fail(&"the address resolves to nothing"))?;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let addr = if wanted.port() == 0 {
            // Learn a free port first: the login state must know its URL before serving.
            TcpListener::bind(wanted)
                .and_then(|l| l.local_addr())
                .map_err(|e| fail(&e))?
        } else {
            wanted
        };
        let state = LoginState::new(format!("http://{addr}"));
        let oci = OciState::new(
            Arc::new(state.clone()),
            OciOptions {
                data: data.clone(),
                ..OciOptions::default()
            },
        );
        state.set_auto_register(open);
        state.set_default_org(&emulator_org_id());
        let admin = AdminState {
            ca_pem: Arc::new(OnceLock::new()),
            registrar: open.then(|| Registrar::new(state.clone(), &emulator_org_id())),
        };
        let routes = login_router(state.clone())
            .merge(oci_router(oci))
            .merge(admin_router(admin.clone()));
        let config = ServerConfig {
            addr: addr.to_string(),
            extra: Some(routes),
            tls: true,
        };
        match start_background_with(config) {
            Ok(handle) => {
                admin
                    .ca_pem
                    .get_or_init(|| handle.ca_pem().unwrap_or_default().to_owned());
                return Ok((handle, state));
            }
            Err(e)
                if wanted.port() == 0
                    && attempt < PORT_ATTEMPTS
                    && e.kind() == std::io::ErrorKind::AddrInUse => {}
            Err(e) => return Err(fail(&e)),
        }
    }
}

/// One registered app and user, as printed.
struct Pair {
    client_id: String,
    username: String,
    org_id: String,
}

/// `snapman emulator`.
pub fn emulator_command(args: &EmulatorArgs, ctx: &RunContext) -> Result<u8, Error> {
    if args.cert.len() != args.client_id.len() || args.cert.len() != args.username.len() {
        return Err(Error::Usage(format!(
            "--cert, --client-id and --username go in groups: got {} --cert, {} --client-id and {} --username",
            args.cert.len(),
            args.client_id.len(),
            args.username.len()
        )));
    }
    let config = match &args.config {
        Some(path) => Some((read_config(&ctx.resolve(path))?, ctx.resolve(path))),
        None => None,
    };
    let data = match &args.data {
        Some(path) => Some(load_seed(&ctx.resolve(path)).map_err(|e| Error::Input(e.to_string()))?),
        None => None,
    };
    let (handle, state) = start_with_login(&args.bind, data, args.open)?;
    let org_id = emulator_org_id();
    let mut pairs = Vec::new();
    for ((cert, client_id), username) in args.cert.iter().zip(&args.client_id).zip(&args.username) {
        let path = ctx.resolve(cert);
        let pem = std::fs::read_to_string(&path).map_err(|source| Error::Read { path, source })?;
        pairs.push(register(&state, client_id, username, Some(pem), &org_id)?);
    }
    if let Some((config, path)) = &config {
        pairs.extend(apply_config(&state, config, path, &org_id)?);
    }
    let mut ephemeral = None;
    if args.cert.is_empty() && config.is_none() {
        let keys = crate::auth::generate(1, "snapman emulator")?;
        let dir = tempfile::tempdir()
            .map_err(|e| Error::Usage(format!("failed to create a temporary directory: {e}")))?;
        crate::auth::write_keys(dir.path(), &keys)?;
        pairs.push(register(
            &state,
            EPHEMERAL_CLIENT_ID,
            EPHEMERAL_USERNAME,
            Some(keys.cert_pem.clone()),
            &org_id,
        )?);
        ephemeral = Some(dir);
    }
    let base = handle.base_url().to_string();
    let mut text = format!("{base}\nloginUrl: {base}\n");
    for p in &pairs {
        text.push_str(&format!(
            "clientId: {}\nusername: {}\norganizationId: {}\n",
            p.client_id, p.username, p.org_id
        ));
    }
    text.push_str(&format!(
        "shortCode: {SHORT_CODE}\nociTenant: {ORGANIZATION_ID}\nociBaseUrl: {base}/inventory\n"
    ));
    if let Some(dir) = &ephemeral {
        let key = dir.path().join("server.key");
        text.push_str(&format!(
            "keyFile: {key}\n\nAn ephemeral key pair, app and user are registered; the key is deleted when the emulator stops. Use them with\n  snapman run COLLECTION --sf-login-url {base} --sf-client-id {EPHEMERAL_CLIENT_ID} --sf-username {EPHEMERAL_USERNAME} --sf-key {key}\nor set SF_LOGIN_URL={base} SF_CLIENT_ID={EPHEMERAL_CLIENT_ID} SF_USERNAME={EPHEMERAL_USERNAME} SF_JWT_KEY_FILE={key}\n",
            key = key.display()
        ));
    }
    if args.open {
        text.push_str(&open_instructions(&base));
    }
    // Ctrl-C or SIGTERM (a CI cancel, `kill`) stop it, and the ephemeral key is deleted. The
    // handlers are installed before anything is printed, so a caller that signals as soon as it
    // has read the key file's name still gets a clean stop.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("failed to start the async runtime: {e}")))?;
    let signals = runtime.block_on(async {
        use tokio::signal::unix::{SignalKind, signal};
        signal(SignalKind::terminate())
            .and_then(|term| Ok((term, signal(SignalKind::interrupt())?)))
    });
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Error::Usage(format!("failed to write to stdout: {e}")))?;
    drop(out);
    // Without signal handlers there is no clean way to stop later: stop right away then.
    if let Ok((mut term, mut int)) = signals {
        runtime.block_on(async {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        });
    }
    drop(handle);
    drop(ephemeral);
    Ok(EXIT_OK)
}

/// Registers an app with its certificate and one user pre-authorized for it.
fn register(
    state: &LoginState,
    client_id: &str,
    username: &str,
    certificate_pem: Option<String>,
    org_id: &str,
) -> Result<Pair, Error> {
    state
        .register_app(AppRegistration {
            consumer_key: client_id.to_string(),
            certificate_pem,
            ..AppRegistration::default()
        })
        .map_err(|e| Error::Input(e.to_string()))?;
    let mut user = UserRegistration::in_org(username, org_id);
    user.authorized_apps.push(client_id.to_string());
    state.register_user(user);
    Ok(Pair {
        client_id: client_id.to_string(),
        username: username.to_string(),
        org_id: org_id.to_string(),
    })
}

/// Reads and parses `--config`.
fn read_config(path: &Path) -> Result<EmulatorConfig, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| {
        Error::Input(format!(
            "{}:{}:{}: {e}",
            path.display(),
            e.line(),
            e.column()
        ))
    })
}

/// Registers the apps and users of `--config` and applies its settings.
fn apply_config(
    state: &LoginState,
    config: &EmulatorConfig,
    path: &Path,
    org_id: &str,
) -> Result<Vec<Pair>, Error> {
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    for app in &config.apps {
        let certificate_pem = match &app.certificate {
            Some(c) if c.contains("-----BEGIN") => Some(c.clone()),
            Some(file) => {
                let p: PathBuf = base.join(file);
                Some(
                    std::fs::read_to_string(&p)
                        .map_err(|source| Error::Read { path: p, source })?,
                )
            }
            None => None,
        };
        state
            .register_app(AppRegistration {
                consumer_key: app.client_id.clone(),
                certificate_pem,
                client_secret: app.client_secret.clone(),
                run_as: app.run_as.clone(),
                opaque_tokens: app.opaque_tokens,
            })
            .map_err(|e| Error::Input(format!("{}: {e}", path.display())))?;
    }
    let mut pairs = Vec::new();
    for u in &config.users {
        let org = u.org_id.clone().unwrap_or_else(|| org_id.to_string());
        let mut user = UserRegistration::in_org(&u.username, &org);
        user.password = u.password.clone();
        user.authorized_apps = u.apps.clone();
        if let Some(app) = u.apps.first() {
            pairs.push(Pair {
                client_id: app.clone(),
                username: u.username.clone(),
                org_id: user.org_id.clone(),
            });
        }
        state.register_user(user);
    }
    if let Some(audiences) = &config.audiences {
        state.set_audiences(audiences.clone());
    }
    if let Some(scopes) = &config.scopes {
        state.set_scopes(scopes.clone());
    }
    if let Some(secs) = config.token_lifetime_seconds {
        state.set_token_lifetime(Duration::from_secs(secs));
    }
    if let Some(secs) = config.account_manager_token_lifetime_seconds {
        state.set_am_token_lifetime(Duration::from_secs(secs));
    }
    Ok(pairs)
}
