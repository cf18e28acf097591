//! Rules are data: the TOML schema (`rules/README.md`), its validation and
//! compilation into matchers.
//!
//! Built-in rules are the `rules/**/*.toml` files, parsed by `build.rs`
//! into static tables ([`builtin`]). The same schema ([`spec`]) serves
//! custom rules in `.katscan.toml`, so every check a rule author can get
//! wrong is a typed [`RuleError`], never a panic.

mod builtin;
mod detector;
mod filter;
mod spec;

use std::collections::HashSet;

use crate::output::neutralise;

pub(crate) use detector::compile_condition;
pub use detector::{Condition, Detector};
pub use filter::PlaceholderFilter;
use spec::DetectorFile;
pub use spec::{
    ConditionScope, ConditionSpec, DetectorSpec, Example, FilterSpec, Level, Precision, RuleSpec,
    Scope,
};

/// The text of the built-in rule files, `(file name, contents)`: the test
/// suite holds the tables `build.rs` made from them to the full validation.
#[cfg(test)]
const BUILTIN_SOURCES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// Which checks a rule set's patterns and globs still need at load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Checks {
    /// Everything, now (custom rules, rule text given at run time).
    Full,
    /// Built-in rules: `build.rs` checked the pattern syntax, and the test
    /// suite compiles every pattern and glob; globs are compiled when a
    /// file first asks for them.
    Builtin,
}

/// Everything that can be wrong with a rule or a set of rules. `id` names
/// the rule or detector concerned.
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
        "{id}: a detector needs selective keywords of at least {min} characters (got {keywords:?})",
        min = MIN_KEYWORD_LEN
    )]
    BadKeywords { id: String, keywords: Vec<String> },
    #[error("{id}: {message}")]
    Inconsistent { id: String, message: String },
    #[error(
        "{id}: a custom rule's detectors report that rule, not `{other}` (define your own rule instead)"
    )]
    ForeignDetector { id: String, other: String },
    #[error("{id}: replaces unknown rule `{unknown}`")]
    ReplacesUnknown { id: String, unknown: String },
}

/// Keywords shorter than this would make the prefilter hit almost every file.
pub(crate) const MIN_KEYWORD_LEN: usize = 4;

/// A public rule: what users see, suppress and configure. Its detectors
/// (framework by framework) live in [`RuleSet::detectors`].
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub level: Level,
    pub summary: String,
    pub help: String,
    pub description: String,
    pub replaces: Vec<String>,
    pub gate: Vec<String>,
    pub cwe: Vec<String>,
    pub security_severity: Option<f64>,
    pub precision: Precision,
    pub tags: Vec<String>,
}

impl Rule {
    fn from_spec(spec: &RuleSpec, source_name: &str) -> Result<Rule, RuleError> {
        if !is_rule_id(&spec.id) {
            return Err(RuleError::BadId {
                source_name: source_name.into(),
                id: spec.id.clone(),
            });
        }
        if spec
            .gate
            .iter()
            .any(|word| word.chars().count() < MIN_KEYWORD_LEN)
        {
            return Err(RuleError::BadKeywords {
                id: format!("{} (gate)", spec.id),
                keywords: spec.gate.clone(),
            });
        }
        if !is_kebab_case(&spec.name) {
            return Err(RuleError::BadName {
                source_name: source_name.into(),
                name: spec.name.clone(),
            });
        }
        Ok(Rule {
            id: spec.id.clone(),
            name: spec.name.clone(),
            level: spec.level,
            summary: spec.summary.clone(),
            help: reflow(&spec.help),
            description: reflow(&spec.description),
            replaces: spec.replaces.clone(),
            gate: spec.gate.clone(),
            cwe: spec.cwe.clone(),
            security_severity: spec.security_severity,
            precision: spec.precision,
            tags: spec.tags.clone(),
        })
    }

    /// Fills the `{key_id}` and `{reason}` (why a file ships to clients)
    /// placeholders of a message or help template.
    ///
    /// What is filled in comes from the scanned file (a custom rule's
    /// `key_id` group can capture anything), so it is made one line
    /// ([`neutralise`]) before it joins the message.
    pub fn render(template: &str, key_id: Option<&str>, reason: Option<&str>) -> String {
        let mut text = template.to_string();
        if let Some(key_id) = key_id {
            text = text.replace("{key_id}", &neutralise(key_id));
        }
        if let Some(reason) = reason {
            text = text.replace("{reason}", &neutralise(reason));
        }
        text
    }

