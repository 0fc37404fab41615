//! The whole emulator in one call: echo, login and OCI on one TLS-capable port, with an
//! ephemeral key pair, a connected app and a pre-authorized user already registered.
//!
//! This is what `--emulator` and `snapman emulator` start. The caller routes
//! [`FullEmulator::routes`] to the port and trusts [`FullEmulator::ca_pem`]; a collection written
//! for a real org then runs unchanged.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, PKCS_RSA_SHA256};
use rsa::RsaPrivateKey;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use rsa::rand_core::OsRng;

use super::login::{
    AppRegistration, LoginState, RegisterError, UserRegistration, login_router, stable_id,
};
use super::oci::{OciOptions, OciState, load_seed, oci_router};
use super::server::{EmulatorConfig, EmulatorHandle, start_background_with};

/// Hosts `--emulator` sends to the emulator (exact names and `*.suffix` wildcards).
pub const ROUTED_HOSTS: [&str; 6] = [
    "login.salesforce.com",
    "test.salesforce.com",
    "*.my.salesforce.com",
    "*.api.commercecloud.salesforce.com",
    "account.demandware.com",
    "postman-echo.com",
];

/// The login URL of the default org.
pub const LOGIN_URL: &str = "https://login.salesforce.com";
/// The default org's My Domain, its `instance_url`.
pub const INSTANCE_URL: &str = "https://snapman-emulator.my.salesforce.com";
/// The connected app's consumer key.
pub const CLIENT_ID: &str = "3MVG9snapmanEmulatorConnectedAppConsumerKey";
/// The pre-authorized user.
pub const USERNAME: &str = "admin@snapman-emulator.example";
/// The OCI short code of the default org (any short code reaches the emulator).
pub const SHORT_CODE: &str = "kv7kzm78";
/// The OCI tenant (organization id) of the default org.
pub const ORGANIZATION_ID: &str = "f_ecom_zzte_053";

/// The org id of the emulator started with `seed` (stable across runs).
pub fn org_id_for_seed(seed: u64) -> String {
    stable_id("00D", &format!("snapman-emulator/{seed}"))
}

/// The org id of the standalone emulator and of `--emulator` with the default seed.
pub fn emulator_org_id() -> String {
    org_id_for_seed(0)
}

/// RSA modulus size of the ephemeral key (what `snapman keygen` makes).
const KEY_BITS: usize = 2048;

/// How to start the full emulator.
#[derive(Debug, Clone)]
pub struct FullOptions {
    /// Address to listen on; "127.0.0.1:0" picks an ephemeral port.
    pub addr: String,
    /// Seed file (see docs/emulator-data.md); `None` uses the default dataset.
    pub data: Option<PathBuf>,
    /// Lifetime of issued access tokens; `None` keeps Salesforce's two hours.
    pub token_lifetime: Option<Duration>,
    /// Lifetime of Account Manager tokens; `None` keeps its thirty minutes (`expires_in` 1799).
    pub am_token_lifetime: Option<Duration>,
    /// Realism switches of the OCI emulator (its `data` is replaced by [`Self::data`]).
    pub chaos: OciOptions,
    /// Register client ids, secrets, usernames and passwords on first use.
    pub auto_register: bool,
}

impl Default for FullOptions {
    fn default() -> Self {
        FullOptions {
            addr: "127.0.0.1:0".to_owned(),
            data: None,
            token_lifetime: None,
            am_token_lifetime: None,
            chaos: OciOptions::default(),
            auto_register: true,
        }
    }
}

/// A running full emulator and what a client needs to use it; dropping it stops the server.
pub struct FullEmulator {
    /// The server (plain HTTP and TLS on one port).
    pub handle: EmulatorHandle,
    /// The login emulator (register more apps and users, change scopes).
    pub login: LoginState,
    /// The OCI emulator (advance its clock).
    pub oci: OciState,
    /// The ephemeral private key (unencrypted PKCS#8 PEM); wrap it in a secret.
    pub key_pem: String,
    /// The certificate registered with the connected app (PEM).
    pub cert_pem: String,
    /// The connected app's consumer key.
    pub client_id: String,
    /// The pre-authorized user.
    pub username: String,
    /// The user's org id (18 characters).
    pub org_id: String,
    /// The user's id (18 characters).
    pub user_id: String,
    /// The login URL (`aud`).
    pub login_url: String,
    /// The org's instance URL.
    pub instance_url: String,
    /// The OCI short code.
    pub short_code: String,
    /// The OCI tenant id.
    pub organization_id: String,
    /// Host patterns and the address to send them to.
    pub routes: Vec<(String, SocketAddr)>,
    /// The run-local CA to trust (PEM).
    pub ca_pem: String,
}

impl std::fmt::Debug for FullEmulator {
    /// Leaves the private key out.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FullEmulator")
            .field("handle", &self.handle)
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .field("organization_id", &self.organization_id)
            .finish_non_exhaustive()
    }
}

