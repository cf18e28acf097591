//! The four output formats, redaction across all of them, `--output`,
//! `--fail-on`, ordering and fingerprints.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tempfile::TempDir;

use crate::support::{
    KEY_ID, OTHER_KEY_ID, OTHER_SECRET, SECRET, exit_code, katscan, key, other_key, repo_root,
    scan_json, schema_file, stdout_and_stderr,
};

/// A small tree with two keys on one line (so masking must cover both)
/// and one in a nested file.
fn tree_with_keys() -> TempDir {
    let dir = TempDir::new().unwrap();
    fs::write(
        dir.path().join(".env"),
        format!("A=1\nKATALO_API_KEY={}\n", key()),
    )
    .unwrap();
    fs::create_dir(dir.path().join("src")).unwrap();
    fs::write(
        dir.path().join("src/keys.js"),
        format!("const keys = ['{}', '{}'];\n", key(), other_key()),
    )
    .unwrap();
    dir
}

const FORMATS: [&str; 4] = ["human", "json", "sarif", "github"];

#[test]
fn no_format_ever_prints_a_secret() {
    let dir = tree_with_keys();
    for format in FORMATS {
        let output = katscan()
            .current_dir(dir.path())
            .args(["scan", "--format", format])
            .output()
            .unwrap();
        assert_eq!(exit_code(&output), 1, "{format}");
        let everything = stdout_and_stderr(&output);
        for secret in [SECRET, OTHER_SECRET] {
            assert!(
                !everything.contains(secret),
                "{format} output leaks a secret:\n{everything}"
            );
        }
        // The public id names the key to revoke, so it is shown.
        assert!(
            everything.contains(KEY_ID),
            "{format} output lacks the key id"
        );
        assert!(
            everything.contains(OTHER_KEY_ID),
            "{format} output lacks the key id"
        );

        // Same through --output FILE.
        let report = dir.path().join(format!("report.{format}"));
        let output = katscan()
            .current_dir(dir.path())
            .args(["scan", "src", ".env", "--format", format, "--output"])
            .arg(&report)
            .output()
            .unwrap();
        let written = fs::read_to_string(&report).unwrap();
        assert!(
            written.contains(KEY_ID),
            "{format} report file is empty:\n{written}"
        );
        for secret in [SECRET, OTHER_SECRET] {
            assert!(
                !written.contains(secret),
                "{format} report file leaks a secret"
            );
            assert!(!stdout_and_stderr(&output).contains(secret));
        }
        fs::remove_file(report).unwrap();
    }
}

#[test]
fn no_redact_shows_the_secret_when_asked() {
    let dir = tree_with_keys();
    let (document, _) = scan_json(dir.path(), &["--no-redact"]);
    assert_eq!(document["findings"][0]["match"], key());
}

