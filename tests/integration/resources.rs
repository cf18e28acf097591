//! Resource bounds: what a repository or a command line can make katscan
//! spend stays proportional to the work (issue 9, section 6). Each test
//! runs a size that takes minutes if the cost is quadratic or unbounded
//! and well under a second if it is not, with a generous timeout.

use std::time::Duration;

use super::support::*;

/// `-j 20000` once took many minutes on an empty directory (1,000 threads:
/// 30 s); the count is capped, and the user is told.
#[test]
fn thread_count_is_capped_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.txt", format!("k = {}\n", key()));
    let output = katscan()
        .current_dir(dir.path())
        .args(["scan", "-j", "20000", "--format", "json", "."])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(exit_code(&output), 1, "{stderr}");
    assert!(
        stderr.contains("note: -j 20000 lowered to "),
        "no note about the cap: {stderr}"
    );
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(document["findings"].as_array().unwrap().len(), 1);

    // A count under the cap is taken as given, silently.
    let output = katscan()
        .current_dir(dir.path())
        .args(["scan", "-j", "3", "."])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&output.stderr).contains("lowered"));
}

/// A `[[rule]]` table whose keyword and token are derived from `index`, so
/// every rule is distinct; `good: false` gives it an example that its
/// pattern does not match.
fn custom_rule(index: usize, good: bool) -> String {
    let word: String = (0..6)
        .scan(index, |rest, _| {
            let letter = char::from(b'a' + (*rest % 26) as u8);
            *rest /= 26;
            Some(letter)
        })
        .collect();
    let id = format!(
        "CU{}{:03}",
        char::from(b'A' + (index / 1000) as u8),
        index % 1000
    );
    let example = if good {
        format!("{word}_tok_Q2v9Lk3mXp8Rt7Wz1Yc4Bn6D")
    } else {
        format!("{word}_tok_short")
    };
    format!(
        r#"[[rule]]
id = "{id}"
name = "custom-{word}-token"
level = "warning"
summary = "custom token {word}"
help = "Rotate it."
description = "Custom tokens are secret."
precision = "high"
[[rule.detector]]
message = "custom token committed"
keywords = ["{word}_tok_"]
pattern = '{word}_tok_[A-Za-z0-9]{{24}}'
examples = ['T = "{example}"']
negative_examples = ['T = env("X")']

"#
    )
}

/// Checking the examples of 3,000 custom rules took over a minute when each
/// rule built its own scanner over the whole set (1,000 rules: 8 s; 10,000:
/// over ten minutes); with one scanner it takes a few seconds. The rules
/// still work, and a failing example is still reported at its line.
#[test]
fn many_custom_rules_load_in_linear_time() {
    const RULES: usize = 3000;
    let dir = tempfile::tempdir().unwrap();
    let config: String = (0..RULES).map(|index| custom_rule(index, true)).collect();
    write(dir.path(), ".katscan.toml", &config);
    let last = custom_rule(RULES - 1, true);
    let token = last
        .lines()
        .find_map(|line| line.strip_prefix("examples = ['T = \""))
        .and_then(|rest| rest.strip_suffix("\"']"))
        .unwrap()
        .to_string();
    write(dir.path(), "src/app.txt", format!("t = {token}\n"));
    let output = katscan()
        .current_dir(dir.path())
        .args(["scan", "--format", "json", "."])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(exit_code(&output), 1, "{stderr}");
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let findings = document["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["rule_id"], "CUC999");

    // The first failing example in the file's order is the one reported.
    let broken: String = (0..RULES)
        .map(|index| custom_rule(index, index != 2500 && index != 2700))
        .collect();
    write(dir.path(), ".katscan.toml", &broken);
    let output = katscan()
        .current_dir(dir.path())
        .args(["scan", "."])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(exit_code(&output), 2, "{stderr}");
    assert!(stderr.contains("CUC500"), "{stderr}");
    assert!(!stderr.contains("CUC700"), "{stderr}");
}

/// The peak resident memory of `katscan ARGS` in `dir`, in KiB, read from
/// /proc while it runs (the high-water mark only grows).
#[cfg(target_os = "linux")]
fn peak_rss_kib(dir: &std::path::Path, args: &[&str]) -> u64 {
    use std::process::{Command, Stdio};
    let mut child = Command::new(assert_cmd::cargo::cargo_bin!("katscan"))
        .current_dir(dir)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status) {
            let high_water = text
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse().ok());
            peak = peak.max(high_water.unwrap_or(0));
        }
        if child.try_wait().unwrap().is_some() {
            return peak;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// SARIF took 6.4 KB per finding, four times what the findings themselves
/// take, because the whole log was built before a byte was written; it
/// streams now, and needs no more memory than the GitHub format, which
/// writes line by line.
#[cfg(target_os = "linux")]
#[test]
fn sarif_and_json_stream_their_findings() {
    let dir = tempfile::tempdir().unwrap();
    let keys: String = (0..60_000)
        .map(|i| format!("k{i} = {}\n", planted_key(&format!("Id{i:06}x"), SECRET)))
        .collect();
    write(dir.path(), "keys.txt", keys);
    let github = peak_rss_kib(dir.path(), &["scan", "-f", "github", "."]);
    for format in ["sarif", "json"] {
        let peak = peak_rss_kib(dir.path(), &["scan", "-f", format, "."]);
        assert!(
            peak < github + github / 2,
            "{format} peaked at {peak} KiB, github at {github} KiB"
        );
    }
}
