//! `snapman run`: turn parsed arguments into loaded inputs and run options, run each collection
//! named (files or directories, in order), report, export, and map the results to one exit
//! code. `snapman test` prepares its runs and writes its reports here too.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use super::outputs::OutputPaths;
use super::sf::{SfDefaults, login_for_run};
use crate::auth::postman_oauth2::OAuth2Tokens;
use crate::cli::{InputArgs, RunArgs};
use crate::collection::data::load_data_file;
use crate::collection::load::{LoadedCollection, load_collection, load_variable_file};
use crate::collection::model::VariableFile;
use crate::context::RunContext;
use crate::emulator::{FullEmulator, FullOptions, start_full};
use crate::error::{EXIT_FAILURES, EXIT_OK, Error};
use crate::http::client::ClientOptions;
use crate::http::tls;
use crate::interrupt::Interrupt;
use crate::report::cli::{CliReporter, CliReporterOptions};
use crate::report::context::SnapshotResult;
use crate::report::progress::Progress;
use crate::report::{ReportContext, html, json, junit};
use crate::runner::run::{RunObserver, RunOptions, run};
use crate::runner::summary::{Execution, Retention};
use crate::secret::{Redactor, Secret};
use crate::vars::{EnabledMode, Scopes, VariableScope, parse_key_value};

/// The reporters `run` knows.
const REPORTERS: [&str; 4] = ["cli", "json", "junit", "html"];

/// Loads an environment or globals file (if given) and applies `KEY=VALUE` overrides.
fn load_scope(
    ctx: &RunContext,
    file: Option<&Path>,
    scope: &str,
    overrides: &[String],
    mode: EnabledMode,
) -> Result<VariableScope, Error> {
    let mut vars = match file {
        Some(p) => VariableScope::from_file(load_variable_file(&ctx.resolve(p), scope)?, mode),
        None => VariableScope::from_file(VariableFile::default(), mode),
    };
    for kv in overrides {
        let flag = if scope == "globals" {
            "--global-var"
        } else {
            "--env-var"
        };
        let (key, value) = parse_key_value(kv).map_err(|e| Error::Usage(format!("{flag}: {e}")))?;
        vars.set(&key, Value::String(value.unwrap_or_default()));
    }
    Ok(vars)
}

/// Every input file of a run, loaded and checked, with the `KEY=VALUE` overrides applied.
pub(super) struct Inputs {
    /// The collection.
    pub loaded: LoadedCollection,
    /// The environment, overrides applied.
    pub environment: VariableScope,
    /// The globals, overrides applied.
    pub globals: VariableScope,
    /// The iteration data rows.
    pub data: Vec<serde_json::Map<String, Value>>,
}

/// Loads the collection, environment, globals and data named by `args`.
pub(super) fn load_inputs(
    args: &InputArgs,
    ctx: &RunContext,
    mode: EnabledMode,
) -> Result<Inputs, Error> {
    let loaded = load_collection(&ctx.resolve(&args.collection))?;
    for warning in &loaded.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(Inputs {
        loaded,
        environment: load_scope(
            ctx,
            args.environment.as_deref(),
            "environment",
            &args.env_var,
            mode,
        )?,
        globals: load_scope(
            ctx,
            args.globals.as_deref(),
            "globals",
            &args.global_var,
            mode,
        )?,
        data: match &args.iteration_data {
            Some(p) => {
                let path = ctx.resolve(p);
                let rows = load_data_file(&path)?;
                for warning in crate::collection::data::ragged_rows(&path) {
                    eprintln!("warning: {warning}");
                }
                rows
            }
            None => Vec::new(),
        },
    })
}

/// Prints live progress: the CLI reporter's lines (when the `cli` reporter is on) and the
/// progress bar (on a terminal).
struct CliObserver<W: std::io::Write> {
    reporter: Option<CliReporter<W>>,
    progress: Progress,
}

impl<W: std::io::Write> RunObserver for CliObserver<W> {
    fn iteration_started(&mut self, iteration: usize, total: usize) {
        self.progress.iteration(iteration, total);
        if let Some(r) = &mut self.reporter {
            let progress = &mut self.progress;
            progress.lifted(|| r.iteration_started(iteration, total));
        }
    }

