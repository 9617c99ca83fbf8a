//! The language's lexical layer, in one place: where comments (`#` and
//! `//` to the end of the line, `/* ... */`) and string literals (`"..."`,
//! `re"..."`, with `\` escapes and newlines inside) begin and end. The
//! pest grammar decides the same (a property test checks that its pairs
//! agree with these tokens); the parser's recovery and spans, the
//! formatter's comments, and the REPL's and language server's highlighting
//! and completion all read this token stream.
//!
//! It never fails: what is being typed is tokenized as far as it goes (an
//! unterminated string or comment runs to the end).

use crate::ast::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A name, dotted name (`fs.read_file`), event glob (`deny_*`) or
    /// keyword.
    Word,
    /// `@name` or `@`.
    Map,
    /// `$x` or `$1`.
    Var,
    Number,
    /// A string or `re"..."` literal, possibly unterminated.
    Str,
    /// `# ...`, `// ...` or `/* ... */`, possibly unterminated.
    Comment,
    /// One character of punctuation or an operator's character.
    Punct,
    Space,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn span(self) -> Span {
        Span::new(self.start, self.end)
    }

    /// Whitespace or a comment: what separates the tokens that mean
    /// something.
    pub fn is_trivia(self) -> bool {
        matches!(self.kind, Kind::Space | Kind::Comment)
    }
}

/// Where `needle` first occurs in `b` at or after `from`.
fn find_from(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|p| from + p)
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.'
}

/// The tokens of `s`, covering it from start to end.
pub fn tokens(s: &str) -> Vec<Token> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let c = b[i];
        let kind = if c.is_ascii_whitespace() {
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            Kind::Space
        } else if c == b'#' || (c == b'/' && b.get(i + 1) == Some(&b'/')) {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            Kind::Comment
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i = find_from(b, i + 2, b"*/").map_or(b.len(), |e| e + 2);
            Kind::Comment
        } else if c == b'"' || (c == b'r' && b.get(i + 1) == Some(&b'e') && b.get(i + 2) == Some(&b'"')) {
            i += if c == b'"' { 1 } else { 3 };
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(b.len());
            Kind::Str
        } else if c.is_ascii_digit() {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            Kind::Number
        } else if c == b'@' || c == b'$' {
            i += 1;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            if c == b'@' { Kind::Map } else { Kind::Var }
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while i < b.len() && (is_word(b[i]) || b[i] == b'*' || b[i] == b'?') {
                i += 1;
            }
            Kind::Word
        } else {
            // One character of punctuation (a multi-byte character whole).
            i += s[i..].chars().next().map_or(1, char::len_utf8);
            Kind::Punct
        };
        out.push(Token { kind, start, end: i.min(b.len()) });
    }
    out
}

/// The comments of `s`, in order.
pub fn comments(s: &str) -> Vec<Span> {
    tokens(s).into_iter().filter(|t| t.kind == Kind::Comment).map(Token::span).collect()
}

/// Whether a token's text is a `/* ...` comment that never ends.
pub fn unclosed_comment(kind: Kind, text: &str) -> bool {
    kind == Kind::Comment && text.starts_with("/*") && !(text.len() >= 4 && text.ends_with("*/"))
}

/// The first `/* ...` that never ends, or string that never closes.
pub fn unterminated(s: &str) -> Option<Token> {
    tokens(s).into_iter().find(|t| {
        let text = &s[t.start..t.end];
        unclosed_comment(t.kind, text) || (t.kind == Kind::Str && !closed(text))
    })
}

/// The end of the last token of `tokens` that means something (not
/// whitespace, not a comment) and ends at or before `end`, if it starts at
/// or after `start`; else `start`. `tokens` are those of the whole text.
pub fn meaningful_end(tokens: &[Token], start: usize, end: usize) -> usize {
    // The first token ending after `end`.
    let mut i = tokens.partition_point(|t| t.end <= end);
    while i > 0 {
        i -= 1;
        let t = tokens[i];
        if t.start < start {
            break;
        }
        if !t.is_trivia() {
            return t.end;
        }
    }
    start
}

