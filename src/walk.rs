//! Walks the given paths in parallel and scans every file once.
//!
//! Enumerate in parallel (ignore's walker, honouring `.gitignore`, `.ignore`
//! and `.katscanignore` like ripgrep), read and scan on the same worker
//! threads, record per thread and merge once at the end. One file that
//! cannot be read never stops the scan: it is recorded as skipped with a
//! reason, and unreadable files mark the scan as incomplete.

use std::fmt;
use std::io;
use std::mem;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;

use ignore::{DirEntry, ParallelVisitor, ParallelVisitorBuilder, WalkBuilder, WalkState};

use crate::exclude::{BadExcludeGlob, ExcludeOptions, Excluder, exclude_overrides};
use crate::git;
use crate::input::{self, InputError};
use crate::paths::lexical_absolute;
pub use crate::paths::{display_path, raw_display_path};
use crate::scanner::Scanner;
use crate::source::{Origin, read_work_tree_file, scan_blob};
pub use crate::source::{ScanReport, SkipReason, Skipped};

/// The ignore file katscan reads besides `.gitignore` and `.ignore`: for
/// paths that only katscan should skip (fixtures with planted keys).
pub const IGNORE_FILE_NAME: &str = ".katscanignore";

/// What to walk and how.
#[derive(Debug, Clone)]
pub struct WalkOptions {
    pub paths: Vec<PathBuf>,
    /// Honour `.gitignore`, `.ignore`, `.katscanignore` and git excludes.
    pub respect_ignore_files: bool,
    /// Gitignore-style globs of paths not to scan (relative to the
    /// current directory).
    pub excludes: Vec<String>,
    /// Files larger than this many bytes are skipped.
    pub max_file_size: u64,
    /// Worker threads; 0 picks a number from the available cores.
    pub threads: usize,
    pub follow_symlinks: bool,
    /// Apply ignore files and `excludes` to `paths` themselves too (a
    /// path given by a tool such as pre-commit, not chosen by the user).
    pub force_exclude: bool,
    /// Also walk these build-output directories (relative paths such as
    /// `dist` or `.next/static`) where ignore files would skip them; CI
    /// scans after a build this way. `.katscanignore` and excludes still
    /// apply.
    pub include_build_output: Vec<String>,
    /// Further paths not to scan, decided by the caller: a config file's
    /// excludes, which are relative to the config file's directory rather
    /// than to the current one.
    pub exclude_filter: Option<ExcludeFilter>,
    /// Counters the walk advances as it scans, for a progress display.
    pub progress: Option<Arc<Progress>>,
    /// The directory relative `paths` and `excludes` are relative to,
    /// captured once by the caller: the walk never reads the process's
    /// current directory itself, so every path it shows and every glob it
    /// applies agree on one.
    pub cwd: PathBuf,
}

/// How far a scan has come: files and bytes scanned so far. Shared with
/// whoever shows progress; the walk only adds to it.
#[derive(Debug, Default)]
pub struct Progress {
    files: AtomicU64,
    bytes: AtomicU64,
}

impl Progress {
    fn add(&self, bytes: u64) {
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Files and bytes read so far (scanned or found binary).
    pub fn files_and_bytes(&self) -> (u64, u64) {
        (
            self.files.load(Ordering::Relaxed),
            self.bytes.load(Ordering::Relaxed),
        )
    }
}

/// A caller's predicate on walked paths: `(path as walked, is a directory)`
/// to true to skip it (and, for a directory, everything below it). Paths
/// given on the command line are always scanned, as with `excludes`.
#[derive(Clone)]
pub struct ExcludeFilter(Arc<ExcludeFn>);

type ExcludeFn = dyn Fn(&Path, bool) -> bool + Send + Sync;

impl ExcludeFilter {
    pub fn new(excludes: impl Fn(&Path, bool) -> bool + Send + Sync + 'static) -> Self {
        ExcludeFilter(Arc::new(excludes))
    }

    pub fn excludes(&self, path: &Path, is_dir: bool) -> bool {
        (self.0)(path, is_dir)
    }
}

impl fmt::Debug for ExcludeFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ExcludeFilter(..)")
    }
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions {
            paths: vec![PathBuf::from(".")],
            respect_ignore_files: true,
            excludes: Vec::new(),
            max_file_size: 64 * 1024 * 1024,
            threads: 0,
            follow_symlinks: false,
            force_exclude: false,
            include_build_output: Vec::new(),
            exclude_filter: None,
            progress: None,
            cwd: std::env::current_dir().unwrap_or_default(),
        }
    }
}

