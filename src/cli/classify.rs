//! `katscan classify`: which files ship to clients, and why, as katscan
//! sees them. For tuning `[client]` in `.katscan.toml` before a finding
//! depends on it.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;

use ignore::WalkBuilder;
use katscan::client::{Region, Side, Verdict};
use katscan::walk::{IGNORE_FILE_NAME, display_path};
use serde::Serialize;

use super::args::{ClassifyArgs, ListFormat};
use super::scan::{client_classifier, use_color};
use super::{ExitStatus, builtin_rules, config, print_error};

/// Content markers (`"use client"`) sit at the top of a file.
const HEAD_BYTES: u64 = 4096;

#[derive(Serialize)]
struct Row {
    path: String,
    /// `client`, `server`, or `none` when no entry matched (`--all`).
    side: &'static str,
    reason: Option<String>,
    /// Set when only part of the file ships (`script-elements`).
    region: Option<&'static str>,
}

pub fn run(args: &ClassifyArgs) -> ExitStatus {
    for path in &args.paths {
        if path.symlink_metadata().is_err() {
            print_error(&format!("{}: no such file or directory", path.display()));
            return ExitStatus::Error;
        }
    }
    let Some(mut rules) = builtin_rules() else {
        return ExitStatus::Error;
    };
    let Ok(config) = config::load_for_scan(
        &args.config,
        &args.paths,
        &mut rules,
        false,
        use_color(super::args::ColorChoice::Auto),
    ) else {
        return ExitStatus::Error;
    };
    let Some(classifier) = client_classifier(config.as_ref()) else {
        return ExitStatus::Error;
    };

    let mut walk = WalkBuilder::new(&args.paths[0]);
    for path in &args.paths[1..] {
        walk.add(path);
    }
    let respect = !args.no_ignore;
    walk.hidden(false)
        .parents(respect)
        .ignore(respect)
        .git_ignore(respect)
        .git_global(respect)
        .git_exclude(respect)
        .filter_entry(|entry| entry.depth() == 0 || entry.file_name() != ".git")
        .sort_by_file_path(|a, b| a.cmp(b));
    if respect {
        walk.add_custom_ignore_filename(IGNORE_FILE_NAME);
    }

    let mut rows = Vec::new();
    for entry in walk.build().flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.path();
        let shown = display_path(path);
        let verdict = classifier.classify(&shown, Some(path), &head(path));
        if verdict.is_none() && !args.all {
            continue;
        }
        rows.push(row(shown, verdict));
    }

    let mut out = BufWriter::new(io::stdout().lock());
    let written = match args.format {
        ListFormat::Json => serde_json::to_writer_pretty(&mut out, &rows)
            .map_err(io::Error::from)
            .and_then(|()| writeln!(out)),
        ListFormat::Text => rows.iter().try_for_each(|row| write_text(&mut out, row)),
    };
    match written.and_then(|()| out.flush()) {
        Err(error) if error.kind() != io::ErrorKind::BrokenPipe => {
            print_error(&format!("cannot write the list: {error}"));
            ExitStatus::Error
        }
        _ => ExitStatus::Success,
    }
}

/// The first bytes of a file; an unreadable file classifies by path alone.
fn head(path: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    if let Ok(file) = File::open(path) {
        let _ = file.take(HEAD_BYTES).read_to_end(&mut bytes);
    }
    bytes
}

fn row(path: String, verdict: Option<Verdict>) -> Row {
    match verdict {
        None => Row {
            path,
            side: "none",
            reason: None,
            region: None,
        },
        Some(verdict) => Row {
            path,
            side: match verdict.side {
                Side::Client => "client",
                Side::Server => "server",
            },
            reason: Some(verdict.reason.to_string()),
            region: match verdict.region {
                Region::Whole => None,
                Region::ScriptElements => Some("script-elements"),
            },
        },
    }
}

fn write_text(out: &mut dyn Write, row: &Row) -> io::Result<()> {
    let part = if row.region.is_some() {
        " (<script> elements only)"
    } else {
        ""
    };
    match &row.reason {
        Some(reason) => writeln!(out, "{:<6}  {}{part}  ({reason})", row.side, row.path),
        None => writeln!(out, "{:<6}  {}", row.side, row.path),
    }
}
