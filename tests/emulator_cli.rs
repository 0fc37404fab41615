//! The emulator as users meet it (issue 11): Account Manager tokens, ids that stay the same
//! from run to run, the README's own identity under `--emulator`, `snapman emulator --open` for
//! curl and `doctor --emulator-url`, and exports nobody polls.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::{collection, snapman, write_json};
use serde_json::{Value, json};
use snapman::emulator::login::AppRegistration;
use snapman::emulator::{FullEmulator, FullOptions, start_full};
use snapman::http::route::RouteResolver;

fn client(emu: &FullEmulator) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(emu.ca_pem.as_bytes()).expect("CA PEM");
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(ca)
        .timeout(Duration::from_secs(20))
        .dns_resolver(Arc::new(RouteResolver::new(&emu.routes)))
        .build()
        .expect("client")
}

/// Decodes one base64url JWT segment.
fn segment(part: &str) -> Value {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("json")
}

async fn account_manager_token(http: &reqwest::Client, id: &str) -> Value {
    let answer = http
        .post("https://account.demandware.com/dw/oauth2/access_token")
        .basic_auth(id, Some("secret"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .expect("token request");
    assert_eq!(answer.status(), 200);
    serde_json::from_str(&answer.text().await.expect("body")).expect("json")
}

#[tokio::test]
async fn account_manager_tokens_are_jwts_for_thirty_minutes_and_opaque_when_configured() {
    let emu = start_full(FullOptions::default()).expect("emulator");
    let http = client(&emu);
    let body = account_manager_token(&http, "my-api-client").await;
    assert_eq!(body["expires_in"], 1799, "{body}");
    let newer = http
        .post("https://account.demandware.com/dwsso/oauth2/access_token")
        .basic_auth("my-api-client", Some("secret"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .expect("token request");
    assert_eq!(newer.status(), 200, "the /dwsso/ path answers too");
    let scoped = http
        .post("https://account.demandware.com/dwsso/oauth2/access_token")
        .basic_auth("my-api-client", Some("secret"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&scope=SALESFORCE_COMMERCE_API:zzte_053 sfcc.inventory.some-new-scope.rw")
        .send()
        .await
        .expect("token request");
    assert_eq!(scoped.status(), 200, "any sfcc.* scope under --emulator");
    let token = body["access_token"].as_str().expect("token");
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT: {token}");
    assert_eq!(segment(parts[0])["alg"], "RS256");
    let claims = segment(parts[1]);
    assert_eq!(claims["client_id"], "my-api-client");
    assert_eq!(claims["sub"], "my-api-client");
    let lifetime = claims["exp"].as_u64().expect("exp") - claims["iat"].as_u64().expect("iat");
    assert_eq!(lifetime, 1800);
    // The JWT opens the OCI APIs like any other token.
    let availability = http
        .post(format!("https://{}.api.commercecloud.salesforce.com/inventory/availability/v1/organizations/{}/availability-records/actions/get-availability", emu.short_code, emu.organization_id))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(json!({"skus": ["ID-PEM"], "locations": ["Warehouse01"]}).to_string())
        .send()
        .await
        .expect("availability");
    assert_eq!(availability.status(), 200);

    emu.login
        .register_app(AppRegistration {
            consumer_key: "opaque-client".to_owned(),
            client_secret: Some("secret".to_owned()),
            opaque_tokens: true,
            ..AppRegistration::default()
        })
        .expect("register");
    let opaque = account_manager_token(&http, "opaque-client").await;
    assert_eq!(
        opaque["access_token"]
            .as_str()
            .expect("token")
            .matches('.')
            .count(),
        0,
        "{opaque}"
    );

    let short = start_full(FullOptions {
        am_token_lifetime: Some(Duration::from_secs(600)),
        ..FullOptions::default()
    })
    .expect("emulator");
    let body = account_manager_token(&client(&short), "my-api-client").await;
    assert_eq!(body["expires_in"], 599);
}

/// The password grant's answer from a fresh full emulator.
async fn password_login() -> Value {
    let emu = start_full(FullOptions::default()).expect("emulator");
    let answer = client(&emu)
        .post("https://login.salesforce.com/services/oauth2/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            "grant_type=password&client_id=app&client_secret=s&username=qa@example.com&password=p",
        )
        .send()
        .await
        .expect("token");
    assert_eq!(answer.status(), 200);
    serde_json::from_str(&answer.text().await.expect("body")).expect("json")
}

#[tokio::test]
async fn org_and_user_ids_are_the_same_on_every_run() {
    let first = password_login().await;
    let second = password_login().await;
    assert_eq!(first["id"], second["id"], "identity URL");
    assert_eq!(first["instance_url"], second["instance_url"]);
    assert_ne!(first["access_token"], second["access_token"]);
    let a = start_full(FullOptions::default()).expect("emulator");
    let b = start_full(FullOptions::default()).expect("emulator");
    assert_eq!((&a.org_id, &a.user_id), (&b.org_id, &b.user_id));
    assert!(a.org_id.starts_with("00D") && a.user_id.starts_with("005"));
}

/// A key pair made by `snapman keygen` in `dir/keys`; the key file's path.
fn keygen(dir: &std::path::Path) -> std::path::PathBuf {
    let keys = dir.join("keys");
    let status = snapman(dir)
        .args(["keygen", "--out"])
        .arg(&keys)
        .status()
        .expect("keygen");
    assert!(status.success());
    keys.join("server.key")
}

#[test]
fn doctor_with_the_emulator_accepts_the_readme_step_four_identity() {
    let dir = tempfile::tempdir().unwrap();
    let key = keygen(dir.path());
    let out = snapman(dir.path())
        .env("SF_CLIENT_ID", "3MVG9MyOwnConnectedApp")
        .env("SF_USERNAME", "qa@my-org.example")
        .env("SF_JWT_KEY_FILE", &key)
        .args(["doctor", "--emulator"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("ok   token exchange works"), "{stdout}");
    assert!(!stdout.contains("invalid_client_id"), "{stdout}");
}

/// Kills the child it holds when dropped (a failed assertion must not leave it running).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `snapman emulator --open` and reads what it prints, up to the end of its curl block.
fn open_emulator(dir: &std::path::Path) -> (Running, Vec<String>) {
    let mut child = snapman(dir)
        .args(["emulator", "--open"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("emulator starts");
    let stdout = child.stdout.take().expect("stdout");
    let running = Running(child);
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("line");
        let last = line.starts_with("(TOKEN is");
        lines.push(line);
        if last {
            break;
        }
    }
    (running, lines)
}

/// Runs one printed command line with `sh`, `TOKEN` set.
fn sh(line: &str, token: &str) -> Value {
    let out = std::process::Command::new("sh")
        .args(["-c", line])
        .env("TOKEN", token)
        .output()
        .expect("sh");
    assert!(out.status.success(), "{line}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{line} answered {e}: {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

#[test]
fn the_open_emulator_prints_curl_commands_that_work_and_doctor_reaches_it() {
    let dir = tempfile::tempdir().unwrap();
    let (_running, lines) = open_emulator(dir.path());
    let base = lines.first().cloned().expect("base URL");
    assert!(base.starts_with("http://127.0.0.1:"), "{lines:?}");
    assert!(
        lines.iter().any(|l| l.trim() == format!("loginUrl={base}")),
        "{lines:?}"
    );
    let curls: Vec<&str> = lines
        .iter()
        .map(|l| l.trim())
        .filter(|l| l.starts_with("curl "))
        .collect();
    assert_eq!(curls.len(), 3, "{lines:?}");
    let salesforce = sh(curls[0], "");
    let token = salesforce["access_token"].as_str().expect("token");
    let account_manager = sh(curls[1], "");
    assert_eq!(account_manager["expires_in"], 1799);
    for token in [token, account_manager["access_token"].as_str().expect("am")] {
        let availability = sh(curls[2], token);
        assert_eq!(
            availability["groups"][0]["id"], "LocationGroup01",
            "{availability}"
        );
    }

    let key = keygen(dir.path());
    let out = snapman(dir.path())
        .env("SF_CLIENT_ID", "3MVG9DoctorApp")
        .env("SF_USERNAME", "qa@doctor.example")
        .env("SF_JWT_KEY_FILE", &key)
        .args(["doctor", "--emulator-url", &base])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("verdict: ready"), "{stdout}");
}

#[test]
fn doctor_names_an_address_that_is_no_emulator() {
    let dir = tempfile::tempdir().unwrap();
    let out = snapman(dir.path())
        .args(["doctor", "--emulator-url", "ftp://127.0.0.1:1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--emulator-url ftp://127.0.0.1:1"),
        "{stderr}"
    );
}

#[test]
fn exports_nobody_polls_can_be_deleted_with_the_skus_they_cover() {
    let base = "https://kv7kzm78.api.commercecloud.salesforce.com/inventory";
    let org = "f_ecom_zzte_053";
    let auth = json!({"type": "bearer", "bearer": [{"key": "token", "value": "{{access_token}}", "type": "string"}]});
    let test = |code: u16| json!([{"listen": "test", "script": {"exec": [format!("pm.test('status {code}', () => pm.response.to.have.status({code}));")]}}]);
    let items = json!([
        {"name": "Start an export", "event": [{"listen": "test", "script": {"exec": [
            "pm.test('started', () => pm.response.to.have.status(200));",
            "pm.environment.set('exportId', pm.response.json().exportId);"]}}],
         "request": {"method": "POST", "auth": auth, "header": [{"key": "Content-Type", "value": "application/json"}],
                     "body": {"mode": "raw", "raw": "{\"objects\":{\"locations\":[\"Warehouse01\"]}}"},
                     "url": format!("{base}/impex/v1/organizations/{org}/availability-records/exports")}},
        {"name": "Delete a covered SKU", "event": test(204),
         "request": {"method": "DELETE", "auth": auth,
                     "url": format!("{base}/availability/v1/organizations/{org}/locations/Warehouse01/availability-records/skus/ID-PEM/del-1")}},
        {"name": "Delete the export", "event": test(204),
         "request": {"method": "DELETE", "auth": auth,
                     "url": format!("{base}/impex/v1/organizations/{org}/availability-records/exports/{{{{exportId}}}}")}}
    ]);
    let dir = tempfile::tempdir().unwrap();
    let path = write_json(dir.path(), "c.postman_collection.json", &collection(items));
    let report = dir.path().join("report.json");
    let out = snapman(dir.path())
        .arg("run")
        .arg(&path)
        .args(["--emulator", "-r", "json", "--reporter-json-export"])
        .arg(&report)
        .output()
        .unwrap();
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("json");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{:#}",
        report["run"]["failures"]
    );
    assert_eq!(report["run"]["stats"]["assertions"]["failed"], 0);
    assert_eq!(report["run"]["stats"]["assertions"]["total"], 3);
}

#[test]
fn run_with_the_emulator_logs_in_as_the_readme_step_four_identity() {
    let dir = tempfile::tempdir().unwrap();
    let key = keygen(dir.path());
    let auth = json!({"type": "bearer", "bearer": [{"key": "token", "value": "{{access_token}}", "type": "string"}]});
    let items = json!([{
        "name": "Availability with my own app's token",
        "event": [{"listen": "test", "script": {"exec": [
            "pm.test('200', () => pm.response.to.have.status(200));"]}}],
        "request": {"method": "POST", "auth": auth,
                    "header": [{"key": "Content-Type", "value": "application/json"}],
                    "body": {"mode": "raw", "raw": "{\"skus\":[\"ID-PEM\"],\"locations\":[\"Warehouse01\"]}"},
                    "url": "https://kv7kzm78.api.commercecloud.salesforce.com/inventory/availability/v1/organizations/f_ecom_zzte_053/availability-records/actions/get-availability"}
    }]);
    let path = write_json(dir.path(), "c.postman_collection.json", &collection(items));
    let out = snapman(dir.path())
        .env("SF_CLIENT_ID", "3MVG9MyOwnConnectedApp")
        .env("SF_USERNAME", "qa@my-org.example")
        .env("SF_JWT_KEY_FILE", &key)
        .arg("run")
        .arg(&path)
        .arg("--emulator")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
