//! Realism switches: injected latency, 429 with `Retry-After`, 503, dropped connections.
//!
//! Each request draws one number from a generator seeded with [`OciOptions::seed`]; the same
//! seed and the same request order give the same failures, so tests are reproducible. The
//! number picks, in this order: dropped connection (`rate_drop`), 429 (`rate_429`), 503
//! (`rate_503`), or a normal answer.
//!
//! [`OciOptions::seed`]: super::OciOptions::seed

use std::io;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body::Frame;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

use super::errors::ApiError;
use super::state::OciState;

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Served normally.
    Pass,
    /// The connection is cut before a complete answer.
    Drop,
    /// 429 Too Many Requests.
    TooMany,
    /// 503 Service Unavailable.
    Unavailable,
}

/// The switches and the seeded generator.
#[derive(Debug)]
pub struct Chaos {
    latency: Option<Duration>,
    rate_drop: f64,
    rate_429: f64,
    rate_503: f64,
    retry_after_secs: u64,
    rng: Mutex<StdRng>,
}

impl Chaos {
    /// Switches with the given rates (each 0.0 to 1.0).
    pub fn new(
        latency: Option<Duration>,
        (rate_drop, rate_429, rate_503): (f64, f64, f64),
        retry_after_secs: u64,
        seed: u64,
    ) -> Self {
        Self {
            latency,
            rate_drop,
            rate_429,
            rate_503,
            retry_after_secs,
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
        }
    }

    /// Draws the outcome of the next request.
    pub fn roll(&self) -> Outcome {
        if self.rate_drop <= 0.0 && self.rate_429 <= 0.0 && self.rate_503 <= 0.0 {
            return Outcome::Pass;
        }
        let draw: f64 = self
            .rng
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .random();
        let mut limit = self.rate_drop;
        if draw < limit {
            return Outcome::Drop;
        }
        limit += self.rate_429;
        if draw < limit {
            return Outcome::TooMany;
        }
        limit += self.rate_503;
        if draw < limit {
            return Outcome::Unavailable;
        }
        Outcome::Pass
    }
}

/// Middleware: waits, then fails the request or passes it on.
pub async fn apply(State(state): State<OciState>, request: Request, next: Next) -> Response {
    let chaos = state.chaos();
    if let Some(latency) = chaos.latency {
        tokio::time::sleep(latency).await;
    }
    match chaos.roll() {
        Outcome::Pass => next.run(request).await,
        Outcome::Drop => Response::new(Body::new(Severed)),
        Outcome::TooMany => ApiError::too_many_requests(chaos.retry_after_secs).into_response(),
        Outcome::Unavailable => ApiError::unavailable(chaos.retry_after_secs).into_response(),
    }
}

/// A body that fails at once, which makes the server abort the connection.
struct Severed;

impl http_body::Body for Severed {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        Poll::Ready(Some(Err(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "connection dropped by the emulator",
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcomes(seed: u64) -> Vec<Outcome> {
        let chaos = Chaos::new(None, (0.2, 0.2, 0.2), 1, seed);
        (0..50).map(|_| chaos.roll()).collect()
    }

    #[test]
    fn same_seed_same_outcomes() {
        let first = outcomes(42);
        assert_eq!(first, outcomes(42));
        assert!(first.contains(&Outcome::Drop));
        assert!(first.contains(&Outcome::TooMany));
        assert!(first.contains(&Outcome::Unavailable));
        assert!(first.contains(&Outcome::Pass));
    }

    #[test]
    fn zero_rates_always_pass() {
        let chaos = Chaos::new(None, (0.0, 0.0, 0.0), 1, 7);
        assert!((0..20).all(|_| chaos.roll() == Outcome::Pass));
    }
}
