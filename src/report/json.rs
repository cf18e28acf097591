//! `--format json`: a versioned document for scripts (schema in README.md).
//!
//! The shape is defined here field by field rather than derived from the
//! internal types, so refactoring the engine cannot silently change what
//! scripts parse. Bump [`JSON_FORMAT_VERSION`] on any breaking change.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::{Serialize, Serializer};

use super::{ReportInput, Reporter, TOOL_NAME, TOOL_VERSION};
use crate::finding::{Finding, SuppressionKind};
use crate::git::Commit;
use crate::rules::Level;
use crate::source::Skipped;

/// Version of the JSON document's shape.
pub const JSON_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Default, Clone, Copy)]
pub struct JsonReporter;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    tool: Tool,
    findings: Findings<'a>,
    summary: Summary<'a>,
}

/// The findings, each converted as it is written rather than collected
/// first: memory stays what the scan's findings take.
struct Findings<'a>(&'a [Finding]);

impl Serialize for Findings<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(JsonFinding::from))
    }
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule_id: &'a str,
    rule_name: &'a str,
    level: Level,
    path: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    key_id: Option<&'a str>,
    #[serde(rename = "match")]
    matched: &'a str,
    message: &'a str,
    help: &'a str,
    fingerprint: &'a str,
    /// Present (not null) when the finding is accepted rather than reported.
    suppression: Option<JsonSuppression<'a>>,
    /// Only in a history scan: the commit that introduced the finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    history: Option<JsonHistory<'a>>,
}

#[derive(Serialize)]
struct JsonHistory<'a> {
    commit: JsonCommit<'a>,
    still_present: bool,
    removed_in: Option<JsonCommit<'a>>,
}

#[derive(Serialize)]
struct JsonCommit<'a> {
    id: &'a str,
    short_id: &'a str,
    author: &'a str,
    date: &'a str,
}

impl<'a> From<&'a Commit> for JsonCommit<'a> {
    fn from(c: &'a Commit) -> Self {
        JsonCommit {
            id: &c.id,
            short_id: &c.short_id,
            author: &c.author,
            date: &c.date,
        }
    }
}

#[derive(Serialize)]
struct JsonSuppression<'a> {
    kind: &'static str,
    justification: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonBaseline<'a> {
    file: &'a str,
    matched: usize,
    stale: usize,
    stale_entries: Vec<JsonBaselineEntry<'a>>,
    pruned: bool,
}

#[derive(Serialize)]
struct JsonBaselineEntry<'a> {
    rule_id: &'a str,
    path: &'a str,
    fingerprint: &'a str,
    count: usize,
}

#[derive(Serialize)]
struct Summary<'a> {
    files_scanned: u64,
    bytes_scanned: u64,
    /// False when some file could not be read.
    complete: bool,
    /// Reported findings by level; suppressed ones are only in `suppressed`.
    findings: BTreeMap<Level, usize>,
    suppressed: usize,
    baseline: Option<JsonBaseline<'a>>,
    skipped: BTreeMap<&'static str, usize>,
    skipped_files: &'a [Skipped],
    elapsed_ms: u128,
}

impl<'a> From<&'a Finding> for JsonFinding<'a> {
    fn from(f: &'a Finding) -> Self {
        JsonFinding {
            rule_id: &f.rule_id,
            rule_name: &f.rule_name,
            level: f.level,
            path: &f.path,
            line: f.start.line,
            column: f.start.column,
            end_line: f.end.line,
            end_column: f.end.column,
            key_id: f.key_id.as_deref(),
            matched: &f.matched,
            message: &f.message,
            help: &f.help,
            fingerprint: &f.fingerprint,
            suppression: f.suppression.as_ref().map(|s| JsonSuppression {
                kind: match s.kind {
                    SuppressionKind::InSource => "in_source",
                    SuppressionKind::External => "external",
                },
                justification: s.justification.as_deref(),
            }),
            history: f.history.as_deref().map(|h| JsonHistory {
                commit: JsonCommit::from(h.introduced.as_ref()),
                still_present: h.still_present,
                removed_in: h.removed_in.as_deref().map(JsonCommit::from),
            }),
        }
    }
}

impl Reporter for JsonReporter {
    fn write(&self, out: &mut dyn Write, input: &ReportInput<'_>) -> io::Result<()> {
        let report = input.report;
        let mut findings_by_level = BTreeMap::new();
        for level in [Level::Error, Level::Warning, Level::Note] {
            findings_by_level.insert(level, 0);
        }
        for finding in report.reported() {
            *findings_by_level.entry(finding.level).or_insert(0) += 1;
        }
        let document = Document {
            version: JSON_FORMAT_VERSION,
            tool: Tool {
                name: TOOL_NAME,
                version: TOOL_VERSION,
            },
            findings: Findings(&report.findings),
            summary: Summary {
                files_scanned: report.files_scanned,
                bytes_scanned: report.bytes_scanned,
                complete: report.is_complete(),
                findings: findings_by_level,
                suppressed: report.suppressed_count(),
                baseline: report.baseline.as_ref().map(|b| JsonBaseline {
                    file: &b.file,
                    matched: b.matched,
                    stale: b.stale_count(),
                    stale_entries: b
                        .stale
                        .iter()
                        .map(|e| JsonBaselineEntry {
                            rule_id: &e.rule_id,
                            path: &e.path,
                            fingerprint: &e.fingerprint,
                            count: e.count,
                        })
                        .collect(),
                    pruned: b.pruned,
                }),
                skipped: report
                    .skipped_by_reason()
                    .into_iter()
                    .map(|(reason, count)| (reason.as_str(), count))
                    .collect(),
                skipped_files: &report.skipped,
                elapsed_ms: input.elapsed.as_millis(),
            },
        };
        serde_json::to_writer_pretty(&mut *out, &document)?;
        writeln!(out)
    }
}
