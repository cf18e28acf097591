//! Byte offsets to 1-based lines and columns, as editors count them.
//!
//! Columns count characters, not bytes: a line of invalid UTF-8 counts each
//! maximal invalid sequence as one character, the way an editor shows it as
//! one replacement character. Lines end at `\n` (a `\r` before it is part of
//! the line, as in every editor's column count).
//!
//! A lone `\r` (classic Mac OS line ends) does not end a line; it is one
//! character of the column. Lines are counted the way git counts them,
//! and with it GitHub's diff view, where `-f github` annotations and SARIF
//! results land, and grep, ripgrep and gitleaks: a file with lone `\r`s is
//! one line there, so the finding is reported on that line. Snippets and
//! inline suppressions split lines the same way.

use std::cell::Cell;

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// Start offsets of every line of a buffer, built once per file that has
/// findings (files without findings never pay for it).
#[derive(Debug)]
pub struct LineIndex<'a> {
    text: &'a [u8],
    /// Byte offset where each line starts; `starts[0] == 0`.
    starts: Vec<usize>,
    /// The last position computed, as `(offset, 0-based line, column)`.
    /// Asked in ascending order, columns on one line are counted from the
    /// previous one: thousands of keys on one multi-megabyte minified line
    /// then cost one pass over the line, not one pass per key.
    last: Cell<Option<(usize, usize, usize)>>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a [u8]) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text).map(|newline| newline + 1));
        LineIndex {
            text,
            starts,
            last: Cell::new(None),
        }
    }

    /// 0-based line number holding `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset) - 1
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// Byte range of 0-based `line`, without its `\n`.
    pub fn line_bounds(&self, line: usize) -> (usize, usize) {
        let start = self.starts[line];
        let end = self
            .starts
            .get(line + 1)
            .map_or(self.text.len(), |next_start| next_start - 1);
        (start, end)
    }

    /// The 1-based position of `offset`. Fastest when called with
    /// ascending offsets.
    pub fn position(&self, offset: usize) -> Position {
        let line = self.line_of(offset);
        let (counted_to, column_there) = match self.last.get() {
            Some((last_offset, last_line, last_column))
                if last_line == line && last_offset <= offset =>
            {
                (last_offset, last_column)
            }
            _ => (self.starts[line], 1),
        };
        let column = column_there + char_count(&self.text[counted_to..offset]);
        self.last.set(Some((offset, line, column)));
        Position {
            line: line + 1,
            column,
        }
    }
}