#[test]
fn json_document_is_versioned_and_complete() {
    let dir = tree_with_keys();
    let (document, code) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(document["version"], 1);
    assert_eq!(document["tool"]["name"], "katscan");
    let findings = document["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 3);
    let first = &findings[0];
    for field in [
        "rule_id",
        "rule_name",
        "level",
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "key_id",
        "match",
        "message",
        "help",
        "fingerprint",
    ] {
        assert!(!first[field].is_null(), "finding lacks `{field}`: {first}");
    }
    assert_eq!(
        first["match"],
        format!("kat_live_{KEY_ID}.{}", "*".repeat(SECRET.len()))
    );
    assert!(
        first["help"]
            .as_str()
            .unwrap()
            .contains(&format!("Revoke key `{KEY_ID}`"))
    );
    assert!(
        first["help"]
            .as_str()
            .unwrap()
            .contains("https://app.katalo.ai/en/organization/api")
    );
    let summary = &document["summary"];
    assert_eq!(summary["files_scanned"], 2);
    assert_eq!(summary["complete"], true);
    assert_eq!(summary["findings"]["error"], 3);
    assert_eq!(summary["findings"]["warning"], 0);
}

#[test]
fn json_document_matches_its_published_schema() {
    let schema_file = repo_root().join("docs/report-v1.schema.json");
    let schema: Value = serde_json::from_str(&fs::read_to_string(schema_file).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the report schema compiles");
    let dir = tree_with_keys();
    fs::write(dir.path().join("blob.bin"), b"\0\0\0").unwrap();
    for document in [
        scan_json(dir.path(), &[]).0,
        scan_json(&repo_root().join("fixtures/docs-site"), &[]).0,
    ] {
        let errors: Vec<String> = validator
            .iter_errors(&document)
            .map(|e| e.to_string())
            .collect();
        assert!(
            errors.is_empty(),
            "JSON report breaks its schema:\n{}",
            errors.join("\n")
        );
    }
}

#[test]
fn output_is_sorted_by_path_line_column() {
    let dir = tree_with_keys();
    let (document, _) = scan_json(dir.path(), &["--threads", "4"]);
    let order: Vec<(String, u64, u64)> = document["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().into(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        order,
        vec![
            (".env".into(), 2, 16),
            ("src/keys.js".into(), 1, 16),
            ("src/keys.js".into(), 1, 74)
        ]
    );
}

#[test]
fn fingerprints_survive_moved_lines_and_tell_keys_apart() {
    let dir = tree_with_keys();
    let (before, _) = scan_json(dir.path(), &[]);
    fs::write(
        dir.path().join(".env"),
        format!("# moved down\nB=2\nA=1\nKATALO_API_KEY={}\n", key()),
    )
    .unwrap();
    let (after, _) = scan_json(dir.path(), &[]);
    assert_eq!(after["findings"][0]["line"], 4);
    assert_eq!(
        before["findings"][0]["fingerprint"],
        after["findings"][0]["fingerprint"]
    );
    // Two keys on one line get two fingerprints.
    assert_ne!(
        after["findings"][1]["fingerprint"],
        after["findings"][2]["fingerprint"]
    );
}

#[test]
fn fail_on_sets_the_exit_status() {
    let dir = tree_with_keys();
    for (fail_on, code) in [("error", 1), ("warning", 1), ("note", 1), ("never", 0)] {
        let (_, actual) = scan_json(dir.path(), &["--fail-on", fail_on]);
        assert_eq!(actual, code, "--fail-on {fail_on}");
    }
    let clean = TempDir::new().unwrap();
    fs::write(clean.path().join("a.txt"), "nothing here").unwrap();
    let (_, code) = scan_json(clean.path(), &[]);
    assert_eq!(code, 0);
}

#[test]
fn github_annotations_use_workflow_commands_with_escaping() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("odd,name.env"), format!("K={}\n", key())).unwrap();
    let output = katscan()
        .current_dir(dir.path())
        .args(["scan", "--format", "github"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let line = stdout.lines().next().unwrap();
    let key_len = key().chars().count();
    let prefix = format!(
        "::error file=odd%2Cname.env,line=1,col=3,endLine=1,endColumn={},title=KAT001 live-key::",
        2 + key_len
    );
    assert!(line.starts_with(&prefix), "{line}");
    // One command per finding: the multi-line help is escaped, not split.
    assert_eq!(stdout.lines().count(), 1);
    assert!(line.contains("%0A"));
}

fn schema_path() -> PathBuf {
    schema_file("sarif-schema-2.1.0.json")
}

fn sarif_of(dir: &Path) -> Value {
    let output = katscan()
        .current_dir(dir)
        .args(["scan", "--format", "sarif"])
        .output()
        .unwrap();
    serde_json::from_slice(&output.stdout).expect("SARIF output is JSON")
}

#[test]
fn sarif_validates_against_the_2_1_0_schema() {
    let schema_file = schema_path();
    let schema: Value =
        serde_json::from_str(&fs::read_to_string(&schema_file).unwrap_or_else(|e| {
            panic!(
                "SARIF schema {} not readable ({e}); set KATSCAN_SCHEMAS_DIR",
                schema_file.display()
            )
        }))
        .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");

    let dir = tree_with_keys();
    let sarif = sarif_of(dir.path());
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF is invalid:\n{}",
        errors.join("\n")
    );

    // A clean scan is valid SARIF too (empty results, rules still listed).
    let clean = TempDir::new().unwrap();
    let sarif = sarif_of(clean.path());
    assert!(validator.is_valid(&sarif));
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 0);
}

