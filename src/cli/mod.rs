//! Command-line interface: clap types only, with Newman's `run` flags so a Newman command line
//! works unchanged.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

mod sf;

use crate::context::ColorChoice;
use crate::snapshot::UpdateMode;
pub use sf::{DoctorArgs, EmulatorArgs, KeygenArgs, SfArgs, SfLoginArgs, TokenArgs};

/// Run exported Postman collections as fast, snapshot-checked tests.
#[derive(Debug, Parser)]
#[command(name = "snapman", version, about, long_about = None, disable_version_flag = true)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
    /// Print the version (`-v` as in Newman; `-V` too).
    #[arg(short = 'v', short_alias = 'V', long = "version", action = clap::ArgAction::Version)]
    pub version: Option<bool>,
}

/// The `--reporter-<name>-<option>` flags snapman implements (read from the clap definition,
/// so a new flag is known here at once); any other is accepted with a warning and ignored
/// (Newman passes them to reporters snapman does not have).
fn reporter_options() -> std::collections::BTreeSet<String> {
    use clap::CommandFactory;
    let command = Cli::command();
    command
        .get_subcommands()
        .flat_map(|sub| sub.get_arguments())
        .filter_map(|arg| arg.get_long())
        .filter_map(|long| long.strip_prefix("reporter-"))
        .map(str::to_string)
        .collect()
}

/// Removes `--reporter-<name>-<option> [value]` flags snapman does not implement from the
/// command line, with a warning for each (a CI line written for Newman's reporters keeps
/// working). A following argument that does not start with `-` is taken as the value (unless
/// it looks like an input file and the option is not an `-export`); `--` ends the scan.
pub fn drop_foreign_reporter_options<I>(args: I) -> (Vec<std::ffi::OsString>, Vec<String>)
where
    I: IntoIterator<Item = std::ffi::OsString>,
{
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    let known = reporter_options();
    let mut iter = args.into_iter().peekable();
    while let Some(arg) = iter.next() {
        let text = arg.to_string_lossy().into_owned();
        if text == "--" {
            out.push(arg);
            out.extend(iter);
            break;
        }
        let Some(option) = text.strip_prefix("--reporter-") else {
            out.push(arg);
            continue;
        };
        let (name, inline_value) = match option.split_once('=') {
            Some((n, _)) => (n, true),
            None => (option, false),
        };
        if known.contains(name) {
            out.push(arg);
            continue;
        }
        // Newman reads the value and still sees the argument as positional; here it is taken
        // as the value unless it looks like the collection or another input (`*.json`, `*.csv`).
        let takes_next = iter.peek().is_some_and(|next| {
            let next = next.to_string_lossy();
            !next.starts_with('-')
                && (name.ends_with("-export")
                    || !(next.ends_with(".json") || next.ends_with(".csv")))
        });
        if !inline_value && takes_next {
            iter.next();
        }
        warnings.push(format!(
            "--reporter-{name} is for a reporter or option snapman does not have; ignored"
        ));
    }
    (out, warnings)
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
    /// Join the JSON and JUnit reports of the shards of a `--partition`ed run into one of each.
    MergeReports(MergeArgs),
}

/// Flags of `snapman merge-reports`.
#[derive(Debug, Args, Clone)]
pub struct MergeArgs {
    /// Write the merged JSON report here (from the `.json` inputs).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write the merged JUnit report here (from the `.xml` inputs).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// The shards' reports: `.json` (Newman-shaped) and `.xml` (JUnit) files.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
}

