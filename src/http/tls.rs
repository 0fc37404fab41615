//! Client certificates and extra CA certificates (`--ssl-client-cert`, `--ssl-client-key`,
//! `--ssl-client-passphrase`, `--ssl-client-cert-list`, `--ssl-extra-ca-certs`), read into the
//! PEM reqwest takes.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use pkcs8::EncryptedPrivateKeyInfo;
use pkcs8::der::Decode;
use serde_json::Value;

use crate::secret::Secret;

/// A client certificate and its key as one PEM (certificate chain, then the decrypted key).
#[derive(Debug, Clone)]
pub struct ClientIdentity {
    /// The PEM reqwest's `Identity::from_pem` reads.
    pub pem: Secret<Vec<u8>>,
}

/// A client certificate used for URLs that match one of `matches` (`https://*.example.com/*`).
#[derive(Debug, Clone)]
pub struct HostIdentity {
    /// URL patterns, `*` matching any run of characters.
    pub matches: Vec<String>,
    /// The certificate and key.
    pub identity: ClientIdentity,
}

/// Why a certificate option could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsFileError {
    /// A file could not be read.
    #[error("failed to read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The content is not usable.
    #[error("{}: {reason}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Why (never key material).
        reason: String,
    },
}

fn read(path: &Path) -> Result<Vec<u8>, TlsFileError> {
    std::fs::read(path).map_err(|source| TlsFileError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads a certificate and its key, decrypting an `ENCRYPTED PRIVATE KEY` with `passphrase`.
pub fn client_identity(
    cert: &Path,
    key: &Path,
    passphrase: Option<&str>,
) -> Result<ClientIdentity, TlsFileError> {
    let invalid = |path: &Path, reason: String| TlsFileError::Invalid {
        path: path.to_path_buf(),
        reason,
    };
    let cert_pem = read(cert)?;
    if !String::from_utf8_lossy(&cert_pem).contains("-----BEGIN CERTIFICATE-----") {
        return Err(invalid(cert, "no PEM certificate in the file".into()));
    }
    let key_text = String::from_utf8_lossy(&read(key)?).into_owned();
    let key_pem = if key_text.contains("BEGIN ENCRYPTED PRIVATE KEY") {
        let Some(pass) = passphrase else {
            return Err(invalid(
                key,
                "the key is encrypted: pass --ssl-client-passphrase".into(),
            ));
        };
        let der = pem_body(&key_text, "ENCRYPTED PRIVATE KEY")
            .ok_or_else(|| invalid(key, "malformed PEM".into()))?;
        let info = EncryptedPrivateKeyInfo::from_der(&der)
            .map_err(|e| invalid(key, format!("invalid encrypted key: {e}")))?;
        let plain = info
            .decrypt(pass.as_bytes())
            .map_err(|_| invalid(key, "wrong passphrase or unsupported encryption".into()))?;
        pem("PRIVATE KEY", plain.as_bytes())
    } else if key_text.contains("PRIVATE KEY-----") {
        key_text
    } else {
        return Err(invalid(key, "no PEM private key in the file".into()));
    };
    let mut combined = cert_pem;
    combined.push(b'\n');
    combined.extend_from_slice(key_pem.as_bytes());
    reqwest::Identity::from_pem(&combined).map_err(|e| {
        invalid(
            cert,
            format!("certificate and key do not form an identity: {e}"),
        )
    })?;
    Ok(ClientIdentity {
        pem: Secret::new(combined),
    })
}

/// Reads Newman's `--ssl-client-cert-list` file: `[{name, matches, cert: {src}, key: {src},
/// passphrase}]`; relative `src` paths are relative to `base`.
pub fn host_identities(list: &Path, base: &Path) -> Result<Vec<HostIdentity>, TlsFileError> {
    let text = read(list)?;
    let invalid = |reason: String| TlsFileError::Invalid {
        path: list.to_path_buf(),
        reason,
    };
    let value: Value =
        serde_json::from_slice(&text).map_err(|e| invalid(format!("not JSON: {e}")))?;
    let entries = value
        .as_array()
        .ok_or_else(|| invalid("expected a JSON array of certificates".into()))?;
    entries
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            let src = |what: &str| {
                entry
                    .pointer(&format!("/{what}/src"))
                    .and_then(Value::as_str)
                    .map(|s| base.join(s))
                    .ok_or_else(|| invalid(format!("[{i}] has no `{what}.src`")))
            };
            let matches: Vec<String> = match entry.get("matches") {
                Some(Value::Array(list)) => list
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
                Some(Value::String(one)) => vec![one.clone()],
                _ => Vec::new(),
            };
            if matches.is_empty() {
                return Err(invalid(format!("[{i}] has no `matches`")));
            }
            let identity = client_identity(
                &src("cert")?,
                &src("key")?,
                entry.get("passphrase").and_then(Value::as_str),
            )?;
            Ok(HostIdentity { matches, identity })
        })
        .collect()
}

/// Reads `--ssl-extra-ca-certs` (one or more PEM certificates).
pub fn extra_ca_certs(path: &Path) -> Result<Vec<u8>, TlsFileError> {
    let pem = read(path)?;
    reqwest::Certificate::from_pem_bundle(&pem)
        .ok()
        .filter(|certs| !certs.is_empty())
        .ok_or_else(|| TlsFileError::Invalid {
            path: path.to_path_buf(),
            reason: "no PEM certificate in the file".into(),
        })?;
    Ok(pem)
}

/// True when `url` matches `pattern` (`*` is any run of characters; a pattern without a path
/// matches every path).
pub fn url_matches(pattern: &str, url: &str) -> bool {
    let url = url.split(['?', '#']).next().unwrap_or(url);
    let pattern = if pattern.contains("://") {
        pattern.to_string()
    } else {
        format!("*://{pattern}")
    };
    let after_scheme = pattern.split_once("://").map_or("", |(_, r)| r);
    let pattern = if after_scheme.contains('/') {
        pattern
    } else {
        format!("{pattern}/*")
    };
    glob(&pattern, url) || glob(&pattern, &without_port(url))
}

fn without_port(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = match authority.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => h,
        _ => authority,
    };
    format!("{scheme}://{host}{path}")
}

/// `*`-only glob, case-insensitive.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.to_ascii_lowercase(), text.to_ascii_lowercase());
    let parts: Vec<&str> = p.split('*').collect();
    let mut rest = t.as_str();
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            let Some(at) = rest.find(part) else {
                return false;
            };
            rest = &rest[at + part.len()..];
        }
    }
    rest.is_empty()
}

fn pem_body(text: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)? + begin.len();
    let stop = text[start..].find(&end)? + start;
    let b64: String = text[start..stop]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    STANDARD.decode(b64).ok()
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .filter_map(|c| std::str::from_utf8(c).ok())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_like_newmans_cert_list() {
        assert!(url_matches(
            "https://*.example.com/*",
            "https://api.example.com/v1?x=1"
        ));
        assert!(url_matches(
            "https://localhost:8443/*",
            "https://localhost:8443/a"
        ));
        assert!(url_matches(
            "https://127.0.0.1/*",
            "https://127.0.0.1:9443/a"
        ));
        assert!(url_matches("example.com", "http://example.com/p"));
        assert!(!url_matches(
            "https://*.example.com/*",
            "https://example.org/"
        ));
        assert!(!url_matches("https://a.test/x/*", "https://a.test/y/z"));
    }
}
