//! Turns `rules/**/*.toml` into data compiled into the binary, so that
//! start-up parses no TOML and checks no regex syntax: rule and detector
//! files are parsed here with the schema of `src/rules/spec.rs` (included
//! by path: one schema for built-in and custom rules), their patterns are
//! checked with the flags detectors use, and they are written out as
//! static Rust tables (`builtin_rule_data.rs`, read by
//! `src/rules/builtin.rs`). A file that does not parse or a pattern that
//! does not parse fails the build, naming the file.
//!
//! Parsing the rule TOML at every start took about 60% of an empty scan's
//! 50 ms (perf, 2 cores); the static tables cost nothing to load.
//!
//! The text of every rule file is embedded as well (`builtin_rules.rs`),
//! for the test that holds the tables to the files through the full
//! run-time validation. The client-file classification under
//! `rules/clients/` (a different schema) is embedded as text.
//!
//! The file lists are generated from the directory, so adding a file is the
//! whole registration: there is no hand-kept registry to drift.

// A build script talks to cargo on stdout; clippy.toml's ban on `println!`
// guards katscan's own output, not this.
#![allow(clippy::disallowed_macros)]

#[path = "src/rules/spec.rs"]
#[allow(dead_code)]
mod spec;

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use spec::{
    ConditionScope, ConditionSpec, DetectorFile, DetectorSpec, Example, FilterSpec, RuleSpec, Scope,
};

fn main() {
    let manifest_dir = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let rules_dir = Path::new(&manifest_dir).join("rules");
    println!("cargo::rerun-if-changed=src/rules/spec.rs");

    let clients_dir = rules_dir.join("clients");
    let mut files = Vec::new();
    collect_toml(&rules_dir, &mut files);
    files.sort();
    let (clients, rules): (Vec<PathBuf>, Vec<PathBuf>) = files
        .into_iter()
        .partition(|path| path.starts_with(&clients_dir));

    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    write_list(&rules_dir, &rules, &out_dir.join("builtin_rules.rs"));
    write_list(&rules_dir, &clients, &out_dir.join("builtin_clients.rs"));
    write_rule_data(&rules_dir, &rules, &out_dir.join("builtin_rule_data.rs"));
}

/// Writes `&[(name, include_str!(path)), ...]`.
fn write_list(rules_dir: &Path, files: &[PathBuf], out: &Path) {
    let mut generated = String::from("&[\n");
    for path in files {
        println!("cargo::rerun-if-changed={}", path.display());
        writeln!(
            generated,
            "    ({:?}, include_str!({:?})),",
            source_name(rules_dir, path),
            path.display().to_string()
        )
        .unwrap();
    }
    generated.push_str("]\n");
    fs::write(out, generated).expect("OUT_DIR is writable");
}

fn source_name(rules_dir: &Path, path: &Path) -> String {
    path.strip_prefix(rules_dir)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// Parses every rule file and writes `&[BuiltinFile { .. }, ...]`.
fn write_rule_data(rules_dir: &Path, files: &[PathBuf], out: &Path) {
    let mut generated = String::from("&[\n");
    for path in files {
        let name = source_name(rules_dir, path);
        let text = fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("rules/{name}: cannot be read: {e}"));
        let fail = |e: toml::de::Error| -> ! { panic!("rules/{name}: not a valid rule file: {e}") };
        let table: toml::Table = toml::from_str(&text).unwrap_or_else(|e| fail(e));
        let (rule, detectors) = if table.contains_key("id") {
            let mut spec: RuleSpec = toml::from_str(&text).unwrap_or_else(|e| fail(e));
            let detectors = std::mem::take(&mut spec.detectors);
            (Some(spec), detectors)
        } else {
            let file: DetectorFile = toml::from_str(&text).unwrap_or_else(|e| fail(e));
            (None, file.detectors)
        };
        for detector in &detectors {
            check_patterns(&name, detector);
        }
        write!(generated, "BuiltinFile {{ name: {name:?}, rule: ").unwrap();
        match &rule {
            Some(rule) => emit_rule(&mut generated, rule),
            None => generated.push_str("None"),
        }
        generated.push_str(", detectors: &[\n");
        for detector in &detectors {
            emit_detector(&mut generated, detector);
        }
        generated.push_str("] },\n");
    }
    generated.push_str("]\n");
    fs::write(out, generated).expect("OUT_DIR is writable");
}

