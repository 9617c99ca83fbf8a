//! From text to AST: runs the pest grammar, applies operator precedence with
//! a Pratt parser, and turns pest's failures into readable syntax errors.
//!
//! A syntax error stops the clause it is in, not the program: the parser
//! resumes at the next line that starts a clause, so one run reports the
//! syntax errors of every clause.

use crate::ast::{
    BinOp, Block, Every, Expr, ExprKind, Ident, InRhs, Item, ListDef, ListElem, MAX_DEPTH, MacroDef, MapRef,
    OnClause, Program, Span, Stmt, StmtKind, UnOp, Update,
};
use pest::Parser;
use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use std::sync::OnceLock;

mod errors;

use crate::lex;
use errors::convert_error;

#[derive(pest_derive::Parser)]
#[grammar = "landtrace.pest"]
struct Grammar;

/// A syntax error: where, what, and how to fix it.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct SyntaxError {
    pub message: String,
    pub span: Span,
    pub label: String,
    pub help: Option<String>,
}

impl SyntaxError {
    fn new(span: Span, message: impl Into<String>, label: impl Into<String>) -> SyntaxError {
        SyntaxError { message: message.into(), span, label: label.into(), help: None }
    }

    fn help(mut self, help: impl Into<String>) -> SyntaxError {
        self.help = Some(help.into());
        self
    }
}

/// At most this many syntax errors are reported for one program.
const MAX_ERRORS: usize = 20;

/// Parses a whole program. On failure returns every syntax error found.
pub fn parse_program(src: &str) -> Result<Program, Vec<SyntaxError>> {
    let partial = parse_program_recovering(src);
    if partial.errors.is_empty() { Ok(partial.program) } else { Err(partial.errors) }
}

/// A program parsed as far as it could be: the clauses without syntax
/// errors, and the errors of the others.
pub struct Partial {
    pub program: Program,
    pub errors: Vec<SyntaxError>,
    /// A `macro` or `list` definition is among the clauses lost: names the
    /// other clauses use may be undefined because of it.
    pub lost_definitions: bool,
}

/// Parses every clause it can: a syntax error loses the clause it is in,
/// and parsing resumes at the next line that starts a clause.
pub fn parse_program_recovering(src: &str) -> Partial {
    let mut partial = Partial { program: Program::default(), errors: Vec::new(), lost_definitions: false };
    let tokens = lex::tokens(src);
    if let Some(e) = prescan(src, &tokens) {
        partial.errors.push(e);
        return partial;
    }
    let mut base = 0;
    loop {
        match parse_range(src, &tokens, base, src.len()) {
            Ok(p) => {
                partial.program.items.extend(p.items);
                break;
            }
            Err(e) => {
                // The clauses before the one in error are whole: keep them,
                // up to the latest clause start that leaves them parsing.
                let resume = resync_point(src, &tokens, e.span.start, base);
                let mut lost_from = base;
                for cut in clause_starts(src, &tokens, e.span.start, base).into_iter().rev() {
                    if let Ok(p) = parse_range(src, &tokens, base, cut) {
                        partial.program.items.extend(p.items);
                        lost_from = cut;
                        break;
                    }
                }
                let lost = &src[lost_from..resume.unwrap_or(src.len())];
                partial.lost_definitions |= lost.lines().any(|l| {
                    let w = l.trim_start().split(|c: char| !c.is_ascii_alphanumeric()).next().unwrap_or("");
                    crate::words::starts_definition(w)
                });
                partial.errors.push(e);
                match resume {
                    Some(next) if partial.errors.len() < MAX_ERRORS => base = next,
                    _ => break,
                }
            }
        }
    }
    if let Some(span) = partial.program.too_deep(MAX_DEPTH) {
        partial.errors.push(
            SyntaxError::new(span, format!("nested more than {MAX_DEPTH} levels deep"), "too deep")
                .help("split the expression, or name parts of it with `macro`"),
        );
    }
    partial
}

