#![no_main]
//! `pindrift.toml` and `pyproject.toml` `[tool.pindrift]`, parsed and applied.
use libfuzzer_sys::fuzz_target;
use pindrift::config::{read_config_file, Settings};

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    let name = if data.first() == Some(&b'[') { "pyproject.toml" } else { "pindrift.toml" };
    let path = dir.path().join(name);
    if std::fs::write(&path, data).is_err() {
        return;
    }
    if let Ok(Some(config)) = read_config_file(&path) {
        let _ = Settings::default().apply_file(config, &path);
    }
});
