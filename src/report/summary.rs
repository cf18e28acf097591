//! The closing summary a person reads on stderr, whatever the format.

use std::io::{self, Write};

use super::ReportInput;
use crate::rules::Level;

/// Writes e.g. `katscan: 2 errors, 0 warnings, 0 notes (4 suppressed) in
/// 1204 files (18.2 MiB) in 0.31s; skipped 3 files: 2 binary, 1 too large;
/// 1 stale baseline entry`. Suppressed findings are not in the level counts.
pub fn write_summary(out: &mut dyn Write, input: &ReportInput<'_>) -> io::Result<()> {
    let report = input.report;
    let count = |level: Level| report.reported().filter(|f| f.level == level).count();
    let suppressed = report.suppressed_count();
    let suppressed = if suppressed > 0 {
        format!(" ({suppressed} suppressed)")
    } else {
        String::new()
    };
    write!(
        out,
        "katscan: {}, {}, {}{suppressed} in {} ({}) in {:.2}s",
        plural(count(Level::Error), "error"),
        plural(count(Level::Warning), "warning"),
        plural(count(Level::Note), "note"),
        plural(report.files_scanned as usize, "file"),
        human_bytes(report.bytes_scanned),
        input.elapsed.as_secs_f64(),
    )?;
    let skipped = report.skipped_by_reason();
    if !skipped.is_empty() {
        let parts: Vec<String> = skipped
            .iter()
            .map(|(reason, count)| format!("{count} {reason}"))
            .collect();
        write!(
            out,
            "; skipped {}: {}",
            plural(report.skipped.len(), "path"),
            parts.join(", ")
        )?;
    }
    if let Some(baseline) = &report.baseline {
        let stale = baseline.stale_count();
        if stale > 0 {
            let verb = if baseline.pruned { "pruned " } else { "" };
            write!(out, "; {verb}{}", plural(stale, "stale baseline entry"))?;
        }
    }
    writeln!(out)?;
    if !report.is_complete() {
        writeln!(
            out,
            "katscan: the scan is incomplete: some files could not be read (listed above)"
        )?;
    }
    Ok(())
}

pub(super) fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else if let Some(stem) = noun.strip_suffix('y') {
        format!("{count} {stem}ies")
    } else {
        format!("{count} {noun}s")
    }
}

pub(super) fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(20 * 1024 * 1024), "20.0 MiB");
    }

    #[test]
    fn plurals() {
        assert_eq!(plural(1, "file"), "1 file");
        assert_eq!(plural(0, "file"), "0 files");
        assert_eq!(
            plural(2, "stale baseline entry"),
            "2 stale baseline entries"
        );
    }
}
