//! `snapman test`: run a collection on its own thread while libtest-mimic reports one trial per
//! request execution as each finishes (see [`crate::snaptest`]); then write the reports and
//! exports the run flags ask for.

use clap::Parser;
use clap::error::ErrorKind;
use libtest_mimic::{Arguments, Trial};

use super::outputs::OutputPaths;
use super::run::write_outputs;
use crate::cli::TestArgs;
use crate::context::RunContext;
use crate::error::{EXIT_FAILURES, EXIT_OK, Error};
use crate::snapshot::UpdateMode;
use crate::snaptest::{PendingTrial, collection_trials};

/// Runs `snapman test`; returns 0 when every trial passed, 1 when one failed.
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
    // Report and export paths are checked before anything is sent.
    let paths = OutputPaths::check(&args.run, ctx)?;
    let prepared = collection_trials(args, ctx, &arguments, None)?;
    let failed = if args.run.silent && !arguments.list {
        run_quietly(&arguments, prepared.trials)
    } else {
        let trials = prepared.trials.into_iter().map(PendingTrial::into_trial);
        libtest_mimic::run(&arguments, trials.collect()).has_failed()
    };
    if let Some(running) = prepared.running {
        let verdicts = running.verdicts();
        let loaded = running.loaded.clone();
        let redactor = running.redactor.clone();
        let outcome = running.finish()?;
        write_outputs(
            &args.run,
            &paths,
            &loaded,
            &outcome.scopes,
            &outcome.summary,
            &redactor,
            &verdicts,
        )?;
    }
    if !arguments.list && matches!(prepared.mode, UpdateMode::New | UpdateMode::Unseen) {
        let pending = prepared
            .store
            .pending()
            .map_err(|e| Error::Input(e.to_string()))?;
        if !pending.is_empty() {
            eprintln!(
                "{} snapshot(s) pending review under {}: run `snapman snapshots review`",
                pending.len(),
                prepared.store.root().display()
            );
        }
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
