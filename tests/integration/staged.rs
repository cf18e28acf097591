//! `katscan staged`: the index, not the working tree, with real `git` in
//! throwaway repositories.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use tempfile::TempDir;

use crate::support::{
    exit_code, expected, fingerprints, katscan, key, locations, other_key, stdout_and_stderr, write,
};

/// A new repository with a local identity, so commits work anywhere.
pub fn git_repo() -> TempDir {
    let dir = TempDir::new().unwrap();
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["config", "user.name", "katscan tests"]);
    git(
        dir.path(),
        &["config", "user.email", "tests@katscan.invalid"],
    );
    git(dir.path(), &["config", "commit.gpgsign", "false"]);
    dir
}

pub fn git(dir: &Path, args: &[&str]) {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn staged_json(dir: &Path, args: &[&str]) -> (Value, i32) {
    let output = staged(dir, &[&["--format", "json"], args].concat());
    let document = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", stdout_and_stderr(&output)));
    (document, exit_code(&output))
}

fn staged(dir: &Path, args: &[&str]) -> Output {
    katscan()
        .current_dir(dir)
        .arg("staged")
        .args(args)
        .output()
        .expect("katscan runs")
}

#[test]
fn works_before_the_first_commit() {
    let repo = git_repo();
    write(
        repo.path(),
        "src/config.js",
        format!("\nconst k = '{}';\n", key()),
    );
    write(repo.path(), "README.md", "nothing here\n");
    git(repo.path(), &["add", "."]);
    let (document, code) = staged_json(repo.path(), &[]);
    assert_eq!(
        locations(&document),
        expected(&[("src/config.js", 2, "KAT001")])
    );
    assert_eq!(code, 1);
    assert_eq!(document["summary"]["files_scanned"], 2);
}

#[test]
fn the_staged_version_is_scanned_not_the_working_tree() {
    let repo = git_repo();
    write(repo.path(), "base.txt", "base\n");
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "-q", "-m", "base"]);

    // Staged with a key on line 3, then cleaned on disk only: the commit
    // would still carry the key.
    write(
        repo.path(),
        "app.env",
        format!("A=1\nB=2\nKATALO_API_KEY={}\n", key()),
    );
    git(repo.path(), &["add", "app.env"]);
    write(repo.path(), "app.env", "KATALO_API_KEY=\n");
    // A key only on disk is not part of the commit.
    write(repo.path(), "base.txt", format!("base\n{}\n", other_key()));
    write(repo.path(), "untracked.txt", key());

    let (document, code) = staged_json(repo.path(), &[]);
    assert_eq!(locations(&document), expected(&[("app.env", 3, "KAT001")]));
    assert_eq!(code, 1);
    // Only the one staged change was scanned, not the tree.
    assert_eq!(document["summary"]["files_scanned"], 1);
}

#[test]
fn a_working_tree_key_alone_is_not_reported() {
    let repo = git_repo();
    write(repo.path(), "a.txt", "clean\n");
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "-q", "-m", "base"]);
    write(repo.path(), "a.txt", format!("clean\n{}\n", key()));
    let output = staged(repo.path(), &[]);
    assert_eq!(exit_code(&output), 0, "{}", stdout_and_stderr(&output));
}

#[test]
fn modified_renamed_and_deleted_files() {
    let repo = git_repo();
    write(repo.path(), "old/name.py", format!("K = '{}'\n", key()));
    write(repo.path(), "gone.txt", format!("{}\n", other_key()));
    write(repo.path(), "mod.rb", "x = 1\n");
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "-q", "-m", "base"]);

    git(repo.path(), &["mv", "old", "new"]);
    git(repo.path(), &["rm", "-q", "gone.txt"]);
    write(
        repo.path(),
        "mod.rb",
        format!("x = 1\ny = '{}'\n", other_key()),
    );
    git(repo.path(), &["add", "mod.rb"]);

    let (document, code) = staged_json(repo.path(), &[]);
    assert_eq!(
        locations(&document),
        expected(&[("mod.rb", 2, "KAT001"), ("new/name.py", 1, "KAT001")])
    );
    assert_eq!(code, 1);
}

