//! `snapman run`: turn parsed arguments into loaded inputs and run options, run, report, export,
//! and map the result to an exit code. `snapman test` prepares its run here too.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use super::outputs::OutputPaths;
use super::sf::{SfDefaults, login_for_run};
use crate::cli::{InputArgs, RunArgs};
use crate::collection::data::load_data_file;
use crate::collection::load::{LoadedCollection, load_collection, load_variable_file};
use crate::collection::model::VariableFile;
use crate::context::RunContext;
use crate::emulator::{FullEmulator, FullOptions, start_full};
use crate::error::{EXIT_FAILURES, EXIT_OK, Error};
use crate::http::client::ClientOptions;
use crate::interrupt::Interrupt;
use crate::report::cli::{CliReporter, CliReporterOptions};
use crate::report::{ReportContext, html, json, junit};
use crate::runner::run::{RunObserver, RunOptions, run};
use crate::runner::summary::Execution;
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
    Ok(Inputs {
        loaded: load_collection(&ctx.resolve(&args.collection))?,
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

/// Prints live progress through the CLI reporter.
struct CliObserver<W: std::io::Write> {
    reporter: CliReporter<W>,
}

impl<W: std::io::Write> RunObserver for CliObserver<W> {
    fn iteration_started(&mut self, iteration: usize, total: usize) {
        self.reporter.iteration_started(iteration, total);
    }

    fn execution_finished(&mut self, execution: &Execution) {
        self.reporter.execution_finished(execution);
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
        ..ClientOptions::default()
    };
    let defaults = emulator.as_ref().map(|emu| {
        client.routes = emu.routes.clone();
        client.extra_roots.push(emu.ca_pem.clone().into_bytes());
        redactor.add(&emu.key_pem);
        SfDefaults {
            login_url: emu.login_url.clone(),
            client_id: emu.client_id.clone(),
            username: emu.username.clone(),
            key_pem: Secret::new(emu.key_pem.clone()),
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
        working_dir,
        redactor: redactor.clone(),
        reauth: sf.and_then(|login| login.session),
        oauth2_tokens: Default::default(),
        interrupt: Some(Interrupt::install()),
    };
    Ok(PreparedRun {
        opts,
        loaded,
        redactor,
        emulator,
    })
}

pub fn run_command(args: &RunArgs, ctx: &RunContext) -> Result<u8, Error> {
    let paths = OutputPaths::check(args, ctx)?;
    let PreparedRun {
        opts,
        loaded,
        redactor,
        emulator: _emulator,
    } = prepare_run(args, ctx)?;
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
    let mut observer = CliObserver {
        reporter: CliReporter::new(std::io::stdout().lock(), cli_opts, redactor.clone()),
    };
    if show_cli {
        observer.reporter.run_started(&loaded.collection.info.name);
    }
    let outcome = if show_cli {
        runtime.block_on(run(opts, &mut observer))?
    } else {
        runtime.block_on(run(opts, &mut crate::runner::run::NoObserver))?
    };
    if show_cli {
        observer.reporter.run_finished(&outcome.summary);
    }
    write_outputs(
        args,
        &paths,
        &loaded,
        &outcome.scopes,
        &outcome.summary,
        &redactor,
    )?;
    if let Some(code) = Interrupt::install().exit_code() {
        return Ok(code);
    }
    let code = if args.suppress_exit_code || outcome.summary.passed() {
        EXIT_OK
    } else {
        EXIT_FAILURES
    };
    Ok(code)
}

/// Reports and exports, written after the run.
fn write_outputs(
    args: &RunArgs,
    paths: &OutputPaths,
    loaded: &LoadedCollection,
    scopes: &Scopes,
    summary: &crate::runner::summary::RunSummary,
    redactor: &Redactor,
) -> Result<(), Error> {
    let using = concat!("snapman/", env!("CARGO_PKG_VERSION"));
    let environment = scopes.environment.to_export("environment", using);
    let globals = scopes.globals.to_export("globals", using);
    let mut collection = loaded.collection.clone();
    if collection.variable.is_some() || !scopes.collection.values.is_empty() {
        collection.variable = Some(scopes.collection.values.clone());
    }
    let collection_json = serde_json::to_value(&collection)
        .map_err(|e| Error::Input(format!("failed to serialise the collection: {e}")))?;
    let collection_export = collection_export(&loaded.raw, using);
    let report_ctx = ReportContext {
        summary,
        collection: &collection_json,
        environment: &environment,
        globals: &globals,
        redactor,
    };
    if let Some(path) = &paths.json {
        json::write_json(path, &report_ctx)?;
    }
    if let Some(path) = &paths.junit {
        junit::write_junit(path, &report_ctx)?;
    }
    if let Some(path) = &paths.html {
        html::write_html(path, &report_ctx)?;
    }
    let exports = [
        (&paths.environment, &environment),
        (&paths.globals, &globals),
        (&paths.collection, &collection_export),
    ];
    for (path, value) in exports {
        if let Some(path) = path {
            // Exports are the user's data, written as the run left them (never masked), except
            // the credentials snapman minted itself, which only --export-secrets writes.
            let mut value = value.clone();
            if !args.export_secrets {
                blank_minted(&mut value, redactor);
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
