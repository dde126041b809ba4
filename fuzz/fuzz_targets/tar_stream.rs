#![no_main]
//! Archive streams from the engine, read in memory: hostile names, links, sizes.
use libfuzzer_sys::fuzz_target;
use pindrift::inventory::tarscan::{scan_tar, Collected};

fuzz_target!(|data: &[u8]| {
    let mut out = Collected::default();
    scan_tar(data, "/usr/lib/python3/dist-packages", &mut out);
});
