//! Command-line interface: clap types only, with Newman's `run` flags so a Newman command line
//! works unchanged.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub use crate::cli_sf::{DoctorArgs, EmulatorArgs, KeygenArgs, SfArgs, SfLoginArgs, TokenArgs};
use crate::context::ColorChoice;
use crate::snapshot::UpdateMode;

/// Run exported Postman collections as fast, snapshot-checked tests.
#[derive(Debug, Parser)]
#[command(name = "snapman", version, about, long_about = None)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// snapman's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a collection, as `newman run` does (same flags, faster).
    Run(Box<RunArgs>),
    /// Parse a collection and its inputs, list the items and warn about problems, sending nothing.
    Check(CheckArgs),
    /// Serve the built-in emulator (postman-echo, Salesforce login, OCI APIs) until stopped.
    Emulator(EmulatorArgs),
    /// Check that an org is provisioned for OCI: key, certificate, token, scopes, OCI host, a call.
    Doctor(Box<DoctorArgs>),
    /// Mint a Salesforce JWT assertion and exchange it; print the token response as JSON.
    Token(TokenArgs),
    /// Write a key pair and self-signed certificate for a connected app (replaces the openssl steps).
    Keygen(KeygenArgs),
    /// Run a collection as tests: one libtest trial per request, responses checked against snapshots.
    Test(Box<TestArgs>),
    /// Review, accept, reject or prune stored snapshots.
    Snapshots(SnapshotsArgs),
}

/// Flags of `snapman run`.
#[derive(Debug, Args, Clone, Default)]
pub struct RunArgs {
    /// Collection, environment, globals, data and variable overrides.
    #[command(flatten)]
    pub input: InputArgs,
    /// Number of iterations (default: rows in the data file, else 1).
    #[arg(short = 'n', long = "iteration-count", value_parser = clap::value_parser!(u64).range(1..))]
    pub iteration_count: Option<u64>,
    /// Run only this folder or request (by name or id, at any depth); repeatable.
    #[arg(long)]
    pub folder: Vec<String>,
    /// Write the final environment to this file.
    #[arg(long = "export-environment", value_name = "FILE")]
    pub export_environment: Option<PathBuf>,
    /// Write the final globals to this file.
    #[arg(long = "export-globals", value_name = "FILE")]
    pub export_globals: Option<PathBuf>,
    /// Write the collection (with its final collection variables) to this file.
    #[arg(long = "export-collection", value_name = "FILE")]
    pub export_collection: Option<PathBuf>,
    /// Wait this many milliseconds before every request.
    #[arg(long = "delay-request", value_name = "MS", value_parser = clap::value_parser!(u64).range(1..))]
    pub delay_request: Option<u64>,
    /// Limit for the whole run, in milliseconds.
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: Option<u64>,
    /// Limit for each request, in milliseconds.
    #[arg(long = "timeout-request", value_name = "MS", value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_request: Option<u64>,
    /// Limit for each script, in milliseconds.
    #[arg(long = "timeout-script", value_name = "MS", value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_script: Option<u64>,
    /// Stop after the first failing request (`failure`, the default) or refuse an unknown `--folder` (`folder`).
    #[arg(long, value_name = "MODIFIERS", num_args = 0..=1, default_missing_value = "failure")]
    pub bail: Option<String>,
    /// Do not verify TLS certificates.
    #[arg(short = 'k', long)]
    pub insecure: bool,
    /// Do not follow redirects.
    #[arg(long = "ignore-redirects")]
    pub ignore_redirects: bool,
    /// Exit 0 even when something failed.
    #[arg(short = 'x', long = "suppress-exit-code")]
    pub suppress_exit_code: bool,
    /// Base directory for relative file paths in the collection (form files, file bodies).
    #[arg(long = "working-dir", value_name = "DIR")]
    pub working_dir: Option<PathBuf>,
    /// Directory of team packages for `pm.require('@team/name')` (`@team/name.js` or `@team/name/index.js`).
    #[arg(long = "package-dir", value_name = "DIR")]
    pub package_dir: Option<PathBuf>,
    /// Reporters, comma-separated: cli, json, junit, html.
    #[arg(short = 'r', long, value_delimiter = ',', default_value = "cli")]
    pub reporters: Vec<String>,
    /// Where the json reporter writes (default: reports/snapman-run-report-<time>.json).
    #[arg(long = "reporter-json-export", value_name = "FILE")]
    pub reporter_json_export: Option<PathBuf>,
    /// Where the junit reporter writes (default: reports/snapman-run-report-<time>.xml).
    #[arg(long = "reporter-junit-export", value_name = "FILE")]
    pub reporter_junit_export: Option<PathBuf>,
    /// Where the html reporter writes (default: reports/snapman-run-report-<time>.html).
    #[arg(long = "reporter-html-export", value_name = "FILE")]
    pub reporter_html_export: Option<PathBuf>,
    /// Colour: auto (terminal and no NO_COLOR), on, off.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Show request and response heads and bodies (secrets masked).
    #[arg(long)]
    pub verbose: bool,
    /// No CLI output.
    #[arg(long)]
    pub silent: bool,
    /// Plain ASCII symbols in CLI output.
    #[arg(long = "disable-unicode")]
    pub disable_unicode: bool,
    /// Start the built-in emulator (Salesforce login, OCI APIs, postman-echo) in-process, send
    /// requests for login.salesforce.com, test.salesforce.com, *.my.salesforce.com,
    /// *.api.commercecloud.salesforce.com, account.demandware.com and postman-echo.com to it over
    /// TLS trusted only by this run, and log in with its app and user unless --sf-* say otherwise.
    #[arg(long)]
    pub emulator: bool,
    /// Dataset for --emulator (locations, groups, SKUs; see docs/emulator-data.md).
    #[arg(long = "emulator-data", value_name = "FILE", requires = "emulator")]
    pub emulator_data: Option<PathBuf>,
    /// Use variables exported with `"enabled": false`, as Newman 6 does (default: ignore them, as the Postman app does).
    #[arg(long = "newman-enabled-vars")]
    pub newman_enabled_vars: bool,
    /// Salesforce JWT bearer auth (`--sf-*`).
    #[command(flatten, next_help_heading = "Salesforce auth")]
    pub sf: SfArgs,
}

