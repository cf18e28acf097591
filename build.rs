//! Embeds every `rules/**/*.toml` into the binary: rule files, detector
//! files under `rules/detectors/`, and the client-file classification under
//! `rules/clients/` (a different schema, so a separate list).
//!
//! The list is generated from the directory, so adding a file is the whole
//! registration: there is no hand-kept registry to drift.

// A build script talks to cargo on stdout; clippy.toml's ban on `println!`
// guards katscan's own output, not this.
#![allow(clippy::disallowed_macros)]

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let manifest_dir = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let rules_dir = Path::new(&manifest_dir).join("rules");

    let clients_dir = rules_dir.join("clients");
    let mut files = Vec::new();
    collect_toml(&rules_dir, &mut files);
    let (clients, rules): (Vec<PathBuf>, Vec<PathBuf>) = files
        .into_iter()
        .partition(|path| path.starts_with(&clients_dir));

    let out_dir = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    write_list(
        &rules_dir,
        rules,
        &Path::new(&out_dir).join("builtin_rules.rs"),
    );
    write_list(
        &rules_dir,
        clients,
        &Path::new(&out_dir).join("builtin_clients.rs"),
    );
}

/// Writes `&[(name, include_str!(path)), ...]`, sorted by path.
fn write_list(rules_dir: &Path, mut files: Vec<PathBuf>, out: &Path) {
    files.sort();
    let mut generated = String::from("&[\n");
    for path in &files {
        println!("cargo::rerun-if-changed={}", path.display());
        let name = path.strip_prefix(rules_dir).unwrap().to_string_lossy();
        generated.push_str(&format!(
            "    ({name:?}, include_str!({path:?})),\n",
            path = path.display().to_string()
        ));
    }
    generated.push_str("]\n");
    fs::write(out, generated).expect("OUT_DIR is writable");
}

fn collect_toml(dir: &Path, files: &mut Vec<PathBuf>) {
    println!("cargo::rerun-if-changed={}", dir.display());
    for entry in fs::read_dir(dir).expect("rules/ directory is readable") {
        let path = entry.expect("rules/ entry is readable").path();
        if path.is_dir() {
            collect_toml(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "toml") {
            files.push(path);
        }
    }
}
