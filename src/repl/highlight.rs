//! Syntax highlighting of the line being edited: keywords, strings,
//! numbers, constants, maps and variables, comments, and the span of the
//! first error once the entry is complete. Only colour is added: the text
//! keeps its width.

use super::lex::{Kind, tokens};
use landtrace_event::schema::lookup_constant;
use std::ops::Range;

const KEYWORD: &str = "\x1b[1;35m";
const STRING: &str = "\x1b[32m";
const NUMBER: &str = "\x1b[36m";
const CONSTANT: &str = "\x1b[33m";
const MAP: &str = "\x1b[1;34m";
const VAR: &str = "\x1b[34m";
const COMMENT: &str = "\x1b[2m";
const ERROR: &str = "\x1b[4;31m";
const META: &str = "\x1b[1;36m";
const RESET: &str = "\x1b[0m";

/// `line` with colours; `error` is a byte range of `line` to mark.
pub fn highlight(line: &str, error: Option<Range<usize>>) -> String {
    let mut out = String::with_capacity(line.len() * 2);
    let meta = line.trim_start().starts_with('.');
    for t in tokens(line) {
        let text = &line[t.start..t.end];
        let color = match t.kind {
            _ if meta && t.start == line.len() - line.trim_start().len() => Some(META),
            Kind::Word if landtrace_grammar::words::is_keyword(text) => Some(KEYWORD),
            Kind::Word if lookup_constant(text).is_some() => Some(CONSTANT),
            Kind::Str => Some(STRING),
            Kind::Number => Some(NUMBER),
            Kind::Map => Some(MAP),
            Kind::Var => Some(VAR),
            Kind::Comment => Some(COMMENT),
            _ => None,
        };
        // The error span may cut across tokens: paint it byte range by range.
        let mut pos = t.start;
        while pos < t.end {
            let (in_err, until) = match &error {
                Some(e) if pos >= e.start && pos < e.end => (true, e.end.min(t.end)),
                Some(e) if e.start > pos && e.start < t.end => (false, e.start),
                _ => (false, t.end),
            };
            let until = if line.is_char_boundary(until) { until } else { t.end };
            let piece = &line[pos..until];
            match (in_err, color) {
                (true, _) => out.push_str(&format!("{ERROR}{piece}{RESET}")),
                (false, Some(c)) => out.push_str(&format!("{c}{piece}{RESET}")),
                (false, None) => out.push_str(piece),
            }
            pos = until;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip(s: &str) -> String {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                for c in chars.by_ref() {
                    if c == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn colours_keep_the_text() {
        let line = "on deny_* where path =~ \"/etc/**\" and blockers & READ_FILE { @m[comm] = count(); $x = 42 } # note";
        let h = highlight(line, None);
        assert_eq!(strip(&h), line);
        assert!(h.contains(&format!("{KEYWORD}on{RESET}")));
        assert!(h.contains(&format!("{STRING}\"/etc/**\"{RESET}")));
        assert!(h.contains(&format!("{CONSTANT}READ_FILE{RESET}")));
        assert!(h.contains(&format!("{MAP}@m{RESET}")));
        assert!(h.contains(&format!("{NUMBER}42{RESET}")));
        let e = highlight("on deny_* where pth == 1", Some(16..19));
        assert!(e.contains(&format!("{ERROR}pth{RESET}")), "{e:?}");
        assert_eq!(strip(&e), "on deny_* where pth == 1");
    }
}
