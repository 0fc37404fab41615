//! The data-file loader (JSON and CSV) never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::path::Path::new("fuzz.csv");
    if let Ok(text) = snapman::collection::source::decode_text(data, path) {
        let _ = snapman::collection::data::parse_data(&text, path);
    }
});
