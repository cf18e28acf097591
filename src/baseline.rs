//! Baselines: findings a project has accepted for now, so that a scan
//! reports only new ones.
//!
//! A baseline file lists findings by rule, path and fingerprint (a hash of
//! rule, path and matched text; see [`crate::finding::fingerprint`]). It
//! holds no secret and no line number, so entries keep matching when lines
//! move, and it is a TOML file with one entry per line, sorted, so that
//! diffs stay readable:
//!
//! ```toml
//! version = 1
//! findings = [
//!   { rule = "KAT001", path = "config/dev.env", fingerprint = "0cf099300017195666bf6fef9dc77eb0" },
//!   { rule = "KAT001", path = "test/keys.js", fingerprint = "9d2f…", count = 2 },
//! ]
//! ```
//!
//! Identical findings in one file (the same key twice) share a fingerprint;
//! `count` records how many were accepted, so a third copy is reported.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::finding::{Finding, Suppression};
use crate::input::{self, InputError};

/// Version of the baseline file's format.
pub const BASELINE_VERSION: u32 = 1;

const HEADER: &str = "\
# katscan baseline: findings accepted when this file was written.
# `katscan scan --baseline FILE` reports only findings not listed here.
# Entries hold no secret and no line number: rule, path (as reported) and a
# fingerprint, a hash of rule, path and matched text. A key listed here is
# still leaked: plan to revoke it.
# Rewrite with `katscan scan --write-baseline FILE`; drop entries that no
# longer match with `katscan scan --baseline FILE --update-baseline`.
";

/// One accepted finding, or `count` identical ones in the same file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Entry {
    pub path: String,
    pub rule_id: String,
    pub fingerprint: String,
    pub count: usize,
}

/// The entries of a baseline, sorted by path, rule and fingerprint, one per
/// fingerprint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    entries: Vec<Entry>,
}

/// What applying a baseline to a scan found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BaselineOutcome {
    /// The baseline file as the user named it.
    pub file: String,
    /// Findings the baseline suppressed.
    pub matched: usize,
    /// Entries that matched no finding in the scanned paths; `count` is the
    /// number of unmatched occurrences.
    pub stale: Vec<Entry>,
    /// The file was rewritten without its stale entries.
    pub pruned: bool,
}

impl BaselineOutcome {
    /// Stale occurrences in all.
    pub fn stale_count(&self) -> usize {
        self.stale.iter().map(|e| e.count).sum()
    }
}

/// Which baseline entries a scan judged. An entry can be stale only when
/// the rule that recorded it ran and its file was scanned, or (for a walk)
/// the file is gone from below the walked paths. Anything else is
/// unchecked, not stale: a file the scan did not read (excluded by
/// `--exclude`, an ignore file or the config; binary, unreadable, too large;
/// not staged; outside the paths given, as when a pre-commit hook scans
/// `src/a.js`) or a rule disabled in `.katscan.toml`. Pruning an unchecked
/// entry would make the next full scan fail on a finding nobody changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope<'a> {
    /// Reported paths of the files whose contents were scanned.
    scanned: HashSet<&'a str>,
    /// Ids of the rules in the rule set that ran.
    rules_run: HashSet<&'a str>,
    /// Reported-path prefixes of the walked paths (an empty one covers
    /// every relative path): a file below them that no longer exists was
    /// deleted, and its entries are stale.
    walked_roots: Vec<String>,
    /// The directory relative reported paths are relative to.
    walked_from: PathBuf,
}

impl<'a> Scope<'a> {
    /// `scanned`: the reported paths of the files read (a 200k-file walk
    /// builds this set in tens of milliseconds, and only when a baseline
    /// is applied); `rules_run`: the ids of the rules that ran.
    pub fn new(
        scanned: impl IntoIterator<Item = &'a str>,
        rules_run: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        Scope {
            scanned: scanned.into_iter().collect(),
            rules_run: rules_run.into_iter().collect(),
            walked_roots: Vec::new(),
            walked_from: PathBuf::new(),
        }
    }

    /// Also judges entries of files deleted from below `roots`, the paths
    /// a walk was given (`.`, `./src/`, `a.js`) in the directory `from` (the
    /// current one, where reported paths are relative to). A staged scan
    /// passes none: a file missing from the work tree may still be in the
    /// index.
    pub fn with_walked_roots(
        mut self,
        from: &Path,
        roots: impl IntoIterator<Item = String>,
    ) -> Self {
        self.walked_from = from.to_path_buf();
        self.walked_roots = roots
            .into_iter()
            .map(|root| {
                let mut trimmed = root.trim_end_matches('/');
                while let Some(rest) = trimmed.strip_prefix("./") {
                    trimmed = rest;
                }
                if trimmed == "." {
                    String::new()
                } else if trimmed.is_empty() && root.starts_with('/') {
                    "/".to_string()
                } else {
                    trimmed.to_string()
                }
            })
            .collect();
        self
    }

