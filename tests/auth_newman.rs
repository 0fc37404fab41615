//! Auth types applied as Newman 6.2.2 applies them, through the binary against the emulator:
//! awsv4, edgegrid, asap, oauth1 RSA and realm, an empty oauth1 block, digest with a
//! non-standard qop, oauth2 with a stored token and a failing token fetch. Exact signatures for
//! fixed inputs are compared with Newman's in the modules' unit tests; here the wire is checked.

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{collection, emulator, run_collection};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use snapman::emulator::{EmulatorHandle, RecordedRequest};

fn arrived(emu: &EmulatorHandle, path: &str) -> RecordedRequest {
    emu.requests()
        .into_iter()
        .find(|r| r.target.starts_with(path))
        .unwrap_or_else(|| panic!("no request to {path} arrived: {:?}", emu.requests()))
}

fn block(kind: &str, params: Value) -> Value {
    let list: Vec<Value> = params
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| json!({"key": k, "value": v}))
        .collect();
    json!({"type": kind, kind: list})
}

fn key_pem() -> String {
    snapman::auth::generate(1, "auth test")
        .expect("key generates")
        .key_pem
        .expose()
        .clone()
}

#[test]
fn awsv4_signs_headers_and_query_as_newman() {
    let emu = emulator();
    let aws = |extra: Value| {
        let mut p = json!({"accessKey": "AKIDEXAMPLE",
            "secretKey": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "region": "eu-west-1",
            "sessionToken": "{{session}}"});
        p.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        block("awsv4", p)
    };
    let items = json!([
        {"name": "header", "request": {"method": "POST", "url": "{{base}}/post?case=aws",
            "header": [{"key": "Content-Type", "value": "application/json"}],
            "body": {"mode": "raw", "raw": "{\"a\":1}"}, "auth": aws(json!({}))}},
        {"name": "query", "request": {"method": "GET", "url": "{{base}}/get?case=awsq",
            "auth": aws(json!({"addAuthDataToQuery": true, "service": "s3"}))}},
    ]);
    let r = run_collection(
        &emu,
        &collection(items),
        &["--env-var", "session=SESSION-TOKEN"],
    );
    assert_eq!(r.code(), 0, "{}", r.stdout());
    let sent = arrived(&emu, "/post?case=aws");
    let date = sent.header("x-amz-date").expect("X-Amz-Date").to_string();
    assert_eq!(date.len(), 16, "{date}");
    let auth = sent.header("authorization").expect("Authorization");
    assert!(
        auth.starts_with(&format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{}/eu-west-1/execute-api/aws4_request, \
             SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, \
             Signature=",
            &date[..8]
        )),
        "{auth}"
    );
    let body_hash: String = Sha256::digest(b"{\"a\":1}")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        sent.header("x-amz-content-sha256"),
        Some(body_hash.as_str())
    );
    assert_eq!(sent.header("x-amz-security-token"), Some("SESSION-TOKEN"));
    // The signature is what the signer computes for the request as it arrived.
    let mut again = snapman::http::spec::RequestSpec {
        method: "POST".into(),
        url: format!("{}/post?case=aws", emu.base_url()),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: Some(b"{\"a\":1}".to_vec()),
        ..Default::default()
    };
    let sig = snapman::auth::postman_awsv4::SigV4 {
        access_key: "AKIDEXAMPLE".into(),
        secret_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        session_token: Some("SESSION-TOKEN".into()),
        region: "eu-west-1".into(),
        service: "execute-api".into(),
        in_query: false,
    };
    snapman::auth::postman_awsv4::sign(&mut again, &sig, &date);
    assert!(
        again
            .headers
            .iter()
            .any(|(k, v)| k == "Authorization" && v == auth)
    );
    let query = arrived(&emu, "/get?case=awsq");
    assert!(query.header("authorization").is_none());
    for part in [
        "X-Amz-Security-Token=SESSION-TOKEN",
        "X-Amz-Expires=86400",
        "X-Amz-Algorithm=AWS4-HMAC-SHA256",
        "%2Feu-west-1%2Fs3%2Faws4_request",
        "X-Amz-SignedHeaders=host&X-Amz-Signature=",
    ] {
        assert!(query.target.contains(part), "{part}: {}", query.target);
    }
}