/// Whether byte `pos` is inside a comment or a string (not at its start).
pub fn inside_literal(tokens: &[Token], pos: usize) -> bool {
    let i = tokens.partition_point(|t| t.end <= pos);
    tokens.get(i).is_some_and(|t| t.start < pos && matches!(t.kind, Kind::Comment | Kind::Str))
}

/// Whether an entry is complete: no open brace, bracket, parenthesis,
/// string or block comment. An unfinished entry continues on the next line.
pub fn is_complete(s: &str) -> bool {
    let mut depth = 0i32;
    for t in tokens(s) {
        let text = &s[t.start..t.end];
        match t.kind {
            Kind::Str if !closed(text) => return false,
            Kind::Comment if unclosed_comment(t.kind, text) => {
                return false;
            }
            Kind::Punct => match text {
                "{" | "[" | "(" => depth += 1,
                "}" | "]" | ")" => depth -= 1,
                _ => {}
            },
            _ => {}
        }
    }
    depth <= 0
}

/// Whether a string token ends with an unescaped quote.
fn closed(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = if text.starts_with("re\"") { 3 } else { 1 };
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i == b.len() - 1,
            _ => i += 1,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_continue_while_something_is_open() {
        assert!(is_complete("on deny_* { @[comm] = count() }"));
        assert!(!is_complete("on deny_* {"));
        assert!(!is_complete("on deny_* { print(comm"));
        assert!(!is_complete("comm == \"unterminated"));
        assert!(is_complete("comm == \"a\\\"b\""));
        assert!(!is_complete("comm == \"a\\\""));
        assert!(is_complete("path =~ re\"^/etc\" # a { in a comment"));
        assert!(is_complete("path =~ \"/etc\" // a { in a comment"));
        assert!(!is_complete("on * /* a comment { not closed"));
        assert!(is_complete("on * /* { */ { print }"));
        assert!(is_complete(""));
    }

    #[test]
    fn tokens_cover_the_text() {
        let s = "on deny_* where path =~ \"/etc/**\" /* c */ { @m[comm] = count(); $x = 0x1f } // end";
        let t = tokens(s);
        assert_eq!(t.first().unwrap().start, 0);
        assert_eq!(t.last().unwrap().end, s.len());
        assert!(t.windows(2).all(|w| w[0].end == w[1].start));
        let words: Vec<&str> =
            t.iter().filter(|t| t.kind == Kind::Word).map(|t| &s[t.start..t.end]).collect();
        assert_eq!(words, ["on", "deny_*", "where", "path", "comm", "count"]);
        let comments: Vec<&str> = comments(s).iter().map(|c| &s[c.start..c.end]).collect();
        assert_eq!(comments, ["/* c */", "// end"]);
    }

    #[test]
    fn strings_hold_what_looks_like_comments() {
        let s = "\"a # b // c /* d\" # real\n/* x \" y */ \"z\"";
        let kinds: Vec<(Kind, &str)> = tokens(s)
            .iter()
            .filter(|t| !t.is_trivia() || t.kind == Kind::Comment)
            .map(|t| (t.kind, &s[t.start..t.end]))
            .collect();
        assert_eq!(
            kinds,
            [
                (Kind::Str, "\"a # b // c /* d\""),
                (Kind::Comment, "# real"),
                (Kind::Comment, "/* x \" y */"),
                (Kind::Str, "\"z\"")
            ]
        );
        assert_eq!(unterminated("a /* b").map(|t| t.start), Some(2));
        assert_eq!(unterminated("a /* b */ \"c"), tokens("a /* b */ \"c").last().copied());
        assert_eq!(unterminated("a /**/ b"), None);
        let t = tokens(s);
        assert!(inside_literal(&t, 3) && !inside_literal(&t, 0));
        assert_eq!(meaningful_end(&t, 0, s.len()), s.len());
        assert_eq!(meaningful_end(&t, 0, 24), 17);
    }
}
