//! The token stream ([`crate::lex`]) and the pest grammar decide alike
//! where strings and comments begin and end, over many programs made
//! of fragments that tempt either one to disagree (comment starters in
//! strings, quotes and `*/` in comments, escapes, block comments
//! across lines).
use super::{Grammar, Rule};
use crate::lex::{Kind, tokens};
use pest::Parser;

const PIECES: &[&str] = &[
    "on deny_access_fs ",
    "where ",
    "path == \"a # b\" ",
    "path =~ \"/etc/**\" ",
    "comm == \"x // y\" ",
    "comm == \"q\\\"/*\" ",
    "path =~ re\"^/a\\\\\" ",
    "and ",
    "or ",
    "{ @[comm] = count() } ",
    "{ printf(\"%s */ #\\n\", path) } ",
    "# a comment \"with a quote\n",
    "// another */ one\n",
    "/* block \" # // */ ",
    "/* across\nlines */ ",
    "/**/",
    "\n",
    "; ",
    "on create_ruleset ",
    "{ @n[event] = count(); $x = 1 /* after */ } ",
];

#[test]
fn tokens_agree_with_pest_pairs() {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut parsed = 0;
    for _ in 0..60_000 {
        let n = 1 + (next() % 12) as usize;
        let src: String = (0..n).map(|_| PIECES[(next() % PIECES.len() as u64) as usize]).collect();
        let Ok(pairs) = Grammar::parse(Rule::program, &src) else { continue };
        parsed += 1;
        let toks = tokens(&src);
        let comments: Vec<(usize, usize)> =
            toks.iter().filter(|t| t.kind == Kind::Comment).map(|t| (t.start, t.end)).collect();
        for pair in pairs.flatten() {
            let (s, e) = (pair.as_span().start(), pair.as_span().end());
            if matches!(pair.as_rule(), Rule::string | Rule::regex) {
                assert!(
                    toks.iter().any(|t| t.kind == Kind::Str && (t.start, t.end) == (s, e)),
                    "{src:?}: pest's literal {s}..{e} is no string token"
                );
            }
            // A pair never starts or ends inside a comment.
            for &(cs, ce) in &comments {
                assert!(
                    !((cs < s && s < ce) || (cs < e && e < ce)),
                    "{src:?}: pair {s}..{e} cuts comment {cs}..{ce}"
                );
            }
            // A leaf pair (a token of pest's) holds no comment.
            if pair.clone().into_inner().next().is_none() && !matches!(pair.as_rule(), Rule::EOI) {
                assert!(
                    !comments
                        .iter()
                        .any(|&(cs, ce)| s <= cs && ce <= e && !matches!(pair.as_rule(), Rule::str_inner)),
                    "{src:?}: token {:?} {s}..{e} holds a comment",
                    pair.as_rule()
                );
            }
        }
        // Every string token is one of pest's literals.
        let literals: Vec<(usize, usize)> = Grammar::parse(Rule::program, &src)
            .unwrap()
            .flatten()
            .filter(|p| matches!(p.as_rule(), Rule::string | Rule::regex))
            .map(|p| (p.as_span().start(), p.as_span().end()))
            .collect();
        for t in toks.iter().filter(|t| t.kind == Kind::Str) {
            assert!(
                literals.contains(&(t.start, t.end)),
                "{src:?}: string token {}..{} is no literal of pest's",
                t.start,
                t.end
            );
        }
    }
    assert!(parsed > 3_000, "only {parsed} programs parsed");
}
