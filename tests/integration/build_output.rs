//! `--include-build-output`: CI scans the build output that `.gitignore`
//! hides, once per file, without wandering into dependencies, and where the
//! key lands in a bundle it is KAT002.

use std::process::Command;

use tempfile::TempDir;

use crate::support::{expected, key, locations, scan_json, write};

/// A built web app: `dist/` and `.next/` are gitignored, as they always are.
fn built_app() -> TempDir {
    let dir = TempDir::new().unwrap();
    let status = Command::new("git")
        .args(["init", "--quiet"])
        .current_dir(dir.path())
        .status();
    assert!(status.is_ok_and(|s| s.success()));
    let root = dir.path();
    write(root, ".gitignore", "dist/\n.next/\nnode_modules/\n");
    write(
        root,
        "package.json",
        r#"{"devDependencies":{"vite":"5.4.0"}}"#,
    );
    write(root, "src/main.ts", "export const api = '/api/products';\n");
    let bundle = format!("(()=>{{const k=\"{}\";fetch(\"/api\")}})();\n", key());
    write(root, "dist/assets/index-Cq3xT9bz.js", &bundle);
    write(
        root,
        "dist/index.html",
        "<script src=\"/assets/index-Cq3xT9bz.js\"></script>\n",
    );
    write(root, ".next/static/chunks/app-4f2a9c1d.js", &bundle);
    // Dependencies and the server bundle are not client build output.
    write(root, "node_modules/pkg/dist/index.js", &bundle);
    write(root, ".next/server/app.js", &bundle);
    dir
}

#[test]
fn ignored_build_output_is_skipped_by_default() {
    let app = built_app();
    let (document, status) = scan_json(app.path(), &[]);
    assert_eq!(locations(&document), expected(&[]));
    assert_eq!(status, 0);
}

#[test]
fn include_build_output_scans_it_once_and_reports_kat002() {
    let app = built_app();
    let (document, status) = scan_json(app.path(), &["--include-build-output"]);
    assert_eq!(
        locations(&document),
        expected(&[
            (".next/static/chunks/app-4f2a9c1d.js", 1, "KAT002"),
            ("dist/assets/index-Cq3xT9bz.js", 1, "KAT002"),
        ])
    );
    assert_eq!(status, 1);
    let message = document["findings"][1]["message"].as_str().unwrap();
    assert!(message.contains("`dist/` is build output"), "{message}");
    // .gitignore, package.json, src/main.ts, two dist files, one chunk:
    // every file exactly once.
    assert_eq!(document["summary"]["files_scanned"], 6);
}

#[test]
fn katscanignore_and_exclude_still_apply_to_build_output() {
    let app = built_app();
    write(app.path(), ".katscanignore", "/dist/\n");
    let (document, _) = scan_json(
        app.path(),
        &["--include-build-output", "--exclude", ".next/static/**"],
    );
    assert_eq!(locations(&document), expected(&[]));
}

#[test]
fn a_build_directory_named_on_the_command_line_is_scanned() {
    let app = built_app();
    let (document, status) = scan_json(app.path(), &["dist"]);
    assert_eq!(
        locations(&document),
        expected(&[("dist/assets/index-Cq3xT9bz.js", 1, "KAT002")])
    );
    assert_eq!(status, 1);
    // Named and included: still one finding per occurrence.
    let (document, _) = scan_json(app.path(), &["dist", "--include-build-output"]);
    assert_eq!(document["findings"].as_array().unwrap().len(), 1);
}
