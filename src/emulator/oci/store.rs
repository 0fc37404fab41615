//! One organization's inventory: records, group reservations, the change log and the views
//! (ATF/ATO at location and group level) every endpoint reads.
//!
//! Quantities: location `atf = onHand - reserved - safetyStock`, `ato = atf + futures` (never
//! below 0). A group sums its members and subtracts the reservations held at group level, so a
//! group reservation lowers the group's ATO but not the locations' until it is transferred.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::data::{Future, SeedData};
use super::errors::ApiError;
use super::exports::Export;
use super::impex::Import;
use super::reservation::Document;

/// A place inventory is held or reserved at.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Place {
    /// A location id.
    Location(String),
    /// A location group id.
    Group(String),
}

/// Stock of one SKU at one location.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    /// Quantity on hand.
    pub on_hand: f64,
    /// Quantity reserved.
    pub reserved: f64,
    /// Safety stock.
    pub safety_stock: f64,
    /// When the quantity was counted (ISO 8601).
    pub effective_date: Option<String>,
    /// Expected restocks.
    pub futures: Vec<Future>,
    /// Caller reference of the last write.
    pub external_ref_id: Option<String>,
}

/// One entry of the change log that feeds get-deltas and event-log exports.
#[derive(Debug, Clone)]
pub struct Change {
    /// When it happened (emulator clock).
    pub at: DateTime<Utc>,
    /// Where.
    pub place: Place,
    /// The SKU.
    pub sku: String,
    /// What happened: `UPDATE`, `IMPORT`, `DELETE`, `RESERVE`, `RELEASE`, `TRANSFER`, `FULFILL`.
    pub event: &'static str,
    /// The quantity involved.
    pub quantity: f64,
}

/// The computed availability of a SKU at a place.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct View {
    /// The SKU.
    pub sku: String,
    /// Quantity on hand.
    pub on_hand: f64,
    /// Quantity reserved.
    pub reserved: f64,
    /// Safety stock.
    pub safety_stock: f64,
    /// Available to fulfill.
    pub atf: f64,
    /// Available to order.
    pub ato: f64,
    /// When the quantity was counted (ISO 8601).
    pub effective_date: Option<String>,
    /// Expected restocks.
    pub futures: Vec<Future>,
    /// Group level only: reservations held at the group and at groups sharing its locations.
    pub group_reserved: Option<(f64, f64)>,
    /// Whether any member stocks the SKU.
    pub exists: bool,
}

/// A quantity as production prints it: rounded to the spec's 0.001 precision and always a
/// decimal (`411.0`, not `411`).
pub fn num(value: f64) -> Value {
    let rounded = (value * 1000.0).round() / 1000.0;
    // `-0.0` would print as such; a quantity is never negative zero.
    json!(if rounded == 0.0 { 0.0 } else { rounded })
}

/// Futures as JSON.
pub fn futures_json(futures: &[Future]) -> Value {
    futures
        .iter()
        .map(|f| json!({"expectedDate": f.expected_date, "quantity": num(f.quantity)}))
        .collect()
}

impl View {
    /// The Commerce API record: `sku, atf, ato, onHand, reserved, safetyStockCount, ...`.
    pub fn scapi_json(&self) -> Value {
        let mut record = Map::new();
        record.insert("sku".into(), json!(self.sku));
        record.insert("atf".into(), num(self.atf));
        record.insert("ato".into(), num(self.ato));
        record.insert("onHand".into(), num(self.on_hand));
        record.insert("reserved".into(), num(self.reserved));
        record.insert("safetyStockCount".into(), num(self.safety_stock));
        if let Some(date) = &self.effective_date {
            record.insert("effectiveDate".into(), json!(date));
        }
        record.insert("futures".into(), futures_json(&self.futures));
        if let Some((own, shared)) = self.group_reserved {
            record.insert("groupReserved".into(), num(own));
            record.insert("sharedGroupReserved".into(), num(shared));
        }
        Value::Object(record)
    }

    /// The Connect REST record: `stockKeepingUnit, availableToFulfill, availableToOrder, ...`.
    pub fn connect_json(&self) -> Value {
        json!({
            "stockKeepingUnit": self.sku,
            "onHand": num(self.on_hand),
            "availableToFulfill": num(self.atf),
            "availableToOrder": num(self.ato),
            "reserved": num(self.reserved),
            "safetyStockCount": num(self.safety_stock),
            "effectiveDate": self.effective_date,
            "futures": futures_json(&self.futures),
            "exists": self.exists,
        })
    }
}

