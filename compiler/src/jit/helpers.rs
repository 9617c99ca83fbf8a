//! What compiled code calls: the context it runs with, and the `extern "C"`
//! helpers for work that is not a few instructions (string searches,
//! patterns, and everything that touches maps or output).
//!
//! Strings cross the boundary as (pointer, length); a helper that makes a
//! string returns its pointer and leaves its length in [`Ctx::ret_len`].
//! Constants (patterns, string sets, host-call descriptions) are passed by
//! index and looked up, bounds-checked, in [`Shared`].

use crate::exec::{self, Host, MapValueOut};
use crate::ir::ValKind;
use crate::pattern::Pattern;
use crate::typed::{FormatId, MapId};
use landtrace_event::record::{Sealed, StrRef};
use landtrace_event::value::Val;
use landtrace_event::{schema, time};
use std::mem::offset_of;

/// The context compiled code runs with: built on the stack for each call.
///
/// Everything it points to is borrowed for one run, `'r`.
#[repr(C)]
pub struct Ctx<'r> {
    /// The (pointer, length) pairs of the program's string constants.
    pub consts: *const u64,
    /// The length of the string a helper returned.
    pub ret_len: u64,
    pub rec: Sealed<'r>,
    pub shared: *const Shared,
    pub host: *mut (dyn Host + 'r),
    /// Keys and arguments handed to the host, reused within the run.
    pub scratch: *mut Vec<Val<'r>>,
}

pub const CTX_CONSTS: i32 = offset_of!(Ctx, consts) as i32;
pub const CTX_RET_LEN: i32 = offset_of!(Ctx, ret_len) as i32;

/// How a value handed to the host is shown and keyed.
#[derive(Clone, Copy, Debug)]
pub enum OpKind {
    Int(ValKind),
    Str { trusted: bool },
}

/// One call into the host, described once at compile time. Its operands
/// are stored by compiled code in a stack array, 16 bytes each: an
/// integer in the first word, a string as (pointer, length).
#[derive(Clone, Debug)]
pub enum HostCall {
    MapGet {
        map: MapId,
        keys: Vec<OpKind>,
        string: bool,
    },
    MapLen {
        map: MapId,
    },
    MapAgg {
        map: MapId,
        keys: Vec<OpKind>,
    },
    MapSet {
        map: MapId,
        keys: Vec<OpKind>,
        value: OpKind,
    },
    MapDelete {
        map: MapId,
        keys: Vec<OpKind>,
    },
    Printf {
        format: FormatId,
        args: Vec<OpKind>,
    },
    Print {
        args: Vec<OpKind>,
    },
    PrintEvent,
    PrintMap {
        map: MapId,
        limit: bool,
    },
    Clear {
        map: MapId,
    },
    Exit,
    /// Strings made from the record or a value, in the host's arena.
    Walltime,
    EventName,
    SourceName,
    Hex,
    Rights(ValKind),
}

impl HostCall {
    /// What the call is, for comments in dumps.
    pub fn describe(&self) -> String {
        match self {
            HostCall::MapGet { map, .. } => format!("map.get #{}", map.0),
            HostCall::MapLen { map } => format!("map.len #{}", map.0),
            HostCall::MapAgg { map, .. } => format!("map.agg #{}", map.0),
            HostCall::MapSet { map, .. } => format!("map.set #{}", map.0),
            HostCall::MapDelete { map, .. } => format!("map.delete #{}", map.0),
            HostCall::Printf { format, .. } => format!("printf #{}", format.0),
            HostCall::Print { .. } => "print".into(),
            HostCall::PrintEvent => "print.event".into(),
            HostCall::PrintMap { map, .. } => format!("print.map #{}", map.0),
            HostCall::Clear { map } => format!("clear #{}", map.0),
            HostCall::Exit => "exit".into(),
            HostCall::Walltime => "walltime".into(),
            HostCall::EventName => "event".into(),
            HostCall::SourceName => "source".into(),
            HostCall::Hex => "hex".into(),
            HostCall::Rights(k) => format!("rights {k}"),
        }
    }
}

