//! Reporters: one output format per file, all behind [`Reporter`].
//!
//! A reporter writes findings it is given to a writer it is given; it never
//! rescans, never decides the exit code and never sees a secret (findings
//! arrive already redacted).

mod github;
mod human;
mod json;
mod markdown;
mod sarif;
mod summary;

use std::io::{self, Write};
use std::time::Duration;

use crate::rules::RuleSet;
use crate::source::ScanReport;

pub use github::GithubReporter;
pub use human::HumanReporter;
pub use json::{JSON_FORMAT_VERSION, JsonReporter};
pub use markdown::MarkdownReporter;
pub use sarif::SarifReporter;
pub use summary::write_summary;

/// What every reporter gets: the rules that ran and what they found.
#[derive(Debug, Clone, Copy)]
pub struct ReportInput<'a> {
    pub rules: &'a RuleSet,
    pub report: &'a ScanReport,
    pub elapsed: Duration,
    /// The repository and revision a history scan read (SARIF's
    /// `versionControlProvenance`); `None` for other scans.
    pub version_control: Option<&'a VersionControl>,
}

/// Where scanned history came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionControl {
    /// The repository's URL (its `origin`).
    pub repository_uri: String,
    /// The commit at the tip of what was scanned, when there is one.
    pub revision_id: Option<String>,
}

/// One output format.
pub trait Reporter {
    fn write(&self, out: &mut dyn Write, input: &ReportInput<'_>) -> io::Result<()>;
}

/// Name and version that identify katscan in machine-readable output.
pub const TOOL_NAME: &str = env!("CARGO_PKG_NAME");
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");
/// Where a SARIF viewer links for more about the tool (Cargo `homepage`).
pub const TOOL_URI: &str = env!("CARGO_PKG_HOMEPAGE");