/// A problem with the walk itself: nothing was scanned.
#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    #[error("{}: no such file or directory", .0.display())]
    MissingPath(PathBuf),
    #[error(transparent)]
    BadExclude(#[from] BadExcludeGlob),
}

/// Scans every file under `options.paths` with `scanner`.
pub fn scan(scanner: &Scanner<'_>, options: &WalkOptions) -> Result<ScanReport, WalkError> {
    for path in &options.paths {
        if let Err(error) = path.symlink_metadata()
            && error.kind() == io::ErrorKind::NotFound
        {
            return Err(WalkError::MissingPath(path.clone()));
        }
    }
    let paths = if options.force_exclude {
        not_excluded(options)?
    } else {
        options.paths.clone()
    };
    if paths.is_empty() {
        // Everything named was excluded; walking nothing is not walking `.`.
        return Ok(ScanReport::default());
    }
    let shared = Mutex::new(ScanReport::default());
    // With ignore files off, the first walk already reaches build output.
    let build_output: &[String] = if options.respect_ignore_files {
        &options.include_build_output
    } else {
        &[]
    };
    // Asking git runs beside the walk; it costs one process per root.
    let tracked = thread::scope(|scope| -> Result<Vec<(PathBuf, PathBuf)>, WalkError> {
        let git = options
            .respect_ignore_files
            .then(|| scope.spawn(|| tracked_but_ignored(&paths)));
        walk_pass(
            scanner,
            options,
            &paths,
            Pass::Everything { build_output },
            None,
            &shared,
        )?;
        if !build_output.is_empty() {
            // Each root once more, ignore files aside, for the build-output
            // directories the first walk left to this one.
            for root in &paths {
                walk_pass(
                    scanner,
                    options,
                    std::slice::from_ref(root),
                    Pass::BuildOutput,
                    Some(root),
                    &shared,
                )?;
            }
        }
        Ok(git
            .and_then(|handle| handle.join().ok())
            .unwrap_or_default())
    })?;
    if !tracked.is_empty() {
        let mut visitor = FileVisitor {
            scanner,
            options,
            shared: &shared,
            build_output_root: None,
            local: ScanReport::default(),
        };
        for path in not_otherwise_excluded(options, tracked)? {
            visitor.scan_file(&path);
        }
    }

    let mut report = shared
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    report.sort();
    // The build-output walk can meet the same unreadable directory again;
    // two paths that only show the same stay two.
    report.skipped.dedup_by(|a, b| a.identity() == b.identity());
    Ok(report)
}

/// Files that `.gitignore` hides from the walk but git tracks, below the
/// directory roots: they are committed, so a key in them is leaked (a
/// `.env` committed before it was ignored). Only git's ignore rules are
/// set aside: `.katscanignore`, `.ignore`, excludes and the config still
/// apply, and build output is left to its own walk.
fn tracked_but_ignored(roots: &[PathBuf]) -> Vec<(PathBuf, PathBuf)> {
    roots
        .iter()
        .filter(|root| root.is_dir())
        .filter_map(|root| Some((root, git::tracked_but_ignored(root)?)))
        .flat_map(|(root, files)| files.into_iter().map(move |file| (root.clone(), file)))
        .collect()
}

/// The tracked-but-ignored files that nothing but git's ignore rules
/// excludes, as paths to read.
fn not_otherwise_excluded(
    options: &WalkOptions,
    tracked: Vec<(PathBuf, PathBuf)>,
) -> Result<Vec<PathBuf>, WalkError> {
    let mut excluder = PathExcluder::new(options, true, false)?;
    Ok(tracked
        .into_iter()
        .filter(|(_, relative)| {
            options.include_build_output.is_empty()
                || !in_build_output(relative, &options.include_build_output, true)
        })
        .map(|(root, relative)| root.join(relative))
        .filter(|path| {
            // A file deleted from the work tree, a symlink or a directory is
            // nothing to read; one that cannot even be looked at is kept,
            // so reading it records why it was not scanned.
            let readable = match path.symlink_metadata() {
                Ok(metadata) => metadata.is_file(),
                Err(error) => error.kind() != io::ErrorKind::NotFound,
            };
            readable && !excluder.is_excluded(path, false)
        })
        .collect())
}

