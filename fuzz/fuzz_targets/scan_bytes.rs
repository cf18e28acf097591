//! The scanner on arbitrary bytes under an arbitrary path, with one live key
//! planted in the bytes.
//!
//! Input layout: byte 0 picks the path (one of `PATHS`, or the bytes up to
//! the first NUL taken as a path), byte 1 says where in the rest the key is
//! planted, the rest is the file. The file goes through `decode::scannable`
//! first, as the walk does.
//!
//! Invariants, all guaranteed by the current code:
//! - no panic;
//! - every finding's start and end lie inside the scanned text: 1-based
//!   lines up to the number of lines, columns up to one past the last
//!   character of their line (counted as `from_utf8_lossy` shows it), start
//!   not after end; snippets have a valid first line and a highlight on
//!   character boundaries inside their text;
//! - with redaction on, no text of any finding (match, message, help,
//!   snippet, suppression reason, key id) contains 8 consecutive bytes of
//!   the planted secret, except windows the fuzz input itself already holds
//!   (those are the input's text, not the key's).

#![no_main]

use std::sync::OnceLock;

use katscan::{Finding, RuleSet, Scanner, decode};
use libfuzzer_sys::fuzz_target;

/// Paths that route bytes to different rules: dotenv (KAT003), a bundle
/// (KAT002, client classification), Python, nginx and Kubernetes (CORS
/// detectors), browser source.
const PATHS: &[&str] = &[
    ".env",
    "dist/app.min.js",
    "app.py",
    "nginx.conf",
    "src/App.tsx",
    "k8s.yaml",
];

/// Assembled from parts so this source file holds no live key.
const KEY_ID: &str = "T0rtUr3x";
const SECRET: &str = "Qm8Zp2Lx7Vc4Rb9Nt1Hs6Jd3Fg5Wk0Ya";
const WINDOW: usize = 8;

fn scanner() -> &'static Scanner<'static> {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    static SCANNER: OnceLock<Scanner<'static>> = OnceLock::new();
    SCANNER.get_or_init(|| {
        let rules = RULES.get_or_init(|| RuleSet::builtin().expect("built-in rules compile"));
        Scanner::new(rules, true)
    })
}

fuzz_target!(|input: &[u8]| {
    let [selector, plant_at, rest @ ..] = input else {
        return;
    };
    let (path, data) = match PATHS.get(usize::from(*selector) % (PATHS.len() + 1)) {
        Some(path) => (path.to_string(), rest),
        None => {
            let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
            let path = String::from_utf8_lossy(&rest[..end]).into_owned();
            (path, rest.get(end + 1..).unwrap_or_default())
        }
    };

    // The key sits on its own line between quotes: nothing the fuzzer puts
    // around it can lengthen it or change where it ends.
    let split = usize::from(*plant_at) * data.len() / 256;
    let mut file = data[..split].to_vec();
    file.extend_from_slice(format!("\n\"kat_live_{KEY_ID}.{SECRET}\"\n").as_bytes());
    file.extend_from_slice(&data[split..]);

    let text = decode::scannable(&file);
    let findings = scanner().scan(&path, &text);
    for finding in &findings {
        check_location(&text, finding);
        check_redacted(input, finding);
    }
});

fn check_location(text: &[u8], finding: &Finding) {
    let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
    let inside = |what: &str, line: usize, column: usize| {
        assert!(
            line >= 1 && line <= lines.len(),
            "{what} line {line} outside 1..={}",
            lines.len()
        );
        let characters = String::from_utf8_lossy(lines[line - 1]).chars().count();
        assert!(
            column >= 1 && column <= characters + 1,
            "{what} column {column} outside 1..={} on line {line}",
            characters + 1
        );
    };
    inside("start", finding.start.line, finding.start.column);
    inside("end", finding.end.line, finding.end.column);
    assert!(finding.start <= finding.end, "start after end: {finding:?}");

    let snippet = &finding.snippet;
    assert!(
        snippet.first_line >= 1 && snippet.first_line <= lines.len(),
        "snippet first line {} outside the text",
        snippet.first_line
    );
    assert!(
        snippet.highlight.start <= snippet.highlight.end
            && snippet.highlight.end <= snippet.text.len()
            && snippet.text.is_char_boundary(snippet.highlight.start)
            && snippet.text.is_char_boundary(snippet.highlight.end),
        "highlight {:?} not inside snippet {:?}",
        snippet.highlight,
        snippet.text
    );
}

fn check_redacted(input: &[u8], finding: &Finding) {
    // Windows as integers: comparing byte slices calls `memcmp`, which
    // libFuzzer intercepts and traces, and that made this check cost ten
    // times the scan (100 runs a second instead of 1,000).
    let input_windows: Vec<u64> = windows(input).collect();
    let secret_windows: Vec<u64> = windows(SECRET.as_bytes())
        .filter(|w| !input_windows.contains(w))
        .collect();
    let texts = [
        Some(finding.matched.as_str()),
        Some(finding.message.as_str()),
        Some(finding.help.as_str()),
        Some(finding.snippet.text.as_str()),
        finding.key_id.as_deref(),
        finding
            .suppression
            .as_ref()
            .and_then(|s| s.justification.as_deref()),
    ];
    for text in texts.iter().flatten() {
        assert!(
            !windows(text.as_bytes()).any(|w| secret_windows.contains(&w)),
            "{} bytes of the planted secret printed by {}: {text:?}",
            WINDOW,
            finding.rule_id
        );
    }
}

/// Every `WINDOW` consecutive bytes of `bytes`, as one integer each.
fn windows(bytes: &[u8]) -> impl Iterator<Item = u64> + '_ {
    bytes
        .windows(WINDOW)
        .map(|w| u64::from_le_bytes(w.try_into().expect("WINDOW is 8 bytes")))
}
