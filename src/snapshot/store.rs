//! Snapshot files on disk: where they live, comparing, `.snap.new` pending files, accept,
//! reject, prune, and atomic writes.
//!
//! Layout, under `tests/snapshots/<collection>/` by default, mirroring the folder tree:
//!
//! ```text
//! tests/snapshots/Salesforce_OCI/
//!   Auth/Get_token.snap
//!   Inventory/Get_availability@1.snap        one per iteration when iterating
//!   Inventory/Get_availability@2.snap
//!   Inventory/Get_availability@2.snap.new    pending review: the new result, old file untouched
//! ```
//!
//! Every write goes to a temporary file in the same directory and is then renamed over the
//! target, so an interrupted run never leaves a half-written snapshot.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use sha2::{Digest, Sha256};

use super::diff::unified_diff;
use super::error::SnapshotError;
use super::format::parse_snapshot;
use crate::atomic::TEMP_PREFIX;

/// Longest file-name stem kept before shortening with a digest.
const MAX_STEM: usize = 80;
/// Windows device names, unusable as file names there (`COM1`-`LPT9` are checked apart).
const DEVICES: &[&str] = &["CON", "PRN", "AUX", "NUL"];

/// What to do with a mismatching or missing snapshot (`SNAPMAN_UPDATE`), modelled on insta.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UpdateMode {
    /// Never write; a mismatch or a missing snapshot fails (the CI default).
    #[default]
    No,
    /// Write the new result as `<name>.snap.new` beside the old one, for review.
    New,
    /// Overwrite stored snapshots and create missing ones.
    Always,
    /// Create missing snapshots as `.snap`; a mismatch is written as `.snap.new` (like `new`).
    Unseen,
}

/// An update mode that is not one of `no`, `new`, `always`, `unseen`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid snapshot update mode `{0}`: expected one of no, new, always, unseen")]
pub struct UpdateModeError(pub String);

impl FromStr for UpdateMode {
    type Err = UpdateModeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "no" => Ok(UpdateMode::No),
            "new" => Ok(UpdateMode::New),
            "always" => Ok(UpdateMode::Always),
            "unseen" => Ok(UpdateMode::Unseen),
            _ => Err(UpdateModeError(s.to_string())),
        }
    }
}

impl fmt::Display for UpdateMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UpdateMode::No => "no",
            UpdateMode::New => "new",
            UpdateMode::Always => "always",
            UpdateMode::Unseen => "unseen",
        })
    }
}

/// The result of comparing one trial's response with its stored snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompareOutcome {
    /// The stored snapshot matches.
    Matched,
    /// There was none; the result was stored as the snapshot (`always`, `unseen`).
    Created(PathBuf),
    /// The stored snapshot differed and was overwritten (`always`).
    Written(PathBuf),
    /// The stored snapshot differs; `pending` is the `.snap.new` written for review, if any.
    Mismatch {
        /// The stored snapshot.
        path: PathBuf,
        /// The `.snap.new` file, in `new` and `unseen` modes.
        pending: Option<PathBuf>,
        /// Diff of the stored contents against the new ones.
        diff: String,
    },
    /// There is no stored snapshot; `pending` is the `.snap.new` written for review, if any.
    Missing {
        /// Where the snapshot would be.
        path: PathBuf,
        /// The `.snap.new` file, in `new` mode.
        pending: Option<PathBuf>,
    },
}

impl CompareOutcome {
    /// True when the trial fails because of its snapshot.
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            CompareOutcome::Mismatch { .. } | CompareOutcome::Missing { .. }
        )
    }
}

/// The snapshots of one collection, under one root directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotStore {
    root: PathBuf,
}

