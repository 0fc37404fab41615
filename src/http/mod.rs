//! Building requests from resolved specs, sending them, and capturing what happened.

pub mod build;
pub mod call;
pub mod client;
pub mod cookie_log;
pub mod cookies;
pub mod raw_host;
pub mod route;
pub mod spec;
pub mod tls;
pub mod url;
