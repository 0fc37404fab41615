//! Starting and stopping the emulator: one axum server on one port, echo routes plus extras.
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

use std::future::IntoFuture as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot};

use super::echo;

/// How long in-flight requests may run on after shutdown is asked for (a `/delay/10` for one).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

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

/// Starts on `addr` (use "127.0.0.1:0" for an ephemeral port) inside the current tokio runtime.
pub async fn start(addr: &str, extra: Option<Router>) -> std::io::Result<EmulatorHandle> {
    let listener = TcpListener::bind(addr).await?;
    let (handle, app, shutdown) = prepare(&listener, extra)?;
    tokio::spawn(serve(listener, app, shutdown));
    Ok(handle)
}

/// Starts on its own thread with its own tokio runtime (for sync tests and the CLI); same handle.
pub fn start_background(addr: &str, extra: Option<Router>) -> std::io::Result<EmulatorHandle> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let std_listener = std::net::TcpListener::bind(addr)?;
    std_listener.set_nonblocking(true)?;
    let listener = {
        let _context = runtime.enter();
        TcpListener::from_std(std_listener)?
    };
    let (mut handle, app, shutdown) = prepare(&listener, extra)?;
    let thread = std::thread::Builder::new()
        .name(format!("snapman-emulator-{}", handle.addr.port()))
        .spawn(move || runtime.block_on(serve(listener, app, shutdown)))?;
    handle.thread = Some(thread);
    Ok(handle)
}

/// Builds the handle, the application and the shutdown receiver for a bound listener.
fn prepare(
    listener: &TcpListener,
    extra: Option<Router>,
) -> std::io::Result<(EmulatorHandle, Router, oneshot::Receiver<()>)> {
    let addr = listener.local_addr()?;
    let journal = Arc::new(Journal::default());
    let (shutdown_tx, shutdown_rx) = oneshot::channel();
    let app = extra
        .unwrap_or_default()
        .fallback_service(echo::router())
        .layer(middleware::from_fn(echo::answer_options))
        .layer(middleware::from_fn_with_state(journal.clone(), record));
    let handle = EmulatorHandle {
        addr,
        base_url: format!("http://{addr}"),
        journal,
        shutdown: Some(shutdown_tx),
        thread: None,
    };
    Ok((handle, app, shutdown_rx))
}

/// Serves until `shutdown` fires (or its sender is dropped), then lets in-flight requests finish
/// for at most [`SHUTDOWN_GRACE`].
async fn serve(listener: TcpListener, app: Router, shutdown: oneshot::Receiver<()>) {
    let stopping = Arc::new(Notify::new());
    let signal = {
        let stopping = stopping.clone();
        async move {
            // An error means the handle was dropped without sending: stop as well.
            let _ = shutdown.await;
            stopping.notify_one();
        }
    };
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(signal)
    .into_future();
    let grace = async {
        stopping.notified().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        // axum's serve never returns an error; there is nobody to report one to anyway.
        _ = server => {}
        () = grace => {}
    }
}

/// Middleware: counts every request and keeps a copy of it in the journal before it is handled.
async fn record(State(journal): State<Arc<Journal>>, request: Request, next: Next) -> Response {
    journal.hits.fetch_add(1, Ordering::SeqCst);
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, JOURNAL_BODY_LIMIT).await else {
        return axum::http::StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let recorded = RecordedRequest {
        method: parts.method.to_string(),
        target: parts
            .uri
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