#[test]
fn edgegrid_signs_with_the_blocks_nonce_and_timestamp() {
    let emu = emulator();
    let eg = block(
        "edgegrid",
        json!({"accessToken": "akab-access", "clientToken": "akab-client",
        "clientSecret": "c2VjcmV0", "nonce": "nonce-xx", "timestamp": "20240101T00:00:00+0000"}),
    );
    let items = json!([{"name": "eg", "request": {"method": "POST",
        "url": "{{base}}/post?case=eg", "body": {"mode": "raw", "raw": "{\"a\":1}"}, "auth": eg}}]);
    let r = run_collection(&emu, &collection(items), &[]);
    assert_eq!(r.code(), 0, "{}", r.stdout());
    let auth = arrived(&emu, "/post?case=eg")
        .header("authorization")
        .expect("Authorization")
        .to_string();
    let prefix = "EG1-HMAC-SHA256 client_token=akab-client;access_token=akab-access;\
                  timestamp=20240101T00:00:00+0000;nonce=nonce-xx;signature=";
    assert!(auth.starts_with(prefix), "{auth}");
    let signature = &auth[prefix.len()..];
    assert_eq!(signature.len(), 44, "{auth}");
}

#[test]
fn asap_sends_a_bearer_jwt_with_newmans_claims_and_warns_when_it_cannot_sign() {
    let emu = emulator();
    let good = block(
        "asap",
        json!({"kid": "svc/key1", "iss": "issuer-svc", "aud": "aud-svc", "exp": "600",
        "privateKey": key_pem(), "claims": "{\"extra\":1}"}),
    );
    let missing = block("asap", json!({"iss": "issuer-svc", "aud": "aud-svc"}));
    let items = json!([
        {"name": "asap", "request": {"method": "GET", "url": "{{base}}/get?case=asap", "auth": good}},
        {"name": "asap missing", "request": {"method": "GET", "url": "{{base}}/get?case=asap2", "auth": missing}},
    ]);
    let r = run_collection(&emu, &collection(items), &[]);
    assert_eq!(r.code(), 0, "{}", r.stdout());
    let auth = arrived(&emu, "/get?case=asap")
        .header("authorization")
        .expect("Authorization")
        .to_string();
    let jwt = auth.strip_prefix("Bearer ").expect("Bearer");
    let part = |i: usize| -> Value {
        serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(jwt.split('.').nth(i).unwrap())
                .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(part(0), json!({"alg": "RS256", "kid": "svc/key1"}));
    let claims = part(1);
    let keys: Vec<&String> = claims.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["extra", "iat", "iss", "sub", "jti", "aud", "exp"]);
    assert_eq!(claims["sub"], "issuer-svc");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        600
    );
    let unsigned = arrived(&emu, "/get?case=asap2");
    assert!(unsigned.header("authorization").is_none());
    assert!(
        r.stdout().contains(
            "runtime~asap.auth: could not sign the request: One or more of required claims missing"
        ),
        "{}",
        r.stdout()
    );
}

