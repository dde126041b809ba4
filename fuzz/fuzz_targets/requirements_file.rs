#![no_main]
//! One requirements file, parsed as pip reads it.
use libfuzzer_sys::fuzz_target;
use pindrift::lint::requirements::parse::parse_requirements;
use pindrift::source::SourceFile;

fuzz_target!(|data: &[u8]| {
    let source = SourceFile::from_bytes("requirements.txt", "requirements.txt", data.to_vec());
    let _ = parse_requirements(source);
});