    /// Whether the scan would have seen `entry`'s findings, so that not
    /// finding them makes it stale.
    pub fn judges(&self, entry: &Entry) -> bool {
        self.rules_run.contains(entry.rule_id.as_str())
            && (self.scanned.contains(entry.path.as_str()) || self.was_deleted(&entry.path))
    }

    /// Below a walked path, and nothing is there any more (not even a
    /// broken link). Asked only for entries not scanned: a few at most.
    fn was_deleted(&self, path: &str) -> bool {
        self.below_walked_root(path)
            && self
                .walked_from
                .join(path)
                .symlink_metadata()
                .is_err_and(|error| error.kind() == io::ErrorKind::NotFound)
    }

    fn below_walked_root(&self, path: &str) -> bool {
        self.walked_roots.iter().any(|root| {
            if root.is_empty() {
                !path.starts_with('/') && !path.starts_with("../")
            } else if root == "/" {
                path.starts_with('/')
            } else {
                path.strip_prefix(root.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            }
        })
    }
}

impl Baseline {
    /// A baseline accepting every reported (not otherwise suppressed)
    /// finding of `findings`.
    pub fn from_findings<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Self {
        let mut counts: BTreeMap<(&str, &str, &str), usize> = BTreeMap::new();
        for finding in findings.into_iter().filter(|f| f.is_reported()) {
            *counts
                .entry((&finding.path, &finding.rule_id, &finding.fingerprint))
                .or_insert(0) += 1;
        }
        let entries = counts
            .into_iter()
            .map(|((path, rule_id, fingerprint), count)| Entry {
                path: path.to_string(),
                rule_id: rule_id.to_string(),
                fingerprint: fingerprint.to_string(),
                count,
            })
            .collect();
        Baseline { entries }
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Reads and validates the baseline file at `path`: a regular file of
    /// at most [`input::BASELINE_CAP`] bytes (`--baseline /dev/zero` is an
    /// error, not an endless read).
    pub fn load(path: &Path) -> Result<Self, BaselineError> {
        let text = input::read_capped_text(path, input::BASELINE_CAP).map_err(|source| {
            BaselineError::Read {
                path: path.display().to_string(),
                source,
            }
        })?;
        Baseline::parse(&text).map_err(|error| BaselineError::Malformed {
            path: path.display().to_string(),
            line: error.line,
            message: error.message,
        })
    }

    /// Parses the text of a baseline file.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let file: FileSpec = toml::from_str(text).map_err(|error| ParseError {
            line: error.span().map(|span| line_of(text, span.start)),
            message: error.message().trim().to_string(),
        })?;
        if *file.version.get_ref() != BASELINE_VERSION {
            return Err(ParseError {
                line: Some(line_of(text, file.version.span().start)),
                message: format!(
                    "unsupported version {} (this katscan reads version {BASELINE_VERSION})",
                    file.version.get_ref()
                ),
            });
        }
        let mut by_fingerprint: HashMap<String, Entry> = HashMap::new();
        // Entries come in file order: count lines from the previous entry,
        // not from the start (counting from the start was quadratic: 110 s
        // for a 16 MB baseline).
        let mut lines = LineCounter::new(text);
        for spanned in file.findings {
            let line = lines.line_at(spanned.span().start);
            let spec = spanned.into_inner();
            if !is_fingerprint(&spec.fingerprint) {
                return Err(ParseError {
                    line: Some(line),
                    message: format!(
                        "`{}` is not a fingerprint (32 lower-case hex digits)",
                        spec.fingerprint
                    ),
                });
            }
            if spec.count == 0 {
                return Err(ParseError {
                    line: Some(line),
                    message: "count must be at least 1".to_string(),
                });
            }
            // The same entry twice (both sides of a merge kept) accepts
            // the larger count, not their sum.
            by_fingerprint
                .entry(spec.fingerprint.clone())
                .and_modify(|e| e.count = e.count.max(spec.count))
                .or_insert(Entry {
                    path: spec.path,
                    rule_id: spec.rule,
                    fingerprint: spec.fingerprint,
                    count: spec.count,
                });
        }
        let mut entries: Vec<Entry> = by_fingerprint.into_values().collect();
        entries.sort();
        Ok(Baseline { entries })
    }

    /// The file's text: a header comment, then one entry per line.
    pub fn render(&self) -> String {
        let mut text = String::from(HEADER);
        let _ = writeln!(text, "version = {BASELINE_VERSION}");
        if self.entries.is_empty() {
            text.push_str("findings = []\n");
            return text;
        }
        text.push_str("findings = [\n");
        for entry in &self.entries {
            let _ = write!(
                text,
                "  {{ rule = {}, path = {}, fingerprint = {}",
                toml_string(&entry.rule_id),
                toml_string(&entry.path),
                toml_string(&entry.fingerprint)
            );
            if entry.count > 1 {
                let _ = write!(text, ", count = {}", entry.count);
            }
            text.push_str(" },\n");
        }
        text.push_str("]\n");
        text
    }

    /// Writes [`Baseline::render`] to `path`.
    pub fn save(&self, path: &Path) -> Result<(), BaselineError> {
        fs::write(path, self.render()).map_err(|source| BaselineError::Write {
            path: path.display().to_string(),
            source,
        })
    }

    /// Marks the reported findings this baseline accepts as suppressed
    /// (external, "in baseline `file`"), at most `count` per entry, in the
    /// order given (output order). Entries `scope` judges that matched
    /// fewer findings than their count are stale.
    pub fn apply(
        &self,
        findings: &mut [Finding],
        file: &str,
        scope: &Scope<'_>,
    ) -> BaselineOutcome {
        let mut remaining: HashMap<&str, usize> = self
            .entries
            .iter()
            .map(|e| (e.fingerprint.as_str(), e.count))
            .collect();
        let justification = format!("in baseline {file}");
        let mut matched = 0;
        for finding in findings.iter_mut().filter(|f| f.is_reported()) {
            if let Some(left) = remaining.get_mut(finding.fingerprint.as_str())
                && *left > 0
            {
                *left -= 1;
                matched += 1;
                finding.suppression = Some(Suppression::external(justification.clone()));
            }
        }
        let stale = self
            .entries
            .iter()
            .filter(|e| scope.judges(e))
            .filter_map(|e| {
                let left = remaining[e.fingerprint.as_str()];
                (left > 0).then(|| Entry {
                    count: left,
                    ..e.clone()
                })
            })
            .collect();
        BaselineOutcome {
            file: file.to_string(),
            matched,
            stale,
            pruned: false,
        }
    }

    /// This baseline without the stale occurrences `outcome` found; no
    /// entry is added.
    pub fn pruned(&self, outcome: &BaselineOutcome) -> Baseline {
        let stale: HashMap<&str, usize> = outcome
            .stale
            .iter()
            .map(|e| (e.fingerprint.as_str(), e.count))
            .collect();
        let entries = self
            .entries
            .iter()
            .filter_map(|e| {
                let count = e
                    .count
                    .saturating_sub(stale.get(e.fingerprint.as_str()).copied().unwrap_or(0));
                (count > 0).then(|| Entry { count, ..e.clone() })
            })
            .collect();
        Baseline { entries }
    }
}

