//! Bad input never panics and never goes unnoticed: each case is either a
//! clear skip reason (counted, shown with --verbose) or an error with
//! exit status 2.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::support::{KEY_ID, SECRET, exit_code, expected, katscan, key, locations, scan_json};

#[test]
fn a_missing_path_is_an_error() {
    let dir = TempDir::new().unwrap();
    let output = katscan()
        .current_dir(dir.path())
        .args(["scan", "does-not-exist"])
        .output()
        .unwrap();
    assert_eq!(exit_code(&output), 2);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("does-not-exist: no such file or directory"),
        "{stderr}"
    );
}

#[test]
fn an_unreadable_file_is_reported_and_the_scan_goes_on() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("leak.env"), format!("K={}\n", key())).unwrap();
    let locked = dir.path().join("locked.txt");
    fs::write(&locked, "secret stuff").unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();

    // Root reads mode-000 files anyway; /proc/self/mem fails to read for
    // everyone (EIO at offset 0), so the test holds in CI containers too.
    let unreadable = if fs::read(&locked).is_ok() {
        "/proc/self/mem"
    } else {
        "locked.txt"
    };
    let args = [".", unreadable];

    let output = katscan()
        .current_dir(dir.path())
        .arg("scan")
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(stderr.contains("could not be read"), "{stderr}");
    assert!(stderr.contains("the scan is incomplete"), "{stderr}");
    // Findings decide the status when there are some...
    assert_eq!(exit_code(&output), 1);

    let (document, _) = scan_json(dir.path(), &args);
    assert_eq!(locations(&document), expected(&[("leak.env", 1, "KAT001")]));
    assert_eq!(document["summary"]["complete"], false);
    assert_eq!(document["summary"]["skipped"]["unreadable"], 1);

    // ...and without findings, a partial scan is not a clean one.
    fs::remove_file(dir.path().join("leak.env")).unwrap();
    let (_, code) = scan_json(dir.path(), &args);
    assert_eq!(code, 2);
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o644)).unwrap();
}

#[test]
fn binary_files_are_skipped_and_counted() {
    let dir = TempDir::new().unwrap();
    let mut blob = vec![0x7f, b'E', b'L', b'F', 0, 0, 1];
    blob.extend_from_slice(key().as_bytes());
    fs::write(dir.path().join("app.bin"), blob).unwrap();
    let (document, code) = scan_json(dir.path(), &[]);
    assert_eq!(code, 0);
    assert_eq!(document["summary"]["skipped"]["binary"], 1);
    assert_eq!(document["summary"]["files_scanned"], 0);

    let output = katscan()
        .current_dir(dir.path())
        .args(["scan", "--verbose"])
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("skipped app.bin: binary"), "{stderr}");
    assert!(stderr.contains("skipped 1 path: 1 binary"), "{stderr}");
}

#[test]
fn invalid_utf8_does_not_hide_a_key() {
    let dir = TempDir::new().unwrap();
    let mut text = b"caf\xe9 latin-1 \xff\xfe\n\x80 token=".to_vec();
    text.extend_from_slice(key().as_bytes());
    text.extend_from_slice(b" \xc3\n");
    fs::write(dir.path().join("legacy.cfg"), text).unwrap();
    let (document, code) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1);
    let finding = &document["findings"][0];
    assert_eq!(
        (finding["line"].as_u64(), finding["column"].as_u64()),
        (Some(2), Some(9))
    );
    assert_eq!(finding["key_id"], KEY_ID);
}

#[test]
fn utf16_text_is_decoded_not_skipped_as_binary() {
    let dir = TempDir::new().unwrap();
    let script = format!("# deploy.ps1\r\n$env:KATALO_API_KEY = \"{}\"\r\n", key());
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(script.encode_utf16().flat_map(u16::to_le_bytes));
    fs::write(dir.path().join("deploy.ps1"), bytes).unwrap();
    let (document, code) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1);
    let finding = &document["findings"][0];
    // `$env:KATALO_API_KEY = "` is 23 characters; the BOM is not one.
    assert_eq!(
        (finding["line"].as_u64(), finding["column"].as_u64()),
        (Some(2), Some(24))
    );
}

#[test]
fn an_empty_file_is_scanned_and_clean() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("empty.js"), "").unwrap();
    let (document, code) = scan_json(dir.path(), &[]);
    assert_eq!(code, 0);
    assert_eq!(document["summary"]["files_scanned"], 1);
}

#[test]
fn a_symlink_loop_does_not_hang() {
    let dir = TempDir::new().unwrap();
    fs::create_dir(dir.path().join("a")).unwrap();
    symlink("..", dir.path().join("a/up")).unwrap();
    fs::write(dir.path().join("a/k.env"), format!("K={}\n", key())).unwrap();

    let started = Instant::now();
    let (document, code) = scan_json(dir.path(), &["--follow-symlinks"]);
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(code, 1);
    assert_eq!(locations(&document), expected(&[("a/k.env", 1, "KAT001")]));
    assert_eq!(document["summary"]["skipped"]["symlink_loop"], 1);

    // Without --follow-symlinks the link is simply not entered.
    let (document, _) = scan_json(dir.path(), &[]);
    assert_eq!(locations(&document), expected(&[("a/k.env", 1, "KAT001")]));
}

