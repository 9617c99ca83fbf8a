//! The abstract syntax tree of a landtrace program.
//!
//! Every node carries the byte span of the source text it came from, so
//! that later stages can point diagnostics at the exact place. The AST knows
//! nothing about events or types: names are plain strings here and are
//! resolved by the checker.

use std::fmt;

/// A half-open byte range `start..end` in the program text.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    pub fn len(self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(s: Span) -> miette::SourceSpan {
        (s.start, s.len()).into()
    }
}

/// A name as written, with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Program {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    On(OnClause),
    Begin(Block),
    End(Block),
    Every(Every),
    List(ListDef),
    Macro(MacroDef),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::On(c) => c.span,
            Item::Begin(b) | Item::End(b) => b.span,
            Item::Every(e) => e.span,
            Item::List(l) => l.span,
            Item::Macro(m) => m.span,
        }
    }
}

/// `on EVENTS [where EXPR] [BLOCK]`
#[derive(Clone, Debug, PartialEq)]
pub struct OnClause {
    /// Event names or glob patterns, as written.
    pub events: Vec<Ident>,
    pub predicate: Option<Expr>,
    /// `None` means "print the event".
    pub block: Option<Block>,
    pub span: Span,
}

/// `every DURATION BLOCK`
#[derive(Clone, Debug, PartialEq)]
pub struct Every {
    pub period_ns: u64,
    pub period_span: Span,
    pub block: Block,
    pub span: Span,
}

/// `list NAME = [v1, v2, ...]`
#[derive(Clone, Debug, PartialEq)]
pub struct ListDef {
    pub name: Ident,
    pub elems: Vec<ListElem>,
    pub span: Span,
}

/// `macro NAME = EXPR`
#[derive(Clone, Debug, PartialEq)]
pub struct MacroDef {
    pub name: Ident,
    pub body: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// Bare `print`: the event in the default format.
    PrintEvent,
    /// `name(args)`: print, printf, clear, delete, exit.
    Call {
        name: Ident,
        args: Vec<Expr>,
    },
    /// `@map[keys] = value` (an aggregation call or a plain value); for
    /// `@map[keys]++` and `@map[keys] += e`, `value` is the update written
    /// out (`@map[keys] + 1`, `@map[keys] + e`) and `update` how it was
    /// written.
    MapAssign {
        map: MapRef,
        value: Expr,
        update: Option<Update>,
    },
    /// `$name = value`; `$name++`, `$name += e` as for maps.
    VarAssign {
        name: Ident,
        value: Expr,
        update: Option<Update>,
    },
    If {
        cond: Expr,
        then: Block,
        otherwise: Option<Block>,
    },
}

/// How an update statement was written: `x++`, `x--` or `x OP= e` (the
/// operand is the right side of the statement's value).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Update {
    Incr,
    Decr,
    Op(BinOp),
}

/// `@name[k1, k2]`, `@name` or `@`.
#[derive(Clone, Debug, PartialEq)]
pub struct MapRef {
    /// The name including `@`; `"@"` for the anonymous map.
    pub name: Ident,
    /// `None` for a map written without brackets.
    pub keys: Option<Vec<Expr>>,
    /// The label each key is given (`@m[prog: comm]`), by position:
    /// its name where the map is exported as metrics.
    pub labels: Vec<Option<Ident>>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Int(i64),
    Str(Vec<u8>),
    /// `re"..."`: the regular expression source.
    Regex(String),
    Bool(bool),
    /// A duration literal, in nanoseconds.
    Duration(u64),
    /// A bare name: field, builtin, constant, macro or list.
    Name(String),
    /// A dotted constant such as `fs.read_file`.
    Dotted(String),
    /// A scratch variable `$x` (the name without `$`).
    Var(String),
    /// A script argument `$1` ... `$9`.
    Arg(u32),
    Map(MapRef),
    Call {
        name: Ident,
        args: Vec<Expr>,
    },
    /// `field[index]`
    Index {
        base: Ident,
        index: Box<Expr>,
    },
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    In {
        negated: bool,
        lhs: Box<Expr>,
        rhs: InRhs,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnOp {
    /// `not`, `!`
    Not,
    /// `~`
    BitNot,
    /// unary `-`
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Match,
    NoMatch,
    BitOr,
    BitXor,
    BitAnd,
    Shl,
    Shr,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Match => "=~",
            BinOp::NoMatch => "!~",
            BinOp::BitOr => "|",
            BinOp::BitXor => "^",
            BinOp::BitAnd => "&",
            BinOp::Shl => "<<",
            BinOp::Shr => ">>",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
        }
    }

    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Eq
                | BinOp::Ne
                | BinOp::Lt
                | BinOp::Le
                | BinOp::Gt
                | BinOp::Ge
                | BinOp::Match
                | BinOp::NoMatch
        )
    }
}

