//! Keyword automata decide which detectors run on a file: one pass over
//! every file finds ungated keywords (`kat_live_`) and gate words; the
//! keywords of gated rules (hundreds of CORS detectors) are only searched
//! in files where a gate word occurred, in groups of at most 64 so each
//! group keeps the SIMD searcher (four SIMD passes took 15% less time over
//! the benchmark corpus than one DFA pass).
//!
//! Rule regexes are comparatively expensive; almost every file in a tree
//! contains none of the rule keywords, so the whole rule set costs about one
//! literal search per file.
//!
//! Automata are built when first searched, not with the prefilter: an
//! empty scan builds none, a scan whose files never say a gate word never
//! builds that gate's, and a rule set cut down by `[rules] disable` only
//! builds for what is left (building them all was about 10% of an empty
//! scan's start-up).
//!
//! The automaton is always case-sensitive: a case-insensitive one loses the
//! SIMD prefilters and made a scan of 1 GB three times slower. A keyword
//! marked `keywords_ignore_case` (header names) is searched in the spellings
//! code actually uses: as written, lower case, upper case, Capitalised-Words
//! and Sentence-case. A header spelled `aCCess-control-…` escapes the
//! prefilter; no real code was found to do that.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, Input, MatchKind};

use crate::rules::RuleSet;

/// Which detectors of a [`RuleSet`] may match, by index into
/// `RuleSet::detectors()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidates {
    hit: Vec<bool>,
    remaining: usize,
    /// A literal that announces an encoded key occurred ([`crate::encoded`]).
    encoded: bool,
}

impl Candidates {
    fn none(detector_count: usize) -> Self {
        Candidates {
            hit: vec![false; detector_count],
            remaining: detector_count,
            encoded: false,
        }
    }

    fn mark(&mut self, detector: usize) {
        if !self.hit[detector] {
            self.hit[detector] = true;
            self.remaining -= 1;
        }
    }

    fn all_marked(&self) -> bool {
        self.remaining == 0
    }

    /// Drops the gate pseudo-detectors, keeping the real ones.
    fn truncate(&mut self, detector_count: usize) {
        self.hit.truncate(detector_count);
        self.remaining = self.hit.iter().filter(|hit| !**hit).count();
    }

    pub fn contains(&self, detector: usize) -> bool {
        self.hit[detector]
    }

    /// No detector's keyword occurred.
    pub fn is_empty(&self) -> bool {
        self.remaining == self.hit.len()
    }

    /// Whether a key may hide behind an encoding here: the file holds one
    /// of [`crate::encoded::trigger_literals`].
    pub fn may_hold_encoded_keys(&self) -> bool {
        self.encoded
    }
}

/// Keyword automata over every detector of a set.
#[derive(Debug)]
pub struct Prefilter {
    detector_count: usize,
    /// One pass over every file: the keywords of detectors whose rule has
    /// no gate (KAT001's `kat_live_`) and the gate words, which mark the
    /// pseudo-detector `detector_count + gate index`.
    first: LazyAutomaton,
    /// Rules with a `gate` (the CORS family): their many keywords are only
    /// searched in files where the first pass saw a gate word.
    gated: Vec<Gate>,
    /// Whether the first pass also looks for encoded keys' triggers, which
    /// mark the pseudo-detector after the gates'.
    encoded_triggers: bool,
}

/// Keyword spellings, each with the detectors that own it.
type Keywords = Vec<(String, Vec<usize>)>;

/// [`Keywords`] being collected, with an index so that adding one is
/// constant time (a search through the list made 10,000 custom rules
/// quadratic to load).
#[derive(Default)]
struct KeywordTable {
    keywords: Keywords,
    position: HashMap<String, usize>,
}

impl KeywordTable {
    /// Records that `detector` owns `keyword`.
    fn add(&mut self, keyword: String, detector: usize) {
        match self.position.get(&keyword) {
            Some(&position) => {
                let owners = &mut self.keywords[position].1;
                if !owners.contains(&detector) {
                    owners.push(detector);
                }
            }
            None => {
                self.position.insert(keyword.clone(), self.keywords.len());
                self.keywords.push((keyword, vec![detector]));
            }
        }
    }
}

/// Where the first pass records gate-word hits: the index of the first
/// gate pseudo-detector, and the list of `(gate, span)`.
type GateHits<'h> = Option<(usize, &'h mut Vec<(usize, Range<usize>)>)>;

/// Keyword counts up to which aho-corasick's SIMD searcher applies.
const SIMD_KEYWORD_LIMIT: usize = 64;

