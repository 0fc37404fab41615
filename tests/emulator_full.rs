//! The full emulator (`start_full`): TLS on the sniffing port with the run-local CA, host
//! routing, the journey collection through the runner, and doctor (oci-plc: tests/oci_plc.rs).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use snapman::auth::{JwtClaims, KeySource, load_private_key, mint_assertion};
use snapman::collection::load::{load_collection, load_variable_file};
use snapman::commands::doctor::checks::{DoctorConfig, Verdict, doctor, names};
use snapman::emulator::{FullEmulator, FullOptions, start_full};
use snapman::http::client::ClientOptions;
use snapman::http::route::RouteResolver;
use snapman::runner::run::{NoObserver, RunOptions, run};
use snapman::runner::summary::RunSummary;
use snapman::secret::{Redactor, Secret};
use snapman::vars::{EnabledMode, VariableScope};

fn full() -> FullEmulator {
    start_full(FullOptions::default()).expect("full emulator starts")
}

/// A reqwest client that trusts only the emulator's CA (when given) and routes its hosts.
fn client(emu: &FullEmulator, trust_ca: bool) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .timeout(Duration::from_secs(20))
        .dns_resolver(Arc::new(RouteResolver::new(&emu.routes)));
    if trust_ca {
        let ca = reqwest::Certificate::from_pem(emu.ca_pem.as_bytes()).expect("CA PEM");
        builder = builder.add_root_certificate(ca);
    }
    builder.build().expect("client")
}

fn client_options(emu: &FullEmulator) -> ClientOptions {
    ClientOptions {
        routes: emu.routes.clone(),
        extra_roots: vec![emu.ca_pem.clone().into_bytes()],
        timeout: Some(Duration::from_secs(20)),
        ..ClientOptions::default()
    }
}

