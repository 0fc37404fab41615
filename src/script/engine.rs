//! The embedded JavaScript engine: one QuickJS runtime and context per run, the `pm` prelude
//! loaded once, each script compiled into its own function scope, with a time and memory cap.
//!
//! # Why QuickJS (rquickjs) and not Boa
//!
//! Measured on this 2-core machine, shared with other builds (load average noted), with scratch
//! crates outside the repository: `cargo build --release`, cold, one engine after the other,
//! Rust 1.95; the binary is the engine plus a 20-line `main`, stripped; the script is
//! `(function(){ const a = [1,2,3].map(x => x * i); return a[2]; })()`, 10,000 evaluations.
//!
//! | | rquickjs 0.11 (quickjs-ng) | boa_engine 0.21 |
//! | --- | --- | --- |
//! | cold release build | 26 s (load 1.0) | 149 s (load 1.0 rising to 4.1) |
//! | stripped binary | 1.36 MB | 9.6 MB |
//! | runtime + context start-up | 0.27 ms | 0.57 ms |
//! | trivial script (parse + run) | 11.6 µs | 50.3 µs |
//!
//! QuickJS covers ES2020 (and most of ES2023), builds in a fraction of Boa's time, adds a fifth
//! of the size and runs short scripts about four times faster. It also has the two hooks the
//! limits need: an interrupt handler (per-script timeout) and a heap cap. rquickjs 0.11 is the
//! newest release that builds with the crate's `rust-version` (0.14 needs 1.87).
//!
//! # Cost per script in snapman
//!
//! Release build, 1,000 runs of each script through [`ScriptRuntime::run`] with a 20-variable
//! environment and a JSON response (same machine, load about 3): runtime start with the prelude
//! 4.3 ms once per run; an empty script 40 µs; `pm.test` with `to.have.status`, `json()`, one
//! `pm.expect` and `pm.environment.set` 220 µs (the first one of a run 13 ms, as chai and lodash
//! load on first use). Most of the 220 µs is chai's Proxy-guarded property chain; Postman's chai
//! uses the same proxies (they turn a typo such as `to.be.tru` into a failure), so they stay on.
//! Compiled scripts are cached by source, and scopes a script did not change are not copied back.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rquickjs::allocator::RustAllocator;
use rquickjs::context::EvalOptions;
use rquickjs::{CatchResultExt, CaughtError, Context, Ctx, Function, Object, Runtime, Value};

use crate::runner::summary::ScriptError;
use crate::script::api::{ScriptInput, ScriptIo, ScriptLimits, ScriptOutput};
use crate::script::bridge::{
    self, ASYNC_WRAP_PREFIX, Pending, PendingCall, RawOutput, SCRIPT_FILE, WRAP_PREFIX, WRAP_SUFFIX,
};
use crate::script::packages::{self, PackageRoots};
use crate::script::prelude;
use crate::script::web;

/// Vendored library sources, handed to the prelude's lazy loader by name.
fn vendored(name: &str) -> Option<&'static str> {
    Some(match name {
        "chai" => include_str!("vendor/chai/chai.js"),
        "lodash" => include_str!("vendor/lodash/lodash.min.js"),
        "moment" => include_str!("vendor/moment/moment.min.js"),
        "crypto-js" => include_str!("vendor/crypto-js/crypto-js.js"),
        "tv4" => include_str!("vendor/tv4/tv4.js"),
        "ajv" => include_str!("vendor/ajv/ajv.min.js"),
        "web" => include_str!("js/web.js"),
        // Node's modules as Postman's sandbox bundles them (browserify's shims; see vendor/README).
        "buffer" => include_str!("vendor/node/buffer.js"),
        "events" => include_str!("vendor/node/events.js"),
        "os" => include_str!("vendor/node/os.js"),
        "path" => include_str!("vendor/node/path.js"),
        "punycode" => include_str!("vendor/node/punycode.js"),
        "querystring" => include_str!("vendor/node/querystring.js"),
        "stream" => include_str!("vendor/node/stream.js"),
        "string_decoder" => include_str!("vendor/node/string_decoder.js"),
        "timers" => include_str!("vendor/node/timers.js"),
        "url" => include_str!("vendor/node/url.js"),
        "util" => include_str!("vendor/node/util.js"),
        "cheerio" => include_str!("vendor/node/cheerio.js"),
        "csv-parse/lib/sync" => include_str!("vendor/node/csv-parse.js"),
        "postman-collection" => include_str!("vendor/node/postman-collection.js"),
        _ => return None,
    })
}

