#![no_main]
//! The hotfix journal: replaying any bytes gives steps or an error naming the line, never a
//! panic (a journal on disk may be cut short by a crash, or edited by hand).
use libfuzzer_sys::fuzz_target;
use pindrift::hotfix::journal::replay_bytes;

fuzz_target!(|bytes: &[u8]| {
    let _ = replay_bytes(std::path::Path::new("journal.jsonl"), bytes);
});