/// Rejects absurd nesting (brackets, or runs of prefix operators) before the
/// recursive parser sees it, so no input can exhaust the stack.
fn prescan(src: &str, tokens: &[lex::Token]) -> Option<SyntaxError> {
    let mut depth = 0usize;
    let mut run = 0usize;
    let too_deep = |at: usize| {
        Some(
            SyntaxError::new(
                Span::new(at, at + 1),
                format!("nested more than {MAX_DEPTH} levels deep"),
                "too deep",
            )
            .help("split the expression, or name parts of it with `macro`"),
        )
    };
    for t in tokens {
        let text = &src[t.start..t.end];
        match t.kind {
            lex::Kind::Space => {}
            lex::Kind::Comment if lex::unclosed_comment(t.kind, text) => {
                return Some(
                    SyntaxError::new(
                        Span::new(t.start, t.start + 2),
                        "this comment is never closed",
                        "opened here",
                    )
                    .help("end it with `*/`"),
                );
            }
            lex::Kind::Comment => {}
            lex::Kind::Punct => match text {
                "(" | "[" | "{" => {
                    depth += 1;
                    run = 0;
                    if depth > MAX_DEPTH {
                        return too_deep(t.start);
                    }
                }
                ")" | "]" | "}" => {
                    depth = depth.saturating_sub(1);
                    run = 0;
                }
                "!" | "~" | "-" => {
                    run += 1;
                    if run > MAX_DEPTH {
                        return too_deep(t.start);
                    }
                }
                _ => run = 0,
            },
            lex::Kind::Word if text == "not" => {
                run += 1;
                if run > MAX_DEPTH {
                    return too_deep(t.start);
                }
            }
            _ => run = 0,
        }
    }
    None
}

/// Parses a single expression (the REPL's bare filters).
pub fn parse_expr(src: &str) -> Result<Expr, SyntaxError> {
    let wrapped = format!("on * where {src}");
    let offset = "on * where ".len();
    match parse_program(&wrapped) {
        Ok(p) => match p.items.into_iter().next() {
            Some(Item::On(OnClause { predicate: Some(e), block: None, .. })) => Ok(shift_expr(e, offset)),
            _ => Err(SyntaxError::new(
                Span::new(0, src.len()),
                "expected a single expression",
                "not an expression",
            )),
        },
        Err(mut errs) => {
            let mut e = errs.remove(0);
            e.span = Span::new(
                e.span.start.saturating_sub(offset).min(src.len()),
                e.span.end.saturating_sub(offset).min(src.len()),
            );
            Err(e)
        }
    }
}

fn shift_expr(mut e: Expr, offset: usize) -> Expr {
    fn shift(s: &mut Span, o: usize) {
        s.start -= o;
        s.end -= o;
    }
    fn walk(e: &mut Expr, o: usize) {
        shift(&mut e.span, o);
        match &mut e.kind {
            ExprKind::Map(m) => {
                shift(&mut m.span, o);
                shift(&mut m.name.span, o);
                for k in m.keys.iter_mut().flatten() {
                    walk(k, o);
                }
            }
            ExprKind::Call { name, args } => {
                shift(&mut name.span, o);
                for a in args.iter_mut() {
                    walk(a, o);
                }
            }
            ExprKind::Index { base, index } => {
                shift(&mut base.span, o);
                walk(index, o);
            }
            ExprKind::Unary(_, a) => walk(a, o),
            ExprKind::Binary(_, a, b) => {
                walk(a, o);
                walk(b, o);
            }
            ExprKind::In { lhs, rhs, .. } => {
                walk(lhs, o);
                match rhs {
                    InRhs::List(elems, s) => {
                        shift(s, o);
                        for el in elems {
                            match el {
                                ListElem::Value(v) => walk(v, o),
                                ListElem::Range(a, b, s) => {
                                    walk(a, o);
                                    walk(b, o);
                                    shift(s, o);
                                }
                            }
                        }
                    }
                    InRhs::Range(a, b, s) => {
                        walk(a, o);
                        walk(b, o);
                        shift(s, o);
                    }
                    InRhs::Name(i) => shift(&mut i.span, o),
                }
            }
            _ => {}
        }
    }
    walk(&mut e, offset);
    e
}

