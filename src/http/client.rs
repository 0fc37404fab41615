//! Sends a `RequestSpec` with reqwest: system headers, a cookie jar per run, redirects followed
//! by hand (so per-request `protocolProfileBehavior` applies), timeouts and readable errors.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::cookie::CookieStore;
use reqwest::header::{HeaderName, HeaderValue};
use reqwest::{Method, Url};

use crate::http::call::{ReceivedResponse, RequestError, SentRequest};
use crate::http::cookie_log::CookieLog;
use crate::http::cookies::CookieJar;
use crate::http::raw_host;
use crate::http::route::RouteResolver;
use crate::http::spec::RequestSpec;
use crate::http::tls::{ClientIdentity, HostIdentity, url_matches};

/// The `User-Agent` snapman sends when the request sets none (Newman 6.2's runtime version).
pub const USER_AGENT: &str = concat!("PostmanRuntime/7.39.1 snapman/", env!("CARGO_PKG_VERSION"));

/// Methods sent without `Content-Length` when they have no body.
const METHODS_WITHOUT_LENGTH: [&str; 6] = ["GET", "HEAD", "DELETE", "OPTIONS", "TRACE", "CONNECT"];

/// Options that hold for every request of a run.
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// Skip TLS verification for every request (`--insecure`).
    pub insecure: bool,
    /// Per-request timeout (`--timeout-request`).
    pub timeout: Option<Duration>,
    /// Extra root certificates (PEM) to trust, e.g. the emulator's.
    pub extra_roots: Vec<Vec<u8>>,
    /// Hosts (`login.salesforce.com`) or wildcards (`*.my.salesforce.com`) sent to a fixed
    /// address, port included (the emulator's routing); other names use the system resolver.
    pub routes: Vec<(String, std::net::SocketAddr)>,
    /// Limit for token requests and checks made outside the run's requests (`--auth-timeout`);
    /// `None` is [`DEFAULT_AUTH_TIMEOUT`].
    pub auth_timeout: Option<Duration>,
    /// Client certificate for every TLS request (`--ssl-client-cert`).
    pub identity: Option<ClientIdentity>,
    /// Client certificates by URL pattern (`--ssl-client-cert-list`); they win over `identity`.
    pub host_identities: Vec<HostIdentity>,
    /// The run's cookies for `--cookie-jar`/`--export-cookie-jar`: seeds the jar, and follows
    /// every `Set-Cookie` received.
    pub cookie_log: CookieLog,
    /// `--max-body-size`: the most of a response body kept; `None` is [`DEFAULT_MAX_BODY`].
    pub max_body_size: Option<usize>,
}

/// The most of a response body kept unless `--max-body-size` says otherwise (50 MiB).
pub const DEFAULT_MAX_BODY: usize = 50 << 20;

/// A plain reqwest client with the run's TLS roots, host routing and timeout, and no cookies or
/// redirects (for checks outside a run, such as `snapman doctor`).
pub fn reqwest_client(opts: &ClientOptions) -> Result<reqwest::Client, RequestError> {
    let limit = opts.auth_timeout.unwrap_or(DEFAULT_AUTH_TIMEOUT);
    builder(opts, true, opts.identity.as_ref())?
        .timeout(opts.timeout.map_or(limit, |t| t.min(limit)))
        .connect_timeout(limit)
        .build()
        .map_err(client_error)
}

/// How long a token request or check waits for an answer unless `--auth-timeout` says otherwise.
pub const DEFAULT_AUTH_TIMEOUT: Duration = Duration::from_secs(30);

/// The builder every client starts from: no redirects, Node-style header case, roots, routes.
fn builder(
    opts: &ClientOptions,
    strict: bool,
    identity: Option<&ClientIdentity>,
) -> Result<reqwest::ClientBuilder, RequestError> {
    let mut b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .http1_title_case_headers()
        .danger_accept_invalid_certs(!strict || opts.insecure)
        .pool_max_idle_per_host(8);
    for pem in &opts.extra_roots {
        let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| RequestError {
            code: "ERR_TLS_ROOT".into(),
            message: e.to_string(),
        })?;
        for cert in certs {
            b = b.add_root_certificate(cert);
        }
    }
    if let Some(identity) = identity {
        let id = reqwest::Identity::from_pem(identity.pem.expose()).map_err(|e| RequestError {
            code: "ERR_TLS_CLIENT_CERT".into(),
            message: e.to_string(),
        })?;
        b = b.identity(id);
    }
    if !opts.routes.is_empty() {
        b = b.dns_resolver(Arc::new(RouteResolver::new(&opts.routes)));
    }
    Ok(b)
}

