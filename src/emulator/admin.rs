//! The standalone emulator's own endpoints, under `/__snapman/`, and the client side other
//! snapman commands use to reach a standalone emulator by its address (`doctor --emulator-url`).
//!
//! - `GET /__snapman/emulator`: `{"caPem", "shortCode", "organizationId", "open"}`: what a
//!   client needs to send the production host names to this emulator over TLS.
//! - `POST /__snapman/register` `{"clientId", "username", "publicKeyPem"}`: registers a
//!   connected app with its key and a pre-authorized user, when the emulator was started
//!   `--open` (403 otherwise).

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::{Arc, OnceLock};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::bootstrap::{ORGANIZATION_ID, ROUTED_HOSTS, Registrar, SHORT_CODE};

/// What the admin endpoints know.
#[derive(Debug, Clone)]
pub struct AdminState {
    /// The CA of the port's TLS leaf, known once the server runs.
    pub ca_pem: Arc<OnceLock<String>>,
    /// Registers identities; `None` unless the emulator is open.
    pub registrar: Option<Registrar>,
}

/// The `/__snapman/` routes.
pub fn admin_router(state: AdminState) -> Router {
    Router::new()
        .route("/__snapman/emulator", get(info))
        .route("/__snapman/register", post(register))
        .with_state(state)
}

async fn info(State(state): State<AdminState>) -> Json<Value> {
    Json(json!({
        "caPem": state.ca_pem.get().cloned().unwrap_or_default(),
        "shortCode": SHORT_CODE,
        "organizationId": ORGANIZATION_ID,
        "open": state.registrar.is_some(),
    }))
}

/// Body of `POST /__snapman/register`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegisterBody {
    client_id: String,
    username: String,
    public_key_pem: String,
}

async fn register(State(state): State<AdminState>, body: axum::body::Bytes) -> Response {
    let fail = |status: StatusCode, message: String| {
        (status, Json(json!({"error": message}))).into_response()
    };
    let Some(registrar) = &state.registrar else {
        return fail(
            StatusCode::FORBIDDEN,
            "this emulator registers identities only when started with --open".to_owned(),
        );
    };
    let request: RegisterBody = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => return fail(StatusCode::BAD_REQUEST, format!("bad body: {error}")),
    };
    match registrar.register(
        &request.client_id,
        &request.username,
        &request.public_key_pem,
    ) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => fail(StatusCode::BAD_REQUEST, error.to_string()),
    }
}

/// A standalone emulator found by its address.
#[derive(Debug, Clone)]
pub struct RemoteEmulator {
    /// Its base URL (`http://127.0.0.1:PORT`).
    pub base_url: String,
    /// Host patterns to send to it.
    pub routes: Vec<(String, SocketAddr)>,
    /// The CA to trust for its TLS answers.
    pub ca_pem: String,
    /// Its OCI short code.
    pub short_code: String,
    /// Its OCI tenant.
    pub organization_id: String,
    /// Whether it registers identities.
    pub open: bool,
}

/// Why a standalone emulator could not be used.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// The URL is not `http://host:port`.
    #[error("--emulator-url {0}: expected http://HOST:PORT of a running `snapman emulator`")]
    Url(String),
    /// It did not answer as a snapman emulator.
    #[error("{url} is not a running snapman emulator: {reason}")]
    Unreachable {
        /// The URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// It refused the registration.
    #[error("{url} did not register {client_id}: {reason}")]
    Register {
        /// The URL.
        url: String,
        /// The consumer key.
        client_id: String,
        /// What it said.
        reason: String,
    },
}

impl Registrar {
    /// A registrar for `login`, putting new users in `org_id`.
    pub fn new(login: super::login::LoginState, org_id: &str) -> Self {
        Registrar::from_parts(login, org_id.to_owned())
    }
}

