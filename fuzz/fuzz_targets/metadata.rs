#![no_main]
//! Core metadata (METADATA, PKG-INFO) and PEP 610 direct_url.json.
use libfuzzer_sys::fuzz_target;
use pindrift::inventory::metadata::{parse_core_metadata, parse_direct_url, split_info_name};

fuzz_target!(|data: &[u8]| {
    let _ = parse_core_metadata(data);
    let _ = parse_direct_url(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = split_info_name(text);
    }
});