/// A client that could not be built.
fn client_error(e: reqwest::Error) -> RequestError {
    RequestError {
        code: "ERR_CLIENT".into(),
        message: e.to_string(),
    }
}

/// The clients for one client certificate (or none): with and without cookies, each with
/// strict and lax TLS verification.
struct ClientSet {
    with_cookies: [reqwest::Client; 2],
    without_cookies: [reqwest::Client; 2],
}

/// The run's HTTP client: one cookie jar shared by all requests, clients built per TLS/cookie need.
pub struct HttpClient {
    jar: Arc<CookieJar>,
    cookie_log: CookieLog,
    default: ClientSet,
    /// Per `--ssl-client-cert-list` entry: its URL patterns and clients.
    by_pattern: Vec<(Vec<String>, ClientSet)>,
    timeout: Option<Duration>,
    max_body: usize,
}

/// A request that was sent and what happened.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The last request sent (after redirects).
    pub request: SentRequest,
    /// The final response, or the error.
    pub response: Result<ReceivedResponse, RequestError>,
}

impl HttpClient {
    /// Builds the clients. Fails only when TLS roots are unusable.
    pub fn new(opts: &ClientOptions) -> Result<Self, RequestError> {
        let jar = Arc::new(CookieJar::default());
        for (line, url) in opts.cookie_log.set_cookie_lines() {
            if let (Ok(url), Ok(value)) = (Url::parse(&url), HeaderValue::from_str(&line)) {
                jar.set_cookies(&mut std::iter::once(&value), &url);
            }
        }
        let set = |identity: Option<&ClientIdentity>| -> Result<ClientSet, RequestError> {
            let make = |cookies: bool, strict: bool| -> Result<reqwest::Client, RequestError> {
                let mut b = builder(opts, strict, identity)?;
                if cookies {
                    b = b.cookie_provider(Arc::clone(&jar));
                }
                b.build().map_err(client_error)
            };
            Ok(ClientSet {
                with_cookies: [make(true, true)?, make(true, false)?],
                without_cookies: [make(false, true)?, make(false, false)?],
            })
        };
        let default = set(opts.identity.as_ref())?;
        let by_pattern = opts
            .host_identities
            .iter()
            .map(|h| Ok((h.matches.clone(), set(Some(&h.identity))?)))
            .collect::<Result<Vec<_>, RequestError>>()?;
        Ok(HttpClient {
            default,
            by_pattern,
            jar,
            cookie_log: opts.cookie_log.clone(),
            timeout: opts.timeout,
            max_body: opts.max_body_size.unwrap_or(DEFAULT_MAX_BODY),
        })
    }

    /// The cookie jar shared by the run (for `pm.cookies.jar()` and exports).
    pub fn jar(&self) -> &CookieJar {
        &self.jar
    }

    /// The jar's cookies that apply to `url`, as name and value pairs.
    pub fn cookies_for(&self, url: &str) -> Vec<(String, String)> {
        let Ok(parsed) = Url::parse(url) else {
            return Vec::new();
        };
        let Some(header) = self.jar.cookies(&parsed) else {
            return Vec::new();
        };
        String::from_utf8_lossy(header.as_bytes())
            .split("; ")
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// Writes the `Cookie` header from the jar, in tough-cookie's order (reqwest's jar has none),
    /// after the request's own `Cookie` header when it has one (`manual=m1; c1=v1; c2=v2`, as
    /// Newman sends it); reqwest adds nothing more once the header is there.
    fn merge_jar_cookies(&self, spec: &mut RequestSpec) {
        if spec.settings.disable_cookies {
            return;
        }
        let mut pairs = self.cookies_for(&spec.url);
        if pairs.is_empty() {
            return;
        }
        self.cookie_log.sort_pairs(&mut pairs);
        let jar = pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        match spec
            .headers
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case("cookie"))
        {
            Some((_, manual)) => {
                let own = manual.trim_end().trim_end_matches(';').to_string();
                *manual = if own.is_empty() {
                    jar
                } else {
                    format!("{own}; {jar}")
                };
            }
            None => spec.headers.push(("Cookie".to_string(), jar)),
        }
    }

