//! The intermediate representation that both backends execute.
//!
//! Each clause lowers to at most two functions: a predicate returning a
//! truth value, and an action that runs the block. A function is a list of
//! basic blocks over two register files, 64-bit integers (`r`) and strings
//! as (pointer, length) (`s`). Registers are mutable variables, not SSA,
//! which is exactly what Cranelift's `FunctionBuilder` variables take and
//! what an interpreter wants. Field reads are loads from fixed record
//! offsets; string work and everything that touches maps or output are
//! single instructions that a backend implements by calling the host.

use crate::format::Format;
use crate::pattern::Pattern;
use crate::typed::{ClauseKind, FormatId, MapDecl, MapId, PatternId};
#[cfg(doc)]
use landtrace_event::schema::BuiltinLoc;
use landtrace_event::schema::{Builtin, Family, FieldId};
use landtrace_grammar::Span;
use std::fmt;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct IReg(pub u32);
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct SReg(pub u32);
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct BlockId(pub u32);
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct FuncId(pub u32);

/// How a 64-bit value is shown and keyed: the type it had in the program.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ValKind {
    Int,
    Bool,
    Id,
    Mask(Family),
    /// A mask whose family is that of `field` in the current event.
    MaskOf(FieldId),
}

/// A value handed to the host (map keys, printed values).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Operand {
    Int(IReg, ValKind),
    /// A string; `trusted` when it cannot hold event data (a literal, an
    /// event name, a formatted number), so it is printed without escaping.
    Str(SReg, bool),
}

/// Scalar loads from the record.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Load {
    /// A scalar field, `record.slots[n]`.
    Slot(u8),
    /// An integer builtin ([`BuiltinLoc::Int`]).
    Builtin(Builtin),
}

/// String loads from the record.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LoadStr {
    Field(u8),
    Comm,
    Node,
    EventName,
    SourceName,
    Walltime,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    /// Signed division; by zero yields 0 and a counted warning.
    Div,
    Rem,
    And,
    Or,
    Xor,
    Shl,
    Sar,
    Shr,
    Eq,
    Ne,
    Slt,
    Sle,
    Ult,
    Ule,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum UnOp {
    Neg,
    Not,
    /// 1 if zero, else 0.
    IsZero,
    /// 1 if non-zero, else 0.
    NonZero,
    Popcount,
}

/// String comparisons are those of the typed program.
pub use crate::typed::Cmp as StrCmp;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum StrTest {
    StartsWith,
    EndsWith,
    Contains,
}

#[derive(Clone, PartialEq, Debug)]
pub enum Inst {
    Const {
        dst: IReg,
        value: i64,
    },
    StrConst {
        dst: SReg,
        id: u32,
    },
    Load {
        dst: IReg,
        what: Load,
    },
    LoadStr {
        dst: SReg,
        what: LoadStr,
    },
    Copy {
        dst: IReg,
        src: IReg,
    },
    CopyStr {
        dst: SReg,
        src: SReg,
    },
    Unary {
        dst: IReg,
        op: UnOp,
        a: IReg,
    },
    Binary {
        dst: IReg,
        op: BinOp,
        a: IReg,
        b: IReg,
    },
    StrCmp {
        dst: IReg,
        op: StrCmp,
        a: SReg,
        b: SReg,
    },
    StrTest {
        dst: IReg,
        op: StrTest,
        a: SReg,
        b: SReg,
    },
    Match {
        dst: IReg,
        pattern: PatternId,
        s: SReg,
    },
    /// `a` is in one of the inclusive ranges `int_sets[set]`.
    InRanges {
        dst: IReg,
        a: IReg,
        set: u32,
        unsigned: bool,
    },
    InStrs {
        dst: IReg,
        s: SReg,
        set: u32,
    },
    StrLen {
        dst: IReg,
        s: SReg,
    },
    Basename {
        dst: SReg,
        s: SReg,
    },
    Dirname {
        dst: SReg,
        s: SReg,
    },
    Hex {
        dst: SReg,
        a: IReg,
    },
    Rights {
        dst: SReg,
        a: IReg,
        kind: ValKind,
    },
    ListLen {
        dst: IReg,
    },
    /// `grants[index]`, 0 when out of range.
    ListGet {
        dst: IReg,
        index: IReg,
    },
    MapGet {
        dst: Operand,
        map: MapId,
        keys: Vec<Operand>,
    },
    MapLen {
        dst: IReg,
        map: MapId,
    },
    MapAgg {
        map: MapId,
        keys: Vec<Operand>,
        value: Option<IReg>,
    },
    MapSet {
        map: MapId,
        keys: Vec<Operand>,
        value: Operand,
    },
    MapDelete {
        map: MapId,
        keys: Vec<Operand>,
    },
    Printf {
        format: FormatId,
        args: Vec<Operand>,
    },
    Print {
        args: Vec<Operand>,
    },
    PrintEvent,
    PrintMap {
        map: MapId,
        limit: Option<IReg>,
    },
    Clear {
        map: MapId,
    },
    Exit,
}

