//! Strings in generated code: comparisons with short constants inline
//! (word loads after a length check), the others through helpers; and
//! which string registers hold constants or are read as strings at all.

use super::{Gen, I8, I64, INLINE_MAX};
use crate::ir::{self, Inst, Operand, StrCmp, StrTest};
use crate::pattern::Affix;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, Value, types};

impl Gen<'_, '_, '_> {
    /// The constant a string register holds, if it is short enough to
    /// compare inline.
    pub(super) fn short_constant(&self, r: ir::SReg) -> Option<Vec<u8>> {
        let id = self.consts[r.0 as usize]?;
        let bytes = &self.prog.strings[id as usize];
        (bytes.len() <= INLINE_MAX).then(|| bytes.clone())
    }

    /// Whether the `lit.len()` bytes at `p` equal `lit`, with loads of 8, 4,
    /// 2 or 1 bytes that stay inside those bytes (overlapping where the
    /// length is not a multiple), compared with constants.
    pub(super) fn bytes_equal(&mut self, p: Value, lit: &[u8]) -> Value {
        let flags = MemFlagsData::new().with_notrap().with_readonly();
        let n = lit.len();
        let mut chunks: Vec<(usize, usize)> = Vec::new();
        if n >= 8 {
            let mut off = 0;
            while off + 8 <= n {
                chunks.push((off, 8));
                off += 8;
            }
            if off < n {
                chunks.push((n - 8, 8));
            }
        } else {
            for w in [4, 2, 1] {
                if n >= w {
                    chunks.push((0, w));
                    if n > w {
                        chunks.push((n - w, w));
                    }
                    break;
                }
            }
        }
        let mut acc: Option<Value> = None;
        for (off, w) in chunks {
            let ty = match w {
                8 => I64,
                4 => types::I32,
                2 => types::I16,
                _ => I8,
            };
            let mut word = [0u8; 8];
            word[..w].copy_from_slice(&lit[off..off + w]);
            let expect = match w {
                8 => i64::from_ne_bytes(word),
                4 => i64::from(i32::from_ne_bytes(word[..4].try_into().expect("4 bytes"))),
                2 => i64::from(i16::from_ne_bytes(word[..2].try_into().expect("2 bytes"))),
                _ => i64::from(word[0] as i8),
            };
            let v = self.b.ins().load(ty, flags, p, off as i32);
            let eq = self.b.ins().icmp_imm_s(IntCC::Equal, v, expect);
            acc = Some(match acc {
                Some(a) => self.b.ins().band(a, eq),
                None => eq,
            });
        }
        match acc {
            Some(a) => self.b.ins().uextend(I64, a),
            None => self.b.ins().iconst(I64, 1),
        }
    }

    /// Whether string `(p, n)` equals, starts with or ends with `lit`:
    /// a length test, then the bytes, inline.
    pub(super) fn literal_test(&mut self, (p, n): (Value, Value), lit: &[u8], affix: Affix) -> Value {
        let len = lit.len() as i64;
        let cc = if affix == Affix::Whole { IntCC::Equal } else { IntCC::UnsignedGreaterThanOrEqual };
        let fits = self.b.ins().icmp_imm_s(cc, n, len);
        if lit.is_empty() {
            return self.b.ins().uextend(I64, fits);
        }
        let body = self.b.create_block();
        let done = self.b.create_block();
        let result = self.b.append_block_param(done, I64);
        let zero = self.b.ins().iconst(I64, 0);
        self.b.ins().brif(fits, body, &[], done, &[zero.into()]);
        self.b.switch_to_block(body);
        let at = if affix == Affix::Suffix {
            let skip = self.b.ins().iadd_imm_s(n, -len);
            self.b.ins().iadd(p, skip)
        } else {
            p
        };
        let v = self.bytes_equal(at, lit);
        self.b.ins().jump(done, &[v.into()]);
        self.b.switch_to_block(done);
        result
    }

    /// String equality: lengths first, then the bytes.
    pub(super) fn str_eq(&mut self, (ap, an): (Value, Value), (bp, bn): (Value, Value)) -> Value {
        let same_len = self.b.create_block();
        let done = self.b.create_block();
        let result = self.b.append_block_param(done, I64);
        let zero = self.b.ins().iconst(I64, 0);
        let eq = self.b.ins().icmp(IntCC::Equal, an, bn);
        self.b.ins().brif(eq, same_len, &[], done, &[zero.into()]);
        self.b.switch_to_block(same_len);
        let v = self.call_bool(self.imports.ids.mem_eq, &[ap, bp, an]);
        self.b.ins().jump(done, &[v.into()]);
        self.b.switch_to_block(done);
        result
    }

    /// `starts_with` (or `ends_with`): long enough, then the bytes at the
    /// start (or the end).
    pub(super) fn affix(&mut self, (ap, an): (Value, Value), (bp, bn): (Value, Value), end: bool) -> Value {
        let long_enough = self.b.create_block();
        let done = self.b.create_block();
        let result = self.b.append_block_param(done, I64);
        let zero = self.b.ins().iconst(I64, 0);
        let ok = self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, an, bn);
        self.b.ins().brif(ok, long_enough, &[], done, &[zero.into()]);
        self.b.switch_to_block(long_enough);
        let at = if end {
            let skip = self.b.ins().isub(an, bn);
            self.b.ins().iadd(ap, skip)
        } else {
            ap
        };
        let v = self.call_bool(self.imports.ids.mem_eq, &[at, bp, bn]);
        self.b.ins().jump(done, &[v.into()]);
        self.b.switch_to_block(done);
        result
    }
}

