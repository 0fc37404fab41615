//! Postman `auth` blocks: inheritance (request, folders, collection; `noauth` stops it) and
//! applying the supported types to a `RequestSpec` (`oauth2` fetching its token and `jwt`
//! signing live in `postman_oauth2` and `postman_jwt`).

use base64::Engine;
use serde_json::Value;

use super::postman_jwt::{self, JwtAuthError};
use super::postman_oauth2::OAuth2Tokens;
use crate::collection::model::Auth;
use crate::http::client::ClientOptions;
use crate::http::spec::RequestSpec;
use crate::secret::{Redactor, Secret};

/// Auth types snapman applies itself.
pub const SUPPORTED: [&str; 13] = [
    "noauth", "basic", "bearer", "apikey", "oauth2", "jwt", "digest", "oauth1", "hawk", "awsv4",
    "edgegrid", "asap", "ntlm",
];

/// An auth block snapman cannot apply.
#[derive(Debug, thiserror::Error)]
#[error(
    "auth type `{kind}` is not supported yet (supported: noauth, basic, bearer, apikey, oauth2, jwt, digest, oauth1, hawk, awsv4, edgegrid, asap, ntlm)"
)]
pub struct UnsupportedAuth {
    /// The type as written.
    pub kind: String,
}

/// Why an auth block could not be applied to a request.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// A type snapman does not apply.
    #[error(transparent)]
    Unsupported(#[from] UnsupportedAuth),
    /// A `jwt` block that cannot be signed.
    #[error(transparent)]
    Jwt(#[from] JwtAuthError),
    /// A block that could not sign: Newman sends the request unsigned, with this warning.
    #[error("{0}")]
    Unsigned(String),
    /// An `oauth1` block that cannot be signed.
    #[error(transparent)]
    OAuth1(#[from] crate::auth::postman_oauth1::OAuth1Error),
}

impl ApplyError {
    /// The request-error code reports show for it.
    pub fn code(&self) -> &'static str {
        match self {
            ApplyError::Unsupported(_) => "EAUTHUNSUPPORTED",
            ApplyError::Jwt(_) => "EAUTHJWT",
            ApplyError::OAuth1(_) => "EAUTHOAUTH1",
            ApplyError::Unsigned(_) => "EAUTHUNSIGNED",
        }
    }
}

/// Applies an (already variable-resolved) auth block, fetching an `oauth2` token first when the
/// block asks for one. Credentials met on the way (fetched tokens, signed JWTs) go to `redactor`.
/// A token fetch that fails does not stop the request (Newman sends it with what the block
/// holds); its error is returned as a warning.
pub async fn authorize(
    spec: &mut RequestSpec,
    auth: &Auth,
    tokens: &OAuth2Tokens,
    client: &ClientOptions,
    redactor: &Redactor,
) -> Result<Option<String>, ApplyError> {
    let (filled, warning) = match tokens.fill(auth, client, redactor).await {
        Ok(filled) => (filled, None),
        Err(e) => (None, Some(format!("oauth2 auth: token fetch failed: {e}"))),
    };
    match apply(spec, filled.as_ref().unwrap_or(auth)) {
        Ok(Some(minted)) => redactor.add(minted.expose()),
        Ok(None) => {}
        Err(ApplyError::Unsigned(why)) => return Ok(Some(why)),
        Err(e) => return Err(e),
    }
    Ok(warning)
}

/// The auth that applies to a request: its own, else the nearest ancestor's (innermost folder
/// first, collection last). `inherit` (or no block) defers to the parent.
pub fn effective<'a>(own: Option<&'a Auth>, ancestors: &[Option<&'a Auth>]) -> Option<&'a Auth> {
    std::iter::once(own)
        .chain(ancestors.iter().copied())
        .flatten()
        .find(|a| a.kind != "inherit" && !a.kind.is_empty())
}

/// A parameter value as text (`null` and missing are empty).
pub(super) fn text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The credential values of an auth block (passwords, tokens, keys), for the redactor.
/// Settings that are not credentials (`in`, `addTokenTo`, algorithms, URLs) are left out, as
/// are user names (an identity such as `postman` would mask host names) and an API key's header
/// name (`key`), except in hawk, where `key` is the shared secret.
pub fn secrets(auth: &Auth) -> Vec<String> {
    const SECRET_PARAMS: [&str; 21] = [
        "password",
        "token",
        "accessToken",
        "value",
        "clientSecret",
        "secret",
        "secretKey",
        "privateKey",
        "refreshToken",
        "passphrase",
        "consumerKey",
        "consumerSecret",
        "tokenSecret",
        "authId",
        "authKey",
        "accessKey",
        "sessionToken",
        "clientToken",
        "signature",
        "idToken",
        "id_token",
    ];
    auth.params_list()
        .into_iter()
        .filter(|(k, _)| SECRET_PARAMS.contains(&k.as_str()) || (auth.kind == "hawk" && k == "key"))
        .map(|(_, v)| text(Some(&v)))
        .filter(|v| !v.is_empty())
        .collect()
}

/// `base64(username:password)` of a basic block.
fn basic_credentials(auth: &Auth) -> String {
    let user = text(auth.param("username"));
    let pass = text(auth.param("password"));
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
}

/// Applies an (already variable-resolved) auth block to the request, as postman-runtime's
/// authorizers do: any user `Authorization` header is replaced. Returns the credential minted
/// on the way (a signed JWT), which the caller must register with its redactor.
pub fn apply(spec: &mut RequestSpec, auth: &Auth) -> Result<Option<Secret<String>>, ApplyError> {
    match auth.kind.as_str() {
        "noauth" => {}
        "basic" => {
            spec.set_header(
                "Authorization",
                format!("Basic {}", basic_credentials(auth)),
            );
        }
        "jwt" => return Ok(Some(postman_jwt::apply(spec, auth)?)),
        "bearer" => {
            let token = text(auth.param("token"));
            if !token.is_empty() {
                spec.set_header("Authorization", format!("Bearer {token}"));
            }
        }
        "apikey" => {
            let key = text(auth.param("key"));
            let value = text(auth.param("value"));
            if key.is_empty() {
                return Ok(None);
            }
            if text(auth.param("in")) == "query" {
                add_query_param(spec, &key, &value);
            } else {
                spec.set_header(&key, value);
            }
        }
        "oauth2" => {
            let token = text(auth.param("accessToken"));
            let token_type = text(auth.param("tokenType")).to_ascii_lowercase();
            if token.is_empty() || token_type == "mac" {
                return Ok(None);
            }
            if text(auth.param("addTokenTo")) == "queryParams" {
                add_query_param(spec, "access_token", &token);
            } else {
                let prefix = match auth.param("headerPrefix") {
                    Some(Value::String(p)) => p.clone(),
                    _ => "Bearer".to_string(),
                };
                let value = if prefix.is_empty() {
                    token
                } else {
                    format!("{prefix} {token}")
                };
                spec.set_header("Authorization", value);
            }
        }
        // Signed by the runner's `DigestSessions`, which keeps each block's challenge.
        "digest" => {}
        // A handshake the runner drives after the first response (`postman_ntlm::handshake`).
        "ntlm" => {}
        "hawk" => crate::auth::postman_hawk::apply(spec, auth),
        "awsv4" => crate::auth::postman_awsv4::apply(spec, auth),
        "edgegrid" => crate::auth::postman_edgegrid::apply(spec, auth),
        "asap" => {
            return crate::auth::postman_asap::apply(spec, auth)
                .map(Some)
                .map_err(|e| ApplyError::Unsigned(format!("runtime~asap.auth: {e}")));
        }
        // A key Newman cannot sign with leaves the request unsigned, with a warning.
        "oauth1" => crate::auth::postman_oauth1::apply(spec, auth).map_err(|e| match e {
            crate::auth::postman_oauth1::OAuth1Error::PrivateKey { .. } => {
                ApplyError::Unsigned(format!("runtime~oauth1.auth: {e}"))
            }
            other => ApplyError::OAuth1(other),
        })?,
        other => {
            return Err(UnsupportedAuth {
                kind: other.to_string(),
            }
            .into());
        }
    }
    Ok(None)
}

/// Adds `key=value` to the query, replacing an existing parameter of that name.
pub(super) fn add_query_param(spec: &mut RequestSpec, key: &str, value: &str) {
    let (base, fragment) = match spec.url.split_once('#') {
        Some((b, f)) => (b.to_string(), Some(f.to_string())),
        None => (spec.url.clone(), None),
    };
    let (path, query) = match base.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (base, String::new()),
    };
    let mut pieces: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| p.split('=').next() != Some(key))
        .map(str::to_string)
        .collect();
    pieces.push(crate::http::url::encode_query_param(key, value));
    spec.url = format!("{path}?{}", pieces.join("&"));
    if let Some(f) = fragment {
        spec.url.push('#');
        spec.url.push_str(&f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn auth(v: Value) -> Auth {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn basic_v21_and_bearer_v20_shapes() {
        let mut s = RequestSpec {
            headers: vec![("authorization".into(), "old".into())],
            ..Default::default()
        };
        apply(
            &mut s,
            &auth(json!({"type": "basic", "basic": [
                {"key": "username", "value": "postman"}, {"key": "password", "value": "password"}]})),
        )
        .unwrap();
        assert_eq!(
            s.headers,
            vec![(
                "Authorization".into(),
                "Basic cG9zdG1hbjpwYXNzd29yZA==".into()
            )]
        );
        apply(
            &mut s,
            &auth(json!({"type": "bearer", "bearer": {"token": "t0k"}})),
        )
        .unwrap();
        assert_eq!(
            s.headers,
            vec![("Authorization".into(), "Bearer t0k".into())]
        );
    }

    #[test]
    fn apikey_in_query_replaces_existing() {
        let mut s = RequestSpec {
            url: "http://h/p?api_key=old&x=1".into(),
            ..Default::default()
        };
        apply(
            &mut s,
            &auth(json!({"type": "apikey", "apikey": [
                {"key": "key", "value": "api_key"}, {"key": "value", "value": "n w"}, {"key": "in", "value": "query"}]})),
        )
        .unwrap();
        assert_eq!(s.url, "http://h/p?x=1&api_key=n%20w");
    }

    #[test]
    fn oauth2_stored_token_and_prefix() {
        let mut s = RequestSpec::default();
        apply(
            &mut s,
            &auth(json!({"type": "oauth2", "oauth2": [
                {"key": "accessToken", "value": "abc"}, {"key": "headerPrefix", "value": "OAuth"}]})),
        )
        .unwrap();
        assert_eq!(
            s.headers,
            vec![("Authorization".into(), "OAuth abc".into())]
        );
    }

    #[test]
    fn unsupported_type_is_an_error_and_inheritance_stops_at_noauth() {
        let mut s = RequestSpec::default();
        // The loader refuses unknown types; a block built in code still gets a clear error.
        let kerberos = Auth {
            kind: "kerberos".into(),
            params: serde_json::Map::new(),
        };
        let err = apply(&mut s, &kerberos).unwrap_err();
        assert!(err.to_string().contains("`kerberos`"));
        let noauth = auth(json!({"type": "noauth"}));
        let basic = auth(json!({"type": "basic"}));
        let inherit = auth(json!({"type": "inherit"}));
        assert_eq!(
            effective(None, &[Some(&noauth), Some(&basic)]).map(|a| a.kind.as_str()),
            Some("noauth")
        );
        assert_eq!(
            effective(Some(&inherit), &[None, Some(&basic)]).map(|a| a.kind.as_str()),
            Some("basic")
        );
    }
}
