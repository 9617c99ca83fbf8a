//! Checking expressions: operators, functions, `in` and `=~` (names are in
//! names.rs).

use super::Checker;
use crate::diag::closest;
use crate::pattern::{Pattern, PatternError};
use crate::typed::{Arith, Cmp, CmpClass, Expr, ExprKind, Func, MaskFam, Type};
use landtrace_event::schema::FieldType;
use landtrace_grammar::Span;
use landtrace_grammar::ast::{self, BinOp, InRhs, ListElem, UnOp};
use landtrace_grammar::words::{self, CallKind};

/// A compile-time constant in a list.
#[derive(Clone, Debug)]
pub(super) enum ConstElem {
    Int(i64, Type),
    Range(i64, i64),
    Str(Vec<u8>),
}

/// Whether the language calls `name` a callable of `kind`
/// ([`landtrace_grammar::words::CALLABLES`]).
pub(crate) fn is_call(kind: CallKind, name: &str) -> bool {
    words::callable(name).is_some_and(|c| c.kind == kind)
}

/// The names of one kind of callable, for help lines.
pub(crate) fn call_names(kind: CallKind) -> String {
    words::callables(kind).collect::<Vec<_>>().join(", ")
}

pub(super) fn mk(kind: ExprKind, ty: Type, span: Span) -> Expr {
    Expr { kind, ty, span }
}

impl<'a> Checker<'a> {
    /// An expression used as a condition.
    pub(super) fn condition(&mut self, e: &'a ast::Expr) -> Option<Expr> {
        let x = self.expr(e)?;
        if x.ty.is_truthy() {
            Some(x)
        } else {
            let d = self
                .err(e.span, format!("{} is not a condition", article(x.ty)), "not a condition")
                .with_help(match x.ty {
                    Type::Str => "compare it, e.g. `path != \"\"` or `len(path) > 0`",
                    _ => "use `len(...)` or index it",
                });
            self.push(d);
            None
        }
    }

    pub(super) fn expr(&mut self, e: &'a ast::Expr) -> Option<Expr> {
        let span = e.span;
        match &e.kind {
            ast::ExprKind::Int(v) => Some(mk(ExprKind::Int(*v), Type::Int, span)),
            ast::ExprKind::Duration(ns) => Some(mk(ExprKind::Int(*ns as i64), Type::Int, span)),
            ast::ExprKind::Bool(b) => Some(mk(ExprKind::Bool(*b), Type::Bool, span)),
            ast::ExprKind::Str(s) => Some(mk(ExprKind::Str(s.clone()), Type::Str, span)),
            ast::ExprKind::Regex(_) => {
                let d = self
                    .err(span, "a regular expression can only be used after `=~` or `!~`", "not a value")
                    .with_help("write `path =~ re\"...\"`");
                self.push(d);
                None
            }
            ast::ExprKind::Name(n) => self.name(n, span),
            ast::ExprKind::Dotted(n) => self.dotted(n, span),
            ast::ExprKind::Var(v) => self.var(v, span),
            ast::ExprKind::Arg(n) => self.script_arg(*n, span),
            ast::ExprKind::Map(m) => self.map_read(m),
            ast::ExprKind::Call { name, args } => self.call(name, args, span),
            ast::ExprKind::Index { base, index } => self.index(base, index, span),
            ast::ExprKind::Unary(op, a) => self.unary(*op, a, span),
            ast::ExprKind::Binary(op, a, b) => self.binary(*op, a, b, span),
            ast::ExprKind::In { negated, lhs, rhs } => self.in_expr(*negated, lhs, rhs, span),
        }
    }

