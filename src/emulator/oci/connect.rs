//! Connect REST equivalents under `/services/data/vXX.X/commerce/oci/...`: get-availability,
//! reservation create, releases, transfers and fulfillments, on the tenant the last internal PUT named.
//!
//! Answers are 201 with `{"success":…,"errors":[…],…}`; OCI-level failures (unknown place)
//! come back as `success:false` with `errors:[{"errorCode","message"}]`; authentication
//! failures use Connect's `[{"errorCode","message"}]` array with 401/403.

use axum::Router;
use axum::body::Bytes;
use axum::extract::Request;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::access::Scope;
use super::availability::{Query, answer};
use super::errors::ApiError;
use super::impex::{apply_file, read_upload};
use super::reservation::iso;
use super::reservation::{Line, Reserve};
use super::state::{OciState, json_body, json_response};
use super::store::{Place, View, num};

/// Path prefix of the Connect OCI resources.
const PREFIX: &str = "/services/data/{version}/commerce/oci";

/// The Connect REST routes.
pub fn routes() -> Router<OciState> {
    Router::new()
        .route(
            &format!("{PREFIX}/availability/availability-records/actions/get-availability"),
            post(get_availability),
        )
        .route(
            &format!("{PREFIX}/reservation/actions/reservations"),
            post(reserve),
        )
        .route(
            &format!("{PREFIX}/reservation/actions/releases"),
            post(releases),
        )
        .route(
            &format!("{PREFIX}/reservation/actions/fulfillments"),
            post(fulfillments),
        )
        .route(
            &format!("{PREFIX}/reservation/actions/transfers"),
            post(transfers),
        )
        .route(
            &format!("{PREFIX}/availability-records/actions/batch-update"),
            post(batch_update),
        )
        .route(
            &format!("{PREFIX}/availability-records/uploads"),
            post(upload_availability),
        )
        .route(
            &format!("{PREFIX}/availability-records/uploads/{{upload}}"),
            get(move |s, p, h| upload_status(false, s, p, h)),
        )
        .route(
            &format!("{PREFIX}/location-graph/uploads"),
            post(publish_graph),
        )
        .route(
            &format!("{PREFIX}/location-graph/uploads/{{upload}}"),
            get(move |s, p, h| upload_status(true, s, p, h)),
        )
}

/// One Connect batch-update record.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConnectStock {
    action_request_id: String,
    location_identifier: String,
    stock_keeping_unit: String,
    on_hand: Option<f64>,
    safety_stock_count: Option<f64>,
    effective_date: Option<String>,
    future_stock: Option<Vec<super::data::Future>>,
    external_ref_id: Option<String>,
}

/// Body of the Connect batch update.
#[derive(Debug, Deserialize)]
struct ConnectBatch {
    records: Vec<ConnectStock>,
}

/// `POST …/commerce/oci/availability-records/actions/batch-update` (API v62): the Commerce API
/// batch update with Connect names; 201 `{success, errors}` naming each record not applied.
async fn batch_update(
    State(state): State<OciState>,
    Path(_version): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(response) = refusal(&state, &headers, Scope::AvailabilityRw) {
        return response;
    }
    let request: ConnectBatch = match json_body(&body) {
        Ok(request) => request,
        Err(error) => return bad_body(&error),
    };
    if request.records.len() > super::availability::MAX_BATCH {
        return connect_error(
            StatusCode::BAD_REQUEST,
            "INVALID_INPUT",
            "At most 100 records are allowed in one batch.",
        );
    }
    let errors = state.with_org(&state.connect_tenant(), |org, now| {
        let mut errors = Vec::new();
        for record in request.records {
            let update = super::availability::StockUpdate {
                on_hand: record.on_hand,
                safety_stock_count: record.safety_stock_count,
                effective_date: record.effective_date,
                future_stock: record.future_stock,
                external_ref_id: record.external_ref_id,
            };
            let location = &record.location_identifier;
            let sku = &record.stock_keeping_unit;
            let failure = if !org.locations.contains(location) {
                Some(ApiError::no_location(location))
            } else if !super::data::valid_sku(sku) {
                Some(ApiError::invalid_parameter(format!(
                    "'sku' Invalid characters in sku: {sku}"
                )))
            } else {
                update.check().err()
            };
            match failure {
                Some(error) => errors.push(entry(&error)),
                None => {
                    if org.first_use(&record.action_request_id) {
                        update.apply(org, location, sku, false, now);
                    }
                }
            }
        }
        errors
    });
    created(json!({}), errors)
}

