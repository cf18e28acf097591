//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning and other viewers.
//!
//! What GitHub reads is filled in: rule metadata with help, CWE tags,
//! `precision` and `security-severity`; results with `ruleIndex`, relative
//! URIs under `%SRCROOT%` (declared in `originalUriBaseIds`), regions in
//! Unicode code points (`columnKind`), and `partialFingerprints` (katscan's
//! own and GitHub's `primaryLocationLineHash`, both from the
//! line-independent fingerprint) so alerts follow code that moves. Suppressed
//! findings are results with `suppressions` (inSource or external). The only
//! snippet is the finding's already-redacted match.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

use serde::{Serialize, Serializer};
use serde_json::Value;
use serde_sarif::sarif::{
    ArtifactContent, ArtifactLocation, Invocation, Location, Message, MultiformatMessageString,
    Notification, PhysicalLocation, PropertyBag, Region, ReportingConfiguration,
    ReportingDescriptor, Result as SarifResult, ResultLevel, Run, SCHEMA_URL, Suppression, Tool,
    ToolComponent, VersionControlDetails,
};

use super::{ReportInput, Reporter, TOOL_NAME, TOOL_URI, TOOL_VERSION};
use crate::baseline::BaselineOutcome;
use crate::finding::{Finding, SuppressionKind};
use crate::rules::{Level, Rule};
use crate::source::Skipped;

/// Key of katscan's fingerprint in `partialFingerprints`; bump the version
/// if the fingerprint's definition ever changes.
pub const FINGERPRINT_KEY: &str = "katscan/v1";

/// The base URI id relative result paths are resolved against.
const SRCROOT: &str = "%SRCROOT%";

#[derive(Debug, Default, Clone, Copy)]
pub struct SarifReporter;

impl Reporter for SarifReporter {
    fn write(&self, out: &mut dyn Write, input: &ReportInput<'_>) -> io::Result<()> {
        let log = StreamedLog {
            schema: SCHEMA_URL,
            version: SARIF_VERSION,
            runs: [StreamedRun {
                run: run_without_results(input),
                results: Results::new(input),
            }],
        };
        serde_json::to_writer_pretty(&mut *out, &log)?;
        writeln!(out)
    }
}

const SARIF_VERSION: &str = "2.1.0";

/// The SARIF log as written: serde_sarif's types for everything but the
/// results, which are built and written one at a time. Building the whole
/// log first took 6.4 KB per finding (200,000 findings: 1.28 GB).
#[derive(Serialize)]
struct StreamedLog<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [StreamedRun<'a>; 1],
}

#[derive(Serialize)]
struct StreamedRun<'a> {
    /// Tool, invocations and the rest; its own `results` stay `None`.
    #[serde(flatten)]
    run: Run,
    results: Results<'a>,
}

/// Every finding as a SARIF result, serialized as it is built.
struct Results<'a> {
    findings: &'a [Finding],
    /// `ruleIndex` by rule id, looked up once per finding.
    rule_index: HashMap<&'a str, i64>,
}

impl<'a> Results<'a> {
    fn new(input: &ReportInput<'a>) -> Self {
        Results {
            findings: &input.report.findings,
            rule_index: input
                .rules
                .rules()
                .iter()
                .enumerate()
                .map(|(index, rule)| (rule.id.as_str(), to_i64(index)))
                .collect(),
        }
    }
}

impl Serialize for Results<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Findings with one fingerprint (the same key twice in a file) are
        // told apart by their order among themselves, as upload-sarif
        // numbers equal line hashes.
        let mut occurrences: HashMap<&str, usize> = HashMap::new();
        serializer.collect_seq(self.findings.iter().map(|finding| {
            let rule_index = self
                .rule_index
                .get(finding.rule_id.as_str())
                .copied()
                .unwrap_or(-1);
            let occurrence = occurrences.entry(&finding.fingerprint).or_insert(0);
            *occurrence += 1;
            result(finding, rule_index, *occurrence)
        }))
    }
}

