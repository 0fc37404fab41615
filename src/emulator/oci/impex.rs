//! Availability imports: submit, upload link, status, results, list and delete, under
//! `/inventory/impex/v1/organizations/{org}/availability-records/imports`.
//!
//! Flow: `POST imports` hands out an upload link (a path on this emulator, valid for
//! `linkDuration` minutes); the file (NDJSON, optionally gzip, multipart or raw, `POST` or
//! `PUT`) is applied when it arrives. With `OciOptions::job_duration` set, the first status poll
//! after the upload answers `RUNNING` (unless that long has passed), later ones `COMPLETED`
//! with the results link, so clients exercise their polling loop; without it the job is
//! complete at the first poll, as a small import on a quiet org is.

use std::io::Read as _;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest as _, Multipart, Path, Query, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use flate2::read::GzDecoder;
use serde::Deserialize;
use serde_json::{Value, json};

use super::access::Scope;
use super::data::{Future, valid_sku};
use super::errors::ApiError;
use super::reservation::iso;
use super::state::{OciState, json_body, json_response};
use super::store::{Org, Place};

/// Path prefix of the impex family.
pub const PREFIX: &str = "/inventory/impex/v1/organizations/{org}";
/// Largest upload read, as the gateway allows.
const UPLOAD_LIMIT: usize = 100 * 1024 * 1024;
/// Default and largest upload link life, in minutes.
const MAX_LINK_MINUTES: i64 = 60;
/// How long results stay downloadable, in hours.
pub const RESULT_HOURS: i64 = 24;

/// The import routes.
pub fn routes() -> Router<OciState> {
    let base = format!("{PREFIX}/availability-records/imports");
    Router::new()
        .route(&base, post(submit).get(list))
        .route(&format!("{base}/{{id}}"), axum::routing::delete(remove))
        .route(
            &format!("{base}/uploadlink/{{link}}"),
            post(upload).put(upload),
        )
        .route(&format!("{base}/{{id}}/status"), get(status))
        .route(&format!("{base}/{{id}}/file-content"), get(results))
}

/// One import job.
#[derive(Debug, Clone)]
pub struct Import {
    file_name: String,
    link_expires: DateTime<Utc>,
    stage: Stage,
}

/// Where an import is.
#[derive(Debug, Clone)]
enum Stage {
    /// No file yet.
    Waiting,
    /// File applied; the next status poll still says RUNNING.
    Running(Outcome),
    /// Done.
    Completed(Outcome),
}

/// What an applied file did.
#[derive(Debug, Clone)]
struct Outcome {
    started: DateTime<Utc>,
    read: usize,
    processed: usize,
    skipped: usize,
    /// `COMPLETED` or `FAILED`.
    status: &'static str,
    /// The NDJSON result file.
    file: String,
}

/// The relative links of an import.
fn links(org: &str, id: &str) -> (String, String) {
    let base = format!("/inventory/impex/v1/organizations/{org}/availability-records/imports");
    (
        format!("{base}/{id}/status"),
        format!("{base}/{id}/file-content"),
    )
}

/// Body of `POST imports`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SubmitBody {
    file_name: String,
    link_duration: Option<Value>,
}

async fn submit(
    State(state): State<OciState>,
    Path(org): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run(|| {
        state.authorize(&headers, Scope::ImpexInventoryRw)?;
        let request: SubmitBody = json_body(&body)?;
        let minutes = match request.link_duration {
            None => MAX_LINK_MINUTES,
            Some(value) => value
                .as_i64()
                .filter(|minutes| (1..=MAX_LINK_MINUTES).contains(minutes))
                .ok_or_else(|| ApiError::invalid_parameter("link duration must be numeric"))?,
        };
        let id = uuid::Uuid::new_v4().to_string();
        let link = uuid::Uuid::new_v4().to_string();
        let expires = state.with_org(&org, |tenant, now| {
            let expires = now + chrono::Duration::minutes(minutes);
            let import = Import {
                file_name: request.file_name,
                link_expires: expires,
                stage: Stage::Waiting,
            };
            tenant.imports.insert(id.clone(), import);
            tenant.upload_links.insert(link.clone(), id.clone());
            expires
        });
        let (status_link, _) = links(&org, &id);
        Ok(json_response(
            StatusCode::OK,
            json!({
                "importId": id,
                "importStatusLink": status_link,
                "uploadLink": format!("/inventory/impex/v1/organizations/{org}/availability-records/imports/uploadlink/{link}"),
                "uploadMethod": "POST",
                "uploadLinkExpirationUTC": iso(expires),
            }),
        ))
    })
}

