//! The closing summary a person reads on stderr, whatever the format.

use std::io::{self, Write};

use super::ReportInput;
use crate::rules::Level;
use crate::source::ScanReport;

/// Writes e.g. `katscan: 2 errors, 0 warnings, 0 notes (4 suppressed) in
/// 1204 files (18.2 MiB) in 0.31s; skipped 3 files: 2 binary, 1 too large;
/// 1 stale baseline entry`. Suppressed findings are not in the level counts.
pub fn write_summary(out: &mut dyn Write, input: &ReportInput<'_>) -> io::Result<()> {
    let report = input.report;
    let counts = Counts::of(report);
    let suppressed = if counts.suppressed > 0 {
        format!(" ({} suppressed)", counts.suppressed)
    } else {
        String::new()
    };
    write!(
        out,
        "katscan: {}, {}, {}{suppressed} in {} ({}) in {:.2}s",
        plural(counts.errors, "error"),
        plural(counts.warnings, "warning"),
        plural(counts.notes, "note"),
        plural(report.files_scanned as usize, "file"),
        human_bytes(report.bytes_scanned),
        input.elapsed.as_secs_f64(),
    )?;
    if let Some(skipped) = skipped_text(report) {
        write!(out, "; {skipped}")?;
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

/// The findings of a scan counted once, for the summary line and the
/// Markdown report's heading: reported ones by level, and the suppressed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Counts {
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
    pub suppressed: usize,
}

impl Counts {
    pub fn of(report: &ScanReport) -> Counts {
        let mut counts = Counts::default();
        for finding in &report.findings {
            let count = match (finding.is_reported(), finding.level) {
                (false, _) => &mut counts.suppressed,
                (true, Level::Error) => &mut counts.errors,
                (true, Level::Warning) => &mut counts.warnings,
                (true, Level::Note) => &mut counts.notes,
            };
            *count += 1;
        }
        counts
    }

    /// Findings that count toward the exit status.
    pub fn reported(&self) -> usize {
        self.errors + self.warnings + self.notes
    }
}

/// `skipped 3 paths: 2 binary, 1 too large`, or `None` when nothing was
/// skipped.
pub(super) fn skipped_text(report: &ScanReport) -> Option<String> {
    let skipped = report.skipped_by_reason();
    if skipped.is_empty() {
        return None;
    }
    let parts: Vec<String> = skipped
        .iter()
        .map(|(reason, count)| format!("{count} {reason}"))
        .collect();
    Some(format!(
        "skipped {}: {}",
        plural(report.skipped.len(), "path"),
        parts.join(", ")
    ))
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