    fn execution_finished(&mut self, execution: &Execution) {
        let reporter = &mut self.reporter;
        self.progress.request_done(|| {
            if let Some(r) = reporter {
                r.execution_finished(execution);
            }
        });
    }
}

fn millis(ms: Option<u64>) -> Option<Duration> {
    ms.map(Duration::from_millis)
}

/// A run ready to start: options, the loaded collection, the run's redactor, and the
/// in-process emulator when `--emulator` asked for one (it stops when this is dropped).
pub struct PreparedRun {
    /// Options for the runner.
    pub opts: RunOptions,
    /// The collection as loaded.
    pub loaded: LoadedCollection,
    /// Every secret known to the run.
    pub redactor: Redactor,
    /// The emulator serving this run, if any.
    pub emulator: Option<FullEmulator>,
}

/// The `--ssl-*` options: client certificates (one for all, or by URL pattern) and extra CAs.
fn tls_options(args: &RunArgs, ctx: &RunContext, client: &mut ClientOptions) -> Result<(), Error> {
    let input = |e: tls::TlsFileError| Error::Input(e.to_string());
    match (&args.ssl_client_cert, &args.ssl_client_key) {
        (Some(cert), Some(key)) => {
            client.identity = Some(
                tls::client_identity(
                    &ctx.resolve(cert),
                    &ctx.resolve(key),
                    args.ssl_client_passphrase.as_deref(),
                )
                .map_err(input)?,
            );
        }
        (None, None) => {}
        _ => {
            return Err(Error::Usage(
                "--ssl-client-cert and --ssl-client-key go together".into(),
            ));
        }
    }
    if let Some(list) = &args.ssl_client_cert_list {
        let path = ctx.resolve(list);
        let base = args
            .working_dir
            .as_deref()
            .map(|d| ctx.resolve(d))
            .unwrap_or_else(|| ctx.cwd.clone());
        client.host_identities = tls::host_identities(&path, &base).map_err(input)?;
    }
    if let Some(cas) = &args.ssl_extra_ca_certs {
        client
            .extra_roots
            .push(tls::extra_ca_certs(&ctx.resolve(cas)).map_err(input)?);
    }
    Ok(())
}