/// Query of `GET imports`.
#[derive(Debug, Deserialize)]
struct ListQuery {
    available: Option<bool>,
}

async fn list(
    State(state): State<OciState>,
    Path(org): Path<String>,
    Query(query): Query<ListQuery>,
    headers: HeaderMap,
) -> Response {
    run(|| {
        state.authorize(&headers, Scope::ImpexInventoryRw)?;
        let ids: Vec<String> = state.with_org(&org, |tenant, now| {
            tenant
                .imports
                .iter()
                .filter(|(_, import)| !query.available.unwrap_or(false) || available(import, now))
                .map(|(id, _)| id.clone())
                .collect()
        });
        Ok(json_response(StatusCode::OK, json!({"imports": ids})))
    })
}

/// Whether an import can still be used: awaiting a file on a live link, or results not expired.
fn available(import: &Import, now: DateTime<Utc>) -> bool {
    match &import.stage {
        Stage::Waiting => import.link_expires > now,
        Stage::Running(_) => true,
        Stage::Completed(outcome) => outcome.started + chrono::Duration::hours(RESULT_HOURS) > now,
    }
}

async fn remove(
    State(state): State<OciState>,
    Path((org, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    run(|| {
        state.authorize(&headers, Scope::ImpexInventoryRw)?;
        state.with_org(&org, |tenant, _| {
            match tenant.imports.get(&id).map(|import| &import.stage) {
                None => return Err(not_found()),
                Some(Stage::Running(_)) => {
                    return Err(ApiError::conflict(
                        "ImportInProgress",
                        format!("Import {id} is in progress."),
                    ));
                }
                Some(_) => {}
            }
            tenant.imports.remove(&id);
            tenant.upload_links.retain(|_, import| *import != id);
            Ok(StatusCode::NO_CONTENT.into_response())
        })
    })
}

/// 404 for an unknown import, export or link.
pub fn not_found() -> ApiError {
    ApiError::not_found("An invalid entity was provided as part of the request.")
}

async fn upload(
    State(state): State<OciState>,
    Path((org, link)): Path<(String, String)>,
    request: Request,
) -> Response {
    if let Err(error) = state.authorize(request.headers(), Scope::ImpexInventoryRw) {
        return error.into_response();
    }
    let file = match read_upload(request, &state).await {
        Ok(file) => file,
        Err(error) => return error.into_response(),
    };
    run(|| {
        state.with_org(&org, |tenant, now| {
            let id = tenant
                .upload_links
                .get(&link)
                .cloned()
                .ok_or_else(not_found)?;
            let import = tenant.imports.get(&id).ok_or_else(not_found)?;
            if !matches!(import.stage, Stage::Waiting) {
                return Err(ApiError::conflict(
                    "FileAlreadyReceived",
                    "The file for this uploadLink has already been received.",
                ));
            }
            if import.link_expires <= now {
                return Err(ApiError::gone(
                    "ExpiredUploadLink",
                    "The upload link has expired or is no longer valid.",
                ));
            }
            let outcome = apply_file(tenant, &file, now);
            if let Some(import) = tenant.imports.get_mut(&id) {
                import.stage = Stage::Running(outcome);
            }
            Ok(json_response(
                StatusCode::OK,
                json!({"status": "PENDING", "importId": id}),
            ))
        })
    })
}

/// The uploaded bytes: the first multipart field, or the raw body; gunzipped when gzip.
async fn read_upload(request: Request, state: &OciState) -> Result<Vec<u8>, ApiError> {
    let multipart = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("multipart/"));
    let bytes = if multipart {
        let mut form = Multipart::from_request(request, state)
            .await
            .map_err(|_| ApiError::malformed())?;
        let mut chosen = Vec::new();
        while let Some(field) = form.next_field().await.map_err(|_| ApiError::malformed())? {
            let is_file = field.file_name().is_some() || field.name() == Some("fileUpload");
            let data = field.bytes().await.map_err(|_| ApiError::malformed())?;
            if chosen.is_empty() || is_file {
                chosen = data.to_vec();
            }
            if is_file {
                break;
            }
        }
        chosen
    } else {
        axum::body::to_bytes(request.into_body(), UPLOAD_LIMIT)
            .await
            .map_err(|_| ApiError::malformed())?
            .to_vec()
    };
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut text = Vec::new();
        GzDecoder::new(bytes.as_slice())
            .read_to_end(&mut text)
            .map_err(|_| ApiError::invalid_parameter("The uploaded file is not valid gzip."))?;
        return Ok(text);
    }
    Ok(bytes)
}