impl Inst {
    /// The map the instruction reads, changes or prints.
    pub fn map(&self) -> Option<MapId> {
        match self {
            Inst::MapGet { map, .. }
            | Inst::MapLen { map, .. }
            | Inst::MapAgg { map, .. }
            | Inst::MapSet { map, .. }
            | Inst::MapDelete { map, .. }
            | Inst::PrintMap { map, .. }
            | Inst::Clear { map } => Some(*map),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Terminator {
    Jump(BlockId),
    Branch { cond: IReg, then: BlockId, other: BlockId },
    Return(IReg),
}

#[derive(Clone, Debug)]
pub struct Block {
    pub insts: Vec<Inst>,
    pub term: Terminator,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FuncKind {
    Predicate,
    Action,
}

#[derive(Clone, Debug)]
pub struct Function {
    pub name: String,
    pub kind: FuncKind,
    pub blocks: Vec<Block>,
    pub n_int: u32,
    pub n_str: u32,
}

#[derive(Clone, Debug)]
pub struct Clause {
    pub kind: ClauseKind,
    pub predicate: Option<FuncId>,
    pub action: FuncId,
    pub span: Span,
}

impl Clause {
    /// `on create_ruleset, add_rule_fs`, `BEGIN`, `every 5000000000ns`.
    pub fn title(&self) -> String {
        match &self.kind {
            ClauseKind::On(events) => {
                format!("on {}", events.iter().map(|e| e.name()).collect::<Vec<_>>().join(", "))
            }
            ClauseKind::Begin => "BEGIN".to_string(),
            ClauseKind::End => "END".to_string(),
            ClauseKind::Every(ns) => format!("every {ns}ns"),
        }
    }
}

/// A whole lowered program and the constants its instructions refer to.
#[derive(Debug, Default)]
pub struct Program {
    pub clauses: Vec<Clause>,
    pub funcs: Vec<Function>,
    pub strings: Vec<Vec<u8>>,
    pub int_sets: Vec<Vec<(i64, i64)>>,
    pub str_sets: Vec<Vec<Vec<u8>>>,
    pub patterns: Vec<Pattern>,
    pub formats: Vec<Format>,
    pub maps: Vec<MapDecl>,
}

impl Program {
    pub fn func(&self, id: FuncId) -> &Function {
        &self.funcs[id.0 as usize]
    }

    /// The maps a clause's code mentions, wherever in it (taken or not).
    pub fn maps_mentioned(&self, clause: &Clause) -> impl Iterator<Item = MapId> + '_ {
        let funcs = clause.predicate.into_iter().chain([clause.action]);
        funcs.flat_map(|f| self.func(f).blocks.iter()).flat_map(|b| b.insts.iter()).filter_map(Inst::map)
    }

    /// The largest register files any function needs.
    pub fn max_regs(&self) -> (usize, usize) {
        self.funcs.iter().fold((0, 0), |(i, s), f| (i.max(f.n_int as usize), s.max(f.n_str as usize)))
    }
}

// --- printing, for `--dump ir` -----------------------------------------

impl fmt::Display for IReg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "r{}", self.0)
    }
}

impl fmt::Display for SReg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s{}", self.0)
    }
}

impl fmt::Display for BlockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b{}", self.0)
    }
}

impl fmt::Display for ValKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValKind::Int => f.write_str("int"),
            ValKind::Bool => f.write_str("bool"),
            ValKind::Id => f.write_str("id"),
            ValKind::Mask(fam) => write!(f, "{}", fam.short()),
            ValKind::MaskOf(field) => write!(f, "rights-of-{}", field.name()),
        }
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Int(r, k) => write!(f, "{r}:{k}"),
            Operand::Str(s, true) => write!(f, "{s}:str"),
            Operand::Str(s, false) => write!(f, "{s}:untrusted"),
        }
    }
}

fn list(ops: &[Operand]) -> String {
    ops.iter().map(std::string::ToString::to_string).collect::<Vec<_>>().join(", ")
}

