#![no_main]
//! `pip freeze` output.
use libfuzzer_sys::fuzz_target;
use pindrift::inventory::freeze::parse_freeze;

fuzz_target!(|text: &str| {
    let _ = parse_freeze(text, "freeze.txt", "freeze");
});
