//! `snapman doctor`: the provisioning checklist QA runs on a new org, against the real org or
//! the in-process emulator, printed with a verdict and a fix for each line.

pub mod checks;

use std::path::Path;

use crate::auth::KeySource;
use crate::cli::DoctorArgs;
use crate::context::RunContext;
use crate::emulator::{FullOptions, RemoteEmulator, start_full};
use crate::error::{EXIT_FAILURES, EXIT_OK, Error};
use crate::http::client::ClientOptions;
use crate::secret::Secret;
use checks::{DoctorConfig, doctor};

/// Runs the checklist; exit 0 only when every needed line holds.
pub fn doctor_command(args: &DoctorArgs, ctx: &RunContext) -> Result<u8, Error> {
    let emulator = if args.emulator {
        Some(
            start_full(FullOptions::default())
                .map_err(|e| Error::Input(format!("failed to start the emulator: {e}")))?,
        )
    } else {
        None
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("failed to start the async runtime: {e}")))?;
    let remote = match &args.emulator_url {
        Some(url) => Some(
            runtime
                .block_on(RemoteEmulator::connect(url))
                .map_err(|e| Error::Usage(e.to_string()))?,
        ),
        None => None,
    };
    let mut client = ClientOptions {
        insecure: args.insecure,
        auth_timeout: args
            .login
            .auth_timeout
            .map(std::time::Duration::from_millis),
        ..ClientOptions::default()
    };
    if let Some(emu) = &emulator {
        client.routes = emu.routes.clone();
        client.extra_roots.push(emu.ca_pem.clone().into_bytes());
    }
    if let Some(remote) = &remote {
        client.routes = remote.routes.clone();
        client.extra_roots.push(remote.ca_pem.clone().into_bytes());
    }
    let value = |flag: Option<&String>, var: &str, emulated: Option<&str>| {
        flag.cloned()
            .or_else(|| ctx.var(var).map(str::to_string))
            .or_else(|| emulated.map(str::to_string))
    };
    let missing = |what: &str, how: &str| Error::Usage(format!("doctor needs {what}: {how}"));
    let login_url = value(
        args.login.login_url.as_ref(),
        "SF_LOGIN_URL",
        emulator.as_ref().map(|e| e.login_url.as_str()),
    )
    .unwrap_or_else(|| crate::auth::PRODUCTION_LOGIN_URL.to_string());
    let client_id = value(
        args.login.client_id.as_ref(),
        "SF_CLIENT_ID",
        emulator.as_ref().map(|e| e.client_id.as_str()),
    )
    .ok_or_else(|| {
        missing(
            "the consumer key",
            "pass --sf-client-id or set SF_CLIENT_ID",
        )
    })?;
    let username = value(
        args.login.username.as_ref(),
        "SF_USERNAME",
        emulator.as_ref().map(|e| e.username.as_str()),
    )
    .ok_or_else(|| missing("a username", "pass --sf-username or set SF_USERNAME"))?;
    let key = match (
        &args.login.key,
        ctx.var("SF_JWT_KEY_FILE"),
        ctx.var("SF_JWT_KEY"),
    ) {
        (Some(path), _, _) => KeySource::File(ctx.resolve(path)),
        (None, Some(path), _) => KeySource::File(ctx.resolve(Path::new(path))),
        (None, None, Some(pem)) => KeySource::Pem(Secret::new(pem.to_string())),
        (None, None, None) => match &emulator {
            Some(emu) => KeySource::Pem(Secret::new(emu.key_pem.clone())),
            None => {
                return Err(missing(
                    "the private key",
                    "pass --sf-key FILE, or set SF_JWT_KEY_FILE or SF_JWT_KEY",
                ));
            }
        },
    };
    let passphrase = ctx
        .var("SF_JWT_KEY_PASSPHRASE")
        .map(|p| Secret::new(p.to_string()));
    // The identity doctor uses is registered with the emulator, as `--emulator` registers it
    // for a run; a key that does not load is left to the key check to report.
    let public_key = crate::auth::load_private_key(&key, passphrase.as_ref())
        .ok()
        .and_then(|k| k.public_key_pem().ok());
    if let (Some(emu), Some(public_key)) = (&emulator, &public_key) {
        emu.registrar()
            .register(&client_id, &username, public_key)
            .map_err(|e| Error::Input(e.to_string()))?;
    }
    if let (Some(remote), Some(public_key)) = (&remote, &public_key)
        && remote.open
    {
        runtime
            .block_on(remote.register(&client_id, &username, public_key))
            .map_err(|e| Error::Usage(e.to_string()))?;
    }
    let short_code = args
        .short_code
        .clone()
        .or_else(|| remote.as_ref().map(|e| e.short_code.clone()))
        .or_else(|| emulator.as_ref().map(|e| e.short_code.clone()))
        .ok_or_else(|| missing("the OCI short code", "pass --short-code"))?;
    let organization_id = args
        .organization_id
        .clone()
        .or_else(|| remote.as_ref().map(|e| e.organization_id.clone()))
        .or_else(|| emulator.as_ref().map(|e| e.organization_id.clone()))
        .ok_or_else(|| missing("the OCI tenant", "pass --organization-id"))?;
    let cfg = DoctorConfig {
        login_url,
        client_id,
        username,
        key,
        key_passphrase: passphrase,
        certificate: args.cert.as_deref().map(|p| ctx.resolve(p)),
        short_code,
        organization_id,
        location_group: args.location_group.clone(),
    };
    let report = runtime.block_on(doctor(&cfg, &client));
    print!("{}", report.render(ctx.color(args.color)));
    Ok(if report.passed() {
        EXIT_OK
    } else {
        EXIT_FAILURES
    })
}
