//! Exports of availability records, the location graph, product segmentation and event logs,
//! each with `POST …/exports`, `GET …/{id}/status`, `GET …/{id}/file-content` and `DELETE …/{id}`.
//!
//! The file is taken when the export starts. The job runs for `OciOptions::job_duration` from
//! its start (no time at all by default): while it runs, status answers `RUNNING` and
//! downloads, deletes and deletes of the SKUs it covers are 409 `ExportInProcess`; then status
//! answers `COMPLETED` with a download link on this emulator that expires after a day (then
//! 410). Nothing depends on whether or how often the status was polled.
//! An availability export ends with `{"deltaToken":"…"}`, the start point for get-deltas.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::access::Scope;
use super::errors::ApiError;
use super::impex::{PREFIX, RESULT_HOURS, ndjson, not_found, run};
use super::reservation::iso;
use super::state::{OciState, json_body, json_response};
use super::store::{Org, Place};

/// What is exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Availability records of groups or locations.
    Availability,
    /// Locations and groups.
    LocationGraph,
    /// Product segmentation of groups.
    ProductSegmentation,
    /// Inventory events of one SKU.
    EventLog,
    /// Reservation documents, open or closed.
    Reservations,
}

impl Kind {
    const ALL: [Kind; 5] = [
        Kind::Availability,
        Kind::LocationGraph,
        Kind::ProductSegmentation,
        Kind::EventLog,
        Kind::Reservations,
    ];

    /// Path segment under the organization.
    fn segment(self) -> &'static str {
        match self {
            Kind::Availability => "availability-records",
            Kind::LocationGraph => "location-graph",
            Kind::ProductSegmentation => "product-segmentation",
            Kind::EventLog => "event-log",
            Kind::Reservations => "reservations",
        }
    }

    /// Scope to start an export.
    fn start_scope(self) -> Scope {
        match self {
            Kind::LocationGraph => Scope::ImpexGraphs,
            Kind::EventLog | Kind::Reservations => Scope::ImpexInventoryRw,
            Kind::Availability | Kind::ProductSegmentation => Scope::ImpexInventory,
        }
    }

    /// Scope to poll, download and delete.
    fn read_scope(self) -> Scope {
        match self {
            Kind::LocationGraph => Scope::ImpexGraphs,
            _ => Scope::ImpexInventory,
        }
    }
}

/// One export job.
#[derive(Debug, Clone)]
pub struct Export {
    kind: Kind,
    started: DateTime<Utc>,
    file: String,
    /// JSON (location graph) or NDJSON.
    json_file: bool,
    records: usize,
    /// `groups` or `locations` of an availability export.
    scope: Option<(&'static str, Vec<String>)>,
    /// Locations whose records the export reads (a DELETE of their SKUs is 409 while running).
    covers: Vec<String>,
}

impl Org {
    /// An export still running at `now` that reads `location`, if any.
    pub fn running_export_covering(&self, location: &str, now: DateTime<Utc>) -> Option<String> {
        self.exports
            .iter()
            .find(|(_, export)| {
                self.job_running(export.started, now)
                    && export.covers.iter().any(|covered| covered == location)
            })
            .map(|(id, _)| id.clone())
    }
}

/// The export routes for all four kinds.
pub fn routes() -> Router<OciState> {
    let mut router = Router::new();
    for kind in Kind::ALL {
        let base = format!("{PREFIX}/{}/exports", kind.segment());
        router = router
            .route(&base, post(move |s, p, h, b| start(kind, s, p, h, b)))
            .route(
                &format!("{base}/{{id}}"),
                delete(move |s, p, h| remove(kind, s, p, h)),
            )
            .route(
                &format!("{base}/{{id}}/status"),
                get(move |s, p, h| status(kind, s, p, h)),
            )
            .route(
                &format!("{base}/{{id}}/file-content"),
                get(move |s, p, h| download(kind, s, p, h)),
            );
    }
    router
}

/// `{"groups": [...]}` or `{"locations": [...]}`.
#[derive(Debug, Default, Deserialize)]
struct Objects {
    groups: Option<Vec<String>>,
    locations: Option<Vec<String>>,
}

/// Body of an availability export.
#[derive(Debug, Deserialize)]
struct AvailabilityBody {
    objects: Objects,
}

/// Body of an event-log export.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventLogBody {
    sku: Option<String>,
    starts_on: String,
    ends_on: Option<String>,
    #[serde(default)]
    locations: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
}

