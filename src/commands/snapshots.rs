//! `snapman snapshots review|accept|reject|prune`: the pending-snapshot workflow.
//!
//! `review` shows each pending `.snap.new` file's diff against the stored snapshot (or the whole
//! new snapshot) and reads one answer per line from stdin:
//!
//! ```text
//! Auth/Basic_auth.snap.new
//! -old snapshot
//! +new results
//! ...
//! accept (a), reject (r) or skip (s)? a
//! accepted tests/snapshots/echo-demo/Auth/Basic_auth.snap
//! ```

use std::fs;
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

use crate::cli::{PendingArgs, PruneArgs, SnapshotsAction, SnapshotsArgs};
use crate::collection::load::load_collection;
use crate::context::RunContext;
use crate::error::{EXIT_OK, Error};
use crate::runner::plan::flatten;
use crate::snapshot::{SnapshotStore, parse_snapshot, unified_diff};
use crate::snaptest::{default_snapshot_dir, snapshots_root, unique_paths};

/// Runs a `snapman snapshots` subcommand.
pub fn snapshots_command(args: &SnapshotsArgs, ctx: &RunContext) -> Result<u8, Error> {
    match &args.action {
        SnapshotsAction::Review(pending) => {
            let files = pending_files(pending, ctx)?;
            let stdin = io::stdin();
            let mut out = io::stdout().lock();
            review(&files, &mut stdin.lock(), &mut out, ctx.stdout_is_terminal)
                .map_err(|e| Error::Input(format!("review failed: {e}")))?;
        }
        SnapshotsAction::Accept(pending) => {
            for file in pending_files(pending, ctx)? {
                store_of(&file).accept(&file).map_err(input)?;
                println!("accepted {}", snap_of(&file).display());
            }
        }
        SnapshotsAction::Reject(pending) => {
            for file in pending_files(pending, ctx)? {
                store_of(&file).reject(&file).map_err(input)?;
                println!("rejected {}", file.display());
            }
        }
        SnapshotsAction::Prune(prune_args) => {
            for file in prune(prune_args, ctx)? {
                println!("removed {}", file.display());
            }
        }
    }
    Ok(EXIT_OK)
}

fn input(e: impl std::fmt::Display) -> Error {
    Error::Input(e.to_string())
}

/// A store for one file's operations (accept and reject only look at the path).
fn store_of(file: &Path) -> SnapshotStore {
    SnapshotStore::new(file.parent().unwrap_or(Path::new(".")).to_path_buf())
}

/// `x.snap.new` -> `x.snap`.
fn snap_of(pending: &Path) -> PathBuf {
    pending.with_extension("")
}

