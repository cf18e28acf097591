//! Inline suppressions: directives in a scanned file that accept a finding
//! instead of reporting it.
//!
//! Recognised anywhere on a line (ASCII case-insensitive), normally inside a
//! comment of whatever syntax the file has:
//!
//! - `katscan:allow`: every rule; `katscan:allow KAT001,CORS001`: only the
//!   rules named; `katscan:allow CORS001 -- public read-only endpoint`: with
//!   a reason, which becomes the suppression's justification.
//! - `gitleaks:allow` and detect-secrets' `pragma: allowlist secret` (and
//!   `pragma: allowlist nextline secret`): every rule, so teams can switch
//!   tools without touching their code.
//!
//! A directive covers findings that start on its own line. A directive that
//! stands alone on its line (nothing but comment markers around it) also
//! covers the next line. A trailing `foo(); // katscan:allow` never reaches
//! the line below it.
//!
//! Directives are found by their text, not by parsing comments: they then
//! work the same in every file type, including JSON and `.env` files that
//! have no comment syntax katscan knows.
//!
//! Minified files are one line of megabytes, often with vendored code that
//! carries its own `gitleaks:allow` or `pragma: allowlist secret`. So that
//! such a directive cannot silence every key elsewhere on that line, a
//! directive only covers findings within [`DIRECTIVE_REACH`] bytes of it:
//! on any line a person writes, that is the whole line.

use std::ops::Range;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::finding::Suppression;
use crate::location::LineIndex;
use crate::snippet::Masks;

/// Farthest a finding may start (or end) from a directive on the same or
/// the next line and still be covered by it, in bytes.
pub const DIRECTIVE_REACH: usize = 1024;

/// Longest directive text read after its marker (rule list and reason).
const MAX_DIRECTIVE_BYTES: usize = 256;
/// Longest run of comment markers and indentation before a directive that
/// stands on a line of its own.
const MAX_PREFIX_BYTES: usize = 256;

/// Markers, in the order of [`Marker`].
const MARKERS: [&str; 3] = ["katscan:allow", "gitleaks:allow", "pragma:"];

/// Closers of comments that can end a directive before its line does.
const COMMENT_CLOSERS: [&[u8]; 3] = [b"*/", b"-->", b"#}"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    Katscan,
    Gitleaks,
    Pragma,
}

/// One suppression directive found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Byte range from the marker to the end of the directive's text.
    pub span: Range<usize>,
    /// 0-based line of the marker.
    pub line: usize,
    /// The directive stands alone on its line, so it also covers the next.
    pub covers_next_line: bool,
    /// Rule ids named, upper-case; empty means every rule.
    pub rules: Vec<String>,
    /// Byte range of the reason, when one is given.
    pub reason: Option<Range<usize>>,
}

impl Directive {
    /// Whether this directive accepts findings of `rule_id`.
    pub fn names(&self, rule_id: &str) -> bool {
        self.rules.is_empty() || self.rules.iter().any(|r| r.eq_ignore_ascii_case(rule_id))
    }

    /// The suppression this directive gives, with any secret in its reason
    /// masked by `masks`.
    pub fn suppression(&self, source: &[u8], masks: &Masks) -> Suppression {
        let justification = self.reason.clone().map(|range| {
            String::from_utf8_lossy(&masks.masked(source, range))
                .trim()
                .to_string()
        });
        Suppression::in_source(justification)
    }
}

/// The directives of one file, in offset order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Directives(Vec<Directive>);

