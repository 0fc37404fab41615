//! The built-in emulator on one port: postman-echo compatible endpoints, and local stand-ins
//! for Salesforce login and the OCI APIs.

mod bootstrap;
mod echo;
mod echo_auth;
pub mod login;
mod login_soap;
mod login_token;
pub mod oci;
mod parse;
pub mod proxy_echo;
mod server;
mod tls;

pub use bootstrap::{
    CLIENT_ID, FullEmulator, FullOptions, INSTANCE_URL, LOGIN_URL, ORGANIZATION_ID, ROUTED_HOSTS,
    SHORT_CODE, USERNAME, start_full,
};
pub use server::{
    EmulatorConfig, EmulatorHandle, ExtraRoutes, RecordedRequest, start, start_background,
    start_background_with, start_with,
};
pub use tls::CERTIFICATE_HOSTS;
