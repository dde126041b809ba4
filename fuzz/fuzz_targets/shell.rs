#![no_main]
//! The shell tokenizer on a RUN body; every word's span lies inside the text.
use libfuzzer_sys::fuzz_target;
use pindrift::span::Mapped;
use pindrift::lint::dockerfile::shell::parse_script;

fuzz_target!(|text: &str| {
    let m = Mapped::from_source(text, 0..text.len());
    let script = parse_script(&m);
    for command in &script.commands {
        for word in &command.words {
            assert!(word.span.start <= word.span.end && word.span.end <= text.len());
            let _ = word.display();
        }
    }
});