/// The paths of `options` that no ignore file, `--exclude` glob or
/// caller's filter (config excludes) covers (`--force-exclude`), judged as
/// a walk from their parent would.
fn not_excluded(options: &WalkOptions) -> Result<Vec<PathBuf>, WalkError> {
    let respect = options.respect_ignore_files;
    let mut excluder = PathExcluder::new(options, respect, respect)?;
    Ok(options
        .paths
        .iter()
        .filter(|path| {
            let is_dir = path.metadata().is_ok_and(|m| m.is_dir());
            !excluder.is_excluded(path, is_dir)
        })
        .cloned()
        .collect())
}

/// Exclusion of paths a walk does not reach: ignore files as the walk
/// reads them (`git_ignore_files` false sets `.gitignore` and git's
/// excludes aside), `--exclude`, and the caller's filter (config excludes).
struct PathExcluder<'o> {
    options: &'o WalkOptions,
    ignore_files: Excluder,
}

impl<'o> PathExcluder<'o> {
    fn new(
        options: &'o WalkOptions,
        ignore_files: bool,
        git_ignore_files: bool,
    ) -> Result<Self, WalkError> {
        let excluder = Excluder::new(ExcludeOptions {
            ignore_files,
            git_ignore_files,
            excludes: options.excludes.clone(),
            exclude_root: options.cwd.clone(),
        })?;
        Ok(PathExcluder {
            options,
            ignore_files: excluder,
        })
    }

    fn is_excluded(&mut self, path: &Path, is_dir: bool) -> bool {
        self.options
            .exclude_filter
            .as_ref()
            .is_some_and(|filter| filter.excludes(path, is_dir))
            || self.ignore_files.is_excluded(path, is_dir)
    }
}

/// One walk of `roots`, scanning what it finds into `shared`. The ignore
/// crate reads each directory's ignore files itself when it enters it, with
/// no limit and whatever they are (`.gitignore -> /dev/zero` is an endless
/// allocation, a FIFO blocks); a directory holding one katscan would not
/// read ([`crate::input::check_repository_file`]) is kept from that walk
/// and walked afterwards with the crate's ignore-file reading off and
/// exclusion decided by [`Excluder`], which reads ignore files safely (the
/// same semantics); the file it does not read is recorded as skipped.
fn walk_pass(
    scanner: &Scanner<'_>,
    options: &WalkOptions,
    roots: &[PathBuf],
    pass: Pass<'_>,
    build_output_root: Option<&Path>,
    shared: &Mutex<ScanReport>,
) -> Result<(), WalkError> {
    let guard = Arc::new(IgnoreGuard::new(options, pass, roots));
    let walk = |dirs: &[PathBuf], ignore_files: IgnoreFiles| -> Result<(), WalkError> {
        walk_builder(options, dirs, roots, pass, ignore_files)?
            .build_parallel()
            .visit(&mut VisitorBuilder {
                scanner,
                options,
                shared,
                build_output_root,
            });
        Ok(())
    };
    let (safe_roots, mut deferred) = guard.split_roots();
    if !safe_roots.is_empty() {
        walk(&safe_roots, IgnoreFiles::ReadByCrate(Arc::clone(&guard)))?;
    }
    deferred.extend(guard.take_deferred());
    if deferred.is_empty() {
        return Ok(());
    }
    let excluder = Arc::new(Mutex::new(guard.excluder(options)?));
    let dirs: Vec<PathBuf> = deferred.iter().map(|d| d.dir.clone()).collect();
    walk(&dirs, IgnoreFiles::ReadByExcluder(Arc::clone(&excluder)))?;
    let mut report = shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    report
        .skipped
        .extend(deferred.into_iter().map(|d| d.skipped));
    let excluder = excluder
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    report
        .skipped
        .extend(excluder.problems().iter().map(|problem| Skipped {
            path: shown_below(Path::new(&problem.path), roots, &options.cwd),
            reason: SkipReason::BadIgnoreFile,
            detail: problem.message.clone(),
            // An ignore file's name as the excluder recorded it (text).
            raw_path: None,
        }));
    Ok(())
}

/// An absolute path as the walk of `roots` shows it.
fn shown_below(absolute: &Path, roots: &[PathBuf], cwd: &Path) -> String {
    roots
        .iter()
        .find_map(|root| {
            let rest = absolute.strip_prefix(lexical_absolute(cwd, root)).ok()?;
            Some(display_path(&root.join(rest)))
        })
        .or_else(|| {
            let rest = absolute.strip_prefix(cwd).ok()?;
            Some(display_path(rest))
        })
        .unwrap_or_else(|| display_path(absolute))
}

