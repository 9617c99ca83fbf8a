//! What executing a program needs from its surroundings, and the semantics
//! both backends share.
//!
//! The [`Host`] owns the maps, the output and a per-event string arena; the
//! interpreter calls it directly and compiled code through `extern "C"`
//! helpers. The small string and arithmetic functions here define the
//! language's behaviour once, so the backends cannot drift apart.

use crate::ir::ValKind;
use crate::record::{Record, StrRef};
use crate::schema::{EventKind, Family, FieldType, SourceKind};
use crate::typed::{FormatId, MapId};

/// A value passed to the host: a map key, a printed value, a stored value.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Val<'a> {
    Int(i64),
    Bool(bool),
    Id(u64),
    Mask(Family, u64),
    /// Bytes and whether they are trusted (printed without escaping).
    Str(&'a [u8], bool),
}

impl<'a> Val<'a> {
    /// Builds a value from a register and its kind, resolving the family of
    /// a per-event mask from the record's event kind.
    pub fn from_int(v: i64, kind: ValKind, rec: &Record) -> Val<'a> {
        match kind {
            ValKind::Int => Val::Int(v),
            ValKind::Bool => Val::Bool(v != 0),
            ValKind::Id => Val::Id(v as u64),
            ValKind::Mask(f) => Val::Mask(f, v as u64),
            ValKind::MaskOf(field) => Val::Mask(family_in(rec.kind, field), v as u64),
        }
    }

    /// The 64-bit value of a scalar (0 for strings).
    pub fn as_i64(&self) -> i64 {
        match *self {
            Val::Int(v) => v,
            Val::Bool(b) => b as i64,
            Val::Id(v) | Val::Mask(_, v) => v as i64,
            Val::Str(..) => 0,
        }
    }
}

/// The family of a mask field in the event of kind `kind`.
pub fn family_in(kind: u32, field: crate::schema::FieldId) -> Family {
    match EventKind::from_index(kind).and_then(|k| k.field_type(field)) {
        Some(FieldType::Mask(f) | FieldType::MaskList(f)) => f,
        _ => Family::Fs,
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
    fn printf(&mut self, format: FormatId, args: &[Val], rec: &Record);
    fn print(&mut self, args: &[Val]);
    fn print_event(&mut self, rec: &Record);
    fn print_map(&mut self, map: MapId, limit: Option<i64>);
    fn exit(&mut self);
    /// Counts a division or remainder by zero (the result is 0).
    fn div_by_zero(&mut self);
    /// Copies bytes into the per-event arena.
    fn alloc(&mut self, bytes: &[u8]) -> StrRef;
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

pub fn event_name(kind: u32) -> &'static [u8] {
    EventKind::from_index(kind).map_or(b"", |k| k.name().as_bytes())
}

pub fn source_name(source: u32) -> &'static [u8] {
    SourceKind::from_code(source).name().as_bytes()
}

/// The `walltime` builtin: RFC 3339 when the source knows the wall-clock
/// time; otherwise (ftrace text records only time since boot) the event
/// time as `+SECONDS.MICROS`.
pub fn walltime_text(rec: &Record) -> String {
    if rec.walltime != 0 {
        rfc3339(rec.walltime)
    } else {
        format!("+{}.{:06}", rec.time / 1_000_000_000, rec.time % 1_000_000_000 / 1000)
    }
}

/// RFC 3339 UTC with nanoseconds: `2026-11-29T14:03:07.123456789Z`.
pub fn rfc3339(unix_ns: i64) -> String {
    let secs = unix_ns.div_euclid(1_000_000_000);
    let nanos = unix_ns.rem_euclid(1_000_000_000);
    let (y, mo, d, h, mi, s) = civil(secs);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{nanos:09}Z")
}

/// Breaks Unix seconds into (year, month, day, hour, minute, second), UTC.
pub fn civil(secs: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, (rem / 3600) as u32, ((rem % 3600) / 60) as u32, (rem % 60) as u32)
}

/// Parses what [`rfc3339`] writes (and offsets other than Z) back to Unix
/// nanoseconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut i = 19;
    let mut nanos = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let frac = &s[start..i];
        if frac.is_empty() || frac.len() > 9 {
            return None;
        }
        nanos = frac.parse::<i64>().ok()? * 10i64.pow(9 - frac.len() as u32);
    }
    let offset = match &s[i..] {
        "Z" | "z" => 0,
        o if o.len() == 6 && (o.starts_with('+') || o.starts_with('-')) => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            sign * (o[1..3].parse::<i64>().ok()? * 3600 + o[4..6].parse::<i64>().ok()? * 60)
        }
        _ => return None,
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    // days-from-civil
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2.rem_euclid(400);
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset;
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}

/// Something that executes IR functions: the interpreter, or compiled code.
pub trait Backend {
    /// Runs one function of `prog` over `rec`; returns its result (a
    /// predicate's truth value; 0 for actions).
    fn run(
        &mut self,
        prog: &crate::ir::Program,
        func: crate::ir::FuncId,
        rec: &Record,
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

    #[test]
    fn time_round_trip() {
        for ns in [0i64, 1_795_958_807_045_000_000, -1, 951_782_400_123_456_789] {
            let s = rfc3339(ns);
            assert_eq!(parse_rfc3339(&s), Some(ns), "{s}");
        }
        assert_eq!(rfc3339(1_795_958_807_045_000_000), "2026-11-29T13:26:47.045000000Z");
        assert_eq!(parse_rfc3339("2026-11-29T14:26:47+01:00"), Some(1_795_958_807_000_000_000));
    }
}