async fn start(
    kind: Kind,
    State(state): State<OciState>,
    Path(org): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run(|| {
        state.authorize(&headers, kind.start_scope())?;
        let id = uuid::Uuid::new_v4().to_string();
        let export = state.with_org(&org, |tenant, now| build(kind, tenant, &body, now))?;
        state.with_org(&org, |tenant, _| tenant.exports.insert(id.clone(), export));
        let link = format!(
            "/inventory/impex/v1/organizations/{org}/{}/exports/{id}/status",
            kind.segment()
        );
        Ok(json_response(
            StatusCode::OK,
            json!({"exportId": id, "exportStatusLink": link}),
        ))
    })
}

/// Validates the request and takes the file.
fn build(kind: Kind, org: &mut Org, body: &Bytes, now: DateTime<Utc>) -> Result<Export, ApiError> {
    let mut export = Export {
        kind,
        started: now,
        file: String::new(),
        json_file: false,
        records: 0,
        scope: None,
        covers: Vec::new(),
    };
    let mut lines: Vec<Value> = Vec::new();
    match kind {
        Kind::Availability => {
            let request: AvailabilityBody = json_body(body)?;
            let (key, ids) = match (request.objects.groups, request.objects.locations) {
                (Some(_), Some(_)) => {
                    return Err(ApiError::invalid_parameter(
                        "Locations and Groups not allowed in the same request.",
                    ));
                }
                (Some(groups), None) => ("groups", groups),
                (None, Some(locations)) => ("locations", locations),
                (None, None) => return Err(ApiError::missing("objects")),
            };
            for id in &ids {
                let (place, members) = if key == "groups" {
                    org.require_group(id)?;
                    (
                        Place::Group(id.clone()),
                        org.groups.get(id).cloned().unwrap_or_default(),
                    )
                } else {
                    org.require_location(id)?;
                    (Place::Location(id.clone()), vec![id.clone()])
                };
                let header = if key == "groups" {
                    json!({"groupId": id})
                } else {
                    json!({"locationId": id})
                };
                lines.push(header);
                let mut skus: Vec<String> = org
                    .records
                    .keys()
                    .filter(|(location, _)| members.contains(location))
                    .map(|(_, sku)| sku.clone())
                    .collect();
                skus.sort();
                skus.dedup();
                for sku in skus {
                    lines.push(org.view(&place, &sku).scapi_json());
                    export.records += 1;
                }
                export.covers.extend(members);
            }
            lines.push(json!({"deltaToken": org.issue_delta_token(org.log.len(), now)}));
            export.scope = Some((key, ids));
        }
        Kind::LocationGraph => {
            let groups: Vec<Value> = org
                .groups
                .iter()
                .map(|(id, members)| json!({"id": id, "locations": members}))
                .collect();
            export.records = org.locations.len() + groups.len();
            export.file = json!({"locations": org.locations, "groups": groups}).to_string();
            export.json_file = true;
            return Ok(export);
        }
        Kind::ProductSegmentation => {
            let request: Objects = json_body(body)?;
            let mut groups = request.groups.ok_or_else(|| ApiError::missing("groups"))?;
            if groups.iter().any(|group| group == "*") {
                groups = org.groups.keys().cloned().collect();
            }
            for group in &groups {
                if !org.groups.contains_key(group) {
                    return Err(ApiError::invalid_parameter("Invalid Group Id Provided."));
                }
                lines.push(json!({"groupId": group}));
                for sku in org.segmentation.get(group).into_iter().flatten() {
                    lines.push(json!({"sku": sku}));
                }
                export.records += 1;
            }
        }
        Kind::Reservations => {
            lines = reservation_lines(org, body, now)?;
            export.records = lines.len();
        }
        Kind::EventLog => {
            let request: EventLogBody = json_body(body)?;
            // The RAML's example of this 400: "'sku' Invalid characters in sku: null".
            let sku = match request.sku.as_deref() {
                Some(sku) if super::data::valid_sku(sku) => sku.to_owned(),
                other => {
                    return Err(ApiError::invalid_parameter(format!(
                        "'sku' Invalid characters in sku: {}",
                        other.unwrap_or("null")
                    )));
                }
            };
            if request.locations.len() + request.groups.len() > 10 {
                return Err(ApiError::invalid_parameter(
                    "At most 10 locations and groups are allowed.",
                ));
            }
            for group in &request.groups {
                org.require_group(group)?;
            }
            for location in &request.locations {
                org.require_location(location)?;
            }
            let date = |text: &str| {
                DateTime::parse_from_rfc3339(text)
                    .map(|date| date.with_timezone(&Utc))
                    .map_err(|_| {
                        ApiError::invalid_parameter(format!(
                            "'startsOn' and 'endsOn' must be ISO 8601 dates: {text}"
                        ))
                    })
            };
            let starts = date(&request.starts_on)?;
            let ends = request
                .ends_on
                .as_deref()
                .map(date)
                .transpose()?
                .unwrap_or(now);
            for change in &org.log {
                let wanted = match &change.place {
                    Place::Location(id) => {
                        request.locations.is_empty() && request.groups.is_empty()
                            || request.locations.contains(id)
                    }
                    Place::Group(id) => {
                        request.locations.is_empty() && request.groups.is_empty()
                            || request.groups.contains(id)
                    }
                };
                if change.sku == sku && wanted && change.at >= starts && change.at <= ends {
                    let (key, id) = match &change.place {
                        Place::Location(id) => ("locationId", id),
                        Place::Group(id) => ("groupId", id),
                    };
                    let mut event = json!({"eventType": change.event, "sku": change.sku, "quantity": super::store::num(change.quantity), "eventTimeUTC": iso(change.at)});
                    if let Some(fields) = event.as_object_mut() {
                        fields.insert(key.into(), json!(id));
                    }
                    lines.push(event);
                    export.records += 1;
                }
            }
        }
    }
    export.file = lines.iter().map(|line| format!("{line}\n")).collect();
    Ok(export)
}

