//! Runs a rule set over one buffer of bytes and returns its findings.
//!
//! The buffer is never decoded: rules are `regex::bytes` patterns, so
//! invalid UTF-8 never hides a key. Work is proportional to what matches:
//! the prefilter decides which rules run, and line numbers, snippets and
//! fingerprints are only computed for matches that survive the filters.
//! Inline suppression directives ([`crate::suppress`]) are applied here, so
//! every caller that has the file's bytes gets them.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use crate::client::{Classifier, Region, Verdict};
use crate::comments::{self, CommentLexer, CommentSyntax};
use crate::encoded::encoded_runs;
use crate::finding::{Finding, Suppression, fingerprint};
use crate::location::LineIndex;
use crate::prefilter::{Candidates, Prefilter};
use crate::redact;
use crate::rules::{Condition, ConditionScope, Detector, Rule, RuleSet, Scope, compile_condition};
use crate::snippet::{self, Masks};
use crate::suppress::Directives;
use regex::bytes::Regex;

/// Scans buffers with one compiled rule set. Shared by all scan threads.
#[derive(Debug)]
pub struct Scanner<'r> {
    rules: &'r RuleSet,
    prefilter: Prefilter,
    classifier: Classifier,
    redact: bool,
}

/// A detector match, before it becomes a [`Finding`].
struct RawMatch<'r> {
    rule: &'r Rule,
    detector: &'r Detector,
    span: Range<usize>,
    key_id: Option<Range<usize>>,
    secret: Option<Range<usize>>,
    /// Why the file ships to clients, for client-scoped detectors.
    client_reason: Option<Arc<str>>,
}

impl<'r> Scanner<'r> {
    /// A scanner with the built-in client-file classification.
    /// `redact: false` is `--no-redact`: findings then carry the full secret.
    ///
    /// # Panics
    /// If the built-in classification data is invalid, which the test suite
    /// rules out; the CLI builds its classifier with [`Scanner::with_classifier`]
    /// and reports such an error instead.
    pub fn new(rules: &'r RuleSet, redact: bool) -> Self {
        let classifier =
            Classifier::builtin().expect("the built-in client classification is valid (tested)");
        Self::with_classifier(rules, redact, classifier)
    }

    pub fn with_classifier(rules: &'r RuleSet, redact: bool, classifier: Classifier) -> Self {
        Scanner {
            rules,
            prefilter: Prefilter::new(rules),
            classifier,
            redact,
        }
    }

