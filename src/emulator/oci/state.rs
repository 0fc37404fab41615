//! The emulator's shared state, its options, the router and the helpers every handler uses.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, put};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;

use super::super::shape;
use super::access::{self, AccessCheck, Grant, Scope};
use super::chaos::{self, Chaos};
use super::data::{SeedData, default_seed};
use super::errors::ApiError;
use super::store::Org;
use super::{availability, connect, exports, impex, reservation};

/// Tenant the Connect REST routes use until an internal PUT names one.
pub const DEFAULT_CONNECT_TENANT: &str = "00D000000000000EAA";

/// How the emulator behaves.
#[derive(Debug, Clone, Default)]
pub struct OciOptions {
    /// Dataset each organization starts with; `None` uses [`default_seed`].
    pub data: Option<SeedData>,
    /// Delay added to every request.
    pub latency: Option<Duration>,
    /// Share of requests answered 429 (0.0 to 1.0).
    pub rate_429: f64,
    /// Share of requests answered 503.
    pub rate_503: f64,
    /// Share of requests whose connection is dropped.
    pub rate_drop: f64,
    /// `Retry-After` of 429 and 503 answers, in seconds.
    pub retry_after_secs: u64,
    /// Seed of the generator that picks failing requests.
    pub seed: u64,
    /// How long import and export jobs run (emulated time, see [`OciState::advance_clock`]).
    /// `None`: a job is complete as soon as it starts; `Some(d)`: it answers `RUNNING` (and
    /// its downloads and deletes are 409) until `d` has passed since it started, whether or not
    /// anybody polls it.
    pub job_duration: Option<Duration>,
}

/// Shared state of the OCI emulator; cheap to clone.
#[derive(Clone)]
pub struct OciState {
    inner: Arc<Inner>,
}

/// What [`OciState`] shares.
struct Inner {
    access: Arc<dyn AccessCheck>,
    seed: SeedData,
    orgs: Mutex<HashMap<String, Org>>,
    clock_offset: Mutex<chrono::Duration>,
    chaos: Chaos,
    connect_tenant: Mutex<Option<String>>,
    job_duration: Option<chrono::Duration>,
}

impl OciState {
    /// State using `access` to check bearer tokens.
    pub fn new(access: Arc<dyn AccessCheck>, opts: OciOptions) -> Self {
        let chaos = Chaos::new(
            opts.latency,
            (opts.rate_drop, opts.rate_429, opts.rate_503),
            opts.retry_after_secs,
            opts.seed,
        );
        Self {
            inner: Arc::new(Inner {
                access,
                seed: opts.data.unwrap_or_else(default_seed),
                orgs: Mutex::new(HashMap::new()),
                clock_offset: Mutex::new(chrono::Duration::zero()),
                chaos,
                connect_tenant: Mutex::new(None),
                job_duration: opts
                    .job_duration
                    .map(|d| chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)),
            }),
        }
    }

    /// Moves the emulator's clock forward: links, delta tokens and reservations expire
    /// without waiting (tests use it).
    pub fn advance_clock(&self, by: Duration) {
        let by = chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
        let mut offset = self
            .inner
            .clock_offset
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *offset = offset.checked_add(&by).unwrap_or(*offset);
    }

    /// The emulator's current time.
    pub(super) fn now(&self) -> DateTime<Utc> {
        let offset = *self
            .inner
            .clock_offset
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Utc::now() + offset
    }

    /// The realism switches.
    pub(super) fn chaos(&self) -> &Chaos {
        &self.inner.chaos
    }

    /// Checks the token and scope of a request.
    pub(super) fn authorize(&self, headers: &HeaderMap, scope: Scope) -> Result<Grant, ApiError> {
        access::authorize(self.inner.access.as_ref(), headers, scope)
    }

    /// Checks only that the token is valid.
    pub(super) fn authenticate(&self, headers: &HeaderMap) -> Result<Grant, ApiError> {
        access::authenticate(self.inner.access.as_ref(), headers)
    }

    /// Runs `f` on an organization's state (copied from the seed on first use), after
    /// releasing reservations that have expired.
    pub(super) fn with_org<R>(&self, org: &str, f: impl FnOnce(&mut Org, DateTime<Utc>) -> R) -> R {
        let now = self.now();
        let mut orgs = self
            .inner
            .orgs
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let state = orgs.entry(org.to_owned()).or_insert_with(|| Org {
            job_duration: self.inner.job_duration,
            ..Org::from_seed(&self.inner.seed)
        });
        state.expire_reservations(now);
        f(state, now)
    }

    /// The tenant Connect REST calls act on: the last one provisioned by the internal PUT.
    pub(super) fn connect_tenant(&self) -> String {
        self.inner
            .connect_tenant
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .unwrap_or_else(|| DEFAULT_CONNECT_TENANT.to_owned())
    }
}

/// All OCI routes: the three Commerce API families, Connect REST and the internal PUT.
pub fn oci_router(state: OciState) -> Router {
    Router::new()
        .merge(availability::routes())
        .merge(impex::routes())
        .merge(exports::routes())
        .merge(reservation::routes())
        .merge(connect::routes())
        .route("/inventory/internal/v1/organizations/{org}", put(provision))
        .route("/inventory", any(shape::unknown))
        .route("/inventory/{*rest}", any(shape::unknown))
        .route("/services/data/{version}/{*rest}", any(shape::unknown))
        .layer(middleware::from_fn_with_state(state.clone(), chaos::apply))
        .with_state(state)
}

/// `PUT /inventory/internal/v1/organizations/{org}`: 204 for any valid token; the tenant
/// gets its copy of the data and becomes the one Connect REST calls use.
async fn provision(
    State(state): State<OciState>,
    Path(org): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(error) = state.authenticate(&headers) {
        return error.into_response();
    }
    state.with_org(&org, |_, _| ());
    *state
        .inner
        .connect_tenant
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = Some(org);
    StatusCode::NO_CONTENT.into_response()
}

/// Parses a JSON body; a missing field or a wrong value is `InvalidRequestParameter` naming
/// it, anything else `InvalidRequest`.
pub(super) fn json_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|error| {
        let text = error.to_string();
        match text
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            Some(field) => ApiError::missing(field),
            None if error.is_data() => ApiError::invalid_parameter(format!(
                "An invalid request parameter was provided: {}",
                text.split(" at line").next().unwrap_or(&text)
            )),
            None => ApiError::malformed(),
        }
    })
}

/// A JSON answer with the given status.
pub(super) fn json_response(status: StatusCode, body: serde_json::Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// Turns a handler result into a response.
pub(super) fn respond(result: Result<Response, ApiError>) -> Response {
    result.unwrap_or_else(IntoResponse::into_response)
}
