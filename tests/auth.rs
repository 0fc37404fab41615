//! JWT bearer flow end to end: keys made by the setup guide's openssl commands, minting checked by
//! `openssl dgst`, keygen output, and every token-endpoint error row produced by the login
//! emulator and diagnosed by the client.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// PEM armour dashes, kept apart so no key-shaped literal sits in the source.
const DASHES: &str = "-----";

use axum::Router;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use snapman::auth::{
    self, AuthError, ClientAuth, JwtClaims, KeyError, KeySource, OAuth2Client, PrivateKey,
    SfAuthConfig,
};
use snapman::emulator::login::{AppRegistration, LoginState, UserRegistration, login_router};
use snapman::secret::Secret;
use tempfile::TempDir;

const PASS: &str = "s3cret-pass";
const CLIENT_ID: &str = "3MVG9emulatorConsumerKey";
const USERNAME: &str = "admin@acme.example";
const USER_PASSWORD: &str = "user-password-xyz";
const CLIENT_SECRET: &str = "client-secret-abc";

/// Runs a command, failing the test with its stderr if it fails.
fn run(dir: &Path, args: &[&str]) {
    let out = Command::new(args[0])
        .args(&args[1..])
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Keys made with the setup guide's commands, once per test binary. The guide's trailing `2048`
/// argument of `genpkey` is spelled `-pkeyopt rsa_keygen_bits:2048`: OpenSSL 3 rejects the former.
struct OpensslKeys {
    dir: TempDir,
}

impl OpensslKeys {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).expect("read key file")
    }
}

fn openssl_keys() -> &'static OpensslKeys {
    static KEYS: OnceLock<OpensslKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        let pass = format!("pass:{PASS}");
        run(
            d,
            &[
                "openssl",
                "genpkey",
                "-des3",
                "-algorithm",
                "RSA",
                "-pass",
                &pass,
                "-out",
                "server.pass.key",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
            ],
        );
        run(
            d,
            &[
                "openssl",
                "rsa",
                "-passin",
                &pass,
                "-in",
                "server.pass.key",
                "-out",
                "server.key",
            ],
        );
        run(
            d,
            &[
                "openssl",
                "rsa",
                "-passin",
                &pass,
                "-in",
                "server.pass.key",
                "-traditional",
                "-out",
                "server.pkcs1.key",
            ],
        );
        run(
            d,
            &[
                "openssl",
                "req",
                "-new",
                "-key",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/C=US/ST=CA/L=SF/O=Acme/CN=snapman-test",
            ],
        );
        run(
            d,
            &[
                "openssl",
                "x509",
                "-req",
                "-sha256",
                "-days",
                "365",
                "-in",
                "server.csr",
                "-signkey",
                "server.key",
                "-out",
                "server.crt",
            ],
        );
        run(
            d,
            &[
                "openssl",
                "rsa",
                "-in",
                "server.key",
                "-pubout",
                "-out",
                "public.key",
            ],
        );
        run(
            d,
            &[
                "openssl",
                "genpkey",
                "-aes256",
                "-algorithm",
                "RSA",
                "-pass",
                &pass,
                "-out",
                "aes.pass.key",
            ],
        );
        run(
            d,
            &[
                "openssl",
                "genpkey",
                "-algorithm",
                "RSA",
                "-out",
                "other.key",
            ],
        );
        run(
            d,
            &[
                "openssl",
                "req",
                "-new",
                "-x509",
                "-sha256",
                "-days",
                "30",
                "-key",
                "other.key",
                "-out",
                "other.crt",
                "-subj",
                "/CN=other",
            ],
        );
        run(
            d,
            &[
                "openssl",
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-out",
                "ec.key",
            ],
        );
        run(
            d,
            &[
                "openssl",
                "ecparam",
                "-name",
                "prime256v1",
                "-genkey",
                "-noout",
                "-out",
                "ec.traditional.key",
            ],
        );
        OpensslKeys { dir }
    })
}

fn load(path: &Path, pass: Option<&str>) -> Result<PrivateKey, KeyError> {
    let pass = pass.map(|p| Secret::new(p.to_string()));
    auth::load_private_key(&KeySource::File(path.to_path_buf()), pass.as_ref())
}

