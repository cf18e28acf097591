//! `katscan history`: every key that entered a repository's history, named
//! with the commit that brought it in, in repositories built here with real
//! `git`. Each test asserts every (commit, path, line, rule) and nothing
//! else.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use tempfile::TempDir;

use crate::staged::{git, git_repo};
use crate::support::{
    exit_code, katscan, key, other_key, planted_key, repo_root, schema_file, stdout_and_stderr,
    write,
};

/// A third key, for tests that need more than two.
fn third_key() -> String {
    planted_key("Hy6Dm3QwPz8R", "Qe7-Lm2Rz_9XcVb4TnWk1PsJd5FgHa8U")
}

/// Commits everything in the work tree; returns the commit's full id.
fn commit(dir: &Path, message: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "--allow-empty", "-m", message]);
    head(dir)
}

fn head(dir: &Path) -> String {
    rev_parse(dir, "HEAD")
}

fn rev_parse(dir: &Path, revision: &str) -> String {
    let output = Command::new("git")
        .args(["rev-parse", revision])
        .current_dir(dir)
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

fn history(dir: &Path, args: &[&str]) -> Output {
    katscan()
        .current_dir(dir)
        .arg("history")
        .args(args)
        .output()
        .expect("katscan runs")
}

fn history_json(dir: &Path, args: &[&str]) -> (Value, i32) {
    let output = history(dir, &[&["--format", "json"], args].concat());
    let document = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", stdout_and_stderr(&output)));
    (document, exit_code(&output))
}

/// One reported finding: introducing commit, path, line, rule, still at a
/// tip, and the commit that removed it.
type Row = (String, String, u64, String, bool, Option<String>);

fn rows(document: &Value) -> Vec<Row> {
    document["findings"]
        .as_array()
        .expect("findings is an array")
        .iter()
        .filter(|f| f["suppression"].is_null())
        .map(|f| {
            let history = &f["history"];
            (
                history["commit"]["id"]
                    .as_str()
                    .expect("a commit")
                    .to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["rule_id"].as_str().unwrap().to_string(),
                history["still_present"].as_bool().expect("still_present"),
                history["removed_in"]["id"].as_str().map(str::to_string),
            )
        })
        .collect()
}

fn row(
    commit: &str,
    path: &str,
    line: u64,
    rule: &str,
    present: bool,
    removed: Option<&str>,
) -> Row {
    (
        commit.to_string(),
        path.to_string(),
        line,
        rule.to_string(),
        present,
        removed.map(str::to_string),
    )
}

#[test]
fn a_key_added_then_removed_is_found_with_both_commits() {
    let repo = git_repo();
    let root = repo.path();
    write(root, "README.md", "# app\n");
    let first = commit(root, "start");
    write(
        root,
        "config.env",
        format!("PORT=8080\nKATALO_API_KEY={}\n", key()),
    );
    let added = commit(root, "add config");
    fs::remove_file(root.join("config.env")).unwrap();
    let removed = commit(root, "oops, remove the key");

    // The working tree and the index are clean: only history has the key.
    let scan = katscan()
        .current_dir(root)
        .args(["scan", "."])
        .output()
        .unwrap();
    assert_eq!(exit_code(&scan), 0, "{}", stdout_and_stderr(&scan));

    let (document, code) = history_json(root, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        rows(&document),
        [row(
            &added,
            "config.env",
            2,
            "KAT001",
            false,
            Some(&removed)
        )]
    );
    let finding = &document["findings"][0];
    assert_eq!(finding["history"]["commit"]["author"], "katscan tests");
    assert!(
        finding["history"]["commit"]["short_id"]
            .as_str()
            .is_some_and(|s| added.starts_with(s) && s.len() < added.len())
    );
    // The secret stays masked.
    assert!(!document.to_string().contains(crate::support::SECRET));

    // The human report says where it came from and that it is gone.
    let output = history(root, &[]);
    let text = stdout_and_stderr(&output);
    // The message wraps: compare words.
    let words = text
        .split(|c: char| c.is_whitespace() || c == '│')
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let day = &document["findings"][0]["history"]["commit"]["date"]
        .as_str()
        .unwrap()[..10];
    assert!(
        words.contains(&format!(
            "(introduced in {} by katscan tests on {day}, removed in {}; still in history)",
            &added[..7],
            &removed[..7]
        )),
        "{text}"
    );
    assert!(text.contains("config.env:2:16"), "{text}");

    // Only the commit that removed it: nothing.
    let (document, code) = history_json(root, &[&format!("{added}..HEAD")]);
    assert_eq!(code, 0, "{document}");
    assert_eq!(rows(&document), []);
    let (document, code) = history_json(root, &[&format!("{first}..{added}")]);
    assert_eq!(code, 1);
    assert_eq!(
        rows(&document),
        [row(&added, "config.env", 2, "KAT001", true, None)],
        "at the range's tip the key is still there"
    );
}

#[test]
fn a_renamed_file_and_a_key_moved_between_files_are_each_reported_where_they_were() {
    let repo = git_repo();
    let root = repo.path();
    write(root, "a.env", format!("KATALO_API_KEY={}\n", key()));
    let added = commit(root, "add");
    git(root, &["mv", "a.env", "server.env"]);
    let renamed = commit(root, "rename");
    // Lines above the key: it moves down, same file, same key: no new
    // finding (the fingerprint does not depend on the line).
    write(
        root,
        "server.env",
        format!("# server\nPORT=1\nKATALO_API_KEY={}\n", key()),
    );
    commit(root, "edit");
    // The key moves to another file.
    write(root, "server.env", "# server\nPORT=1\n");
    write(
        root,
        "deploy/settings.toml",
        format!("[katalo]\nkey = \"{}\"\n", key()),
    );
    let moved = commit(root, "move");

    let (document, code) = history_json(root, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        rows(&document),
        [
            row(&added, "a.env", 1, "KAT001", false, Some(&renamed)),
            row(&moved, "deploy/settings.toml", 2, "KAT001", true, None),
            row(&renamed, "server.env", 1, "KAT001", false, Some(&moved)),
        ]
    );
}

#[test]
fn every_ref_is_scanned_with_all_and_only_head_without() {
    let repo = git_repo();
    let root = repo.path();
    git(root, &["checkout", "-q", "-b", "main"]);
    write(root, "README.md", "# app\n");
    commit(root, "start");
    git(root, &["checkout", "-q", "-b", "feature"]);
    write(root, "feature.env", format!("K={}\n", other_key()));
    let on_feature = commit(root, "feature key");
    git(root, &["checkout", "-q", "main"]);
    write(root, "main.env", format!("X=1\nK={}\n", key()));
    let on_main = commit(root, "main key");

    let (document, _) = history_json(root, &[]);
    assert_eq!(
        rows(&document),
        [row(&on_main, "main.env", 2, "KAT001", true, None)]
    );
    let (document, code) = history_json(root, &["--all"]);
    assert_eq!(code, 1);
    assert_eq!(
        rows(&document),
        [
            // Still at the tip of the branch that has it.
            row(&on_feature, "feature.env", 1, "KAT001", true, None),
            row(&on_main, "main.env", 2, "KAT001", true, None),
        ]
    );
    // The same key on two branches at one path is one finding, at the
    // older commit.
    git(root, &["checkout", "-q", "feature"]);
    write(root, "main.env", format!("X=1\nK={}\n", key()));
    commit(root, "same key on feature");
    let (document, _) = history_json(root, &["--all"]);
    assert_eq!(rows(&document).len(), 2, "{document}");
}

#[test]
fn keys_from_merged_branches_and_from_merge_resolutions_are_found() {
    let repo = git_repo();
    let root = repo.path();
    git(root, &["checkout", "-q", "-b", "main"]);
    write(root, "README.md", "# app\n");
    commit(root, "start");
    git(root, &["checkout", "-q", "-b", "side"]);
    write(root, "side.env", format!("K={}\n", key()));
    let on_side = commit(root, "side key");
    git(root, &["checkout", "-q", "main"]);
    write(root, "other.txt", "x\n");
    commit(root, "main work");
    // A merge whose resolution adds a key no parent had.
    git(root, &["merge", "-q", "--no-ff", "--no-commit", "side"]);
    write(root, "merge.env", format!("A=1\nB=2\nK={}\n", other_key()));
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "merge side"]);
    let merge = head(root);

    let (document, code) = history_json(root, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        rows(&document),
        [
            row(&merge, "merge.env", 3, "KAT001", true, None),
            row(&on_side, "side.env", 1, "KAT001", true, None),
        ]
    );
}

