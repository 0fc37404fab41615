//! The prelude (`js/*.js`: the `pm` object, scopes, chai fast paths, ...) and its QuickJS
//! bytecode. Parsing and compiling the prelude's 105 KB of JavaScript was most of a run's start-up
//! (about 44 million instructions, 8 ms here); loading it compiled costs a fraction of that.
//!
//! The bytecode lives in `prelude.qjsbc`, made by the unit test
//! `prelude_bytecode_matches_the_sources` (`SNAPMAN_BLESS_PRELUDE=1 cargo test --lib prelude`
//! rewrites it). It starts with a 64-bit FNV-1a digest of the sources it was compiled from: when
//! a source changed and the file was not rewritten, the sources are evaluated instead, so stale
//! bytecode never runs (and the test fails until the file is rewritten). The digest only tells
//! versions apart (the file is ours, not an attacker's): SHA-256 here cost a quarter of a
//! one-request run's instructions.

use rquickjs::context::EvalOptions;
use rquickjs::{CatchResultExt, Ctx, Module};

/// The prelude, evaluated in this order when a runtime starts (`pm.js` last).
pub(crate) const PRELUDE: [(&str, &str); 8] = [
    ("core.js", include_str!("js/core.js")),
    ("scopes.js", include_str!("js/scopes.js")),
    ("request.js", include_str!("js/request.js")),
    ("response.js", include_str!("js/response.js")),
    ("expect.js", include_str!("js/expect.js")),
    ("modules.js", include_str!("js/modules.js")),
    ("sugar.js", include_str!("js/sugar.js")),
    ("pm.js", include_str!("js/pm.js")),
];

/// The compiled prelude: the sources' digest, then each file as a little-endian `u32` length and
/// its module bytecode, in [`PRELUDE`]'s order.
static BYTECODE: &[u8] = include_bytes!("prelude.qjsbc");

/// FNV-1a (64-bit) over every prelude file's name and source, each followed by a zero byte.
fn sources_digest() -> [u8; 8] {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let bytes = PRELUDE.iter().flat_map(|(file, code)| {
        file.bytes()
            .chain(std::iter::once(0))
            .chain(code.bytes())
            .chain(std::iter::once(0))
    });
    bytes
        .fold(OFFSET, |hash, b| (hash ^ u64::from(b)).wrapping_mul(PRIME))
        .to_le_bytes()
}

/// Each file's bytecode, when [`BYTECODE`] was compiled from the current sources.
fn compiled() -> Option<Vec<&'static [u8]>> {
    // Written on a little-endian machine; a big-endian one evaluates the sources.
    if cfg!(target_endian = "big") {
        return None;
    }
    let (digest, mut rest) = BYTECODE.split_at_checked(8)?;
    if digest != sources_digest() {
        return None;
    }
    let mut modules = Vec::with_capacity(PRELUDE.len());
    for _ in PRELUDE {
        let (len, tail) = rest.split_at_checked(4)?;
        let len = usize::try_from(u32::from_le_bytes(len.try_into().ok()?)).ok()?;
        let (module, tail) = tail.split_at_checked(len)?;
        modules.push(module);
        rest = tail;
    }
    rest.is_empty().then_some(modules)
}

/// Evaluates the prelude in `ctx`: from bytecode when it is current, else from source. The error
/// names the file that threw.
pub(crate) fn load(ctx: &Ctx<'_>) -> Result<(), (&'static str, String)> {
    match compiled() {
        Some(modules) => {
            for ((file, _), bytes) in PRELUDE.iter().zip(modules) {
                // SAFETY: `bytes` was written by `JS_WriteObject` of this same QuickJS build from
                // these same sources (the digest above says so), and lives for the whole program
                // as the ROM data `Module::load` reads it as.
                let declared = unsafe { Module::load(ctx.clone(), bytes) }
                    .catch(ctx)
                    .map_err(|e| (*file, e.to_string()))?;
                let (_, promise) = declared
                    .eval()
                    .catch(ctx)
                    .map_err(|e| (*file, e.to_string()))?;
                promise
                    .finish::<()>()
                    .catch(ctx)
                    .map_err(|e| (*file, e.to_string()))?;
            }
        }
        None => {
            for (file, code) in PRELUDE {
                let mut opts = EvalOptions::default();
                opts.filename = Some(file.to_owned());
                ctx.eval_with_options::<(), _>(code, opts)
                    .catch(ctx)
                    .map_err(|e| (file, e.to_string()))?;
            }
        }
    }
    Ok(())
}

/// The prelude compiled to module bytecode, as [`BYTECODE`] holds it.
#[cfg(test)]
fn compile(ctx: &Ctx<'_>) -> Result<Vec<u8>, (&'static str, String)> {
    let mut out = sources_digest().to_vec();
    for (file, code) in PRELUDE {
        let bytes = Module::declare(ctx.clone(), file, code)
            .and_then(|m| m.write(rquickjs::WriteOptions::default()))
            .catch(ctx)
            .map_err(|e| (file, e.to_string()))?;
        let len = u32::try_from(bytes.len()).map_err(|e| (file, e.to_string()))?;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&bytes);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rquickjs::{Context, Runtime};

    #[test]
    fn prelude_bytecode_matches_the_sources() {
        let runtime = Runtime::new().expect("runtime");
        let context = Context::full(&runtime).expect("context");
        let fresh = context.with(|ctx| compile(&ctx)).expect("prelude compiles");
        if fresh == BYTECODE {
            assert!(compiled().is_some());
            return;
        }
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/script/prelude.qjsbc");
        if std::env::var_os("SNAPMAN_BLESS_PRELUDE").is_some() {
            std::fs::write(path, &fresh).expect("prelude.qjsbc written");
        } else {
            panic!(
                "src/script/prelude.qjsbc is stale (a prelude file changed): run \
                 `SNAPMAN_BLESS_PRELUDE=1 cargo test --lib prelude` and commit it"
            );
        }
    }
}
