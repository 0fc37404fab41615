//! Loading RSA private keys in every form users have: PKCS#1, PKCS#8 and encrypted PKCS#8.
//!
//! Accepted PEM labels:
//!
//! ```text
//! BEGIN RSA PRIVATE KEY         PKCS#1 (OpenSSL 1.x `openssl rsa`, `-traditional`)
//! BEGIN PRIVATE KEY             PKCS#8 (OpenSSL 3 `openssl rsa`, `snapman keygen`)
//! BEGIN ENCRYPTED PRIVATE KEY   PKCS#8 + PBES2 (`openssl genpkey -des3` / `-aes256`)
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use pkcs8::der::Decode;
use pkcs8::{EncryptedPrivateKeyInfo, ObjectIdentifier, PrivateKeyInfo};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey, LineEnding};
use rsa::{RsaPrivateKey, RsaPublicKey};

use crate::error::Error;
use crate::secret::Secret;

/// OID of `rsaEncryption`.
const RSA_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// OID of `id-ecPublicKey`.
const EC_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// OID of `id-Ed25519`.
const ED25519_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// Where a private key comes from.
#[derive(Clone, Debug)]
pub enum KeySource {
    /// A PEM file (`--sf-key FILE`, `SF_JWT_KEY_FILE`).
    File(PathBuf),
    /// The PEM text itself (`SF_JWT_KEY`, how CI secrets arrive).
    Pem(Secret<String>),
    /// PEM text from a Postman auth block (`jwt`, `asap`, `oauth1`'s `privateKey`).
    AuthBlock(Secret<String>),
}

impl KeySource {
    /// How error messages name this source.
    fn describe(&self) -> String {
        match self {
            KeySource::File(path) => path.display().to_string(),
            KeySource::Pem(_) => "the key text (SF_JWT_KEY)".to_string(),
            KeySource::AuthBlock(_) => "the auth block's private key".to_string(),
        }
    }
}

/// An RSA private key; never printed.
#[derive(Clone, Debug)]
pub struct PrivateKey {
    inner: Secret<RsaPrivateKey>,
}

impl PrivateKey {
    /// Wraps an RSA key (used by key generation).
    pub fn from_rsa(key: RsaPrivateKey) -> Self {
        PrivateKey {
            inner: Secret::new(key),
        }
    }

    /// The key itself, for signing inside the crate.
    pub(crate) fn rsa(&self) -> &RsaPrivateKey {
        self.inner.expose()
    }

    /// The public half.
    pub fn public_key(&self) -> RsaPublicKey {
        self.inner.expose().to_public_key()
    }

    /// The public half as SPKI PEM (`BEGIN PUBLIC KEY`, what `openssl rsa -pubout` writes).
    pub fn public_key_pem(&self) -> Result<String, KeyError> {
        self.public_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| KeyError::Malformed {
                origin: "the public key".to_string(),
                reason: e.to_string(),
            })
    }
}

/// Why a private key could not be loaded; every message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key file does not exist.
    #[error("private key file {} not found; check --sf-key or SF_JWT_KEY_FILE", .0.display())]
    NotFound(PathBuf),
    /// The key file exists but cannot be read.
    #[error("failed to read private key file {}: {source}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file or text is empty.
    #[error("private key {0} is empty; it must hold the PEM text of an RSA private key")]
    Empty(String),
    /// A certificate (or certificate request) was given where the private key belongs.
    #[error(
        "{0} holds a certificate, not a private key; pass the private key (server.key) here and upload the certificate (server.crt) to the connected app"
    )]
    IsCertificate(String),
    /// A public key was given where the private key belongs.
    #[error(
        "{0} holds a public key, not a private key; pass the private key (server.key) that the certificate was made from"
    )]
    IsPublicKey(String),
    /// The key is not RSA (EC, Ed25519...).
    #[error(
        "{origin} holds {kind} key, but Salesforce's JWT bearer flow needs an RSA key (RS256); create one with `snapman keygen`"
    )]
    NotRsa {
        /// The source.
        origin: String,
        /// What kind of key it is, with its article ("an EC").
        kind: String,
    },
    /// The key is encrypted and no passphrase was given.
    #[error("{0} is encrypted; set SF_JWT_KEY_PASSPHRASE to its passphrase")]
    NeedsPassphrase(String),
    /// The passphrase does not decrypt the key.
    #[error("the passphrase does not decrypt {0}; check SF_JWT_KEY_PASSPHRASE")]
    WrongPassphrase(String),
    /// Legacy OpenSSL PEM encryption (`Proc-Type: 4,ENCRYPTED`), which is not supported.
    #[error(
        "{0} uses legacy PEM encryption (Proc-Type: 4,ENCRYPTED); convert it with `openssl pkcs8 -topk8 -in OLD.key -out server.pass.key` and pass the new file"
    )]
    LegacyEncryption(String),
    /// Anything else that is not a usable RSA private key.
    #[error(
        "{origin} is not a usable RSA private key ({reason}); expected PEM starting with BEGIN RSA PRIVATE KEY, BEGIN PRIVATE KEY or BEGIN ENCRYPTED PRIVATE KEY"
    )]
    Malformed {
        /// The source.
        origin: String,
        /// What is wrong, without any key material.
        reason: String,
    },
}

