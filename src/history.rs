//! Scans git history: every blob that entered the repository in a range of
//! commits, so a key committed and deleted in the next commit (still on
//! every clone) is found, and named with the commit that brought it in.
//!
//! Three git processes do the reading, whatever the size of the history:
//! `git log --raw` lists what each commit changed (parents first), `git
//! cat-file --batch` streams each unique blob once, and `cat-file
//! --batch-check` asks the range's tips whether a key is still there. The
//! blobs go through the pipeline every git source shares
//! ([`read_in_parallel`]: one reader thread, batches to worker threads)
//! into the per-file step every source shares ([`scan_contents`]): the
//! same decoding, binary sniff, rules and raw-path identity as a file scan.
//!
//! Only rules tagged `secret` (KAT001-KAT003, and custom rules with the tag)
//! report from history: a leaked key stays leaked in every clone, whereas
//! code that was fixed (a permissive CORS policy, a direct browser call)
//! no longer runs anywhere, and what still runs is the working tree scan's.
//!
//! A finding is reported once per fingerprint (rule, path, matched text):
//! at the oldest commit whose version of the path holds it. The fingerprint
//! is the one a file scan gives, so a baseline entry written by `katscan
//! scan` accepts the same key at the same path in every commit.
//!
//! Client classification looks at the current working tree around the
//! path (as `staged` does), not at the commit's own tree: an approximation
//! that only differs for a project that moved between client and server.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::exclude::BadExcludeGlob;
use crate::finding::{Finding, HistoryOrigin};
use crate::git::{Commit, EntryKind, GitError, Repository};
use crate::scanner::Scanner;
use crate::source::{
    GitScanOptions, ScanReport, SkipReason, Skipped, read_in_parallel, scan_contents,
};

/// What history to scan, and how.
#[derive(Debug, Clone)]
pub struct HistoryOptions {
    /// A directory inside the work tree.
    pub dir: PathBuf,
    /// Revisions as `git log` takes them (`main..HEAD`, `A...B`, `v1.0`);
    /// none means `HEAD`, unless `all`.
    pub revisions: Vec<String>,
    /// Every ref (branches, tags, remotes), as `git log --all`.
    pub all: bool,
    /// Only commits more recent than this date (`git log --since`).
    pub since: Option<String>,
    /// Which paths, how large, how many workers: as for `staged`.
    pub scan: GitScanOptions,
}

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    BadExclude(#[from] BadExcludeGlob),
    #[error("`{0}` is not a revision (revisions never start with `-`)")]
    BadRevision(String),
    #[error("{} names no commits{}", describe_range(.revisions, *.all, .since.as_deref()), shallow_hint(*.shallow))]
    EmptyRange {
        revisions: Vec<String>,
        all: bool,
        since: Option<String>,
        shallow: bool,
    },
    #[error("cannot read the commits of {range}: {message}{}", shallow_hint(*.shallow))]
    Range {
        range: String,
        message: String,
        shallow: bool,
    },
}

fn describe_range(revisions: &[String], all: bool, since: Option<&str>) -> String {
    let mut words: Vec<String> = revisions.iter().map(|r| format!("`{r}`")).collect();
    if all {
        words.push("--all".into());
    }
    if words.is_empty() {
        words.push("`HEAD`".into());
    }
    if let Some(since) = since {
        words.push(format!("--since {since}"));
    }
    words.join(" ")
}

fn shallow_hint(shallow: bool) -> &'static str {
    if shallow {
        "; this is a shallow clone, so older commits are not here: fetch them with \
         `git fetch --unshallow` (in GitHub Actions, `fetch-depth: 0` on actions/checkout)"
    } else {
        ""
    }
}

