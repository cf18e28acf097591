//! Baselines: `--write-baseline`, `--baseline`, stale entries and
//! `--update-baseline`, through the real binary over a tree that changes.

use std::fs;

use serde_json::Value;
use tempfile::TempDir;

use crate::support::{
    KEY_ID, OTHER_KEY_ID, SECRET, exit_code, katscan, key, other_key, planted_key, repo_root,
    scan_json, stdout_and_stderr, write,
};

const BASELINE: &str = ".katscan-baseline.toml";

/// `(path, line)` of the reported (not suppressed) findings.
fn reported(document: &Value) -> Vec<(String, u64)> {
    document["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["suppression"].is_null())
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn tree() -> TempDir {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "config/dev.env",
        format!("A=1\nKATALO_API_KEY={}\n", key()),
    );
    write(
        dir.path(),
        "tools/replay.py",
        format!("KEY = '{}'\n", other_key()),
    );
    dir
}

#[test]
fn baseline_workflow_from_write_to_prune() {
    let dir = tree();
    let root = dir.path();

    // Write: the findings are recorded and accepted.
    let (written, code) = scan_json(root, &["--write-baseline", BASELINE]);
    assert_eq!(code, 0);
    assert!(reported(&written).is_empty());
    assert_eq!(
        written["findings"][0]["suppression"]["justification"],
        format!("in baseline {BASELINE}")
    );
    assert_eq!(written["findings"][0]["suppression"]["kind"], "external");
    let text = fs::read_to_string(root.join(BASELINE)).unwrap();
    assert!(text.starts_with("# katscan baseline"), "{text}");
    assert!(
        !text.contains(SECRET),
        "the baseline holds a secret:\n{text}"
    );
    assert!(!text.contains(&key()));
    let entries: Vec<&str> = text.lines().filter(|l| l.starts_with("  {")).collect();
    assert_eq!(entries.len(), 2, "{text}");
    assert!(entries[0].contains("\"config/dev.env\""), "sorted by path");
    assert!(entries[1].contains("\"tools/replay.py\""));
    assert!(
        entries
            .iter()
            .all(|e| !e.contains("line") && !e.contains(KEY_ID)),
        "no line numbers, no key ids:\n{text}"
    );

    // Rescan: clean, both counted as suppressed.
    let (document, code) = scan_json(root, &["--baseline", BASELINE]);
    assert_eq!(code, 0);
    assert_eq!(document["summary"]["suppressed"], 2);
    assert_eq!(document["summary"]["baseline"]["matched"], 2);
    assert_eq!(document["summary"]["baseline"]["stale"], 0);

    // Lines move, other code changes: still clean.
    write(
        root,
        "config/dev.env",
        format!("# dev settings\nDEBUG=1\nA=2\n\nKATALO_API_KEY={}\n", key()),
    );
    let (document, code) = scan_json(root, &["--baseline", BASELINE]);
    assert_eq!(code, 0, "{document}");
    assert!(reported(&document).is_empty());

    // A new key is reported.
    let new_key = planted_key("Hq3LmN8pRt5W", "Wm2x-Pq7sK9_dL4vR8tY3nB6cF1gJ0hA");
    write(root, "src/client.py", format!("K = '{new_key}'\n"));
    let (document, code) = scan_json(root, &["--baseline", BASELINE]);
    assert_eq!(code, 1);
    assert_eq!(reported(&document), [("src/client.py".to_string(), 1)]);

    // A key is deleted: its entry is stale, a warning that does not fail.
    fs::remove_file(root.join("src/client.py")).unwrap();
    write(
        root,
        "tools/replay.py",
        "KEY = os.environ['KATALO_API_KEY']\n",
    );
    let output = katscan()
        .current_dir(root)
        .args(["scan", "--baseline", BASELINE])
        .output()
        .unwrap();
    assert_eq!(exit_code(&output), 0, "{}", stdout_and_stderr(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "warning: baseline .katscan-baseline.toml: stale entry KAT001 tools/replay.py"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("1 stale baseline entry"), "{stderr}");
    assert!(stderr.contains("--update-baseline"), "{stderr}");
    let (document, code) = scan_json(root, &["--baseline", BASELINE]);
    assert_eq!(code, 0);
    let baseline = &document["summary"]["baseline"];
    assert_eq!(baseline["stale"], 1);
    assert_eq!(baseline["stale_entries"][0]["path"], "tools/replay.py");
    assert_eq!(baseline["pruned"], false);

    // Prune: the stale entry goes, a new finding is not added.
    write(root, "src/client.py", format!("K = '{new_key}'\n"));
    let (document, code) = scan_json(root, &["--baseline", BASELINE, "--update-baseline"]);
    assert_eq!(code, 1, "the new key is still reported");
    assert_eq!(document["summary"]["baseline"]["pruned"], true);
    let text = fs::read_to_string(root.join(BASELINE)).unwrap();
    assert!(!text.contains("tools/replay.py"), "{text}");
    assert!(!text.contains("src/client.py"), "{text}");
    assert!(text.contains("config/dev.env"), "{text}");
    let (document, code) = scan_json(root, &["--baseline", BASELINE]);
    assert_eq!(code, 1);
    assert_eq!(document["summary"]["baseline"]["stale"], 0);
    assert_eq!(reported(&document), [("src/client.py".to_string(), 1)]);

    let schema_file = repo_root().join("docs/report-v1.schema.json");
    let schema: Value = serde_json::from_str(&fs::read_to_string(schema_file).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&document)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn identical_findings_in_one_file_are_counted() {
    let dir = TempDir::new().unwrap();
    let k = key();
    write(dir.path(), "keys.py", format!("A = '{k}'\nB = '{k}'\n"));
    let (_, code) = scan_json(dir.path(), &["--write-baseline", BASELINE]);
    assert_eq!(code, 0);
    let text = fs::read_to_string(dir.path().join(BASELINE)).unwrap();
    assert!(text.contains("count = 2"), "{text}");

    write(
        dir.path(),
        "keys.py",
        format!("A = '{k}'\nB = '{k}'\nC = '{k}'\n"),
    );
    let (document, code) = scan_json(dir.path(), &["--baseline", BASELINE]);
    assert_eq!(code, 1, "a third copy is new");
    assert_eq!(reported(&document).len(), 1);
    assert_eq!(document["summary"]["suppressed"], 2);
}

#[test]
fn scanning_some_paths_leaves_other_entries_alone() {
    let dir = tree();
    let (_, code) = scan_json(dir.path(), &["--write-baseline", BASELINE]);
    assert_eq!(code, 0);
    // How the pre-commit framework calls a hook: the changed files only.
    let (document, code) = scan_json(
        dir.path(),
        &[
            "tools/replay.py",
            "--baseline",
            BASELINE,
            "--update-baseline",
        ],
    );
    assert_eq!(code, 0);
    assert_eq!(document["summary"]["baseline"]["stale"], 0);
    let text = fs::read_to_string(dir.path().join(BASELINE)).unwrap();
    assert!(text.contains("config/dev.env"), "{text}");
}

#[test]
fn inline_suppressions_are_not_recorded_in_the_baseline() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "a.env",
        format!("K={} # katscan:allow\nL={}\n", key(), other_key()),
    );
    let (document, code) = scan_json(dir.path(), &["--write-baseline", BASELINE]);
    assert_eq!(code, 0);
    assert_eq!(document["findings"][0]["suppression"]["kind"], "in_source");
    assert_eq!(document["findings"][1]["suppression"]["kind"], "external");
    let text = fs::read_to_string(dir.path().join(BASELINE)).unwrap();
    assert_eq!(text.lines().filter(|l| l.starts_with("  {")).count(), 1);
    // The public ids are not in the file either: only hashes.
    assert!(!text.contains(KEY_ID) && !text.contains(OTHER_KEY_ID));
}

#[test]
fn a_missing_or_malformed_baseline_stops_with_status_2() {
    let dir = tree();
    let output = katscan()
        .current_dir(dir.path())
        .args(["scan", "--baseline", "nope.toml"])
        .output()
        .unwrap();
    assert_eq!(exit_code(&output), 2);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("error: cannot read baseline nope.toml"),
        "{stderr}"
    );

    write(
        dir.path(),
        "bad.toml",
        "version = 1\nfindings = [\n  { rule = \"KAT001\", path = \"a\", fingerprint = \"not-a-hash\" },\n]\n",
    );
    let output = katscan()
        .current_dir(dir.path())
        .args(["scan", "--baseline", "bad.toml"])
        .output()
        .unwrap();
    assert_eq!(exit_code(&output), 2);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("error: baseline bad.toml, line 3:") && stderr.contains("not-a-hash"),
        "{stderr}"
    );

    write(
        dir.path(),
        "broken.toml",
        "version = 1\nfindings = [\n  { rule = \n",
    );
    let output = katscan()
        .current_dir(dir.path())
        .args(["scan", "--baseline", "broken.toml"])
        .output()
        .unwrap();
    assert_eq!(exit_code(&output), 2);
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("baseline broken.toml, line "),
        "{}",
        stdout_and_stderr(&output)
    );
}

