//! Planning and executing a run; emits events and returns a `RunSummary`.

pub mod summary;