/// A history scan's findings (each with its [`HistoryOrigin`]) and counts.
/// `scan.files_scanned` counts file versions: each (blob, path) scanned.
#[derive(Debug, Default)]
pub struct HistoryReport {
    pub scan: ScanReport,
    /// Commits in the range.
    pub commits: usize,
    /// Unique blobs read.
    pub blobs: usize,
    /// The repository is a shallow clone: history before its boundary
    /// was not scanned (and the boundary commits hold all their files).
    pub shallow: bool,
    /// The commits "still present" was asked of.
    pub tips: Vec<String>,
    /// `origin`'s URL, for SARIF's version-control provenance.
    pub repository_url: Option<String>,
}

/// One path as the changes name it.
struct PathName {
    shown: String,
    raw: Option<Vec<u8>>,
    bytes: Vec<u8>,
}

/// One change that matters: commit `commit` set path `path` to blob
/// `blob` (`None`: deleted, or no longer a file).
struct Step {
    commit: usize,
    path: usize,
    blob: Option<usize>,
}

/// A blob and the paths it is scanned at (its content is read once; the
/// rules depend on the path, so each path gets its own scan).
struct Unit {
    id: String,
    paths: Vec<usize>,
}

/// The tag of the rules whose findings history reports.
const SECRET_TAG: &str = "secret";

/// What a worker hands back: the scan of one (blob, path).
type UnitScan = ((usize, usize), ScanReport);

