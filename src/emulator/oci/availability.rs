//! Availability API: get-availability, batch-update, single record PUT/PATCH/DELETE and
//! get-deltas, under `/inventory/availability/v1/organizations/{org}`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::access::Scope;
use super::data::{Future, valid_place_id, valid_sku};
use super::errors::{AVAILABILITY_400, ApiError};
use super::state::{OciState, json_body, json_response, respond};
use super::store::{Org, Place, View};

/// Path prefix of the availability family.
const PREFIX: &str = "/inventory/availability/v1/organizations/{org}";
/// Most sku × place combinations one get-availability call may ask for.
const MAX_COMBINATIONS: usize = 100;
/// Most records in one batch.
pub const MAX_BATCH: usize = 100;
/// Most log entries one get-deltas answer covers.
const DELTA_PAGE: usize = 1000;
/// How long a delta token lives: 23.5 hours.
const DELTA_TOKEN_LIFE_MINUTES: i64 = 23 * 60 + 30;

/// The availability routes.
pub fn routes() -> Router<OciState> {
    let actions = format!("{PREFIX}/availability-records/actions");
    Router::new()
        .route(
            &format!("{actions}/get-availability"),
            post(get_availability),
        )
        .route(&format!("{actions}/batch-update"), post(batch_update))
        .route(&format!("{actions}/get-deltas"), post(get_deltas))
        .route(
            &format!("{PREFIX}/product-segmentation/actions/batch-update"),
            post(segmentation_update),
        )
        .route(
            &format!(
                "{PREFIX}/locations/{{location}}/availability-records/skus/{{sku}}/{{request}}"
            ),
            put(put_record).patch(patch_record).delete(delete_record),
        )
}

/// Which SKUs at which places a caller asks for.
#[derive(Debug, Default)]
pub struct Query {
    /// SKUs asked for.
    pub skus: Vec<String>,
    /// Location ids.
    pub locations: Vec<String>,
    /// Group ids and their member locations.
    pub groups: Vec<String>,
    /// The `{sku, group}` form: also list every member location.
    pub with_members: bool,
}

/// The answer: (place id, records) for locations and for groups.
pub type Answer = (Vec<(String, Vec<View>)>, Vec<(String, Vec<View>)>);

/// Validates a query against an organization and computes its records.
pub fn answer(org: &Org, mut query: Query) -> Result<Answer, ApiError> {
    if query.skus.is_empty() {
        return Err(ApiError::missing("skus"));
    }
    if let Some(sku) = query.skus.iter().find(|sku| !valid_sku(sku)) {
        return Err(
            ApiError::invalid_parameter(format!("'sku' Invalid characters in sku: {sku}"))
                .with("parameterName", "sku"),
        );
    }
    for group in &query.groups {
        org.require_group(group)?;
    }
    for location in &query.locations {
        org.require_location(location)?;
    }
    if query.with_members {
        for group in &query.groups {
            for member in org.groups.get(group).into_iter().flatten() {
                if !query.locations.contains(member) {
                    query.locations.push(member.clone());
                }
            }
        }
    }
    if query.locations.is_empty() && query.groups.is_empty() {
        query.locations = org.ungrouped_locations();
    }
    let combinations = query.skus.len() * (query.locations.len() + query.groups.len());
    if combinations > MAX_COMBINATIONS {
        return Err(ApiError::invalid_parameter(format!(
            "The request asks for {combinations} sku and place combinations; at most {MAX_COMBINATIONS} are allowed."
        )));
    }
    let rows = |place: &dyn Fn(&str) -> Place, ids: &[String]| {
        ids.iter()
            .map(|id| {
                let records = query
                    .skus
                    .iter()
                    .map(|sku| org.view(&place(id), sku))
                    .collect();
                (id.clone(), records)
            })
            .collect::<Vec<_>>()
    };
    let locations = rows(&|id| Place::Location(id.to_owned()), &query.locations);
    let groups = rows(&|id| Place::Group(id.to_owned()), &query.groups);
    Ok((locations, groups))
}

/// Body of get-availability.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AvailabilityRequest {
    sku: Option<String>,
    skus: Option<Vec<String>>,
    group: Option<String>,
    groups: Option<Vec<String>>,
    locations: Option<Vec<String>>,
}

