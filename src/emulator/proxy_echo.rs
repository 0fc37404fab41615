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
//! The HTTP/1.1 parsing is deliberately lenient: a runner that sends an unresolved
//! `http://{{baseUrl}}/users` to its proxy is answered and recorded like any other request, so
//! the journal shows what the runner put on the wire rather than what a strict parser accepts.
//!
//! ```no_run
//! let proxy = snapman::emulator::proxy_echo::start("127.0.0.1:0").expect("starts");
//! // HTTP_PROXY=proxy.proxy_url() HTTPS_PROXY=proxy.proxy_url() snapman run c.json -k
//! for request in proxy.requests() {
//!     println!("{} {}", request.method, request.url);
//! }
//! ```

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use serde::Serialize;
use serde_json::{Map, Value, json};
use tokio::io::{
    AsyncBufReadExt as _, AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, BufReader,
};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;

use super::parse;
use super::tls::run_tls;

/// Largest request head (request line and headers) the stand-in reads.
const HEAD_LIMIT: usize = 1024 * 1024;

/// Largest request body the stand-in reads; the connection is closed on larger ones.
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
    /// Body bytes (chunked bodies decoded).
    #[serde(serialize_with = "body_text")]
    pub body: Vec<u8>,
}

impl ProxiedRequest {
    /// The first header named `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
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
                    // Resets and malformed requests are the client's business.
                    let _ = proxy_connection(stream, acceptor, journal).await;
                });
            }
            _ = &mut shutdown => break,
        }
    }
}

/// A request head: request line and headers.
struct Head {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
}

impl Head {
    /// The first header named `name` (lower-case).
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The proxy port: a `CONNECT` opens a TLS tunnel whose requests are answered inside it; other
/// requests (absolute-form `http://` ones) are answered directly.
async fn proxy_connection(
    stream: tokio::net::TcpStream,
    acceptor: TlsAcceptor,
    journal: Journal,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let Some(head) = read_head(&mut reader).await? else {
        return Ok(());
    };
    if !head.method.eq_ignore_ascii_case("CONNECT") {
        return exchange(reader, Some(head), "http", &journal).await;
    }
    reader
        .get_mut()
        .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        .await?;
    // The client says nothing more until the tunnel is up, so nothing is left in the buffer.
    let tls = acceptor.accept(reader.into_inner()).await?;
    let origin = format!("https://{}", head.target.trim_end_matches(":443"));
    exchange(BufReader::new(tls), None, &origin, &journal).await
}

/// Answers requests on one connection until it closes. `origin` is `http` for the proxy port
/// (absolute-form targets, else the `Host` header) or `https://host[:port]` inside a tunnel.
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut reader: BufReader<S>,
    mut pending: Option<Head>,
    origin: &str,
    journal: &Journal,
) -> std::io::Result<()> {
    loop {
        let head = match pending.take() {
            Some(head) => head,
            None => match read_head(&mut reader).await? {
                Some(head) => head,
                None => return Ok(()),
            },
        };
        if head
            .header("expect")
            .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
        {
            reader
                .get_mut()
                .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
                .await?;
        }
        let body = read_body(&mut reader, &head).await?;
        let url = absolute_url(&head, origin);
        let reflection = reflect(&head, &url, &body);
        let close = head
            .header("connection")
            .is_some_and(|c| c.eq_ignore_ascii_case("close"));
        let is_head = head.method.eq_ignore_ascii_case("HEAD");
        if let Ok(mut journal) = journal.lock() {
            journal.push(ProxiedRequest {
                method: head.method,
                url,
                headers: head.headers,
                body,
            });
        }
        let text = reflection.to_string();
        let response = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n\
             Content-Length: {}\r\nConnection: {}\r\n\r\n",
            text.len(),
            if close { "close" } else { "keep-alive" },
        );
        let stream = reader.get_mut();
        stream.write_all(response.as_bytes()).await?;
        if !is_head {
            stream.write_all(text.as_bytes()).await?;
        }
        stream.flush().await?;
        if close {
            return stream.shutdown().await;
        }
    }
}

/// Reads a request line and headers; `None` at a clean end of the connection.
async fn read_head<S: AsyncRead + Unpin>(
    reader: &mut BufReader<S>,
) -> std::io::Result<Option<Head>> {
    let mut lines = Vec::new();
    let mut size = 0;
    loop {
        let mut line = Vec::new();
        let read = reader.read_until(b'\n', &mut line).await?;
        if read == 0 {
            return if lines.is_empty() {
                Ok(None)
            } else {
                Err(invalid("connection closed inside a request head"))
            };
        }
        size += read;
        if size > HEAD_LIMIT {
            return Err(invalid("request head too large"));
        }
        let text = String::from_utf8_lossy(&line)
            .trim_end_matches(['\r', '\n'])
            .to_owned();
        if text.is_empty() {
            // Blank lines before a request line are allowed (RFC 9112, 2.2).
            if lines.is_empty() {
                continue;
            }
            break;
        }
        lines.push(text);
    }
    let request_line = lines.remove(0);
    let mut words = request_line.split(' ').filter(|w| !w.is_empty());
    let method = words.next().unwrap_or_default().to_owned();
    let mut rest: Vec<&str> = words.collect();
    // The last word is the version; whatever lies between it and the method is the target.
    if rest.len() > 1 {
        rest.pop();
    }
    let headers = lines
        .iter()
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Ok(Some(Head {
        method,
        target: rest.join(" "),
        headers,
    }))
}

