//! Byte offsets to 1-based lines and columns, as editors count them.
//!
//! Columns count characters, not bytes: a line of invalid UTF-8 counts each
//! maximal invalid sequence as one character, the way an editor shows it as
//! one replacement character. Lines end at `\n` (a `\r` before it is part of
//! the line, as in every editor's column count).

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

    #[test]
    fn line_bounds_exclude_the_newline() {
        let text = b"one\r\ntwo";
        let index = LineIndex::new(text);
        assert_eq!(index.line_bounds(0), (0, 4));
        assert_eq!(index.line_bounds(1), (5, 8));
    }
}
