//! A loopback stand-in for every upstream, reached as an HTTP(S) proxy.
//!
//! Point `HTTP_PROXY` and `HTTPS_PROXY` at it and run with `--insecure`: plain `http://` requests
//! arrive in absolute form, `https://` ones through `CONNECT` and TLS with a run-local CA (whose
//! leaf no client verifies, hence `-k`). Whatever the host and path, the answer is `200` with a
//! postman-echo style JSON reflection of the request (`method`, `url`, `path`, `args`, `headers`,
//! `data`, `form`, `json`), so two runners given the same collection see the same responses and
//! nothing leaves the machine. Every request is journaled in arrival order with its absolute URL,
//! which is what the differential test against Newman compares.
//!
//! ```no_run
//! let proxy = snapman::emulator::proxy_echo::start("127.0.0.1:0").expect("starts");
//! // HTTP_PROXY=proxy.proxy_url() HTTPS_PROXY=proxy.proxy_url() snapman run c.json -k
//! for request in proxy.requests() {
//!     println!("{} {}", request.method, request.url);
//! }
//! ```

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use axum::http::header::{CONTENT_TYPE, HOST};
use axum::http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde::Serialize;
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;

use super::parse;
use super::tls::run_tls;

/// Largest request body the stand-in reads; larger ones are answered `413`.
const BODY_LIMIT: usize = 64 * 1024 * 1024;

/// Headers left out of the reflected JSON: random by design, so the two runners' responses
/// stay byte-identical when their requests are.
const UNREFLECTED_HEADERS: [&str; 2] = ["user-agent", "postman-token"];

/// One request as it reached the stand-in.
#[derive(Debug, Clone, Serialize)]
pub struct ProxiedRequest {
    /// HTTP method as sent.
    pub method: String,
    /// Absolute URL: the request target of a proxied `http://` request, or `https://` plus the
    /// `CONNECT` authority plus the path of one sent through a tunnel.
    pub url: String,
    /// Headers in arrival order, names lower-case.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    #[serde(serialize_with = "body_text")]
    pub body: Vec<u8>,
}

/// Serializes a body as text (lossy UTF-8), for the standalone journal.
fn body_text<S: serde::Serializer>(body: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&String::from_utf8_lossy(body))
}

/// The journal shared by every connection.
type Journal = Arc<Mutex<Vec<ProxiedRequest>>>;

/// A running stand-in; dropping it stops the server.
#[derive(Debug)]
pub struct ProxyEcho {
    addr: SocketAddr,
    ca_pem: String,
    journal: Journal,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl ProxyEcho {
    /// The address the stand-in listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The value for `HTTP_PROXY` and `HTTPS_PROXY`, e.g. `http://127.0.0.1:41234`.
    pub fn proxy_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// PEM of the run-local CA that signs the certificate served inside tunnels.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<ProxiedRequest> {
        self.journal.lock().map(|j| j.clone()).unwrap_or_default()
    }
}

impl Drop for ProxyEcho {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            // The receiver is gone only when the server already stopped.
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts the stand-in on `addr` ("127.0.0.1:0" for an ephemeral port) on its own thread.
pub fn start(addr: &str) -> std::io::Result<ProxyEcho> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let std_listener = std::net::TcpListener::bind(addr)?;
    std_listener.set_nonblocking(true)?;
    let listener = {
        let _context = runtime.enter();
        TcpListener::from_std(std_listener)?
    };
    let addr = listener.local_addr()?;
    let tls = run_tls()?;
    let journal = Journal::default();
    let (shutdown_tx, shutdown_rx) = oneshot::channel();
    let server_journal = journal.clone();
    let acceptor = tls.acceptor;
    let thread = std::thread::Builder::new()
        .name(format!("snapman-proxy-echo-{}", addr.port()))
        .spawn(move || runtime.block_on(serve(listener, acceptor, server_journal, shutdown_rx)))?;
    Ok(ProxyEcho {
        addr,
        ca_pem: tls.ca_pem,
        journal,
        shutdown: Some(shutdown_tx),
        thread: Some(thread),
    })
}

