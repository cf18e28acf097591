//! `.katscan.toml`: where it is found, what it may say, and what it changes.
//!
//! A config file is read and validated completely before a scan starts, and
//! every mistake in it (unknown key, wrong type, bad glob, invalid regex,
//! unknown rule id, a custom rule whose examples fail) is a
//! [`ConfigError`]: a miette diagnostic pointing at the offending line of
//! the file. Paths in the file (`exclude`, `[allow] paths`, `[client]`) are
//! relative to the directory that holds it, whatever directory katscan runs
//! in. The library never prints: the CLI renders the diagnostic.

use std::collections::{BTreeMap, BTreeSet};
use std::env;
use std::fs;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use miette::{Diagnostic, MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};
use serde::Deserialize;
use toml::de::{DeTable, DeValue};

use crate::examples::{self, ExampleFailure};
use crate::finding::Finding;
use crate::input::{self, InputError};
use crate::paths::work_tree_top;
use crate::rules::{self, AddRuleError, Level, RuleError, RuleSet, RuleSpec};

/// The file katscan looks for at the scan root and the git top level.
pub const FILE_NAME: &str = ".katscan.toml";

/// Environment variable naming a config file, like `--config`.
pub const ENV_VAR: &str = "KATSCAN_CONFIG";

/// A commented starter file (`katscan init`): every option, commented out.
/// A test loads it, so it stays valid as the schema changes.
pub const STARTER: &str = include_str!("config/starter.toml");

/// Hex digits in a finding fingerprint.
const FINGERPRINT_LEN: usize = 32;

/// The file as written. Keys are kebab-case; `[[rule]]` tables use the
/// schema of `rules/*.toml` unchanged.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    rules: RawRules,
    #[serde(default)]
    client: ClientPaths,
    #[serde(default)]
    allow: RawAllow,
    #[serde(default, rename = "rule")]
    custom_rules: Vec<RuleSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    #[serde(default)]
    disable: Vec<String>,
    #[serde(default)]
    level: BTreeMap<String, Level>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAllow {
    #[serde(default)]
    fingerprints: Vec<String>,
    #[serde(default)]
    paths: Vec<String>,
}

/// `[client]`: overrides of which files ship to clients. Gitignore-style
/// globs relative to the config file's directory (see
/// [`Config::path_in_config_dir`]).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ClientPaths {
    /// Also treat these files as shipped to clients.
    #[serde(default)]
    pub paths: Vec<String>,
    /// Never treat these files as shipped to clients.
    #[serde(default)]
    pub not_paths: Vec<String>,
}

/// A loaded, validated `.katscan.toml`.
#[derive(Debug)]
pub struct Config {
    /// The file, as found or given.
    pub path: PathBuf,
    /// Gitignore-style globs of paths not to scan.
    pub exclude: Vec<String>,
    pub disabled_rules: Vec<String>,
    pub levels: BTreeMap<String, Level>,
    pub client: ClientPaths,
    pub allowed_fingerprints: BTreeSet<String>,
    pub allowed_paths: Vec<String>,
    custom_rules: Vec<RuleSpec>,
    text: String,
    base: BaseDir,
    exclude_matcher: Gitignore,
    allow_matcher: Gitignore,
}

/// A config file that could not be used. Rendered by miette; `Invalid`
/// carries the file and the span of the mistake.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum ConfigError {
    /// `error` is in the message, not a `source`: miette would print it
    /// twice.
    #[error("cannot read config file {}: {error}", path.display())]
    Read { path: PathBuf, error: InputError },
    /// `message` names the file. The diagnostic shows the offending line
    /// only, cropped around the mistake: the file may not be a config at
    /// all (`--config .env`), and no more of it than the mistake is echoed.
    #[error("{message}")]
    Invalid {
        message: String,
        #[source_code]
        file: Arc<Excerpt>,
        #[label("{label}")]
        span: SourceSpan,
        label: String,
        #[help]
        help: Option<String>,
    },
}

/// What discovery found for a scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Discovery {
    /// No config file at the scan root or the git top level.
    None,
    /// This file applies.
    Found(PathBuf),
    /// A file is there but is not read: it is not a regular file, or a
    /// symbolic link leading out of the repository (`.katscan.toml ->
    /// /proc/self/environ` would print the environment in a parse error).
    /// No config applies; `reason` says why, for `--verbose`.
    Refused { path: PathBuf, reason: String },
}

/// Where the config of a scan of `paths` is, if anywhere: `.katscan.toml`
/// at the scan root (the first path if it is a directory, else the
/// directory holding it), else at the top level of the git work tree that
/// contains the scan root. A file found there is repository input: it must
/// be a regular file, or a symbolic link to one inside the repository (the
/// scan root outside a repository).
pub fn discover(paths: &[PathBuf]) -> Discovery {
    let first = paths
        .first()
        .map_or_else(|| PathBuf::from("."), Clone::clone);
    let root = if first.is_dir() {
        first
    } else {
        match first.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        }
    };
    let Some(boundary) = input::boundary_of(&root, &[]) else {
        return Discovery::None;
    };
    let at_root = root.join(FILE_NAME);
    if let Some(found) = discovered(&at_root, &boundary, strip_dot_slash) {
        return found;
    }
    let Ok(canonical) = fs::canonicalize(&root) else {
        return Discovery::None;
    };
    let Some(top) = work_tree_top(&canonical) else {
        return Discovery::None;
    };
    discovered(&top.join(FILE_NAME), &boundary, shown_from_cwd).unwrap_or(Discovery::None)
}