/// Largest file the Connect REST upload takes (10 MB).
const CONNECT_UPLOAD_LIMIT: usize = 10 * 1024 * 1024;

/// `POST …/commerce/oci/availability-records/uploads`: a multipart `fileUpload` NDJSON file
/// (at most 10 MB), applied as an availability import; 201 `{uploadId, success, errors}`.
async fn upload_availability(
    State(state): State<OciState>,
    Path(_version): Path<String>,
    request: Request,
) -> Response {
    if let Some(response) = refusal(&state, request.headers(), Scope::ImpexInventoryRw) {
        return response;
    }
    let file = match read_upload(request, &state).await {
        Ok(file) => file,
        Err(error) => {
            return connect_error(StatusCode::BAD_REQUEST, "INVALID_INPUT", error.message());
        }
    };
    if file.text.len() > CONNECT_UPLOAD_LIMIT {
        return connect_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "REQUEST_ENTITY_TOO_LARGE",
            "The file is larger than 10 MB.",
        );
    }
    let id = uuid::Uuid::new_v4().to_string();
    state.with_org(&state.connect_tenant(), |org, now| {
        let outcome = apply_file(org, &file.text, now);
        org.connect_uploads.insert(id.clone(), (now, Some(outcome)));
    });
    created(json!({"uploadId": id}), Vec::new())
}

/// `POST …/commerce/oci/location-graph/uploads`: publishes the org's locations and groups to
/// OCI; 201 `{uploadId, success, errors}`.
async fn publish_graph(
    State(state): State<OciState>,
    Path(_version): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(response) = refusal(&state, &headers, Scope::ImpexGraphs) {
        return response;
    }
    let id = uuid::Uuid::new_v4().to_string();
    state.with_org(&state.connect_tenant(), |org, now| {
        org.connect_uploads.insert(id.clone(), (now, None));
    });
    created(json!({"uploadId": id}), Vec::new())
}

