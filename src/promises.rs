//! katscan's three security promises, each as a property over random
//! input (issue 9), in one place so that none is forgotten when a feature
//! is added:
//!
//! - **never print a secret**: no 8-byte window of a secret in any format,
//!   written through the output gate as the CLI writes it, whatever rules
//!   ran and wherever the key sits (content, file name, next to another
//!   key);
//! - **never let input become a command**: no raw control character or
//!   forged workflow command from a hostile name or content, in any format;
//! - **never lose a finding**: every key planted in a tree is reported, in
//!   its own file, however the files are named (raw, non-UTF-8 names that
//!   show the same) and however keys are packed (back to back, CRLF, BOM).

use std::sync::OnceLock;
use std::time::Duration;

use proptest::prelude::*;

use crate::output::{Guarded, Policy};
use crate::report::{
    GithubReporter, HumanReporter, JsonReporter, MarkdownReporter, ReportInput, Reporter,
    SarifReporter,
};
use crate::walk::{self, ScanReport, WalkOptions};
use crate::{RuleSet, Scanner};

fn reporters() -> Vec<(&'static str, Box<dyn Reporter>)> {
    vec![
        ("human", Box::new(HumanReporter::default())),
        ("json", Box::new(JsonReporter)),
        ("sarif", Box::new(SarifReporter)),
        ("github", Box::new(GithubReporter)),
        ("markdown", Box::new(MarkdownReporter)),
    ]
}

/// Every format's output for `files`, each written through the gate.
fn outputs(rules: &RuleSet, files: &[(String, String)]) -> Vec<(&'static str, String)> {
    let scanner = Scanner::new(rules, true);
    let mut report = ScanReport::default();
    for (path, content) in files {
        report.files_scanned += 1;
        report
            .findings
            .extend(scanner.scan(path, content.as_bytes()));
    }
    report.sort();
    let input = ReportInput {
        rules,
        report: &report,
        elapsed: Duration::ZERO,
        version_control: None,
    };
    reporters()
        .into_iter()
        .map(|(name, reporter)| {
            let mut bytes = Vec::new();
            let policy = Policy {
                workflow_commands: name == "github",
                ..Policy::STRICT
            };
            let mut out = Guarded::new(&mut bytes, policy);
            reporter.write(&mut out, &input).unwrap();
            out.finish().unwrap();
            drop(out);
            (name, String::from_utf8_lossy(&bytes).into_owned())
        })
        .collect()
}

/// Built once per variant: compiling the rules is most of a case's cost.
fn rules_without(disable_key_rules: bool) -> &'static RuleSet {
    static ALL: OnceLock<RuleSet> = OnceLock::new();
    static NO_KEY_RULES: OnceLock<RuleSet> = OnceLock::new();
    let (cell, disabled): (_, &[&str]) = if disable_key_rules {
        (&NO_KEY_RULES, &["KAT001", "KAT002"])
    } else {
        (&ALL, &[])
    };
    cell.get_or_init(|| {
        let mut rules = RuleSet::builtin().unwrap();
        for id in disabled {
            rules.disable(id);
        }
        rules
    })
}

fn token(id: &str, secret: &str) -> String {
    // Assembled at run time: this file holds no key literal.
    format!("kat_live_{id}.{secret}")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn no_format_leaks_a_window_of_a_secret(
        id in "[A-Za-z0-9]{1,80}",
        secret in "[A-Za-z0-9_-]{8,150}",
        next_secret in "[A-Za-z0-9_-]{8,40}",
        disable_key_rules in any::<bool>(),
        template in 0usize..6,
    ) {
        let key = token(&id, &secret);
        let next = token("Ab3dE9zq", &next_secret);
        let content = match template {
            0 => format!("app.use(cors({{ origin: \"*\" }})); const k = \"{key}\";\n"),
            1 => format!("VITE_KATALO_API_KEY={key}\n"),
            2 => format!("k={key}{next}\n"),
            // katscan:allow CORS003 -- a test input for the output gate, not a policy
            3 => format!("let c = CorsLayer::very_permissive(); // {key}\n"),
            // A long line: the CORS snippet's crop starts inside the key.
            4 => format!("const k = \"{key}\"; app.use(cors({{ origin: \"*\" }}));{}\n", " ".repeat(200)),
            _ => format!("{}{key}\nAccess-Control-Allow-Origin: *\n", "x".repeat(300)),
        };
        let rules = rules_without(disable_key_rules);
        let files = vec![
            ("src/server.js".to_string(), content.clone()),
            (".env".to_string(), content),
            // A key in a file name is printed as the path.
            (format!("dist/{key}.js"), "res.setHeader('Access-Control-Allow-Origin', '*')\n".to_string()),
        ];
        for (format, text) in outputs(rules, &files) {
            for secret in [&secret, &next_secret] {
                for window in secret.as_bytes().windows(8) {
                    let window = std::str::from_utf8(window).unwrap();
                    prop_assert!(!text.contains(window), "{} shows `{}`:\n{}", format, window, text);
                }
            }
        }
    }

    #[test]
    fn hostile_names_and_contents_stay_inert(
        name in "[a-z]{0,4}(\n|\r|\u{1b}\\[2J|\u{7}|::error::x|%0A|\u{202e}|\u{9b}|:){1,4}[a-z]{0,4}",
        noise in "(\n|\r|\u{1b}\\]0;t\u{7}|::warning::y|%0A|\u{2066}| ){0,6}",
    ) {
        let rules = rules_without(false);
        let content = format!("app.use(cors()) // {noise}\nconst k = \"{}\"; {noise}\n", token("T0rtUr3x", "Qm8Zp2Lx7Vc4Rb9Nt1Hs6Jd3Fg5Wk0Ya"));
        let files = vec![(format!("{name}.js"), content)];
        for (format, text) in outputs(rules, &files) {
            for c in text.chars() {
                let bidi = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
                let raw_control = c.is_control() && c != '\n' && c != '\t';
                prop_assert!(!raw_control && !bidi, "{} carries {:?}:\n{}", format, c, text);
            }
            for line in text.lines() {
                let command = line.trim_start().starts_with("::");
                let own = format == "github"
                    && (line.starts_with("::error file=") || line.starts_with("::warning file="));
                prop_assert!(!command || own, "{} forges {:?}", format, line);
            }
        }
    }
}