/// The discovery of `path` if there is a file (or link) there.
fn discovered(path: &Path, boundary: &Path, shown: fn(&Path) -> PathBuf) -> Option<Discovery> {
    match input::check_repository_file(path, || Some(boundary.to_path_buf()), input::CONFIG_CAP) {
        Ok(true) => Some(Discovery::Found(shown(path))),
        Ok(false) => None,
        // Too large is the project's own mistake: loading it says so.
        Err(InputError::TooLarge { .. }) => Some(Discovery::Found(shown(path))),
        Err(error) => Some(Discovery::Refused {
            path: shown(path),
            reason: error.to_string(),
        }),
    }
}

impl Config {
    /// Reads and validates a config file. Rule ids it names are checked
    /// later, by [`Config::apply`], against the rules in use.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = input::read_capped_text(path, input::CONFIG_CAP).map_err(|error| {
            ConfigError::Read {
                path: path.to_path_buf(),
                error,
            }
        })?;
        Config::parse(path, text)
    }

    /// Validates config text as if read from `path`.
    pub fn parse(path: &Path, text: String) -> Result<Config, ConfigError> {
        let raw: RawConfig = match toml::from_str(&text) {
            Ok(raw) => raw,
            Err(error) => {
                let span = error.span().unwrap_or(0..0);
                let message = error.message().trim().to_string();
                return Err(invalid(
                    path,
                    &text,
                    span,
                    message.clone(),
                    parse_label(&message),
                    parse_help(&message),
                ));
            }
        };
        let located = |at: &[Seg<'_>], message: String, label: &str, help: Option<String>| {
            invalid(
                path,
                &text,
                locate(&text, at).unwrap_or(0..0),
                message,
                label.to_string(),
                help,
            )
        };

        let base = BaseDir::of(path);
        let exclude_matcher = gitignore(&base, &raw.exclude).map_err(|(index, message)| {
            located(
                &[Seg::Key("exclude"), Seg::Index(index)],
                format!("bad glob in `exclude`: {message}"),
                "bad glob",
                Some(GLOB_HELP.into()),
            )
        })?;
        let allow_matcher = gitignore(&base, &raw.allow.paths).map_err(|(index, message)| {
            located(
                &[Seg::Key("allow"), Seg::Key("paths"), Seg::Index(index)],
                format!("bad glob in `[allow] paths`: {message}"),
                "bad glob",
                Some(GLOB_HELP.into()),
            )
        })?;
        for (key, globs) in [
            ("paths", &raw.client.paths),
            ("not-paths", &raw.client.not_paths),
        ] {
            gitignore(&base, globs).map_err(|(index, message)| {
                located(
                    &[Seg::Key("client"), Seg::Key(key), Seg::Index(index)],
                    format!("bad glob in `[client] {key}`: {message}"),
                    "bad glob",
                    Some(GLOB_HELP.into()),
                )
            })?;
        }

        let mut allowed_fingerprints = BTreeSet::new();
        for (index, fingerprint) in raw.allow.fingerprints.iter().enumerate() {
            let normalised = fingerprint.trim().to_ascii_lowercase();
            if normalised.len() != FINGERPRINT_LEN
                || !normalised.bytes().all(|b| b.is_ascii_hexdigit())
            {
                return Err(located(
                    &[
                        Seg::Key("allow"),
                        Seg::Key("fingerprints"),
                        Seg::Index(index),
                    ],
                    format!("`{fingerprint}` is not a finding fingerprint"),
                    "not a fingerprint",
                    Some(format!(
                        "a fingerprint is {FINGERPRINT_LEN} hex digits: the `fingerprint` \
                         field of `katscan scan --format json`"
                    )),
                ));
            }
            allowed_fingerprints.insert(normalised);
        }

        Ok(Config {
            path: path.to_path_buf(),
            exclude: raw.exclude,
            disabled_rules: raw.rules.disable,
            levels: raw.rules.level,
            client: raw.client,
            allowed_fingerprints,
            allowed_paths: raw.allow.paths,
            custom_rules: raw.custom_rules,
            text,
            base,
            exclude_matcher,
            allow_matcher,
        })
    }

    /// Changes `rules` as the file says: adds the custom rules (validated
    /// like built-in ones, compiled now, their examples checked), then
    /// applies level overrides and disables rules. Naming a rule that does
    /// not exist is an error.
    pub fn apply(&self, rules: &mut RuleSet) -> Result<(), ConfigError> {
        let source_name = self.path.display().to_string();
        let (added, add_error) = match rules.add_rules(self.custom_rules.clone(), &source_name) {
            Ok(()) => (self.custom_rules.len(), None),
            Err((index, error)) => (
                index,
                Some(self.rule_error(index, &self.custom_rules[index], &error)),
            ),
        };
        // The examples of all added rules at once, with one scanner; the
        // first problem in the file's order is reported, and the rules from
        // the failing one on are taken out again.
        let added_rules = &self.custom_rules[..added];
        let ids: Vec<&str> = added_rules.iter().map(|spec| spec.id.as_str()).collect();
        let failures = examples::check_rules(rules, &ids);
        let first_failure = failures.iter().enumerate().find_map(|(index, detectors)| {
            detectors
                .iter()
                .enumerate()
                .find_map(|(detector, failures)| {
                    failures.first().map(|failure| (index, detector, failure))
                })
        });
        if let Some((index, detector, failure)) = first_failure {
            let error = self.example_error(index, &added_rules[index], detector, failure);
            for spec in &added_rules[index..] {
                rules.disable(&spec.id);
            }
            return Err(error);
        }
        if let Some(error) = add_error {
            return Err(error);
        }

        for (id, level) in &self.levels {
            if !rules.set_level(id, *level) {
                let span = self
                    .key_span(&[Seg::Key("rules"), Seg::Key("level")], id)
                    .unwrap_or(0..0);
                return Err(self.error(
                    span,
                    format!("`[rules.level]` names unknown rule `{id}`"),
                    "unknown rule",
                    Some(unknown_rule_help(rules, id)),
                ));
            }
        }
        for (index, id) in self.disabled_rules.iter().enumerate() {
            if !rules.disable(id) {
                return Err(self.error_at(
                    &[Seg::Key("rules"), Seg::Key("disable"), Seg::Index(index)],
                    format!("`[rules] disable` names unknown rule `{id}`"),
                    "unknown rule",
                    Some(unknown_rule_help(rules, id)),
                ));
            }
        }
        Ok(())
    }

    /// Whether the file allows a finding, and why: by its fingerprint, or
    /// because its path matches `[allow] paths`.
    pub fn allowed(&self, finding: &Finding) -> Option<String> {
        if self.allowed_fingerprints.contains(&finding.fingerprint) {
            return Some(format!("allowed by {} (fingerprint)", self.path.display()));
        }
        let relative = self.base.relative(Path::new(&finding.path))?;
        match self
            .allow_matcher
            .matched_path_or_any_parents(&relative, false)
        {
            Match::Ignore(glob) => Some(format!(
                "allowed by {} (path `{}`)",
                self.path.display(),
                glob.original()
            )),
            _ => None,
        }
    }

    /// The `exclude` globs as a matcher. It also excludes the config file
    /// itself, which holds the custom rules' examples (gitleaks skips its
    /// config the same way).
    pub fn excludes(&self) -> Excludes {
        Excludes {
            base: self.base.clone(),
            matcher: self.exclude_matcher.clone(),
            config_file: self.path.file_name().map(PathBuf::from),
        }
    }

    /// A path as reported in findings (relative to the current directory,
    /// or absolute) made relative to the config file's directory, the form
    /// the file's globs are written in; `None` outside that directory.
    pub fn path_in_config_dir(&self, path: &str) -> Option<String> {
        let relative = self.base.relative(Path::new(path))?;
        Some(relative.to_string_lossy().replace('\\', "/"))
    }

    /// The custom rules' ids, in file order.
    pub fn custom_rule_ids(&self) -> impl Iterator<Item = &str> {
        self.custom_rules.iter().map(|spec| spec.id.as_str())
    }

    fn rule_error(&self, index: usize, spec: &RuleSpec, error: &AddRuleError) -> ConfigError {
        let rule = [Seg::Key("rule"), Seg::Index(index)];
        let Some(detector) = error.detector else {
            let (field, label, help) = match &error.error {
                RuleError::BadId { .. } => ("id", "bad rule id", None),
                RuleError::BadName { .. } => ("name", "not kebab-case", None),
                RuleError::DuplicateId { .. } => (
                    "id",
                    "id already in use",
                    Some(
                        "custom rules need ids of their own; `katscan rules` lists the taken ones",
                    ),
                ),
                RuleError::DuplicateName { .. } => ("name", "name already in use", None),
                RuleError::BadKeywords { .. } => ("gate", "gate words too short", None),
                RuleError::ReplacesUnknown { .. } => ("replaces", "unknown rule", None),
                _ => ("id", "in this rule", None),
            };
            return self.error_at(
                &[rule[0], rule[1], Seg::Key(field)],
                format!("custom rule: {}", error.error),
                label,
                help.map(String::from),
            );
        };

        let spec = &spec.detectors[detector];
        let mut at = vec![rule[0], rule[1], Seg::Key("detector"), Seg::Index(detector)];
        let label = match &error.error {
            RuleError::BadKeywords { .. } => {
                at.push(Seg::Key("keywords"));
                "keywords must be selective literals of 4+ characters"
            }
            RuleError::BadGlob { .. } => {
                at.push(Seg::Key("paths"));
                "bad glob"
            }
            RuleError::BadPattern { .. } => {
                at.extend(failing_pattern(spec));
                "invalid pattern"
            }
            RuleError::ForeignDetector { .. } => {
                at.push(Seg::Key("rule"));
                "not this rule"
            }
            _ => "in this detector",
        };
        self.error_at(&at, format!("custom rule: {}", error.error), label, None)
    }

    fn example_error(
        &self,
        index: usize,
        spec: &RuleSpec,
        detector: usize,
        failure: &ExampleFailure,
    ) -> ConfigError {
        let mut at = vec![
            Seg::Key("rule"),
            Seg::Index(index),
            Seg::Key("detector"),
            Seg::Index(detector),
        ];
        let written = &spec.detectors[detector];
        let find = |examples: &[rules::Example], path: &str, text: &str| {
            examples
                .iter()
                .position(|e| e.path() == path && e.text() == text)
        };
        let label = match failure {
            ExampleFailure::NotFound { path, example, .. } => {
                at.push(Seg::Key("examples"));
                at.extend(find(&written.examples, path, example).map(Seg::Index));
                "this example is not reported"
            }
            ExampleFailure::FalsePositive { path, example, .. } => {
                at.push(Seg::Key("negative_examples"));
                at.extend(find(&written.negative_examples, path, example).map(Seg::Index));
                "this negative example is reported"
            }
            ExampleFailure::NotCompiled { .. } => {
                at.push(Seg::Key("pattern"));
                "does not compile"
            }
            ExampleFailure::Missing { .. } => "needs examples and negative_examples",
        };
        self.error_at(
            &at,
            format!("custom rule: {failure}"),
            label,
            Some(
                "every detector's `examples` must be reported and its `negative_examples` \
                 must not be, as in rules/README.md"
                    .into(),
            ),
        )
    }

    fn error_at(
        &self,
        at: &[Seg<'_>],
        message: String,
        label: &str,
        help: Option<String>,
    ) -> ConfigError {
        let span = locate(&self.text, at).unwrap_or(0..0);
        self.error(span, message, label, help)
    }

    fn error(
        &self,
        span: Range<usize>,
        message: String,
        label: &str,
        help: Option<String>,
    ) -> ConfigError {
        invalid(&self.path, &self.text, span, message, label.into(), help)
    }

    fn key_span(&self, table: &[Seg<'_>], key: &str) -> Option<Range<usize>> {
        let document = DeTable::parse(&self.text).ok()?;
        let mut value: Option<&toml::Spanned<DeValue<'_>>> = None;
        let mut current = document.get_ref();
        for segment in table {
            let Seg::Key(name) = segment else { return None };
            let found = current.iter().find(|(k, _)| k.get_ref() == name)?.1;
            current = found.get_ref().as_table()?;
            value = Some(found);
        }
        value?;
        current
            .iter()
            .find(|(k, _)| k.get_ref() == key)
            .map(|(k, _)| k.span())
    }
}

/// Config `exclude` globs with what they need to match walked paths.
#[derive(Debug, Clone)]
pub struct Excludes {
    base: BaseDir,
    matcher: Gitignore,
    /// The config file's name: it sits in `base`.
    config_file: Option<PathBuf>,
}

impl Excludes {
    /// Whether a path (relative to the current directory, or absolute)
    /// is excluded, itself or through one of its directories.
    pub fn is_excluded(&self, path: &Path, is_dir: bool) -> bool {
        self.base.relative(path).is_some_and(|relative| {
            (!is_dir && self.config_file.as_ref() == Some(&relative))
                || self
                    .matcher
                    .matched_path_or_any_parents(relative, is_dir)
                    .is_ignore()
        })
    }
}

/// The config file's directory, to resolve paths the scan reports
/// (relative to the current directory) against it.
#[derive(Debug, Clone)]
struct BaseDir {
    /// Absolute, lexically normalised.
    dir: PathBuf,
    /// The same, with symbolic links resolved, when that differs.
    canonical: Option<PathBuf>,
    cwd: PathBuf,
}

impl BaseDir {
    fn of(config_path: &Path) -> BaseDir {
        let cwd = env::current_dir().unwrap_or_default();
        let parent = match config_path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let dir = normalise(&cwd.join(parent));
        let canonical = fs::canonicalize(&dir).ok().filter(|c| *c != dir);
        BaseDir {
            dir,
            canonical,
            cwd,
        }
    }

    fn relative(&self, path: &Path) -> Option<PathBuf> {
        let absolute = normalise(&self.cwd.join(path));
        let relative = absolute.strip_prefix(&self.dir).ok().or_else(|| {
            self.canonical
                .as_ref()
                .and_then(|canonical| absolute.strip_prefix(canonical).ok())
        })?;
        (!relative.as_os_str().is_empty()).then(|| relative.to_path_buf())
    }
}

/// Resolves `.` and `..` without touching the file system.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

const GLOB_HELP: &str = "globs use .gitignore syntax (`vendor/`, `*.min.js`, `docs/**/*.md`), \
                         relative to the directory of the config file";

/// A gitignore-style matcher rooted at the config file's directory, or the
/// index of the first bad glob and why.
fn gitignore(base: &BaseDir, globs: &[String]) -> Result<Gitignore, (usize, String)> {
    let mut builder = GitignoreBuilder::new(&base.dir);
    for (index, glob) in globs.iter().enumerate() {
        if glob.trim().is_empty() {
            return Err((index, "an empty glob matches nothing".into()));
        }
        builder
            .add_line(None, glob)
            .map_err(|e| (index, e.to_string()))?;
    }
    builder.build().map_err(|e| (0, e.to_string()))
}

/// The detector field whose pattern fails: `pattern`, or a condition.
fn failing_pattern(spec: &rules::DetectorSpec) -> Vec<Seg<'static>> {
    if rules::check_pattern(&spec.pattern).is_err() {
        return vec![Seg::Key("pattern")];
    }
    for (key, conditions) in [("requires", &spec.requires), ("unless", &spec.unless)] {
        if let Some(index) = conditions
            .iter()
            .position(|c| rules::check_pattern(&c.pattern).is_err())
        {
            return vec![Seg::Key(key), Seg::Index(index), Seg::Key("pattern")];
        }
    }
    // Parses but does not compile (too large).
    vec![Seg::Key("pattern")]
}