/// Who reads ignore files in a walk.
#[derive(Clone)]
enum IgnoreFiles {
    /// The ignore crate, in directories the guard let through.
    ReadByCrate(Arc<IgnoreGuard>),
    /// Nobody in the walk: the excluder decides (a fallback walk).
    ReadByExcluder(Arc<Mutex<Excluder>>),
}

/// Which directories of a walk the ignore crate may enter: those whose
/// ignore files katscan would read. The others are deferred to a walk of
/// their own (see [`walk_pass`]).
struct IgnoreGuard {
    /// The ignore files the crate reads in this pass.
    names: &'static [&'static str],
    roots: Vec<PathBuf>,
    /// Per root, where its ignore files' symbolic links may lead; resolved
    /// when first needed (only a symbolic-linked ignore file needs it).
    boundaries: Vec<OnceLock<Option<PathBuf>>>,
    /// Whether `.gitignore` and git's excludes apply (for the excluder).
    git_rules: bool,
    deferred: Mutex<Vec<Deferred>>,
    /// The scan's current directory, to show paths found above a root.
    cwd: PathBuf,
}

/// A directory kept from a walk, and the ignore file why.
struct Deferred {
    dir: PathBuf,
    skipped: Skipped,
}

const EVERY_IGNORE_FILE: &[&str] = &[IGNORE_FILE_NAME, ".ignore", ".gitignore"];
const KATSCAN_IGNORE_FILE: &[&str] = &[IGNORE_FILE_NAME];

impl IgnoreGuard {
    fn new(options: &WalkOptions, pass: Pass<'_>, roots: &[PathBuf]) -> Self {
        let respect = options.respect_ignore_files;
        let git_rules = respect && matches!(pass, Pass::Everything { .. });
        let names = match (respect, git_rules) {
            (false, _) => &[][..],
            (true, true) => EVERY_IGNORE_FILE,
            (true, false) => KATSCAN_IGNORE_FILE,
        };
        IgnoreGuard {
            names,
            roots: roots.to_vec(),
            boundaries: roots.iter().map(|_| OnceLock::new()).collect(),
            git_rules,
            deferred: Mutex::new(Vec::new()),
            cwd: options.cwd.clone(),
        }
    }

    /// The roots the crate may walk, and the deferred others: a root whose
    /// own ignore files, or those of a directory above it (the crate reads
    /// those too), katscan would not read.
    fn split_roots(&self) -> (Vec<PathBuf>, Vec<Deferred>) {
        let mut safe = Vec::new();
        let mut deferred = Vec::new();
        for (index, root) in self.roots.iter().enumerate() {
            let hostile = if self.names.is_empty() || !root.is_dir() {
                None
            } else {
                std::fs::canonicalize(root).ok().and_then(|canonical| {
                    self.hostile_file(root, index, true).or_else(|| {
                        canonical
                            .ancestors()
                            .skip(1)
                            .find_map(|dir| self.hostile_file(dir, index, false))
                    })
                })
            };
            match hostile {
                Some(skipped) => deferred.push(Deferred {
                    dir: root.clone(),
                    skipped,
                }),
                None => safe.push(root.clone()),
            }
        }
        (safe, deferred)
    }

    /// Whether the crate may enter `dir` (met in the walk); if not, it is
    /// deferred.
    fn admits(&self, dir: &Path) -> bool {
        if self.names.is_empty() {
            return true;
        }
        let root = self
            .roots
            .iter()
            .position(|root| dir.starts_with(root))
            .unwrap_or(0);
        match self.hostile_file(dir, root, true) {
            None => true,
            Some(skipped) => {
                self.deferred
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .push(Deferred {
                        dir: dir.to_path_buf(),
                        skipped,
                    });
                false
            }
        }
    }