/// One import file line.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ImportLine {
    record_id: Option<String>,
    location_id: Option<String>,
    location: Option<String>,
    mode: Option<String>,
    sku: Option<String>,
    on_hand: Option<f64>,
    safety_stock_count: Option<f64>,
    effective_date: Option<String>,
    #[serde(default)]
    futures: Vec<Future>,
}

/// Applies an NDJSON import file and builds its result file.
fn apply_file(org: &mut Org, file: &[u8], now: DateTime<Utc>) -> Outcome {
    let text = String::from_utf8_lossy(file);
    let mut header_location: Option<String> = None;
    let (mut read, mut processed) = (0, 0);
    let mut failures: Vec<Value> = Vec::new();
    for line in text.lines().map(str::trim).filter(|line| !line.is_empty()) {
        let Ok(record) = serde_json::from_str::<ImportLine>(line) else {
            read += 1;
            failures.push(json!({"recordId": null, "locationId": null, "sku": null, "message": "The line is not a valid JSON object."}));
            continue;
        };
        if record.sku.is_none() && record.location.is_some() {
            header_location = record.location;
            if record.mode.as_deref().is_some_and(|mode| mode != "UPDATE") {
                failures.push(json!({"recordId": null, "locationId": header_location, "sku": null, "message": "'mode' only UPDATE is supported"}));
                header_location = None;
            }
            continue;
        }
        read += 1;
        let location = record
            .location_id
            .clone()
            .or_else(|| header_location.clone());
        let failure = match (&record.record_id, &record.sku, &location) {
            (None, _, _) => Some("'recordId' is required".to_owned()),
            (_, None, _) => Some("'sku' is required".to_owned()),
            (_, _, None) => Some("'locationId' is required".to_owned()),
            (_, Some(sku), _) if !valid_sku(sku) => {
                Some(format!("'sku' Invalid characters in sku: {sku}"))
            }
            (_, _, Some(location)) if !org.locations.contains(location) => {
                Some(format!("No location exists with ID '{location}'"))
            }
            _ if record.on_hand.is_some_and(|q| q < 0.0)
                || record.futures.iter().any(|f| f.quantity <= 0.0) =>
            {
                Some("'quantity' quantity must be a positive value".to_owned())
            }
            _ => None,
        };
        if let Some(message) = failure {
            failures.push(json!({"recordId": record.record_id, "locationId": location, "sku": record.sku, "message": message}));
            continue;
        }
        if let (Some(sku), Some(location)) = (record.sku, location) {
            let stock = org.record_mut(&location, &sku);
            stock.on_hand = record.on_hand.unwrap_or(0.0);
            stock.safety_stock = record.safety_stock_count.unwrap_or(0.0);
            stock.effective_date = record.effective_date;
            stock.futures = record.futures;
            let on_hand = stock.on_hand;
            org.log_change(now, Place::Location(location), &sku, "IMPORT", on_hand);
            processed += 1;
        }
    }
    let summary = if failures.is_empty() {
        "COMPLETED_WITHOUT_ERRORS"
    } else if processed > 0 {
        "COMPLETED_WITH_PARTIAL_FAILURES"
    } else {
        "FAILED"
    };
    let mut file = json!({"status": summary}).to_string();
    for failure in &failures {
        file.push('\n');
        file.push_str(&failure.to_string());
    }
    file.push('\n');
    Outcome {
        started: now,
        read,
        processed,
        skipped: read - processed,
        status: if summary == "FAILED" {
            "FAILED"
        } else {
            "COMPLETED"
        },
        file,
    }
}

