//! Native halves of the sandbox's Web Crypto subset (`crypto.getRandomValues`,
//! `crypto.subtle.digest/sign/verify` for SHA digests, HMAC, RSASSA-PKCS1-v1_5 and Ed25519),
//! exposed to the prelude as `__snapman_crypto`. Keys arrive as bytes the JavaScript side already
//! decoded (raw HMAC secrets, PKCS #8 or SPKI DER, Ed25519 seeds and raw public keys); results go
//! back as `ArrayBuffer`s.

use hmac::{Hmac, Mac};
use rquickjs::{ArrayBuffer, Ctx, Exception, Function, Object, TypedArray};
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

/// Most bytes `crypto.getRandomValues` fills at once (the Web Crypto limit).
const MAX_RANDOM_BYTES: usize = 65_536;

/// A hash Web Crypto names `SHA-1`, `SHA-256`, `SHA-384` or `SHA-512`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hash {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn parse(name: &str) -> Result<Self, String> {
        match name.to_ascii_uppercase().as_str() {
            "SHA-1" => Ok(Hash::Sha1),
            "SHA-256" => Ok(Hash::Sha256),
            "SHA-384" => Ok(Hash::Sha384),
            "SHA-512" => Ok(Hash::Sha512),
            _ => Err(format!("unsupported hash {name}")),
        }
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha1 => Sha1::digest(data).to_vec(),
            Hash::Sha256 => Sha256::digest(data).to_vec(),
            Hash::Sha384 => Sha384::digest(data).to_vec(),
            Hash::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    fn hmac(self, key: &[u8], data: &[u8]) -> Result<Vec<u8>, String> {
        fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], data: &[u8]) -> Result<Vec<u8>, String> {
            let mut m = <M as Mac>::new_from_slice(key).map_err(|e| e.to_string())?;
            m.update(data);
            Ok(m.finalize().into_bytes().to_vec())
        }
        match self {
            Hash::Sha1 => mac::<Hmac<Sha1>>(key, data),
            Hash::Sha256 => mac::<Hmac<Sha256>>(key, data),
            Hash::Sha384 => mac::<Hmac<Sha384>>(key, data),
            Hash::Sha512 => mac::<Hmac<Sha512>>(key, data),
        }
    }

    fn rsa_sign(self, pkcs8: &[u8], data: &[u8]) -> Result<Vec<u8>, String> {
        let key = RsaPrivateKey::from_pkcs8_der(pkcs8)
            .map_err(|e| format!("invalid PKCS #8 RSA key: {e}"))?;
        Ok(match self {
            Hash::Sha1 => SigningKey::<Sha1>::new(key).sign(data).to_vec(),
            Hash::Sha256 => SigningKey::<Sha256>::new(key).sign(data).to_vec(),
            Hash::Sha384 => SigningKey::<Sha384>::new(key).sign(data).to_vec(),
            Hash::Sha512 => SigningKey::<Sha512>::new(key).sign(data).to_vec(),
        })
    }

    fn rsa_verify(self, spki: &[u8], signature: &[u8], data: &[u8]) -> Result<bool, String> {
        let key = RsaPublicKey::from_public_key_der(spki)
            .map_err(|e| format!("invalid SPKI RSA key: {e}"))?;
        let Ok(signature) = Signature::try_from(signature) else {
            return Ok(false);
        };
        Ok(match self {
            Hash::Sha1 => VerifyingKey::<Sha1>::new(key).verify(data, &signature),
            Hash::Sha256 => VerifyingKey::<Sha256>::new(key).verify(data, &signature),
            Hash::Sha384 => VerifyingKey::<Sha384>::new(key).verify(data, &signature),
            Hash::Sha512 => VerifyingKey::<Sha512>::new(key).verify(data, &signature),
        }
        .is_ok())
    }
}

/// A JavaScript exception carrying `message`.
fn throw(ctx: &Ctx<'_>, message: &str) -> rquickjs::Error {
    Exception::throw_message(ctx, message)
}

