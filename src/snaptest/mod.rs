//! Snapshot tests: the trials of `snapman test` (one libtest trial per request execution), their
//! names, and where their snapshots live.

mod command;
mod names;
mod query;
mod trials;

pub use command::{
    After, CollectionTrials, RunningCollection, UPDATE_VAR, collection_stem, collection_trials,
    collection_trials_after, default_snapshot_dir, snapshots_root, update_mode,
};
pub use names::{TrialId, trial_ids, unique_paths};
pub use query::redact_query;
pub use trials::{LiveRun, PendingTrial, TrialOptions, Verdicts, build_trials, listed_trials};
