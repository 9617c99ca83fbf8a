//! The reference interpreter: executes IR functions over a record.
//!
//! It is the definition of what a program means; the Cranelift backend is
//! checked against it. Register files are allocated once and reused.

use crate::exec::{self, Host, MapValueOut};
use crate::ir::{BinOp, FuncId, Inst, Load, LoadStr, Operand, Program, StrCmp, StrTest, Terminator, UnOp};
use landtrace_event::record::{Sealed, StrRef};
use landtrace_event::value::{Val, recycle};
use landtrace_event::{schema, time};

pub struct Interpreter {
    ints: Vec<i64>,
    strs: Vec<StrRef>,
    /// The allocation of the buffer for keys and arguments handed to the
    /// host; always empty between runs ([`recycle`]).
    scratch: Vec<Val<'static>>,
}

/// One run: the registers, and the program, record and scratch values it
/// reads, all borrowed for the run's lifetime `'r`.
struct Run<'r> {
    ints: &'r mut Vec<i64>,
    strs: &'r mut Vec<StrRef>,
    scratch: Vec<Val<'r>>,
    prog: &'r Program,
    rec: Sealed<'r>,
}

impl Interpreter {
    pub fn new(prog: &Program) -> Interpreter {
        let (ni, ns) = prog.max_regs();
        Interpreter { ints: vec![0; ni.max(1)], strs: vec![StrRef::EMPTY; ns.max(1)], scratch: Vec::new() }
    }

    /// Runs one function and returns its result (a predicate's truth).
    pub fn run(&mut self, prog: &Program, func: FuncId, rec: Sealed<'_>, host: &mut dyn Host) -> i64 {
        let mut run = Run {
            ints: &mut self.ints,
            strs: &mut self.strs,
            scratch: recycle(std::mem::take(&mut self.scratch)),
            prog,
            rec,
        };
        let result = run.func(func, host);
        self.scratch = recycle(run.scratch);
        result
    }
}

impl<'r> Run<'r> {
    fn func(&mut self, func: FuncId, host: &mut dyn Host) -> i64 {
        let f = self.prog.func(func);
        let mut block = 0usize;
        loop {
            let b = &f.blocks[block];
            for inst in &b.insts {
                self.step(inst, host);
            }
            match b.term {
                Terminator::Jump(t) => block = t.0 as usize,
                Terminator::Branch { cond, then, other } => {
                    block = if self.ints[cond.0 as usize] != 0 { then.0 } else { other.0 } as usize;
                }
                Terminator::Return(r) => return self.ints[r.0 as usize],
            }
        }
    }

    fn i(&self, r: crate::ir::IReg) -> i64 {
        self.ints[r.0 as usize]
    }

