//! How keys are told apart: from placeholders (by the whole key's
//! structure, never a word inside it), from each other when written back
//! to back, and by the raw bytes of the file names they are in.

use tempfile::TempDir;

use crate::support::{expected, fingerprints, locations, planted_key, scan_json, write};

/// Issue 9: a random secret containing `fak` was taken for a placeholder
/// (`fake`), and the leaked key passed with exit 0.
#[test]
fn a_random_key_with_a_placeholder_word_inside_is_reported() {
    let dir = TempDir::new().unwrap();
    let key = planted_key("cPQSjaJL", "ZxjsHGY2ZGRQ4LXwZRcxgQfakEDQ3djx");
    write(dir.path(), ".env", format!("KATALO_API_KEY={key}\n"));
    let (document, code) = scan_json(dir.path(), &[]);
    assert_eq!(locations(&document), expected(&[(".env", 1, "KAT001")]));
    assert_eq!(document["findings"][0]["key_id"], "cPQSjaJL");
    assert_eq!(code, 1);
}

/// The documented placeholder shapes (`kat_live_<publicKeyId>.<secret>`,
/// `kat_live_xxxx….xxxx…`, `kat_live_YOUR_KEY_HERE`, `your-api-key-here`)
/// stay silent next to it.
#[test]
fn documentation_placeholders_stay_silent() {
    let dir = TempDir::new().unwrap();
    let fill = planted_key("xxxxxxxx", &"x".repeat(32));
    let words = planted_key("yourKeyId", "yourSecretGoesHere_0000000000");
    write(
        dir.path(),
        ".env.example",
        format!(
            "A=kat_live_<publicKeyId>.<secret>\nB={fill}\nC=kat_live_YOUR_KEY_HERE\n\
             D=your-api-key-here\nE={words}\n"
        ),
    );
    let (document, code) = scan_json(dir.path(), &[]);
    assert_eq!(locations(&document), expected(&[]));
    assert_eq!(code, 0);
}

/// `(path, rule, key id, line, column, end column)` of every finding.
fn key_rows(document: &serde_json::Value) -> Vec<(String, String, String, u64, u64, u64)> {
    document["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rule_id"].as_str().unwrap().to_string(),
                f["key_id"].as_str().unwrap_or_default().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["end_column"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Issue 9: `k=${K}kat_live_Ab3dE9zq.…`: the first key's secret swallowed
/// the second key's prefix, and the second key was never reported.
#[test]
fn keys_written_back_to_back_are_each_reported() {
    let dir = TempDir::new().unwrap();
    let first = planted_key("T0rtUr3x", "Qm8Zp2Lx7Vc4Rb9Nt1Hs6Jd3Fg5Wk0Ya");
    let second = planted_key("Ab3dE9zq", "Zr5Tq8Wm2Xn7Lp4Kv9Bc1Hd6Jf3Gs0Qe");
    write(dir.path(), "run.sh", format!("k={first}{second}\n"));
    write(
        dir.path(),
        "dist/app.js",
        format!("var k=\"{first}{second}\";\n"),
    );
    let (document, code) = scan_json(dir.path(), &[]);
    let end = |column: usize, key: &str| (column + key.len()) as u64;
    let row = |path: &str, rule: &str, id: &str, column: u64, end_column: u64| {
        (
            path.to_string(),
            rule.to_string(),
            id.to_string(),
            1,
            column,
            end_column,
        )
    };
    assert_eq!(
        key_rows(&document),
        [
            row("dist/app.js", "KAT002", "T0rtUr3x", 8, end(8, &first)),
            row(
                "dist/app.js",
                "KAT002",
                "Ab3dE9zq",
                end(8, &first),
                end(8 + first.len(), &second)
            ),
            row("run.sh", "KAT001", "T0rtUr3x", 3, end(3, &first)),
            row(
                "run.sh",
                "KAT001",
                "Ab3dE9zq",
                end(3, &first),
                end(3 + first.len(), &second)
            ),
        ]
    );
    assert_eq!(code, 1);
}

/// Writes `contents` to a file of `dir` named by raw bytes (not UTF-8).
#[cfg(unix)]
pub fn write_raw_named(dir: &std::path::Path, name: &[u8], contents: impl AsRef<[u8]>) {
    use std::os::unix::ffi::OsStrExt;
    let path = dir.join(std::ffi::OsStr::from_bytes(name));
    std::fs::write(path, contents).expect("test files can be written");
}

/// Issue 9: `a\xff.env` and `a\xfe.env` both show as `a\u{FFFD}.env`; with
/// the same key at the same place, de-duplication on the shown name kept
/// one of them, and a leaked key went unreported.
#[cfg(unix)]
#[test]
fn files_whose_names_show_the_same_keep_their_own_findings() {
    let dir = TempDir::new().unwrap();
    let text = format!("KATALO_API_KEY={}\n", crate::support::key());
    write_raw_named(dir.path(), b"a\xff.env", &text);
    write_raw_named(dir.path(), b"a\xfe.env", &text);
    let (document, code) = scan_json(dir.path(), &[]);
    let shown = "a\u{FFFD}.env";
    assert_eq!(
        locations(&document),
        expected(&[(shown, 1, "KAT001"), (shown, 1, "KAT001")])
    );
    assert_eq!(code, 1);
    // Each file has its own fingerprint (a baseline or an allowed
    // fingerprint accepts one file, not both).
    let fingerprints = fingerprints(&document);
    assert_ne!(fingerprints[0], fingerprints[1]);

    // Reached twice through overlapping arguments, each is still reported
    // once.
    let (document, code) = scan_json(dir.path(), &[".", "./"]);
    assert_eq!(document["findings"].as_array().unwrap().len(), 2);
    assert_eq!(code, 1);
}

/// Skips are not merged by the shown name either: two binary files whose
/// names show the same are two skipped files (issue 9, section 5).
#[cfg(unix)]
#[test]
fn skipped_files_whose_names_show_the_same_are_each_listed() {
    let dir = TempDir::new().unwrap();
    write_raw_named(dir.path(), b"b\xff.bin", b"\0binary");
    write_raw_named(dir.path(), b"b\xfe.bin", b"\0binary");
    let (document, _) = scan_json(dir.path(), &[]);
    let skipped = document["summary"]["skipped_files"].as_array().unwrap();
    assert_eq!(skipped.len(), 2, "{document}");
    assert_eq!(document["summary"]["skipped"]["binary"], 2, "{document}");
}
