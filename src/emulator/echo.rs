//! postman-echo compatible endpoints, ported from the conformance kit's `echo_server.py`.
//!
//! `GET /get?a=1&a=2` answers `{"args":{"a":["1","2"]},"headers":{...},"url":"http://host/get?a=1&a=2"}`;
//! `/post`, `/put`, `/patch` and `/delete` add `data`, `files`, `form` and `json`. Every route
//! accepts any method (custom ones too) unless postman-echo ties it to one. `/raw/...` echoes the
//! request text back like Newman's raw-echo test server.

use std::io::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Request};
use axum::http::header::{
    ALLOW, AUTHORIZATION, CONNECTION, CONTENT_ENCODING, CONTENT_TYPE, COOKIE, HOST, LOCATION,
    SET_COOKIE,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use flate2::Compression;
use flate2::write::{GzEncoder, ZlibEncoder};
use serde_json::{Map, Value, json};

use super::parse;

/// Longest `/delay/{n}` wait, in seconds.
const MAX_DELAY_SECS: f64 = 10.0;
/// Largest request body the echo routes read.
const BODY_LIMIT: usize = 32 * 1024 * 1024;
/// Path prefix of the raw-echo routes; it is stripped from the echoed request line.
const RAW_PREFIX: &str = "/raw";
/// `Authorization` value `/basic-auth` accepts: `postman:password`.
const BASIC_CREDENTIALS: &str = "Basic cG9zdG1hbjpwYXNzd29yZA==";
/// Methods advertised in answer to `OPTIONS`.
const ALLOWED: &str = "GET,HEAD,PUT,PATCH,POST,DELETE";
const JSON: &str = "application/json; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";
const UTF8_DEMO: &str = "<html><body><h1>Unicode Demo</h1><pre>∮ E⋅da = Q,  n → ∞, ∑ f(i) = ∏ g(i)\
    \nΣὲ γνωρίζω ἀπὸ τὴν κόψη\nЗарегистрируйтесь сейчас\n</pre></body></html>";
const HTML_DEMO: &str = "<!DOCTYPE html><html><head><title>postman-echo</title></head><body>\
    <h1>HTML</h1></body></html>";
const XML_DEMO: &str =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<_> <hello>world</hello> <foo>bar</foo> </_>";
const OAUTH2_TOKEN: &str = "vp7jxTwqgczoFHs0uIdOvv4VdBWmvCkbVbNBCuaTQ3JZplPS40BaNV47HD1zt7MztQPILJvqYsOs6PfJpFYBgwbaE3CVEKOj";

/// All echo routes, with a JSON 404 for every other path.
pub(super) fn router() -> Router {
    Router::new()
        .route("/", any(root))
        .route("/get", any(get))
        .route("/post", any(with_body))
        .route("/put", any(with_body))
        .route("/patch", any(with_body))
        .route("/delete", any(with_body))
        .route("/headers", any(headers))
        .route("/response-headers", any(response_headers))
        .route("/cookies", any(cookies))
        .route("/cookies/set", any(cookies_set))
        .route("/cookies/delete", any(cookies_delete))
        .route("/basic-auth", any(basic_auth))
        .route("/digest-auth", any(super::echo_auth::digest_auth))
        .route("/auth/hawk", any(super::echo_auth::hawk_auth))
        .route("/oauth1", any(super::echo_auth::oauth1))
        .route("/oauth2/token", any(oauth2_token))
        .route("/oauth2/user/info", any(oauth2_user_info))
        .route("/gzip", any(gzip))
        .route("/deflate", any(deflate))
        .route("/delay/{secs}", any(delay))
        .route("/status/{code}", any(status))
        .route("/redirect-to", any(redirect_to))
        .route(
            "/encoding/utf8",
            any(|| async { reply(StatusCode::OK, HTML, UTF8_DEMO) }),
        )
        .route(
            "/type/html",
            any(|| async { reply(StatusCode::OK, HTML, HTML_DEMO) }),
        )
        .route("/type/xml", any(type_xml))
        .route("/ip", any(ip))
        .route("/time/{what}", any(time))
        .route(RAW_PREFIX, any(raw))
        // A catch-all segment never matches the empty string, so `/raw/` needs its own route.
        .route(&format!("{RAW_PREFIX}/"), any(raw))
        .route(&format!("{RAW_PREFIX}/{{*rest}}"), any(raw))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

/// Middleware: answers `OPTIONS` on every path (except raw echo) as postman-echo does.
pub(super) async fn answer_options(request: Request, next: Next) -> Response {
    if request.method() == Method::OPTIONS && !is_raw(request.uri().path()) {
        let mut response = reply(StatusCode::OK, HTML, ALLOWED);
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static(ALLOWED));
        return response;
    }
    next.run(request).await
}

async fn root() -> Response {
    reply(
        StatusCode::OK,
        HTML,
        "<html><body>postman-echo stand-in</body></html>",
    )
}

async fn get(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return reply(StatusCode::NOT_FOUND, HTML, "Not Found");
    }
    json_reply(
        StatusCode::OK,
        json!({
            "args": parse::query_args(uri.query()),
            "headers": header_object(&headers),
            "url": full_url(&headers, &uri),
        }),
    )
}