/// Why a script runtime could not be created.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// QuickJS refused to allocate a runtime or context.
    #[error("failed to create the script runtime: {0}")]
    Init(#[from] rquickjs::Error),
    /// A prelude file threw while loading (a bug in snapman, or a memory cap too small).
    #[error("failed to load the script prelude {file}: {message}")]
    Prelude {
        /// The prelude file.
        file: &'static str,
        /// The exception.
        message: String,
    },
}

/// Scripts between two cycle collections. QuickJS frees most garbage by reference counting;
/// its automatic cycle collector, which scans the whole heap (chai, lodash, moment, ...) every
/// time allocations grow by half, was the largest single cost of a typical test script. It is
/// off, and cycles are collected every this many scripts instead (and after a failed script).
const SCRIPTS_PER_GC: u32 = 256;

/// One JavaScript runtime for a whole run; call [`ScriptRuntime::run`] for every script.
pub struct ScriptRuntime {
    runtime: Runtime,
    context: Context,
    limits: ScriptLimits,
    clock: Clock,
    scripts_since_gc: u32,
}

/// The per-script deadline, shared with the interrupt handler and the prelude's library loader
/// (which pauses it: loading chai is snapman's cost, not the script's).
#[derive(Debug, Default)]
struct ClockState {
    deadline: Option<Instant>,
    paused: Option<Duration>,
    interrupted: bool,
}

/// Shared [`ClockState`]; a mutex keeps [`ScriptRuntime`] `Send`.
type Clock = Arc<Mutex<ClockState>>;

/// Locks the clock, ignoring poisoning (the state stays meaningful).
fn lock(clock: &Clock) -> MutexGuard<'_, ClockState> {
    clock.lock().unwrap_or_else(PoisonError::into_inner)
}

impl ScriptRuntime {
    /// Starts QuickJS with the given limits and loads the prelude (libraries load lazily).
    pub fn new(limits: ScriptLimits) -> Result<Self, EngineError> {
        // QuickJS allocates through Rust's global allocator (mimalloc in the binary): malloc
        // and free were a quarter of a typical script's instructions with the system allocator.
        let runtime = Runtime::new_with_alloc(RustAllocator)?;
        let clock = Clock::default();
        let handler_clock = Arc::clone(&clock);
        runtime.set_interrupt_handler(Some(Box::new(move || {
            let mut c = lock(&handler_clock);
            let hit = c.deadline.is_some_and(|at| Instant::now() >= at);
            c.interrupted |= hit;
            hit
        })));
        let context = Context::full(&runtime)?;
        let loader_clock = Arc::clone(&clock);
        context.with(|ctx| -> Result<(), EngineError> {
            let source = Function::new(ctx.clone(), |name: String| vendored(&name))?;
            ctx.globals().set("__snapman_source", source)?;
            let clock = Function::new(ctx.clone(), move |running: bool| {
                let mut c = lock(&loader_clock);
                if running {
                    if let Some(left) = c.paused.take() {
                        c.deadline = Some(Instant::now() + left);
                    }
                } else if let Some(at) = c.deadline.take() {
                    c.paused = Some(at.saturating_duration_since(Instant::now()));
                }
            })?;
            ctx.globals().set("__snapman_clock", clock)?;
            web::register(&ctx)?;
            packages::register(&ctx, PackageRoots::default())?;
            prelude::load(&ctx).map_err(|(file, message)| EngineError::Prelude { file, message })
        })?;
        // Set after the prelude so the cap applies to scripts, not to snapman's own setup.
        runtime.set_memory_limit(limits.memory_bytes);
        runtime.set_gc_threshold(usize::MAX);
        Ok(ScriptRuntime {
            runtime,
            context,
            limits,
            clock,
            scripts_since_gc: 0,
        })
    }

