//! `katscan classify`: which files ship to clients, and why, as katscan
//! sees them. For tuning `[client]` in `.katscan.toml` before a finding
//! depends on it.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use katscan::client::{Classifier, Region, Side, Verdict};
use katscan::decode;
use katscan::paths::display_path;
use katscan::walk::{self, WalkOptions};
use serde::Serialize;

use super::args::{ClassifyArgs, ListFormat};
use super::session::client_classifier;
use super::{ExitStatus, Failure, builtin_rules, config, terminal};
use katscan::output::neutralise;

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

pub fn run(args: &ClassifyArgs) -> Result<ExitStatus, Failure> {
    for path in &args.paths {
        if path.symlink_metadata().is_err() {
            return Err(Failure::new(format!(
                "{}: no such file or directory",
                path.display()
            )));
        }
    }
    let mut rules = builtin_rules()?;
    let config = config::load_for_scan(&args.config, &args.paths, &mut rules, false)?;
    let classifier = client_classifier(config.as_ref())?;
    if let Some(file) = &args.graph {
        return print_import_chain(&classifier, file, args.format);
    }

    // Listed as a scan walks: ignore files, config excludes, hidden files.
    let options = WalkOptions {
        paths: args.paths.clone(),
        respect_ignore_files: !args.no_ignore,
        exclude_filter: config::exclude_filter(config.as_ref()),
        ..WalkOptions::default()
    };
    // What the walk lists, and what git tracks although ignore files hide
    // it (a force-added `dist/app.js`): the files a scan reads.
    let files = walk::files_in_order(&options).map_err(Failure::new)?;
    let tracked = walk::tracked_but_ignored_files(&options).map_err(Failure::new)?;

    let mut rows = Vec::new();
    let mut unreadable = false;
    for entry in files {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                // A directory that cannot be listed is not silently absent.
                terminal::say!("katscan: warning: {}", neutralise(&error.to_string()));
                unreadable = true;
                continue;
            }
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        rows.extend(classified(&classifier, entry.path(), args.all));
    }
    for path in &tracked {
        rows.extend(classified(&classifier, path, args.all));
    }
    rows.sort_by(|a, b| a.path.cmp(&b.path));

    let mut out = terminal::stdout(false);
    let written = match args.format {
        ListFormat::Json => serde_json::to_writer_pretty(&mut out, &rows)
            .map_err(io::Error::from)
            .and_then(|()| writeln!(out)),
        ListFormat::Text => rows.iter().try_for_each(|row| write_text(&mut out, row)),
    };
    match written.and_then(|()| out.finish()) {
        Err(error) if error.kind() != io::ErrorKind::BrokenPipe => {
            Err(Failure::new(format!("cannot write the list: {error}")))
        }
        _ if unreadable => Ok(ExitStatus::Error),
        _ => Ok(ExitStatus::Success),
    }
}

#[derive(Serialize)]
struct ChainRow {
    path: String,
    /// `client`, `server`, or `none` when no entry point reaches the file.
    side: &'static str,
    /// What makes the first file of `chain` an entry point.
    entry: Option<String>,
    /// Entry point first, `path` last; each file imports the next.
    chain: Vec<String>,
    /// The verdict the file gets, graph and path data together.
    reason: Option<String>,
}

/// `classify --graph FILE`: the import path from an entry point to `file`.
fn print_import_chain(
    classifier: &Classifier,
    file: &Path,
    format: ListFormat,
) -> Result<ExitStatus, Failure> {
    if !file.is_file() {
        return Err(Failure::new(format!("{}: not a file", file.display())));
    }
    let shown = display_path(file);
    let verdict = classifier.classify(&shown, Some(file), &decode::scannable(&head(file)));
    let reached = classifier.import_chain(&shown, file);
    let row = ChainRow {
        side: match &reached {
            Some((Side::Client, ..)) => "client",
            Some((Side::Server, ..)) => "server",
            None => "none",
        },
        entry: reached.as_ref().map(|(_, _, label)| label.to_string()),
        chain: reached.map(|(_, chain, _)| chain).unwrap_or_default(),
        reason: verdict.map(|v| v.reason.to_string()),
        path: shown,
    };
    let mut out = terminal::stdout(false);
    let written = match format {
        ListFormat::Json => serde_json::to_writer_pretty(&mut out, &row)
            .map_err(io::Error::from)
            .and_then(|()| writeln!(out)),
        ListFormat::Text => write_chain(&mut out, &row),
    };
    match written.and_then(|()| out.finish()) {
        Err(error) if error.kind() != io::ErrorKind::BrokenPipe => Err(Failure::new(format!(
            "cannot write the import path: {error}"
        ))),
        _ => Ok(ExitStatus::Success),
    }
}

fn write_chain(out: &mut dyn Write, row: &ChainRow) -> io::Result<()> {
    let path = neutralise(&row.path);
    match (row.chain.split_first(), &row.entry) {
        (Some((entry, rest)), Some(label)) => {
            let side = if row.side == "client" {
                "bundled for clients"
            } else {
                "reached from server code only"
            };
            writeln!(out, "{path}: {side}")?;
            writeln!(out, "  {}  ({})", neutralise(entry), neutralise(label))?;
            for step in rest {
                writeln!(out, "    imports {}", neutralise(step))?;
            }
        }
        _ => writeln!(out, "{path}: no entry point reaches it")?,
    }
    if let Some(reason) = &row.reason {
        writeln!(out, "verdict: {}", neutralise(reason))?;
    }
    Ok(())
}

/// The row of one file, unless it is neither client nor server and `all`
/// is off.
fn classified(classifier: &Classifier, path: &Path, all: bool) -> Option<Row> {
    let shown = display_path(path);
    let verdict = classifier.classify(&shown, Some(path), &decode::scannable(&head(path)));
    (all || verdict.is_some()).then(|| row(shown, verdict))
}

/// The first bytes of a file; an unreadable file classifies by path alone.
/// Decoded as a scan decodes them ([`decode::scannable`]), so a BOM or
/// UTF-16 does not hide a `"use client"` marker.
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
                Region::OutsideDataFunctions => Some("outside-data-functions"),
            },
        },
    }
}

fn write_text(out: &mut dyn Write, row: &Row) -> io::Result<()> {
    let part = match row.region {
        Some("script-elements") => " (<script> elements only)",
        Some(_) => " (not its data functions)",
        None => "",
    };
    match &row.reason {
        Some(reason) => writeln!(
            out,
            "{:<6}  {}{part}  ({})",
            row.side,
            neutralise(&row.path),
            neutralise(reason)
        ),
        None => writeln!(out, "{:<6}  {}", row.side, neutralise(&row.path)),
    }
}
