//! From one IR function to Cranelift IR.
//!
//! Registers become Cranelift variables (a string register two: pointer
//! and length), blocks become blocks. Field reads are loads at constant
//! offsets of the record; integer arithmetic, comparisons and `in` over
//! integers are inline; string work calls the helpers of [`super::helpers`],
//! except comparisons with short constants, inline too ([`strings`]).
//! Compiled functions have the signature
//! `extern "C" fn(rec: *const Record, ctx: *mut Ctx) -> i64`.

mod strings;

use strings::{constant_strings, read_as_strings};

use super::helpers::{CTX_CONSTS, CTX_RET_LEN, HostCall, OpKind, Shared};
use crate::ir::{self, BinOp, Inst, Load, LoadStr, Operand, StrCmp, StrTest, Terminator, UnOp};
use crate::pattern::Affix;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    AbiParam, Block, FuncRef, InstBuilder, MemFlagsData, Signature, StackSlotData, StackSlotKind, Value,
    types,
};
use cranelift_frontend::{FunctionBuilder, Variable};
use cranelift_module::{FuncId as ModuleFuncId, Module};
use landtrace_event::record::offsets;

const I64: types::Type = types::I64;
/// Literals up to this many bytes are compared inline.
const INLINE_MAX: usize = 32;
const I8: types::Type = types::I8;

/// The helpers, declared in the module once.
pub struct HelperIds {
    pub mem_eq: ModuleFuncId,
    pub str_cmp: ModuleFuncId,
    pub contains: ModuleFuncId,
    pub matches: ModuleFuncId,
    pub in_strs: ModuleFuncId,
    pub basename: ModuleFuncId,
    pub dirname: ModuleFuncId,
    pub div_zero: ModuleFuncId,
    pub host: ModuleFuncId,
}

fn sig(module: &dyn Module, params: &[types::Type], ret: Option<types::Type>) -> Signature {
    let mut s = module.make_signature();
    s.params.extend(params.iter().map(|&t| AbiParam::new(t)));
    s.returns.extend(ret.map(AbiParam::new));
    s
}

impl HelperIds {
    pub fn declare(module: &mut dyn Module) -> Result<HelperIds, super::JitError> {
        use cranelift_module::Linkage::Import;
        let mut d = |name: &'static str, params: &[types::Type], ret: Option<types::Type>| {
            let s = sig(module, params, ret);
            module
                .declare_function(name, Import, &s)
                .map_err(|e| super::JitError::Declare { name, source: Box::new(e) })
        };
        Ok(HelperIds {
            mem_eq: d("lt_mem_eq", &[I64, I64, I64], Some(I8))?,
            str_cmp: d("lt_str_cmp", &[I64, I64, I64, I64], Some(I64))?,
            contains: d("lt_contains", &[I64, I64, I64, I64], Some(I8))?,
            matches: d("lt_match", &[I64, I64, I64, I64], Some(I8))?,
            in_strs: d("lt_in_strs", &[I64, I64, I64, I64], Some(I8))?,
            basename: d("lt_basename", &[I64, I64, I64], Some(I64))?,
            dirname: d("lt_dirname", &[I64, I64, I64], Some(I64))?,
            div_zero: d("lt_div_zero", &[I64], None)?,
            host: d("lt_host", &[I64, I64, I64, I64], Some(I64))?,
        })
    }
}

impl HelperIds {
    /// Each helper's index in the module and its name, for listings.
    pub fn names(&self) -> [(u32, &'static str); 9] {
        [
            (self.mem_eq.as_u32(), "lt_mem_eq"),
            (self.str_cmp.as_u32(), "lt_str_cmp"),
            (self.contains.as_u32(), "lt_contains"),
            (self.matches.as_u32(), "lt_match"),
            (self.in_strs.as_u32(), "lt_in_strs"),
            (self.basename.as_u32(), "lt_basename"),
            (self.dirname.as_u32(), "lt_dirname"),
            (self.div_zero.as_u32(), "lt_div_zero"),
            (self.host.as_u32(), "lt_host"),
        ]
    }
}

/// The signature of every compiled function.
pub fn function_signature(module: &dyn Module) -> Signature {
    sig(module, &[I64, I64], Some(I64))
}

/// Helper references inside the function being built, imported on first use
/// (so a dump shows only the helpers a function calls).
struct Imports<'m> {
    module: &'m mut dyn Module,
    ids: &'m HelperIds,
    refs: Vec<(ModuleFuncId, FuncRef)>,
}

