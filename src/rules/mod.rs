//! Rules are data: the TOML schema (`rules/README.md`), its validation and
//! compilation into matchers.
//!
//! Built-in rules are the `rules/*.toml` files embedded by `build.rs`. The
//! same schema will serve user rules from `.katscan.toml`, so every check a
//! rule author can get wrong is a typed [`RuleError`], never a panic.

pub mod examples;
mod filter;

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::bytes::Regex;
use serde::{Deserialize, Serialize};

pub use filter::PlaceholderFilter;

/// The TOML sources compiled into the binary: `(file name, contents)`.
const BUILTIN_SOURCES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

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

/// A rule file exactly as written; see `rules/README.md` for each field.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: String,
    pub name: String,
    pub level: Level,
    pub summary: String,
    pub message: String,
    pub help: String,
    pub description: String,
    pub keywords: Vec<String>,
    #[serde(default)]
    pub keywords_ignore_case: bool,
    pub pattern: String,
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub cwe: Vec<String>,
    pub security_severity: Option<f64>,
    pub precision: Precision,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub examples: Vec<Example>,
    #[serde(default)]
    pub negative_examples: Vec<Example>,
    pub filter: Option<filter::FilterSpec>,
}

/// Everything that can be wrong with a rule or a set of rules.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("{source_name}: not a valid rule file: {message}")]
    Parse {
        source_name: String,
        message: String,
    },
    #[error("{source_name}: rule id `{id}` is not of the form ABC123 (3–5 capitals, 3 digits)")]
    BadId { source_name: String, id: String },
    #[error("{source_name}: rule name `{name}` is not kebab-case")]
    BadName { source_name: String, name: String },
    #[error("{id}: duplicate rule id")]
    DuplicateId { id: String },
    #[error("{id}: duplicate rule name `{name}`")]
    DuplicateName { id: String, name: String },
    #[error("{id}: invalid pattern: {message}")]
    BadPattern { id: String, message: String },
    #[error("{id}: invalid path glob `{glob}`: {message}")]
    BadGlob {
        id: String,
        glob: String,
        message: String,
    },
    #[error(
        "{id}: a rule needs selective keywords of at least {min} characters (got {keywords:?})",
        min = MIN_KEYWORD_LEN
    )]
    BadKeywords { id: String, keywords: Vec<String> },
    #[error("{id}: {message}")]
    Inconsistent { id: String, message: String },
}

/// Keywords shorter than this would make the prefilter hit almost every file.
const MIN_KEYWORD_LEN: usize = 4;

/// A validated, compiled rule.
#[derive(Debug)]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub level: Level,
    pub summary: String,
    pub message: String,
    pub help: String,
    pub description: String,
    pub keywords: Vec<String>,
    pub keywords_ignore_case: bool,
    pub pattern: String,
    pub paths: Vec<String>,
    pub cwe: Vec<String>,
    pub security_severity: Option<f64>,
    pub precision: Precision,
    pub tags: Vec<String>,
    pub examples: Vec<Example>,
    pub negative_examples: Vec<Example>,
    pub(crate) regex: Regex,
    pub(crate) path_scope: Option<GlobSet>,
    pub(crate) filter: Option<PlaceholderFilter>,
    /// Capture group indices, resolved once so matching never looks up names.
    pub(crate) groups: Groups,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Groups {
    pub finding: Option<usize>,
    pub key_id: Option<usize>,
    pub secret: Option<usize>,
}

impl Rule {
    /// Validates and compiles one rule. `source_name` names the file in errors.
    pub fn compile(spec: RuleSpec, source_name: &str) -> Result<Rule, RuleError> {
        if !is_rule_id(&spec.id) {
            return Err(RuleError::BadId {
                source_name: source_name.into(),
                id: spec.id,
            });
        }
        if !is_kebab_case(&spec.name) {
            return Err(RuleError::BadName {
                source_name: source_name.into(),
                name: spec.name,
            });
        }
        let id = spec.id.clone();
        if spec.keywords.is_empty()
            || spec
                .keywords
                .iter()
                .any(|k| k.chars().count() < MIN_KEYWORD_LEN)
        {
            return Err(RuleError::BadKeywords {
                id,
                keywords: spec.keywords,
            });
        }

        // Rules can be written by users: keep a pathological pattern from
        // eating memory instead of failing cleanly.
        let regex = regex::bytes::RegexBuilder::new(&spec.pattern)
            .size_limit(16 * 1024 * 1024)
            .build()
            .map_err(|e| RuleError::BadPattern {
                id: id.clone(),
                message: e.to_string(),
            })?;
        let group = |name: &str| regex.capture_names().position(|n| n == Some(name));
        let groups = Groups {
            finding: group("finding"),
            key_id: group("key_id"),
            secret: group("secret"),
        };

        let uses_key_id = spec.message.contains("{key_id}") || spec.help.contains("{key_id}");
        if uses_key_id && groups.key_id.is_none() {
            return Err(RuleError::Inconsistent {
                id,
                message: "message or help uses {key_id} but the pattern has no `key_id` group"
                    .into(),
            });
        }
        if spec.filter.is_some() && groups.secret.is_none() {
            return Err(RuleError::Inconsistent {
                id,
                message: "a [filter] needs a `secret` group in the pattern".into(),
            });
        }

        let path_scope = if spec.paths.is_empty() {
            None
        } else {
            let mut builder = GlobSetBuilder::new();
            for glob in &spec.paths {
                let compiled = Glob::new(glob).map_err(|e| RuleError::BadGlob {
                    id: id.clone(),
                    glob: glob.clone(),
                    message: e.to_string(),
                })?;
                builder.add(compiled);
            }
            Some(builder.build().map_err(|e| RuleError::BadGlob {
                id: id.clone(),
                glob: spec.paths.join(", "),
                message: e.to_string(),
            })?)
        };

        let filter = spec.filter.map(PlaceholderFilter::new);

        Ok(Rule {
            id: spec.id,
            name: spec.name,
            level: spec.level,
            summary: spec.summary,
            message: spec.message,
            help: reflow(&spec.help),
            description: reflow(&spec.description),
            keywords: spec.keywords,
            keywords_ignore_case: spec.keywords_ignore_case,
            pattern: spec.pattern,
            paths: spec.paths,
            cwe: spec.cwe,
            security_severity: spec.security_severity,
            precision: spec.precision,
            tags: spec.tags,
            examples: spec.examples,
            negative_examples: spec.negative_examples,
            regex,
            path_scope,
            filter,
            groups,
        })
    }