/// `GET …/uploads/{uploadId}` of either kind: 200 with the job's status (by time, as the
/// Commerce API jobs), 404 for an id of the other kind or none.
async fn upload_status(
    graph: bool,
    State(state): State<OciState>,
    Path((_version, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let scope = if graph {
        Scope::ImpexGraphs
    } else {
        Scope::ImpexInventoryRw
    };
    if let Some(response) = refusal(&state, &headers, scope) {
        return response;
    }
    let found = state.with_org(&state.connect_tenant(), |org, now| {
        let (started, outcome) = org.connect_uploads.get(&id)?.clone();
        if outcome.is_some() == graph {
            return None;
        }
        let running = org.job_running(started, now);
        let mut body = json!({
            "uploadId": id,
            "status": if running { "RUNNING" } else { outcome.as_ref().map_or("COMPLETED", |o| o.status) },
            "startTime": iso(started),
            "success": true,
            "errors": [],
        });
        if let Some(fields) = body.as_object_mut() {
            if !running {
                fields.insert("endTime".into(), json!(iso(org.job_end(started))));
            }
            if let (Some(outcome), false) = (&outcome, running) {
                fields.insert("recordsReadCount".into(), json!(outcome.read));
                fields.insert("recordsProcessedCount".into(), json!(outcome.processed));
                fields.insert("recordsSkippedCount".into(), json!(outcome.skipped));
            }
        }
        Some(body)
    });
    match found {
        Some(body) => json_response(StatusCode::OK, body),
        None => connect_error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The requested resource does not exist",
        ),
    }
}

/// A Connect error array with a status.
fn connect_error(status: StatusCode, code: &str, message: &str) -> Response {
    json_response(status, json!([{"errorCode": code, "message": message}]))
}

/// Checks the org token (valid, and carrying `api`, `full` or the OCI scope); the refusal
/// when it fails.
fn refusal(state: &OciState, headers: &HeaderMap, scope: Scope) -> Option<Response> {
    let Ok(grant) = state.authenticate(headers) else {
        return Some(connect_error(
            StatusCode::UNAUTHORIZED,
            "INVALID_SESSION_ID",
            "Session expired or invalid",
        ));
    };
    let broad = grant.scopes.iter().any(|s| s == "api" || s == "full");
    (!broad && !scope.granted_by(&grant)).then(|| {
        connect_error(
            StatusCode::FORBIDDEN,
            "INSUFFICIENT_ACCESS",
            "The access token does not allow this resource.",
        )
    })
}

/// A 201 answer: `success` is true when there are no errors.
fn created(mut body: Value, errors: Vec<Value>) -> Response {
    if let Some(fields) = body.as_object_mut() {
        fields.insert("success".into(), json!(errors.is_empty()));
        fields.insert("errors".into(), Value::Array(errors));
    }
    json_response(StatusCode::CREATED, body)
}

/// An OCI error as a Connect error entry.
fn entry(error: &ApiError) -> Value {
    json!({"errorCode": error.code(), "message": error.message()})
}

/// A 400 for a body that does not parse.
fn bad_body(error: &ApiError) -> Response {
    connect_error(
        StatusCode::BAD_REQUEST,
        "JSON_PARSER_ERROR",
        error.message(),
    )
}

/// Body of get-availability.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AvailabilityBody {
    location_group_identifier: Option<String>,
    location_group_identifiers: Option<Vec<String>>,
    location_identifiers: Option<Vec<String>>,
    stock_keeping_unit: Option<String>,
    stock_keeping_units: Option<Vec<String>>,
}

async fn get_availability(
    State(state): State<OciState>,
    Path(_version): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(response) = refusal(&state, &headers, Scope::Availability) {
        return response;
    }
    let request: AvailabilityBody = match json_body(&body) {
        Ok(request) => request,
        Err(error) => return bad_body(&error),
    };
    let query = Query {
        skus: request
            .stock_keeping_unit
            .into_iter()
            .chain(request.stock_keeping_units.into_iter().flatten())
            .collect(),
        groups: request
            .location_group_identifier
            .into_iter()
            .chain(request.location_group_identifiers.into_iter().flatten())
            .collect(),
        locations: request.location_identifiers.unwrap_or_default(),
        with_members: false,
    };
    let empty = json!({"locations": [], "locationGroups": []});
    match state.with_org(&state.connect_tenant(), |org, _| answer(org, query)) {
        Err(error) => created(empty, vec![entry(&error)]),
        Ok((locations, groups)) => {
            let render = |rows: Vec<(String, Vec<View>)>, key: &str| -> Value {
                rows.into_iter()
                    .map(|(id, records)| {
                        let records: Vec<Value> = records.iter().map(View::connect_json).collect();
                        json!({key: id, "inventoryRecords": records})
                    })
                    .collect()
            };
            let body = json!({
                "locations": render(locations, "locationIdentifier"),
                "locationGroups": render(groups, "locationGroupIdentifier"),
            });
            created(body, Vec::new())
        }
    }
}

/// A place given as Connect identifiers.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConnectRecord {
    action_request_id: Option<String>,
    location_group_identifier: Option<String>,
    location_identifier: Option<String>,
    stock_keeping_unit: String,
    quantity: f64,
}