    /// The first ignore file in `dir` katscan would not read, as a skip
    /// record (shown as walked when `walked`, else `dir` is absolute and
    /// shown as the walk would show it).
    fn hostile_file(&self, dir: &Path, root: usize, walked: bool) -> Option<Skipped> {
        self.names.iter().find_map(|name| {
            let file = dir.join(name);
            let boundary = || {
                self.boundaries.get(root).and_then(|cell| {
                    cell.get_or_init(|| {
                        let root = &self.roots[root];
                        let canonical = std::fs::canonicalize(root).ok()?;
                        input::boundary_of(root, &[canonical])
                    })
                    .clone()
                })
            };
            match input::check_repository_file(&file, boundary, input::IGNORE_FILE_CAP) {
                // An I/O error reading it the crate meets and reports too.
                Ok(_) | Err(InputError::Io { .. }) => None,
                Err(error) => Some(Skipped {
                    path: if walked {
                        display_path(&file)
                    } else {
                        shown_below(&file, &self.roots, &self.cwd)
                    },
                    reason: SkipReason::BadIgnoreFile,
                    detail: format!("not read: {error}; its patterns do not apply"),
                    raw_path: raw_display_path(&file),
                }),
            }
        })
    }

    fn take_deferred(&self) -> Vec<Deferred> {
        mem::take(
            &mut *self
                .deferred
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }

    /// The exclusion a fallback walk of this pass applies in place of the
    /// crate's: the same ignore files, read safely.
    fn excluder(&self, options: &WalkOptions) -> Result<Excluder, WalkError> {
        let respect = options.respect_ignore_files;
        let excluder = Excluder::new(ExcludeOptions {
            ignore_files: respect,
            git_ignore_files: self.git_rules,
            excludes: options.excludes.clone(),
            exclude_root: options.cwd.clone(),
        })?
        .confine_links_to(
            self.roots
                .iter()
                .filter_map(|root| std::fs::canonicalize(root).ok())
                .collect(),
        );
        Ok(if respect && !self.git_rules {
            excluder.without_dot_ignore()
        } else {
            excluder
        })
    }
}

/// What one walk covers.
#[derive(Clone, Copy)]
enum Pass<'a> {
    /// Everything ignore files admit, except these build-output
    /// directories below the roots, which [`Pass::BuildOutput`] covers.
    Everything { build_output: &'a [String] },
    /// Only the build-output directories, whatever `.gitignore` says (one
    /// root per walk, so "below the root" is known).
    BuildOutput,
}

/// Directories never worth entering for build output: dependencies, git's
/// store, and caches that mark themselves (Cargo's `target/`).
fn is_dependency_or_cache(entry: &DirEntry) -> bool {
    let name = entry.file_name();
    name == ".git"
        || name == "node_modules"
        || (entry.file_type().is_some_and(|t| t.is_dir())
            && entry.path().join("CACHEDIR.TAG").exists())
}

/// Whether `relative` (components below a root) ends with one of the
/// build-output directories, or lies below one when `below` is true.
fn in_build_output(relative: &Path, build_output: &[String], below: bool) -> bool {
    let components: Vec<&std::ffi::OsStr> = relative.iter().collect();
    build_output.iter().any(|dir| {
        let wanted: Vec<&std::ffi::OsStr> = Path::new(dir).iter().collect();
        if wanted.is_empty() {
            // An empty name names no directory (and `windows(0)` panics).
            false
        } else if below {
            components
                .windows(wanted.len())
                .take(components.len().saturating_sub(wanted.len()))
                .any(|window| window == wanted.as_slice())
        } else {
            components.ends_with(&wanted)
        }
    })
}

/// The files git tracks although `.gitignore` hides them from the walk,
/// that a scan with `options` reads besides the walk (see [`scan`]): for
/// listings that must show what a scan scans.
pub fn tracked_but_ignored_files(options: &WalkOptions) -> Result<Vec<PathBuf>, WalkError> {
    if !options.respect_ignore_files {
        return Ok(Vec::new());
    }
    let roots = if options.force_exclude {
        not_excluded(options)?
    } else {
        options.paths.clone()
    };
    not_otherwise_excluded(options, tracked_but_ignored(&roots))
}

/// Every file a scan with `options` would visit, one thread, in path
/// order (for listings such as `katscan classify`; scans walk in parallel).
/// Build output is left as ignore files leave it.
pub fn files_in_order(options: &WalkOptions) -> Result<Vec<WalkEntry>, WalkError> {
    let roots = if options.force_exclude {
        not_excluded(options)?
    } else {
        options.paths.clone()
    };
    let pass = Pass::Everything { build_output: &[] };
    // Guarded like a scan's walk: a directory whose ignore files katscan
    // would not read is walked after, with them read safely.
    let guard = Arc::new(IgnoreGuard::new(options, pass, &roots));
    let (safe_roots, mut deferred) = guard.split_roots();
    let mut entries: Vec<WalkEntry> = Vec::new();
    if !safe_roots.is_empty() {
        let mut builder = walk_builder(
            options,
            &safe_roots,
            &roots,
            pass,
            IgnoreFiles::ReadByCrate(Arc::clone(&guard)),
        )?;
        entries.extend(builder.sort_by_file_path(|a, b| a.cmp(b)).build());
    }
    deferred.extend(guard.take_deferred());
    if !deferred.is_empty() {
        let excluder = Arc::new(Mutex::new(guard.excluder(options)?));
        let dirs: Vec<PathBuf> = deferred.into_iter().map(|d| d.dir).collect();
        let builder = walk_builder(
            options,
            &dirs,
            &roots,
            pass,
            IgnoreFiles::ReadByExcluder(excluder),
        )?;
        entries.extend(builder.build());
        let key = |entry: &WalkEntry| match entry {
            Ok(entry) => entry.path().to_path_buf(),
            Err(error) => error_path(error).map(Path::to_path_buf).unwrap_or_default(),
        };
        entries.sort_by_cached_key(key);
    }
    Ok(entries)
}

/// What a walk yields: an entry, or why one could not be read.
pub type WalkEntry = Result<DirEntry, ignore::Error>;

/// A walker of `roots` for `pass`; `scan_roots` are the roots of the scan
/// (paths below them decide build output). `ignore_files` says who reads
/// ignore files: the crate (guarded), or an excluder in a fallback walk.
fn walk_builder(
    options: &WalkOptions,
    roots: &[PathBuf],
    scan_roots: &[PathBuf],
    pass: Pass<'_>,
    ignore_files: IgnoreFiles,
) -> Result<WalkBuilder, WalkError> {
    let (first, rest) = match roots.split_first() {
        Some(split) => split,
        None => (&PathBuf::from("."), &[][..]),
    };
    let mut builder = WalkBuilder::new(first);
    for path in rest {
        builder.add(path);
    }
    let by_crate = matches!(ignore_files, IgnoreFiles::ReadByCrate(_));
    let respect = options.respect_ignore_files && by_crate;
    let git_rules = respect && matches!(pass, Pass::Everything { .. });
    let exclude_filter = options.exclude_filter.clone();
    let excluded = move |entry: &DirEntry| {
        let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
        exclude_filter
            .as_ref()
            .is_some_and(|filter| filter.excludes(entry.path(), is_dir))
            || match &ignore_files {
                IgnoreFiles::ReadByCrate(guard) => is_dir && !guard.admits(entry.path()),
                IgnoreFiles::ReadByExcluder(excluder) => excluder
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .is_excluded(entry.path(), is_dir),
            }
    };
    builder
        // Hidden files matter here: `.env`, `.github/workflows`, `.npmrc`.
        .hidden(false)
        .parents(respect)
        .ignore(git_rules)
        .git_ignore(git_rules)
        .git_global(git_rules)
        .git_exclude(git_rules)
        .follow_links(options.follow_symlinks)
        .threads(options.threads);
    match pass {
        Pass::Everything { build_output } => {
            let build_output = build_output.to_vec();
            let roots = scan_roots.to_vec();
            builder.filter_entry(move |entry| {
                // Git's object store is compressed and not ours to scan.
                entry.depth() == 0
                    || (entry.file_name() != ".git"
                        && (build_output.is_empty()
                            || !entry.file_type().is_some_and(|t| t.is_dir())
                            || !below_any(entry.path(), &roots)
                                .is_some_and(|rel| in_build_output(rel, &build_output, false)))
                        && !excluded(entry))
            });
        }
        Pass::BuildOutput => {
            builder.filter_entry(move |entry| {
                entry.depth() == 0 || !(is_dependency_or_cache(entry) || excluded(entry))
            });
        }
    }
    if respect {
        builder.add_custom_ignore_filename(IGNORE_FILE_NAME);
    }
    if !options.excludes.is_empty() {
        builder.overrides(exclude_overrides(&options.excludes)?);
    }
    Ok(builder)
}

/// `path` relative to the root it was found under.
fn below_any<'p>(path: &'p Path, roots: &[PathBuf]) -> Option<&'p Path> {
    roots.iter().find_map(|root| path.strip_prefix(root).ok())
}