    /// Fills a detector's message: `{key_id}` and `{reason}` as in
    /// [`Rule::render`], and
    /// `{finding}` with the reported text (`matched`, secrets already
    /// masked), so a message can name what it points at ("`VITE_KATALO_API_KEY`
    /// is inlined …"). Help is rendered without a match, so only messages may
    /// use `{finding}`.
    pub fn render_message(
        template: &str,
        key_id: Option<&str>,
        reason: Option<&str>,
        matched: &str,
    ) -> String {
        Self::render(template, key_id, reason).replace("{finding}", &neutralise(matched))
    }
}

/// The rules a scan runs and their detectors, in a stable order (rules by
/// id; detectors by rule, then as written).
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    detectors: Vec<Detector>,
}

impl RuleSet {
    /// The rules shipped in the binary.
    pub fn builtin() -> Result<RuleSet, RuleError> {
        let mut rules = Vec::new();
        let mut detector_specs = Vec::new();
        for file in builtin::FILES {
            let enclosing = match &file.rule {
                Some(rule) => {
                    rules.push(Rule::from_spec(&rule.to_spec(), file.name)?);
                    Some(rule.id())
                }
                None => None,
            };
            for detector in file.detectors {
                detector_specs.push((file.name, enclosing.map(String::from), detector.to_spec()));
            }
        }
        Self::new(rules, detector_specs, Checks::Builtin)
    }

    /// Parses and compiles rule and detector files given as `(name, TOML
    /// text)`. A file with a top-level `id` defines a rule; any other file
    /// holds `[[detector]]` entries for rules defined elsewhere.
    pub fn from_sources<'a>(
        sources: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<RuleSet, RuleError> {
        let mut rules = Vec::new();
        let mut detector_specs = Vec::new();
        for (source_name, text) in sources {
            let parse_error = |e: toml::de::Error| RuleError::Parse {
                source_name: source_name.into(),
                message: e.to_string(),
            };
            let table: toml::Table = toml::from_str(text).map_err(parse_error)?;
            if table.contains_key("id") {
                let spec: RuleSpec = toml::from_str(text).map_err(parse_error)?;
                rules.push(Rule::from_spec(&spec, source_name)?);
                for detector in spec.detectors {
                    detector_specs.push((source_name, Some(spec.id.clone()), detector));
                }
            } else {
                let file: DetectorFile = toml::from_str(text).map_err(parse_error)?;
                for detector in file.detectors {
                    detector_specs.push((source_name, None, detector));
                }
            }
        }
        Self::new(rules, detector_specs, Checks::Full)
    }

