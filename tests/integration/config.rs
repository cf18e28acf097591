//! `.katscan.toml` through the binary: where it is found, what each setting
//! changes, how mistakes are reported (exit 2, file and line), and
//! `katscan init`.

use std::fs;
use std::path::Path;
use std::process::Output;

use tempfile::TempDir;

use crate::support::{
    exit_code, expected, katscan, key, locations, scan_json, suppressed_locations, write,
};

const CONFIG: &str = ".katscan.toml";
/// A CORS001 (warning) finding in an nginx config.
const WILDCARD_CORS: &str = "location / {\n  add_header Access-Control-Allow-Origin *;\n}\n";

const CUSTOM_RULE: &str = r#"
[[rule]]
id = "ACME001"
name = "acme-token"
level = "error"
summary = "ACME token in the repository"
help = "Rotate the token and read it from the environment."
description = "ACME tokens grant access to internal services."
precision = "high"

[[rule.detector]]
message = "ACME token committed in this file"
keywords = ["acme_tok_"]
pattern = 'acme_tok_[A-Za-z0-9]{24}'
examples = ['T = "acme_tok_Q2v9Lk3mXp8Rt7Wz1Yc4Bn6D"']
negative_examples = ['T = env("ACME_TOKEN")']
"#;

/// A project with a key in `src/`, one in `vendor/` and a wildcard CORS
/// header in `nginx.conf`.
fn project() -> TempDir {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "src/app.js",
        format!("const k = '{}';\n", key()),
    );
    write(
        dir.path(),
        "vendor/lib.js",
        format!("\n\nvar k = '{}';\n", key()),
    );
    write(dir.path(), "nginx.conf", WILDCARD_CORS);
    dir
}

const ALL_FINDINGS: &[(&str, u64, &str)] = &[
    ("nginx.conf", 2, "CORS001"),
    ("src/app.js", 1, "KAT001"),
    ("vendor/lib.js", 3, "KAT001"),
];

fn run_scan(dir: &Path, args: &[&str]) -> Output {
    katscan()
        .current_dir(dir)
        .args(["scan", "--format", "json"])
        .args(args)
        .output()
        .unwrap()
}

