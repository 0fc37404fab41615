//! Errors of the snapshot module: file I/O, the redaction config, pending-file handling.

use std::io;
use std::path::PathBuf;

/// A snapshot operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// A snapshot or config file could not be read.
    #[error("failed to read {}: {source}", path.display())]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// A snapshot could not be written; the old file, if any, is unchanged.
    #[error("failed to write {}: {source}", path.display())]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// A snapshot could not be removed.
    #[error("failed to remove {}: {source}", path.display())]
    Remove {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The redaction config is not valid JSON of the expected shape.
    #[error("invalid redaction config {}:{line}:{column}: {message}", path.display())]
    ConfigSyntax {
        /// The config file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What serde_json reported.
        message: String,
    },
    /// A value in the redaction config is invalid; `location` names the key.
    #[error("invalid redaction config {}, {location}: {message}", path.display())]
    Config {
        /// The config file.
        path: PathBuf,
        /// Where in the file, e.g. `redactions.".a["`.
        location: String,
        /// What is wrong.
        message: String,
    },
    /// `accept` or `reject` was given a file that is not a `.snap.new`.
    #[error("{} is not a pending snapshot (a `.snap.new` file)", path.display())]
    NotPending {
        /// The file given.
        path: PathBuf,
    },
}
