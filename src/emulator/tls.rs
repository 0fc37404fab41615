//! The run-local certificate authority and the TLS acceptor of the sniffing port.
//!
//! Each emulator that serves TLS makes a fresh CA (ECDSA P-256, valid for a few days) and a leaf
//! certificate for the hosts `--emulator` routes to it. Only a client given the CA's PEM trusts
//! the leaf, so nothing outside the run can be fooled by it.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// Host names (and addresses) the leaf certificate is valid for.
pub const CERTIFICATE_HOSTS: [&str; 8] = [
    "localhost",
    "127.0.0.1",
    "login.salesforce.com",
    "test.salesforce.com",
    "*.my.salesforce.com",
    "*.api.commercecloud.salesforce.com",
    "account.demandware.com",
    "postman-echo.com",
];

/// The CA certificate (PEM, for clients to trust) and the acceptor serving the leaf.
#[derive(Clone)]
pub struct RunTls {
    /// The CA certificate in PEM form.
    pub ca_pem: String,
    /// Accepts TLS connections with the leaf certificate.
    pub acceptor: TlsAcceptor,
}

impl std::fmt::Debug for RunTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RunTls")
    }
}

/// Makes a fresh CA, a leaf for [`CERTIFICATE_HOSTS`] and a TLS 1.2/1.3 acceptor (HTTP/1.1).
pub fn run_tls() -> std::io::Result<RunTls> {
    let ca_key = KeyPair::generate().map_err(io_error)?;
    let mut ca_params = CertificateParams::default();
    let mut ca_name = DistinguishedName::new();
    ca_name.push(DnType::CommonName, "snapman emulator run-local CA");
    ca_params.distinguished_name = ca_name;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca_params.self_signed(&ca_key).map_err(io_error)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let leaf_key = KeyPair::generate().map_err(io_error)?;
    let hosts: Vec<String> = CERTIFICATE_HOSTS.iter().map(|h| (*h).to_owned()).collect();
    let mut leaf_params = CertificateParams::new(hosts).map_err(io_error)?;
    let mut leaf_name = DistinguishedName::new();
    leaf_name.push(DnType::CommonName, "snapman emulator");
    leaf_params.distinguished_name = leaf_name;
    let leaf = leaf_params
        .signed_by(&leaf_key, &issuer)
        .map_err(io_error)?;

    let chain = vec![CertificateDer::from(leaf.der().to_vec())];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let mut config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(io_error)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(io_error)?;
    // HTTP/1.1 only, so header case and framing match the plain-HTTP side.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(RunTls {
        ca_pem: ca_cert.pem(),
        acceptor: TlsAcceptor::from(Arc::new(config)),
    })
}

/// Wraps a certificate or TLS error as an I/O error (what the server's start functions return).
fn io_error(error: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_run_gets_its_own_ca() {
        let first = run_tls().expect("tls");
        let second = run_tls().expect("tls");
        assert!(first.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert_ne!(first.ca_pem, second.ca_pem);
    }
}
