//! Where `run` writes its reports and exports, decided and checked before the first request:
//! a directory (an existing one, or a path ending in `/`) gets a default-named file inside it,
//! as Newman does, and a path that cannot be written is a usage error (exit 2) before anything
//! is sent.

use std::path::{Path, PathBuf};

use crate::cli::RunArgs;
use crate::context::RunContext;
use crate::error::Error;

/// The files a run will write, resolved and known to be writable.
#[derive(Debug, Clone, Default)]
pub struct OutputPaths {
    /// The JSON report, when the json reporter is on.
    pub json: Option<PathBuf>,
    /// The JUnit report, when the junit reporter is on.
    pub junit: Option<PathBuf>,
    /// The HTML report, when the html reporter is on.
    pub html: Option<PathBuf>,
    /// `--export-environment`.
    pub environment: Option<PathBuf>,
    /// `--export-globals`.
    pub globals: Option<PathBuf>,
    /// `--export-collection`.
    pub collection: Option<PathBuf>,
}

impl OutputPaths {
    /// Resolves every output path of `args` and checks that each can be written.
    pub fn check(args: &RunArgs, ctx: &RunContext) -> Result<Self, Error> {
        let stamp = chrono::Utc::now()
            .format("%Y-%m-%d-%H-%M-%S-%3f")
            .to_string();
        let on = |name: &str| args.reporters.iter().any(|r| r == name);
        let report = |name: &str, flag: &str, given: Option<&Path>, ext: &str| {
            if !on(name) {
                return Ok(None);
            }
            let default = format!("snapman-run-report-{stamp}.{ext}");
            let path = match given {
                Some(p) => place(&ctx.resolve(p), &default, p),
                None => ctx.cwd.join("reports").join(&default),
            };
            check_writable(&path, flag).map(|()| Some(path))
        };
        let export = |flag: &str, given: Option<&Path>, what: &str| match given {
            None => Ok(None),
            Some(p) => {
                let path = place(&ctx.resolve(p), &format!("snapman-{what}-{stamp}.json"), p);
                check_writable(&path, flag).map(|()| Some(path))
            }
        };
        Ok(OutputPaths {
            json: report(
                "json",
                "--reporter-json-export",
                args.reporter_json_export.as_deref(),
                "json",
            )?,
            junit: report(
                "junit",
                "--reporter-junit-export",
                args.reporter_junit_export.as_deref(),
                "xml",
            )?,
            html: report(
                "html",
                "--reporter-html-export",
                args.reporter_html_export.as_deref(),
                "html",
            )?,
            environment: export(
                "--export-environment",
                args.export_environment.as_deref(),
                "environment",
            )?,
            globals: export(
                "--export-globals",
                args.export_globals.as_deref(),
                "globals",
            )?,
            collection: export(
                "--export-collection",
                args.export_collection.as_deref(),
                "collection",
            )?,
        })
    }
}

/// `resolved` itself, or `default` inside it when it names a directory (an existing one, or
/// `given` ends with a path separator).
fn place(resolved: &Path, default: &str, given: &Path) -> PathBuf {
    let trailing = given
        .as_os_str()
        .to_string_lossy()
        .ends_with(std::path::MAIN_SEPARATOR);
    if trailing || resolved.is_dir() {
        resolved.join(default)
    } else {
        resolved.to_path_buf()
    }
}

/// Creates `path`'s directory and a temporary file in it (removed at once), so an unwritable
/// place is reported before the run instead of after it.
fn check_writable(path: &Path, flag: &str) -> Result<(), Error> {
    let fail =
        |e: std::io::Error| Error::Usage(format!("{flag}: cannot write {}: {e}", path.display()));
    if path.is_dir() {
        return Err(fail(std::io::Error::other("it is a directory")));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    tempfile::Builder::new()
        .prefix(crate::atomic::TEMP_PREFIX)
        .tempfile_in(dir)
        .map_err(fail)?;
    if path.exists() {
        std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(fail)?;
    }
    Ok(())
}
