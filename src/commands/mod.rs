//! The commands, one file per subcommand: each turns its parsed arguments into work and returns
//! the process exit code. [`main_with`] dispatches.

pub mod check;
pub mod doctor;
pub mod emulator;
pub mod keygen;
pub mod merge;
pub mod outputs;
pub mod run;
pub mod sf;
pub mod snapshots;
pub mod test;
pub mod token;

use crate::cli::{Cli, Command};
use crate::context::RunContext;

/// Runs one command and returns the process exit code; errors are printed to stderr.
pub fn main_with(cli: Cli, ctx: &RunContext) -> u8 {
    let result = match cli.command {
        Command::Run(args) => run::run_command(&args, ctx),
        Command::Check(args) => check::check_command(&args, ctx),
        Command::Emulator(args) => emulator::emulator_command(&args, ctx),
        Command::Token(args) => token::token_command(&args, ctx),
        Command::Doctor(args) => doctor::doctor_command(&args, ctx),
        Command::Keygen(args) => keygen::keygen_command(&args, ctx),
        Command::Test(args) => test::test_command(&args, ctx),
        Command::Snapshots(args) => snapshots::snapshots_command(&args, ctx),
        Command::MergeReports(args) => merge::merge_command(&args, ctx),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // Error messages are outputs too: whatever secret the run knew is masked.
            let message = crate::secret::Redactor::global().redact(&e.to_string());
            eprintln!("error: {message}");
            e.exit_code()
        }
    }
}