    /// Lets `pm.require` load packages from `roots` (without it, `pm.require` says where
    /// packages would have been looked for).
    pub fn with_packages(self, roots: PackageRoots) -> Result<Self, EngineError> {
        self.context
            .with(|ctx| packages::register(&ctx, roots))
            .map_err(EngineError::Init)?;
        Ok(self)
    }

    /// Runs one script and returns what it did. Never fails: syntax errors, exceptions and
    /// timeouts are reported in [`ScriptOutput::error`], and the runtime stays usable.
    ///
    /// JavaScript runs synchronously between awaits; only `pm.sendRequest` round trips and
    /// timer waits are awaited, on the caller's tokio runtime (which must have time enabled).
    pub async fn run<S: ScriptIo>(&mut self, input: &ScriptInput, io: &mut S) -> ScriptOutput {
        let listen = input.listen.as_str();
        self.arm();
        let begin = self
            .context
            .with(|ctx| -> Result<Option<ScriptError>, String> {
                let body = input
                    .response
                    .as_ref()
                    .map(|r| String::from_utf8_lossy(&r.body));
                let (head, request, scopes) = bridge::begin_args(&ctx, input)?;
                call_sm::<()>(&ctx, "begin", (head, body.as_deref(), request, scopes))?;
                let function = match cached(&ctx, &input.source, listen) {
                    Ok(f) => f,
                    Err(e) => return Ok(Some(e)),
                };
                match function.call::<_, Value>(()).catch(&ctx) {
                    // A script with top-level `await` returns a promise: its rejection is the
                    // script's error, read once everything has settled.
                    Ok(result) => call_sm::<()>(&ctx, "watch", (result,)).map(|()| None),
                    Err(e) => Ok(Some(caught(e, listen))),
                }
            });
        let mut error = match begin {
            Ok(e) => e,
            Err(message) => Some(internal(listen, message)),
        };
        if error.is_none() {
            error = self.settle(listen, io).await;
        }
        if error.is_none() && !self.interrupted() {
            error = self.context.with(|ctx| {
                call_sm::<Value>(&ctx, "takeRejection", ()).map_or_else(
                    |message| Some(internal(listen, message)),
                    |v| (!v.is_undefined()).then(|| from_value(&v, listen)),
                )
            });
        }
        if self.interrupted() {
            error = Some(self.timeout_error(listen));
        }
        self.disarm();
        self.scripts_since_gc += 1;
        // A failed script may leave a large heap behind (a memory-cap hit); reclaim it now.
        if error.is_some() || self.scripts_since_gc >= SCRIPTS_PER_GC {
            self.runtime.run_gc();
            self.scripts_since_gc = 0;
        }
        self.finish(input, error)
    }

    /// Compiles a script without running it, for `snapman check`.
    pub fn check_syntax(&mut self, source: &str) -> Result<(), ScriptError> {
        self.arm();
        let result = self
            .context
            .with(|ctx| compile(&ctx, source, "check").map(|_| ()));
        self.disarm();
        result
    }

    /// Starts the per-script clock.
    fn arm(&self) {
        let mut c = lock(&self.clock);
        c.interrupted = false;
        c.paused = None;
        c.deadline = self.limits.timeout.map(|t| Instant::now() + t);
    }

    /// Stops the clock so snapman's own bookkeeping is never interrupted.
    fn disarm(&self) {
        lock(&self.clock).deadline = None;
    }

