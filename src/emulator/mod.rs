//! The built-in emulator on one port: postman-echo compatible endpoints, and local stand-ins
//! for Salesforce login and the OCI APIs.

mod admin;
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
mod shape;
mod tls;

pub use admin::{AdminState, RemoteEmulator, RemoteError, admin_router, open_instructions};
pub use bootstrap::{
    CLIENT_ID, FullEmulator, FullOptions, INSTANCE_URL, LOGIN_URL, ORGANIZATION_ID, ROUTED_HOSTS,
    Registrar, SHORT_CODE, USERNAME, emulator_org_id, org_id_for_seed, start_full,
};
pub use server::{
    EmulatorConfig, EmulatorHandle, ExtraRoutes, RecordedRequest, start, start_background,
    start_background_with, start_with,
};
pub use tls::CERTIFICATE_HOSTS;