    /// Keeps `Set-Cookie` values received outside reqwest (see [`raw_host`]) in the jar and
    /// the cookie log, as reqwest's cookie provider does for its own responses.
    fn store_cookies<'a>(&self, values: impl Iterator<Item = &'a str>, url: &Url) {
        let values: Vec<HeaderValue> = values
            .filter_map(|v| {
                self.cookie_log.record(v, url);
                HeaderValue::from_str(v).ok()
            })
            .collect();
        if !values.is_empty() {
            self.jar.set_cookies(&mut values.iter(), url);
        }
    }

    fn client_for(&self, spec: &RequestSpec) -> &reqwest::Client {
        let clients = self
            .by_pattern
            .iter()
            .find(|(patterns, _)| patterns.iter().any(|p| url_matches(p, &spec.url)))
            .map_or(&self.default, |(_, set)| set);
        let set = if spec.settings.disable_cookies {
            &clients.without_cookies
        } else {
            &clients.with_cookies
        };
        &set[usize::from(!spec.settings.strict_ssl)]
    }

    /// Sends the request, following redirects as its settings say.
    pub async fn send(&self, spec: &RequestSpec) -> Outcome {
        let mut current = spec.clone();
        add_system_headers(&mut current);
        let user_referer = spec.has_header("referer");
        let started = Instant::now();
        let mut hops = 0usize;
        loop {
            self.merge_jar_cookies(&mut current);
            let sent = SentRequest {
                method: current.method.clone(),
                url: current.url.clone(),
                headers: current.headers.clone(),
                body: current.body.clone(),
                definition: None,
                dropped_body_len: None,
            };
            let result = self.send_once(&current, started).await;
            let response = match result {
                Ok(r) => r,
                Err(e) => {
                    return Outcome {
                        request: sent,
                        response: Err(e),
                    };
                }
            };
            let redirect = (300..400).contains(&response.code)
                && current.settings.follow_redirects
                && hops < current.settings.max_redirects;
            let location = response.header("location").map(str::to_string);
            match (redirect, location) {
                (true, Some(location)) => {
                    hops += 1;
                    current = next_hop(&current, response.code, &location, user_referer);
                }
                _ => {
                    return Outcome {
                        request: sent,
                        response: Ok(response),
                    };
                }
            }
        }
    }

    async fn send_once(
        &self,
        spec: &RequestSpec,
        started: Instant,
    ) -> Result<ReceivedResponse, RequestError> {
        let url = Url::parse(&spec.url).map_err(|e| RequestError {
            code: "EINVALIDURL".into(),
            message: format!("invalid URL {}: {e}", spec.url),
        })?;
        let method = Method::from_bytes(spec.method.as_bytes()).map_err(|e| RequestError {
            code: "EINVALIDMETHOD".into(),
            message: format!("invalid method {}: {e}", spec.method),
        })?;
        // A plain-`http` host hyper refuses (`{{baseUrl}}`) still goes to an HTTP proxy, as in
        // Newman; without one it fails in reqwest as before.
        if let Some(route) = raw_host::route(&url) {
            let response =
                raw_host::send(spec, &url, &route, self.timeout, started, self.max_body).await?;
            if !spec.settings.disable_cookies {
                self.store_cookies(
                    response
                        .headers
                        .iter()
                        .filter_map(|(k, v)| (k == "set-cookie").then_some(v.as_str())),
                    &url,
                );
            }
            return Ok(response);
        }
        let mut builder = self.client_for(spec).request(method, url);
        for (k, v) in &spec.headers {
            let name = HeaderName::from_bytes(k.as_bytes());
            let value = HeaderValue::from_bytes(v.as_bytes());
            match (name, value) {
                (Ok(n), Ok(v)) => builder = builder.header(n, v),
                _ => {
                    return Err(RequestError {
                        code: "EINVALIDHEADER".into(),
                        message: format!("invalid header `{k}`"),
                    });
                }
            }
        }
        if let Some(body) = &spec.body {
            builder = builder.body(body.clone());
        } else if !METHODS_WITHOUT_LENGTH.contains(&spec.method.as_str()) {
            // Node sends `Content-Length: 0` for a bodiless POST, PUT, PATCH or custom method;
            // hyper adds it by itself only for the methods it knows.
            if !spec.has_header("content-length") {
                builder = builder.header(reqwest::header::CONTENT_LENGTH, "0");
            }
            builder = builder.body(Vec::new());
        }
        if let Some(t) = self.timeout {
            builder = builder.timeout(t);
        }
        let hop_started = Instant::now();
        let resp = builder.send().await.map_err(request_error)?;
        let first_byte = hop_started.elapsed();
        if !spec.settings.disable_cookies {
            for value in resp.headers().get_all(reqwest::header::SET_COOKIE) {
                if let Ok(text) = value.to_str() {
                    self.cookie_log.record(text, resp.url());
                }
            }
        }
        let code = resp.status().as_u16();
        let status = resp
            .status()
            .canonical_reason()
            .unwrap_or_default()
            .to_string();
        let headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        // Read as a stream: at most `max_body` bytes are kept, the rest only counted. An announced
        // length reserves room at once (up to the limit) rather than growing by doubling.
        let mut resp = resp;
        let announced = resp
            .content_length()
            .map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX));
        let mut body = Vec::with_capacity(announced.min(self.max_body));
        let mut size = 0usize;
        while let Some(chunk) = resp.chunk().await.map_err(request_error)? {
            size = size.saturating_add(chunk.len());
            let room = self.max_body.saturating_sub(body.len());
            body.extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or_default());
        }
        Ok(ReceivedResponse {
            code,
            status,
            headers,
            response_size: size,
            truncated_from: (size > body.len()).then_some(size),
            body,
            response_time: started.elapsed(),
            first_byte,
        })
    }
}