impl SnapshotStore {
    /// A store whose files live under `root`.
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    /// The store of a collection: `<snapshot_dir>/<collection name, slugged>`.
    pub fn for_collection(snapshot_dir: &Path, collection: &str) -> Self {
        Self::new(snapshot_dir.join(slug(collection)))
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The snapshot file of a trial: one directory per folder, the request's slug as the name,
    /// `@N` for iteration `N`, then `.snap`.
    pub fn path_for(&self, trial_path: &[String], iteration: Option<usize>) -> PathBuf {
        let mut path = self.root.clone();
        let (request, folders) = trial_path
            .split_last()
            .map_or(("", &[][..]), |(r, f)| (r.as_str(), f));
        for folder in folders {
            path.push(slug(folder));
        }
        let mut name = slug(request);
        if let Some(n) = iteration {
            name.push_str(&format!("@{n}"));
        }
        name.push_str(".snap");
        path.push(name);
        path
    }

    /// Compares the rendered snapshot `actual` with the stored one and, depending on `mode`,
    /// writes the file or a `.snap.new`. Only the contents are compared, not the header.
    pub fn compare(
        &self,
        trial_path: &[String],
        iteration: Option<usize>,
        actual: &str,
        mode: UpdateMode,
        color: bool,
    ) -> Result<CompareOutcome, SnapshotError> {
        let path = self.path_for(trial_path, iteration);
        let pending = pending_path(&path);
        let stored = match fs::read(&path) {
            Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(source) => return Err(SnapshotError::Read { path, source }),
        };
        let Some(stored) = stored else {
            return match mode {
                UpdateMode::No => Ok(CompareOutcome::Missing {
                    path,
                    pending: None,
                }),
                UpdateMode::New => {
                    write_atomic(&pending, actual)?;
                    Ok(CompareOutcome::Missing {
                        path,
                        pending: Some(pending),
                    })
                }
                UpdateMode::Always | UpdateMode::Unseen => {
                    write_atomic(&path, actual)?;
                    remove_if_exists(&pending)?;
                    Ok(CompareOutcome::Created(path))
                }
            };
        };
        let old = parse_snapshot(&stored).contents;
        let new = parse_snapshot(actual).contents;
        if old == new {
            // A `.snap.new` left from an earlier run is stale once the snapshot matches.
            if mode != UpdateMode::No {
                remove_if_exists(&pending)?;
            }
            return Ok(CompareOutcome::Matched);
        }
        let diff = unified_diff(
            &format!("{old}\n"),
            &format!("{new}\n"),
            "old snapshot",
            "new results",
            color,
        );
        match mode {
            UpdateMode::No => Ok(CompareOutcome::Mismatch {
                path,
                pending: None,
                diff,
            }),
            UpdateMode::New | UpdateMode::Unseen => {
                write_atomic(&pending, actual)?;
                Ok(CompareOutcome::Mismatch {
                    path,
                    pending: Some(pending),
                    diff,
                })
            }
            UpdateMode::Always => {
                write_atomic(&path, actual)?;
                remove_if_exists(&pending)?;
                Ok(CompareOutcome::Written(path))
            }
        }
    }

    /// All pending `.snap.new` files under the root, sorted.
    pub fn pending(&self) -> Result<Vec<PathBuf>, SnapshotError> {
        let mut files = Vec::new();
        walk(&self.root, &mut files)?;
        files.retain(|p| is_pending(p));
        files.sort();
        Ok(files)
    }

    /// Accepts a pending file: it replaces its `.snap` (one rename, so atomic).
    pub fn accept(&self, pending: &Path) -> Result<(), SnapshotError> {
        let target = snap_path_of(pending)?;
        fs::rename(pending, &target).map_err(|source| SnapshotError::Write {
            path: target,
            source,
        })
    }

    /// Rejects a pending file: it is deleted and the `.snap` stays as it was.
    pub fn reject(&self, pending: &Path) -> Result<(), SnapshotError> {
        snap_path_of(pending)?;
        fs::remove_file(pending).map_err(|source| SnapshotError::Remove {
            path: pending.to_path_buf(),
            source,
        })
    }

    /// Removes the snapshots (and pending files) of trials not in `live` (paths from
    /// [`Self::path_for`]), leftover temporary files and the directories this empties; returns
    /// the removed files, sorted.
    pub fn prune(&self, live: &[PathBuf]) -> Result<Vec<PathBuf>, SnapshotError> {
        let live: HashSet<&Path> = live.iter().map(PathBuf::as_path).collect();
        let mut files = Vec::new();
        walk(&self.root, &mut files)?;
        let mut removed = Vec::new();
        for file in files {
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let dead = if name.starts_with(TEMP_PREFIX) {
                true
            } else if name.ends_with(".snap") {
                !live.contains(file.as_path())
            } else if is_pending(&file) {
                snap_path_of(&file).is_ok_and(|snap| !live.contains(snap.as_path()))
            } else {
                false
            };
            if dead {
                fs::remove_file(&file).map_err(|source| SnapshotError::Remove {
                    path: file.clone(),
                    source,
                })?;
                removed.push(file);
            }
        }
        remove_empty_dirs(&self.root, true)?;
        removed.sort();
        Ok(removed)
    }
}

/// A name made safe as a file or directory name: ASCII letters, digits, `-` and `_` stay, runs of
/// anything else become one `_`; never empty, never `.`/`..` or a Windows device name; long names
/// are cut and end in a digest of the whole name, so they stay distinct and stable.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let trimmed = out.trim_matches('_');
    let mut out = if trimmed.is_empty() {
        "_".to_string()
    } else {
        trimmed.to_string()
    };
    if out.len() > MAX_STEM {
        let digest: String = Sha256::digest(name.as_bytes())
            .iter()
            .take(4)
            .map(|b| format!("{b:02x}"))
            .collect();
        out.truncate(MAX_STEM - 9);
        out.push('_');
        out.push_str(&digest);
    }
    let upper = out.to_ascii_uppercase();
    let numbered = (upper.starts_with("COM") || upper.starts_with("LPT"))
        && upper.len() == 4
        && upper.as_bytes()[3].is_ascii_digit();
    if DEVICES.contains(&upper.as_str()) || numbered {
        out.push('_');
    }
    out
}

/// `x.snap` -> `x.snap.new`.
fn pending_path(path: &Path) -> PathBuf {
    let mut s = OsString::from(path.as_os_str());
    s.push(".new");
    PathBuf::from(s)
}

fn is_pending(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().ends_with(".snap.new"))
}

