//! The `snapman` binary: parse arguments, run the command, exit with its code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = snapman::cli::Cli::parse();
    let ctx = snapman::context::RunContext::from_process();
    ExitCode::from(snapman::app::main_with(cli, &ctx))
}
