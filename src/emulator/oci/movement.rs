//! Moving reserved quantities: releases (unreserve), transfers (group ↔ location) and
//! fulfillments (reserved and on-hand both drop), for the Commerce API and Connect REST.
//!
//! Each call checks every record first (400 for a bad place or shape), then applies them one by
//! one; records that cannot be applied come back as 200 `{"errors":[...]}`, otherwise 204.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::access::Scope;
use super::availability::{MAX_BATCH, partial};
use super::data::valid_sku;
use super::errors::{ApiError, FULFILLMENTS_400, RELEASES_400, TRANSFERS_400};
use super::reservation::PREFIX;
use super::state::{OciState, json_body, respond};
use super::store::{Org, Place, num};

/// Why one record was not applied: (errorCode, message).
pub type Failure = (&'static str, String);

/// The releases, transfers and fulfillments routes.
pub fn routes() -> Router<OciState> {
    Router::new()
        .route(&format!("{PREFIX}/releases"), post(releases))
        .route(&format!("{PREFIX}/transfers"), post(transfers))
        .route(&format!("{PREFIX}/fulfillments"), post(fulfillments))
}

/// `{"group": ..}` or `{"location": ..}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PlaceRef {
    /// A group id.
    pub group: Option<String>,
    /// A location id.
    pub location: Option<String>,
}

impl PlaceRef {
    /// Exactly one of group and location, else the spec's 400.
    pub fn place(&self) -> Result<Place, ApiError> {
        match (&self.group, &self.location) {
            (Some(_), Some(_)) => Err(ApiError::invalid_parameter(
                "User provided locationId AND groupId. You can only provide one or the other, not both in a single record.",
            )),
            (Some(group), None) => Ok(Place::Group(group.clone())),
            (None, Some(location)) => Ok(Place::Location(location.clone())),
            (None, None) => Err(ApiError::problem(
                StatusCode::BAD_REQUEST,
                "InvalidRequest",
                "No location or groups provided.",
            )),
        }
    }

    /// The JSON form, for error details.
    fn json(place: &Place) -> Value {
        match place {
            Place::Group(id) => json!({"group": id}),
            Place::Location(id) => json!({"location": id}),
        }
    }
}

/// Checks a quantity and SKU shared by all three record kinds.
fn check_item(sku: &str, quantity: f64) -> Result<(), ApiError> {
    if !valid_sku(sku) {
        return Err(ApiError::invalid_parameter(format!(
            "'sku' Invalid characters in sku: {sku}"
        )));
    }
    if !(quantity > 0.0 && quantity.is_finite()) {
        return Err(ApiError::invalid_parameter(
            "'quantity' quantity must be a positive value",
        ));
    }
    Ok(())
}

/// 400 when a batch is larger than the spec allows.
fn check_size(len: usize) -> Result<(), ApiError> {
    if len > MAX_BATCH {
        return Err(ApiError::invalid_parameter(format!(
            "At most {MAX_BATCH} records are allowed in one request."
        )));
    }
    Ok(())
}

impl Org {
    /// Releases `quantity` reserved at a place.
    pub fn release(
        &mut self,
        place: &Place,
        sku: &str,
        quantity: f64,
        now: DateTime<Utc>,
    ) -> Result<(), Failure> {
        if self.reserved_at(place, sku) + 1e-9 < quantity {
            return Err(("InsufficientQuantity", "Insufficient Quantity".to_owned()));
        }
        self.add_reserved(place, sku, -quantity);
        self.log_change(now, place.clone(), sku, "RELEASE", quantity);
        Ok(())
    }

    /// Moves a reservation between a group and one of its locations.
    pub fn transfer(
        &mut self,
        from: &Place,
        to: &Place,
        sku: &str,
        quantity: f64,
        force: bool,
        now: DateTime<Utc>,
    ) -> Result<(), Failure> {
        let (group, location) = match (from, to) {
            (Place::Group(group), Place::Location(location))
            | (Place::Location(location), Place::Group(group)) => (group, location),
            _ => {
                return Err((
                    "InvalidRequestParameter",
                    "Transfers must be between a group and a location.".to_owned(),
                ));
            }
        };
        let in_group = self
            .groups
            .get(group)
            .is_some_and(|members| members.contains(location));
        if !in_group {
            return Err((
                "LocationNotInGroup",
                format!("Location '{location}' is not in group '{group}'."),
            ));
        }
        if self.reserved_at(from, sku) + 1e-9 < quantity {
            return Err(("InsufficientQuantity", "Insufficient Quantity".to_owned()));
        }
        if matches!(to, Place::Location(_))
            && !force
            && self.location_view(location, sku).ato + 1e-9 < quantity
        {
            return Err(("InsufficientQuantity", "Insufficient Quantity".to_owned()));
        }
        self.add_reserved(from, sku, -quantity);
        self.add_reserved(to, sku, quantity);
        self.log_change(now, from.clone(), sku, "TRANSFER", -quantity);
        self.log_change(now, to.clone(), sku, "TRANSFER", quantity);
        Ok(())
    }