#[test]
fn broken_symlinks_are_skipped_with_a_reason() {
    let dir = TempDir::new().unwrap();
    symlink("nowhere.txt", dir.path().join("dangling.txt")).unwrap();
    // Inside a directory: links are not followed, nothing to report.
    let (document, code) = scan_json(dir.path(), &[]);
    assert_eq!(
        (code, document["summary"]["files_scanned"].as_u64()),
        (0, Some(0))
    );
    // Named on the command line: the user asked for it, so say why not.
    let (document, code) = scan_json(dir.path(), &["dangling.txt"]);
    assert_eq!(code, 0);
    assert_eq!(document["summary"]["skipped"]["broken_symlink"], 1);
    // With --follow-symlinks inside a directory: skipped with the reason.
    let (document, _) = scan_json(dir.path(), &["--follow-symlinks"]);
    assert_eq!(document["summary"]["skipped"]["broken_symlink"], 1);
}

#[test]
fn a_symlink_named_on_the_command_line_is_followed() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("real.env"), format!("K={}\n", key())).unwrap();
    symlink("real.env", dir.path().join("link.env")).unwrap();
    let (document, _) = scan_json(dir.path(), &["link.env"]);
    assert_eq!(locations(&document), expected(&[("link.env", 1, "KAT001")]));
}

#[test]
fn a_fifo_is_never_read() {
    let dir = TempDir::new().unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(dir.path().join("pipe"))
        .status();
    if !status.is_ok_and(|s| s.success()) {
        panic!("mkfifo is needed for this test");
    }
    let started = Instant::now();
    let (document, code) = scan_json(dir.path(), &[]);
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(code, 0);
    assert_eq!(document["summary"]["skipped"]["not_a_regular_file"], 1);
}

#[test]
fn a_20_mb_single_line_with_a_key_at_its_end() {
    let dir = TempDir::new().unwrap();
    let mut bundle = String::with_capacity(20 * 1024 * 1024 + 200);
    bundle.push_str("!function(){");
    while bundle.len() < 20 * 1024 * 1024 {
        bundle.push_str("var a=b.c(d,e)||{};a.f=function(g){return g*2};");
    }
    // 1-based column of the key, after `x="`.
    let column = bundle.chars().count() + 4;
    bundle.push_str(&format!("x=\"{}\";}}();", key()));
    fs::write(dir.path().join("app.min.js"), &bundle).unwrap();

    let (document, code) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1);
    let finding = &document["findings"][0];
    assert_eq!(finding["line"], 1);
    assert_eq!(finding["column"].as_u64(), Some(column as u64));

    // The human output shows a short window, not 20 MB.
    let output = katscan()
        .current_dir(dir.path())
        .arg("scan")
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.len() < 4096,
        "human output is {} bytes",
        stderr.len()
    );
    assert!(
        stderr.contains(&format!("app.min.js:1:{column}")),
        "{stderr}"
    );
    assert!(stderr.contains(KEY_ID) && !stderr.contains(SECRET));
}

#[test]
fn thousands_of_keys_on_one_long_line_are_all_reported() {
    // A bundle that inlines the same config object many times. Costs stay
    // linear: columns are counted incrementally, snippets are cropped.
    let dir = TempDir::new().unwrap();
    let chunk = format!("{{k:\"{}\",pad:\"{}\"}},", key(), "p".repeat(200));
    let count = 20_000;
    fs::write(
        dir.path().join("bundle.js"),
        format!("var c=[{}];", chunk.repeat(count)),
    )
    .unwrap();
    let (document, code) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1);
    let findings = document["findings"].as_array().unwrap();
    assert_eq!(findings.len(), count);
    let last = &findings[count - 1];
    let expected_column = "var c=[".len() + (count - 1) * chunk.len() + "{k:\"".len() + 1;
    assert_eq!(last["column"].as_u64(), Some(expected_column as u64));
}

#[test]
fn files_over_the_size_limit_are_skipped_and_counted() {
    let dir = TempDir::new().unwrap();
    fs::write(
        dir.path().join("big.txt"),
        format!("{}{}", "x ".repeat(1024), key()),
    )
    .unwrap();
    let (document, code) = scan_json(dir.path(), &["--max-file-size", "1K"]);
    assert_eq!(code, 0);
    assert_eq!(document["summary"]["skipped"]["too_large"], 1);
    let (document, _) = scan_json(dir.path(), &["--max-file-size", "1M"]);
    assert_eq!(document["summary"]["files_scanned"], 1);
}

#[test]
fn invalid_arguments_are_usage_errors() {
    for args in [
        &["scan", "--max-file-size", "lots"][..],
        &["scan", "--format", "xml"],
        &["scan", "--exclude", "a/**/[b"],
        &["frobnicate"],
    ] {
        let output = katscan().args(args).output().unwrap();
        assert_eq!(exit_code(&output), 2, "{args:?}");
        assert!(!output.stderr.is_empty(), "{args:?} printed no reason");
    }
}

#[test]
fn an_invalid_exclude_glob_is_quoted_as_written() {
    for args in [
        &["--exclude", "["][..],
        &["--exclude", "[", "--force-exclude"],
    ] {
        let output = katscan().arg("scan").args(args).output().unwrap();
        assert_eq!(exit_code(&output), 2, "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("invalid --exclude glob `[`") && stderr.contains("unclosed"),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("!["), "{args:?}: {stderr}");
    }
}

#[test]
fn staged_rejects_the_exclude_globs_scan_rejects() {
    // One compilation of `--exclude` for every command: `staged` used to
    // take `[` literally where `scan` refused it.
    let repo = crate::staged::git_repo();
    let output = katscan()
        .args(["staged", "--exclude", "["])
        .current_dir(repo.path())
        .output()
        .unwrap();
    assert_eq!(exit_code(&output), 2);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("invalid --exclude glob `[`") && stderr.contains("unclosed"),
        "{stderr}"
    );
}
