//! `[client]` in `.katscan.toml`: users say which files ship to clients,
//! relative to the config file, before the built-in list is consulted.

use std::fs;

use tempfile::TempDir;

use crate::support::{expected, key, locations, scan_json, write};

#[test]
fn client_paths_and_not_paths_override_the_builtin_classification() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    fs::create_dir(root.join(".git")).unwrap();
    let line = format!("KEY = \"{}\"\n", key());
    // Served as-is by a legacy web server: client, though nothing built-in
    // says so.
    write(root, "web/legacy/config.py", &line);
    // Built-in: dist/ is client; this team's dist/ is a server bundle.
    write(root, "web/dist/worker.js", &line);
    write(root, "web/dist/app.js", &line);
    write(
        root,
        "web/.katscan.toml",
        "[client]\npaths = [\"legacy/\"]\nnot-paths = [\"/dist/worker.js\"]\n",
    );

    let (document, status) = scan_json(root, &["web"]);
    assert_eq!(
        locations(&document),
        expected(&[
            ("web/dist/app.js", 1, "KAT002"),
            ("web/dist/worker.js", 1, "KAT001"),
            ("web/legacy/config.py", 1, "KAT002"),
        ])
    );
    assert_eq!(status, 1);
    let legacy = &document["findings"][2]["message"];
    assert!(
        legacy.as_str().unwrap().contains("[client] paths"),
        "{legacy}"
    );
}

#[test]
fn a_bad_client_glob_is_a_configuration_error() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        ".katscan.toml",
        "[client]\npaths = [\"web/{a\"]\n",
    );
    let output = crate::support::katscan()
        .current_dir(dir.path())
        .args(["scan", "."])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(".katscan.toml"), "{stderr}");
}