#[test]
fn binary_blobs_katscanignore_and_excludes_are_skipped() {
    let repo = git_repo();
    let mut binary = vec![0u8, 1, 2];
    binary.extend(key().bytes());
    write(repo.path(), "logo.png", binary);
    write(repo.path(), ".katscanignore", "/fixtures/\n");
    write(
        repo.path(),
        "fixtures/planted/.env",
        format!("K={}\n", key()),
    );
    write(repo.path(), "docs/example.md", format!("{}\n", key()));
    write(repo.path(), "src/ok.js", "export {}\n");
    // .gitignore does not hide a file that is being committed anyway.
    write(repo.path(), ".gitignore", "*.local\n");
    write(repo.path(), "settings.local", format!("{}\n", other_key()));
    git(repo.path(), &["add", "-f", "."]);

    let (document, _) = staged_json(repo.path(), &["--exclude", "docs/", "--verbose"]);
    assert_eq!(
        locations(&document),
        expected(&[("settings.local", 1, "KAT001")])
    );
    assert_eq!(document["summary"]["skipped"]["binary"], 1);

    let (document, _) = staged_json(repo.path(), &["--no-ignore"]);
    let paths: Vec<String> = locations(&document).into_iter().map(|l| l.0).collect();
    assert_eq!(
        paths,
        ["docs/example.md", "fixtures/planted/.env", "settings.local"]
    );
}

#[test]
fn paths_are_relative_to_the_top_level_from_a_subdirectory() {
    let repo = git_repo();
    write(
        repo.path(),
        "api/lib/settings.py",
        format!("K = \"{}\"\n", key()),
    );
    git(repo.path(), &["add", "."]);
    let (document, code) = staged_json(&repo.path().join("api/lib"), &[]);
    assert_eq!(
        locations(&document),
        expected(&[("api/lib/settings.py", 1, "KAT001")])
    );
    assert_eq!(code, 1);
}

#[test]
fn symlinks_and_an_empty_index_are_fine() {
    let repo = git_repo();
    let (document, code) = staged_json(repo.path(), &[]);
    assert_eq!(code, 0);
    assert_eq!(document["summary"]["files_scanned"], 0);

    write(repo.path(), "real.txt", "fine\n");
    #[cfg(unix)]
    std::os::unix::fs::symlink("real.txt", repo.path().join("link.txt")).unwrap();
    git(repo.path(), &["add", "."]);
    let (document, code) = staged_json(repo.path(), &[]);
    assert_eq!(code, 0);
    assert_eq!(document["summary"]["files_scanned"], 1);
}

#[test]
fn outside_a_repository_is_a_clear_error() {
    let dir = TempDir::new().unwrap();
    let output = staged(dir.path(), &[]);
    assert_eq!(exit_code(&output), 2);
    let text = stdout_and_stderr(&output);
    assert!(text.contains("not inside a git work tree"), "{text}");
    assert!(!text.contains("panicked"), "{text}");
}

#[test]
fn formats_and_fail_on_work_as_in_scan() {
    let repo = git_repo();
    write(repo.path(), ".env", format!("KATALO_API_KEY={}\n", key()));
    git(repo.path(), &["add", "."]);

    let output = staged(repo.path(), &["--format", "sarif"]);
    let sarif: Value = serde_json::from_slice(&output.stdout).expect("SARIF is JSON");
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "KAT001");
    assert_eq!(exit_code(&output), 1);

    // The secret is redacted, as in every scan.
    let output = staged(repo.path(), &["--format", "github"]);
    let text = stdout_and_stderr(&output);
    assert!(text.contains("KAT001") && !text.contains(&key()), "{text}");

    let output = staged(repo.path(), &["--fail-on", "never"]);
    assert_eq!(exit_code(&output), 0);

    let report = repo.path().join("out.json");
    let output = staged(
        repo.path(),
        &["--format", "json", "--output", report.to_str().unwrap()],
    );
    assert_eq!(exit_code(&output), 1);
    let document: Value = serde_json::from_slice(&fs::read(&report).unwrap()).unwrap();
    assert_eq!(locations(&document), expected(&[(".env", 1, "KAT001")]));
}

// `katscan scan FILE...` is how the pre-commit framework calls hooks: with
// `--force-exclude`, ignore files and `--exclude` apply to named files too.

