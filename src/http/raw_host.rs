//! Plain-`http` requests whose host is not a valid URI host, such as an unresolved variable
//! (`http://{{baseUrl}}/users`, `{{APIURL}}/users` with no environment), sent by hand to the
//! HTTP proxy the environment names, as Newman does.
//!
//! The `url` crate accepts `{{apiurl}}` as a host (lower-cased), but hyper's URI parser refuses
//! it, so reqwest fails such a request before sending anything. Newman, when `HTTP_PROXY` (or
//! `http_proxy`, `ALL_PROXY`, `all_proxy`) applies, writes it to the proxy anyway in absolute
//! form: `POST http://{{apiurl}}/users HTTP/1.1` with `Host: {{apiurl}}`. [`route`] says when a
//! request is such a case, and [`send`] performs the exchange over a plain TCP connection with
//! the headers reqwest would have added (`Accept`, `Accept-Encoding`, `Host`, `Content-Length`,
//! `Proxy-Authorization`), and reads the answer into a [`ReceivedResponse`] the way reqwest's is
//! built (lower-case header names, canonical reason phrase, gzip and deflate bodies decoded as
//! they arrive, at most `--max-body-size` of the decoded body kept).
//!
//! What stays as it was: without a proxy (or when `NO_PROXY` covers the host, or in a CGI
//! context where `HTTP_PROXY` is ignored) the request fails as before; `https://` URLs with such
//! a host are left to reqwest too (Newman would `CONNECT` to the literal host; no collection
//! seen needs it), as are proxies reached over TLS or SOCKS. Brotli bodies are passed on
//! undecoded, with their `Content-Encoding`.

use std::io::Write as _;
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::Url;
use reqwest::header::{HeaderName, HeaderValue};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;
use url::Position;

use crate::http::call::{ReceivedResponse, RequestError};
use crate::http::spec::RequestSpec;

/// Methods sent without `Content-Length` when they have no body (as in `client`).
const METHODS_WITHOUT_LENGTH: [&str; 6] = ["GET", "HEAD", "DELETE", "OPTIONS", "TRACE", "CONNECT"];

/// Largest response head read.
const HEAD_LIMIT: usize = 1024 * 1024;

/// Most response headers parsed.
const MAX_HEADERS: usize = 256;

/// `Accept-Encoding` reqwest adds when the request has none (tower-http's value).
const DEFAULT_ACCEPT_ENCODING: &str = "gzip,deflate,br";

/// An HTTP proxy spoken to in plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpProxy {
    /// Host name or address of the proxy.
    pub host: String,
    /// Port (80 when the setting names none).
    pub port: u16,
    /// `Basic ...` for `Proxy-Authorization`, from credentials in the setting.
    pub authorization: Option<String>,
}

/// Where a request that reqwest cannot send goes, and how it is addressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawHostRoute {
    /// The request target in absolute form: `http://{{apiurl}}/users?x=1` (no credentials, no
    /// fragment).
    pub target: String,
    /// The `Host` header: host, and port when not the default.
    pub host: String,
    /// The proxy the request is written to.
    pub proxy: HttpProxy,
}

/// The route for `url` when it is plain `http`, hyper refuses it only because of its host, and
/// an HTTP proxy from the environment applies to it; `None` otherwise (reqwest then sends it,
/// or fails it, as before).
pub fn route(url: &Url) -> Option<RawHostRoute> {
    route_with(url, &|name| std::env::var(name).ok())
}

/// [`route`] with the environment given as a lookup (for tests).
fn route_with(url: &Url, env: &dyn Fn(&str) -> Option<String>) -> Option<RawHostRoute> {
    if url.scheme() != "http" || url.as_str().parse::<hyper::Uri>().is_ok() {
        return None;
    }
    // Only the host may be at fault: with a plain host in its place the URL must be valid.
    let mut probe = url.clone();
    probe.set_host(Some("host.invalid")).ok()?;
    probe.as_str().parse::<hyper::Uri>().ok()?;
    let host = url.host_str()?;
    let proxy = env_proxy(host, env)?;
    Some(RawHostRoute {
        target: format!(
            "http://{}",
            &url[Position::BeforeHost..Position::AfterQuery]
        ),
        host: url[Position::BeforeHost..Position::AfterPort].to_string(),
        proxy,
    })
}

