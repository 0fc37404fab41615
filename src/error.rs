//! The top-level error type and the one table of exit codes.

use std::path::PathBuf;

/// Exit code: everything passed.
pub const EXIT_OK: u8 = 0;
/// Exit code: a failed assertion, script error, request error or snapshot mismatch.
pub const EXIT_FAILURES: u8 = 1;
/// Exit code: invalid usage or input (collection, environment, globals, data file, flag).
pub const EXIT_INPUT: u8 = 2;
/// Exit code: authentication failed (key, token exchange).
pub const EXIT_AUTH: u8 = 3;

/// Errors that stop snapman before or outside a run's per-request accounting.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("failed to read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("failed to write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An input file is malformed; the message names the file and position.
    #[error("{0}")]
    Input(String),
    /// Invalid command-line usage.
    #[error("{0}")]
    Usage(String),
    /// Authentication failed; the message carries the diagnosis.
    #[error("{0}")]
    Auth(String),
    /// SIGINT or SIGTERM stopped the command; exits 128 + the signal number.
    #[error("{message}")]
    Interrupted {
        /// 130 or 143.
        code: u8,
        /// Which signal, and what was left undone.
        message: String,
    },
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Read { .. } | Error::Write { .. } | Error::Input(_) | Error::Usage(_) => {
                EXIT_INPUT
            }
            Error::Auth(_) => EXIT_AUTH,
            Error::Interrupted { code, .. } => *code,
        }
    }
}

/// Result with snapman's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
