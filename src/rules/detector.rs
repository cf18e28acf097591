//! Detectors: how one construct of one framework is recognised.
//!
//! A public rule (CORS001 wildcard-origin) is found differently in Express,
//! Django and nginx; each way is a detector with its own keywords, path
//! scope, pattern, conditions, message and examples, reporting the rule's
//! id. Detectors are data, validated and compiled here.

use globset::{Glob, GlobSet, GlobSetBuilder};
use std::sync::OnceLock;

use regex::bytes::{Regex, RegexBuilder};

use super::filter::PlaceholderFilter;
use super::spec::{ConditionScope, ConditionSpec, DetectorSpec, Example, FilterSpec, Scope};
use super::{Checks, MIN_KEYWORD_LEN, Rule, RuleError, reflow};

/// A validated [`ConditionSpec`].
#[derive(Debug, Clone)]
pub struct Condition {
    pub pattern: String,
    regex: OnceLock<Result<Regex, String>>,
    pub within_lines: Option<usize>,
    pub scope: ConditionScope,
}

/// What a condition pattern writes for the reported text of the match.
const FINDING: &str = "{finding}";

impl Condition {
    /// Whether the pattern names the match's reported text (`{finding}`):
    /// `\b{finding}\s*:?=\s*r\.Header\.Get` asks whether the variable the
    /// header is set from was read from the request.
    pub(crate) fn uses_finding(&self) -> bool {
        self.pattern.contains(FINDING)
    }

    /// The pattern with `{finding}` replaced by `finding`, escaped (bytes
    /// outside ASCII as `\xNN`, which match that byte: patterns are
    /// compiled with Unicode off).
    pub(crate) fn pattern_for(&self, finding: &[u8]) -> String {
        let mut literal = String::new();
        for &byte in finding {
            if byte.is_ascii() {
                literal.push_str(&regex::escape(&char::from(byte).to_string()));
            } else {
                literal.push_str(&format!("\\x{byte:02X}"));
            }
        }
        self.pattern.replace(FINDING, &literal)
    }

    /// The compiled pattern, compiled on first use; `None` only if it
    /// exceeds the size limit (the rules test compiles every built-in one).
    pub(crate) fn regex(&self) -> Option<&Regex> {
        self.regex
            .get_or_init(|| compile_regex(&self.pattern.replace(FINDING, "x")))
            .as_ref()
            .ok()
    }
}

/// A validated, compiled detector.
#[derive(Debug, Clone)]
pub struct Detector {
    /// Index of the reported rule in `RuleSet::rules()`.
    pub(crate) rule: usize,
    pub framework: Option<String>,
    pub keywords: Vec<String>,
    pub keywords_ignore_case: bool,
    pub paths: Vec<String>,
    pub scope: Scope,
    pub pattern: String,
    pub requires: Vec<Condition>,
    pub unless: Vec<Condition>,
    pub skip_comments: bool,
    pub message: String,
    /// The detector's own help, or else the rule's.
    pub help: String,
    pub examples: Vec<Example>,
    pub negative_examples: Vec<Example>,
    /// Compiled on first use: a scan only pays for the detectors whose
    /// keywords occur (compiling all of them costs more than scanning a
    /// small repository).
    compiled: OnceLock<Result<Compiled, String>>,
    /// The `paths` globs; `None` inside: no path limit. Compiled at load
    /// for custom rules (a bad glob is an error then), on first use for
    /// built-in ones.
    path_scope: OnceLock<Option<GlobSet>>,
    pub(crate) filter: Option<PlaceholderFilter>,
}

#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    pub regex: Regex,
    /// Capture group indices, resolved once so matching never looks up names.
    pub groups: Groups,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Groups {
    pub finding: Option<usize>,
    pub key_id: Option<usize>,
    pub secret: Option<usize>,
}

/// Patterns come from rule authors and users: a pathological one must fail
/// cleanly instead of eating memory.
const REGEX_SIZE_LIMIT: usize = 16 * 1024 * 1024;

/// Patterns are byte-oriented: `\\w`, `\\s`, `.` and `(?i)` are ASCII unless a
/// pattern asks for `(?u)`. Source code constructs are ASCII, and Unicode
/// classes inside counted repetitions (`[^)]{0,400}`) cost a few hundred
/// milliseconds of start-up per scan once there are hundreds of detectors.
fn compile_regex(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .unicode(false)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| e.to_string())
}

/// Compiles a condition pattern built at scan time (`{finding}` put in);
/// `None` if it does not compile.
pub(crate) fn compile_condition(pattern: &str) -> Option<Regex> {
    compile_regex(pattern).ok()
}

/// Checks a pattern's syntax without compiling it (compiling waits for the
/// first file that needs it), with the same flags as [`compile_regex`].
pub(super) fn validate_regex(pattern: &str, subject: &str) -> Result<(), RuleError> {
    regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .map(drop)
        .map_err(|e| RuleError::BadPattern {
            id: subject.to_string(),
            message: e.to_string(),
        })
}

/// Whether a pattern defines the named capture group (both spellings the
/// regex crate accepts).
fn has_group(pattern: &str, name: &str) -> bool {
    pattern.contains(&format!("(?P<{name}>")) || pattern.contains(&format!("(?<{name}>"))
}