/// A baseline file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("cannot read baseline {path}: {source}")]
    Read { path: String, source: InputError },
    #[error("baseline {path}{}: {message}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Malformed {
        path: String,
        line: Option<usize>,
        message: String,
    },
    #[error("cannot write baseline {path}: {source}")]
    Write { path: String, source: io::Error },
}

/// Why the text of a baseline file is invalid, and where (1-based line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: Option<usize>,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    version: toml::Spanned<u32>,
    findings: Vec<toml::Spanned<EntrySpec>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntrySpec {
    rule: String,
    path: String,
    fingerprint: String,
    #[serde(default = "one")]
    count: usize,
}

fn one() -> usize {
    1
}

fn is_fingerprint(value: &str) -> bool {
    value.len() == 32
        && value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// 1-based line numbers of increasing offsets, in linear time overall.
struct LineCounter<'t> {
    text: &'t [u8],
    offset: usize,
    line: usize,
}

impl<'t> LineCounter<'t> {
    fn new(text: &'t str) -> Self {
        LineCounter {
            text: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    fn line_at(&mut self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        if offset < self.offset {
            return line_of_bytes(self.text, offset);
        }
        self.line += memchr::memchr_iter(b'\n', &self.text[self.offset..offset]).count();
        self.offset = offset;
        self.line
    }
}

fn line_of_bytes(text: &[u8], offset: usize) -> usize {
    memchr::memchr_iter(b'\n', &text[..offset]).count() + 1
}

fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    memchr::memchr_iter(b'\n', &text.as_bytes()[..offset]).count() + 1
}

/// A TOML basic string on one line, whatever `value` holds (a path may
/// contain quotes, backslashes or even newlines).
fn toml_string(value: &str) -> String {
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('"');
    for c in value.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\t' => quoted.push_str("\\t"),
            '\r' => quoted.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(quoted, "\\u{:04X}", u32::from(c));
            }
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{SuppressionKind, fingerprint};
    use crate::location::Position;
    use crate::rules::Level;
    use crate::snippet::Snippet;

