//! Push-down: for each event kind, the condition an event must meet for
//! any clause of the program to want it, in terms a BPF program can
//! evaluate exactly before it copies the event to userspace.
//!
//! The condition is a disjunction, over the clauses that name the kind, of
//! conjunctions of [`Term`]s: integer and id fields and builtins compared
//! with constants, mask tests against constants, membership in constant
//! ranges, and `comm` equal to or starting with a constant. Whatever a
//! predicate says that is not such a term counts as true, so the condition
//! only ever lets more events through than the program wants, never fewer:
//! the userspace predicate still runs on every event that passes.

use crate::typed::{Arith, Clause, ClauseKind, Cmp, CmpClass, Expr, ExprKind, Func, Program};
use landtrace_event::record::Event;
use landtrace_event::schema::{Builtin, BuiltinLoc, EVENT_COUNT, EventKind, FieldId, Loc};
use std::fmt;

/// At most this many conjunctions per event kind; a larger disjunction is
/// approximated by `true`.
pub const MAX_CONJ: usize = 8;
/// At most this many terms per conjunction; further terms are dropped
/// (which only weakens the conjunction).
pub const MAX_TERMS: usize = 8;
/// At most this many ranges in one membership test.
pub const MAX_RANGES: usize = 8;
/// The kernel's task name buffer: `comm` is at most 15 bytes.
pub const COMM_LEN: usize = 16;

/// An integer value of the event.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Operand {
    /// A scalar field (its record slot).
    Field(FieldId),
    /// An integer builtin (`pid`, `uid`, `cgroup`, ...).
    Builtin(Builtin),
}

/// What a term asks of its operand.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Test {
    /// `v OP value`, compared as signed or unsigned 64-bit integers.
    Cmp { op: Cmp, signed: bool, value: u64 },
    /// `v & mask != 0`
    MaskAny(u64),
    /// `v & mask == 0`
    MaskNone(u64),
    /// `v & mask == mask`
    MaskAll(u64),
    /// `v & mask != mask`
    MaskNotAll(u64),
    /// `v` in (or, `negated`, not in) inclusive ranges.
    InRanges { ranges: Vec<(i64, i64)>, unsigned: bool, negated: bool },
}

/// One condition the kernel side can evaluate.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Term {
    Int(Operand, Test),
    /// `comm` equal to `bytes` (or starting with it, `prefix`), or, when
    /// `negated`, not.
    Comm {
        bytes: Vec<u8>,
        prefix: bool,
        negated: bool,
    },
}

/// A conjunction of terms; empty is true.
pub type Conj = Vec<Term>;

/// A disjunction of conjunctions. `[[]]` is true, `[]` is false.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Condition(pub Vec<Conj>);

impl Condition {
    pub fn always() -> Condition {
        Condition(vec![Vec::new()])
    }

    pub fn never() -> Condition {
        Condition(Vec::new())
    }

    /// Whether every event passes (nothing to evaluate in the kernel).
    pub fn is_always(&self) -> bool {
        self.0.iter().any(Vec::is_empty)
    }

    fn or(mut self, other: Condition) -> Condition {
        if self.is_always() || other.is_always() {
            return Condition::always();
        }
        self.0.extend(other.0);
        self.0.dedup();
        if self.0.len() > MAX_CONJ { Condition::always() } else { self }
    }

    fn and(self, other: Condition) -> Condition {
        if self.is_always() {
            return other;
        }
        if other.is_always() {
            return self;
        }
        if self.0.len() * other.0.len() > MAX_CONJ {
            // Either side alone lets through more than both: keep the one
            // with fewer conjunctions.
            return if self.0.len() <= other.0.len() { self } else { other };
        }
        let mut out = Vec::new();
        for a in &self.0 {
            for b in &other.0 {
                let mut c = a.clone();
                for t in b {
                    if !c.contains(t) {
                        c.push(t.clone());
                    }
                }
                c.truncate(MAX_TERMS);
                out.push(c);
            }
        }
        Condition(out)
    }

    /// The reference meaning of the condition (the probes evaluate the
    /// same): whether `ev`, an event of the kind it was derived for, passes.
    pub fn accepts(&self, ev: &Event) -> bool {
        self.0.iter().any(|c| c.iter().all(|t| t.accepts(ev)))
    }
}

