//! Checking names in expressions: fields, builtins, constants, macros,
//! variables, script arguments, map reads and list indexes.

use super::Checker;
use super::expr::mk;
use crate::diag::closest;
use crate::typed::{Expr, ExprKind, MaskFam, Type};
use landtrace_event::schema::{self, Builtin, EventKind, FieldId, FieldType};
use landtrace_grammar::Span;
use landtrace_grammar::ast;

/// Most macro uses expanded in one program.
const MAX_EXPANSIONS: usize = 10_000;

impl<'a> Checker<'a> {
    pub(super) fn name(&mut self, n: &str, span: Span) -> Option<Expr> {
        if let Some(fid) = FieldId::lookup(n).filter(|_| self.scope.lenient) {
            let k = EventKind::ALL.into_iter().find(|k| k.field_type(fid).is_some())?;
            let saved = std::mem::replace(&mut self.scope.events, vec![k]);
            let out = self.field(fid, n, span);
            self.scope.events = saved;
            return out;
        }
        if let Some(fid) = FieldId::lookup(n)
            && (!self.scope.events.is_empty() || self.scope.no_event.is_some())
            && (self.scope.events.iter().any(|k| k.field_type(fid).is_some())
                || self.scope.no_event.is_some())
        {
            return self.field(fid, n, span);
        }
        if let Some(b) = Builtin::lookup(n) {
            return self.builtin(b, span);
        }
        if let Some(m) = self.macros.get(n).copied() {
            return self.expand_macro(m, span);
        }
        if self.lists.contains_key(n) {
            let d = self
                .err(span, format!("list `{n}` can only be used on the right of `in`"), "a list")
                .with_help(format!("write `x in {n}`"));
            self.push(d);
            return None;
        }
        if let Some((fam, bits)) = schema::lookup_constant(n) {
            return Some(mk(ExprKind::Int(bits as i64), Type::Mask(MaskFam::Known(fam)), span));
        }
        self.unknown_name(n, span);
        None
    }