    /// The rules this scanner runs.
    pub fn rules(&self) -> &'r RuleSet {
        self.rules
    }

    /// All findings in `source`, the contents of the file reported as
    /// `path` (relative, `/`-separated; used for path scopes, comment syntax
    /// and reports). Without a location on disk, which files ship to
    /// clients is decided from the path and contents alone.
    pub fn scan(&self, path: &str, source: &[u8]) -> Vec<Finding> {
        self.scan_at(path, None, source)
    }

    /// [`Scanner::scan`] for a file read from `location` on disk, where the
    /// directories above it tell which kind of project it belongs to. Keys
    /// behind an encoding ([`crate::encoded`]) are found too.
    pub fn scan_at(&self, path: &str, location: Option<&Path>, source: &[u8]) -> Vec<Finding> {
        let candidates = self.prefilter.candidates(source);
        let mut findings: Vec<Finding> = self
            .scan_candidates(path, location, source, &candidates, None)
            .into_iter()
            .map(|(_, finding)| finding)
            .collect();
        if candidates.may_hold_encoded_keys() {
            self.scan_encoded(path, location, source, &mut findings);
        }
        findings
    }

    /// [`Scanner::scan_at`] of the plain text only, each finding with the
    /// detector that made it: the example check holds every detector to
    /// its own examples, not to what a sibling detector of the same rule
    /// reports.
    pub(crate) fn scan_attributed(
        &self,
        path: &str,
        location: Option<&Path>,
        source: &[u8],
    ) -> Vec<(&'r Detector, Finding)> {
        let candidates = self.prefilter.candidates(source);
        self.scan_candidates(path, location, source, &candidates, None)
    }

    /// The findings of the detectors in `candidates` over `source`. With
    /// `decoded_from`, `source` was decoded from an encoded run of that
    /// file: client exposure is the file's (its `"use client"`, its
    /// shipped regions at the run), not the decoded text's.
    fn scan_candidates(
        &self,
        path: &str,
        location: Option<&Path>,
        source: &[u8],
        candidates: &Candidates,
        decoded_from: Option<(&[u8], &Range<usize>)>,
    ) -> Vec<(&'r Detector, Finding)> {
        if candidates.is_empty() {
            return Vec::new();
        }
        let mut matches = Vec::new();
        // Classified at most once, and only when a client-scoped detector
        // has something to look at.
        let mut verdict: Option<Option<Verdict>> = None;
        for (index, detector) in self.rules.detectors().iter().enumerate() {
            if !candidates.contains(index) || !detector.applies_to(path) {
                continue;
            }
            let client_reason = match detector.scope {
                Scope::Any => None,
                Scope::Client => {
                    let file = decoded_from.map_or(source, |(file, _)| file);
                    let verdict = verdict
                        .get_or_insert_with(|| self.classifier.classify(path, location, file));
                    match verdict {
                        Some(verdict) if verdict.is_client() => Some(Arc::clone(&verdict.reason)),
                        _ => continue,
                    }
                }
            };
            let rule = self.rules.rule_of(detector);
            collect_matches(rule, detector, source, client_reason, &mut matches);
        }
        if let Some(Some(verdict)) = &verdict
            && verdict.region != Region::Whole
        {
            match decoded_from {
                None => keep_client_matches_in_region(verdict.region, source, &mut matches),
                Some((file, run)) => {
                    keep_client_matches_at_run(verdict.region, file, run, &mut matches);
                }
            }
        }
        if matches.is_empty() {
            return Vec::new();
        }
        // Every secret is masked wherever it shows: any key-shaped token in
        // the file, whether or not a key rule ran or kept it (a CORS
        // snippet or `match` can cover one, and a crop can cut a token so
        // that the output gate no longer sees its prefix), and every secret
        // a detector's `secret` group saw.
        let masks = if self.redact {
            Masks::new(
                redact::secret_ranges(source)
                    .into_iter()
                    .chain(matches.iter().filter_map(|m| m.secret.clone())),
            )
        } else {
            Masks::default()
        };

        // Ascending offsets let the comment lexer and the line index work
        // in one forward pass.
        matches.sort_by_key(|m| (m.span.start, m.span.end));
        drop_commented(path, source, &mut matches);
        let index = LineIndex::new(source);
        let syntax = comments::syntax_for(path).unwrap_or(comments::PLAIN);
        let mut conditions = ConditionCheck::new(source, &index, syntax);
        matches.retain(|m| conditions.passes(m));
        drop_replaced(&mut matches);
        if matches.is_empty() {
            return Vec::new();
        }

        // Suppressed findings are kept, marked: reporters list them and
        // the exit status ignores them.
        let directives = Directives::find(source, &index);

        // Already in offset order; the walker sorts across files by path,
        // line, column and rule.
        matches
            .into_iter()
            .map(|m| {
                let suppression = directives
                    .covering(&m.rule.id, &m.span, &index)
                    .map(|directive| directive.suppression(source, &masks));
                let detector = m.detector;
                (
                    detector,
                    self.finding(path, source, &index, &masks, m, suppression),
                )
            })
            .collect()
    }

    /// Adds to `findings` the keys in `text`'s encoded runs, each reported
    /// at its run (`path` and `location` as for the text itself, so a key
    /// behind base64 in a client bundle is KAT002 like a plain one). Where
    /// there is one, every snippet of the file is rebuilt with the encoded runs
    /// masked too: the output gate knows the shape of a key, not of its base64,
    /// so a snippet must never show an encoded secret.
    fn scan_encoded(
        &self,
        path: &str,
        location: Option<&Path>,
        text: &[u8],
        findings: &mut Vec<Finding>,
    ) {
        let runs = encoded_runs(text);
        if runs.is_empty() {
            return;
        }
        let index = LineIndex::new(text);
        let masks = if self.redact {
            Masks::new(
                redact::secret_ranges(text)
                    .into_iter()
                    .chain(runs.iter().map(|run| run.span.clone())),
            )
        } else {
            Masks::default()
        };
        for finding in findings.iter_mut() {
            finding.snippet = snippet::build(text, &index, finding.span.clone(), &masks);
        }
        let directives = Directives::find(text, &index);
        for run in &runs {
            let candidates = self.prefilter.candidates(&run.decoded);
            let decoded = self.scan_candidates(
                path,
                location,
                &run.decoded,
                &candidates,
                Some((text, &run.span)),
            );
            for (_, mut finding) in decoded {
                // The key rules name the key; other rules' matches inside the
                // decoded text (a CORS header in a base64 blob) are not what
                // the encoding hides.
                if finding.key_id.is_none() {
                    continue;
                }
                // A key written plainly next to encoded text (`…%20`) is
                // the plain detectors' finding, not a second one.
                let key = run.decoded.get(finding.span.clone()).unwrap_or_default();
                if memchr::memmem::find(text, key).is_some() {
                    continue;
                }
                finding.message = format!("{} ({})", finding.message, run.encoding.describe());
                finding.start = index.position(run.span.start);
                finding.end = index.position(run.span.end);
                finding.span = run.span.clone();
                finding.fingerprint = fingerprint(&finding.rule_id, path, &text[run.span.clone()]);
                finding.snippet = snippet::build(text, &index, run.span.clone(), &masks);
                finding.suppression = directives
                    .covering(&finding.rule_id, &run.span, &index)
                    .map(|directive| directive.suppression(text, &masks));
                findings.push(finding);
            }
        }
        findings.sort_by_key(|finding| (finding.span.start, finding.span.end));
    }

    fn finding(
        &self,
        path: &str,
        source: &[u8],
        index: &LineIndex<'_>,
        masks: &Masks,
        m: RawMatch<'_>,
        suppression: Option<Suppression>,
    ) -> Finding {
        let key_id = m
            .key_id
            .map(|range| String::from_utf8_lossy(&source[range]).into_owned());
        let matched_raw = &source[m.span.clone()];
        let matched = String::from_utf8_lossy(&masks.masked(source, m.span.clone())).into_owned();
        Finding {
            rule_id: m.rule.id.clone(),
            rule_name: m.rule.name.clone(),
            level: m.rule.level,
            path: path.to_string(),
            start: index.position(m.span.start),
            end: index.position(m.span.end),
            message: Rule::render_message(
                &m.detector.message,
                key_id.as_deref(),
                m.client_reason.as_deref(),
                &matched,
            ),
            help: Rule::render(
                &m.detector.help,
                key_id.as_deref(),
                m.client_reason.as_deref(),
            ),
            key_id,
            matched,
            fingerprint: fingerprint(&m.rule.id, path, matched_raw),
            raw_path: None,
            history: None,
            span: m.span.clone(),
            snippet: snippet::build(source, index, m.span, masks),
            suppression,
        }
    }
}