/// Body of a reservations export.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReservationsBody {
    status: String,
    from_date: String,
    to_date: Option<String>,
}

/// The reservation documents of `org` in a reservations export file, one JSON object a line.
fn reservation_lines(org: &Org, body: &Bytes, now: DateTime<Utc>) -> Result<Vec<Value>, ApiError> {
    let request: ReservationsBody = json_body(body)?;
    let open = match request.status.as_str() {
        "open" => true,
        "closed" => false,
        _ => {
            return Err(
                ApiError::invalid_parameter("'status' must be open or closed")
                    .with("parameterName", "status"),
            );
        }
    };
    let date = |name: &'static str, text: &str| {
        DateTime::parse_from_rfc3339(text)
            .map(|date| date.with_timezone(&Utc))
            .map_err(|_| {
                ApiError::invalid_parameter(format!("'{name}' must be an ISO 8601 date: {text}"))
                    .with("parameterName", name)
            })
    };
    let from = date("fromDate", &request.from_date)?;
    let to = request
        .to_date
        .as_deref()
        .map(|text| date("toDate", text))
        .transpose()?
        .unwrap_or(now);
    let mut documents: Vec<(&String, &super::reservation::Document)> = org
        .reservations
        .iter()
        .filter(|(_, doc)| (doc.status == super::reservation::Status::Open) == open)
        .filter(|(_, doc)| doc.created >= from && doc.created <= to)
        .collect();
    documents.sort_by(|a, b| a.1.created.cmp(&b.1.created).then(a.0.cmp(b.0)));
    Ok(documents
        .into_iter()
        .map(|(id, doc)| {
            let details: Vec<Value> = doc
                .lines
                .iter()
                .map(|(place, sku, quantity)| {
                    let (key, place_id) = match place {
                        Place::Group(id) => ("group", id),
                        Place::Location(id) => ("location", id),
                    };
                    let action = json!({"requestId": id, "quantity": super::store::num(*quantity),
                        "action": "Reserved", key: place_id,
                        "timestamp": doc.created.timestamp_millis().to_string()});
                    json!({key: place_id, "sku": sku, "quantity": super::store::num(*quantity),
                           "reservationDetailActions": [action]})
                })
                .collect();
            json!({"reservationId": id, "reservationTime": doc.created.timestamp_millis(),
                   "reservationState": if open { "OPEN" } else { "CLOSED" },
                   "reservationDetails": details})
        })
        .collect())
}

