//! The environment and globals loaders never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::path::Path::new("fuzz.postman_environment.json");
    if let Ok(text) = snapman::collection::source::decode_text(data, path) {
        let _ = snapman::collection::load::parse_variable_file(&text, path, "environment");
        let _ = snapman::collection::load::parse_variable_file(&text, path, "globals");
    }
});