#[test]
fn a_pull_request_range_reports_only_its_own_commits() {
    let repo = git_repo();
    let root = repo.path();
    git(root, &["checkout", "-q", "-b", "main"]);
    // A key already on main (the working-tree scan's business) is not the
    // pull request's.
    write(root, "old.env", format!("K={}\n", key()));
    let base = commit(root, "old key");
    git(root, &["checkout", "-q", "-b", "pr"]);
    write(root, "src/app.js", "const x = 1;\n");
    commit(root, "work");
    write(
        root,
        "src/app.js",
        format!("const x = 1;\nconst k = \"{}\";\n", other_key()),
    );
    let added = commit(root, "add key");
    write(root, "src/app.js", "const x = 1;\n");
    let removed = commit(root, "remove key");

    let (document, code) = history_json(root, &[&format!("{base}..pr")]);
    assert_eq!(code, 1, "a pull request that adds then removes a key fails");
    assert_eq!(
        rows(&document),
        [row(
            &added,
            "src/app.js",
            2,
            "KAT001",
            false,
            Some(&removed)
        )]
    );
    let (document, _) = history_json(root, &["main..pr"]);
    assert_eq!(rows(&document).len(), 1);
    // `main...pr`: both sides since the merge base; main has nothing new.
    let (document, _) = history_json(root, &["main...pr"]);
    assert_eq!(rows(&document).len(), 1);
}