impl Imports<'_> {
    fn get(&mut self, b: &mut FunctionBuilder, id: ModuleFuncId) -> FuncRef {
        if let Some(&(_, r)) = self.refs.iter().find(|(i, _)| *i == id) {
            return r;
        }
        let r = self.module.declare_func_in_func(id, b.func);
        self.refs.push((id, r));
        r
    }
}

struct Gen<'a, 'b, 'm> {
    b: &'a mut FunctionBuilder<'b>,
    imports: Imports<'m>,
    prog: &'a ir::Program,
    shared: &'a mut Shared,
    ints: Vec<Variable>,
    strs: Vec<(Variable, Variable)>,
    blocks: Vec<Block>,
    rec: Value,
    ctx: Value,
    /// String registers that only ever hold one constant.
    consts: Vec<Option<u32>>,
    /// String registers whose value is read as a string (not only compared
    /// with inline).
    read: Vec<bool>,
}

/// Builds `func` into `b`.
pub fn build(
    b: &mut FunctionBuilder,
    module: &mut dyn Module,
    ids: &HelperIds,
    prog: &ir::Program,
    func: &ir::Function,
    shared: &mut Shared,
) {
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let (rec, ctx) = (b.block_params(entry)[0], b.block_params(entry)[1]);
    let ints: Vec<Variable> = (0..func.n_int).map(|_| b.declare_var(I64)).collect();
    let strs: Vec<(Variable, Variable)> =
        (0..func.n_str).map(|_| (b.declare_var(I64), b.declare_var(I64))).collect();
    // Every register starts at zero (an empty string), as in the interpreter.
    let zero = b.ins().iconst(I64, 0);
    for &v in &ints {
        b.def_var(v, zero);
    }
    for &(p, n) in &strs {
        b.def_var(p, zero);
        b.def_var(n, zero);
    }
    let blocks: Vec<Block> = func.blocks.iter().map(|_| b.create_block()).collect();
    b.ins().jump(blocks[0], &[]);
    let consts = constant_strings(func);
    let read = read_as_strings(func, prog, &consts);
    let mut g = Gen {
        b,
        imports: Imports { module, ids, refs: Vec::new() },
        prog,
        shared,
        ints,
        strs,
        blocks: blocks.clone(),
        rec,
        ctx,
        consts,
        read,
    };
    for (i, block) in func.blocks.iter().enumerate() {
        g.b.switch_to_block(blocks[i]);
        for inst in &block.insts {
            g.inst(inst);
        }
        g.term(block.term);
    }
    g.b.seal_all_blocks();
}

