//! Postman `awsv4` auth: AWS Signature Version 4 as postman-runtime signs it with the `aws4`
//! library (AWS's published algorithm; checked against AWS's test vectors and Newman 6.2.2).
//!
//! In the header form the request gets `Host`, `X-Amz-Date`, `X-Amz-Content-Sha256` (when it
//! has a body), `X-Amz-Security-Token` (with a session token) and
//! `Authorization: AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request,
//! SignedHeaders=host;x-amz-date, Signature=...`. With `addAuthDataToQuery` the `X-Amz-*`
//! parameters go into the query instead. The service defaults to `execute-api` (API Gateway)
//! and the region to `us-east-1`.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sha2::{Digest, Sha256};

use crate::auth::postman_params::{flag, get, hmac_sha256, params, path_and_query};
use crate::collection::model::Auth;
use crate::http::spec::RequestSpec;

/// `encodeURIComponent` plus `! ' ( ) *`: what `aws4` encodes path pieces and query parts with.
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Headers `aws4` never signs.
const UNSIGNED: [&str; 7] = [
    "authorization",
    "connection",
    "x-amzn-trace-id",
    "user-agent",
    "expect",
    "presigned-expires",
    "range",
];

/// The credentials and scope of one signature.
#[derive(Debug, Clone)]
pub struct SigV4 {
    /// Access key id.
    pub access_key: String,
    /// Secret access key.
    pub secret_key: String,
    /// Session token (STS), if any.
    pub session_token: Option<String>,
    /// Region, e.g. `us-east-1`.
    pub region: String,
    /// Service, e.g. `execute-api`.
    pub service: String,
    /// Put the auth data in the query instead of headers.
    pub in_query: bool,
}

/// Signs the request with the block's credentials at the current time.
pub fn apply(spec: &mut RequestSpec, auth: &Auth) {
    let p = params(auth);
    let or = |key: &str, default: &str| match get(&p, key) {
        "" => default.to_string(),
        v => v.to_string(),
    };
    let sig = SigV4 {
        access_key: get(&p, "accessKey").to_string(),
        secret_key: get(&p, "secretKey").to_string(),
        session_token: Some(get(&p, "sessionToken").to_string()).filter(|t| !t.is_empty()),
        region: or("region", "us-east-1"),
        service: or("service", "execute-api"),
        in_query: flag(&p, "addAuthDataToQuery"),
    };
    let now = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    sign(spec, &sig, &now);
}

/// Signs `spec` as of `datetime` (`YYYYMMDDTHHMMSSZ`).
pub fn sign(spec: &mut RequestSpec, sig: &SigV4, datetime: &str) {
    for name in [
        "authorization",
        "x-amz-date",
        "x-amz-security-token",
        "x-amz-content-sha256",
    ] {
        spec.remove_header(name);
    }
    let date = datetime.get(..8).unwrap_or(datetime);
    let scope = format!("{date}/{}/{}/aws4_request", sig.region, sig.service);
    let mut headers: Vec<(String, String)> = spec
        .headers
        .iter()
        .filter(|(k, _)| !(spec.content_type_from_body && k.eq_ignore_ascii_case("content-type")))
        .cloned()
        .collect();
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        headers.push(("Host".into(), host_of(&spec.url)));
    }
    let s3 = sig.service == "s3";
    let mut extra_query: Vec<(String, String)> = Vec::new();
    let body_hash = if sig.in_query {
        if let Some(token) = &sig.session_token {
            extra_query.push(("X-Amz-Security-Token".into(), token.clone()));
        }
        if s3 && !query_has(&spec.url, "X-Amz-Expires") {
            extra_query.push(("X-Amz-Expires".into(), "86400".into()));
        }
        extra_query.push(("X-Amz-Date".into(), datetime.to_string()));
        extra_query.push(("X-Amz-Algorithm".into(), "AWS4-HMAC-SHA256".into()));
        extra_query.push((
            "X-Amz-Credential".into(),
            format!("{}/{scope}", sig.access_key),
        ));
        extra_query.push(("X-Amz-SignedHeaders".into(), signed_names(&headers)));
        if s3 {
            "UNSIGNED-PAYLOAD".to_string()
        } else {
            hex(&Sha256::digest(b""))
        }
    } else {
        // postman-runtime does not hash form-data bodies.
        let multipart = spec.headers.iter().any(|(k, v)| {
            k.eq_ignore_ascii_case("content-type")
                && v.to_ascii_lowercase().starts_with("multipart/")
        });
        let content_hash = spec
            .body
            .as_ref()
            .filter(|b| !b.is_empty() && !multipart)
            .map(|b| hex(&Sha256::digest(b)));
        if let Some(token) = &sig.session_token {
            headers.push(("X-Amz-Security-Token".into(), token.clone()));
        }
        let content_hash = content_hash.or_else(|| s3.then(|| hex(&Sha256::digest(b""))));
        if let Some(h) = &content_hash {
            headers.push(("X-Amz-Content-Sha256".into(), h.clone()));
        }
        headers.push(("X-Amz-Date".into(), datetime.to_string()));
        content_hash.unwrap_or_else(|| hex(&Sha256::digest(b"")))
    };
    let target = path_and_query(&spec.url);
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut query_pairs = parse_query(query);
    query_pairs.extend(extra_query.iter().cloned());
    let canonical = [
        spec.method.clone(),
        canonical_path(path, s3),
        canonical_query(&query_pairs, s3),
        format!("{}\n", canonical_headers(&headers)),
        signed_names(&headers),
        body_hash,
    ]
    .join("\n");
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{datetime}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut key = hmac_sha256(
        format!("AWS4{}", sig.secret_key).as_bytes(),
        date.as_bytes(),
    );
    for part in [sig.region.as_str(), sig.service.as_str(), "aws4_request"] {
        key = hmac_sha256(&key, part.as_bytes());
    }
    let signature = hex(&hmac_sha256(&key, string_to_sign.as_bytes()));
    if sig.in_query {
        extra_query.push(("X-Amz-Signature".into(), signature));
        let (base, fragment) = match spec.url.split_once('#') {
            Some((b, f)) => (b.to_string(), Some(f.to_string())),
            None => (spec.url.clone(), None),
        };
        let mut url = base;
        for (k, v) in &extra_query {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&format!("{k}={}", utf8_percent_encode(v, RFC3986)));
        }
        if let Some(f) = fragment {
            url.push('#');
            url.push_str(&f);
        }
        spec.url = url;
        upsert(spec, &headers, "host");
    } else {
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={}, Signature={signature}",
            sig.access_key,
            signed_names(&headers)
        );
        for name in [
            "host",
            "x-amz-security-token",
            "x-amz-content-sha256",
            "x-amz-date",
        ] {
            upsert(spec, &headers, name);
        }
        spec.headers.push(("Authorization".into(), authorization));
    }
}

