//! `cargo test` for Postman collections: every request of every collection is a test, checked
//! against its stored snapshot. This file is the template to copy into your own repository.
//!
//! To use it in your repository:
//!
//! 1. Copy this file to `tests/collections.rs` and add to `Cargo.toml`:
//!
//!    ```toml
//!    [[test]]
//!    name = "collections"
//!    harness = false
//!
//!    [dev-dependencies]
//!    libtest-mimic = "0.8"
//!    snapman = "0.1"
//!    ```
//!
//! 2. Put collections in `collections/*.postman_collection.json`. A collection runs with the
//!    environment `environments/<stem>.postman_environment.json` when there is one, else with
//!    `environments/emulator.postman_environment.json`, else with none. Its redactions live in
//!    `collections/<stem>.snapman.json`.
//! 3. Create the snapshots: `SNAPMAN_UPDATE=new cargo test --test collections`, then
//!    `snapman snapshots review` (or `SNAPMAN_UPDATE=always` to write them directly). Read them
//!    and commit `tests/snapshots/<stem>/`.
//! 4. From then on `cargo test` checks them in `no` mode: a changed response fails with a diff
//!    and no file is written.
//!
//! Each collection runs once, in order, with the built-in emulator started in-process (requests
//! to postman-echo.com go to it, as with `snapman run --emulator`). Trials are named
//! `<stem>::<folder>::<request>`, so `cargo test --test collections -- echo-demo::Auth` works.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use libtest_mimic::{Arguments, Failed, Trial};
use snapman::cli::{Expect, InputArgs, RunArgs, TestArgs};
use snapman::context::RunContext;
use snapman::snaptest::{collection_stem, collection_trials};

/// The collection files under `dir`, sorted.
fn collections(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().ends_with(".postman_collection.json"))
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

/// The environment a collection runs with: its own, else the emulator one, else none.
fn environment_for(root: &Path, stem: &str) -> Option<PathBuf> {
    let dir = root.join("environments");
    [
        format!("{stem}.postman_environment.json"),
        "emulator.postman_environment.json".to_string(),
    ]
    .into_iter()
    .map(|name| dir.join(name))
    .find(|p| p.is_file())
}

fn main() -> ExitCode {
    let mut arguments = Arguments::from_args();
    // Trials wait for their collection's run; one thread reports them in run order.
    arguments.test_threads.get_or_insert(1);
    let ctx = RunContext::from_process();
    let mut trials = Vec::new();
    for collection in collections(&ctx.cwd.join("collections")) {
        let stem = collection_stem(&collection);
        let args = TestArgs {
            run: RunArgs {
                input: InputArgs {
                    environment: environment_for(&ctx.cwd, &stem),
                    collection,
                    ..InputArgs::default()
                },
                emulator: true,
                ..RunArgs::default()
            },
            snapshot_dir: None,
            update: None,
            expect: Expect::Snapshots,
            libtest_args: Vec::new(),
        };
        match collection_trials(&args, &ctx, &arguments, Some(&stem)) {
            Ok(found) => trials.extend(found.trials.into_iter().map(|t| t.into_trial())),
            Err(e) => {
                let message = e.to_string();
                trials.push(Trial::test(format!("{stem}::<load>"), move || {
                    Err(Failed::from(message))
                }));
            }
        }
    }
    libtest_mimic::run(&arguments, trials).exit_code()
}