/// Number of characters in `bytes`, counting each invalid UTF-8 sequence as
/// one replacement character (what `String::from_utf8_lossy` would show).
pub fn char_count(bytes: &[u8]) -> usize {
    bytes
        .utf8_chunks()
        .map(|chunk| chunk.valid().chars().count() + usize::from(!chunk.invalid().is_empty()))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        let text = b"ab\ncd\n\nef";
        let index = LineIndex::new(text);
        assert_eq!(index.position(0), Position { line: 1, column: 1 });
        assert_eq!(index.position(1), Position { line: 1, column: 2 });
        assert_eq!(index.position(3), Position { line: 2, column: 1 });
        assert_eq!(index.position(6), Position { line: 3, column: 1 });
        assert_eq!(index.position(8), Position { line: 4, column: 2 });
        // The end of the buffer is a valid position (exclusive match ends).
        assert_eq!(index.position(9), Position { line: 4, column: 3 });
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let text = "héllo → kat".as_bytes();
        let index = LineIndex::new(text);
        let offset = text.len() - 3;
        assert_eq!(index.position(offset), Position { line: 1, column: 9 });
    }

    #[test]
    fn positions_asked_out_of_order_are_still_right() {
        let source = "aé\nbcd éf";
        let boundaries: Vec<usize> = source.char_indices().map(|(offset, _)| offset).collect();
        let index = LineIndex::new(source.as_bytes());
        let forward: Vec<Position> = boundaries.iter().map(|&o| index.position(o)).collect();
        let fresh = LineIndex::new(source.as_bytes());
        for (i, &offset) in boundaries.iter().enumerate().rev() {
            assert_eq!(fresh.position(offset), forward[i], "offset {offset}");
        }
        assert_eq!(forward[7], Position { line: 2, column: 5 });
    }

    #[test]
    fn invalid_utf8_counts_one_character_per_bad_sequence() {
        let text = b"\xff\xfeab";
        assert_eq!(char_count(text), 4);
        let index = LineIndex::new(text);
        assert_eq!(index.position(2), Position { line: 1, column: 3 });
    }

    /// A piece of text and how it moves the naive count.
    #[derive(Debug, Clone, Copy)]
    enum Piece {
        /// One character of the column, whatever its byte length (an
        /// invalid UTF-8 sequence is one replacement character).
        Character(&'static [u8]),
        /// `\n`: the next piece starts on the next line, column 1.
        LineFeed,
        /// `\r\n`: the `\r` is the line's last character, then `\n`.
        CarriageReturnLineFeed,
    }

    /// ASCII, 2-, 3- and 4-byte characters, invalid sequences, lone `\r`,
    /// `\n` and `\r\n`, each equally likely.
    const PIECES: &[Piece] = &[
        Piece::Character(b"a"),
        Piece::Character("é".as_bytes()),
        Piece::Character("→".as_bytes()),
        Piece::Character("😀".as_bytes()),
        Piece::Character(b"\r"),
        Piece::Character(b"\xff"),
        // A truncated 3-byte sequence: one replacement character, since no
        // piece starts with a continuation byte.
        Piece::Character(b"\xe2\x82"),
        Piece::LineFeed,
        Piece::CarriageReturnLineFeed,
    ];

    /// Bytes, and the naive position of every byte that starts a
    /// character, and of the end of the text.
    fn naive(pieces: &[Piece]) -> (Vec<u8>, Vec<(usize, Position)>) {
        let mut text = Vec::new();
        let mut positions = Vec::new();
        let (mut line, mut column) = (1, 1);
        for piece in pieces {
            positions.push((text.len(), Position { line, column }));
            match piece {
                Piece::Character(bytes) => {
                    text.extend_from_slice(bytes);
                    column += 1;
                }
                Piece::LineFeed => {
                    text.push(b'\n');
                    (line, column) = (line + 1, 1);
                }
                Piece::CarriageReturnLineFeed => {
                    positions.push((
                        text.len() + 1,
                        Position {
                            line,
                            column: column + 1,
                        },
                    ));
                    text.extend_from_slice(b"\r\n");
                    (line, column) = (line + 1, 1);
                }
            }
        }
        positions.push((text.len(), Position { line, column }));
        (text, positions)
    }

    proptest::proptest! {
        // 256 texts of up to 150 pieces: about 0.1 s in the debug test
        // profile.
        #![proptest_config(proptest::test_runner::Config::with_cases(256))]

        #[test]
        fn positions_agree_with_a_naive_count(
            pieces in proptest::collection::vec(proptest::sample::select(PIECES), 0..150)
        ) {
            let (text, expected) = naive(&pieces);
            let index = LineIndex::new(&text);
            // Ascending, as the scanner asks (the column cache is used)...
            for &(offset, position) in &expected {
                proptest::prop_assert_eq!(index.position(offset), position, "offset {}", offset);
            }
            // ...and descending on the same index (the cache must not be).
            for &(offset, position) in expected.iter().rev() {
                proptest::prop_assert_eq!(index.position(offset), position, "offset {}", offset);
            }
            let lines = expected.last().map_or(1, |(_, end)| end.line);
            proptest::prop_assert_eq!(index.line_count(), lines);
            for (line, bytes) in text.split(|&b| b == b'\n').enumerate() {
                let (start, end) = index.line_bounds(line);
                proptest::prop_assert_eq!(&text[start..end], bytes);
            }
        }
    }

    #[test]
    fn a_lone_carriage_return_is_a_character_not_a_line_end() {
        // Classic Mac OS line ends: one line for git and GitHub's diff view.
        let text = b"one\rtwo\r\nthree";
        let index = LineIndex::new(text);
        assert_eq!(index.position(4), Position { line: 1, column: 5 });
        assert_eq!(index.position(9), Position { line: 2, column: 1 });
        assert_eq!(index.line_count(), 2);
    }

    #[test]
    fn line_bounds_exclude_the_newline() {
        let text = b"one\r\ntwo";
        let index = LineIndex::new(text);
        assert_eq!(index.line_bounds(0), (0, 4));
        assert_eq!(index.line_bounds(1), (5, 8));
    }
}