/// Every match of `detector` in `source`, placeholders filtered out.
///
/// A secret never contains one of its detector's keywords: in
/// `kat_live_A.<secret>kat_live_B.<secret>` (two keys written back to
/// back) the first secret group would otherwise swallow `kat_live_B` and
/// hide the second key. The regex crate has no look-ahead, so the search is
/// cut short there instead: the match is retried on the text before the
/// keyword (where it must still satisfy the whole pattern, minimum secret
/// length included, with `$` at the cut), then the search goes on from the
/// keyword over the whole text.
fn collect_matches<'r>(
    rule: &'r Rule,
    detector: &'r Detector,
    source: &[u8],
    client_reason: Option<Arc<str>>,
    out: &mut Vec<RawMatch<'r>>,
) {
    let Some(compiled) = detector.compiled() else {
        return;
    };
    let mut at = 0;
    // Matches may not reach past `limit`: the start of a keyword found
    // inside a secret.
    let mut limit = source.len();
    loop {
        let Some(captures) = compiled.regex.captures_at(&source[..limit], at) else {
            if limit == source.len() {
                break;
            }
            at = limit;
            limit = source.len();
            continue;
        };
        let group = |index: Option<usize>| index.and_then(|i| captures.get(i)).map(|m| m.range());
        let whole = captures
            .get(0)
            .expect("group 0 always participates")
            .range();
        let span = group(compiled.groups.finding).unwrap_or(whole.clone());
        let key_id = group(compiled.groups.key_id);
        let secret = group(compiled.groups.secret);
        if let Some(keyword) = secret
            .as_ref()
            .and_then(|secret| keyword_inside(detector, source, secret.clone()))
        {
            at = whole.start;
            limit = keyword;
            continue;
        }
        let placeholder = match (&detector.filter, &secret) {
            (Some(filter), Some(secret)) => {
                let key_id_bytes = key_id.clone().map(|range| &source[range]);
                filter.is_placeholder(key_id_bytes, &source[secret.clone()])
            }
            _ => false,
        };
        if !placeholder {
            out.push(RawMatch {
                rule,
                detector,
                span,
                key_id,
                secret,
                client_reason: client_reason.clone(),
            });
        }
        // After an empty match the search moves one byte on, as
        // `captures_iter` does; at the end of the text, it is over.
        at = whole.end + usize::from(whole.is_empty());
        if at > limit {
            if limit == source.len() {
                break;
            }
            at = limit;
            limit = source.len();
        }
    }
}

