//! The baseline loader on arbitrary bytes.
//!
//! `Baseline::load` reads the file as UTF-8 and hands the text to
//! `Baseline::parse`, which is what runs here.
//!
//! Invariants:
//! - no panic;
//! - an error's line, when it names one, is a line of the text;
//! - a baseline that parses survives a round trip: what katscan writes for
//!   it (`render`) parses back to the same entries, and renders the same.

#![no_main]

use katscan::baseline::Baseline;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    match Baseline::parse(text) {
        Ok(baseline) => {
            let rendered = baseline.render();
            let again = Baseline::parse(&rendered)
                .unwrap_or_else(|e| panic!("rendered baseline does not parse: {e:?}\n{rendered}"));
            assert_eq!(
                baseline.entries(),
                again.entries(),
                "round trip changed entries"
            );
            assert_eq!(rendered, again.render(), "rendering is not stable");
        }
        Err(error) => {
            if let Some(line) = error.line {
                let lines = text.split('\n').count();
                assert!(
                    line >= 1 && line <= lines,
                    "error line {line} outside 1..={lines}"
                );
            }
        }
    }
});
