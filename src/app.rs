//! The commands: turn parsed CLI arguments into loaded inputs and run options, run, report,
//! export, and map the result to an exit code.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::app_sf::{SfDefaults, login_for_run};
use crate::cli::{CheckArgs, Cli, Command, InputArgs, RunArgs};
use crate::collection::data::load_data_file;
use crate::collection::load::{LoadedCollection, load_collection, load_variable_file};
use crate::collection::model::VariableFile;
use crate::context::RunContext;
use crate::emulator::{FullEmulator, FullOptions, start_full};
use crate::error::{EXIT_FAILURES, EXIT_OK, Error};
use crate::http::client::ClientOptions;
use crate::report::cli::{CliReporter, CliReporterOptions};
use crate::report::{ReportContext, html, json, junit};
use crate::runner::run::{RunObserver, RunOptions, run};
use crate::runner::summary::Execution;
use crate::secret::{Redactor, Secret};
use crate::vars::{EnabledMode, Scopes, VariableScope, parse_key_value};

/// Runs one command and returns the process exit code; errors are printed to stderr.
pub fn main_with(cli: Cli, ctx: &RunContext) -> u8 {
    let result = match cli.command {
        Command::Run(args) => run_command(&args, ctx),
        Command::Check(args) => check_command(&args, ctx),
        Command::Emulator(args) => crate::app_emulator::emulator_command(&args, ctx),
        Command::Token(args) => crate::app_sf::token_command(&args, ctx),
        Command::Doctor(args) => crate::app_doctor::doctor_command(&args, ctx),
        Command::Keygen(args) => crate::app_sf::keygen_command(&args, ctx),
        Command::Test(args) => crate::snaptest::test_command(&args, ctx),
        Command::Snapshots(args) => crate::snaptest::snapshots_command(&args, ctx),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}

/// The reporters `run` knows.
const REPORTERS: [&str; 4] = ["cli", "json", "junit", "html"];

/// A file path as given: relative paths are taken from the current directory.
pub(crate) fn from_cwd(ctx: &RunContext, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        ctx.cwd.join(path)
    }
}

/// Loads an environment or globals file (if given) and applies `KEY=VALUE` overrides.
fn load_scope(
    ctx: &RunContext,
    file: Option<&Path>,
    scope: &str,
    overrides: &[String],
    mode: EnabledMode,
) -> Result<VariableScope, Error> {
    let mut vars = match file {
        Some(p) => VariableScope::from_file(load_variable_file(&from_cwd(ctx, p), scope)?, mode),
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
struct Inputs {
    loaded: LoadedCollection,
    environment: VariableScope,
    globals: VariableScope,
    data: Vec<serde_json::Map<String, Value>>,
}

/// Loads the collection, environment, globals and data named by `args`.
fn load_inputs(args: &InputArgs, ctx: &RunContext, mode: EnabledMode) -> Result<Inputs, Error> {
    Ok(Inputs {
        loaded: load_collection(&from_cwd(ctx, &args.collection))?,
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
            Some(p) => load_data_file(&from_cwd(ctx, p))?,
            None => Vec::new(),
        },
    })
}

/// Registers every value of `secret`-typed variables with the redactor.
fn register_secrets(redactor: &Redactor, scope: &VariableScope) {
    for v in &scope.values {
        if v.kind.as_deref() == Some("secret")
            && let Some(Value::String(s)) = &v.value
        {
            redactor.add(s);
        }
    }
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

fn default_report_path(ctx: &RunContext, extension: &str) -> PathBuf {
    let stamp = chrono::Utc::now().format("%Y-%m-%d-%H-%M-%S-%3f");
    ctx.cwd
        .join("reports")
        .join(format!("snapman-run-report-{stamp}.{extension}"))
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
    let redactor = Redactor::new();
    register_secrets(&redactor, &environment);
    register_secrets(&redactor, &globals);
    let emulator = if args.emulator {
        let options = FullOptions {
            data: args.emulator_data.as_deref().map(|p| from_cwd(ctx, p)),
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
        .map(|d| from_cwd(ctx, d))
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
        package_dir: args.package_dir.as_deref().map(|d| from_cwd(ctx, d)),
        working_dir,
        redactor: redactor.clone(),
        reauth: sf.and_then(|login| login.session),
        oauth2_tokens: Default::default(),
    };
    Ok(PreparedRun {
        opts,
        loaded,
        redactor,
        emulator,
    })
}

fn run_command(args: &RunArgs, ctx: &RunContext) -> Result<u8, Error> {
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
        ctx,
        &loaded,
        &outcome.scopes,
        &outcome.summary,
        &redactor,
    )?;
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
    ctx: &RunContext,
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
    let report_ctx = ReportContext {
        summary,
        collection: &collection_json,
        environment: &environment,
        globals: &globals,
        redactor,
    };
    if args.reporters.iter().any(|r| r == "json") {
        let path = args
            .reporter_json_export
            .as_deref()
            .map(|p| from_cwd(ctx, p))
            .unwrap_or_else(|| default_report_path(ctx, "json"));
        json::write_json(&path, &report_ctx)?;
    }
    if args.reporters.iter().any(|r| r == "junit") {
        let path = args
            .reporter_junit_export
            .as_deref()
            .map(|p| from_cwd(ctx, p))
            .unwrap_or_else(|| default_report_path(ctx, "xml"));
        junit::write_junit(&path, &report_ctx)?;
    }
    if args.reporters.iter().any(|r| r == "html") {
        let path = args
            .reporter_html_export
            .as_deref()
            .map(|p| from_cwd(ctx, p))
            .unwrap_or_else(|| default_report_path(ctx, "html"));
        html::write_html(&path, &report_ctx)?;
    }
    let exports = [
        (&args.export_environment, &environment),
        (&args.export_globals, &globals),
        (&args.export_collection, &collection_json),
    ];
    for (path, value) in exports {
        if let Some(path) = path {
            let text = serde_json::to_string_pretty(value)
                .map_err(|e| Error::Input(format!("failed to serialise an export: {e}")))?;
            // Exports are outputs too: credentials (tokens, keys, secret variables) are masked.
            let text = redactor.redact(&text);
            crate::atomic::write(&from_cwd(ctx, path), text.as_bytes())?;
        }
    }
    Ok(())
}

fn check_command(args: &CheckArgs, ctx: &RunContext) -> Result<u8, Error> {
    let inputs = load_inputs(&args.input, ctx, EnabledMode::App)?;
    let loaded = inputs.loaded;
    let scopes = Scopes {
        environment: inputs.environment,
        globals: inputs.globals,
        collection: VariableScope::from_variables(
            loaded.collection.variable.clone().unwrap_or_default(),
        ),
        data: inputs.data.into_iter().next().unwrap_or_default(),
        ..Scopes::default()
    };
    let report = crate::check::check(&loaded, &scopes);
    print!("{}", report.text);
    Ok(if report.syntax_errors > 0 {
        EXIT_FAILURES
    } else {
        EXIT_OK
    })
}