struct VisitorBuilder<'a, 's> {
    scanner: &'a Scanner<'s>,
    options: &'a WalkOptions,
    shared: &'a Mutex<ScanReport>,
    /// Set for [`Pass::BuildOutput`]: only files in build-output
    /// directories below this root are scanned.
    build_output_root: Option<&'a Path>,
}

impl<'a, 's> ParallelVisitorBuilder<'a> for VisitorBuilder<'a, 's> {
    fn build(&mut self) -> Box<dyn ParallelVisitor + 'a> {
        Box::new(FileVisitor {
            scanner: self.scanner,
            options: self.options,
            shared: self.shared,
            build_output_root: self.build_output_root,
            local: ScanReport::default(),
        })
    }
}

/// One worker thread's state; it merges into the shared report when the
/// walker drops it, so threads never contend on a lock per file.
struct FileVisitor<'a, 's> {
    scanner: &'a Scanner<'s>,
    options: &'a WalkOptions,
    shared: &'a Mutex<ScanReport>,
    build_output_root: Option<&'a Path>,
    local: ScanReport,
}

impl Drop for FileVisitor<'_, '_> {
    fn drop(&mut self) {
        let local = mem::take(&mut self.local);
        let mut shared = self
            .shared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        shared.merge(local);
    }
}

