//! Embedded JavaScript sandbox running Postman's pre-request and test scripts with the `pm` API.

pub mod api;
mod bridge;
pub mod engine;
pub mod packages;
mod prelude;
mod web;

pub use api::{
    JarCall, Listen, NewCookie, ScriptInput, ScriptIo, ScriptLimits, ScriptOutput, ScriptResponse,
    ScriptScopes,
};
pub use engine::{EngineError, ScriptRuntime};
pub use packages::PackageRoots;
