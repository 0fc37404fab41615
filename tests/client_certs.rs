//! `--ssl-client-cert`/`--ssl-client-key`, `--ssl-client-cert-list` and `--ssl-extra-ca-certs`
//! against a loopback TLS server that requires a client certificate from its own CA.

mod common;

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::sync::Arc;

use common::{collection, snapman, write_json};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use serde_json::json;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{RootCertStore, ServerConfig, ServerConnection, StreamOwned};

struct Pki {
    ca_pem: String,
    client_cert: String,
    client_key: String,
    config: Arc<ServerConfig>,
}

/// A CA, a server leaf for 127.0.0.1 and a client leaf, all signed by it.
fn pki() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::default();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let ca_der = ca_cert.der().to_vec();
    let issuer = Issuer::new(ca_params, ca_key);
    let server_key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&server_key, &issuer)
        .unwrap();
    let client_key = KeyPair::generate().unwrap();
    let client = CertificateParams::new(vec!["client".to_string()])
        .unwrap()
        .signed_by(&client_key, &issuer)
        .unwrap();
    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from(ca_der)).unwrap();
    let provider = Arc::new(ring::default_provider());
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .unwrap();
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![CertificateDer::from(server.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
        )
        .unwrap();
    Pki {
        ca_pem: ca_cert.pem(),
        client_cert: client.pem(),
        client_key: client_key.serialize_pem(),
        config: Arc::new(config),
    }
}

/// Serves `count` connections: a request with a verified client certificate gets 200.
fn serve(config: Arc<ServerConfig>, count: usize) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(count).flatten() {
            let Ok(conn) = ServerConnection::new(config.clone()) else {
                continue;
            };
            let mut tls = StreamOwned::new(conn, stream);
            let mut buf = [0u8; 4096];
            if tls.read(&mut buf).is_err() {
                continue;
            }
            let has_cert = tls.conn.peer_certificates().is_some_and(|c| !c.is_empty());
            let body = if has_cert {
                "client-cert-ok"
            } else {
                "no-cert"
            };
            let _ = write!(
                tls,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = tls.flush();
        }
    });
    port
}

fn run(dir: &std::path::Path, port: u16, extra: &[&str]) -> (i32, String, serde_json::Value) {
    let items = json!([{"name": "mtls", "request": {"method": "GET",
        "url": format!("https://127.0.0.1:{port}/secure")},
        "event": [{"listen": "test", "script": {"exec": [
            "pm.test('cert seen', () => pm.expect(pm.response.text()).to.equal('client-cert-ok'));"]}}]}]);
    let path = write_json(dir, "c.json", &collection(items));
    let report = dir.join("r.json");
    let out = snapman(dir)
        .arg("run")
        .arg(&path)
        .args(["-r", "json", "--reporter-json-export"])
        .arg(&report)
        .args(extra)
        .output()
        .unwrap();
    let report = std::fs::read_to_string(&report)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        report,
    )
}

#[test]
fn client_certificate_and_extra_ca_complete_a_mutual_tls_request() {
    let pki = pki();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ca.pem"), &pki.ca_pem).unwrap();
    std::fs::write(dir.path().join("client.pem"), &pki.client_cert).unwrap();
    std::fs::write(dir.path().join("client.key"), &pki.client_key).unwrap();
    let port = serve(pki.config.clone(), 4);
    let (code, stderr, report) = run(
        dir.path(),
        port,
        &[
            "--ssl-extra-ca-certs",
            "ca.pem",
            "--ssl-client-cert",
            "client.pem",
            "--ssl-client-key",
            "client.key",
        ],
    );
    assert_eq!(code, 0, "{stderr}{report}");
    assert_eq!(report["run"]["stats"]["assertions"]["failed"], 0);
    // By URL pattern from a cert list (paths relative to the working directory).
    write_json(
        dir.path(),
        "certs.json",
        &json!([{"name": "local", "matches": [format!("https://127.0.0.1:{port}/*")],
            "cert": {"src": "client.pem"}, "key": {"src": "client.key"}}]),
    );
    let (code, stderr, _) = run(
        dir.path(),
        port,
        &[
            "--ssl-extra-ca-certs",
            "ca.pem",
            "--ssl-client-cert-list",
            "certs.json",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    // Without a client certificate the server ends the handshake: a request error.
    let (code, _, report) = run(dir.path(), port, &["--ssl-extra-ca-certs", "ca.pem"]);
    assert_eq!(code, 1);
    assert!(
        report["run"]["executions"][0]["requestError"].is_object(),
        "{report}"
    );
    // Without the CA the server's certificate is unknown: a TLS certificate error, by type.
    let (code, _, report) = run(
        dir.path(),
        port,
        &[
            "--ssl-client-cert",
            "client.pem",
            "--ssl-client-key",
            "client.key",
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(
        report["run"]["executions"][0]["requestError"]["code"], "ERR_TLS_CERT",
        "{report}"
    );
}

#[test]
fn unusable_certificate_files_are_input_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("not-a-cert.pem"), "hello").unwrap();
    let (code, stderr, _) = run(
        dir.path(),
        1,
        &[
            "--ssl-client-cert",
            "not-a-cert.pem",
            "--ssl-client-key",
            "not-a-cert.pem",
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("not-a-cert.pem"), "{stderr}");
    let (code, stderr, _) = run(dir.path(), 1, &["--ssl-client-cert", "x.pem"]);
    assert_eq!(code, 2, "{stderr}");
    let (code, stderr, _) = run(dir.path(), 1, &["--ssl-extra-ca-certs", "missing.pem"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("missing.pem"), "{stderr}");
}
