//! The checked program: every name resolved, every expression typed.
//!
//! This is the checker's output and the lowering's input. Macros are
//! expanded, lists inlined, script arguments replaced by their values,
//! patterns compiled, printf formats parsed, and maps declared with one key
//! shape and one value kind each.

use crate::format::Format;
use crate::pattern::Pattern;
use landtrace_event::schema::{Builtin, EventKind, Family, FieldId};
use landtrace_grammar::Span;
use std::fmt;

/// The family of a mask: known statically, or (in a clause over several
/// events) the family that `field` has in the event being processed.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum MaskFam {
    Known(Family),
    PerEvent(FieldId),
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Type {
    Int,
    Bool,
    Str,
    Id,
    Mask(MaskFam),
    /// `grants`: one mask per layer.
    List(MaskFam),
}

impl Type {
    pub const FS: Type = Type::Mask(MaskFam::Known(Family::Fs));

    /// Ints, bools, ids and masks: all held in one 64-bit register.
    pub fn is_scalar(self) -> bool {
        !matches!(self, Type::Str | Type::List(_))
    }

    pub fn is_mask(self) -> bool {
        matches!(self, Type::Mask(_))
    }

    /// Usable where a condition is needed (non-zero is true).
    pub fn is_truthy(self) -> bool {
        self.is_scalar()
    }
}

impl fmt::Display for MaskFam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MaskFam::Known(fam) => f.write_str(fam.type_name()),
            MaskFam::PerEvent(field) => write!(f, "rights (the family of {} per event)", field.name()),
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Int => f.write_str("int"),
            Type::Bool => f.write_str("bool"),
            Type::Str => f.write_str("str"),
            Type::Id => f.write_str("id"),
            Type::Mask(m) => write!(f, "{m}"),
            Type::List(m) => write!(f, "list of {m}"),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct MapId(pub u32);
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct VarId(pub u32);
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct PatternId(pub u32);
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct FormatId(pub u32);

#[derive(Debug, Default)]
pub struct Program {
    pub clauses: Vec<Clause>,
    pub maps: Vec<MapDecl>,
    pub patterns: Vec<Pattern>,
    pub formats: Vec<Format>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ClauseKind {
    On(Vec<EventKind>),
    Begin,
    End,
    Every(u64),
}

#[derive(Debug)]
pub struct Clause {
    pub kind: ClauseKind,
    pub predicate: Option<Expr>,
    pub body: Body,
    /// Types of the clause's scratch variables, by `VarId`.
    pub vars: Vec<(String, Type)>,
    pub span: Span,
}

#[derive(Debug)]
pub enum Body {
    /// No block: print the event in the default format.
    PrintEvent,
    Block(Vec<Stmt>),
}

/// What a map holds.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum MapValue {
    Count,
    Sum,
    Min,
    Max,
    Avg,
    Stats,
    Hist,
    Lhist {
        min: i64,
        max: i64,
        step: i64,
    },
    /// The last value assigned.
    Last(Type),
}

impl MapValue {
    pub fn name(self) -> &'static str {
        match self {
            MapValue::Count => "count()",
            MapValue::Sum => "sum()",
            MapValue::Min => "min()",
            MapValue::Max => "max()",
            MapValue::Avg => "avg()",
            MapValue::Stats => "stats()",
            MapValue::Hist => "hist()",
            MapValue::Lhist { .. } => "lhist()",
            MapValue::Last(_) => "a plain value",
        }
    }

    /// The type of `@m[k]` in an expression, if it can be read.
    pub fn read_type(self) -> Option<Type> {
        match self {
            MapValue::Count | MapValue::Sum | MapValue::Min | MapValue::Max | MapValue::Avg => {
                Some(Type::Int)
            }
            MapValue::Last(t) => Some(t),
            MapValue::Stats | MapValue::Hist | MapValue::Lhist { .. } => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct MapDecl {
    /// With the `@`; `@` for the anonymous map.
    pub name: String,
    pub keys: Vec<Type>,
    pub value: MapValue,
    pub span: Span,
    /// Each key's name where the map is exported as metrics: given
    /// (`@m[prog: comm]`, with where it was given) or derived from the
    /// key expression ([`crate::check::derived_labels`]).
    pub labels: Vec<KeyLabel>,
    /// `clear()` or `delete()` is applied to it somewhere: its counts can
    /// go down.
    pub cleared: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct KeyLabel {
    pub name: String,
    /// Where the label was written, if it was.
    pub given: Option<Span>,
}

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Type,
    pub span: Span,
}

/// Arithmetic and bitwise operators.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    And,
    Or,
    Xor,
    Shl,
    /// `>>` on int: sign-propagating.
    Sar,
    /// `>>` on ids and masks: zero-filling.
    Shr,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// How two values compare.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum CmpClass {
    Signed,
    Unsigned,
    Str,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Func {
    Has,
    Any,
    StartsWith,
    EndsWith,
    Contains,
    StrLen,
    ListLen,
    Basename,
    Dirname,
    Hex,
    Rights,
    Popcount,
}

impl Func {
    pub fn name(self) -> &'static str {
        match self {
            Func::Has => "has",
            Func::Any => "any",
            Func::StartsWith => "starts_with",
            Func::EndsWith => "ends_with",
            Func::Contains => "contains",
            Func::StrLen | Func::ListLen => "len",
            Func::Basename => "basename",
            Func::Dirname => "dirname",
            Func::Hex => "hex",
            Func::Rights => "rights",
            Func::Popcount => "popcount",
        }
    }
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Int(i64),
    Bool(bool),
    Str(Vec<u8>),
    Field(FieldId),
    Builtin(Builtin),
    Var(VarId),
    MapRead {
        map: MapId,
        keys: Vec<Expr>,
    },
    MapLen(MapId),
    /// Logical not of a truthy value.
    Not(Box<Expr>),
    Neg(Box<Expr>),
    BitNot(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Arith(Arith, Box<Expr>, Box<Expr>),
    Cmp(Cmp, CmpClass, Box<Expr>, Box<Expr>),
    Match {
        subject: Box<Expr>,
        pattern: PatternId,
        negated: bool,
    },
    /// `e in [...]` for scalars: inclusive ranges, sorted and merged.
    InInt {
        subject: Box<Expr>,
        ranges: Vec<(i64, i64)>,
        negated: bool,
    },
    InStr {
        subject: Box<Expr>,
        set: Vec<Vec<u8>>,
        negated: bool,
    },
    Call(Func, Vec<Expr>),
    /// `grants[i]`
    Index(FieldId, Box<Expr>),
}

#[derive(Clone, Debug)]
pub enum Stmt {
    PrintEvent,
    Print(Vec<Expr>),
    PrintMap {
        map: MapId,
        limit: Option<Expr>,
    },
    Printf {
        format: FormatId,
        args: Vec<Expr>,
    },
    Clear(MapId),
    Delete {
        map: MapId,
        keys: Vec<Expr>,
    },
    Exit,
    /// `@m[k] = count()/sum(e)/...`: fold `value` into the map's aggregate.
    MapAgg {
        map: MapId,
        keys: Vec<Expr>,
        value: Option<Expr>,
    },
    /// `@m[k] = e`
    MapSet {
        map: MapId,
        keys: Vec<Expr>,
        value: Expr,
    },
    VarSet {
        var: VarId,
        value: Expr,
    },
    If {
        cond: Expr,
        then: Vec<Stmt>,
        otherwise: Vec<Stmt>,
    },
}