/// Where to resume after an error at `pos`: the line holding the error, if
/// it starts a clause (and parsing moves forward), else the next line that
/// starts a clause.
fn resync_point(src: &str, tokens: &[lex::Token], pos: usize, base: usize) -> Option<usize> {
    let pos = pos.min(src.len());
    let mut line_start = src[..pos].rfind('\n').map_or(0, |i| i + 1);
    if line_start <= base {
        line_start = src[pos..].find('\n')? + pos + 1;
    }
    while line_start < src.len() {
        let line = &src[line_start..];
        let trimmed = line.trim_start_matches([' ', '\t']);
        let indent = line.len() - trimmed.len();
        let word: String = trimmed.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        // Not a line inside a string or a `/* */` comment.
        if crate::words::starts_item(&word) && !lex::inside_literal(tokens, line_start) {
            return Some(line_start + indent);
        }
        line_start += line.find('\n')? + 1;
    }
    None
}

/// The lines from `base` to `pos` that start a clause (after `base`), and
/// the line holding `pos`: where the text before an error may be cut.
fn clause_starts(src: &str, tokens: &[lex::Token], pos: usize, base: usize) -> Vec<usize> {
    let pos = pos.min(src.len());
    let mut out = Vec::new();
    let mut line_start = base;
    while line_start <= pos && line_start < src.len() {
        let line = &src[line_start..];
        let trimmed = line.trim_start_matches([' ', '\t']);
        let word: String = trimmed.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        let holds_pos = line.find('\n').is_none_or(|i| line_start + i >= pos);
        if line_start > base
            && !lex::inside_literal(tokens, line_start)
            && (holds_pos || crate::words::starts_item(&word))
        {
            out.push(line_start);
        }
        match line.find('\n') {
            Some(i) => line_start += i + 1,
            None => break,
        }
    }
    out
}

fn parse_range(src: &str, tokens: &[lex::Token], base: usize, end: usize) -> Result<Program, SyntaxError> {
    let text = &src[base..end];
    let pairs = Grammar::parse(Rule::program, text).map_err(|e| convert_error(src, tokens, base, e))?;
    let b = Builder { base, tokens };
    let mut items = Vec::new();
    for pair in pairs.into_iter().next().expect("program").into_inner() {
        match pair.as_rule() {
            Rule::EOI => {}
            _ => items.push(b.item(pair)?),
        }
    }
    Ok(Program { items })
}

fn pratt() -> &'static PrattParser<Rule> {
    static P: OnceLock<PrattParser<Rule>> = OnceLock::new();
    P.get_or_init(|| {
        PrattParser::new()
            .op(Op::infix(Rule::op_or, Assoc::Left))
            .op(Op::infix(Rule::op_and, Assoc::Left))
            .op(Op::prefix(Rule::op_not))
            .op(Op::infix(Rule::op_eq, Assoc::Left)
                | Op::infix(Rule::op_ne, Assoc::Left)
                | Op::infix(Rule::op_lt, Assoc::Left)
                | Op::infix(Rule::op_le, Assoc::Left)
                | Op::infix(Rule::op_gt, Assoc::Left)
                | Op::infix(Rule::op_ge, Assoc::Left)
                | Op::infix(Rule::op_match, Assoc::Left)
                | Op::infix(Rule::op_nomatch, Assoc::Left)
                | Op::postfix(Rule::in_op))
            .op(Op::infix(Rule::op_bor, Assoc::Left))
            .op(Op::infix(Rule::op_xor, Assoc::Left))
            .op(Op::infix(Rule::op_band, Assoc::Left))
            .op(Op::infix(Rule::op_shl, Assoc::Left) | Op::infix(Rule::op_shr, Assoc::Left))
            .op(Op::infix(Rule::op_add, Assoc::Left) | Op::infix(Rule::op_sub, Assoc::Left))
            .op(Op::infix(Rule::op_mul, Assoc::Left)
                | Op::infix(Rule::op_div, Assoc::Left)
                | Op::infix(Rule::op_rem, Assoc::Left))
            .op(Op::prefix(Rule::op_bnot) | Op::prefix(Rule::op_neg))
    })
}

struct Builder<'t> {
    base: usize,
    /// The whole source's tokens (spans end at the last one that means
    /// something, not at trailing whitespace or comments).
    tokens: &'t [lex::Token],
}

/// An expression under construction, and whether it is a comparison not
/// wrapped in parentheses (comparisons do not chain).
type Built = Result<(Expr, bool), SyntaxError>;

