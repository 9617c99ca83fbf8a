//! Syntax errors: what pest expected, said in words, with the span of the
//! token found (or of the one before, when something is missing).

use super::{Rule, SyntaxError};
use crate::ast::Span;

/// Turns a pest error into a readable message naming what was expected.
pub(super) fn convert_error(
    src: &str,
    tokens: &[crate::lex::Token],
    base: usize,
    e: pest::error::Error<Rule>,
) -> SyntaxError {
    use pest::error::{ErrorVariant, InputLocation};
    let pos = match e.location {
        InputLocation::Pos(p) => p + base,
        InputLocation::Span((s, _)) => s + base,
    };
    let positives = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    let found = token_at(src, pos);
    let found_desc = if found.is_empty() {
        "end of input".to_string()
    } else {
        format!("`{}`", &src[found.start..found.end])
    };
    let prev = previous_token(src, tokens, pos);
    if let Some(e) = habit(src, base, pos, found, prev) {
        return e;
    }
    let wants_expr = positives.iter().any(|r| is_expr_start(*r));

    if wants_expr && let Some(prev) = prev {
        let text = &src[prev.start..prev.end];
        let after = if text == "where" { "after 'where'".to_string() } else { format!("after `{text}`") };
        // At the end of the input, point at what needs the expression.
        let (span, label) = if found.is_empty() {
            (prev, format!("nothing follows `{text}`"))
        } else {
            (found, format!("found {found_desc}"))
        };
        let err = SyntaxError::new(span, format!("expected an expression {after}"), label);
        return if text == "where" {
            err.help("write a condition, e.g. `where comm == \"curl\"`, or drop `where`")
        } else {
            err
        };
    }

    let mut wanted: Vec<&str> = positives.iter().filter_map(|r| describe(*r)).collect();
    if wanted.is_empty() {
        wanted.push(CLAUSE);
    }
    wanted.sort_unstable();
    wanted.dedup();
    let message = match wanted.len() {
        0 => format!("unexpected {found_desc}"),
        1 => format!("expected {}, found {found_desc}", wanted[0]),
        _ => {
            let (last, rest) = wanted.split_last().expect("non-empty");
            format!("expected {} or {last}, found {found_desc}", rest.join(", "))
        }
    };
    let span = if found.is_empty() { Span::new(pos, pos) } else { found };
    let mut err = SyntaxError::new(span, message, "unexpected here");
    if wanted.contains(&CLAUSE) {
        err = err.help("a program is a list of clauses such as `on deny_* { @[comm] = count() }`");
    }
    err
}

/// The habits people bring from bpftrace and other languages, recognised
/// where the parse failed, each with what to write instead.
fn habit(src: &str, base: usize, pos: usize, found: Span, prev: Option<Span>) -> Option<SyntaxError> {
    let text = |s: Span| &src[s.start..s.end];
    let f = text(found);
    let rest = &src[found.start..];
    let p = prev.map_or("", text);
    let err = |span: Span, message: &str, label: &str, help: &str| {
        Some(SyntaxError::new(span, message, label).help(help))
    };
    // An unclosed string or block: point at where it opens.
    let open = unclosed(src, base);
    if let Some(open) = open.string {
        return err(
            Span::new(open, open + 1),
            "this string is never closed",
            "opens here",
            "end it with `\"`",
        );
    }
    if found.is_empty()
        && let Some(open) = open.brace
    {
        return err(
            Span::new(open, open + 1),
            "this `{` is never closed",
            "opens here",
            "end the block with `}`",
        );
    }
    // bpftrace's probes and their interval/profile clauses.
    let probe = f.to_ascii_lowercase();
    if src[found.end..].starts_with(':') {
        if matches!(probe.as_str(), "interval" | "profile" | "i") {
            return err(
                found,
                "landtrace has no `interval:` probe",
                "bpftrace's",
                "write a timed clause: `every 1s { ... }`",
            );
        }
        if matches!(
            probe.as_str(),
            "tracepoint"
                | "t"
                | "kprobe"
                | "k"
                | "kretprobe"
                | "kr"
                | "uprobe"
                | "uretprobe"
                | "fentry"
                | "fexit"
                | "lsm"
                | "rawtracepoint"
                | "rt"
                | "kfunc"
                | "software"
                | "hardware"
        ) {
            return err(
                found,
                &format!("landtrace has no `{f}:` probes: a clause is `on EVENT`"),
                "bpftrace's",
                "e.g. `on deny_access_fs { ... }`; `landtrace -l` lists the events",
            );
        }
    }
    match f {
        "/" if !p.is_empty() && !matches!(p, "(" | "=" | "==") => {
            return err(
                found,
                "landtrace filters with `where`, not bpftrace's `/pred/`",
                "bpftrace's filter",
                "write `on deny_* where comm == \"curl\" { ... }`",
            );
        }
        "=" if !rest.starts_with("==") && !rest.starts_with("=~") => {
            return err(
                found,
                "`=` assigns: a comparison is `==`",
                "did you mean `==`?",
                &format!("write `{p} == ...`"),
            );
        }
        "'" => {
            return err(found, "strings are in double quotes", "a single quote", "write `\"...\"`");
        }
        "?" => {
            return err(
                found,
                "there is no `a ? b : c`",
                "a conditional expression",
                "use `if cond { ... } else { ... }` in a block",
            );
        }
        "+" | "-"
            if rest.starts_with("++")
                || rest.starts_with("--")
                || rest.starts_with("+=")
                || rest.starts_with("-=") =>
        {
            return err(
                Span::new(found.start, found.start + 2),
                &format!("`{}` is a statement, not part of an expression", &rest[..2]),
                "an update",
                "write it on its own: `@x++`, `$i += 2`",
            );
        }
        _ => {}
    }
    if p == "every" && f.bytes().all(|b| b.is_ascii_digit()) && !f.is_empty() {
        return err(
            found,
            "`every` needs a duration",
            "a number without a unit",
            &format!("write `every {f}s` (or ms, us, ns, m, h)"),
        );
    }
    let _ = pos;
    None
}

