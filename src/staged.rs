//! Scans what is about to be committed: the index blobs of added and
//! modified files, never the working tree, so a key that was staged and
//! then deleted from the file on disk is still found, at its line in the
//! staged version.
//!
//! Staged files get the same treatment as walked ones (decoding, binary
//! detection, size cap, `--exclude`), and `.katscanignore` and `.ignore`
//! skip them. `.gitignore` does not: a staged file matching it was added
//! on purpose (`git add -f .env`) and is about to be committed.

use crate::exclude::BadExcludeGlob;
use crate::git::{EntryKind, GitError, IndexEntry, Repository};
use crate::scanner::Scanner;
use crate::source::{
    GitBlob, GitScanOptions, ScanReport, SkipReason, Skipped, scan_git_blobs, work_tree_copies,
};

/// What to scan in the index, and how: what every scan of git's objects
/// is given.
pub type StagedOptions = GitScanOptions;

#[derive(Debug, thiserror::Error)]
pub enum StagedError {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    BadExclude(#[from] BadExcludeGlob),
}

/// Scans the staged version of every file in `repository` that differs
/// from `HEAD` (every staged file before the first commit). Paths in the
/// report are relative to the repository's top level. Give the scanner a
/// classifier reading the index ([`crate::tree::GitTree`]) so the blobs
/// are judged by the project they will be committed in.
pub fn scan(
    scanner: &Scanner<'_>,
    repository: &Repository,
    options: &StagedOptions,
) -> Result<ScanReport, StagedError> {
    let top = repository.top_level();
    let mut exclusion = options.exclusion(top)?;

    let mut report = ScanReport::default();
    let mut files: Vec<IndexEntry> = Vec::new();
    for entry in repository.staged_entries()? {
        match entry.kind {
            EntryKind::File => {
                if !exclusion.excludes(&top.join(entry.relative_path())) {
                    files.push(entry);
                }
            }
            // The link's target is scanned where it lives.
            EntryKind::Symlink => report.skipped.push(Skipped {
                path: entry.path,
                reason: SkipReason::NotARegularFile,
                detail: "symbolic link".into(),
                raw_path: entry.raw_path,
            }),
            // A commit of another repository: nothing to scan here.
            EntryKind::Submodule => {}
        }
    }
    report.skipped.extend(exclusion.problems(top));

    let copies = work_tree_copies(top, &files);
    let blobs = GitBlob::staged(&files, &copies);
    let scanned = scan_git_blobs(
        scanner,
        repository,
        &blobs,
        options.max_file_size,
        options.threads,
    )?;
    report.merge(scanned);
    report.sort();
    Ok(report)
}
