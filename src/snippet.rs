//! The few characters around a finding that a reporter may show.
//!
//! A minified bundle is one line of many megabytes: the snippet is cropped
//! to a window around the match, secrets are masked (every secret found in
//! the file, not only this finding's, since two keys can share a line), and
//! control characters are replaced so a hostile file cannot drive the
//! terminal that shows it.

use std::ops::Range;

use crate::finding::MASK;
use crate::location::LineIndex;

/// Characters of context kept on each side of the match in a long line.
const CONTEXT_CHARS: usize = 40;
/// Lines up to this many bytes are shown whole.
const WHOLE_LINE_BYTES: usize = 160;
/// Longest part of a match shown on one line; the rest is elided.
const MAX_MATCH_CHARS: usize = 240;
/// Most lines a multi-line match shows.
const MAX_LINES: usize = 8;
const ELLIPSIS: char = '…';

/// Cropped, masked, printable text around a finding.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snippet {
    /// One or more lines joined by `\n`.
    pub text: String,
    /// 1-based line number of the first line of `text`.
    pub first_line: usize,
    /// Byte range of the match inside `text`.
    pub highlight: Range<usize>,
}

/// Byte ranges of a source (secrets) to show as `*`. Kept sorted and
/// disjoint, so each snippet finds its few masks by binary search: a
/// bundle with thousands of keys must not cost thousands squared.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Masks(Vec<Range<usize>>);

impl Masks {
    pub fn new(ranges: impl IntoIterator<Item = Range<usize>>) -> Self {
        let mut ranges: Vec<Range<usize>> =
            ranges.into_iter().filter(|r| r.start < r.end).collect();
        ranges.sort_by_key(|r| r.start);
        let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
        for range in ranges {
            match merged.last_mut() {
                Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
                _ => merged.push(range),
            }
        }
        Masks(merged)
    }

    fn overlapping(&self, range: &Range<usize>) -> &[Range<usize>] {
        let first = self.0.partition_point(|mask| mask.end <= range.start);
        let count = self.0[first..].partition_point(|mask| mask.start < range.end);
        &self.0[first..first + count]
    }

    /// `source[range]`, with every masked byte in it shown as `*`.
    pub fn masked(&self, source: &[u8], range: Range<usize>) -> Vec<u8> {
        let mut bytes = source[range.clone()].to_vec();
        for mask in self.overlapping(&range) {
            let start = mask.start.max(range.start);
            let end = mask.end.min(range.end);
            bytes[start - range.start..end - range.start].fill(MASK as u8);
        }
        bytes
    }
}

/// Builds the snippet for the match `span` of `source`, with `masks` shown
/// as `*`.
pub fn build(source: &[u8], index: &LineIndex<'_>, span: Range<usize>, masks: &Masks) -> Snippet {
    let first_line = index.line_of(span.start);
    // The line of the last matched byte (an empty match stays on its line).
    let last_line = index.line_of(span.end.saturating_sub(1).max(span.start));
    let shown_last_line = last_line.min(first_line + MAX_LINES - 1);

    let mut text = String::new();
    let mut highlight = 0..0;
    for line in first_line..=shown_last_line {
        let (line_start, mut line_end) = index.line_bounds(line);
        if line_end > line_start && source[line_end - 1] == b'\r' {
            line_end -= 1;
        }
        let part_start = span.start.clamp(line_start, line_end);
        let part_end = span.end.clamp(part_start, line_end);
        let shown_part_end = forward_chars(source, part_start, part_end, MAX_MATCH_CHARS);

        let context = if line_end - line_start <= WHOLE_LINE_BYTES {
            usize::MAX
        } else {
            CONTEXT_CHARS
        };
        let before_start = if line == first_line {
            back_chars(source, line_start, part_start, context)
        } else {
            part_start
        };
        let after_end = if line == last_line {
            forward_chars(source, part_end, line_end, context)
        } else {
            part_end
        };

        if line != first_line {
            text.push('\n');
        }
        if before_start > line_start {
            text.push(ELLIPSIS);
        }
        push_display(&mut text, source, before_start..part_start, masks);
        if line == first_line {
            highlight.start = text.len();
        }
        push_display(&mut text, source, part_start..shown_part_end, masks);
        if shown_part_end < part_end {
            text.push(ELLIPSIS);
        }
        highlight.end = text.len();
        if line == last_line {
            push_display(&mut text, source, part_end..after_end, masks);
            if after_end < line_end {
                text.push(ELLIPSIS);
            }
        }
    }
    Snippet {
        text,
        first_line: first_line + 1,
        highlight,
    }
}

/// Offset `n` characters before `pos`, not before `floor`.
fn back_chars(source: &[u8], floor: usize, pos: usize, n: usize) -> usize {
    let mut at = pos;
    for _ in 0..n {
        if at <= floor {
            break;
        }
        at -= 1;
        while at > floor && is_utf8_continuation(source[at]) {
            at -= 1;
        }
    }
    at
}