    /// Whether this rule runs on a file at `path` (relative, `/`-separated).
    pub fn applies_to(&self, path: &str) -> bool {
        self.path_scope
            .as_ref()
            .is_none_or(|scope| scope.is_match(path))
    }

    /// Fills the `{key_id}` placeholder of a message or help template.
    pub fn render(template: &str, key_id: Option<&str>) -> String {
        match key_id {
            Some(key_id) => template.replace("{key_id}", key_id),
            None => template.to_string(),
        }
    }
}

/// The rules a scan runs, in a stable order (sorted by id).
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

impl RuleSet {
    /// The rules shipped in the binary.
    pub fn builtin() -> Result<RuleSet, RuleError> {
        Self::from_sources(BUILTIN_SOURCES.iter().copied())
    }

    /// Parses and compiles rule files given as `(name, TOML text)`.
    pub fn from_sources<'a>(
        sources: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<RuleSet, RuleError> {
        let mut rules = Vec::new();
        for (source_name, text) in sources {
            let spec: RuleSpec = toml::from_str(text).map_err(|e| RuleError::Parse {
                source_name: source_name.into(),
                message: e.to_string(),
            })?;
            rules.push(Rule::compile(spec, source_name)?);
        }
        Self::new(rules)
    }

    /// Checks that ids and names are unique, and orders the rules by id.
    pub fn new(mut rules: Vec<Rule>) -> Result<RuleSet, RuleError> {
        let mut ids = HashSet::new();
        let mut names = HashSet::new();
        for rule in &rules {
            if !ids.insert(rule.id.as_str()) {
                return Err(RuleError::DuplicateId {
                    id: rule.id.clone(),
                });
            }
            if !names.insert(rule.name.as_str()) {
                return Err(RuleError::DuplicateName {
                    id: rule.id.clone(),
                    name: rule.name.clone(),
                });
            }
        }
        rules.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(RuleSet { rules })
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|rule| rule.id.eq_ignore_ascii_case(id))
    }

    /// Position of a rule in [`RuleSet::rules`] (SARIF's `ruleIndex`).
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.rules.iter().position(|rule| rule.id == id)
    }
}

/// Joins the hard-wrapped lines of each Markdown paragraph, so every
/// output can wrap text to its own width. Lists, headings and code blocks
/// keep their line breaks.
fn reflow(markdown: &str) -> String {
    let mut out = String::new();
    let mut in_code = false;
    let mut previous_joinable = false;
    for line in markdown.trim().lines() {
        let trimmed = line.trim();
        let fence = trimmed.starts_with("```");
        let block_start = fence
            || in_code
            || trimmed.is_empty()
            || trimmed.starts_with(['-', '*', '#', '>', '|'])
            || trimmed
                .split_once(". ")
                .is_some_and(|(n, _)| n.bytes().all(|b| b.is_ascii_digit()));
        if previous_joinable && !block_start {
            out.push(' ');
            out.push_str(trimmed);
        } else {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(if in_code { line } else { trimmed });
        }
        if fence {
            in_code = !in_code;
        }
        previous_joinable = !trimmed.is_empty() && !in_code && !fence;
    }
    out
}

fn is_rule_id(id: &str) -> bool {
    let letters = id.bytes().take_while(u8::is_ascii_uppercase).count();
    let digits = &id[letters..];
    (3..=5).contains(&letters) && digits.len() == 3 && digits.bytes().all(|b| b.is_ascii_digit())
}

fn is_kebab_case(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_have_letters_then_three_digits() {
        assert!(is_rule_id("KAT001"));
        assert!(is_rule_id("CORS005"));
        assert!(!is_rule_id("KAT01"));
        assert!(!is_rule_id("kat001"));
        assert!(!is_rule_id("KA001"));
        assert!(!is_rule_id("KAT0001"));
        assert!(!is_rule_id("KAT00A"));
    }

    #[test]
    fn reflow_joins_paragraph_lines_only() {
        let text =
            "One line\nand its wrap.\n\n- item one\n- item two\n\n```\ncode\n  kept\n```\nAfter.";
        assert_eq!(
            reflow(text),
            "One line and its wrap.\n\n- item one\n- item two\n\n```\ncode\n  kept\n```\nAfter."
        );
    }

    #[test]
    fn names_are_kebab_case() {
        assert!(is_kebab_case("live-key"));
        assert!(is_kebab_case("key-in-client-code"));
        assert!(!is_kebab_case("Live-Key"));
        assert!(!is_kebab_case("live_key"));
        assert!(!is_kebab_case("live--key"));
        assert!(!is_kebab_case("-live"));
    }
}