/// Where the first of `detector`'s keywords starts inside `secret` (not at
/// its very start, so the search always moves on), if one does.
fn keyword_inside(detector: &Detector, source: &[u8], secret: Range<usize>) -> Option<usize> {
    let inside = secret.start + 1..secret.end;
    detector
        .keywords
        .iter()
        .filter_map(|keyword| {
            memchr::memmem::find(&source[inside.clone()], keyword.as_bytes())
                .map(|offset| inside.start + offset)
        })
        .min()
}

/// In a file of which only a region ships (an Astro or template file's
/// `<script>` elements, a Next.js page outside its data functions),
/// client-scoped matches elsewhere do not count.
fn keep_client_matches_in_region(region: Region, source: &[u8], matches: &mut Vec<RawMatch<'_>>) {
    if !matches.iter().any(|m| m.client_reason.is_some()) {
        return;
    }
    let Some(shipped) = region.client_ranges(source) else {
        return;
    };
    matches.retain(|m| {
        m.client_reason.is_none()
            || shipped
                .iter()
                .any(|s| s.start <= m.span.start && m.span.start < s.end)
    });
}

/// [`keep_client_matches_in_region`] for matches in text decoded from the
/// run `run` of `file`: they ship when the run does.
fn keep_client_matches_at_run(
    region: Region,
    file: &[u8],
    run: &Range<usize>,
    matches: &mut Vec<RawMatch<'_>>,
) {
    let shipped = region.client_ranges(file).is_none_or(|ranges| {
        ranges
            .iter()
            .any(|s| s.start <= run.start && run.start < s.end)
    });
    if !shipped {
        matches.retain(|m| m.client_reason.is_none());
    }
}

/// Drops matches of `skip_comments` detectors that start inside a comment.
/// `matches` must be sorted by start.
fn drop_commented(path: &str, source: &[u8], matches: &mut Vec<RawMatch<'_>>) {
    if !matches.iter().any(|m| m.detector.skip_comments) {
        return;
    }
    let Some(syntax) = comments::syntax_for(path) else {
        return;
    };
    let mut lexer = CommentLexer::new(source, syntax);
    matches.retain(|m| !m.detector.skip_comments || !lexer.in_comment(m.span.start));
}

/// Bytes a condition window reaches per line of `within_lines`, on each side.
const WINDOW_BYTES_PER_LINE: usize = 1024;

/// Evaluates `requires` and `unless` conditions for the matches of one
/// file. A condition without a line window has the same answer for every
/// match, so it is searched once per file, not once per match: a 20 MB
/// config with thousands of matches stays linear. Answers are kept by
/// pattern: two detectors asking the same question share the answer.
struct ConditionCheck<'s, 'i, 'r> {
    source: &'s [u8],
    index: &'i LineIndex<'s>,
    /// Comment and string syntax, for `scope = "block"` conditions.
    syntax: CommentSyntax,
    /// Answers of whole-file conditions, by pattern (after `{finding}` is
    /// replaced).
    whole_file: HashMap<String, bool>,
    /// Compiled `{finding}` patterns, by the pattern with the text put in.
    per_finding: HashMap<String, Option<Regex>>,
    rules: PhantomData<&'r Condition>,
}