fn unknown_rule_help(rules: &RuleSet, id: &str) -> String {
    match rules.get(id) {
        Some(rule) => format!("rule ids are upper case: `{}`", rule.id),
        None => {
            let ids: Vec<&str> = rules.rules().iter().map(|r| r.id.as_str()).collect();
            format!("known rules: {}", ids.join(", "))
        }
    }
}

fn parse_help(message: &str) -> Option<String> {
    // Inside [[rule]] the message lists the expected fields itself.
    if message.contains("unknown field") && message.contains("`exclude`") {
        Some(
            "top-level keys: exclude, [rules] (disable, [rules.level]), [client] (paths, \
             not-paths), [allow] (fingerprints, paths), [[rule]]; `katscan init` writes a \
             commented example"
                .into(),
        )
    } else if message.contains("unknown variant") && message.contains("`note`") {
        Some("levels are `error`, `warning` or `note`".into())
    } else {
        None
    }
}

/// The label under a TOML error: short when the message says it all.
fn parse_label(message: &str) -> String {
    if message.starts_with("unknown field") {
        "unknown key".into()
    } else if message.starts_with("unknown variant") {
        "unknown value".into()
    } else {
        message.lines().next().unwrap_or(message).to_string()
    }
}

fn invalid(
    path: &Path,
    text: &str,
    span: Range<usize>,
    message: String,
    label: String,
    help: Option<String>,
) -> ConfigError {
    let name = strip_dot_slash(path).display().to_string();
    let span = clamp(span, text.len());
    let excerpt = Excerpt::of(name.clone(), text, span.clone());
    let span = clamp_to(span, excerpt.offset..excerpt.offset + excerpt.text.len());
    ConfigError::Invalid {
        message: format!("invalid config file {name}: {}", crop(&message)),
        file: Arc::new(excerpt),
        span: SourceSpan::from(span),
        label: crop(&label),
        help,
    }
}