    fn s(&self, r: crate::ir::SReg) -> &'r [u8] {
        // SAFETY: string registers point into the record and the program's
        // constants, both borrowed for 'r, or into the host's per-event
        // arena, which the engine resets only after the run.
        unsafe { self.strs[r.0 as usize].as_slice() }
    }

    fn vals(&self, ops: &[Operand], out: &mut Vec<Val<'r>>) {
        for op in ops {
            out.push(match *op {
                Operand::Int(r, kind) => exec::val_from_int(self.i(r), kind, self.rec.record()),
                Operand::Str(s, trusted) => Val::Str(self.s(s), trusted),
            });
        }
    }

    fn step(&mut self, inst: &Inst, host: &mut dyn Host) {
        let (prog, rec) = (self.prog, self.rec);
        match inst {
            Inst::Const { dst, value } => self.ints[dst.0 as usize] = *value,
            Inst::StrConst { dst, id } => {
                self.strs[dst.0 as usize] = StrRef::from_slice(&prog.strings[*id as usize]);
            }
            Inst::Load { dst, what } => {
                self.ints[dst.0 as usize] = match what {
                    Load::Slot(n) => rec.record().slot(*n as usize) as i64,
                    Load::Builtin(b) => rec.record().builtin(*b) as i64,
                }
            }
            Inst::LoadStr { dst, what } => {
                self.strs[dst.0 as usize] = match what {
                    LoadStr::Field(n) => StrRef::from_slice(rec.str(*n as usize)),
                    LoadStr::Comm => StrRef::from_slice(rec.comm()),
                    LoadStr::Node => StrRef::from_slice(rec.node()),
                    LoadStr::EventName => StrRef::from_slice(schema::event_name(rec.record().kind_code())),
                    LoadStr::SourceName => {
                        StrRef::from_slice(schema::source_name(rec.record().source_code()))
                    }
                    LoadStr::Walltime => host.alloc(time::walltime_text(rec.record()).as_bytes()),
                }
            }
            Inst::Copy { dst, src } => self.ints[dst.0 as usize] = self.i(*src),
            Inst::CopyStr { dst, src } => self.strs[dst.0 as usize] = self.strs[src.0 as usize],
            Inst::Unary { dst, op, a } => {
                let a = self.i(*a);
                self.ints[dst.0 as usize] = match op {
                    UnOp::Neg => a.wrapping_neg(),
                    UnOp::Not => !a,
                    UnOp::IsZero => i64::from(a == 0),
                    UnOp::NonZero => i64::from(a != 0),
                    UnOp::Popcount => i64::from(a.count_ones()),
                };
            }
            Inst::Binary { dst, op, a, b } => {
                let (a, b) = (self.i(*a), self.i(*b));
                self.ints[dst.0 as usize] = binary(*op, a, b).unwrap_or_else(|| {
                    host.div_by_zero();
                    0
                });
            }
            Inst::StrCmp { dst, op, a, b } => {
                let (a, b) = (self.s(*a), self.s(*b));
                self.ints[dst.0 as usize] = i64::from(match op {
                    StrCmp::Eq => a == b,
                    StrCmp::Ne => a != b,
                    StrCmp::Lt => a < b,
                    StrCmp::Le => a <= b,
                    StrCmp::Gt => a > b,
                    StrCmp::Ge => a >= b,
                });
            }
            Inst::StrTest { dst, op, a, b } => {
                let (a, b) = (self.s(*a), self.s(*b));
                self.ints[dst.0 as usize] = i64::from(match op {
                    StrTest::StartsWith => a.starts_with(b),
                    StrTest::EndsWith => a.ends_with(b),
                    StrTest::Contains => exec::contains(a, b),
                });
            }
            Inst::Match { dst, pattern, s } => {
                self.ints[dst.0 as usize] = i64::from(prog.patterns[pattern.0 as usize].is_match(self.s(*s)));
            }
            Inst::InRanges { dst, a, set, unsigned } => {
                let v = self.i(*a);
                self.ints[dst.0 as usize] =
                    i64::from(exec::in_ranges(v, &prog.int_sets[*set as usize], *unsigned));
            }
            Inst::InStrs { dst, s, set } => {
                let v = self.s(*s);
                self.ints[dst.0 as usize] =
                    i64::from(prog.str_sets[*set as usize].binary_search_by(|x| x.as_slice().cmp(v)).is_ok());
            }
            Inst::StrLen { dst, s } => self.ints[dst.0 as usize] = self.s(*s).len() as i64,
            Inst::Basename { dst, s } => {
                self.strs[dst.0 as usize] = StrRef::from_slice(exec::basename(self.s(*s)));
            }
            Inst::Dirname { dst, s } => {
                self.strs[dst.0 as usize] = StrRef::from_slice(exec::dirname(self.s(*s)));
            }
            Inst::Hex { dst, a } => {
                let text = format!("{:x}", self.i(*a) as u64);
                self.strs[dst.0 as usize] = host.alloc(text.as_bytes());
            }
            Inst::Rights { dst, a, kind } => {
                let text = match exec::val_from_int(self.i(*a), *kind, rec.record()) {
                    Val::Mask(f, bits) => landtrace_event::schema::mask_to_string(f, bits),
                    other => other.as_i64().to_string(),
                };
                self.strs[dst.0 as usize] = host.alloc(text.as_bytes());
            }
            Inst::ListLen { dst } => self.ints[dst.0 as usize] = rec.grants().len() as i64,
            Inst::ListGet { dst, index } => {
                let i = self.i(*index);
                self.ints[dst.0 as usize] = list_get(rec, i);
            }
            Inst::MapGet { dst, map, keys } => {
                let mut k = std::mem::take(&mut self.scratch);
                k.clear();
                self.vals(keys, &mut k);
                let v = host.map_get(*map, &k);
                self.scratch = k;
                match (dst, v) {
                    (Operand::Int(r, _), MapValueOut::Int(v)) => self.ints[r.0 as usize] = v,
                    (Operand::Str(s, _), MapValueOut::Str(v)) => self.strs[s.0 as usize] = v,
                    (Operand::Int(r, _), MapValueOut::Str(_)) => self.ints[r.0 as usize] = 0,
                    (Operand::Str(s, _), MapValueOut::Int(_)) => self.strs[s.0 as usize] = StrRef::EMPTY,
                }
            }
            Inst::MapLen { dst, map } => self.ints[dst.0 as usize] = host.map_len(*map),
            Inst::MapAgg { map, keys, value } => {
                let mut k = std::mem::take(&mut self.scratch);
                k.clear();
                self.vals(keys, &mut k);
                let v = value.map_or(0, |r| self.i(r));
                host.map_agg(*map, &k, v);
                self.scratch = k;
            }
            Inst::MapSet { map, keys, value } => {
                let mut k = std::mem::take(&mut self.scratch);
                k.clear();
                self.vals(std::slice::from_ref(value), &mut k);
                let v = k.pop().expect("value");
                self.vals(keys, &mut k);
                host.map_set(*map, &k, v);
                self.scratch = k;
            }
            Inst::MapDelete { map, keys } => {
                let mut k = std::mem::take(&mut self.scratch);
                k.clear();
                self.vals(keys, &mut k);
                host.map_delete(*map, &k);
                self.scratch = k;
            }
            Inst::Printf { format, args } => {
                let mut a = std::mem::take(&mut self.scratch);
                a.clear();
                self.vals(args, &mut a);
                host.printf(*format, &a, rec);
                self.scratch = a;
            }
            Inst::Print { args } => {
                let mut a = std::mem::take(&mut self.scratch);
                a.clear();
                self.vals(args, &mut a);
                host.print(&a);
                self.scratch = a;
            }
            Inst::PrintEvent => host.print_event(rec),
            Inst::PrintMap { map, limit } => {
                let l = limit.map(|r| self.i(r));
                host.print_map(*map, l);
            }
            Inst::Clear { map } => host.clear(*map),
            Inst::Exit => host.exit(),
        }
    }
}

