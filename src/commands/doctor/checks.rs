//! `snapman doctor`: the provisioning check QA runs on a new org, as a checklist with a verdict
//! and a fix for each line (key, certificate, token exchange, the seven OCI scopes, the OCI host,
//! and an authenticated get-availability call).

use std::path::PathBuf;

use anstyle::{AnsiColor, Style};
use rsa::pkcs8::EncodePublicKey;
use serde_json::{Value, json};
use x509_cert::Certificate;
use x509_cert::der::{DecodePem, Encode};

use crate::auth::{
    DEFAULT_EXP_SECONDS, KeySource, PrivateKey, SfAuthConfig, TokenResponse, exchange_jwt,
    load_private_key,
};
use crate::http::client::{ClientOptions, reqwest_client};
use crate::secret::Secret;

/// The seven scopes the connected app must grant (Salesforce-org names).
pub const OCI_SCOPES: [&str; 7] = [
    "sfcc_inventory_availability",
    "sfcc_inventory_availability_rw",
    "sfcc_inventory_impex_graphs",
    "sfcc_inventory_impex_inventory",
    "sfcc_inventory_impex_inventory_rw",
    "sfcc_inventory_reservations",
    "sfcc_inventory_reservations_rw",
];

/// The group asked for when none is given: one that surely does not exist.
const PROBE_GROUP: &str = "snapman-doctor-no-such-group";
/// The SKU of the probe call.
const PROBE_SKU: &str = "snapman-doctor-probe";
/// Token requests are retried this often on network errors and 5xx.
const TOKEN_RETRIES: u32 = 1;

/// What to check.
#[derive(Debug, Clone)]
pub struct DoctorConfig {
    /// Login URL (`--sf-login-url`), also the assertion's audience.
    pub login_url: String,
    /// The connected app's consumer key (`--sf-client-id`).
    pub client_id: String,
    /// The user to run as (`--sf-username`).
    pub username: String,
    /// The private key (`--sf-key` or `SF_JWT_KEY`).
    pub key: KeySource,
    /// Passphrase of an encrypted key.
    pub key_passphrase: Option<Secret<String>>,
    /// The certificate uploaded to the connected app (`--sf-cert`), when given.
    pub certificate: Option<PathBuf>,
    /// The OCI short code (`--short-code`).
    pub short_code: String,
    /// The OCI tenant (`--organization-id`).
    pub organization_id: String,
    /// A location group to ask for (`--location-group`); an unknown one is fine.
    pub location_group: Option<String>,
}

/// The verdict of one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// It holds.
    Ok,
    /// It does not hold: the org is not ready.
    Fail,
    /// Not checked (not asked for, or an earlier line failed).
    Skip,
}

/// One line of the checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckLine {
    /// What is checked, e.g. `token exchange works`.
    pub name: String,
    /// Whether it holds.
    pub verdict: Verdict,
    /// What was found.
    pub detail: String,
    /// What to do when it fails.
    pub fix: Option<String>,
}

impl CheckLine {
    fn ok(name: &str, detail: impl Into<String>) -> Self {
        Self::new(name, Verdict::Ok, detail, None)
    }

    fn skip(name: &str, detail: impl Into<String>) -> Self {
        Self::new(name, Verdict::Skip, detail, None)
    }

    fn fail(name: &str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self::new(name, Verdict::Fail, detail, Some(fix.into()))
    }

    fn new(name: &str, verdict: Verdict, detail: impl Into<String>, fix: Option<String>) -> Self {
        CheckLine {
            name: name.to_owned(),
            verdict,
            detail: detail.into(),
            fix,
        }
    }
}

/// The checklist.
#[derive(Debug, Clone, Default)]
pub struct DoctorReport {
    /// The lines, in the order checked.
    pub lines: Vec<CheckLine>,
}

impl DoctorReport {
    /// True when no line failed (skipped lines do not count).
    pub fn passed(&self) -> bool {
        self.lines.iter().all(|line| line.verdict != Verdict::Fail)
    }

    /// The line named `name`, if any.
    pub fn line(&self, name: &str) -> Option<&CheckLine> {
        self.lines.iter().find(|line| line.name == name)
    }