fn claims(aud: &str) -> JwtClaims {
    JwtClaims {
        iss: CLIENT_ID.to_string(),
        sub: USERNAME.to_string(),
        aud: aud.to_string(),
        exp_seconds: auth::DEFAULT_EXP_SECONDS,
    }
}

/// Verifies an assertion's RS256 signature with `openssl dgst` and returns its claims.
fn openssl_verify(jwt: &str, public_key: &Path) -> serde_json::Value {
    let dir = tempfile::tempdir().expect("tempdir");
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "three-part JWS");
    std::fs::write(
        dir.path().join("data"),
        format!("{}.{}", parts[0], parts[1]),
    )
    .expect("write");
    let sig = URL_SAFE_NO_PAD
        .decode(parts[2])
        .expect("base64url signature");
    std::fs::write(dir.path().join("sig.bin"), sig).expect("write");
    let out = Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(public_key)
        .args(["-signature", "sig.bin", "data"])
        .current_dir(dir.path())
        .output()
        .expect("openssl dgst");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "Verified OK");
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).expect("header")).expect("json");
    assert_eq!(header["alg"], "RS256");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("payload")).expect("json")
}

#[test]
fn pkcs1_pkcs8_and_encrypted_keys_mint_assertions_openssl_verifies() {
    let keys = openssl_keys();
    assert!(
        keys.read("server.key")
            .starts_with(&format!("{DASHES}BEGIN PRIVATE KEY{DASHES}"))
    );
    assert!(
        keys.read("server.pkcs1.key")
            .starts_with(&format!("{DASHES}BEGIN RSA PRIVATE KEY{DASHES}"))
    );
    assert!(
        keys.read("server.pass.key")
            .starts_with(&format!("{DASHES}BEGIN ENCRYPTED PRIVATE KEY{DASHES}"))
    );
    let forms = [
        load(&keys.path("server.key"), None),
        load(&keys.path("server.pkcs1.key"), None),
        load(&keys.path("server.pass.key"), Some(PASS)),
        auth::load_private_key(&KeySource::Pem(Secret::new(keys.read("server.key"))), None),
    ];
    for key in forms {
        let key = key.expect("key loads");
        let jwt = auth::mint_assertion(&key, &claims(auth::PRODUCTION_LOGIN_URL)).expect("mint");
        let claims = openssl_verify(jwt.expose(), &keys.path("public.key"));
        assert_eq!(claims["iss"], CLIENT_ID);
        assert_eq!(claims["sub"], USERNAME);
        assert_eq!(claims["aud"], "https://login.salesforce.com");
        let exp = claims["exp"].as_u64().expect("numeric exp");
        let now = chrono::Utc::now().timestamp() as u64;
        assert!(exp > now && exp <= now + 181, "exp {exp} now {now}");
    }
}

#[test]
fn aes256_encrypted_key_and_escaped_newlines_load() {
    let keys = openssl_keys();
    load(&keys.path("aes.pass.key"), Some(PASS)).expect("aes-256-cbc pbes2 key loads");
    let escaped = keys.read("server.key").replace('\n', "\\n");
    auth::load_private_key(&KeySource::Pem(Secret::new(escaped)), None)
        .expect("\\n-escaped PEM loads");
}

#[test]
fn every_key_error_says_which() {
    let keys = openssl_keys();
    let cases: Vec<(Result<PrivateKey, KeyError>, &str)> = vec![
        (load(&keys.path("missing.key"), None), "not found"),
        (
            auth::load_private_key(&KeySource::Pem(Secret::new(String::new())), None),
            "is empty",
        ),
        (load(&keys.path("server.crt"), None), "holds a certificate"),
        (load(&keys.path("server.csr"), None), "holds a certificate"),
        (load(&keys.path("public.key"), None), "holds a public key"),
        (load(&keys.path("ec.key"), None), "holds an EC key"),
        (
            load(&keys.path("ec.traditional.key"), None),
            "holds an EC key",
        ),
        (
            load(&keys.path("server.pass.key"), None),
            "SF_JWT_KEY_PASSPHRASE to its passphrase",
        ),
        (
            load(&keys.path("server.pass.key"), Some("wrong")),
            "passphrase does not decrypt",
        ),
        (
            load(&keys.path("aes.pass.key"), Some("wrong")),
            "passphrase does not decrypt",
        ),
        (
            auth::load_private_key(&KeySource::Pem(Secret::new("hello".to_string())), None),
            "not a usable RSA private key",
        ),
    ];
    let empty = keys.path("empty.key");
    std::fs::write(&empty, "").expect("write");
    let empty_err = load(&empty, None).expect_err("empty file");
    assert!(empty_err.to_string().contains("is empty"), "{empty_err}");
    for (result, needle) in cases {
        let err = result.expect_err(needle);
        assert!(err.to_string().contains(needle), "{needle}: {err}");
        let top: snapman::error::Error = err.into();
        assert_eq!(top.exit_code(), snapman::error::EXIT_INPUT);
    }
}