/// `/post`, `/put`, `/patch`, `/delete`: only the method named by the path is accepted.
async fn with_body(method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    if uri.path().trim_start_matches('/').to_ascii_uppercase() != method.as_str() {
        return reply(StatusCode::NOT_FOUND, HTML, "Not Found");
    }
    let content_type = header_text(&headers, &CONTENT_TYPE);
    let lower = content_type.to_ascii_lowercase();
    let (mut data, mut form, mut files, mut parsed) =
        (json!({}), Map::new(), Map::new(), Value::Null);
    if lower.contains("multipart/form-data") {
        (form, files) = parse::multipart(&body, &content_type);
    } else if lower.contains("application/x-www-form-urlencoded") {
        form = parse::multi_map(parse::form_pairs(&body));
        data = json!("");
        parsed = Value::Object(form.clone());
    } else if !body.is_empty() {
        let text = String::from_utf8_lossy(&body).into_owned();
        let json_body = lower
            .contains("json")
            .then(|| serde_json::from_str::<Value>(&text));
        data = match json_body {
            Some(Ok(value)) => {
                parsed = value.clone();
                value
            }
            _ => Value::String(text),
        };
    }
    json_reply(
        StatusCode::OK,
        json!({
            "args": parse::query_args(uri.query()),
            "data": data,
            "files": files,
            "form": form,
            "headers": header_object(&headers),
            "json": parsed,
            "url": full_url(&headers, &uri),
        }),
    )
}

async fn headers(headers: HeaderMap) -> Response {
    json_reply(
        StatusCode::OK,
        json!({ "headers": header_object(&headers) }),
    )
}

/// Sets each query pair as a response header and echoes the pairs as `args`.
async fn response_headers(uri: Uri) -> Response {
    let pairs = parse::form_pairs(uri.query().unwrap_or_default().as_bytes());
    let mut response = json_reply(
        StatusCode::OK,
        Value::Object(parse::query_args(uri.query())),
    );
    let out = response.headers_mut();
    for (name, value) in pairs {
        if name.eq_ignore_ascii_case("content-type") {
            if let Ok(value) = HeaderValue::from_str(&parse::normalize_content_type(&value)) {
                out.insert(CONTENT_TYPE, value);
            }
        } else if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) {
            out.append(name, value);
        }
    }
    response
}

async fn cookies(headers: HeaderMap) -> Response {
    let jar = parse::cookies(&header_text(&headers, &COOKIE));
    json_reply(StatusCode::OK, json!({ "cookies": jar }))
}

/// Sets each query pair as a cookie and redirects to `/cookies`.
async fn cookies_set(uri: Uri) -> Response {
    let mut response = reply(StatusCode::FOUND, TEXT, "Found. Redirecting to /cookies");
    let out = response.headers_mut();
    for (name, value) in parse::form_pairs(uri.query().unwrap_or_default().as_bytes()) {
        if let Ok(cookie) = HeaderValue::from_bytes(format!("{name}={value}; Path=/").as_bytes()) {
            out.append(SET_COOKIE, cookie);
        }
    }
    out.insert(LOCATION, HeaderValue::from_static("/cookies"));
    response
}