    fn unary(&mut self, op: UnOp, a: &'a ast::Expr, span: Span) -> Option<Expr> {
        match op {
            UnOp::Not => {
                let x = self.condition(a)?;
                if let ExprKind::Bool(b) = x.kind {
                    return Some(mk(ExprKind::Bool(!b), Type::Bool, span));
                }
                Some(mk(ExprKind::Not(Box::new(x)), Type::Bool, span))
            }
            UnOp::Neg => {
                let x = self.expr(a)?;
                self.expect_int(&x, "`-`")?;
                if let ExprKind::Int(v) = x.kind {
                    return Some(mk(ExprKind::Int(v.wrapping_neg()), Type::Int, span));
                }
                Some(mk(ExprKind::Neg(Box::new(x)), Type::Int, span))
            }
            UnOp::BitNot => {
                let x = self.expr(a)?;
                if !matches!(x.ty, Type::Int | Type::Mask(_) | Type::Id) {
                    self.type_error(&x, "`~` needs an int or a mask");
                    return None;
                }
                if let ExprKind::Int(v) = x.kind {
                    return Some(mk(ExprKind::Int(!v), x.ty, span));
                }
                let ty = x.ty;
                Some(mk(ExprKind::BitNot(Box::new(x)), ty, span))
            }
        }
    }

    fn binary(&mut self, op: BinOp, a: &'a ast::Expr, b: &'a ast::Expr, span: Span) -> Option<Expr> {
        match op {
            BinOp::And | BinOp::Or => {
                let (x, y) = (self.condition(a), self.condition(b));
                let (x, y) = (Box::new(x?), Box::new(y?));
                let kind = if op == BinOp::And { ExprKind::And(x, y) } else { ExprKind::Or(x, y) };
                return Some(mk(kind, Type::Bool, span));
            }
            BinOp::Match | BinOp::NoMatch => return self.matches(op == BinOp::NoMatch, a, b, span),
            _ => {}
        }
        let (x, y) = (self.expr(a), self.expr(b));
        let (x, y) = (x?, y?);
        let op_span = Span::new(x.span.end, y.span.start);
        let cmp = match op {
            BinOp::Eq => Some(Cmp::Eq),
            BinOp::Ne => Some(Cmp::Ne),
            BinOp::Lt => Some(Cmp::Lt),
            BinOp::Le => Some(Cmp::Le),
            BinOp::Gt => Some(Cmp::Gt),
            BinOp::Ge => Some(Cmp::Ge),
            _ => None,
        };
        if let Some(cmp) = cmp {
            let class = self.compare_class(&x, &y, op, op_span)?;
            return Some(mk(ExprKind::Cmp(cmp, class, Box::new(x), Box::new(y)), Type::Bool, span));
        }
        let (arith, ty) = match op {
            BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor => {
                let ty = self.bitwise_type(&x, &y, op)?;
                let arith = match op {
                    BinOp::BitAnd => Arith::And,
                    BinOp::BitOr => Arith::Or,
                    _ => Arith::Xor,
                };
                (arith, ty)
            }
            BinOp::Shl | BinOp::Shr => {
                if !matches!(x.ty, Type::Int | Type::Mask(_) | Type::Id) {
                    self.type_error(&x, &format!("`{}` needs an int or a mask on the left", op.symbol()));
                    return None;
                }
                self.expect_int(&y, "a shift amount")?;
                let arith = match (op, x.ty) {
                    (BinOp::Shl, _) => Arith::Shl,
                    (_, Type::Int) => Arith::Sar,
                    _ => Arith::Shr,
                };
                (arith, x.ty)
            }
            _ => {
                for v in [&x, &y] {
                    if v.ty != Type::Int {
                        let help = match v.ty {
                            Type::Mask(_) => "combine rights with `|`, test them with `&` or has()",
                            Type::Id => "ids are labels: compare them with == or use them as map keys",
                            Type::Str => "strings do not support arithmetic",
                            _ => "arithmetic needs ints",
                        };
                        let d = self
                            .err(
                                v.span,
                                format!("`{}` needs ints, this is {}", op.symbol(), v.ty),
                                format!("{}", v.ty),
                            )
                            .with_help(help);
                        self.push(d);
                        return None;
                    }
                }
                let arith = match op {
                    BinOp::Add => Arith::Add,
                    BinOp::Sub => Arith::Sub,
                    BinOp::Mul => Arith::Mul,
                    BinOp::Div => Arith::Div,
                    _ => Arith::Rem,
                };
                (arith, Type::Int)
            }
        };
        if let (ExprKind::Int(p), ExprKind::Int(q)) = (&x.kind, &y.kind)
            && let Some(v) = fold(arith, *p, *q)
        {
            return Some(mk(ExprKind::Int(v), ty, span));
        }
        Some(mk(ExprKind::Arith(arith, Box::new(x), Box::new(y)), ty, span))
    }

