//! snapman: run exported Postman collections as fast, snapshot-checked tests.

pub mod auth;
pub mod collection;
pub mod emulator;
pub mod error;
pub mod http;
pub mod runner;
pub mod secret;
