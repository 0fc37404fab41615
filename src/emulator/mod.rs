//! Local stand-in for postman-echo (and later Salesforce login and the OCI APIs) on one port.

mod echo;
mod parse;
mod server;

pub use server::{EmulatorHandle, ExtraRoutes, RecordedRequest, start, start_background};
