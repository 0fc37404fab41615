//! Stateful emulator of the Omnichannel Inventory APIs (availability, impex, reservations),
//! their Connect REST equivalents and the internal provisioning call.

mod access;
mod availability;
mod chaos;
mod connect;
mod data;
mod errors;
mod exports;
mod impex;
mod movement;
mod reservation;
mod state;
mod store;

pub use access::{AccessCheck, Denied, Grant, Scope, TokenMap};
pub use data::{Future, SeedData, SeedError, SeedGroup, SeedRecord, default_seed, load_seed};
pub(crate) use errors::ApiError;
pub use state::{DEFAULT_CONNECT_TENANT, OciOptions, OciState, oci_router};
