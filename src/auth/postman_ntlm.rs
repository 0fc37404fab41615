//! Postman `ntlm` auth, as postman-runtime's ntlm.js does it: the request goes out without
//! credentials; a 401/403 that offers NTLM is answered by replaying it with a negotiate (type 1)
//! message, and the server's challenge (type 2) by replaying it with the authenticate (type 3)
//! message, NTLMv2 (the response httpntlm computes when the server negotiates extended session
//! security and sends target info). Older NTLMv1-only servers are reported, not answered.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use md5::Md5;

use crate::auth::postman_params::{get, params};
use crate::collection::model::Auth;
use crate::http::client::{HttpClient, Outcome};
use crate::http::spec::RequestSpec;

const SIGNATURE: &[u8; 8] = b"NTLMSSP\0";
const NEGOTIATE_UNICODE: u32 = 0x0000_0001;
const NEGOTIATE_OEM: u32 = 0x0000_0002;
const REQUEST_TARGET: u32 = 0x0000_0004;
const NEGOTIATE_NTLM: u32 = 0x0000_0200;
const OEM_DOMAIN_SUPPLIED: u32 = 0x0000_1000;
const OEM_WORKSTATION_SUPPLIED: u32 = 0x0000_2000;
const ALWAYS_SIGN: u32 = 0x0000_8000;
const EXTENDED_SECURITY: u32 = 0x0008_0000;
const TARGET_INFO: u32 = 0x0080_0000;
const NEGOTIATE_VERSION: u32 = 0x0200_0000;
const NEGOTIATE_128: u32 = 0x2000_0000;
const NEGOTIATE_56: u32 = 0x8000_0000;

/// httpntlm's type 1 flags.
const TYPE1_FLAGS: u32 = NEGOTIATE_UNICODE
    | NEGOTIATE_OEM
    | REQUEST_TARGET
    | NEGOTIATE_NTLM
    | OEM_DOMAIN_SUPPLIED
    | OEM_WORKSTATION_SUPPLIED
    | ALWAYS_SIGN
    | EXTENDED_SECURITY
    | NEGOTIATE_VERSION
    | NEGOTIATE_128
    | NEGOTIATE_56;

/// httpntlm's type 3 flags.
const TYPE3_FLAGS: u32 = NEGOTIATE_UNICODE
    | REQUEST_TARGET
    | NEGOTIATE_NTLM
    | ALWAYS_SIGN
    | EXTENDED_SECURITY
    | TARGET_INFO
    | NEGOTIATE_VERSION
    | NEGOTIATE_128
    | NEGOTIATE_56;

/// Windows 5.1 build 2600, NTLM revision 15: the version httpntlm sends.
const VERSION: [u8; 8] = [5, 1, 0x28, 0x0a, 0, 0, 0, 15];

/// The block's credentials, with the domain taken from `DOMAIN\user` or `user@domain` when the
/// block has none.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
    /// Domain.
    pub domain: String,
    /// Workstation.
    pub workstation: String,
}

impl Credentials {
    /// Reads an `ntlm` block.
    pub fn from_auth(auth: &Auth) -> Credentials {
        let p = params(auth);
        let mut username = get(&p, "username").to_string();
        let mut domain = get(&p, "domain").to_string();
        let down_level: Vec<&str> = username.split('\\').collect();
        let upn: Vec<&str> = username.split('@').collect();
        // Only one of the two forms; a name with both is taken as it is.
        let parsed = match (down_level.as_slice(), upn.as_slice()) {
            _ if !domain.is_empty() || (down_level.len() > 1 && upn.len() > 1) => None,
            ([d, u], _) if !d.is_empty() && !u.is_empty() => Some((d.to_string(), u.to_string())),
            (_, [u, d]) if !u.is_empty() && !d.is_empty() => Some((d.to_string(), u.to_string())),
            _ => None,
        };
        if let Some((d, u)) = parsed {
            (domain, username) = (d, u);
        }
        Credentials {
            username,
            password: get(&p, "password").to_string(),
            domain,
            workstation: get(&p, "workstation").to_string(),
        }
    }
}