/// Offset `n` characters after `pos`, not after `ceiling`.
fn forward_chars(source: &[u8], pos: usize, ceiling: usize, n: usize) -> usize {
    let mut at = pos;
    for _ in 0..n {
        if at >= ceiling {
            break;
        }
        at += 1;
        while at < ceiling && is_utf8_continuation(source[at]) {
            at += 1;
        }
    }
    at
}

fn is_utf8_continuation(byte: u8) -> bool {
    byte & 0xC0 == 0x80
}

/// Appends `source[range]` with masks applied, invalid UTF-8 replaced and
/// control characters neutralised.
fn push_display(out: &mut String, source: &[u8], range: Range<usize>, masks: &Masks) {
    let bytes = masks.masked(source, range);
    for c in String::from_utf8_lossy(&bytes).chars() {
        out.push(printable(c));
    }
}

/// Tabs stay (the renderer expands them); other control characters and
/// bidirectional overrides ("trojan source") become U+FFFD.
fn printable(c: char) -> char {
    let bidi_control = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    if (c.is_control() && c != '\t') || bidi_control {
        char::REPLACEMENT_CHARACTER
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snippet_of(source: &[u8], needle: &str, masks: &[Range<usize>]) -> Snippet {
        let start = memchr::memmem::find(source, needle.as_bytes()).unwrap();
        let index = LineIndex::new(source);
        let masks = Masks::new(masks.iter().cloned());
        build(source, &index, start..start + needle.len(), &masks)
    }

    #[test]
    fn masks_merge_and_are_found_by_window() {
        let masks = Masks::new([10..12, 0..2, 11..15, 20..20, 30..40]);
        assert_eq!(masks, Masks(vec![0..2, 10..15, 30..40]));
        assert_eq!(masks.overlapping(&(2..10)), &[] as &[Range<usize>]);
        assert_eq!(masks.overlapping(&(1..11)), &[0..2, 10..15]);
        assert_eq!(masks.overlapping(&(14..31)), &[10..15, 30..40]);
        assert_eq!(masks.overlapping(&(40..50)), &[] as &[Range<usize>]);
    }

    #[test]
    fn short_line_is_shown_whole() {
        let source = b"first\nlet key = KEY;\nlast";
        let snippet = snippet_of(source, "KEY", &[]);
        assert_eq!(snippet.text, "let key = KEY;");
        assert_eq!(snippet.first_line, 2);
        assert_eq!(&snippet.text[snippet.highlight.clone()], "KEY");
    }

    #[test]
    fn lines_of_ordinary_length_are_never_cropped() {
        let line = format!("{}KEY", "x".repeat(WHOLE_LINE_BYTES - 3));
        let snippet = snippet_of(line.as_bytes(), "KEY", &[]);
        assert_eq!(snippet.text, line);
    }

    #[test]
    fn long_line_is_cropped_around_the_match() {
        let mut source = "a".repeat(5_000_000).into_bytes();
        source.extend_from_slice(b"KEY");
        source.extend("b".repeat(1000).bytes());
        let snippet = snippet_of(&source, "KEY", &[]);
        assert_eq!(
            snippet.text,
            format!(
                "…{}KEY{}…",
                "a".repeat(CONTEXT_CHARS),
                "b".repeat(CONTEXT_CHARS)
            )
        );
        assert_eq!(&snippet.text[snippet.highlight.clone()], "KEY");
    }

    #[test]
    fn masks_cover_every_secret_in_the_window() {
        let source = b"a=kat.SECRET1 b=kat.SECRET2";
        let masks = [6..13, 20..27];
        let snippet = snippet_of(source, "kat.SECRET1", &masks);
        assert_eq!(snippet.text, "a=kat.******* b=kat.*******");
        assert_eq!(&snippet.text[snippet.highlight.clone()], "kat.*******");
    }

    #[test]
    fn control_characters_and_bad_utf8_are_neutralised() {
        let source = b"\x1b[31mred\x1b[0m \xff KEY\r\n";
        let snippet = snippet_of(source, "KEY", &[]);
        assert_eq!(snippet.text, "\u{FFFD}[31mred\u{FFFD}[0m \u{FFFD} KEY");
    }

    #[test]
    fn cropping_respects_character_boundaries() {
        let source = format!("{}KEY", "é".repeat(100));
        let snippet = snippet_of(source.as_bytes(), "KEY", &[]);
        assert_eq!(snippet.text, format!("…{}KEY", "é".repeat(CONTEXT_CHARS)));
    }

    #[test]
    fn multi_line_matches_keep_their_lines() {
        let source = b"x\ncors({\n  origin: '*'\n})\ny";
        let start = 2;
        let end = source.len() - 2;
        let index = LineIndex::new(source);
        let snippet = build(source, &index, start..end, &Masks::default());
        assert_eq!(snippet.text, "cors({\n  origin: '*'\n})");
        assert_eq!(snippet.first_line, 2);
        assert_eq!(snippet.highlight, 0..snippet.text.len());
    }
}