    /// Fulfills at a location: reserved and (unless a later count exists) on-hand drop.
    pub fn fulfill(
        &mut self,
        location: &str,
        sku: &str,
        quantity: f64,
        time: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), Failure> {
        let place = Place::Location(location.to_owned());
        if self.reserved_at(&place, sku) + 1e-9 < quantity {
            return Err((
                "InsufficientQuantity",
                "Failed to fulfill, insufficient reserved quantity.".to_owned(),
            ));
        }
        let record = self.record_mut(location, sku);
        let parse = |text: &str| DateTime::parse_from_rfc3339(text).ok();
        let counted_later = match (
            record.effective_date.as_deref().and_then(parse),
            time.and_then(parse),
        ) {
            (Some(counted), Some(fulfilled)) => counted > fulfilled,
            _ => false,
        };
        record.reserved = (record.reserved - quantity).max(0.0);
        if !counted_later {
            record.on_hand = (record.on_hand - quantity).max(0.0);
        }
        self.log_change(now, place, sku, "FULFILL", quantity);
        Ok(())
    }
}

/// One release record.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReleaseRecord {
    id: String,
    external_ref_id: Option<String>,
    #[serde(flatten)]
    place: PlaceRef,
    sku: String,
    quantity: f64,
}

/// A body of `{"records": [...]}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Records<T> {
    records: Vec<T>,
    all_or_nothing_transfer_id: Option<String>,
}

async fn releases(
    State(state): State<OciState>,
    Path(org): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond((|| {
        state.authorize(&headers, Scope::ReservationsRw)?;
        let request: Records<ReleaseRecord> = json_body(&body)?;
        check_size(request.records.len())?;
        state.with_org(&org, |org, now| {
            let mut places = Vec::new();
            for record in &request.records {
                let place = record.place.place()?;
                org.require_place(&place)?;
                check_item(&record.sku, record.quantity)?;
                places.push(place);
            }
            let mut errors = Vec::new();
            for (record, place) in request.records.iter().zip(&places) {
                if org.seen_actions.contains(&record.id) {
                    continue;
                }
                match org.release(place, &record.sku, record.quantity, now) {
                    Ok(()) => {
                        org.first_use(&record.id);
                    }
                    Err((code, message)) => {
                        let mut details = json!({"id": record.id, "externalRefId": record.external_ref_id,
                                                 "sku": record.sku, "quantity": num(0.0)});
                        merge(&mut details, PlaceRef::json(place));
                        errors.push(json!({"details": without_nulls(details), "message": message, "errorCode": code}));
                    }
                }
            }
            Ok(partial(errors))
        })
    })()
    .map_err(|error: ApiError| error.documented(&RELEASES_400)))
}

/// `value` without its null fields (the RAML types `externalRefId` as a string: an absent
/// reference is left out, not `null`).
fn without_nulls(mut value: Value) -> Value {
    if let Some(fields) = value.as_object_mut() {
        fields.retain(|_, field| !field.is_null());
    }
    value
}

/// Adds the fields of `extra` to `target`.
fn merge(target: &mut Value, extra: Value) {
    if let (Some(target), Value::Object(extra)) = (target.as_object_mut(), extra) {
        target.extend(extra);
    }
}

/// One transfer record.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TransferRecord {
    id: String,
    external_ref_id: Option<String>,
    from: PlaceRef,
    to: PlaceRef,
    sku: String,
    quantity: f64,
    #[serde(default)]
    ignore_availability_check: bool,
}

/// The spec's 400s for transfer shapes it does not allow.
fn check_transfer(from: &Place, to: &Place, force: bool, atomic: bool) -> Result<(), ApiError> {
    match (from, to) {
        (Place::Group(_), Place::Group(_)) => Err(ApiError::invalid_parameter(
            "Group to Group Transfers are not permitted.",
        )),
        (Place::Location(_), Place::Location(_)) => Err(ApiError::invalid_parameter(
            "'from and to' Transfers between locations is not allowed",
        )),
        (Place::Location(_), Place::Group(_)) if atomic => Err(ApiError::invalid_parameter(
            "All or nothing transfers are only allowed from Group to Location transfer types. Invalid transfer type for request",
        )),
        (Place::Location(_), Place::Group(_)) if force => Err(ApiError::invalid_parameter(
            "Forcing a reservation cannot be done from a location to a group",
        )),
        _ => Ok(()),
    }
}

