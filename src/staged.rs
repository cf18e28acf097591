//! Scans what is about to be committed: the index blobs of added and
//! modified files, never the working tree, so a key that was staged and
//! then deleted from the file on disk is still found, at its line in the
//! staged version.
//!
//! Staged files get the same treatment as walked ones (decoding, binary
//! detection, size cap, `--exclude`), and `.katscanignore` and `.ignore`
//! skip them. `.gitignore` does not: a staged file matching it was added
//! on purpose (`git add -f .env`) and is about to be committed.

use std::path::Path;

use crate::exclude::{BadExcludeGlob, ExcludeOptions, Excluder};
use crate::git::{EntryKind, GitError, IndexEntry, Repository};
use crate::paths::shown_relative_to;
use crate::scanner::Scanner;
use crate::source::{
    GitBlob, Origin, ScanReport, SkipReason, Skipped, scan_git_blobs, work_tree_copies,
};
use crate::walk::ExcludeFilter;

/// What to scan in the index, and how.
#[derive(Debug, Clone)]
pub struct StagedOptions {
    /// Honour `.katscanignore` and `.ignore`.
    pub respect_ignore_files: bool,
    /// Gitignore-style globs of paths not to scan, relative to the
    /// repository's top level (the paths as reported).
    pub excludes: Vec<String>,
    /// Blobs larger than this many bytes are skipped.
    pub max_file_size: u64,
    /// Further paths not to scan (a config file's excludes); asked with
    /// the file's absolute path in the work tree.
    pub exclude_filter: Option<ExcludeFilter>,
    /// Scan workers; 0 picks a number from the available cores.
    pub threads: usize,
}

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
    let mut excluder = Excluder::new(ExcludeOptions {
        ignore_files: options.respect_ignore_files,
        git_ignore_files: false,
        excludes: options.excludes.clone(),
        exclude_root: top.to_path_buf(),
    })?;

    let mut report = ScanReport::default();
    let mut files: Vec<IndexEntry> = Vec::new();
    for entry in repository.staged_entries()? {
        match entry.kind {
            EntryKind::File => {
                let location = top.join(entry.relative_path());
                let filtered = options
                    .exclude_filter
                    .as_ref()
                    .is_some_and(|filter| filter.excludes(&location, false));
                if !filtered && !excluder.is_excluded(&location, false) {
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
    for problem in excluder.problems() {
        report.skipped.push(Skipped {
            path: shown_relative_to(top, Path::new(&problem.path)),
            reason: SkipReason::BadIgnoreFile,
            detail: problem.message.clone(),
            // An ignore file's name as the excluder recorded it (text).
            raw_path: None,
        });
    }

    let copies = work_tree_copies(top, &files);
    let blobs: Vec<GitBlob<'_>> = files
        .iter()
        .zip(&copies)
        .map(|(entry, work_tree_copy)| GitBlob {
            object_id: &entry.object_id,
            origin: Origin::Index {
                entry,
                work_tree_copy,
            },
        })
        .collect();
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