    /// True once the interrupt handler (or the timer wait) hit the deadline.
    fn interrupted(&self) -> bool {
        lock(&self.clock).interrupted
    }

    fn timeout_error(&self, listen: &str) -> ScriptError {
        let ms = self.limits.timeout.map_or(0, |t| t.as_millis());
        ScriptError {
            listen: listen.to_owned(),
            name: "Error".to_owned(),
            message: format!("script timed out after {ms} ms"),
            line: None,
            column: None,
        }
    }

    /// Runs promise jobs, hands `pm.sendRequest` and cookie jar calls to `io` and fires timers
    /// until nothing
    /// is left or the deadline passes. Returns an error only when snapman's own bridge fails.
    async fn settle<S: ScriptIo>(&mut self, listen: &str, io: &mut S) -> Option<ScriptError> {
        loop {
            while self.runtime.is_job_pending() {
                // A rejected job is an unhandled rejection, which does not fail a script.
                let _ = self.runtime.execute_pending_job();
                if self.interrupted() {
                    return None;
                }
            }
            let step = self.context.with(|ctx| -> Result<Step, String> {
                let calls: String = call_sm(&ctx, "takeCalls", ())?;
                let calls: Vec<Pending> =
                    serde_json::from_str(&calls).map_err(|e| e.to_string())?;
                if !calls.is_empty() {
                    return Ok(Step::Call(calls));
                }
                let wait: f64 = call_sm(&ctx, "nextTimer", ())?;
                Ok(if wait < 0.0 {
                    Step::Done
                } else {
                    Step::Wait(Duration::from_secs_f64(wait / 1000.0))
                })
            });
            match step {
                Err(message) if !self.interrupted() => return Some(internal(listen, message)),
                Err(_) => return None,
                Ok(Step::Done) => return None,
                Ok(Step::Call(calls)) => {
                    for pending in calls {
                        let delivery = match pending.call {
                            // The HTTP round trip counts against the script's time budget.
                            // A deadline hit ends the loop; `run` reports the timeout.
                            PendingCall::Request(request) => {
                                bridge::delivery_json(self.before_deadline(io.send(request)).await?)
                            }
                            PendingCall::Jar(call) => {
                                bridge::jar_delivery_json(io.cookie_jar(call))
                            }
                        };
                        if let Err(message) = self
                            .context
                            .with(|ctx| call_sm::<()>(&ctx, "deliver", (pending.id, delivery)))
                        {
                            return (!self.interrupted()).then(|| internal(listen, message));
                        }
                    }
                }
                Ok(Step::Wait(wait)) => {
                    self.before_deadline(tokio::time::sleep(wait)).await?;
                    let fired = self
                        .context
                        .with(|ctx| call_sm::<()>(&ctx, "fireTimer", ()));
                    if let Err(message) = fired {
                        return (!self.interrupted()).then(|| internal(listen, message));
                    }
                }
            }
        }
    }

    /// Awaits `work` within the script's deadline; `None` (and the script marked as timed out)
    /// when the deadline passes first.
    async fn before_deadline<T>(&self, work: impl Future<Output = T>) -> Option<T> {
        let deadline = lock(&self.clock).deadline;
        match deadline {
            None => Some(work.await),
            Some(at) => match tokio::time::timeout_at(at.into(), work).await {
                Ok(done) => Some(done),
                Err(_) => {
                    lock(&self.clock).interrupted = true;
                    None
                }
            },
        }
    }