impl Term {
    fn negate(&self) -> Term {
        match self {
            Term::Int(o, t) => Term::Int(
                *o,
                match t {
                    Test::Cmp { op, signed, value } => Test::Cmp {
                        op: match op {
                            Cmp::Eq => Cmp::Ne,
                            Cmp::Ne => Cmp::Eq,
                            Cmp::Lt => Cmp::Ge,
                            Cmp::Ge => Cmp::Lt,
                            Cmp::Le => Cmp::Gt,
                            Cmp::Gt => Cmp::Le,
                        },
                        signed: *signed,
                        value: *value,
                    },
                    Test::MaskAny(m) => Test::MaskNone(*m),
                    Test::MaskNone(m) => Test::MaskAny(*m),
                    Test::MaskAll(m) => Test::MaskNotAll(*m),
                    Test::MaskNotAll(m) => Test::MaskAll(*m),
                    Test::InRanges { ranges, unsigned, negated } => {
                        Test::InRanges { ranges: ranges.clone(), unsigned: *unsigned, negated: !negated }
                    }
                },
            ),
            Term::Comm { bytes, prefix, negated } => {
                Term::Comm { bytes: bytes.clone(), prefix: *prefix, negated: !negated }
            }
        }
    }

    /// Whether `ev` meets the term.
    pub fn accepts(&self, ev: &Event) -> bool {
        match self {
            Term::Int(o, t) => {
                let v = match *o {
                    Operand::Field(f) => ev.get(f),
                    Operand::Builtin(b) => ev.builtin(b),
                };
                t.accepts(v)
            }
            Term::Comm { bytes, prefix, negated } => {
                let c = ev.comm();
                let hit = if *prefix { c.starts_with(bytes) } else { c == bytes.as_slice() };
                hit != *negated
            }
        }
    }
}

impl Test {
    pub fn accepts(&self, v: u64) -> bool {
        match self {
            Test::Cmp { op, signed, value } => {
                let ord = if *signed { (v as i64).cmp(&(*value as i64)) } else { v.cmp(value) };
                match op {
                    Cmp::Eq => ord.is_eq(),
                    Cmp::Ne => ord.is_ne(),
                    Cmp::Lt => ord.is_lt(),
                    Cmp::Le => ord.is_le(),
                    Cmp::Gt => ord.is_gt(),
                    Cmp::Ge => ord.is_ge(),
                }
            }
            Test::MaskAny(m) => v & m != 0,
            Test::MaskNone(m) => v & m == 0,
            Test::MaskAll(m) => v & m == *m,
            Test::MaskNotAll(m) => v & m != *m,
            Test::InRanges { ranges, unsigned, negated } => {
                let hit = ranges.iter().any(|&(lo, hi)| {
                    if *unsigned {
                        (lo as u64) <= v && v <= (hi as u64)
                    } else {
                        lo <= v as i64 && v as i64 <= hi
                    }
                });
                hit != *negated
            }
        }
    }
}

/// The integer operand an expression is, if it is one the kernel side has.
fn operand(e: &Expr) -> Option<Operand> {
    match &e.kind {
        ExprKind::Field(f) if matches!(f.def().loc, Loc::Slot(_)) => Some(Operand::Field(*f)),
        ExprKind::Builtin(b) if matches!(b.def().loc, BuiltinLoc::Int(_)) => Some(Operand::Builtin(*b)),
        _ => None,
    }
}

fn constant(e: &Expr) -> Option<u64> {
    match e.kind {
        ExprKind::Int(v) => Some(v as u64),
        ExprKind::Bool(b) => Some(u64::from(b)),
        _ => None,
    }
}

fn is_comm(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Builtin(Builtin::Comm))
}

fn string(e: &Expr) -> Option<&[u8]> {
    match &e.kind {
        ExprKind::Str(s) => Some(s),
        _ => None,
    }
}

fn flip(op: Cmp) -> Cmp {
    match op {
        Cmp::Lt => Cmp::Gt,
        Cmp::Gt => Cmp::Lt,
        Cmp::Le => Cmp::Ge,
        Cmp::Ge => Cmp::Le,
        other => other,
    }
}

fn term(t: Term) -> Condition {
    Condition(vec![vec![t]])
}

