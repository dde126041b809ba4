#![no_main]
//! Lock files (`lock:` drift sources): the first byte picks the format, the rest is the file.
use libfuzzer_sys::fuzz_target;
use pindrift::inventory::lock::{parse_lock, python_version_marker, LockFormat};

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let format = match which % 4 {
        0 => LockFormat::Uv,
        1 => LockFormat::Poetry,
        2 => LockFormat::Pipfile,
        _ => LockFormat::Pylock,
    };
    if let Ok((entries, _)) = parse_lock(format, text, "lock") {
        for e in entries {
            let _ = e.specifier();
        }
    }
    let _ = python_version_marker(text);
});
