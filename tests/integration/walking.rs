//! What is walked: ignore files like ripgrep, hidden files yes, `.git/`
//! never, explicit paths always, `--exclude` and `--no-ignore`.

use std::process::Command;

use tempfile::TempDir;

use crate::support::{expected, key, locations, scan_json, write};

fn git_repo_with_ignored_key() -> TempDir {
    let dir = TempDir::new().unwrap();
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .args(args)
            .current_dir(dir.path())
            .status();
        assert!(status.is_ok_and(|s| s.success()), "git {args:?} failed");
    };
    git(&["init", "--quiet"]);
    write(dir.path(), ".gitignore", "node_modules/\n*.log\n");
    write(
        dir.path(),
        "node_modules/pkg/index.js",
        format!("k='{}'", key()),
    );
    write(dir.path(), "debug.log", format!("Bearer {}", key()));
    write(dir.path(), ".env", format!("KATALO_API_KEY={}\n", key()));
    write(
        dir.path(),
        ".github/workflows/ci.yml",
        format!("env:\n  KEY: {}\n", key()),
    );
    // Git's own files are never scanned, even with --no-ignore.
    write(dir.path(), ".git/leaked-in-git-dir", key());
    dir
}

#[test]
fn gitignored_files_are_skipped_and_hidden_files_are_not() {
    let dir = git_repo_with_ignored_key();
    let (document, _) = scan_json(dir.path(), &[]);
    assert_eq!(
        locations(&document),
        expected(&[
            (".env", 1, "KAT001"),
            (".github/workflows/ci.yml", 2, "KAT001")
        ])
    );
}

#[test]
fn no_ignore_scans_ignored_files_but_never_git_internals() {
    let dir = git_repo_with_ignored_key();
    let (document, _) = scan_json(dir.path(), &["--no-ignore"]);
    assert_eq!(
        locations(&document),
        expected(&[
            (".env", 1, "KAT001"),
            (".github/workflows/ci.yml", 2, "KAT001"),
            ("debug.log", 1, "KAT001"),
            ("node_modules/pkg/index.js", 1, "KAT001"),
        ])
    );
}

#[test]
fn paths_on_the_command_line_are_always_scanned() {
    let dir = git_repo_with_ignored_key();
    let (document, _) = scan_json(dir.path(), &["debug.log", "node_modules"]);
    assert_eq!(
        locations(&document),
        expected(&[
            ("debug.log", 1, "KAT001"),
            ("node_modules/pkg/index.js", 1, "KAT001")
        ])
    );
}

#[test]
fn katscanignore_and_exclude_skip_paths() {
    let dir = git_repo_with_ignored_key();
    write(
        dir.path(),
        ".katscanignore",
        "# planted on purpose\n.github/\n",
    );
    let (document, _) = scan_json(dir.path(), &[]);
    assert_eq!(locations(&document), expected(&[(".env", 1, "KAT001")]));

    let (document, _) = scan_json(dir.path(), &["--exclude", ".env", "--exclude", "*.yml"]);
    assert_eq!(locations(&document), expected(&[]));
}

#[test]
fn overlapping_paths_report_each_finding_once() {
    let dir = git_repo_with_ignored_key();
    let (document, _) = scan_json(dir.path(), &[".", ".env", "./.github"]);
    assert_eq!(
        locations(&document),
        expected(&[
            (".env", 1, "KAT001"),
            (".github/workflows/ci.yml", 2, "KAT001")
        ])
    );
}

/// A `.env` committed before `.gitignore` listed it is in the repository
/// (and its history) all the same: ignore rules hide untracked files only.
#[test]
fn tracked_files_are_scanned_even_when_gitignore_lists_them() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@t.invalid"])
            .args(args)
            .current_dir(root)
            .status();
        assert!(status.is_ok_and(|s| s.success()), "git {args:?} failed");
    };
    git(&["init", "--quiet"]);
    write(root, "app/.env", format!("KATALO_API_KEY={}\n", key()));
    write(root, "app/fixtures/planted.env", format!("K={}\n", key()));
    git(&["add", "."]);
    git(&["commit", "--quiet", "--no-gpg-sign", "-m", "init"]);
    write(root, ".gitignore", ".env\nfixtures/\nlocal.env\n");
    // Untracked and ignored: not in the repository, not scanned.
    write(root, "app/local.env", format!("K={}\n", key()));

    let (document, code) = scan_json(root, &[]);
    assert_eq!(
        locations(&document),
        expected(&[
            ("app/.env", 1, "KAT001"),
            ("app/fixtures/planted.env", 1, "KAT001")
        ])
    );
    assert_eq!(code, 1);

    // .katscanignore still decides what katscan skips; so do excludes.
    write(root, ".katscanignore", "fixtures/\n");
    let (document, _) = scan_json(root, &["--exclude", "app/.env"]);
    assert_eq!(locations(&document), expected(&[]));

    // Scanning a subdirectory reports paths as given.
    let (document, _) = scan_json(root, &["app"]);
    assert_eq!(locations(&document), expected(&[("app/.env", 1, "KAT001")]));
    assert_eq!(document["summary"]["files_scanned"], 1);
}

/// git prints raw bytes: a tracked, ignored file whose name is not UTF-8
/// is still read, not silently dropped.
#[cfg(unix)]
#[test]
fn tracked_ignored_files_with_non_utf8_names_are_scanned() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    let dir = TempDir::new().unwrap();
    let root = dir.path();
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@t.invalid"])
            .args(args)
            .current_dir(root)
            .status();
        assert!(status.is_ok_and(|s| s.success()), "git {args:?} failed");
    };
    git(&["init", "--quiet"]);
    let name = OsStr::from_bytes(b"caf\xe9.env");
    std::fs::write(root.join(name), format!("K={}\n", key())).unwrap();
    git(&["add", "."]);
    git(&["commit", "--quiet", "--no-gpg-sign", "-m", "init"]);
    write(root, ".gitignore", "*.env\n");

    let (document, code) = scan_json(root, &[]);
    assert_eq!(document["findings"].as_array().unwrap().len(), 1);
    assert_eq!(code, 1);
}