/// Flags of `snapman check`.
#[derive(Debug, Args, Clone)]
pub struct CheckArgs {
    /// Collection, environment, globals, data and variable overrides.
    #[command(flatten)]
    pub input: InputArgs,
}

/// The inputs `run`, `test` and `check` share.
#[derive(Debug, Args, Clone, Default)]
pub struct InputArgs {
    /// The collection file (Postman v2.0 or v2.1 export).
    pub collection: PathBuf,
    /// Environment file.
    #[arg(short = 'e', long)]
    pub environment: Option<PathBuf>,
    /// Globals file.
    #[arg(short = 'g', long)]
    pub globals: Option<PathBuf>,
    /// Iteration data file (JSON array of objects, or CSV with a header row).
    #[arg(short = 'd', long = "iteration-data")]
    pub iteration_data: Option<PathBuf>,
    /// Set an environment variable, `KEY=VALUE`; repeatable.
    #[arg(long = "env-var", value_name = "KEY=VALUE")]
    pub env_var: Vec<String>,
    /// Set a global variable, `KEY=VALUE`; repeatable.
    #[arg(long = "global-var", value_name = "KEY=VALUE")]
    pub global_var: Vec<String>,
}

/// Flags of `snapman test`: every `run` flag, the snapshot flags, then libtest's flags after `--`.
#[derive(Debug, Args, Clone)]
pub struct TestArgs {
    /// The run flags.
    #[command(flatten)]
    pub run: RunArgs,
    /// Directory of this collection's snapshots (default: tests/snapshots/<collection file stem>).
    #[arg(long = "snapshot-dir", value_name = "DIR")]
    pub snapshot_dir: Option<PathBuf>,
    /// What to do with new or changed snapshots: no, new, always, unseen (default: $SNAPMAN_UPDATE, else no).
    #[arg(long, value_name = "MODE")]
    pub update: Option<UpdateMode>,
    /// What a response is checked against: stored snapshots, or the item's saved example responses.
    #[arg(long, value_enum, default_value_t = Expect::Snapshots)]
    pub expect: Expect,
    /// Arguments for the test harness, as for `cargo test -- ...`: filter, --exact, --list, --format.
    #[arg(last = true, value_name = "LIBTEST_ARGS")]
    pub libtest_args: Vec<String>,
}

/// `--expect`: the source of a trial's expected response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Expect {
    /// Snapshot files under the snapshot directory.
    #[default]
    Snapshots,
    /// The item's saved example responses in the collection (status and body).
    Examples,
}

/// Flags of `snapman snapshots`.
#[derive(Debug, Args, Clone)]
pub struct SnapshotsArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: SnapshotsAction,
}

/// The `snapman snapshots` subcommands.
#[derive(Debug, Subcommand, Clone)]
pub enum SnapshotsAction {
    /// For each pending `.snap.new` file, show the diff and ask: accept, reject or skip.
    Review(PendingArgs),
    /// Accept pending snapshots: each `.snap.new` replaces its `.snap`.
    Accept(PendingArgs),
    /// Reject pending snapshots: each `.snap.new` is deleted.
    Reject(PendingArgs),
    /// Remove the snapshots of requests that are no longer in the collection.
    Prune(PruneArgs),
}

/// Which pending snapshots `review`, `accept` and `reject` work on.
#[derive(Debug, Args, Clone)]
pub struct PendingArgs {
    /// Snapshot directory to search for `.snap.new` files.
    #[arg(long = "snapshot-dir", value_name = "DIR")]
    pub snapshot_dir: Option<PathBuf>,
    /// A collection (its snapshot directory), a directory, or `.snap.new` files (default: tests/snapshots).
    pub paths: Vec<PathBuf>,
}

/// Flags of `snapman snapshots prune`.
#[derive(Debug, Args, Clone)]
pub struct PruneArgs {
    /// Directory of the collection's snapshots (default: tests/snapshots/<collection file stem>).
    #[arg(long = "snapshot-dir", value_name = "DIR")]
    pub snapshot_dir: Option<PathBuf>,
    /// The collection whose requests are live.
    pub collection: PathBuf,
}
