//! Issue 9, sections 1 and 4: what katscan prints when the repository is
//! the attacker's. No secret in any output whichever rules ran, and no file
//! name or content turning into a terminal sequence or a workflow command,
//! in every format and every message.

use std::fs;
use std::path::Path;
use std::process::Output;

use tempfile::TempDir;

use crate::support::{KEY_ID, SECRET, exit_code, katscan, key, planted_key, write};

const FORMATS: [&str; 5] = ["human", "json", "sarif", "github", "markdown"];

/// Issue 9's reproduction key and the one written right after it.
const REPRO_ID: &str = "T0rtUr3x";
const REPRO_SECRET: &str = "Qm8Zp2Lx7Vc4Rb9Nt1Hs6Jd3Fg5Wk0Ya";
const NEXT_ID: &str = "Ab3dE9zq";
const NEXT_SECRET: &str = "Zr5Tq8Wm2Xn7Lp4Kv9Bc1Hd6Jf3Gs0Qe";

fn everything(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// No 8-byte window of `secret` appears in `text`.
fn assert_no_window(text: &str, secret: &str, context: &str) {
    for window in secret.as_bytes().windows(8) {
        let window = std::str::from_utf8(window).unwrap();
        assert!(
            !text.contains(window),
            "{context}: output shows `{window}` of a secret:\n{text}"
        );
    }
}

fn scan(dir: &Path, args: &[&str]) -> Output {
    katscan()
        .current_dir(dir)
        .arg("scan")
        .args(args)
        .output()
        .unwrap()
}

fn assert_no_secret_in_any_format(dir: &Path, extra: &[&str], secrets: &[&str]) {
    for format in FORMATS {
        let mut args = vec!["--format", format, "--fail-on", "never", "-v"];
        args.extend_from_slice(extra);
        let output = scan(dir, &args);
        let text = everything(&output);
        for secret in secrets {
            assert_no_window(&text, secret, &format!("{format} {extra:?}"));
        }
    }
}

#[test]
fn secrets_are_masked_when_no_key_rule_runs() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        ".katscan.toml",
        "[rules]\ndisable = [\"KAT001\", \"KAT002\"]\n",
    );
    write(
        dir.path(),
        "server.js",
        format!(
            "app.use(cors({{ origin: \"*\" }})); const k = \"{}\";\n",
            key()
        ),
    );
    write(
        dir.path(),
        ".env",
        format!("VITE_KATALO_API_KEY={}\n", key()),
    );
    write(
        dir.path(),
        "src/main.rs",
        format!(
            // katscan:allow CORS003 -- a test input, not this project's policy
            "let cors = CorsLayer::very_permissive(); let k = \"{}\";\n",
            key()
        ),
    );
    // Findings are still made (CORS, KAT003), and none shows the secret.
    let output = scan(dir.path(), &["--format", "json"]);
    assert_eq!(exit_code(&output), 1, "{}", everything(&output));
    let text = everything(&output);
    assert!(text.contains("CORS") && text.contains("KAT003"), "{text}");
    assert_no_secret_in_any_format(dir.path(), &[], &[SECRET]);
}

#[test]
fn two_keys_back_to_back_are_both_masked() {
    let dir = TempDir::new().unwrap();
    let both = format!(
        "{}{}",
        planted_key(REPRO_ID, REPRO_SECRET),
        planted_key(NEXT_ID, NEXT_SECRET)
    );
    write(dir.path(), "keys.txt", format!("k={both}\n"));
    assert_no_secret_in_any_format(dir.path(), &[], &[REPRO_SECRET, NEXT_SECRET]);
}

#[test]
fn no_redact_prints_the_secret() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), ".env", format!("KATALO_API_KEY={}\n", key()));
    let output = scan(dir.path(), &["--format", "json", "--no-redact"]);
    assert!(everything(&output).contains(SECRET));
}