impl Directives {
    /// Every directive in `source`. One Aho-Corasick pass; the scanner only
    /// calls this for files that have findings.
    pub fn find(source: &[u8], index: &LineIndex<'_>) -> Self {
        let directives = markers()
            .find_iter(source)
            .filter_map(|hit| {
                let marker = match hit.pattern().as_usize() {
                    0 => Marker::Katscan,
                    1 => Marker::Gitleaks,
                    _ => Marker::Pragma,
                };
                parse(source, marker, hit.range(), index)
            })
            .collect();
        Directives(directives)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Directive> {
        self.0.iter()
    }

    /// The directive that accepts a finding of `rule_id` at `span`, if any.
    pub fn covering(
        &self,
        rule_id: &str,
        span: &Range<usize>,
        index: &LineIndex<'_>,
    ) -> Option<&Directive> {
        if self.0.is_empty() {
            return None;
        }
        let line = index.line_of(span.start);
        // Directives are in line order: skip those above the line before.
        let first = self.0.partition_point(|d| d.line + 1 < line);
        self.0[first..]
            .iter()
            .take_while(|d| d.line <= line)
            .find(|d| {
                (d.line == line || d.covers_next_line)
                    && d.names(rule_id)
                    && gap(&d.span, span) <= DIRECTIVE_REACH
            })
    }
}

fn markers() -> &'static AhoCorasick {
    static MARKER_SEARCH: OnceLock<AhoCorasick> = OnceLock::new();
    MARKER_SEARCH.get_or_init(|| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostFirst)
            .build(MARKERS)
            .expect("fixed literal markers always compile")
    })
}

/// Bytes between two ranges; 0 when they overlap.
fn gap(a: &Range<usize>, b: &Range<usize>) -> usize {
    if a.start >= b.end {
        a.start - b.end
    } else {
        b.start.saturating_sub(a.end)
    }
}

/// Reads the directive whose marker is at `marker_range`, or `None` when
/// the marker is part of something else (`katscan:allowed`,
/// `pragma: no cover`).
fn parse(
    source: &[u8],
    marker: Marker,
    marker_range: Range<usize>,
    index: &LineIndex<'_>,
) -> Option<Directive> {
    let after = marker_range.end;
    if marker != Marker::Pragma && source.get(after).is_some_and(|&b| is_word_byte(b)) {
        return None;
    }

    // The rest of the line, bounded: a minified line is megabytes long.
    let window_end = char_boundary(source, (after + MAX_DIRECTIVE_BYTES).min(source.len()));
    let window = &source[after..window_end];
    let (line_rest, reaches_line_end) = match memchr::memchr(b'\n', window) {
        Some(newline) => (&window[..newline], true),
        None => (window, window_end == source.len()),
    };
    let (text, alone_after) = match find_closer(line_rest) {
        Some((at, len)) => (
            &line_rest[..at],
            reaches_line_end && line_rest[at + len..].iter().all(u8::is_ascii_whitespace),
        ),
        None => (line_rest, reaches_line_end),
    };
    let text_start = after;
    let text_end = after + trim_end_len(text);

    let (rules, reason) = match marker {
        Marker::Katscan => parse_rules_and_reason(source, text_start..text_end),
        Marker::Gitleaks => (Vec::new(), None),
        Marker::Pragma => {
            if !is_allowlist_pragma(text) {
                return None;
            }
            (Vec::new(), None)
        }
    };

    Some(Directive {
        span: marker_range.start..text_end,
        line: index.line_of(marker_range.start),
        covers_next_line: alone_after && only_comment_markers_before(source, marker_range.start),
        rules,
        reason,
    })
}

/// `allowlist secret` or `allowlist nextline secret` after `pragma:`.
fn is_allowlist_pragma(text: &[u8]) -> bool {
    let mut words = text
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty());
    if !words
        .next()
        .is_some_and(|w| w.eq_ignore_ascii_case(b"allowlist"))
    {
        return false;
    }
    let mut next = words.next();
    if next.is_some_and(|w| w.eq_ignore_ascii_case(b"nextline")) {
        next = words.next();
    }
    next.is_some_and(|w| {
        let end = w.iter().position(|&b| !is_word_byte(b)).unwrap_or(w.len());
        w[..end].eq_ignore_ascii_case(b"secret")
    })
}