/// Validates the flags and loads every input of `run` (shared by `run` and `test`).
pub fn prepare_run(args: &RunArgs, ctx: &RunContext) -> Result<PreparedRun, Error> {
    for r in &args.reporters {
        if !REPORTERS.contains(&r.as_str()) {
            return Err(Error::Usage(format!(
                "unknown reporter `{r}` (known: {})",
                REPORTERS.join(", ")
            )));
        }
    }
    if let Some(bail) = &args.bail {
        for m in bail.split(',') {
            if m != "folder" && m != "failure" {
                return Err(Error::Usage(format!(
                    "unknown --bail modifier `{m}` (known: folder, failure)"
                )));
            }
        }
    }
    let mode = if args.newman_enabled_vars {
        EnabledMode::Newman
    } else {
        EnabledMode::App
    };
    let Inputs {
        loaded,
        mut environment,
        globals,
        data,
    } = load_inputs(&args.input, ctx, mode)?;
    let redactor = Redactor::global().clone();
    redactor.add_secret_names(args.secret_names.iter().map(String::as_str));
    let show = args.show_secrets || args.force_show_secrets;
    if show && !args.force_show_secrets && ctx.var("CI").is_some_and(|v| v != "false" && v != "0") {
        return Err(Error::Usage(
            "--show-secrets is refused when CI is set (outputs of CI runs are kept and shared); \
             use --force-show-secrets to override"
                .into(),
        ));
    }
    redactor.set_masking(!show);
    crate::runner::learn::learn_scope(&redactor, &environment);
    crate::runner::learn::learn_scope(&redactor, &globals);
    warn_cycles(args, ctx, &loaded, &environment, &globals);
    let emulator = if args.emulator {
        let options = FullOptions {
            data: args.emulator_data.as_deref().map(|p| ctx.resolve(p)),
            ..FullOptions::default()
        };
        Some(
            start_full(options)
                .map_err(|e| Error::Input(format!("failed to start the emulator: {e}")))?,
        )
    } else {
        None
    };
    let mut client = ClientOptions {
        insecure: args.insecure,
        timeout: millis(args.timeout_request),
        auth_timeout: millis(args.sf.login.auth_timeout),
        max_body_size: args.max_body_size,
        ..ClientOptions::default()
    };
    tls_options(args, ctx, &mut client)?;
    if let Some(jar) = &args.cookie_jar {
        let path = ctx.resolve(jar);
        let text = crate::collection::source::read_source(&path)?;
        let value: Value = serde_json::from_str(&text.text)
            .map_err(|e| Error::Input(format!("{}: not JSON: {e}", path.display())))?;
        client.cookie_log = crate::http::cookie_log::CookieLog::from_tough_cookie(&value)
            .map_err(|e| Error::Input(format!("{}: {e}", path.display())))?;
    }
    let defaults = emulator.as_ref().map(|emu| {
        client.routes = emu.routes.clone();
        client.extra_roots.push(emu.ca_pem.clone().into_bytes());
        redactor.add(&emu.key_pem);
        SfDefaults {
            login_url: emu.login_url.clone(),
            client_id: emu.client_id.clone(),
            username: emu.username.clone(),
            key_pem: Secret::new(emu.key_pem.clone()),
            registrar: Some(emu.registrar()),
        }
    });
    let sf = login_for_run(&args.sf, &client, defaults.as_ref(), ctx, &redactor)?;
    for var in sf.iter().flat_map(|login| &login.vars) {
        environment.set(&var.name, Value::String(var.value.expose().clone()));
    }
    let working_dir = args
        .working_dir
        .as_deref()
        .map(|d| ctx.resolve(d))
        .unwrap_or_else(|| ctx.cwd.clone());
    let opts = RunOptions {
        collection: Some(loaded.collection.clone()),
        environment,
        globals,
        data,
        iteration_count: args.iteration_count.map(|n| n as usize),
        folders: args.folder.clone(),
        delay_request: millis(args.delay_request).unwrap_or_default(),
        timeout: millis(args.timeout),
        script_timeout: millis(args.timeout_script),
        bail: args.bail.as_deref().is_some_and(|b| b.contains("failure")),
        ignore_redirects: args.ignore_redirects,
        client,
        package_dir: args.package_dir.as_deref().map(|d| ctx.resolve(d)),
        working_dir,
        redactor: redactor.clone(),
        reauth: sf.and_then(|login| login.session),
        secure_file_read: args.no_insecure_file_read,
        oauth2_tokens: if args.oauth2_fetch {
            OAuth2Tokens::always_fetching()
        } else {
            OAuth2Tokens::default()
        },
        interrupt: Some(Interrupt::install()),
        retries: args.retries,
        retry_backoff: Duration::from_millis(args.retry_backoff),
        parallel: args.parallel.unwrap_or(1),
        partition: args.partition,
        retention: retention(args),
    };
    Ok(PreparedRun {
        opts,
        loaded,
        redactor,
        emulator,
    })
}

/// What the summary must keep of each execution for the reporters asked for: none with only the
/// CLI reporter (it prints each execution as it finishes), every one for JSON, JUnit or HTML,
/// with bodies only for HTML and for JSON without `--reporter-json-omit-bodies`.
fn retention(args: &RunArgs) -> Retention {
    let on = |name: &str| args.reporters.iter().any(|r| r == name);
    Retention {
        executions: on("json") || on("junit") || on("html"),
        bodies: on("html") || (on("json") && !args.reporter_json_omit_bodies),
    }
}

/// One collection's finished run, kept for the reports written at the end.
pub struct Finished {
    /// The collection as loaded.
    pub loaded: LoadedCollection,
    /// The variable scopes after the run.
    pub scopes: Scopes,
    /// What happened.
    pub summary: crate::runner::summary::RunSummary,
    /// Every secret known to the run.
    pub redactor: Redactor,
    /// `snapman test`'s verdicts on the responses (empty for `run`).
    pub snapshots: Vec<SnapshotResult>,
}

