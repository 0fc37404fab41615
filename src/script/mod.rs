//! Embedded JavaScript sandbox running Postman's pre-request and test scripts with the `pm` API.

pub mod api;
mod bridge;
pub mod engine;

pub use api::{
    Listen, ScriptInput, ScriptLimits, ScriptOutput, ScriptResponse, ScriptScopes, SendRequest,
};
pub use engine::{EngineError, ScriptRuntime};