#[test]
fn sarif_carries_what_github_code_scanning_reads() {
    let dir = tree_with_keys();
    let sarif = sarif_of(dir.path());
    assert_eq!(sarif["version"], "2.1.0");
    assert!(sarif["$schema"].as_str().unwrap().contains("sarif"));
    let run = &sarif["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "katscan");
    assert!(
        driver["informationUri"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    let rules = driver["rules"].as_array().unwrap();
    let kat001_index = rules.iter().position(|r| r["id"] == "KAT001").unwrap();
    let rule = &rules[kat001_index];
    assert_eq!(rule["name"], "live-key");
    assert_eq!(rule["defaultConfiguration"]["level"], "error");
    assert!(
        rule["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("How to fix")
    );
    let tags: Vec<&str> = rule["properties"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(
        tags.contains(&"security") && tags.contains(&"external/cwe/cwe-798"),
        "{tags:?}"
    );
    assert_eq!(rule["properties"]["precision"], "very-high");
    assert_eq!(rule["properties"]["security-severity"], "9.1");

    let result = &run["results"][0];
    assert_eq!(result["ruleId"], "KAT001");
    assert_eq!(result["ruleIndex"], kat001_index);
    assert_eq!(result["level"], "error");
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], ".env");
    assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(location["region"]["startLine"], 2);
    assert_eq!(location["region"]["startColumn"], 16);
    assert_eq!(location["region"]["endColumn"], 16 + key().len() as u64);
    assert_eq!(
        result["partialFingerprints"]["katscan/v1"]
            .as_str()
            .unwrap()
            .len(),
        32,
        "{result}"
    );
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    assert!(run["originalUriBaseIds"]["%SRCROOT%"].is_object(), "{run}");
}

/// What GitHub code scanning keys alerts by: `primaryLocationLineHash`,
/// from katscan's fingerprint. Two keys on one line (and the same key
/// twice) are distinct alerts; moving lines keeps every identity.
#[test]
fn sarif_line_hashes_are_distinct_per_finding_and_survive_moved_lines() {
    let dir = TempDir::new().unwrap();
    let line = format!(
        "var a=\"{}\",b=\"{}\",c=\"{}\";\n",
        key(),
        other_key(),
        key()
    );
    fs::write(dir.path().join("bundle.txt"), &line).unwrap();
    let hashes = |dir: &Path| -> Vec<String> {
        sarif_of(dir)["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["partialFingerprints"]["primaryLocationLineHash"]
                    .as_str()
                    .expect("every result has a line hash")
                    .to_string()
            })
            .collect()
    };
    let before = hashes(dir.path());
    assert_eq!(before.len(), 3);
    let unique: std::collections::HashSet<&String> = before.iter().collect();
    assert_eq!(unique.len(), 3, "{before:?}");
    fs::write(
        dir.path().join("bundle.txt"),
        format!("// a header\n\n\n{line}"),
    )
    .unwrap();
    assert_eq!(hashes(dir.path()), before);
}

/// `--quiet` drops the closing summary (and any progress line), not the
/// report; without a terminal no progress line is ever drawn.
#[test]
fn quiet_keeps_the_report_and_drops_the_summary() {
    let dir = tree_with_keys();
    let loud = katscan()
        .current_dir(dir.path())
        .args(["scan", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&loud.stderr);
    assert!(stderr.contains("katscan: 3 errors"), "{stderr}");
    assert!(
        !stderr.contains('\r'),
        "no progress line without a terminal"
    );
    let quiet = katscan()
        .current_dir(dir.path())
        .args(["scan", "--format", "json", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(exit_code(&quiet), 1);
    assert_eq!(String::from_utf8_lossy(&quiet.stderr), "");
    let findings =
        |stdout: &[u8]| serde_json::from_slice::<Value>(stdout).unwrap()["findings"].clone();
    assert_eq!(findings(&quiet.stdout), findings(&loud.stdout));
}
