//! Starts the proxy stand-in ([`snapman::emulator::proxy_echo`]) on its own, to run any runner
//! (Newman, snapman, curl) through it and see what it puts on the wire.
//!
//! ```text
//! cargo run --example proxy_echo -- [--listen ADDR] [--journal FILE] [-- COMMAND ARGS...]
//! ```
//!
//! With a command, the command runs with `HTTP_PROXY`/`HTTPS_PROXY` (and the lower-case forms)
//! pointing at the stand-in, and the example exits with its exit code. Without one, the stand-in
//! serves until standard input closes (Enter or Ctrl-D). Either way the requests received are
//! then written to the journal file (JSON, in arrival order) or to standard output.

use std::io::BufRead as _;
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(message) => {
            eprintln!("proxy_echo: {message}");
            ExitCode::from(2)
        }
    }
}

/// Parses the arguments, serves, and writes the journal.
fn run() -> Result<ExitCode, String> {
    let mut args = std::env::args().skip(1);
    let (mut listen, mut journal, mut command) = ("127.0.0.1:0".to_owned(), None, Vec::new());
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--listen" => listen = args.next().ok_or("--listen needs an address")?,
            "--journal" => journal = Some(args.next().ok_or("--journal needs a file")?),
            "--" => command.extend(args.by_ref()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let proxy = snapman::emulator::proxy_echo::start(&listen)
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let url = proxy.proxy_url();
    let code = match command.split_first() {
        Some((program, rest)) => {
            let status = Command::new(program)
                .args(rest)
                .envs(["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"].map(|v| (v, &url)))
                .env_remove("NO_PROXY")
                .env_remove("no_proxy")
                .status()
                .map_err(|e| format!("cannot run `{program}`: {e}"))?;
            ExitCode::from(
                status
                    .code()
                    .and_then(|c| u8::try_from(c).ok())
                    .unwrap_or(1),
            )
        }
        None => {
            eprintln!("proxy stand-in on {url}; HTTPS_PROXY={url} and -k; Enter stops it");
            let _ = std::io::stdin().lock().lines().next();
            ExitCode::SUCCESS
        }
    };
    let text = serde_json::to_string_pretty(&proxy.requests())
        .map_err(|e| format!("cannot serialize the journal: {e}"))?;
    match journal {
        Some(path) => {
            std::fs::write(&path, text + "\n").map_err(|e| format!("cannot write {path}: {e}"))?
        }
        None => println!("{text}"),
    }
    Ok(code)
}
