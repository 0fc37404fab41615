//! `snapman test`: run a collection on its own thread while libtest-mimic reports one trial per
//! request execution as each finishes (see [`crate::snaptest`]); then write the reports and
//! exports the run flags ask for.

use clap::Parser;
use clap::error::ErrorKind;
use libtest_mimic::{Arguments, Trial};

use std::sync::Arc;

use super::outputs::OutputPaths;
use super::run::{Finished, args_for, collection_paths, write_outputs};
use crate::cli::TestArgs;
use crate::context::RunContext;
use crate::error::{EXIT_FAILURES, EXIT_OK, Error};
use crate::snapshot::UpdateMode;
use crate::snaptest::{After, PendingTrial, collection_stem, collection_trials_after};

/// Runs `snapman test`; returns 0 when every trial passed, 1 when one failed.
///
/// Several collections (files or directories) run one after the other, as with `snapman run`;
/// their trials are named `<collection stem>::Folder::Request`.
///
/// The run flags apply as in `snapman run`: `-r json,junit,html` and their `--reporter-*-export`
/// paths, `--export-*`, `--verbose` (each trial prints its request and response) and `--silent`
/// (no test harness output; reports and the exit code are unchanged). The `cli` reporter is the
/// harness's own output.
pub fn test_command(args: &TestArgs, ctx: &RunContext) -> Result<u8, Error> {
    let mut argv = vec!["snapman".to_string()];
    argv.extend(args.libtest_args.iter().cloned());
    let mut arguments = match Arguments::try_parse_from(argv) {
        Ok(a) => a,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            print!("{e}");
            return Ok(EXIT_OK);
        }
        Err(e) => {
            let text = e.to_string();
            let text = text.trim_start_matches("error: ").trim_end();
            return Err(Error::Usage(format!("test harness arguments: {text}")));
        }
    };
    // Trials wait for the run in collection order: one harness thread reports them in order.
    arguments.test_threads = Some(1);
    // Report and export paths are decided and checked before anything is sent.
    let outputs = OutputPaths::check(&args.run, ctx)?;
    let paths = collection_paths(&args.run, ctx)?;
    let several = paths.len() > 1;
    let mut trials = Vec::new();
    let mut collections = Vec::new();
    let mut after: Option<After> = None;
    for path in &paths {
        let one = TestArgs {
            run: args_for(&args.run, path, several),
            ..args.clone()
        };
        let prefix = several.then(|| collection_stem(path));
        let prepared =
            collection_trials_after(&one, ctx, &arguments, prefix.as_deref(), after.take())?;
        after = prepared.running.as_ref().map(|r| After {
            live: Arc::clone(&r.live),
            keep_environment: args.run.input.environment.is_some(),
        });
        trials.extend(prepared.trials);
        collections.push((prepared.store, prepared.mode, prepared.running));
    }
    let failed = if args.run.silent && !arguments.list {
        run_quietly(&arguments, trials)
    } else {
        let trials = trials.into_iter().map(PendingTrial::into_trial);
        libtest_mimic::run(&arguments, trials.collect()).has_failed()
    };
    let mut finished = Vec::new();
    for (store, mode, running) in collections {
        if let Some(running) = running {
            let snapshots = running.verdicts();
            let loaded = running.loaded.clone();
            let redactor = running.redactor.clone();
            let outcome = running.finish()?;
            finished.push(Finished {
                loaded,
                scopes: outcome.scopes,
                summary: outcome.summary,
                redactor,
                snapshots,
            });
        }
        if !arguments.list && matches!(mode, UpdateMode::New | UpdateMode::Unseen) {
            let pending = store.pending().map_err(|e| Error::Input(e.to_string()))?;
            if !pending.is_empty() {
                eprintln!(
                    "{} snapshot(s) pending review under {}: run `snapman snapshots review`",
                    pending.len(),
                    store.root().display()
                );
            }
        }
    }
    if !finished.is_empty() {
        write_outputs(&args.run, &outputs, &finished)?;
    }
    if let Some(code) = crate::interrupt::Interrupt::install().exit_code() {
        return Ok(code);
    }
    if failed && !args.run.suppress_exit_code {
        Ok(EXIT_FAILURES)
    } else {
        Ok(EXIT_OK)
    }
}

/// `--silent`: runs the trials the filter keeps, printing nothing; true when one failed.
fn run_quietly(arguments: &Arguments, trials: Vec<PendingTrial>) -> bool {
    let mut failed = false;
    for trial in trials {
        let probe = Trial::test(trial.name.as_str(), || Ok(()));
        if arguments.is_filtered_out(&probe) || arguments.is_ignored(&probe) {
            continue;
        }
        failed |= (trial.run)().is_err();
    }
    failed
}
