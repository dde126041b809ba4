#![no_main]
//! The whole Dockerfile lint: reader, variables, shell tokenizer, installer recognizers,
//! image references, rules; findings checked and rendered in every format.
use libfuzzer_sys::fuzz_target;
use pindrift::config::Settings;
use pindrift::lint::dockerfile::lint_dockerfile;
use pindrift::source::SourceFile;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let source = SourceFile::from_bytes("Dockerfile", "Dockerfile", data.to_vec());
    let findings = lint_dockerfile(&source, &Settings::default());
    common::check_findings(&source.text, &findings);
});