/// Scans the blobs the commits in `options`' range brought in.
pub fn scan(
    scanner: &Scanner<'_>,
    options: &HistoryOptions,
) -> Result<HistoryReport, HistoryError> {
    if let Some(bad) = options.revisions.iter().find(|r| r.starts_with('-')) {
        return Err(HistoryError::BadRevision(bad.clone()));
    }
    let repository = Repository::discover(&options.dir)?;
    let top = repository.top_level().to_path_buf();
    let shallow = repository.is_shallow()?;
    let range_error = |error: GitError| match error {
        GitError::Failed { message, .. } => HistoryError::Range {
            range: describe_range(&options.revisions, options.all, options.since.as_deref()),
            message,
            shallow,
        },
        other => HistoryError::Git(other),
    };
    let log = repository
        .commit_changes(&options.revisions, options.all, options.since.as_deref())
        .map_err(range_error)?;
    if log.is_empty() {
        return Err(HistoryError::EmptyRange {
            revisions: options.revisions.clone(),
            all: options.all,
            since: options.since.clone(),
            shallow,
        });
    }
    let tips = repository
        .tips(&options.revisions, options.all)
        .map_err(range_error)?;

    let mut exclusion = options.scan.exclusion(&top)?;

    let mut report = HistoryReport {
        commits: log.len(),
        shallow,
        tips,
        repository_url: repository.origin_url(),
        ..HistoryReport::default()
    };

    // Intern commits, paths and blobs; keep the changes that matter.
    let mut commits: Vec<Arc<Commit>> = Vec::with_capacity(log.len());
    let mut paths: Vec<PathName> = Vec::new();
    let mut path_index: HashMap<Vec<u8>, Option<usize>> = HashMap::new();
    let mut units: Vec<Unit> = Vec::new();
    let mut unit_index: HashMap<String, usize> = HashMap::new();
    let mut steps: Vec<Step> = Vec::new();
    let mut symlinks: HashSet<usize> = HashSet::new();
    for entry in log {
        let commit = commits.len();
        commits.push(Arc::new(entry.commit));
        for change in entry.changes {
            let path = match path_index.get(&change.path) {
                Some(known) => *known,
                None => {
                    let name = path_name(change.path.clone());
                    let location = top.join(relative_path(&name));
                    let kept = (!exclusion.excludes(&location)).then(|| {
                        paths.push(name);
                        paths.len() - 1
                    });
                    path_index.insert(change.path, kept);
                    kept
                }
            };
            let Some(path) = path else { continue };
            let blob = match (change.kind, change.object_id) {
                (EntryKind::File, Some(id)) => {
                    let unit = *unit_index.entry(id).or_insert_with_key(|id| {
                        units.push(Unit {
                            id: id.clone(),
                            paths: Vec::new(),
                        });
                        units.len() - 1
                    });
                    if !units[unit].paths.contains(&path) {
                        units[unit].paths.push(path);
                    }
                    Some(unit)
                }
                // The link's target is scanned where it lives.
                (EntryKind::Symlink, Some(_)) => {
                    symlinks.insert(path);
                    None
                }
                // A submodule's commit: nothing of it is in this repository.
                _ => None,
            };
            steps.push(Step { commit, path, blob });
        }
    }
    report.blobs = units.len();
    let mut scans = read_and_scan(
        scanner,
        &repository,
        &top,
        &units,
        &paths,
        options,
        &mut report.scan,
    )?;

    for path in symlinks {
        let name = &paths[path];
        report.scan.skipped.push(Skipped {
            path: name.shown.clone(),
            reason: SkipReason::NotARegularFile,
            detail: "symbolic link".into(),
            raw_path: name.raw.clone(),
        });
    }
    report.scan.skipped.extend(exclusion.problems(&top));

    let secret_rules: HashSet<&str> = scanner
        .rules()
        .rules()
        .iter()
        .filter(|rule| rule.tags.iter().any(|tag| tag == SECRET_TAG))
        .map(|rule| rule.id.as_str())
        .collect();
    for scan in scans.values_mut() {
        scan.findings
            .retain(|finding| secret_rules.contains(finding.rule_id.as_str()));
    }

    // Which fingerprints each (blob, path) holds: what "still there" and
    // "removed in" are judged by.
    let holds: HashMap<(usize, usize), HashSet<String>> = scans
        .iter()
        .map(|(key, scan)| {
            let prints = scan.findings.iter().map(|f| f.fingerprint.clone());
            (*key, prints.collect())
        })
        .collect();
    let present = present_at_tips(&repository, &report.tips, &paths, &unit_index, &holds)?;

    // Each fingerprint is reported at the first (blob, path) that holds
    // it, in commit order (parents first).
    let mut emitted: HashSet<(usize, usize)> = HashSet::new();
    let mut reported: HashSet<String> = HashSet::new();
    let mut findings: Vec<Finding> = Vec::new();
    for (position, step) in steps.iter().enumerate() {
        let Some(blob) = step.blob else { continue };
        let key = (blob, step.path);
        if !emitted.insert(key) {
            continue;
        }
        let Some(scan) = scans.get_mut(&key) else {
            continue;
        };
        let new: HashSet<String> = scan
            .findings
            .iter()
            .map(|f| f.fingerprint.clone())
            .filter(|print| !reported.contains(print))
            .collect();
        for mut finding in scan.findings.drain(..) {
            if !new.contains(&finding.fingerprint) {
                continue;
            }
            let still_present = present.contains(&(step.path, finding.fingerprint.clone()));
            let removed_in = if still_present {
                None
            } else {
                removed_after(&steps, position, &finding.fingerprint, &holds)
                    .map(|commit| Arc::clone(&commits[commit]))
            };
            finding.history = Some(Box::new(HistoryOrigin {
                introduced: Arc::clone(&commits[step.commit]),
                still_present,
                removed_in,
            }));
            findings.push(finding);
        }
        reported.extend(new);
    }
    shorten_ids(&repository, &mut findings)?;
    report.scan.findings = findings;
    // The fingerprints judge a baseline's entries; no file was "read" in
    // the sense of a file scan (a path's current version may predate the
    // range), so no entry is judged stale.
    report.scan.scanned_files.clear();
    dedup_skips(&mut report.scan.skipped);
    report.scan.findings.sort_by(|a, b| {
        a.order(b).then_with(|| {
            let when = |f: &Finding| f.history.as_ref().map(|h| h.introduced.date.clone());
            when(a).cmp(&when(b))
        })
    });
    report
        .scan
        .skipped
        .sort_by(|a, b| (&a.path, &a.raw_path, a.reason).cmp(&(&b.path, &b.raw_path, b.reason)));
    Ok(report)
}