fn repo_with_ignored_files() -> TempDir {
    let repo = git_repo();
    write(repo.path(), ".katscanignore", "/fixtures/\n");
    write(repo.path(), ".gitignore", "*.log\n");
    write(
        repo.path(),
        "fixtures/planted.env",
        format!("K={}\n", key()),
    );
    write(repo.path(), "debug.log", format!("{}\n", key()));
    write(repo.path(), "vendor/lib.js", format!("k='{}'\n", key()));
    write(
        repo.path(),
        "src/app.py",
        format!("K = '{}'\n", other_key()),
    );
    repo
}

#[test]
fn named_files_are_scanned_by_default_even_if_ignored() {
    let repo = repo_with_ignored_files();
    let (document, code) = crate::support::scan_json(
        repo.path(),
        &["fixtures/planted.env", "debug.log", "src/app.py"],
    );
    assert_eq!(
        locations(&document),
        expected(&[
            ("debug.log", 1, "KAT001"),
            ("fixtures/planted.env", 1, "KAT001"),
            ("src/app.py", 1, "KAT001"),
        ])
    );
    assert_eq!(code, 1);
}

#[test]
fn force_exclude_applies_ignore_files_and_excludes_to_named_files() {
    let repo = repo_with_ignored_files();
    let (document, code) = crate::support::scan_json(
        repo.path(),
        &[
            "--force-exclude",
            "--exclude",
            "vendor/",
            "fixtures/planted.env",
            "./debug.log",
            "vendor/lib.js",
            "src/app.py",
        ],
    );
    assert_eq!(
        locations(&document),
        expected(&[("src/app.py", 1, "KAT001")])
    );
    assert_eq!(code, 1);

    // Every named path excluded: nothing is scanned, not the whole tree.
    let (document, code) =
        crate::support::scan_json(repo.path(), &["--force-exclude", "fixtures", "debug.log"]);
    assert_eq!(locations(&document), expected(&[]));
    assert_eq!(document["summary"]["files_scanned"], 0);
    assert_eq!(code, 0);

    // --no-ignore still lets the named files through.
    let (document, _) = crate::support::scan_json(
        repo.path(),
        &["--force-exclude", "--no-ignore", "debug.log"],
    );
    assert_eq!(
        locations(&document),
        expected(&[("debug.log", 1, "KAT001")])
    );

    // `.katscan.toml` excludes count too: pre-commit passes such files.
    write(repo.path(), ".katscan.toml", "exclude = [\"src/\"]\n");
    let (document, code) =
        crate::support::scan_json(repo.path(), &["--force-exclude", "src/app.py"]);
    assert_eq!(locations(&document), expected(&[]));
    assert_eq!(code, 0);
}

#[test]
fn staged_files_are_classified_and_configured_like_a_scan() {
    let repo = git_repo();
    let root = repo.path();
    write(root, "web/vite.config.ts", "export default {}\n");
    write(
        root,
        "web/src/api.ts",
        format!("export const k = '{}';\n", key()),
    );
    write(root, "vendor/lib.js", format!("k = '{}';\n", key()));
    write(root, ".katscan.toml", "exclude = [\"vendor/\"]\n");
    git(root, &["add", "."]);
    // From a subdirectory: the config at the top level still applies.
    let (document, code) = staged_json(&root.join("web"), &[]);
    assert_eq!(
        locations(&document),
        expected(&[("web/src/api.ts", 1, "KAT002")])
    );
    assert_eq!(code, 1);
}

#[test]
fn staged_writes_extra_reports_like_scan() {
    let repo = git_repo();
    write(repo.path(), "app.js", format!("const k = '{}';\n", key()));
    git(repo.path(), &["add", "."]);
    let sarif = repo.path().join("out.sarif");
    let output = staged(
        repo.path(),
        &["--report", &format!("sarif={}", sarif.display())],
    );
    assert_eq!(exit_code(&output), 1, "{}", stdout_and_stderr(&output));
    let document: Value = serde_json::from_slice(&fs::read(&sarif).unwrap()).unwrap();
    assert_eq!(document["runs"][0]["results"][0]["ruleId"], "KAT001");
}

