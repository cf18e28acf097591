//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

/// A planted key, assembled at run time so test sources hold no key
/// literal (katscan scans its own repository clean).
pub fn planted_key(id: &str, secret: &str) -> String {
    format!("kat_live_{id}.{secret}")
}

/// Public ids and secrets of planted keys: random-looking, as real keys are.
pub const KEY_ID: &str = "Zq7PwX2mLk9V";
pub const SECRET: &str = "a8Hc3-Fk_27QpL0sRt9XvWm4NbYe6UiO";
pub const OTHER_KEY_ID: &str = "Tn4Rb8YcQe2W";
pub const OTHER_SECRET: &str = "Jd9s-Kx2mP7_vL3qW8cZr5HtYb1NfGa";

pub fn key() -> String {
    planted_key(KEY_ID, SECRET)
}

pub fn other_key() -> String {
    planted_key(OTHER_KEY_ID, OTHER_SECRET)
}

pub fn katscan() -> Command {
    let mut command = assert_cmd::cargo_bin_cmd!("katscan");
    // Tests must not depend on the developer's terminal or environment.
    command.env("NO_COLOR", "1").env_remove("KATSCAN_CONFIG");
    command
}

/// Writes `contents` to `root/relative`, creating directories.
pub fn write(root: &Path, relative: &str, contents: impl AsRef<[u8]>) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().expect("a file path has a parent"))
        .expect("test directories can be created");
    std::fs::write(path, contents).expect("test files can be written");
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A JSON schema the tests validate against: the copies in
/// `tests/schemas/`, or `KATSCAN_SCHEMAS_DIR` when set.
pub fn schema_file(name: &str) -> PathBuf {
    std::env::var_os("KATSCAN_SCHEMAS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("tests/schemas"))
        .join(name)
}

pub fn fixture(name: &str) -> PathBuf {
    repo_root().join("fixtures").join(name)
}

/// Runs `katscan scan --format json ARGS` in `dir`; returns the document
/// and the exit code.
pub fn scan_json(dir: &Path, args: &[&str]) -> (Value, i32) {
    let output = katscan()
        .current_dir(dir)
        .args(["scan", "--format", "json"])
        .args(args)
        .output()
        .expect("katscan runs");
    let document = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (document, exit_code(&output))
}

pub fn exit_code(output: &Output) -> i32 {
    output
        .status
        .code()
        .expect("katscan exits normally, not by a signal")
}

/// `(path, line, rule_id)` of every reported finding (suppressed ones are
/// listed in JSON too, marked), in output order.
pub fn locations(document: &Value) -> Vec<(String, u64, String)> {
    findings_where(document, |f| f["suppression"].is_null())
}

/// `(path, line, rule_id)` of every suppressed finding, in output order.
pub fn suppressed_locations(document: &Value) -> Vec<(String, u64, String)> {
    findings_where(document, |f| !f["suppression"].is_null())
}

fn findings_where(document: &Value, keep: impl Fn(&Value) -> bool) -> Vec<(String, u64, String)> {
    document["findings"]
        .as_array()
        .expect("findings is an array")
        .iter()
        .filter(|f| keep(f))
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["rule_id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

pub fn expected(rows: &[(&str, u64, &str)]) -> Vec<(String, u64, String)> {
    rows.iter()
        .map(|(p, l, r)| (p.to_string(), *l, r.to_string()))
        .collect()
}

pub fn stdout_and_stderr(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Scans `fixtures/<project>` and asserts its exact findings, and the exit
/// status they imply: with the default `--fail-on warning` any finding
/// (CORS001 and CORS005 are warnings, the rest errors) fails the scan.
pub fn assert_fixture_findings(project: &str, rows: &[(&str, u64, &str)]) {
    let (document, code) = scan_json(&fixture(project), &[]);
    assert_eq!(
        locations(&document),
        expected(rows),
        "findings in {project}"
    );
    assert_eq!(
        code,
        if rows.is_empty() { 0 } else { 1 },
        "exit status for {project}"
    );
}

/// The `fingerprint` of every finding of a JSON report, in output order.
pub fn fingerprints(document: &Value) -> Vec<&str> {
    document["findings"]
        .as_array()
        .expect("findings is an array")
        .iter()
        .map(|f| f["fingerprint"].as_str().expect("a fingerprint"))
        .collect()
}