/// The collections a command line names, in order: files as given, directories expanded to
/// their `*.postman_collection.json` files (else their `*.json` files), sorted by name.
pub fn collection_paths(args: &RunArgs, ctx: &RunContext) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    for given in std::iter::once(&args.input.collection).chain(&args.more_collections) {
        let path = ctx.resolve(given);
        if !path.is_dir() {
            out.push(path);
            continue;
        }
        let entries = std::fs::read_dir(&path)
            .map_err(|e| Error::Input(format!("{}: {e}", path.display())))?;
        let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        files.sort();
        let named = |suffix: &str| -> Vec<PathBuf> {
            files
                .iter()
                .filter(|p| {
                    p.is_file()
                        && p.file_name()
                            .is_some_and(|n| n.to_string_lossy().ends_with(suffix))
                })
                .cloned()
                .collect()
        };
        let mut found = named(".postman_collection.json");
        if found.is_empty() {
            found = named(".json")
                .into_iter()
                .filter(|p| {
                    let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
                    name.is_some_and(|n| {
                        !n.ends_with(".postman_environment.json")
                            && !n.ends_with(".postman_globals.json")
                            && !n.ends_with(".snapman.json")
                    })
                })
                .collect();
        }
        if found.is_empty() {
            return Err(Error::Input(format!(
                "{}: no collection files (*.postman_collection.json) in this directory",
                path.display()
            )));
        }
        out.extend(found);
    }
    Ok(out)
}

/// The run flags for one collection of several: its path, and, unless `-e` was given, the
/// environment next to it (`<stem>.postman_environment.json`) when there is one.
pub fn args_for(args: &RunArgs, path: &Path, several: bool) -> RunArgs {
    let mut one = args.clone();
    one.input.collection = path.to_path_buf();
    one.more_collections.clear();
    if several && args.input.environment.is_none() {
        let stem = crate::snaptest::collection_stem(path);
        let own = path.with_file_name(format!("{stem}.postman_environment.json"));
        one.input.environment = own.is_file().then_some(own);
    }
    one
}

/// Runs `snapman run`: every collection named, in order, with one exit code and one set of
/// reports. Globals carry from one collection to the next, and so does the environment when
/// `-e` gave one; otherwise each collection gets its own.
pub fn run_command(args: &RunArgs, ctx: &RunContext) -> Result<u8, Error> {
    // Report and export paths are decided and checked before anything is sent.
    let outputs = OutputPaths::check(args, ctx)?;
    let paths = collection_paths(args, ctx)?;
    let several = paths.len() > 1;
    let mut carried: Option<Scopes> = None;
    let mut finished = Vec::new();
    for path in &paths {
        let one = args_for(args, path, several);
        let done = run_one(
            &one,
            ctx,
            carried.as_ref(),
            args.input.environment.is_some(),
        )?;
        carried = Some(done.scopes.clone());
        finished.push(done);
    }
    write_outputs(args, &outputs, &finished)?;
    if let Some(code) = Interrupt::install().exit_code() {
        return Ok(code);
    }
    let passed = finished.iter().all(|f| f.summary.passed());
    let code = if args.suppress_exit_code || passed {
        EXIT_OK
    } else {
        EXIT_FAILURES
    };
    Ok(code)
}

/// Carries the previous collection's globals (and environment, when `-e` was given) into
/// `opts`.
pub fn carry_scopes(opts: &mut RunOptions, previous: Option<&Scopes>, keep_environment: bool) {
    if let Some(prev) = previous {
        opts.globals = prev.globals.clone();
        if keep_environment {
            opts.environment = prev.environment.clone();
        }
    }
}

