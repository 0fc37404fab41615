//! snapman: run exported Postman collections as fast, snapshot-checked tests.
//!
//! Data flows one way: `cli` → `commands` (load inputs into `RunOptions`) → `runner` (plans and
//! executes, emitting events) → `report` (CLI, JSON, JUnit).

pub mod atomic;
pub mod auth;
pub mod cli;
pub mod collection;
pub mod commands;
pub mod context;
pub mod emulator;
pub mod error;
pub mod http;
pub mod interrupt;
pub mod report;
pub mod runner;
pub mod script;
pub mod secret;
pub mod snapshot;
pub mod snaptest;
pub mod vars;
