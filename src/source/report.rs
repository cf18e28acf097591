//! What a scan produced, whatever its source: findings, the files that
//! were scanned, and every file that was not, with the reason. One model
//! for the walk, the index, and later commits and archive entries, so a
//! reporter, the baseline and the exit code never ask where a blob came
//! from.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::baseline::BaselineOutcome;
use crate::finding::Finding;

/// Why a file was not scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// A NUL byte in the first 8 KiB.
    Binary,
    /// Larger than `--max-file-size`.
    TooLarge,
    /// Reading failed (permissions, I/O error): the scan is incomplete.
    Unreadable,
    /// A symbolic link whose target does not exist.
    BrokenSymlink,
    /// A symbolic link that leads back to one of its own parents.
    SymlinkLoop,
    /// A FIFO, socket or device: reading it could block or never end.
    NotARegularFile,
    /// An ignore file that could not be parsed; the rest of it still applies.
    BadIgnoreFile,
    /// Listed by the walk, then gone when read: a file or directory deleted
    /// while the scan ran (an editor's swap file, a build cleaning its
    /// output). Not an error: what no longer exists cannot be read, and a
    /// live working tree has such files all the time, so failing on them
    /// would make scans flaky; the skip is counted and listed with
    /// `--verbose`.
    Vanished,
    /// A Git LFS pointer: the file's content is stored outside the
    /// repository (on the LFS server), so there is nothing here to scan.
    LfsPointer,
}

impl SkipReason {
    /// Whether this skip means content that should have been scanned was not.
    pub fn is_error(self) -> bool {
        matches!(self, SkipReason::Unreadable)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Binary => "binary",
            SkipReason::TooLarge => "too_large",
            SkipReason::Unreadable => "unreadable",
            SkipReason::BrokenSymlink => "broken_symlink",
            SkipReason::SymlinkLoop => "symlink_loop",
            SkipReason::NotARegularFile => "not_a_regular_file",
            SkipReason::BadIgnoreFile => "bad_ignore_file",
            SkipReason::Vanished => "vanished",
            SkipReason::LfsPointer => "lfs_pointer",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SkipReason::Binary => "binary",
            SkipReason::TooLarge => "too large",
            SkipReason::Unreadable => "unreadable",
            SkipReason::BrokenSymlink => "broken symlink",
            SkipReason::SymlinkLoop => "symlink loop",
            SkipReason::NotARegularFile => "not a regular file",
            SkipReason::BadIgnoreFile => "bad ignore file",
            SkipReason::Vanished => "vanished",
            SkipReason::LfsPointer => "Git LFS pointer",
        })
    }
}

/// A path that was not scanned, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub path: String,
    pub reason: SkipReason,
    pub detail: String,
    /// The bytes of the name when they are not UTF-8 (`path` is then
    /// lossy): two files whose names only show the same are two skips.
    #[serde(skip)]
    pub raw_path: Option<Vec<u8>>,
}

impl Skipped {
    /// What identifies the skipped path: its raw bytes where the shown
    /// path is lossy.
    pub(crate) fn identity(&self) -> (&str, Option<&[u8]>, SkipReason) {
        (&self.path, self.raw_path.as_deref(), self.reason)
    }
}

/// Everything a scan produced, sorted for deterministic output.
#[derive(Debug, Default)]
pub struct ScanReport {
    pub findings: Vec<Finding>,
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    pub skipped: Vec<Skipped>,
    /// Set when a baseline was applied to the findings (by the caller: the
    /// walk itself knows nothing of baselines).
    pub baseline: Option<BaselineOutcome>,
    /// The files whose contents were scanned, as reported (in no order; a
    /// file reached twice may appear twice). Only these can make a baseline
    /// entry stale: a file excluded, ignored, skipped or not staged was not
    /// looked at, so its entries are unchecked. The reported path is built
    /// for every file anyway; keeping it instead of dropping it costs a
    /// pointer-sized push per file.
    pub scanned_files: Vec<String>,
}

impl ScanReport {
    pub fn skipped_by_reason(&self) -> BTreeMap<SkipReason, usize> {
        let mut counts = BTreeMap::new();
        for skipped in &self.skipped {
            *counts.entry(skipped.reason).or_insert(0) += 1;
        }
        counts
    }

    /// Findings that count: not suppressed inline or by a baseline.
    pub fn reported(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.is_reported())
    }

    pub fn suppressed_count(&self) -> usize {
        self.findings.iter().filter(|f| !f.is_reported()).count()
    }

    /// False when some file could not be read: the scan is partial.
    pub fn is_complete(&self) -> bool {
        !self.skipped.iter().any(|s| s.reason.is_error())
    }

    /// Puts findings and skips in output order, each finding once.
    pub(crate) fn sort(&mut self) {
        self.findings.sort_by(Finding::order);
        // Overlapping arguments (`katscan scan . src`) reach a file twice;
        // report each finding once. Files are told apart by their raw
        // names: two whose names only show the same are two files.
        self.findings.dedup_by(|a, b| a.is_same(b));
        self.skipped.sort_by(|a, b| a.identity().cmp(&b.identity()));
    }

    pub(crate) fn merge(&mut self, other: ScanReport) {
        self.findings.extend(other.findings);
        self.files_scanned += other.files_scanned;
        self.bytes_scanned += other.bytes_scanned;
        self.skipped.extend(other.skipped);
        self.scanned_files.extend(other.scanned_files);
    }
}
