//! Realistic trees under `fixtures/`: every expected finding, and nothing
//! else. Placeholders, test keys and keys read from the environment sit
//! beside the planted keys in the same projects.

use crate::support::{expected, fixture, locations, scan_json};

#[test]
fn node_app_with_a_committed_env_file() {
    let (document, code) = scan_json(&fixture("node-app"), &[]);
    assert_eq!(
        locations(&document),
        expected(&[
            (".env", 3, "KAT001"),
            ("config/default.json", 5, "KAT001"),
            ("docker-compose.yml", 8, "KAT001"),
            ("scripts/smoke.sh", 6, "KAT001"),
            ("src/katalo-client.js", 5, "KAT001"),
        ])
    );
    assert_eq!(code, 1);
    // .env.example, README.md and the kat_test_ key are all scanned, and
    // are silent: they hold placeholders, not keys.
    assert_eq!(document["summary"]["files_scanned"], 11);
}

#[test]
fn node_app_findings_name_the_key_and_its_exact_span() {
    let (document, _) = scan_json(&fixture("node-app"), &[]);
    let env = &document["findings"][0];
    assert_eq!(env["path"], ".env");
    assert_eq!(
        (env["line"].as_u64(), env["column"].as_u64()),
        (Some(3), Some(16))
    );
    assert_eq!(env["end_line"], 3);
    // Exclusive end: 16 + the 61 characters of the key.
    assert_eq!(env["end_column"], 16 + 61);
    assert_eq!(env["key_id"], "uG8GP38g4o");
    assert_eq!(env["level"], "error");
}

#[test]
fn python_service_keys_in_code_notebooks_logs_and_deploy_files() {
    let (document, code) = scan_json(&fixture("python-service"), &[]);
    assert_eq!(
        locations(&document),
        expected(&[
            ("Dockerfile", 7, "KAT001"),
            ("app/settings.py", 9, "KAT001"),
            ("deploy/values.yaml", 8, "KAT001"),
            // The log's second key is already redacted by the logger.
            ("logs/requests.log", 2, "KAT001"),
            // Inside a JSON-escaped notebook cell.
            ("notebooks/explore.ipynb", 15, "KAT001"),
        ])
    );
    assert_eq!(code, 1);
}

#[test]
fn docs_with_only_placeholders_are_clean() {
    let (document, code) = scan_json(&fixture("docs-site"), &[]);
    assert_eq!(locations(&document), expected(&[]));
    assert_eq!(document["summary"]["files_scanned"], 3);
    assert_eq!(code, 0);
}

#[test]
fn fixture_paths_given_from_elsewhere_keep_their_prefix() {
    let root = crate::support::repo_root();
    let (document, _) = scan_json(&root, &["fixtures/python-service/Dockerfile"]);
    assert_eq!(
        locations(&document),
        expected(&[("fixtures/python-service/Dockerfile", 7, "KAT001")])
    );
}