/// All state of one organization (tenant).
#[derive(Debug, Default)]
pub struct Org {
    /// Location ids.
    pub locations: BTreeSet<String>,
    /// Group ids and their member locations.
    pub groups: BTreeMap<String, Vec<String>>,
    /// Stock by (location, sku).
    pub records: BTreeMap<(String, String), Record>,
    /// Reservations held at group level, by (group, sku).
    pub group_reserved: BTreeMap<(String, String), f64>,
    /// Reservation documents by id.
    pub reservations: HashMap<String, Document>,
    /// Idempotency ids of batch records already applied.
    pub seen_actions: HashSet<String>,
    /// Every change, in order.
    pub log: Vec<Change>,
    /// Delta token -> (log position, issued at).
    pub delta_tokens: HashMap<String, (usize, DateTime<Utc>)>,
    /// Import jobs by id.
    pub imports: BTreeMap<String, Import>,
    /// Upload link id -> import id.
    pub upload_links: HashMap<String, String>,
    /// Export jobs by id.
    pub exports: BTreeMap<String, Export>,
    /// Connect REST uploads by id: an availability file's outcome, or `None` for a location
    /// graph publish.
    pub connect_uploads: BTreeMap<String, (DateTime<Utc>, Option<super::impex::Outcome>)>,
    /// Product segmentation: the SKUs assigned to each location group.
    pub segmentation: BTreeMap<String, BTreeSet<String>>,
    /// How long import and export jobs run (`None`: done as soon as they start).
    pub job_duration: Option<chrono::Duration>,
}

impl Org {
    /// A fresh organization holding a copy of `seed`.
    pub fn from_seed(seed: &SeedData) -> Self {
        let mut org = Org {
            locations: seed.locations.iter().cloned().collect(),
            groups: seed
                .groups
                .iter()
                .map(|group| (group.id.clone(), group.locations.clone()))
                .collect(),
            ..Org::default()
        };
        for record in &seed.records {
            let stock = Record {
                on_hand: record.on_hand,
                safety_stock: record.safety_stock_count,
                effective_date: record.effective_date.clone(),
                futures: record.futures.clone(),
                ..Record::default()
            };
            org.records
                .insert((record.location.clone(), record.sku.clone()), stock);
        }
        org
    }

    /// 400 `LocationDoesNotExist` unless the location exists.
    pub fn require_location(&self, id: &str) -> Result<(), ApiError> {
        if self.locations.contains(id) {
            Ok(())
        } else {
            Err(ApiError::no_location(id))
        }
    }

    /// 400 `GroupDoesNotExist` unless the group exists.
    pub fn require_group(&self, id: &str) -> Result<(), ApiError> {
        if self.groups.contains_key(id) {
            Ok(())
        } else {
            Err(ApiError::no_group(id))
        }
    }

    /// 400 unless the place exists.
    pub fn require_place(&self, place: &Place) -> Result<(), ApiError> {
        match place {
            Place::Location(id) => self.require_location(id),
            Place::Group(id) => self.require_group(id),
        }
    }

    /// Locations that belong to no group.
    pub fn ungrouped_locations(&self) -> Vec<String> {
        self.locations
            .iter()
            .filter(|location| {
                !self
                    .groups
                    .values()
                    .any(|members| members.contains(location))
            })
            .cloned()
            .collect()
    }

