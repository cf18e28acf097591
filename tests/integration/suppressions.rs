//! Inline suppressions: `katscan:allow`, `gitleaks:allow` and
//! `pragma: allowlist secret`, in every comment syntax, and how suppressed
//! findings show in each format and in the exit status.

use std::fs;
use std::path::PathBuf;

use serde_json::Value;
use tempfile::TempDir;

use crate::support::{
    OTHER_SECRET, SECRET, exit_code, katscan, key, other_key, repo_root, scan_json, schema_file,
    stdout_and_stderr, write,
};

type Locations = Vec<(String, u64)>;

/// `(path, line)` of findings, split into reported and suppressed.
fn split(document: &Value) -> (Locations, Locations) {
    let mut reported = Vec::new();
    let mut suppressed = Vec::new();
    for finding in document["findings"].as_array().unwrap() {
        let at = (
            finding["path"].as_str().unwrap().to_string(),
            finding["line"].as_u64().unwrap(),
        );
        if finding["suppression"].is_null() {
            reported.push(at);
        } else {
            suppressed.push(at);
        }
    }
    (reported, suppressed)
}

fn at(rows: &[(&str, u64)]) -> Vec<(String, u64)> {
    rows.iter().map(|(p, l)| (p.to_string(), *l)).collect()
}

#[test]
fn every_comment_syntax_covers_its_line_and_the_next_not_two_below() {
    let dir = TempDir::new().unwrap();
    let k = key();
    // Each file: a directive alone on line 1 covers the key on line 2; the
    // key on line 3, two lines below it, is reported.
    write(
        dir.path(),
        "src/server.js",
        format!("// katscan:allow\nconst a = '{k}';\nconst b = '{k}';\n"),
    );
    write(
        dir.path(),
        "settings.py",
        format!("# katscan:allow\nA = '{k}'\nB = '{k}'\n"),
    );
    write(
        dir.path(),
        "web.config",
        format!("<!-- katscan:allow -->\n<add value=\"{k}\"/>\n<add value=\"{k}\"/>\n"),
    );
    write(
        dir.path(),
        "main.go",
        format!("/* katscan:allow */\nvar a = \"{k}\"\nvar b = \"{k}\"\n"),
    );
    write(
        dir.path(),
        "seed.sql",
        format!("-- katscan:allow\nINSERT INTO k VALUES ('{k}');\nINSERT INTO k VALUES ('{k}');\n"),
    );
    // Same line, each syntax.
    write(
        dir.path(),
        "same.sql",
        format!(
            "SELECT '{k}'; -- katscan:allow\n\
             SELECT '{k}'; /* katscan:allow */\n\
             SELECT '{k}'; # katscan:allow\n\
             SELECT '{k}'; // katscan:allow\n\
             SELECT '{k}'; <!-- katscan:allow -->\n\
             SELECT '{k}';\n"
        ),
    );
    let (document, code) = scan_json(dir.path(), &[]);
    let (reported, suppressed) = split(&document);
    assert_eq!(
        reported,
        at(&[
            ("main.go", 3),
            ("same.sql", 6),
            ("seed.sql", 3),
            ("settings.py", 3),
            ("src/server.js", 3),
            ("web.config", 3),
        ])
    );
    assert_eq!(
        suppressed,
        at(&[
            ("main.go", 2),
            ("same.sql", 1),
            ("same.sql", 2),
            ("same.sql", 3),
            ("same.sql", 4),
            ("same.sql", 5),
            ("seed.sql", 2),
            ("settings.py", 2),
            ("src/server.js", 2),
            ("web.config", 2),
        ])
    );
    assert_eq!(code, 1);
    assert_eq!(document["summary"]["suppressed"], 10);
    assert_eq!(document["summary"]["findings"]["error"], 6);
}

#[test]
fn a_trailing_directive_does_not_reach_the_next_line() {
    let dir = TempDir::new().unwrap();
    let k = key();
    write(
        dir.path(),
        "keys.py",
        format!("A = '{k}'  # katscan:allow\nB = '{k}'\n"),
    );
    let (document, _) = scan_json(dir.path(), &[]);
    let (reported, suppressed) = split(&document);
    assert_eq!(reported, at(&[("keys.py", 2)]));
    assert_eq!(suppressed, at(&[("keys.py", 1)]));
}

#[test]
fn named_rules_suppress_only_those_rules_and_keep_the_reason() {
    let dir = TempDir::new().unwrap();
    let k = key();
    write(
        dir.path(),
        "app.py",
        format!(
            "A = '{k}'  # katscan:allow KAT001 -- rotated, kept for the replay test\n\
             B = '{k}'  # katscan:allow CORS001\n\
             C = '{k}'  # katscan:allow CORS001,KAT001\n\
             # katscan:allow CORS001 -- public read-only endpoint\n\
             r.headers['Access-Control-Allow-Origin'] = '*'\n\
             # katscan:allow KAT001\n\
             r.headers['Access-Control-Allow-Origin'] = '*'\n"
        ),
    );
    let (document, code) = scan_json(dir.path(), &[]);
    let findings = document["findings"].as_array().unwrap();
    let summary: Vec<(u64, &str, Option<&str>)> = findings
        .iter()
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["rule_id"].as_str().unwrap(),
                f["suppression"]["justification"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (1, "KAT001", Some("rotated, kept for the replay test")),
            (2, "KAT001", None),
            (3, "KAT001", None),
            (5, "CORS001", Some("public read-only endpoint")),
            (7, "CORS001", None),
        ]
    );
    let (reported, _) = split(&document);
    assert_eq!(reported, at(&[("app.py", 2), ("app.py", 7)]));
    assert_eq!(findings[2]["suppression"]["kind"], "in_source");
    assert_eq!(code, 1);
}