    fn new(
        mut rules: Vec<Rule>,
        detector_specs: Vec<(&str, Option<String>, DetectorSpec)>,
        checks: Checks,
    ) -> Result<RuleSet, RuleError> {
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
        for rule in &rules {
            if let Some(unknown) = rule.replaces.iter().find(|id| !ids.contains(id.as_str())) {
                return Err(RuleError::ReplacesUnknown {
                    id: rule.id.clone(),
                    unknown: unknown.clone(),
                });
            }
        }
        rules.sort_by(|a, b| a.id.cmp(&b.id));

        let mut detectors = Vec::with_capacity(detector_specs.len());
        for (position, (source_name, enclosing_rule, spec)) in
            detector_specs.into_iter().enumerate()
        {
            let rule_id = match (&spec.rule, enclosing_rule) {
                (Some(named), _) => named.clone(),
                (None, Some(enclosing)) => enclosing,
                (None, None) => {
                    return Err(RuleError::Inconsistent {
                        id: format!("{source_name}: detector {}", position + 1),
                        message: "a detector outside a rule file must name its `rule`".into(),
                    });
                }
            };
            let Some(rule_index) = rules.iter().position(|rule| rule.id == rule_id) else {
                return Err(RuleError::Inconsistent {
                    id: format!("{source_name}: detector {}", position + 1),
                    message: format!("names unknown rule `{rule_id}`"),
                });
            };
            detectors.push(Detector::compile(
                spec,
                rule_index,
                &rules[rule_index],
                source_name,
                checks,
            )?);
        }
        if let Some(rule) = rules
            .iter()
            .enumerate()
            .find_map(|(index, rule)| (!detectors.iter().any(|d| d.rule == index)).then_some(rule))
        {
            return Err(RuleError::Inconsistent {
                id: rule.id.clone(),
                message: "the rule has no detector".into(),
            });
        }
        // Stable: detectors of one rule keep the order they were written in.
        detectors.sort_by_key(|d| d.rule);
        Ok(RuleSet { rules, detectors })
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn detectors(&self) -> &[Detector] {
        &self.detectors
    }

    /// The rule a detector reports.
    pub fn rule_of(&self, detector: &Detector) -> &Rule {
        &self.rules[detector.rule]
    }

    /// The detectors of one rule.
    pub fn detectors_of<'s>(&'s self, rule: &'s Rule) -> impl Iterator<Item = &'s Detector> + 's {
        self.detectors
            .iter()
            .filter(move |d| self.rules[d.rule].id == rule.id)
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

    /// Adds a rule defined outside the built-in files (a custom rule in
    /// `.katscan.toml`). It is validated like a built-in rule, must not
    /// reuse an id or name, may only bring detectors for itself, and its
    /// detectors are compiled now: a user's pattern that does not compile
    /// is an error at load, not a silently dead rule. On error the set is
    /// unchanged.
    pub fn add_rule(&mut self, spec: RuleSpec, source_name: &str) -> Result<(), AddRuleError> {
        self.add_rules(vec![spec], source_name)
            .map_err(|(_, error)| error)
    }

    /// Adds rules as [`RuleSet::add_rule`] would one after the other, in
    /// time linear in the set (adding them one by one compared each with
    /// every rule and re-sorted every detector: 10,000 custom rules took
    /// seconds). On error, the rules before the refused one are added, and
    /// the error says which one (0-based) was refused.
    pub fn add_rules(
        &mut self,
        specs: Vec<RuleSpec>,
        source_name: &str,
    ) -> Result<(), (usize, AddRuleError)> {
        let mut ids: HashSet<String> = self.rules.iter().map(|r| r.id.clone()).collect();
        let mut names: HashSet<String> = self.rules.iter().map(|r| r.name.clone()).collect();
        let mut added: Vec<(Rule, Vec<Detector>)> = Vec::new();
        let mut refused = None;
        for (position, spec) in specs.into_iter().enumerate() {
            match Self::validate_rule(spec, source_name, &ids, &names) {
                Ok((rule, detectors)) => {
                    ids.insert(rule.id.clone());
                    names.insert(rule.name.clone());
                    added.push((rule, detectors));
                }
                Err(error) => {
                    refused = Some((position, error));
                    break;
                }
            }
        }
        if !added.is_empty() {
            self.insert_rules(added);
        }
        refused.map_or(Ok(()), Err)
    }

    /// One rule to add, checked against the ids and names in use, with its
    /// detectors compiled (their rule index is set when it is inserted).
    fn validate_rule(
        spec: RuleSpec,
        source_name: &str,
        ids: &HashSet<String>,
        names: &HashSet<String>,
    ) -> Result<(Rule, Vec<Detector>), AddRuleError> {
        let whole_rule = |error| AddRuleError {
            detector: None,
            error,
        };
        let rule = Rule::from_spec(&spec, source_name).map_err(whole_rule)?;
        if ids.contains(&rule.id) {
            return Err(whole_rule(RuleError::DuplicateId { id: rule.id }));
        }
        if names.contains(&rule.name) {
            return Err(whole_rule(RuleError::DuplicateName {
                id: rule.id,
                name: rule.name,
            }));
        }
        // Rule ids are looked up without regard to case (`get`).
        if let Some(unknown) = rule.replaces.iter().find(|id| {
            !ids.contains(id.as_str()) && !ids.iter().any(|known| known.eq_ignore_ascii_case(id))
        }) {
            return Err(whole_rule(RuleError::ReplacesUnknown {
                id: rule.id.clone(),
                unknown: unknown.clone(),
            }));
        }
        if spec.detectors.is_empty() {
            return Err(whole_rule(RuleError::Inconsistent {
                id: rule.id,
                message: "the rule has no detector".into(),
            }));
        }

        let mut detectors = Vec::with_capacity(spec.detectors.len());
        for (position, detector) in spec.detectors.into_iter().enumerate() {
            let in_detector = |error| AddRuleError {
                detector: Some(position),
                error,
            };
            if let Some(other) = detector.rule.as_ref().filter(|named| **named != rule.id) {
                return Err(in_detector(RuleError::ForeignDetector {
                    id: rule.id.clone(),
                    other: other.clone(),
                }));
            }
            let detector = Detector::compile(detector, 0, &rule, source_name, Checks::Full)
                .map_err(in_detector)?;
            if let Some(message) = detector.compile_error() {
                return Err(in_detector(RuleError::BadPattern {
                    id: rule.id.clone(),
                    message,
                }));
            }
            detectors.push(detector);
        }
        Ok((rule, detectors))
    }

    /// Inserts validated rules, keeping rules sorted by id and detectors
    /// by rule (built-in detectors first within a rule, as written).
    fn insert_rules(&mut self, added: Vec<(Rule, Vec<Detector>)>) {
        let existing = self.rules.len();
        let mut new_detectors = Vec::new();
        for (offset, (rule, detectors)) in added.into_iter().enumerate() {
            self.rules.push(rule);
            new_detectors.extend(detectors.into_iter().map(|mut detector| {
                detector.rule = existing + offset;
                detector
            }));
        }
        // Sort rules by id and renumber every detector's rule once.
        let mut order: Vec<usize> = (0..self.rules.len()).collect();
        order.sort_by(|&a, &b| self.rules[a].id.cmp(&self.rules[b].id));
        let mut new_index = vec![0; order.len()];
        for (new, &old) in order.iter().enumerate() {
            new_index[old] = new;
        }
        let mut rules: Vec<Option<Rule>> = self.rules.drain(..).map(Some).collect();
        self.rules = order
            .iter()
            .map(|&old| rules[old].take().expect("each rule is moved once"))
            .collect();
        self.detectors.extend(new_detectors);
        for detector in &mut self.detectors {
            detector.rule = new_index[detector.rule];
        }
        // Stable: built-in detectors keep their order, the new ones follow.
        self.detectors.sort_by_key(|d| d.rule);
    }

    /// Removes a rule and its detectors; false if there is no such rule.
    /// Rules that replace it keep working: a replacement of a rule that
    /// never reports simply never happens.
    pub fn disable(&mut self, id: &str) -> bool {
        let Some(index) = self.rules.iter().position(|rule| rule.id == id) else {
            return false;
        };
        self.rules.remove(index);
        self.detectors.retain(|d| d.rule != index);
        for detector in &mut self.detectors {
            if detector.rule > index {
                detector.rule -= 1;
            }
        }
        true
    }

    /// Changes the level of a rule (and so of its findings); false if there
    /// is no such rule.
    pub fn set_level(&mut self, id: &str, level: Level) -> bool {
        match self.rules.iter_mut().find(|rule| rule.id == id) {
            Some(rule) => {
                rule.level = level;
                true
            }
            None => false,
        }
    }
}

/// Why [`RuleSet::add_rule`] refused a rule: the error, and which of the
/// rule's detectors (0-based, as written) it concerns, if one.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct AddRuleError {
    pub detector: Option<usize>,
    pub error: RuleError,
}