/// A rejected config: exit 2, nothing on stdout, and stderr that names the
/// file and line and contains `label`.
fn assert_rejected(dir: &Path, config: &str, line: usize, label: &str) {
    write(dir, CONFIG, config);
    let output = run_scan(dir, &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(exit_code(&output), 2, "stderr: {stderr}");
    assert!(output.stdout.is_empty(), "no report for a bad config");
    assert!(
        stderr.contains(&format!("{CONFIG}:{line}:")),
        "stderr names {CONFIG}:{line}: {stderr}"
    );
    assert!(stderr.contains(label), "stderr says `{label}`: {stderr}");
}

#[test]
fn config_at_the_scan_root_is_used() {
    let dir = project();
    write(dir.path(), CONFIG, "exclude = [\"vendor/\"]\n");
    let (document, code) = scan_json(dir.path(), &[]);
    assert_eq!(
        locations(&document),
        expected(&[("nginx.conf", 2, "CORS001"), ("src/app.js", 1, "KAT001")])
    );
    assert_eq!(code, 1);

    // Scanning the project from outside finds the same file, and its
    // globs stay relative to the project.
    let (document, _) = scan_json(
        dir.path().parent().unwrap(),
        &[dir.path().to_str().unwrap()],
    );
    assert_eq!(locations(&document).len(), 2, "{document}");
}

#[test]
fn config_at_the_git_top_level_is_used_from_a_subdirectory() {
    let dir = project();
    fs::create_dir(dir.path().join(".git")).unwrap();
    write(dir.path(), CONFIG, "exclude = [\"/vendor/lib.js\"]\n");
    write(dir.path(), "vendor/other.js", format!("k = '{}';\n", key()));
    let (document, _) = scan_json(&dir.path().join("vendor"), &[]);
    assert_eq!(
        locations(&document),
        expected(&[("other.js", 1, "KAT001")]),
        "the top-level exclude applies to paths seen from vendor/"
    );

    let output = katscan()
        .current_dir(dir.path().join("src"))
        .args(["scan", "--verbose", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("using config") && stderr.contains(CONFIG),
        "verbose names the config: {stderr}"
    );
}

#[test]
fn explicit_config_wins_and_no_config_ignores_all() {
    let dir = project();
    write(dir.path(), CONFIG, "exclude = [\"vendor/\"]\n");
    write(dir.path(), "ci/katscan.toml", "exclude = [\"/src/\"]\n");
    let (document, _) = scan_json(dir.path(), &["--config", "ci/katscan.toml"]);
    // `/src/` is relative to ci/, so nothing is excluded.
    assert_eq!(locations(&document), expected(ALL_FINDINGS));

    write(
        dir.path(),
        "ci/katscan.toml",
        "exclude = [\"../src/\", \"nginx.conf\"]\n",
    );
    write(
        dir.path(),
        "other.toml",
        "exclude = [\"src/\", \"nginx.conf\"]\n",
    );
    let output = katscan()
        .current_dir(dir.path())
        .env("KATSCAN_CONFIG", "other.toml")
        .args(["scan", "--format", "json"])
        .output()
        .unwrap();
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        locations(&document),
        expected(&[("vendor/lib.js", 3, "KAT001")]),
        "KATSCAN_CONFIG is used instead of the discovered file"
    );

    let output = katscan()
        .current_dir(dir.path())
        .env("KATSCAN_CONFIG", "other.toml")
        .args(["scan", "--format", "json", "--no-config"])
        .output()
        .unwrap();
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(locations(&document), expected(ALL_FINDINGS));
}

#[test]
fn a_missing_explicit_config_is_an_error() {
    let dir = project();
    let output = run_scan(dir.path(), &["--config", "nope.toml"]);
    assert_eq!(exit_code(&output), 2);
    assert!(String::from_utf8_lossy(&output.stderr).contains("nope.toml"));

    let output = katscan()
        .current_dir(dir.path())
        .env("KATSCAN_CONFIG", "missing.toml")
        .args(["scan"])
        .output()
        .unwrap();
    assert_eq!(exit_code(&output), 2);
    assert!(String::from_utf8_lossy(&output.stderr).contains("missing.toml"));
}

#[test]
fn each_kind_of_mistake_exits_2_pointing_at_its_line() {
    let dir = project();
    assert_rejected(
        dir.path(),
        "exclude = []\n\nexclud = [\"x\"]\n",
        3,
        "unknown field `exclud`",
    );
    assert_rejected(
        dir.path(),
        "[rules]\ndisable = \"CORS001\"\n",
        2,
        "invalid type",
    );
    assert_rejected(
        dir.path(),
        "exclude = [\n  \"a/\",\n  \"b{\",\n]\n",
        3,
        "bad glob",
    );
    assert_rejected(
        dir.path(),
        "[rules.level]\nCORS005 = \"fatal\"\n",
        2,
        "unknown variant `fatal`",
    );
    assert_rejected(
        dir.path(),
        "[rules]\ndisable = [\"NOPE001\"]\n",
        2,
        "unknown rule",
    );
    assert_rejected(
        dir.path(),
        "[rules.level]\n\nNOPE001 = \"error\"\n",
        3,
        "unknown rule",
    );
    assert_rejected(
        dir.path(),
        "[allow]\nfingerprints = [\"xyz\"]\n",
        2,
        "not a fingerprint",
    );
    assert_rejected(dir.path(), "exclude = [\n", 1, "unclosed array");

    let bad_regex = CUSTOM_RULE.replace("{24}'", "{24'");
    let line = bad_regex
        .lines()
        .position(|l| l.starts_with("pattern"))
        .unwrap()
        + 1;
    assert_rejected(dir.path(), &bad_regex, line, "invalid pattern");

    let clash = CUSTOM_RULE.replace("ACME001", "CORS001");
    let line = clash.lines().position(|l| l.starts_with("id =")).unwrap() + 1;
    assert_rejected(dir.path(), &clash, line, "id already in use");

    let failing = CUSTOM_RULE.replace("Q2v9Lk3mXp8Rt7Wz1Yc4Bn6D", "tooShort");
    let line = failing
        .lines()
        .position(|l| l.starts_with("examples"))
        .unwrap()
        + 1;
    assert_rejected(dir.path(), &failing, line, "this example is not reported");
}

#[test]
fn disabled_rules_do_not_run() {
    let dir = project();
    write(dir.path(), CONFIG, "[rules]\ndisable = [\"KAT001\"]\n");
    let (document, code) = scan_json(dir.path(), &[]);
    assert_eq!(
        locations(&document),
        expected(&[("nginx.conf", 2, "CORS001")])
    );
    assert_eq!(code, 1);
    assert!(
        document["findings"][0]["level"] == "warning",
        "{}",
        document["findings"][0]
    );
}

#[test]
fn level_overrides_change_findings_and_the_exit_status() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "nginx.conf", WILDCARD_CORS);
    let (_, code) = scan_json(dir.path(), &["--fail-on", "error"]);
    assert_eq!(code, 0, "CORS001 is a warning by default");

    write(dir.path(), CONFIG, "[rules.level]\nCORS001 = \"error\"\n");
    let (document, code) = scan_json(dir.path(), &["--fail-on", "error"]);
    assert_eq!(code, 1);
    assert_eq!(document["findings"][0]["level"], "error");
}

