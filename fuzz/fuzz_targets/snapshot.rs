//! The snapshot file parser never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = snapman::snapshot::parse_snapshot(text);
});