impl Detector {
    pub(crate) fn compile(
        spec: DetectorSpec,
        rule_index: usize,
        rule: &Rule,
        source_name: &str,
        checks: Checks,
    ) -> Result<Detector, RuleError> {
        let subject = match &spec.framework {
            Some(framework) => format!("{} ({framework}, {source_name})", rule.id),
            None => format!("{} ({source_name})", rule.id),
        };
        if spec.keywords.is_empty()
            || spec
                .keywords
                .iter()
                .any(|k| k.chars().count() < MIN_KEYWORD_LEN)
        {
            return Err(RuleError::BadKeywords {
                id: subject,
                keywords: spec.keywords,
            });
        }

        if checks == Checks::Full {
            validate_regex(&spec.pattern, &subject)?;
        }
        let help = spec
            .help
            .as_deref()
            .map_or_else(|| rule.help.clone(), reflow);
        let uses_key_id = spec.message.contains("{key_id}") || help.contains("{key_id}");
        if uses_key_id && !has_group(&spec.pattern, "key_id") {
            return Err(RuleError::Inconsistent {
                id: subject,
                message: "message or help uses {key_id} but the pattern has no `key_id` group"
                    .into(),
            });
        }
        let uses_reason = spec.message.contains("{reason}") || help.contains("{reason}");
        if uses_reason && spec.scope != Scope::Client {
            return Err(RuleError::Inconsistent {
                id: subject,
                message:
                    "message or help uses {reason}, which only `scope = \"client\"` detectors have"
                        .into(),
            });
        }
        if help.contains("{finding}") {
            return Err(RuleError::Inconsistent {
                id: subject,
                message: "only a message can use {finding}; help is shown without a match".into(),
            });
        }
        if spec.filter.is_some() && !has_group(&spec.pattern, "secret") {
            return Err(RuleError::Inconsistent {
                id: subject,
                message: "a [filter] needs a `secret` group in the pattern".into(),
            });
        }
        if let Some(problem) = spec.filter.as_ref().and_then(FilterSpec::problem) {
            return Err(RuleError::Inconsistent {
                id: subject,
                message: problem,
            });
        }

        let conditions = |specs: Vec<ConditionSpec>| -> Result<Vec<Condition>, RuleError> {
            specs
                .into_iter()
                .map(|c| {
                    if checks == Checks::Full {
                        validate_regex(&c.pattern.replace(FINDING, "x"), &subject)?;
                    }
                    if c.scope == ConditionScope::Block && c.within_lines.is_none() {
                        return Err(RuleError::Inconsistent {
                            id: subject.clone(),
                            message: "a condition with `scope = \"block\"` needs `within_lines`"
                                .into(),
                        });
                    }
                    Ok(Condition {
                        pattern: c.pattern,
                        regex: OnceLock::new(),
                        within_lines: c.within_lines,
                        scope: c.scope,
                    })
                })
                .collect()
        };
        let requires = conditions(spec.requires)?;
        let unless = conditions(spec.unless)?;
        let path_scope = match checks {
            Checks::Full => OnceLock::from(compile_globs(&spec.paths, &subject)?),
            Checks::Builtin => OnceLock::new(),
        };

        Ok(Detector {
            rule: rule_index,
            framework: spec.framework,
            keywords: spec.keywords,
            keywords_ignore_case: spec.keywords_ignore_case,
            paths: spec.paths,
            scope: spec.scope,
            pattern: spec.pattern,
            requires,
            unless,
            skip_comments: spec.skip_comments,
            message: spec.message,
            help,
            examples: spec.examples,
            negative_examples: spec.negative_examples,
            compiled: OnceLock::new(),
            path_scope,
            filter: spec.filter.map(PlaceholderFilter::new),
        })
    }

    /// The compiled pattern and its groups, compiled on first use. `None`
    /// only for a pattern that parses but exceeds the size limit; the rules
    /// test compiles every built-in detector, so that never ships.
    pub(crate) fn compiled(&self) -> Option<&Compiled> {
        self.compiled
            .get_or_init(|| {
                let regex = compile_regex(&self.pattern)?;
                let group = |name: &str| regex.capture_names().position(|n| n == Some(name));
                let groups = Groups {
                    finding: group("finding"),
                    key_id: group("key_id"),
                    secret: group("secret"),
                };
                Ok(Compiled { regex, groups })
            })
            .as_ref()
            .ok()
    }

    /// Compiles the pattern and every condition now, reporting what fails.
    pub fn compile_error(&self) -> Option<String> {
        self.compiled();
        if let Some(Err(error)) = self.compiled.get() {
            return Some(error.clone());
        }
        self.requires
            .iter()
            .chain(&self.unless)
            .find_map(|condition| {
                condition.regex();
                condition
                    .regex
                    .get()
                    .and_then(|r| r.as_ref().err().cloned())
            })
    }

    /// Whether this detector runs on a file at `path` (relative, `/`-separated).
    pub fn applies_to(&self, path: &str) -> bool {
        self.path_scope
            .get_or_init(|| {
                // Built-in globs are compiled by the test suite
                // (`tests::builtin_tables_are_the_rule_files`); were one
                // bad, the detector would run on every path, which can
                // only report more.
                compile_globs(&self.paths, "").ok().flatten()
            })
            .as_ref()
            .is_none_or(|scope| scope.is_match(path))
    }
}

fn compile_globs(globs: &[String], subject: &str) -> Result<Option<GlobSet>, RuleError> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for glob in globs {
        let compiled = Glob::new(glob).map_err(|e| RuleError::BadGlob {
            id: subject.to_string(),
            glob: glob.clone(),
            message: e.to_string(),
        })?;
        builder.add(compiled);
    }
    builder.build().map(Some).map_err(|e| RuleError::BadGlob {
        id: subject.to_string(),
        glob: globs.join(", "),
        message: e.to_string(),
    })
}