/// For each string register, the constant it holds if its only definition
/// is a string constant (so comparisons with it can be inlined).
pub(super) fn constant_strings(func: &ir::Function) -> Vec<Option<u32>> {
    let mut defs = vec![(0u32, None); func.n_str as usize];
    for inst in func.blocks.iter().flat_map(|b| &b.insts) {
        let (dst, konst) = match inst {
            Inst::StrConst { dst, id } => (*dst, Some(*id)),
            Inst::LoadStr { dst, .. }
            | Inst::CopyStr { dst, .. }
            | Inst::Basename { dst, .. }
            | Inst::Dirname { dst, .. }
            | Inst::Hex { dst, .. }
            | Inst::Rights { dst, .. } => (*dst, None),
            Inst::MapGet { dst: Operand::Str(dst, _), .. } => (*dst, None),
            _ => continue,
        };
        let d = &mut defs[dst.0 as usize];
        d.0 += 1;
        d.1 = konst;
    }
    defs.into_iter().map(|(n, k)| if n == 1 { k } else { None }).collect()
}

/// String registers read by something other than a comparison with a
/// short constant (which is inlined and needs no pointer to the constant).
pub(super) fn read_as_strings(func: &ir::Function, prog: &ir::Program, consts: &[Option<u32>]) -> Vec<bool> {
    let short =
        |r: &ir::SReg| consts[r.0 as usize].is_some_and(|id| prog.strings[id as usize].len() <= INLINE_MAX);
    let mut read = vec![false; func.n_str as usize];
    let mut mark = |r: &ir::SReg| read[r.0 as usize] = true;
    for inst in func.blocks.iter().flat_map(|b| &b.insts) {
        match inst {
            Inst::StrCmp { op: StrCmp::Eq | StrCmp::Ne, a, b, .. } if short(a) || short(b) => {
                // The constant side is inlined; the other is read.
                if short(b) { mark(a) } else { mark(b) }
            }
            Inst::StrTest { op: StrTest::StartsWith | StrTest::EndsWith, a, b, .. } if short(b) => mark(a),
            Inst::StrCmp { a, b, .. } | Inst::StrTest { a, b, .. } => {
                mark(a);
                mark(b);
            }
            Inst::CopyStr { src, .. } => mark(src),
            Inst::Match { s, .. }
            | Inst::InStrs { s, .. }
            | Inst::StrLen { s, .. }
            | Inst::Basename { s, .. }
            | Inst::Dirname { s, .. } => mark(s),
            Inst::MapGet { keys, .. }
            | Inst::MapAgg { keys, .. }
            | Inst::MapDelete { keys, .. }
            | Inst::Printf { args: keys, .. }
            | Inst::Print { args: keys } => keys.iter().for_each(|o| {
                if let Operand::Str(r, _) = o {
                    mark(r);
                }
            }),
            Inst::MapSet { keys, value, .. } => keys.iter().chain(std::iter::once(value)).for_each(|o| {
                if let Operand::Str(r, _) = o {
                    mark(r);
                }
            }),
            _ => {}
        }
    }
    read
}
