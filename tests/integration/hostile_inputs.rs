//! Config, baseline and ignore files are input too, often from the
//! repository being scanned (issue 9, section 3): a symbolic link to
//! `/proc/self/environ` must not print the environment, `/dev/zero` must not
//! be read without end, a FIFO must not block, and a diagnostic shows only
//! the offending line. Every run here is bounded in time.
#![cfg(unix)]

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Command as StdCommand;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

use crate::staged::{git, git_repo};
use crate::support::{katscan, key, write};

/// A value planted in the child's environment: it must never be printed.
const CANARY_VAR: &str = "KATSCAN_TEST_CANARY";
/// It contains `[`, an invalid glob, so an ignore file made of the
/// environment would put it into an error message.
const CANARY: &str = "zq[canary-7c41e9-env-value";

/// Runs `command` in `dir` with the canary in its environment; fails if it
/// takes more than 20 s. Returns the exit code and stdout + stderr.
fn run(dir: &Path, command: &mut Command) -> (i32, String) {
    let started = Instant::now();
    let output = command
        .current_dir(dir)
        .env(CANARY_VAR, CANARY)
        .timeout(Duration::from_secs(20))
        .output()
        .expect("katscan runs");
    let elapsed = started.elapsed();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        elapsed < Duration::from_secs(20),
        "took {elapsed:?}: {}",
        &text[..text.len().min(2000)]
    );
    let code = output
        .status
        .code()
        .unwrap_or_else(|| panic!("killed after {elapsed:?}"));
    assert!(
        !text.contains("canary-7c41e9"),
        "the environment leaked: {}",
        &text[..text.len().min(4000)]
    );
    (code, text)
}

/// `katscan scan ARGS` in `dir`.
fn scan(dir: &Path, args: &[&str]) -> (i32, String) {
    run(dir, katscan().arg("scan").args(args))
}

