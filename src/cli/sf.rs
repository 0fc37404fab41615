//! Command-line types for Salesforce auth: the `--sf-*` flags of `run`, and the `token`,
//! `keygen` and `emulator` commands. Values missing here fall back to `SF_*` environment
//! variables, read through `RunContext` (not clap's `env`), so tests stay hermetic.

use std::path::PathBuf;

use clap::Args;

/// Where to log in and as whom (shared by `run` and `token`).
#[derive(Debug, Args, Clone, Default)]
pub struct SfLoginArgs {
    /// Salesforce login URL, also the assertion's audience [env: SF_LOGIN_URL] [default: https://login.salesforce.com; https://test.salesforce.com for sandboxes and scratch orgs].
    #[arg(long = "sf-login-url", value_name = "URL")]
    pub login_url: Option<String>,
    /// Consumer key of the connected app (the assertion's `iss`) [env: SF_CLIENT_ID].
    #[arg(long = "sf-client-id", value_name = "KEY")]
    pub client_id: Option<String>,
    /// Username to run as (the assertion's `sub`) [env: SF_USERNAME].
    #[arg(long = "sf-username", value_name = "USER")]
    pub username: Option<String>,
    /// PEM private key file: PKCS#1, PKCS#8 or encrypted PKCS#8 (passphrase in SF_JWT_KEY_PASSPHRASE) [env: SF_JWT_KEY_FILE, or the PEM text itself in SF_JWT_KEY].
    #[arg(long = "sf-key", value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Lifetime of the signed assertion, in seconds [default: 180].
    #[arg(long = "sf-exp-seconds", value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub exp_seconds: Option<u64>,
    /// Limit for each token request (Salesforce exchange, oauth2 token fetches, doctor checks),
    /// in milliseconds (default 30000).
    #[arg(long = "auth-timeout", value_name = "MS", value_parser = clap::value_parser!(u64).range(1..))]
    pub auth_timeout: Option<u64>,
}

impl SfLoginArgs {
    /// True when any of these flags was given.
    pub fn any(&self) -> bool {
        self.login_url.is_some()
            || self.client_id.is_some()
            || self.username.is_some()
            || self.key.is_some()
            || self.exp_seconds.is_some()
    }
}

/// The `--sf-*` flags of `run`.
#[derive(Debug, Args, Clone, Default)]
pub struct SfArgs {
    /// Login, client, user and key.
    #[command(flatten)]
    pub login: SfLoginArgs,
    /// Name of the environment variable that receives the signed assertion [default: jwt].
    #[arg(long = "sf-jwt-var", value_name = "NAME")]
    pub jwt_var: Option<String>,
    /// Name of the environment variable that receives the access token [default: access_token].
    #[arg(long = "sf-token-var", value_name = "NAME")]
    pub token_var: Option<String>,
    /// Only mint the assertion (into the jwt variable); skip the token exchange, for collections that post it themselves.
    #[arg(long = "sf-jwt-only")]
    pub jwt_only: bool,
    /// Take the session from `sf org display --json` output (FILE, or `-` for stdin) instead of minting.
    #[arg(
        long = "sf-org-json",
        value_name = "FILE|-",
        conflicts_with = "jwt_only"
    )]
    pub org_json: Option<PathBuf>,
}

impl SfArgs {
    /// True when any `--sf-*` flag was given.
    pub fn any(&self) -> bool {
        self.login.any()
            || self.jwt_var.is_some()
            || self.token_var.is_some()
            || self.jwt_only
            || self.org_json.is_some()
    }
}

/// Flags of `snapman token`.
#[derive(Debug, Args, Clone, Default)]
pub struct TokenArgs {
    /// Login, client, user and key.
    #[command(flatten)]
    pub login: SfLoginArgs,
    /// Print only the signed assertion (JWT), without exchanging it.
    #[arg(long = "jwt-only")]
    pub jwt_only: bool,
    /// Print the access token in clear instead of masked.
    #[arg(long = "show-secrets")]
    pub show_secrets: bool,
    /// Do not verify TLS certificates of the login URL.
    #[arg(short = 'k', long)]
    pub insecure: bool,
}

/// Flags of `snapman keygen`.
#[derive(Debug, Args, Clone)]
pub struct KeygenArgs {
    /// Directory to write server.key (PKCS#8, mode 0600), server.crt and public.key into; existing files are never overwritten.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Days the self-signed certificate stays valid.
    #[arg(long, value_name = "N", default_value_t = 365, value_parser = clap::value_parser!(u32).range(1..=36500))]
    pub days: u32,
    /// Common name (CN) of the certificate.
    #[arg(long, value_name = "NAME", default_value = "snapman")]
    pub cn: String,
}

/// Flags of `snapman emulator`.
#[derive(Debug, Args, Clone)]
pub struct EmulatorArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub bind: String,
    /// Certificate (or public key) PEM of a connected app to register; pairs by position with --client-id and --username; repeatable.
    #[arg(long, value_name = "FILE")]
    pub cert: Vec<PathBuf>,
    /// Consumer key of the app registered with the --cert at the same position.
    #[arg(long = "client-id", value_name = "KEY")]
    pub client_id: Vec<String>,
    /// User pre-authorized for the app at the same position.
    #[arg(long, value_name = "USER")]
    pub username: Vec<String>,
    /// JSON file with apps, users, audiences, scopes and the token lifetime (see README).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// OCI dataset (locations, groups, SKUs; see docs/emulator-data.md) instead of the default.
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    /// Accept and register any client id, secret, user and password on first use (as --emulator does), and identities sent by `doctor --emulator-url`.
    #[arg(long)]
    pub open: bool,
}

/// Flags of `snapman doctor`.
#[derive(Debug, Args, Clone)]
pub struct DoctorArgs {
    /// Login, app, user and key (each also from its `SF_*` variable).
    #[command(flatten)]
    pub login: SfLoginArgs,
    /// The certificate uploaded to the connected app, to check it matches the key.
    #[arg(long = "sf-cert", value_name = "FILE")]
    pub cert: Option<PathBuf>,
    /// The OCI short code (Setup > Omnichannel Inventory); the emulator's with --emulator.
    #[arg(
        long = "short-code",
        value_name = "CODE",
        required_unless_present_any = ["emulator", "emulator_url"]
    )]
    pub short_code: Option<String>,
    /// The OCI tenant (organization id, e.g. f_ecom_zzte_053); the emulator's with --emulator.
    #[arg(
        long = "organization-id",
        value_name = "ID",
        required_unless_present_any = ["emulator", "emulator_url"]
    )]
    pub organization_id: Option<String>,
    /// A location group to ask availability for; an unknown one still proves authentication.
    #[arg(long = "location-group", value_name = "GROUP")]
    pub location_group: Option<String>,
    /// Check against the in-process emulator (its app, user and key unless --sf-* or SF_* say otherwise; yours are registered with it).
    #[arg(long, conflicts_with = "emulator_url")]
    pub emulator: bool,
    /// Check against a running `snapman emulator --open` at this address (http://HOST:PORT); SF_* or --sf-* name the app, user and key to register with it.
    #[arg(long = "emulator-url", value_name = "URL")]
    pub emulator_url: Option<String>,
    /// Do not verify TLS certificates.
    #[arg(short = 'k', long)]
    pub insecure: bool,
    /// Colour: auto, on, off.
    #[arg(long, value_enum, default_value_t = crate::context::ColorChoice::Auto)]
    pub color: crate::context::ColorChoice,
}