/// Bytes of a line shown before the mistake, and after it.
const EXCERPT_CONTEXT: usize = 60;
/// Bytes of the mistake itself shown (a span can cover a 1 MB string).
const EXCERPT_SPAN: usize = 120;
/// Characters of a message shown: messages quote the offending value.
const MESSAGE_LEN: usize = 240;

/// The part of a config file a diagnostic shows: the line of the mistake,
/// cropped to a window around it, and where that is in the file (so miette
/// numbers lines and columns as in the whole file). Nothing else of the
/// file is kept.
#[derive(Debug, Clone)]
pub struct Excerpt {
    name: String,
    text: String,
    /// Byte offset of `text` in the file.
    offset: usize,
    /// 0-based line and column (in characters) of `text`'s start.
    line: usize,
    column: usize,
}

impl Excerpt {
    fn of(name: String, file: &str, span: Range<usize>) -> Excerpt {
        let line_start = file[..span.start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = file[span.start..]
            .find(['\n', '\r'])
            .map_or(file.len(), |i| span.start + i);
        let mut start = span.start.saturating_sub(EXCERPT_CONTEXT).max(line_start);
        while !file.is_char_boundary(start) {
            start += 1;
        }
        let shown_span_end = span.end.min(span.start + EXCERPT_SPAN).max(span.start);
        let mut end = (shown_span_end + EXCERPT_CONTEXT).min(line_end).max(start);
        while !file.is_char_boundary(end) {
            end -= 1;
        }
        Excerpt {
            name,
            text: file[start..end].to_string(),
            offset: start,
            line: memchr::memchr_iter(b'\n', &file.as_bytes()[..line_start]).count(),
            column: file[line_start..start].chars().count(),
        }
    }

    /// The 1-based line of the excerpt in the file.
    pub fn line_number(&self) -> usize {
        self.line + 1
    }

    /// The text shown.
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let whole = self.offset..self.offset + self.text.len();
        let (range, column) = if context_lines_before == 0 && context_lines_after == 0 {
            // The header's `file:line:column` is that of the span itself.
            let at = clamp_to(span.offset()..span.offset() + span.len(), whole);
            let mut local = at.start - self.offset..at.end - self.offset;
            while !self.text.is_char_boundary(local.start) {
                local.start -= 1;
            }
            while !self.text.is_char_boundary(local.end) {
                local.end += 1;
            }
            let column = self.column + self.text[..local.start].chars().count();
            (local, column)
        } else {
            (0..self.text.len(), self.column)
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            &self.text.as_bytes()[range.clone()],
            SourceSpan::from(self.offset + range.start..self.offset + range.end),
            self.line,
            column,
            1,
        )))
    }
}

