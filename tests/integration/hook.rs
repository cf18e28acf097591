//! `katscan install-hook`: a pre-commit hook that runs `katscan staged`,
//! checked with real `git commit`s.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::staged::{git, git_repo};
use crate::support::write;
use crate::support::{exit_code, katscan, key, stdout_and_stderr};

fn install(dir: &Path, args: &[&str]) -> Output {
    katscan()
        .current_dir(dir)
        .arg("install-hook")
        .args(args)
        .output()
        .expect("katscan runs")
}

fn hook_path(repo: &Path) -> PathBuf {
    repo.join(".git/hooks/pre-commit")
}

/// PATH with the directory of the katscan under test first, so the hook
/// finds it as a user's installed binary.
fn path_with_katscan() -> OsString {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_katscan")).parent().unwrap();
    let mut paths = vec![bin_dir.to_path_buf()];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).unwrap()
}

fn commit(repo: &Path, path: OsString) -> Output {
    Command::new("git")
        .args(["commit", "-q", "-m", "change"])
        .current_dir(repo)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .output()
        .expect("git runs")
}

#[test]
fn the_installed_hook_refuses_a_commit_with_a_key_and_passes_a_clean_one() {
    let repo = git_repo();
    let output = install(repo.path(), &[]);
    assert_eq!(exit_code(&output), 0, "{}", stdout_and_stderr(&output));

    let hook = hook_path(repo.path());
    let text = fs::read_to_string(&hook).unwrap();
    assert!(
        text.starts_with("#!/bin/sh\n") && text.contains("katscan staged"),
        "{text}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&hook).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o755);
    }

    write(repo.path(), "README.md", "clean\n");
    git(repo.path(), &["add", "."]);
    let output = commit(repo.path(), path_with_katscan());
    assert!(output.status.success(), "{}", stdout_and_stderr(&output));

    write(
        repo.path(),
        "server/.env",
        format!("KATALO_API_KEY={}\n", key()),
    );
    git(repo.path(), &["add", "."]);
    let output = commit(repo.path(), path_with_katscan());
    assert!(
        !output.status.success(),
        "a commit with a key must be refused"
    );
    let text = stdout_and_stderr(&output);
    assert!(
        text.contains("KAT001") && text.contains("server/.env"),
        "{text}"
    );
    assert!(!text.contains(&key()), "the secret is redacted: {text}");
}

#[test]
fn commit_all_is_checked_through_the_index_git_prepares() {
    // `git commit -a` stages into a temporary index (GIT_INDEX_FILE) just
    // before the hook runs; the hook must see that, not the old index.
    let repo = git_repo();
    write(repo.path(), "config.yml", "key: none\n");
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "-q", "-m", "base"]);
    install(repo.path(), &[]);
    write(
        repo.path(),
        "config.yml",
        format!("key: none\nkey2: {}\n", key()),
    );
    let output = Command::new("git")
        .args(["commit", "-q", "-a", "-m", "all"])
        .current_dir(repo.path())
        .env("PATH", path_with_katscan())
        .output()
        .unwrap();
    assert!(!output.status.success(), "{}", stdout_and_stderr(&output));
    assert!(stdout_and_stderr(&output).contains("config.yml:2"));
}

#[test]
fn without_katscan_on_path_the_hook_fails_with_a_clear_message() {
    let repo = git_repo();
    install(repo.path(), &[]);
    write(repo.path(), "a.txt", "clean\n");
    git(repo.path(), &["add", "."]);
    // Only git's own directory, so `katscan` cannot be found.
    let git_dir = Command::new("sh")
        .args(["-c", "dirname \"$(command -v git)\""])
        .output()
        .unwrap();
    let git_dir = String::from_utf8(git_dir.stdout).unwrap();
    let output = commit(
        repo.path(),
        format!("{}:/bin:/usr/bin", git_dir.trim()).into(),
    );
    assert!(!output.status.success());
    assert!(
        stdout_and_stderr(&output).contains("katscan is not on PATH"),
        "{}",
        stdout_and_stderr(&output)
    );
}