/// The HTTP proxy for a plain-`http` request to `host`, read as reqwest (hyper-util) reads the
/// environment: `HTTP_PROXY`, then `http_proxy`, else `ALL_PROXY`/`all_proxy`; none in a CGI
/// context (`REQUEST_METHOD` set); none when `NO_PROXY` (or `no_proxy`) covers the host.
fn env_proxy(host: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<HttpProxy> {
    if env("REQUEST_METHOD").is_some() {
        return None;
    }
    let first = |names: [&str; 2]| names.iter().find_map(|n| env(n)).unwrap_or_default();
    if no_proxy_covers(&first(["NO_PROXY", "no_proxy"]), host) {
        return None;
    }
    let http = first(["HTTP_PROXY", "http_proxy"]);
    match parse_proxy(&http) {
        Some(proxy) => Some(proxy),
        // A SOCKS or TLS proxy in HTTP_PROXY is what reqwest uses (not ALL_PROXY); this module
        // speaks only plain HTTP to a proxy, so such a request is left to reqwest.
        None if http_setting_is_other_scheme(&http) => None,
        None => parse_proxy(&first(["ALL_PROXY", "all_proxy"])),
    }
}

/// A proxy setting naming a scheme this module does not speak (https, socks...).
fn http_setting_is_other_scheme(value: &str) -> bool {
    let value = value.trim();
    value
        .split_once("://")
        .is_some_and(|(scheme, _)| !scheme.eq_ignore_ascii_case("http"))
}

/// A plain-HTTP proxy from a setting such as `http://user:pw@proxy:3128` or `proxy:3128`.
fn parse_proxy(value: &str) -> Option<HttpProxy> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let url = if value.contains("://") {
        Url::parse(value).ok()?
    } else {
        Url::parse(&format!("http://{value}")).ok()?
    };
    if url.scheme() != "http" {
        return None;
    }
    let host = url.host_str()?.trim_matches(['[', ']']).to_string();
    let authorization = basic_auth(&url);
    Some(HttpProxy {
        host,
        port: url.port_or_known_default().unwrap_or(80),
        authorization,
    })
}

/// `Basic ...` from the credentials in `url` (percent-decoded), when it has any.
fn basic_auth(url: &Url) -> Option<String> {
    if url.username().is_empty() && url.password().is_none() {
        return None;
    }
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let credentials = format!(
        "{}:{}",
        decode(url.username()),
        decode(url.password().unwrap_or(""))
    );
    Some(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(credentials)
    ))
}

/// Whether a `NO_PROXY` list covers `host` (hyper-util's domain rules: `*`, the domain itself
/// or any subdomain, a leading dot optional). IP entries never cover a host this module sees.
fn no_proxy_covers(list: &str, host: &str) -> bool {
    list.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            let bare = entry.strip_prefix('.').unwrap_or(entry);
            if host.eq_ignore_ascii_case(bare) {
                return true;
            }
            host.len() > bare.len()
                && host
                    .get(host.len() - bare.len()..)
                    .is_some_and(|tail| tail.eq_ignore_ascii_case(bare))
                && host.as_bytes().get(host.len() - bare.len() - 1) == Some(&b'.')
        })
}

/// Sends `spec` (whose parsed URL is `url`) through `route.proxy` and reads the answer. The
/// whole exchange is bounded by `timeout` when one is given.
pub async fn send(
    spec: &RequestSpec,
    url: &Url,
    route: &RawHostRoute,
    timeout: Option<Duration>,
    started: Instant,
    max_body: usize,
) -> Result<ReceivedResponse, RequestError> {
    let head = request_head(spec, url, route)?;
    let exchange = exchange(spec, route, head, started, max_body);
    match timeout {
        Some(limit) => tokio::time::timeout(limit, exchange)
            .await
            .unwrap_or_else(|_| {
                Err(RequestError {
                    code: "ETIMEDOUT".into(),
                    message: format!("no response from the proxy within {limit:?}"),
                })
            }),
        None => exchange.await,
    }
}

