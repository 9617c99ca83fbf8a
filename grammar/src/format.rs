//! `landtrace fmt`: one canonical layout for a program, its comments kept.
//!
//! The layout: one clause per line group, bodies indented by four spaces,
//! one statement per line; a clause whose block is a single simple
//! statement stays on one line when it fits in [`WIDTH`] columns. Spaces
//! around binary operators and after commas, none inside brackets;
//! `not`/`and`/`or` for `!`/`&&`/`||`; `;` dropped (newlines end
//! statements). A `where` condition, `if` condition or macro body too long
//! for one line is broken before its outermost `or` (or `and`) terms, and a
//! list too long for one line gets one element per line. Literals
//! (numbers, durations, strings, regular expressions) keep the spelling
//! they were written in, and parentheses the author wrote stay (one pair);
//! blank lines between clauses and statements are kept, at most one.
//!
//! Comments stay in their order: a comment at the end of a line stays at
//! the end of the line that holds what preceded it; a comment inside an
//! expression that is put on one line moves to a line of its own before it.
//! The formatted program parses to the same tree, and formatting it again
//! changes nothing.

use crate::ast::{
    BinOp, Block, Expr, ExprKind, InRhs, Item, ListElem, MapRef, Program, Span, Stmt, StmtKind, UnOp, Update,
};
use crate::parse::{SyntaxError, parse_program};

/// Lines are kept within this many columns where the layout allows.
pub const WIDTH: usize = 100;

const INDENT: usize = 4;

/// The program in canonical layout, or its syntax errors.
pub fn format(src: &str) -> Result<String, Vec<SyntaxError>> {
    let program = parse_program(src)?;
    let mut p = Printer {
        src,
        comments: comments(src),
        next: 0,
        out: String::with_capacity(src.len() + 64),
        last_end: 0,
        fresh: true,
    };
    p.program(&program);
    Ok(p.finish())
}

/// Byte ranges of the comments in `src` (`#` or `//` to the end of the
/// line, `/* ... */`; not inside string and regex literals): the token
/// stream's ([`crate::lex`]).
pub fn comments(src: &str) -> Vec<Span> {
    crate::lex::comments(src)
}

struct Printer<'s> {
    src: &'s str,
    comments: Vec<Span>,
    /// The first comment not written yet.
    next: usize,
    out: String,
    /// Where in the source the last thing written ends.
    last_end: usize,
    /// At the start of the file or of a block: no blank line goes here.
    fresh: bool,
}

/// One output line: its text and the part of the source it stands for.
struct Line {
    indent: usize,
    text: String,
    start: usize,
    end: usize,
}