/// A mask test `(x & m) OP c`, where `c` is 0 or `m`.
fn mask_test(op: Cmp, x: &Expr, c: u64) -> Option<Condition> {
    let ExprKind::Arith(Arith::And, a, b) = &x.kind else { return None };
    let ((Some(o), Some(m), _, _) | (_, _, Some(o), Some(m))) =
        (operand(a), constant(b), operand(b), constant(a))
    else {
        return None;
    };
    let test = match (op, c) {
        (Cmp::Ne, 0) => Test::MaskAny(m),
        (Cmp::Eq, 0) => Test::MaskNone(m),
        (Cmp::Eq, c) if c == m => Test::MaskAll(m),
        (Cmp::Ne, c) if c == m => Test::MaskNotAll(m),
        _ => return None,
    };
    Some(term(Term::Int(o, test)))
}

/// What the kernel side can check of `e` being true (`negated`: false),
/// never less than `e` allows.
fn derive(e: &Expr, negated: bool) -> Condition {
    let pushed = match &e.kind {
        ExprKind::Bool(b) => return if *b == negated { Condition::never() } else { Condition::always() },
        ExprKind::Not(x) => return derive(x, !negated),
        ExprKind::And(a, b) if !negated => return derive(a, false).and(derive(b, false)),
        ExprKind::And(a, b) => return derive(a, true).or(derive(b, true)),
        ExprKind::Or(a, b) if !negated => return derive(a, false).or(derive(b, false)),
        ExprKind::Or(a, b) => return derive(a, true).and(derive(b, true)),
        ExprKind::Cmp(op, class, a, b) if *class != CmpClass::Str => {
            let signed = *class == CmpClass::Signed;
            match (operand(a), constant(b), operand(b), constant(a)) {
                (Some(o), Some(value), _, _) => {
                    Some(term(Term::Int(o, Test::Cmp { op: *op, signed, value })))
                }
                (_, _, Some(o), Some(value)) => {
                    Some(term(Term::Int(o, Test::Cmp { op: flip(*op), signed, value })))
                }
                _ => match (constant(b), constant(a)) {
                    (Some(c), _) => mask_test(*op, a, c),
                    (_, Some(c)) => mask_test(flip(*op), b, c),
                    _ => None,
                },
            }
        }
        ExprKind::Cmp(op @ (Cmp::Eq | Cmp::Ne), CmpClass::Str, a, b) => {
            let s = if is_comm(a) {
                string(b)
            } else if is_comm(b) {
                string(a)
            } else {
                None
            };
            s.map(|s| term(Term::Comm { bytes: s.to_vec(), prefix: false, negated: *op == Cmp::Ne }))
        }
        ExprKind::Call(Func::StartsWith, args) if is_comm(&args[0]) => {
            string(&args[1]).map(|s| term(Term::Comm { bytes: s.to_vec(), prefix: true, negated: false }))
        }
        ExprKind::Call(f @ (Func::Has | Func::Any), args) => match (operand(&args[0]), constant(&args[1])) {
            (Some(o), Some(m)) => {
                Some(term(Term::Int(o, if *f == Func::Has { Test::MaskAll(m) } else { Test::MaskAny(m) })))
            }
            _ => None,
        },
        ExprKind::InInt { subject, ranges, negated: not_in } if ranges.len() <= MAX_RANGES => {
            operand(subject).map(|o| {
                let unsigned = !matches!(subject.ty, crate::typed::Type::Int);
                term(Term::Int(o, Test::InRanges { ranges: ranges.clone(), unsigned, negated: *not_in }))
            })
        }
        ExprKind::InStr { subject, set, negated: false } if is_comm(subject) && set.len() <= MAX_CONJ => {
            Some(Condition(
                set.iter()
                    .map(|s| vec![Term::Comm { bytes: s.clone(), prefix: false, negated: false }])
                    .collect(),
            ))
        }
        // A scalar is true when it is not zero.
        _ if e.ty.is_scalar() && operand(e).is_some() => {
            let o = operand(e).expect("checked");
            Some(term(Term::Int(o, Test::Cmp { op: Cmp::Ne, signed: false, value: 0 })))
        }
        _ => None,
    };
    match pushed {
        // A negated term is its negation; `derive` of Not/And/Or returned
        // above, so only a single term (or a constant) is negated here.
        Some(c) if negated => match c.0.as_slice() {
            [conj] if conj.len() == 1 => term(conj[0].negate()),
            // `comm in [...]` negated is a conjunction of `!=`.
            conjs if conjs.iter().all(|c| c.len() == 1) => {
                Condition(vec![conjs.iter().map(|c| c[0].negate()).collect()])
            }
            _ => Condition::always(),
        },
        Some(c) => c,
        None => Condition::always(),
    }
}