/// The request line and headers, as reqwest and hyper would write them for this request.
fn request_head(
    spec: &RequestSpec,
    url: &Url,
    route: &RawHostRoute,
) -> Result<Vec<u8>, RequestError> {
    let mut headers: Vec<(String, Vec<u8>)> = Vec::new();
    let has = |headers: &[(String, Vec<u8>)], name: &str| {
        headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name))
    };
    // reqwest turns credentials in the URL into basic auth, ahead of the request's headers.
    if let Some(auth) = basic_auth(url) {
        headers.push(("authorization".into(), auth.into_bytes()));
    }
    for (name, value) in &spec.headers {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) {
            (Ok(n), Ok(v)) => headers.push((n.as_str().to_string(), v.as_bytes().to_vec())),
            _ => {
                return Err(RequestError {
                    code: "EINVALIDHEADER".into(),
                    message: format!("invalid header `{name}`"),
                });
            }
        }
    }
    if !has(&headers, "accept") {
        headers.push(("accept".into(), b"*/*".to_vec()));
    }
    if !has(&headers, "accept-encoding") && !has(&headers, "range") {
        headers.push((
            "accept-encoding".into(),
            DEFAULT_ACCEPT_ENCODING.as_bytes().to_vec(),
        ));
    }
    if let Some(auth) = &route.proxy.authorization
        && !has(&headers, "proxy-authorization")
    {
        headers.push(("proxy-authorization".into(), auth.as_bytes().to_vec()));
    }
    if !has(&headers, "content-length") {
        let length = match &spec.body {
            Some(body) if !body.is_empty() => Some(body.len()),
            _ if !METHODS_WITHOUT_LENGTH.contains(&spec.method.as_str()) => Some(0),
            _ => None,
        };
        if let Some(length) = length {
            headers.push(("content-length".into(), length.to_string().into_bytes()));
        }
    }
    if !has(&headers, "host") {
        headers.insert(0, ("host".into(), route.host.as_bytes().to_vec()));
    }
    let mut head = format!("{} {} HTTP/1.1\r\n", spec.method, route.target).into_bytes();
    for (name, value) in headers {
        head.extend_from_slice(title_case(&name).as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(&value);
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    Ok(head)
}

/// A lower-case header name as hyper writes it with `http1_title_case_headers`
/// (`content-length` → `Content-Length`).
fn title_case(name: &str) -> String {
    let mut upper = true;
    name.chars()
        .map(|c| {
            let out = if upper { c.to_ascii_uppercase() } else { c };
            upper = c == '-';
            out
        })
        .collect()
}

/// Connects to the proxy, writes the request and reads the response, keeping at most
/// `max_body` bytes of its decoded body.
async fn exchange(
    spec: &RequestSpec,
    route: &RawHostRoute,
    head: Vec<u8>,
    started: Instant,
    max_body: usize,
) -> Result<ReceivedResponse, RequestError> {
    let hop_started = Instant::now();
    let proxy = &route.proxy;
    let stream = TcpStream::connect((proxy.host.as_str(), proxy.port))
        .await
        .map_err(|e| io_error(&e, "ECONNFAILED", "connecting to the proxy"))?;
    let mut reader = BufReader::new(stream);
    let writer = reader.get_mut();
    writer
        .write_all(&head)
        .await
        .map_err(|e| io_error(&e, "ECONNRESET", "writing the request"))?;
    if let Some(body) = &spec.body {
        writer
            .write_all(body)
            .await
            .map_err(|e| io_error(&e, "ECONNRESET", "writing the request body"))?;
    }
    writer
        .flush()
        .await
        .map_err(|e| io_error(&e, "ECONNRESET", "writing the request"))?;
    let (code, mut headers) = loop {
        let (code, headers) = read_head(&mut reader).await?;
        // Interim answers (100 Continue, 103 Early Hints) are followed by the real one.
        if !(100..200).contains(&code) || code == 101 {
            break (code, headers);
        }
    };
    let first_byte = hop_started.elapsed();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let mut sink = BodySink::new(header("content-encoding").as_deref(), max_body);
    if spec.method.eq_ignore_ascii_case("HEAD") || code == 204 || code == 304 {
    } else if header("transfer-encoding")
        .is_some_and(|t| t.to_ascii_lowercase().contains("chunked"))
    {
        read_chunked(&mut reader, &mut sink).await?;
    } else if let Some(length) = header("content-length") {
        let length: usize = length.trim().parse().map_err(|_| RequestError {
            code: "EREQUEST".into(),
            message: format!("invalid Content-Length `{length}` from the proxy"),
        })?;
        read_exactly(&mut reader, length, &mut sink).await?;
    } else {
        read_exactly(&mut reader, usize::MAX, &mut sink).await?;
    }
    let (kept, decoded) = sink.finish()?;
    if decoded {
        headers.retain(|(k, _)| k != "content-encoding" && k != "content-length");
    }
    let status = reqwest::StatusCode::from_u16(code)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or_default()
        .to_string();
    Ok(ReceivedResponse {
        code,
        status,
        headers,
        response_size: kept.size,
        truncated_from: (kept.size > kept.body.len()).then_some(kept.size),
        body: kept.body,
        response_time: started.elapsed(),
        first_byte,
    })
}

/// Reads a status line and headers; names come back lower-case, as reqwest gives them.
async fn read_head(
    reader: &mut BufReader<TcpStream>,
) -> Result<(u16, Vec<(String, String)>), RequestError> {
    let mut raw = Vec::new();
    loop {
        let read = reader
            .read_until(b'\n', &mut raw)
            .await
            .map_err(|e| io_error(&e, "ECONNRESET", "reading the response"))?;
        if read == 0 {
            return Err(RequestError {
                code: "ECONNRESET".into(),
                message: "the proxy closed the connection before a complete response".into(),
            });
        }
        if raw.len() > HEAD_LIMIT {
            return Err(protocol_error("response head too large"));
        }
        if raw.ends_with(b"\r\n\r\n") || raw.ends_with(b"\n\n") {
            break;
        }
    }
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut slots);
    match response.parse(&raw) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err(protocol_error("incomplete response head")),
        Err(e) => return Err(protocol_error(&format!("invalid response head: {e}"))),
    }
    let code = response
        .code
        .ok_or_else(|| protocol_error("no status code"))?;
    let headers = response
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_ascii_lowercase(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    Ok((code, headers))
}

