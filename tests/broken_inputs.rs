//! Broken inputs given to the binary, one test each: the exit code, the file and position
//! named, and the message. Loader fixtures (tests/fixtures/broken/*) are also checked at the
//! library level in tests/load.rs; keys, variables and data that load but are wrong live in
//! subdirectories and are only reachable through the commands.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{collection, emulator, snapman, write_json};
use serde_json::json;

fn broken(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/broken")
        .join(rel)
}

fn stderr(out: &Output) -> String {
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!text.contains("panicked"), "{text}");
    text
}

/// A collection with one request to the emulator's echo.
fn plain_collection(dir: &Path) -> PathBuf {
    let c = collection(json!([{"name": "r", "request": {"method": "GET", "url": "{{base}}/get"}}]));
    write_json(dir, "c.json", &c)
}

/// Runs `snapman run` with the fixture in `flag` (none: it is the collection) and checks the
/// exit code, `file:position` and the phrases of the message.
fn run_fails(fixture: &str, flag: Option<&str>, position: Option<&str>, phrases: &[&str]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = broken(fixture);
    let mut cmd = snapman(dir.path());
    cmd.arg("run");
    match flag {
        None => cmd.arg(&path),
        Some(flag) => cmd.arg(plain_collection(dir.path())).arg(flag).arg(&path),
    };
    let out = cmd.output().expect("run");
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    let head = match position {
        Some(pos) => format!("error: {}:{pos}: ", path.display()),
        None => format!("error: {}: ", path.display()),
    };
    assert!(text.starts_with(&head), "expected {head:?}:\n{text}");
    for phrase in phrases {
        assert!(text.contains(phrase), "missing {phrase:?}:\n{text}");
    }
}

#[test]
fn elf_binary_as_data_file() {
    run_fails(
        "elf-binary.postman_data.csv",
        Some("-d"),
        None,
        &[
            "binary file, not text",
            "7f 45 4c 46",
            "expected a JSON or CSV file",
        ],
    );
}

#[test]
fn gzip_binary_as_collection() {
    run_fails(
        "gzip-binary.postman_collection.json",
        None,
        None,
        &["binary file, not text", "1f 8b 08 00"],
    );
}

#[test]
fn png_binary_as_environment() {
    run_fails(
        "png-binary.postman_environment.json",
        Some("-e"),
        None,
        &["binary file, not text", "89 50 4e 47"],
    );
}

#[test]
fn invalid_utf8_collection() {
    run_fails(
        "invalid-utf8.postman_collection.json",
        None,
        Some("4:18"),
        &["invalid UTF-8 (byte 0xe9); save the file as UTF-8"],
    );
}

#[test]
fn invalid_utf8_environment() {
    run_fails(
        "invalid-utf8.postman_environment.json",
        Some("-e"),
        Some("4:32"),
        &["invalid UTF-8 (byte 0xfc)"],
    );
}

#[test]
fn invalid_utf8_globals() {
    run_fails(
        "invalid-utf8.postman_globals.json",
        Some("-g"),
        Some("3:30"),
        &["invalid UTF-8 (byte 0x80)"],
    );
}

#[test]
fn latin1_csv_data() {
    run_fails(
        "latin1.postman_data.csv",
        Some("-d"),
        Some("2:6"),
        &["invalid UTF-8 (byte 0xfc)"],
    );
}

#[test]
fn unknown_auth_type_on_a_request() {
    run_fails(
        "unknown-auth-type.postman_collection.json",
        None,
        Some("5:24"),
        &[
            "unknown auth type `kerberos`",
            "item[0] \"r\" › request.auth.type",
        ],
    );
}

#[test]
fn unknown_auth_type_on_a_folder() {
    run_fails(
        "unknown-auth-folder.postman_collection.json",
        None,
        Some("6:24"),
        &[
            "unknown auth type `Bearer`",
            "item[0] \"Folder\" › auth.type",
        ],
    );
}

#[test]
fn auth_type_of_the_wrong_kind() {
    run_fails(
        "auth-type-number.postman_collection.json",
        None,
        Some("3:20"),
        &[
            "invalid type: integer `7`, expected a string",
            "at auth.type",
        ],
    );
}

/// Runs a request against the emulator with the data file and returns (code, stderr).
fn run_with_data(data: &str) -> (Option<i32>, String) {
    let emu = emulator();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = snapman(dir.path())
        .arg("run")
        .arg(plain_collection(dir.path()))
        .args(["--env-var", &format!("base={}", emu.base_url())])
        .arg("-d")
        .arg(broken(data))
        .output()
        .expect("run");
    (out.status.code(), stderr(&out))
}

#[test]
fn ragged_csv_row_longer_than_the_header() {
    let (code, text) = run_with_data("data/ragged-long.postman_data.csv");
    // Newman reads ragged rows too; snapman runs them and says where they are.
    assert_eq!(code, Some(0), "{text}");
    let head = format!(
        "warning: {}:3:1: row 2 has 3 cell(s) but the header has 2 column(s); the extra cells \
         are ignored",
        broken("data/ragged-long.postman_data.csv").display()
    );
    assert!(text.contains(&head), "{text}");
}

#[test]
fn ragged_csv_row_shorter_than_the_header() {
    let (code, text) = run_with_data("data/ragged-short.postman_data.csv");
    assert_eq!(code, Some(0), "{text}");
    let head = format!(
        "warning: {}:3:1: row 2 has 1 cell(s) but the header has 3 column(s); the missing \
         columns are left undefined",
        broken("data/ragged-short.postman_data.csv").display()
    );
    assert!(text.contains(&head), "{text}");
}