/// Fails the build on a pattern that does not parse with the flags
/// detectors compile with (`src/rules/detector.rs`, `validate_regex`).
fn check_patterns(source_name: &str, detector: &DetectorSpec) {
    let conditions = detector.requires.iter().chain(&detector.unless);
    for pattern in std::iter::once(&detector.pattern).chain(conditions.map(|c| &c.pattern)) {
        // A condition's `{finding}` stands for the reported text, escaped
        // (`src/rules/detector.rs`): any literal checks the rest.
        let pattern = pattern.replace("{finding}", "x");
        let parsed = regex_syntax::ParserBuilder::new()
            .unicode(false)
            .utf8(false)
            .build()
            .parse(&pattern);
        if let Err(error) = parsed {
            panic!("rules/{source_name}: invalid pattern: {error}");
        }
    }
}

fn emit_rule(out: &mut String, rule: &RuleSpec) {
    write!(
        out,
        "Some(BuiltinRule {{ id: {:?}, name: {:?}, level: Level::{:?}, summary: {:?}, \
         help: {:?}, description: {:?}, replaces: &{:?}, gate: &{:?}, cwe: &{:?}, \
         security_severity: {:?}, precision: Precision::{:?}, tags: &{:?} }})",
        rule.id,
        rule.name,
        rule.level,
        rule.summary,
        rule.help,
        rule.description,
        rule.replaces,
        rule.gate,
        rule.cwe,
        rule.security_severity,
        rule.precision,
        rule.tags,
    )
    .unwrap();
}

fn emit_detector(out: &mut String, detector: &DetectorSpec) {
    let scope = match detector.scope {
        Scope::Any => "Scope::Any",
        Scope::Client => "Scope::Client",
    };
    write!(
        out,
        "  BuiltinDetector {{ rule: {:?}, framework: {:?}, keywords: &{:?}, \
         keywords_ignore_case: {}, paths: &{:?}, scope: {scope}, pattern: {:?}, ",
        detector.rule,
        detector.framework,
        detector.keywords,
        detector.keywords_ignore_case,
        detector.paths,
        detector.pattern,
    )
    .unwrap();
    emit_conditions(out, "requires", &detector.requires);
    emit_conditions(out, "unless", &detector.unless);
    write!(
        out,
        "skip_comments: {}, message: {:?}, help: {:?}, ",
        detector.skip_comments, detector.message, detector.help
    )
    .unwrap();
    emit_examples(out, "examples", &detector.examples);
    emit_examples(out, "negative_examples", &detector.negative_examples);
    match &detector.filter {
        Some(FilterSpec {
            min_saved_bits,
            placeholder_words,
        }) => writeln!(
            out,
            "filter: Some(BuiltinFilter {{ min_saved_bits: {min_saved_bits:?}, \
             placeholder_words: &{placeholder_words:?} }}) }},"
        )
        .unwrap(),
        None => out.push_str("filter: None },\n"),
    }
}

fn emit_conditions(out: &mut String, field: &str, conditions: &[ConditionSpec]) {
    write!(out, "{field}: &[").unwrap();
    for condition in conditions {
        write!(
            out,
            "BuiltinCondition {{ pattern: {:?}, within_lines: {:?}, scope: {} }}, ",
            condition.pattern,
            condition.within_lines,
            match condition.scope {
                ConditionScope::Window => "ConditionScope::Window",
                ConditionScope::Block => "ConditionScope::Block",
            }
        )
        .unwrap();
    }
    out.push_str("], ");
}

fn emit_examples(out: &mut String, field: &str, examples: &[Example]) {
    write!(out, "{field}: &[").unwrap();
    for example in examples {
        let path = match example {
            Example::Text(_) => None,
            Example::InFile { path, .. } => Some(path),
        };
        write!(
            out,
            "BuiltinExample {{ path: {path:?}, text: {:?} }}, ",
            example.text()
        )
        .unwrap();
    }
    out.push_str("], ");
}

fn collect_toml(dir: &Path, files: &mut Vec<PathBuf>) {
    println!("cargo::rerun-if-changed={}", dir.display());
    for entry in fs::read_dir(dir).expect("rules/ directory is readable") {
        let path = entry.expect("rules/ entry is readable").path();
        if path.is_dir() {
            collect_toml(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "toml") {
            files.push(path);
        }
    }
}
