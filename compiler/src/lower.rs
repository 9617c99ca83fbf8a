//! Lowering: from the typed program to the IR.
//!
//! Conditions lower to branches (so `and`/`or` short-circuit and a
//! predicate is a chain of tests and jumps); values lower to registers.
//! Scratch variables get registers of their own, zeroed on entry.

use crate::ir::{
    self, BinOp, Block, BlockId, FuncId, FuncKind, Function, IReg, Inst, Load, LoadStr, Operand, SReg,
    StrTest, Terminator, UnOp, ValKind,
};
use crate::typed::{self, Arith, Body, Cmp, CmpClass, Expr, ExprKind, Func, MaskFam, Stmt, Type};
use landtrace_event::schema::{BuiltinLoc, Loc};
use std::collections::HashMap;

/// Lowers a checked program.
pub fn lower(p: &typed::Program) -> ir::Program {
    let mut out = ir::Program {
        patterns: p.patterns.clone(),
        formats: p.formats.clone(),
        maps: p.maps.clone(),
        ..ir::Program::default()
    };
    let mut interned: HashMap<Vec<u8>, u32> = HashMap::new();
    for (i, clause) in p.clauses.iter().enumerate() {
        let predicate = clause.predicate.as_ref().map(|pred| {
            let mut b = FnBuilder::new(&mut out, &mut interned, &[]);
            let (t, f) = (b.new_block(), b.new_block());
            b.cond(pred, t, f);
            b.switch_to(t);
            let one = b.konst(1);
            b.terminate(Terminator::Return(one));
            b.switch_to(f);
            let zero = b.konst(0);
            b.terminate(Terminator::Return(zero));
            b.finish(format!("clause{i}_pred"), FuncKind::Predicate)
        });
        let mut b = FnBuilder::new(&mut out, &mut interned, &clause.vars);
        match &clause.body {
            Body::PrintEvent => b.emit(Inst::PrintEvent),
            Body::Block(stmts) => b.stmts(stmts),
        }
        let zero = b.konst(0);
        b.terminate(Terminator::Return(zero));
        let action = b.finish(format!("clause{i}_action"), FuncKind::Action);
        out.clauses.push(ir::Clause { kind: clause.kind.clone(), predicate, action, span: clause.span });
    }
    out
}

/// The value of a typed expression in registers.
#[derive(Clone, Copy)]
enum Val {
    I(IReg),
    S(SReg),
}

struct FnBuilder<'p> {
    prog: &'p mut ir::Program,
    interned: &'p mut HashMap<Vec<u8>, u32>,
    blocks: Vec<(Vec<Inst>, Option<Terminator>)>,
    cur: usize,
    n_int: u32,
    n_str: u32,
    vars: Vec<Val>,
}

pub(crate) fn val_kind(ty: Type) -> ValKind {
    match ty {
        Type::Int => ValKind::Int,
        Type::Bool => ValKind::Bool,
        Type::Id => ValKind::Id,
        Type::Mask(MaskFam::Known(f)) | Type::List(MaskFam::Known(f)) => ValKind::Mask(f),
        Type::Mask(MaskFam::PerEvent(fid)) | Type::List(MaskFam::PerEvent(fid)) => ValKind::MaskOf(fid),
        Type::Str => unreachable!("strings have no ValKind"),
    }
}

/// Whether a string expression can only hold text the program's author
/// wrote or landtrace formatted (so it is printed unescaped).
fn trusted(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Str(_) => true,
        ExprKind::Builtin(b) => {
            matches!(b.def().loc, BuiltinLoc::EventName | BuiltinLoc::SourceName | BuiltinLoc::WallText(_))
        }
        ExprKind::Call(Func::Hex | Func::Rights, _) => true,
        ExprKind::Call(Func::Basename | Func::Dirname, args) => trusted(&args[0]),
        _ => false,
    }
}

