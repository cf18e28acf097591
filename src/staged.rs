//! Scans what is about to be committed: the index blobs of added and
//! modified files, never the working tree, so a key that was staged and
//! then deleted from the file on disk is still found, at its line in the
//! staged version.
//!
//! Staged files get the same treatment as walked ones (decoding, binary
//! detection, size cap, `--exclude`), and `.katscanignore` and `.ignore`
//! skip them. `.gitignore` does not: a staged file matching it was added
//! on purpose (`git add -f .env`) and is about to be committed.

use std::path::{Path, PathBuf};

use crate::exclude::{ExcludeOptions, Excluder};
use crate::git::{EntryKind, GitError, IndexEntry, Repository};
use crate::scanner::Scanner;
use crate::walk::{ExcludeFilter, ScanReport, SkipReason, Skipped, scan_contents};

/// What to scan in the index, and how.
#[derive(Debug, Clone)]
pub struct StagedOptions {
    /// A directory inside the work tree.
    pub dir: PathBuf,
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
}

#[derive(Debug, thiserror::Error)]
pub enum StagedError {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error("invalid --exclude glob: {0}")]
    BadExclude(String),
}

/// Scans the staged version of every file that differs from `HEAD` (every
/// staged file before the first commit). Paths in the report are relative
/// to the repository's top level.
pub fn scan(scanner: &Scanner<'_>, options: &StagedOptions) -> Result<ScanReport, StagedError> {
    let repository = Repository::discover(&options.dir)?;
    let top = repository.top_level();
    let mut excluder = Excluder::new(ExcludeOptions {
        ignore_files: options.respect_ignore_files,
        git_ignore_files: false,
        excludes: options.excludes.clone(),
        exclude_root: top.to_path_buf(),
    })
    .map_err(|e| StagedError::BadExclude(e.to_string()))?;

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
            path: relative_to(top, Path::new(&problem.path)),
            reason: SkipReason::BadIgnoreFile,
            detail: problem.message.clone(),
            // An ignore file's name as the excluder recorded it (text).
            raw_path: None,
        });
    }

    let ids: Vec<&str> = files.iter().map(|f| f.object_id.as_str()).collect();
    let max = options.max_file_size;
    repository.read_blobs(&ids, |index, size, body| {
        let entry = &files[index];
        let path = entry.path.clone();
        if size > max {
            report.skipped.push(Skipped {
                path,
                reason: SkipReason::TooLarge,
                detail: format!("larger than {max} bytes"),
                raw_path: entry.raw_path.clone(),
            });
            return Ok(());
        }
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        body.read_to_end(&mut bytes)?;
        // The working tree around the file tells which project it is in
        // (client or server code), even when the file itself is gone.
        let location = top.join(entry.relative_path());
        let raw_path = entry.raw_path.clone();
        scan_contents(
            scanner,
            path,
            raw_path,
            Some(&location),
            &bytes,
            &mut report,
        );
        Ok(())
    })?;
    report.sort();
    Ok(report)
}

fn relative_to(top: &Path, path: &Path) -> String {
    path.strip_prefix(top)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}
