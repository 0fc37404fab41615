//! snapman: run exported Postman collections as fast, snapshot-checked tests.

pub mod collection;
pub mod error;
pub mod http;
pub mod runner;
pub mod script;
pub mod secret;