impl UnOp {
    pub fn symbol(self) -> &'static str {
        match self {
            UnOp::Not => "not",
            UnOp::BitNot => "~",
            UnOp::Neg => "-",
        }
    }
}

/// The right-hand side of `in`.
#[derive(Clone, Debug, PartialEq)]
pub enum InRhs {
    List(Vec<ListElem>, Span),
    Range(Box<Expr>, Box<Expr>, Span),
    /// The name of a `list` definition.
    Name(Ident),
}

impl InRhs {
    pub fn span(&self) -> Span {
        match self {
            InRhs::List(_, s) | InRhs::Range(_, _, s) => *s,
            InRhs::Name(i) => i.span,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum ListElem {
    Value(Expr),
    /// `lo..hi`, inclusive.
    Range(Expr, Expr, Span),
}

impl ListElem {
    pub fn span(&self) -> Span {
        match self {
            ListElem::Value(e) => e.span,
            ListElem::Range(_, _, s) => *s,
        }
    }
}

/// Deepest nesting of expressions and blocks a program may have. Deeper
/// programs are rejected with an error rather than risking the stack of
/// every stage that walks the tree.
pub const MAX_DEPTH: usize = 256;

/// What one level of nesting costs against [`MAX_DEPTH`]: a term of a flat
/// chain (`a + b + c ...`, nested to the left) costs 1/16 of a level, so a
/// sum of thousands of terms is no "nesting".
const LEVEL: usize = 16;

impl Program {
    /// The span of a node nested deeper than `limit`, if any. Stops
    /// descending at the limit, so it is safe on any tree.
    pub fn too_deep(&self, limit: usize) -> Option<Span> {
        let limit = limit * LEVEL;
        self.items.iter().find_map(|item| match item {
            Item::On(c) => c
                .predicate
                .as_ref()
                .and_then(|p| p.too_deep(limit, LEVEL))
                .or_else(|| c.block.as_ref().and_then(|b| b.too_deep(limit, LEVEL))),
            Item::Begin(b) | Item::End(b) => b.too_deep(limit, LEVEL),
            Item::Every(e) => e.block.too_deep(limit, LEVEL),
            Item::List(l) => l.elems.iter().find_map(|e| e.too_deep(limit, LEVEL)),
            Item::Macro(m) => m.body.too_deep(limit, LEVEL),
        })
    }
}

impl Block {
    fn too_deep(&self, limit: usize, depth: usize) -> Option<Span> {
        if depth > limit {
            return Some(self.span);
        }
        self.stmts.iter().find_map(|s| match &s.kind {
            StmtKind::PrintEvent => None,
            StmtKind::Call { args, .. } => args.iter().find_map(|a| a.too_deep(limit, depth + LEVEL)),
            StmtKind::MapAssign { map, value, .. } => map
                .keys
                .iter()
                .flatten()
                .find_map(|k| k.too_deep(limit, depth + LEVEL))
                .or_else(|| value.too_deep(limit, depth + LEVEL)),
            StmtKind::VarAssign { value, .. } => value.too_deep(limit, depth + LEVEL),
            StmtKind::If { cond, then, otherwise } => cond
                .too_deep(limit, depth + LEVEL)
                .or_else(|| then.too_deep(limit, depth + LEVEL))
                .or_else(|| otherwise.as_ref().and_then(|o| o.too_deep(limit, depth + LEVEL))),
        })
    }
}

impl ListElem {
    fn too_deep(&self, limit: usize, depth: usize) -> Option<Span> {
        match self {
            ListElem::Value(v) => v.too_deep(limit, depth),
            ListElem::Range(a, b, _) => a.too_deep(limit, depth).or_else(|| b.too_deep(limit, depth)),
        }
    }
}

impl Expr {
    fn too_deep(&self, limit: usize, depth: usize) -> Option<Span> {
        if depth > limit {
            return Some(self.span);
        }
        let d = depth + LEVEL;
        match &self.kind {
            ExprKind::Map(m) => m.keys.iter().flatten().find_map(|k| k.too_deep(limit, d)),
            ExprKind::Call { args, .. } => args.iter().find_map(|a| a.too_deep(limit, d)),
            ExprKind::Index { index, .. } => index.too_deep(limit, d),
            ExprKind::Unary(_, a) => a.too_deep(limit, d),
            ExprKind::Binary(_, a, b) => {
                let left = if matches!(a.kind, ExprKind::Binary(..)) { depth + 1 } else { d };
                a.too_deep(limit, left).or_else(|| b.too_deep(limit, d))
            }
            ExprKind::In { lhs, rhs, .. } => lhs.too_deep(limit, d).or_else(|| match rhs {
                InRhs::List(elems, _) => elems.iter().find_map(|e| e.too_deep(limit, d)),
                InRhs::Range(a, b, _) => a.too_deep(limit, d).or_else(|| b.too_deep(limit, d)),
                InRhs::Name(_) => None,
            }),
            _ => None,
        }
    }
}