async fn status(
    State(state): State<OciState>,
    Path((org, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    run(|| {
        state.authorize(&headers, Scope::ImpexInventoryRw)?;
        let body = state.with_org(&org, |tenant, now| {
            let import = tenant.imports.get_mut(&id).ok_or_else(not_found)?;
            if let Stage::Running(outcome) = &import.stage
                && state.job_done(outcome.started, now)
            {
                import.stage = Stage::Completed(outcome.clone());
            }
            let upload = json!({"fileName": import.file_name});
            let body = match &import.stage {
                Stage::Waiting => {
                    let status = if import.link_expires <= now { "EXPIRED" } else { "WAITING" };
                    json!({"importId": id, "status": status, "upload": upload})
                }
                Stage::Running(outcome) => {
                    let body = json!({"importId": id, "status": "RUNNING", "upload": upload,
                                      "import": {"startTimeUTC": iso(outcome.started)}});
                    import.stage = Stage::Completed(outcome.clone());
                    body
                }
                Stage::Completed(outcome) => {
                    let (_, results) = links(&org, &id);
                    json!({
                        "importId": id,
                        "status": outcome.status,
                        "validation": {"status": "Success", "errors": []},
                        "upload": upload,
                        "import": {
                            "startTimeUTC": iso(outcome.started),
                            "endTimeUTC": iso(outcome.started),
                            "recordsProcessedCount": outcome.processed,
                            "recordsReadCount": outcome.read,
                            "recordsSkippedCount": outcome.skipped,
                            "fullResults": {
                                "href": results,
                                "exportResultExpirationUTC": iso(outcome.started + chrono::Duration::hours(RESULT_HOURS)),
                            }
                        }
                    })
                }
            };
            Ok(body)
        })?;
        Ok(json_response(StatusCode::OK, body))
    })
}

async fn results(
    State(state): State<OciState>,
    Path((org, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    run(|| {
        state.authorize(&headers, Scope::ImpexInventoryRw)?;
        state.with_org(&org, |tenant, now| {
            match tenant.imports.get(&id).map(|import| &import.stage) {
                None => Err(not_found()),
                Some(Stage::Waiting | Stage::Running(_)) => Err(ApiError::conflict(
                    "ImportInProgress",
                    format!("Import {id} is in progress."),
                )),
                Some(Stage::Completed(outcome))
                    if outcome.started + chrono::Duration::hours(RESULT_HOURS) <= now =>
                {
                    Err(ApiError::gone(
                        "ExpiredResultLink",
                        "The download link has expired or is no longer valid.",
                    ))
                }
                Some(Stage::Completed(outcome)) => Ok(ndjson(outcome.file.clone())),
            }
        })
    })
}

/// An NDJSON answer.
pub fn ndjson(text: String) -> Response {
    ([(CONTENT_TYPE, "application/x-ndjson")], text).into_response()
}

/// Runs a handler body, turning its error into the error response.
pub fn run(body: impl FnOnce() -> Result<Response, ApiError>) -> Response {
    body().unwrap_or_else(IntoResponse::into_response)
}