#[test]
fn keygen_output_works_like_the_openssl_commands() {
    let dir = tempfile::tempdir().expect("tempdir");
    let generated = auth::generate(30, "snapman keygen test").expect("generate");
    auth::write_keys(dir.path(), &generated).expect("write keys");
    let key_path = dir.path().join("server.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_path)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let key_text = std::fs::read_to_string(&key_path).expect("read");
    assert!(key_text.starts_with(&format!("{DASHES}BEGIN PRIVATE KEY{DASHES}")));
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-text", "-in", "server.crt"])
        .current_dir(dir.path())
        .output()
        .expect("openssl x509");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("sha256WithRSAEncryption"), "{text}");
    assert!(
        text.contains("CN = snapman keygen test") || text.contains("CN=snapman keygen test"),
        "{text}"
    );
    let pubkey = Command::new("openssl")
        .args(["x509", "-noout", "-pubkey", "-in", "server.crt"])
        .current_dir(dir.path())
        .output()
        .expect("openssl x509 -pubkey");
    let public = std::fs::read_to_string(dir.path().join("public.key")).expect("read");
    assert_eq!(String::from_utf8_lossy(&pubkey.stdout), public);
    let key = load(&key_path, None).expect("keygen key loads");
    let jwt = auth::mint_assertion(&key, &claims(auth::SANDBOX_LOGIN_URL)).expect("mint");
    let claims = openssl_verify(jwt.expose(), &dir.path().join("public.key"));
    assert_eq!(claims["aud"], "https://test.salesforce.com");
    assert!(auth::next_steps(dir.path()).contains("sfcc_inventory_reservations_rw"));
    let again = auth::write_keys(dir.path(), &generated).expect_err("no overwrite");
    assert!(again.to_string().contains("server.key"), "{again}");
}

/// A running login emulator with one app, one pre-authorized user and one Account Manager client.
struct Emulator {
    base: String,
    state: LoginState,
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}

