//! The `.katscan.toml` loader on arbitrary text.
//!
//! Runs what `katscan scan` does with a config file: `Config::parse` (the
//! entry point behind `Config::load`, which only adds reading the file),
//! then, for a valid file, `Config::apply` (custom rules compile their
//! regexes and check their examples; levels and disables name existing
//! rules) and the exclude matchers. Errors are rendered with miette as the
//! CLI renders them.
//!
//! `apply` changes the rules it is given, so each input needs its own. The
//! built-in set takes about a second to load under the fuzzer's
//! instrumentation (the nine rule files alone 0.4 s), so a valid config is
//! applied to two built-in rules, KAT001 and CORS004, loaded from their
//! files in `rules/`: configs that name them, and custom rules, go all the
//! way through; other rule ids are refused as unknown, which is `apply`'s
//! error path.
//!
//! Invariants:
//! - no panic, in parsing, applying or rendering an error;
//! - a rendered error, written through the output gate as the CLI writes
//!   it, holds no control character other than newline and tab (TOML's own
//!   error for a raw ESC or BEL in a string quotes the line with it raw:
//!   seed `control-in-string.toml`).

#![no_main]

use std::path::Path;

use katscan::RuleSet;
use katscan::config::Config;
use katscan::output::{Guarded, Policy};
use libfuzzer_sys::fuzz_target;
use miette::{GraphicalReportHandler, GraphicalTheme};
use std::io::Write as _;

/// Two rule files of `rules/`, whole: a small but real rule set.
const RULE_FILES: &[(&str, &str)] = &[
    rule_file!("kat001-live-key.toml"),
    rule_file!("cors004-null-origin.toml"),
];

macro_rules! rule_file {
    ($name:literal) => {
        ($name, include_str!(concat!("../../rules/", $name)))
    };
}
use rule_file;

fuzz_target!(|input: &[u8]| {
    // `Config::load` reads the file as UTF-8; other bytes never get here.
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    let path = Path::new(".katscan.toml");
    match Config::parse(path, text.to_string()) {
        Ok(config) => {
            let mut rules = RuleSet::from_sources(RULE_FILES.iter().copied())
                .expect("the built-in rule definitions load");
            if let Err(error) = config.apply(&mut rules) {
                check_rendered(&error);
            }
            let excludes = config.excludes();
            for candidate in ["src/App.tsx", "dist", ".env", "a/b/c.min.js"] {
                let _ = excludes.is_excluded(Path::new(candidate), false);
                let _ = excludes.is_excluded(Path::new(candidate), true);
                let _ = config.path_in_config_dir(candidate);
            }
        }
        Err(error) => check_rendered(&error),
    }
});

fn check_rendered(error: &katscan::config::ConfigError) {
    let _ = error.to_string();
    let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .with_links(false);
    let mut rendered = String::new();
    // The CLI falls back to the plain message when rendering fails.
    if handler.render_report(&mut rendered, error).is_err() {
        return;
    }
    let mut shown = Vec::new();
    {
        let mut gate = Guarded::new(&mut shown, Policy::STRICT);
        gate.write_all(rendered.as_bytes())
            .expect("writing to memory succeeds");
        gate.finish().expect("writing to memory succeeds");
    }
    let shown = String::from_utf8_lossy(&shown);
    assert!(
        !shown
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'),
        "control character in a config diagnostic: {shown:?}"
    );
}