impl ParallelVisitor for FileVisitor<'_, '_> {
    fn visit(&mut self, entry: Result<DirEntry, ignore::Error>) -> WalkState {
        match entry {
            Ok(entry) => self.visit_entry(&entry),
            Err(error) => self.record_walk_error(&error),
        }
        WalkState::Continue
    }
}

impl FileVisitor<'_, '_> {
    fn visit_entry(&mut self, entry: &DirEntry) {
        let Some(file_type) = entry.file_type() else {
            return;
        };
        if file_type.is_dir() {
            return;
        }
        let path = entry.path();
        if let Some(root) = self.build_output_root {
            let below_root = path.strip_prefix(root).unwrap_or(path);
            if !in_build_output(below_root, &self.options.include_build_output, true) {
                return;
            }
        }
        if file_type.is_symlink() {
            // Links inside the tree are not followed unless asked (their
            // target is scanned where it lives); a link given on the
            // command line is what the user asked to scan.
            if entry.depth() == 0 {
                self.scan_explicit_link(path);
            }
            return;
        }
        if !file_type.is_file() {
            self.skip(
                path,
                SkipReason::NotARegularFile,
                "not a regular file".into(),
            );
            return;
        }
        self.scan_file(path);
    }

    fn scan_explicit_link(&mut self, path: &Path) {
        match path.metadata() {
            Ok(metadata) if metadata.is_file() => self.scan_file(path),
            Ok(_) => self.skip(
                path,
                SkipReason::NotARegularFile,
                "not a regular file".into(),
            ),
            Err(error) if error.kind() == io::ErrorKind::NotFound => self.skip(
                path,
                SkipReason::BrokenSymlink,
                "the link's target does not exist".into(),
            ),
            Err(error) => self.skip(path, SkipReason::Unreadable, error.to_string()),
        }
    }

    fn scan_file(&mut self, path: &Path) {
        let bytes = match read_work_tree_file(path, self.options.max_file_size) {
            Ok(bytes) => bytes,
            Err(skipped) => {
                self.local.skipped.push(skipped);
                return;
            }
        };
        scan_blob(
            self.scanner,
            Origin::WorkTree(path),
            &bytes,
            &mut self.local,
        );
        if let Some(progress) = &self.options.progress {
            progress.add(bytes.len() as u64);
        }
    }

    fn record_walk_error(&mut self, error: &ignore::Error) {
        let path = error_path(error);
        self.local.skipped.push(Skipped {
            path: path.map_or_else(|| "<unknown path>".to_string(), display_path),
            reason: classify_walk_error(error),
            detail: error.to_string(),
            raw_path: path.and_then(raw_display_path),
        });
    }

    fn skip(&mut self, path: &Path, reason: SkipReason, detail: String) {
        let skipped = Origin::WorkTree(path).skipped(reason, detail);
        self.local.skipped.push(skipped);
    }
}

fn error_path(error: &ignore::Error) -> Option<&Path> {
    match error {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::Loop { child, .. } => Some(child),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Partial(errors) => errors.iter().find_map(error_path),
        _ => None,
    }
}

fn classify_walk_error(error: &ignore::Error) -> SkipReason {
    classify_walk_error_at(error, None)
}