impl Program {
    fn fmt_inst(&self, f: &mut fmt::Formatter<'_>, inst: &Inst) -> fmt::Result {
        let name = |m: MapId| self.maps[m.0 as usize].name.as_str();
        match inst {
            Inst::Const { dst, value } => write!(f, "{dst} = const {value}"),
            Inst::StrConst { dst, id } => {
                write!(f, "{dst} = str {:?}", String::from_utf8_lossy(&self.strings[*id as usize]))
            }
            Inst::Load { dst, what } => match what {
                Load::Slot(n) => write!(f, "{dst} = load slot[{n}]"),
                Load::Builtin(b) => write!(f, "{dst} = load {}", b.name()),
            },
            Inst::LoadStr { dst, what } => match what {
                LoadStr::Field(n) => write!(f, "{dst} = load str[{n}]"),
                other => write!(f, "{dst} = load {}", format!("{other:?}").to_lowercase()),
            },
            Inst::Copy { dst, src } => write!(f, "{dst} = {src}"),
            Inst::CopyStr { dst, src } => write!(f, "{dst} = {src}"),
            Inst::Unary { dst, op, a } => write!(f, "{dst} = {} {a}", format!("{op:?}").to_lowercase()),
            Inst::Binary { dst, op, a, b } => {
                write!(f, "{dst} = {} {a}, {b}", format!("{op:?}").to_lowercase())
            }
            Inst::StrCmp { dst, op, a, b } => {
                write!(f, "{dst} = str.{} {a}, {b}", format!("{op:?}").to_lowercase())
            }
            Inst::StrTest { dst, op, a, b } => {
                write!(f, "{dst} = {} {a}, {b}", format!("{op:?}").to_lowercase())
            }
            Inst::Match { dst, pattern, s } => {
                let p = &self.patterns[pattern.0 as usize];
                write!(
                    f,
                    "{dst} = match {s}, {} {:?} ({})",
                    if p.is_regex { "re" } else { "glob" },
                    p.source,
                    p.strategy()
                )
            }
            Inst::InRanges { dst, a, set, unsigned } => {
                let ranges: Vec<String> = self.int_sets[*set as usize]
                    .iter()
                    .map(|(lo, hi)| if lo == hi { lo.to_string() } else { format!("{lo}..{hi}") })
                    .collect();
                write!(f, "{dst} = in{} {a}, [{}]", if *unsigned { ".u" } else { "" }, ranges.join(", "))
            }
            Inst::InStrs { dst, s, set } => {
                let strs: Vec<String> = self.str_sets[*set as usize]
                    .iter()
                    .map(|s| format!("{:?}", String::from_utf8_lossy(s)))
                    .collect();
                write!(f, "{dst} = in {s}, [{}]", strs.join(", "))
            }
            Inst::StrLen { dst, s } => write!(f, "{dst} = len {s}"),
            Inst::Basename { dst, s } => write!(f, "{dst} = basename {s}"),
            Inst::Dirname { dst, s } => write!(f, "{dst} = dirname {s}"),
            Inst::Hex { dst, a } => write!(f, "{dst} = hex {a}"),
            Inst::Rights { dst, a, kind } => write!(f, "{dst} = rights {a}:{kind}"),
            Inst::ListLen { dst } => write!(f, "{dst} = len grants"),
            Inst::ListGet { dst, index } => write!(f, "{dst} = grants[{index}]"),
            Inst::MapGet { dst, map, keys } => write!(f, "{dst} = map.get {}[{}]", name(*map), list(keys)),
            Inst::MapLen { dst, map } => write!(f, "{dst} = map.len {}", name(*map)),
            Inst::MapAgg { map, keys, value } => {
                let decl = &self.maps[map.0 as usize];
                write!(f, "map.{} {}[{}]", decl.value.name().trim_end_matches("()"), decl.name, list(keys))?;
                match value {
                    Some(v) => write!(f, " <- {v}"),
                    None => Ok(()),
                }
            }
            Inst::MapSet { map, keys, value } => {
                write!(f, "map.set {}[{}] <- {value}", name(*map), list(keys))
            }
            Inst::MapDelete { map, keys } => write!(f, "map.delete {}[{}]", name(*map), list(keys)),
            Inst::Printf { format, args } => write!(f, "printf #{} ({})", format.0, list(args)),
            Inst::Print { args } => write!(f, "print ({})", list(args)),
            Inst::PrintEvent => write!(f, "print.event"),
            Inst::PrintMap { map, limit } => match limit {
                Some(l) => write!(f, "print.map {} limit {l}", name(*map)),
                None => write!(f, "print.map {}", name(*map)),
            },
            Inst::Clear { map } => write!(f, "clear {}", name(*map)),
            Inst::Exit => write!(f, "exit"),
        }
    }

    /// Writes one function.
    pub fn fmt_func(&self, f: &mut fmt::Formatter<'_>, func: &Function) -> fmt::Result {
        writeln!(f, "fn {} ({:?}, {} int regs, {} str regs):", func.name, func.kind, func.n_int, func.n_str)?;
        for (i, b) in func.blocks.iter().enumerate() {
            writeln!(f, "  b{i}:")?;
            for inst in &b.insts {
                write!(f, "    ")?;
                self.fmt_inst(f, inst)?;
                writeln!(f)?;
            }
            match b.term {
                Terminator::Jump(t) => writeln!(f, "    jump {t}")?,
                Terminator::Branch { cond, then, other } => {
                    writeln!(f, "    branch {cond}, {then}, {other}")?;
                }
                Terminator::Return(r) => writeln!(f, "    return {r}")?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.clauses.iter().enumerate() {
            writeln!(f, "clause {i}: {}", c.title())?;
            if let Some(p) = c.predicate {
                self.fmt_func(f, self.func(p))?;
            }
            self.fmt_func(f, self.func(c.action))?;
        }
        for (i, fm) in self.formats.iter().enumerate() {
            writeln!(f, "format #{i}: {:?}", String::from_utf8_lossy(&fm.text))?;
        }
        Ok(())
    }
}
