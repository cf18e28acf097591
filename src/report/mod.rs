//! Reporters: one output format per file, all behind [`Reporter`].
//!
//! A reporter writes findings it is given to a writer it is given; it never
//! rescans, never decides the exit code and never sees a secret (findings
//! arrive already redacted).

mod github;
mod human;
mod json;
mod markdown;
mod sarif;
mod summary;

use std::io::{self, Write};
use std::time::Duration;

use crate::rules::RuleSet;
use crate::walk::ScanReport;

pub use github::GithubReporter;
pub use human::HumanReporter;
pub use json::{JSON_FORMAT_VERSION, JsonReporter};
pub use markdown::MarkdownReporter;
pub use sarif::SarifReporter;
pub use summary::write_summary;

/// What every reporter gets: the rules that ran and what they found.
#[derive(Debug, Clone, Copy)]
pub struct ReportInput<'a> {
    pub rules: &'a RuleSet,
    pub report: &'a ScanReport,
    pub elapsed: Duration,
}

/// One output format.
pub trait Reporter {
    fn write(&self, out: &mut dyn Write, input: &ReportInput<'_>) -> io::Result<()>;
}

/// Name and version that identify katscan in machine-readable output.
pub const TOOL_NAME: &str = env!("CARGO_PKG_NAME");
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");
/// Where a SARIF viewer links for more about the tool (Cargo `homepage`).
pub const TOOL_URI: &str = env!("CARGO_PKG_HOMEPAGE");

/// The two output promises as properties over every reporter, written
/// through the output gate as the CLI writes them: no 8-byte window of any
/// secret, whatever rules ran and wherever the key sits (content, file
/// name, next to another key); and no raw control character or forged
/// workflow command from a hostile name or content.
#[cfg(test)]
mod output_properties {
    use std::sync::OnceLock;
    use std::time::Duration;

    use proptest::prelude::*;

    use super::*;
    use crate::output::{Guarded, Policy};
    use crate::{Scanner, walk::ScanReport};

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
}
