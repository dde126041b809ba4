#![no_main]
//! One requirement specifier (PEP 508, URLs, paths, egg fragments).
use libfuzzer_sys::fuzz_target;
use pindrift::lint::requirements::requirement::parse_requirement;

fuzz_target!(|text: &str| {
    let _ = parse_requirement(text);
});