impl Builder<'_> {
    /// The span of a pair, without the whitespace and comments pest's
    /// implicit rules may have consumed at its end.
    fn span(&self, p: &Pair<Rule>) -> Span {
        let s = p.as_span();
        let (start, end) = (s.start() + self.base, s.end() + self.base);
        Span::new(start, lex::meaningful_end(self.tokens, start, end))
    }

    fn ident(&self, p: Pair<Rule>) -> Ident {
        Ident { span: self.span(&p), name: p.as_str().to_string() }
    }

    fn item(&self, p: Pair<Rule>) -> Result<Item, SyntaxError> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let mut inner = p.into_inner();
        Ok(match rule {
            Rule::on_clause => {
                inner.next(); // kw_on
                let events = inner.next().expect("event_list").into_inner().map(|e| self.ident(e)).collect();
                let mut predicate = None;
                let mut block = None;
                for part in inner {
                    match part.as_rule() {
                        Rule::where_part => {
                            let expr = part.into_inner().nth(1).expect("expr");
                            predicate = Some(self.expr(expr)?);
                        }
                        Rule::block => block = Some(self.block(part)?),
                        r => unreachable!("on clause part {r:?}"),
                    }
                }
                Item::On(OnClause { events, predicate, block, span })
            }
            Rule::begin_clause => Item::Begin(self.block(inner.nth(1).expect("block"))?),
            Rule::end_clause => Item::End(self.block(inner.nth(1).expect("block"))?),
            Rule::every_clause => {
                inner.next();
                let d = inner.next().expect("duration");
                let period_span = self.span(&d);
                let period_ns = self.duration(&d)?;
                if period_ns == 0 {
                    return Err(SyntaxError::new(
                        period_span,
                        "an `every` period must be longer than zero",
                        "zero period",
                    ));
                }
                Item::Every(Every {
                    period_ns,
                    period_span,
                    block: self.block(inner.next().expect("block"))?,
                    span,
                })
            }
            Rule::list_def => {
                inner.next();
                let name = self.ident(inner.next().expect("name"));
                let list = inner.next().expect("list");
                Item::List(ListDef { name, elems: self.list_elems(list)?, span })
            }
            Rule::macro_def => {
                inner.next();
                let name = self.ident(inner.next().expect("name"));
                Item::Macro(MacroDef { name, body: self.expr(inner.next().expect("body"))?, span })
            }
            r => unreachable!("item {r:?}"),
        })
    }

    fn block(&self, p: Pair<Rule>) -> Result<Block, SyntaxError> {
        let span = self.span(&p);
        let stmts = p.into_inner().map(|s| self.stmt(s)).collect::<Result<_, _>>()?;
        Ok(Block { stmts, span })
    }

    /// The value an update statement stores: `target + 1`, `target - 1`,
    /// `target OP e`; and how it was written.
    fn update(
        &self,
        target: Expr,
        inner: &mut pest::iterators::Pairs<Rule>,
        span: Span,
    ) -> Result<(Expr, Update), SyntaxError> {
        let op = inner.next().expect("update");
        let op_span = self.span(&op);
        let one = |n| Expr { span: op_span, kind: ExprKind::Int(n) };
        let (bin, rhs, update) = match op.as_rule() {
            Rule::incr => (BinOp::Add, one(1), Update::Incr),
            Rule::decr => (BinOp::Sub, one(1), Update::Decr),
            _ => {
                let bin = match op.as_str().trim_end_matches('=') {
                    "+" => BinOp::Add,
                    "-" => BinOp::Sub,
                    "*" => BinOp::Mul,
                    "/" => BinOp::Div,
                    "%" => BinOp::Rem,
                    "<<" => BinOp::Shl,
                    ">>" => BinOp::Shr,
                    "&" => BinOp::BitAnd,
                    "|" => BinOp::BitOr,
                    "^" => BinOp::BitXor,
                    o => unreachable!("compound {o}"),
                };
                (bin, self.expr(inner.next().expect("operand"))?, Update::Op(bin))
            }
        };
        Ok((Expr { span, kind: ExprKind::Binary(bin, Box::new(target), Box::new(rhs)) }, update))
    }

    fn stmt(&self, p: Pair<Rule>) -> Result<Stmt, SyntaxError> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let mut inner = p.into_inner();
        let kind = match rule {
            Rule::print_bare => StmtKind::PrintEvent,
            Rule::call_stmt => StmtKind::Call {
                name: self.ident(inner.next().expect("name")),
                args: self.args(inner.next().expect("args"))?,
            },
            Rule::map_assign => StmtKind::MapAssign {
                map: self.map_ref(inner.next().expect("map"))?,
                value: self.expr(inner.next().expect("value"))?,
                update: None,
            },
            Rule::var_assign => {
                let v = inner.next().expect("var");
                StmtKind::VarAssign {
                    name: Ident { span: self.span(&v), name: v.as_str()[1..].to_string() },
                    value: self.expr(inner.next().expect("value"))?,
                    update: None,
                }
            }
            Rule::map_update => {
                let map = self.map_ref(inner.next().expect("map"))?;
                let target = Expr { span: map.span, kind: ExprKind::Map(map.clone()) };
                let (value, update) = self.update(target, &mut inner, span)?;
                StmtKind::MapAssign { map, value, update: Some(update) }
            }
            Rule::var_update => {
                let v = inner.next().expect("var");
                let name = Ident { span: self.span(&v), name: v.as_str()[1..].to_string() };
                let target = Expr { span: name.span, kind: ExprKind::Var(name.name.clone()) };
                let (value, update) = self.update(target, &mut inner, span)?;
                StmtKind::VarAssign { name, value, update: Some(update) }
            }
            Rule::if_stmt => {
                inner.next(); // kw_if
                let cond = self.expr(inner.next().expect("cond"))?;
                let then = self.block(inner.next().expect("then"))?;
                let otherwise = match inner.nth(1) {
                    None => None,
                    Some(e) if e.as_rule() == Rule::block => Some(self.block(e)?),
                    Some(e) => {
                        let nested = self.stmt(e)?;
                        Some(Block { span: nested.span, stmts: vec![nested] })
                    }
                };
                StmtKind::If { cond, then, otherwise }
            }
            r => unreachable!("stmt {r:?}"),
        };
        Ok(Stmt { kind, span })
    }

    fn args(&self, p: Pair<Rule>) -> Result<Vec<Expr>, SyntaxError> {
        p.into_inner().map(|a| self.expr(a)).collect()
    }

    fn map_ref(&self, p: Pair<Rule>) -> Result<MapRef, SyntaxError> {
        let span = self.span(&p);
        let mut inner = p.into_inner();
        let name = self.ident(inner.next().expect("map name"));
        let (mut keys, mut labels) = (None, Vec::new());
        if let Some(k) = inner.next() {
            let mut exprs = Vec::new();
            for key in k.into_inner() {
                let mut parts = key.into_inner().peekable();
                let label = match parts.peek() {
                    Some(l) if l.as_rule() == Rule::key_label => parts.next().map(|l| self.ident(l)),
                    _ => None,
                };
                labels.push(label);
                exprs.push(self.expr(parts.next().expect("key expression"))?);
            }
            keys = Some(exprs);
        }
        Ok(MapRef { name, keys, labels, span })
    }

    fn expr(&self, p: Pair<Rule>) -> Result<Expr, SyntaxError> {
        self.expr_pairs(p.into_inner()).map(|(e, _)| e)
    }

    fn expr_pairs(&self, pairs: Pairs<Rule>) -> Built {
        pratt()
            .map_primary(|p| self.primary(p))
            .map_prefix(|op, rhs| {
                let (rhs, _) = rhs?;
                let op_span = self.span(&op);
                let unop = match op.as_rule() {
                    Rule::op_not => UnOp::Not,
                    Rule::op_bnot => UnOp::BitNot,
                    Rule::op_neg => UnOp::Neg,
                    r => unreachable!("prefix {r:?}"),
                };
                // Fold `-123` into a literal so that i64::MIN is writable.
                if let (UnOp::Neg, ExprKind::Int(v)) = (unop, &rhs.kind) {
                    return Ok((
                        Expr { kind: ExprKind::Int(v.wrapping_neg()), span: op_span.to(rhs.span) },
                        false,
                    ));
                }
                let span = op_span.to(rhs.span);
                Ok((Expr { kind: ExprKind::Unary(unop, Box::new(rhs)), span }, false))
            })
            .map_postfix(|lhs, op| {
                let (lhs, lhs_cmp) = lhs?;
                let op_span = self.span(&op);
                if lhs_cmp {
                    return Err(chained(op_span));
                }
                let mut inner = op.into_inner();
                let kw = inner.next().expect("in keyword");
                let negated = kw.as_rule() == Rule::not_in;
                let rhs_pair = inner.next().expect("in rhs");
                let rhs = match rhs_pair.as_rule() {
                    Rule::list_lit => {
                        let s = self.span(&rhs_pair);
                        InRhs::List(self.list_elems(rhs_pair)?, s)
                    }
                    Rule::range => {
                        let s = self.span(&rhs_pair);
                        let (a, b) = self.range(rhs_pair)?;
                        InRhs::Range(Box::new(a), Box::new(b), s)
                    }
                    Rule::ident => InRhs::Name(self.ident(rhs_pair)),
                    r => unreachable!("in rhs {r:?}"),
                };
                let span = lhs.span.to(op_span);
                Ok((Expr { kind: ExprKind::In { negated, lhs: Box::new(lhs), rhs }, span }, true))
            })
            .map_infix(|lhs, op, rhs| {
                let (lhs, lhs_cmp) = lhs?;
                let (rhs, rhs_cmp) = rhs?;
                let binop = match op.as_rule() {
                    Rule::op_or => BinOp::Or,
                    Rule::op_and => BinOp::And,
                    Rule::op_eq => BinOp::Eq,
                    Rule::op_ne => BinOp::Ne,
                    Rule::op_lt => BinOp::Lt,
                    Rule::op_le => BinOp::Le,
                    Rule::op_gt => BinOp::Gt,
                    Rule::op_ge => BinOp::Ge,
                    Rule::op_match => BinOp::Match,
                    Rule::op_nomatch => BinOp::NoMatch,
                    Rule::op_bor => BinOp::BitOr,
                    Rule::op_xor => BinOp::BitXor,
                    Rule::op_band => BinOp::BitAnd,
                    Rule::op_shl => BinOp::Shl,
                    Rule::op_shr => BinOp::Shr,
                    Rule::op_add => BinOp::Add,
                    Rule::op_sub => BinOp::Sub,
                    Rule::op_mul => BinOp::Mul,
                    Rule::op_div => BinOp::Div,
                    Rule::op_rem => BinOp::Rem,
                    r => unreachable!("infix {r:?}"),
                };
                let is_cmp = binop.is_comparison();
                if is_cmp && (lhs_cmp || rhs_cmp) {
                    return Err(chained(self.span(&op)));
                }
                let span = lhs.span.to(rhs.span);
                Ok((Expr { kind: ExprKind::Binary(binop, Box::new(lhs), Box::new(rhs)), span }, is_cmp))
            })
            .parse(pairs)
    }

    fn primary(&self, p: Pair<Rule>) -> Built {
        let span = self.span(&p);
        let kind = match p.as_rule() {
            Rule::paren => {
                let (mut e, _) = self.expr_pairs(p.into_inner().next().expect("expr").into_inner())?;
                e.span = span;
                return Ok((e, false));
            }
            Rule::expr => return self.expr_pairs(p.into_inner()),
            Rule::number => ExprKind::Int(self.number(&p)?),
            Rule::duration => ExprKind::Duration(self.duration(&p)?),
            Rule::string => ExprKind::Str(self.string(p.into_inner().next().expect("inner"))?),
            Rule::regex => {
                let inner = p.into_inner().next().expect("inner");
                ExprKind::Regex(inner.as_str().replace("\\\"", "\""))
            }
            Rule::bool_lit => ExprKind::Bool(p.as_str() == "true"),
            Rule::map_ref => ExprKind::Map(self.map_ref(p)?),
            Rule::script_arg => {
                let n: u32 = p.as_str()[1..].parse().unwrap_or(u32::MAX);
                if !(1..=9).contains(&n) {
                    return Err(SyntaxError::new(
                        span,
                        format!("no script argument {}", p.as_str()),
                        "script arguments are $1 to $9",
                    ));
                }
                ExprKind::Arg(n)
            }
            Rule::var => ExprKind::Var(p.as_str()[1..].to_string()),
            Rule::name_expr => {
                let mut inner = p.into_inner();
                let name = self.ident(inner.next().expect("name"));
                match inner.next() {
                    None => ExprKind::Name(name.name),
                    Some(suffix) if suffix.as_rule() == Rule::call_args => {
                        ExprKind::Call { name, args: self.args(suffix.into_inner().next().expect("args"))? }
                    }
                    Some(suffix) => ExprKind::Index {
                        base: name,
                        index: Box::new(self.expr(suffix.into_inner().next().expect("index"))?),
                    },
                }
            }
            Rule::dotted => ExprKind::Dotted(p.as_str().to_string()),
            r => unreachable!("primary {r:?}"),
        };
        Ok((Expr { kind, span }, false))
    }

    fn list_elems(&self, p: Pair<Rule>) -> Result<Vec<ListElem>, SyntaxError> {
        p.into_inner()
            .map(|e| match e.as_rule() {
                Rule::range => {
                    let s = self.span(&e);
                    let (a, b) = self.range(e)?;
                    Ok(ListElem::Range(a, b, s))
                }
                _ => Ok(ListElem::Value(self.expr(e)?)),
            })
            .collect()
    }

    fn range(&self, p: Pair<Rule>) -> Result<(Expr, Expr), SyntaxError> {
        let mut inner = p.into_inner();
        let a = self.range_end(inner.next().expect("lo"))?;
        let b = self.range_end(inner.next().expect("hi"))?;
        Ok((a, b))
    }

    fn range_end(&self, p: Pair<Rule>) -> Result<Expr, SyntaxError> {
        let span = self.span(&p);
        match p.as_rule() {
            Rule::neg_number => {
                let n = self.number(&p.into_inner().next().expect("number"))?;
                Ok(Expr { kind: ExprKind::Int(n.wrapping_neg()), span })
            }
            _ => self.primary(p).map(|(e, _)| e),
        }
    }

    fn number(&self, p: &Pair<Rule>) -> Result<i64, SyntaxError> {
        let text: String = p.as_str().chars().filter(|c| *c != '_').collect();
        let (digits, radix) = match text.get(..2) {
            Some("0x" | "0X") => (&text[2..], 16),
            Some("0o" | "0O") => (&text[2..], 8),
            Some("0b" | "0B") => (&text[2..], 2),
            _ => (&text[..], 10),
        };
        u64::from_str_radix(digits, radix).map(|v| v as i64).map_err(|_| {
            SyntaxError::new(
                self.span(p),
                format!("integer literal {} does not fit in 64 bits", p.as_str()),
                "too large",
            )
        })
    }

    fn duration(&self, p: &Pair<Rule>) -> Result<u64, SyntaxError> {
        let s = p.as_str();
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (n, unit) = s.split_at(split);
        let mult: u64 = match unit {
            "ns" => 1,
            "us" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => unreachable!("duration unit {unit}"),
        };
        n.parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(mult))
            .ok_or_else(|| SyntaxError::new(self.span(p), "duration is too long", "too long"))
    }

    fn string(&self, p: Pair<Rule>) -> Result<Vec<u8>, SyntaxError> {
        let base = self.span(&p).start;
        unescape(p.as_str()).map_err(|(at, len, msg)| {
            SyntaxError::new(Span::new(base + at, base + at + len), msg, "invalid escape")
                .help("string escapes are \\n \\t \\r \\0 \\\\ \\\" and \\xNN")
        })
    }
}