#[test]
fn gitleaks_and_detect_secrets_directives_are_honoured() {
    let dir = TempDir::new().unwrap();
    let k = key();
    write(
        dir.path(),
        "config.yaml",
        format!(
            "a: {k} # gitleaks:allow\n\
             b: {k} # pragma: allowlist secret\n\
             # pragma: allowlist nextline secret\n\
             c: {k}\n\
             # gitleaks:allow\n\
             d: {k}\n\
             e: {k} # pragma: no cover\n"
        ),
    );
    let (document, _) = scan_json(dir.path(), &[]);
    let (reported, suppressed) = split(&document);
    assert_eq!(reported, at(&[("config.yaml", 7)]));
    assert_eq!(
        suppressed,
        at(&[
            ("config.yaml", 1),
            ("config.yaml", 2),
            ("config.yaml", 4),
            ("config.yaml", 6)
        ])
    );
}

/// A tree whose only findings are suppressed, one with a reason that
/// quotes a key.
fn only_suppressed() -> TempDir {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        ".env",
        format!(
            "# katscan:allow -- revoked; was {}\nKATALO_API_KEY={}\n",
            other_key(),
            key()
        ),
    );
    dir
}

#[test]
fn only_suppressed_findings_exit_0_and_are_counted_not_shown() {
    let dir = only_suppressed();
    let output = katscan()
        .current_dir(dir.path())
        .arg("scan")
        .output()
        .unwrap();
    assert_eq!(exit_code(&output), 0, "{}", stdout_and_stderr(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("0 errors, 0 warnings, 0 notes (2 suppressed)"),
        "{stderr}"
    );
    assert!(!stderr.contains("KAT001(live-key)"), "{stderr}");

    let output = katscan()
        .current_dir(dir.path())
        .args(["scan", "--format", "github"])
        .output()
        .unwrap();
    assert_eq!(exit_code(&output), 0);
    assert!(output.stdout.is_empty(), "{}", stdout_and_stderr(&output));
}

#[test]
fn suppressed_findings_never_leak_a_secret_in_any_format() {
    let dir = only_suppressed();
    for format in ["human", "json", "sarif", "github"] {
        let output = katscan()
            .current_dir(dir.path())
            .args(["scan", "--format", format])
            .output()
            .unwrap();
        let everything = stdout_and_stderr(&output);
        for secret in [SECRET, OTHER_SECRET] {
            assert!(
                !everything.contains(secret),
                "{format} leaks:\n{everything}"
            );
        }
    }
    let (document, _) = scan_json(dir.path(), &[]);
    let reason = document["findings"][0]["suppression"]["justification"]
        .as_str()
        .unwrap();
    assert!(reason.starts_with("revoked; was kat_live_"), "{reason}");
}

#[test]
fn json_with_suppressions_matches_its_schema() {
    let schema_file = repo_root().join("docs/report-v1.schema.json");
    let schema: Value = serde_json::from_str(&fs::read_to_string(schema_file).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let (document, _) = scan_json(only_suppressed().path(), &[]);
    assert_eq!(document["summary"]["suppressed"], 2);
    assert_eq!(document["summary"]["findings"]["error"], 0);
    assert!(document["summary"]["baseline"].is_null());
    let errors: Vec<String> = validator
        .iter_errors(&document)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

fn sarif_schema() -> PathBuf {
    schema_file("sarif-schema-2.1.0.json")
}

#[test]
fn sarif_keeps_suppressed_results_with_their_suppression() {
    let dir = only_suppressed();
    write(dir.path(), "new.env", format!("K={}\n", key()));
    let output = katscan()
        .current_dir(dir.path())
        .args(["scan", "--format", "sarif"])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&output.stdout).unwrap();
    let schema: Value = serde_json::from_str(&fs::read_to_string(sarif_schema()).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));

    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    let suppressions: Vec<&Value> = results.iter().map(|r| &r["suppressions"]).collect();
    // .env line 1 (the key quoted in the reason) and line 2.
    for suppression in &suppressions[..2] {
        assert_eq!(suppression[0]["kind"], "inSource");
        let justification = suppression[0]["justification"].as_str().unwrap();
        assert!(justification.starts_with("revoked; was kat_live_"));
        assert!(!justification.contains(OTHER_SECRET));
    }
    assert!(suppressions[2].is_null(), "new.env is reported");
}

#[test]
fn on_a_minified_line_a_directive_does_not_reach_a_distant_key() {
    let dir = TempDir::new().unwrap();
    let filler = "var a=1;".repeat(20_000);
    write(
        dir.path(),
        "dist/app.min.js",
        format!(
            "/*! vendored lib: pragma: allowlist secret */{filler}fetch(u,{{k:'{}'}});",
            key()
        ),
    );
    let (document, code) = scan_json(dir.path(), &[]);
    let (reported, suppressed) = split(&document);
    assert_eq!(reported, at(&[("dist/app.min.js", 1)]));
    assert!(suppressed.is_empty());
    assert_eq!(code, 1);
}