/// Accepts connections until `shutdown` fires; open connections end with the runtime.
async fn serve(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    journal: Journal,
    mut shutdown: oneshot::Receiver<()>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of descriptors and the like: let the client retry.
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    continue;
                };
                let (acceptor, journal) = (acceptor.clone(), journal.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        proxy_entry(request, acceptor.clone(), journal.clone())
                    });
                    // Resets and malformed requests are the client's business.
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .with_upgrades()
                        .await;
                });
            }
            _ = &mut shutdown => break,
        }
    }
}

/// The proxy port: `CONNECT` opens a TLS tunnel, anything else is answered directly.
async fn proxy_entry(
    request: Request<Incoming>,
    acceptor: TlsAcceptor,
    journal: Journal,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if request.method() != Method::CONNECT {
        let origin = origin_of(&request, "http");
        return Ok(answer(request, &origin, &journal).await);
    }
    let Some(authority) = request.uri().authority().map(|a| a.to_string()) else {
        return Ok(plain(StatusCode::BAD_REQUEST, "CONNECT needs host:port"));
    };
    tokio::spawn(async move {
        let Ok(upgraded) = hyper::upgrade::on(request).await else {
            return;
        };
        let Ok(tls) = acceptor.accept(TokioIo::new(upgraded)).await else {
            return;
        };
        let origin = format!("https://{}", authority.trim_end_matches(":443"));
        let service = service_fn(move |request| {
            let (origin, journal) = (origin.clone(), journal.clone());
            async move { Ok::<_, Infallible>(answer(request, &origin, &journal).await) }
        });
        let _ = http1::Builder::new()
            .serve_connection(TokioIo::new(tls), service)
            .await;
    });
    Ok(Response::new(Full::new(Bytes::new())))
}

/// `scheme://host[:port]` of a request that came without a tunnel: from its absolute-form target,
/// else from its `Host` header.
fn origin_of(request: &Request<Incoming>, scheme: &str) -> String {
    let uri = request.uri();
    if let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) {
        return format!("{scheme}://{authority}");
    }
    let host = request
        .headers()
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("{scheme}://{host}")
}

/// Journals the request and reflects it.
async fn answer(request: Request<Incoming>, origin: &str, journal: &Journal) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let body = match http_body_util::Limited::new(body, BODY_LIMIT).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return plain(StatusCode::PAYLOAD_TOO_LARGE, "body too large"),
    };
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let url = format!("{origin}{path_and_query}");
    let recorded = ProxiedRequest {
        method: parts.method.to_string(),
        url: url.clone(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.to_vec(),
    };
    if let Ok(mut journal) = journal.lock() {
        journal.push(recorded);
    }
    let reflection = reflect(&parts.method, &url, &parts.uri, &parts.headers, &body);
    let mut response = Response::new(Full::new(if parts.method == Method::HEAD {
        Bytes::new()
    } else {
        Bytes::from(reflection.to_string())
    }));
    response.headers_mut().insert(
        CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// The postman-echo style JSON answer for one request.
fn reflect(
    method: &Method,
    url: &str,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Value {
    let content_type = headers
        .get(CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let lower = content_type.to_ascii_lowercase();
    let (mut form, mut files, mut parsed) = (Map::new(), Map::new(), Value::Null);
    if lower.contains("multipart/form-data") {
        (form, files) = parse::multipart(body, &content_type);
    } else if lower.contains("application/x-www-form-urlencoded") {
        form = parse::multi_map(parse::form_pairs(body));
    } else if lower.contains("json") {
        parsed = serde_json::from_slice(body).unwrap_or(Value::Null);
    }
    let mut reflected = Map::new();
    for (name, value) in headers {
        if UNREFLECTED_HEADERS.contains(&name.as_str()) {
            continue;
        }
        reflected.insert(
            name.as_str().to_owned(),
            Value::String(String::from_utf8_lossy(value.as_bytes()).into_owned()),
        );
    }
    json!({
        "method": method.as_str(),
        "url": url,
        "path": uri.path(),
        "args": parse::query_args(uri.query()),
        "headers": reflected,
        "data": String::from_utf8_lossy(body),
        "form": form,
        "files": files,
        "json": parsed,
    })
}

/// A short plain-text answer.
fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response
}