#[test]
fn oauth1_rsa_realm_and_an_empty_block_as_newman() {
    let emu = emulator();
    let o1 = |extra: Value| {
        let mut p = json!({"consumerKey": "ck", "consumerSecret": "cs", "token": "tok en",
            "timestamp": "1461319769", "nonce": "ik3oT5", "version": "1.0",
            "realm": "Photos & Co / x", "addParamsToHeader": true});
        p.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        block("oauth1", p)
    };
    let items = json!([
        {"name": "rsa", "request": {"method": "GET", "url": "{{base}}/get?case=rsa",
            "auth": o1(json!({"signatureMethod": "RSA-SHA256", "privateKey": key_pem(), "consumerSecret": ""}))}},
        {"name": "empty", "request": {"method": "GET",
            "url": {"raw": "{{base}}/get/:id?case=empty", "host": ["{{base}}"], "path": ["get", ":id"],
                "query": [{"key": "case", "value": "empty"}], "variable": [{"key": "id", "value": "42"}]},
            "auth": {"type": "oauth1", "oauth1": []}}},
    ]);
    let r = run_collection(&emu, &collection(items), &[]);
    assert_eq!(r.code(), 0, "{}", r.stdout());
    let rsa = arrived(&emu, "/get?case=rsa");
    let auth = rsa.header("authorization").expect("Authorization");
    assert!(
        auth.starts_with(
            "OAuth realm=\"Photos%20%26%20Co%20%2F%20x\",oauth_consumer_key=\"ck\",\
             oauth_token=\"tok%20en\",oauth_signature_method=\"RSA-SHA256\",\
             oauth_timestamp=\"1461319769\",oauth_nonce=\"ik3oT5\",oauth_version=\"1.0\",\
             oauth_signature=\""
        ),
        "{auth}"
    );
    // A 2048-bit RSA signature: 256 bytes, 344 base64 characters before percent-encoding.
    let signature = auth.rsplit("oauth_signature=\"").next().unwrap();
    let decoded = percent_encoding::percent_decode_str(signature.trim_end_matches('"'))
        .decode_utf8_lossy()
        .into_owned();
    assert_eq!(decoded.len(), 344, "{auth}");
    let empty = arrived(&emu, "/get/42?case=empty");
    assert_eq!(empty.target, "/get/42?case=empty");
    assert!(empty.header("authorization").is_none());
}

#[test]
fn digest_with_a_non_standard_qop_leaves_out_qop_nc_and_cnonce() {
    let emu = emulator();
    let digest = block(
        "digest",
        json!({"username": "postman", "password": "password", "realm": "Users",
        "nonce": "abc", "qop": "auth-conf", "clientNonce": "cn", "algorithm": "MD5"}),
    );
    let items =
        json!([{"name": "dg", "request": {"method": "GET", "url": "{{base}}/dg", "auth": digest}}]);
    run_collection(&emu, &collection(items), &[]);
    // The header Newman 6.2.2 sent for the same block and path.
    assert_eq!(
        arrived(&emu, "/dg").header("authorization"),
        Some(
            "Digest username=\"postman\", realm=\"Users\", nonce=\"abc\", uri=\"/dg\", \
             algorithm=\"MD5\", response=\"9c4dc17b74118889dc0613d8e854da51\""
        )
    );
}

#[test]
fn oauth2_uses_a_stored_token_and_a_failed_fetch_does_not_drop_the_request() {
    let emu = emulator();
    let fetching = |token: &str| {
        block(
            "oauth2",
            json!({"accessToken": token, "grant_type": "client_credentials",
            "accessTokenUrl": "http://127.0.0.1:1/token", "clientId": "id", "clientSecret": "s",
            "addTokenTo": "header"}),
        )
    };
    let items = json!([
        {"name": "stored", "request": {"method": "GET", "url": "{{base}}/get?case=stored",
            "auth": fetching("stored-token")}},
        {"name": "fetch fails", "request": {"method": "GET", "url": "{{base}}/get?case=fails",
            "auth": fetching("")}},
    ]);
    let r = run_collection(&emu, &collection(items), &[]);
    assert_eq!(r.code(), 0, "{}", r.stdout());
    assert_eq!(
        arrived(&emu, "/get?case=stored").header("authorization"),
        Some("Bearer stored-token")
    );
    let sent = arrived(&emu, "/get?case=fails");
    assert!(sent.header("authorization").is_none());
    assert!(
        r.stdout().contains("oauth2 auth: token fetch failed"),
        "{}",
        r.stdout()
    );
    // With --oauth2-fetch the stored token is not used: the fetch is tried (and fails here).
    let forced = run_collection(
        &emu,
        &collection(json!([
        {"name": "forced", "request": {"method": "GET", "url": "{{base}}/get?case=forced",
            "auth": fetching("stored-token")}}])),
        &["--oauth2-fetch"],
    );
    assert!(
        forced.stdout().contains("oauth2 auth: token fetch failed"),
        "{}",
        forced.stdout()
    );
}

/// A loopback server that speaks NTLM over keep-alive connections: 401 offering NTLM, the
/// fixed challenge for a negotiate message, and 200 only for an authenticate message whose
/// NTLMv2 proof checks out for `alice`/`S3cret!` in domain `CORP`. Each request is logged with
/// its connection number and its step.
/// What the NTLM server saw: connection number and step, per request.
type NtlmLog = std::sync::Arc<std::sync::Mutex<Vec<(usize, String)>>>;

