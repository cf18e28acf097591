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
