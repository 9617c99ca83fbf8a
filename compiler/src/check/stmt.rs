//! Checking blocks and statements: printing, printf formats, maps and their
//! aggregations, scratch variables, if/else.

use super::Checker;
use super::expr::{call_names, is_call};
use crate::diag::closest;
use crate::format::{Conv, Format};
use crate::typed::{Expr, ExprKind, MapDecl, MapId, MapValue, Stmt, Type, VarId};
use landtrace_grammar::Span;
use landtrace_grammar::ast::{self, StmtKind};
use landtrace_grammar::words::{self, CallKind};

/// Most buckets an lhist may have.
const MAX_LHIST_BUCKETS: i64 = 10_000;

impl<'a> Checker<'a> {
    pub(super) fn block(&mut self, b: &'a ast::Block) -> Vec<Stmt> {
        b.stmts.iter().filter_map(|s| self.stmt(s)).collect()
    }

    fn stmt(&mut self, s: &'a ast::Stmt) -> Option<Stmt> {
        match &s.kind {
            StmtKind::PrintEvent => {
                if let Some(word) = self.scope.no_event {
                    let d = self
                        .err(
                            s.span,
                            format!("`print` prints the event, and {word} has no event"),
                            "no event here",
                        )
                        .with_help("print values with `print(...)` or `printf(...)`");
                    self.push(d);
                    return None;
                }
                Some(Stmt::PrintEvent)
            }
            StmtKind::Call { name, args } => self.call_stmt(name, args, s.span),
            StmtKind::MapAssign { map, value, .. } => self.map_assign(map, value),
            StmtKind::VarAssign { name, value, .. } => {
                let v = self.expr(value)?;
                if !(v.ty.is_scalar() || v.ty == Type::Str) {
                    self.type_error(&v, "a scratch variable holds a single value");
                    return None;
                }
                let id = match self.scope.vars.iter().position(|(n, _)| *n == name.name) {
                    Some(i) if self.scope.vars[i].1 != v.ty => {
                        let d = self.err(
                            value.span,
                            format!("${} holds {}, this is {}", name.name, self.scope.vars[i].1, v.ty),
                            format!("{}", v.ty),
                        );
                        self.push(d);
                        return None;
                    }
                    Some(i) => i,
                    None => {
                        self.scope.vars.push((name.name.clone(), v.ty));
                        self.scope.vars.len() - 1
                    }
                };
                Some(Stmt::VarSet { var: VarId(id as u32), value: v })
            }
            StmtKind::If { cond, then, otherwise } => {
                let c = self.condition(cond);
                let t = self.block(then);
                let o = otherwise.as_ref().map(|b| self.block(b)).unwrap_or_default();
                Some(Stmt::If { cond: c?, then: t, otherwise: o })
            }
        }
    }

