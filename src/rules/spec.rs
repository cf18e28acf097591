//! The rule file schema (`rules/README.md`) as serde types, and nothing
//! else: the built-in rule files are parsed with these by `build.rs` at
//! build time (which includes this file by path, so it may only use std and
//! serde), and custom rules in `.katscan.toml` at load. Validation and
//! compilation live in the modules that use them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How serious a finding is. Ordered: `Note < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Note,
    Warning,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Note => "note",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Level {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "note" => Ok(Level::Note),
            "warning" => Ok(Level::Warning),
            "error" => Ok(Level::Error),
            other => Err(format!(
                "unknown level `{other}` (expected note, warning or error)"
            )),
        }
    }
}

/// How often a rule's findings are real, as SARIF consumers expect it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Precision {
    Low,
    Medium,
    High,
    VeryHigh,
}

impl Precision {
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Low => "low",
            Precision::Medium => "medium",
            Precision::High => "high",
            Precision::VeryHigh => "very-high",
        }
    }
}

/// One example in a rule file: either bare text, or text with the path it
/// is scanned under (for rules scoped to some paths).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Example {
    Text(String),
    InFile { path: String, text: String },
}

impl Example {
    /// The path an example is scanned under when it names none.
    pub const DEFAULT_PATH: &'static str = "example.txt";

    pub fn path(&self) -> &str {
        match self {
            Example::Text(_) => Self::DEFAULT_PATH,
            Example::InFile { path, .. } => path,
        }
    }

    pub fn text(&self) -> &str {
        match self {
            Example::Text(text) | Example::InFile { text, .. } => text,
        }
    }
}

/// A rule definition file (`rules/<id>-<name>.toml`): the public rule and,
/// usually, its detectors. See `rules/README.md` for each field.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: String,
    pub name: String,
    pub level: Level,
    pub summary: String,
    pub help: String,
    pub description: String,
    /// Rules whose findings this rule's findings replace where they overlap.
    #[serde(default)]
    pub replaces: Vec<String>,
    /// Words (any case) a file must contain for this rule's detectors to
    /// run at all: a cheap first filter for rules with many detectors.
    #[serde(default)]
    pub gate: Vec<String>,
    #[serde(default)]
    pub cwe: Vec<String>,
    pub security_severity: Option<f64>,
    pub precision: Precision,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default, rename = "detector")]
    pub detectors: Vec<DetectorSpec>,
}

/// A detector collection file (`rules/detectors/<ecosystem>/<framework>.toml`): only
/// detectors, each naming the rule it reports.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectorFile {
    #[serde(rename = "detector")]
    pub detectors: Vec<DetectorSpec>,
}

/// A `[[detector]]` table exactly as written; see `rules/README.md`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectorSpec {
    /// The rule reported; defaults to the enclosing rule file's id.
    pub rule: Option<String>,
    /// Human name of what this detector covers ("Express cors").
    pub framework: Option<String>,
    pub keywords: Vec<String>,
    #[serde(default)]
    pub keywords_ignore_case: bool,
    #[serde(default)]
    pub paths: Vec<String>,
    /// `client`: only in files that ship to clients (see `src/client`).
    #[serde(default)]
    pub scope: Scope,
    pub pattern: String,
    #[serde(default)]
    pub requires: Vec<ConditionSpec>,
    #[serde(default)]
    pub unless: Vec<ConditionSpec>,
    #[serde(default = "default_skip_comments")]
    pub skip_comments: bool,
    pub message: String,
    pub help: Option<String>,
    #[serde(default)]
    pub examples: Vec<Example>,
    #[serde(default)]
    pub negative_examples: Vec<Example>,
    pub filter: Option<FilterSpec>,
}

fn default_skip_comments() -> bool {
    true
}

/// Which files a detector runs on, beyond its path globs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Every file its keywords and paths admit.
    #[default]
    Any,
    /// Only files (or the parts of files) that ship to clients: browser
    /// bundles and source, mobile apps, extensions. Messages may use
    /// `{reason}`, which says why the file is one.
    Client,
}

/// A pattern that must (`requires`) or must not (`unless`) occur near a
/// match.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionSpec {
    pub pattern: String,
    /// Lines before the match's first line and after its last line to look
    /// in; absent: the whole file.
    pub within_lines: Option<usize>,
    #[serde(default)]
    pub scope: ConditionScope,
}

/// Which part of the line window a condition may be found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConditionScope {
    /// Anywhere in the window.
    #[default]
    Window,
    /// Only in the `{…}` blocks that enclose the match (their headers
    /// included: `if allowed(origin) {`), never in a block the match is not
    /// in: a guard in the next handler, or credentials sent by another
    /// branch, do not count. Needs `within_lines`.
    Block,
}

/// The `[filter]` table of a rule file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterSpec {
    /// How many bits shorter than a uniformly random key the placeholder
    /// model must describe a key for it to be a placeholder: a random key
    /// is dropped with probability at most `2^-min_saved_bits`.
    pub min_saved_bits: f64,
    /// Words placeholders are made of (any case, as whole tokens): the
    /// vocabulary of the placeholder model.
    #[serde(default)]
    pub placeholder_words: Vec<String>,
}

/// Below this, a margin would let real keys be dropped (2^-32 is about one
/// key in four billion): rule files cannot ask for it.
pub const MIN_SAVED_BITS_FLOOR: f64 = 32.0;

impl FilterSpec {
    /// Why the spec cannot be used, if it cannot.
    pub fn problem(&self) -> Option<String> {
        if !(self.min_saved_bits.is_finite() && self.min_saved_bits >= MIN_SAVED_BITS_FLOOR) {
            return Some(format!(
                "filter.min_saved_bits must be a number of at least {MIN_SAVED_BITS_FLOOR} \
                 (a random key is dropped with probability 2^-min_saved_bits), not {}",
                self.min_saved_bits
            ));
        }
        if let Some(word) = self
            .placeholder_words
            .iter()
            .find(|w| w.is_empty() || !w.is_ascii())
        {
            return Some(format!(
                "filter.placeholder_words must be non-empty ASCII words, not `{word}`"
            ));
        }
        None
    }
}
