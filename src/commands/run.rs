//! `snapman run`: turn parsed arguments into loaded inputs and run options, run, report, export,
//! and map the result to an exit code. `snapman test` prepares its run here too.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

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
            Some(p) => load_data_file(&ctx.resolve(p))?,
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
    let redactor = Redactor::new();
    register_secrets(&redactor, &environment);
    register_secrets(&redactor, &globals);
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
        ..ClientOptions::default()
    };
    tls_options(args, ctx, &mut client)?;
    if let Some(jar) = &args.cookie_jar {
        let path = ctx.resolve(jar);
        let text = crate::collection::source::read_source(&path)?;
        let value: Value = serde_json::from_str(&text.text)
            .map_err(|e| Error::Input(format!("{}: not JSON: {e}", path.display())))?;
        client.cookie_log = crate::http::cookies::CookieLog::from_tough_cookie(&value)
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
        secure_file_read: args.no_insecure_file_read,
        oauth2_tokens: if args.oauth2_fetch {
            OAuth2Tokens::always_fetching()
        } else {
            OAuth2Tokens::default()
        },
    };
    Ok(PreparedRun {
        opts,
        loaded,
        redactor,
        emulator,
    })
}

pub fn run_command(args: &RunArgs, ctx: &RunContext) -> Result<u8, Error> {
    let PreparedRun {
        opts,
        loaded,
        redactor,
        emulator: _emulator,
    } = prepare_run(args, ctx)?;
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
    let mut observer = CliObserver {
        reporter: CliReporter::new(std::io::stdout().lock(), cli_opts, redactor.clone())
            .with_sections(args.cli_reporter),
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
    if let Some(path) = &args.export_cookie_jar {
        let text = serde_json::to_string_pretty(&cookie_log.to_tough_cookie())
            .map_err(|e| Error::Input(format!("failed to serialise the cookie jar: {e}")))?;
        crate::atomic::write(&ctx.resolve(path), text.as_bytes())?;
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
            .map(|p| ctx.resolve(p))
            .unwrap_or_else(|| default_report_path(ctx, "json"));
        json::write_json(&path, &report_ctx)?;
    }
    if args.reporters.iter().any(|r| r == "junit") {
        let path = args
            .reporter_junit_export
            .as_deref()
            .map(|p| ctx.resolve(p))
            .unwrap_or_else(|| default_report_path(ctx, "xml"));
        junit::write_junit(&path, &report_ctx)?;
    }
    if args.reporters.iter().any(|r| r == "html") {
        let path = args
            .reporter_html_export
            .as_deref()
            .map(|p| ctx.resolve(p))
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
            crate::atomic::write(&ctx.resolve(path), text.as_bytes())?;
        }
    }
    Ok(())
}
