//! `RunContext`: the process environment, read once (the only place that reads `std::env`).

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// What snapman knows about the process it runs in.
#[derive(Debug, Clone, Default)]
pub struct RunContext {
    /// Environment variables.
    pub env: HashMap<String, String>,
    /// Whether stdout is a terminal.
    pub stdout_is_terminal: bool,
    /// Whether stderr is a terminal.
    pub stderr_is_terminal: bool,
    /// The current directory.
    pub cwd: PathBuf,
}

impl RunContext {
    /// Reads the real process environment.
    pub fn from_process() -> Self {
        RunContext {
            env: std::env::vars().collect(),
            stdout_is_terminal: std::io::stdout().is_terminal(),
            stderr_is_terminal: std::io::stderr().is_terminal(),
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
        }
    }

    /// A file path as given on the command line: relative paths are taken from the current
    /// directory.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() || crate::collection::source::remote_url(path).is_some() {
            path.to_path_buf()
        } else {
            self.cwd.join(path)
        }
    }

    /// An environment variable, when set and not empty.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.env
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// Whether coloured output is wanted for stdout, given `--color`.
    pub fn color(&self, choice: ColorChoice) -> bool {
        match choice {
            ColorChoice::On => true,
            ColorChoice::Off => false,
            ColorChoice::Auto => self.stdout_is_terminal && self.var("NO_COLOR").is_none(),
        }
    }
}

/// `--color auto|on|off`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and `NO_COLOR` is unset.
    #[default]
    Auto,
    /// Always colour.
    On,
    /// Never colour.
    Off,
}
