//! One Aho-Corasick pass over a file decides which detectors run on it.
//!
//! Rule regexes are comparatively expensive; almost every file in a tree
//! contains none of the rule keywords, so the whole rule set costs about one
//! literal search per file. Keywords are case-sensitive unless a rule asks
//! otherwise (`keywords_ignore_case`): the case-sensitive automaton keeps
//! the fast SIMD prefilters, and header names such as
//! `Access-Control-Allow-Origin` can still match in any case.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::rules::RuleSet;

/// Which detectors of a [`RuleSet`] may match, by index into
/// `RuleSet::detectors()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidates {
    hit: Vec<bool>,
    remaining: usize,
}

impl Candidates {
    fn none(detector_count: usize) -> Self {
        Candidates {
            hit: vec![false; detector_count],
            remaining: detector_count,
        }
    }

    fn mark(&mut self, rule: usize) {
        if !self.hit[rule] {
            self.hit[rule] = true;
            self.remaining -= 1;
        }
    }

    fn all_marked(&self) -> bool {
        self.remaining == 0
    }

    pub fn contains(&self, rule: usize) -> bool {
        self.hit[rule]
    }

    pub fn is_empty(&self) -> bool {
        self.remaining == self.hit.len()
    }
}

/// Keyword automata over every rule of a set.
#[derive(Debug)]
pub struct Prefilter {
    detector_count: usize,
    exact: Option<Automaton>,
    ignore_case: Option<Automaton>,
}

#[derive(Debug)]
struct Automaton {
    searcher: AhoCorasick,
    /// Pattern index -> detectors that own that keyword.
    owners: Vec<Vec<usize>>,
}

impl Automaton {
    fn build(keywords: Vec<(String, Vec<usize>)>, ignore_case: bool) -> Option<Automaton> {
        if keywords.is_empty() {
            return None;
        }
        let (patterns, owners): (Vec<String>, Vec<Vec<usize>>) = keywords.into_iter().unzip();
        let searcher = AhoCorasickBuilder::new()
            .ascii_case_insensitive(ignore_case)
            // Overlapping search needs standard semantics; a keyword that is
            // a substring of another (`cors` in `CorsLayer`) must still count.
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .expect("keywords are non-empty literals, validated at rule load");
        Some(Automaton { searcher, owners })
    }

    fn mark(&self, haystack: &[u8], candidates: &mut Candidates) {
        for found in self.searcher.find_overlapping_iter(haystack) {
            for &rule in &self.owners[found.pattern().as_usize()] {
                candidates.mark(rule);
            }
            if candidates.all_marked() {
                return;
            }
        }
    }
}

impl Prefilter {
    pub fn new(rules: &RuleSet) -> Prefilter {
        let mut exact: Vec<(String, Vec<usize>)> = Vec::new();
        let mut ignore_case: Vec<(String, Vec<usize>)> = Vec::new();
        for (index, detector) in rules.detectors().iter().enumerate() {
            let table = if detector.keywords_ignore_case {
                &mut ignore_case
            } else {
                &mut exact
            };
            for keyword in &detector.keywords {
                match table.iter_mut().find(|(k, _)| k == keyword) {
                    Some((_, owners)) => owners.push(index),
                    None => table.push((keyword.clone(), vec![index])),
                }
            }
        }
        Prefilter {
            detector_count: rules.detectors().len(),
            exact: Automaton::build(exact, false),
            ignore_case: Automaton::build(ignore_case, true),
        }
    }

    /// The detectors whose keywords occur in `haystack`.
    pub fn candidates(&self, haystack: &[u8]) -> Candidates {
        let mut candidates = Candidates::none(self.detector_count);
        for automaton in [&self.exact, &self.ignore_case].into_iter().flatten() {
            if candidates.all_marked() {
                break;
            }
            automaton.mark(haystack, &mut candidates);
        }
        candidates
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_rules_with_a_keyword_hit_are_candidates() {
        let rules = RuleSet::builtin().unwrap();
        let prefilter = Prefilter::new(&rules);
        let kat001 = rules
            .detectors()
            .iter()
            .position(|d| rules.rule_of(d).id == "KAT001")
            .unwrap();
        assert!(
            prefilter
                .candidates(b"token = kat_live_abc")
                .contains(kat001)
        );
        assert!(prefilter.candidates(b"nothing to see here").is_empty());
        // Key prefixes are case-sensitive: KAT_LIVE_ is not a Katalo key.
        assert!(!prefilter.candidates(b"KAT_LIVE_abc").contains(kat001));
    }
}