/// The constants compiled code refers to, owned by the [`super::Jit`] at a
/// stable address.
pub struct Shared {
    pub strings: Vec<Vec<u8>>,
    /// (pointer, length) of each string, for loads from compiled code.
    pub string_table: Vec<u64>,
    pub patterns: Vec<Pattern>,
    pub str_sets: Vec<Vec<Vec<u8>>>,
    pub calls: Vec<HostCall>,
}

impl Shared {
    pub fn new(prog: &crate::ir::Program) -> Shared {
        let strings = prog.strings.clone();
        let string_table = strings.iter().flat_map(|s| [s.as_ptr() as u64, s.len() as u64]).collect();
        Shared {
            strings,
            string_table,
            patterns: prog.patterns.clone(),
            str_sets: prog.str_sets.clone(),
            calls: Vec::new(),
        }
    }
}

/// # Safety
/// `p` and `n` describe live bytes (compiled code passes a string register,
/// which always does).
unsafe fn bytes<'a>(p: *const u8, n: u64) -> &'a [u8] {
    if n == 0 {
        return &[];
    }
    // SAFETY: see above.
    unsafe { std::slice::from_raw_parts(p, n as usize) }
}

fn ret(ctx: &mut Ctx, s: StrRef) -> *const u8 {
    ctx.ret_len = s.len as u64;
    s.ptr
}

thread_local! {
    /// A panic caught at the boundary of a helper, resumed by the caller of
    /// the compiled code once it has returned (unwinding cannot cross the
    /// compiled frames: it would abort the process, and skip every Drop
    /// that restores the system, such as the audit setting).
    static PANIC: std::cell::Cell<Option<Box<dyn std::any::Any + Send>>> = const { std::cell::Cell::new(None) };
}

/// Runs a helper's body, catching a panic: the helper then returns
/// `default` and the panic is resumed after the compiled code returns
/// ([`resume_panic`]).
fn boundary<T>(default: T, body: impl FnOnce() -> T) -> T {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
        Ok(v) => v,
        Err(payload) => {
            PANIC.with(|p| {
                // The first panic is the one to report.
                let first = p.take();
                p.set(Some(first.unwrap_or(payload)));
            });
            default
        }
    }
}

/// What a string-returning helper gives back when its body panicked.
static EMPTY: [u8; 1] = [0];

/// Resumes a panic a helper caught during the call that just returned.
pub fn resume_panic() {
    if let Some(payload) = PANIC.with(std::cell::Cell::take) {
        std::panic::resume_unwind(payload);
    }
}

/// Whether `n` bytes at `a` and `b` are equal.
///
/// # Safety
/// Both ranges are live bytes (compiled code passes string registers).
pub unsafe extern "C" fn lt_mem_eq(a: *const u8, b: *const u8, n: u64) -> i8 {
    // SAFETY: compiled code passes in-bounds ranges of string registers.
    unsafe { i8::from(bytes(a, n) == bytes(b, n)) }
}

/// Compares two strings bytewise: -1, 0 or 1.
///
/// # Safety
/// As [`lt_mem_eq`].
pub unsafe extern "C" fn lt_str_cmp(a: *const u8, an: u64, b: *const u8, bn: u64) -> i64 {
    // SAFETY: string registers.
    let (a, b) = unsafe { (bytes(a, an), bytes(b, bn)) };
    a.cmp(b) as i64
}

/// Whether `b` occurs in `a`.
///
/// # Safety
/// As [`lt_mem_eq`].
pub unsafe extern "C" fn lt_contains(a: *const u8, an: u64, b: *const u8, bn: u64) -> i8 {
    // SAFETY: string registers.
    unsafe { i8::from(exec::contains(bytes(a, an), bytes(b, bn))) }
}