impl From<KeyError> for Error {
    fn from(e: KeyError) -> Self {
        Error::Input(e.to_string())
    }
}

/// Loads an RSA private key from a file or PEM text, decrypting it with `passphrase` if needed.
pub fn load_private_key(
    src: &KeySource,
    passphrase: Option<&Secret<String>>,
) -> Result<PrivateKey, KeyError> {
    let origin = src.describe();
    let text = match src {
        KeySource::File(path) => Secret::new(read_file(path)?),
        KeySource::Pem(pem) | KeySource::AuthBlock(pem) => pem.clone(),
    };
    parse_private_key(text.expose(), passphrase, &origin)
}

/// Reads a key file, turning "missing" into its own error.
fn read_file(path: &Path) -> Result<String, KeyError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(KeyError::NotFound(path.to_path_buf()))
        }
        Err(source) => Err(KeyError::Unreadable {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// One PEM block: its label, headers (if any) and decoded body.
struct PemBlock {
    label: String,
    encrypted_headers: bool,
    der: Secret<Vec<u8>>,
}

impl fmt::Debug for PemBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PemBlock({})", self.label)
    }
}

/// Parses PEM text (possibly with several blocks) into an RSA private key.
fn parse_private_key(
    text: &str,
    passphrase: Option<&Secret<String>>,
    origin: &str,
) -> Result<PrivateKey, KeyError> {
    // CI secret stores sometimes hand over the PEM with literal `\n` escapes.
    let unescaped;
    let text = if !text.contains('\n') && text.contains("\\n") {
        unescaped = Secret::new(text.replace("\\n", "\n"));
        unescaped.expose().as_str()
    } else {
        text
    };
    if text.trim().is_empty() {
        return Err(KeyError::Empty(origin.to_string()));
    }
    let malformed = |reason: &str| KeyError::Malformed {
        origin: origin.to_string(),
        reason: reason.to_string(),
    };
    let blocks = pem_blocks(text).map_err(|r| malformed(&r))?;
    let key_block = blocks.iter().find(|b| b.label.ends_with("PRIVATE KEY"));
    let Some(block) = key_block else {
        return Err(match blocks.first().map(|b| b.label.as_str()) {
            None if text.contains(['\0', '\u{fffd}']) => malformed(
                "binary (DER) data, not PEM text; convert a DER private key with `openssl pkey \
                 -inform DER -in FILE -out server.key`",
            ),
            None => malformed("no PEM block found"),
            Some(l) if l.contains("CERTIFICATE") => KeyError::IsCertificate(origin.to_string()),
            Some(l) if l.ends_with("PUBLIC KEY") => KeyError::IsPublicKey(origin.to_string()),
            Some(l) => malformed(&format!("found a PEM block labelled {l}")),
        });
    };
    let der = block.der.expose();
    let key = match block.label.as_str() {
        "RSA PRIVATE KEY" if block.encrypted_headers => {
            return Err(KeyError::LegacyEncryption(origin.to_string()));
        }
        "RSA PRIVATE KEY" => RsaPrivateKey::from_pkcs1_der(der)
            .map_err(|e| malformed(&format!("invalid PKCS#1 key: {e}")))?,
        "PRIVATE KEY" => pkcs8_key(der, origin)?,
        "ENCRYPTED PRIVATE KEY" => {
            let Some(pass) = passphrase else {
                return Err(KeyError::NeedsPassphrase(origin.to_string()));
            };
            let info = EncryptedPrivateKeyInfo::from_der(der)
                .map_err(|e| malformed(&format!("invalid encrypted PKCS#8: {e}")))?;
            let plain = match info.decrypt(pass.expose().as_bytes()) {
                Ok(doc) => doc,
                Err(pkcs8::Error::EncryptedPrivateKey(
                    pkcs8::pkcs5::Error::UnsupportedAlgorithm { oid },
                )) => {
                    return Err(malformed(&format!(
                        "unsupported encryption algorithm {oid}"
                    )));
                }
                Err(_) => return Err(KeyError::WrongPassphrase(origin.to_string())),
            };
            // A wrong passphrase can pass the padding check by chance and yield garbage.
            pkcs8_key(plain.as_bytes(), origin).map_err(|e| match e {
                KeyError::Malformed { .. } => KeyError::WrongPassphrase(origin.to_string()),
                other => other,
            })?
        }
        "EC PRIVATE KEY" => {
            return Err(KeyError::NotRsa {
                origin: origin.to_string(),
                kind: "an EC".to_string(),
            });
        }
        "OPENSSH PRIVATE KEY" => return Err(malformed("an OpenSSH key, not PEM")),
        other => return Err(malformed(&format!("found a PEM block labelled {other}"))),
    };
    Ok(PrivateKey::from_rsa(key))
}