#[test]
fn custom_rules_find_their_pattern() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), CONFIG, CUSTOM_RULE);
    write(
        dir.path(),
        "settings.py",
        "import os\nTOKEN = 'acme_tok_Zx8Vb7Nm6Lk5Jh4Gf3Ds2Aq1'\n",
    );
    // The config file holds the rule's examples but is not scanned.
    let (document, code) = scan_json(dir.path(), &[]);
    assert_eq!(
        locations(&document),
        expected(&[("settings.py", 2, "ACME001")])
    );
    assert_eq!(document["findings"][0]["level"], "error");
    assert_eq!(code, 1);
}

#[test]
fn allowed_fingerprints_and_paths_are_suppressed_not_reported() {
    let dir = project();
    let (document, _) = scan_json(dir.path(), &[]);
    let fingerprint = document["findings"][1]["fingerprint"].as_str().unwrap();
    assert_eq!(document["findings"][1]["path"], "src/app.js");
    write(
        dir.path(),
        CONFIG,
        format!("[allow]\nfingerprints = [\"{fingerprint}\"]\npaths = [\"vendor/\"]\n"),
    );
    let (document, code) = scan_json(dir.path(), &[]);
    assert_eq!(
        locations(&document),
        expected(&[("nginx.conf", 2, "CORS001")])
    );
    assert_eq!(code, 1);
    // Still listed and counted, as external suppressions with the reason.
    let suppressed = suppressed_locations(&document);
    assert_eq!(suppressed.len(), 2, "{suppressed:?}");
    assert_eq!(document["summary"]["suppressed"], 2);
    let allowed = document["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "src/app.js")
        .unwrap();
    assert_eq!(allowed["suppression"]["kind"], "external");
    let reason = allowed["suppression"]["justification"].as_str().unwrap();
    assert!(reason.contains(".katscan.toml"), "{reason}");

    write(
        dir.path(),
        CONFIG,
        format!("[allow]\nfingerprints = [\"{fingerprint}\"]\npaths = [\"vendor/\", \"*.conf\"]\n"),
    );
    let (document, code) = scan_json(dir.path(), &[]);
    assert_eq!(locations(&document), expected(&[]));
    assert_eq!(code, 0);
}

#[test]
fn init_writes_a_starter_that_loads_and_refuses_to_overwrite() {
    let dir = project();
    let output = katscan()
        .current_dir(dir.path())
        .arg("init")
        .output()
        .unwrap();
    assert_eq!(
        exit_code(&output),
        0,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let starter = fs::read_to_string(dir.path().join(CONFIG)).unwrap();
    for option in [
        "exclude",
        "disable",
        "CORS005",
        "not-paths",
        "fingerprints",
        "[[rule]]",
    ] {
        assert!(starter.contains(option), "starter shows {option}");
    }
    // Everything is commented out: the scan is unchanged, and valid.
    let (document, code) = scan_json(dir.path(), &[]);
    assert_eq!(locations(&document), expected(ALL_FINDINGS));
    assert_eq!(code, 1);

    fs::write(dir.path().join(CONFIG), "exclude = [\"vendor/\"]\n").unwrap();
    let output = katscan()
        .current_dir(dir.path())
        .arg("init")
        .output()
        .unwrap();
    assert_eq!(exit_code(&output), 2);
    assert!(String::from_utf8_lossy(&output.stderr).contains("--force"));
    assert_eq!(
        fs::read_to_string(dir.path().join(CONFIG)).unwrap(),
        "exclude = [\"vendor/\"]\n",
        "an existing file is left alone"
    );

    let output = katscan()
        .current_dir(dir.path())
        .args(["init", "--force"])
        .output()
        .unwrap();
    assert_eq!(exit_code(&output), 0);
    assert_eq!(
        fs::read_to_string(dir.path().join(CONFIG)).unwrap(),
        starter
    );

    let output = katscan()
        .current_dir(dir.path())
        .args(["init", "--path", "src"])
        .output()
        .unwrap();
    assert_eq!(exit_code(&output), 0);
    assert!(dir.path().join("src").join(CONFIG).is_file());
}

#[test]
fn rules_and_explain_show_the_configured_rules() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        CONFIG,
        format!("[rules]\ndisable = [\"CORS001\"]\n{CUSTOM_RULE}"),
    );
    let run = |args: &[&str]| {
        let output = katscan()
            .current_dir(dir.path())
            .args(args)
            .output()
            .unwrap();
        assert_eq!(
            exit_code(&output),
            0,
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let list = run(&["rules"]);
    assert!(list.contains("ACME001"), "{list}");
    assert!(!list.contains("CORS001"), "{list}");
    assert!(run(&["explain", "ACME001"]).starts_with("# ACME001"));
    // --no-config shows the built-in catalogue.
    assert!(run(&["rules", "--no-config"]).contains("CORS001"));
}