#[test]
fn staged_honours_a_baseline_and_only_judges_staged_files_stale() {
    let repo = git_repo();
    let root = repo.path();
    write(root, "old.js", format!("const k = '{}';\n", key()));
    write(root, "legacy.js", format!("const k = '{}';\n", other_key()));
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "accepted findings"]);
    let written = katscan()
        .current_dir(root)
        .args(["scan", "--write-baseline", "baseline.toml"])
        .output()
        .unwrap();
    assert_eq!(exit_code(&written), 0, "{}", stdout_and_stderr(&written));

    // The accepted key moves down a line; a new file is clean.
    write(
        root,
        "old.js",
        format!("// moved\nconst k = '{}';\n", key()),
    );
    write(root, "new.js", "export {};\n");
    git(root, &["add", "old.js", "new.js"]);
    let output = staged(root, &["--baseline", "baseline.toml"]);
    assert_eq!(exit_code(&output), 0, "{}", stdout_and_stderr(&output));
    // legacy.js was not staged: its entry is unchecked, not stale.
    assert!(
        !stdout_and_stderr(&output).contains("stale"),
        "{}",
        stdout_and_stderr(&output)
    );

    // A new key in a staged file is still refused.
    write(root, "new.js", format!("const n = '{}';\n", other_key()));
    git(root, &["add", "new.js"]);
    let output = staged(root, &["--baseline", "baseline.toml"]);
    assert_eq!(exit_code(&output), 1, "{}", stdout_and_stderr(&output));
}

#[test]
fn staged_refuses_two_outputs_naming_one_file() {
    let repo = git_repo();
    let output = staged(repo.path(), &["-o", "r.json", "--report", "json=r.json"]);
    assert_eq!(exit_code(&output), 2, "{}", stdout_and_stderr(&output));
    assert!(
        stdout_and_stderr(&output).contains("name the same file"),
        "{}",
        stdout_and_stderr(&output)
    );
    assert!(!repo.path().join("r.json").exists());
}

/// Issue 9: index paths are bytes. Two staged files whose names only show
/// the same (`a\xff.env`, `a\xfe.env`), each with the key at the same
/// place, are two findings.
#[cfg(unix)]
#[test]
fn staged_files_whose_names_show_the_same_keep_their_own_findings() {
    let repo = git_repo();
    let text = format!("KATALO_API_KEY={}\n", key());
    crate::keys::write_raw_named(repo.path(), b"a\xff.env", &text);
    crate::keys::write_raw_named(repo.path(), b"a\xfe.env", &text);
    git(repo.path(), &["add", "."]);
    let (document, code) = staged_json(repo.path(), &[]);
    let shown = "a\u{FFFD}.env";
    assert_eq!(
        locations(&document),
        expected(&[(shown, 1, "KAT001"), (shown, 1, "KAT001")])
    );
    assert_eq!(code, 1);
    let fingerprints = fingerprints(&document);
    assert_ne!(fingerprints[0], fingerprints[1]);
}

#[test]
fn staged_blobs_are_classified_by_the_project_in_the_index() {
    // An Expo app staged, then removed from the work tree (or about to be
    // changed there): what is committed is a mobile app, whose JavaScript
    // ships to phones, whatever the disk says now.
    let repo = git_repo();
    write(
        repo.path(),
        "mobile/package.json",
        r#"{"dependencies":{"expo":"50.0.0"}}"#,
    );
    write(
        repo.path(),
        "mobile/App.js",
        format!("const KEY = '{}';\n", key()),
    );
    // A server project beside it, whose work-tree copy turned into an
    // Expo app after staging: the index's version (a server) decides.
    write(repo.path(), "api/package.json", r#"{"dependencies":{}}"#);
    write(
        repo.path(),
        "api/index.js",
        format!("const KEY = '{}';\n", key()),
    );
    git(repo.path(), &["add", "."]);
    fs::remove_dir_all(repo.path().join("mobile")).unwrap();
    write(
        repo.path(),
        "api/package.json",
        r#"{"dependencies":{"expo":"50.0.0"}}"#,
    );
    write(repo.path(), "api/eas.json", "{}");

    let (document, code) = staged_json(repo.path(), &[]);
    assert_eq!(
        locations(&document),
        expected(&[
            ("api/index.js", 1, "KAT001"),
            ("mobile/App.js", 1, "KAT002")
        ])
    );
    assert_eq!(code, 1);
}