#[test]
fn a_baseline_entry_accepts_its_key_in_every_commit() {
    let repo = git_repo();
    let root = repo.path();
    write(root, "a.env", format!("A=1\nB=2\nK={}\n", key()));
    commit(root, "key at line 3");
    write(root, "a.env", format!("K={}\n", key()));
    commit(root, "key at line 1");
    // The baseline is written by a scan of the work tree (the key at line
    // 1) and accepts the same key at line 3 of the older commit.
    let written = katscan()
        .current_dir(root)
        .args(["scan", "--write-baseline", "baseline.toml", "."])
        .output()
        .unwrap();
    assert_eq!(exit_code(&written), 0, "{}", stdout_and_stderr(&written));

    let (document, code) = history_json(root, &["--baseline", "baseline.toml"]);
    assert_eq!(code, 0, "{document}");
    assert_eq!(rows(&document), []);
    assert_eq!(document["summary"]["suppressed"], 1);
    assert_eq!(
        document["findings"][0]["line"], 3,
        "reported at the introducing commit"
    );
    // Without the baseline it is reported.
    let (document, code) = history_json(root, &[]);
    assert_eq!(code, 1);
    assert_eq!(rows(&document).len(), 1);
}

#[test]
fn binary_large_and_linked_files_are_skipped_and_counted() {
    let repo = git_repo();
    let root = repo.path();
    let mut binary = b"\x00\x01PNG".to_vec();
    binary.extend_from_slice(key().as_bytes());
    write(root, "image.png", &binary);
    write(
        root,
        "big.txt",
        format!("{}\nK={}\n", "x".repeat(4096), key()),
    );
    write(root, "small.env", format!("K={}\n", other_key()));
    // A Git LFS pointer: the file's content lives on the LFS server.
    write(
        root,
        "model.bin",
        "version https://git-lfs.github.com/spec/v1\n\
         oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n\
         size 12345\n",
    );
    #[cfg(unix)]
    std::os::unix::fs::symlink("small.env", root.join("link.env")).unwrap();
    let added = commit(root, "files");
    write(root, "image.png", [&binary[..], b"v2"].concat());
    commit(root, "image v2");

    let (document, code) = history_json(root, &["--max-file-size", "1K"]);
    assert_eq!(code, 1);
    assert_eq!(
        rows(&document),
        [row(&added, "small.env", 1, "KAT001", true, None)]
    );
    let skipped = &document["summary"]["skipped"];
    assert_eq!(skipped["binary"], 1, "two versions of one file: {document}");
    assert_eq!(skipped["too_large"], 1);
    assert_eq!(skipped["lfs_pointer"], 1);
    #[cfg(unix)]
    assert_eq!(skipped["not_a_regular_file"], 1);
}

#[cfg(unix)]
#[test]
fn names_that_are_not_utf8_are_two_files() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let repo = git_repo();
    let root = repo.path();
    for name in [&b"a\xff.env"[..], &b"a\xfe.env"[..]] {
        let path = root.join(OsStr::from_bytes(name));
        if fs::write(&path, format!("K={}\n", key())).is_err() {
            // A file system that only takes UTF-8 names: nothing to test.
            return;
        }
    }
    let added = commit(root, "two names");
    let (document, code) = history_json(root, &[]);
    assert_eq!(code, 1);
    let shown = "a\u{FFFD}.env";
    assert_eq!(
        rows(&document),
        [
            row(&added, shown, 1, "KAT001", true, None),
            row(&added, shown, 1, "KAT001", true, None),
        ]
    );
    let prints = crate::support::fingerprints(&document);
    assert_ne!(prints[0], prints[1]);
}