/// Splits `katscan:allow` text into the rule ids it names and its reason:
/// leading tokens that look like rule ids are the rules, the rest (after an
/// optional `--`) the reason.
fn parse_rules_and_reason(
    source: &[u8],
    text: Range<usize>,
) -> (Vec<String>, Option<Range<usize>>) {
    let mut rules = Vec::new();
    let mut at = text.start;
    loop {
        while at < text.end && matches!(source[at], b' ' | b'\t' | b',') {
            at += 1;
        }
        let token_end = (at..text.end)
            .find(|&i| !is_word_byte(source[i]))
            .unwrap_or(text.end);
        let token = &source[at..token_end];
        if token.is_empty() || !looks_like_rule_id(token) {
            break;
        }
        rules.push(String::from_utf8_lossy(token).to_ascii_uppercase());
        at = token_end;
    }
    let mut reason = source[at..text.end]
        .strip_prefix(b"--")
        .map_or(at, |_| at + 2);
    while reason < text.end && source[reason].is_ascii_whitespace() {
        reason += 1;
    }
    let reason = (reason < text.end).then_some(reason..text.end);
    (rules, reason)
}

/// Letters then digits, as in `KAT001` or `CORS005`.
fn looks_like_rule_id(token: &[u8]) -> bool {
    let letters = token.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    let digits = token.len() - letters;
    (2..=8).contains(&letters)
        && (2..=5).contains(&digits)
        && token[letters..].iter().all(u8::is_ascii_digit)
}

/// Only white space and comment markers (`//`, `#`, `<!--`, `/*`, `*`,
/// `--`, `;`) between the start of the line and `at`.
fn only_comment_markers_before(source: &[u8], at: usize) -> bool {
    let window_start = at.saturating_sub(MAX_PREFIX_BYTES);
    let line_start = match memchr::memrchr(b'\n', &source[window_start..at]) {
        Some(newline) => window_start + newline + 1,
        None if window_start == 0 => 0,
        None => return false,
    };
    source[line_start..at]
        .iter()
        .all(|b| !b.is_ascii_alphanumeric() && !matches!(b, b'"' | b'\'' | b'`'))
}

/// The first comment closer in `text`: offset and length.
fn find_closer(text: &[u8]) -> Option<(usize, usize)> {
    COMMENT_CLOSERS
        .iter()
        .filter_map(|closer| memchr::memmem::find(text, closer).map(|at| (at, closer.len())))
        .min()
}

fn trim_end_len(text: &[u8]) -> usize {
    text.iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |last| last + 1)
}

fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// `at`, moved back so it does not split a UTF-8 sequence.
fn char_boundary(source: &[u8], mut at: usize) -> usize {
    while at < source.len() && at > 0 && source[at] & 0xC0 == 0x80 {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directives(source: &str) -> Vec<Directive> {
        let index = LineIndex::new(source.as_bytes());
        Directives::find(source.as_bytes(), &index).0
    }

    fn reason(source: &str, directive: &Directive) -> Option<String> {
        directive
            .suppression(source.as_bytes(), &Masks::default())
            .justification
    }

    /// Whether a finding of `rule` at the first occurrence of `needle` is
    /// covered by some directive in `source`.
    fn covered(source: &str, rule: &str, needle: &str) -> bool {
        let index = LineIndex::new(source.as_bytes());
        let found = Directives::find(source.as_bytes(), &index);
        let start = source.find(needle).expect("needle in source");
        found
            .covering(rule, &(start..start + needle.len()), &index)
            .is_some()
    }

    #[test]
    fn bare_directive_covers_every_rule() {
        let found = directives("x = 1 # katscan:allow\n");
        assert_eq!(found.len(), 1);
        assert!(found[0].rules.is_empty());
        assert!(found[0].names("KAT001") && found[0].names("CORS003"));
        assert_eq!(found[0].reason, None);
        assert!(!found[0].covers_next_line);
    }

    #[test]
    fn named_rules_and_reason() {
        let source = "// katscan:allow cors001, KAT002 -- public read-only endpoint\n";
        let found = directives(source);
        assert_eq!(found[0].rules, ["CORS001", "KAT002"]);
        assert!(found[0].names("CORS001") && !found[0].names("KAT001"));
        assert_eq!(
            reason(source, &found[0]).as_deref(),
            Some("public read-only endpoint")
        );
        assert!(found[0].covers_next_line);

        let source = "# katscan:allow KAT001,KAT002\n";
        assert_eq!(directives(source)[0].rules, ["KAT001", "KAT002"]);
        // A reason without `--` is still a reason, not a rule list.
        let source = "# katscan:allow test fixture\n";
        let found = directives(source);
        assert!(found[0].rules.is_empty());
        assert_eq!(reason(source, &found[0]).as_deref(), Some("test fixture"));
    }

    #[test]
    fn comment_closers_end_the_directive() {
        let source = "<!-- katscan:allow KAT001 -- docs page -->\n";
        let found = directives(source);
        assert_eq!(found[0].rules, ["KAT001"]);
        assert_eq!(reason(source, &found[0]).as_deref(), Some("docs page"));
        assert!(found[0].covers_next_line);

        let source = "/* katscan:allow */\n";
        let found = directives(source);
        assert_eq!(reason(source, &found[0]), None);
        assert!(found[0].covers_next_line);

        // Code after the comment: the directive covers only its own line.
        let source = "/* katscan:allow */ const k = 1;\n";
        assert!(!directives(source)[0].covers_next_line);
    }

    #[test]
    fn other_tools_directives() {
        for source in [
            "k = 1 # gitleaks:allow\n",
            "k = 1 # pragma: allowlist secret\n",
            "# pragma: allowlist nextline secret\n",
            "k = 1 // PRAGMA:allowlist   secret\n",
        ] {
            let found = directives(source);
            assert_eq!(found.len(), 1, "{source}");
            assert!(found[0].rules.is_empty(), "{source}");
        }
        assert!(directives("# pragma: no cover\n").is_empty());
        assert!(directives("# pragma: allowlist secrets-of-others\n").is_empty());
        assert!(directives("x = 'katscan:allowed'\n").is_empty());
    }

    #[test]
    fn same_line_and_the_line_after_a_lone_directive() {
        let source = "a\n// katscan:allow\nKEY\nKEY2\n";
        assert!(covered(source, "KAT001", "KEY\n"));
        assert!(!covered(source, "KAT001", "KEY2"), "two lines below");

        let source = "KEY // katscan:allow\n";
        assert!(covered(source, "KAT001", "KEY"));

        // A trailing directive does not reach the next line.
        let source = "x = 1 // katscan:allow\nKEY\n";
        assert!(!covered(source, "KAT001", "KEY"));

        // Nor does a directive reach upwards.
        let source = "KEY\n// katscan:allow\n";
        assert!(!covered(source, "KAT001", "KEY"));
    }

    #[test]
    fn a_directive_naming_other_rules_does_not_cover() {
        let source = "KEY // katscan:allow CORS001\n";
        assert!(!covered(source, "KAT001", "KEY"));
        assert!(covered(source, "CORS001", "KEY"));
        // A misspelt id names no rule; it does not fall back to all rules.
        let source = "KEY // katscan:allow KAT01\n";
        assert!(!covered(source, "KAT001", "KEY"));
    }

    #[test]
    fn on_a_minified_line_a_directive_reaches_only_nearby_findings() {
        let filler = "x".repeat(5 * DIRECTIVE_REACH);
        let source = format!("/* gitleaks:allow */NEAR;{filler};FAR\n");
        assert!(covered(&source, "KAT001", "NEAR"));
        assert!(!covered(&source, "KAT001", "FAR"));
    }

    #[test]
    fn reasons_are_bounded_and_masked() {
        let source = format!("// katscan:allow -- {}\n", "r".repeat(10_000));
        let found = directives(&source);
        let text = reason(&source, &found[0]).unwrap();
        assert!(text.len() <= MAX_DIRECTIVE_BYTES, "{}", text.len());

        let source = "// katscan:allow -- old key SECRETVALUE\n";
        let found = directives(source);
        let at = source.find("SECRETVALUE").unwrap();
        let masks = Masks::new(std::iter::once(at..at + "SECRETVALUE".len()));
        let suppression = found[0].suppression(source.as_bytes(), &masks);
        assert_eq!(
            suppression.justification.as_deref(),
            Some("old key ***********")
        );
    }

    #[test]
    fn multibyte_text_is_never_split() {
        let source = format!("// katscan:allow -- {}\n", "é".repeat(500));
        let found = directives(&source);
        let text = reason(&source, &found[0]).unwrap();
        assert!(!text.contains('\u{FFFD}'));
    }
}
