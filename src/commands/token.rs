//! `snapman token`: mint a Salesforce JWT assertion and exchange it; print the token response.

use std::io::Write;

use serde_json::Value;

use super::sf::{block_on, sf_config};
use crate::auth::{self, EXCHANGE_RETRIES};
use crate::cli::TokenArgs;
use crate::context::RunContext;
use crate::error::{EXIT_OK, Error};
use crate::http::client::ClientOptions;
use crate::secret::Redactor;

/// `snapman token`: the token response as JSON (token masked unless `--show-secrets`), or the
/// signed assertion alone with `--jwt-only`.
pub fn token_command(args: &TokenArgs, ctx: &RunContext) -> Result<u8, Error> {
    let redactor = Redactor::global().clone();
    let cfg = sf_config(&args.login, ctx, &redactor)?;
    let mut out = std::io::stdout().lock();
    if args.jwt_only {
        let jwt = auth::mint_assertion(&cfg.key, &cfg.claims())?;
        writeln!(out, "{}", jwt.expose()).map_err(stdout_error)?;
        return Ok(EXIT_OK);
    }
    let client = crate::http::client::reqwest_client(&ClientOptions {
        insecure: args.insecure,
        auth_timeout: args
            .login
            .auth_timeout
            .map(std::time::Duration::from_millis),
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

/// A failed write to stdout (a closed pipe).
pub(super) fn stdout_error(e: std::io::Error) -> Error {
    Error::Usage(format!("failed to write to stdout: {e}"))
}
