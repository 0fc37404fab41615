//! Generating the key pair and self-signed certificate that replace the setup guide's five
//! openssl commands: `server.key` (PKCS#8), `server.crt` (X.509, SHA-256) and `public.key`.

use std::fs::OpenOptions;
use std::io::Write;
#[cfg(unix)]
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use chrono::{Datelike, Duration, Utc};
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, PKCS_RSA_SHA256};
use rsa::RsaPrivateKey;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use rsa::rand_core::OsRng;

use super::error::AuthError;
use super::key::PrivateKey;
use crate::error::Error;
use crate::secret::Secret;

/// RSA modulus size, as in the setup guide (`genpkey ... 2048`).
const KEY_BITS: usize = 2048;

/// The Salesforce-org names of the seven OCI scopes to add to the connected app.
const OCI_SCOPES: [&str; 7] = [
    "sfcc_inventory_impex_graphs",
    "sfcc_inventory_impex_inventory_rw",
    "sfcc_inventory_impex_inventory",
    "sfcc_inventory_availability",
    "sfcc_inventory_availability_rw",
    "sfcc_inventory_reservations",
    "sfcc_inventory_reservations_rw",
];

/// A freshly generated key pair and certificate.
#[derive(Clone, Debug)]
pub struct GeneratedKeys {
    /// The private key as unencrypted PKCS#8 PEM.
    pub key_pem: Secret<String>,
    /// The self-signed certificate to upload to the connected app.
    pub cert_pem: String,
    /// The public key as SPKI PEM.
    pub public_pem: String,
}

/// Generates a 2048-bit RSA key and a self-signed SHA-256 certificate valid for `days` days.
pub fn generate(days: u32, common_name: &str) -> Result<GeneratedKeys, AuthError> {
    let fail = |e: &dyn std::fmt::Display| AuthError::KeyGen(e.to_string());
    let rsa_key = RsaPrivateKey::new(&mut OsRng, KEY_BITS).map_err(|e| fail(&e))?;
    let key_pem = rsa_key.to_pkcs8_pem(LineEnding::LF).map_err(|e| fail(&e))?;
    let key_pem = Secret::new(key_pem.to_string());
    let key = PrivateKey::from_rsa(rsa_key);
    let public_pem = key.public_key_pem().map_err(|e| fail(&e))?;
    let key_pair = KeyPair::from_pem_and_sign_algo(key_pem.expose(), &PKCS_RSA_SHA256)
        .map_err(|e| fail(&e))?;
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    params.distinguished_name = name;
    let today = Utc::now().date_naive();
    let end = today + Duration::days(i64::from(days));
    let (y, m, d) = ymd(today)?;
    params.not_before = rcgen::date_time_ymd(y, m, d);
    let (y, m, d) = ymd(end)?;
    params.not_after = rcgen::date_time_ymd(y, m, d);
    let cert = params.self_signed(&key_pair).map_err(|e| fail(&e))?;
    Ok(GeneratedKeys {
        key_pem,
        cert_pem: cert.pem(),
        public_pem,
    })
}

/// Year, month and day, in the integer types rcgen takes.
fn ymd(day: chrono::NaiveDate) -> Result<(i32, u8, u8), AuthError> {
    let month = u8::try_from(day.month()).map_err(|e| AuthError::KeyGen(e.to_string()))?;
    let dom = u8::try_from(day.day()).map_err(|e| AuthError::KeyGen(e.to_string()))?;
    Ok((day.year(), month, dom))
}

/// Writes `server.key` (mode 0600), `server.crt` and `public.key` into `dir`, refusing to
/// overwrite existing files.
pub fn write_keys(dir: &Path, keys: &GeneratedKeys) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    write_new(&dir.join("server.key"), keys.key_pem.expose(), true)?;
    write_new(&dir.join("server.crt"), &keys.cert_pem, false)?;
    write_new(&dir.join("public.key"), &keys.public_pem, false)
}

/// Creates `path` (which must not exist) with `text`; `private` makes it owner-only.
fn write_new(path: &Path, text: &str, private: bool) -> Result<(), Error> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(if private { 0o600 } else { 0o644 });
    #[cfg(not(unix))]
    let _ = private;
    let wrap = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut file = options.open(path).map_err(wrap)?;
    file.write_all(text.as_bytes()).map_err(wrap)
}

/// What to do after `snapman keygen`: upload the certificate and add the OCI scopes.
pub fn next_steps(dir: &Path) -> String {
    let cert = dir.join("server.crt");
    let key = dir.join("server.key");
    format!(
        "next: in Setup > App Manager, edit the connected app, enable \"Use digital signatures\" \
         and upload {}.\nadd the OAuth scopes api, refresh_token offline_access and the seven OCI \
         scopes:\n  {}\nthen set Permitted Users to \"Admin approved users are pre-authorized\" and \
         add the user's profile or permission set.\nrun with --sf-key {} (or SF_JWT_KEY_FILE).",
        cert.display(),
        OCI_SCOPES.join("\n  "),
        key.display()
    )
}