/// Starts echo, login and OCI on one sniffing TLS-capable port in the background and registers
/// an ephemeral key, a connected app and a pre-authorized user in a default org.
pub fn start_full(opts: FullOptions) -> std::io::Result<FullEmulator> {
    let data = match &opts.data {
        Some(path) => Some(load_seed(path).map_err(std::io::Error::other)?),
        None => None,
    };
    let login = LoginState::new(INSTANCE_URL.to_owned());
    if let Some(lifetime) = opts.token_lifetime {
        login.set_token_lifetime(lifetime);
    }
    if let Some(lifetime) = opts.am_token_lifetime {
        login.set_am_token_lifetime(lifetime);
    }
    login.set_auto_register(opts.auto_register);
    // The org and its users are not random in a real org: derived from the seed, they stay
    // the same from run to run (snapshots of a token response pass twice).
    let org_id = org_id_for_seed(opts.chaos.seed);
    login.set_default_org(&org_id);
    let (key_pem, cert_pem) = ephemeral_key()?;
    login
        .register_app(AppRegistration {
            consumer_key: CLIENT_ID.to_owned(),
            certificate_pem: Some(cert_pem.clone()),
            ..AppRegistration::default()
        })
        .map_err(std::io::Error::other)?;
    let mut user = UserRegistration::in_org(USERNAME, &org_id);
    user.authorized_apps.push(CLIENT_ID.to_owned());
    let user_id = user.user_id.clone();
    login.register_user(user);
    let oci = OciState::new(Arc::new(login.clone()), OciOptions { data, ..opts.chaos });
    let routes = login_router(login.clone()).merge(oci_router(oci.clone()));
    let handle = start_background_with(EmulatorConfig {
        addr: opts.addr,
        extra: Some(routes),
        tls: true,
    })?;
    let ca_pem = handle.ca_pem().unwrap_or_default().to_owned();
    let routes = ROUTED_HOSTS
        .iter()
        .map(|host| ((*host).to_owned(), handle.addr()))
        .collect();
    Ok(FullEmulator {
        handle,
        login,
        oci,
        key_pem,
        cert_pem,
        client_id: CLIENT_ID.to_owned(),
        username: USERNAME.to_owned(),
        org_id,
        user_id,
        login_url: LOGIN_URL.to_owned(),
        instance_url: INSTANCE_URL.to_owned(),
        short_code: SHORT_CODE.to_owned(),
        organization_id: ORGANIZATION_ID.to_owned(),
        routes,
        ca_pem,
    })
}

impl FullEmulator {
    /// What registers further identities with this emulator.
    pub fn registrar(&self) -> Registrar {
        Registrar {
            login: self.login.clone(),
            org_id: self.org_id.clone(),
        }
    }
}

/// Registers a connected app, its certificate (or public key) and a pre-authorized user in
/// the emulator's org: how `--emulator` accepts the user's own `SF_CLIENT_ID`, `SF_USERNAME`
/// and key as it accepts its ephemeral ones.
#[derive(Debug, Clone)]
pub struct Registrar {
    login: LoginState,
    org_id: String,
}

impl Registrar {
    /// A registrar from its parts.
    pub(super) fn from_parts(login: LoginState, org_id: String) -> Self {
        Registrar { login, org_id }
    }

    /// Registers `client_id` with `public_key_pem` (PEM certificate or SPKI public key) and
    /// `username` pre-authorized for it; an existing user keeps its ids and gains the app.
    /// The emulator's own app is left as it is: a key it does not know still fails, as it
    /// would against a real org.
    pub fn register(
        &self,
        client_id: &str,
        username: &str,
        public_key_pem: &str,
    ) -> Result<(), RegisterError> {
        if client_id == CLIENT_ID {
            return Ok(());
        }
        self.login.register_app(AppRegistration {
            consumer_key: client_id.to_owned(),
            certificate_pem: Some(public_key_pem.to_owned()),
            ..AppRegistration::default()
        })?;
        let mut user = self
            .login
            .user(username)
            .unwrap_or_else(|| UserRegistration::in_org(username, &self.org_id));
        if !user.authorized_apps.iter().any(|app| app == client_id) {
            user.authorized_apps.push(client_id.to_owned());
        }
        self.login.register_user(user);
        Ok(())
    }
}

/// A fresh RSA key (PKCS#8 PEM) and a self-signed certificate for it, as a connected app has.
fn ephemeral_key() -> std::io::Result<(String, String)> {
    let rsa_key = RsaPrivateKey::new(&mut OsRng, KEY_BITS).map_err(std::io::Error::other)?;
    let key_pem = rsa_key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(std::io::Error::other)?
        .to_string();
    let key_pair = KeyPair::from_pem_and_sign_algo(&key_pem, &PKCS_RSA_SHA256)
        .map_err(std::io::Error::other)?;
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "snapman emulator connected app");
    params.distinguished_name = name;
    let cert = params
        .self_signed(&key_pair)
        .map_err(std::io::Error::other)?;
    Ok((key_pem, cert.pem()))
}
