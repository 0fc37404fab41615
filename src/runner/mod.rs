//! Planning and executing a run; emits events and returns a `RunSummary`.

pub mod learn;
pub mod partition;
pub mod plan;
mod reauth;
pub mod retry;
pub mod run;
pub mod scripts;
pub mod summary;