/// A `.env` with a key read as configuration: every way it can happen, the
/// diagnostic quotes the line masked.
#[test]
fn config_and_baseline_diagnostics_mask_keys() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), ".env", format!("KATALO_API_KEY={}\n", key()));
    let cases: Vec<(Vec<&str>, Option<&str>)> = vec![
        (vec!["--config", ".env"], None),
        (vec![], Some(".env")),
        (vec!["--baseline", ".env"], None),
    ];
    for (args, env) in cases {
        let mut command = katscan();
        command.current_dir(dir.path()).arg("scan").args(&args);
        if let Some(file) = env {
            command.env("KATSCAN_CONFIG", file);
        }
        let output = command.output().unwrap();
        assert_eq!(exit_code(&output), 2, "{args:?}: {}", everything(&output));
        assert_no_window(&everything(&output), SECRET, &format!("{args:?} {env:?}"));
    }

    // A key pasted where a fingerprint belongs, in config and in a baseline.
    let pasted = TempDir::new().unwrap();
    write(
        pasted.path(),
        ".katscan.toml",
        format!("[allow]\nfingerprints = [\"{}\"]\n", key()),
    );
    let output = scan(pasted.path(), &[]);
    assert_eq!(exit_code(&output), 2, "{}", everything(&output));
    assert_no_window(&everything(&output), SECRET, "key in [allow] fingerprints");

    let baseline = TempDir::new().unwrap();
    write(
        baseline.path(),
        "baseline.toml",
        format!(
            "version = 1\nfindings = [\n  {{ rule = \"KAT001\", path = \".env\", fingerprint = \"{}\" }},\n]\n",
            key()
        ),
    );
    let output = scan(baseline.path(), &["--baseline", "baseline.toml"]);
    assert_eq!(exit_code(&output), 2, "{}", everything(&output));
    assert_no_window(
        &everything(&output),
        SECRET,
        "key as a baseline fingerprint",
    );
}

#[cfg(unix)]
#[test]
fn a_config_symlinked_to_a_dotenv_is_not_echoed() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), ".env", format!("KATALO_API_KEY={}\n", key()));
    std::os::unix::fs::symlink(".env", dir.path().join(".katscan.toml")).unwrap();
    let output = scan(dir.path(), &[]);
    assert_no_window(&everything(&output), SECRET, "symlinked config");
}

/// A `.katscan.toml` with one custom rule `ACME001` and one detector.
fn custom_rule(
    message: &str,
    keyword: &str,
    pattern: &str,
    example: &str,
    negative: &str,
) -> String {
    format!(
        r#"[[rule]]
id = "ACME001"
name = "acme"
level = "error"
summary = "s"
help = "h"
description = "d"
precision = "high"
[[rule.detector]]
message = "{message}"
keywords = ["{keyword}"]
pattern = '{pattern}'
examples = ['{example}']
negative_examples = ['{negative}']
"#
    )
}

#[test]
fn a_custom_rule_whose_negative_example_fires_is_reported_masked() {
    let dir = TempDir::new().unwrap();
    let negative = format!("x = \"{}\"", key());
    write(
        dir.path(),
        ".katscan.toml",
        custom_rule(
            "token",
            "kat_live_",
            r"kat_live_\w+\.[\w-]+",
            r#"x = "kat_live_abcd.efghijklmnopqrstuvwxyz""#,
            &negative,
        ),
    );
    let output = katscan()
        .current_dir(dir.path())
        .args(["rules"])
        .output()
        .unwrap();
    assert_eq!(exit_code(&output), 2, "{}", everything(&output));
    assert_no_window(&everything(&output), SECRET, "custom rule negative example");
}

#[test]
fn explain_masks_examples_from_a_config() {
    let dir = TempDir::new().unwrap();
    let example = format!("acme_token=abc # {}", key());
    write(
        dir.path(),
        ".katscan.toml",
        custom_rule(
            "token",
            "acme_token=",
            r"acme_token=\w+",
            &example,
            "acme_token",
        ),
    );
    let output = katscan()
        .current_dir(dir.path())
        .args(["explain", "ACME001"])
        .output()
        .unwrap();
    assert_eq!(exit_code(&output), 0, "{}", everything(&output));
    let text = everything(&output);
    assert!(text.contains(KEY_ID), "{text}");
    assert_no_window(&text, SECRET, "explain");
}

/// A file name built to forge a workflow command and drive a terminal.
#[cfg(unix)]
const HOSTILE_NAME: &str = "x\n::error title=forged::injected\r\x1b[2J\x07%0A\u{202e}.js";