    fn call_stmt(&mut self, name: &'a ast::Ident, args: &'a [ast::Expr], span: Span) -> Option<Stmt> {
        match name.name.as_str() {
            "print" => self.print(args, span),
            "printf" => self.printf(args, span),
            "exit" => {
                if !args.is_empty() {
                    let d = self.err(span, "exit() takes no arguments", "arguments here");
                    self.push(d);
                    return None;
                }
                Some(Stmt::Exit)
            }
            "clear" | "delete" => {
                let n = name.name.as_str();
                let [ast::Expr { kind: ast::ExprKind::Map(map), .. }] = args else {
                    let d = self.err(span, format!("{n}() takes one map"), "not a map").with_help(
                        if n == "clear" { "write `clear(@name)`" } else { "write `delete(@name[key])`" },
                    );
                    self.push(d);
                    return None;
                };
                let id = self.lookup_map(map)?;
                self.maps[id.0 as usize].cleared = true;
                if n == "clear" {
                    if map.keys.is_some() {
                        let d = self.err(map.span, "clear() empties a whole map", "no keys here").with_help(
                            format!(
                                "write `clear({})`, or `delete({}[...])` for one key",
                                map.name.name, map.name.name
                            ),
                        );
                        self.push(d);
                        return None;
                    }
                    Some(Stmt::Clear(id))
                } else {
                    let keys = self.map_keys(map, id)?;
                    Some(Stmt::Delete { map: id, keys })
                }
            }
            n => {
                let help = if is_call(CallKind::Aggregation, n) {
                    format!("{n}() is an aggregation: assign it, e.g. `@name[key] = {n}(...)`")
                } else if is_call(CallKind::Function, n) {
                    format!("{n}() returns a value: use it in a condition, printf() or an assignment")
                } else {
                    match closest(n, words::callables(CallKind::Statement)) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!(
                            "statements are {}, assignments and if/else",
                            call_names(CallKind::Statement)
                        ),
                    }
                };
                let d = self
                    .err(name.span, format!("`{n}` is not a statement"), "not a statement")
                    .with_help(help);
                self.push(d);
                None
            }
        }
    }

    fn print(&mut self, args: &'a [ast::Expr], span: Span) -> Option<Stmt> {
        if args.is_empty() {
            let d = self
                .err(span, "print() needs something to print", "no arguments")
                .with_help("bare `print` prints the event; `print(@map)` prints a map");
            self.push(d);
            return None;
        }
        if let ast::ExprKind::Map(m) = &args[0].kind
            && m.keys.is_none()
            && args.len() > 2
        {
            let d = self
                .err(
                    args[2].span,
                    format!("print({}, ...) takes at most a row limit", m.name.name),
                    "one argument too many",
                )
                .with_help(format!(
                    "print accepts `print(@map)`, `print(@map, N)` (the N largest rows), or values: \
                     `print(comm, pid)`; to print {}'s value among others, use printf",
                    m.name.name
                ));
            self.push(d);
            return None;
        }
        if let ast::ExprKind::Map(m) = &args[0].kind
            && m.keys.is_none()
        {
            let id = self.lookup_map(m)?;
            let limit = match args.get(1) {
                Some(a) => {
                    let l = self.expr(a)?;
                    self.expect_int(&l, "the row limit of print()")?;
                    Some(l)
                }
                None => None,
            };
            return Some(Stmt::PrintMap { map: id, limit });
        }
        let values: Vec<Option<Expr>> = args.iter().map(|a| self.printable(a)).collect();
        Some(Stmt::Print(values.into_iter().collect::<Option<_>>()?))
    }

    fn printable(&mut self, a: &'a ast::Expr) -> Option<Expr> {
        let x = self.expr(a)?;
        if let Type::List(_) = x.ty {
            let d = self
                .err(x.span, "a list cannot be printed as one value", "list")
                .with_help("print its elements, e.g. `grants[0]`, or its length `len(grants)`");
            self.push(d);
            return None;
        }
        Some(x)
    }

    fn printf(&mut self, args: &'a [ast::Expr], span: Span) -> Option<Stmt> {
        let Some((fmt_expr, rest)) = args.split_first() else {
            let d = self.err(span, "printf() needs a format string", "no arguments");
            self.push(d);
            return None;
        };
        let ast::ExprKind::Str(bytes) = &fmt_expr.kind else {
            let d = self
                .err(fmt_expr.span, "the format of printf() must be a string literal", "not a literal")
                .with_help("write e.g. `printf(\"%s %d\\n\", comm, pid)`");
            self.push(d);
            return None;
        };
        let raw = self.text(fmt_expr.span);
        let inner = raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
        let at = |i: usize| fmt_expr.span.start + 1 + raw_offset(inner, i);
        let format = match Format::parse(bytes) {
            Ok(f) => f,
            Err(e) => {
                let d =
                    self.err(Span::new(at(e.at.0), at(e.at.1)), e.message, "in this conversion").with_help(
                        "conversions are %d %u %x %X %s %r and %%, with optional `-`, `0` and a width",
                    );
                self.push(d);
                return None;
            }
        };
        let values: Vec<Option<Expr>> = rest.iter().map(|a| self.printable(a)).collect();
        let values: Vec<Expr> = values.into_iter().collect::<Option<_>>()?;
        let specs: Vec<_> = format.specs().copied().collect();
        let mut ok = true;
        for (i, spec) in specs.iter().enumerate() {
            let spec_span = Span::new(at(spec.at.0), at(spec.at.1));
            let spec_text = self.text(spec_span).to_string();
            let Some(v) = values.get(i) else {
                let d = self
                    .err(spec_span, format!("{spec_text} has no argument"), "no argument for this")
                    .with_help(counts(specs.len(), values.len()));
                self.push(d);
                ok = false;
                break;
            };
            let fits = match spec.conv {
                Conv::Dec | Conv::Unsigned | Conv::Hex | Conv::HexUpper | Conv::Char => v.ty.is_scalar(),
                Conv::Str => true,
                Conv::Rights => v.ty.is_mask(),
            };
            if !fits {
                let want = match spec.conv {
                    Conv::Rights => "a mask",
                    _ => "an integer",
                };
                let vtext = self.describe(v);
                let d = self
                    .err(
                        v.span,
                        format!("{spec_text} expects {want}, {vtext} is {}", v.ty),
                        format!("{}", v.ty),
                    )
                    .with_secondary(spec_span, "conversion")
                    .with_help(match (spec.conv, v.ty) {
                        (Conv::Rights, _) => "%r prints a mask symbolically; use %d for numbers",
                        (_, Type::Str) => "use %s for strings",
                        _ => "use %s",
                    });
                self.push(d);
                ok = false;
            }
        }
        if let Some(extra) = values.get(specs.len()) {
            let d = self
                .err(extra.span, "this argument has no conversion in the format", "extra argument")
                .with_help(counts(specs.len(), values.len()));
            self.push(d);
            ok = false;
        }
        if !ok {
            return None;
        }
        let format = self.add_format(format);
        Some(Stmt::Printf { format, args: values })
    }

    fn map_assign(&mut self, map: &'a ast::MapRef, value: &'a ast::Expr) -> Option<Stmt> {
        let keys: Vec<Option<Expr>> = map.keys.iter().flatten().map(|k| self.key(k)).collect();
        let (mv, arg) = match &value.kind {
            ast::ExprKind::Call { name, args } if is_call(CallKind::Aggregation, &name.name) => {
                if let Some(agg) = self.aggregation(name, args, value.span) {
                    agg
                } else {
                    // While learning what maps hold, the kind of an
                    // aggregation is known from its name even when its
                    // argument cannot be typed yet (it may read this very
                    // map: `@n = sum(len(@n))`).
                    if !self.report
                        && let Some(mv) = kind_from_name(&name.name)
                        && let Some(mut keys) = keys.into_iter().collect::<Option<Vec<Expr>>>()
                    {
                        self.declare_map(map, &mut keys, mv, value.span);
                    }
                    return None;
                }
            }
            _ => {
                let Some(v) = self.expr(value) else {
                    // While learning what maps hold: a value that reads a
                    // map not known yet (`@x = @x + 1`, `@depth[d] =
                    // @depth[p] + 1`, as in bpftrace) is an integer if its
                    // operator makes one.
                    if !self.report
                        && let Some(ty) = self.arithmetic_type(value)
                        && let Some(mut keys) = keys.into_iter().collect::<Option<Vec<Expr>>>()
                    {
                        self.declare_map(map, &mut keys, MapValue::Last(ty), value.span);
                    }
                    return None;
                };
                if !(v.ty.is_scalar() || v.ty == Type::Str) {
                    self.type_error(&v, "a map holds single values");
                    return None;
                }
                (MapValue::Last(v.ty), Some(v))
            }
        };
        let mut keys: Vec<Expr> = keys.into_iter().collect::<Option<_>>()?;
        let id = self.declare_map(map, &mut keys, mv, value.span)?;
        Some(match mv {
            MapValue::Last(_) => Stmt::MapSet { map: id, keys, value: arg.expect("plain value") },
            _ => Stmt::MapAgg { map: id, keys, value: arg },
        })
    }

    /// The type an arithmetic value has whatever maps it reads: `+ - * /
    /// % << >>` and unary minus make an integer; `& | ^` and `~` the type
    /// of an operand that can be typed (a mask stays a mask), else an
    /// integer. `None` for anything else.
    fn arithmetic_type(&mut self, value: &'a ast::Expr) -> Option<Type> {
        use ast::{BinOp as B, ExprKind as K, UnOp as U};
        match &value.kind {
            K::Binary(B::Add | B::Sub | B::Mul | B::Div | B::Rem | B::Shl | B::Shr, ..) => Some(Type::Int),
            K::Unary(U::Neg, _) => Some(Type::Int),
            K::Binary(B::BitAnd | B::BitOr | B::BitXor, a, b) => {
                let typed =
                    |c: &mut Self, e: &'a ast::Expr| c.expr(e).map(|x| x.ty).filter(|t| t.is_scalar());
                Some(typed(self, a).or_else(|| typed(self, b)).unwrap_or(Type::Int))
            }
            K::Unary(U::BitNot, e) => Some(self.arithmetic_type(e).unwrap_or(Type::Int)),
            _ => None,
        }
    }

    fn key(&mut self, k: &'a ast::Expr) -> Option<Expr> {
        let x = self.expr(k)?;
        if let Type::List(_) = x.ty {
            self.type_error(&x, "a map key must be a single value");
            return None;
        }
        Some(x)
    }

    fn aggregation(
        &mut self,
        name: &'a ast::Ident,
        args: &'a [ast::Expr],
        span: Span,
    ) -> Option<(MapValue, Option<Expr>)> {
        let n = name.name.as_str();
        let want = match n {
            "count" => 0,
            "lhist" => 4,
            _ => 1,
        };
        if args.len() != want {
            let d = self.err(
                span,
                format!(
                    "{n}() takes {want} argument{}, got {}",
                    if want == 1 { "" } else { "s" },
                    args.len()
                ),
                "wrong number of arguments",
            );
            self.push(d);
            return None;
        }
        if n == "count" {
            return Some((MapValue::Count, None));
        }
        let v = self.expr(&args[0])?;
        if v.ty != Type::Int {
            self.type_error(&v, &format!("{n}() aggregates ints"));
            return None;
        }
        let mv = if let Some(kind) = kind_from_name(n) {
            kind
        } else {
            let mut ps = [0i64; 3];
            for (i, a) in args[1..].iter().enumerate() {
                let x = self.expr(a)?;
                if let ExprKind::Int(c) = x.kind {
                    ps[i] = c;
                } else {
                    let d = self.err(a.span, "lhist() bounds must be integer constants", "not a constant");
                    self.push(d);
                    return None;
                }
            }
            let [min, max, step] = ps;
            if step <= 0 || max <= min {
                let d = self
                    .err(
                        args[1].span.to(args[3].span),
                        "lhist() needs min < max and a step > 0",
                        "invalid buckets",
                    )
                    .with_help(format!("e.g. lhist(e, 0, 1000, 100); at most {MAX_LHIST_BUCKETS} buckets"));
                self.push(d);
                return None;
            }
            let buckets = (i128::from(max) - i128::from(min) + i128::from(step) - 1) / i128::from(step);
            if buckets > i128::from(MAX_LHIST_BUCKETS) {
                let d = self
                    .err(
                        args[1].span.to(args[3].span),
                        format!("lhist() would have {buckets} buckets, more than {MAX_LHIST_BUCKETS}"),
                        "too many buckets",
                    )
                    .with_help(format!(
                        "raise the step to at least {}, or narrow min..max",
                        (i128::from(max) - i128::from(min) + i128::from(MAX_LHIST_BUCKETS) - 1)
                            / i128::from(MAX_LHIST_BUCKETS)
                    ));
                self.push(d);
                return None;
            }
            MapValue::Lhist { min, max, step }
        };
        Some((mv, Some(v)))
    }

    /// Finds a map that is read, cleared or printed.
    pub(super) fn lookup_map(&mut self, m: &ast::MapRef) -> Option<MapId> {
        if let Some(id) = self.map_ids.get(&m.name.name) {
            return Some(*id);
        }
        let names: Vec<&str> = self.maps.iter().map(|d| d.name.as_str()).collect();
        let mut d = self.err(
            m.name.span,
            format!("map {} is never assigned", m.name.name),
            "no value ever stored here",
        );
        d = match closest(&m.name.name, names) {
            Some(s) => d.with_help(format!("did you mean {s}?")),
            None => d.with_help(format!("assign it somewhere, e.g. `{}[comm] = count()`", m.name.name)),
        };
        self.push(d);
        None
    }

    /// Checks the keys of a map access against the map's declaration.
    pub(super) fn map_keys(&mut self, m: &'a ast::MapRef, id: MapId) -> Option<Vec<Expr>> {
        let keys: Vec<Option<Expr>> = m.keys.iter().flatten().map(|k| self.key(k)).collect();
        let mut keys: Vec<Expr> = keys.into_iter().collect::<Option<_>>()?;
        self.check_keys(m, id, &mut keys)?;
        Some(keys)
    }

    fn check_keys(&mut self, m: &ast::MapRef, id: MapId, keys: &mut [Expr]) -> Option<()> {
        self.more_labels(m, id);
        let decl = self.maps[id.0 as usize].clone();
        // A number written where the map's key is an id (`delete(@m[0x2a3f1001f])`
        // on a map keyed by `domain`) is that id, as in `domain == 0x2a3f1001f`.
        for (k, want) in keys.iter_mut().zip(&decl.keys) {
            if *want == Type::Id && k.ty == Type::Int && matches!(k.kind, ExprKind::Int(_)) {
                k.ty = Type::Id;
            }
        }
        if decl.keys.len() != keys.len() {
            let d = self
                .err(
                    m.span,
                    format!(
                        "{} has {} key{} but is used with {}",
                        decl.name,
                        decl.keys.len(),
                        plural(decl.keys.len()),
                        keys.len()
                    ),
                    "different keys",
                )
                .with_secondary(decl.span, "first assigned here");
            self.push(d);
            return None;
        }
        for (i, (k, want)) in keys.iter().zip(&decl.keys).enumerate() {
            if !same_key_type(k.ty, *want) {
                let d = self
                    .err(
                        k.span,
                        format!(
                            "key {} of {} is {} here but {} where it was first assigned",
                            i + 1,
                            decl.name,
                            k.ty,
                            want
                        ),
                        format!("{}", k.ty),
                    )
                    .with_secondary(decl.span, "first assigned here");
                self.push(d);
                return None;
            }
        }
        Some(())
    }

    fn declare_map(
        &mut self,
        m: &ast::MapRef,
        keys: &mut [Expr],
        value: MapValue,
        value_span: Span,
    ) -> Option<MapId> {
        if let Some(&id) = self.map_ids.get(&m.name.name) {
            let decl = self.maps[id.0 as usize].clone();
            if decl.value != value {
                let d = self
                    .err(
                        value_span,
                        format!(
                            "{} holds {} but is assigned {} here",
                            decl.name,
                            describe_value(decl.value),
                            describe_value(value)
                        ),
                        "different kind of value",
                    )
                    .with_secondary(decl.span, "first assigned here")
                    .with_help("use another map name for a different aggregation");
                self.push(d);
                return None;
            }
            self.check_keys(m, id, keys)?;
            return Some(id);
        }
        let id = MapId(self.maps.len() as u32);
        let labels = self.new_labels(m, value);
        self.maps.push(MapDecl {
            name: m.name.name.clone(),
            keys: keys.iter().map(|k| k.ty).collect(),
            value,
            span: m.span.to(value_span),
            labels,
            cleared: false,
        });
        self.map_ids.insert(m.name.name.clone(), id);
        Some(id)
    }
}