#[tokio::test]
async fn tls_and_plain_http_share_the_port_and_only_the_run_ca_is_trusted() {
    let emu = full();
    let port = emu.handle.addr().port();
    let trusted = client(&emu, true);
    let answer = trusted
        .get(format!("https://localhost:{port}/get?via=tls"))
        .send()
        .await
        .expect("TLS request");
    assert_eq!(answer.status(), 200);
    let body: Value = serde_json::from_str(&answer.text().await.expect("body")).expect("json");
    assert_eq!(body["args"]["via"], "tls");
    let answer = trusted
        .get(format!("http://127.0.0.1:{port}/get?via=plain"))
        .send()
        .await
        .expect("plain request");
    assert_eq!(answer.status(), 200);
    let untrusted = client(&emu, false);
    let error = untrusted
        .get(format!("https://localhost:{port}/get"))
        .send()
        .await
        .expect_err("an unknown CA is refused");
    assert!(error.is_connect() || error.is_request(), "{error:?}");
    assert!(emu.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
}

#[tokio::test]
async fn each_routed_host_reaches_the_emulator_over_https_and_others_do_not() {
    let emu = full();
    let http = client(&emu, true);
    for host in [
        "login.salesforce.com",
        "test.salesforce.com",
        "acme.my.salesforce.com",
        "kv7kzm78.api.commercecloud.salesforce.com",
        "account.demandware.com",
        "postman-echo.com",
    ] {
        let answer = http
            .get(format!("https://{host}/get?host={host}"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{host}: {e:?}"));
        assert_eq!(answer.status(), 200, "{host}");
        let last = emu.handle.requests().pop().expect("journal entry");
        assert_eq!(last.header("host"), Some(host));
    }
    let hits = emu.handle.hits();
    let error = http
        .get("https://example.invalid/get")
        .send()
        .await
        .expect_err("example.invalid is not routed");
    assert!(error.is_connect() || error.is_request(), "{error:?}");
    assert_eq!(emu.handle.hits(), hits, "nothing reached the emulator");
}

#[tokio::test]
async fn auto_registration_accepts_new_password_grant_credentials() {
    let emu = full();
    let http = client(&emu, true);
    let form = [
        ("grant_type", "password"),
        ("client_id", "3MVG9newClient"),
        ("client_secret", "s3cret"),
        ("username", "qa@example.com"),
        ("password", "pw"),
    ];
    let url = "https://login.salesforce.com/services/oauth2/token";
    let answer = http.post(url).form(&form).send().await.expect("token");
    assert_eq!(answer.status(), 200);
    let token: Value = serde_json::from_str(&answer.text().await.expect("body")).expect("json");
    let wrong = [("password", "other"), form[0], form[1], form[2], form[3]];
    let answer = http.post(url).form(&wrong).send().await.expect("token");
    assert_eq!(answer.status(), 400, "a registered user keeps its password");
    let availability = http
        .post("https://kv7kzm78.api.commercecloud.salesforce.com/inventory/availability/v1/organizations/f_ecom_zzte_053/availability-records/actions/get-availability")
        .bearer_auth(token["access_token"].as_str().expect("token"))
        .header("content-type", "application/json")
        .body(r#"{"sku":"ID-PEM","group":"LocationGroup01"}"#)
        .send()
        .await
        .expect("availability");
    assert_eq!(availability.status(), 200);
}

/// Mints the `jwt` the runner would set for `--emulator`.
fn assertion(emu: &FullEmulator) -> String {
    let key = load_private_key(&KeySource::Pem(Secret::new(emu.key_pem.clone())), None)
        .expect("key loads");
    let claims = JwtClaims {
        iss: emu.client_id.clone(),
        sub: emu.username.clone(),
        aud: emu.login_url.clone(),
        exp_seconds: 300,
    };
    mint_assertion(&key, &claims)
        .expect("signs")
        .expose()
        .clone()
}

/// Runs a collection file with an environment file through the library, as `run` does.
async fn run_files(
    emu: &FullEmulator,
    collection: &Path,
    environment: &Path,
    extra: &[(&str, String)],
) -> RunSummary {
    let loaded = load_collection(collection).expect("collection loads");
    let file = load_variable_file(environment, "environment").expect("environment loads");
    let mut environment = VariableScope::from_file(file, EnabledMode::App);
    for (key, value) in extra {
        environment.set(key, Value::String(value.clone()));
    }
    let opts = RunOptions {
        collection: Some(loaded.collection),
        environment,
        client: client_options(emu),
        working_dir: collection
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
        redactor: Redactor::new(),
        ..RunOptions::default()
    };
    run(opts, &mut NoObserver).await.expect("run").summary
}

/// Every failed assertion, request error and script error, one line each.
fn failures(summary: &RunSummary) -> Vec<String> {
    let mut out = Vec::new();
    for execution in &summary.executions {
        let path = execution.path_display();
        let status = execution.response.as_ref().map(|r| r.code).unwrap_or(0);
        if let Some(error) = &execution.request_error {
            out.push(format!("{path}: request error {}", error.message));
        }
        for error in &execution.script_errors {
            out.push(format!("{path}: script error {}", error.message));
        }
        for assertion in &execution.assertions {
            if let Some(error) = &assertion.error {
                let body: String = execution
                    .response
                    .as_ref()
                    .map(|r| String::from_utf8_lossy(&r.body).chars().take(300).collect())
                    .unwrap_or_default();
                out.push(format!(
                    "{path} [{status}]: {}: {} | {body}",
                    assertion.name, error.message
                ));
            }
        }
    }
    out
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[tokio::test]
async fn the_journey_collection_passes_against_the_full_emulator() {
    let emu = full();
    let jwt = assertion(&emu);
    let summary = run_files(
        &emu,
        &root().join("collections/omnichannel-inventory.postman_collection.json"),
        &root().join("environments/emulator.postman_environment.json"),
        &[("jwt", jwt)],
    )
    .await;
    assert_eq!(failures(&summary), Vec::<String>::new());
    let assertions: usize = summary.executions.iter().map(|e| e.assertions.len()).sum();
    assert!(assertions >= 30, "only {assertions} assertions ran");
    let names: Vec<&str> = summary
        .executions
        .iter()
        .map(|e| e.item_name.as_str())
        .collect();
    assert!(names.contains(&"Poll the import status"));
    assert!(names.contains(&"Get deltas"));
}

fn doctor_config(emu: &FullEmulator, key_pem: String, cert: Option<PathBuf>) -> DoctorConfig {
    DoctorConfig {
        login_url: emu.login_url.clone(),
        client_id: emu.client_id.clone(),
        username: emu.username.clone(),
        key: KeySource::Pem(Secret::new(key_pem)),
        key_passphrase: None,
        certificate: cert,
        short_code: emu.short_code.clone(),
        organization_id: emu.organization_id.clone(),
        location_group: None,
    }
}

#[tokio::test]
async fn doctor_passes_against_the_emulator() {
    let emu = full();
    let dir = tempfile::tempdir().expect("tempdir");
    let cert = dir.path().join("server.crt");
    std::fs::write(&cert, &emu.cert_pem).expect("write cert");
    let cfg = doctor_config(&emu, emu.key_pem.clone(), Some(cert));
    let report = doctor(&cfg, &client_options(&emu)).await;
    let text = report.render(false);
    assert!(report.passed(), "{text}");
    assert_eq!(report.lines.len(), 12, "{text}");
    assert!(
        report.lines.iter().all(|l| l.verdict == Verdict::Ok),
        "{text}"
    );
    let line = report.line(names::AVAILABILITY).expect("availability line");
    assert!(line.detail.contains("no such group"), "{text}");
    assert!(text.ends_with("verdict: ready\n"));
}

#[tokio::test]
async fn doctor_names_the_missing_scope() {
    let emu = full();
    let scopes: Vec<String> = snapman::commands::doctor::checks::OCI_SCOPES
        .iter()
        .filter(|s| **s != "sfcc_inventory_impex_graphs")
        .map(|s| (*s).to_owned())
        .collect();
    emu.login.set_scopes(scopes);
    let cfg = doctor_config(&emu, emu.key_pem.clone(), None);
    let report = doctor(&cfg, &client_options(&emu)).await;
    let text = report.render(false);
    assert!(!report.passed());
    let failed: Vec<&str> = report
        .lines
        .iter()
        .filter(|l| l.verdict == Verdict::Fail)
        .map(|l| l.name.as_str())
        .collect();
    assert_eq!(
        failed,
        vec!["token carries sfcc_inventory_impex_graphs"],
        "{text}"
    );
    assert_eq!(
        report.line(names::CERTIFICATE).map(|l| l.verdict),
        Some(Verdict::Skip)
    );
}

#[tokio::test]
async fn doctor_flags_a_wrong_key() {
    let emu = full();
    let other = snapman::auth::generate(1, "other").expect("keygen");
    let dir = tempfile::tempdir().expect("tempdir");
    let cert = dir.path().join("server.crt");
    std::fs::write(&cert, &emu.cert_pem).expect("write cert");
    let cfg = doctor_config(&emu, other.key_pem.expose().clone(), Some(cert));
    let report = doctor(&cfg, &client_options(&emu)).await;
    let text = report.render(false);
    assert_eq!(
        report.line(names::KEY).map(|l| l.verdict),
        Some(Verdict::Ok)
    );
    let cert_line = report.line(names::CERTIFICATE).expect("certificate line");
    assert_eq!(cert_line.verdict, Verdict::Fail, "{text}");
    assert!(cert_line.detail.contains("another key"), "{text}");
    let token = report.line(names::TOKEN).expect("token line");
    assert_eq!(token.verdict, Verdict::Fail, "{text}");
    assert!(token.detail.contains("invalid assertion"), "{text}");
    assert_eq!(
        report.line(names::AVAILABILITY).map(|l| l.verdict),
        Some(Verdict::Skip)
    );
}
