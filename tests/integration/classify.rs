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