#[derive(Debug)]
struct Gate {
    /// The gated keywords that contain none of the gate's spellings, in
    /// groups small enough for the SIMD searcher (several SIMD passes beat
    /// one DFA pass over hundreds of keywords), searched over the whole
    /// file.
    keywords: Vec<LazyAutomaton>,
    /// The gated keywords that contain one of the gate's spellings
    /// (`allow_origins`, `CORSMiddleware`: 210 of the 265 CORS ones): an
    /// occurrence of one contains an occurrence of the gate word, so they
    /// are only searched within `reach` bytes of the gate-word hits of the
    /// first pass. In a file that says `origin` on every other line, that
    /// is one pass where it took four. One automaton (a DFA, past the
    /// SIMD searcher's reach): windows are short, and four SIMD searchers
    /// started on each window cost more than one DFA walk over it.
    near_gate_word: LazyAutomaton,
    /// The longest keyword of `near_gate_word`.
    reach: usize,
}

/// Keywords and their automaton, built on the first search.
#[derive(Debug)]
struct LazyAutomaton {
    keywords: Keywords,
    built: OnceLock<Option<Automaton>>,
}

impl LazyAutomaton {
    fn new(keywords: Keywords) -> Self {
        LazyAutomaton {
            keywords,
            built: OnceLock::new(),
        }
    }

    fn mark(&self, haystack: &[u8], candidates: &mut Candidates, gate_hits: GateHits<'_>) {
        let built = self
            .built
            .get_or_init(|| Automaton::build(self.keywords.clone()));
        if let Some(automaton) = built {
            automaton.mark(haystack, candidates, gate_hits);
        }
    }

    #[cfg(test)]
    fn is_built(&self) -> bool {
        self.built.get().is_some()
    }
}

#[derive(Debug)]
struct Automaton {
    searcher: AhoCorasick,
    /// Pattern index -> detectors that own that keyword or a keyword
    /// contained in it (the search reports one keyword per position).
    owners: Vec<Vec<usize>>,
}

impl Automaton {
    fn build(keywords: Keywords) -> Option<Automaton> {
        if keywords.is_empty() {
            return None;
        }
        // Which keywords each keyword contains, found by one overlapping
        // search over each keyword rather than by comparing every pair:
        // pairs made 10,000 custom rules take seconds to load.
        // Only ever run over the keywords themselves: the cheapest
        // automaton to build will do.
        let contained = AhoCorasickBuilder::new()
            .kind(Some(AhoCorasickKind::NoncontiguousNFA))
            .build(keywords.iter().map(|(keyword, _)| keyword))
            .expect("keywords are non-empty literals, validated at rule load");
        let owners = keywords
            .iter()
            .map(|(keyword, _)| {
                let mut owners: Vec<usize> = contained
                    .find_overlapping_iter(keyword.as_str())
                    .flat_map(|found| keywords[found.pattern().as_usize()].1.iter().copied())
                    .collect();
                owners.sort_unstable();
                owners.dedup();
                owners
            })
            .collect();
        // Leftmost semantics keep aho-corasick's SIMD (Teddy) searcher;
        // overlapping search would lose it. Longest-first plus the
        // contained-keyword owners above, and restarting one byte after
        // each match, still see every keyword occurrence.
        let searcher = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            // Hundreds of keywords are past the SIMD searcher's reach; a
            // DFA is then faster than the default NFA. Few keywords keep the
            // default, which picks memmem or Teddy.
            .kind((keywords.len() > SIMD_KEYWORD_LIMIT).then_some(AhoCorasickKind::DFA))
            .build(keywords.iter().map(|(keyword, _)| keyword))
            .expect("keywords are non-empty literals, validated at rule load");
        Some(Automaton { searcher, owners })
    }

    /// Marks the owners of every keyword occurrence in `haystack`; with
    /// `gate_hits`, also records where each occurrence owned by a gate
    /// pseudo-detector (index `>= first_gate`) is, as `(gate, span)`.
    fn mark(&self, haystack: &[u8], candidates: &mut Candidates, mut gate_hits: GateHits<'_>) {
        let mut from = 0;
        while from < haystack.len() {
            let Some(found) = self
                .searcher
                .find(Input::new(haystack).span(from..haystack.len()))
            else {
                return;
            };
            for &detector in &self.owners[found.pattern().as_usize()] {
                candidates.mark(detector);
                if let Some((first_gate, hits)) = gate_hits.as_mut() {
                    if detector >= *first_gate {
                        hits.push((detector - *first_gate, found.start()..found.end()));
                    }
                }
            }
            // Once every detector is a candidate, where gate words are no
            // longer matters either.
            if candidates.all_marked() {
                return;
            }
            from = found.start() + 1;
        }
    }
}