    /// The checklist as text, one mark per line, the fix under each failure, a verdict last.
    pub fn render(&self, color: bool) -> String {
        let paint = |style: Style, text: &str| {
            if color {
                format!("{style}{text}{style:#}")
            } else {
                text.to_owned()
            }
        };
        let mut out = String::new();
        for line in &self.lines {
            let (mark, style) = match line.verdict {
                Verdict::Ok => ("ok  ", AnsiColor::Green.on_default()),
                Verdict::Fail => ("FAIL", AnsiColor::Red.on_default().bold()),
                Verdict::Skip => ("skip", AnsiColor::Yellow.on_default()),
            };
            out.push_str(&format!(
                "{} {}: {}\n",
                paint(style, mark),
                line.name,
                line.detail
            ));
            if let Some(fix) = &line.fix {
                out.push_str(&format!("     fix: {fix}\n"));
            }
        }
        let failed = self
            .lines
            .iter()
            .filter(|line| line.verdict == Verdict::Fail)
            .count();
        let verdict = if failed == 0 {
            paint(AnsiColor::Green.on_default().bold(), "ready")
        } else {
            paint(
                AnsiColor::Red.on_default().bold(),
                &format!("not ready: {failed} check(s) failed"),
            )
        };
        out.push_str(&format!("verdict: {verdict}\n"));
        out
    }
}

/// Line names, as tests and the CLI refer to them.
pub mod names {
    /// The key loads.
    pub const KEY: &str = "key readable";
    /// The certificate belongs to the key.
    pub const CERTIFICATE: &str = "certificate matches the key";
    /// The JWT bearer exchange succeeds.
    pub const TOKEN: &str = "token exchange works";
    /// The OCI host answers.
    pub const HOST: &str = "OCI host answers for the tenant";
    /// get-availability authenticates.
    pub const AVAILABILITY: &str = "get-availability authenticates";

    /// The line for one scope.
    pub fn scope(scope: &str) -> String {
        format!("token carries {scope}")
    }
}

/// Runs every check against the org (or the emulator) `client` reaches.
pub async fn doctor(cfg: &DoctorConfig, client: &ClientOptions) -> DoctorReport {
    let mut report = DoctorReport::default();
    let http = match reqwest_client(client) {
        Ok(http) => Some(http),
        Err(error) => {
            report.lines.push(CheckLine::fail(
                "HTTP client",
                error.message,
                "check the extra root certificates",
            ));
            None
        }
    };
    let key = check_key(cfg, &mut report);
    report.lines.push(check_certificate(cfg, key.as_ref()));
    let token = match (&http, key) {
        (Some(http), Some(key)) => check_token(cfg, http, key, &mut report).await,
        _ => {
            report
                .lines
                .push(CheckLine::skip(names::TOKEN, "no key to sign with"));
            None
        }
    };
    check_scopes(token.as_ref(), &mut report);
    match &http {
        Some(http) => check_oci(cfg, http, token.as_ref(), &mut report).await,
        None => {
            report
                .lines
                .push(CheckLine::skip(names::HOST, "no HTTP client"));
            report
                .lines
                .push(CheckLine::skip(names::AVAILABILITY, "no HTTP client"));
        }
    }
    report
}

/// Line 1: the key loads.
fn check_key(cfg: &DoctorConfig, report: &mut DoctorReport) -> Option<PrivateKey> {
    match load_private_key(&cfg.key, cfg.key_passphrase.as_ref()) {
        Ok(key) => {
            report
                .lines
                .push(CheckLine::ok(names::KEY, "RSA private key loaded"));
            Some(key)
        }
        Err(error) => {
            report.lines.push(CheckLine::fail(
                names::KEY,
                error.to_string(),
                "pass the server.key made with the certificate you uploaded (--sf-key FILE or SF_JWT_KEY); an encrypted key needs SF_JWT_KEY_PASSPHRASE",
            ));
            None
        }
    }
}

