//! The seed file format and the default dataset (see `docs/emulator-data.md`).
//!
//! ```json
//! {
//!   "locations": ["Warehouse01", "Store01"],
//!   "groups": [{"id": "LocationGroup01", "locations": ["Warehouse01"]}],
//!   "records": [{"location": "Warehouse01", "sku": "ID-PEM", "onHand": 100, "safetyStockCount": 5,
//!                "effectiveDate": "2024-01-01T00:00:00Z",
//!                "futures": [{"quantity": 20, "expectedDate": "2030-01-01T00:00:00Z"}]}]
//! }
//! ```

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The dataset built into the emulator; it uses the names of the public OCI collections.
const DEFAULT_DATA: &str = include_str!("default-data.json");

/// Inventory every organization starts with (each gets its own copy on first use).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedData {
    /// Location ids.
    pub locations: Vec<String>,
    /// Location groups with their member locations.
    #[serde(default)]
    pub groups: Vec<SeedGroup>,
    /// Stock of a SKU at a location.
    #[serde(default)]
    pub records: Vec<SeedRecord>,
}

/// A location group and its members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedGroup {
    /// Group id.
    pub id: String,
    /// Member location ids (a location may belong to several groups).
    pub locations: Vec<String>,
}

/// Stock of one SKU at one location.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SeedRecord {
    /// Location id.
    pub location: String,
    /// SKU.
    pub sku: String,
    /// Quantity on hand.
    pub on_hand: f64,
    /// Safety stock, subtracted from ATF and ATO.
    #[serde(default)]
    pub safety_stock_count: f64,
    /// When the quantities were counted (ISO 8601).
    #[serde(default)]
    pub effective_date: Option<String>,
    /// Expected restocks, added to ATO.
    #[serde(default)]
    pub futures: Vec<Future>,
}

/// An expected restock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Future {
    /// Quantity expected.
    pub quantity: f64,
    /// When it is expected (ISO 8601).
    pub expected_date: String,
}

/// Why a seed file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The file could not be read.
    #[error("failed to read seed file {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid JSON of the seed format.
    #[error("{path}:{line}:{column}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What serde said.
        message: String,
    },
    /// The data is inconsistent (unknown location, duplicate id, negative quantity).
    #[error("{path}: {at}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// JSON path of the offending value, e.g. `records[3].location`.
        at: String,
        /// What is wrong.
        message: String,
    },
}

/// Loads and checks a seed file.
pub fn load_seed(path: &Path) -> Result<SeedData, SeedError> {
    let text = std::fs::read_to_string(path).map_err(|source| SeedError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse_seed(&text, path)
}

/// The built-in dataset: `Warehouse01`, `LocationGroup01`, the coffee SKUs and a few more.
pub fn default_seed() -> SeedData {
    // The embedded file is checked by a unit test, so this cannot fail at run time.
    parse_seed(DEFAULT_DATA, Path::new("default-data.json")).unwrap_or(SeedData {
        locations: Vec::new(),
        groups: Vec::new(),
        records: Vec::new(),
    })
}

/// Parses seed text; `path` only names the source in errors.
fn parse_seed(text: &str, path: &Path) -> Result<SeedData, SeedError> {
    let data: SeedData = serde_json::from_str(text).map_err(|error| SeedError::Parse {
        path: path.to_owned(),
        line: error.line(),
        column: error.column(),
        message: error.to_string(),
    })?;
    validate(&data).map_err(|(at, message)| SeedError::Invalid {
        path: path.to_owned(),
        at,
        message,
    })?;
    Ok(data)
}

/// Whether `id` is a valid location or group id (`^[a-zA-Z0-9-_]*$`, 1 to 128 characters).
pub fn valid_place_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Whether `sku` is a valid SKU (2 to 250 characters, none of `\ < > ; % / :` or whitespace).
pub fn valid_sku(sku: &str) -> bool {
    (2..=250).contains(&sku.chars().count())
        && !sku
            .chars()
            .any(|c| c.is_whitespace() || "\\<>;%/:".contains(c))
}

/// Checks references and quantities; the error is (JSON path, message).
fn validate(data: &SeedData) -> Result<(), (String, String)> {
    let mut locations = BTreeSet::new();
    for (i, id) in data.locations.iter().enumerate() {
        if !valid_place_id(id) {
            return Err((
                format!("locations[{i}]"),
                format!("invalid location id '{id}'"),
            ));
        }
        if !locations.insert(id.as_str()) {
            return Err((
                format!("locations[{i}]"),
                format!("duplicate location '{id}'"),
            ));
        }
    }
    let mut groups = BTreeSet::new();
    for (i, group) in data.groups.iter().enumerate() {
        if !valid_place_id(&group.id) || !groups.insert(group.id.as_str()) {
            let message = format!("invalid or duplicate group id '{}'", group.id);
            return Err((format!("groups[{i}].id"), message));
        }
        for (j, member) in group.locations.iter().enumerate() {
            if !locations.contains(member.as_str()) {
                let message = format!("unknown location '{member}'");
                return Err((format!("groups[{i}].locations[{j}]"), message));
            }
        }
    }
    let mut keys = BTreeSet::new();
    for (i, record) in data.records.iter().enumerate() {
        if !locations.contains(record.location.as_str()) {
            let message = format!("unknown location '{}'", record.location);
            return Err((format!("records[{i}].location"), message));
        }
        if !valid_sku(&record.sku) {
            return Err((
                format!("records[{i}].sku"),
                format!("invalid sku '{}'", record.sku),
            ));
        }
        if !keys.insert((record.location.as_str(), record.sku.as_str())) {
            return Err((
                format!("records[{i}]"),
                "duplicate location and sku".to_owned(),
            ));
        }
        let negative = record.on_hand < 0.0
            || record.safety_stock_count < 0.0
            || record.futures.iter().any(|future| future.quantity < 0.0);
        if negative {
            return Err((format!("records[{i}]"), "negative quantity".to_owned()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_data_parses_and_has_the_collection_names() {
        let data = parse_seed(DEFAULT_DATA, Path::new("default-data.json")).expect("valid");
        assert!(data.locations.contains(&"Warehouse01".to_owned()));
        assert!(data.groups.iter().any(|g| g.id == "LocationGroup01"));
        for sku in ["B-C-COFMAC-001", "ID-PEM", "PS-EL"] {
            assert!(data.records.iter().any(|r| r.sku == sku), "{sku}");
        }
    }

    #[test]
    fn parse_errors_name_the_file_line_and_column() {
        let err =
            parse_seed("{\n  \"locations\": [1]\n}", Path::new("seed.json")).expect_err("bad");
        assert!(err.to_string().starts_with("seed.json:2:"), "{err}");
    }

    #[test]
    fn unknown_member_is_reported_with_its_path() {
        let text = r#"{"locations":["A1"],"groups":[{"id":"G","locations":["B2"]}]}"#;
        let err = parse_seed(text, Path::new("s.json")).expect_err("bad");
        assert_eq!(
            err.to_string(),
            "s.json: groups[0].locations[0]: unknown location 'B2'"
        );
    }

    #[test]
    fn sku_rules_follow_the_spec() {
        assert!(valid_sku("B-C-COFMAC-001"));
        assert!(!valid_sku("a"));
        assert!(!valid_sku("a/b"));
        assert!(!valid_place_id("ware house"));
    }
}