impl Prefilter {
    pub fn new(rules: &RuleSet) -> Prefilter {
        let mut ungated = KeywordTable::default();
        // Rules that share the same gate words share one gate.
        let mut gated: Vec<(Vec<String>, KeywordTable)> = Vec::new();
        for (index, detector) in rules.detectors().iter().enumerate() {
            let gate = &rules.rule_of(detector).gate;
            let table = if gate.is_empty() {
                &mut ungated
            } else {
                let position = match gated.iter().position(|(words, _)| words == gate) {
                    Some(position) => position,
                    None => {
                        gated.push((gate.clone(), KeywordTable::default()));
                        gated.len() - 1
                    }
                };
                &mut gated[position].1
            };
            for keyword in &detector.keywords {
                let spellings = if detector.keywords_ignore_case {
                    case_variants(keyword)
                } else {
                    vec![keyword.clone()]
                };
                for spelling in spellings {
                    table.add(spelling, index);
                }
            }
        }
        let detector_count = rules.detectors().len();
        let mut first = ungated;
        let mut gates = Vec::new();
        for (words, keywords) in gated {
            if keywords.keywords.is_empty() {
                continue;
            }
            let spellings: Vec<String> = words.iter().flat_map(|w| case_variants(w)).collect();
            // Case-sensitive, as the first pass searches the spellings.
            let (near, anywhere): (Keywords, Keywords) = keywords
                .keywords
                .into_iter()
                .partition(|(keyword, _)| spellings.iter().any(|s| keyword.contains(s.as_str())));
            let groups = |keywords: Keywords| -> Vec<LazyAutomaton> {
                keywords
                    .chunks(SIMD_KEYWORD_LIMIT)
                    .map(|chunk| LazyAutomaton::new(chunk.to_vec()))
                    .collect()
            };
            let pseudo = detector_count + gates.len();
            for spelling in spellings {
                first.add(spelling, pseudo);
            }
            gates.push(Gate {
                reach: near
                    .iter()
                    .map(|(keyword, _)| keyword.len())
                    .max()
                    .unwrap_or(0),
                keywords: groups(anywhere),
                near_gate_word: LazyAutomaton::new(near),
            });
        }
        // Only a rule set with a key detector has keys to decode.
        let encoded_triggers = rules.detectors().iter().any(|detector| {
            detector
                .keywords
                .iter()
                .any(|keyword| keyword.as_bytes().starts_with(crate::redact::KEY_PREFIX))
        });
        if encoded_triggers {
            let pseudo = detector_count + gates.len();
            for trigger in crate::encoded::trigger_literals() {
                first.add(trigger, pseudo);
            }
        }
        Prefilter {
            detector_count,
            first: LazyAutomaton::new(first.keywords),
            gated: gates,
            encoded_triggers,
        }
    }

    /// The detectors whose keywords occur in `haystack`.
    pub fn candidates(&self, haystack: &[u8]) -> Candidates {
        let encoded_pseudo = self.detector_count + self.gated.len();
        let pseudo_count = self.gated.len() + usize::from(self.encoded_triggers);
        let mut candidates = Candidates::none(self.detector_count + pseudo_count);
        let mut gate_hits = Vec::new();
        self.first.mark(
            haystack,
            &mut candidates,
            Some((self.detector_count, &mut gate_hits)),
        );
        for (index, gate) in self.gated.iter().enumerate() {
            if !candidates.contains(self.detector_count + index) {
                continue;
            }
            for automaton in &gate.keywords {
                automaton.mark(haystack, &mut candidates, None);
            }
            let windows = merged_windows(
                gate_hits
                    .iter()
                    .filter(|(gate, _)| *gate == index)
                    .map(|(_, span)| span),
                gate.reach,
                haystack.len(),
            );
            for window in windows {
                gate.near_gate_word
                    .mark(&haystack[window], &mut candidates, None);
            }
        }
        candidates.encoded = self.encoded_triggers && candidates.contains(encoded_pseudo);
        candidates.truncate(self.detector_count);
        candidates
    }
}

/// The spans grown by `reach` on each side (within `0..len`), overlapping
/// ones merged. `spans` come in order of their start, as a search finds
/// them.
fn merged_windows<'s>(
    spans: impl Iterator<Item = &'s Range<usize>>,
    reach: usize,
    len: usize,
) -> Vec<Range<usize>> {
    let mut windows: Vec<Range<usize>> = Vec::new();
    for span in spans {
        let window = span.start.saturating_sub(reach)..span.end.saturating_add(reach).min(len);
        match windows.last_mut() {
            Some(last) if window.start <= last.end => last.end = last.end.max(window.end),
            _ => windows.push(window),
        }
    }
    windows
}