async fn get_availability(
    State(state): State<OciState>,
    Path(org): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(
        (|| {
            state.authorize(&headers, Scope::Availability)?;
            let request: AvailabilityRequest = json_body(&body)?;
            let query = Query {
                skus: request
                    .sku
                    .into_iter()
                    .chain(request.skus.into_iter().flatten())
                    .collect(),
                with_members: request.group.is_some(),
                groups: request
                    .group
                    .into_iter()
                    .chain(request.groups.into_iter().flatten())
                    .collect(),
                locations: request.locations.unwrap_or_default(),
            };
            let (locations, groups) = state.with_org(&org, |org, _| answer(org, query))?;
            let block = |rows: Vec<(String, Vec<View>)>| -> Value {
                rows.into_iter()
                    .map(|(id, records)| {
                        let records: Vec<Value> = records.iter().map(View::scapi_json).collect();
                        json!({"id": id, "records": records})
                    })
                    .collect()
            };
            let body = json!({"locations": block(locations), "groups": block(groups)});
            Ok(json_response(StatusCode::OK, body))
        })()
        .map_err(|error: ApiError| error.documented(&AVAILABILITY_400)),
    )
}

/// New values for a location's SKU (batch-update record, PUT or PATCH body).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StockUpdate {
    /// Quantity on hand.
    pub on_hand: Option<f64>,
    /// New safety stock.
    pub safety_stock_count: Option<f64>,
    /// When the quantity was counted (ISO 8601).
    pub effective_date: Option<String>,
    /// New expected restocks.
    pub future_stock: Option<Vec<Future>>,
    /// Caller reference of the last write.
    pub external_ref_id: Option<String>,
}

impl StockUpdate {
    /// 400 for negative quantities.
    pub fn check(&self) -> Result<(), ApiError> {
        let futures = self
            .future_stock
            .iter()
            .flatten()
            .map(|future| future.quantity);
        let negative = [self.on_hand, self.safety_stock_count]
            .into_iter()
            .flatten()
            .chain(futures)
            .any(|quantity| quantity < 0.0 || !quantity.is_finite());
        if negative {
            return Err(ApiError::invalid_parameter(
                "Quantities must be zero or positive.",
            ));
        }
        Ok(())
    }

    /// Applies the update; `replace` (PUT) resets omitted values.
    pub fn apply(
        self,
        org: &mut Org,
        location: &str,
        sku: &str,
        replace: bool,
        now: DateTime<Utc>,
    ) {
        let record = org.record_mut(location, sku);
        if replace {
            record.on_hand = self.on_hand.unwrap_or(0.0);
            record.safety_stock = self.safety_stock_count.unwrap_or(0.0);
            record.effective_date = self.effective_date;
            record.futures = self.future_stock.unwrap_or_default();
            record.external_ref_id = self.external_ref_id;
        } else {
            if let Some(on_hand) = self.on_hand {
                record.on_hand = on_hand;
            }
            if let Some(safety) = self.safety_stock_count {
                record.safety_stock = safety;
            }
            if let Some(date) = self.effective_date {
                record.effective_date = Some(date);
            }
            if let Some(futures) = self.future_stock {
                record.futures = futures;
            }
            if let Some(reference) = self.external_ref_id {
                record.external_ref_id = Some(reference);
            }
        }
        let on_hand = record.on_hand;
        org.log_change(
            now,
            Place::Location(location.to_owned()),
            sku,
            "UPDATE",
            on_hand,
        );
    }
}

/// One batch-update record.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchRecord {
    id: String,
    location: String,
    sku: String,
    #[serde(flatten)]
    update: StockUpdate,
}

/// Body of batch-update.
#[derive(Debug, Deserialize)]
struct BatchRequest {
    records: Vec<BatchRecord>,
}