/// Reads a chunked body up to and including its trailers into `sink`.
async fn read_chunked(
    reader: &mut BufReader<TcpStream>,
    sink: &mut BodySink,
) -> Result<(), RequestError> {
    let failed = |e: std::io::Error| io_error(&e, "ECONNRESET", "reading the response body");
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.map_err(failed)? == 0 {
            return Err(protocol_error("chunked body cut short"));
        }
        let size_text = line.trim().split(';').next().unwrap_or_default();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| protocol_error("invalid chunk size"))?;
        if size == 0 {
            loop {
                let mut trailer = String::new();
                let read = reader.read_line(&mut trailer).await.map_err(failed)?;
                if read == 0 || trailer.trim().is_empty() {
                    return Ok(());
                }
            }
        }
        read_exactly(reader, size, sink).await?;
        let mut crlf = String::new();
        reader.read_line(&mut crlf).await.map_err(failed)?;
    }
}

/// Passes `length` more bytes to `sink` as they arrive (`usize::MAX`: up to the end of the
/// stream); fewer is an error unless the length was open.
async fn read_exactly(
    reader: &mut BufReader<TcpStream>,
    length: usize,
    sink: &mut BodySink,
) -> Result<(), RequestError> {
    let mut left = length;
    let mut buffer = vec![0u8; 64 * 1024];
    while left > 0 {
        let want = left.min(buffer.len());
        let read = reader
            .read(&mut buffer[..want])
            .await
            .map_err(|e| io_error(&e, "ECONNRESET", "reading the response body"))?;
        if read == 0 {
            if length == usize::MAX {
                return Ok(());
            }
            return Err(RequestError {
                code: "ECONNRESET".into(),
                message: "the proxy closed the connection inside the response body".into(),
            });
        }
        sink.write(&buffer[..read])?;
        left -= read;
    }
    Ok(())
}

/// The start of a decoded body, at most a limit, and the size of all of it.
#[derive(Debug, Default)]
struct Kept {
    body: Vec<u8>,
    size: usize,
    limit: usize,
}