/// Runs one collection with the CLI reporter live.
fn run_one(
    args: &RunArgs,
    ctx: &RunContext,
    previous: Option<&Scopes>,
    keep_environment: bool,
) -> Result<Finished, Error> {
    let PreparedRun {
        mut opts,
        loaded,
        redactor,
        emulator: _emulator,
    } = prepare_run(args, ctx)?;
    carry_scopes(&mut opts, previous, keep_environment);
    let cookie_log = opts.client.cookie_log.clone();
    let show_cli = args.reporters.iter().any(|r| r == "cli") && !args.silent;
    let cli_opts = CliReporterOptions {
        color: ctx.color(args.color),
        verbose: args.verbose,
        unicode: !args.disable_unicode,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("failed to start the async runtime: {e}")))?;
    let iterations = opts
        .iteration_count
        .unwrap_or_else(|| opts.data.len().max(1));
    let requests = crate::runner::run::plan_items(&opts, &loaded.collection, iterations)
        .map(|items| items.len() * iterations)
        .unwrap_or(0);
    let mut observer = CliObserver {
        reporter: show_cli.then(|| {
            CliReporter::new(std::io::stdout().lock(), cli_opts, redactor.clone())
                .with_sections(args.cli_reporter)
        }),
        progress: Progress::new(requests, iterations, !args.silent),
    };
    if let Some(r) = &mut observer.reporter {
        r.run_started(&loaded.collection.info.name);
    }
    let outcome = runtime.block_on(run(opts, &mut observer))?;
    observer.progress.finish();
    if let Some(r) = &mut observer.reporter {
        r.run_finished(&outcome.summary);
    }
    if let Some(path) = &args.export_cookie_jar {
        let text = serde_json::to_string_pretty(&cookie_log.to_tough_cookie())
            .map_err(|e| Error::Input(format!("failed to serialise the cookie jar: {e}")))?;
        crate::atomic::write(&ctx.resolve(path), text.as_bytes())?;
    }
    Ok(Finished {
        loaded,
        scopes: outcome.scopes,
        summary: outcome.summary,
        redactor,
        snapshots: Vec::new(),
    })
}

/// `base` for one collection of several: `report.json` -> `report-<stem>.json`.
fn path_for(base: &Path, loaded: &LoadedCollection, several: bool) -> PathBuf {
    if !several {
        return base.to_path_buf();
    }
    let stem = crate::snaptest::collection_stem(&loaded.path);
    let own = base
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match base.extension() {
        Some(ext) => format!("{own}-{stem}.{}", ext.to_string_lossy()),
        None => format!("{own}-{stem}"),
    };
    base.with_file_name(name)
}

/// The pieces of one collection's report context that must outlive it.
struct ReportParts {
    environment: Value,
    globals: Value,
    collection: Value,
}

fn report_parts(f: &Finished) -> Result<ReportParts, Error> {
    let using = concat!("snapman/", env!("CARGO_PKG_VERSION"));
    let mut collection = f.loaded.collection.clone();
    if collection.variable.is_some() || !f.scopes.collection.values.is_empty() {
        collection.variable = Some(f.scopes.collection.values.clone());
    }
    Ok(ReportParts {
        environment: f.scopes.environment.to_export("environment", using),
        globals: f.scopes.globals.to_export("globals", using),
        collection: serde_json::to_value(&collection)
            .map_err(|e| Error::Input(format!("failed to serialise the collection: {e}")))?,
    })
}