/// Looks up an export of the right kind.
fn find<'a>(org: &'a mut Org, kind: Kind, id: &str) -> Result<&'a mut Export, ApiError> {
    org.exports
        .get_mut(id)
        .filter(|export| export.kind == kind)
        .ok_or_else(not_found)
}

async fn status(
    kind: Kind,
    State(state): State<OciState>,
    Path((org, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    run(|| {
        state.authorize(&headers, kind.read_scope())?;
        let body = state.with_org(&org, |tenant, now| {
            let export = find(tenant, kind, &id)?.clone();
            if tenant.job_running(export.started, now) {
                return Ok(json!({"id": id, "status": "RUNNING", "export": {"startTimeUTC": iso(export.started)}}));
            }
            let mut summary = json!({
                "startTimeUTC": iso(export.started), "endTimeUTC": iso(tenant.job_end(export.started)),
                "recordsProcessedCount": export.records, "recordsExportedCount": export.records,
            });
            if let (Some((key, ids)), Some(fields)) = (&export.scope, summary.as_object_mut()) {
                fields.insert((*key).into(), json!(ids));
            }
            let link = format!("/inventory/impex/v1/organizations/{org}/{}/exports/{id}/file-content", kind.segment());
            Ok::<_, ApiError>(json!({
                "id": id,
                "status": "COMPLETED",
                "export": summary,
                "download": {"downloadLink": link, "downloadLinkExpirationUTC": iso(expiry(&export))},
                "validation": file_validation(export.file.as_bytes()),
            }))
        })?;
        Ok(json_response(StatusCode::OK, body))
    })
}

/// The `validation` object of a finished job's file (RAML `FileValidation`): its SHA-256 and size.
pub fn file_validation(file: &[u8]) -> Value {
    use sha2::Digest as _;
    let hash = sha2::Sha256::digest(file);
    let hex: String = hash.iter().map(|byte| format!("{byte:02x}")).collect();
    json!({"fileHashType": "SHA-256", "fileHash": hex, "fileSize": file.len()})
}

/// When the download link stops working.
fn expiry(export: &Export) -> DateTime<Utc> {
    export.started + chrono::Duration::hours(RESULT_HOURS)
}

async fn download(
    kind: Kind,
    State(state): State<OciState>,
    Path((org, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    run(|| {
        state.authorize(&headers, kind.read_scope())?;
        state.with_org(&org, |tenant, now| {
            let export = find(tenant, kind, &id)?.clone();
            if tenant.job_running(export.started, now) {
                return Err(ApiError::conflict(
                    "ExportInProcess",
                    format!("Export {id} is in progress."),
                ));
            }
            if expiry(&export) <= now {
                return Err(ApiError::gone(
                    "ExpiredResultLink",
                    "The download link has expired or is no longer valid.",
                ));
            }
            if export.json_file {
                return Ok((
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    export.file.clone(),
                )
                    .into_response());
            }
            Ok(ndjson(export.file.clone()))
        })
    })
}

async fn remove(
    kind: Kind,
    State(state): State<OciState>,
    Path((org, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    run(|| {
        state.authorize(&headers, kind.read_scope())?;
        state.with_org(&org, |tenant, now| {
            let started = find(tenant, kind, &id)?.started;
            if tenant.job_running(started, now) {
                return Err(ApiError::conflict(
                    "ExportInProcess",
                    format!("Export {id} is in progress."),
                ));
            }
            tenant.exports.remove(&id);
            Ok(StatusCode::NO_CONTENT.into_response())
        })
    })
}