/// The run: tool and rule metadata, and how the scan went.
fn run_without_results(input: &ReportInput<'_>) -> Run {
    let invocation = Invocation::builder()
        .execution_successful(input.report.is_complete())
        .tool_execution_notifications(
            unreadable_notifications(&input.report.skipped)
                .into_iter()
                .chain(stale_baseline_notifications(input.report.baseline.as_ref()))
                .collect::<Vec<_>>(),
        )
        .build();
    let driver = ToolComponent::builder()
        .name(TOOL_NAME)
        .version(TOOL_VERSION)
        .semantic_version(TOOL_VERSION)
        .information_uri(TOOL_URI)
        .rules(
            input
                .rules
                .rules()
                .iter()
                .map(descriptor)
                .collect::<Vec<_>>(),
        )
        .build();
    let srcroot = ArtifactLocation {
        description: Some(Message {
            text: Some("The directory katscan ran in: relative result paths start there.".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .invocations(vec![invocation])
        .column_kind(Value::from("unicodeCodePoints"))
        .original_uri_base_ids(BTreeMap::from([(SRCROOT.to_string(), srcroot)]))
        .build();
    // A history scan: the repository and the revision its results are in.
    run.version_control_provenance = input.version_control.map(|vc| {
        vec![VersionControlDetails {
            as_of_time_utc: None,
            branch: None,
            mapped_to: None,
            properties: None,
            repository_uri: vc.repository_uri.clone(),
            revision_id: vc.revision_id.clone(),
            revision_tag: None,
        }]
    });
    run
}

fn descriptor(rule: &Rule) -> ReportingDescriptor {
    let help = Rule::render(&rule.help, Some("<publicKeyId>"), None);
    let mut tags = rule.tags.clone();
    tags.extend(
        rule.cwe
            .iter()
            .map(|cwe| format!("external/cwe/{}", cwe.to_lowercase())),
    );
    let mut additional = BTreeMap::new();
    additional.insert(
        "precision".to_string(),
        Value::from(rule.precision.as_str()),
    );
    if let Some(severity) = rule.security_severity {
        // GitHub reads security-severity as a string holding a number.
        additional.insert(
            "security-severity".to_string(),
            Value::from(format!("{severity:.1}")),
        );
    }
    ReportingDescriptor::builder()
        .id(&rule.id)
        .name(&rule.name)
        .short_description(text(&rule.summary))
        .full_description(text(&rule.description))
        .help(
            MultiformatMessageString::builder()
                .text(format!("{}\n\n{}", rule.description, help))
                .markdown(format!("{}\n\n## How to fix\n\n{}", rule.description, help))
                .build(),
        )
        .default_configuration(ReportingConfiguration {
            level: Some(Value::from(rule.level.as_str())),
            ..Default::default()
        })
        .properties(PropertyBag {
            tags: Some(tags),
            additional_properties: additional,
        })
        .build()
}

/// Key GitHub code scanning tracks alerts by. Without it, upload-sarif
/// hashes the line's text, so two findings of one rule on one line (two keys
/// in a minified bundle) merge into one alert, and REST uploads get none.
const LINE_HASH_KEY: &str = "primaryLocationLineHash";

/// `occurrence`: 1 for the first finding with this fingerprint in the
/// report, 2 for the next, and so on.
fn result(finding: &Finding, rule_index: i64, occurrence: usize) -> SarifResult {
    let region = Region {
        start_line: Some(to_i64(finding.start.line)),
        start_column: Some(to_i64(finding.start.column)),
        end_line: Some(to_i64(finding.end.line)),
        end_column: Some(to_i64(finding.end.column)),
        snippet: Some(ArtifactContent {
            text: Some(finding.matched.clone()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let location = Location {
        physical_location: Some(PhysicalLocation {
            artifact_location: Some(artifact_location(&finding.path)),
            region: Some(region),
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert(FINGERPRINT_KEY.to_string(), finding.fingerprint.clone());
    // katscan's own fingerprint, so the alert keeps its identity when
    // lines move and differs for every key.
    fingerprints.insert(
        LINE_HASH_KEY.to_string(),
        format!("{}:{occurrence}", finding.fingerprint),
    );
    let message = Message {
        text: Some(format!(
            "{} ({}). {}",
            finding.message, finding.matched, finding.help
        )),
        ..Default::default()
    };
    let mut result = SarifResult::builder()
        .rule_id(&finding.rule_id)
        .rule_index(rule_index)
        .level(result_level(finding.level))
        .message(message)
        .locations(vec![location])
        .partial_fingerprints(fingerprints)
        .build();
    // A history finding carries its commit: the location is the path in
    // that commit, which may no longer exist in the checkout.
    if let Some(history) = &finding.history {
        let commit = |c: &crate::git::Commit| {
            serde_json::json!({
                "id": c.id,
                "shortId": c.short_id,
                "author": c.author,
                "date": c.date,
            })
        };
        let mut additional = BTreeMap::new();
        additional.insert("commit".to_string(), commit(&history.introduced));
        additional.insert(
            "stillPresent".to_string(),
            Value::from(history.still_present),
        );
        additional.insert(
            "removedIn".to_string(),
            history.removed_in.as_deref().map_or(Value::Null, commit),
        );
        result.properties = Some(PropertyBag {
            tags: None,
            additional_properties: additional,
        });
    }
    // Suppressed results stay in the log, marked, so a viewer can show
    // what was accepted and why (GitHub closes such alerts).
    if let Some(suppression) = &finding.suppression {
        let kind = match suppression.kind {
            SuppressionKind::InSource => "inSource",
            SuppressionKind::External => "external",
        };
        result.suppressions = Some(vec![Suppression {
            kind: Value::from(kind),
            justification: suppression.justification.clone(),
            guid: None,
            location: None,
            properties: None,
            status: None,
        }]);
    }
    result
}

/// Baseline entries that matched nothing, as tool notifications.
fn stale_baseline_notifications(baseline: Option<&BaselineOutcome>) -> Vec<Notification> {
    let Some(baseline) = baseline else {
        return Vec::new();
    };
    baseline
        .stale
        .iter()
        .map(|entry| {
            Notification::builder()
                .level(Value::from("note"))
                .message(Message {
                    text: Some(format!(
                        "stale entry in baseline {}: {} {} {} matches no finding",
                        baseline.file, entry.rule_id, entry.path, entry.fingerprint
                    )),
                    ..Default::default()
                })
                .build()
        })
        .collect()
}

/// Unreadable files as tool notifications, so a viewer can tell that the
/// scan was partial.
fn unreadable_notifications(skipped: &[Skipped]) -> Vec<Notification> {
    skipped
        .iter()
        .filter(|s| s.reason.is_error())
        .map(|s| {
            let location = Location {
                physical_location: Some(PhysicalLocation {
                    artifact_location: Some(artifact_location(&s.path)),
                    ..Default::default()
                }),
                ..Default::default()
            };
            Notification::builder()
                .level(Value::from("warning"))
                .message(Message {
                    text: Some(format!("{}: {} ({})", s.path, s.reason, s.detail)),
                    ..Default::default()
                })
                .locations(vec![location])
                .build()
        })
        .collect()
}

fn artifact_location(path: &str) -> ArtifactLocation {
    if path.starts_with('/') {
        ArtifactLocation {
            uri: Some(format!("file://{}", encode_uri_path(path))),
            ..Default::default()
        }
    } else {
        ArtifactLocation {
            uri: Some(encode_uri_path(path)),
            uri_base_id: Some(SRCROOT.to_string()),
            ..Default::default()
        }
    }
}

/// Percent-encodes everything but unreserved characters and `/`, so paths
/// with spaces or `#` stay valid URI references.
fn encode_uri_path(path: &str) -> String {
    let mut encoded = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                encoded.push(char::from(byte))
            }
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}

fn result_level(level: Level) -> ResultLevel {
    match level {
        Level::Error => ResultLevel::Error,
        Level::Warning => ResultLevel::Warning,
        Level::Note => ResultLevel::Note,
    }
}

fn text(value: &str) -> MultiformatMessageString {
    MultiformatMessageString::builder().text(value).build()
}

fn to_i64(value: usize) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_paths_are_percent_encoded() {
        assert_eq!(encode_uri_path("src/app.js"), "src/app.js");
        assert_eq!(encode_uri_path("my dir/a#1.js"), "my%20dir/a%231.js");
        assert_eq!(encode_uri_path("é"), "%C3%A9");
    }
}
