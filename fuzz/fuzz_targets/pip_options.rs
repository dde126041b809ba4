#![no_main]
//! Installer command lines (pip and friends, apt, apk, npm, …) with their option tables.
use libfuzzer_sys::fuzz_target;
use pindrift::lint::dockerfile::installs_in;

fuzz_target!(|text: &str| {
    let _ = installs_in(text);
    let _ = installs_in(&format!("pip install {text}"));
});