/// Flags of `snapman run`.
#[derive(Debug, Args, Clone, Default)]
pub struct RunArgs {
    /// Collection, environment, globals, data and variable overrides.
    #[command(flatten)]
    pub input: InputArgs,
    /// More collections (files or directories) to run after the first, in order, with one exit
    /// code and one set of reports.
    #[arg(value_name = "MORE_COLLECTIONS")]
    pub more_collections: Vec<PathBuf>,
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
    /// Keep at most this much of each response body (bytes, or with a `K`, `M` or `G` suffix,
    /// powers of 1024; default 50M): the rest is read and counted but not kept, scripts see the
    /// start, and reports say the body was cut and give its whole size.
    #[arg(long = "max-body-size", value_name = "SIZE", value_parser = parse_size)]
    pub max_body_size: Option<usize>,
    /// Limit for each script, in milliseconds.
    #[arg(long = "timeout-script", value_name = "MS", value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_script: Option<u64>,
    /// Stop after the first failing request (`failure`, the default) or refuse an unknown `--folder` (`folder`).
    #[arg(long, value_name = "MODIFIERS", num_args = 0..=1, default_missing_value = "failure")]
    pub bail: Option<String>,
    /// Run up to N iterations at once. Each iteration's requests stay in order and its variable
    /// writes stay within it (every iteration starts from the variables as they were before the
    /// run); results are reported in iteration order; exports hold the last iteration's state.
    #[arg(long, value_name = "N", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=256))]
    pub parallel: Option<usize>,
    /// Run one shard of N: `count:M/N` (round robin) or `hash:M/N` (by name), over iterations
    /// when there are several, else over top-level folders and requests; join the shards'
    /// reports with `snapman merge-reports`.
    #[arg(long, value_name = "SCHEME:M/N")]
    pub partition: Option<crate::runner::partition::Partition>,
    /// Send a request again, up to N times, when it cannot connect or gets 429, 502, 503 or 504
    /// (waiting as `Retry-After` says, else with exponential backoff and jitter); a request that
    /// passes after a retry is reported as flaky.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub retries: u32,
    /// The first retry's longest wait in milliseconds; it doubles with each retry.
    #[arg(long = "retry-backoff", value_name = "MS", default_value_t = 200)]
    pub retry_backoff: u64,
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
    /// Leave request and response bodies out of the JSON report (`response.stream.data` stays
    /// empty): Newman-shaped reports of big runs are otherwise many times the size of the bodies.
    #[arg(long = "reporter-json-omit-bodies")]
    pub reporter_json_omit_bodies: bool,
    /// Where the junit reporter writes (default: reports/snapman-run-report-<time>.xml).
    #[arg(long = "reporter-junit-export", value_name = "FILE")]
    pub reporter_junit_export: Option<PathBuf>,
    /// Where the html reporter writes (default: reports/snapman-run-report-<time>.html).
    #[arg(long = "reporter-html-export", value_name = "FILE")]
    pub reporter_html_export: Option<PathBuf>,
    /// What the CLI reporter leaves out or adds (`--reporter-cli-*`, as in Newman).
    #[command(flatten, next_help_heading = "CLI reporter")]
    pub cli_reporter: CliReporterArgs,
    /// Client certificate (PEM) for every TLS request.
    #[arg(long = "ssl-client-cert", value_name = "FILE")]
    pub ssl_client_cert: Option<PathBuf>,
    /// Private key (PEM) of --ssl-client-cert.
    #[arg(long = "ssl-client-key", value_name = "FILE")]
    pub ssl_client_key: Option<PathBuf>,
    /// Passphrase of an encrypted --ssl-client-key.
    #[arg(long = "ssl-client-passphrase", value_name = "PASSPHRASE")]
    pub ssl_client_passphrase: Option<String>,
    /// JSON list of client certificates by host (`[{name, matches, cert: {src}, key: {src}, passphrase}]`), as Newman.
    #[arg(long = "ssl-client-cert-list", value_name = "FILE")]
    pub ssl_client_cert_list: Option<PathBuf>,
    /// Extra trusted CA certificates (PEM, may hold several).
    #[arg(long = "ssl-extra-ca-certs", value_name = "FILE")]
    pub ssl_extra_ca_certs: Option<PathBuf>,
    /// Start the run with the cookies of this tough-cookie JSON jar (as written by --export-cookie-jar).
    #[arg(long = "cookie-jar", value_name = "FILE")]
    pub cookie_jar: Option<PathBuf>,
    /// Write the run's cookie jar (tough-cookie JSON, as Newman) to this file.
    #[arg(long = "export-cookie-jar", value_name = "FILE")]
    pub export_cookie_jar: Option<PathBuf>,
    /// Refuse form-data and file bodies that read files outside the working directory.
    #[arg(long = "no-insecure-file-read")]
    pub no_insecure_file_read: bool,
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
    /// Fetch a new token for every `oauth2` block that can fetch one, even when it holds an
    /// access token (by default a stored token is used, as Newman does).
    #[arg(long = "oauth2-fetch")]
    pub oauth2_fetch: bool,
    /// Use variables exported with `"enabled": false`, as Newman 6 does (default: ignore them, as the Postman app does).
    #[arg(long = "newman-enabled-vars")]
    pub newman_enabled_vars: bool,
    /// Write the credentials snapman minted itself (the `--sf-*` login's jwt and access token)
    /// into `--export-*` files (default: those variables are exported empty).
    #[arg(long = "export-secrets")]
    pub export_secrets: bool,
    /// Print secrets unmasked in every output, for local debugging; refused when `CI` is set
    /// unless --force-show-secrets.
    #[arg(long = "show-secrets")]
    pub show_secrets: bool,
    /// --show-secrets even when `CI` is set.
    #[arg(long = "force-show-secrets")]
    pub force_show_secrets: bool,
    /// More field, header and variable names whose values are secrets, comma-separated (added to
    /// token, secret, password, assertion, api key, signature, ...).
    #[arg(long = "secret-names", value_name = "NAMES", value_delimiter = ',')]
    pub secret_names: Vec<String>,
    /// Salesforce JWT bearer auth (`--sf-*`).
    #[command(flatten, next_help_heading = "Salesforce auth")]
    pub sf: SfArgs,
}