    fn finding(path: &str, rule: &str, matched: &str, line: usize) -> Finding {
        let at = Position { line, column: 1 };
        Finding {
            rule_id: rule.to_string(),
            rule_name: "test".to_string(),
            level: Level::Error,
            path: path.to_string(),
            start: at,
            end: at,
            key_id: None,
            matched: matched.to_string(),
            message: String::new(),
            help: String::new(),
            fingerprint: fingerprint(rule, path, matched.as_bytes()),
            snippet: Snippet::default(),
            suppression: None,
            raw_path: None,
            history: None,
            span: 0..0,
        }
    }

    /// A scan that read `files` with the rules KAT001 and CORS001.
    fn scanned<'a>(files: &[&'a str]) -> Scope<'a> {
        Scope::new(files.iter().copied(), ["KAT001", "CORS001"])
    }

    #[test]
    fn round_trips_sorted_with_counts_and_odd_paths() {
        let findings = [
            finding("z.js", "KAT001", "a", 1),
            finding("dir/we\"ird\\\n.js", "KAT001", "b", 1),
            finding("a.js", "CORS001", "c", 3),
            finding("a.js", "CORS001", "c", 9),
        ];
        let baseline = Baseline::from_findings(&findings);
        let text = baseline.render();
        assert!(text.starts_with("# katscan baseline"));
        let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("  {")).collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[0].contains("\"a.js\"") && lines[0].ends_with("count = 2 },"));
        assert!(lines[2].contains("\"z.js\""));
        assert_eq!(Baseline::parse(&text).unwrap(), baseline);
        // Empty baselines are valid files too.
        let empty = Baseline::default();
        assert_eq!(Baseline::parse(&empty.render()).unwrap(), empty);
    }

    #[test]
    fn already_suppressed_findings_are_not_recorded() {
        let mut inline = finding("a.js", "KAT001", "a", 1);
        inline.suppression = Some(Suppression::in_source(None));
        let baseline = Baseline::from_findings(&[inline]);
        assert!(baseline.entries().is_empty());
    }

    #[test]
    fn matching_is_count_aware_and_reports_stale_entries() {
        let old = [
            finding("a.js", "KAT001", "k", 1),
            finding("a.js", "KAT001", "k", 2),
            finding("b.js", "KAT001", "gone", 1),
        ];
        let baseline = Baseline::from_findings(&old);
        let mut now = vec![
            finding("a.js", "KAT001", "k", 5),
            finding("a.js", "KAT001", "k", 6),
            finding("a.js", "KAT001", "k", 7),
            finding("c.js", "KAT001", "new", 1),
        ];
        let outcome = baseline.apply(&mut now, "base.toml", &scanned(&["a.js", "b.js", "c.js"]));
        let reported: Vec<usize> = now
            .iter()
            .filter(|f| f.is_reported())
            .map(|f| f.start.line)
            .collect();
        // The third copy of the key and the new key are reported.
        assert_eq!(reported, [7, 1]);
        let suppression = now[0].suppression.as_ref().unwrap();
        assert_eq!(suppression.kind, SuppressionKind::External);
        assert_eq!(
            suppression.justification.as_deref(),
            Some("in baseline base.toml")
        );
        assert_eq!(outcome.matched, 2);
        assert_eq!(outcome.stale.len(), 1);
        assert_eq!(outcome.stale[0].path, "b.js");

        let pruned = baseline.pruned(&outcome);
        assert_eq!(pruned.entries().len(), 1);
        assert_eq!(pruned.entries()[0].count, 2);
    }

    #[test]
    fn surplus_counts_are_stale_and_pruned_to_what_matched() {
        let old = [
            finding("a.js", "KAT001", "k", 1),
            finding("a.js", "KAT001", "k", 2),
        ];
        let baseline = Baseline::from_findings(&old);
        let mut now = vec![finding("a.js", "KAT001", "k", 1)];
        let outcome = baseline.apply(&mut now, "b", &scanned(&["a.js"]));
        assert_eq!(outcome.stale_count(), 1);
        assert_eq!(baseline.pruned(&outcome).entries()[0].count, 1);
    }

    #[test]
    fn entries_outside_the_scanned_paths_are_not_stale() {
        let baseline = Baseline::from_findings(&[
            finding("src/a.js", "KAT001", "k", 1),
            finding("lib/b.js", "KAT001", "k", 1),
            finding("src/unreadable.js", "KAT001", "k", 1),
        ]);
        // `katscan scan ./src/`, where src/unreadable.js could not be read.
        let dir = tempfile::TempDir::new().unwrap();
        fs::create_dir(dir.path().join("src")).unwrap();
        fs::write(dir.path().join("src/unreadable.js"), "").unwrap();
        let scope = scanned(&["src/a.js"]).with_walked_roots(dir.path(), ["./src/".to_string()]);
        let outcome = baseline.apply(&mut [], "b", &scope);
        let stale: Vec<&str> = outcome.stale.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(stale, ["src/a.js"]);
        let entry = |path: &str| Entry {
            path: path.to_string(),
            rule_id: "KAT001".to_string(),
            fingerprint: String::new(),
            count: 1,
        };
        let missing = "srcfoo/a.js";
        let roots = |root: &str| scanned(&[]).with_walked_roots(dir.path(), [root.to_string()]);
        assert!(!roots("src").judges(&entry(missing)));
        assert!(roots("srcfoo").judges(&entry(missing)));
        assert!(scanned(&["src/a.js"]).judges(&entry("src/a.js")));
    }

    #[test]
    fn entries_of_excluded_files_and_disabled_rules_are_not_stale() {
        let baseline = Baseline::from_findings(&[
            finding("kept.js", "KAT001", "k", 1),
            finding("vendor/excluded.js", "KAT001", "k", 1),
            finding("cors.py", "CORS001", "c", 1),
            finding("Cargo.toml", "KAT001", "x", 1),
        ]);
        // The walk of `.` read kept.js and cors.py (vendor/ was excluded;
        // Cargo.toml is binary, not deleted) with CORS001 disabled.
        let dir = tempfile::TempDir::new().unwrap();
        fs::create_dir(dir.path().join("vendor")).unwrap();
        for file in ["kept.js", "cors.py", "vendor/excluded.js", "Cargo.toml"] {
            fs::write(dir.path().join(file), "").unwrap();
        }
        let scope = Scope::new(["kept.js", "cors.py"], ["KAT001"])
            .with_walked_roots(dir.path(), [".".to_string()]);
        let outcome = baseline.apply(&mut [], "b", &scope);
        let stale: Vec<&str> = outcome.stale.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(stale, ["kept.js"]);
        // A file deleted from below the walked paths is stale, for the
        // rules that ran only.
        let gone = |rule: &str| Entry {
            path: "deleted/a.js".to_string(),
            rule_id: rule.to_string(),
            fingerprint: String::new(),
            count: 1,
        };
        assert!(scope.judges(&gone("KAT001")));
        assert!(!scope.judges(&gone("CORS001")));
        // A staged scan judges only what it read.
        assert!(!Scope::new([], ["KAT001"]).judges(&gone("KAT001")));
    }

    #[test]
    fn malformed_files_name_the_line() {
        let bad_fingerprint = "version = 1\nfindings = [\n  { rule = \"KAT001\", path = \"a\", fingerprint = \"xyz\" },\n]\n";
        let error = Baseline::parse(bad_fingerprint).unwrap_err();
        assert_eq!(error.line, Some(3));
        assert!(error.message.contains("xyz"), "{}", error.message);

        let unknown_key = "version = 1\nfindings = [\n  { rule = \"K\", path = \"a\", fingerprint = \"00000000000000000000000000000000\", line = 3 },\n]\n";
        let error = Baseline::parse(unknown_key).unwrap_err();
        assert_eq!(error.line, Some(3), "{}", error.message);

        let syntax = "version = 1\nfindings = [\n  { rule = \n";
        assert!(Baseline::parse(syntax).unwrap_err().line.is_some());

        let version = "version = 7\nfindings = []\n";
        let error = Baseline::parse(version).unwrap_err();
        assert_eq!(error.line, Some(1));
        assert!(error.message.contains("version 7"));
    }
}