/// Reports and exports, written after the runs: one JUnit file for every collection (a
/// testsuite per collection and folder), a JSON and an HTML file per collection (named
/// `<file>-<collection stem>.<ext>` when there are several); exports hold the final state.
pub(crate) fn write_outputs(
    args: &RunArgs,
    outputs: &OutputPaths,
    finished: &[Finished],
) -> Result<(), Error> {
    let several = finished.len() > 1;
    let parts = finished
        .iter()
        .map(report_parts)
        .collect::<Result<Vec<_>, _>>()?;
    let contexts: Vec<ReportContext> = finished
        .iter()
        .zip(&parts)
        .map(|(f, p)| ReportContext {
            summary: &f.summary,
            collection: &p.collection,
            environment: &p.environment,
            globals: &p.globals,
            redactor: &f.redactor,
            snapshots: &f.snapshots,
            omit_bodies: args.reporter_json_omit_bodies,
        })
        .collect();
    if let Some(base) = &outputs.json {
        for (f, report_ctx) in finished.iter().zip(&contexts) {
            json::write_json(&path_for(base, &f.loaded, several), report_ctx)?;
        }
    }
    if let Some(path) = &outputs.junit {
        junit::write_junit_many(path, &contexts)?;
    }
    if let Some(base) = &outputs.html {
        for (f, report_ctx) in finished.iter().zip(&contexts) {
            html::write_html(&path_for(base, &f.loaded, several), report_ctx)?;
        }
    }
    let (Some(last), Some(last_parts)) = (finished.last(), parts.last()) else {
        return Ok(());
    };
    let using = concat!("snapman/", env!("CARGO_PKG_VERSION"));
    let collection_export = collection_export(&last.loaded.raw, using);
    let exports = [
        (&outputs.environment, &last_parts.environment),
        (&outputs.globals, &last_parts.globals),
        (&outputs.collection, &collection_export),
    ];
    for (path, value) in exports {
        if let Some(path) = path {
            // Exports are the user's data, written as the run left them (never masked), except
            // the credentials snapman minted itself, which only --export-secrets writes.
            let mut value = value.clone();
            if !args.export_secrets {
                blank_minted(&mut value, &last.redactor);
            }
            let text = serde_json::to_string_pretty(&value)
                .map_err(|e| Error::Input(format!("failed to serialise an export: {e}")))?;
            crate::atomic::write(path, text.as_bytes())?;
        }
    }
    Ok(())
}

/// Empties every string in `value` that is a credential snapman minted (keys, types and every
/// other value stay as they are).
fn blank_minted(value: &mut Value, redactor: &Redactor) {
    match value {
        Value::String(s) if redactor.is_minted(s) => s.clear(),
        Value::Array(items) => items.iter_mut().for_each(|v| blank_minted(v, redactor)),
        Value::Object(map) => map.values_mut().for_each(|v| blank_minted(v, redactor)),
        _ => {}
    }
}

/// What Newman 6 writes for `--export-collection`: the collection as it was loaded (its
/// collection variables as defined, not as scripts left them: Newman exports the definition),
/// with Newman's export stamps added at the top level.
fn collection_export(raw: &Value, using: &str) -> Value {
    let mut out = raw.clone();
    if let Value::Object(map) = &mut out {
        map.entry("name")
            .or_insert_with(|| Value::String("collection".into()));
        map.insert(
            "_postman_variable_scope".into(),
            Value::String("collection".into()),
        );
        map.insert(
            "_postman_exported_at".into(),
            Value::String(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        );
        map.insert(
            "_postman_exported_using".into(),
            Value::String(using.into()),
        );
    }
    out
}

/// Warns (on stderr, before the run) about variables that refer back to themselves, naming
/// where each cycle is defined. The run goes on and resolves them as Newman does.
fn warn_cycles(
    args: &RunArgs,
    ctx: &RunContext,
    loaded: &LoadedCollection,
    environment: &VariableScope,
    globals: &VariableScope,
) {
    use crate::vars::cycles::{Definition, cycle_warnings};
    let file = |given: Option<&Path>, flag: &str| {
        given.map_or_else(|| std::path::PathBuf::from(flag), |p| ctx.resolve(p))
    };
    let scopes = [
        (
            globals.values.as_slice(),
            file(args.input.globals.as_deref(), "--global-var"),
        ),
        (
            loaded.collection.variable.as_deref().unwrap_or_default(),
            loaded.path.clone(),
        ),
        (
            environment.values.as_slice(),
            file(args.input.environment.as_deref(), "--env-var"),
        ),
    ];
    let mut definitions = Vec::new();
    for (values, path) in scopes {
        for var in values {
            if let (Some(name), Some(Value::String(value))) = (var.name(), &var.value) {
                definitions.push(Definition {
                    name: name.to_string(),
                    value: value.clone(),
                    file: path.clone(),
                });
            }
        }
    }
    for warning in cycle_warnings(&definitions) {
        eprintln!("warning: {warning}");
    }
}
