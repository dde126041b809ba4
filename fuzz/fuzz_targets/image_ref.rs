#![no_main]
//! Image references (`host:port/name:tag@digest`).
use libfuzzer_sys::fuzz_target;
use pindrift::lint::dockerfile::image_ref::parse;

fuzz_target!(|text: &str| {
    if let Ok(image) = parse(text) {
        let _ = image.name();
    }
});