/// What is left open from `base` on, outside comments: a string's opening
/// quote, and the first `{` never closed (one scan for both).
struct Unclosed {
    string: Option<usize>,
    brace: Option<usize>,
}

fn unclosed(src: &str, base: usize) -> Unclosed {
    let b = src.as_bytes();
    let mut braces = Vec::new();
    let mut i = base;
    while i < b.len() {
        match b[i] {
            b'"' => {
                let open = i;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                if i >= b.len() {
                    return Unclosed { string: Some(open), brace: braces.first().copied() };
                }
            }
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'{' => braces.push(i),
            b'}' => {
                braces.pop();
            }
            _ => {}
        }
        i += 1;
    }
    Unclosed { string: None, brace: braces.first().copied() }
}

const CLAUSE: &str = "a clause (`on`, `BEGIN`, `END`, `every`, `list`, `macro`)";

fn is_expr_start(r: Rule) -> bool {
    matches!(
        r,
        Rule::expr
            | Rule::primary
            | Rule::paren
            | Rule::number
            | Rule::duration
            | Rule::string
            | Rule::regex
            | Rule::bool_lit
            | Rule::name_expr
            | Rule::call_args
            | Rule::map_ref
            | Rule::map_key
            | Rule::key_label
            | Rule::var
            | Rule::script_arg
            | Rule::dotted
            | Rule::ident
            | Rule::op_not
            | Rule::op_neg
            | Rule::op_bnot
    )
}

fn describe(r: Rule) -> Option<&'static str> {
    Some(match r {
        Rule::EOI => "end of input",
        Rule::on_clause
        | Rule::begin_clause
        | Rule::end_clause
        | Rule::every_clause
        | Rule::list_def
        | Rule::macro_def
        | Rule::kw_on
        | Rule::kw_begin
        | Rule::kw_end
        | Rule::kw_every
        | Rule::kw_list
        | Rule::kw_macro => CLAUSE,
        Rule::event_pat | Rule::event_list => "an event name",
        Rule::block => "a block `{ ... }`",
        Rule::where_part | Rule::kw_where => "`where`",
        Rule::duration => "a duration such as `5s` or `500ms`",
        Rule::ident => "a name",
        Rule::list_lit => "a list `[...]`",
        Rule::range => "a range `lo..hi`",
        Rule::in_op | Rule::kw_in | Rule::not_in => "`in`",
        Rule::args => "arguments",
        Rule::map_keys => "map keys `[...]`",
        Rule::if_stmt
        | Rule::map_assign
        | Rule::var_assign
        | Rule::call_stmt
        | Rule::print_bare
        | Rule::kw_if
        | Rule::kw_print => "a statement",
        Rule::kw_else => "`else`",
        r if is_expr_start(r) => "an expression",
        Rule::op_or
        | Rule::op_and
        | Rule::op_eq
        | Rule::op_ne
        | Rule::op_lt
        | Rule::op_le
        | Rule::op_gt
        | Rule::op_ge
        | Rule::op_match
        | Rule::op_nomatch
        | Rule::op_bor
        | Rule::op_xor
        | Rule::op_band
        | Rule::op_shl
        | Rule::op_shr
        | Rule::op_add
        | Rule::op_sub
        | Rule::op_mul
        | Rule::op_div
        | Rule::op_rem => "an operator",
        _ => return None,
    })
}

/// The token starting at `pos` (a word, a string, or one symbol).
fn token_at(src: &str, pos: usize) -> Span {
    let rest = &src[pos.min(src.len())..];
    let Some(c) = rest.chars().next() else {
        return Span::new(src.len(), src.len());
    };
    let len = if c.is_alphanumeric() || c == '_' || c == '@' || c == '$' {
        rest.find(|ch: char| !(ch.is_alphanumeric() || ch == '_' || ch == '@' || ch == '$'))
            .unwrap_or(rest.len())
            .max(c.len_utf8())
    } else if c == '"' {
        rest[1..].find('"').map_or(rest.len(), |i| i + 2)
    } else {
        c.len_utf8()
    };
    Span::new(pos, pos + len)
}

/// The last token before `pos`, skipping whitespace and comments (a
/// word whole, else its last character).
fn previous_token(src: &str, tokens: &[crate::lex::Token], pos: usize) -> Option<Span> {
    let pos = pos.min(src.len());
    let end = crate::lex::meaningful_end(tokens, 0, pos);
    if end == 0 {
        return None;
    }
    let tail = &src[..end];
    let last = tail.chars().next_back()?;
    let start = if last.is_alphanumeric() || last == '_' {
        tail.rfind(|ch: char| !(ch.is_alphanumeric() || ch == '_')).map_or(0, |i| i + 1)
    } else {
        end - last.len_utf8()
    };
    Some(Span::new(start, end))
}
