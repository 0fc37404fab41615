//! `snapman keygen`: a key pair and self-signed certificate for a connected app.

use std::io::Write;

use super::token::stdout_error;
use crate::auth;
use crate::cli::KeygenArgs;
use crate::context::RunContext;
use crate::error::{EXIT_OK, Error};

/// `snapman keygen`: writes the key pair and certificate, then prints the next steps.
pub fn keygen_command(args: &KeygenArgs, ctx: &RunContext) -> Result<u8, Error> {
    let dir = ctx.resolve(&args.out);
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