/// Expires the cookies named in the query and answers directly (no redirect): Newman re-sends
/// the pre-redirect Cookie header on a redirect, which would echo the deleted cookies back.
async fn cookies_delete(uri: Uri, headers: HeaderMap) -> Response {
    let names: Vec<String> = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .map(|pair| pair.split_once('=').map_or(pair, |(name, _)| name))
        .filter(|name| !name.is_empty())
        .map(|name| {
            percent_encoding::percent_decode_str(name)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let mut jar = parse::cookies(&header_text(&headers, &COOKIE));
    jar.retain(|name, _| !names.contains(name));
    let mut response = json_reply(StatusCode::OK, json!({ "cookies": jar }));
    for name in names {
        let expired = format!("{name}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
        if let Ok(value) = HeaderValue::from_bytes(expired.as_bytes()) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
    response
}

async fn basic_auth(headers: HeaderMap) -> Response {
    if headers
        .get(AUTHORIZATION)
        .is_some_and(|v| v == BASIC_CREDENTIALS)
    {
        json_reply(StatusCode::OK, json!({ "authenticated": true }))
    } else {
        reply(StatusCode::UNAUTHORIZED, TEXT, "Unauthorized")
    }
}

async fn oauth2_token() -> Response {
    json_reply(
        StatusCode::OK,
        json!({ "access_token": OAUTH2_TOKEN, "token_type": "Bearer", "expires_in": 3600 }),
    )
}

async fn oauth2_user_info(headers: HeaderMap) -> Response {
    if header_text(&headers, &AUTHORIZATION).starts_with("Bearer ") {
        json_reply(StatusCode::OK, json!({ "user_id": 1, "name": "Postman" }))
    } else {
        json_reply(StatusCode::UNAUTHORIZED, json!({ "error": "unauthorized" }))
    }
}

async fn gzip(method: Method, headers: HeaderMap) -> Response {
    let body =
        json!({ "gzipped": true, "headers": header_object(&headers), "method": method.as_str() });
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    compressed(
        encoder
            .write_all(body.to_string().as_bytes())
            .and_then(|()| encoder.finish()),
        "gzip",
    )
}

/// HTTP `deflate` is the zlib format (RFC 9110 section 8.4.1.2), not raw deflate.
async fn deflate(method: Method, headers: HeaderMap) -> Response {
    let body =
        json!({ "deflated": true, "headers": header_object(&headers), "method": method.as_str() });
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    compressed(
        encoder
            .write_all(body.to_string().as_bytes())
            .and_then(|()| encoder.finish()),
        "deflate",
    )
}

/// `/delay/{n}`: waits `n` seconds (fractions allowed, capped at ten) and answers `{"delay": "n"}`.
async fn delay(method: Method, Path(secs): Path<String>) -> Response {
    let (whole, fraction) = secs.split_once('.').unwrap_or((&secs, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let Some(wait) = secs
        .parse::<f64>()
        .ok()
        .filter(|_| digits(whole) && digits(fraction))
    else {
        return not_found_json(&method, &format!("/delay/{secs}"));
    };
    tokio::time::sleep(Duration::from_secs_f64(wait.min(MAX_DELAY_SECS))).await;
    json_reply(StatusCode::OK, json!({ "delay": secs }))
}

/// `/status/{code}`: answers with that three-digit status and `{"status": code}`.
async fn status(method: Method, Path(code): Path<String>) -> Response {
    let parsed = Some(&code)
        .filter(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|c| c.parse::<u16>().ok())
        .and_then(|c| StatusCode::from_u16(c).ok());
    match parsed {
        Some(status) => json_reply(status, json!({ "status": status.as_u16() })),
        None => not_found_json(&method, &format!("/status/{code}")),
    }
}

/// `/redirect-to?url=..&status_code=..`: redirects (302 unless told otherwise) to `url`.
async fn redirect_to(uri: Uri) -> Response {
    let args = parse::query_args(uri.query());
    let first = |key: &str| match args.get(key) {
        Some(Value::Array(items)) => items.first().and_then(Value::as_str).map(str::to_owned),
        Some(value) => value.as_str().map(str::to_owned),
        None => None,
    };
    let target = first("url").unwrap_or_else(|| "/".to_owned());
    let code = first("status_code")
        .and_then(|c| c.parse::<u16>().ok())
        .and_then(|c| StatusCode::from_u16(c).ok())
        .unwrap_or(StatusCode::FOUND);
    let mut response = reply(code, TEXT, "");
    if let Ok(location) = HeaderValue::from_bytes(target.as_bytes()) {
        response.headers_mut().insert(LOCATION, location);
    }
    response
}

async fn type_xml() -> Response {
    reply(StatusCode::OK, "application/xml; charset=utf-8", XML_DEMO)
}

async fn ip(ConnectInfo(peer): ConnectInfo<SocketAddr>) -> Response {
    json_reply(StatusCode::OK, json!({ "ip": peer.ip().to_string() }))
}

/// `/time/now` (an RFC 7231 date), `/time/valid?timestamp=` and `/time/leap?timestamp=`.
async fn time(uri: Uri, Path(what): Path<String>) -> Response {
    let now = chrono::Utc::now();
    let args = parse::query_args(uri.query());
    let timestamp = args.get("timestamp").and_then(Value::as_str);
    match what.as_str() {
        "now" => reply(
            StatusCode::OK,
            HTML,
            now.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
        ),
        "valid" => {
            let valid = timestamp.is_some_and(|t| {
                let b = t.as_bytes();
                b.len() >= 10
                    && b[4] == b'-'
                    && b[7] == b'-'
                    && [0..4, 5..7, 8..10]
                        .iter()
                        .all(|r| b[r.clone()].iter().all(u8::is_ascii_digit))
            });
            json_reply(StatusCode::OK, json!({ "valid": valid }))
        }
        "leap" => {
            let year_text = timestamp.map_or_else(
                || now.format("%Y").to_string(),
                |t| t.chars().take(4).collect(),
            );
            let year: i64 = year_text.parse().unwrap_or(0);
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
            json_reply(StatusCode::OK, json!({ "leap": leap }))
        }
        other => json_reply(StatusCode::OK, json!({ "unsupported": other })),
    }
}

/// Raw echo (port of Newman's `createRawEchoServer`): the request as text, in the body and in a
/// `raw-request` header. hyper lower-cases header names, so they are rebuilt in Title-Case.
async fn raw(request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let target = target.strip_prefix(RAW_PREFIX).unwrap_or(target);
    let target = if target.starts_with('/') {
        target.to_owned()
    } else {
        format!("/{target}")
    };
    let mut text = format!("{} {} {:?}\r\n", parts.method, target, parts.version).into_bytes();
    for (name, value) in &parts.headers {
        text.extend_from_slice(title_case(name.as_str()).as_bytes());
        text.extend_from_slice(b": ");
        text.extend_from_slice(value.as_bytes());
        text.extend_from_slice(b"\r\n");
    }
    text.extend_from_slice(b"\r\n");
    match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(bytes) => text.extend_from_slice(&bytes),
        Err(_) => return reply(StatusCode::PAYLOAD_TOO_LARGE, TEXT, "Payload Too Large"),
    }
    let quoted = Value::String(String::from_utf8_lossy(&text).into_owned()).to_string();
    let mut response = (StatusCode::OK, text).into_response();
    let out = response.headers_mut();
    out.insert(CONNECTION, HeaderValue::from_static("close"));
    out.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    if let Ok(value) = HeaderValue::from_bytes(quoted.as_bytes()) {
        out.insert(HeaderName::from_static("raw-request"), value);
    }
    response
}

async fn not_found(method: Method, uri: Uri) -> Response {
    not_found_json(&method, uri.path())
}

fn not_found_json(method: &Method, path: &str) -> Response {
    let message = format!("{method} {path} not found");
    json_reply(
        StatusCode::NOT_FOUND,
        json!({ "error": { "name": "NotFound", "message": message } }),
    )
}

fn is_raw(path: &str) -> bool {
    path == RAW_PREFIX || path.starts_with(&format!("{RAW_PREFIX}/"))
}

/// `content-type` -> `Content-Type`.
fn title_case(name: &str) -> String {
    name.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |c| {
                c.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Request headers as a JSON object with lower-case keys; repeated headers are joined by `, `.
fn header_object(headers: &HeaderMap) -> Map<String, Value> {
    let mut out = Map::new();
    for name in headers.keys() {
        let joined = headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect::<Vec<_>>()
            .join(", ");
        out.insert(name.as_str().to_owned(), Value::String(joined));
    }
    out
}

/// A header's value as text (lossy), or empty when absent.
fn header_text(headers: &HeaderMap, name: &HeaderName) -> String {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default()
}

/// The URL the client asked for, rebuilt from `Host` and the request target.
fn full_url(headers: &HeaderMap, uri: &Uri) -> String {
    let target = uri.path_and_query().map_or("/", |pq| pq.as_str());
    format!("http://{}{target}", header_text(headers, &HOST))
}

fn reply(status: StatusCode, content_type: &'static str, body: impl Into<Body>) -> Response {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

pub(super) fn json_reply(status: StatusCode, body: Value) -> Response {
    reply(status, JSON, body.to_string())
}

fn compressed(body: std::io::Result<Vec<u8>>, encoding: &'static str) -> Response {
    match body {
        Ok(bytes) => {
            let mut response = reply(StatusCode::OK, JSON, bytes);
            response
                .headers_mut()
                .insert(CONTENT_ENCODING, HeaderValue::from_static(encoding));
            response
        }
        Err(err) => reply(StatusCode::INTERNAL_SERVER_ERROR, TEXT, err.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_are_title_cased() {
        assert_eq!(title_case("content-type"), "Content-Type");
        assert_eq!(title_case("x-a--b"), "X-A--B");
        assert_eq!(title_case("host"), "Host");
    }

    #[test]
    fn raw_paths_are_recognized() {
        assert!(is_raw("/raw"));
        assert!(is_raw("/raw/x/y"));
        assert!(!is_raw("/rawx"));
    }
}