/// Decodes the escapes of a string literal: `\n \t \r \0 \\ \" \xNN`.
/// On error returns (byte offset, length, message).
pub fn unescape(s: &str) -> Result<Vec<u8>, (usize, usize, String)> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let c = b.get(i + 1).copied().unwrap_or(0);
        match c {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'0' => out.push(0),
            b'\\' => out.push(b'\\'),
            b'"' => out.push(b'"'),
            b'\'' => out.push(b'\''),
            b'x' => {
                let hex = s.get(i + 2..i + 4).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) if hex.len() == 2 => out.push(v),
                    _ => {
                        return Err((
                            i,
                            (i + 4).min(b.len()) - i,
                            "\\x must be followed by two hex digits".into(),
                        ));
                    }
                }
                i += 4;
                continue;
            }
            _ => {
                let clen = s[i + 1..].chars().next().map_or(0, char::len_utf8);
                return Err((i, 1 + clen, format!("unknown escape \\{}", &s[i + 1..i + 1 + clen])));
            }
        }
        i += 2;
    }
    Ok(out)
}

fn chained(op_span: Span) -> SyntaxError {
    SyntaxError::new(op_span, "comparisons cannot be chained", "second comparison here")
        .help("join the comparisons with `and`, or add parentheses")
}

#[cfg(test)]
mod lexical_agreement;