    /// The type of `x & y` (and `|`, `^`), checking mask families.
    fn bitwise_type(&mut self, x: &Expr, y: &Expr, op: BinOp) -> Option<Type> {
        match (x.ty, y.ty) {
            (Type::Int, Type::Int) => Some(Type::Int),
            (Type::Mask(f), Type::Int) | (Type::Int, Type::Mask(f)) => Some(Type::Mask(f)),
            (Type::Mask(f), Type::Mask(g)) => self.unify_families(x, f, y, g).map(Type::Mask),
            (Type::Id, Type::Int | Type::Id) | (Type::Int, Type::Id) => Some(Type::Int),
            _ => {
                let bad = if matches!(x.ty, Type::Int | Type::Mask(_) | Type::Id) { y } else { x };
                self.type_error(bad, &format!("`{}` needs ints or masks", op.symbol()));
                None
            }
        }
    }

    /// Two masks must hold the same family of rights.
    pub(super) fn unify_families(&mut self, x: &Expr, f: MaskFam, y: &Expr, g: MaskFam) -> Option<MaskFam> {
        if f == g {
            return Some(f);
        }
        let is_const = |e: &Expr| matches!(e.kind, ExprKind::Int(_));
        let (c, other, cf, of) = if is_const(y) || !is_const(x) { (y, x, g, f) } else { (x, y, f, g) };
        let ctext = self.describe(c);
        let otext = self.describe(other);
        let holds = |fam: MaskFam, e: &Expr| -> String {
            match (fam, &e.kind) {
                (MaskFam::Known(fam), ExprKind::Int(v)) if (*v as u64).is_power_of_two() => {
                    format!("is a {} right", fam.noun())
                }
                (MaskFam::Known(fam), _) => format!("holds {} rights", fam.noun()),
                (MaskFam::PerEvent(field), _) => format!(
                    "holds {} rights depending on the event",
                    self.scope
                        .events
                        .iter()
                        .filter_map(|k| match k.field_type(field) {
                            Some(FieldType::Mask(f) | FieldType::MaskList(f)) => Some(f.noun()),
                            _ => None,
                        })
                        .collect::<std::collections::BTreeSet<_>>()
                        .into_iter()
                        .collect::<Vec<_>>()
                        .join(" or ")
                ),
            }
        };
        let message = format!("{ctext} {}; {otext} {}", holds(cf, c), holds(of, other));
        let help = match (cf, of) {
            (_, MaskFam::PerEvent(_)) | (MaskFam::PerEvent(_), _) => {
                "split the clause so that each part names events of one family".to_string()
            }
            (_, MaskFam::Known(fam)) => format!(
                "{otext} holds {} rights such as {}",
                fam.noun(),
                fam.rights().iter().take(3).map(|r| r.name).collect::<Vec<_>>().join(", ")
            ),
        };
        let d = self
            .err(c.span, message, format!("{}", Type::Mask(cf)))
            .with_secondary(other.span, format!("{}", Type::Mask(of)))
            .with_help(help);
        self.push(d);
        None
    }

