#![no_main]
//! dpkg's status database.
use libfuzzer_sys::fuzz_target;
use pindrift::inventory::os::parse_dpkg_inventory;
use std::collections::BTreeMap;

fuzz_target!(|text: &str| {
    let (mut out, mut warnings) = (BTreeMap::new(), Vec::new());
    parse_dpkg_inventory(text, "/var/lib/dpkg/status", &mut out, &mut warnings);
});
