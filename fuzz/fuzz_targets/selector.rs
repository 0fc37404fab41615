//! The redaction selector parser and the redaction config parser never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = snapman::snapshot::parse_selector(text);
    let _ = snapman::snapshot::parse_config(text, std::path::Path::new(".snapman.json"));
});