#[test]
fn a_foreign_hook_is_kept_unless_forced_and_reinstalling_is_fine() {
    let repo = git_repo();
    let hook = hook_path(repo.path());
    write(
        repo.path(),
        ".git/hooks/pre-commit",
        "#!/bin/sh\nmake lint\n",
    );

    let output = install(repo.path(), &[]);
    assert_eq!(exit_code(&output), 2);
    let text = stdout_and_stderr(&output);
    assert!(
        text.contains("not written by katscan") && text.contains("--force"),
        "{text}"
    );
    assert_eq!(fs::read_to_string(&hook).unwrap(), "#!/bin/sh\nmake lint\n");

    let output = install(repo.path(), &["--uninstall"]);
    assert_eq!(exit_code(&output), 2, "a foreign hook is never removed");
    assert!(hook.exists());

    let output = install(repo.path(), &["--force"]);
    assert_eq!(exit_code(&output), 0, "{}", stdout_and_stderr(&output));
    assert!(
        fs::read_to_string(&hook)
            .unwrap()
            .contains("katscan staged")
    );

    // Its own hook is replaced without --force.
    let output = install(repo.path(), &[]);
    assert_eq!(exit_code(&output), 0, "{}", stdout_and_stderr(&output));

    let output = install(repo.path(), &["--uninstall"]);
    assert_eq!(exit_code(&output), 0);
    assert!(!hook.exists());
}

#[test]
fn core_hooks_path_is_respected() {
    let repo = git_repo();
    git(repo.path(), &["config", "core.hooksPath", "tools/hooks"]);
    let output = install(repo.path(), &[]);
    assert_eq!(exit_code(&output), 0, "{}", stdout_and_stderr(&output));
    assert!(repo.path().join("tools/hooks/pre-commit").is_file());
    assert!(!hook_path(repo.path()).exists());
}

#[test]
fn a_linked_worktree_uses_the_repository_hooks() {
    let repo = git_repo();
    write(repo.path(), "a.txt", "a\n");
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "-q", "-m", "base"]);
    let worktree = repo.path().join("wt");
    git(repo.path(), &["worktree", "add", "-q", "wt"]);
    let output = install(&worktree, &[]);
    assert_eq!(exit_code(&output), 0, "{}", stdout_and_stderr(&output));
    // Git runs the common hooks directory's hooks in every worktree.
    assert!(hook_path(repo.path()).is_file());

    write(&worktree, "leak.txt", format!("{}\n", key()));
    git(&worktree, &["add", "."]);
    let output = commit(&worktree, path_with_katscan());
    assert!(!output.status.success(), "{}", stdout_and_stderr(&output));
}

#[test]
fn outside_a_repository_is_a_clear_error() {
    let dir = tempfile::TempDir::new().unwrap();
    let output = install(dir.path(), &[]);
    assert_eq!(exit_code(&output), 2);
    assert!(stdout_and_stderr(&output).contains("not inside a git work tree"));
}

#[cfg(unix)]
#[test]
fn a_symlinked_hook_is_replaced_by_force_and_its_target_left_alone() {
    let repo = git_repo();
    let team_script = "#!/bin/sh\nmake lint\n";
    write(repo.path(), "scripts/pre-commit", team_script);
    let hook = hook_path(repo.path());
    fs::create_dir_all(hook.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink("../../scripts/pre-commit", &hook).unwrap();
    let script = || fs::read_to_string(repo.path().join("scripts/pre-commit")).unwrap();

    let output = install(repo.path(), &[]);
    assert_eq!(exit_code(&output), 2, "{}", stdout_and_stderr(&output));
    assert_eq!(script(), team_script);

    let output = install(repo.path(), &["--force"]);
    assert_eq!(exit_code(&output), 0, "{}", stdout_and_stderr(&output));
    assert_eq!(script(), team_script, "the team's script is untouched");
    let metadata = fs::symlink_metadata(&hook).unwrap();
    assert!(metadata.is_file(), "the link itself was replaced");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(metadata.permissions().mode() & 0o777, 0o755);
    assert!(
        fs::read_to_string(&hook)
            .unwrap()
            .contains("exec katscan staged")
    );

    // Linked again: neither installing nor uninstalling touches a link
    // without --force, and the refusal says why.
    fs::remove_file(&hook).unwrap();
    std::os::unix::fs::symlink("../../scripts/pre-commit", &hook).unwrap();
    for args in [&[][..], &["--uninstall"]] {
        let output = install(repo.path(), args);
        assert_eq!(exit_code(&output), 2, "{args:?}");
        assert!(
            stdout_and_stderr(&output).contains("symbolic link"),
            "{}",
            stdout_and_stderr(&output)
        );
        assert!(
            fs::symlink_metadata(&hook)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(script(), team_script);
    }
    assert_eq!(exit_code(&install(repo.path(), &["--force"])), 0);

    let output = install(repo.path(), &["--uninstall"]);
    assert_eq!(exit_code(&output), 0, "{}", stdout_and_stderr(&output));
    assert!(!hook.exists());
    assert_eq!(script(), team_script);
}

#[test]
fn edits_to_katscans_own_hook_are_kept_unless_forced() {
    let repo = git_repo();
    let output = install(repo.path(), &[]);
    assert_eq!(exit_code(&output), 0, "{}", stdout_and_stderr(&output));
    let hook = hook_path(repo.path());
    let edited = fs::read_to_string(&hook)
        .unwrap()
        .replace("exec katscan staged", "exec katscan staged --fail-on error");
    fs::write(&hook, &edited).unwrap();

    for args in [&[][..], &["--uninstall"]] {
        let output = install(repo.path(), args);
        assert_eq!(exit_code(&output), 2, "{args:?}");
        let text = stdout_and_stderr(&output);
        assert!(
            text.contains("edited") && text.contains("--force"),
            "{args:?}: {text}"
        );
        assert_eq!(fs::read_to_string(&hook).unwrap(), edited, "{args:?}");
    }

    let output = install(repo.path(), &["--force"]);
    assert_eq!(exit_code(&output), 0, "{}", stdout_and_stderr(&output));
    let fresh = fs::read_to_string(&hook).unwrap();
    assert!(
        fresh.contains("exec katscan staged\n") && !fresh.contains("--fail-on"),
        "{fresh}"
    );
    // Unedited again: replaced and removed without asking.
    assert_eq!(exit_code(&install(repo.path(), &[])), 0);
    fs::write(&hook, format!("{fresh}echo committed\n")).unwrap();
    let output = install(repo.path(), &["--uninstall", "--force"]);
    assert_eq!(exit_code(&output), 0, "{}", stdout_and_stderr(&output));
    assert!(!hook.exists());
}

fn push(repo: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .arg("push")
        .args(args)
        .current_dir(repo)
        .env("PATH", path_with_katscan())
        .env("NO_COLOR", "1")
        .output()
        .expect("git runs")
}

fn commit_all(repo: &Path, message: &str) {
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "--no-verify", "-m", message]);
}

