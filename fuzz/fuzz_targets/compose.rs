#![no_main]
//! Compose files: the YAML reader, image values and their spans, and interpolation.
use libfuzzer_sys::fuzz_target;
use pindrift::lint::compose::{images, interpolate, parse_dotenv};

fuzz_target!(|text: &str| {
    let vars = parse_dotenv(text);
    if let Ok(found) = images(text, &vars) {
        for image in found {
            assert!(image.span.start <= image.span.end && image.span.end <= text.len());
            assert!(text.is_char_boundary(image.span.start) && text.is_char_boundary(image.span.end));
        }
    }
    let _ = interpolate(text, &vars);
});