impl exec::Backend for Interpreter {
    fn run(&mut self, prog: &Program, func: FuncId, rec: Sealed<'_>, host: &mut dyn Host) -> i64 {
        Interpreter::run(self, prog, func, rec, host)
    }

    fn name(&self) -> &'static str {
        "interpreter"
    }
}

/// `grants[i]`, 0 out of range.
pub fn list_get(rec: Sealed<'_>, i: i64) -> i64 {
    usize::try_from(i).ok().and_then(|i| rec.grants().get(i)).map_or(0, |g| *g as i64)
}

/// An integer operation; `None` for division or remainder by zero.
pub fn binary(op: BinOp, a: i64, b: i64) -> Option<i64> {
    Some(match op {
        BinOp::Add => a.wrapping_add(b),
        BinOp::Sub => a.wrapping_sub(b),
        BinOp::Mul => a.wrapping_mul(b),
        BinOp::Div => return exec::div(a, b),
        BinOp::Rem => return exec::rem(a, b),
        BinOp::And => a & b,
        BinOp::Or => a | b,
        BinOp::Xor => a ^ b,
        BinOp::Shl => a.wrapping_shl(b as u32),
        BinOp::Sar => a.wrapping_shr(b as u32),
        BinOp::Shr => (a as u64).wrapping_shr(b as u32) as i64,
        BinOp::Eq => i64::from(a == b),
        BinOp::Ne => i64::from(a != b),
        BinOp::Slt => i64::from(a < b),
        BinOp::Sle => i64::from(a <= b),
        BinOp::Ult => i64::from((a as u64) < (b as u64)),
        BinOp::Ule => i64::from((a as u64) <= (b as u64)),
    })
}
