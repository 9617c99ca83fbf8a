//! A forgiving tokenizer for what is being typed: it never fails, so
//! completion and highlighting work on half-written entries.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A name, dotted name (`fs.read_file`) or keyword.
    Word,
    /// `@name` or `@`.
    Map,
    /// `$x` or `$1`.
    Var,
    Number,
    /// A string or `re"..."` literal, possibly unterminated.
    Str,
    Comment,
    Punct,
    Space,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.'
}

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
        } else if c == b'#' {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
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
            while i < b.len() && (is_word(b[i]) || b[i] == b'*') {
                i += 1;
            }
            Kind::Word
        } else {
            // One character of punctuation (a multi-byte character whole).
            i += s[i..].chars().next().map_or(1, char::len_utf8);
            Kind::Punct
        };
        out.push(Token { kind, start, end: i });
    }
    out
}

/// Whether an entry is complete: no open brace, bracket, parenthesis or
/// string. An unfinished entry continues on the next line.
pub fn is_complete(s: &str) -> bool {
    let mut depth = 0i32;
    for t in tokens(s) {
        let text = &s[t.start..t.end];
        match t.kind {
            Kind::Str if !closed(text) => return false,
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
        assert!(is_complete(""));
    }

    #[test]
    fn tokens_cover_the_text() {
        let s = "on deny_* where path =~ \"/etc/**\" { @m[comm] = count(); $x = 0x1f }";
        let t = tokens(s);
        assert_eq!(t.first().unwrap().start, 0);
        assert_eq!(t.last().unwrap().end, s.len());
        assert!(t.windows(2).all(|w| w[0].end == w[1].start));
        let words: Vec<&str> =
            t.iter().filter(|t| t.kind == Kind::Word).map(|t| &s[t.start..t.end]).collect();
        assert_eq!(words, ["on", "deny_*", "where", "path", "comm", "count"]);
    }
}
