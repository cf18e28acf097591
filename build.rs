//! Embeds every `rules/*.toml` into the binary.
//!
//! The list is generated from the directory, so adding a rule file is the
//! whole registration: there is no hand-kept registry to drift.

use std::env;
use std::fs;
use std::path::Path;

fn main() {
    let manifest_dir = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let rules_dir = Path::new(&manifest_dir).join("rules");
    println!("cargo::rerun-if-changed={}", rules_dir.display());

    let mut files: Vec<_> = fs::read_dir(&rules_dir)
        .expect("rules/ directory is readable")
        .map(|entry| entry.expect("rules/ entry is readable").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();

    let mut generated = String::from("&[\n");
    for path in &files {
        println!("cargo::rerun-if-changed={}", path.display());
        let name = path.file_name().unwrap().to_string_lossy();
        generated.push_str(&format!(
            "    ({name:?}, include_str!({path:?})),\n",
            path = path.display().to_string()
        ));
    }
    generated.push_str("]\n");

    let out = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("builtin_rules.rs");
    fs::write(out, generated).expect("OUT_DIR is writable");
}