/// Reads every unit's blob once and scans it at each of its paths, on the
/// pipeline every git source shares ([`read_in_parallel`]). Blobs too
/// large or missing are recorded as skips (at each of their paths) in
/// `report`.
fn read_and_scan(
    scanner: &Scanner<'_>,
    repository: &Repository,
    top: &Path,
    units: &[Unit],
    paths: &[PathName],
    options: &HistoryOptions,
    report: &mut ScanReport,
) -> Result<HashMap<(usize, usize), ScanReport>, HistoryError> {
    let order = read_order(repository, units);
    let ids: Vec<&str> = order.iter().map(|&u| units[u].id.as_str()).collect();
    let max = options.scan.max_file_size;
    let read = read_in_parallel(
        repository,
        &ids,
        max,
        options.scan.threads,
        |position, bytes| {
            let index = order[position];
            units[index]
                .paths
                .iter()
                .map(|&path| {
                    let name = &paths[path];
                    let location = top.join(relative_path(name));
                    let mut scan = ScanReport::default();
                    scan_contents(
                        scanner,
                        name.shown.clone(),
                        name.raw.clone(),
                        Some(&location),
                        bytes,
                        &mut scan,
                    );
                    ((index, path), scan)
                })
                .collect::<Vec<UnitScan>>()
        },
    )?;
    for (position, not_read) in read.not_read {
        let unit = &units[order[position]];
        let (reason, detail) = not_read.skip(&unit.id, max);
        report
            .skipped
            .extend(unit.paths.iter().map(|&path| Skipped {
                path: paths[path].shown.clone(),
                reason,
                detail: detail.clone(),
                raw_path: paths[path].raw.clone(),
            }));
    }
    let mut by_unit = HashMap::new();
    for (key, mut scan) in read.scanned.into_iter().flat_map(|(_, scans)| scans) {
        report.files_scanned += scan.files_scanned;
        report.bytes_scanned += scan.bytes_scanned;
        report.skipped.append(&mut scan.skipped);
        by_unit.insert(key, scan);
    }
    Ok(by_unit)
}

/// Below this many blobs, they are read newest first without asking git
/// for its pack order (listing every object costs 0.2 s per 250k objects,
/// more than a pull request's few blobs could gain).
const PACK_ORDER_FROM: usize = 2000;

/// The order to read `units` in (indices): git's pack order for many
/// blobs, else newest first (units are numbered oldest first). Both let
/// git reuse delta bases: packs store new versions whole and old ones as
/// deltas against them.
fn read_order(repository: &Repository, units: &[Unit]) -> Vec<usize> {
    let newest_first = || (0..units.len()).rev().collect();
    if units.len() < PACK_ORDER_FROM {
        return newest_first();
    }
    let Ok(listing) = repository.objects_in_pack_order() else {
        return newest_first();
    };
    let wanted: HashMap<&[u8], usize> = units
        .iter()
        .enumerate()
        .map(|(index, unit)| (unit.id.as_bytes(), index))
        .collect();
    let mut listed = vec![false; units.len()];
    let mut order: Vec<usize> = Vec::with_capacity(units.len());
    for id in listing.split(|&b| b == b'\n') {
        if let Some(&index) = wanted.get(id)
            && !std::mem::replace(&mut listed[index], true)
        {
            order.push(index);
        }
    }
    // Objects git did not list (missing from a partial clone) last: they
    // are reported missing when asked for.
    order.extend((0..units.len()).rev().filter(|&index| !listed[index]));
    order
}

