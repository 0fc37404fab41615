//! Imports of availability records and of product segmentation: submit, upload link, status,
//! results, list (availability) and delete, under
//! `/inventory/impex/v1/organizations/{org}/{availability-records|product-segmentation}/imports`.
//!
//! Flow: `POST imports` hands out an upload link (a path on this emulator, valid for
//! `linkDuration` minutes); the file (NDJSON, optionally gzip, multipart or raw, `POST` or
//! `PUT`) is checked against `fileHash`/`fileHashType` and applied when it arrives. The job then
//! runs for `OciOptions::job_duration` from the upload (no time at all by default): status
//! answers `RUNNING` and results and deletes are 409 `ImportInProgress` until that time has
//! passed, whether or not anybody polls; then `COMPLETED` (or `FAILED`) with the results link.

use std::io::Read as _;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest as _, Multipart, Path, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use flate2::read::GzDecoder;
use serde::Deserialize;
use serde_json::{Value, json};

use super::access::Scope;
use super::data::{Future, valid_place_id, valid_sku};
use super::errors::{ApiError, IMPEX_400};
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

/// What an import loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    /// Availability records of locations.
    Availability,
    /// Product segmentation (the SKUs of a location group).
    Segmentation,
}

impl ImportKind {
    /// Path segment under the organization.
    pub fn segment(self) -> &'static str {
        match self {
            ImportKind::Availability => "availability-records",
            ImportKind::Segmentation => "product-segmentation",
        }
    }

    /// Scope to submit an import.
    fn submit_scope(self) -> Scope {
        match self {
            ImportKind::Availability => Scope::ImpexInventoryRw,
            ImportKind::Segmentation => Scope::ImpexInventory,
        }
    }

    /// The 409 of a results download while the job runs: the RAML documents
    /// `ImportInProgress` for availability imports and `ExportInProcess` for product
    /// segmentation imports.
    fn results_in_progress(self, id: &str) -> ApiError {
        match self {
            ImportKind::Availability => in_progress(id),
            ImportKind::Segmentation => {
                ApiError::conflict("ExportInProcess", format!("Import {id} is in progress."))
            }
        }
    }

    /// Scope to download the results.
    fn results_scope(self) -> Scope {
        match self {
            ImportKind::Availability => Scope::ImpexInventoryRw,
            ImportKind::Segmentation => Scope::ImpexInventory,
        }
    }
}

/// The import routes of both kinds.
pub fn routes() -> Router<OciState> {
    let mut router = Router::new();
    for kind in [ImportKind::Availability, ImportKind::Segmentation] {
        let base = format!("{PREFIX}/{}/imports", kind.segment());
        let root = post(move |s, p, h, b| submit(kind, s, p, h, b));
        let root = if kind == ImportKind::Availability {
            root.get(list)
        } else {
            root
        };
        router = router
            .route(&base, root)
            .route(
                &format!("{base}/{{id}}"),
                axum::routing::delete(move |s, p, h| remove(kind, s, p, h)),
            )
            .route(
                &format!("{base}/uploadlink/{{link}}"),
                post(move |s, p, r| upload(kind, s, p, r))
                    .put(move |s, p, r| upload(kind, s, p, r)),
            )
            .route(
                &format!("{base}/{{id}}/status"),
                get(move |s, p, h| status(kind, s, p, h)),
            )
            .route(
                &format!("{base}/{{id}}/file-content"),
                get(move |s, p, h| results(kind, s, p, h)),
            );
    }
    router
}

/// One import job.
#[derive(Debug, Clone)]
pub struct Import {
    kind: ImportKind,
    file_name: String,
    link_expires: DateTime<Utc>,
    /// The expected hash of the uploaded file: (type as given, lower-case hex).
    hash: Option<(String, String)>,
    stage: Stage,
}

/// Where an import is.
#[derive(Debug, Clone)]
enum Stage {
    /// No file yet.
    Waiting,
    /// File received at `Outcome::started`; running until the job duration has passed.
    Applied(Outcome),
}