/// Reads the body the head announces: chunked, `Content-Length`, or none.
async fn read_body<S: AsyncRead + Unpin>(
    reader: &mut BufReader<S>,
    head: &Head,
) -> std::io::Result<Vec<u8>> {
    let chunked = head
        .header("transfer-encoding")
        .is_some_and(|t| t.to_ascii_lowercase().contains("chunked"));
    if !chunked {
        let length: usize = head
            .header("content-length")
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        if length > BODY_LIMIT {
            return Err(invalid("request body too large"));
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).await?;
        return Ok(body);
    }
    let mut body = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).await?;
        let size_text = line.trim().split(';').next().unwrap_or_default();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| invalid("bad chunk size"))?;
        if size == 0 {
            // Trailers, up to the blank line.
            loop {
                let mut trailer = String::new();
                if reader.read_line(&mut trailer).await? == 0 || trailer.trim().is_empty() {
                    return Ok(body);
                }
            }
        }
        if body.len() + size > BODY_LIMIT {
            return Err(invalid("request body too large"));
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..]).await?;
        let mut crlf = String::new();
        reader.read_line(&mut crlf).await?;
    }
}

/// The absolute URL of a request: its target when absolute, else `origin` (or `http://` plus
/// the `Host` header) plus the target.
fn absolute_url(head: &Head, origin: &str) -> String {
    let lower = head.target.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return head.target.clone();
    }
    if origin == "http" {
        return format!(
            "http://{}{}",
            head.header("host").unwrap_or("localhost"),
            head.target
        );
    }
    format!("{origin}{}", head.target)
}

/// The postman-echo style JSON answer for one request.
fn reflect(head: &Head, url: &str, body: &[u8]) -> Value {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path_and_query = after_scheme
        .find('/')
        .map_or("/", |slash| &after_scheme[slash..]);
    let (path, query) = match path_and_query.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (path_and_query, None),
    };
    let content_type = head.header("content-type").unwrap_or_default();
    let lower = content_type.to_ascii_lowercase();
    let (mut form, mut files, mut parsed) = (Map::new(), Map::new(), Value::Null);
    if lower.contains("multipart/form-data") {
        (form, files) = parse::multipart(body, content_type);
    } else if lower.contains("application/x-www-form-urlencoded") {
        form = parse::multi_map(parse::form_pairs(body));
    } else if lower.contains("json") {
        parsed = serde_json::from_slice(body).unwrap_or(Value::Null);
    }
    let mut reflected = Map::new();
    for (name, value) in &head.headers {
        if !UNREFLECTED_HEADERS.contains(&name.as_str()) {
            reflected.insert(name.clone(), Value::String(value.clone()));
        }
    }
    json!({
        "method": head.method,
        "url": url,
        "path": path,
        "args": parse::query_args(query),
        "headers": reflected,
        "data": String::from_utf8_lossy(body),
        "form": form,
        "files": files,
        "json": parsed,
    })
}

/// An error for a request the stand-in cannot read; the connection is dropped.
fn invalid(message: &'static str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message)
}

#[cfg(test)]
mod tests {
    use std::io::{Read as _, Write as _};

    use super::*;

    /// A client that sends everything through `proxy` and trusts any certificate (`-k`).
    fn client(proxy: &ProxyEcho) -> reqwest::Client {
        reqwest::Client::builder()
            .proxy(reqwest::Proxy::all(proxy.proxy_url()).expect("proxy url"))
            .danger_accept_invalid_certs(true)
            .build()
            .expect("client")
    }

    #[tokio::test]
    async fn answers_and_records_http_and_https_through_the_proxy() {
        let proxy = start("127.0.0.1:0").expect("starts");
        let client = client(&proxy);
        let plain: Value = client
            .get("http://api.example.test/users?id=7&id=8")
            .header("x-one", "1")
            .send()
            .await
            .expect("http through the proxy")
            .text()
            .await
            .map(|t| serde_json::from_str(&t).expect("json"))
            .expect("body");
        assert_eq!(plain["url"], "http://api.example.test/users?id=7&id=8");
        assert_eq!(plain["args"], json!({"id": ["7", "8"]}));
        assert_eq!(plain["headers"]["x-one"], "1");
        let tunnelled: Value = client
            .post("https://secure.example.test:8443/login")
            .header("content-type", "application/json")
            .body(r#"{"user":"a"}"#)
            .send()
            .await
            .expect("https through CONNECT")
            .text()
            .await
            .map(|t| serde_json::from_str(&t).expect("json"))
            .expect("body");
        assert_eq!(tunnelled["url"], "https://secure.example.test:8443/login");
        assert_eq!(tunnelled["json"], json!({"user": "a"}));
        let journal = proxy.requests();
        assert_eq!(journal.len(), 2);
        assert_eq!(journal[0].method, "GET");
        assert_eq!(journal[1].method, "POST");
        assert_eq!(journal[1].url, "https://secure.example.test:8443/login");
        assert_eq!(journal[1].body, br#"{"user":"a"}"#);
        assert!(journal[1].header("content-type").is_some());
    }

    #[test]
    fn records_targets_a_strict_parser_refuses_and_chunked_bodies() {
        let proxy = start("127.0.0.1:0").expect("starts");
        let mut stream = std::net::TcpStream::connect(proxy.addr()).expect("connects");
        stream
            .write_all(
                b"POST http://{{baseUrl}}/users HTTP/1.1\r\nHost: {{baseUrl}}\r\n\
                  Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
                  3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
            )
            .expect("writes");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("reads");
        assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
        assert!(answer.contains(r#""data":"abcde""#), "{answer}");
        let journal = proxy.requests();
        assert_eq!(journal.len(), 1);
        assert_eq!(journal[0].url, "http://{{baseUrl}}/users");
        assert_eq!(journal[0].body, b"abcde");
    }
}