/// The kind of an aggregation that does not depend on its arguments.
fn kind_from_name(n: &str) -> Option<MapValue> {
    Some(match n {
        "count" => MapValue::Count,
        "sum" => MapValue::Sum,
        "min" => MapValue::Min,
        "max" => MapValue::Max,
        "avg" => MapValue::Avg,
        "stats" => MapValue::Stats,
        "hist" => MapValue::Hist,
        _ => return None,
    })
}

fn same_key_type(a: Type, b: Type) -> bool {
    a == b || (a.is_mask() && b.is_mask())
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn describe_value(v: MapValue) -> String {
    match v {
        MapValue::Last(t) => format!("values of type {t}"),
        other => other.name().to_string(),
    }
}

/// The byte offset in the raw literal text of unescaped byte `target`.
fn raw_offset(raw: &str, target: usize) -> usize {
    let mut produced = 0;
    let mut i = 0;
    let b = raw.as_bytes();
    while i < b.len() && produced < target {
        let step = if b[i] == b'\\' {
            match b.get(i + 1) {
                Some(b'x') => 4,
                Some(_) => 2,
                None => 1,
            }
        } else {
            1
        };
        i += step;
        produced += 1;
    }
    i.min(raw.len())
}

fn counts(specs: usize, args: usize) -> String {
    format!("the format has {specs} conversion{} and {args} argument{}", plural(specs), plural(args))
}