    fn compare_class(&mut self, x: &Expr, y: &Expr, op: BinOp, op_span: Span) -> Option<CmpClass> {
        use Type::{Bool, Id, Int, Mask, Str};
        let ordered = !matches!(op, BinOp::Eq | BinOp::Ne);
        match (x.ty, y.ty) {
            (Int, Int) => Some(CmpClass::Signed),
            (Id | Int, Id) | (Id, Int) => Some(CmpClass::Unsigned),
            (Mask(_), Int) | (Int, Mask(_)) => Some(CmpClass::Unsigned),
            (Mask(f), Mask(g)) => self.unify_families(x, f, y, g).map(|_| CmpClass::Unsigned),
            (Bool, Bool) if !ordered => Some(CmpClass::Unsigned),
            (Str, Str) => Some(CmpClass::Str),
            (a, b) => {
                let d = self
                    .err(
                        op_span.to(x.span).to(y.span),
                        format!("cannot compare {a} with {b}"),
                        format!("{a} {} {b}", op.symbol()),
                    )
                    .with_help(match (a, b) {
                        (Str, _) | (_, Str) => {
                            "compare a string with a string literal, e.g. `path == \"/etc/passwd\"`"
                        }
                        (Bool, _) | (_, Bool) => {
                            "use the bool directly: `where logged` or `where not logged`"
                        }
                        _ => "both sides must have the same type",
                    });
                self.push(d);
                None
            }
        }
    }

    fn matches(&mut self, negated: bool, a: &'a ast::Expr, b: &'a ast::Expr, span: Span) -> Option<Expr> {
        let subject = self.expr(a);
        let pattern = if let ast::ExprKind::Regex(re) = &b.kind {
            match self.compile_pattern(true, re.as_bytes()) {
                Ok(p) => Some(p),
                Err(msg) => {
                    let d = self
                        .err(b.span, "invalid regular expression", msg.to_string())
                        .with_help("regular expressions use Rust regex syntax (https://docs.rs/regex)");
                    self.push(d);
                    None
                }
            }
        } else {
            let lit = self.expr(b)?;
            if let ExprKind::Str(s) = lit.kind {
                match self.compile_pattern(false, &s) {
                    Ok(p) => Some(p),
                    Err(msg) => {
                        let d = self
                            .err(b.span, "invalid glob pattern", msg.to_string())
                            .with_help("globs use `*`, `**`, `?`, `[abc]` and `{a,b}`");
                        self.push(d);
                        None
                    }
                }
            } else {
                let d = self
                    .err(
                        b.span,
                        "the right side of `=~` must be a pattern literal",
                        format!("this is {}", lit.ty),
                    )
                    .with_help("write a glob `\"/etc/**\"` or a regular expression `re\"^/etc/\"`");
                self.push(d);
                None
            }
        };
        let subject = subject?;
        if subject.ty != Type::Str {
            self.type_error(&subject, "`=~` matches strings");
            return None;
        }
        let pattern = self.add_pattern(pattern?);
        Some(mk(ExprKind::Match { subject: Box::new(subject), pattern, negated }, Type::Bool, span))
    }