/// Line 2: the certificate's public key is the key's.
fn check_certificate(cfg: &DoctorConfig, key: Option<&PrivateKey>) -> CheckLine {
    let Some(path) = &cfg.certificate else {
        return CheckLine::skip(names::CERTIFICATE, "no certificate given (--sf-cert)");
    };
    let Some(key) = key else {
        return CheckLine::skip(names::CERTIFICATE, "no key to compare with");
    };
    let fix = "upload the certificate made from this key to the connected app (Use digital signatures), or use the key that made the uploaded one; `snapman keygen` makes a matching pair";
    let cert_spki = std::fs::read_to_string(path)
        .map_err(|e| format!("failed to read {}: {e}", path.display()))
        .and_then(|pem| {
            Certificate::from_pem(pem.trim().as_bytes())
                .map_err(|e| format!("{} is not a PEM X.509 certificate: {e}", path.display()))
        })
        .and_then(|cert| {
            cert.tbs_certificate
                .subject_public_key_info
                .to_der()
                .map_err(|e| e.to_string())
        });
    let key_spki = key
        .public_key()
        .to_public_key_der()
        .map(|der| der.as_bytes().to_vec())
        .map_err(|e| e.to_string());
    match (cert_spki, key_spki) {
        (Ok(cert), Ok(key)) if cert == key => CheckLine::ok(
            names::CERTIFICATE,
            format!("{} holds the key's public half", path.display()),
        ),
        (Ok(_), Ok(_)) => CheckLine::fail(
            names::CERTIFICATE,
            format!("{} was made from another key", path.display()),
            fix,
        ),
        (Err(reason), _) | (_, Err(reason)) => CheckLine::fail(names::CERTIFICATE, reason, fix),
    }
}

/// Line 3: the JWT bearer exchange.
async fn check_token(
    cfg: &DoctorConfig,
    http: &reqwest::Client,
    key: PrivateKey,
    report: &mut DoctorReport,
) -> Option<TokenResponse> {
    let auth = SfAuthConfig {
        login_url: cfg.login_url.clone(),
        client_id: cfg.client_id.clone(),
        username: cfg.username.clone(),
        key,
        exp_seconds: DEFAULT_EXP_SECONDS,
    };
    match exchange_jwt(http, &auth, TOKEN_RETRIES).await {
        Ok(token) => {
            report.lines.push(CheckLine::ok(
                names::TOKEN,
                format!("{} issued a token for {}", auth.token_url(), cfg.username),
            ));
            Some(token)
        }
        Err(error) => {
            let text = error.to_string();
            let (detail, fix) = match text.split_once('\n') {
                Some((detail, diagnosis)) => (detail.to_owned(), diagnosis.to_owned()),
                None => (
                    text,
                    "check --sf-login-url, --sf-client-id and --sf-username".to_owned(),
                ),
            };
            report
                .lines
                .push(CheckLine::fail(names::TOKEN, detail, fix));
            None
        }
    }
}

/// Lines 4-10: one per OCI scope, from the token response's `scope`.
fn check_scopes(token: Option<&TokenResponse>, report: &mut DoctorReport) {
    let granted: Vec<&str> = token
        .and_then(|t| t.scope.as_deref())
        .map(|s| s.split_whitespace().collect())
        .unwrap_or_default();
    for scope in OCI_SCOPES {
        let name = names::scope(scope);
        let line = if token.is_none() {
            CheckLine::skip(&name, "no token")
        } else if granted.contains(&scope) {
            CheckLine::ok(&name, "granted")
        } else {
            CheckLine::fail(
                &name,
                "missing from the token's scope",
                format!(
                    "add `{scope}` to the connected app's Selected OAuth Scopes (App Manager > the app > Edit), save, and wait a few minutes"
                ),
            )
        };
        report.lines.push(line);
    }
}