/// `--reporter-cli-*`: Newman's CLI reporter options.
#[derive(Debug, Args, Clone, Copy, Default, PartialEq, Eq)]
pub struct CliReporterArgs {
    /// No summary table after the run.
    #[arg(long = "reporter-cli-no-summary")]
    pub no_summary: bool,
    /// No failure list after the run.
    #[arg(long = "reporter-cli-no-failures")]
    pub no_failures: bool,
    /// No assertion lines.
    #[arg(long = "reporter-cli-no-assertions")]
    pub no_assertions: bool,
    /// No lines for passed (or skipped) assertions.
    #[arg(long = "reporter-cli-no-success-assertions")]
    pub no_success_assertions: bool,
    /// No console output of scripts.
    #[arg(long = "reporter-cli-no-console")]
    pub no_console: bool,
    /// No banner line.
    #[arg(long = "reporter-cli-no-banner")]
    pub no_banner: bool,
    /// A timestamp before each request and assertion line.
    #[arg(long = "reporter-cli-show-timestamps")]
    pub show_timestamps: bool,
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

/// A size in bytes: `1048576`, `64K`, `50M`, `1G` (powers of 1024; `KiB`/`MiB`/`GiB` and `B`
/// are accepted too), at least 1.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        other => return Err(format!("unknown size unit `{other}` (use K, M or G)")),
    };
    let n: usize = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size (e.g. 1048576, 64K, 50M)"))?;
    let bytes = n
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("`{text}` is too large"))?;
    if bytes == 0 {
        return Err("the size must be at least 1 byte".into());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_binary_suffixes() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("64K"), Ok(64 << 10));
        assert_eq!(parse_size("50MiB"), Ok(50 << 20));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert!(parse_size("0").is_err());
        assert!(parse_size("12X").is_err());
        assert!(parse_size("M").is_err());
        assert!(parse_size("99999999999999999999G").is_err());
    }

    fn dropped(args: &[&str]) -> (Vec<String>, usize) {
        let (out, warnings) = drop_foreign_reporter_options(args.iter().map(Into::into));
        (
            out.into_iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
            warnings.len(),
        )
    }

    #[test]
    fn foreign_reporter_options_are_dropped_with_their_values() {
        let (out, warned) = dropped(&[
            "snapman",
            "run",
            "--reporter-htmlextra-darkTheme",
            "c.json",
            "--reporter-htmlextra-export",
            "out.json",
            "--reporter-cli-no-summary",
            "--reporter-htmlextra-title=T",
            "--reporter-foo-bar",
            "baz",
            "--",
            "--reporter-x-y",
        ]);
        assert_eq!(
            out,
            [
                "snapman",
                "run",
                "c.json",
                "--reporter-cli-no-summary",
                "--",
                "--reporter-x-y"
            ]
        );
        assert_eq!(warned, 4);
    }
}