/// The bytes of a `Uint8Array` (the prelude hands every buffer over as one).
fn bytes<'a>(ctx: &Ctx<'_>, array: &'a TypedArray<'_, u8>) -> rquickjs::Result<&'a [u8]> {
    array
        .as_bytes()
        .ok_or_else(|| throw(ctx, "the buffer has been detached"))
}

/// `random(n)`: `n` bytes from the operating system's generator.
fn random<'js>(ctx: Ctx<'js>, n: usize) -> rquickjs::Result<ArrayBuffer<'js>> {
    if n > MAX_RANDOM_BYTES {
        return Err(throw(
            &ctx,
            &format!("getRandomValues: {n} bytes exceed the limit of {MAX_RANDOM_BYTES}"),
        ));
    }
    let mut buf = vec![0u8; n];
    rand::fill(buf.as_mut_slice());
    ArrayBuffer::new(ctx, buf)
}

/// `digest(hash, data)`.
fn digest<'js>(
    ctx: Ctx<'js>,
    hash: String,
    data: TypedArray<'js, u8>,
) -> rquickjs::Result<ArrayBuffer<'js>> {
    let hash = Hash::parse(&hash).map_err(|e| throw(&ctx, &e))?;
    let out = hash.digest(bytes(&ctx, &data)?);
    ArrayBuffer::new(ctx, out)
}

/// A signature (or MAC) over `data` with `key`.
type SignFn = fn(Hash, &[u8], &[u8]) -> Result<Vec<u8>, String>;

/// A signing function's result for `(hash, key, data)` as an `ArrayBuffer`.
fn signed<'js>(
    ctx: Ctx<'js>,
    hash: &str,
    key: &TypedArray<'js, u8>,
    data: &TypedArray<'js, u8>,
    sign: SignFn,
) -> rquickjs::Result<ArrayBuffer<'js>> {
    let (key, data) = (bytes(&ctx, key)?, bytes(&ctx, data)?);
    let out = Hash::parse(hash)
        .and_then(|h| sign(h, key, data))
        .map_err(|e| throw(&ctx, &e))?;
    ArrayBuffer::new(ctx, out)
}

/// `hmac(hash, key, data)`.
fn hmac_sign<'js>(
    ctx: Ctx<'js>,
    hash: String,
    key: TypedArray<'js, u8>,
    data: TypedArray<'js, u8>,
) -> rquickjs::Result<ArrayBuffer<'js>> {
    signed(ctx, &hash, &key, &data, Hash::hmac)
}

/// `rsaSign(hash, pkcs8, data)`.
fn rsa_sign<'js>(
    ctx: Ctx<'js>,
    hash: String,
    key: TypedArray<'js, u8>,
    data: TypedArray<'js, u8>,
) -> rquickjs::Result<ArrayBuffer<'js>> {
    signed(ctx, &hash, &key, &data, Hash::rsa_sign)
}

/// An Ed25519 signature of `data` with a private key given as PKCS #8 DER (`format` `pkcs8`) or
/// as its 32-byte seed (`seed`, from a JWK's `d`).
fn ed25519_signature(format: &str, key: &[u8], data: &[u8]) -> Result<Vec<u8>, String> {
    use ring::signature::Ed25519KeyPair;
    let pair = match format {
        "pkcs8" => Ed25519KeyPair::from_pkcs8_maybe_unchecked(key)
            .map_err(|e| format!("invalid PKCS #8 Ed25519 key: {e}"))?,
        _ => Ed25519KeyPair::from_seed_unchecked(key)
            .map_err(|e| format!("invalid Ed25519 private key: {e}"))?,
    };
    Ok(pair.sign(data).as_ref().to_vec())
}

