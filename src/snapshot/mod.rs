//! Snapshots: file format, redaction selectors, `.snap` / `.snap.new` handling, atomic writes and diffs.

mod diff;
mod error;
mod format;
mod redact;
mod selector;
mod store;

pub use diff::unified_diff;
pub use error::SnapshotError;
pub use format::{
    ParsedSnapshot, ResponseParts, SnapshotBody, SnapshotContent, SnapshotMeta, normalize,
    parse_snapshot,
};
pub use redact::{
    DEFAULT_HEADER, Redaction, RedactionConfig, TrialRedactions, apply, config_path_for,
    load_config, load_config_for, parse_config,
};
pub use selector::{PathItem, Selector, SelectorError, parse_selector};
pub use store::{CompareOutcome, SnapshotStore, UpdateMode, UpdateModeError, slug};
