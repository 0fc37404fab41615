//! The built-in emulator: local stand-ins for Salesforce login and the OCI APIs.
pub mod login;
mod login_soap;
mod login_token;