/// Puts header `name` from `signed` onto the request unless it already has it.
fn upsert(spec: &mut RequestSpec, signed: &[(String, String)], name: &str) {
    if spec.has_header(name) {
        return;
    }
    if let Some((k, v)) = signed.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
        spec.headers.push((k.clone(), v.clone()));
    }
}

/// Node's `url.host`: host and a non-default port.
fn host_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let default = if scheme.eq_ignore_ascii_case("https") {
        ":443"
    } else {
        ":80"
    };
    host.strip_suffix(default)
        .unwrap_or(host)
        .to_ascii_lowercase()
}

fn query_has(url: &str, key: &str) -> bool {
    let query = path_and_query(url).split_once('?').map_or("", |(_, q)| q);
    parse_query(query).iter().any(|(k, _)| k == key)
}

/// Node's `querystring.parse`: `&`-separated, `+` as space, percent-decoded.
fn parse_query(query: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let spaced = s.replace('+', " ");
        percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
    };
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// Keys sorted by their encoded form, every value of a repeated key (sorted; the first only for
/// S3), empty keys dropped.
fn canonical_query(pairs: &[(String, String)], s3: bool) -> String {
    let mut keys: Vec<String> = Vec::new();
    let mut values: std::collections::HashMap<String, Vec<String>> = Default::default();
    for (k, v) in pairs.iter().filter(|(k, _)| !k.is_empty()) {
        let key = utf8_percent_encode(k, RFC3986).to_string();
        let entry = values.entry(key.clone()).or_default();
        if entry.is_empty() {
            keys.push(key);
        }
        if !s3 || entry.is_empty() {
            entry.push(utf8_percent_encode(v, RFC3986).to_string());
        }
    }
    keys.sort();
    let mut pieces = Vec::new();
    for key in keys {
        let mut vals = values.remove(&key).unwrap_or_default();
        vals.sort();
        for v in vals {
            pieces.push(format!("{key}={v}"));
        }
    }
    pieces.join("&")
}