fn ntlm_server() -> (u16, NtlmLog) {
    use snapman::auth::postman_ntlm::{hmac_md5, nt_hash};
    use std::io::{BufRead as _, BufReader, Write as _};
    const TYPE2: &str = "NTLM TlRMTVNTUAACAAAAAAAAADAAAAAFAoiiASNFZ4mrze8AAAAAAAAAABQAFAAwAAAAAgAMAEQATwBNAEEASQBOAAAAAAA=";
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = log.clone();
    std::thread::spawn(move || {
        for (conn, stream) in listener.incoming().flatten().enumerate() {
            let seen = seen.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut out = stream;
                loop {
                    let mut auth = None;
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    loop {
                        let mut header = String::new();
                        if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                            break;
                        }
                        if let Some((k, v)) = header.split_once(':')
                            && k.eq_ignore_ascii_case("authorization")
                        {
                            auth = Some(v.trim().to_string());
                        }
                    }
                    let message = auth
                        .as_deref()
                        .and_then(|a| a.strip_prefix("NTLM "))
                        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok());
                    let (step, status, extra, body) = match message {
                        None => (
                            "none",
                            "401 Unauthorized",
                            "WWW-Authenticate: NTLM\r\n".to_string(),
                            "",
                        ),
                        Some(m) if m.get(8) == Some(&1) => (
                            "negotiate",
                            "401 Unauthorized",
                            format!("WWW-Authenticate: {TYPE2}\r\n"),
                            "",
                        ),
                        Some(m) => {
                            let at = |i: usize| {
                                let len = u16::from_le_bytes([m[i], m[i + 1]]) as usize;
                                let off =
                                    u32::from_le_bytes([m[i + 4], m[i + 5], m[i + 6], m[i + 7]])
                                        as usize;
                                m[off..off + len].to_vec()
                            };
                            let nt = at(20);
                            let user: String = char::decode_utf16(
                                at(36).chunks(2).map(|c| u16::from_le_bytes([c[0], c[1]])),
                            )
                            .filter_map(Result::ok)
                            .collect();
                            let identity: Vec<u8> = format!("{}CORP", user.to_uppercase())
                                .encode_utf16()
                                .flat_map(u16::to_le_bytes)
                                .collect();
                            let key = hmac_md5(&nt_hash("S3cret!"), &identity);
                            let challenge = [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef];
                            let proof = hmac_md5(&key, &[&challenge[..], &nt[16..]].concat());
                            if proof[..] == nt[..16] {
                                ("authenticate", "200 OK", String::new(), "ntlm-ok")
                            } else {
                                (
                                    "authenticate",
                                    "401 Unauthorized",
                                    String::new(),
                                    "bad proof",
                                )
                            }
                        }
                    };
                    seen.lock().unwrap().push((conn, step.to_string()));
                    let _ = write!(
                        out,
                        "HTTP/1.1 {status}\r\n{extra}Content-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                }
            });
        }
    });
    (port, log)
}

#[test]
fn ntlm_completes_the_three_step_handshake_on_one_connection() {
    let (port, log) = ntlm_server();
    let emu = emulator();
    let block = block(
        "ntlm",
        json!({"username": "CORP\\alice", "password": "S3cret!", "workstation": "ws1"}),
    );
    let items = json!([{"name": "ntlm", "request": {"method": "GET",
        "url": format!("http://127.0.0.1:{port}/secure"), "auth": block},
        "event": [{"listen": "test", "script": {"exec": [
            "pm.test('authenticated', () => pm.expect(pm.response.text()).to.equal('ntlm-ok'));"]}}]}]);
    let r = run_collection(&emu, &collection(items), &[]);
    assert_eq!(r.code(), 0, "{}", r.stdout());
    let log = log.lock().unwrap().clone();
    let steps: Vec<&str> = log.iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(steps, ["none", "negotiate", "authenticate"], "{log:?}");
    assert_eq!(
        log[1].0, log[2].0,
        "negotiate and authenticate share a connection: {log:?}"
    );
}