#[test]
fn update_baseline_needs_a_baseline() {
    let dir = tree();
    let output = katscan()
        .current_dir(dir.path())
        .args(["scan", "--update-baseline"])
        .output()
        .unwrap();
    assert_eq!(exit_code(&output), 2);
    let output = katscan()
        .current_dir(dir.path())
        .args(["scan", "--baseline", "a", "--write-baseline", "b"])
        .output()
        .unwrap();
    assert_eq!(exit_code(&output), 2);
}

#[test]
fn update_baseline_keeps_entries_of_files_not_scanned_and_rules_not_run() {
    let dir = tree();
    let root = dir.path();
    write(root, "api/settings.py", "CORS_ALLOW_ALL_ORIGINS = True\n");
    write(
        root,
        "legacy/old.env",
        format!("KATALO_API_KEY={}\n", key()),
    );
    let (_, code) = scan_json(root, &["--write-baseline", BASELINE]);
    assert_eq!(code, 0);
    let entries_before = fs::read_to_string(root.join(BASELINE)).unwrap();
    assert_eq!(
        entries_before
            .lines()
            .filter(|l| l.starts_with("  {"))
            .count(),
        4,
        "{entries_before}"
    );

    // Scans that did not look at some files or ran without a rule: none of
    // their entries is stale, none is pruned.
    write(root, ".katscanignore", "config/\n");
    write(
        root,
        ".katscan.toml",
        "exclude = [\"legacy/\"]\n[rules]\ndisable = [\"CORS001\"]\n",
    );
    let (document, code) = scan_json(
        root,
        &[
            "--exclude",
            "tools",
            "--baseline",
            BASELINE,
            "--update-baseline",
        ],
    );
    assert_eq!(code, 0, "{document}");
    assert_eq!(document["summary"]["baseline"]["stale"], 0, "{document}");
    assert_eq!(document["summary"]["baseline"]["pruned"], false);
    assert_eq!(
        fs::read_to_string(root.join(BASELINE)).unwrap(),
        entries_before
    );

    // So the next full scan still accepts all four.
    fs::remove_file(root.join(".katscanignore")).unwrap();
    fs::remove_file(root.join(".katscan.toml")).unwrap();
    let (document, code) = scan_json(root, &["--baseline", BASELINE]);
    assert_eq!(code, 0, "{document}");
    assert_eq!(document["summary"]["baseline"]["matched"], 4);

    // A deleted file is gone, wherever it was: its entry is stale and
    // pruned even when its directory is excluded now.
    fs::remove_dir_all(root.join("legacy")).unwrap();
    let (document, code) = scan_json(
        root,
        &[
            "--exclude",
            "legacy",
            "--baseline",
            BASELINE,
            "--update-baseline",
        ],
    );
    assert_eq!(code, 0, "{document}");
    assert_eq!(document["summary"]["baseline"]["stale"], 1, "{document}");
    assert_eq!(
        document["summary"]["baseline"]["stale_entries"][0]["path"],
        "legacy/old.env"
    );
    let text = fs::read_to_string(root.join(BASELINE)).unwrap();
    assert!(!text.contains("legacy/old.env"), "{text}");
    assert!(text.contains("tools/replay.py"), "{text}");
}