#[test]
fn cyclic_collection_variables() {
    let emu = emulator();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = broken("variables/cyclic.postman_collection.json");
    let out = snapman(dir.path())
        .arg("run")
        .arg(&path)
        .args(["--env-var", &format!("base={}", emu.base_url())])
        .output()
        .expect("run");
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let head = format!(
        "warning: {}:5:6: variable `path` refers to itself (path → route → path)",
        path.display()
    );
    assert!(text.contains(&head), "{text}");
    assert_eq!(text.matches("refers to itself").count(), 1, "{text}");
}

#[test]
fn self_referencing_environment_variable() {
    let emu = emulator();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = broken("variables/self-reference.postman_environment.json");
    let out = snapman(dir.path())
        .arg("run")
        .arg(plain_collection(dir.path()))
        .args(["--env-var", &format!("base={}", emu.base_url())])
        .arg("-e")
        .arg(&path)
        .output()
        .expect("run");
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let head = format!(
        "warning: {}:4:6: variable `token` refers to itself (token → token)",
        path.display()
    );
    assert!(text.contains(&head), "{text}");
}

/// `snapman token` with `key` as the key (and `env` set), expected to fail with exit 2 naming
/// the key file and the phrase.
fn key_fails(key: &Path, env: &[(&str, &str)], phrase: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = snapman(dir.path());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .args(["token", "--sf-login-url", "http://127.0.0.1:9"])
        .args([
            "--sf-client-id",
            "client",
            "--sf-username",
            "user@example.com",
        ])
        .arg("--sf-key")
        .arg(key)
        .output()
        .expect("token");
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains(&key.display().to_string()),
        "names the file: {text}"
    );
    assert!(text.contains(phrase), "missing {phrase:?}: {text}");
}

#[test]
fn key_is_a_certificate() {
    key_fails(
        &broken("keys/certificate.crt"),
        &[],
        "holds a certificate, not a private key",
    );
}

#[test]
fn key_is_a_der_certificate() {
    key_fails(
        &broken("keys/certificate.der"),
        &[],
        "binary (DER) data, not PEM text",
    );
}

#[test]
fn key_is_a_public_key() {
    key_fails(
        &broken("keys/public.key"),
        &[],
        "holds a public key, not a private key",
    );
}

#[test]
fn key_is_a_pkcs1_public_key() {
    key_fails(
        &broken("keys/rsa-public.pem"),
        &[],
        "holds a public key, not a private key",
    );
}

#[test]
fn key_is_empty() {
    key_fails(&broken("keys/empty.key"), &[], "is empty");
}

#[test]
fn key_is_not_pem() {
    key_fails(&broken("keys/garbage.key"), &[], "no PEM block found");
}

#[test]
fn key_is_truncated() {
    key_fails(&broken("keys/truncated.key"), &[], "invalid PKCS#1 key");
}

#[test]
fn key_is_openssh() {
    key_fails(&broken("keys/openssh.key"), &[], "an OpenSSH key, not PEM");
}

/// A fresh RSA key written by `snapman keygen` into `dir`, as PKCS#8 PEM.
fn fresh_key(dir: &Path) -> String {
    let out = snapman(dir)
        .args(["keygen", "--out", "keys"])
        .output()
        .expect("keygen");
    assert_eq!(out.status.code(), Some(0));
    std::fs::read_to_string(dir.join("keys/server.key")).expect("key")
}

/// A fresh key encrypted as PKCS#8 (PBKDF2-SHA256 with few rounds, so that debug builds
/// decrypt it quickly) with `passphrase`, written to `dir/encrypted.key`.
fn encrypted_key(dir: &Path, passphrase: &str) -> PathBuf {
    use pkcs8::der::pem::LineEnding;
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
    let pem = fresh_key(dir);
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(&pem)
        .or_else(|_| rsa::RsaPrivateKey::from_pkcs1_pem(&pem))
        .expect("parse");
    let der = key.to_pkcs8_der().expect("der");
    let info = pkcs8::PrivateKeyInfo::try_from(der.as_bytes()).expect("info");
    let params = pkcs8::pkcs5::pbes2::Parameters::pbkdf2_sha256_aes256cbc(1000, &[7; 16], &[9; 16])
        .expect("params");
    let encrypted = info
        .encrypt_with_params(params, passphrase)
        .expect("encrypt")
        .to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
        .expect("pem");
    let path = dir.join("encrypted.key");
    std::fs::write(&path, encrypted.as_bytes()).expect("write");
    path
}

#[test]
fn encrypted_key_without_a_passphrase() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = encrypted_key(dir.path(), "right horse battery");
    key_fails(&key, &[], "is encrypted; set SF_JWT_KEY_PASSPHRASE");
}

#[test]
fn encrypted_key_with_a_wrong_passphrase() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = encrypted_key(dir.path(), "right horse battery");
    key_fails(
        &key,
        &[("SF_JWT_KEY_PASSPHRASE", "wrong staple")],
        "the passphrase does not decrypt",
    );
}

#[test]
fn key_is_an_ec_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("ec key");
    let path = dir.path().join("ec.key");
    std::fs::write(&path, pair.serialize_pem()).expect("write");
    key_fails(&path, &[], "holds an EC key");
}

#[test]
fn login_url_that_is_not_a_url_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    fresh_key(dir.path());
    for (url, why) in [
        ("not a url", "relative URL without a base"),
        ("ftp://login.example.com", "the scheme is ftp"),
    ] {
        let out = snapman(dir.path())
            .args(["token", "--sf-login-url", url])
            .args([
                "--sf-client-id",
                "client",
                "--sf-username",
                "user@example.com",
            ])
            .args(["--sf-key", "keys/server.key"])
            .output()
            .expect("token");
        let text = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{url}: {text}");
        assert!(
            text.contains(&format!("`{url}` is not a usable URL: {why}")),
            "{text}"
        );
    }
}
