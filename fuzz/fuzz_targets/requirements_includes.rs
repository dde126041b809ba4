#![no_main]
//! A tree of requirements files that include each other: the input is split at NUL bytes
//! into `requirements.txt`, `a.txt`, `b.txt` and `sub/c.txt`, and the whole `check` runs,
//! with includes, constraints, conflicts and every output format.
use libfuzzer_sys::fuzz_target;
use pindrift::config::Settings;
use pindrift::discover::discover;
use pindrift::lint::check;

#[path = "common.rs"]
mod common;

const NAMES: [&str; 4] = ["requirements.txt", "a.txt", "b.txt", "sub/c.txt"];

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    let _ = std::fs::create_dir(dir.path().join("sub"));
    for (name, part) in NAMES.iter().zip(data.split(|b| *b == 0)) {
        if std::fs::write(dir.path().join(name), part).is_err() {
            return;
        }
    }
    let settings = Settings::default();
    let Ok(files) = discover(&[dir.path().to_path_buf()], None, &settings) else { return };
    let outcome = check(&files, &settings);
    common::render_all(&outcome.findings);
});