/// `x.snap.new` -> `x.snap`, or an error for any other file.
fn snap_path_of(pending: &Path) -> Result<PathBuf, SnapshotError> {
    if !is_pending(pending) {
        return Err(SnapshotError::NotPending {
            path: pending.to_path_buf(),
        });
    }
    Ok(pending.with_extension(""))
}

fn remove_if_exists(path: &Path) -> Result<(), SnapshotError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(SnapshotError::Remove {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Every file under `dir` (symlinks not followed); a missing `dir` has none.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), SnapshotError> {
    let read_err = |source| SnapshotError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(read_err(e)),
    };
    for entry in entries {
        let entry = entry.map_err(read_err)?;
        let kind = entry.file_type().map_err(read_err)?;
        if kind.is_dir() {
            walk(&entry.path(), out)?;
        } else if kind.is_file() {
            out.push(entry.path());
        }
    }
    Ok(())
}

/// Removes empty directories below `dir` (and `dir` itself unless it is the root); returns
/// whether `dir` is now gone.
fn remove_empty_dirs(dir: &Path, is_root: bool) -> Result<bool, SnapshotError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(true),
        Err(source) => {
            return Err(SnapshotError::Read {
                path: dir.to_path_buf(),
                source,
            });
        }
    };
    let mut empty = true;
    for entry in entries.flatten() {
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if !(is_dir && remove_empty_dirs(&entry.path(), false)?) {
            empty = false;
        }
    }
    if empty && !is_root {
        fs::remove_dir(dir).map_err(|source| SnapshotError::Remove {
            path: dir.to_path_buf(),
            source,
        })?;
        return Ok(true);
    }
    Ok(false)
}

/// Writes `text` to `path` through a temporary file in the same directory and a rename.
fn write_atomic(path: &Path, text: &str) -> Result<(), SnapshotError> {
    write_atomic_with(path, |file| file.write_all(text.as_bytes()))
}

/// Like [`write_atomic`], with `fill` writing the content: if it fails (or panics), the temporary
/// file is removed and `path` is untouched.
fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), SnapshotError> {
    crate::atomic::write_file_with(path, fill).map_err(|e| SnapshotError::Write {
        path: e.path,
        source: e.source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    #[test]
    fn interrupted_write_leaves_old_file_and_no_temp() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("a.snap");
        write_atomic(&path, "old contents\n").unwrap_or_else(|e| panic!("{e}"));
        let err = write_atomic_with(&path, |f| {
            f.write_all(b"half of the new")?;
            Err(io::Error::other("interrupted"))
        })
        .expect_err("the write fails");
        assert!(err.to_string().contains("interrupted"), "{err}");
        assert_eq!(
            fs::read_to_string(&path).ok().as_deref(),
            Some("old contents\n")
        );
        assert_eq!(names(dir.path()), vec!["a.snap"]);

        let panicked = std::panic::catch_unwind(|| {
            write_atomic_with(&path, |f| {
                f.write_all(b"partial")?;
                panic!("killed mid-write");
            })
        });
        assert!(panicked.is_err());
        assert_eq!(
            fs::read_to_string(&path).ok().as_deref(),
            Some("old contents\n")
        );
        assert_eq!(names(dir.path()), vec!["a.snap"]);
    }

    #[test]
    fn slugs_are_safe_and_stable() {
        assert_eq!(slug("Get token"), "Get_token");
        assert_eq!(slug("../../etc/passwd"), "etc_passwd");
        assert_eq!(slug(".."), "_");
        assert_eq!(slug(""), "_");
        assert_eq!(slug("Récupérer: items?"), "R_cup_rer_items");
        assert_eq!(slug("con"), "con_");
        assert_eq!(slug("LPT1"), "LPT1_");
        let long_a = slug(&"a".repeat(200));
        let long_b = slug(&format!("{}b", "a".repeat(199)));
        assert_eq!(long_a.len(), MAX_STEM);
        assert_ne!(long_a, long_b);
        assert_eq!(long_a, slug(&"a".repeat(200)));
    }

    #[test]
    fn update_mode_parses() {
        assert_eq!("unseen".parse(), Ok(UpdateMode::Unseen));
        assert_eq!(" ALWAYS ".parse(), Ok(UpdateMode::Always));
        assert_eq!(
            "sometimes".parse::<UpdateMode>().map_err(|e| e.to_string()),
            Err(
                "invalid snapshot update mode `sometimes`: expected one of no, new, always, unseen"
                    .to_string()
            )
        );
        assert_eq!(UpdateMode::default(), UpdateMode::No);
    }

    #[test]
    fn paths_mirror_folders() {
        let store = SnapshotStore::for_collection(Path::new("snaps"), "My API");
        let path = store.path_for(
            &["Folder A".into(), "Sub".into(), "Get item".into()],
            Some(2),
        );
        assert_eq!(path, Path::new("snaps/My_API/Folder_A/Sub/Get_item@2.snap"));
        assert_eq!(
            pending_path(&path),
            Path::new("snaps/My_API/Folder_A/Sub/Get_item@2.snap.new")
        );
        assert_eq!(
            store.path_for(&["..".into()], None),
            Path::new("snaps/My_API/_.snap")
        );
    }
}