#[test]
fn ranges_that_name_nothing_and_places_that_are_not_repositories_exit_2() {
    let repo = git_repo();
    let root = repo.path();
    write(root, "a.txt", "a\n");
    commit(root, "one");

    let output = history(root, &["HEAD..HEAD"]);
    assert_eq!(exit_code(&output), 2);
    assert!(
        stdout_and_stderr(&output).contains("`HEAD..HEAD` names no commits"),
        "{}",
        stdout_and_stderr(&output)
    );
    let output = history(root, &["no-such-branch"]);
    assert_eq!(exit_code(&output), 2);
    assert!(stdout_and_stderr(&output).contains("no-such-branch"));
    // A revision is never taken for one of git's options.
    let output = history(root, &["--", "--output=/tmp/katscan-history-x"]);
    assert_eq!(exit_code(&output), 2);
    assert!(stdout_and_stderr(&output).contains("is not a revision"));

    let plain = TempDir::new().unwrap();
    let output = history(plain.path(), &[]);
    assert_eq!(exit_code(&output), 2);
    assert!(
        stdout_and_stderr(&output).contains("not inside a git work tree"),
        "{}",
        stdout_and_stderr(&output)
    );
}

/// A repository with three commits and `uploadpack.allowFilter`, to clone
/// shallow or partially from.
fn upstream() -> (TempDir, Vec<String>) {
    let repo = git_repo();
    let root = repo.path();
    git(root, &["config", "uploadpack.allowFilter", "true"]);
    write(root, "old.env", format!("K={}\n", key()));
    let first = commit(root, "old key");
    fs::remove_file(root.join("old.env")).unwrap();
    let second = commit(root, "removed");
    write(root, "new.env", format!("K={}\n", third_key()));
    let third = commit(root, "new key");
    (repo, vec![first, second, third])
}

fn clone(from: &Path, args: &[&str]) -> TempDir {
    let into = TempDir::new().unwrap();
    let url = format!("file://{}", from.display());
    let target = into.path().join("clone");
    git(
        into.path(),
        &[
            &["clone", "-q"],
            args,
            &[url.as_str(), target.to_str().unwrap()],
        ]
        .concat(),
    );
    into
}

#[test]
fn a_shallow_clone_says_history_is_truncated_and_how_to_fetch_it() {
    let (upstream, commits) = upstream();
    let holder = clone(upstream.path(), &["--depth", "1"]);
    let root = holder.path().join("clone");

    let output = history(&root, &["--format", "json"]);
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(text.contains("shallow clone"), "{text}");
    assert!(
        text.contains("git fetch --unshallow") && text.contains("fetch-depth: 0"),
        "{text}"
    );
    let document: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        rows(&document),
        [row(&commits[2], "new.env", 1, "KAT001", true, None)],
        "only the fetched commit was scanned"
    );

    // A pull request range whose base was not fetched: a clear error.
    let output = history(&root, &[&format!("{}..HEAD", commits[0])]);
    assert_eq!(exit_code(&output), 2);
    let text = stdout_and_stderr(&output);
    assert!(
        text.contains("shallow clone") && text.contains("fetch-depth: 0"),
        "{text}"
    );

    // Unshallowed, the whole history is there.
    git(&root, &["fetch", "-q", "--unshallow"]);
    let (document, _) = history_json(&root, &[]);
    assert_eq!(rows(&document).len(), 2, "{document}");
}

#[test]
fn blobs_missing_from_a_partial_clone_are_counted_not_fetched() {
    let (upstream, commits) = upstream();
    let holder = clone(upstream.path(), &["--filter=blob:none"]);
    let root = holder.path().join("clone");

    let output = history(&root, &["--format", "json"]);
    let document: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", stdout_and_stderr(&output)));
    // The checkout fetched the tip's blobs; the removed key's blob was
    // never fetched, and is not fetched by the scan either.
    assert_eq!(
        rows(&document),
        [row(&commits[2], "new.env", 1, "KAT001", true, None)]
    );
    assert_eq!(
        document["summary"]["skipped"]["unreadable"], 1,
        "{document}"
    );
    assert_eq!(document["summary"]["complete"], false);
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(
        text.contains("old.env") && text.contains("partial clone"),
        "{text}"
    );
}