/// True when a response's `WWW-Authenticate` headers offer NTLM (or Negotiate).
pub fn offers_ntlm(www_authenticate: &[&str]) -> bool {
    www_authenticate.iter().any(|v| {
        let v = v.trim();
        v.eq_ignore_ascii_case("NTLM") || v.eq_ignore_ascii_case("Negotiate") || v.contains("NTLM")
    })
}

/// The `Authorization` value of the negotiate (type 1) message.
pub fn negotiate(creds: &Credentials) -> String {
    let domain = creds.domain.to_uppercase().into_bytes();
    let workstation = creds.workstation.to_uppercase().into_bytes();
    let mut flags = TYPE1_FLAGS;
    if domain.is_empty() {
        flags -= OEM_DOMAIN_SUPPLIED;
    }
    const BODY: u32 = 40;
    let mut m = Vec::new();
    m.extend_from_slice(SIGNATURE);
    m.extend_from_slice(&1u32.to_le_bytes());
    m.extend_from_slice(&flags.to_le_bytes());
    field(&mut m, domain.len(), BODY + len32(&workstation));
    field(&mut m, workstation.len(), BODY);
    m.extend_from_slice(&VERSION);
    m.extend_from_slice(&workstation);
    m.extend_from_slice(&domain);
    format!("NTLM {}", STANDARD.encode(m))
}

/// A server's challenge (type 2) message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// Negotiated flags.
    pub flags: u32,
    /// The server challenge.
    pub server_challenge: [u8; 8],
    /// Target info (AV pairs), when the server sent it.
    pub target_info: Option<Vec<u8>>,
}