/// Whether `signature` is an Ed25519 signature of `data` by the public key given raw (32 bytes)
/// or as SPKI DER (whose last 32 bytes are the key).
fn ed25519_valid(key: &[u8], signature: &[u8], data: &[u8]) -> bool {
    use ring::signature::{ED25519, UnparsedPublicKey};
    let raw = key.get(key.len().saturating_sub(32)..).unwrap_or(key);
    UnparsedPublicKey::new(&ED25519, raw)
        .verify(data, signature)
        .is_ok()
}

/// `ed25519Sign(format, key, data)`.
fn ed25519_sign<'js>(
    ctx: Ctx<'js>,
    format: String,
    key: TypedArray<'js, u8>,
    data: TypedArray<'js, u8>,
) -> rquickjs::Result<ArrayBuffer<'js>> {
    let out = ed25519_signature(&format, bytes(&ctx, &key)?, bytes(&ctx, &data)?)
        .map_err(|e| throw(&ctx, &e))?;
    ArrayBuffer::new(ctx, out)
}

/// `ed25519Verify(key, signature, data)`.
fn ed25519_verify<'js>(
    ctx: Ctx<'js>,
    key: TypedArray<'js, u8>,
    signature: TypedArray<'js, u8>,
    data: TypedArray<'js, u8>,
) -> rquickjs::Result<bool> {
    Ok(ed25519_valid(
        bytes(&ctx, &key)?,
        bytes(&ctx, &signature)?,
        bytes(&ctx, &data)?,
    ))
}

/// `rsaVerify(hash, spki, signature, data)`.
fn rsa_verify<'js>(
    ctx: Ctx<'js>,
    hash: String,
    key: TypedArray<'js, u8>,
    signature: TypedArray<'js, u8>,
    data: TypedArray<'js, u8>,
) -> rquickjs::Result<bool> {
    let (key, signature, data) = (
        bytes(&ctx, &key)?,
        bytes(&ctx, &signature)?,
        bytes(&ctx, &data)?,
    );
    Hash::parse(&hash)
        .and_then(|h| h.rsa_verify(key, signature, data))
        .map_err(|e| throw(&ctx, &e))
}

/// Defines `__snapman_crypto` with `random`, `digest`, `hmac`, `rsaSign`, `rsaVerify`,
/// `ed25519Sign` and `ed25519Verify`.
pub(crate) fn register(ctx: &Ctx<'_>) -> rquickjs::Result<()> {
    let native = Object::new(ctx.clone())?;
    native.set("random", Function::new(ctx.clone(), random)?)?;
    native.set("digest", Function::new(ctx.clone(), digest)?)?;
    native.set("hmac", Function::new(ctx.clone(), hmac_sign)?)?;
    native.set("rsaSign", Function::new(ctx.clone(), rsa_sign)?)?;
    native.set("rsaVerify", Function::new(ctx.clone(), rsa_verify)?)?;
    native.set("ed25519Sign", Function::new(ctx.clone(), ed25519_sign)?)?;
    native.set("ed25519Verify", Function::new(ctx.clone(), ed25519_verify)?)?;
    ctx.globals().set("__snapman_crypto", native)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn digests_match_known_vectors() {
        assert_eq!(
            hex(&Hash::Sha256.digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&Hash::Sha1.digest(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(Hash::parse("sha-384"), Ok(Hash::Sha384));
        assert!(Hash::parse("MD5").is_err());
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = Hash::Sha256
            .hmac(b"Jefe", b"what do ya want for nothing?")
            .expect("hmac");
        assert_eq!(
            hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn ed25519_matches_rfc_8032_test_1() {
        let unhex = |s: &str| -> Vec<u8> {
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or(0))
                .collect()
        };
        let seed = unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        let public = unhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        let signature = ed25519_signature("seed", &seed, b"").expect("sign");
        assert_eq!(
            hex(&signature),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
        assert!(ed25519_valid(&public, &signature, b""));
        assert!(!ed25519_valid(&public, &signature, b"other"));
        assert!(ed25519_signature("pkcs8", b"not a key", b"").is_err());
    }
}