/// Lines 11-12: the OCI host answers, and get-availability authenticates.
async fn check_oci(
    cfg: &DoctorConfig,
    http: &reqwest::Client,
    token: Option<&TokenResponse>,
    report: &mut DoctorReport,
) {
    let host = format!("{}.api.commercecloud.salesforce.com", cfg.short_code);
    let url = format!(
        "https://{host}/inventory/availability/v1/organizations/{}/availability-records/actions/get-availability",
        cfg.organization_id
    );
    let group = cfg.location_group.as_deref().unwrap_or(PROBE_GROUP);
    let mut request = http
        .post(&url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(json!({"sku": PROBE_SKU, "group": group}).to_string());
    if let Some(token) = token {
        request = request.bearer_auth(token.access_token.expose());
    }
    let response = match request.send().await {
        Ok(response) => response,
        Err(error) => {
            report.lines.push(CheckLine::fail(
                names::HOST,
                format!("{host} did not answer: {error}"),
                "take the short code from Setup > Omnichannel Inventory (the host is https://<short code>.api.commercecloud.salesforce.com)",
            ));
            report.lines.push(CheckLine::skip(
                names::AVAILABILITY,
                "the host did not answer",
            ));
            return;
        }
    };
    let status = response.status().as_u16();
    report.lines.push(CheckLine::ok(
        names::HOST,
        format!("{host} answered HTTP {status}"),
    ));
    if token.is_none() {
        report
            .lines
            .push(CheckLine::skip(names::AVAILABILITY, "no token"));
        return;
    }
    let text = response.text().await.unwrap_or_default();
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    report.lines.push(availability_line(
        status,
        &body,
        group,
        &cfg.organization_id,
    ));
}

/// Interprets the get-availability answer.
fn availability_line(status: u16, body: &Value, group: &str, tenant: &str) -> CheckLine {
    let code = body
        .get("errorCode")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let detail = body
        .get("detail")
        .or_else(|| body.get("message"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    match (status, code) {
        (200, _) => CheckLine::ok(
            names::AVAILABILITY,
            format!("authenticated; group {group} answered"),
        ),
        (400, "GroupDoesNotExist") => CheckLine::ok(
            names::AVAILABILITY,
            format!("authenticated, no such group {group} (as the setup guide expects)"),
        ),
        (401, _) => CheckLine::fail(
            names::AVAILABILITY,
            format!("HTTP 401: {detail}"),
            format!(
                "the token is not valid for tenant {tenant}: check --organization-id (Setup > Omnichannel Inventory) and that OCI is enabled for this org"
            ),
        ),
        (403, "TenantNotProvisioned") => CheckLine::fail(
            names::AVAILABILITY,
            format!("HTTP 403 TenantNotProvisioned: {detail}"),
            "Omnichannel Inventory is not provisioned for this tenant yet: enable it in Setup > Omnichannel Inventory and wait for provisioning",
        ),
        (403, _) => CheckLine::fail(
            names::AVAILABILITY,
            format!("HTTP 403: {detail}"),
            "the token lacks sfcc_inventory_availability: add the scope to the connected app",
        ),
        _ => CheckLine::fail(
            names::AVAILABILITY,
            format!("HTTP {status} {code} {detail}").trim().to_owned(),
            "retry later; if it persists, the OCI service is failing for this tenant",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_group_counts_as_authenticated() {
        let body = json!({"errorCode": "GroupDoesNotExist", "group": "x"});
        let line = availability_line(400, &body, "x", "t");
        assert_eq!(line.verdict, Verdict::Ok);
        assert!(line.detail.contains("no such group x"));
        let line = availability_line(401, &json!({"detail": "expired"}), "x", "t");
        assert_eq!(line.verdict, Verdict::Fail);
        assert!(line.fix.as_deref().unwrap_or_default().contains("tenant t"));
    }

    #[test]
    fn render_marks_failures_and_gives_a_verdict() {
        let report = DoctorReport {
            lines: vec![
                CheckLine::ok(names::KEY, "loaded"),
                CheckLine::fail(names::TOKEN, "invalid_grant", "pre-authorize the user"),
            ],
        };
        assert!(!report.passed());
        let text = report.render(false);
        assert!(text.contains("ok   key readable: loaded\n"));
        assert!(text.contains(
            "FAIL token exchange works: invalid_grant\n     fix: pre-authorize the user\n"
        ));
        assert!(text.ends_with("verdict: not ready: 1 check(s) failed\n"));
        assert!(report.render(true).contains("\u{1b}["));
    }
}