    /// Collects the output; the request is the input one unless the script changed it.
    fn finish(&mut self, input: &ScriptInput, error: Option<ScriptError>) -> ScriptOutput {
        let listen = input.listen.as_str();
        let raw = self.context.with(|ctx| -> Result<RawOutput, String> {
            let text: String = call_sm(&ctx, "end", ())?;
            serde_json::from_str(&text).map_err(|e| e.to_string())
        });
        match raw {
            Ok(raw) => ScriptOutput {
                variables: raw.variables.merge(&input.variables),
                request: raw.request,
                assertions: raw.assertions.into_iter().map(Into::into).collect(),
                error,
                console: raw.console.into_iter().map(Into::into).collect(),
                next_request: raw.next.map(|n| n.value),
                skip_request: raw.skip,
            },
            Err(message) => ScriptOutput {
                variables: input.variables.clone(),
                request: None,
                assertions: Vec::new(),
                error: error.or_else(|| Some(internal(listen, message))),
                console: Vec::new(),
                next_request: None,
                skip_request: false,
            },
        }
    }
}

/// What the settle loop does next.
enum Step {
    Done,
    Call(Vec<Pending>),
    Wait(Duration),
}

/// Calls `__sm[name](args)`.
fn call_sm<'js, R: rquickjs::FromJs<'js>>(
    ctx: &Ctx<'js>,
    name: &str,
    args: impl rquickjs::function::IntoArgs<'js>,
) -> Result<R, String> {
    let sm: Object = ctx.globals().get("__sm").map_err(|e| e.to_string())?;
    let f: Function = sm.get(name).map_err(|e| e.to_string())?;
    f.call(args).catch(ctx).map_err(|e| e.to_string())
}

/// The compiled function for `source`, compiling it on first use. Compiled scripts are kept
/// in the prelude's `Map` by source: a collection's scripts run once per item and iteration,
/// and each call of a compiled function still gets a fresh scope.
fn cached<'js>(ctx: &Ctx<'js>, source: &str, listen: &str) -> Result<Function<'js>, ScriptError> {
    let saved: Option<Function> =
        call_sm(ctx, "compiledScript", (source,)).map_err(|e| internal(listen, e))?;
    if let Some(function) = saved {
        return Ok(function);
    }
    let function = compile(ctx, source, listen)?;
    call_sm::<()>(ctx, "saveScript", (source, function.clone()))
        .map_err(|e| internal(listen, e))?;
    Ok(function)
}

/// Compiles the user's code into a function of its own, so `const`/`let` declarations do not leak
/// between scripts. A script that does not compile as a plain function but uses `await` is
/// compiled again as an async function (top-level `await`); plain scripts never pay for that.
fn compile<'js>(ctx: &Ctx<'js>, source: &str, listen: &str) -> Result<Function<'js>, ScriptError> {
    match compile_as(ctx, source, listen, false) {
        Err(e) if e.name == "SyntaxError" && source.contains("await") => {
            compile_as(ctx, source, listen, true)
        }
        done => done,
    }
}

/// Compiles `source` as a plain or an async function. Code that closes the wrapper early
/// (`}); x(); (function(){`) is caught by comparing the function's source text with the script,
/// and reported as a syntax error.
fn compile_as<'js>(
    ctx: &Ctx<'js>,
    source: &str,
    listen: &str,
    is_async: bool,
) -> Result<Function<'js>, ScriptError> {
    let mut opts = EvalOptions::default();
    opts.strict = false;
    opts.filename = Some(SCRIPT_FILE.to_owned());
    let prefix = if is_async {
        ASYNC_WRAP_PREFIX
    } else {
        WRAP_PREFIX
    };
    let outer = ctx
        .eval_with_options::<Function, _>(format!("{prefix}{source}{WRAP_SUFFIX}"), opts)
        .catch(ctx)
        .map_err(|e| clamp(caught(e, listen), source))?;
    let escaped = || ScriptError {
        listen: listen.to_owned(),
        name: "SyntaxError".to_owned(),
        message: "unexpected token '}'".to_owned(),
        line: None,
        column: None,
    };
    let inner: Function = outer.call(()).map_err(|_| escaped())?;
    let text = inner
        .clone()
        .into_value()
        .get::<rquickjs::Coerced<String>>()
        .map_err(|_| escaped())?
        .0;
    if text != bridge::expected_function_text(source, is_async) {
        return Err(escaped());
    }
    Ok(inner)
}