/// The condition of one clause.
fn clause_condition(c: &Clause) -> Condition {
    c.predicate.as_ref().map_or_else(Condition::always, |p| derive(p, false))
}

/// For each event kind (indexed by `EventKind as usize`), what the kernel
/// side may check before delivering an event of that kind; `None` for a
/// kind no clause names (the program does not want it at all).
pub fn pushdown(prog: &Program) -> [Option<Condition>; EVENT_COUNT] {
    let mut out: [Option<Condition>; EVENT_COUNT] = std::array::from_fn(|_| None);
    for c in &prog.clauses {
        let ClauseKind::On(kinds) = &c.kind else { continue };
        let cond = clause_condition(c);
        for k in kinds {
            let slot = &mut out[*k as usize];
            *slot = Some(match slot.take() {
                None => cond.clone(),
                Some(prev) => prev.or(cond.clone()),
            });
        }
    }
    out
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Field(x) => f.write_str(x.name()),
            Operand::Builtin(b) => f.write_str(b.name()),
        }
    }
}

fn op_text(op: Cmp) -> &'static str {
    match op {
        Cmp::Eq => "==",
        Cmp::Ne => "!=",
        Cmp::Lt => "<",
        Cmp::Le => "<=",
        Cmp::Gt => ">",
        Cmp::Ge => ">=",
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Term::Int(o, Test::Cmp { op, signed, value }) => {
                if *signed {
                    write!(f, "{o} {} {}", op_text(*op), *value as i64)
                } else {
                    write!(f, "{o} {} {value:#x}", op_text(*op))
                }
            }
            Term::Int(o, Test::MaskAny(m)) => write!(f, "{o} & {m:#x} != 0"),
            Term::Int(o, Test::MaskNone(m)) => write!(f, "{o} & {m:#x} == 0"),
            Term::Int(o, Test::MaskAll(m)) => write!(f, "{o} & {m:#x} == {m:#x}"),
            Term::Int(o, Test::MaskNotAll(m)) => write!(f, "{o} & {m:#x} != {m:#x}"),
            Term::Int(o, Test::InRanges { ranges, negated, .. }) => {
                let r: Vec<String> = ranges
                    .iter()
                    .map(|(a, b)| if a == b { a.to_string() } else { format!("{a}..{b}") })
                    .collect();
                write!(f, "{o} {}in [{}]", if *negated { "not " } else { "" }, r.join(", "))
            }
            Term::Comm { bytes, prefix, negated } => {
                let s = String::from_utf8_lossy(bytes);
                match (prefix, negated) {
                    (false, false) => write!(f, "comm == {s:?}"),
                    (false, true) => write!(f, "comm != {s:?}"),
                    (true, false) => write!(f, "starts_with(comm, {s:?})"),
                    (true, true) => write!(f, "not starts_with(comm, {s:?})"),
                }
            }
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_always() {
            return f.write_str("every event");
        }
        if self.0.is_empty() {
            return f.write_str("no event");
        }
        let conjs: Vec<String> = self
            .0
            .iter()
            .map(|c| {
                let t: Vec<String> = c.iter().map(ToString::to_string).collect();
                if self.0.len() > 1 && t.len() > 1 {
                    format!("({})", t.join(" and "))
                } else {
                    t.join(" and ")
                }
            })
            .collect();
        f.write_str(&conjs.join(" or "))
    }
}

/// For `--dump pushdown`: per event kind the program names, what the
/// probes check in the kernel and what runs in userspace.
pub fn describe(prog: &Program) -> String {
    let mut out = String::new();
    for (i, c) in pushdown(prog).iter().enumerate() {
        if let Some(c) = c {
            let kind = EventKind::ALL[i];
            out.push_str(&format!("{kind}:\n  kernel:    {c}\n"));
            let filtered = prog.clauses.iter().any(|cl| {
                matches!(&cl.kind, ClauseKind::On(k) if k.contains(&kind)) && cl.predicate.is_some()
            });
            out.push_str(if filtered {
                "  userspace: every clause's whole filter, then its block\n"
            } else {
                "  userspace: the blocks\n"
            });
        }
    }
    out.push_str(
        "(the tracepoint source checks the kernel part before it copies a record; a term a kernel's \
         record lacks is left out there. compat and audit deliver every event.)\n",
    );
    out
}