    fn in_expr(&mut self, negated: bool, lhs: &'a ast::Expr, rhs: &'a InRhs, span: Span) -> Option<Expr> {
        let subject = self.expr(lhs);
        let elems: Vec<Option<ConstElem>> = match rhs {
            InRhs::List(elems, _) => elems.iter().map(|e| self.list_elem_const(e)).collect(),
            InRhs::Range(lo, hi, _) => vec![self.range_const(lo, hi)],
            InRhs::Name(id) => {
                if let Some(l) = self.lists.get(id.name.as_str()).copied() {
                    l.elems.iter().map(|e| self.list_elem_const(e)).collect()
                } else {
                    let names: Vec<&str> = self.lists.keys().copied().collect();
                    let mut d = self.err(id.span, format!("unknown list `{}`", id.name), "not a list");
                    d = match closest(&id.name, names) {
                        Some(s) => d.with_help(format!("did you mean `{s}`?")),
                        None => d.with_help(format!(
                            "define it: `list {} = [...]`, or write the list inline",
                            id.name
                        )),
                    };
                    self.push(d);
                    return None;
                }
            }
        };
        let subject = subject?;
        let elems: Vec<ConstElem> = elems.into_iter().collect::<Option<_>>()?;
        if subject.ty == Type::Str {
            let mut set = Vec::new();
            for e in elems {
                if let ConstElem::Str(s) = e {
                    set.push(s);
                } else {
                    let d = self
                        .err(rhs.span(), "a string can only be in a list of strings", "not all strings")
                        .with_secondary(subject.span, "str");
                    self.push(d);
                    return None;
                }
            }
            set.sort();
            set.dedup();
            return Some(mk(ExprKind::InStr { subject: Box::new(subject), set, negated }, Type::Bool, span));
        }
        if !subject.ty.is_scalar() {
            self.type_error(&subject, "`in` needs an int, id, mask or string on the left");
            return None;
        }
        let mut ranges = Vec::new();
        for e in elems {
            match e {
                ConstElem::Int(v, ty) => {
                    if let (Type::Mask(f), Type::Mask(g)) = (subject.ty, ty) {
                        let c = mk(ExprKind::Int(v), ty, rhs.span());
                        self.unify_families(&subject, f, &c, g)?;
                    }
                    if subject.ty == Type::Bool || ty == Type::Bool {
                        self.type_error(&subject, "`in` does not apply to bools");
                        return None;
                    }
                    ranges.push((v, v));
                }
                ConstElem::Range(lo, hi) => ranges.push((lo, hi)),
                ConstElem::Str(_) => {
                    let d = self
                        .err(
                            rhs.span(),
                            format!("{} can only be in a list of numbers or rights", article(subject.ty)),
                            "contains a string",
                        )
                        .with_secondary(subject.span, format!("{}", subject.ty));
                    self.push(d);
                    return None;
                }
            }
        }
        let unsigned = !matches!(subject.ty, Type::Int);
        Some(mk(
            ExprKind::InInt { subject: Box::new(subject), ranges: merge_ranges(ranges, unsigned), negated },
            Type::Bool,
            span,
        ))
    }

    fn range_const(&mut self, lo: &'a ast::Expr, hi: &'a ast::Expr) -> Option<ConstElem> {
        let (a, b) = (self.expr(lo), self.expr(hi));
        let (a, b) = (a?, b?);
        if let (ExprKind::Int(x), ExprKind::Int(y)) = (&a.kind, &b.kind) {
            if x > y {
                let d = self
                    .err(a.span.to(b.span), "this range is empty", "low end is above the high end")
                    .with_help(format!("write {y}..{x}"));
                self.push(d);
                return None;
            }
            Some(ConstElem::Range(*x, *y))
        } else {
            let d = self.err(a.span.to(b.span), "range ends must be integer constants", "not constant");
            self.push(d);
            None
        }
    }

    pub(super) fn list_elem_const(&mut self, el: &'a ListElem) -> Option<ConstElem> {
        match el {
            ListElem::Range(lo, hi, _) => self.range_const(lo, hi),
            ListElem::Value(e) => {
                // List elements are constants: no fields even inside `on`.
                let saved = std::mem::take(&mut self.scope.events);
                let x = self.expr(e);
                self.scope.events = saved;
                let x = x?;
                match x.kind {
                    ExprKind::Int(v) => Some(ConstElem::Int(v, x.ty)),
                    ExprKind::Bool(b) => Some(ConstElem::Int(i64::from(b), Type::Bool)),
                    ExprKind::Str(s) => Some(ConstElem::Str(s)),
                    _ => {
                        let d = self
                            .err(e.span, "list elements must be constants", "not a constant")
                            .with_help("use literals, access-right constants or script arguments");
                        self.push(d);
                        None
                    }
                }
            }
        }
    }