/// What an applied file did.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// When the file arrived (the job's start).
    pub started: DateTime<Utc>,
    /// Records read.
    pub read: usize,
    /// Records applied.
    pub processed: usize,
    /// Records skipped.
    pub skipped: usize,
    /// `COMPLETED` or `FAILED`.
    pub status: &'static str,
    /// Validation errors (a hash mismatch); nothing was applied when there are any.
    validation_errors: Vec<String>,
    /// The NDJSON result file.
    pub file: String,
}

/// The relative links of an import.
fn links(kind: ImportKind, org: &str, id: &str) -> (String, String) {
    let base = format!(
        "/inventory/impex/v1/organizations/{org}/{}/imports",
        kind.segment()
    );
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
    file_hash: Option<String>,
    file_hash_type: Option<String>,
}

/// The hash algorithms the service checks uploads with.
const HASH_TYPES: [&str; 3] = ["SHA-256", "SHA-512", "MD5"];

/// The lower-case hex digest of `bytes` with the named algorithm.
fn digest(kind: &str, bytes: &[u8]) -> Option<String> {
    use md5::Digest as _;
    let raw: Vec<u8> = match kind.to_ascii_uppercase().as_str() {
        "SHA-256" => sha2::Sha256::digest(bytes).to_vec(),
        "SHA-512" => sha2::Sha512::digest(bytes).to_vec(),
        "MD5" => md5::Md5::digest(bytes).to_vec(),
        _ => return None,
    };
    Some(raw.iter().map(|byte| format!("{byte:02x}")).collect())
}

async fn submit(
    kind: ImportKind,
    State(state): State<OciState>,
    Path(org): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run(|| {
        state.authorize(&headers, kind.submit_scope())?;
        let request: SubmitBody = json_body(&body)?;
        let minutes = match request.link_duration {
            None => MAX_LINK_MINUTES,
            Some(value) => value
                .as_i64()
                .filter(|minutes| (1..=MAX_LINK_MINUTES).contains(minutes))
                .ok_or_else(|| {
                    ApiError::invalid_parameter("link duration must be numeric")
                        .with("parameterName", "linkDuration")
                })?,
        };
        let hash = match (request.file_hash, request.file_hash_type) {
            (None, _) => None,
            (Some(hash), hash_type) => {
                let hash_type = hash_type.unwrap_or_else(|| "SHA-256".to_owned());
                if !HASH_TYPES
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case(&hash_type))
                {
                    return Err(ApiError::invalid_parameter(format!(
                        "'fileHashType' must be one of {}",
                        HASH_TYPES.join(", ")
                    ))
                    .with("parameterName", "fileHashType"));
                }
                Some((hash_type, hash.trim().to_ascii_lowercase()))
            }
        };
        let id = uuid::Uuid::new_v4().to_string();
        let link = uuid::Uuid::new_v4().to_string();
        let expires = state.with_org(&org, |tenant, now| {
            let expires = now + chrono::Duration::minutes(minutes);
            let import = Import {
                kind,
                file_name: request.file_name,
                link_expires: expires,
                hash,
                stage: Stage::Waiting,
            };
            tenant.imports.insert(id.clone(), import);
            tenant.upload_links.insert(link.clone(), id.clone());
            expires
        });
        let (status_link, _) = links(kind, &org, &id);
        Ok(json_response(
            StatusCode::OK,
            json!({
                "importId": id,
                "importStatusLink": status_link,
                "uploadLink": format!("/inventory/impex/v1/organizations/{org}/{}/imports/uploadlink/{link}", kind.segment()),
                "uploadMethod": "POST",
                "uploadLinkExpirationUTC": iso(expires),
            }),
        ))
    })
}