impl Printer<'_> {
    fn finish(mut self) -> String {
        self.comments_before(usize::MAX, usize::MAX, 0);
        if self.out.is_empty() && !self.src.trim().is_empty() {
            // Only semicolons: nothing to keep.
            return String::new();
        }
        self.out
    }

    /// Writes the comments that start before `before`: one on the source
    /// line where the last thing written ends (and before `start`) goes at
    /// the end of the output's last line, the others on lines of their own.
    fn comments_before(&mut self, start: usize, before: usize, indent: usize) {
        while let Some(&c) = self.comments.get(self.next) {
            if c.start >= before {
                break;
            }
            self.next += 1;
            let text = self.src[c.start..c.end].trim_end();
            let same_line = c.start < start
                && c.start >= self.last_end
                && !self.out.is_empty()
                && !self.src[self.last_end..c.start].contains('\n');
            if same_line {
                self.out.pop();
                self.out.push(' ');
                self.out.push_str(text);
                self.out.push('\n');
            } else {
                self.blank_line_before(c.start);
                self.push_line(indent, text);
            }
            self.last_end = self.last_end.max(c.end);
        }
    }

    /// A blank line if the source has one between what was written last
    /// and `at`.
    fn blank_line_before(&mut self, at: usize) {
        if self.fresh || at <= self.last_end {
            return;
        }
        let gap = &self.src[self.last_end..at];
        let mut parts = gap.split('\n');
        parts.next();
        let mut middle: Vec<&str> = parts.collect();
        middle.pop();
        if middle.iter().any(|l| l.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b';'))) {
            self.out.push('\n');
        }
    }

    fn push_line(&mut self, indent: usize, text: &str) {
        for _ in 0..indent * INDENT {
            self.out.push(' ');
        }
        self.out.push_str(text);
        self.out.push('\n');
        self.fresh = false;
    }

    /// Writes a line, after the comments that come before it (at
    /// `comment_indent`) and a blank line where the source has one.
    fn line(&mut self, line: Line, comment_indent: usize, blank_ok: bool) {
        self.comments_before(line.start, line.end, comment_indent);
        if blank_ok {
            self.blank_line_before(line.start);
        }
        self.push_line(line.indent, &line.text);
        self.last_end = self.last_end.max(line.end);
    }

    /// A line that opens a block: the block's first line has no blank
    /// line before it.
    fn opening(&mut self, line: Line) {
        let indent = line.indent;
        self.line(line, indent, true);
        self.fresh = true;
    }

    /// A line that closes a block (`}`, `} else {`, `]`): the comments at
    /// the end of the block go inside it.
    fn closing(&mut self, line: Line) {
        let indent = line.indent;
        self.line(line, indent + 1, false);
    }

    fn fits(indent: usize, text: &str) -> bool {
        indent * INDENT + text.len() <= WIDTH && !text.contains('\n')
    }

    fn has_comment(&self, span: Span) -> bool {
        self.comments.iter().any(|c| c.start >= span.start && c.start < span.end)
    }

    /// The position of the first `ch` at or after `from`, outside comments.
    fn find(&self, from: usize, ch: u8) -> usize {
        let b = self.src.as_bytes();
        let mut i = from;
        while i < b.len() && b[i] != ch {
            if b[i] == b'#' || (b[i] == b'/' && b.get(i + 1) == Some(&b'/')) {
                i = b[i..].iter().position(|&c| c == b'\n').map_or(b.len(), |n| i + n);
            } else {
                i += 1;
            }
        }
        i
    }

    fn program(&mut self, p: &Program) {
        for item in &p.items {
            self.item(item);
        }
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::On(c) => {
                let events: Vec<&str> = c.events.iter().map(|e| e.name.as_str()).collect();
                let head = format!("on {}", events.join(", "));
                let start = c.span.start;
                match (&c.predicate, &c.block) {
                    (None, None) => {
                        self.line(Line { indent: 0, text: head, start, end: c.span.end }, 0, true);
                    }
                    (Some(p), None) => self.header(0, &format!("{head} where"), p, "", start, c.span.end),
                    (pred, Some(b)) => {
                        let lead = match pred {
                            Some(p) => format!("{head} where {}", self.expr(p, 0)),
                            None => head.clone(),
                        };
                        if self.one_line(0, &lead, b, start) {
                            return;
                        }
                        match pred {
                            Some(p) => {
                                self.header(0, &format!("{head} where"), p, " {", start, b.span.start + 1);
                            }
                            None => self.opening(Line {
                                indent: 0,
                                text: format!("{head} {{"),
                                start,
                                end: b.span.start + 1,
                            }),
                        }
                        self.rest_of_block(b, 0);
                    }
                }
            }
            Item::Begin(b) | Item::End(b) => {
                let word = if matches!(item, Item::Begin(_)) { "BEGIN" } else { "END" };
                // The block's span does not hold the keyword: find it.
                let start = self.src[..b.span.start].rfind(word).unwrap_or(b.span.start);
                self.block_clause(word, b, start);
            }
            Item::Every(e) => {
                let lead = format!("every {}", self.text(e.period_span));
                self.block_clause(&lead, &e.block, e.span.start);
            }
            Item::List(l) => {
                let open = self.find(l.name.span.end, b'[');
                self.list(0, &format!("list {} = ", l.name.name), &l.elems, l.span.start, open, l.span.end);
            }
            Item::Macro(m) => {
                self.header(0, &format!("macro {} =", m.name.name), &m.body, "", m.span.start, m.span.end);
            }
        }
    }

    /// `LEAD { ... }` at the top level.
    fn block_clause(&mut self, lead: &str, b: &Block, start: usize) {
        if self.one_line(0, lead, b, start) {
            return;
        }
        self.opening(Line { indent: 0, text: format!("{lead} {{"), start, end: b.span.start + 1 });
        self.rest_of_block(b, 0);
    }

    /// `LEAD { STMT }` (or `LEAD {}`) on one line, if the block is one
    /// simple statement without comments and it fits.
    fn one_line(&mut self, indent: usize, lead: &str, b: &Block, start: usize) -> bool {
        if b.stmts.len() > 1 || self.has_comment(b.span) {
            return false;
        }
        let text = match b.stmts.first() {
            None => format!("{lead} {{}}"),
            Some(s) if matches!(s.kind, StmtKind::If { .. }) => return false,
            Some(s) => format!("{lead} {{ {} }}", self.simple(s)),
        };
        if !Self::fits(indent, &text) {
            return false;
        }
        self.line(Line { indent, text, start, end: b.span.end }, indent, true);
        true
    }

    /// The statements of a block whose opening line is written, and its `}`.
    fn rest_of_block(&mut self, b: &Block, indent: usize) {
        self.statements(b, indent + 1);
        self.closing(Line { indent, text: "}".into(), start: b.span.end - 1, end: b.span.end });
    }

    fn statements(&mut self, b: &Block, indent: usize) {
        for s in &b.stmts {
            self.stmt(s, indent);
        }
    }

    /// `LEAD EXPR SUFFIX`, on one line if it fits, else broken before the
    /// terms of the expression's outermost `or` (or `and`) chain.
    fn header(&mut self, indent: usize, lead: &str, e: &Expr, suffix: &str, start: usize, end: usize) {
        let opens = suffix.ends_with('{');
        let whole = format!("{lead} {}{suffix}", self.expr(e, 0));
        let chain = self.chain(e);
        if Self::fits(indent, &whole) || chain.len() < 2 {
            let line = Line { indent, text: whole, start, end };
            if opens {
                self.opening(line);
            } else {
                self.line(line, indent, true);
            }
            return;
        }
        let op = match &e.kind {
            ExprKind::Binary(op, ..) => *op,
            _ => unreachable!("a chain is a binary expression"),
        };
        let p = prec_of(op);
        for (k, term) in chain.iter().enumerate() {
            let last = k + 1 == chain.len();
            let text = if k == 0 {
                format!("{lead} {}", self.expr(term, p))
            } else {
                format!("{} {}", op.symbol(), self.expr(term, p + 1))
            };
            let text = if last { format!("{text}{suffix}") } else { text };
            let line = Line {
                indent: if k == 0 { indent } else { indent + 1 },
                text,
                start: if k == 0 { start } else { term.span.start },
                end: if last { end } else { term.span.end },
            };
            if last && opens {
                self.opening(line);
            } else {
                let ci = line.indent;
                self.line(line, ci, k == 0);
            }
        }
    }

    /// The terms of `e`'s outermost `or` or `and` chain written without
    /// parentheses (one term if it is not such a chain).
    fn chain<'e>(&self, e: &'e Expr) -> Vec<&'e Expr> {
        let ExprKind::Binary(op @ (BinOp::Or | BinOp::And), ..) = &e.kind else { return vec![e] };
        if self.wrapped(e.span) {
            return vec![e];
        }
        let mut terms = Vec::new();
        let mut cur = e;
        while let ExprKind::Binary(o, l, r) = &cur.kind {
            if o != op || (!std::ptr::eq(cur, e) && self.wrapped(cur.span)) {
                break;
            }
            terms.push(&**r);
            cur = l;
        }
        terms.push(cur);
        terms.reverse();
        terms
    }

    fn stmt(&mut self, s: &Stmt, indent: usize) {
        let StmtKind::If { cond, then, otherwise } = &s.kind else {
            let text = self.simple(s);
            match &s.kind {
                StmtKind::Call { name, args } if args.len() > 1 && !Self::fits(indent, &text) => {
                    self.call(indent, &name.name, args, s.span);
                }
                _ => self.line(Line { indent, text, start: s.span.start, end: s.span.end }, indent, true),
            }
            return;
        };
        self.header(indent, "if", cond, " {", s.span.start, then.span.start + 1);
        let mut then = then;
        let mut otherwise = otherwise;
        loop {
            self.statements(then, indent + 1);
            let close = then.span.end - 1;
            match otherwise {
                None => {
                    self.closing(Line { indent, text: "}".into(), start: close, end: then.span.end });
                    return;
                }
                // `else if`: a block that is the one `if` statement, no braces.
                Some(o) if o.stmts.len() == 1 && o.stmts[0].span == o.span => {
                    let StmtKind::If { cond, then: t, otherwise: e } = &o.stmts[0].kind else {
                        unreachable!("the parser makes `else if` a block of one `if`")
                    };
                    self.comments_before(close, close, indent + 1);
                    self.header(indent, "} else if", cond, " {", close, t.span.start + 1);
                    then = t;
                    otherwise = e;
                }
                Some(o) => {
                    self.closing(Line {
                        indent,
                        text: "} else {".into(),
                        start: close,
                        end: o.span.start + 1,
                    });
                    self.fresh = true;
                    self.statements(o, indent + 1);
                    self.closing(Line { indent, text: "}".into(), start: o.span.end - 1, end: o.span.end });
                    return;
                }
            }
        }
    }

    /// A call statement too long for one line: `NAME(FIRST,` and the other
    /// arguments filling the lines after it.
    fn call(&mut self, indent: usize, name: &str, args: &[Expr], span: Span) {
        let first = Line {
            indent,
            text: format!("{name}({},", self.expr(&args[0], 0)),
            start: span.start,
            end: args[0].span.end,
        };
        self.line(first, indent, true);
        let mut line: Option<Line> = None;
        for (k, a) in args.iter().enumerate().skip(1) {
            let last = k + 1 == args.len();
            let text = format!("{}{}", self.expr(a, 0), if last { ")" } else { "," });
            let end = if last { span.end } else { a.span.end };
            match line.as_mut() {
                Some(l) if Self::fits(indent + 1, &format!("{} {text}", l.text)) => {
                    l.text.push(' ');
                    l.text.push_str(&text);
                    l.end = end;
                }
                _ => {
                    if let Some(l) = line.take() {
                        self.line(l, indent + 1, false);
                    }
                    line = Some(Line { indent: indent + 1, text, start: a.span.start, end });
                }
            }
        }
        if let Some(l) = line {
            self.line(l, indent + 1, false);
        }
    }

    /// `target = value`, or the update as the author wrote it.
    fn assign(&self, target: &str, value: &Expr, update: Option<Update>) -> String {
        match (update, &value.kind) {
            (Some(Update::Incr), _) => format!("{target}++"),
            (Some(Update::Decr), _) => format!("{target}--"),
            (Some(Update::Op(op)), ExprKind::Binary(_, _, rhs)) => {
                format!("{target} {}= {}", op.symbol(), self.expr(rhs, 0))
            }
            _ => format!("{target} = {}", self.expr(value, 0)),
        }
    }

    /// A statement other than `if`, on one line.
    fn simple(&self, s: &Stmt) -> String {
        match &s.kind {
            StmtKind::PrintEvent => "print".into(),
            StmtKind::Call { name, args } => format!("{}({})", name.name, self.exprs(args)),
            StmtKind::MapAssign { map, value, update } => self.assign(&self.map(map), value, *update),
            StmtKind::VarAssign { name, value, update } => {
                self.assign(&format!("${}", name.name), value, *update)
            }
            StmtKind::If { .. } => unreachable!("if statements take several lines"),
        }
    }

    /// `LEAD[a, b]` on one line, or one element per line when it does not
    /// fit or has comments inside.
    fn list(&mut self, indent: usize, lead: &str, elems: &[ListElem], start: usize, open: usize, end: usize) {
        let one = format!("{lead}[{}]", self.elems(elems));
        if elems.is_empty() || (Self::fits(indent, &one) && !self.has_comment(Span::new(open, end))) {
            self.line(Line { indent, text: one, start, end }, indent, true);
            return;
        }
        self.opening(Line { indent, text: format!("{lead}["), start, end: open + 1 });
        for el in elems {
            let span = el.span();
            let text = format!("{},", self.elem(el));
            self.line(Line { indent: indent + 1, text, start: span.start, end: span.end }, indent + 1, true);
        }
        self.closing(Line { indent, text: "]".into(), start: end - 1, end });
    }

    // --- expressions, on one line ------------------------------------

    fn text(&self, span: Span) -> &str {
        &self.src[span.start..span.end]
    }

    /// Whether the source of `span` is one parenthesised expression.
    fn wrapped(&self, span: Span) -> bool {
        let text = self.text(span);
        if !text.starts_with('(') || !text.ends_with(')') {
            return false;
        }
        let mut depth = 0usize;
        for t in crate::lex::tokens(text) {
            if t.kind != crate::lex::Kind::Punct {
                continue;
            }
            match &text[t.start..t.end] {
                "(" => depth += 1,
                ")" => {
                    depth -= 1;
                    if depth == 0 {
                        return t.end == text.len();
                    }
                }
                _ => {}
            }
        }
        false
    }

    /// A literal as written: a string or regex from its quotes, a number
    /// or duration without the spaces, comments and parentheses its span
    /// may hold (`( - 5 )` is `-5`).
    fn literal(&self, out: &mut String, e: &Expr) {
        let text = self.text(e.span);
        let mut bytes = Vec::with_capacity(text.len());
        for t in crate::lex::tokens(text) {
            let s = &text[t.start..t.end];
            match t.kind {
                // `re"..."` or `"..."`: the literal is the token.
                crate::lex::Kind::Str => {
                    out.push_str(s);
                    return;
                }
                crate::lex::Kind::Space | crate::lex::Kind::Comment => {}
                crate::lex::Kind::Punct if s == "(" || s == ")" => {}
                _ => bytes.extend_from_slice(s.as_bytes()),
            }
        }
        if matches!(e.kind, ExprKind::Regex(_) | ExprKind::Str(_)) {
            unreachable!("a string literal has quotes");
        }
        out.push_str(std::str::from_utf8(&bytes).expect("number literals are ASCII"));
    }

    /// `e` on one line, in parentheses if the author wrote them or if it
    /// binds less tightly than `min` (the precedence its place needs).
    fn expr(&self, e: &Expr, min: u8) -> String {
        let mut out = String::new();
        self.expr_into(&mut out, e, min);
        out
    }

    fn expr_into(&self, out: &mut String, e: &Expr, min: u8) {
        let paren = self.wrapped(e.span) || prec(e) < min;
        if paren {
            out.push('(');
        }
        match &e.kind {
            // Literals as written (less spaces: `- 5` is `-5`).
            ExprKind::Int(_) | ExprKind::Duration(_) | ExprKind::Str(_) | ExprKind::Regex(_) => {
                self.literal(out, e);
            }
            ExprKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            ExprKind::Name(n) | ExprKind::Dotted(n) => out.push_str(n),
            ExprKind::Var(n) => {
                out.push('$');
                out.push_str(n);
            }
            ExprKind::Arg(n) => out.push_str(&format!("${n}")),
            ExprKind::Map(m) => out.push_str(&self.map(m)),
            ExprKind::Call { name, args } => {
                out.push_str(&name.name);
                out.push('(');
                out.push_str(&self.exprs(args));
                out.push(')');
            }
            ExprKind::Index { base, index } => {
                out.push_str(&base.name);
                out.push('[');
                self.expr_into(out, index, 0);
                out.push(']');
            }
            ExprKind::Unary(op, a) => {
                out.push_str(match op {
                    UnOp::Not => "not ",
                    UnOp::BitNot => "~",
                    UnOp::Neg => "-",
                });
                let p = if *op == UnOp::Not { NOT } else { UNARY };
                // `- -x`, not `--x`: both parse, the first reads better.
                if *op == UnOp::Neg
                    && matches!(&a.kind, ExprKind::Unary(UnOp::Neg, _) | ExprKind::Int(_))
                    && !self.wrapped(a.span)
                    && self.text(a.span).starts_with('-')
                {
                    out.push(' ');
                }
                self.expr_into(out, a, p);
            }
            ExprKind::Binary(op, ..) => {
                // A left-nested chain of one precedence, without recursing
                // down its left side (sums of thousands of terms).
                let p = prec_of(*op);
                let mut rights = Vec::new();
                let mut cur = e;
                while let ExprKind::Binary(o, l, r) = &cur.kind {
                    let inner = !std::ptr::eq(cur, e);
                    if inner && (prec_of(*o) != p || p == CMP || self.wrapped(cur.span)) {
                        break;
                    }
                    rights.push((*o, &**r));
                    cur = l;
                }
                // Comparisons do not chain: a comparison inside one needs
                // parentheses on either side.
                let left_min = if p == CMP { CMP + 1 } else { p };
                self.expr_into(out, cur, left_min);
                for (o, r) in rights.into_iter().rev() {
                    out.push(' ');
                    out.push_str(o.symbol());
                    out.push(' ');
                    self.expr_into(out, r, p + 1);
                }
            }
            ExprKind::In { negated, lhs, rhs } => {
                self.expr_into(out, lhs, CMP + 1);
                out.push_str(if *negated { " not in " } else { " in " });
                match rhs {
                    InRhs::List(elems, _) => {
                        out.push('[');
                        out.push_str(&self.elems(elems));
                        out.push(']');
                    }
                    InRhs::Range(a, b, _) => {
                        self.expr_into(out, a, ATOM);
                        out.push_str("..");
                        self.expr_into(out, b, ATOM);
                    }
                    InRhs::Name(n) => out.push_str(&n.name),
                }
            }
        }
        if paren {
            out.push(')');
        }
    }

    fn exprs(&self, es: &[Expr]) -> String {
        es.iter().map(|e| self.expr(e, 0)).collect::<Vec<_>>().join(", ")
    }

    fn elems(&self, elems: &[ListElem]) -> String {
        elems.iter().map(|e| self.elem(e)).collect::<Vec<_>>().join(", ")
    }

    fn elem(&self, el: &ListElem) -> String {
        match el {
            ListElem::Value(v) => self.expr(v, 0),
            ListElem::Range(a, b, _) => format!("{}..{}", self.expr(a, ATOM), self.expr(b, ATOM)),
        }
    }

    fn map(&self, m: &MapRef) -> String {
        let Some(keys) = &m.keys else { return m.name.name.clone() };
        let keys: Vec<String> = keys
            .iter()
            .zip(m.labels.iter().chain(std::iter::repeat(&None)))
            .map(|(k, label)| match label {
                Some(l) => format!("{}: {}", l.name, self.expr(k, 0)),
                None => self.expr(k, 0),
            })
            .collect();
        format!("{}[{}]", m.name.name, keys.join(", "))
    }
}

// Binding strength, loosest first (the Pratt table of parse.rs).
const NOT: u8 = 3;
const CMP: u8 = 4;
const UNARY: u8 = 11;
const ATOM: u8 = 12;

fn prec_of(op: BinOp) -> u8 {
    match op {
        BinOp::Or => 1,
        BinOp::And => 2,
        op if op.is_comparison() => CMP,
        BinOp::BitOr => 5,
        BinOp::BitXor => 6,
        BinOp::BitAnd => 7,
        BinOp::Shl | BinOp::Shr => 8,
        BinOp::Add | BinOp::Sub => 9,
        BinOp::Mul | BinOp::Div | BinOp::Rem => 10,
        _ => unreachable!("comparisons are matched above"),
    }
}

fn prec(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary(op, ..) => prec_of(*op),
        ExprKind::In { .. } => CMP,
        ExprKind::Unary(UnOp::Not, _) => NOT,
        ExprKind::Unary(..) => UNARY,
        ExprKind::Int(v) if *v < 0 => UNARY,
        _ => ATOM,
    }
}

#[cfg(test)]
mod tests;
