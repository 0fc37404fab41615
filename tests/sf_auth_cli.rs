//! Salesforce auth through the CLI against the in-process login emulator: `run --sf-*` injects
//! the session variables, key problems exit 2, exchange errors exit 3 with their diagnosis, a
//! 401 logs in again once, `token`, `keygen`, `emulator`, Postman `oauth2` fetching and `jwt`
//! signing, and no secret leaks into any output.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{EmulatorHandle, collection, snapman, write_json};
use serde_json::{Value, json};
use snapman::auth::{self, GeneratedKeys};
use snapman::emulator::login::{
    AppRegistration, BearerError, LoginState, UserRegistration, login_router,
};
use tempfile::TempDir;

const CLIENT_ID: &str = "3MVG9cliTestConsumerKey";
const USERNAME: &str = "integration@acme.example";
const USER_PASSWORD: &str = "pw-Tr0ub4dor-user-password";
const CLIENT_SECRET: &str = "cs-9f8e7d6c5b4a-client-secret";
const HS_SECRET: &str = "hs256-shared-secret-value";

/// One key pair for the whole test binary (RSA generation is the slow part).
fn keys() -> &'static GeneratedKeys {
    static KEYS: OnceLock<GeneratedKeys> = OnceLock::new();
    KEYS.get_or_init(|| auth::generate(1, "snapman test").expect("generate keys"))
}

/// The emulator with the login routes (and `extra` routes), one app and one user.
struct Sf {
    handle: EmulatorHandle,
    state: LoginState,
    dir: TempDir,
    org_id: String,
    user_id: String,
}

impl Sf {
    fn start() -> Sf {
        Sf::start_with(|_| Router::new())
    }