/// Decodes an unencrypted PKCS#8 document, checking that it holds an RSA key.
fn pkcs8_key(der: &[u8], origin: &str) -> Result<RsaPrivateKey, KeyError> {
    let malformed = |reason: String| KeyError::Malformed {
        origin: origin.to_string(),
        reason,
    };
    let info =
        PrivateKeyInfo::from_der(der).map_err(|e| malformed(format!("invalid PKCS#8: {e}")))?;
    let oid = info.algorithm.oid;
    if oid != RSA_OID {
        let kind = if oid == EC_OID {
            "an EC".to_string()
        } else if oid == ED25519_OID {
            "an Ed25519".to_string()
        } else {
            format!("a non-RSA ({oid})")
        };
        return Err(KeyError::NotRsa {
            origin: origin.to_string(),
            kind,
        });
    }
    RsaPrivateKey::from_pkcs8_der(der).map_err(|e| malformed(format!("invalid RSA key: {e}")))
}

/// Splits PEM text into blocks, decoding bodies leniently (any line width, CRLF, blank lines).
fn pem_blocks(text: &str) -> Result<Vec<PemBlock>, String> {
    let mut blocks = Vec::new();
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        else {
            continue;
        };
        let end = format!("-----END {label}-----");
        let mut body = String::new();
        let mut encrypted_headers = false;
        let mut closed = false;
        for inner in lines.by_ref() {
            if inner == end {
                closed = true;
                break;
            }
            if let Some((name, value)) = inner.split_once(':') {
                if name == "Proc-Type" && value.contains("ENCRYPTED") {
                    encrypted_headers = true;
                }
                continue;
            }
            body.push_str(inner);
        }
        if !closed {
            return Err(format!("missing END line for {label}"));
        }
        let der = STANDARD
            .decode(&body)
            .map_err(|_| format!("{label} block is not valid base64"))?;
        blocks.push(PemBlock {
            label: label.to_string(),
            encrypted_headers,
            der: Secret::new(der),
        });
    }
    Ok(blocks)
}

#[cfg(test)]
mod tests {
    /// PEM armour dashes, kept apart so no key-shaped literal sits in the source.
    const DASHES: &str = "-----";
    use super::*;

    fn origin() -> &'static str {
        "test.key"
    }

    #[test]
    fn empty_text_is_empty() {
        let err = parse_private_key("  \n", None, origin()).unwrap_err();
        assert!(matches!(err, KeyError::Empty(_)), "{err}");
        assert!(err.to_string().contains("is empty"));
    }

    #[test]
    fn certificate_and_public_key_are_named() {
        let cert = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let err = parse_private_key(cert, None, origin()).unwrap_err();
        assert!(matches!(err, KeyError::IsCertificate(_)), "{err}");
        let public = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
        let err = parse_private_key(public, None, origin()).unwrap_err();
        assert!(matches!(err, KeyError::IsPublicKey(_)), "{err}");
    }

    #[test]
    fn garbage_is_malformed_without_echoing_it() {
        let err = parse_private_key("not a key SECRETBYTES", None, origin()).unwrap_err();
        assert!(matches!(err, KeyError::Malformed { .. }), "{err}");
        assert!(!err.to_string().contains("SECRETBYTES"));
        let bad =
            format!("{DASHES}BEGIN PRIVATE KEY{DASHES}\n!!!!\n{DASHES}END PRIVATE KEY{DASHES}");
        let err = parse_private_key(&bad, None, origin()).unwrap_err();
        assert!(err.to_string().contains("not valid base64"), "{err}");
    }

    #[test]
    fn legacy_encryption_is_explained() {
        let pem = format!(
            "{DASHES}BEGIN RSA PRIVATE KEY{DASHES}\nProc-Type: 4,ENCRYPTED\nDEK-Info: DES-EDE3-CBC,00\n\nAAAA\n{DASHES}END RSA PRIVATE KEY{DASHES}\n"
        );
        let err = parse_private_key(&pem, None, origin()).unwrap_err();
        assert!(matches!(err, KeyError::LegacyEncryption(_)), "{err}");
    }

    #[test]
    fn key_error_maps_to_input_exit_code() {
        let err: Error = KeyError::NotFound(PathBuf::from("x.key")).into();
        assert_eq!(err.exit_code(), crate::error::EXIT_INPUT);
        assert!(err.to_string().contains("x.key"));
    }
}
