//! Which paths of git's objects a scan reads: the options every scan of
//! git's objects shares (`staged`, `history`), and the exclusion they
//! imply. `.katscanignore`, `.ignore`, `--exclude` and the config's
//! excludes apply; `.gitignore` never does (a staged or committed file is
//! in the repository whatever it says).

use std::path::Path;

use super::{SkipReason, Skipped};
use crate::exclude::{BadExcludeGlob, ExcludeOptions, Excluder};
use crate::paths::shown_relative_to;
use crate::walk::ExcludeFilter;

/// What every scan of git's objects is given.
#[derive(Debug, Clone)]
pub struct GitScanOptions {
    /// Honour `.katscanignore` and `.ignore` (of the work tree).
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

/// The exclusion [`GitScanOptions`] imply in one repository.
pub struct GitExclusion<'o> {
    options: &'o GitScanOptions,
    excluder: Excluder,
}

impl GitScanOptions {
    /// The exclusion in the repository whose top level is `top`; fails on
    /// an invalid `--exclude` glob.
    pub fn exclusion(&self, top: &Path) -> Result<GitExclusion<'_>, BadExcludeGlob> {
        let excluder = Excluder::new(ExcludeOptions {
            ignore_files: self.respect_ignore_files,
            git_ignore_files: false,
            excludes: self.excludes.clone(),
            exclude_root: top.to_path_buf(),
        })?;
        Ok(GitExclusion {
            options: self,
            excluder,
        })
    }
}

impl GitExclusion<'_> {
    /// Whether the file at `location` (absolute, in the work tree) is left
    /// out.
    pub fn excludes(&mut self, location: &Path) -> bool {
        self.options
            .exclude_filter
            .as_ref()
            .is_some_and(|filter| filter.excludes(location, false))
            || self.excluder.is_excluded(location, false)
    }

    /// The ignore files with lines that could not be parsed, as skips
    /// shown relative to `top` (never silently half-applied).
    pub fn problems(&self, top: &Path) -> impl Iterator<Item = Skipped> + '_ {
        let top = top.to_path_buf();
        self.excluder.problems().iter().map(move |problem| Skipped {
            path: shown_relative_to(&top, Path::new(&problem.path)),
            reason: SkipReason::BadIgnoreFile,
            detail: problem.message.clone(),
            // An ignore file's name as the excluder recorded it (text).
            raw_path: None,
        })
    }
}