/// Checks what a reader of `output` would see: no raw control character
/// but newline and tab, no line that the GitHub runner reads as a command
/// (it skips leading blanks) unless it is one of katscan's own annotations.
fn assert_inert(output: &Output, format: &str) {
    for (stream, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        for c in text.chars() {
            let bidi = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
            let raw_control = c.is_control() && c != '\n' && c != '\t';
            assert!(
                !raw_control && !bidi,
                "{format} {stream} carries {c:?}:\n{text}"
            );
        }
        for line in text.lines() {
            let trimmed = line.trim_start();
            if !trimmed.starts_with("::") {
                continue;
            }
            let own = format == "github"
                && stream == "stdout"
                && ["::error file=", "::warning file=", "::notice file="]
                    .iter()
                    .any(|p| line.starts_with(p));
            assert!(own, "{format} {stream} forges a command: {line:?}\n{text}");
            // The properties end at the second `::`; what the file put in
            // them (its name) must neither end them early nor add one.
            let command = line[2..].split("::").next().unwrap_or_default();
            let properties = command.split_once(' ').map_or("", |(_, p)| p);
            let keys: Vec<&str> = properties
                .split(',')
                .map(|p| p.split('=').next().unwrap_or_default())
                .collect();
            assert_eq!(
                keys,
                ["file", "line", "col", "endLine", "endColumn", "title"],
                "{format}: the name broke out of its property: {line:?}"
            );
        }
    }
}

#[cfg(unix)]
#[test]
fn hostile_file_names_and_contents_stay_inert_in_every_format() {
    let dir = TempDir::new().unwrap();
    // A key and a CORS finding in the hostile file, content hostile too.
    let content = format!(
        "app.use(cors()) // \x1b]0;pwned\x07 \r::warning::in-content %0A \u{202e}\nconst k = \"{}\";\n",
        key()
    );
    fs::write(dir.path().join(HOSTILE_NAME), content).unwrap();
    // A binary file with a hostile name: listed by -v.
    fs::write(
        dir.path().join("bin\n::error::skipped\x1b[31m"),
        b"\0\0\0binary",
    )
    .unwrap();
    for format in FORMATS {
        let output = scan(dir.path(), &["--format", format, "-v"]);
        assert_eq!(exit_code(&output), 1, "{format}: {}", everything(&output));
        assert_inert(&output, format);
    }
    let output = katscan()
        .current_dir(dir.path())
        .args(["classify", "--all"])
        .output()
        .unwrap();
    assert_inert(&output, "classify");
}

#[test]
fn a_custom_rule_finding_in_its_message_stays_one_line() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        ".katscan.toml",
        custom_rule(
            "found `{finding}`",
            "acme {",
            r"acme \{[^}]*\}",
            "acme { a }",
            "acme",
        ),
    );
    write(
        dir.path(),
        "conf.txt",
        "acme {\n::error title=forged::from-content\n\x1b[2J\x07\r}\n",
    );
    for format in FORMATS {
        let output = scan(dir.path(), &["--format", format]);
        assert_eq!(exit_code(&output), 1, "{format}: {}", everything(&output));
        assert_inert(&output, format);
    }
}

#[cfg(unix)]
#[test]
fn stale_baseline_entries_with_hostile_paths_stay_inert() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "baseline.toml",
        "version = 1\nfindings = [\n  { rule = \"KAT001\", path = \"a\\n::error title=forged::stale\\u001b[2J\", fingerprint = \"0cf099300017195666bf6fef9dc77eb0\" },\n]\n",
    );
    write(dir.path(), "ok.txt", "nothing here\n");
    let output = scan(dir.path(), &["--baseline", "baseline.toml"]);
    assert_inert(&output, "stale baseline");
}

/// A committed `.katscan.toml` whose error quotes a raw ESC (TOML refuses
/// it and shows the line): even with colours on, the terminal gets no
/// escape sequence from it.
#[test]
fn config_errors_carry_no_escape_sequence_even_in_colour() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        ".katscan.toml",
        "exclude = [\"\x1b]0;pwned\x07\x1b[2J\"]\n",
    );
    let output = scan(dir.path(), &["--color", "always"]);
    assert_eq!(exit_code(&output), 2, "{}", everything(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains('\x1b') && !stderr.contains('\x07'),
        "{stderr:?}"
    );
}
