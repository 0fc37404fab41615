//! SIGINT and SIGTERM: the first one asks the run to stop (no new request, the one in flight
//! cancelled, every requested report written and marked as interrupted, exit 130 or 143); a
//! second one exits at once, removing the temporary files of atomic writes still in progress.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, OnceLock};

use tokio::sync::Notify;

/// Signal number of SIGINT.
pub const SIGINT: i32 = 2;
/// Signal number of SIGTERM.
pub const SIGTERM: i32 = 15;

/// Whether (and by which signal) the process was asked to stop.
#[derive(Debug, Default)]
pub struct Interrupt {
    signal: AtomicI32,
    notify: Notify,
}

impl Interrupt {
    /// The process's interrupt state, with the signal handlers installed on first use.
    pub fn install() -> Arc<Interrupt> {
        static GLOBAL: OnceLock<Arc<Interrupt>> = OnceLock::new();
        GLOBAL
            .get_or_init(|| {
                let state = Arc::new(Interrupt::default());
                let listener = Arc::clone(&state);
                let (ready_tx, ready_rx) = std::sync::mpsc::channel();
                let spawned = std::thread::Builder::new()
                    .name("snapman-signals".into())
                    .spawn(move || listen(&listener, &ready_tx));
                if spawned.is_ok() {
                    // Handlers are in place before the first request goes out.
                    let _ = ready_rx.recv();
                }
                state
            })
            .clone()
    }

    /// The signal received, if any.
    pub fn signal(&self) -> Option<i32> {
        match self.signal.load(Ordering::SeqCst) {
            0 => None,
            n => Some(n),
        }
    }

    /// Records a stop request (what the signal handler does; tests call it directly).
    pub fn trigger(&self, signal: i32) {
        self.signal.store(signal, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    /// Resolves once a stop was requested.
    pub async fn wait(&self) {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.signal().is_some() {
                return;
            }
            notified.await;
        }
    }

    /// The exit code for the signal received: 128 + its number (130, 143).
    pub fn exit_code(&self) -> Option<u8> {
        self.signal()
            .map(|s| u8::try_from(128 + s).unwrap_or(u8::MAX))
    }

    /// What reports say about an interrupted run.
    pub fn message(&self) -> String {
        let name = match self.signal() {
            Some(SIGTERM) => "SIGTERM",
            _ => "SIGINT",
        };
        format!("interrupted by {name}: the run stopped before it finished")
    }
}

/// The signal thread: the first signal triggers `state`; a second exits the process at once.
fn listen(state: &Interrupt, ready: &std::sync::mpsc::Sender<()>) {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        let _ = ready.send(());
        return;
    };
    runtime.block_on(async {
        let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            let _ = ready.send(());
            return;
        };
        let _ = ready.send(());
        loop {
            let received = tokio::select! {
                _ = int.recv() => SIGINT,
                _ = term.recv() => SIGTERM,
            };
            if state.signal().is_some() {
                crate::atomic::remove_pending();
                eprintln!("\nsnapman: second signal, exiting now");
                std::process::exit(128 + received);
            }
            eprintln!(
                "\nsnapman: stopping: the request in flight is cancelled and the reports are written (send the signal again to exit now)"
            );
            state.trigger(received);
        }
    });
}
