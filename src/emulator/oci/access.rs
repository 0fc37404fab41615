//! Who may call what: the bearer token check and the seven `sfcc_inventory_*` scopes.
//!
//! The OCI emulator does not issue tokens. Whoever starts it passes an [`AccessCheck`] (the
//! login emulator's token store, or a [`TokenMap`] in tests) that says whether a token is valid
//! and which scopes it carries.

use std::collections::HashMap;

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

use super::errors::ApiError;

/// Who a bearer token belongs to, as far as the OCI emulator cares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grant {
    /// Scopes the token carries (underscore or dotted names).
    pub scopes: Vec<String>,
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// No `Authorization: Bearer` header.
    Missing,
    /// A token nobody issued.
    Invalid,
    /// A token that has expired.
    Expired,
}

/// Decides whether a bearer token is valid and what it grants.
pub trait AccessCheck: Send + Sync + 'static {
    /// Checks `bearer` (the token after `Bearer `, `None` when absent).
    fn check(&self, bearer: Option<&str>) -> Result<Grant, Denied>;
}

/// A fixed map from token to scopes; every other token is invalid.
#[derive(Debug, Clone, Default)]
pub struct TokenMap {
    tokens: HashMap<String, Vec<String>>,
}

impl TokenMap {
    /// An empty map (every token invalid).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `token` granting `scopes`.
    pub fn with(mut self, token: &str, scopes: &[&str]) -> Self {
        let scopes = scopes.iter().map(|scope| (*scope).to_owned()).collect();
        self.tokens.insert(token.to_owned(), scopes);
        self
    }
}

impl AccessCheck for TokenMap {
    fn check(&self, bearer: Option<&str>) -> Result<Grant, Denied> {
        let token = bearer.ok_or(Denied::Missing)?;
        self.tokens
            .get(token)
            .map(|scopes| Grant {
                scopes: scopes.clone(),
            })
            .ok_or(Denied::Invalid)
    }
}

/// The OCI scopes (Salesforce org names; the Account Manager dotted names are accepted too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `sfcc_inventory_availability`: get-availability, get-deltas.
    Availability,
    /// `sfcc_inventory_availability_rw`: batch-update, single record writes.
    AvailabilityRw,
    /// `sfcc_inventory_impex_graphs`: location graph exports.
    ImpexGraphs,
    /// `sfcc_inventory_impex_inventory`: availability and segmentation exports, downloads.
    ImpexInventory,
    /// `sfcc_inventory_impex_inventory_rw`: imports and event-log exports.
    ImpexInventoryRw,
    /// `sfcc_inventory_reservations`: reservation reads.
    Reservations,
    /// `sfcc_inventory_reservations_rw`: reservation writes.
    ReservationsRw,
}

impl Scope {
    /// All seven scopes.
    pub const ALL: [Scope; 7] = [
        Scope::Availability,
        Scope::AvailabilityRw,
        Scope::ImpexGraphs,
        Scope::ImpexInventory,
        Scope::ImpexInventoryRw,
        Scope::Reservations,
        Scope::ReservationsRw,
    ];

    /// The Salesforce org name, e.g. `sfcc_inventory_availability`.
    pub fn org_name(self) -> &'static str {
        match self {
            Scope::Availability => "sfcc_inventory_availability",
            Scope::AvailabilityRw => "sfcc_inventory_availability_rw",
            Scope::ImpexGraphs => "sfcc_inventory_impex_graphs",
            Scope::ImpexInventory => "sfcc_inventory_impex_inventory",
            Scope::ImpexInventoryRw => "sfcc_inventory_impex_inventory_rw",
            Scope::Reservations => "sfcc_inventory_reservations",
            Scope::ReservationsRw => "sfcc_inventory_reservations_rw",
        }
    }

    /// The Account Manager name, e.g. `sfcc.inventory.availability`.
    pub fn account_manager_name(self) -> &'static str {
        match self {
            Scope::Availability => "sfcc.inventory.availability",
            Scope::AvailabilityRw => "sfcc.inventory.availability.rw",
            Scope::ImpexGraphs => "sfcc.inventory.impex-graphs",
            Scope::ImpexInventory => "sfcc.inventory.impex-inventory",
            Scope::ImpexInventoryRw => "sfcc.inventory.impex-inventory.rw",
            Scope::Reservations => "sfcc.inventory.reservations",
            Scope::ReservationsRw => "sfcc.inventory.reservations.rw",
        }
    }

    /// The write scope that also grants this read scope (a design choice: the spec lists
    /// both names wherever it accepts either).
    fn write_variant(self) -> Option<Scope> {
        match self {
            Scope::Availability => Some(Scope::AvailabilityRw),
            Scope::ImpexInventory => Some(Scope::ImpexInventoryRw),
            Scope::Reservations => Some(Scope::ReservationsRw),
            _ => None,
        }
    }

    /// Whether `grant` carries this scope (or its write variant).
    pub fn granted_by(self, grant: &Grant) -> bool {
        let names = |scope: Scope| [scope.org_name(), scope.account_manager_name()];
        let mut accepted: Vec<&str> = names(self).to_vec();
        if let Some(write) = self.write_variant() {
            accepted.extend(names(write));
        }
        grant
            .scopes
            .iter()
            .any(|scope| accepted.contains(&scope.as_str()))
    }
}

/// The bearer token of a request (`Bearer` or Salesforce's `OAuth` scheme), if it has one.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("oauth"))
        .then(|| token.trim())
        .filter(|token| !token.is_empty())
}

/// Checks the request's token, turning a refusal into the gateway's 401 body.
pub fn authenticate(access: &dyn AccessCheck, headers: &HeaderMap) -> Result<Grant, ApiError> {
    access.check(bearer(headers)).map_err(|denied| {
        ApiError::unauthorized(match denied {
            Denied::Missing => "The request does not carry a bearer token.",
            Denied::Invalid => "The access token is invalid.",
            Denied::Expired => "The access token has expired.",
        })
    })
}

/// Checks the token and that it carries `scope`: 401 or 403 otherwise.
pub fn authorize(
    access: &dyn AccessCheck,
    headers: &HeaderMap,
    scope: Scope,
) -> Result<Grant, ApiError> {
    let grant = authenticate(access, headers)?;
    if scope.granted_by(&grant) {
        Ok(grant)
    } else {
        Err(ApiError::forbidden(format!(
            "The access token does not carry the scope '{}' this endpoint requires.",
            scope.org_name()
        )))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(value).expect("header"));
        headers
    }

    #[test]
    fn write_scope_grants_read_and_dotted_names_count() {
        let grant = Grant {
            scopes: vec!["sfcc.inventory.availability.rw".into()],
        };
        assert!(Scope::Availability.granted_by(&grant));
        assert!(Scope::AvailabilityRw.granted_by(&grant));
        assert!(!Scope::ReservationsRw.granted_by(&grant));
    }

    #[test]
    fn missing_token_is_401_and_missing_scope_403() {
        let map = TokenMap::new().with("t1", &["sfcc_inventory_availability"]);
        let err = authorize(&map, &HeaderMap::new(), Scope::Availability).expect_err("401");
        assert_eq!(err.status().as_u16(), 401);
        let err = authorize(&map, &headers("Bearer t1"), Scope::AvailabilityRw).expect_err("403");
        assert_eq!(err.status().as_u16(), 403);
        assert!(authorize(&map, &headers("bearer t1"), Scope::Availability).is_ok());
    }
}