async fn emulator() -> Emulator {
    let keys = openssl_keys();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let state = LoginState::new(base.clone());
    state
        .register_app(AppRegistration {
            consumer_key: CLIENT_ID.to_string(),
            certificate_pem: Some(keys.read("server.crt")),
            client_secret: Some(CLIENT_SECRET.to_string()),
            run_as: Some(USERNAME.to_string()),
            ..AppRegistration::default()
        })
        .expect("register app");
    let mut user = UserRegistration::new(USERNAME);
    user.password = Some(USER_PASSWORD.to_string());
    user.authorized_apps = vec![CLIENT_ID.to_string()];
    state.register_user(user);
    let router = login_router(state.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Emulator { base, state }
}

fn config(login_url: &str) -> SfAuthConfig {
    SfAuthConfig {
        login_url: login_url.to_string(),
        client_id: CLIENT_ID.to_string(),
        username: USERNAME.to_string(),
        key: load(&openssl_keys().path("server.key"), None).expect("key"),
        exp_seconds: auth::DEFAULT_EXP_SECONDS,
    }
}

/// Exchanges `cfg` and expects a diagnosed error with exactly this code and description.
async fn expect_diagnosed(cfg: &SfAuthConfig, error: &str, description: &str, fix: &str) {
    let client = reqwest::Client::new();
    let err = auth::exchange_jwt(&client, cfg, 0)
        .await
        .expect_err("must fail");
    match &err {
        AuthError::Diagnosed {
            error: e,
            error_description: d,
            diagnosis,
        } => {
            assert_eq!((e.as_str(), d.as_str()), (error, description));
            assert!(diagnosis.contains(fix), "{diagnosis}");
        }
        other => panic!("expected a diagnosed error, got {other}"),
    }
    let top: snapman::error::Error = err.into();
    assert_eq!(top.exit_code(), snapman::error::EXIT_AUTH);
}

#[tokio::test]
async fn jwt_exchange_succeeds_and_the_token_is_valid() {
    let emu = emulator().await;
    let client = reqwest::Client::new();
    let token = auth::exchange_jwt(&client, &config(&emu.base), 0)
        .await
        .expect("token");
    assert_eq!(token.instance_url, emu.base);
    assert!(
        token.id.starts_with(&format!("{}/id/00D", emu.base)),
        "{}",
        token.id
    );
    assert!(token.org_id.starts_with("00D") && token.org_id.len() == 18);
    assert!(token.user_id.starts_with("005"));
    assert_eq!(token.token_type, "Bearer");
    let scope = token.scope.clone().expect("scope");
    assert_eq!(scope.split(' ').count(), 7, "{scope}");
    assert!(token.access_token.expose().starts_with(&token.org_id[..15]));
    assert_eq!(token.raw["access_token"], "[redacted]");
    let keys: Vec<&String> = token.raw.as_object().expect("object").keys().collect();
    assert_eq!(
        keys,
        ["access_token", "scope", "instance_url", "id", "token_type"]
    );
    let info = emu
        .state
        .validate_bearer(&format!("Bearer {}", token.access_token.expose()))
        .expect("valid");
    assert_eq!(info.username, USERNAME);
    assert_eq!(info.org_id, token.org_id);
    assert_eq!(info.client_id, CLIENT_ID);
    assert!(
        info.scopes
            .contains(&"sfcc_inventory_availability_rw".to_string())
    );
}

#[tokio::test]
async fn user_not_pre_authorized_is_diagnosed() {
    let emu = emulator().await;
    emu.state.register_user(UserRegistration::new(USERNAME));
    expect_diagnosed(
        &config(&emu.base),
        "invalid_grant",
        "user hasn't approved this consumer",
        "Permitted Users",
    )
    .await;
}

#[tokio::test]
async fn key_not_matching_the_certificate_is_invalid_assertion() {
    let emu = emulator().await;
    let keys = openssl_keys();
    emu.state
        .register_app(AppRegistration {
            consumer_key: CLIENT_ID.to_string(),
            certificate_pem: Some(keys.read("other.crt")),
            ..AppRegistration::default()
        })
        .expect("register");
    expect_diagnosed(
        &config(&emu.base),
        "invalid_grant",
        "invalid assertion",
        "Use digital signatures",
    )
    .await;
}

#[tokio::test]
async fn wrong_audience_is_diagnosed() {
    let emu = emulator().await;
    emu.state
        .set_audiences(vec!["https://test.salesforce.com".to_string()]);
    expect_diagnosed(
        &config(&emu.base),
        "invalid_grant",
        "audience is invalid",
        "--sf-login-url",
    )
    .await;
}

#[tokio::test]
async fn expired_assertion_is_diagnosed() {
    let emu = emulator().await;
    emu.state.set_exp_skew(std::time::Duration::ZERO);
    let mut cfg = config(&emu.base);
    cfg.exp_seconds = 0;
    expect_diagnosed(&cfg, "invalid_grant", "expired authorization code", "clock").await;
}

#[tokio::test]
async fn assertion_expired_long_ago_is_refused_by_default() {
    let emu = emulator().await;
    let cfg = config(&emu.base);
    let hour_ago = chrono::Utc::now().timestamp() as u64 - 3600;
    let jwt = auth::mint_assertion_at(&cfg.key, &cfg.claims(), hour_ago).expect("mint");
    let response = reqwest::Client::new()
        .post(cfg.token_url())
        .form(&[
            ("grant_type", auth::JWT_BEARER_GRANT),
            ("assertion", jwt.expose()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 400);
    let text = response.text().await.expect("body");
    assert_eq!(
        text,
        r#"{"error":"invalid_grant","error_description":"expired authorization code"}"#
    );
}

#[tokio::test]
async fn unknown_consumer_key_is_diagnosed() {
    let emu = emulator().await;
    let mut cfg = config(&emu.base);
    cfg.client_id = "3MVG9typo".to_string();
    expect_diagnosed(
        &cfg,
        "invalid_client_id",
        "client identifier invalid",
        "consumer key",
    )
    .await;
}

#[tokio::test]
async fn api_access_control_is_diagnosed() {
    let emu = emulator().await;
    emu.state.set_api_access_control(true);
    emu.state.register_user(UserRegistration::new(USERNAME));
    expect_diagnosed(
        &config(&emu.base),
        "invalid_app_access",
        "user is not admin approved to access this app",
        "profile or permission set",
    )
    .await;
}

#[tokio::test]
async fn body_that_is_not_form_encoded_is_unsupported_grant_type() {
    let emu = emulator().await;
    // A proxy that forwards the body as text/plain, as a misconfigured gateway would.
    let target = format!("{}/services/oauth2/token", emu.base);
    let proxy = Router::new().route(
        "/services/oauth2/token",
        post(move |body: Bytes| {
            let target = target.clone();
            async move {
                let r = reqwest::Client::new()
                    .post(target)
                    .header("content-type", "text/plain")
                    .body(body)
                    .send()
                    .await
                    .expect("forward");
                let status = StatusCode::from_u16(r.status().as_u16()).expect("status");
                (status, r.bytes().await.expect("body")).into_response()
            }
        }),
    );
    let proxy_base = serve(proxy).await;
    expect_diagnosed(
        &config(&proxy_base),
        "unsupported_grant_type",
        "grant type not supported",
        "form-encoded",
    )
    .await;
}

#[tokio::test]
async fn inactive_user_and_org_are_diagnosed() {
    let emu = emulator().await;
    let mut user = UserRegistration::new(USERNAME);
    user.authorized_apps = vec![CLIENT_ID.to_string()];
    user.active = false;
    emu.state.register_user(user.clone());
    expect_diagnosed(
        &config(&emu.base),
        "inactive_user",
        "inactive user",
        "reactivate",
    )
    .await;
    user.active = true;
    emu.state.register_user(user.clone());
    emu.state.deactivate_org(&user.org_id);
    expect_diagnosed(
        &config(&emu.base),
        "inactive_org",
        "inactive organization",
        "scratch org",
    )
    .await;
}

fn oauth_client(emu: &Emulator, path: &str, auth: ClientAuth, secret: &str) -> OAuth2Client {
    OAuth2Client {
        token_url: format!("{}{path}", emu.base),
        client_id: CLIENT_ID.to_string(),
        client_secret: Some(Secret::new(secret.to_string())),
        client_auth: auth,
        scope: None,
    }
}

#[tokio::test]
async fn password_and_client_credentials_grants() {
    let emu = emulator().await;
    let client = reqwest::Client::new();
    let pw = Secret::new(USER_PASSWORD.to_string());
    for mode in [ClientAuth::Header, ClientAuth::Body] {
        let oauth = oauth_client(&emu, "/services/oauth2/token", mode, CLIENT_SECRET);
        let token = auth::password_grant(&client, &oauth, USERNAME, &pw, 0)
            .await
            .expect("password grant");
        assert_eq!(token.instance_url.as_deref(), Some(emu.base.as_str()));
        assert_eq!(token.raw["signature"], "[redacted]");
        assert!(token.raw["issued_at"].is_string());
        let info = emu
            .state
            .validate_bearer(token.access_token.expose())
            .expect("valid");
        assert_eq!(info.username, USERNAME);
        let token = auth::client_credentials_grant(&client, &oauth, 0)
            .await
            .expect("client credentials");
        let info = emu
            .state
            .validate_bearer(token.access_token.expose())
            .expect("valid");
        assert_eq!(info.username, USERNAME);
    }
}

#[tokio::test]
async fn wrong_client_secret_and_password_are_diagnosed() {
    let emu = emulator().await;
    let client = reqwest::Client::new();
    let oauth = oauth_client(
        &emu,
        "/services/oauth2/token",
        ClientAuth::Body,
        "wrong-secret",
    );
    let err = auth::client_credentials_grant(&client, &oauth, 0)
        .await
        .expect_err("bad secret");
    assert!(
        matches!(&err, AuthError::Diagnosed { error, error_description, .. }
        if error == "invalid_client" && error_description == "invalid client credentials"),
        "{err}"
    );
    assert!(!err.to_string().contains("wrong-secret"));
    let oauth = oauth_client(
        &emu,
        "/services/oauth2/token",
        ClientAuth::Body,
        CLIENT_SECRET,
    );
    let bad = Secret::new("not-the-password".to_string());
    let err = auth::password_grant(&client, &oauth, USERNAME, &bad, 0)
        .await
        .expect_err("bad password");
    assert!(
        matches!(&err, AuthError::Diagnosed { error, error_description, .. }
        if error == "invalid_grant" && error_description == "authentication failure"),
        "{err}"
    );
}

#[tokio::test]
async fn account_manager_client_credentials_with_scopes() {
    let emu = emulator().await;
    let client = reqwest::Client::new();
    let mut oauth = oauth_client(
        &emu,
        "/dw/oauth2/access_token",
        ClientAuth::Header,
        CLIENT_SECRET,
    );
    oauth.scope = Some("SALESFORCE_COMMERCE_API:tenant_01 sfcc.inventory.availability".to_string());
    let token = auth::client_credentials_grant(&client, &oauth, 0)
        .await
        .expect("am token");
    assert_eq!(token.scope.as_deref(), oauth.scope.as_deref());
    assert!(token.expires_in.is_some());
    let info = emu
        .state
        .validate_bearer(token.access_token.expose())
        .expect("valid");
    assert_eq!(info.org_id, "tenant_01");
    assert_eq!(
        info.scopes,
        [
            "SALESFORCE_COMMERCE_API:tenant_01",
            "sfcc.inventory.availability"
        ]
    );
    oauth.scope = Some("sfcc.nope".to_string());
    let err = auth::client_credentials_grant(&client, &oauth, 0)
        .await
        .expect_err("bad scope");
    assert!(
        matches!(&err, AuthError::Diagnosed { error, .. } if error == "invalid_scope"),
        "{err}"
    );
    let bad = oauth_client(&emu, "/dw/oauth2/access_token", ClientAuth::Header, "nope");
    let err = auth::client_credentials_grant(&client, &bad, 0)
        .await
        .expect_err("bad secret");
    assert!(
        matches!(&err, AuthError::Diagnosed { error, .. } if error == "invalid_client"),
        "{err}"
    );
}

#[tokio::test]
async fn soap_partner_login() {
    let emu = emulator().await;
    let client = reqwest::Client::new();
    let envelope = |password: &str| {
        format!(
            r#"<?xml version="1.0" encoding="utf-8" ?><env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body><n1:login xmlns:n1="urn:partner.soap.sforce.com"><n1:username>{USERNAME}</n1:username><n1:password>{password}</n1:password></n1:login></env:Body></env:Envelope>"#
        )
    };
    let url = format!("{}/services/Soap/u/59.0", emu.base);
    let response = client
        .post(&url)
        .header("content-type", "text/xml")
        .header("SOAPAction", "login")
        .body(envelope(USER_PASSWORD))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 200);
    let xml = response.text().await.expect("body");
    let between = |tag: &str| {
        let open = format!("<{tag}>");
        let start = xml.find(&open).expect(tag) + open.len();
        xml[start..].split("</").next().expect(tag).to_string()
    };
    let session = between("sessionId");
    let info = emu.state.validate_bearer(&session).expect("session valid");
    assert_eq!(between("organizationId"), info.org_id);
    assert_eq!(between("userId"), info.user_id);
    assert_eq!(
        between("serverUrl"),
        format!("{}/services/Soap/u/59.0/{}", emu.base, info.org_id)
    );
    let response = client
        .post(&url)
        .body(envelope("wrong"))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 500);
    assert!(
        response
            .text()
            .await
            .expect("body")
            .contains("<faultcode>sf:INVALID_LOGIN</faultcode>")
    );
}

#[tokio::test]
async fn server_errors_are_retried_a_bounded_number_of_times() {
    let emu = emulator().await;
    let hits = Arc::new(AtomicU32::new(0));
    let target = format!("{}/services/oauth2/token", emu.base);
    let counter = hits.clone();
    let flaky = Router::new().route(
        "/services/oauth2/token",
        post(move |body: String| {
            let target = target.clone();
            let counter = counter.clone();
            async move {
                if counter.fetch_add(1, Ordering::SeqCst) < 2 {
                    return (StatusCode::SERVICE_UNAVAILABLE, String::new());
                }
                let r = reqwest::Client::new()
                    .post(target)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body)
                    .send()
                    .await
                    .expect("forward");
                (StatusCode::OK, r.text().await.expect("body"))
            }
        }),
    );
    let base = serve(flaky).await;
    emu.state.set_audiences(vec![base.clone()]);
    let client = reqwest::Client::new();
    let token = auth::exchange_jwt(&client, &config(&base), 2)
        .await
        .expect("third attempt succeeds");
    assert_eq!(hits.load(Ordering::SeqCst), 3);
    assert!(
        emu.state
            .validate_bearer(token.access_token.expose())
            .is_ok()
    );
    hits.store(0, Ordering::SeqCst);
    let err = auth::exchange_jwt(&client, &config(&base), 1)
        .await
        .expect_err("gives up");
    assert!(
        matches!(
            err,
            AuthError::Server5xx {
                status: 503,
                attempts: 2,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn refused_connections_are_retried_then_reported() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let err = auth::exchange_jwt(&reqwest::Client::new(), &config(&base), 2)
        .await
        .expect_err("refused");
    assert!(
        matches!(err, AuthError::Network { attempts: 3, .. }),
        "{err}"
    );
    let top: snapman::error::Error = err.into();
    assert_eq!(top.exit_code(), snapman::error::EXIT_AUTH);
}

#[tokio::test]
async fn no_secret_appears_in_debug_or_display() {
    let emu = emulator().await;
    let keys = openssl_keys();
    let cfg = config(&emu.base);
    let client = reqwest::Client::new();
    let token = auth::exchange_jwt(&client, &cfg, 0).await.expect("token");
    let jwt = auth::mint_assertion(&cfg.key, &cfg.claims()).expect("mint");
    let generated = auth::generate(1, "leak test").expect("generate");
    let oauth = oauth_client(
        &emu,
        "/services/oauth2/token",
        ClientAuth::Body,
        CLIENT_SECRET,
    );
    let pw = Secret::new(USER_PASSWORD.to_string());
    let pw_token = auth::password_grant(&client, &oauth, USERNAME, &pw, 0)
        .await
        .expect("pw");
    let key_err = load(&keys.path("server.pass.key"), Some("wrong")).expect_err("wrong pass");
    let mut wrong = cfg.clone();
    wrong.client_id = "nope".to_string();
    let auth_err = auth::exchange_jwt(&client, &wrong, 0)
        .await
        .expect_err("diagnosed");
    let source = KeySource::Pem(Secret::new(keys.read("server.key")));
    let printed = format!(
        "{cfg:?} {token:?} {jwt:?} {jwt} {generated:?} {oauth:?} {pw:?} {pw_token:?} {key_err:?} {key_err} {auth_err:?} {auth_err} {source:?} {:?} {}",
        token.raw, token.raw
    );
    let mut secrets: Vec<String> = vec![
        jwt.expose().clone(),
        token.access_token.expose().clone(),
        pw_token.access_token.expose().clone(),
        CLIENT_SECRET.to_string(),
        USER_PASSWORD.to_string(),
        PASS.to_string(),
    ];
    for pem in [
        keys.read("server.key"),
        keys.read("server.pkcs1.key"),
        generated.key_pem.expose().clone(),
    ] {
        secrets.extend(
            pem.lines()
                .filter(|l| !l.starts_with("-----"))
                .map(str::to_string),
        );
    }
    for secret in secrets {
        assert!(!printed.contains(&secret), "leaked a secret: {printed}");
    }
    assert!(printed.contains("[redacted]"));
}

#[tokio::test]
async fn login_rate_limit_is_diagnosed() {
    let emu = emulator().await;
    emu.state.set_login_limit(Some(1));
    let client = reqwest::Client::new();
    auth::exchange_jwt(&client, &config(&emu.base), 0)
        .await
        .expect("first login");
    expect_diagnosed(
        &config(&emu.base),
        "rate_limit_exceeded",
        "rate limit exceeded",
        "Wait",
    )
    .await;
}

#[tokio::test]
async fn get_on_the_token_endpoint_is_invalid_request() {
    let emu = emulator().await;
    let response = reqwest::Client::new()
        .get(format!("{}/services/oauth2/token", emu.base))
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), 400);
    let text = response.text().await.expect("body");
    let body: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(body["error"], "invalid_request");
    assert_eq!(body["error_description"], "must use HTTP POST");
    let diagnosis = auth::diagnose("invalid_request", "must use HTTP POST", &emu.base);
    assert!(diagnosis.contains("POST"), "{diagnosis}");
}