impl std::io::Write for Kept {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.size = self.size.saturating_add(buf.len());
        let room = self.limit.saturating_sub(self.body.len());
        self.body
            .extend_from_slice(buf.get(..room.min(buf.len())).unwrap_or_default());
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Where a body goes as it arrives: decoded as reqwest does (gzip, deflate; other encodings
/// are passed on as received), then kept up to the limit.
struct BodySink {
    /// Bytes received (before decoding).
    received: usize,
    decoder: Decoder,
}

/// How a body is decoded on its way into [`Kept`].
enum Decoder {
    Plain(Kept),
    Gzip(flate2::write::GzDecoder<Kept>),
    Deflate(flate2::write::ZlibDecoder<Kept>),
}

impl BodySink {
    fn new(encoding: Option<&str>, limit: usize) -> Self {
        let kept = Kept {
            body: Vec::new(),
            size: 0,
            limit,
        };
        let decoder = match encoding.map(|e| e.trim().to_ascii_lowercase()).as_deref() {
            Some("gzip" | "x-gzip") => Decoder::Gzip(flate2::write::GzDecoder::new(kept)),
            Some("deflate") => Decoder::Deflate(flate2::write::ZlibDecoder::new(kept)),
            _ => Decoder::Plain(kept),
        };
        BodySink {
            received: 0,
            decoder,
        }
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), RequestError> {
        self.received += bytes.len();
        match &mut self.decoder {
            Decoder::Plain(kept) => kept.write_all(bytes),
            Decoder::Gzip(d) => d.write_all(bytes),
            Decoder::Deflate(d) => d.write_all(bytes),
        }
        .map_err(decode_error)
    }

    /// What was kept, and whether it was decoded (an empty body is passed on as it is).
    fn finish(self) -> Result<(Kept, bool), RequestError> {
        let empty = self.received == 0;
        match self.decoder {
            Decoder::Plain(kept) => Ok((kept, false)),
            Decoder::Gzip(_) | Decoder::Deflate(_) if empty => Ok((Kept::default(), false)),
            Decoder::Gzip(d) => Ok((d.finish().map_err(decode_error)?, true)),
            Decoder::Deflate(d) => Ok((d.finish().map_err(decode_error)?, true)),
        }
    }
}

fn decode_error(e: std::io::Error) -> RequestError {
    RequestError {
        code: "EREQUEST".into(),
        message: format!("error decoding response body: {e}"),
    }
}

/// A socket error as Newman names it (`ECONNREFUSED`, `ECONNRESET`, ...), `fallback` when its
/// kind says nothing more.
fn io_error(e: &std::io::Error, fallback: &str, doing: &str) -> RequestError {
    use std::io::ErrorKind;
    let code = match e.kind() {
        ErrorKind::ConnectionRefused => "ECONNREFUSED",
        ErrorKind::ConnectionReset | ErrorKind::UnexpectedEof => "ECONNRESET",
        ErrorKind::ConnectionAborted => "ECONNABORTED",
        ErrorKind::TimedOut => "ETIMEDOUT",
        ErrorKind::AddrNotAvailable => "EADDRNOTAVAIL",
        _ => fallback,
    };
    RequestError {
        code: code.into(),
        message: format!("{doing}: {e}"),
    }
}

/// A response the proxy sent that cannot be read as HTTP/1.1.
fn protocol_error(message: &str) -> RequestError {
    RequestError {
        code: "EREQUEST".into(),
        message: format!("from the proxy: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::client::DEFAULT_MAX_BODY;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    fn url(s: &str) -> Url {
        Url::parse(s).expect("the url crate accepts it")
    }

    #[test]
    fn an_unresolved_host_goes_to_the_http_proxy_lower_cased() {
        let e = env(&[("HTTP_PROXY", "http://127.0.0.1:8080")]);
        let r = route_with(&url("http://{{APIURL}}/users?q={{x}}#frag"), &e).expect("routed");
        assert_eq!(r.target, "http://{{apiurl}}/users?q={{x}}");
        assert_eq!(r.host, "{{apiurl}}");
        assert_eq!(r.proxy.host, "127.0.0.1");
        assert_eq!(r.proxy.port, 8080);
        let r = route_with(&url("http://u:p@{{a}}.{{b}}:8081/"), &e).expect("routed");
        assert_eq!(r.target, "http://{{a}}.{{b}}:8081/");
        assert_eq!(r.host, "{{a}}.{{b}}:8081");
    }

    #[test]
    fn valid_urls_https_and_missing_proxies_are_left_to_reqwest() {
        let e = env(&[("HTTP_PROXY", "http://127.0.0.1:8080")]);
        assert_eq!(route_with(&url("http://api.example.com/x"), &e), None);
        assert_eq!(route_with(&url("https://{{host}}/x"), &e), None);
        assert_eq!(route_with(&url("http://{{host}}/x"), &env(&[])), None);
        let https_only = env(&[("HTTPS_PROXY", "http://127.0.0.1:8080")]);
        assert_eq!(route_with(&url("http://{{host}}/x"), &https_only), None);
        let cgi = env(&[
            ("HTTP_PROXY", "http://127.0.0.1:8080"),
            ("REQUEST_METHOD", "GET"),
        ]);
        assert_eq!(route_with(&url("http://{{host}}/x"), &cgi), None);
        let socks = env(&[
            ("HTTP_PROXY", "socks5://127.0.0.1:1080"),
            ("ALL_PROXY", "http://127.0.0.1:8080"),
        ]);
        assert_eq!(route_with(&url("http://{{host}}/x"), &socks), None);
    }

    #[test]
    fn lower_case_and_all_proxy_settings_apply_with_credentials() {
        let e = env(&[("http_proxy", "proxy.test:3128")]);
        let r = route_with(&url("http://{{h}}/"), &e).expect("routed");
        assert_eq!((r.proxy.host.as_str(), r.proxy.port), ("proxy.test", 3128));
        let e = env(&[("ALL_PROXY", "http://us%40r:pw@proxy.test")]);
        let r = route_with(&url("http://{{h}}/"), &e).expect("routed");
        assert_eq!(r.proxy.port, 80);
        assert_eq!(
            r.proxy.authorization.as_deref(),
            Some(
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode("us@r:pw")
                )
                .as_str()
            )
        );
    }

    #[test]
    fn no_proxy_follows_reqwests_rules() {
        assert!(no_proxy_covers("*", "{{h}}"));
        assert!(no_proxy_covers("a.test, {{h}}", "{{H}}"));
        assert!(no_proxy_covers(".test", "{{h}}.test"));
        assert!(no_proxy_covers("test", "{{h}}.test"));
        assert!(!no_proxy_covers("test", "{{h}}test"));
        assert!(!no_proxy_covers("127.0.0.1, 10.0.0.0/8", "{{h}}"));
        let e = env(&[("HTTP_PROXY", "http://127.0.0.1:8080"), ("no_proxy", "*")]);
        assert_eq!(route_with(&url("http://{{h}}/"), &e), None);
    }

    #[test]
    fn the_head_carries_what_reqwest_would_add() {
        let e = env(&[("HTTP_PROXY", "http://u:p@127.0.0.1:8080")]);
        let u = url("http://{{Base}}/items");
        let r = route_with(&u, &e).expect("routed");
        let spec = RequestSpec {
            method: "POST".into(),
            url: u.to_string(),
            headers: vec![("x-one".into(), "1".into())],
            ..Default::default()
        };
        let head = String::from_utf8(request_head(&spec, &u, &r).expect("head")).expect("text");
        assert_eq!(
            head,
            "POST http://{{base}}/items HTTP/1.1\r\nHost: {{base}}\r\nX-One: 1\r\n\
             Accept: */*\r\nAccept-Encoding: gzip,deflate,br\r\n\
             Proxy-Authorization: Basic dTpw\r\nContent-Length: 0\r\n\r\n"
        );
        let get = RequestSpec {
            method: "GET".into(),
            headers: vec![("bad header".into(), "1".into())],
            ..Default::default()
        };
        assert_eq!(
            request_head(&get, &u, &r)
                .map_err(|e| e.code)
                .err()
                .as_deref(),
            Some("EINVALIDHEADER")
        );
    }

    /// A one-shot proxy: reads one request head and answers `answer`; returns what it read.
    async fn one_shot_proxy(answer: Vec<u8>) -> (HttpProxy, tokio::task::JoinHandle<String>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        let port = listener.local_addr().expect("address").port();
        let server = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.expect("accepts");
            let mut reader = BufReader::new(stream);
            let mut head = String::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).await.expect("reads");
                head.push_str(&line);
                if line == "\r\n" || line.is_empty() {
                    break;
                }
            }
            reader.get_mut().write_all(&answer).await.expect("answers");
            head
        });
        let proxy = HttpProxy {
            host: "127.0.0.1".into(),
            port,
            authorization: None,
        };
        (proxy, server)
    }

    /// A GET of `target` (whose host is `{{h}}`) routed through `proxy`.
    fn get_through(proxy: HttpProxy, target: &str) -> (Url, RawHostRoute, RequestSpec) {
        let u = url(target);
        let route = RawHostRoute {
            target: target.into(),
            host: "{{h}}".into(),
            proxy,
        };
        let spec = RequestSpec {
            method: "GET".into(),
            url: u.to_string(),
            ..Default::default()
        };
        (u, route, spec)
    }

    #[tokio::test]
    async fn interim_answers_chunked_gzip_bodies_and_cookies_are_read() {
        use std::io::Write as _;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"{\"ok\":true}").expect("compresses");
        let body = gz.finish().expect("compresses");
        let (first, rest) = body.split_at(5);
        let mut answer = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Whatever\r\n\
            Transfer-Encoding: chunked\r\nContent-Encoding: gzip\r\nSet-Cookie: a=1\r\n\r\n"
            .to_vec();
        for chunk in [first, rest] {
            answer.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            answer.extend_from_slice(chunk);
            answer.extend_from_slice(b"\r\n");
        }
        answer.extend_from_slice(b"0\r\n\r\n");
        let (proxy, server) = one_shot_proxy(answer).await;
        let (u, route, spec) = get_through(proxy, "http://{{h}}/p");
        let response = send(
            &spec,
            &u,
            &route,
            Some(Duration::from_secs(10)),
            Instant::now(),
            DEFAULT_MAX_BODY,
        )
        .await
        .expect("answered");
        assert_eq!((response.code, response.status.as_str()), (201, "Created"));
        assert_eq!(response.body, b"{\"ok\":true}");
        assert_eq!(response.header("set-cookie"), Some("a=1"));
        assert_eq!(response.header("content-encoding"), None);
        let head = server.await.expect("server ran");
        assert!(
            head.starts_with("GET http://{{h}}/p HTTP/1.1\r\nHost: {{h}}\r\n"),
            "{head}"
        );
    }

    #[tokio::test]
    async fn a_body_cut_short_and_a_silent_proxy_are_request_errors() {
        let (proxy, _server) =
            one_shot_proxy(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc".to_vec()).await;
        let (u, mut route, spec) = get_through(proxy, "http://{{h}}/");
        let err = send(&spec, &u, &route, None, Instant::now(), DEFAULT_MAX_BODY)
            .await
            .expect_err("cut short");
        assert_eq!(err.code, "ECONNRESET", "{err}");
        // Accepts and never answers: the request's timeout applies.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        route.proxy.port = listener.local_addr().expect("address").port();
        let err = send(
            &spec,
            &u,
            &route,
            Some(Duration::from_millis(200)),
            Instant::now(),
            DEFAULT_MAX_BODY,
        )
        .await
        .expect_err("times out");
        assert_eq!(err.code, "ETIMEDOUT", "{err}");
        drop(listener);
    }

    #[test]
    fn gzip_bodies_are_decoded_as_they_arrive_and_kept_up_to_the_limit() {
        use std::io::Write as _;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"hello").expect("compresses");
        let body = gz.finish().expect("compresses");
        let mut sink = BodySink::new(Some(" GZIP"), 3);
        for piece in body.chunks(4) {
            sink.write(piece).expect("decodes");
        }
        let (kept, decoded) = sink.finish().expect("decodes");
        assert_eq!(
            (kept.body.as_slice(), kept.size, decoded),
            (&b"hel"[..], 5, true)
        );
        let (kept, decoded) = BodySink::new(Some("gzip"), 3).finish().expect("empty");
        assert_eq!(
            (kept.size, decoded),
            (0, false),
            "an empty body is left as it is"
        );
        let mut broken = BodySink::new(Some("deflate"), 3);
        let failed = broken
            .write(b"not deflate")
            .and_then(|()| broken.finish().map(drop));
        assert_eq!(failed.map_err(|e| e.code), Err("EREQUEST".to_string()));
    }
}