/// A message cut to [`MESSAGE_LEN`] characters.
fn crop(message: &str) -> String {
    match message.char_indices().nth(MESSAGE_LEN) {
        Some((cut, _)) => format!("{}…", &message[..cut]),
        None => message.to_string(),
    }
}

/// `span` moved inside `within`.
fn clamp_to(span: Range<usize>, within: Range<usize>) -> Range<usize> {
    let start = span.start.clamp(within.start, within.end);
    start..span.end.clamp(start, within.end)
}

/// miette must never get a span past the end of its source.
fn clamp(span: Range<usize>, len: usize) -> Range<usize> {
    let start = span.start.min(len);
    start..span.end.clamp(start, len)
}

/// One step of a path into the TOML document.
#[derive(Debug, Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// The span of the value at `at` in a TOML document (the deepest one that
/// exists, so a pointer lands near the mistake even if a step is missing).
fn locate(text: &str, at: &[Seg<'_>]) -> Option<Range<usize>> {
    let document = DeTable::parse(text).ok()?;
    let mut span = None;
    let mut table = Some(document.get_ref());
    let mut value: Option<&toml::Spanned<DeValue<'_>>> = None;
    for segment in at {
        let next = match (segment, table, value) {
            (Seg::Key(key), Some(table), _) => table
                .iter()
                .find(|(k, _)| k.get_ref() == key)
                .map(|(_, v)| v),
            (Seg::Index(index), _, Some(value)) => value.get_ref().get(*index),
            _ => None,
        };
        let Some(next) = next else { break };
        span = Some(next.span());
        value = Some(next);
        table = next.get_ref().as_table();
    }
    span
}

fn strip_dot_slash(path: &Path) -> PathBuf {
    path.strip_prefix(".").unwrap_or(path).to_path_buf()
}

/// A path relative to the current directory when it is below it.
fn shown_from_cwd(path: &Path) -> PathBuf {
    env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scanner;

    const CUSTOM_RULE: &str = r#"
[[rule]]
id = "ACME001"
name = "acme-token"
level = "warning"
summary = "ACME token"
help = "Rotate it."
description = "ACME tokens are secret."
precision = "high"
[[rule.detector]]
message = "ACME token committed"
keywords = ["acme_tok_"]
pattern = 'acme_tok_[A-Za-z0-9]{24}'
examples = ['T = "acme_tok_Q2v9Lk3mXp8Rt7Wz1Yc4Bn6D"']
negative_examples = ['T = env("ACME")']
"#;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("proj/.katscan.toml"), text.to_string())
    }

    fn applied(text: &str) -> Result<RuleSet, ConfigError> {
        let mut rules = RuleSet::builtin().expect("built-in rules load");
        parse(text)?.apply(&mut rules)?;
        Ok(rules)
    }

    /// The 1-based line the diagnostic points at, and its label.
    fn pointer(error: &ConfigError) -> (usize, String) {
        let ConfigError::Invalid {
            file, span, label, ..
        } = error
        else {
            panic!("not an Invalid error: {error}");
        };
        assert!(
            file.text().len() <= 2 * EXCERPT_CONTEXT + EXCERPT_SPAN,
            "{file:?}"
        );
        assert!(span.offset() >= file.offset && span.offset() <= file.offset + file.text().len());
        (file.line_number(), label.clone())
    }

    fn error_line(text: &str) -> (usize, String) {
        let error = match parse(text) {
            Err(error) => error,
            Ok(config) => {
                let mut rules = RuleSet::builtin().unwrap();
                config.apply(&mut rules).expect_err("config is rejected")
            }
        };
        pointer(&error)
    }

    #[test]
    fn an_empty_file_is_a_valid_config() {
        let config = parse("").unwrap();
        assert!(config.exclude.is_empty());
        let excludes = config.excludes();
        assert!(excludes.is_excluded(Path::new("proj/.katscan.toml"), false));
        assert!(!excludes.is_excluded(Path::new("proj/src/.katscan.toml"), false));
        assert!(!excludes.is_excluded(Path::new("proj/src/a.js"), false));
        assert_eq!(
            applied("").unwrap().rules().len(),
            RuleSet::builtin().unwrap().rules().len()
        );
    }

    #[test]
    fn syntax_and_type_errors_point_at_their_line() {
        assert_eq!(error_line("exclude = []\nexclud = []\n").0, 2);
        assert_eq!(error_line("[rules]\ndisable = \"CORS001\"\n").0, 2);
        assert_eq!(error_line("[allow]\n\npaths = [1]\n").0, 3);
        assert_eq!(error_line("[rules.level]\nCORS005 = \"fatal\"\n").0, 2);
        assert_eq!(error_line("[client]\nnot_paths = []\n").0, 2);
        assert_eq!(error_line("exclude = [\n").0, 1);
    }

    #[test]
    fn bad_globs_and_fingerprints_point_at_the_element() {
        assert_eq!(
            error_line("exclude = [\n  \"ok/\",\n  \"bad{\",\n]\n"),
            (3, "bad glob".to_string())
        );
        assert_eq!(error_line("[allow]\npaths = [\"a{b\"]\n").0, 2);
        assert_eq!(
            error_line("[client]\npaths = []\nnot-paths = [\"\"]\n").0,
            3
        );
        assert_eq!(
            error_line("[allow]\nfingerprints = [\"abc\"]\n"),
            (2, "not a fingerprint".to_string())
        );
    }

    #[test]
    fn unknown_rule_ids_point_at_the_id() {
        assert_eq!(
            error_line("[rules]\ndisable = [\"CORS001\", \"NOPE001\"]\n"),
            (2, "unknown rule".to_string())
        );
        assert_eq!(
            error_line("[rules.level]\nCORS005 = \"error\"\nNOPE002 = \"note\"\n"),
            (3, "unknown rule".to_string())
        );
        let error = parse("[rules]\ndisable = [\"cors001\"]\n")
            .unwrap()
            .apply(&mut RuleSet::builtin().unwrap())
            .unwrap_err();
        assert!(
            format!(
                "{:?}",
                miette::Diagnostic::help(&error).unwrap().to_string()
            )
            .contains("CORS001")
        );
    }

    #[test]
    fn disable_and_level_change_the_rule_set() {
        let rules =
            applied("[rules]\ndisable = [\"CORS001\"]\n[rules.level]\nCORS005 = \"error\"\n")
                .unwrap();
        assert!(rules.get("CORS001").is_none());
        assert!(
            rules
                .detectors()
                .iter()
                .all(|d| rules.rule_of(d).id != "CORS001")
        );
        assert_eq!(rules.get("CORS005").unwrap().level, Level::Error);
        // Every detector still reports the rule it was written for.
        let builtin = RuleSet::builtin().unwrap();
        assert_eq!(
            rules.detectors().len()
                + builtin
                    .detectors_of(builtin.get("CORS001").unwrap())
                    .count(),
            builtin.detectors().len()
        );
    }

    #[test]
    fn custom_rules_are_added_and_report_findings() {
        let rules = applied(CUSTOM_RULE).unwrap();
        assert_eq!(rules.get("ACME001").unwrap().level, Level::Warning);
        let findings = Scanner::new(&rules, true)
            .scan("a.py", b"TOKEN = 'acme_tok_Zx8Vb7Nm6Lk5Jh4Gf3Ds2Aq1'\n");
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].rule_id, "ACME001");
        // Built-in detectors still report their own rules.
        let cors = Scanner::new(&rules, true).scan(
            "nginx.conf",
            b"location / {\n  add_header Access-Control-Allow-Origin *;\n}\n",
        );
        assert!(
            cors.iter().all(|f| f.rule_id.starts_with("CORS")),
            "{cors:?}"
        );
        // Custom rules can be disabled and re-levelled like built-ins.
        let rules = applied(&format!("[rules]\ndisable = [\"ACME001\"]\n{CUSTOM_RULE}")).unwrap();
        assert!(rules.get("ACME001").is_none());
    }

    #[test]
    fn custom_rule_mistakes_point_at_the_field() {
        let line_of =
            |needle: &str, text: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
        let clash = CUSTOM_RULE.replace("ACME001", "KAT001");
        assert_eq!(
            error_line(&clash),
            (line_of("id = ", &clash), "id already in use".into())
        );
        let bad_regex = CUSTOM_RULE.replace("{24}'", "{24'");
        assert_eq!(
            error_line(&bad_regex),
            (line_of("pattern", &bad_regex), "invalid pattern".into())
        );
        let short_keyword = CUSTOM_RULE.replace("[\"acme_tok_\"]", "[\"ac\"]");
        assert_eq!(
            error_line(&short_keyword).0,
            line_of("keywords", &short_keyword)
        );
        let failing = CUSTOM_RULE.replace("Q2v9Lk3mXp8Rt7Wz1Yc4Bn6D", "short");
        assert_eq!(
            error_line(&failing),
            (
                line_of("examples = ", &failing),
                "this example is not reported".into()
            )
        );
        let reported =
            CUSTOM_RULE.replace("env(\"ACME\")", "\"acme_tok_Q2v9Lk3mXp8Rt7Wz1Yc4Bn6D\"");
        assert_eq!(
            error_line(&reported),
            (
                line_of("negative_examples", &reported),
                "this negative example is reported".into()
            )
        );
        let unknown_field = CUSTOM_RULE.replace("precision", "precison");
        assert_eq!(
            error_line(&unknown_field).0,
            line_of("precison", &unknown_field)
        );
        let foreign =
            CUSTOM_RULE.replace("[[rule.detector]]", "[[rule.detector]]\nrule = \"KAT001\"");
        assert_eq!(error_line(&foreign).0, line_of("rule = ", &foreign));
    }

    #[test]
    fn a_rejected_custom_rule_leaves_the_rule_set_unchanged() {
        let mut rules = RuleSet::builtin().unwrap();
        let count = rules.rules().len();
        let detectors = rules.detectors().len();
        let failing = CUSTOM_RULE.replace("Q2v9Lk3mXp8Rt7Wz1Yc4Bn6D", "short");
        assert!(parse(&failing).unwrap().apply(&mut rules).is_err());
        assert_eq!(
            (rules.rules().len(), rules.detectors().len()),
            (count, detectors)
        );
    }

    #[test]
    fn allow_matches_fingerprints_and_paths_relative_to_the_config() {
        let config = parse(&format!(
            "[allow]\npaths = [\"docs/\"]\nfingerprints = []\n{CUSTOM_RULE}"
        ))
        .unwrap();
        let mut rules = RuleSet::builtin().unwrap();
        config.apply(&mut rules).unwrap();
        let scanner = Scanner::new(&rules, true);
        let text = b"acme_tok_Zx8Vb7Nm6Lk5Jh4Gf3Ds2Aq1\n";
        let in_docs = &scanner.scan("proj/docs/guide/a.md", text)[0];
        let elsewhere = &scanner.scan("proj/src/a.md", text)[0];
        let outside = &scanner.scan("docs/a.md", text)[0];
        assert_eq!(
            config.allowed(in_docs).as_deref(),
            Some("allowed by proj/.katscan.toml (path `docs/`)")
        );
        assert_eq!(config.allowed(elsewhere), None);
        assert_eq!(config.allowed(outside), None, "docs/ is relative to proj/");

        let by_fingerprint = parse(&format!(
            "[allow]\nfingerprints = [\"{}\"]\n",
            elsewhere.fingerprint.to_uppercase()
        ))
        .unwrap();
        assert_eq!(
            by_fingerprint.allowed(elsewhere).as_deref(),
            Some("allowed by proj/.katscan.toml (fingerprint)")
        );
        assert_eq!(by_fingerprint.allowed(in_docs), None);
    }

    #[test]
    fn excludes_are_relative_to_the_config_directory() {
        let config = parse("exclude = [\"vendor/\", \"*.min.js\", \"/build\"]\n").unwrap();
        let excludes = config.excludes();
        let cwd = env::current_dir().unwrap();
        assert!(excludes.is_excluded(Path::new("proj/vendor"), true));
        assert!(excludes.is_excluded(Path::new("./proj/vendor/lib/a.js"), false));
        assert!(excludes.is_excluded(&cwd.join("proj/web/app.min.js"), false));
        assert!(excludes.is_excluded(Path::new("proj/build/x.js"), false));
        assert!(!excludes.is_excluded(Path::new("proj/src/build/x.js"), false));
        assert!(!excludes.is_excluded(Path::new("vendor/a.js"), false));
        assert!(!excludes.is_excluded(Path::new("proj/src/app.js"), false));
        assert_eq!(
            config.path_in_config_dir("proj/web/a.js").as_deref(),
            Some("web/a.js")
        );
        assert_eq!(config.path_in_config_dir("other/a.js"), None);
    }

    #[test]
    fn the_starter_file_loads_commented_and_uncommented() {
        let config = parse(STARTER).unwrap();
        config.apply(&mut RuleSet::builtin().unwrap()).unwrap();
        assert!(config.exclude.is_empty() && config.custom_rules.is_empty());

        // Settings are commented as `#key`, explanations as `# text`.
        let uncommented: String = STARTER
            .lines()
            .map(|line| match line.strip_prefix('#') {
                Some(rest) if !rest.starts_with([' ', '#']) && !rest.is_empty() => rest,
                _ => line,
            })
            .map(|line| format!("{line}\n"))
            .collect();
        let config = parse(&uncommented).unwrap();
        let mut rules = RuleSet::builtin().unwrap();
        config.apply(&mut rules).unwrap();
        assert!(!config.exclude.is_empty());
        assert!(!config.client.paths.is_empty() && !config.client.not_paths.is_empty());
        assert!(!config.allowed_fingerprints.is_empty() && !config.allowed_paths.is_empty());
        assert!(rules.get("ACME001").is_some());
        assert!(rules.get("CORS001").is_none());
        assert_eq!(rules.get("CORS005").unwrap().level, Level::Error);
    }

    #[test]
    fn discovery_prefers_the_scan_root_then_the_git_top_level() {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path();
        let app = top.join("app");
        fs::create_dir_all(app.join("src")).unwrap();
        fs::write(app.join("src/a.js"), "").unwrap();
        assert_eq!(discover(std::slice::from_ref(&app)), Discovery::None);

        fs::create_dir(top.join(".git")).unwrap();
        fs::write(top.join(FILE_NAME), "").unwrap();
        let Discovery::Found(found) = discover(&[app.join("src/a.js")]) else {
            panic!("the top-level config is found");
        };
        assert_eq!(
            fs::canonicalize(found).unwrap(),
            fs::canonicalize(top.join(FILE_NAME)).unwrap()
        );

        fs::write(app.join(FILE_NAME), "").unwrap();
        assert_eq!(
            discover(std::slice::from_ref(&app)),
            Discovery::Found(app.join(FILE_NAME))
        );
    }

    #[test]
    fn diagnostics_show_only_the_offending_line_cropped() {
        let render = |text: &str| {
            let error = parse(text).unwrap_err();
            let mut rendered = String::new();
            miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
                .render_report(&mut rendered, &error)
                .unwrap();
            rendered
        };
        let rendered =
            render("exclude = []\nsecret_before = 1\n[rules]\ndisable = 7\nsecret_after = 2\n");
        assert!(rendered.contains("proj/.katscan.toml:4:11"), "{rendered}");
        assert!(rendered.contains("disable = 7"), "{rendered}");
        assert!(!rendered.contains("secret"), "{rendered}");

        let long = format!(
            "exclude = [{}1, \"{}\"]\n",
            "\"a\", ".repeat(10_000),
            "z".repeat(10_000)
        );
        let rendered = render(&long);
        assert!(
            rendered.contains("proj/.katscan.toml:1:50012"),
            "{rendered}"
        );
        assert!(rendered.len() < 1_500, "{rendered}");
        assert!(!rendered.contains(&"z".repeat(100)), "{rendered}");
    }
}