    fn call(&mut self, name: &'a ast::Ident, args: &'a [ast::Expr], span: Span) -> Option<Expr> {
        let n = name.name.as_str();
        if is_call(CallKind::Aggregation, n) {
            let d = self
                .err(name.span, format!("{n}() is an aggregation, not a value"), "aggregation")
                .with_help(format!("assign it to a map: `@name[key] = {n}(...)`"));
            self.push(d);
            return None;
        }
        if is_call(CallKind::Statement, n) {
            let d = self.err(name.span, format!("{n}() is a statement, not a value"), "statement");
            self.push(d);
            return None;
        }
        if !is_call(CallKind::Function, n) {
            let mut d = self.err(name.span, format!("unknown function `{n}`"), "not a function");
            d = match closest(n, words::CALLABLES.iter().map(|c| c.name)) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help(format!("functions: {}", call_names(CallKind::Function))),
            };
            self.push(d);
            return None;
        }
        let arity = match n {
            "has" | "any" | "starts_with" | "ends_with" | "contains" => 2,
            _ => 1,
        };
        if args.len() != arity {
            let d = self.err(
                span,
                format!(
                    "{n}() takes {arity} argument{}, got {}",
                    if arity == 1 { "" } else { "s" },
                    args.len()
                ),
                "wrong number of arguments",
            );
            self.push(d);
            return None;
        }
        if n == "len"
            && let ast::ExprKind::Map(m) = &args[0].kind
            && m.keys.is_none()
        {
            let id = self.lookup_map(m)?;
            return Some(mk(ExprKind::MapLen(id), Type::Int, span));
        }
        let checked: Vec<Option<Expr>> = args.iter().map(|a| self.expr(a)).collect();
        let xs: Vec<Expr> = checked.into_iter().collect::<Option<_>>()?;
        let (func, ty) = match n {
            "has" | "any" => {
                let f = match xs[0].ty {
                    Type::Mask(f) => Some(f),
                    Type::Int => None,
                    _ => {
                        self.type_error(&xs[0], &format!("{n}() takes a mask first"));
                        return None;
                    }
                };
                match (f, xs[1].ty) {
                    (Some(f), Type::Mask(g)) => {
                        self.unify_families(&xs[0], f, &xs[1], g)?;
                    }
                    (_, Type::Int | Type::Mask(_)) => {}
                    _ => {
                        self.type_error(&xs[1], &format!("{n}() takes rights second"));
                        return None;
                    }
                }
                (if n == "has" { Func::Has } else { Func::Any }, Type::Bool)
            }
            "starts_with" | "ends_with" | "contains" => {
                for x in &xs {
                    self.expect_str(x, &format!("{n}()"))?;
                }
                let f = match n {
                    "starts_with" => Func::StartsWith,
                    "ends_with" => Func::EndsWith,
                    _ => Func::Contains,
                };
                (f, Type::Bool)
            }
            "len" => match xs[0].ty {
                Type::Str => (Func::StrLen, Type::Int),
                Type::List(_) => (Func::ListLen, Type::Int),
                _ => {
                    self.type_error(&xs[0], "len() takes a string, a list or a map");
                    return None;
                }
            },
            "basename" | "dirname" => {
                self.expect_str(&xs[0], &format!("{n}()"))?;
                (if n == "basename" { Func::Basename } else { Func::Dirname }, Type::Str)
            }
            "hex" => {
                if !matches!(xs[0].ty, Type::Int | Type::Id | Type::Mask(_) | Type::Bool) {
                    self.type_error(&xs[0], "hex() takes a number");
                    return None;
                }
                (Func::Hex, Type::Str)
            }
            "rights" => {
                if !matches!(xs[0].ty, Type::Mask(_)) {
                    self.type_error(
                        &xs[0],
                        "rights() takes a mask (a field such as handled_fs, or a constant)",
                    );
                    return None;
                }
                (Func::Rights, Type::Str)
            }
            // bpftrace's `str()` reads a C string; here strings are
            // strings already. Masks and ids become the text they print as.
            "str" => match xs[0].ty {
                Type::Str => return xs.into_iter().next(),
                Type::Mask(_) => (Func::Rights, Type::Str),
                Type::Id => (Func::Hex, Type::Str),
                _ => {
                    let d = self
                        .err(
                            xs[0].span,
                            format!("str() of {}: there is no text of a number", xs[0].ty),
                            "a number",
                        )
                        .with_help("print it with printf(\"%d\", ...), or use hex() for its hex digits");
                    self.push(d);
                    return None;
                }
            },
            "popcount" => {
                if !matches!(xs[0].ty, Type::Int | Type::Mask(_) | Type::Id) {
                    self.type_error(&xs[0], "popcount() takes an int or a mask");
                    return None;
                }
                (Func::Popcount, Type::Int)
            }
            _ => unreachable!("function {n}"),
        };
        Some(mk(ExprKind::Call(func, xs), ty, span))
    }

    // --- small helpers --------------------------------------------------

    /// Compiles a pattern once per program (checking runs in passes).
    fn compile_pattern(&mut self, regex: bool, text: &[u8]) -> Result<Pattern, PatternError> {
        let key = (regex, text.to_vec());
        if let Some(p) = self.pattern_cache.get(&key) {
            return p.clone();
        }
        let p = if regex {
            Pattern::regex(std::str::from_utf8(text).expect("regex literals are text"))
        } else {
            Pattern::glob(text)
        };
        self.pattern_cache.insert(key, p.clone());
        p
    }

    pub(super) fn expect_int(&mut self, x: &Expr, what: &str) -> Option<()> {
        if x.ty == Type::Int {
            Some(())
        } else {
            self.type_error(x, &format!("{what} must be an int"));
            None
        }
    }

    fn expect_str(&mut self, x: &Expr, what: &str) -> Option<()> {
        if x.ty == Type::Str {
            Some(())
        } else {
            self.type_error(x, &format!("{what} takes strings"));
            None
        }
    }

    pub(super) fn type_error(&mut self, x: &Expr, message: &str) {
        let text = self.describe(x);
        let d = self.err(x.span, format!("{message}; {text} is {}", x.ty), format!("{}", x.ty));
        self.push(d);
    }

    /// How to name an expression in a message: its text if short.
    pub(super) fn describe(&self, x: &Expr) -> String {
        let t = self.text(x.span).trim();
        if !t.is_empty() && t.len() <= 32 && !t.contains('\n') {
            t.to_string()
        } else {
            "this expression".to_string()
        }
    }
}

