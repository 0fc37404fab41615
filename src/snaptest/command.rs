//! `snapman test`: run a collection once on its own thread, and hand libtest-mimic one trial per
//! request execution, each waiting for its execution so trials are reported as the run goes.
//!
//! The whole collection always runs, in order, because later requests may depend on earlier
//! ones (tokens, ids in variables); a filter only chooses which trials are reported. `--list`
//! sends nothing.

use std::path::{Path, PathBuf};

use std::sync::{Arc, PoisonError};
use std::thread::JoinHandle;

use libtest_mimic::{Arguments, Trial};

use super::names::trial_ids;
use super::trials::{LiveRun, PendingTrial, TrialOptions, Verdicts, build_trials, listed_trials};
use crate::cli::TestArgs;
use crate::collection::load::LoadedCollection;
use crate::commands::run::{PreparedRun, carry_scopes, prepare_run};
use crate::context::RunContext;
use crate::error::Error;
use crate::report::cli::CliReporterOptions;
use crate::report::context::SnapshotResult;
use crate::runner::run::{RunObserver, RunOutcome, plan_items, run};
use crate::secret::Redactor;
use crate::snapshot::{SnapshotStore, UpdateMode, load_config_for, slug};

/// The environment variable that sets the update mode when `--update` is not given.
pub const UPDATE_VAR: &str = "SNAPMAN_UPDATE";

/// The trials of one collection, and where its snapshots live.
pub struct CollectionTrials {
    /// One trial per request execution, in run order.
    pub trials: Vec<PendingTrial>,
    /// The collection's snapshot store.
    pub store: SnapshotStore,
    /// The update mode in effect.
    pub mode: UpdateMode,
    /// The collection running on its own thread (`None` with `--list`).
    pub running: Option<RunningCollection>,
}

/// A collection running on its own thread while its trials wait for their executions.
pub struct RunningCollection {
    thread: JoinHandle<Result<RunOutcome, Error>>,
    /// The run's progress; the next collection waits on it.
    pub live: Arc<LiveRun>,
    /// The trials' verdicts on the responses, filled as trials run.
    pub verdicts: Verdicts,
    /// The collection as loaded.
    pub loaded: LoadedCollection,
    /// Every secret known to the run.
    pub redactor: Redactor,
}

impl RunningCollection {
    /// Waits for the run to end and returns its outcome.
    pub fn finish(self) -> Result<RunOutcome, Error> {
        self.thread
            .join()
            .unwrap_or_else(|_| Err(Error::Input("the run stopped unexpectedly".into())))
    }

    /// The verdicts recorded so far, in trial order.
    pub fn verdicts(&self) -> Vec<SnapshotResult> {
        let mut list = self
            .verdicts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        list.sort_by_key(|v| (v.iteration, v.position));
        list
    }
}

/// Tells the trials when the run is over, even when it ends in an error or a panic.
struct FinishGuard {
    live: Arc<LiveRun>,
    run_error: Option<String>,
}

impl Drop for FinishGuard {
    fn drop(&mut self) {
        self.live.finish(self.run_error.take());
    }
}

/// Feeds each finished execution to the waiting trials.
struct LiveObserver(Arc<LiveRun>);

impl RunObserver for LiveObserver {
    fn execution_finished(&mut self, execution: &crate::runner::summary::Execution) {
        self.0.push(execution.clone());
    }
}

/// Loads the collection of `args` and, unless `arguments` only lists, starts running it on its
/// own thread; returns its trials, which wait for their executions, so each one is reported as
/// soon as its request and scripts are done. `prefix` starts every trial name (the harness
/// passes the collection's stem). When a filter leaves requests out, says once on stderr that
/// they run anyway.
pub fn collection_trials(
    args: &TestArgs,
    ctx: &RunContext,
    arguments: &Arguments,
    prefix: Option<&str>,
) -> Result<CollectionTrials, Error> {
    collection_trials_after(args, ctx, arguments, prefix, None)
}

/// What a collection run after another takes from it.
#[derive(Clone)]
pub struct After {
    /// The previous collection's run: this one starts when it ends.
    pub live: Arc<LiveRun>,
    /// Carry the environment too (`-e` was given), not only the globals.
    pub keep_environment: bool,
}

