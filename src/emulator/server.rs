//! Starting and stopping the emulator: one axum application on one port, echo routes plus
//! extras, over plain HTTP and (optionally) TLS: the first byte of each connection decides.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let emulator = snapman::emulator::start("127.0.0.1:0", None).await?;
//! let url = format!("{}/get?a=1", emulator.base_url());
//! # let _ = url;
//! drop(emulator); // shuts the server down
//! # Ok(())
//! # }
//! ```

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::Uri;
use axum::middleware::{self, Next};
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt as _;

use super::echo;
use super::shape;
use super::tls::run_tls;

/// How long in-flight requests may run on after shutdown is asked for (a `/delay/10` for one).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Pause after a failed `accept` (e.g. out of file descriptors).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// First byte of a TLS handshake record.
const TLS_HANDSHAKE: u8 = 0x16;

/// A connection that sends no byte (or does not finish its TLS handshake) within this long is
/// closed: half-open connections do not hold a task for ever.
const FIRST_BYTE_TIMEOUT: Duration = Duration::from_secs(5);

/// A request head must arrive within this long, and an idle keep-alive connection is closed
/// after it.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Extra routes other parts of the emulator add (login, OCI); merged with the echo routes.
///
/// They take precedence over echo routes with the same path. A fallback set on them is
/// replaced: every path they do not route goes to the echo service.
pub type ExtraRoutes = Router;

/// One request as it arrived at the emulator (kept for tests and diagnostics).
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Path and query as sent.
    pub target: String,
    /// Headers in the order received (names lower-case).
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The URI as the client sent it, when routing uses a normalized one.
#[derive(Debug, Clone)]
struct SentUri(Uri);

/// How many recent requests the journal keeps.
const JOURNAL_LIMIT: usize = 1000;

/// Largest body the journal buffers; larger requests are refused with 413.
const JOURNAL_BODY_LIMIT: usize = 32 * 1024 * 1024;

/// The request counter and the journal of recent requests.
#[derive(Debug, Default)]
struct Journal {
    hits: AtomicUsize,
    recent: std::sync::Mutex<std::collections::VecDeque<RecordedRequest>>,
}

/// A running emulator; dropping it shuts the server down.
#[derive(Debug)]
pub struct EmulatorHandle {
    addr: SocketAddr,
    base_url: String,
    ca_pem: Option<String>,
    journal: Arc<Journal>,
    shutdown: Option<oneshot::Sender<()>>,
    /// Set by [`start_background`]: the server thread, joined on drop.
    thread: Option<JoinHandle<()>>,
}

impl EmulatorHandle {
    /// Base URL of the server, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// PEM of the run-local CA whose leaf the port serves over TLS (`None` without TLS).
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// Number of requests served so far, on every route.
    pub fn hits(&self) -> usize {
        self.journal.hits.load(Ordering::SeqCst)
    }

    /// The most recent requests (up to 1000), oldest first, exactly as they arrived.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.journal
            .recent
            .lock()
            .map(|r| r.iter().cloned().collect())
            .unwrap_or_default()
    }
}

impl Drop for EmulatorHandle {
    /// Asks the server to stop. A [`start_background`] server has closed its port when this
    /// returns; a [`start`] server closes it as soon as its runtime polls the shutdown signal.
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            // The receiver is gone only if the server already stopped.
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            // A panic on the server thread must not turn into a double panic here.
            let _ = thread.join();
        }
    }
}

/// How to start the emulator.
#[derive(Debug, Default)]
pub struct EmulatorConfig {
    /// Address to listen on; "127.0.0.1:0" picks an ephemeral port.
    pub addr: String,
    /// Routes merged in front of the echo service (login, OCI).
    pub extra: Option<Router>,
    /// Also serve TLS on the same port (with a fresh run-local CA).
    pub tls: bool,
}

impl EmulatorConfig {
    /// Plain HTTP on `addr` with `extra` routes.
    pub fn new(addr: &str, extra: Option<Router>) -> Self {
        EmulatorConfig {
            addr: addr.to_owned(),
            extra,
            tls: false,
        }
    }
}

/// Starts on `addr` (use "127.0.0.1:0" for an ephemeral port) inside the current tokio runtime.
pub async fn start(addr: &str, extra: Option<Router>) -> std::io::Result<EmulatorHandle> {
    start_with(EmulatorConfig::new(addr, extra)).await
}

/// Starts on its own thread with its own tokio runtime (for sync tests and the CLI); same handle.
pub fn start_background(addr: &str, extra: Option<Router>) -> std::io::Result<EmulatorHandle> {
    start_background_with(EmulatorConfig::new(addr, extra))
}

/// Like [`start`], with TLS optional.
pub async fn start_with(config: EmulatorConfig) -> std::io::Result<EmulatorHandle> {
    let listener = TcpListener::bind(&config.addr).await?;
    let (handle, server) = prepare(listener, config)?;
    tokio::spawn(server.serve());
    Ok(handle)
}

