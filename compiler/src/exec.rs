//! What executing a program needs from its surroundings, and the semantics
//! both backends share.
//!
//! The [`Host`] owns the maps, the output and a per-event string arena; the
//! interpreter calls it directly and compiled code through `extern "C"`
//! helpers. The small string and arithmetic functions here define the
//! language's behaviour once, so the backends cannot drift apart.

use crate::ir::ValKind;
use crate::typed::{FormatId, MapId};
use landtrace_event::record::{Record, Sealed, StrRef};
use landtrace_event::value::{Val, family_in};

/// Builds a value from a register and its kind, resolving the family of
/// a per-event mask from the record's event kind.
pub fn val_from_int<'a>(v: i64, kind: ValKind, rec: &Record) -> Val<'a> {
    match kind {
        ValKind::Int => Val::Int(v),
        ValKind::Bool => Val::Bool(v != 0),
        ValKind::Id => Val::Id(v as u64),
        ValKind::Mask(f) => Val::Mask(f, v as u64),
        ValKind::MaskOf(field) => Val::Mask(family_in(rec.kind_code(), field), v as u64),
    }
}

/// What a map read returns.
#[derive(Clone, Copy, Debug)]
pub enum MapValueOut {
    Int(i64),
    Str(StrRef),
}

/// The runtime services a program calls.
pub trait Host {
    /// Folds `value` (ignored by count) into the aggregate at `keys`.
    fn map_agg(&mut self, map: MapId, keys: &[Val], value: i64);
    fn map_set(&mut self, map: MapId, keys: &[Val], value: Val);
    /// The value at `keys`, or 0 / "" when absent. Strings live in the arena.
    fn map_get(&mut self, map: MapId, keys: &[Val]) -> MapValueOut;
    fn map_len(&mut self, map: MapId) -> i64;
    fn map_delete(&mut self, map: MapId, keys: &[Val]);
    fn clear(&mut self, map: MapId);
    fn printf(&mut self, format: FormatId, args: &[Val], rec: Sealed<'_>);
    fn print(&mut self, args: &[Val]);
    fn print_event(&mut self, rec: Sealed<'_>);
    fn print_map(&mut self, map: MapId, limit: Option<i64>);
    fn exit(&mut self);
    /// Counts a division or remainder by zero (the result is 0).
    fn div_by_zero(&mut self);
    /// Copies bytes into the per-event arena.
    fn alloc(&mut self, bytes: &[u8]) -> StrRef;
}

/// A host whose maps are empty and whose output goes nowhere: what running
/// predicates alone needs (tests, benchmarks). Strings a program makes are
/// kept until it is dropped.
#[derive(Default)]
pub struct NullHost {
    arena: Vec<Box<[u8]>>,
}

impl Host for NullHost {
    fn map_agg(&mut self, _: MapId, _: &[Val], _: i64) {}
    fn map_set(&mut self, _: MapId, _: &[Val], _: Val) {}
    fn map_get(&mut self, _: MapId, _: &[Val]) -> MapValueOut {
        MapValueOut::Int(0)
    }
    fn map_len(&mut self, _: MapId) -> i64 {
        0
    }
    fn map_delete(&mut self, _: MapId, _: &[Val]) {}
    fn clear(&mut self, _: MapId) {}
    fn printf(&mut self, _: FormatId, _: &[Val], _: Sealed<'_>) {}
    fn print(&mut self, _: &[Val]) {}
    fn print_event(&mut self, _: Sealed<'_>) {}
    fn print_map(&mut self, _: MapId, _: Option<i64>) {}
    fn exit(&mut self) {}
    fn div_by_zero(&mut self) {}
    fn alloc(&mut self, bytes: &[u8]) -> StrRef {
        self.arena.push(bytes.into());
        StrRef::from_slice(self.arena.last().expect("pushed"))
    }
}

/// Integer binary operations with the language's semantics: wrapping,
/// and `None` for a division or remainder by zero (result 0, counted).
pub fn div(a: i64, b: i64) -> Option<i64> {
    if b == 0 { None } else { Some(a.wrapping_div(b)) }
}

pub fn rem(a: i64, b: i64) -> Option<i64> {
    if b == 0 { None } else { Some(a.wrapping_rem(b)) }
}

/// POSIX basename: the last component, ignoring trailing slashes.
pub fn basename(s: &[u8]) -> &[u8] {
    if s.is_empty() {
        return s;
    }
    let trimmed = trim_trailing_slashes(s);
    if trimmed.is_empty() {
        return &s[..1];
    }
    match trimmed.iter().rposition(|&b| b == b'/') {
        Some(i) => &trimmed[i + 1..],
        None => trimmed,
    }
}

/// POSIX dirname: everything before the last component.
pub fn dirname(s: &[u8]) -> &[u8] {
    const DOT: &[u8] = b".";
    let trimmed = trim_trailing_slashes(s);
    if trimmed.is_empty() {
        return if s.is_empty() { DOT } else { &s[..1] };
    }
    match trimmed.iter().rposition(|&b| b == b'/') {
        None => DOT,
        Some(i) => {
            let head = trim_trailing_slashes(&trimmed[..i]);
            if head.is_empty() { &s[..1] } else { head }
        }
    }
}

fn trim_trailing_slashes(s: &[u8]) -> &[u8] {
    let end = s.iter().rposition(|&b| b != b'/').map_or(0, |i| i + 1);
    &s[..end]
}

pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || (needle.len() <= hay.len() && hay.windows(needle.len()).any(|w| w == needle))
}

/// Whether `v` is in the sorted inclusive ranges.
pub fn in_ranges(v: i64, ranges: &[(i64, i64)], unsigned: bool) -> bool {
    if unsigned {
        let v = v as u64;
        ranges.iter().any(|&(lo, hi)| (lo as u64) <= v && v <= (hi as u64))
    } else {
        ranges.iter().any(|&(lo, hi)| lo <= v && v <= hi)
    }
}

/// Something that executes IR functions: the interpreter, or compiled code.
pub trait Backend {
    /// Runs one function of `prog` over `rec`; returns its result (a
    /// predicate's truth value; 0 for actions).
    fn run(
        &mut self,
        prog: &crate::ir::Program,
        func: crate::ir::FuncId,
        rec: Sealed<'_>,
        host: &mut dyn Host,
    ) -> i64;

    /// "interpreter" or "cranelift".
    fn name(&self) -> &'static str;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_functions() {
        assert_eq!(basename(b"/etc/passwd"), b"passwd");
        assert_eq!(basename(b"/etc/"), b"etc");
        assert_eq!(basename(b"/"), b"/");
        assert_eq!(basename(b""), b"");
        assert_eq!(dirname(b"/etc/passwd"), b"/etc");
        assert_eq!(dirname(b"/etc"), b"/");
        assert_eq!(dirname(b"passwd"), b".");
        assert_eq!(dirname(b"/"), b"/");
        assert_eq!(dirname(b"a//b"), b"a");
    }
}