/// Keeps a syntax error's position inside the script: an error found in the wrapper's closing
/// line (an unclosed bracket) is reported at the end of the script's last line.
fn clamp(mut e: ScriptError, source: &str) -> ScriptError {
    let lines = source.split('\n').count();
    if e.line
        .is_some_and(|l| usize::try_from(l).is_ok_and(|l| l > lines))
    {
        let last = source.rsplit('\n').next().unwrap_or("");
        e.line = u32::try_from(lines).ok();
        e.column = u32::try_from(last.chars().count() + 1).ok();
    }
    e
}

/// A caught exception as a script error.
fn caught(e: CaughtError<'_>, listen: &str) -> ScriptError {
    match e {
        CaughtError::Exception(ex) => {
            let value: Value = ex.clone().into_value();
            from_value(&value, listen)
        }
        CaughtError::Value(v) => from_value(&v, listen),
        CaughtError::Error(e) => internal(listen, e.to_string()),
    }
}

/// Name, message and position of any thrown value (through the prelude's `__sm.describe`).
fn from_value(value: &Value<'_>, listen: &str) -> ScriptError {
    if value.is_null() {
        // QuickJS throws `null` when it cannot even allocate the error object.
        return ScriptError {
            listen: listen.to_owned(),
            name: "InternalError".to_owned(),
            message: "out of memory".to_owned(),
            line: None,
            column: None,
        };
    }
    #[derive(serde::Deserialize)]
    struct Described {
        name: String,
        message: String,
        stack: String,
    }
    let described: Result<String, String> = call_sm(value.ctx(), "describe", (value.clone(),));
    match described.and_then(|t| serde_json::from_str::<Described>(&t).map_err(|e| e.to_string())) {
        Ok(d) => bridge::script_error(listen, d.name, d.message, &d.stack),
        Err(message) => internal(listen, message),
    }
}

/// An error in snapman's own bridge code, reported as a script error so the run goes on.
fn internal(listen: &str, message: String) -> ScriptError {
    ScriptError {
        listen: listen.to_owned(),
        name: "InternalError".to_owned(),
        message,
        line: None,
        column: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_requireable_library_is_vendored() {
        for name in ["chai", "lodash", "moment", "crypto-js", "tv4", "ajv"] {
            assert!(vendored(name).is_some_and(|s| s.len() > 10_000), "{name}");
        }
        for name in [
            "buffer",
            "events",
            "os",
            "path",
            "punycode",
            "querystring",
            "stream",
            "string_decoder",
            "timers",
            "url",
            "util",
            "web",
            "cheerio",
            "csv-parse/lib/sync",
            "postman-collection",
        ] {
            assert!(vendored(name).is_some_and(|s| s.len() > 500), "{name}");
        }
        assert!(vendored("fs").is_none());
    }

    #[test]
    fn clamp_keeps_positions_inside_the_script() {
        let e = ScriptError {
            listen: "test".to_owned(),
            name: "SyntaxError".to_owned(),
            message: "m".to_owned(),
            line: Some(3),
            column: Some(2),
        };
        let clamped = clamp(e.clone(), "a();\nfoo(");
        assert_eq!((clamped.line, clamped.column), (Some(2), Some(5)));
        let kept = clamp(e, "1\n2\n3");
        assert_eq!((kept.line, kept.column), (Some(3), Some(2)));
    }

    #[test]
    fn runtime_is_send() {
        fn assert_send<T: Send>() {}
        assert_send::<ScriptRuntime>();
    }

    #[test]
    fn check_syntax_compiles_without_running() {
        let mut rt = ScriptRuntime::new(ScriptLimits::default()).expect("runtime");
        assert!(rt.check_syntax("while (true) {}").is_ok());
        let err = rt.check_syntax("let a = ;").expect_err("syntax error");
        assert_eq!((err.name.as_str(), err.line), ("SyntaxError", Some(1)));
    }
}