fn mkfifo(path: &Path) {
    let status = StdCommand::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

/// A git repository (a `.git` directory is all discovery needs) holding a
/// key in `sub/a.env` and one in `ignored/b.env`.
fn repository() -> TempDir {
    let dir = TempDir::new().unwrap();
    fs::create_dir(dir.path().join(".git")).unwrap();
    write(
        dir.path(),
        "sub/a.env",
        format!("KATALO_API_KEY={}\n", key()),
    );
    write(
        dir.path(),
        "ignored/b.env",
        format!("KATALO_API_KEY={}\n", key()),
    );
    dir
}

/// `(path, rule)` of the reported findings and `(path, reason)` of the
/// skips of a JSON report.
fn json_findings_and_skips(text: &str) -> (Vec<String>, Vec<(String, String)>) {
    let start = text.find('{').expect("a JSON report");
    let end = text.rfind('}').unwrap() + 1;
    let document: Value = serde_json::from_str(&text[start..end]).expect("JSON");
    let mut findings: Vec<String> = document["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    findings.sort();
    let skips = document["summary"]["skipped_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["path"].as_str().unwrap().to_string(),
                s["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (findings, skips)
}

#[test]
fn a_discovered_config_linked_to_the_environment_is_not_read() {
    let dir = repository();
    symlink("/proc/self/environ", dir.path().join(".katscan.toml")).unwrap();
    let (code, text) = scan(dir.path(), &["-v"]);
    assert_eq!(code, 1, "scanned with the built-in rules: {text}");
    assert!(
        text.contains("not reading config .katscan.toml")
            && text.contains("a symbolic link leading outside"),
        "{text}"
    );
    // Found at the git top level from a subdirectory, too.
    let (code, _) = scan(&dir.path().join("sub"), &[]);
    assert_eq!(code, 1);
}

#[test]
fn a_config_linked_to_a_dotenv_shows_only_the_offending_line() {
    let dir = repository();
    write(
        dir.path(),
        ".env",
        format!(
            "KATALO_API_KEY={}\nDB_PASSWORD=hunter2-second-line\n",
            key()
        ),
    );
    symlink(".env", dir.path().join(".katscan.toml")).unwrap();
    let (code, text) = scan(dir.path(), &[]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("invalid config file .katscan.toml"), "{text}");
    assert!(
        !text.contains("hunter2"),
        "a second line was echoed: {text}"
    );
}

#[test]
fn a_one_line_megabyte_config_is_cropped_around_the_mistake() {
    let dir = repository();
    let config = format!("exclude = [{}1]\n", "\"vendor/\", ".repeat(100_000));
    write(dir.path(), "big.toml", &config);
    let (code, text) = scan(dir.path(), &["--config", "big.toml"]);
    assert_eq!(code, 2, "{}", &text[..text.len().min(2000)]);
    assert!(text.contains("big.toml:1:"), "{text}");
    assert!(text.len() < 2_000, "{} bytes of diagnostic", text.len());
}

#[test]
fn devices_and_fifos_named_as_config_or_baseline_are_errors_not_hangs() {
    let dir = repository();
    let fifo = dir.path().join("fifo.toml");
    mkfifo(&fifo);
    for args in [
        &["--config", "/dev/zero"][..],
        &["--config", "fifo.toml"],
        &["--baseline", "/dev/zero"],
        &["--baseline", "fifo.toml"],
    ] {
        let (code, text) = scan(dir.path(), args);
        assert_eq!(code, 2, "{args:?}: {text}");
        assert!(
            text.contains("not a regular file") && text.contains(args[1]),
            "{args:?}: {text}"
        );
    }
    let (code, text) = run(
        dir.path(),
        katscan().arg("scan").env("KATSCAN_CONFIG", "/dev/zero"),
    );
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("cannot read config file /dev/zero: not a regular file (a character device)"),
        "{text}"
    );
}

#[test]
fn an_oversized_config_is_a_clear_error() {
    let dir = repository();
    let mut config = String::from("exclude = []\n");
    let comment = format!("# {}\n", "x".repeat(1000));
    while config.len() <= 16 * 1024 * 1024 {
        config.push_str(&comment);
    }
    write(dir.path(), ".katscan.toml", &config);
    let (code, text) = scan(dir.path(), &[]);
    assert_eq!(code, 2, "{}", &text[..text.len().min(2000)]);
    assert!(
        text.contains("cannot read config file .katscan.toml: larger than 16 MiB"),
        "{text}"
    );
}

#[test]
fn ignore_files_linked_to_dev_zero_are_not_read() {
    for name in [".katscanignore", ".ignore", ".gitignore"] {
        for at in ["", "sub/"] {
            let dir = repository();
            write(dir.path(), ".katscanignore", "ignored/\n");
            let link = format!("{at}{name}");
            let _ = fs::remove_file(dir.path().join(&link));
            symlink("/dev/zero", dir.path().join(&link)).unwrap();
            let (code, text) = scan(dir.path(), &["-f", "json"]);
            assert_eq!(code, 1, "{link}: {text}");
            let (findings, skips) = json_findings_and_skips(&text);
            if link == ".katscanignore" {
                // Not read: `ignored/` is scanned (more, never less).
                assert_eq!(findings, ["ignored/b.env", "sub/a.env"], "{link}");
            } else {
                // The other ignore files still apply.
                assert_eq!(findings, ["sub/a.env"], "{link}");
            }
            assert!(
                skips.contains(&(link.clone(), "bad_ignore_file".to_string())),
                "{link}: {skips:?}"
            );
        }
    }
}

#[test]
fn an_ignore_file_linked_to_the_environment_is_not_read() {
    let dir = repository();
    symlink("/proc/self/environ", dir.path().join("sub/.katscanignore")).unwrap();
    symlink("/proc/self/environ", dir.path().join(".ignore")).unwrap();
    let (code, text) = scan(dir.path(), &["-v"]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("skipped sub/.katscanignore: bad ignore file (not read: a symbolic link"),
        "{text}"
    );
    // Paths named with --force-exclude are judged by the same reader.
    let (code, text) = scan(dir.path(), &["-v", "--force-exclude", "sub/a.env"]);
    assert_eq!(code, 1, "{text}");
    let (code, _) = run(dir.path(), katscan().args(["classify", "--all", "."]));
    assert_eq!(code, 0);
}

#[test]
fn a_fifo_or_oversized_ignore_file_neither_blocks_nor_applies() {
    let dir = repository();
    mkfifo(&dir.path().join("sub/.gitignore"));
    let mut big = String::from("ignored/\n");
    while big.len() <= 1024 * 1024 {
        big.push_str("# padding padding padding padding padding padding padding\n");
    }
    write(dir.path(), ".ignore", &big);
    let (code, text) = scan(dir.path(), &["-f", "json"]);
    assert_eq!(code, 1, "{text}");
    let (findings, skips) = json_findings_and_skips(&text);
    assert_eq!(findings, ["ignored/b.env", "sub/a.env"]);
    for path in ["sub/.gitignore", ".ignore"] {
        assert!(
            skips.contains(&(path.to_string(), "bad_ignore_file".to_string())),
            "{path}: {skips:?}"
        );
    }
}

#[test]
fn ignore_files_linked_inside_the_repository_still_apply() {
    let dir = repository();
    write(dir.path(), "shared-ignore", "ignored/\n");
    symlink("shared-ignore", dir.path().join(".katscanignore")).unwrap();
    let (code, text) = scan(dir.path(), &["-f", "json"]);
    assert_eq!(code, 1, "{text}");
    let (findings, skips) = json_findings_and_skips(&text);
    assert_eq!(findings, ["sub/a.env"]);
    assert!(skips.is_empty(), "{skips:?}");
}

#[test]
fn staged_scans_do_not_read_hostile_ignore_files() {
    let repo = git_repo();
    let dir = repo.path();
    write(dir, "sub/a.env", format!("KATALO_API_KEY={}\n", key()));
    symlink("/proc/self/environ", dir.join(".katscanignore")).unwrap();
    symlink("/dev/zero", dir.join("sub/.ignore")).unwrap();
    git(dir, &["add", "sub/a.env"]);
    let (code, text) = run(dir, katscan().args(["staged", "-v"]));
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains(".katscanignore: bad ignore file (not read"),
        "{text}"
    );
}

#[test]
fn the_build_output_walk_does_not_read_hostile_ignore_files_either() {
    let dir = repository();
    write(dir.path(), ".gitignore", "dist/\n");
    write(
        dir.path(),
        "dist/app.js",
        format!("const k = \"{}\";\n", key()),
    );
    write(
        dir.path(),
        "dist/sub/x.js",
        format!("const k = \"{}\";\n", key()),
    );
    write(dir.path(), "dist/sub/.katscanignore", "x.js\n");
    symlink("/dev/zero", dir.path().join("dist/.katscanignore")).unwrap();
    let (code, text) = scan(dir.path(), &["-f", "json", "--include-build-output"]);
    assert_eq!(code, 1, "{text}");
    let (findings, skips) = json_findings_and_skips(&text);
    // `dist/` is walked without its hostile ignore file; the safe reading
    // of `dist/sub/.katscanignore` still excludes `x.js`.
    assert_eq!(
        findings,
        ["dist/app.js", "ignored/b.env", "sub/a.env"],
        "{text}"
    );
    assert!(
        skips.contains(&(
            "dist/.katscanignore".to_string(),
            "bad_ignore_file".to_string()
        )),
        "{skips:?}"
    );
}