/// Folds an operation on two constants (not division by zero: that is a
/// runtime warning).
fn fold(op: Arith, a: i64, b: i64) -> Option<i64> {
    Some(match op {
        Arith::Add => a.wrapping_add(b),
        Arith::Sub => a.wrapping_sub(b),
        Arith::Mul => a.wrapping_mul(b),
        Arith::Div | Arith::Rem if b == 0 => return None,
        Arith::Div => a.wrapping_div(b),
        Arith::Rem => a.wrapping_rem(b),
        Arith::And => a & b,
        Arith::Or => a | b,
        Arith::Xor => a ^ b,
        Arith::Shl => a.wrapping_shl(b as u32),
        Arith::Sar => a.wrapping_shr(b as u32),
        Arith::Shr => ((a as u64).wrapping_shr(b as u32)) as i64,
    })
}

/// Sorts and merges inclusive ranges (in unsigned order for ids and masks).
fn merge_ranges(mut ranges: Vec<(i64, i64)>, unsigned: bool) -> Vec<(i64, i64)> {
    let key = |v: i64| if unsigned { i128::from(v as u64) } else { i128::from(v) };
    ranges.sort_by_key(|r| key(r.0));
    let mut out: Vec<(i64, i64)> = Vec::new();
    for (lo, hi) in ranges {
        if let Some(last) = out.last_mut()
            && key(lo) <= key(last.1) + 1
        {
            if key(hi) > key(last.1) {
                last.1 = hi;
            }
            continue;
        }
        out.push((lo, hi));
    }
    out
}

/// "an int", "a str".
fn article(t: Type) -> String {
    let name = t.to_string();
    match name.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {name}"),
        _ => format!("a {name}"),
    }
}