/// # Safety
/// `ctx` is the context of the running call.
pub unsafe extern "C" fn lt_match(ctx: *mut Ctx, pattern: u64, p: *const u8, n: u64) -> i8 {
    boundary(0, || {
        // SAFETY: the caller's context; the string is a string register.
        let (shared, s) = unsafe { (&*(*ctx).shared, bytes(p, n)) };
        i8::from(shared.patterns.get(pattern as usize).is_some_and(|pat| pat.is_match(s)))
    })
}

/// # Safety
/// As [`lt_match`].
pub unsafe extern "C" fn lt_in_strs(ctx: *mut Ctx, set: u64, p: *const u8, n: u64) -> i8 {
    boundary(0, || {
        // SAFETY: as above.
        let (shared, s) = unsafe { (&*(*ctx).shared, bytes(p, n)) };
        i8::from(
            shared
                .str_sets
                .get(set as usize)
                .is_some_and(|set| set.binary_search_by(|x| x.as_slice().cmp(s)).is_ok()),
        )
    })
}

/// # Safety
/// As [`lt_match`].
pub unsafe extern "C" fn lt_basename(ctx: *mut Ctx, p: *const u8, n: u64) -> *const u8 {
    // Should the body panic: an empty string, never a dangling one.
    // SAFETY: the caller's context.
    unsafe { (*ctx).ret_len = 0 };
    boundary(EMPTY.as_ptr(), || {
        // SAFETY: as above.
        let (ctx, s) = unsafe { (&mut *ctx, bytes(p, n)) };
        ret(ctx, StrRef::from_slice(exec::basename(s)))
    })
}

/// # Safety
/// As [`lt_match`].
pub unsafe extern "C" fn lt_dirname(ctx: *mut Ctx, p: *const u8, n: u64) -> *const u8 {
    // Should the body panic: an empty string, never a dangling one.
    // SAFETY: the caller's context.
    unsafe { (*ctx).ret_len = 0 };
    boundary(EMPTY.as_ptr(), || {
        // SAFETY: as above.
        let (ctx, s) = unsafe { (&mut *ctx, bytes(p, n)) };
        ret(ctx, StrRef::from_slice(exec::dirname(s)))
    })
}

/// A division or remainder by zero: counted; the result is 0.
///
/// # Safety
/// As [`lt_match`].
pub unsafe extern "C" fn lt_div_zero(ctx: *mut Ctx) {
    boundary((), || {
        // SAFETY: the caller's context holds the host of this call.
        unsafe { (*(*ctx).host).div_by_zero() }
    });
}

/// Everything that goes through the host: maps, output, and strings made
/// in its arena. `vals` holds the call's operands (16 bytes each), `arg`
/// the aggregated value, map limit or converted integer. Returns an
/// integer result, or a string's pointer with its length in the context.
///
/// # Safety
/// `ctx` is the context of the running call and `vals` holds as many
/// operands as the call's description says.
pub unsafe extern "C" fn lt_host(ctx: *mut Ctx, call: u64, vals: *const u64, arg: i64) -> i64 {
    // Should the body panic: a valid empty string (or an unused integer).
    // SAFETY: the caller's context.
    unsafe { (*ctx).ret_len = 0 };
    boundary(EMPTY.as_ptr() as i64, || {
        // SAFETY: see above; the host, record and scratch outlive the call.
        let ctx = unsafe { &mut *ctx };
        let (shared, rec, host) = unsafe { (&*ctx.shared, ctx.rec, &mut *ctx.host) };
        let Some(call) = shared.calls.get(call as usize) else { return 0 };
        // SAFETY: the scratch vector belongs to the running Jit. Its values
        // borrow this call's operands, so it is emptied again before returning.
        let scratch = unsafe { &mut *ctx.scratch };
        scratch.clear();
        let result = host_call(ctx, call, scratch, rec, host, vals, arg);
        scratch.clear();
        result
    })
}