/// `GET imports[?available=true|false]`: the ids of the organization's availability imports.
async fn list(
    State(state): State<OciState>,
    Path(org): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    run(|| {
        state.authorize(&headers, Scope::ImpexInventoryRw)?;
        let mut only_available = false;
        for (key, value) in url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
            if key == "available" {
                only_available = match value.as_ref() {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(ApiError::invalid_parameter(format!(
                            "'available' must be true or false, not '{value}'"
                        ))
                        .with("parameterName", "available"));
                    }
                };
            }
        }
        let ids: Vec<String> = state.with_org(&org, |tenant, now| {
            tenant
                .imports
                .iter()
                .filter(|(_, import)| import.kind == ImportKind::Availability)
                .filter(|(_, import)| !only_available || available(import, now))
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
        Stage::Applied(outcome) => outcome.started + chrono::Duration::hours(RESULT_HOURS) > now,
    }
}

/// Looks up an import of the right kind.
fn find(org: &Org, kind: ImportKind, id: &str) -> Result<Import, ApiError> {
    org.imports
        .get(id)
        .filter(|import| import.kind == kind)
        .cloned()
        .ok_or_else(not_found)
}

/// 409 `ImportInProgress`.
fn in_progress(id: &str) -> ApiError {
    ApiError::conflict("ImportInProgress", format!("Import {id} is in progress."))
}

async fn remove(
    kind: ImportKind,
    State(state): State<OciState>,
    Path((org, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    run(|| {
        state.authorize(&headers, Scope::ImpexInventoryRw)?;
        state.with_org(&org, |tenant, now| {
            if let Stage::Applied(outcome) = find(tenant, kind, &id)?.stage
                && tenant.job_running(outcome.started, now)
            {
                return Err(in_progress(&id));
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
    kind: ImportKind,
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
            let import = find(tenant, kind, &id)?;
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
            let outcome = match hash_mismatch(import.hash.as_ref(), &file.raw) {
                Some(error) => failed_validation(error, now),
                None => match kind {
                    ImportKind::Availability => apply_file(tenant, &file.text, now),
                    ImportKind::Segmentation => apply_segmentation(tenant, &file.text, now),
                },
            };
            if let Some(import) = tenant.imports.get_mut(&id) {
                import.stage = Stage::Applied(outcome);
            }
            Ok(json_response(
                StatusCode::OK,
                json!({"status": "PENDING", "importId": id}),
            ))
        })
    })
}

/// The validation error when the file does not have the hash given at submit.
fn hash_mismatch(expected: Option<&(String, String)>, raw: &[u8]) -> Option<String> {
    let (kind, hash) = expected?;
    let actual = digest(kind, raw)?;
    (actual != *hash).then(|| {
        format!("File hash mismatch: the {kind} hash of the uploaded file is {actual}, the import was submitted with {hash}.")
    })
}

/// The outcome of a file that failed validation: nothing applied.
fn failed_validation(error: String, now: DateTime<Utc>) -> Outcome {
    Outcome {
        started: now,
        read: 0,
        processed: 0,
        skipped: 0,
        status: "FAILED",
        file: format!("{}\n", json!({"status": "FAILED"})),
        validation_errors: vec![error],
    }
}

/// An uploaded file: the bytes as sent (what the hash covers) and as text (gunzipped).
pub struct Upload {
    /// The bytes as sent.
    raw: Vec<u8>,
    /// The file's text (gunzipped).
    pub text: Vec<u8>,
}

/// The uploaded file: the file part of a multipart body (a part with a file name, named
/// `fileUpload` or named after the RAML body type), or the raw body; gunzipped when gzip. A multipart body without a file part
/// and an empty body are 400 `InvalidRequest`.
pub async fn read_upload(request: Request, state: &OciState) -> Result<Upload, ApiError> {
    let no_file = || {
        ApiError::problem(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            "The request does not contain a file to import.",
        )
    };
    let multipart = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("multipart/"));
    let raw = if multipart {
        let mut form = Multipart::from_request(request, state)
            .await
            .map_err(|_| ApiError::malformed())?;
        let mut chosen = None;
        while let Some(field) = form.next_field().await.map_err(|_| ApiError::malformed())? {
            // A file part: one with a file name, the `fileUpload` field public collections
            // use, or a text field named after the RAML's body type
            // (`ImportsUploadLinkPostBody`), as the oci-plc collection sends it.
            let is_file = field.file_name().is_some()
                || field.name().is_some_and(|name| {
                    name == "fileUpload" || name.ends_with("UploadLinkPostBody")
                });
            let data = field.bytes().await.map_err(|_| ApiError::malformed())?;
            if is_file {
                chosen = Some(data.to_vec());
                break;
            }
        }
        chosen.ok_or_else(no_file)?
    } else {
        axum::body::to_bytes(request.into_body(), UPLOAD_LIMIT)
            .await
            .map_err(|_| ApiError::malformed())?
            .to_vec()
    };
    if raw.is_empty() {
        return Err(no_file());
    }
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut text = Vec::new();
        GzDecoder::new(raw.as_slice())
            .read_to_end(&mut text)
            .map_err(|_| ApiError::invalid_parameter("The uploaded file is not valid gzip."))?;
        return Ok(Upload { raw, text });
    }
    Ok(Upload {
        text: raw.clone(),
        raw,
    })
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
pub fn apply_file(org: &mut Org, file: &[u8], now: DateTime<Utc>) -> Outcome {
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
        // A header line names the location of the lines that follow; the documentation uses
        // both `{"location": ..}` and (the RAML example) `{"locationId": .., "mode": "UPDATE"}`.
        let header = record.sku.is_none()
            && record.record_id.is_none()
            && (record.location.is_some() || record.location_id.is_some());
        if header {
            header_location = record.location.or(record.location_id);
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
    outcome(read, processed, &failures, now)
}

/// One product segmentation file line: a `{"groupId", "mode"}` header or a `{"sku"}` line.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SegmentationLine {
    group_id: Option<String>,
    mode: Option<String>,
    sku: Option<String>,
}

/// Applies a product segmentation file: each `{"groupId", "mode"}` header starts a block of
/// `{"sku"}` lines that replace (`REPLACE`), extend (`APPEND`) or shrink (`DELETE`) the
/// group's SKUs.
fn apply_segmentation(org: &mut Org, file: &[u8], now: DateTime<Utc>) -> Outcome {
    let text = String::from_utf8_lossy(file);
    let mut block: Option<(String, String)> = None;
    let (mut read, mut processed) = (0, 0);
    let mut failures: Vec<Value> = Vec::new();
    for line in text.lines().map(str::trim).filter(|line| !line.is_empty()) {
        let Ok(record) = serde_json::from_str::<SegmentationLine>(line) else {
            read += 1;
            failures.push(json!({"groupId": null, "sku": null, "message": "The line is not a valid JSON object."}));
            continue;
        };
        if let Some(group) = record.group_id {
            let mode = record.mode.unwrap_or_else(|| "REPLACE".to_owned());
            block = None;
            if !["REPLACE", "APPEND", "DELETE"].contains(&mode.as_str()) {
                failures.push(json!({"groupId": group, "sku": null, "message": "'mode' must be REPLACE, APPEND or DELETE"}));
            } else if !valid_place_id(&group) || !org.groups.contains_key(&group) {
                failures.push(json!({"groupId": group, "sku": null, "message": format!("No group exists with ID '{group}'")}));
            } else {
                if mode == "REPLACE" {
                    org.segmentation.insert(group.clone(), Default::default());
                }
                block = Some((group, mode));
            }
            continue;
        }
        read += 1;
        let Some((group, mode)) = &block else {
            failures.push(json!({"groupId": null, "sku": record.sku, "message": "'groupId' is required before the first sku"}));
            continue;
        };
        match record.sku {
            Some(sku) if valid_sku(&sku) => {
                let skus = org.segmentation.entry(group.clone()).or_default();
                if mode == "DELETE" {
                    skus.remove(&sku);
                } else {
                    skus.insert(sku);
                }
                processed += 1;
            }
            Some(sku) => failures.push(json!({"groupId": group, "sku": sku, "message": format!("'sku' Invalid characters in sku: {sku}")})),
            None => failures.push(json!({"groupId": group, "sku": null, "message": "'sku' is required"})),
        }
    }
    outcome(read, processed, &failures, now)
}

/// The outcome of an applied file and its result file.
fn outcome(read: usize, processed: usize, failures: &[Value], now: DateTime<Utc>) -> Outcome {
    let summary = if failures.is_empty() {
        "COMPLETED_WITHOUT_ERRORS"
    } else if processed > 0 {
        "COMPLETED_WITH_PARTIAL_FAILURES"
    } else {
        "FAILED"
    };
    let mut file = json!({"status": summary}).to_string();
    for failure in failures {
        file.push('\n');
        file.push_str(&failure.to_string());
    }
    file.push('\n');
    Outcome {
        started: now,
        read,
        processed,
        skipped: read.saturating_sub(processed),
        status: if summary == "FAILED" {
            "FAILED"
        } else {
            "COMPLETED"
        },
        validation_errors: Vec::new(),
        file,
    }
}

async fn status(
    kind: ImportKind,
    State(state): State<OciState>,
    Path((org, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    run(|| {
        state.authorize(&headers, Scope::ImpexInventoryRw)?;
        let body = state.with_org(&org, |tenant, now| {
            let import = find(tenant, kind, &id)?;
            let upload = json!({"fileName": import.file_name});
            let body = match &import.stage {
                Stage::Waiting => {
                    let status = if import.link_expires <= now { "EXPIRED" } else { "WAITING" };
                    json!({"importId": id, "status": status, "upload": upload})
                }
                Stage::Applied(outcome) if tenant.job_running(outcome.started, now) => {
                    json!({"importId": id, "status": "RUNNING", "upload": upload,
                           "import": {"startTimeUTC": iso(outcome.started)}})
                }
                Stage::Applied(outcome) => {
                    let (_, results) = links(kind, &org, &id);
                    let mut validation = if outcome.validation_errors.is_empty() {
                        json!({"status": "Success", "errors": []})
                    } else {
                        json!({"status": "FAILED", "errors": outcome.validation_errors})
                    };
                    if let (Some((hash_type, hash)), Some(fields)) = (&import.hash, validation.as_object_mut()) {
                        fields.insert("fileHashType".into(), json!(hash_type));
                        fields.insert("fileHash".into(), json!(hash));
                    }
                    json!({
                        "importId": id,
                        "status": outcome.status,
                        "validation": validation,
                        "upload": upload,
                        "import": {
                            "startTimeUTC": iso(outcome.started),
                            "endTimeUTC": iso(tenant.job_end(outcome.started)),
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
            Ok::<_, ApiError>(body)
        })?;
        Ok(json_response(StatusCode::OK, body))
    })
}

async fn results(
    kind: ImportKind,
    State(state): State<OciState>,
    Path((org, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    run(|| {
        state.authorize(&headers, kind.results_scope())?;
        state.with_org(&org, |tenant, now| match find(tenant, kind, &id)?.stage {
            Stage::Waiting => Err(kind.results_in_progress(&id)),
            Stage::Applied(outcome) if tenant.job_running(outcome.started, now) => {
                Err(kind.results_in_progress(&id))
            }
            Stage::Applied(outcome)
                if outcome.started + chrono::Duration::hours(RESULT_HOURS) <= now =>
            {
                Err(ApiError::gone(
                    "ExpiredResultLink",
                    "The download link has expired or is no longer valid.",
                ))
            }
            Stage::Applied(outcome) => Ok(ndjson(outcome.file)),
        })
    })
}

/// An NDJSON answer.
pub fn ndjson(text: String) -> Response {
    ([(CONTENT_TYPE, "application/x-ndjson")], text).into_response()
}

/// Runs a handler body, turning its error into the error response; a 400 gets a code the
/// impex RAML documents.
pub fn run(body: impl FnOnce() -> Result<Response, ApiError>) -> Response {
    body()
        .map_err(|error: ApiError| error.documented(&IMPEX_400))
        .unwrap_or_else(IntoResponse::into_response)
}
