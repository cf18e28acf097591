//! Where the blobs katscan scans come from, and the one step every blob
//! goes through whatever its source.
//!
//! A source enumerates blobs and reads them: the walk reads work-tree
//! files ([`read_work_tree_file`]); `katscan staged` (index blobs,
//! [`scan_git_blobs`]) and `katscan history` (commit blobs) read git's
//! object database through one pipeline, one reader thread feeding scan
//! workers (`read_in_parallel`). Each blob carries its [`Origin`], which
//! says what the report calls it (the path shown, and the fingerprint's
//! input) and where the client classifier finds the project it belongs
//! to. [`scan_blob`] then sets Git LFS pointers and binary files aside,
//! decodes it, runs the scanner (which also decodes encoded keys) and
//! records the result in a [`ScanReport`], the one result model every
//! source shares. A new source (archive entries) adds an origin and feeds
//! the same step, so it gets the same rules, skips and counting for free.

mod git_blobs;
mod git_paths;
mod report;

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

pub(crate) use git_blobs::read_in_parallel;
pub use git_blobs::{GitBlob, scan_git_blobs};
pub use git_paths::{GitExclusion, GitScanOptions};
pub use report::{ScanReport, SkipReason, Skipped};

use crate::decode;
use crate::git::IndexEntry;
use crate::paths::{ShownPath, display_path, raw_display_path};
use crate::scanner::Scanner;

/// How many leading bytes are checked for a NUL to call a file binary.
const BINARY_SNIFF_LEN: usize = 8 * 1024;

/// Where a blob came from.
#[derive(Debug, Clone, Copy)]
pub enum Origin<'a> {
    /// A file on disk, at this path as walked or named.
    WorkTree(&'a Path),
    /// A blob staged in git's index. `work_tree_copy` is where the file
    /// is (or would be) in the work tree: the project around it tells the
    /// classifier whether it ships to clients, even when the file itself
    /// was deleted from disk after it was staged.
    Index {
        entry: &'a IndexEntry,
        work_tree_copy: &'a Path,
    },
}

impl Origin<'_> {
    /// What the report calls the blob.
    pub fn shown(&self) -> ShownPath {
        match self {
            Origin::WorkTree(path) => ShownPath::of(path),
            Origin::Index { entry, .. } => ShownPath {
                text: entry.path.clone(),
                raw: entry.raw_path.clone(),
            },
        }
    }

    /// Where the classifier looks for the blob's project.
    pub fn location(&self) -> &Path {
        match self {
            Origin::WorkTree(path) => path,
            Origin::Index { work_tree_copy, .. } => work_tree_copy,
        }
    }

    /// A record that this blob was not scanned, and why.
    pub fn skipped(&self, reason: SkipReason, detail: String) -> Skipped {
        let shown = self.shown();
        Skipped {
            path: shown.text,
            reason,
            detail,
            raw_path: shown.raw,
        }
    }
}

/// Scans one blob, or records it as binary.
pub fn scan_blob(scanner: &Scanner<'_>, origin: Origin<'_>, bytes: &[u8], report: &mut ScanReport) {
    let shown = origin.shown();
    scan_contents(
        scanner,
        shown.text,
        shown.raw,
        Some(origin.location()),
        bytes,
        report,
    );
}

/// [`scan_blob`] for a blob named by parts: `path` as reported, `raw_path`
/// its bytes when the name is not UTF-8 (`path` is then lossy), `location`
/// where the classifier looks for its project.
pub(crate) fn scan_contents(
    scanner: &Scanner<'_>,
    path: String,
    raw_path: Option<Vec<u8>>,
    location: Option<&Path>,
    bytes: &[u8],
    report: &mut ScanReport,
) {
    if is_lfs_pointer(bytes) {
        report.skipped.push(Skipped {
            path,
            reason: SkipReason::LfsPointer,
            detail: "the content is stored on the Git LFS server, not in the repository".into(),
            raw_path,
        });
        return;
    }
    let text = decode::scannable(bytes);
    let sniff = &text[..text.len().min(BINARY_SNIFF_LEN)];
    if memchr::memchr(0, sniff).is_some() {
        report.skipped.push(Skipped {
            path,
            reason: SkipReason::Binary,
            detail: "NUL byte in the first 8 KiB".into(),
            raw_path,
        });
        return;
    }
    report.files_scanned += 1;
    report.bytes_scanned += bytes.len() as u64;
    let mut findings = scanner.scan_at(&path, location, &text);
    if let Some(raw_path) = raw_path {
        for finding in &mut findings {
            finding.set_raw_path(raw_path.clone(), &text);
        }
    }
    report.findings.extend(findings);
    report.scanned_files.push(path);
}

/// Whether `bytes` are a Git LFS pointer file: a few lines naming the
/// spec, an object id and a size, never more than a few hundred bytes
/// (git-lfs's own limit for recognising one is 1024).
fn is_lfs_pointer(bytes: &[u8]) -> bool {
    bytes.len() < 1024
        && bytes.starts_with(b"version https://git-lfs.github.com/spec/v1\n")
        && memchr::memmem::find(bytes, b"\noid sha256:").is_some()
}

/// Reads a work-tree file for scanning, or says why it is not scanned.
/// The cap applies to what is actually read, so a file that lies about
/// its size (procfs, a file growing under us) cannot exhaust memory.
pub fn read_work_tree_file(path: &Path, max: u64) -> Result<Vec<u8>, Skipped> {
    let skipped = |reason, detail| Skipped {
        path: display_path(path),
        reason,
        detail,
        raw_path: raw_display_path(path),
    };
    match read_capped(path, max) {
        Ok(Some(bytes)) => Ok(bytes),
        Ok(None) => Err(skipped(
            SkipReason::TooLarge,
            format!("larger than {max} bytes"),
        )),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Err(skipped(
            SkipReason::Vanished,
            "deleted while the scan ran".into(),
        )),
        Err(error) => Err(skipped(SkipReason::Unreadable, error.to_string())),
    }
}

/// A whole file, or `None` when it is larger than `max` bytes.
fn read_capped(path: &Path, max: u64) -> io::Result<Option<Vec<u8>>> {
    let file = File::open(path)?;
    let declared = file.metadata()?.len();
    if declared > max {
        return Ok(None);
    }
    let mut bytes = Vec::with_capacity(usize::try_from(declared).unwrap_or(0));
    file.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Ok(None);
    }
    Ok(Some(bytes))
}

/// The number of scan workers for `threads` (0: one per available core).
pub(crate) fn worker_count(threads: usize) -> usize {
    if threads == 0 {
        std::thread::available_parallelism().map_or(1, usize::from)
    } else {
        threads
    }
}

/// The work-tree path of each index entry below `top`, for [`Origin::Index`].
pub(crate) fn work_tree_copies(top: &Path, entries: &[IndexEntry]) -> Vec<PathBuf> {
    entries
        .iter()
        .map(|entry| top.join(entry.relative_path()))
        .collect()
}
