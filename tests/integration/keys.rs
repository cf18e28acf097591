//! How keys are told apart: from placeholders (by the whole key's
//! structure, never a word inside it), from each other when written back
//! to back, and by the raw bytes of the file names they are in.

use tempfile::TempDir;

use crate::support::{expected, locations, planted_key, scan_json, write};

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

/// The placeholder shapes of DESIGN.md stay silent next to it.
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