/// Adds Postman's default headers that the request does not set and the settings do not disable.
fn add_system_headers(spec: &mut RequestSpec) {
    let token = uuid::Uuid::new_v4().to_string();
    let defaults: [(&str, &str); 6] = [
        ("User-Agent", USER_AGENT),
        ("Accept", "*/*"),
        ("Cache-Control", "no-cache"),
        ("Postman-Token", &token),
        ("Accept-Encoding", "gzip, deflate, br"),
        ("Connection", "keep-alive"),
    ];
    for (name, value) in defaults {
        let lower = name.to_ascii_lowercase();
        if !spec.has_header(name) && !spec.settings.disabled_system_headers.contains(&lower) {
            spec.headers.push((name.to_string(), value.to_string()));
        }
    }
}

/// The request for the next redirect hop, with Postman's method and header rules.
fn next_hop(prev: &RequestSpec, code: u16, location: &str, user_referer: bool) -> RequestSpec {
    let mut next = prev.clone();
    let base = Url::parse(&prev.url).ok();
    let target = base
        .as_ref()
        .and_then(|b| b.join(location).ok())
        .map(|u| u.to_string())
        .unwrap_or_else(|| location.to_string());
    let keeps_method = matches!(code, 307 | 308) || prev.settings.follow_original_method;
    if !keeps_method {
        if prev.method != "HEAD" {
            next.method = "GET".to_string();
        }
        next.body = None;
        next.remove_header("content-type");
        next.remove_header("content-length");
    }
    let host_changed = base.as_ref().and_then(|b| b.host_str().map(str::to_string))
        != Url::parse(&target)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string));
    if host_changed && !prev.settings.follow_authorization_header {
        next.remove_header("authorization");
    }
    // A Referer the user set is kept as is; the one Postman adds follows the hops.
    if !user_referer {
        if prev.settings.remove_referer_on_redirect {
            next.remove_header("referer");
        } else {
            next.set_header("Referer", prev.url.clone());
        }
    }
    next.remove_header("cookie");
    next.url = target;
    next
}

/// A reqwest error as Newman would name it, classified from the error's type and the types in
/// its source chain (never from message text, which holds the URL).
fn request_error(e: reqwest::Error) -> RequestError {
    let code = if e.is_timeout() {
        "ETIMEDOUT"
    } else {
        classify_chain(&e).unwrap_or(if e.is_connect() {
            "ECONNFAILED"
        } else {
            "EREQUEST"
        })
    };
    RequestError {
        code: code.to_string(),
        message: error_chain(&e),
    }
}

