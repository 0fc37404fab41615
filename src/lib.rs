//! snapman: run exported Postman collections as fast, snapshot-checked tests.
//!
//! Data flows one way: `cli` → `app` (loads inputs into `RunOptions`) → `runner` (plans and
//! executes, emitting events) → `report` (CLI, JSON, JUnit).

pub mod app;
pub mod app_doctor;
pub mod app_emulator;
pub mod app_sf;
pub mod atomic;
pub mod auth;
pub mod check;
pub mod cli;
pub mod cli_sf;
pub mod collection;
pub mod context;
pub mod doctor;
pub mod emulator;
pub mod error;
pub mod http;
pub mod report;
pub mod runner;
pub mod script;
pub mod secret;
pub mod snapshot;
pub mod snaptest;
pub mod vars;