/// The path as `aws4` canonicalises it: `//` collapsed and `.`/`..` resolved except for S3,
/// each piece encoded (S3 decodes first and keeps `/`).
fn canonical_path(path: &str, s3: bool) -> String {
    let path = if path.is_empty() { "/" } else { path };
    if path == "/" {
        return path.to_string();
    }
    let collapsed;
    let path = if s3 {
        path
    } else {
        let mut p = path.to_string();
        while p.contains("//") {
            p = p.replace("//", "/");
        }
        collapsed = p;
        collapsed.as_str()
    };
    let mut out: Vec<String> = Vec::new();
    for piece in path.split('/') {
        if !s3 && piece == ".." {
            out.pop();
        } else if s3 || piece != "." {
            let piece = if s3 {
                percent_decode_str(&piece.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            } else {
                piece.to_string()
            };
            out.push(utf8_percent_encode(&piece, RFC3986).to_string());
        }
    }
    let mut joined = out.join("/");
    if !joined.starts_with('/') {
        joined.insert(0, '/');
    }
    if s3 {
        joined = joined.replace("%2F", "/");
    }
    joined
}

/// The signed headers, lower-case and sorted (the first of duplicate names).
fn signed(headers: &[(String, String)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in headers {
        let name = k.to_ascii_lowercase();
        if UNSIGNED.contains(&name.as_str()) || out.iter().any(|(n, _)| *n == name) {
            continue;
        }
        out.push((name, v.split_whitespace().collect::<Vec<_>>().join(" ")));
    }
    out.sort();
    out
}

fn canonical_headers(headers: &[(String, String)]) -> String {
    signed(headers)
        .iter()
        .map(|(k, v)| format!("{k}:{v}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn signed_names(headers: &[(String, String)]) -> String {
    signed(headers)
        .into_iter()
        .map(|(k, _)| k)
        .collect::<Vec<_>>()
        .join(";")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_suite_credentials(service: &str) -> SigV4 {
        SigV4 {
            access_key: "AKIDEXAMPLE".into(),
            secret_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
            region: "us-east-1".into(),
            service: service.into(),
            in_query: false,
        }
    }

    fn signed_request(method: &str, url: &str, headers: &[(&str, &str)]) -> RequestSpec {
        let mut spec = RequestSpec {
            method: method.into(),
            url: url.into(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..RequestSpec::default()
        };
        sign(
            &mut spec,
            &test_suite_credentials("service"),
            "20150830T123600Z",
        );
        spec
    }

    fn authorization(spec: &RequestSpec) -> &str {
        spec.headers
            .iter()
            .find(|(k, _)| k == "Authorization")
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    }

    #[test]
    fn aws_test_suite_get_vanilla() {
        let spec = signed_request("GET", "https://example.amazonaws.com/", &[]);
        assert_eq!(
            authorization(&spec),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
        assert!(
            spec.headers
                .contains(&("X-Amz-Date".into(), "20150830T123600Z".into()))
        );
    }

    #[test]
    fn aws_test_suite_get_vanilla_query_order_key_case() {
        let spec = signed_request(
            "GET",
            "https://example.amazonaws.com/?Param2=value2&Param1=value1",
            &[],
        );
        assert!(
            authorization(&spec).ends_with(
                "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
            ),
            "{}",
            authorization(&spec)
        );
    }

    /// Signatures Newman 6.2.2 sent for the same requests with its clock set to 2015-08-30
    /// 12:36:00 UTC (region eu-west-1).
    #[test]
    fn equal_to_newman_for_the_same_time() {
        let creds = |service: &str, token: Option<&str>, in_query: bool| SigV4 {
            region: "eu-west-1".into(),
            session_token: token.map(str::to_string),
            in_query,
            ..test_suite_credentials(service)
        };
        let cases = [
            (
                RequestSpec {
                    method: "GET".into(),
                    url: "http://127.0.0.1:47812/prod/a%20b/./c//d?b=2&a=1&a=0&sp=x%20y&pl=a+b&e="
                        .into(),
                    headers: vec![("X-Custom".into(), "  v   1 ".into())],
                    ..RequestSpec::default()
                },
                creds("execute-api", None, false),
                "1e718887663e22bf33767b7b6029f842858a9dc9fd77f9bdee962db64424b19d",
            ),
            (
                RequestSpec {
                    method: "POST".into(),
                    url: "http://127.0.0.1:47812/prod/items".into(),
                    headers: vec![("Content-Type".into(), "application/json".into())],
                    body: Some(b"{\"a\":1}".to_vec()),
                    ..RequestSpec::default()
                },
                creds("execute-api", Some("SESSION/TOKEN+x="), false),
                "31f45d206eb0ac7a25ce65ab1b5f5750c55854c85b8cd651c4435ef886e14c1f",
            ),
            (
                RequestSpec {
                    method: "PUT".into(),
                    url: "http://127.0.0.1:47812/bucket/key%20name.txt".into(),
                    headers: vec![("Content-Type".into(), "text/plain".into())],
                    body: Some(b"hello".to_vec()),
                    content_type_from_body: true,
                    ..RequestSpec::default()
                },
                creds("s3", None, false),
                "547e0ca82c70d971c8eb593f03bafca062f4c722577dac3a2b3a9f8b23df28ae",
            ),
        ];
        for (mut spec, sig, expected) in cases {
            sign(&mut spec, &sig, "20150830T123600Z");
            assert!(
                authorization(&spec).ends_with(&format!("Signature={expected}")),
                "{}: {}",
                spec.url,
                authorization(&spec)
            );
        }
        let mut query = RequestSpec {
            method: "GET".into(),
            url: "http://127.0.0.1:47812/q?z=1".into(),
            ..RequestSpec::default()
        };
        sign(
            &mut query,
            &creds("execute-api", Some("tok"), true),
            "20150830T123600Z",
        );
        assert_eq!(
            query.url,
            "http://127.0.0.1:47812/q?z=1&X-Amz-Security-Token=tok&X-Amz-Date=20150830T123600Z\
             &X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Feu-west-1%2Fexecute-api%2Faws4_request\
             &X-Amz-SignedHeaders=host\
             &X-Amz-Signature=6594c9d7d0b14c010abbe43c1566db42ebffad2b42465938c40504edc563f79d"
        );
        assert!(query.has_header("host") && !query.has_header("authorization"));
    }
}
