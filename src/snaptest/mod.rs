//! Snapshot tests: `snapman test` (one libtest trial per request execution) and the
//! `snapman snapshots` review workflow.

mod command;
mod names;
mod query;
mod review;
mod trials;

pub use command::{
    CollectionTrials, UPDATE_VAR, collection_stem, collection_trials, default_snapshot_dir,
    snapshots_root, test_command, update_mode,
};
pub use names::{TrialId, trial_ids, unique_paths};
pub use query::redact_query;
pub use review::{review, snapshots_command};
pub use trials::{TrialOptions, build_trials, listed_trials};