/// Reads `NTLM <base64 type 2>`.
pub fn parse_challenge(header: &str) -> Result<Challenge, String> {
    let b64 = header
        .trim()
        .strip_prefix("NTLM ")
        .ok_or("ntlm: server did not send NTLM type 2 message")?;
    let m = STANDARD
        .decode(b64.trim())
        .map_err(|_| "ntlm: the type 2 message is not base64".to_string())?;
    let u16_at = |i: usize| m.get(i..i + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let u32_at = |i: usize| {
        m.get(i..i + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    if m.get(..8) != Some(SIGNATURE) || u32_at(8) != Some(2) {
        return Err("ntlm: server didn't return a type 2 message".into());
    }
    let flags = u32_at(20).ok_or("ntlm: short type 2 message")?;
    let mut server_challenge = [0u8; 8];
    server_challenge.copy_from_slice(m.get(24..32).ok_or("ntlm: short type 2 message")?);
    let target_info = if flags & TARGET_INFO != 0 {
        let len = usize::from(u16_at(40).ok_or("ntlm: short type 2 message")?);
        let offset = u32_at(44).ok_or("ntlm: short type 2 message")? as usize;
        Some(
            m.get(offset..offset + len)
                .ok_or("ntlm: target info outside the message")?
                .to_vec(),
        )
    } else {
        None
    };
    Ok(Challenge {
        flags,
        server_challenge,
        target_info,
    })
}

/// The `Authorization` value of the authenticate (type 3) message, NTLMv2, for a client
/// challenge and a timestamp (100 ns since 1601).
pub fn authenticate(
    creds: &Credentials,
    challenge: &Challenge,
    client_challenge: [u8; 8],
    timestamp: u64,
) -> Result<String, String> {
    let Some(target_info) = challenge
        .target_info
        .as_ref()
        .filter(|_| challenge.flags & EXTENDED_SECURITY != 0)
    else {
        return Err(
            "ntlm: the server does not offer NTLMv2 (extended session security with target \
             info); NTLMv1 is not supported"
                .into(),
        );
    };
    let unicode = challenge.flags & NEGOTIATE_UNICODE != 0;
    let text = |s: &str| {
        if unicode {
            utf16le(s)
        } else {
            s.as_bytes().to_vec()
        }
    };
    let domain = text(&creds.domain.to_uppercase());
    let user = text(&creds.username);
    let workstation = text(&creds.workstation.to_uppercase());
    let key = hmac_md5(
        &nt_hash(&creds.password),
        &utf16le(&format!(
            "{}{}",
            creds.username.to_uppercase(),
            creds.domain.to_uppercase()
        )),
    );
    let mut lm = hmac_md5(
        &key,
        &[challenge.server_challenge, client_challenge].concat(),
    )
    .to_vec();
    lm.extend_from_slice(&client_challenge);
    let mut blob = vec![1, 1, 0, 0, 0, 0, 0, 0];
    blob.extend_from_slice(&timestamp.to_le_bytes());
    blob.extend_from_slice(&client_challenge);
    blob.extend_from_slice(&[0; 4]);
    blob.extend_from_slice(target_info);
    blob.extend_from_slice(&[0; 4]);
    let mut nt = hmac_md5(&key, &[&challenge.server_challenge[..], &blob].concat()).to_vec();
    nt.extend_from_slice(&blob);
    const BODY: u32 = 72;
    let payload_start = BODY + len32(&domain) + len32(&user) + len32(&workstation);
    let flags = if unicode {
        TYPE3_FLAGS
    } else {
        TYPE3_FLAGS - NEGOTIATE_UNICODE
    };
    let mut m = Vec::new();
    m.extend_from_slice(SIGNATURE);
    m.extend_from_slice(&3u32.to_le_bytes());
    field(&mut m, lm.len(), payload_start);
    field(&mut m, nt.len(), payload_start + len32(&lm));
    field(&mut m, domain.len(), BODY);
    field(&mut m, user.len(), BODY + len32(&domain));
    field(
        &mut m,
        workstation.len(),
        BODY + len32(&domain) + len32(&user),
    );
    field(&mut m, 0, payload_start + len32(&lm) + len32(&nt));
    m.extend_from_slice(&flags.to_le_bytes());
    m.extend_from_slice(&VERSION);
    for part in [&domain, &user, &workstation, &lm, &nt] {
        m.extend_from_slice(part);
    }
    Ok(format!("NTLM {}", STANDARD.encode(m)))
}

/// Runs the handshake after the first response: a 401/403 offering NTLM is answered with the
/// negotiate message, the challenge with the authenticate message. Returns the last outcome,
/// how many replays were sent, and a warning when the handshake could not finish.
pub async fn handshake(
    client: &HttpClient,
    spec: &RequestSpec,
    auth: &Auth,
    first: Outcome,
) -> (Outcome, usize, Option<String>) {
    let challenged = |outcome: &Outcome| match &outcome.response {
        Ok(r) if r.code == 401 || r.code == 403 => Some(
            r.headers
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case("www-authenticate"))
                .map(|(_, v)| v.clone())
                .collect::<Vec<String>>(),
        ),
        _ => None,
    };
    let Some(offered) = challenged(&first) else {
        return (first, 0, None);
    };
    if !offers_ntlm(&offered.iter().map(String::as_str).collect::<Vec<_>>()) {
        return (first, 0, None);
    }
    let creds = Credentials::from_auth(auth);
    let mut next = spec.clone();
    next.set_header("Authorization", negotiate(&creds));
    let second = client.send(&next).await;
    let Some(offered) = challenged(&second) else {
        return (second, 1, None);
    };
    let Some(type2) = offered.iter().find(|v| v.starts_with("NTLM ")) else {
        let warning = "ntlm: server did not send NTLM type 2 message".to_string();
        return (second, 1, Some(warning));
    };
    let message = parse_challenge(type2).and_then(|challenge| {
        authenticate(&creds, &challenge, client_challenge(), timestamp_now())
    });
    match message {
        Ok(value) => {
            next.set_header("Authorization", value);
            (client.send(&next).await, 2, None)
        }
        Err(warning) => (second, 1, Some(warning)),
    }
}

/// The current time as NTLM's timestamp (100 ns intervals since 1601-01-01).
pub fn timestamp_now() -> u64 {
    let millis = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or_default();
    (millis + 11_644_473_600_000) * 10_000
}

/// Eight random bytes.
pub fn client_challenge() -> [u8; 8] {
    rand::random()
}

/// Length, max length (equal) and offset of a message field.
fn field(m: &mut Vec<u8>, len: usize, offset: u32) {
    let len = u16::try_from(len).unwrap_or(u16::MAX);
    m.extend_from_slice(&len.to_le_bytes());
    m.extend_from_slice(&len.to_le_bytes());
    m.extend_from_slice(&offset.to_le_bytes());
}

fn len32(b: &[u8]) -> u32 {
    u32::try_from(b.len()).unwrap_or(u32::MAX)
}

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// HMAC-MD5.
pub fn hmac_md5(key: &[u8], data: &[u8]) -> [u8; 16] {
    Hmac::<Md5>::new_from_slice(key)
        .map(|m| m.chain_update(data).finalize().into_bytes().into())
        .unwrap_or_default()
}

/// The NT hash: MD4 of the UTF-16LE password.
pub fn nt_hash(password: &str) -> [u8; 16] {
    md4(&utf16le(password))
}

/// MD4 (RFC 1320), which NTLM's password hash needs and no dependency provides.
pub fn md4(input: &[u8]) -> [u8; 16] {
    let mut state: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];
    let mut data = input.to_vec();
    let bit_len = (input.len() as u64).wrapping_mul(8);
    data.push(0x80);
    while data.len() % 64 != 56 {
        data.push(0);
    }
    data.extend_from_slice(&bit_len.to_le_bytes());
    let f = |x: u32, y: u32, z: u32| (x & y) | (!x & z);
    let g = |x: u32, y: u32, z: u32| (x & y) | (x & z) | (y & z);
    let h = |x: u32, y: u32, z: u32| x ^ y ^ z;
    for block in data.chunks_exact(64) {
        let mut x = [0u32; 16];
        for (i, word) in block.chunks_exact(4).enumerate() {
            x[i] = u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
        }
        let [mut a, mut b, mut c, mut d] = state;
        for &i in &[0usize, 4, 8, 12] {
            a = a.wrapping_add(f(b, c, d)).wrapping_add(x[i]).rotate_left(3);
            d = d
                .wrapping_add(f(a, b, c))
                .wrapping_add(x[i + 1])
                .rotate_left(7);
            c = c
                .wrapping_add(f(d, a, b))
                .wrapping_add(x[i + 2])
                .rotate_left(11);
            b = b
                .wrapping_add(f(c, d, a))
                .wrapping_add(x[i + 3])
                .rotate_left(19);
        }
        for &i in &[0usize, 1, 2, 3] {
            let k = 0x5a82_7999u32;
            a = a
                .wrapping_add(g(b, c, d))
                .wrapping_add(x[i])
                .wrapping_add(k)
                .rotate_left(3);
            d = d
                .wrapping_add(g(a, b, c))
                .wrapping_add(x[i + 4])
                .wrapping_add(k)
                .rotate_left(5);
            c = c
                .wrapping_add(g(d, a, b))
                .wrapping_add(x[i + 8])
                .wrapping_add(k)
                .rotate_left(9);
            b = b
                .wrapping_add(g(c, d, a))
                .wrapping_add(x[i + 12])
                .wrapping_add(k)
                .rotate_left(13);
        }
        for &i in &[0usize, 2, 1, 3] {
            let k = 0x6ed9_eba1u32;
            a = a
                .wrapping_add(h(b, c, d))
                .wrapping_add(x[i])
                .wrapping_add(k)
                .rotate_left(3);
            d = d
                .wrapping_add(h(a, b, c))
                .wrapping_add(x[i + 8])
                .wrapping_add(k)
                .rotate_left(9);
            c = c
                .wrapping_add(h(d, a, b))
                .wrapping_add(x[i + 4])
                .wrapping_add(k)
                .rotate_left(11);
            b = b
                .wrapping_add(h(c, d, a))
                .wrapping_add(x[i + 12])
                .wrapping_add(k)
                .rotate_left(15);
        }
        state[0] = state[0].wrapping_add(a);
        state[1] = state[1].wrapping_add(b);
        state[2] = state[2].wrapping_add(c);
        state[3] = state[3].wrapping_add(d);
    }
    let mut out = [0u8; 16];
    for (i, word) in state.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&word.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn md4_matches_rfc_1320_and_the_nt_hash_is_the_known_one() {
        assert_eq!(hex(&md4(b"")), "31d6cfe0d16ae931b73c59d7e0c089c0");
        assert_eq!(hex(&md4(b"abc")), "a448017aaf21d8525fc10ae87aa6729d");
        assert_eq!(
            hex(&md4(
                b"12345678901234567890123456789012345678901234567890123456789012345678901234567890"
            )),
            "e33b4ddc9c38f2199c3e7b164fcc0536"
        );
        assert_eq!(
            hex(&nt_hash("password")),
            "8846f7eaee8fb117ad06bdd830b7586c"
        );
    }

    #[test]
    fn negotiate_is_httpntlms_type_1() {
        let creds = Credentials {
            username: "u".into(),
            password: "p".into(),
            domain: String::new(),
            workstation: String::new(),
        };
        // httpntlm's createType1Message({domain: '', workstation: ''}).
        assert_eq!(
            negotiate(&creds),
            "NTLM TlRMTVNTUAABAAAAB6IIogAAAAAoAAAAAAAAACgAAAAFASgKAAAADw=="
        );
        let named = Credentials {
            domain: "corp".into(),
            workstation: "ws1".into(),
            ..creds
        };
        assert_eq!(
            negotiate(&named),
            "NTLM TlRMTVNTUAABAAAAB7IIogQABAArAAAAAwADACgAAAAFASgKAAAAD1dTMUNPUlA="
        );
    }

    #[test]
    fn authenticate_is_httpntlms_ntlmv2_type_3() {
        // httpntlm's createType3Message for this challenge, with Math.random() = 0 (a zero
        // client challenge) and Date.now() = 1440938160000.
        let challenge = parse_challenge(
            "NTLM TlRMTVNTUAACAAAAAAAAADAAAAAFAoiiASNFZ4mrze8AAAAAAAAAABQAFAAwAAAAAgAMAEQATwBNAEEASQBOAAAAAAA=",
        )
        .unwrap();
        let creds = Credentials {
            username: "alice".into(),
            password: "S3cret!".into(),
            domain: "corp".into(),
            workstation: "ws1".into(),
        };
        let timestamp = (1_440_938_160_000u64 + 11_644_473_600_000) * 10_000;
        assert_eq!(
            authenticate(&creds, &challenge, [0; 8], timestamp).unwrap(),
            "NTLM TlRMTVNTUAADAAAAGAAYAGAAAABEAEQAeAAAAAgACABIAAAACgAKAFAAAAAGAAYAWgAAAAAAAAC8AAAABYKIogUBKAoAAAAPQwBPAFIAUABhAGwAaQBjAGUAVwBTADEANhOsqlp6XJIH8k4qbtBALgAAAAAAAAAAeRhicNwrQSumTL+KepNzbwEBAAAAAAAAAPjxbCDj0AEAAAAAAAAAAAAAAAACAAwARABPAE0AQQBJAE4AAAAAAAAAAAA="
        );
    }

    #[test]
    fn the_domain_comes_from_the_user_name() {
        let auth = |user: &str| -> Auth {
            serde_json::from_value(
                json!({"type": "ntlm", "ntlm": [{"key": "username", "value": user}]}),
            )
            .unwrap()
        };
        let c = Credentials::from_auth(&auth("CORP\\alice"));
        assert_eq!((c.domain.as_str(), c.username.as_str()), ("CORP", "alice"));
        let c = Credentials::from_auth(&auth("bob@corp.example"));
        assert_eq!(
            (c.domain.as_str(), c.username.as_str()),
            ("corp.example", "bob")
        );
    }
}