/// Checks that a detector or condition pattern parses, with the flags
/// detectors use; the message says what is wrong.
pub fn check_pattern(pattern: &str) -> Result<(), String> {
    detector::validate_regex(pattern, "").map_err(|error| match error {
        RuleError::BadPattern { message, .. } => message,
        other => other.to_string(),
    })
}

/// Joins the hard-wrapped lines of each Markdown paragraph, so every
/// output can wrap text to its own width. Lists, headings and code blocks
/// keep their line breaks.
pub(crate) fn reflow(markdown: &str) -> String {
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

    /// Everything a rule set holds, as text: rules, and each detector's
    /// data and compiled path scope.
    fn contents(rules: &RuleSet) -> Vec<String> {
        let mut out: Vec<String> = rules.rules().iter().map(|r| format!("{r:?}")).collect();
        for detector in rules.detectors() {
            out.push(format!(
                "{} {:?} {:?} {} {:?} {:?} {} {:?} {:?} {} {} {} {:?} {:?} {:?}",
                rules.rule_of(detector).id,
                detector.framework,
                detector.keywords,
                detector.keywords_ignore_case,
                detector.paths,
                detector.scope,
                detector.pattern,
                detector
                    .requires
                    .iter()
                    .map(|c| (&c.pattern, c.within_lines))
                    .collect::<Vec<_>>(),
                detector
                    .unless
                    .iter()
                    .map(|c| (&c.pattern, c.within_lines))
                    .collect::<Vec<_>>(),
                detector.skip_comments,
                detector.message,
                detector.help,
                detector.examples,
                detector.negative_examples,
                detector.filter,
            ));
        }
        out
    }

    #[test]
    fn builtin_tables_are_the_rule_files() {
        // The tables build.rs generates hold exactly what the rule files
        // say, and the files pass every check a custom rule gets: pattern
        // syntax, globs and all (the example check compiles every pattern).
        let from_files = RuleSet::from_sources(BUILTIN_SOURCES.iter().copied()).unwrap();
        let builtin = RuleSet::builtin().unwrap();
        assert_eq!(contents(&builtin), contents(&from_files));
        assert!(builtin.detectors().len() > 100);
        // Lazily compiled built-in globs scope exactly as the checked ones.
        for (lazy, checked) in builtin.detectors().iter().zip(from_files.detectors()) {
            for path in [
                "src/app.js",
                "nginx/site.conf",
                "main.go",
                "a/b/settings.py",
            ] {
                assert_eq!(lazy.applies_to(path), checked.applies_to(path), "{path}");
            }
        }
    }

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

    fn custom_spec(id: &str, name: &str) -> RuleSpec {
        toml::from_str(&format!(
            "id = \"{id}\"\nname = \"{name}\"\nlevel = \"note\"\nsummary = \"s\"\n\
             help = \"h\"\ndescription = \"d\"\nprecision = \"low\"\n\
             [[detector]]\nmessage = \"m\"\nkeywords = [\"zzz_token_\"]\n\
             pattern = 'zzz_token_[0-9]+'\n"
        ))
        .unwrap()
    }

    /// Each detector's (rule id, pattern), to check that adding and removing
    /// rules never makes a detector report another rule.
    fn reported_rules(rules: &RuleSet) -> Vec<(String, String)> {
        let mut pairs: Vec<_> = rules
            .detectors()
            .iter()
            .map(|d| (rules.rule_of(d).id.clone(), d.pattern.clone()))
            .collect();
        pairs.sort();
        pairs
    }

    #[test]
    fn rules_added_together_are_sorted_and_keep_their_detectors() {
        let mut rules = RuleSet::builtin().unwrap();
        let mut expected = reported_rules(&rules);
        let specs = vec![
            custom_spec("ZZZ001", "last"),
            custom_spec("AAA001", "first"),
            custom_spec("LLL001", "middle"),
            // Refused: the id is taken by the first one of this batch.
            custom_spec("ZZZ001", "again"),
            custom_spec("BBB001", "never"),
        ];
        let (refused, error) = rules.add_rules(specs, "test").unwrap_err();
        assert_eq!(refused, 3);
        assert!(
            matches!(error.error, RuleError::DuplicateId { .. }),
            "{error}"
        );
        for id in ["ZZZ001", "AAA001", "LLL001"] {
            expected.push((id.into(), "zzz_token_[0-9]+".into()));
        }
        expected.sort();
        assert_eq!(reported_rules(&rules), expected);
        assert!(rules.get("BBB001").is_none());
        assert!(rules.rules().windows(2).all(|w| w[0].id < w[1].id));
        assert!(rules.detectors().windows(2).all(|w| w[0].rule <= w[1].rule));
        // A name in use is refused too, and a refused first rule adds none.
        let before = reported_rules(&rules);
        let (refused, _) = rules
            .add_rules(vec![custom_spec("CCC001", "middle")], "test")
            .unwrap_err();
        assert_eq!(refused, 0);
        assert_eq!(reported_rules(&rules), before);
    }

    #[test]
    fn adding_and_disabling_rules_keeps_detectors_on_their_rules() {
        let mut rules = RuleSet::builtin().unwrap();
        let mut before = reported_rules(&rules);
        // Sorts first, so every built-in rule index shifts.
        rules
            .add_rule(custom_spec("AAA001", "first"), "test")
            .unwrap();
        assert_eq!(rules.rules()[0].id, "AAA001");
        before.push(("AAA001".into(), "zzz_token_[0-9]+".into()));
        before.sort();
        assert_eq!(reported_rules(&rules), before);

        assert!(rules.disable("CORS002"));
        assert!(!rules.disable("CORS002"));
        before.retain(|(id, _)| id != "CORS002");
        assert_eq!(reported_rules(&rules), before);
        assert!(rules.rules().windows(2).all(|w| w[0].id < w[1].id));
        assert!(rules.detectors().windows(2).all(|w| w[0].rule <= w[1].rule));

        assert!(rules.set_level("AAA001", Level::Error));
        assert_eq!(rules.get("AAA001").unwrap().level, Level::Error);
        assert!(!rules.set_level("NOPE001", Level::Error));
    }

    #[test]
    fn added_rules_need_a_free_id_and_name_and_a_compiling_pattern() {
        let mut rules = RuleSet::builtin().unwrap();
        let count = rules.detectors().len();
        let taken_id = rules.add_rule(custom_spec("KAT001", "other"), "test");
        assert!(matches!(
            taken_id,
            Err(AddRuleError {
                detector: None,
                error: RuleError::DuplicateId { .. }
            })
        ));
        let taken_name = rules.add_rule(custom_spec("ABC001", "live-key"), "test");
        assert!(matches!(
            taken_name,
            Err(AddRuleError {
                error: RuleError::DuplicateName { .. },
                ..
            })
        ));
        let mut bad = custom_spec("ABC002", "bad");
        bad.detectors[0].pattern = "zzz_token_(".into();
        assert!(matches!(
            rules.add_rule(bad, "test"),
            Err(AddRuleError {
                detector: Some(0),
                error: RuleError::BadPattern { .. }
            })
        ));
        let mut huge = custom_spec("ABC003", "huge");
        huge.detectors[0].pattern = "zzz_token_\\w{1000}{1000}".into();
        assert!(matches!(
            rules.add_rule(huge, "test"),
            Err(AddRuleError {
                detector: Some(0),
                error: RuleError::BadPattern { .. }
            })
        ));
        assert_eq!(
            rules.detectors().len(),
            count,
            "a refused rule changes nothing"
        );
        assert!(rules.get("ABC002").is_none() && rules.get("ABC003").is_none());
    }

    #[test]
    fn kat002_finds_exactly_what_kat001_finds() {
        // KAT002 is KAT001 in a client file: same pattern, same placeholder
        // filter, or a key could be reported in one place and not the other.
        let rules = RuleSet::builtin().unwrap();
        let detector = |id: &str| {
            let mut detectors = rules.detectors_of(rules.get(id).unwrap());
            let first = detectors.next().unwrap();
            assert!(detectors.next().is_none(), "{id} has one detector");
            (first.pattern.clone(), format!("{:?}", first.filter))
        };
        assert_eq!(detector("KAT001"), detector("KAT002"));
        assert_eq!(rules.get("KAT002").unwrap().replaces, ["KAT001"]);
    }

    #[test]
    fn messages_name_the_finding_the_key_id_and_the_client_reason() {
        assert_eq!(
            Rule::render_message(
                "`{finding}` is inlined by Vite; key `{key_id}`",
                Some("Ab12"),
                None,
                "VITE_KATALO_API_KEY"
            ),
            "`VITE_KATALO_API_KEY` is inlined by Vite; key `Ab12`"
        );
        assert_eq!(
            Rule::render_message(
                "key `{key_id}` ships: {reason}",
                Some("Ab12"),
                Some("dist/"),
                "k"
            ),
            "key `Ab12` ships: dist/"
        );
        assert_eq!(
            Rule::render_message("no placeholders", None, None, "x"),
            "no placeholders"
        );
    }

    #[test]
    fn help_cannot_use_the_finding_placeholder() {
        let text = r#"
id = "DEMO001"
name = "demo"
level = "warning"
summary = "demo"
help = "Rename `{finding}`."
description = "demo"
precision = "high"

[[detector]]
message = "`{finding}` is public"
keywords = ["TOKEN_"]
pattern = 'TOKEN_[a-z]+'
"#;
        let error = RuleSet::from_sources([("demo.toml", text)]).unwrap_err();
        assert!(
            matches!(&error, RuleError::Inconsistent { message, .. } if message.contains("{finding}")),
            "{error}"
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