impl Gen<'_, '_, '_> {
    fn i(&mut self, r: ir::IReg) -> Value {
        self.b.use_var(self.ints[r.0 as usize])
    }

    fn set_i(&mut self, r: ir::IReg, v: Value) {
        self.b.def_var(self.ints[r.0 as usize], v);
    }

    fn s(&mut self, r: ir::SReg) -> (Value, Value) {
        let (p, n) = self.strs[r.0 as usize];
        (self.b.use_var(p), self.b.use_var(n))
    }

    fn set_s(&mut self, r: ir::SReg, (p, n): (Value, Value)) {
        let (vp, vn) = self.strs[r.0 as usize];
        self.b.def_var(vp, p);
        self.b.def_var(vn, n);
    }

    /// A load from the record, which is always valid and aligned.
    fn rec_load(&mut self, ty: types::Type, offset: usize) -> Value {
        self.b.ins().load(ty, MemFlagsData::trusted().with_readonly(), self.rec, offset as i32)
    }

    fn rec_str(&mut self, offset: usize) -> (Value, Value) {
        let p = self.rec_load(I64, offset + offsets::STR_PTR);
        let n = self.rec_load(I64, offset + offsets::STR_LEN);
        (p, n)
    }

    fn call(&mut self, id: ModuleFuncId, args: &[Value]) -> Option<Value> {
        let f = self.imports.get(self.b, id);
        let call = self.b.ins().call(f, args);
        self.b.inst_results(call).first().copied()
    }

    /// A helper's truth value (an `i8`) as 0 or 1 in 64 bits.
    fn call_bool(&mut self, id: ModuleFuncId, args: &[Value]) -> Value {
        let r = self.call(id, args).expect("result");
        let r = self.b.ins().uextend(I64, r);
        self.b.ins().band_imm_u(r, 1)
    }

    /// The string a helper returned: its pointer, and its length from the
    /// context.
    fn returned_str(&mut self, ptr: Value) -> (Value, Value) {
        let n = self.b.ins().load(I64, MemFlagsData::trusted(), self.ctx, CTX_RET_LEN);
        (ptr, n)
    }

    fn bool_of(&mut self, cc: IntCC, a: Value, b: Value) -> Value {
        let c = self.b.ins().icmp(cc, a, b);
        self.b.ins().uextend(I64, c)
    }

    /// Stores a host call's operands in a stack array and calls `lt_host`.
    fn host(&mut self, call: HostCall, ops: &[Operand], arg: Option<Value>) -> Value {
        let index = self.shared.calls.len() as i64;
        self.shared.calls.push(call);
        let vals = if ops.is_empty() {
            self.b.ins().iconst(I64, 0)
        } else {
            let slot = self.b.create_sized_stack_slot(StackSlotData::new(
                StackSlotKind::ExplicitSlot,
                16 * ops.len() as u32,
                3,
            ));
            for (i, op) in ops.iter().enumerate() {
                let at = 16 * i as i32;
                match *op {
                    Operand::Int(r, _) => {
                        let v = self.i(r);
                        self.b.ins().stack_store(I64, v, slot, at);
                    }
                    Operand::Str(s, _) => {
                        let (p, n) = self.s(s);
                        self.b.ins().stack_store(I64, p, slot, at);
                        self.b.ins().stack_store(I64, n, slot, at + 8);
                    }
                }
            }
            self.b.ins().stack_addr(I64, slot, 0)
        };
        let index = self.b.ins().iconst(I64, index);
        let arg = arg.unwrap_or_else(|| self.b.ins().iconst(I64, 0));
        let ctx = self.ctx;
        self.call(self.imports.ids.host, &[ctx, index, vals, arg]).expect("result")
    }

    fn inst(&mut self, inst: &Inst) {
        match inst {
            Inst::Const { dst, value } => {
                let v = self.b.ins().iconst(I64, *value);
                self.set_i(*dst, v);
            }
            // Only compared with inline: nothing to load.
            Inst::StrConst { dst, .. } if !self.read[dst.0 as usize] => {}
            Inst::StrConst { dst, id } => {
                // From the constants table, so the code (and its dump) holds
                // no addresses.
                let table =
                    self.b.ins().load(I64, MemFlagsData::trusted().with_readonly(), self.ctx, CTX_CONSTS);
                let flags = MemFlagsData::trusted().with_readonly();
                let p = self.b.ins().load(I64, flags, table, 16 * *id as i32);
                let n = self.b.ins().load(I64, flags, table, 16 * *id as i32 + 8);
                self.set_s(*dst, (p, n));
            }
            Inst::Load { dst, what } => {
                let offset = match what {
                    Load::Slot(n) => offsets::SLOTS + 8 * *n as usize,
                    Load::Builtin(b) => offsets::HEADER + 8 * b.header_slot().expect("an integer builtin"),
                };
                let v = self.rec_load(I64, offset);
                self.set_i(*dst, v);
            }
            Inst::LoadStr { dst, what } => {
                let v = match what {
                    LoadStr::Field(n) => self.rec_str(offsets::STRS + offsets::STR_SIZE * *n as usize),
                    LoadStr::Comm => self.rec_str(offsets::COMM),
                    LoadStr::Node => self.rec_str(offsets::NODE),
                    LoadStr::EventName => {
                        let p = self.host(HostCall::EventName, &[], None);
                        self.returned_str(p)
                    }
                    LoadStr::SourceName => {
                        let p = self.host(HostCall::SourceName, &[], None);
                        self.returned_str(p)
                    }
                    LoadStr::Walltime => {
                        let p = self.host(HostCall::Walltime, &[], None);
                        self.returned_str(p)
                    }
                };
                self.set_s(*dst, v);
            }
            Inst::Copy { dst, src } => {
                let v = self.i(*src);
                self.set_i(*dst, v);
            }
            Inst::CopyStr { dst, src } => {
                let v = self.s(*src);
                self.set_s(*dst, v);
            }
            Inst::Unary { dst, op, a } => {
                let a = self.i(*a);
                let v = match op {
                    UnOp::Neg => self.b.ins().ineg(a),
                    UnOp::Not => self.b.ins().bnot(a),
                    UnOp::IsZero => {
                        let c = self.b.ins().icmp_imm_s(IntCC::Equal, a, 0);
                        self.b.ins().uextend(I64, c)
                    }
                    UnOp::NonZero => {
                        let c = self.b.ins().icmp_imm_s(IntCC::NotEqual, a, 0);
                        self.b.ins().uextend(I64, c)
                    }
                    UnOp::Popcount => self.b.ins().popcnt(a),
                };
                self.set_i(*dst, v);
            }
            Inst::Binary { dst, op, a, b } => {
                let (a, b) = (self.i(*a), self.i(*b));
                let v = self.binary(*op, a, b);
                self.set_i(*dst, v);
            }
            Inst::StrCmp { dst, op: op @ (StrCmp::Eq | StrCmp::Ne), a, b }
                if self.short_constant(*a).or_else(|| self.short_constant(*b)).is_some() =>
            {
                let (s, lit) = match self.short_constant(*b) {
                    Some(lit) => (*a, lit),
                    None => (*b, self.short_constant(*a).expect("one side is constant")),
                };
                let s = self.s(s);
                let mut v = self.literal_test(s, &lit, Affix::Whole);
                if *op == StrCmp::Ne {
                    v = self.b.ins().bxor_imm_u(v, 1);
                }
                self.set_i(*dst, v);
            }
            Inst::StrCmp { dst, op, a, b } => {
                let (a, b) = (self.s(*a), self.s(*b));
                let v = match op {
                    StrCmp::Eq => self.str_eq(a, b),
                    StrCmp::Ne => {
                        let e = self.str_eq(a, b);
                        self.b.ins().bxor_imm_u(e, 1)
                    }
                    _ => {
                        let c = self.call(self.imports.ids.str_cmp, &[a.0, a.1, b.0, b.1]).expect("result");
                        let cc = match op {
                            StrCmp::Lt => IntCC::SignedLessThan,
                            StrCmp::Le => IntCC::SignedLessThanOrEqual,
                            StrCmp::Gt => IntCC::SignedGreaterThan,
                            _ => IntCC::SignedGreaterThanOrEqual,
                        };
                        let zero = self.b.ins().iconst(I64, 0);
                        self.bool_of(cc, c, zero)
                    }
                };
                self.set_i(*dst, v);
            }
            Inst::StrTest { dst, op: op @ (StrTest::StartsWith | StrTest::EndsWith), a, b }
                if self.short_constant(*b).is_some() =>
            {
                let lit = self.short_constant(*b).expect("constant");
                let affix = if *op == StrTest::StartsWith { Affix::Prefix } else { Affix::Suffix };
                let s = self.s(*a);
                let v = self.literal_test(s, &lit, affix);
                self.set_i(*dst, v);
            }
            Inst::StrTest { dst, op, a, b } => {
                let (a, b) = (self.s(*a), self.s(*b));
                let v = match op {
                    StrTest::StartsWith => self.affix(a, b, false),
                    StrTest::EndsWith => self.affix(a, b, true),
                    StrTest::Contains => self.call_bool(self.imports.ids.contains, &[a.0, a.1, b.0, b.1]),
                };
                self.set_i(*dst, v);
            }
            Inst::Match { dst, pattern, s }
                if self.prog.patterns[pattern.0 as usize]
                    .literal()
                    .is_some_and(|(_, l)| l.len() <= INLINE_MAX) =>
            {
                // A glob that is a plain string test: inline, like `==`.
                let (affix, lit) = self.prog.patterns[pattern.0 as usize].literal().expect("literal");
                let lit = lit.to_vec();
                let s = self.s(*s);
                let v = self.literal_test(s, &lit, affix);
                self.set_i(*dst, v);
            }
            Inst::Match { dst, pattern, s } => {
                let (p, n) = self.s(*s);
                let idx = self.b.ins().iconst(I64, i64::from(pattern.0));
                let ctx = self.ctx;
                let v = self.call_bool(self.imports.ids.matches, &[ctx, idx, p, n]);
                self.set_i(*dst, v);
            }
            Inst::InRanges { dst, a, set, unsigned } => {
                let a = self.i(*a);
                let prog = self.prog;
                let v = self.in_ranges(a, &prog.int_sets[*set as usize], *unsigned);
                self.set_i(*dst, v);
            }
            Inst::InStrs { dst, s, set } => {
                let (p, n) = self.s(*s);
                let idx = self.b.ins().iconst(I64, i64::from(*set));
                let ctx = self.ctx;
                let v = self.call_bool(self.imports.ids.in_strs, &[ctx, idx, p, n]);
                self.set_i(*dst, v);
            }
            Inst::StrLen { dst, s } => {
                let (_, n) = self.s(*s);
                self.set_i(*dst, n);
            }
            Inst::Basename { dst, s } | Inst::Dirname { dst, s } => {
                let id = if matches!(inst, Inst::Basename { .. }) {
                    self.imports.ids.basename
                } else {
                    self.imports.ids.dirname
                };
                let (p, n) = self.s(*s);
                let ctx = self.ctx;
                let r = self.call(id, &[ctx, p, n]).expect("result");
                let v = self.returned_str(r);
                self.set_s(*dst, v);
            }
            Inst::Hex { dst, a } => {
                let a = self.i(*a);
                let p = self.host(HostCall::Hex, &[], Some(a));
                let v = self.returned_str(p);
                self.set_s(*dst, v);
            }
            Inst::Rights { dst, a, kind } => {
                let a = self.i(*a);
                let p = self.host(HostCall::Rights(*kind), &[], Some(a));
                let v = self.returned_str(p);
                self.set_s(*dst, v);
            }
            Inst::ListLen { dst } => {
                let v = self.rec_load(I64, offsets::GRANTS_LEN);
                self.set_i(*dst, v);
            }
            Inst::ListGet { dst, index } => {
                let v = self.list_get(*index);
                self.set_i(*dst, v);
            }
            Inst::MapGet { dst, map, keys } => {
                let string = matches!(dst, Operand::Str(..));
                let call = HostCall::MapGet { map: *map, keys: kinds(keys), string };
                let r = self.host(call, keys, None);
                match *dst {
                    Operand::Int(d, _) => self.set_i(d, r),
                    Operand::Str(d, _) => {
                        let v = self.returned_str(r);
                        self.set_s(d, v);
                    }
                }
            }
            Inst::MapLen { dst, map } => {
                let r = self.host(HostCall::MapLen { map: *map }, &[], None);
                self.set_i(*dst, r);
            }
            Inst::MapAgg { map, keys, value } => {
                let v = value.map(|r| self.i(r));
                self.host(HostCall::MapAgg { map: *map, keys: kinds(keys) }, keys, v);
            }
            Inst::MapSet { map, keys, value } => {
                let call = HostCall::MapSet { map: *map, keys: kinds(keys), value: kinds(&[*value])[0] };
                let ops: Vec<Operand> = std::iter::once(*value).chain(keys.iter().copied()).collect();
                self.host(call, &ops, None);
            }
            Inst::MapDelete { map, keys } => {
                self.host(HostCall::MapDelete { map: *map, keys: kinds(keys) }, keys, None);
            }
            Inst::Printf { format, args } => {
                self.host(HostCall::Printf { format: *format, args: kinds(args) }, args, None);
            }
            Inst::Print { args } => {
                self.host(HostCall::Print { args: kinds(args) }, args, None);
            }
            Inst::PrintEvent => {
                self.host(HostCall::PrintEvent, &[], None);
            }
            Inst::PrintMap { map, limit } => {
                let l = limit.map(|r| self.i(r));
                self.host(HostCall::PrintMap { map: *map, limit: l.is_some() }, &[], l);
            }
            Inst::Clear { map } => {
                self.host(HostCall::Clear { map: *map }, &[], None);
            }
            Inst::Exit => {
                self.host(HostCall::Exit, &[], None);
            }
        }
    }

    fn term(&mut self, t: Terminator) {
        match t {
            Terminator::Jump(to) => {
                self.b.ins().jump(self.blocks[to.0 as usize], &[]);
            }
            Terminator::Branch { cond, then, other } => {
                let c = self.i(cond);
                self.b.ins().brif(c, self.blocks[then.0 as usize], &[], self.blocks[other.0 as usize], &[]);
            }
            Terminator::Return(r) => {
                let v = self.i(r);
                self.b.ins().return_(&[v]);
            }
        }
    }

    /// Integer operations, wrapping, with the language's division: by zero
    /// gives 0 and is counted; `MIN / -1` wraps instead of trapping.
    fn binary(&mut self, op: BinOp, a: Value, b: Value) -> Value {
        match op {
            BinOp::Add => self.b.ins().iadd(a, b),
            BinOp::Sub => self.b.ins().isub(a, b),
            BinOp::Mul => self.b.ins().imul(a, b),
            BinOp::And => self.b.ins().band(a, b),
            BinOp::Or => self.b.ins().bor(a, b),
            BinOp::Xor => self.b.ins().bxor(a, b),
            // Cranelift takes the shift amount modulo 64, as wrapping_shl does.
            BinOp::Shl => self.b.ins().ishl(a, b),
            BinOp::Sar => self.b.ins().sshr(a, b),
            BinOp::Shr => self.b.ins().ushr(a, b),
            BinOp::Eq => self.bool_of(IntCC::Equal, a, b),
            BinOp::Ne => self.bool_of(IntCC::NotEqual, a, b),
            BinOp::Slt => self.bool_of(IntCC::SignedLessThan, a, b),
            BinOp::Sle => self.bool_of(IntCC::SignedLessThanOrEqual, a, b),
            BinOp::Ult => self.bool_of(IntCC::UnsignedLessThan, a, b),
            BinOp::Ule => self.bool_of(IntCC::UnsignedLessThanOrEqual, a, b),
            BinOp::Div | BinOp::Rem => self.division(op == BinOp::Div, a, b),
        }
    }

    fn division(&mut self, div: bool, a: Value, b: Value) -> Value {
        let by_zero = self.b.create_block();
        let not_zero = self.b.create_block();
        let by_minus_one = self.b.create_block();
        let plain = self.b.create_block();
        let done = self.b.create_block();
        let result = self.b.append_block_param(done, I64);
        self.b.ins().brif(b, not_zero, &[], by_zero, &[]);

        self.b.switch_to_block(by_zero);
        let ctx = self.ctx;
        self.call(self.imports.ids.div_zero, &[ctx]);
        let zero = self.b.ins().iconst(I64, 0);
        self.b.ins().jump(done, &[zero.into()]);

        self.b.switch_to_block(not_zero);
        let minus_one = self.b.ins().icmp_imm_s(IntCC::Equal, b, -1);
        self.b.ins().brif(minus_one, by_minus_one, &[], plain, &[]);

        self.b.switch_to_block(by_minus_one);
        let v = if div { self.b.ins().ineg(a) } else { self.b.ins().iconst(I64, 0) };
        self.b.ins().jump(done, &[v.into()]);

        self.b.switch_to_block(plain);
        let v = if div { self.b.ins().sdiv(a, b) } else { self.b.ins().srem(a, b) };
        self.b.ins().jump(done, &[v.into()]);

        self.b.switch_to_block(done);
        result
    }

    /// Membership in inclusive ranges, as compare chains: a single value is
    /// one comparison, a range `(v - lo) <= (hi - lo)` unsigned. Values
    /// all below 64 become a bitset test.
    fn in_ranges(&mut self, v: Value, ranges: &[(i64, i64)], unsigned: bool) -> Value {
        let nonempty: Vec<(i64, i64)> = ranges
            .iter()
            .copied()
            .filter(|&(lo, hi)| if unsigned { (lo as u64) <= (hi as u64) } else { lo <= hi })
            .collect();
        let small = |&(lo, hi): &(i64, i64)| (0..64).contains(&lo) && (0..64).contains(&hi);
        if nonempty.len() > 2 && nonempty.iter().all(small) {
            let bits =
                nonempty.iter().fold(0u64, |acc, &(lo, hi)| (lo..=hi).fold(acc, |acc, x| acc | 1 << x));
            let in_range = self.b.ins().icmp_imm_s(IntCC::UnsignedLessThan, v, 64);
            let mask = self.b.ins().iconst(I64, bits as i64);
            let shifted = self.b.ins().ushr(mask, v);
            let bit = self.b.ins().band_imm_u(shifted, 1);
            let in_range = self.b.ins().uextend(I64, in_range);
            return self.b.ins().band(bit, in_range);
        }
        let mut acc: Option<Value> = None;
        for (lo, hi) in nonempty {
            let t = if lo == hi {
                let c = self.b.ins().icmp_imm_s(IntCC::Equal, v, lo);
                self.b.ins().uextend(I64, c)
            } else {
                let off = self.b.ins().iadd_imm_s(v, lo.wrapping_neg());
                let c = self.b.ins().icmp_imm_s(IntCC::UnsignedLessThanOrEqual, off, hi.wrapping_sub(lo));
                self.b.ins().uextend(I64, c)
            };
            acc = Some(match acc {
                Some(a) => self.b.ins().bor(a, t),
                None => t,
            });
        }
        acc.unwrap_or_else(|| self.b.ins().iconst(I64, 0))
    }

    /// `grants[i]`: 0 unless `0 <= i < len`.
    fn list_get(&mut self, index: ir::IReg) -> Value {
        let i = self.i(index);
        let len = self.rec_load(I64, offsets::GRANTS_LEN);
        let inside = self.b.create_block();
        let done = self.b.create_block();
        let result = self.b.append_block_param(done, I64);
        let zero = self.b.ins().iconst(I64, 0);
        // Unsigned: a negative index is huge, so out of range.
        let ok = self.b.ins().icmp(IntCC::UnsignedLessThan, i, len);
        self.b.ins().brif(ok, inside, &[], done, &[zero.into()]);
        self.b.switch_to_block(inside);
        let base = self.rec_load(I64, offsets::GRANTS_PTR);
        let off = self.b.ins().ishl_imm_u(i, 3);
        let at = self.b.ins().iadd(base, off);
        let v = self.b.ins().load(I64, MemFlagsData::trusted().with_readonly(), at, 0);
        self.b.ins().jump(done, &[v.into()]);
        self.b.switch_to_block(done);
        result
    }
}

fn kinds(ops: &[Operand]) -> Vec<OpKind> {
    ops.iter()
        .map(|op| match *op {
            Operand::Int(_, k) => OpKind::Int(k),
            Operand::Str(_, trusted) => OpKind::Str { trusted },
        })
        .collect()
}