/// [`collection_trials`] for a collection that starts when `after` ends, with its globals.
pub fn collection_trials_after(
    args: &TestArgs,
    ctx: &RunContext,
    arguments: &Arguments,
    prefix: Option<&str>,
    after: Option<After>,
) -> Result<CollectionTrials, Error> {
    let mode = update_mode(args, ctx)?;
    let collection_path = ctx.resolve(&args.run.input.collection);
    let config = load_config_for(&collection_path).map_err(|e| Error::Input(e.to_string()))?;
    let store = SnapshotStore::new(match &args.snapshot_dir {
        Some(dir) => ctx.resolve(dir),
        None => default_snapshot_dir(ctx, &collection_path),
    });
    let PreparedRun {
        mut opts,
        loaded,
        redactor,
        emulator,
    } = prepare_run(&args.run, ctx)?;
    let iterations = opts
        .iteration_count
        .unwrap_or_else(|| opts.data.len().max(1));
    let items = plan_items(&opts, &loaded.collection, iterations)?;
    let mut ids = trial_ids(&items, iterations, prefix);
    if let Some(p) = opts.partition {
        ids.retain(|id| p.keeps_iteration(id.iteration, iterations));
    }
    if arguments.list {
        return Ok(CollectionTrials {
            trials: listed_trials(&ids),
            store,
            mode,
            running: None,
        });
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("failed to start the async runtime: {e}")))?;
    let live = LiveRun::new();
    let thread = {
        let live = Arc::clone(&live);
        std::thread::Builder::new()
            .name("snapman-run".into())
            .spawn(move || {
                let mut guard = FinishGuard {
                    live: Arc::clone(&live),
                    run_error: None,
                };
                if let Some(after) = after {
                    let previous = after.live.wait_finished();
                    carry_scopes(&mut opts, previous.as_ref(), after.keep_environment);
                }
                let outcome = runtime.block_on(run(opts, &mut LiveObserver(Arc::clone(&live))));
                if let Ok(o) = &outcome {
                    live.set_scopes(o.scopes.clone());
                }
                // The emulator serves the run until it ends.
                drop(emulator);
                guard.run_error = match &outcome {
                    Ok(o) => o.summary.run_error.clone(),
                    Err(e) => Some(e.to_string()),
                };
                outcome
            })
            .map_err(|e| Error::Usage(format!("failed to start the run: {e}")))?
    };
    let cli = CliReporterOptions {
        color: ctx.color(args.run.color),
        verbose: true,
        unicode: !args.run.disable_unicode,
    };
    let trial_opts = Arc::new(TrialOptions {
        store: store.clone(),
        config,
        mode,
        expect: args.expect,
        color: ctx.color(args.run.color),
        nocapture: arguments.nocapture,
        verbose: args.run.verbose.then_some(cli),
    });
    let verdicts = Verdicts::default();
    let trials = build_trials(
        &ids,
        &Arc::new(items),
        &live,
        &verdicts,
        &loaded.collection.info.name,
        &redactor,
        &trial_opts,
    );
    let outside = trials
        .iter()
        .filter(|t| arguments.is_filtered_out(&Trial::test(t.name.as_str(), || Ok(()))))
        .count();
    if outside > 0 {
        eprintln!(
            "note: {outside} request(s) outside the filter ran too, because the chosen ones may \
             depend on them"
        );
    }
    Ok(CollectionTrials {
        trials,
        store,
        mode,
        running: Some(RunningCollection {
            thread,
            live,
            verdicts,
            loaded,
            redactor,
        }),
    })
}

/// `--update`, else `SNAPMAN_UPDATE`, else `no`. Unlike insta's `auto`, snapman never writes
/// snapshot files unless asked to, locally or in CI.
pub fn update_mode(args: &TestArgs, ctx: &RunContext) -> Result<UpdateMode, Error> {
    if let Some(mode) = args.update {
        return Ok(mode);
    }
    match ctx.var(UPDATE_VAR) {
        Some(value) => value
            .parse()
            .map_err(|e| Error::Usage(format!("{UPDATE_VAR}: {e}"))),
        None => Ok(UpdateMode::No),
    }
}

/// A collection's file stem: `echo-demo.postman_collection.json` -> `echo-demo`.
pub fn collection_stem(collection: &Path) -> String {
    let name = collection
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_suffix(".json").unwrap_or(&name);
    stem.strip_suffix(".postman_collection")
        .unwrap_or(stem)
        .to_string()
}

/// `tests/snapshots/<slug of the collection's stem>` under the current directory.
pub fn default_snapshot_dir(ctx: &RunContext, collection: &Path) -> PathBuf {
    snapshots_root(ctx).join(slug(&collection_stem(collection)))
}

/// `tests/snapshots` under the current directory.
pub fn snapshots_root(ctx: &RunContext) -> PathBuf {
    ctx.cwd.join("tests").join("snapshots")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(update: Option<UpdateMode>) -> TestArgs {
        TestArgs {
            run: Default::default(),
            snapshot_dir: None,
            update,
            expect: Default::default(),
            libtest_args: Vec::new(),
        }
    }

    fn ctx(vars: &[(&str, &str)]) -> RunContext {
        RunContext {
            env: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            cwd: PathBuf::from("/repo"),
            ..RunContext::default()
        }
    }

    #[test]
    fn update_mode_flag_then_env_then_no() {
        let env = ctx(&[("SNAPMAN_UPDATE", "new"), ("CI", "1")]);
        assert_eq!(
            update_mode(&args(Some(UpdateMode::Always)), &env).ok(),
            Some(UpdateMode::Always)
        );
        assert_eq!(update_mode(&args(None), &env).ok(), Some(UpdateMode::New));
        assert_eq!(
            update_mode(&args(None), &ctx(&[("CI", "1")])).ok(),
            Some(UpdateMode::No)
        );
        let bad = update_mode(&args(None), &ctx(&[("SNAPMAN_UPDATE", "maybe")]));
        assert!(
            bad.is_err_and(|e| e.to_string().starts_with("SNAPMAN_UPDATE: invalid")),
            "an invalid value is an input error"
        );
    }

    #[test]
    fn default_dir_is_the_slugged_stem() {
        assert_eq!(
            default_snapshot_dir(
                &ctx(&[]),
                Path::new("/repo/collections/My API.postman_collection.json")
            ),
            Path::new("/repo/tests/snapshots/My_API")
        );
        assert_eq!(collection_stem(Path::new("a/oci.json")), "oci");
    }
}