/// The spellings of a case-insensitive keyword that code uses.
fn case_variants(keyword: &str) -> Vec<String> {
    let lower = keyword.to_ascii_lowercase();
    let mut capitalised = String::with_capacity(keyword.len());
    let mut word_start = true;
    for c in lower.chars() {
        capitalised.push(if word_start {
            c.to_ascii_uppercase()
        } else {
            c
        });
        word_start = !c.is_ascii_alphanumeric();
    }
    let mut sentence = lower.clone();
    if let Some(first) = sentence.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    let mut variants = vec![
        keyword.to_string(),
        lower,
        keyword.to_ascii_uppercase(),
        capitalised,
        sentence,
    ];
    variants.sort();
    variants.dedup();
    variants
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_insensitive_keywords_cover_the_usual_spellings() {
        assert_eq!(
            case_variants("Access-Control-Allow-Origin"),
            vec![
                "ACCESS-CONTROL-ALLOW-ORIGIN",
                "Access-Control-Allow-Origin",
                "Access-control-allow-origin",
                "access-control-allow-origin",
            ]
        );
        assert_eq!(case_variants("cors"), vec!["CORS", "Cors", "cors"]);
    }

    #[test]
    fn every_keyword_occurrence_counts_even_inside_or_across_another() {
        let sources = [(
            "demo.toml",
            r#"
id = "DEMO001"
name = "demo"
level = "note"
summary = "s"
help = "h"
description = "d"
precision = "low"
[[detector]]
message = "a"
keywords = ["cors("]
pattern = "x"
[[detector]]
message = "b"
keywords = ["koa/cors("]
pattern = "x"
[[detector]]
message = "c"
keywords = ["abcdef"]
pattern = "x"
[[detector]]
message = "d"
keywords = ["defghi"]
pattern = "x"
"#,
        )];
        let rules = RuleSet::from_sources(sources).unwrap();
        let prefilter = Prefilter::new(&rules);
        // `cors(` only occurs inside the longer `koa/cors(`.
        let hit = prefilter.candidates(b"require('@koa/cors(')");
        assert!(hit.contains(0) && hit.contains(1) && !hit.contains(2));
        // `defghi` starts inside the match of `abcdef`.
        let hit = prefilter.candidates(b"..abcdefghi..");
        assert!(hit.contains(2) && hit.contains(3) && !hit.contains(0));
    }

    #[test]
    fn gated_detectors_only_run_where_a_gate_word_occurs() {
        let rules = RuleSet::builtin().unwrap();
        let prefilter = Prefilter::new(&rules);
        let is_cors = |i: usize| rules.rule_of(&rules.detectors()[i]).id.starts_with("CORS");
        let cors_candidates = |text: &[u8]| {
            let hit = prefilter.candidates(text);
            (0..rules.detectors().len())
                .filter(|&i| hit.contains(i) && is_cors(i))
                .count()
        };
        assert!(cors_candidates(b"app.add_middleware(CORSMiddleware, allow_origins=['*'])") > 0);
        // The same keywords without cors, origin or access-control nearby.
        assert_eq!(cors_candidates(b"x = ['*']; y = 'null'; z = '*'"), 0);
    }

    #[test]
    fn every_group_of_a_large_gate_is_searched() {
        // 150 gated detectors: their keywords span three SIMD groups, and a
        // keyword of each group still makes its detector a candidate.
        let mut text = String::from(
            "id = \"BIG001\"\nname = \"big\"\nlevel = \"note\"\nsummary = \"s\"\n\
             help = \"h\"\ndescription = \"d\"\nprecision = \"low\"\ngate = [\"gateword\"]\n",
        );
        for i in 0..150 {
            text.push_str(&format!(
                "[[detector]]\nmessage = \"m\"\nkeywords = [\"kw{i:03}x\"]\npattern = 'kw{i:03}x'\n"
            ));
        }
        let rules = RuleSet::from_sources([("big.toml", text.as_str())]).unwrap();
        let prefilter = Prefilter::new(&rules);
        assert_eq!(prefilter.gated[0].keywords.len(), 3);
        for i in [0, 70, 149] {
            let haystack = format!("gateword and kw{i:03}x");
            let hit = prefilter.candidates(haystack.as_bytes());
            let found: Vec<usize> = (0..150).filter(|&d| hit.contains(d)).collect();
            assert_eq!(found, vec![i], "keyword {i}");
        }
        // Without the gate word nothing runs.
        assert!(prefilter.candidates(b"kw070x").is_empty());
    }

    #[test]
    fn automata_are_built_on_first_search_and_gates_only_when_a_gate_word_hits() {
        let rules = RuleSet::builtin().unwrap();
        let prefilter = Prefilter::new(&rules);
        let gates_built = |prefilter: &Prefilter| {
            prefilter
                .gated
                .iter()
                .flat_map(|gate| gate.keywords.iter().chain([&gate.near_gate_word]))
                .filter(|automaton| automaton.is_built())
                .count()
        };
        assert!(!prefilter.first.is_built());
        assert!(!prefilter.gated.is_empty());
        assert_eq!(gates_built(&prefilter), 0);
        // A file without a gate word builds the first pass only.
        assert!(prefilter.candidates(b"nothing to see here").is_empty());
        assert!(prefilter.first.is_built());
        assert_eq!(gates_built(&prefilter), 0);
        // A gate word builds its gate, and its detectors are found.
        let hit = prefilter.candidates(b"app.add_middleware(CORSMiddleware, allow_origins=['*'])");
        assert!(!hit.is_empty());
        assert!(gates_built(&prefilter) > 0);
    }

    #[test]
    fn keywords_that_contain_a_gate_word_are_found_near_any_of_its_hits() {
        let text = r#"
id = "DEMO001"
name = "demo"
level = "note"
summary = "s"
help = "h"
description = "d"
precision = "low"
gate = ["origin"]
[[detector]]
message = "near"
keywords = ["allow_origins = ["]
pattern = "x"
[[detector]]
message = "anywhere"
keywords = ["regexp.MustCompile("]
pattern = "x"
[[detector]]
message = "near, spelled as code does"
keywords = ["access-control-allow-origin"]
keywords_ignore_case = true
pattern = "x"
"#;
        let rules = RuleSet::from_sources([("demo.toml", text)]).unwrap();
        let prefilter = Prefilter::new(&rules);
        let gate = &prefilter.gated[0];
        assert_eq!(gate.keywords.len(), 1);
        assert_eq!(gate.near_gate_word.keywords.len(), 5);
        let found = |haystack: &[u8]| -> Vec<usize> {
            let hit = prefilter.candidates(haystack);
            (0..3).filter(|&d| hit.contains(d)).collect()
        };
        // Far from the start of a large file, after other gate-word hits,
        // at the very end, and with the case a header uses.
        let filler = "let origin = x; // filler\n".repeat(40_000);
        // (text at the end, detectors found after the filler, alone).
        let cases: [(&str, &[usize], &[usize]); 5] = [
            ("allow_origins = [", &[0], &[0]),
            // The gate word is far away: found after the filler only.
            ("regexp.MustCompile(", &[1], &[]),
            ("ORIGIN regexp.MustCompile(", &[1], &[1]),
            ("h['Access-Control-Allow-Origin'] = o", &[2], &[2]),
            (
                "allow_origins = [ ACCESS-CONTROL-ALLOW-ORIGIN",
                &[0, 2],
                &[0, 2],
            ),
        ];
        for (tail, after_filler, alone) in cases {
            let haystack = format!("{filler}{tail}");
            assert_eq!(found(haystack.as_bytes()), after_filler, "{tail}");
            assert_eq!(found(tail.as_bytes()), alone, "{tail} alone");
        }
        // The keyword straddling a window edge: gate word hits on both
        // sides, far apart, and the keyword in between holds one of its own.
        let haystack = format!(
            "origin{}allow_origins = [{}origin",
            " ".repeat(5000),
            " ".repeat(5000)
        );
        assert_eq!(found(haystack.as_bytes()), vec![0]);
    }

    #[test]
    fn windows_grow_by_the_reach_and_merge() {
        let spans = [10..16, 20..26, 100..106, 118..120];
        assert_eq!(
            merged_windows(spans.iter(), 5, 122),
            vec![5..31, 95..111, 113..122]
        );
        assert_eq!(merged_windows(spans.iter(), 7, 122), vec![3..33, 93..122]);
        assert_eq!(merged_windows(spans.iter(), 0, 200), spans.to_vec());
        let whole_file = 0..3;
        let windows = merged_windows(std::iter::once(&whole_file), 10, 3);
        assert_eq!(windows.first(), Some(&whole_file));
        assert_eq!(windows.len(), 1);
    }

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