impl ConnectRecord {
    /// The place, or the OCI error for a missing or doubled one.
    fn place(&self) -> Result<Place, ApiError> {
        match (&self.location_group_identifier, &self.location_identifier) {
            (Some(group), None) => Ok(Place::Group(group.clone())),
            (None, Some(location)) => Ok(Place::Location(location.clone())),
            (Some(_), Some(_)) => Err(ApiError::invalid_parameter(
                "Provide a location or a location group, not both.",
            )),
            (None, None) => Err(ApiError::invalid_parameter(
                "No location or groups provided.",
            )),
        }
    }

    /// The identifiers of a place as Connect prints them.
    fn place_json(place: &Place, sku: &str, quantity: f64) -> Value {
        match place {
            Place::Group(id) => {
                json!({"locationGroupIdentifier": id, "stockKeepingUnit": sku, "quantity": num(quantity)})
            }
            Place::Location(id) => {
                json!({"locationIdentifier": id, "stockKeepingUnit": sku, "quantity": num(quantity)})
            }
        }
    }
}

/// Body of reservation create.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReserveBody {
    action_request_id: String,
    create_records: Vec<ConnectRecord>,
    allow_partial_reservations: Option<bool>,
    expiration_seconds: Option<i64>,
    reservation_time: Option<String>,
}

async fn reserve(
    State(state): State<OciState>,
    Path(_version): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(response) = refusal(&state, &headers, Scope::ReservationsRw) {
        return response;
    }
    let request: ReserveBody = match json_body(&body) {
        Ok(request) => request,
        Err(error) => return bad_body(&error),
    };
    let mut lines = Vec::new();
    for record in &request.create_records {
        match record.place() {
            Ok(place) => lines.push(Line {
                place,
                sku: record.stock_keeping_unit.clone(),
                quantity: record.quantity,
                all_or_nothing: None,
            }),
            Err(error) => return created(json!({"details": []}), vec![entry(&error)]),
        }
    }
    let reserve = Reserve {
        lines,
        allow_partial: request.allow_partial_reservations.unwrap_or(false),
        fulfill_only: false,
        expiration_seconds: request.expiration_seconds,
        reservation_time: request.reservation_time,
    };
    let result = state.with_org(&state.connect_tenant(), |org, now| {
        org.reserve(&request.action_request_id, &reserve, now)
    });
    match result {
        Err(error) => created(json!({"details": []}), vec![entry(&error)]),
        Ok(reserved) => {
            let details: Vec<Value> = reserved
                .lines
                .iter()
                .filter(|line| line.reserved > 0.0)
                .map(|line| ConnectRecord::place_json(&line.place, &line.sku, line.reserved))
                .collect();
            let errors: Vec<Value> = reserved
                .lines
                .iter()
                .filter_map(|line| line.error.map(|code| json!({"errorCode": code, "message": format!("Insufficient quantity of {}", line.sku)})))
                .collect();
            let body = json!({"details": details, "reservationTime": reserved.reservation_time, "expirationTime": reserved.expiration_time});
            created(body, errors)
        }
    }
}

/// Body of releases.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReleaseBody {
    release_records: Vec<ConnectRecord>,
}

/// Body of fulfillments.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FulfillBody {
    fulfillment_records: Vec<ConnectRecord>,
}

async fn releases(
    State(state): State<OciState>,
    Path(_version): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(response) = refusal(&state, &headers, Scope::ReservationsRw) {
        return response;
    }
    match json_body::<ReleaseBody>(&body) {
        Ok(request) => apply_each(&state, request.release_records, false),
        Err(error) => bad_body(&error),
    }
}

async fn fulfillments(
    State(state): State<OciState>,
    Path(_version): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(response) = refusal(&state, &headers, Scope::ReservationsRw) {
        return response;
    }
    match json_body::<FulfillBody>(&body) {
        Ok(request) => apply_each(&state, request.fulfillment_records, true),
        Err(error) => bad_body(&error),
    }
}