impl<'s, 'i, 'r> ConditionCheck<'s, 'i, 'r> {
    fn new(source: &'s [u8], index: &'i LineIndex<'s>, syntax: CommentSyntax) -> Self {
        ConditionCheck {
            source,
            index,
            syntax,
            whole_file: HashMap::new(),
            per_finding: HashMap::new(),
            rules: PhantomData,
        }
    }

    /// `requires` all hold and no `unless` holds, each within its window.
    fn passes(&mut self, m: &RawMatch<'r>) -> bool {
        let detector = m.detector;
        detector.requires.iter().all(|c| self.holds(c, &m.span))
            && !detector.unless.iter().any(|c| self.holds(c, &m.span))
    }

    fn holds(&mut self, condition: &'r Condition, span: &Range<usize>) -> bool {
        // A pattern naming `{finding}` asks about this match's own text (the
        // variable or constant it reported): compiled once per distinct text.
        let substituted = condition
            .uses_finding()
            .then(|| condition.pattern_for(&self.source[span.clone()]));
        let regex = match &substituted {
            None => condition.regex().cloned(),
            Some(pattern) => self
                .per_finding
                .entry(pattern.clone())
                .or_insert_with(|| compile_condition(pattern))
                .clone(),
        };
        let Some(regex) = regex else {
            return false;
        };
        match condition.within_lines {
            None => {
                let key = substituted.unwrap_or_else(|| condition.pattern.clone());
                *self
                    .whole_file
                    .entry(key)
                    .or_insert_with(|| regex.is_match(self.source))
            }
            Some(lines) => {
                let index = self.index;
                let first = index.line_of(span.start).saturating_sub(lines);
                let last_line = index.line_of(span.end.saturating_sub(1).max(span.start));
                let last = (last_line + lines).min(index.line_count() - 1);
                // In a minified bundle one "line" is megabytes: bound the
                // window in bytes too, so thousands of matches stay cheap.
                let reach = (lines + 1) * WINDOW_BYTES_PER_LINE;
                let start = index
                    .line_bounds(first)
                    .0
                    .max(span.start.saturating_sub(reach));
                let end = index
                    .line_bounds(last)
                    .1
                    .min(span.end.saturating_add(reach));
                let end = end.max(start);
                match condition.scope {
                    ConditionScope::Window => regex.is_match(&self.source[start..end]),
                    ConditionScope::Block => self.in_enclosing_block(&regex, start..end, span),
                }
            }
        }
    }

    /// Whether `regex` matches in `window` with both ends of the match in
    /// blocks that enclose `span`. Every match start is tried (a rejected
    /// match in a sibling block may overlap an accepted one); windows are a
    /// few KiB, so this stays cheap.
    fn in_enclosing_block(&self, regex: &Regex, window: Range<usize>, span: &Range<usize>) -> bool {
        let braces = CommentLexer::code_braces(self.source, self.syntax, window.clone());
        let text = &self.source[window.clone()];
        let mut at = 0;
        while let Some(found) = regex.find_at(text, at) {
            let (first, last) = (
                window.start + found.start(),
                window.start + found.end().saturating_sub(1).max(found.start()),
            );
            if encloses(&braces, first, span) && encloses(&braces, last, span) {
                return true;
            }
            at = found.start() + 1;
            if at > text.len() {
                break;
            }
        }
        false
    }
}

/// Whether the innermost `{…}` block around `at` (or the header before its
/// `{`) also holds `span`: walking from `at` towards the span, the brace
/// depth never leaves the block `at` is in. `braces` are sorted offsets
/// (true: `{`).
fn encloses(braces: &[(usize, bool)], at: usize, span: &Range<usize>) -> bool {
    if span.contains(&at) {
        return true;
    }
    let mut depth = 0i64;
    if at < span.start {
        let from = braces.partition_point(|&(offset, _)| offset < at);
        for &(offset, open) in &braces[from..] {
            if offset >= span.start {
                break;
            }
            depth += if open { 1 } else { -1 };
            if depth < 0 {
                return false;
            }
        }
    } else {
        let to = braces.partition_point(|&(offset, _)| offset < at);
        for &(offset, open) in braces[..to].iter().rev() {
            if offset < span.end {
                break;
            }
            depth += if open { -1 } else { 1 };
            if depth < 0 {
                return false;
            }
        }
    }
    true
}

