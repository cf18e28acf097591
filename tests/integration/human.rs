//! What a person sees: snapshots of the human output (redacted).

use crate::support::{fixture, katscan};

/// The summary's elapsed time varies from run to run.
fn stable(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let elapsed = regex::Regex::new(r" in \d+\.\d\ds").unwrap();
    elapsed.replace_all(&text, " in <elapsed>").into_owned()
}

#[test]
fn human_output_for_the_node_app() {
    let output = katscan()
        .current_dir(fixture("node-app"))
        .arg("scan")
        .output()
        .unwrap();
    assert!(output.stdout.is_empty(), "human diagnostics go to stderr");
    insta::assert_snapshot!(stable(&output.stderr));
}

#[test]
fn human_output_for_a_clean_tree() {
    let output = katscan()
        .current_dir(fixture("docs-site"))
        .arg("scan")
        .output()
        .unwrap();
    insta::assert_snapshot!(stable(&output.stderr));
}
