//! Byte offsets in a document and LSP positions (line, character), the
//! character counted in UTF-16 code units (the protocol's default) or in
//! bytes (when the client offers `utf-8`).

use lsp_types::{Position, Range};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

pub struct LineIndex<'t> {
    text: &'t str,
    /// Byte offset where each line starts.
    starts: Vec<usize>,
    encoding: Encoding,
}

impl<'t> LineIndex<'t> {
    pub fn new(text: &'t str, encoding: Encoding) -> LineIndex<'t> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts, encoding }
    }

    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let mut at = offset;
        while !self.text.is_char_boundary(at) {
            at -= 1;
        }
        let part = &self.text[start..at];
        let character = match self.encoding {
            Encoding::Utf8 => part.len(),
            Encoding::Utf16 => part.encode_utf16().count(),
        };
        Position::new(line as u32, character as u32)
    }

    pub fn range(&self, start: usize, end: usize) -> Range {
        Range::new(self.position(start), self.position(end.max(start)))
    }

    /// The byte offset of a position; past the end of its line is the
    /// line's end, past the last line the end of the text.
    pub fn offset(&self, p: Position) -> usize {
        let Some(&start) = self.starts.get(p.line as usize) else { return self.text.len() };
        let end = self.starts.get(p.line as usize + 1).map_or(self.text.len(), |&e| e - 1);
        let line = &self.text[start..end];
        let want = p.character as usize;
        let mut units = 0;
        for (i, c) in line.char_indices() {
            if units >= want {
                return start + i;
            }
            units += match self.encoding {
                Encoding::Utf8 => c.len_utf8(),
                Encoding::Utf16 => c.len_utf16(),
            };
        }
        end
    }

    pub fn end(&self) -> Position {
        self.position(self.text.len())
    }
}

/// The word around `offset` (names, `@maps`, `$vars`, `fs.read_file`):
/// its byte range.
pub fn word_at(text: &str, offset: usize) -> Option<(usize, usize)> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '@' | '$');
    let offset = offset.min(text.len());
    let start = text[..offset]
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_word(c))
        .last()
        .map_or(offset, |(i, _)| i);
    let end =
        text[offset..].char_indices().find(|&(_, c)| !is_word(c)).map_or(text.len(), |(i, _)| offset + i);
    (start < end).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_round_trip_in_both_encodings() {
        let text = "on * where comm == \"é😀\" # x\n\nprint\n";
        for enc in [Encoding::Utf8, Encoding::Utf16] {
            let idx = LineIndex::new(text, enc);
            for (i, _) in text.char_indices().chain([(text.len(), ' ')]) {
                assert_eq!(idx.offset(idx.position(i)), i, "{enc:?} {i}");
            }
        }
        let idx = LineIndex::new(text, Encoding::Utf16);
        // `é` is one UTF-16 unit, the emoji two.
        let after = text.find('"').unwrap() + 1 + "é😀".len();
        assert_eq!(idx.position(after), Position::new(0, 23));
        assert_eq!(LineIndex::new(text, Encoding::Utf8).position(after), Position::new(0, 26));
        assert_eq!(idx.offset(Position::new(0, 999)), text.find('\n').unwrap());
        assert_eq!(idx.offset(Position::new(99, 0)), text.len());
        assert_eq!(idx.position(text.len()), Position::new(3, 0));
    }

    #[test]
    fn words() {
        let t = "on deny_* where has(blockers, fs.read_file) { @m[comm] = count() }";
        let w = |at: usize| word_at(t, at).map(|(s, e)| &t[s..e]);
        assert_eq!(w(t.find("fs.").unwrap() + 4), Some("fs.read_file"));
        assert_eq!(w(t.find("@m").unwrap()), Some("@m"));
        assert_eq!(w(t.find("blockers").unwrap() + 8), Some("blockers"));
        assert_eq!(w(t.find('{').unwrap() + 1), None);
    }
}