/// Gives the commits findings name git's own short ids (unambiguous in
/// this repository), asking git about those commits only.
fn shorten_ids(repository: &Repository, findings: &mut [Finding]) -> Result<(), GitError> {
    let mut ids: Vec<String> = findings
        .iter()
        .filter_map(|f| f.history.as_deref())
        .flat_map(|h| std::iter::once(&h.introduced).chain(h.removed_in.as_ref()))
        .map(|c| c.id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let short = repository.short_ids(&refs)?;
    let mut shortened: HashMap<String, Arc<Commit>> = HashMap::new();
    let mut shorten = |commit: &mut Arc<Commit>| {
        let done = shortened.entry(commit.id.clone()).or_insert_with(|| {
            let mut copy = Commit::clone(commit);
            if let Some(id) = short.get(copy.id.as_str()) {
                copy.short_id = id.clone();
            }
            Arc::new(copy)
        });
        *commit = Arc::clone(done);
    };
    for history in findings.iter_mut().filter_map(|f| f.history.as_deref_mut()) {
        shorten(&mut history.introduced);
        if let Some(removed) = &mut history.removed_in {
            shorten(removed);
        }
    }
    Ok(())
}

/// The (path, fingerprint) pairs found in the version of a path at one of
/// the tips.
fn present_at_tips(
    repository: &Repository,
    tips: &[String],
    paths: &[PathName],
    unit_index: &HashMap<String, usize>,
    holds: &HashMap<(usize, usize), HashSet<String>>,
) -> Result<HashSet<(usize, String)>, GitError> {
    let mut with_findings: Vec<usize> = holds
        .iter()
        .filter(|(_, prints)| !prints.is_empty())
        .map(|((_, path), _)| *path)
        .collect();
    with_findings.sort_unstable();
    with_findings.dedup();
    let mut present = HashSet::new();
    if with_findings.is_empty() {
        return Ok(present);
    }
    let by_name: HashMap<&[u8], usize> = with_findings
        .iter()
        .map(|&path| (paths[path].bytes.as_slice(), path))
        .collect();
    let queries: Vec<(&str, &[u8])> = tips
        .iter()
        .flat_map(|tip| by_name.keys().map(move |name| (tip.as_str(), *name)))
        .collect();
    let answers = repository.objects_at(&queries)?;
    for ((_, name), id) in queries.iter().zip(answers) {
        let Some(id) = id else { continue };
        let path = by_name[name];
        let Some(&unit) = unit_index.get(&id) else {
            continue;
        };
        if let Some(prints) = holds.get(&(unit, path)) {
            present.extend(prints.iter().map(|print| (path, print.clone())));
        }
    }
    Ok(present)
}

/// The commit of the first step after `position` that set the same path
/// to a version without `print` (or deleted it).
fn removed_after(
    steps: &[Step],
    position: usize,
    print: &str,
    holds: &HashMap<(usize, usize), HashSet<String>>,
) -> Option<usize> {
    let path = steps[position].path;
    steps[position + 1..]
        .iter()
        .filter(|step| step.path == path)
        .find(|step| {
            step.blob
                .and_then(|blob| holds.get(&(blob, path)))
                .is_none_or(|prints| !prints.contains(print))
        })
        .map(|step| step.commit)
}

/// One skip per path and reason: a binary file changed in 300 commits is
/// one skipped file, not 300.
fn dedup_skips(skipped: &mut Vec<Skipped>) {
    let mut seen: HashSet<(String, Option<Vec<u8>>, SkipReason)> = HashSet::new();
    skipped.retain(|s| seen.insert((s.path.clone(), s.raw_path.clone(), s.reason)));
}

fn path_name(bytes: Vec<u8>) -> PathName {
    let shown = String::from_utf8_lossy(&bytes).into_owned();
    let raw = std::str::from_utf8(&bytes).is_err().then(|| bytes.clone());
    PathName { shown, raw, bytes }
}

/// The path on disk, from the raw name (Unix: any bytes).
fn relative_path(name: &PathName) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        PathBuf::from(std::ffi::OsStr::from_bytes(&name.bytes))
    }
    #[cfg(not(unix))]
    {
        PathBuf::from(&name.shown)
    }
}
