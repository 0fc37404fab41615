//! Reservation documents: create by `PUT reservation-documents/{id}`, cancel by `PATCH`, and
//! expiry; the core the Connect REST create uses too.
//!
//! A reservation at a location raises that location's `reserved` (so its ATO and every group
//! containing it drop); a reservation at a group is held at group level and lowers only the
//! group's ATO until a transfer moves it to a location.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::put;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::access::Scope;
use super::data::valid_sku;
use super::errors::{ApiError, CANCEL_400, CREATE_400};
use super::movement;
use super::state::{OciState, json_body, json_response, respond};
use super::store::{Org, Place, num};

/// Path prefix of the reservation family.
pub const PREFIX: &str = "/inventory/reservation/v1/organizations/{org}";
/// Longest `expirationSeconds` the spec allows.
const MAX_EXPIRATION_SECS: i64 = 14_400;

/// The reservation routes (documents here, releases/transfers/fulfillments in `movement`).
pub fn routes() -> Router<OciState> {
    Router::new()
        .route(
            &format!("{PREFIX}/reservation-documents/{{id}}"),
            put(create).patch(cancel),
        )
        .merge(movement::routes())
}

/// Lifecycle of a reservation document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Holding its quantities.
    Open,
    /// Cancelled by a PATCH.
    Cancelled,
    /// Its `expirationSeconds` passed.
    Expired,
}

/// A stored reservation document.
#[derive(Debug, Clone)]
pub struct Document {
    /// Open, cancelled or expired.
    pub status: Status,
    /// What it holds: (place, sku, quantity).
    pub lines: Vec<(Place, String, f64)>,
    /// When it expires, if ever.
    pub expires: Option<DateTime<Utc>>,
    /// When it was placed.
    pub created: DateTime<Utc>,
}

/// One requested line.
#[derive(Debug, Clone)]
pub struct Line {
    /// Where.
    pub place: Place,
    /// The SKU.
    pub sku: String,
    /// The quantity involved.
    pub quantity: f64,
    /// Index of the all-or-nothing set the line belongs to.
    pub all_or_nothing: Option<usize>,
}

/// A reservation request in neutral form (Commerce API or Connect REST).
#[derive(Debug, Clone)]
pub struct Reserve {
    /// The lines.
    pub lines: Vec<Line>,
    /// Whether a shortfall may reserve less.
    pub allow_partial: bool,
    /// Reserve against ATF instead of ATO.
    pub fulfill_only: bool,
    /// Seconds until the reservation expires.
    pub expiration_seconds: Option<i64>,
    /// Time of the reservation.
    pub reservation_time: Option<String>,
}

/// What happened to one line: the quantity reserved and the error, if any.
#[derive(Debug, Clone)]
pub struct LineResult {
    /// Where.
    pub place: Place,
    /// The SKU.
    pub sku: String,
    /// Quantity reserved for the line.
    pub reserved: f64,
    /// The error code when not everything was reserved.
    pub error: Option<&'static str>,
}

/// The result of a reservation.
#[derive(Debug, Clone)]
pub struct Reserved {
    /// Whether the reservation succeeded.
    pub success: bool,
    /// Time of the reservation.
    pub reservation_time: String,
    /// When it expires.
    pub expiration_time: Option<String>,
    /// The lines.
    pub lines: Vec<LineResult>,
}