    /// Groups a location belongs to.
    pub fn groups_of(&self, location: &str) -> Vec<String> {
        self.groups
            .iter()
            .filter(|(_, members)| members.iter().any(|member| member == location))
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Reserved quantity held at group level.
    pub fn group_reserved_of(&self, group: &str, sku: &str) -> f64 {
        self.group_reserved
            .get(&(group.to_owned(), sku.to_owned()))
            .copied()
            .unwrap_or(0.0)
    }

    /// Availability of `sku` at a location (zeros when the SKU is not stocked there).
    pub fn location_view(&self, location: &str, sku: &str) -> View {
        let Some(record) = self.records.get(&(location.to_owned(), sku.to_owned())) else {
            return View {
                sku: sku.to_owned(),
                ..View::default()
            };
        };
        let atf = (record.on_hand - record.reserved - record.safety_stock).max(0.0);
        let incoming: f64 = record.futures.iter().map(|future| future.quantity).sum();
        View {
            sku: sku.to_owned(),
            on_hand: record.on_hand,
            reserved: record.reserved,
            safety_stock: record.safety_stock,
            atf,
            ato: (record.on_hand + incoming - record.reserved - record.safety_stock).max(0.0),
            effective_date: record.effective_date.clone(),
            futures: record.futures.clone(),
            group_reserved: None,
            exists: true,
        }
    }

    /// Availability of `sku` across a group: members summed, minus group-level reservations.
    pub fn group_view(&self, group: &str, sku: &str) -> View {
        let members = self.groups.get(group).cloned().unwrap_or_default();
        let own = self.group_reserved_of(group, sku);
        let shared: f64 = self
            .groups
            .iter()
            .filter(|(id, other)| {
                id.as_str() != group && other.iter().any(|member| members.contains(member))
            })
            .map(|(id, _)| self.group_reserved_of(id, sku))
            .sum();
        let mut view = View {
            sku: sku.to_owned(),
            ..View::default()
        };
        for member in &members {
            let part = self.location_view(member, sku);
            view.exists |= part.exists;
            view.on_hand += part.on_hand;
            view.reserved += part.reserved;
            view.safety_stock += part.safety_stock;
            view.atf += part.atf;
            view.ato += part.ato;
            view.futures.extend(part.futures);
            if part.effective_date > view.effective_date {
                view.effective_date = part.effective_date;
            }
        }
        view.reserved += own;
        view.atf = (view.atf - own).max(0.0);
        view.ato = (view.ato - own).max(0.0);
        view.futures
            .sort_by(|a, b| a.expected_date.cmp(&b.expected_date));
        view.group_reserved = Some((own, shared));
        view
    }

    /// Availability at any place.
    pub fn view(&self, place: &Place, sku: &str) -> View {
        match place {
            Place::Location(id) => self.location_view(id, sku),
            Place::Group(id) => self.group_view(id, sku),
        }
    }

    /// Whether a job started at `started` is still running at `now` (jobs finish by time, not
    /// by being polled).
    pub fn job_running(&self, started: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        self.job_duration
            .is_some_and(|d| started.checked_add_signed(d).is_some_and(|end| now < end))
    }

    /// When a job started at `started` ends (or ended).
    pub fn job_end(&self, started: DateTime<Utc>) -> DateTime<Utc> {
        self.job_duration
            .and_then(|d| started.checked_add_signed(d))
            .unwrap_or(started)
    }

    /// Appends to the change log.
    pub fn log_change(
        &mut self,
        at: DateTime<Utc>,
        place: Place,
        sku: &str,
        event: &'static str,
        quantity: f64,
    ) {
        self.log.push(Change {
            at,
            place,
            sku: sku.to_owned(),
            event,
            quantity,
        });
    }

    /// The stock record of `sku` at `location`, created empty when missing.
    pub fn record_mut(&mut self, location: &str, sku: &str) -> &mut Record {
        self.records
            .entry((location.to_owned(), sku.to_owned()))
            .or_default()
    }

    /// Marks an idempotency id as used; false when it was used before.
    pub fn first_use(&mut self, action_id: &str) -> bool {
        self.seen_actions.insert(action_id.to_owned())
    }

    /// Issues a delta token that reports changes from log position `from` on.
    pub fn issue_delta_token(&mut self, from: usize, now: DateTime<Utc>) -> String {
        let token = uuid::Uuid::new_v4().simple().to_string();
        self.delta_tokens.insert(token.clone(), (from, now));
        token
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::oci::data::default_seed;

    #[test]
    fn group_reservation_lowers_group_but_not_location() {
        let mut org = Org::from_seed(&default_seed());
        let before_group = org.group_view("LocationGroup01", "ID-PEM");
        let before_location = org.location_view("Warehouse01", "ID-PEM");
        org.group_reserved
            .insert(("LocationGroup01".into(), "ID-PEM".into()), 3.0);
        assert_eq!(
            org.group_view("LocationGroup01", "ID-PEM").ato,
            before_group.ato - 3.0
        );
        assert_eq!(org.location_view("Warehouse01", "ID-PEM"), before_location);
        let shared = org.group_view("LocationGroup02", "ID-PEM").group_reserved;
        assert_eq!(shared, Some((0.0, 3.0)));
    }

    #[test]
    fn quantities_print_as_decimals() {
        assert_eq!(num(10.0).to_string(), "10.0");
        assert_eq!(num(-0.0).to_string(), "0.0");
        assert_eq!(num(2.0114).to_string(), "2.011");
    }
}
