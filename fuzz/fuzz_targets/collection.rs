//! The collection loader never panics, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::path::Path::new("fuzz.postman_collection.json");
    if let Ok(text) = snapman::collection::source::decode_text(data, path) {
        let _ = snapman::collection::load::parse_collection(&text, path);
    }
});