/// The Node-style code of the first error in the chain whose type says what went wrong.
fn classify_chain(e: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = current {
        if let Some(code) = classify_one(err) {
            return Some(code);
        }
        // `io::Error::source` skips the error it wraps, so look inside it explicitly.
        if let Some(inner) = err
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            && let Some(code) = classify_chain(inner)
        {
            return Some(code);
        }
        current = err.source();
    }
    None
}

/// The code for one error by its type: TLS errors from rustls, socket errors by `io::ErrorKind`,
/// and hyper-util's resolver failure (its fixed `dns error` wrapper, which holds no URL).
fn classify_one(err: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    use tokio_rustls::rustls::{CertificateError, Error as TlsError};
    if let Some(tls) = err.downcast_ref::<TlsError>() {
        return Some(match tls {
            TlsError::InvalidCertificate(CertificateError::Expired) => "CERT_HAS_EXPIRED",
            TlsError::InvalidCertificate(CertificateError::NotValidForName)
            | TlsError::InvalidCertificate(CertificateError::NotValidForNameContext { .. }) => {
                "ERR_TLS_CERT_ALTNAME_INVALID"
            }
            TlsError::InvalidCertificate(_) => "ERR_TLS_CERT",
            _ => "ERR_TLS",
        });
    }
    if let Some(io) = err.downcast_ref::<std::io::Error>() {
        use std::io::ErrorKind;
        return match io.kind() {
            ErrorKind::ConnectionRefused => Some("ECONNREFUSED"),
            ErrorKind::ConnectionReset => Some("ECONNRESET"),
            ErrorKind::ConnectionAborted => Some("ECONNABORTED"),
            ErrorKind::TimedOut => Some("ETIMEDOUT"),
            ErrorKind::AddrNotAvailable => Some("EADDRNOTAVAIL"),
            ErrorKind::UnexpectedEof => Some("ECONNRESET"),
            _ => None,
        };
    }
    if let Some(hyper) = err.downcast_ref::<hyper::Error>()
        && (hyper.is_incomplete_message() || hyper.is_closed() || hyper.is_canceled())
    {
        return Some("ECONNRESET");
    }
    // hyper-util's `ConnectError` is private; its message is a fixed string naming the stage.
    if err.source().is_some() && err.to_string() == "dns error" {
        return Some("ENOTFOUND");
    }
    None
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut src = e.source();
    while let Some(s) = src {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        src = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_303_turns_post_into_get_and_drops_body() {
        let spec = RequestSpec {
            method: "POST".into(),
            url: "http://a.test/x".into(),
            headers: vec![
                ("Content-Type".into(), "text/plain".into()),
                ("Authorization".into(), "Bearer t".into()),
            ],
            body: Some(b"x".to_vec()),
            ..Default::default()
        };
        let n = next_hop(&spec, 303, "/y", false);
        assert_eq!(n.method, "GET");
        assert_eq!(n.url, "http://a.test/y");
        assert!(n.body.is_none());
        assert!(n.has_header("authorization"));
        let n = next_hop(&spec, 307, "http://b.test/z", false);
        assert_eq!(n.method, "POST");
        assert!(n.body.is_some());
        assert!(!n.has_header("authorization"));
    }

    #[test]
    fn cookies_from_an_unresolved_host_are_kept() {
        let client = HttpClient::new(&ClientOptions::default()).expect("client");
        let url = Url::parse("http://{{h}}/p").expect("the url crate accepts it");
        client.store_cookies(["a=1; Path=/", "bad\u{7f}"].into_iter(), &url);
        assert_eq!(
            client.cookies_for("http://{{h}}/p"),
            vec![("a".to_string(), "1".to_string())]
        );
    }

    #[test]
    fn system_headers_respect_user_and_disabled() {
        let mut spec = RequestSpec {
            headers: vec![("accept".into(), "text/html".into())],
            ..Default::default()
        };
        spec.settings
            .disabled_system_headers
            .insert("cache-control".into());
        add_system_headers(&mut spec);
        assert!(
            spec.headers
                .contains(&("accept".into(), "text/html".into()))
        );
        assert!(!spec.has_header("cache-control"));
        assert!(spec.has_header("postman-token"));
    }
}