/// Releases (or fulfills) each record, collecting per-record errors.
fn apply_each(state: &OciState, records: Vec<ConnectRecord>, fulfill: bool) -> Response {
    let errors = state.with_org(&state.connect_tenant(), |org, now| {
        let mut errors = Vec::new();
        for record in records {
            let place = match record
                .place()
                .and_then(|place| org.require_place(&place).map(|()| place))
            {
                Ok(place) => place,
                Err(error) => {
                    errors.push(entry(&error));
                    continue;
                }
            };
            if record
                .action_request_id
                .as_deref()
                .is_some_and(|id| org.seen_actions.contains(id))
            {
                continue;
            }
            let sku = &record.stock_keeping_unit;
            let outcome = match (&place, fulfill) {
                (Place::Location(location), true) => {
                    org.fulfill(location, sku, record.quantity, None, now)
                }
                (Place::Group(_), true) => Err((
                    "InvalidRequestParameter",
                    "Fulfillments are only possible at a location.".to_owned(),
                )),
                (_, false) => org.release(&place, sku, record.quantity, now),
            };
            match outcome {
                Ok(()) => {
                    if let Some(id) = &record.action_request_id {
                        org.first_use(id);
                    }
                }
                Err((code, message)) => errors.push(json!({"errorCode": code, "message": message})),
            }
        }
        errors
    });
    created(json!({}), errors)
}

/// One Connect transfer record.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TransferRecord {
    action_request_id: Option<String>,
    from_location_group_identifier: Option<String>,
    from_location_identifier: Option<String>,
    to_location_group_identifier: Option<String>,
    to_location_identifier: Option<String>,
    stock_keeping_unit: String,
    quantity: f64,
    #[serde(default)]
    ignore_availability_check: bool,
}

/// Body of transfers.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TransferBody {
    transfer_records: Vec<TransferRecord>,
}

/// A group or location given by one of two identifiers.
fn either(group: Option<&String>, location: Option<&String>) -> Result<Place, ApiError> {
    ConnectRecord {
        action_request_id: None,
        location_group_identifier: group.cloned(),
        location_identifier: location.cloned(),
        stock_keeping_unit: String::new(),
        quantity: 0.0,
    }
    .place()
}

async fn transfers(
    State(state): State<OciState>,
    Path(_version): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(response) = refusal(&state, &headers, Scope::ReservationsRw) {
        return response;
    }
    let request: TransferBody = match json_body(&body) {
        Ok(request) => request,
        Err(error) => return bad_body(&error),
    };
    let errors = state.with_org(&state.connect_tenant(), |org, now| {
        let mut errors = Vec::new();
        for record in request.transfer_records {
            let places = either(
                record.from_location_group_identifier.as_ref(),
                record.from_location_identifier.as_ref(),
            )
            .and_then(|from| {
                Ok((
                    from,
                    either(
                        record.to_location_group_identifier.as_ref(),
                        record.to_location_identifier.as_ref(),
                    )?,
                ))
            })
            .and_then(|(from, to)| {
                org.require_place(&from)?;
                org.require_place(&to)?;
                Ok((from, to))
            });
            let (from, to) = match places {
                Ok(places) => places,
                Err(error) => {
                    errors.push(entry(&error));
                    continue;
                }
            };
            if record
                .action_request_id
                .as_deref()
                .is_some_and(|id| org.seen_actions.contains(id))
            {
                continue;
            }
            let sku = &record.stock_keeping_unit;
            match org.transfer(
                &from,
                &to,
                sku,
                record.quantity,
                record.ignore_availability_check,
                now,
            ) {
                Ok(()) => {
                    if let Some(id) = &record.action_request_id {
                        org.first_use(id);
                    }
                }
                Err((code, message)) => errors.push(json!({"errorCode": code, "message": message})),
            }
        }
        errors
    });
    created(json!({}), errors)
}