#[test]
fn history_reports_are_valid_json_and_sarif_with_the_commit() {
    let repo = git_repo();
    let root = repo.path();
    git(
        root,
        &[
            "remote",
            "add",
            "origin",
            "https://user:token@example.com/org/app.git",
        ],
    );
    write(root, "a.env", format!("K={}\n", key()));
    let added = commit(root, "add");

    let (document, _) = history_json(root, &[]);
    let schema: Value = serde_json::from_str(
        &fs::read_to_string(repo_root().join("docs/report-v1.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&document)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));

    let output = history(root, &["--format", "sarif"]);
    let sarif: Value = serde_json::from_slice(&output.stdout).unwrap();
    let run = &sarif["runs"][0];
    assert_eq!(
        run["versionControlProvenance"][0]["repositoryUri"], "https://example.com/org/app.git",
        "credentials in the remote URL are dropped"
    );
    assert_eq!(
        run["versionControlProvenance"][0]["revisionId"],
        added.as_str()
    );
    let result = &run["results"][0];
    assert_eq!(result["properties"]["commit"]["id"], added.as_str());
    assert_eq!(result["properties"]["stillPresent"], true);
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "a.env"
    );
    let schema: Value =
        serde_json::from_str(&fs::read_to_string(schema_file("sarif-schema-2.1.0.json")).unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    // A file scan's reports carry no history.
    let scan = katscan()
        .current_dir(root)
        .args(["scan", "--format", "json", "."])
        .output()
        .unwrap();
    let scanned: Value = serde_json::from_slice(&scan.stdout).unwrap();
    assert!(scanned["findings"][0].get("history").is_none());
}

#[test]
fn thousands_of_blobs_are_each_scanned_once() {
    // Past the size where blobs are read in git's pack order.
    let repo = git_repo();
    let root = repo.path();
    for i in 0..1200 {
        write(root, &format!("gen/{i:04}.txt"), format!("value {i}\n"));
    }
    write(root, "gen/0500.txt", format!("K={}\n", key()));
    let first = commit(root, "many files");
    for i in 0..1200 {
        write(root, &format!("gen/{i:04}.txt"), format!("value {i} v2\n"));
    }
    write(root, "gen/0999.txt", format!("v2\nK={}\n", other_key()));
    let second = commit(root, "all changed");
    git(root, &["gc", "-q"]);

    let (document, code) = history_json(root, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        rows(&document),
        [
            row(&first, "gen/0500.txt", 1, "KAT001", false, Some(&second)),
            row(&second, "gen/0999.txt", 2, "KAT001", true, None),
        ]
    );
    assert_eq!(document["summary"]["files_scanned"], 2400);
}

#[test]
fn history_reports_leaked_keys_not_code_that_was_fixed() {
    // A permissive CORS policy, fixed in the next commit, no longer runs
    // anywhere; a key, removed in the same commit, is still leaked. The
    // CORS policy still in the tree is the working-tree scan's finding.
    let repo = git_repo();
    let root = repo.path();
    let cors =
        "def options(response):\n    response.headers[\"Access-Control-Allow-Origin\"] = \"*\"\n";
    write(root, "api/views.py", cors);
    write(
        root,
        "api/settings.py",
        format!("KATALO_API_KEY = \"{}\"\n", key()),
    );
    let added = commit(root, "api");
    write(
        root,
        "api/settings.py",
        "import os\nKATALO_API_KEY = os.environ[\"KATALO_API_KEY\"]\n",
    );
    let fixed = commit(root, "read the key from the environment");
    let scan = katscan()
        .current_dir(root)
        .args(["scan", "-f", "json", "."])
        .output()
        .unwrap();
    let scanned: Value = serde_json::from_slice(&scan.stdout).unwrap();
    assert_eq!(scanned["findings"][0]["rule_id"], "CORS001", "{scanned}");

    let (document, code) = history_json(root, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        rows(&document),
        [row(
            &added,
            "api/settings.py",
            1,
            "KAT001",
            false,
            Some(&fixed)
        )]
    );
}

#[test]
fn since_limits_the_scan_to_recent_commits() {
    let repo = git_repo();
    let root = repo.path();
    write(root, "old.env", format!("K={}\n", key()));
    git(root, &["add", "-A"]);
    let output = Command::new("git")
        .args(["commit", "-q", "-m", "old"])
        .current_dir(root)
        .env("GIT_AUTHOR_DATE", "2020-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2020-01-01T00:00:00Z")
        .output()
        .unwrap();
    assert!(output.status.success());
    write(root, "new.env", format!("K={}\n", other_key()));
    let new = commit(root, "new");

    let (document, _) = history_json(root, &["--since", "2021-01-01"]);
    assert_eq!(
        rows(&document),
        [row(&new, "new.env", 1, "KAT001", true, None)]
    );
    let (document, _) = history_json(root, &[]);
    assert_eq!(rows(&document).len(), 2);
    let output = history(root, &["--since", "2099-01-01"]);
    assert_eq!(exit_code(&output), 2);
    assert!(stdout_and_stderr(&output).contains("--since 2099-01-01 names no commits"));
}
