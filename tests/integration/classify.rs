//! `katscan classify`: the client-file classification, file by file, as
//! users tune it.

use serde_json::Value;

use crate::support::{exit_code, fixture, katscan, repo_root, stdout_and_stderr, write};

fn classify(dir: &std::path::Path, args: &[&str]) -> (String, i32) {
    let output = katscan()
        .current_dir(dir)
        .arg("classify")
        .args(args)
        .output()
        .expect("katscan runs");
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        exit_code(&output),
    )
}

#[test]
fn lists_client_and_server_files_with_reasons() {
    let (text, code) = classify(&fixture("client-nextjs"), &[]);
    assert_eq!(code, 0);
    let line = |path: &str| {
        text.lines()
            .find(|line| line.split_whitespace().nth(1) == Some(path))
            .unwrap_or_else(|| panic!("{path} not listed:\n{text}"))
            .to_string()
    };
    assert!(line("app/components/ProductSearch.tsx").starts_with("client"));
    assert!(line("app/components/ProductSearch.tsx").contains("\"use client\""));
    assert!(line("pages/index.tsx").starts_with("client"));
    assert!(line("pages/api/search.ts").starts_with("server"));
    assert!(line("app/page.tsx").starts_with("server"));
    // Files nothing matches are listed only with --all.
    assert!(!text.contains(".env.local"), "{text}");
    let (all, _) = classify(&fixture("client-nextjs"), &["--all"]);
    assert!(
        all.lines()
            .any(|l| l.starts_with("none") && l.ends_with(".env.local")),
        "{all}"
    );
}

#[test]
fn json_lists_build_output_and_config_overrides() {
    let (text, code) = classify(&repo_root(), &["-f", "json", "fixtures/client-vite/dist"]);
    assert_eq!(code, 0);
    let rows: Value = serde_json::from_str(&text).unwrap();
    let bundle = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == "fixtures/client-vite/dist/assets/index-C4xNq2Lb.js")
        .expect("the bundle is listed");
    assert_eq!(bundle["side"], "client");
    assert!(bundle["reason"].as_str().unwrap().contains("`dist/`"));

    let dir = tempfile::TempDir::new().unwrap();
    write(dir.path(), "legacy/app.py", "x = 1\n");
    write(
        dir.path(),
        ".katscan.toml",
        "[client]\npaths = [\"legacy/\"]\n",
    );
    let (text, _) = classify(dir.path(), &[]);
    assert!(
        text.starts_with("client  legacy/app.py  (listed in `[client] paths`"),
        "{text}"
    );
}

#[test]
fn a_missing_path_is_an_error() {
    let output = katscan()
        .current_dir(repo_root())
        .args(["classify", "no/such/dir"])
        .output()
        .unwrap();
    assert_eq!(exit_code(&output), 2, "{}", stdout_and_stderr(&output));
}

/// `classify` lists what `scan` scans and classifies it the same way
/// (issue 16): a file git tracks under an ignored directory, and a
/// `"use client"` marker behind a UTF-8 BOM or in UTF-16.
#[test]
fn classify_agrees_with_scan_on_force_added_and_bom_files() {
    let dir = tempfile::TempDir::new().unwrap();
    let root = dir.path();
    crate::staged::git(root, &["init", "-q"]);
    write(
        root,
        "package.json",
        r#"{"dependencies":{"next":"15.0.0","react":"19.0.0"}}"#,
    );
    write(root, "next.config.js", "module.exports = {};\n");
    write(root, "app/layout.tsx", "export default function L() {}\n");
    write(root, ".gitignore", "dist/\n");
    write(root, "dist/app.js", "console.log(1);\n");
    crate::staged::git(root, &["add", "-f", "dist/app.js"]);
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(b"\"use client\";\nexport const A = 1;\n");
    write(root, "app/bom.tsx", bom);
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in "\"use client\";\nexport const B = 1;\n".encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    write(root, "app/wide.tsx", utf16);

    let (text, code) = classify(root, &[]);
    assert_eq!(code, 0, "{text}");
    let side = |path: &str| {
        text.lines()
            .find(|line| line.split_whitespace().nth(1) == Some(path))
            .and_then(|line| line.split_whitespace().next())
            .map(str::to_string)
    };
    assert_eq!(side("dist/app.js").as_deref(), Some("client"), "{text}");
    assert_eq!(side("app/bom.tsx").as_deref(), Some("client"), "{text}");
    assert_eq!(side("app/wide.tsx").as_deref(), Some("client"), "{text}");
}
