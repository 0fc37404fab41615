//! Atomic file writes: a temporary file in the same directory, renamed over the target, so a
//! reader (or an interrupted run) never sees a half-written file.

use std::io::{self, BufWriter, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::Error;

/// Prefix of the temporary files (so leftovers of a killed process can be recognised).
pub const TEMP_PREFIX: &str = ".snapman-tmp-";

/// A failed atomic write: the file (or directory) and the I/O error.
#[derive(Debug)]
pub struct AtomicError {
    /// The path that could not be written.
    pub path: std::path::PathBuf,
    /// Why.
    pub source: io::Error,
}

/// Writes `path` through `fill` into a temporary file in the same directory, then renames it
/// into place, so the file is either complete or absent (also when `fill` fails or panics).
/// Parent directories are created.
pub fn write_file_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), AtomicError> {
    let fail = |path: &Path| {
        let path = path.to_path_buf();
        move |source| AtomicError { path, source }
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(fail(dir))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(dir)
        .map_err(fail(dir))?;
    let pending = Pending::register(tmp.path());
    let mut out = BufWriter::new(tmp.as_file_mut());
    fill(&mut out)
        .and_then(|()| out.flush())
        .map_err(fail(path))?;
    drop(out);
    // Reports, exports and snapshots are ordinary files (keys have their own 0600 writer).
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))
        .map_err(fail(path))?;
    tmp.as_file().sync_all().map_err(fail(path))?;
    tmp.persist(path).map_err(|e| fail(path)(e.error))?;
    drop(pending);
    Ok(())
}

/// Temporary files being written right now, removed by [`remove_pending`] when a second
/// signal ends the process before their writes finish.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// One entry of [`PENDING`], removed from the list when dropped.
struct Pending(PathBuf);

impl Pending {
    fn register(path: &Path) -> Pending {
        PENDING
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(path.to_path_buf());
        Pending(path.to_path_buf())
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        let mut list = PENDING.lock().unwrap_or_else(|e| e.into_inner());
        list.retain(|p| p != &self.0);
    }
}

/// Deletes the temporary files of writes still in progress (the process is about to exit).
pub fn remove_pending() {
    let list = PENDING.lock().unwrap_or_else(|e| e.into_inner());
    for path in list.iter() {
        let _ = std::fs::remove_file(path);
    }
}

/// [`write_file_with`] with snapman's error type.
pub fn write_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), Error> {
    write_file_with(path, fill).map_err(|e| Error::Write {
        path: e.path,
        source: e.source,
    })
}

/// Writes `bytes` to `path` atomically, creating parent directories.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    write_with(path, |w| w.write_all(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces_without_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/out.json");
        write(&path, b"one").unwrap();
        write(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
        assert_eq!(
            std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
            1
        );
    }

    #[test]
    fn a_failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let failed = dir.path().join("failed.txt");
        let result = write_with(&failed, |w| {
            w.write_all(b"half")?;
            Err(io::Error::other("boom"))
        });
        assert!(matches!(result, Err(Error::Write { .. })));
        assert!(!failed.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
