#![no_main]
//! apk's installed database.
use libfuzzer_sys::fuzz_target;
use pindrift::inventory::os::parse_apk_inventory;
use std::collections::BTreeMap;

fuzz_target!(|text: &str| {
    let (mut out, mut warnings) = (BTreeMap::new(), Vec::new());
    parse_apk_inventory(text, "/lib/apk/db/installed", &mut out, &mut warnings);
});