    pub(super) fn unknown_name(&mut self, n: &str, span: Span) {
        let looks_constant = n.bytes().any(|b| b.is_ascii_uppercase())
            && n.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        if looks_constant {
            let names = schema::constant_names();
            let mut d = self.err(span, format!("unknown constant `{n}`"), "not a known access right");
            d = match closest(n, names.iter().map(String::as_str)) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help("`landtrace -l` lists the access-right constants"),
            };
            self.push(d);
            return;
        }
        let mut candidates: Vec<&str> = schema::BUILTINS.iter().map(|b| b.name).collect();
        for k in &self.scope.events {
            candidates.extend(k.def().fields.iter().map(|(f, _)| f.name()));
        }
        candidates.extend(self.macros.keys().copied());
        let message = match self.scope.events.as_slice() {
            [] => format!("unknown name `{n}`"),
            evs => format!("{n} is not a field of {}", event_names(evs)),
        };
        let mut d = self.err(span, message, "unknown name");
        // bpftrace's builtins, said the landtrace way.
        let habit = match n {
            "nsecs" | "elapsed" => {
                Some("the event's time is `time` (ns since boot; `walltime` for the clock)")
            }
            "probe" => Some("the event's name is `event`"),
            "args" => Some("fields are named directly: `path`, `blockers`, ... (`landtrace -l EVENT`)"),
            "curtask" | "kstack" | "ustack" | "retval" | "func" => Some(
                "landtrace sees Landlock events, not kernel functions: `landtrace -l` lists what each event has",
            ),
            "username" => Some("use `uid`"),
            _ => None,
        };
        if let Some(h) = habit {
            self.push(d.with_help(h));
            return;
        }
        let elsewhere: Vec<EventKind> = FieldId::lookup(n)
            .map(|f| EventKind::ALL.into_iter().filter(|k| k.field_type(f).is_some()).collect())
            .unwrap_or_default();
        d = match closest(n, candidates) {
            _ if !elsewhere.is_empty() => {
                d.with_help(format!("{n} is a field of {}", event_names(&elsewhere)))
            }
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None if !self.scope.events.is_empty() => d.with_help(format!(
                "fields of {}: {}",
                self.scope.events[0],
                self.scope.events[0]
                    .def()
                    .fields
                    .iter()
                    .map(|(f, _)| f.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            None => d,
        };
        self.push(d);
    }

    pub(super) fn field(&mut self, fid: FieldId, n: &str, span: Span) -> Option<Expr> {
        if let Some(word) = self.scope.no_event {
            let d = self
                .err(span, format!("`{n}` is an event field, and {word} has no event"), "no event here")
                .with_help("fields can be used in `on` clauses; only `time` and `walltime` exist everywhere");
            self.push(d);
            return None;
        }
        let events = self.scope.events.clone();
        let lacking: Vec<EventKind> =
            events.iter().copied().filter(|k| k.field_type(fid).is_none()).collect();
        if !lacking.is_empty() {
            let having: Vec<EventKind> =
                events.iter().copied().filter(|k| k.field_type(fid).is_some()).collect();
            let d = self
                .err(
                    span,
                    format!("{n} is not a field of {}", event_names(&lacking)),
                    "not in every event of the clause",
                )
                .with_help(format!(
                    "{} {} it; split the clause, e.g. `on {} where ...` and `on {} ...`",
                    event_names(&having),
                    if having.len() == 1 { "has" } else { "have" },
                    event_names(&having),
                    event_names(&lacking)
                ));
            self.push(d);
            return None;
        }
        let types: Vec<FieldType> = events.iter().filter_map(|k| k.field_type(fid)).collect();
        let first = types[0];
        let same = types.iter().all(|t| *t == first);
        let ty = match first {
            FieldType::Id => Type::Id,
            FieldType::Int => Type::Int,
            FieldType::Bool => Type::Bool,
            FieldType::Str => Type::Str,
            FieldType::Mask(f) if same => Type::Mask(MaskFam::Known(f)),
            FieldType::Mask(_) => Type::Mask(MaskFam::PerEvent(fid)),
            FieldType::MaskList(f) if same => Type::List(MaskFam::Known(f)),
            FieldType::MaskList(_) => Type::List(MaskFam::PerEvent(fid)),
        };
        Some(mk(ExprKind::Field(fid), ty, span))
    }

    pub(super) fn builtin(&mut self, b: &'static schema::BuiltinDef, span: Span) -> Option<Expr> {
        if let Some(word) = self.scope.no_event
            && !matches!(b.builtin, Builtin::Time | Builtin::Walltime)
        {
            let d = self
                .err(
                    span,
                    format!("`{}` describes an event, and {word} has no event", b.name),
                    "no event here",
                )
                .with_help("only `time` and `walltime` exist outside `on` clauses");
            self.push(d);
            return None;
        }
        let ty = match b.ty {
            FieldType::Str => Type::Str,
            _ => Type::Int,
        };
        Some(mk(ExprKind::Builtin(b.builtin), ty, span))
    }

    pub(super) fn expand_macro(&mut self, m: &'a ast::MacroDef, span: Span) -> Option<Expr> {
        let name = m.name.name.as_str();
        if self.scope.macro_stack.iter().any(|(n, _)| n == name) {
            let d = self
                .err(span, format!("macro `{name}` uses itself"), "recursive use")
                .with_help("a macro is expanded where it is used, so it cannot refer to itself");
            self.push(d);
            return None;
        }
        self.expansions += 1;
        if self.expansions > MAX_EXPANSIONS {
            if self.expansions == MAX_EXPANSIONS + 1 {
                let d = self
                    .err(
                        span,
                        format!("macros expand to more than {MAX_EXPANSIONS} uses"),
                        "expanded too often",
                    )
                    .with_help(
                        "a macro is copied where it is used: one that uses another twice, over many levels, \
                         doubles at each level; use a list, or fewer levels",
                    );
                self.push(d);
            }
            return None;
        }
        self.scope.macro_stack.push((name.to_string(), span));
        let out = self.expr(&m.body);
        self.scope.macro_stack.pop();
        out.map(|mut e| {
            // Diagnostics after expansion point at the use.
            e.span = span;
            e
        })
    }

    pub(super) fn dotted(&mut self, n: &str, span: Span) -> Option<Expr> {
        if let Some((fam, bits)) = schema::lookup_constant(n) {
            return Some(mk(ExprKind::Int(bits as i64), Type::Mask(MaskFam::Known(fam)), span));
        }
        let names = schema::constant_names();
        let mut d = self.err(span, format!("unknown constant `{n}`"), "not a known access right");
        d = match closest(n, names.iter().filter(|c| c.contains('.')).map(String::as_str)) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_help("dotted constants are `fs.NAME`, `net.NAME` and `scope.NAME` in lower case"),
        };
        self.push(d);
        None
    }

    pub(super) fn var(&mut self, v: &str, span: Span) -> Option<Expr> {
        if !self.scope.in_block {
            let d = self
                .err(
                    span,
                    format!("`${v}` is a scratch variable, which exists only inside a block"),
                    "not in a block",
                )
                .with_help("assign it in the clause's block, or use a map to carry values between events");
            self.push(d);
            return None;
        }
        if let Some(i) = self.scope.vars.iter().position(|(n, _)| n == v) {
            Some(mk(ExprKind::Var(crate::typed::VarId(i as u32)), self.scope.vars[i].1, span))
        } else {
            let names: Vec<&str> = self.scope.vars.iter().map(|(n, _)| n.as_str()).collect();
            let mut d = self.err(span, format!("`${v}` is used before it is assigned"), "not assigned yet");
            if let Some(s) = closest(v, names) {
                d = d.with_help(format!("did you mean `${s}`?"));
            } else {
                d = d.with_help(format!("assign it first: `${v} = ...`"));
            }
            self.push(d);
            None
        }
    }

    pub(super) fn script_arg(&mut self, n: u32, span: Span) -> Option<Expr> {
        self.args_used = self.args_used.max(n);
        if let Some(a) = self.args.get(n as usize - 1) {
            Some(match parse_int(a) {
                Some(v) => mk(ExprKind::Int(v), Type::Int, span),
                None => mk(ExprKind::Str(a.as_bytes().to_vec()), Type::Str, span),
            })
        } else {
            let d = self.err(span, format!("script argument ${n} is missing"), "no value given").with_help(
                format!(
                    "this script needs at least {n} argument{}: `landtrace SCRIPT.lt ARG...`",
                    if n == 1 { "" } else { "s" }
                ),
            );
            self.push(d);
            None
        }
    }

    pub(super) fn map_read(&mut self, m: &'a ast::MapRef) -> Option<Expr> {
        let id = self.lookup_map(m)?;
        let keys = self.map_keys(m, id)?;
        let decl = &self.maps[id.0 as usize];
        if let Some(ty) = decl.value.read_type() {
            Some(mk(ExprKind::MapRead { map: id, keys }, ty, m.span))
        } else {
            let d = self
                .err(
                    m.span,
                    format!("{} holds {} and cannot be read in an expression", decl.name, decl.value.name()),
                    "not a single value",
                )
                .with_help(format!("print it with `print({})`", decl.name));
            self.push(d);
            None
        }
    }

    pub(super) fn index(&mut self, base: &'a ast::Ident, index: &'a ast::Expr, span: Span) -> Option<Expr> {
        let b = self.name(&base.name, base.span)?;
        let i = self.expr(index)?;
        let fid = if let (ExprKind::Field(f), Type::List(_)) = (&b.kind, b.ty) {
            *f
        } else {
            let d = self
                .err(
                    base.span,
                    format!("`{}` is a {}, which cannot be indexed", base.name, b.ty),
                    "not a list",
                )
                .with_help("only `grants` is a list");
            self.push(d);
            return None;
        };
        self.expect_int(&i, "a list index")?;
        let Type::List(fam) = b.ty else { unreachable!() };
        Some(mk(ExprKind::Index(fid, Box::new(i)), Type::Mask(fam), span))
    }
}

/// Script arguments: decimal, 0x hex, or negative decimal.
fn parse_int(s: &str) -> Option<i64> {
    if let Some(h) = s.strip_prefix("0x") {
        return u64::from_str_radix(h, 16).ok().map(|v| v as i64);
    }
    s.parse::<i64>().ok()
}

fn event_names(evs: &[EventKind]) -> String {
    evs.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")
}