/// `path`: the innermost path the error was wrapped with so far (ignore
/// nests `WithPath` and `WithDepth` either way round).
fn classify_walk_error_at(error: &ignore::Error, path: Option<&Path>) -> SkipReason {
    match error {
        ignore::Error::Loop { .. } => SkipReason::SymlinkLoop,
        ignore::Error::WithPath { path, err } => classify_walk_error_at(err, Some(path)),
        ignore::Error::WithDepth { err, .. } => classify_walk_error_at(err, path),
        ignore::Error::WithLineNumber { .. }
        | ignore::Error::Glob { .. }
        | ignore::Error::UnrecognizedFileType(_)
        | ignore::Error::InvalidDefinition => SkipReason::BadIgnoreFile,
        ignore::Error::Partial(errors) => errors.first().map_or(SkipReason::BadIgnoreFile, |e| {
            classify_walk_error_at(e, path)
        }),
        // Without a path there is no link to look at.
        ignore::Error::Io(io) if io.kind() == io::ErrorKind::NotFound => {
            path.map_or(SkipReason::Vanished, classify_not_found)
        }
        _ => SkipReason::Unreadable,
    }
}

/// A path the walk listed but did not find when it looked again: a link
/// it followed (`--follow-symlinks`) whose target does not exist, or a
/// file or directory deleted while the scan ran. Asked only on this error.
fn classify_not_found(path: &Path) -> SkipReason {
    if path
        .symlink_metadata()
        .is_ok_and(|metadata| metadata.file_type().is_symlink())
    {
        SkipReason::BrokenSymlink
    } else {
        SkipReason::Vanished
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn not_found_at(path: PathBuf) -> ignore::Error {
        ignore::Error::WithDepth {
            depth: 1,
            err: Box::new(ignore::Error::WithPath {
                path,
                err: Box::new(ignore::Error::Io(io::ErrorKind::NotFound.into())),
            }),
        }
    }

    #[test]
    fn a_path_gone_during_the_walk_is_vanished_not_a_broken_symlink() {
        let dir = tempfile::TempDir::new().unwrap();
        // A directory listed, then deleted before the walk read it.
        let deleted = not_found_at(dir.path().join("deleted-dir"));
        assert_eq!(classify_walk_error(&deleted), SkipReason::Vanished);
        assert!(!SkipReason::Vanished.is_error());
        // Nested the other way round, as ignore reports a named root.
        let root = ignore::Error::WithPath {
            path: dir.path().join("deleted-root"),
            err: Box::new(ignore::Error::WithDepth {
                depth: 0,
                err: Box::new(ignore::Error::Io(io::ErrorKind::NotFound.into())),
            }),
        };
        assert_eq!(classify_walk_error(&root), SkipReason::Vanished);
        let no_path = ignore::Error::Io(io::ErrorKind::NotFound.into());
        assert_eq!(classify_walk_error(&no_path), SkipReason::Vanished);
        // A followed link whose target does not exist is one.
        #[cfg(unix)]
        {
            let link = dir.path().join("dangling");
            std::os::unix::fs::symlink("nowhere", &link).unwrap();
            assert_eq!(
                classify_walk_error(&not_found_at(link)),
                SkipReason::BrokenSymlink
            );
        }
        let denied = ignore::Error::WithPath {
            path: dir.path().to_path_buf(),
            err: Box::new(ignore::Error::Io(io::ErrorKind::PermissionDenied.into())),
        };
        assert_eq!(classify_walk_error(&denied), SkipReason::Unreadable);
    }

    #[test]
    fn a_file_gone_before_it_is_read_is_vanished() {
        let rules = crate::RuleSet::builtin().unwrap();
        let scanner = Scanner::new(&rules, true);
        let options = WalkOptions::default();
        let shared = Mutex::new(ScanReport::default());
        let dir = tempfile::TempDir::new().unwrap();
        let mut visitor = FileVisitor {
            scanner: &scanner,
            options: &options,
            shared: &shared,
            build_output_root: None,
            local: ScanReport::default(),
        };
        visitor.scan_file(&dir.path().join("listed-then-deleted.js"));
        drop(visitor);
        let report = shared.into_inner().unwrap();
        assert_eq!(report.skipped.len(), 1);
        assert_eq!(report.skipped[0].reason, SkipReason::Vanished);
        assert!(report.is_complete());
    }
}