/// Like [`start_background`], with TLS optional.
pub fn start_background_with(config: EmulatorConfig) -> std::io::Result<EmulatorHandle> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let std_listener = std::net::TcpListener::bind(&config.addr)?;
    std_listener.set_nonblocking(true)?;
    let listener = {
        let _context = runtime.enter();
        TcpListener::from_std(std_listener)?
    };
    let (mut handle, server) = prepare(listener, config)?;
    let thread = std::thread::Builder::new()
        .name(format!("snapman-emulator-{}", handle.addr.port()))
        .spawn(move || runtime.block_on(server.serve()))?;
    handle.thread = Some(thread);
    Ok(handle)
}

/// A bound listener, the application and what the accept loop needs.
struct Server {
    listener: TcpListener,
    app: Router,
    tls: Option<TlsAcceptor>,
    shutdown: oneshot::Receiver<()>,
}

/// Builds the handle and the server for a bound listener.
fn prepare(
    listener: TcpListener,
    config: EmulatorConfig,
) -> std::io::Result<(EmulatorHandle, Server)> {
    let addr = listener.local_addr()?;
    let journal = Arc::new(Journal::default());
    let (shutdown_tx, shutdown_rx) = oneshot::channel();
    let tls = if config.tls { Some(run_tls()?) } else { None };
    let app = config
        .extra
        .unwrap_or_default()
        .fallback_service(echo::router())
        .layer(middleware::from_fn(shape::shape_errors))
        .layer(middleware::from_fn(echo::answer_options))
        .layer(middleware::from_fn_with_state(journal.clone(), record));
    let handle = EmulatorHandle {
        addr,
        base_url: format!("http://{addr}"),
        ca_pem: tls.as_ref().map(|t| t.ca_pem.clone()),
        journal,
        shutdown: Some(shutdown_tx),
        thread: None,
    };
    let server = Server {
        listener,
        app,
        tls: tls.map(|t| t.acceptor),
        shutdown: shutdown_rx,
    };
    Ok((handle, server))
}

impl Server {
    /// Accepts connections until `shutdown` fires (or its sender is dropped), then lets
    /// in-flight requests finish for at most [`SHUTDOWN_GRACE`].
    async fn serve(self) {
        let Server {
            listener,
            app,
            tls,
            mut shutdown,
        } = self;
        let graceful = GracefulShutdown::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        let watcher = graceful.watcher();
                        tokio::spawn(connection(stream, peer, app.clone(), tls.clone(), watcher));
                    }
                    // Out of file descriptors and the like: wait a moment instead of spinning.
                    Err(_) => tokio::time::sleep(ACCEPT_BACKOFF).await,
                },
                // An error means the handle was dropped without sending: stop as well.
                _ = &mut shutdown => break,
            }
        }
        drop(listener);
        // Connections still running after the grace period are dropped with the runtime.
        let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
    }
}

/// Serves one connection: TLS when its first byte starts a handshake (and TLS is on), plain
/// HTTP/1.1 otherwise, with the same application.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    tls: Option<TlsAcceptor>,
    watcher: Watcher,
) {
    let service = TowerToHyperService::new(app.map_request(
        move |mut request: axum::http::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            // Routing sees the gateway's view of the path; the journal keeps the path as sent.
            if let Some(uri) = shape::normalize_uri(request.uri()) {
                let sent = std::mem::replace(request.uri_mut(), uri);
                request.extensions_mut().insert(SentUri(sent));
            }
            request
        },
    ));
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    let Ok(is_tls) = tokio::time::timeout(FIRST_BYTE_TIMEOUT, starts_tls(&stream)).await else {
        return;
    };
    let acceptor = match tls {
        Some(acceptor) if is_tls => acceptor,
        _ => {
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            // Errors are the client's business (reset, bad request line): nobody to tell.
            let _ = watcher.watch(conn).await;
            return;
        }
    };
    let Ok(Ok(stream)) = tokio::time::timeout(FIRST_BYTE_TIMEOUT, acceptor.accept(stream)).await
    else {
        return;
    };
    let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
    let _ = watcher.watch(conn).await;
}

/// Whether the client's first byte is a TLS handshake record (a ClientHello).
async fn starts_tls(stream: &TcpStream) -> bool {
    let mut first = [0u8; 1];
    matches!(stream.peek(&mut first).await, Ok(1)) && first[0] == TLS_HANDSHAKE
}

/// Middleware: counts every request and keeps a copy of it in the journal before it is handled.
async fn record(State(journal): State<Arc<Journal>>, request: Request, next: Next) -> Response {
    journal.hits.fetch_add(1, Ordering::SeqCst);
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, JOURNAL_BODY_LIMIT).await else {
        return shape::too_large(parts.uri.path());
    };
    let sent = parts
        .extensions
        .get::<SentUri>()
        .map_or(&parts.uri, |original| &original.0);
    let recorded = RecordedRequest {
        method: parts.method.to_string(),
        target: sent
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: bytes.to_vec(),
    };
    if let Ok(mut recent) = journal.recent.lock() {
        if recent.len() == JOURNAL_LIMIT {
            recent.pop_front();
        }
        recent.push_back(recorded);
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}