/// Where a rule that `replaces` others matched, their overlapping matches
/// go (CORS003 credentials-with-any-origin replaces CORS001 and CORS002 at
/// the same spot). Replacing spans are sorted, so each match only looks at
/// the spans that can reach it.
fn drop_replaced(matches: &mut Vec<RawMatch<'_>>) {
    if !matches.iter().any(|m| !m.rule.replaces.is_empty()) {
        return;
    }
    let mut replacing: Vec<(Range<usize>, &[String])> = matches
        .iter()
        .filter(|m| !m.rule.replaces.is_empty())
        .map(|m| (m.span.clone(), m.rule.replaces.as_slice()))
        .collect();
    replacing.sort_by_key(|(span, _)| span.start);
    // Longest reach of any replacing span starting at or before each one.
    let reach: Vec<usize> = replacing
        .iter()
        .scan(0, |furthest, (span, _)| {
            *furthest = (*furthest).max(span.end.max(span.start + 1));
            Some(*furthest)
        })
        .collect();
    matches.retain(|m| {
        let candidates =
            replacing.partition_point(|(span, _)| span.start < m.span.end.max(m.span.start + 1));
        !(0..candidates)
            .rev()
            .take_while(|&i| reach[i] > m.span.start)
            .any(|i| {
                let (span, replaced) = &replacing[i];
                replaced.contains(&m.rule.id) && overlaps(span, &m.span)
            })
    });
}

fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    // Empty spans (a zero-width match) overlap a span that contains them.
    a.start < b.end.max(b.start + 1) && b.start < a.end.max(a.start + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Assembled at run time so this file holds no key literal of its own.
    const KEY_ID: &str = "8jzPde0IgxLd6";
    const SECRET: &str = "Bel31iEl2hpChYgCfrL1spNxnyVmihA-2O76";

    fn key() -> String {
        format!("kat_live_{KEY_ID}.{SECRET}")
    }

    #[test]
    fn finds_and_redacts_a_key() {
        let rules = RuleSet::builtin().unwrap();
        let scanner = Scanner::new(&rules, true);
        let source = format!("line one\nKATALO_API_KEY={}\n", key());
        let findings = scanner.scan(".env", source.as_bytes());
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.rule_id, "KAT001");
        assert_eq!((finding.start.line, finding.start.column), (2, 16));
        assert_eq!(
            (finding.end.line, finding.end.column),
            (2, 16 + key().len())
        );
        assert_eq!(finding.key_id.as_deref(), Some(KEY_ID));
        assert_eq!(
            finding.matched,
            format!("kat_live_8jzPde0IgxLd6.{}", "*".repeat(SECRET.len()))
        );
        assert!(!finding.snippet.text.contains(SECRET));
        assert!(!finding.message.contains(SECRET));
    }

    fn rule_ids(path: &str, source: &str) -> Vec<(String, usize)> {
        let rules = RuleSet::builtin().unwrap();
        Scanner::new(&rules, true)
            .scan(path, source.as_bytes())
            .into_iter()
            .map(|f| (f.rule_id, f.start.line))
            .collect()
    }

    #[test]
    fn a_replacing_rule_hides_the_rules_it_replaces_at_that_spot() {
        let source = "r.headers['Access-Control-Allow-Origin'] = '*'\n\
                      r.headers['Access-Control-Allow-Credentials'] = 'true'\n";
        assert_eq!(rule_ids("app.py", source), vec![("CORS003".to_string(), 1)]);
        // Without credentials nearby, the wildcard is CORS001.
        let source = "r.headers['Access-Control-Allow-Origin'] = '*'\n";
        assert_eq!(rule_ids("app.py", source), vec![("CORS001".to_string(), 1)]);
    }

    #[test]
    fn conditions_look_only_within_their_line_window() {
        let far = "\n".repeat(10);
        let source = format!(
            "r.headers['Access-Control-Allow-Origin'] = '*'{far}\
             r.headers['Access-Control-Allow-Credentials'] = 'true'\n"
        );
        assert_eq!(
            rule_ids("app.py", &source),
            vec![("CORS001".to_string(), 1)]
        );
    }

    #[test]
    fn a_finding_far_from_the_start_of_a_large_file_is_found() {
        // Gate words on every line (the adversarial corpus of issue 13):
        // the keyword of the finding is searched only near gate-word hits,
        // and must still be found 2 MB in.
        let filler = "origin = request.headers.get('Origin')  # cors check\n".repeat(40_000);
        let source = format!(
            "{filler}r.headers['Access-Control-Allow-Origin'] = '*'\nKATALO_API_KEY={}\n",
            key()
        );
        assert_eq!(
            rule_ids("app.py", &source),
            vec![
                ("CORS001".to_string(), 40_001),
                ("KAT001".to_string(), 40_002)
            ]
        );
    }

    #[test]
    fn commented_out_constructs_do_not_fire_but_keys_in_comments_do() {
        let source = format!(
            "# r.headers['Access-Control-Allow-Origin'] = '*'\n# {}\n",
            key()
        );
        assert_eq!(rule_ids("app.py", &source), vec![("KAT001".to_string(), 2)]);
    }

    #[test]
    fn a_span_that_covers_someone_elses_key_shows_it_masked() {
        // A multi-line construct reported by one rule can contain a key
        // found by another; the key's secret must not leak through the
        // construct's `match` text or its snippet.
        let demo = "id = \"DEMO001\"\nname = \"demo\"\nlevel = \"warning\"\nsummary = \"s\"\n\
                    help = \"h\"\ndescription = \"d\"\nprecision = \"low\"\n[[detector]]\n\
                    message = \"config block\"\nkeywords = [\"config {\"]\n\
                    pattern = 'config \\{[^}]*\\}'\n";
        let kat001 = include_str!("../rules/kat001-live-key.toml");
        let rules = RuleSet::from_sources([("demo.toml", demo), ("kat001.toml", kat001)]).unwrap();
        let source = format!("config {{\n  key = \"{}\"\n}}\n", key());
        let findings = Scanner::new(&rules, true).scan("app.conf", source.as_bytes());
        let block = findings.iter().find(|f| f.rule_id == "DEMO001").unwrap();
        assert!(block.matched.contains(KEY_ID), "{}", block.matched);
        assert!(!block.matched.contains(SECRET), "{}", block.matched);
        assert!(!block.snippet.text.contains(SECRET));
    }

    #[test]
    fn a_condition_can_ask_about_the_reported_text_itself() {
        // `{finding}` in a condition is the match's own text, escaped: the
        // variable passed to `set(…)` must be the one assigned "null".
        let demo = "id = \"DEMO001\"\nname = \"demo\"\nlevel = \"warning\"\nsummary = \"s\"\n\
                    help = \"h\"\ndescription = \"d\"\nprecision = \"low\"\n[[detector]]\n\
                    message = \"set to {finding}\"\nkeywords = [\"set(\"]\n\
                    pattern = 'set\\((?P<finding>[^)\\n]+)\\)'\n\
                    requires = [{ pattern = '(?m)^{finding} = \"null\"' }]\n";
        let rules = RuleSet::from_sources([("demo.toml", demo)]).unwrap();
        let source = "a = \"null\"\naXb = \"null\"\n\u{e9} = \"null\"\n\
                      set(a)\nset(b)\nset(a.b)\nset(\u{e9})\n";
        let lines: Vec<usize> = Scanner::new(&rules, true)
            .scan("app.txt", source.as_bytes())
            .into_iter()
            .map(|f| f.start.line)
            .collect();
        assert_eq!(lines, [4, 7]);
    }

    #[test]
    fn inline_directives_mark_findings_suppressed_not_dropped() {
        let rules = RuleSet::builtin().unwrap();
        let scanner = Scanner::new(&rules, true);
        let source = format!(
            "# katscan:allow KAT001 -- rotated, kept for the test of {}\nA={}\nB={}\n",
            key(),
            key(),
            key()
        );
        let findings = scanner.scan(".env", source.as_bytes());
        let lines: Vec<(usize, bool)> = findings
            .iter()
            .map(|f| (f.start.line, f.suppression.is_some()))
            .collect();
        // The directive's own line and the next; not the line after that.
        assert_eq!(lines, [(1, true), (2, true), (3, false)]);
        let suppression = findings[0].suppression.as_ref().unwrap();
        assert_eq!(suppression.kind, crate::SuppressionKind::InSource);
        // The reason quotes a key: its secret is masked there too.
        let reason = suppression.justification.as_deref().unwrap();
        assert!(reason.starts_with("rotated, kept"), "{reason}");
        assert!(
            reason.contains(KEY_ID) && !reason.contains(SECRET),
            "{reason}"
        );
    }

    #[test]
    fn no_redact_keeps_the_secret() {
        let rules = RuleSet::builtin().unwrap();
        let scanner = Scanner::new(&rules, false);
        let findings = scanner.scan("a.txt", key().as_bytes());
        assert_eq!(findings[0].matched, key());
        assert!(findings[0].snippet.text.contains(SECRET));
    }

    /// `(rule, key id, line, first column, end column)` of each finding.
    fn key_findings(path: &str, source: &str) -> Vec<(String, String, usize, usize, usize)> {
        let rules = RuleSet::builtin().unwrap();
        Scanner::new(&rules, true)
            .scan(path, source.as_bytes())
            .into_iter()
            .map(|f| {
                (
                    f.rule_id,
                    f.key_id.unwrap_or_default(),
                    f.start.line,
                    f.start.column,
                    f.end.column,
                )
            })
            .collect()
    }

    #[test]
    fn keys_written_back_to_back_are_two_findings() {
        // Issue 9: the first secret group swallowed the second key's
        // `kat_live_<id>`, and the second key was never reported.
        let second = format!("kat_live_Ab3dE9zq.{}", "Zr5Tq8Wm2Xn7Lp4Kv9Bc1Hd6Jf3Gs0Qe");
        let source = format!("k={}{second}\n", key());
        let first_end = 3 + key().len();
        let row = |rule: &str, id: &str, start: usize, end: usize| {
            (rule.to_string(), id.to_string(), 1, start, end)
        };
        assert_eq!(
            key_findings(".env", &source),
            [
                row("KAT001", KEY_ID, 3, first_end),
                row("KAT001", "Ab3dE9zq", first_end, first_end + second.len()),
            ]
        );
        // The same in a file that ships to clients: KAT002, twice.
        assert_eq!(
            key_findings("dist/app.js", &format!("var k=\"{}{second}\";", key())),
            [
                row("KAT002", KEY_ID, 8, 8 + key().len()),
                row(
                    "KAT002",
                    "Ab3dE9zq",
                    8 + key().len(),
                    8 + key().len() + second.len()
                ),
            ]
        );
        // Three in a row, and no masking of one by another: each secret is
        // masked, each id shown.
        let rules = RuleSet::builtin().unwrap();
        let findings =
            Scanner::new(&rules, true).scan("a.txt", format!("{0}{0}{0}", key()).as_bytes());
        assert_eq!(findings.len(), 3);
        for finding in &findings {
            assert_eq!(
                finding.matched,
                format!("kat_live_{KEY_ID}.{}", "*".repeat(SECRET.len()))
            );
        }
    }

    #[test]
    fn a_secret_cut_too_short_by_the_next_key_is_not_a_key() {
        // Cut before the next `kat_live_`, the first secret keeps 10
        // characters: below the pattern's 16, so only the second key is
        // reported.
        let source = format!("kat_live_Ab3dE9zq.Zr5Tq8Wm2X{}", key());
        assert_eq!(
            key_findings("a.txt", &source),
            [(
                "KAT001".to_string(),
                KEY_ID.to_string(),
                1,
                29,
                29 + key().len()
            )]
        );
    }

    #[test]
    fn invalid_utf8_does_not_hide_a_key() {
        let rules = RuleSet::builtin().unwrap();
        let scanner = Scanner::new(&rules, true);
        let mut source = b"\xff\xfe\xc3(garbage) ".to_vec();
        source.extend_from_slice(key().as_bytes());
        let findings = scanner.scan("blob.bin", &source);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].start.column, 14);
    }
}