impl<'p> FnBuilder<'p> {
    fn new(
        prog: &'p mut ir::Program,
        interned: &'p mut HashMap<Vec<u8>, u32>,
        vars: &[(String, Type)],
    ) -> FnBuilder<'p> {
        let mut b = FnBuilder {
            prog,
            interned,
            blocks: vec![(Vec::new(), None)],
            cur: 0,
            n_int: 0,
            n_str: 0,
            vars: Vec::new(),
        };
        for (_, ty) in vars {
            let v = if *ty == Type::Str {
                let s = b.sreg();
                let empty = b.intern(b"");
                b.emit(Inst::StrConst { dst: s, id: empty });
                Val::S(s)
            } else {
                let r = b.ireg();
                b.emit(Inst::Const { dst: r, value: 0 });
                Val::I(r)
            };
            b.vars.push(v);
        }
        b
    }

    fn finish(self, name: String, kind: FuncKind) -> FuncId {
        let blocks = self
            .blocks
            .into_iter()
            .map(|(insts, term)| Block { insts, term: term.expect("every block is terminated") })
            .collect();
        self.prog.funcs.push(Function { name, kind, blocks, n_int: self.n_int, n_str: self.n_str });
        FuncId(self.prog.funcs.len() as u32 - 1)
    }

    fn ireg(&mut self) -> IReg {
        self.n_int += 1;
        IReg(self.n_int - 1)
    }

    fn sreg(&mut self) -> SReg {
        self.n_str += 1;
        SReg(self.n_str - 1)
    }

    fn new_block(&mut self) -> BlockId {
        self.blocks.push((Vec::new(), None));
        BlockId(self.blocks.len() as u32 - 1)
    }

    fn switch_to(&mut self, b: BlockId) {
        self.cur = b.0 as usize;
    }

    fn emit(&mut self, inst: Inst) {
        debug_assert!(self.blocks[self.cur].1.is_none(), "emit into a terminated block");
        self.blocks[self.cur].0.push(inst);
    }

    fn terminate(&mut self, t: Terminator) {
        debug_assert!(self.blocks[self.cur].1.is_none(), "block terminated twice");
        self.blocks[self.cur].1 = Some(t);
    }

    fn intern(&mut self, s: &[u8]) -> u32 {
        if let Some(id) = self.interned.get(s) {
            return *id;
        }
        self.prog.strings.push(s.to_vec());
        let id = self.prog.strings.len() as u32 - 1;
        self.interned.insert(s.to_vec(), id);
        id
    }

    fn konst(&mut self, value: i64) -> IReg {
        let dst = self.ireg();
        self.emit(Inst::Const { dst, value });
        dst
    }

    fn unary(&mut self, op: UnOp, a: IReg) -> IReg {
        let dst = self.ireg();
        self.emit(Inst::Unary { dst, op, a });
        dst
    }

    fn binary(&mut self, op: BinOp, a: IReg, b: IReg) -> IReg {
        let dst = self.ireg();
        self.emit(Inst::Binary { dst, op, a, b });
        dst
    }

    /// Branches to `t` if `e` is true, else to `f`.
    fn cond(&mut self, e: &Expr, t: BlockId, f: BlockId) {
        match &e.kind {
            ExprKind::And(a, b) => {
                let mid = self.new_block();
                self.cond(a, mid, f);
                self.switch_to(mid);
                self.cond(b, t, f);
            }
            ExprKind::Or(a, b) => {
                let mid = self.new_block();
                self.cond(a, t, mid);
                self.switch_to(mid);
                self.cond(b, t, f);
            }
            ExprKind::Not(a) => self.cond(a, f, t),
            ExprKind::Bool(v) => self.terminate(Terminator::Jump(if *v { t } else { f })),
            ExprKind::Int(v) => self.terminate(Terminator::Jump(if *v != 0 { t } else { f })),
            _ => {
                let r = self.int(e);
                self.terminate(Terminator::Branch { cond: r, then: t, other: f });
            }
        }
    }

    fn int(&mut self, e: &Expr) -> IReg {
        match self.value(e) {
            Val::I(r) => r,
            Val::S(_) => unreachable!("checker typed {:?} as int", e.kind),
        }
    }

    fn string(&mut self, e: &Expr) -> SReg {
        match self.value(e) {
            Val::S(s) => s,
            Val::I(_) => unreachable!("checker typed {:?} as str", e.kind),
        }
    }

    fn operand(&mut self, e: &Expr) -> Operand {
        match self.value(e) {
            Val::I(r) => Operand::Int(r, val_kind(e.ty)),
            Val::S(s) => Operand::Str(s, trusted(e)),
        }
    }

    fn operands(&mut self, es: &[Expr]) -> Vec<Operand> {
        es.iter().map(|e| self.operand(e)).collect()
    }

    fn value(&mut self, e: &Expr) -> Val {
        match &e.kind {
            ExprKind::Int(v) => Val::I(self.konst(*v)),
            ExprKind::Bool(b) => Val::I(self.konst(i64::from(*b))),
            ExprKind::Str(s) => {
                let id = self.intern(s);
                let dst = self.sreg();
                self.emit(Inst::StrConst { dst, id });
                Val::S(dst)
            }
            ExprKind::Field(fid) => match fid.def().loc {
                Loc::Slot(n) => {
                    let dst = self.ireg();
                    self.emit(Inst::Load { dst, what: Load::Slot(n) });
                    Val::I(dst)
                }
                Loc::Str(n) => {
                    let dst = self.sreg();
                    self.emit(Inst::LoadStr { dst, what: LoadStr::Field(n) });
                    Val::S(dst)
                }
                Loc::List => unreachable!("lists are only indexed or measured"),
            },
            ExprKind::Builtin(b) => {
                let what = match b.def().loc {
                    BuiltinLoc::Int(_) => {
                        let dst = self.ireg();
                        self.emit(Inst::Load { dst, what: Load::Builtin(*b) });
                        return Val::I(dst);
                    }
                    BuiltinLoc::Comm => LoadStr::Comm,
                    BuiltinLoc::Node => LoadStr::Node,
                    BuiltinLoc::EventName => LoadStr::EventName,
                    BuiltinLoc::SourceName => LoadStr::SourceName,
                    BuiltinLoc::WallText(_) => LoadStr::Walltime,
                };
                let dst = self.sreg();
                self.emit(Inst::LoadStr { dst, what });
                Val::S(dst)
            }
            ExprKind::Var(v) => self.vars[v.0 as usize],
            ExprKind::MapRead { map, keys } => {
                let keys = self.operands(keys);
                let dst = if e.ty == Type::Str {
                    Operand::Str(self.sreg(), false)
                } else {
                    Operand::Int(self.ireg(), val_kind(e.ty))
                };
                self.emit(Inst::MapGet { dst, map: *map, keys });
                match dst {
                    Operand::Int(r, _) => Val::I(r),
                    Operand::Str(s, _) => Val::S(s),
                }
            }
            ExprKind::MapLen(map) => {
                let dst = self.ireg();
                self.emit(Inst::MapLen { dst, map: *map });
                Val::I(dst)
            }
            ExprKind::Not(a) => {
                let r = self.int(a);
                Val::I(self.unary(UnOp::IsZero, r))
            }
            ExprKind::Neg(a) => {
                let r = self.int(a);
                Val::I(self.unary(UnOp::Neg, r))
            }
            ExprKind::BitNot(a) => {
                let r = self.int(a);
                Val::I(self.unary(UnOp::Not, r))
            }
            ExprKind::And(..) | ExprKind::Or(..) => {
                let dst = self.ireg();
                let (t, f, join) = (self.new_block(), self.new_block(), self.new_block());
                self.cond(e, t, f);
                for (b, v) in [(t, 1), (f, 0)] {
                    self.switch_to(b);
                    self.emit(Inst::Const { dst, value: v });
                    self.terminate(Terminator::Jump(join));
                }
                self.switch_to(join);
                Val::I(dst)
            }
            ExprKind::Arith(op, a, b) => {
                let (x, y) = (self.int(a), self.int(b));
                let op = match op {
                    Arith::Add => BinOp::Add,
                    Arith::Sub => BinOp::Sub,
                    Arith::Mul => BinOp::Mul,
                    Arith::Div => BinOp::Div,
                    Arith::Rem => BinOp::Rem,
                    Arith::And => BinOp::And,
                    Arith::Or => BinOp::Or,
                    Arith::Xor => BinOp::Xor,
                    Arith::Shl => BinOp::Shl,
                    Arith::Sar => BinOp::Sar,
                    Arith::Shr => BinOp::Shr,
                };
                Val::I(self.binary(op, x, y))
            }
            ExprKind::Cmp(cmp, class, a, b) => Val::I(self.compare(*cmp, *class, a, b)),
            ExprKind::Match { subject, pattern, negated } => {
                let s = self.string(subject);
                let dst = self.ireg();
                self.emit(Inst::Match { dst, pattern: *pattern, s });
                Val::I(self.maybe_negate(dst, *negated))
            }
            ExprKind::InInt { subject, ranges, negated } => {
                let a = self.int(subject);
                self.prog.int_sets.push(ranges.clone());
                let set = self.prog.int_sets.len() as u32 - 1;
                let dst = self.ireg();
                let unsigned = subject.ty != Type::Int;
                self.emit(Inst::InRanges { dst, a, set, unsigned });
                Val::I(self.maybe_negate(dst, *negated))
            }
            ExprKind::InStr { subject, set, negated } => {
                let s = self.string(subject);
                self.prog.str_sets.push(set.clone());
                let set = self.prog.str_sets.len() as u32 - 1;
                let dst = self.ireg();
                self.emit(Inst::InStrs { dst, s, set });
                Val::I(self.maybe_negate(dst, *negated))
            }
            ExprKind::Call(func, args) => self.call(*func, args),
            ExprKind::Index(_, index) => {
                let index = self.int(index);
                let dst = self.ireg();
                self.emit(Inst::ListGet { dst, index });
                Val::I(dst)
            }
        }
    }

    fn maybe_negate(&mut self, r: IReg, negated: bool) -> IReg {
        if negated { self.unary(UnOp::IsZero, r) } else { r }
    }

    fn compare(&mut self, cmp: Cmp, class: CmpClass, a: &Expr, b: &Expr) -> IReg {
        if class == CmpClass::Str {
            let (x, y) = (self.string(a), self.string(b));
            let dst = self.ireg();
            self.emit(Inst::StrCmp { dst, op: cmp, a: x, b: y });
            return dst;
        }
        let (x, y) = (self.int(a), self.int(b));
        let signed = class == CmpClass::Signed;
        let (lt, le) = if signed { (BinOp::Slt, BinOp::Sle) } else { (BinOp::Ult, BinOp::Ule) };
        match cmp {
            Cmp::Eq => self.binary(BinOp::Eq, x, y),
            Cmp::Ne => self.binary(BinOp::Ne, x, y),
            Cmp::Lt => self.binary(lt, x, y),
            Cmp::Le => self.binary(le, x, y),
            Cmp::Gt => self.binary(lt, y, x),
            Cmp::Ge => self.binary(le, y, x),
        }
    }

    fn call(&mut self, func: Func, args: &[Expr]) -> Val {
        match func {
            Func::Has | Func::Any => {
                let (m, r) = (self.int(&args[0]), self.int(&args[1]));
                let both = self.binary(BinOp::And, m, r);
                Val::I(if func == Func::Has {
                    self.binary(BinOp::Eq, both, r)
                } else {
                    self.unary(UnOp::NonZero, both)
                })
            }
            Func::StartsWith | Func::EndsWith | Func::Contains => {
                let (a, b) = (self.string(&args[0]), self.string(&args[1]));
                let op = match func {
                    Func::StartsWith => StrTest::StartsWith,
                    Func::EndsWith => StrTest::EndsWith,
                    _ => StrTest::Contains,
                };
                let dst = self.ireg();
                self.emit(Inst::StrTest { dst, op, a, b });
                Val::I(dst)
            }
            Func::StrLen => {
                let s = self.string(&args[0]);
                let dst = self.ireg();
                self.emit(Inst::StrLen { dst, s });
                Val::I(dst)
            }
            Func::ListLen => {
                let dst = self.ireg();
                self.emit(Inst::ListLen { dst });
                Val::I(dst)
            }
            Func::Basename | Func::Dirname => {
                let s = self.string(&args[0]);
                let dst = self.sreg();
                self.emit(if func == Func::Basename {
                    Inst::Basename { dst, s }
                } else {
                    Inst::Dirname { dst, s }
                });
                Val::S(dst)
            }
            Func::Hex => {
                let a = self.int(&args[0]);
                let dst = self.sreg();
                self.emit(Inst::Hex { dst, a });
                Val::S(dst)
            }
            Func::Rights => {
                let a = self.int(&args[0]);
                let dst = self.sreg();
                self.emit(Inst::Rights { dst, a, kind: val_kind(args[0].ty) });
                Val::S(dst)
            }
            Func::Popcount => {
                let a = self.int(&args[0]);
                Val::I(self.unary(UnOp::Popcount, a))
            }
        }
    }

    fn stmts(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            self.stmt(s);
        }
    }

    fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::PrintEvent => self.emit(Inst::PrintEvent),
            Stmt::Print(values) => {
                let args = self.operands(values);
                self.emit(Inst::Print { args });
            }
            Stmt::PrintMap { map, limit } => {
                let limit = limit.as_ref().map(|l| self.int(l));
                self.emit(Inst::PrintMap { map: *map, limit });
            }
            Stmt::Printf { format, args } => {
                let args = self.operands(args);
                self.emit(Inst::Printf { format: *format, args });
            }
            Stmt::Clear(map) => self.emit(Inst::Clear { map: *map }),
            Stmt::Delete { map, keys } => {
                let keys = self.operands(keys);
                self.emit(Inst::MapDelete { map: *map, keys });
            }
            Stmt::Exit => {
                // exit() ends the clause: what follows it is never run.
                self.emit(Inst::Exit);
                let zero = self.konst(0);
                self.terminate(Terminator::Return(zero));
                let dead = self.new_block();
                self.switch_to(dead);
            }
            Stmt::MapAgg { map, keys, value } => {
                let keys = self.operands(keys);
                let value = value.as_ref().map(|v| self.int(v));
                self.emit(Inst::MapAgg { map: *map, keys, value });
            }
            Stmt::MapSet { map, keys, value } => {
                let keys = self.operands(keys);
                let value = self.operand(value);
                self.emit(Inst::MapSet { map: *map, keys, value });
            }
            Stmt::VarSet { var, value } => {
                let v = self.value(value);
                match (self.vars[var.0 as usize], v) {
                    (Val::I(dst), Val::I(src)) => self.emit(Inst::Copy { dst, src }),
                    (Val::S(dst), Val::S(src)) => self.emit(Inst::CopyStr { dst, src }),
                    _ => unreachable!("checker keeps variable types"),
                }
            }
            Stmt::If { cond, then, otherwise } => {
                let (t, f, join) = (self.new_block(), self.new_block(), self.new_block());
                self.cond(cond, t, f);
                self.switch_to(t);
                self.stmts(then);
                self.terminate(Terminator::Jump(join));
                self.switch_to(f);
                self.stmts(otherwise);
                self.terminate(Terminator::Jump(join));
                self.switch_to(join);
            }
        }
    }
}