fn host_call<'r>(
    ctx: &mut Ctx<'r>,
    call: &HostCall,
    scratch: &mut Vec<Val<'r>>,
    rec: Sealed<'r>,
    host: &mut dyn Host,
    vals: *const u64,
    arg: i64,
) -> i64 {
    // SAFETY: compiled code stored one 16-byte operand per kind.
    let operands = |kinds: &[OpKind], skip: usize, out: &mut Vec<Val<'r>>| unsafe {
        for (i, k) in kinds.iter().enumerate() {
            let w = vals.add(2 * (i + skip));
            out.push(match *k {
                OpKind::Int(kind) => exec::val_from_int(*w as i64, kind, rec.record()),
                OpKind::Str { trusted } => Val::Str(bytes(*w as *const u8, *w.add(1)), trusted),
            });
        }
    };
    let text = |ctx: &mut Ctx, host: &mut dyn Host, t: &[u8]| ret(ctx, host.alloc(t)) as i64;
    match call {
        HostCall::MapGet { map, keys, string } => {
            operands(keys, 0, scratch);
            match (host.map_get(*map, scratch), string) {
                (MapValueOut::Int(v), false) => v,
                (MapValueOut::Str(s), true) => ret(ctx, s) as i64,
                (MapValueOut::Str(_), false) => 0,
                (MapValueOut::Int(_), true) => ret(ctx, StrRef::EMPTY) as i64,
            }
        }
        HostCall::MapLen { map } => host.map_len(*map),
        HostCall::MapAgg { map, keys } => {
            operands(keys, 0, scratch);
            host.map_agg(*map, scratch, arg);
            0
        }
        HostCall::MapSet { map, keys, value } => {
            operands(std::slice::from_ref(value), 0, scratch);
            let v = scratch.pop().expect("value");
            operands(keys, 1, scratch);
            host.map_set(*map, scratch, v);
            0
        }
        HostCall::MapDelete { map, keys } => {
            operands(keys, 0, scratch);
            host.map_delete(*map, scratch);
            0
        }
        HostCall::Printf { format, args } => {
            operands(args, 0, scratch);
            host.printf(*format, scratch, rec);
            0
        }
        HostCall::Print { args } => {
            operands(args, 0, scratch);
            host.print(scratch);
            0
        }
        HostCall::PrintEvent => {
            host.print_event(rec);
            0
        }
        HostCall::PrintMap { map, limit } => {
            host.print_map(*map, limit.then_some(arg));
            0
        }
        HostCall::Clear { map } => {
            host.clear(*map);
            0
        }
        HostCall::Exit => {
            host.exit();
            0
        }
        HostCall::Walltime => text(ctx, host, time::walltime_text(rec.record()).as_bytes()),
        HostCall::EventName => {
            ret(ctx, StrRef::from_slice(schema::event_name(rec.record().kind_code()))) as i64
        }
        HostCall::SourceName => {
            ret(ctx, StrRef::from_slice(schema::source_name(rec.record().source_code()))) as i64
        }
        HostCall::Hex => text(ctx, host, format!("{:x}", arg as u64).as_bytes()),
        HostCall::Rights(kind) => {
            let t = match exec::val_from_int(arg, *kind, rec.record()) {
                Val::Mask(f, bits) => landtrace_event::schema::mask_to_string(f, bits),
                other => other.as_i64().to_string(),
            };
            text(ctx, host, t.as_bytes())
        }
    }
}

/// The helpers by the names compiled code imports them under.
pub fn symbols() -> [(&'static str, *const u8); 9] {
    [
        ("lt_mem_eq", lt_mem_eq as *const u8),
        ("lt_str_cmp", lt_str_cmp as *const u8),
        ("lt_contains", lt_contains as *const u8),
        ("lt_match", lt_match as *const u8),
        ("lt_in_strs", lt_in_strs as *const u8),
        ("lt_basename", lt_basename as *const u8),
        ("lt_dirname", lt_dirname as *const u8),
        ("lt_div_zero", lt_div_zero as *const u8),
        ("lt_host", lt_host as *const u8),
    ]
}