#[test]
fn the_pre_push_hook_refuses_commits_that_ever_held_a_key() {
    let remote = tempfile::TempDir::new().unwrap();
    git(remote.path(), &["init", "-q", "--bare", "-b", "main"]);
    let repo = git_repo();
    let root = repo.path();
    git(root, &["checkout", "-q", "-b", "main"]);
    let url = remote.path().to_str().unwrap();
    git(root, &["remote", "add", "origin", url]);

    let output = install(root, &["--pre-push"]);
    assert_eq!(exit_code(&output), 0, "{}", stdout_and_stderr(&output));
    assert!(stdout_and_stderr(&output).contains("pre-push hook"));
    let hook = root.join(".git/hooks/pre-push");
    assert!(
        fs::read_to_string(&hook)
            .unwrap()
            .contains("katscan history")
    );
    assert!(!hook_path(root).exists(), "the pre-commit hook is another");

    // The first push of a branch: all its commits, here clean.
    write(root, "README.md", "# app\n");
    commit_all(root, "start");
    let output = push(root, &["-q", "origin", "main"]);
    assert!(output.status.success(), "{}", stdout_and_stderr(&output));

    // A key added then removed before the push is still refused.
    write(root, "config.env", format!("KATALO_API_KEY={}\n", key()));
    commit_all(root, "add key");
    fs::remove_file(root.join("config.env")).unwrap();
    commit_all(root, "remove key");
    let output = push(root, &["-q", "origin", "main"]);
    assert!(!output.status.success(), "the push must be refused");
    let text = stdout_and_stderr(&output);
    assert!(
        text.contains("KAT001") && text.contains("config.env"),
        "{text}"
    );
    assert!(!text.contains(crate::support::SECRET));

    // A new branch from the clean commit: only its own commits count.
    git(root, &["checkout", "-q", "-b", "feature", "origin/main"]);
    write(root, "notes.md", "clean\n");
    commit_all(root, "notes");
    let output = push(root, &["-q", "origin", "feature"]);
    assert!(output.status.success(), "{}", stdout_and_stderr(&output));
    // Deleting a branch scans nothing.
    let output = push(root, &["-q", "origin", "--delete", "feature"]);
    assert!(output.status.success(), "{}", stdout_and_stderr(&output));

    let output = install(root, &["--pre-push", "--uninstall"]);
    assert_eq!(exit_code(&output), 0, "{}", stdout_and_stderr(&output));
    assert!(!hook.exists());
    let output = push(root, &["-q", "origin", "main"]);
    assert!(output.status.success(), "{}", stdout_and_stderr(&output));
}