/// ISO 8601 with milliseconds, as the services print times.
pub fn iso(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Org {
    /// Quantity currently reserved at a place (location-level or group-level).
    pub fn reserved_at(&self, place: &Place, sku: &str) -> f64 {
        match place {
            Place::Location(id) => self
                .records
                .get(&(id.clone(), sku.to_owned()))
                .map_or(0.0, |record| record.reserved),
            Place::Group(id) => self.group_reserved_of(id, sku),
        }
    }

    /// Adds `delta` (may be negative) to the reserved quantity at a place.
    pub fn add_reserved(&mut self, place: &Place, sku: &str, delta: f64) {
        match place {
            Place::Location(id) => {
                let record = self.record_mut(id, sku);
                record.reserved = (record.reserved + delta).max(0.0);
            }
            Place::Group(id) => {
                let held = self
                    .group_reserved
                    .entry((id.clone(), sku.to_owned()))
                    .or_default();
                *held = (*held + delta).max(0.0);
            }
        }
    }

    /// Gives back what a document still holds (at most what is reserved at each place).
    fn give_back(
        &mut self,
        lines: &[(Place, String, f64)],
        now: DateTime<Utc>,
        event: &'static str,
    ) {
        for (place, sku, quantity) in lines {
            let quantity = quantity.min(self.reserved_at(place, sku));
            self.add_reserved(place, sku, -quantity);
            self.log_change(now, place.clone(), sku, event, quantity);
        }
    }

    /// Releases open documents whose expiry has passed.
    pub fn expire_reservations(&mut self, now: DateTime<Utc>) {
        let due: Vec<String> = self
            .reservations
            .iter()
            .filter(|(_, doc)| {
                doc.status == Status::Open && doc.expires.is_some_and(|at| at <= now)
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in due {
            if let Some(doc) = self.reservations.get_mut(&id) {
                doc.status = Status::Expired;
                let lines = doc.lines.clone();
                self.give_back(&lines, now, "EXPIRE");
            }
        }
    }

    /// Places a reservation document.
    pub fn reserve(
        &mut self,
        id: &str,
        request: &Reserve,
        now: DateTime<Utc>,
    ) -> Result<Reserved, ApiError> {
        if request.lines.is_empty() {
            return Err(ApiError::problem(
                StatusCode::BAD_REQUEST,
                "InvalidRequest",
                "No location or groups provided.",
            ));
        }
        for line in &request.lines {
            self.require_place(&line.place)?;
            if !valid_sku(&line.sku) {
                return Err(ApiError::invalid_parameter(format!(
                    "'sku' Invalid characters in sku: {}",
                    line.sku
                )));
            }
            if !(line.quantity > 0.0 && line.quantity.is_finite()) {
                return Err(ApiError::problem(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequest",
                    "'quantity' quantity must be a positive value",
                ));
            }
        }
        if let Some(seconds) = request.expiration_seconds
            && !(1..=MAX_EXPIRATION_SECS).contains(&seconds)
        {
            return Err(ApiError::invalid_parameter(format!(
                "'expirationSeconds' must be between 1 and {MAX_EXPIRATION_SECS}"
            ))
            .with("parameterName", "expirationSeconds"));
        }
        match self.reservations.get(id).map(|doc| doc.status) {
            Some(Status::Open) => {
                return Err(ApiError::conflict("EntityExists", "Id already exists."));
            }
            Some(Status::Cancelled) => {
                return Err(ApiError::conflict(
                    "ReservationCancelled",
                    format!("Reservation {id} was cancelled."),
                ));
            }
            Some(Status::Expired) => {
                return Err(ApiError::conflict(
                    "ReservationAlreadyFinalized",
                    format!("Reservation {id} has expired."),
                ));
            }
            None => {}
        }
        let mut results: Vec<LineResult> = Vec::new();
        for line in &request.lines {
            let view = self.view(&line.place, &line.sku);
            let available = if request.fulfill_only {
                view.atf
            } else {
                view.ato
            };
            let take = if available >= line.quantity {
                line.quantity
            } else if request.allow_partial && line.all_or_nothing.is_none() {
                available.max(0.0)
            } else {
                0.0
            };
            self.add_reserved(&line.place, &line.sku, take);
            results.push(LineResult {
                place: line.place.clone(),
                sku: line.sku.clone(),
                reserved: take,
                error: (take < line.quantity).then_some("InsufficientQuantity"),
            });
        }
        let failed_sets: Vec<usize> = request
            .lines
            .iter()
            .zip(&results)
            .filter(|(_, result)| result.error.is_some())
            .filter_map(|(line, _)| line.all_or_nothing)
            .collect();
        let any_error = results.iter().any(|result| result.error.is_some());
        let undo_all = any_error && !request.allow_partial;
        for (line, result) in request.lines.iter().zip(results.iter_mut()) {
            let in_failed_set = line
                .all_or_nothing
                .is_some_and(|set| failed_sets.contains(&set));
            if undo_all || in_failed_set {
                self.add_reserved(&line.place, &line.sku, -result.reserved);
                if in_failed_set && result.error.is_none() {
                    result.error = Some("InsufficientQuantity");
                    result.reserved = 0.0;
                }
            }
        }
        let time = request.reservation_time.clone().unwrap_or_else(|| iso(now));
        let expires = request
            .expiration_seconds
            .map(|secs| now + chrono::Duration::seconds(secs));
        let held: Vec<(Place, String, f64)> = if undo_all {
            Vec::new()
        } else {
            results
                .iter()
                .filter(|result| result.reserved > 0.0)
                .map(|result| (result.place.clone(), result.sku.clone(), result.reserved))
                .collect()
        };
        for (place, sku, quantity) in &held {
            self.log_change(now, place.clone(), sku, "RESERVE", *quantity);
        }
        let success = !undo_all && (!any_error || !held.is_empty());
        if !undo_all {
            let doc = Document {
                status: Status::Open,
                lines: held,
                expires,
                created: now,
            };
            self.reservations.insert(id.to_owned(), doc);
        }
        Ok(Reserved {
            success,
            reservation_time: time,
            expiration_time: expires.map(iso),
            lines: results,
        })
    }

    /// Cancels an open document, giving its quantities back.
    pub fn cancel(&mut self, id: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
        let doc = self
            .reservations
            .get_mut(id)
            .ok_or_else(|| ApiError::not_found("Reservation ID does not exist."))?;
        match doc.status {
            Status::Cancelled => Err(ApiError::conflict(
                "ReservationCancelled",
                format!("Reservation {id} is already cancelled."),
            )),
            Status::Expired => Err(ApiError::conflict(
                "ReservationInvalidState",
                format!("Reservation {id} has expired."),
            )),
            Status::Open => {
                doc.status = Status::Cancelled;
                let lines = doc.lines.clone();
                self.give_back(&lines, now, "CANCEL");
                Ok(())
            }
        }
    }
}

/// `{sku, quantity}` in a create body.
#[derive(Debug, Deserialize)]
struct Item {
    sku: String,
    quantity: f64,
}

/// An all-or-nothing set inside a location.
#[derive(Debug, Deserialize)]
struct AllOrNothing {
    #[serde(default)]
    reservations: Vec<Item>,
}

/// A place block of a create body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PlaceBlock {
    id: String,
    #[serde(default)]
    reservations: Vec<Item>,
    #[serde(default)]
    all_or_nothing_reservations: Vec<AllOrNothing>,
}

/// Body of `PUT reservation-documents/{id}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateBody {
    #[serde(default)]
    groups: Vec<PlaceBlock>,
    #[serde(default)]
    locations: Vec<PlaceBlock>,
    allow_partial_reservations: Option<bool>,
    #[serde(default)]
    fulfill_only: bool,
    expiration_seconds: Option<i64>,
    reservation_time: Option<String>,
}

impl CreateBody {
    /// The neutral request.
    fn into_reserve(self) -> Reserve {
        let mut lines = Vec::new();
        let mut sets = 0;
        let blocks = self
            .groups
            .into_iter()
            .map(|block| (Place::Group(block.id.clone()), block))
            .chain(
                self.locations
                    .into_iter()
                    .map(|block| (Place::Location(block.id.clone()), block)),
            );
        for (place, block) in blocks {
            for item in block.reservations {
                lines.push(Line {
                    place: place.clone(),
                    sku: item.sku,
                    quantity: item.quantity,
                    all_or_nothing: None,
                });
            }
            for set in block.all_or_nothing_reservations {
                for item in set.reservations {
                    let all_or_nothing = Some(sets);
                    lines.push(Line {
                        place: place.clone(),
                        sku: item.sku,
                        quantity: item.quantity,
                        all_or_nothing,
                    });
                }
                sets += 1;
            }
        }
        Reserve {
            lines,
            allow_partial: self.allow_partial_reservations.unwrap_or(true),
            fulfill_only: self.fulfill_only,
            expiration_seconds: self.expiration_seconds,
            reservation_time: self.reservation_time,
        }
    }
}

/// The Commerce API answer: per place `{id, details, errors}`.
fn scapi_answer(reserved: &Reserved) -> Value {
    let mut groups: Vec<(String, Vec<Value>, Vec<Value>)> = Vec::new();
    let mut locations: Vec<(String, Vec<Value>, Vec<Value>)> = Vec::new();
    for line in &reserved.lines {
        let (list, id) = match &line.place {
            Place::Group(id) => (&mut groups, id),
            Place::Location(id) => (&mut locations, id),
        };
        let position = list
            .iter()
            .position(|(place, _, _)| place == id)
            .unwrap_or_else(|| {
                list.push((id.clone(), Vec::new(), Vec::new()));
                list.len() - 1
            });
        let entry = &mut list[position];
        if line.reserved > 0.0 || line.error.is_none() {
            entry
                .1
                .push(json!({"sku": line.sku, "quantity": num(line.reserved)}));
        }
        if let Some(code) = line.error {
            entry.2.push(json!({"sku": line.sku, "errorCode": code}));
        }
    }
    let render = |list: Vec<(String, Vec<Value>, Vec<Value>)>| -> Value {
        list.into_iter()
            .map(|(id, details, errors)| {
                // `PlaceReservationResponseBody` requires both arrays on every block.
                let mut block = Map::new();
                block.insert("id".into(), json!(id));
                block.insert("details".into(), Value::Array(details));
                block.insert("errors".into(), Value::Array(errors));
                Value::Object(block)
            })
            .collect()
    };
    let mut body = Map::new();
    body.insert("reservationTime".into(), json!(reserved.reservation_time));
    if let Some(expiration) = &reserved.expiration_time {
        body.insert("expirationTime".into(), json!(expiration));
    }
    body.insert("success".into(), json!(reserved.success));
    if !groups.is_empty() {
        body.insert("groups".into(), render(groups));
    }
    if !locations.is_empty() {
        body.insert("locations".into(), render(locations));
    }
    Value::Object(body)
}

async fn create(
    State(state): State<OciState>,
    Path((org, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(
        (|| {
            state.authorize(&headers, Scope::ReservationsRw)?;
            let request = json_body::<CreateBody>(&body)?.into_reserve();
            let reserved = state.with_org(&org, |org, now| org.reserve(&id, &request, now))?;
            let mut response = json_response(StatusCode::OK, scapi_answer(&reserved));
            let location =
                format!("/inventory/reservation/v1/organizations/{org}/reservation-documents/{id}");
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(LOCATION, value);
            }
            Ok(response)
        })()
        .map_err(|error: ApiError| error.documented(&CREATE_400)),
    )
}

/// Body of the cancel `PATCH`.
#[derive(Debug, Deserialize)]
struct CancelBody {
    status: String,
}

async fn cancel(
    State(state): State<OciState>,
    Path((org, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(
        (|| {
            state.authorize(&headers, Scope::ReservationsRw)?;
            let request: CancelBody = json_body(&body)?;
            if request.status != "CANCELLED" {
                return Err(ApiError::invalid_parameter(
                    "An invalid request parameter was provided",
                )
                .with("parameterName", "status"));
            }
            state.with_org(&org, |org, now| org.cancel(&id, now))?;
            Ok(StatusCode::NO_CONTENT.into_response())
        })()
        .map_err(|error: ApiError| error.documented(&CANCEL_400)),
    )
}