async fn transfers(
    State(state): State<OciState>,
    Path(org): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond((|| {
        state.authorize(&headers, Scope::ReservationsRw)?;
        let request: Records<TransferRecord> = json_body(&body)?;
        check_size(request.records.len())?;
        let atomic = request.all_or_nothing_transfer_id.is_some();
        state.with_org(&org, |org, now| {
            let mut moves = Vec::new();
            for record in &request.records {
                let (from, to) = (record.from.place()?, record.to.place()?);
                org.require_place(&from)?;
                org.require_place(&to)?;
                check_item(&record.sku, record.quantity)?;
                check_transfer(&from, &to, record.ignore_availability_check, atomic)?;
                moves.push((from, to));
            }
            let mut errors = Vec::new();
            let mut done = Vec::new();
            for (record, (from, to)) in request.records.iter().zip(&moves) {
                if org.seen_actions.contains(&record.id) {
                    continue;
                }
                match org.transfer(
                    from,
                    to,
                    &record.sku,
                    record.quantity,
                    record.ignore_availability_check,
                    now,
                ) {
                    Ok(()) => done.push((record, from, to)),
                    Err(failure) => errors.push((record, from, to, failure)),
                }
            }
            if atomic && !errors.is_empty() {
                for (record, from, to) in done.drain(..) {
                    org.add_reserved(to, &record.sku, -record.quantity);
                    org.add_reserved(from, &record.sku, record.quantity);
                    let failure = (
                        "NotAppliedDueToAtomicFailure",
                        "Not applied because another transfer failed.".to_owned(),
                    );
                    errors.push((record, from, to, failure));
                }
            }
            for (record, _, _) in done {
                org.first_use(&record.id);
            }
            let errors = errors
                .into_iter()
                .map(|(record, from, to, (code, message))| {
                    let details = json!({"id": record.id, "externalRefId": record.external_ref_id,
                        "from": PlaceRef::json(from), "to": PlaceRef::json(to),
                        "sku": record.sku, "quantity": num(record.quantity)});
                    json!({"details": without_nulls(details), "message": message, "errorCode": code})
                })
                .collect();
            Ok(partial(errors))
        })
    })()
    .map_err(|error: ApiError| error.documented(&TRANSFERS_400)))
}

/// One fulfillment record.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FulfillRecord {
    id: String,
    external_ref_id: Option<String>,
    location: Option<String>,
    group: Option<String>,
    sku: String,
    quantity: f64,
    fulfillment_time: Option<String>,
    reservation_id: Option<String>,
}

async fn fulfillments(
    State(state): State<OciState>,
    Path(org): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond((|| {
        state.authorize(&headers, Scope::ReservationsRw)?;
        let request: Records<FulfillRecord> = json_body(&body)?;
        check_size(request.records.len())?;
        state.with_org(&org, |org, now| {
            let mut locations = Vec::new();
            for record in &request.records {
                if record.group.is_some() {
                    return Err(ApiError::invalid_parameter("Fulfillments are only possible at a location."));
                }
                let location = record.location.clone().ok_or_else(|| ApiError::missing("location"))?;
                org.require_location(&location)?;
                check_item(&record.sku, record.quantity)?;
                if let Some(id) = &record.reservation_id
                    && !org.reservations.contains_key(id)
                {
                    return Err(ApiError::conflict("InvalidRequestParameter", "ID does not exist."));
                }
                locations.push(location);
            }
            let mut errors = Vec::new();
            for (record, location) in request.records.iter().zip(&locations) {
                if org.seen_actions.contains(&record.id) {
                    continue;
                }
                match org.fulfill(location, &record.sku, record.quantity, record.fulfillment_time.as_deref(), now) {
                    Ok(()) => {
                        org.first_use(&record.id);
                    }
                    Err((code, message)) => errors.push(json!({
                        "details": without_nulls(json!({"id": record.id, "externalRefId": record.external_ref_id, "location": location,
                                    "sku": record.sku, "quantity": num(record.quantity)})),
                        "message": message, "errorCode": code})),
                }
            }
            Ok(partial(errors))
        })
    })()
    .map_err(|error: ApiError| error.documented(&FULFILLMENTS_400)))
}
