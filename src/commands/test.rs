//! `snapman test`: run a collection once, then hand libtest-mimic one trial per request
//! execution (see [`crate::snaptest`]).

use clap::Parser;
use clap::error::ErrorKind;
use libtest_mimic::Arguments;

use crate::cli::TestArgs;
use crate::context::RunContext;
use crate::error::{EXIT_FAILURES, EXIT_OK, Error};
use crate::snapshot::UpdateMode;
use crate::snaptest::collection_trials;

/// Runs `snapman test`; returns 0 when every trial passed, 1 when one failed.
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
    // Outcomes are computed already; one thread keeps the output in collection order.
    arguments.test_threads.get_or_insert(1);
    let prepared = collection_trials(args, ctx, &arguments, None)?;
    let conclusion = libtest_mimic::run(&arguments, prepared.trials);
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
    if conclusion.has_failed() && !args.run.suppress_exit_code {
        Ok(EXIT_FAILURES)
    } else {
        Ok(EXIT_OK)
    }
}
