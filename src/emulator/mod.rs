//! The built-in emulator on one port: postman-echo compatible endpoints, and local stand-ins
//! for Salesforce login and the OCI APIs.

mod echo;
mod echo_auth;
pub mod login;
mod login_soap;
mod login_token;
pub mod oci;
mod parse;
mod server;

pub use server::{EmulatorHandle, ExtraRoutes, RecordedRequest, start, start_background};