async fn batch_update(
    State(state): State<OciState>,
    Path(org): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(
        (|| {
            state.authorize(&headers, Scope::AvailabilityRw)?;
            let request: BatchRequest = json_body(&body)?;
            if request.records.len() > MAX_BATCH {
                return Err(ApiError::invalid_parameter(format!(
                    "At most {MAX_BATCH} records are allowed in one batch."
                )));
            }
            let errors = state.with_org(&org, |org, now| {
            let mut errors = Vec::new();
            for record in request.records {
                let failure = if !org.locations.contains(&record.location) {
                    Some((
                        "LocationDoesNotExist",
                        format!("No location exists with ID '{}'", record.location),
                    ))
                } else if !valid_sku(&record.sku) {
                    Some((
                        "InvalidRequestParameter",
                        format!("'sku' Invalid characters in sku: {}", record.sku),
                    ))
                } else {
                    record
                        .update
                        .check()
                        .err()
                        .map(|error| ("InvalidRequestParameter", error.message().to_owned()))
                };
                if let Some((code, message)) = failure {
                    let mut details =
                        json!({"id": record.id, "locationId": record.location, "sku": record.sku});
                    if let (Some(reference), Some(fields)) =
                        (&record.update.external_ref_id, details.as_object_mut())
                    {
                        fields.insert("externalRefId".into(), json!(reference));
                    }
                    errors.push(json!({"details": details, "message": message, "errorCode": code}));
                } else if org.first_use(&record.id) {
                    record
                        .update
                        .apply(org, &record.location, &record.sku, false, now);
                }
            }
            errors
        });
            Ok(partial(errors))
        })()
        .map_err(|error: ApiError| error.documented(&AVAILABILITY_400)),
    )
}

/// 204 when every record worked, else 200 `{"errors":[...]}`.
pub fn partial(errors: Vec<Value>) -> Response {
    if errors.is_empty() {
        StatusCode::NO_CONTENT.into_response()
    } else {
        json_response(StatusCode::OK, json!({"errors": errors}))
    }
}

/// Path of the single record routes.
type RecordPath = Path<(String, String, String, String)>;

async fn put_record(
    state: State<OciState>,
    path: RecordPath,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    write_record(state, path, headers, body, true)
}

async fn patch_record(
    state: State<OciState>,
    path: RecordPath,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    write_record(state, path, headers, body, false)
}

/// PUT (replace) or PATCH (merge) one location's SKU.
fn write_record(
    State(state): State<OciState>,
    Path((org, location, sku, request)): RecordPath,
    headers: HeaderMap,
    body: Bytes,
    replace: bool,
) -> Response {
    respond(
        (|| {
            state.authorize(&headers, Scope::AvailabilityRw)?;
            let update: StockUpdate = json_body(&body)?;
            update.check()?;
            if !valid_sku(&sku) || !valid_place_id(&location) {
                return Err(ApiError::invalid_parameter(
                    "An invalid request parameter was provided",
                ));
            }
            state.with_org(&org, |org, now| {
                if !org.locations.contains(&location) {
                    return Err(ApiError::not_found("An invalid entity was provided."));
                }
                let key = (location.clone(), sku.clone());
                if !replace && !org.records.contains_key(&key) {
                    return Err(ApiError::not_found(
                        "The Location SKU provided was not found in the system.",
                    ));
                }
                if org.first_use(&request) {
                    update.apply(org, &location, &sku, replace, now);
                }
                Ok(StatusCode::NO_CONTENT.into_response())
            })
        })()
        .map_err(|error: ApiError| error.documented(&AVAILABILITY_400)),
    )
}

async fn delete_record(
    State(state): State<OciState>,
    Path((org, location, sku, _request)): RecordPath,
    headers: HeaderMap,
) -> Response {
    respond(
        (|| {
            state.authorize(&headers, Scope::AvailabilityRw)?;
            state.with_org(&org, |org, now| {
                if let Some(export) = org.running_export_covering(&location, now) {
                    return Err(ApiError::conflict(
                        "ExportInProcess",
                        format!("Export {export} is in progress."),
                    ));
                }
                if org
                    .records
                    .remove(&(location.clone(), sku.clone()))
                    .is_none()
                {
                    return Err(ApiError::not_found(
                        "The Location SKU provided was not found in the system.",
                    ));
                }
                org.log_change(now, Place::Location(location.clone()), &sku, "DELETE", 0.0);
                Ok(StatusCode::NO_CONTENT.into_response())
            })
        })()
        .map_err(|error: ApiError| error.documented(&AVAILABILITY_400)),
    )
}

/// One group of a product segmentation batch update.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SegmentationGroup {
    group_id: String,
    mode: String,
    skus: Vec<String>,
}

/// Body of the product segmentation batch update.
#[derive(Debug, Deserialize)]
struct SegmentationRequest {
    groups: Vec<SegmentationGroup>,
}