/// A random-looking id of `len` characters from a seed (ids must differ).
fn id_from(seed: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut state = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(0xA24B_AED4);
    (0..12)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ALPHABET[state % ALPHABET.len()] as char
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn every_planted_key_is_reported_in_its_own_file(
        files in proptest::collection::vec(
            (
                // Name bytes: ASCII letters plus bytes that are not UTF-8,
                // so different names can show the same (`a\xff`, `a\xfe`).
                proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(0xFFu8), Just(0xFEu8)], 1..4),
                0usize..4,        // keys in the file
                any::<bool>(),    // back to back or on lines of their own
                any::<bool>(),    // CRLF
                any::<bool>(),    // UTF-8 BOM
            ),
            1..6,
        ),
    ) {
        let dir = tempfile::TempDir::new().unwrap();
        let mut planted = Vec::new();
        let mut names_used = std::collections::HashSet::new();
        // Each file gets a twin whose name differs only in bytes that are
        // not UTF-8 (so both show the same) with keys at the same offsets.
        let twins = files.into_iter().flat_map(|(name, keys, packed, crlf, bom)| {
            let twin: Vec<u8> = name
                .iter()
                .map(|&b| match b {
                    0xFF => 0xFE,
                    0xFE => 0xFF,
                    b => b,
                })
                .collect();
            [(name, keys, packed, crlf, bom), (twin, keys, packed, crlf, bom)]
        });
        for (index, (name, keys, packed, crlf, bom)) in twins.enumerate() {
            let mut name = name;
            name.extend_from_slice(b".env");
            if !names_used.insert(name.clone()) {
                continue;
            }
            let newline = if crlf { "\r\n" } else { "\n" };
            let mut content = if bom { "\u{FEFF}".to_string() } else { String::new() };
            content.push_str(&format!("# config{newline}"));
            for k in 0..keys {
                let id = id_from(index * 16 + k);
                let key = format!("kat_live_{id}.Qm8Zp2Lx7Vc4Rb9Nt1Hs6Jd3Fg5Wk{k}Ya");
                if packed {
                    content.push_str(&key);
                } else {
                    content.push_str(&format!("K{k}={key}{newline}"));
                }
                planted.push(id);
            }
            content.push_str(newline);
            write_named(dir.path(), &name, content.as_bytes());
        }
        let rules = RuleSet::builtin().unwrap();
        let scanner = Scanner::new(&rules, true);
        let options = WalkOptions {
            paths: vec![dir.path().to_path_buf()],
            ..WalkOptions::default()
        };
        let report = walk::scan(&scanner, &options).unwrap();
        let mut found: Vec<String> = report
            .findings
            .iter()
            .filter(|f| f.rule_id == "KAT001")
            .filter_map(|f| f.key_id.clone())
            .collect();
        found.sort();
        planted.sort();
        prop_assert_eq!(found, planted);
    }
}

#[cfg(unix)]
fn write_named(dir: &std::path::Path, name: &[u8], content: &[u8]) {
    use std::os::unix::ffi::OsStrExt;
    std::fs::write(dir.join(std::ffi::OsStr::from_bytes(name)), content).unwrap();
}

#[cfg(not(unix))]
fn write_named(dir: &std::path::Path, name: &[u8], content: &[u8]) {
    std::fs::write(dir.join(String::from_utf8_lossy(name).as_ref()), content).unwrap();
}