impl RemoteEmulator {
    /// Asks the emulator at `url` for its CA and identity.
    pub async fn connect(url: &str) -> Result<Self, RemoteError> {
        let parsed = url::Url::parse(url).map_err(|_| RemoteError::Url(url.to_owned()))?;
        if parsed.scheme() != "http" {
            return Err(RemoteError::Url(url.to_owned()));
        }
        let host = parsed
            .host_str()
            .ok_or_else(|| RemoteError::Url(url.to_owned()))?;
        let port = parsed
            .port_or_known_default()
            .ok_or_else(|| RemoteError::Url(url.to_owned()))?;
        let addr = (host, port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut addrs| addrs.next())
            .ok_or_else(|| RemoteError::Url(url.to_owned()))?;
        let base_url = format!("http://{addr}");
        let unreachable = |reason: String| RemoteError::Unreachable {
            url: url.to_owned(),
            reason,
        };
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .map_err(|e| unreachable(e.to_string()))?;
        let bytes = client
            .get(format!("{base_url}/__snapman/emulator"))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| unreachable(e.to_string()))?
            .bytes()
            .await
            .map_err(|e| unreachable(e.to_string()))?;
        let info: Value = serde_json::from_slice(&bytes).map_err(|e| unreachable(e.to_string()))?;
        let text = |key: &str| info[key].as_str().unwrap_or_default().to_owned();
        let ca_pem = text("caPem");
        if ca_pem.is_empty() {
            return Err(unreachable("it serves no TLS".to_owned()));
        }
        Ok(RemoteEmulator {
            routes: ROUTED_HOSTS
                .iter()
                .map(|host| ((*host).to_owned(), addr))
                .collect(),
            ca_pem,
            short_code: text("shortCode"),
            organization_id: text("organizationId"),
            open: info["open"].as_bool().unwrap_or(false),
            base_url,
        })
    }

    /// Registers a connected app with its public key and a pre-authorized user.
    pub async fn register(
        &self,
        client_id: &str,
        username: &str,
        public_key_pem: &str,
    ) -> Result<(), RemoteError> {
        let fail = |reason: String| RemoteError::Register {
            url: self.base_url.clone(),
            client_id: client_id.to_owned(),
            reason,
        };
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .map_err(|e| fail(e.to_string()))?;
        let response = client
            .post(format!("{}/__snapman/register", self.base_url))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(
                json!({"clientId": client_id, "username": username, "publicKeyPem": public_key_pem})
                    .to_string(),
            )
            .send()
            .await
            .map_err(|e| fail(e.to_string()))?;
        if response.status().is_success() {
            return Ok(());
        }
        let bytes = response.bytes().await.unwrap_or_default();
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Err(fail(
            body["error"]
                .as_str()
                .unwrap_or("unexpected answer")
                .to_owned(),
        ))
    }
}

/// What `snapman emulator --open` prints after its address: the environment values and `curl`
/// commands that work against the emulator at `base` as they are.
pub fn open_instructions(base: &str) -> String {
    let tenant = ORGANIZATION_ID;
    format!(
        "\nOpen registration is on: any client id, client secret, username and password is accepted\n\
         and registered on first use (later calls must repeat the same secret and password).\n\
         \n\
         Environment values for Postman, Newman or snapman:\n\
         \x20 loginUrl={base}\n\
         \x20 instanceUrl={base}\n\
         \x20 accountManagerUrl={base}/dw/oauth2/access_token\n\
         \x20 host={base}   (the OCI gateway, for `{{{{host}}}}/inventory/...` and `{{{{host}}}}{{{{link}}}}`)\n\
         \x20 ociBaseUrl={base}/inventory\n\
         \x20 shortCode={SHORT_CODE}\n\
         \x20 organizationId={tenant}   (also tenantId)\n\
         \n\
         curl:\n\
         \x20 curl -s {base}/services/oauth2/token -d grant_type=password -d client_id=my-app -d client_secret=my-secret -d username=qa@example.com -d password=my-password\n\
         \x20 curl -s -u my-client:my-secret {base}/dw/oauth2/access_token -d grant_type=client_credentials\n\
         \x20 curl -s -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' {base}/inventory/availability/v1/organizations/{tenant}/availability-records/actions/get-availability -d '{{\"skus\":[\"ID-PEM\"],\"groups\":[\"LocationGroup01\"]}}'\n\
         (TOKEN is the access_token of either token answer.)\n"
    )
}