/// `POST product-segmentation/actions/batch-update`: appends SKUs to or deletes them from
/// groups; 204 when all worked, 200 `{"errors": [{"error": ..}]}` naming each one that did not.
async fn segmentation_update(
    State(state): State<OciState>,
    Path(org): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(
        (|| {
            state.authorize(&headers, Scope::ImpexInventoryRw)?;
            let request: SegmentationRequest = json_body(&body)?;
            for group in &request.groups {
                if group.mode != "APPEND" && group.mode != "DELETE" {
                    return Err(ApiError::invalid_parameter(
                        "An invalid request parameter was provided",
                    )
                    .with("parameterName", "mode"));
                }
                if let Some(sku) = group.skus.iter().find(|sku| !valid_sku(sku)) {
                    return Err(ApiError::invalid_parameter(format!(
                        "'sku' Invalid characters in sku: {sku}"
                    ))
                    .with("parameterName", "skus"));
                }
            }
            let errors = state.with_org(&org, |org, _| {
                let mut errors = Vec::new();
                for group in request.groups {
                    let append = group.mode == "APPEND";
                    let verb = if append { "create" } else { "delete" };
                    for sku in group.skus {
                        let done = org.groups.contains_key(&group.group_id) && {
                            let skus = org.segmentation.entry(group.group_id.clone()).or_default();
                            if append {
                                skus.insert(sku.clone());
                                true
                            } else {
                                skus.remove(&sku)
                            }
                        };
                        if !done {
                            errors.push(json!({"error": format!(
                            "Failed to {verb} product segmentation for group id {} and sku {sku}",
                            group.group_id
                        )}));
                        }
                    }
                }
                errors
            });
            Ok(if errors.is_empty() {
                StatusCode::NO_CONTENT.into_response()
            } else {
                json_response(StatusCode::OK, json!({"errors": errors}))
            })
        })()
        .map_err(|error: ApiError| error.documented(&AVAILABILITY_400)),
    )
}

/// Body of get-deltas.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeltasRequest {
    delta_token: String,
}

async fn get_deltas(
    State(state): State<OciState>,
    Path(org): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(
        (|| {
            state.authorize(&headers, Scope::Availability)?;
            let request: DeltasRequest = json_body(&body)?;
            let body = state.with_org(&org, |org, now| deltas(org, &request.delta_token, now))?;
            Ok(json_response(StatusCode::OK, body))
        })()
        .map_err(|error: ApiError| error.documented(&AVAILABILITY_400)),
    )
}

/// The changes since `token`, one record per changed place and SKU.
fn deltas(org: &mut Org, token: &str, now: DateTime<Utc>) -> Result<Value, ApiError> {
    let &(start, issued) = org
        .delta_tokens
        .get(token)
        .ok_or_else(|| ApiError::invalid_parameter("The delta token provided is invalid."))?;
    if now - issued > chrono::Duration::minutes(DELTA_TOKEN_LIFE_MINUTES) {
        return Err(ApiError::gone(
            "ExpiredDeltaLink",
            "The delta token provided has expired.",
        ));
    }
    let end = org.log.len().min(start + DELTA_PAGE);
    let mut changed: Vec<(Place, String)> = Vec::new();
    for change in &org.log[start..end] {
        let mut places = vec![change.place.clone()];
        if let Place::Location(location) = &change.place {
            places.extend(org.groups_of(location).into_iter().map(Place::Group));
        }
        for place in places {
            let key = (place, change.sku.clone());
            if !changed.contains(&key) {
                changed.push(key);
            }
        }
    }
    let records: Vec<Value> = changed
        .iter()
        .map(|(place, sku)| {
            let (id, exists) = match place {
                Place::Location(id) => (id, org.records.contains_key(&(id.clone(), sku.clone()))),
                Place::Group(id) => (id, org.groups.contains_key(id)),
            };
            if !exists {
                return json!({"sku": sku, "deltaType": "Delete", "id": id});
            }
            let mut record = org.view(place, sku).scapi_json();
            if let Some(fields) = record.as_object_mut() {
                fields.insert("deltaType".into(), json!("Change"));
                fields.insert("id".into(), json!(id));
            }
            record
        })
        .collect();
    let should_query_again = end < org.log.len();
    let next = org.issue_delta_token(end, now);
    Ok(json!({"nextDeltaToken": next, "shouldQueryAgain": should_query_again, "records": records}))
}