    fn start_with(extra: impl Fn(LoginState) -> Router) -> Sf {
        // The login state must know its URL before serving: learn a free port first.
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port");
        let state = LoginState::new(format!("http://{addr}"));
        let router = login_router(state.clone()).merge(extra(state.clone()));
        let handle =
            snapman::emulator::start_background(&addr.to_string(), Some(router)).expect("start");
        state
            .register_app(AppRegistration {
                consumer_key: CLIENT_ID.to_string(),
                certificate_pem: Some(keys().cert_pem.clone()),
                client_secret: Some(CLIENT_SECRET.to_string()),
                run_as: Some(USERNAME.to_string()),
                ..AppRegistration::default()
            })
            .expect("register app");
        let mut user = UserRegistration::new(USERNAME);
        user.password = Some(USER_PASSWORD.to_string());
        user.authorized_apps = vec![CLIENT_ID.to_string()];
        let (org_id, user_id) = (user.org_id.clone(), user.user_id.clone());
        state.register_user(user);
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("server.key"), keys().key_pem.expose()).expect("key");
        std::fs::write(dir.path().join("server.crt"), &keys().cert_pem).expect("crt");
        Sf {
            handle,
            state,
            dir,
            org_id,
            user_id,
        }
    }

    fn base(&self) -> &str {
        self.handle.base_url()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `--sf-*` flags for the registered app and user.
    fn flags(&self) -> Vec<String> {
        vec![
            "--sf-login-url".into(),
            self.base().into(),
            "--sf-client-id".into(),
            CLIENT_ID.into(),
            "--sf-username".into(),
            USERNAME.into(),
            "--sf-key".into(),
            self.path("server.key").display().to_string(),
        ]
    }

    /// Runs `snapman run` on `items` with the sf flags and `extra`, in the key directory.
    fn run(&self, items: Value, extra: &[&str]) -> Output {
        let path = write_json(
            self.dir.path(),
            "c.postman_collection.json",
            &collection(items),
        );
        snapman(self.dir.path())
            .arg("run")
            .arg(&path)
            .args(["--env-var", &format!("base={}", self.base())])
            .args(self.flags())
            .args(extra)
            .output()
            .expect("snapman runs")
    }

    /// Requests that arrived on `path` (without the query), oldest first.
    fn arrived(&self, path: &str) -> Vec<snapman::emulator::RecordedRequest> {
        self.handle
            .requests()
            .into_iter()
            .filter(|r| r.target.split('?').next() == Some(path))
            .collect()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The query parameters of a request target.
fn query(target: &str) -> Vec<(String, String)> {
    let q = target.split_once('?').map(|(_, q)| q).unwrap_or_default();
    url::form_urlencoded::parse(q.as_bytes())
        .into_owned()
        .collect()
}

fn param(target: &str, name: &str) -> String {
    query(target)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no {name} in {target}"))
}

/// The claims of a JWT, unverified.
fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("three parts");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("json")
}

fn echo_item(name: &str, url: &str) -> Value {
    json!({"name": name, "request": {"method": "GET", "url": url}})
}

#[test]
fn run_injects_the_session_variables() {
    let sf = Sf::start();
    let items = json!([{
        "name": "whoami",
        "request": {
            "method": "GET",
            "header": [{"key": "X-Jwt", "value": "{{jwt}}"}],
            "url": "{{base}}/get?token={{access_token}}&inst={{instance_url}}&org={{sf_org_id}}&user={{sf_user_id}}&name={{sf_username}}"
        }
    }]);
    let out = sf.run(items, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let got = sf.arrived("/get");
    assert_eq!(got.len(), 1);
    let target = &got[0].target;
    let info = sf
        .state
        .validate_bearer(&param(target, "token"))
        .expect("the injected token is one the emulator issued");
    assert_eq!(info.username, USERNAME);
    assert_eq!(param(target, "inst"), sf.base());
    assert_eq!(param(target, "org"), sf.org_id);
    assert_eq!(param(target, "user"), sf.user_id);
    assert_eq!(param(target, "name"), USERNAME);
    let jwt = claims(got[0].header("x-jwt").expect("jwt header"));
    assert_eq!(jwt["iss"], CLIENT_ID);
    assert_eq!(jwt["sub"], USERNAME);
    assert_eq!(jwt["aud"], sf.base());
    assert_eq!(sf.arrived("/services/oauth2/token").len(), 1);
}

#[test]
fn env_variables_and_renamed_variables() {
    let sf = Sf::start();
    let path = write_json(
        sf.dir.path(),
        "c.postman_collection.json",
        &collection(json!([echo_item(
            "renamed",
            "{{base}}/get?t={{bearerToken}}&j={{JWT}}&plain={{access_token}}"
        )])),
    );
    let out = snapman(sf.dir.path())
        .arg("run")
        .arg(&path)
        .args(["--env-var", &format!("base={}", sf.base())])
        .args(["--sf-token-var", "bearerToken", "--sf-jwt-var", "JWT"])
        .env("SF_LOGIN_URL", sf.base())
        .env("SF_CLIENT_ID", CLIENT_ID)
        .env("SF_USERNAME", USERNAME)
        .env("SF_JWT_KEY", keys().key_pem.expose())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let target = sf.arrived("/get")[0].target.clone();
    assert!(sf.state.validate_bearer(&param(&target, "t")).is_ok());
    assert_eq!(claims(&param(&target, "j"))["sub"], USERNAME);
    assert_eq!(param(&target, "plain"), "{{access_token}}");
}

#[test]
fn jwt_only_skips_the_exchange() {
    let sf = Sf::start();
    let out = sf.run(
        json!([echo_item(
            "jwt",
            "{{base}}/get?j={{jwt}}&t={{access_token}}"
        )]),
        &["--sf-jwt-only"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let target = sf.arrived("/get")[0].target.clone();
    assert_eq!(claims(&param(&target, "j"))["iss"], CLIENT_ID);
    assert_eq!(param(&target, "t"), "{{access_token}}");
    assert!(sf.arrived("/services/oauth2/token").is_empty());
}

#[test]
fn org_json_from_stdin_sets_the_session() {
    let sf = Sf::start();
    let path = write_json(
        sf.dir.path(),
        "c.postman_collection.json",
        &collection(json!([echo_item(
            "org",
            "{{base}}/get?t={{access_token}}&i={{instance_url}}&o={{sf_org_id}}"
        )])),
    );
    let org = json!({"status": 0, "result": {
        "accessToken": "00D5g0000012345!AQorgjsontoken", "instanceUrl": "https://acme.my.salesforce.com",
        "username": USERNAME}});
    let mut child = snapman(sf.dir.path())
        .arg("run")
        .arg(&path)
        .args(["--env-var", &format!("base={}", sf.base())])
        .args(["--sf-org-json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    std::io::Write::write_all(
        &mut child.stdin.take().expect("stdin"),
        org.to_string().as_bytes(),
    )
    .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!text(&out.stdout).contains("AQorgjsontoken"));
    let target = sf.arrived("/get")[0].target.clone();
    assert_eq!(param(&target, "t"), "00D5g0000012345!AQorgjsontoken");
    assert_eq!(param(&target, "i"), "https://acme.my.salesforce.com");
    assert_eq!(param(&target, "o"), "00D5g0000012345");
}

/// Runs with `key` as the key file and expects exit 2 and `message` on stderr.
fn expect_key_error(sf: &Sf, key: &Path, message: &str) {
    let items = json!([echo_item("never", "{{base}}/get")]);
    let path = write_json(
        sf.dir.path(),
        "c.postman_collection.json",
        &collection(items),
    );
    let out = snapman(sf.dir.path())
        .arg("run")
        .arg(&path)
        .args(["--sf-login-url", sf.base(), "--sf-client-id", CLIENT_ID])
        .args(["--sf-username", USERNAME, "--sf-key"])
        .arg(key)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains(message), "{}", text(&out.stderr));
    assert!(sf.arrived("/get").is_empty(), "nothing may be sent");
}

#[test]
fn key_problems_exit_2() {
    let sf = Sf::start();
    std::fs::write(sf.path("empty.key"), "").expect("write");
    expect_key_error(&sf, &sf.path("empty.key"), "is empty");
    expect_key_error(
        &sf,
        &sf.path("server.crt"),
        "holds a certificate, not a private key",
    );
    expect_key_error(&sf, &sf.path("missing.key"), "not found");
    let out = snapman(sf.dir.path())
        .args([
            "token",
            "--sf-client-id",
            CLIENT_ID,
            "--sf-username",
            USERNAME,
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--sf-key FILE"),
        "{}",
        text(&out.stderr)
    );
}

/// Runs `token` and expects exit 3 with `error` and `fix` in the diagnosis.
fn expect_exchange_error(sf: &Sf, flags: &[String], error: &str, fix: &str) {
    let out = snapman(sf.dir.path())
        .arg("token")
        .args(flags)
        .output()
        .expect("runs");
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains(error) && err.contains(fix), "{err}");
}

#[test]
fn exchange_errors_exit_3_with_the_diagnosis() {
    let sf = Sf::start();
    let mut flags = sf.flags();
    flags[3] = "3MVG9unknownKey".into();
    expect_exchange_error(&sf, &flags, "invalid_client_id", "consumer key");
    let mut flags = sf.flags();
    flags[5] = "stranger@acme.example".into();
    sf.state
        .register_user(UserRegistration::new("stranger@acme.example"));
    expect_exchange_error(
        &sf,
        &flags,
        "user hasn't approved this consumer",
        "pre-authorized",
    );
    sf.state
        .set_audiences(vec!["https://login.salesforce.com".to_string()]);
    expect_exchange_error(&sf, &sf.flags(), "audience is invalid", "login URL");
    // The same failure through `run`: exit 3 before any request.
    let out = sf.run(json!([echo_item("never", "{{base}}/get")]), &[]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("audience is invalid"));
    assert!(sf.arrived("/get").is_empty());
}

/// A protected endpoint: 401 for an expired token, after which tokens live for two hours.
fn protected(state: LoginState) -> Router {
    async fn handler(State(state): State<LoginState>, headers: HeaderMap) -> (StatusCode, String) {
        let auth = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        match state.validate_bearer(auth) {
            Ok(info) => (StatusCode::OK, info.username),
            Err(BearerError::Expired) => {
                state.set_token_lifetime(Duration::from_secs(7200));
                (
                    StatusCode::UNAUTHORIZED,
                    "Session expired or invalid".into(),
                )
            }
            Err(e) => (StatusCode::UNAUTHORIZED, e.to_string()),
        }
    }
    Router::new()
        .route("/protected", get(handler))
        .with_state(state)
}

#[test]
fn a_401_logs_in_again_and_resends_once() {
    let sf = Sf::start_with(protected);
    sf.state.set_token_lifetime(Duration::ZERO);
    let items = json!([
        {"name": "protected", "request": {"method": "GET", "url": "{{base}}/protected",
            "auth": {"type": "bearer", "bearer": [{"key": "token", "value": "{{access_token}}"}]}}},
        echo_item("after", "{{base}}/get?t={{access_token}}")
    ]);
    let report = sf.path("report.json");
    let out = sf.run(
        items,
        &[
            "-r",
            "json",
            "--reporter-json-export",
            &report.display().to_string(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(sf.arrived("/services/oauth2/token").len(), 2);
    let tries = sf.arrived("/protected");
    assert_eq!(tries.len(), 2);
    assert_ne!(
        tries[0].header("authorization"),
        tries[1].header("authorization")
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("json");
    assert_eq!(report["run"]["executions"][0]["response"]["code"], 200);
    // The later request reads the new token from the environment.
    let fresh = param(&sf.arrived("/get")[0].target, "t");
    assert_eq!(
        tries[1].header("authorization"),
        Some(format!("Bearer {fresh}").as_str())
    );
    assert!(sf.state.validate_bearer(&fresh).is_ok());
}

#[test]
fn token_prints_the_masked_response_or_the_assertion() {
    let sf = Sf::start();
    let out = snapman(sf.dir.path())
        .arg("token")
        .args(sf.flags())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let body: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(body["access_token"], "[redacted]");
    assert_eq!(body["instance_url"], sf.base());
    let out = snapman(sf.dir.path())
        .args(["token", "--show-secrets"])
        .args(sf.flags())
        .output()
        .expect("runs");
    let body: Value = serde_json::from_slice(&out.stdout).expect("json");
    let token = body["access_token"].as_str().expect("token");
    assert_eq!(
        sf.state.validate_bearer(token).expect("valid").username,
        USERNAME
    );
    let out = snapman(sf.dir.path())
        .args(["token", "--jwt-only", "--sf-exp-seconds", "60"])
        .args(sf.flags())
        .output()
        .expect("runs");
    let jwt = text(&out.stdout).trim().to_string();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[sf.base()]);
    let public =
        <rsa::RsaPublicKey as rsa::pkcs8::DecodePublicKey>::from_public_key_pem(&keys().public_pem)
            .expect("public key");
    let der = rsa::pkcs1::EncodeRsaPublicKey::to_pkcs1_der(&public).expect("der");
    let key = jsonwebtoken::DecodingKey::from_rsa_der(der.as_bytes());
    let data = jsonwebtoken::decode::<Value>(&jwt, &key, &validation).expect("verifies");
    assert_eq!(data.claims["sub"], USERNAME);
    let now = chrono::Utc::now().timestamp();
    let exp = data.claims["exp"].as_i64().expect("exp");
    assert!((now + 50..=now + 61).contains(&exp), "{exp} vs {now}");
}

#[test]
fn keygen_output_logs_in() {
    let sf = Sf::start();
    let out = snapman(sf.dir.path())
        .args(["keygen", "--out", "made", "--days", "30", "--cn", "ci"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("sfcc_inventory_reservations_rw"));
    let made = sf.path("made");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(made.join("server.key"))
            .expect("key")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    sf.state
        .register_app(AppRegistration {
            consumer_key: "3MVG9keygenApp".into(),
            certificate_pem: Some(std::fs::read_to_string(made.join("server.crt")).expect("crt")),
            ..AppRegistration::default()
        })
        .expect("register");
    let mut user = UserRegistration::new("keygen@acme.example");
    user.authorized_apps = vec!["3MVG9keygenApp".into()];
    sf.state.register_user(user);
    let out = snapman(sf.dir.path())
        .args(["token", "--show-secrets", "--sf-login-url", sf.base()])
        .args([
            "--sf-client-id",
            "3MVG9keygenApp",
            "--sf-username",
            "keygen@acme.example",
        ])
        .args(["--sf-key", "made/server.key"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let body: Value = serde_json::from_slice(&out.stdout).expect("json");
    let info = sf
        .state
        .validate_bearer(body["access_token"].as_str().expect("token"))
        .expect("valid");
    assert_eq!(info.username, "keygen@acme.example");
}

#[test]
fn emulator_command_prints_its_url_and_a_usable_app() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = snapman(dir.path())
        .arg("emulator")
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut next = || lines.next().expect("a line").expect("text");
    let base = next();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    let mut fields = std::collections::HashMap::new();
    loop {
        let line = next();
        let Some((k, v)) = line.split_once(": ") else {
            break;
        };
        fields.insert(k.to_string(), v.to_string());
    }
    for name in [
        "loginUrl",
        "clientId",
        "username",
        "organizationId",
        "shortCode",
        "ociTenant",
        "keyFile",
    ] {
        if !fields.contains_key(name) {
            child.kill().expect("kill");
            panic!("`{name}:` missing from the emulator's output: {fields:?}");
        }
    }
    assert_eq!(fields["loginUrl"], base);
    assert_eq!(fields["shortCode"], snapman::emulator::SHORT_CODE);
    assert!(fields["organizationId"].starts_with("00D"));
    let out = snapman(dir.path())
        .args([
            "token",
            "--sf-login-url",
            &base,
            "--sf-client-id",
            &fields["clientId"],
        ])
        .args([
            "--sf-username",
            &fields["username"],
            "--sf-key",
            &fields["keyFile"],
        ])
        .output()
        .expect("token");
    // The emulator process is ours: stop it by its handle.
    child.kill().expect("kill");
    child.wait().expect("wait");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let body: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(
        body["id"]
            .as_str()
            .expect("id")
            .contains(&fields["organizationId"])
    );
}

/// A Postman `oauth2` block of `grant` (client auth in `client_auth`) at the emulator.
fn oauth2_block(grant: &str, client_auth: &str) -> Value {
    json!({"type": "oauth2", "oauth2": [
        {"key": "grant_type", "value": grant},
        {"key": "accessTokenUrl", "value": "{{base}}/services/oauth2/token"},
        {"key": "clientId", "value": CLIENT_ID},
        {"key": "clientSecret", "value": CLIENT_SECRET},
        {"key": "username", "value": USERNAME},
        {"key": "password", "value": USER_PASSWORD},
        {"key": "client_authentication", "value": client_auth},
        {"key": "addTokenTo", "value": "header"}
    ]})
}

/// Runs `items` without `--sf-*` flags.
fn run_plain(sf: &Sf, items: Value, extra: &[&str]) -> Output {
    let path = write_json(
        sf.dir.path(),
        "c.postman_collection.json",
        &collection(items),
    );
    snapman(sf.dir.path())
        .arg("run")
        .arg(&path)
        .args(["--env-var", &format!("base={}", sf.base())])
        .args(extra)
        .output()
        .expect("snapman runs")
}

#[test]
fn oauth2_auth_fetches_and_caches_its_token() {
    let sf = Sf::start();
    let with = |name: &str, auth: Value| json!({"name": name, "request": {"method": "GET", "url": "{{base}}/get", "auth": auth}});
    let items = json!([
        with("cc 1", oauth2_block("client_credentials", "body")),
        with("cc 2", oauth2_block("client_credentials", "body")),
        with("password", oauth2_block("password_credentials", "header")),
    ]);
    let out = run_plain(&sf, items, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let posts = sf.arrived("/services/oauth2/token");
    assert_eq!(posts.len(), 2, "one fetch per configuration");
    let cc_body = text(&posts[0].body);
    assert!(
        cc_body.contains("grant_type=client_credentials") && cc_body.contains("client_secret=")
    );
    assert!(posts[0].header("authorization").is_none());
    assert!(
        posts[1]
            .header("authorization")
            .expect("basic")
            .starts_with("Basic ")
    );
    assert!(text(&posts[1].body).contains("grant_type=password"));
    let gets = sf.arrived("/get");
    assert_eq!(gets.len(), 3);
    assert_eq!(
        gets[0].header("authorization"),
        gets[1].header("authorization")
    );
    assert_ne!(
        gets[0].header("authorization"),
        gets[2].header("authorization")
    );
    for g in &gets {
        let info = sf
            .state
            .validate_bearer(g.header("authorization").expect("bearer"))
            .expect("a token the emulator issued");
        assert_eq!(info.username, USERNAME);
    }
}

#[test]
fn oauth2_fetch_failure_is_a_warning_and_the_request_is_still_sent() {
    let sf = Sf::start();
    let mut block = oauth2_block("client_credentials", "body");
    block["oauth2"][3]["value"] = json!("wrong-secret");
    let items = json!([{"name": "bad", "request": {"method": "GET", "url": "{{base}}/get", "auth": block}}]);
    let out = run_plain(&sf, items, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("oauth2 auth: token fetch failed"),
        "{}",
        text(&out.stdout)
    );
    let gets = sf.arrived("/get");
    assert_eq!(gets.len(), 1, "Newman sends the request without a token");
    assert!(gets[0].header("authorization").is_none());
}

#[test]
fn jwt_auth_signs_hs256_into_the_header() {
    let sf = Sf::start();
    let auth = json!({"type": "jwt", "jwt": [
        {"key": "algorithm", "value": "HS256"},
        {"key": "secret", "value": HS_SECRET},
        {"key": "payload", "value": "{\"sub\": \"{{who}}\", \"scope\": \"read\"}"},
        {"key": "header", "value": "{\"kid\": \"k1\"}"},
        {"key": "headerPrefix", "value": "JWT"},
        {"key": "addTokenTo", "value": "header"}
    ]});
    let items = json!([{"name": "signed", "request": {"method": "GET", "url": "{{base}}/get", "auth": auth}}]);
    let out = run_plain(&sf, items, &["--env-var", "who=alice"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let header = sf.arrived("/get")[0]
        .header("authorization")
        .expect("header")
        .to_string();
    let jwt = header.strip_prefix("JWT ").expect("prefix");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    let data = jsonwebtoken::decode::<Value>(
        jwt,
        &jsonwebtoken::DecodingKey::from_secret(HS_SECRET.as_bytes()),
        &validation,
    )
    .expect("verifies with the secret");
    assert_eq!(data.claims, json!({"sub": "alice", "scope": "read"}));
    assert_eq!(data.header.kid.as_deref(), Some("k1"));
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn no_secret_leaks_into_any_output() {
    let sf = Sf::start();
    // A protected endpoint that answers with what it received, as an echo would.
    let items = json!([
        {"name": "sf echo", "request": {"method": "POST", "url": "{{base}}/post?t={{access_token}}",
            "header": [{"key": "X-Jwt", "value": "{{jwt}}"}, {"key": "Authorization", "value": "Bearer {{access_token}}"}],
            "body": {"mode": "raw", "raw": "{\"token\": \"{{access_token}}\", \"jwt\": \"{{jwt}}\"}"}}},
        {"name": "oauth2 echo", "request": {"method": "GET", "url": "{{base}}/get",
            "auth": oauth2_block("password_credentials", "body")}},
        {"name": "basic echo", "request": {"method": "GET", "url": "{{base}}/headers",
            "auth": {"type": "basic", "basic": [{"key": "username", "value": USERNAME}, {"key": "password", "value": USER_PASSWORD}]}}},
        {"name": "jwt echo", "request": {"method": "GET", "url": "{{base}}/headers",
            "auth": {"type": "jwt", "jwt": {"algorithm": "HS256", "secret": HS_SECRET, "payload": "{\"a\": 1}"}}}}
    ]);
    // Inputs (collection with literal credentials, key) live in sf.dir; snapman works in `out`,
    // and every file there is snapman's.
    let path = write_json(
        sf.dir.path(),
        "c.postman_collection.json",
        &collection(items),
    );
    let out = tempfile::tempdir().expect("tempdir");
    let run = snapman(out.path())
        .arg("run")
        .arg(&path)
        .args(["--env-var", &format!("base={}", sf.base())])
        .args(sf.flags())
        .args(["--verbose", "-r", "cli,json,junit"])
        .args([
            "--export-environment",
            "env-out.json",
            "--export-collection",
            "coll-out.json",
        ])
        .output()
        .expect("run");
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let token = snapman(out.path())
        .arg("token")
        .args(sf.flags())
        .output()
        .expect("token");
    assert_eq!(token.status.code(), Some(0), "{}", text(&token.stderr));

    // The secrets, as they actually travelled (taken from the emulator's journal).
    let journal = sf.handle.requests();
    let sf_post = journal
        .iter()
        .find(|r| r.target.starts_with("/post"))
        .expect("sf echo arrived");
    let access_token = param(&sf_post.target, "t");
    let jwt = sf_post.header("x-jwt").expect("jwt").to_string();
    let oauth_token = journal
        .iter()
        .find(|r| r.target == "/get")
        .and_then(|r| r.header("authorization"))
        .and_then(|h| h.strip_prefix("Bearer "))
        .expect("oauth2 token")
        .to_string();
    let signed = journal
        .iter()
        .filter(|r| r.target == "/headers")
        .filter_map(|r| r.header("authorization"))
        .find_map(|h| h.strip_prefix("Bearer "))
        .expect("signed jwt")
        .to_string();
    let basic = journal
        .iter()
        .filter_map(|r| r.header("authorization"))
        .find_map(|h| h.strip_prefix("Basic "))
        .expect("basic credentials")
        .to_string();
    assert!(sf.state.validate_bearer(&access_token).is_ok());
    let mut secrets = vec![
        access_token,
        jwt,
        oauth_token,
        signed,
        basic,
        CLIENT_SECRET.to_string(),
        USER_PASSWORD.to_string(),
        HS_SECRET.to_string(),
    ];
    secrets.extend(
        keys()
            .key_pem
            .expose()
            .lines()
            .filter(|l| !l.starts_with("-----") && !l.trim().is_empty())
            .map(str::to_string),
    );

    let mut outputs = vec![
        ("run stdout".to_string(), text(&run.stdout)),
        ("run stderr".to_string(), text(&run.stderr)),
        ("token stdout".to_string(), text(&token.stdout)),
        ("token stderr".to_string(), text(&token.stderr)),
    ];
    let written = files(out.path());
    assert!(
        written
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "xml"))
    );
    assert!(written.iter().any(|p| p.ends_with("env-out.json")));
    for p in written {
        outputs.push((
            p.display().to_string(),
            text(&std::fs::read(&p).expect("read")),
        ));
    }
    let env_out: Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("env-out.json")).expect("export"),
    )
    .expect("json");
    let exported = env_out["values"]
        .as_array()
        .expect("values")
        .iter()
        .find(|v| v["key"] == "access_token")
        .expect("access_token exported");
    // What snapman minted is left out of exports unless --export-secrets.
    assert_eq!(exported["value"], "");
    // The verbose output did show the echoed request, only masked.
    assert!(outputs[0].1.contains("[redacted]"), "{}", outputs[0].1);
    // Exports are the user's data: the literal credentials of the collection stay in the
    // collection export; only what snapman minted (token, assertion) must not be there.
    let minted = &secrets[..2];
    for (name, content) in &outputs {
        let exported = name.ends_with("-out.json");
        for s in secrets.iter().filter(|s| !exported || minted.contains(s)) {
            assert!(
                !content.contains(s.as_str()),
                "{name} contains a secret: {s:.12}..."
            );
        }
    }
}