/// The pending files named by the arguments: each path is a `.snap.new` file, a directory, or a
/// collection (its snapshot directory); with none, everything under `--snapshot-dir` or
/// `tests/snapshots`.
fn pending_files(args: &PendingArgs, ctx: &RunContext) -> Result<Vec<PathBuf>, Error> {
    let dir = args.snapshot_dir.as_deref().map(|d| ctx.resolve(d));
    if args.paths.is_empty() {
        let root = dir.unwrap_or_else(|| snapshots_root(ctx));
        return SnapshotStore::new(root).pending().map_err(input);
    }
    let mut files = Vec::new();
    for given in &args.paths {
        let path = ctx.resolve(given);
        let name = path.to_string_lossy();
        if name.ends_with(".snap.new") {
            if !path.is_file() {
                return Err(Error::Usage(format!(
                    "no such pending snapshot: {}",
                    path.display()
                )));
            }
            files.push(path);
        } else if path.is_dir() {
            files.extend(SnapshotStore::new(path).pending().map_err(input)?);
        } else if name.ends_with(".json") {
            let root = dir
                .clone()
                .unwrap_or_else(|| default_snapshot_dir(ctx, &path));
            files.extend(SnapshotStore::new(root).pending().map_err(input)?);
        } else {
            return Err(Error::Usage(format!(
                "{}: expected a `.snap.new` file, a snapshot directory or a collection",
                path.display()
            )));
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

/// Asks about each pending file on `output`, reading one answer per line from `input`; stops
/// (skipping the rest) at the end of the input.
pub fn review(
    files: &[PathBuf],
    input: &mut dyn BufRead,
    output: &mut dyn Write,
    color: bool,
) -> io::Result<()> {
    if files.is_empty() {
        writeln!(output, "no pending snapshots")?;
        return Ok(());
    }
    let (mut accepted, mut rejected, mut skipped) = (0, 0, 0);
    for (done, file) in files.iter().enumerate() {
        let snap = snap_of(file);
        let new = parse_snapshot(&fs::read_to_string(file)?).contents;
        writeln!(output, "{}", file.display())?;
        match fs::read_to_string(&snap) {
            Ok(old) => {
                let old = parse_snapshot(&old).contents;
                let diff = unified_diff(
                    &format!("{old}\n"),
                    &format!("{new}\n"),
                    "old snapshot",
                    "new results",
                    color,
                );
                write!(output, "{diff}")?;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                writeln!(output, "new snapshot:\n{new}")?;
            }
            Err(e) => return Err(e),
        }
        let answer = loop {
            write!(output, "accept (a), reject (r) or skip (s)? ")?;
            output.flush()?;
            let mut line = String::new();
            if input.read_line(&mut line)? == 0 {
                writeln!(output)?;
                break None;
            }
            match line.trim() {
                "a" | "accept" => break Some('a'),
                "r" | "reject" => break Some('r'),
                "s" | "skip" => break Some('s'),
                _ => {}
            }
        };
        let store = store_of(file);
        match answer {
            Some('a') => {
                store.accept(file).map_err(io::Error::other)?;
                writeln!(output, "accepted {}", snap.display())?;
                accepted += 1;
            }
            Some('r') => {
                store.reject(file).map_err(io::Error::other)?;
                writeln!(output, "rejected {}", file.display())?;
                rejected += 1;
            }
            Some(_) => skipped += 1,
            None => {
                skipped += files.len() - done;
                break;
            }
        }
    }
    writeln!(
        output,
        "{accepted} accepted, {rejected} rejected, {skipped} skipped"
    )
}

/// Removes the snapshots of requests no longer in the collection; returns the removed files.
/// Iteration snapshots (`name@N.snap`) of a live request stay.
fn prune(args: &PruneArgs, ctx: &RunContext) -> Result<Vec<PathBuf>, Error> {
    let path = ctx.resolve(&args.collection);
    let loaded = load_collection(&path)?;
    let root = match &args.snapshot_dir {
        Some(dir) => ctx.resolve(dir),
        None => default_snapshot_dir(ctx, &path),
    };
    let store = SnapshotStore::new(root);
    let mut live = Vec::new();
    for trial_path in unique_paths(&flatten(&loaded.collection)) {
        let plain = store.path_for(&trial_path, None);
        live.extend(iteration_files(&plain));
        live.push(plain);
    }
    store.prune(&live).map_err(input)
}

/// The existing `name@N.snap` files beside `name.snap`.
fn iteration_files(plain: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(stem)) = (
        plain.parent(),
        plain
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".snap")),
    ) else {
        return Vec::new();
    };
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix(stem))
                .and_then(|n| n.strip_prefix('@'))
                .and_then(|n| n.strip_suffix(".snap"))
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{e}"));
        }
        fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn review_accepts_rejects_and_skips_by_answer() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let a = dir.path().join("a.snap");
        write(&a, "GET u\nHTTP 200\n");
        write(&dir.path().join("a.snap.new"), "GET u\nHTTP 500\n");
        write(&dir.path().join("b.snap.new"), "GET b\nHTTP 201\n");
        write(&dir.path().join("c.snap.new"), "GET c\nHTTP 202\n");
        let files = SnapshotStore::new(dir.path().to_path_buf())
            .pending()
            .unwrap_or_else(|e| panic!("{e}"));
        let mut out = Vec::new();
        review(&files, &mut &b"x\na\nr\n"[..], &mut out, false).unwrap_or_else(|e| panic!("{e}"));
        let out = String::from_utf8_lossy(&out);
        assert!(out.contains("│-HTTP 200"), "{out}");
        assert!(out.contains("│+HTTP 500"), "{out}");
        assert!(out.contains("new snapshot:\nGET b\nHTTP 201"), "{out}");
        assert!(
            out.ends_with("1 accepted, 1 rejected, 1 skipped\n"),
            "{out}"
        );
        assert_eq!(
            fs::read_to_string(&a).ok().as_deref(),
            Some("GET u\nHTTP 500\n")
        );
        assert!(!dir.path().join("b.snap").exists());
        assert!(!dir.path().join("b.snap.new").exists());
        assert!(dir.path().join("c.snap.new").exists());
    }

    #[test]
    fn iteration_files_match_only_numbered_siblings() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        for name in ["a.snap", "a@1.snap", "a@2.snap", "a@x.snap", "ab@1.snap"] {
            write(&dir.path().join(name), "x");
        }
        let mut found = iteration_files(&dir.path().join("a.snap"));
        found.sort();
        assert_eq!(
            found,
            [dir.path().join("a@1.snap"), dir.path().join("a@2.snap")]
        );
    }
}
