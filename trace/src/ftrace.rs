//! Decoder for ftrace text: tracefs `trace` and `trace_pipe`, and
//! `trace-cmd report` (docs/trace-format.md), as real kernels print it
//! (the 7.3 capture in examples/traces is the judge).
//!
//! A line is `TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: FIELDS`. Every
//! revision of the Landlock tracepoints is read: masks as names or hex,
//! `grants={..}` groups, the renamed events, the April 2026
//! `landlock_restrict_self` and `log_same_exec`/`log_new_exec` forms, and
//! the kernel's string escapes. Fields this landtrace does not know are kept
//! as extras. Lines of other events are skipped; `[LOST n EVENTS]` is
//! counted.

mod prefix;

use crate::{DecodeError, Decoder, Pending};
use landtrace_event::kernel::Derived;
use landtrace_event::record::Event;
use landtrace_event::schema::{
    EventKind, Family, FieldId, FieldType, KernelField, Loc, REQUEST_CHANGE_TOPOLOGY, SourceKind, field,
    parse_right,
};
use prefix::{fast_prefix, header};

#[derive(Default)]
pub struct FtraceDecoder {
    lost: u64,
    /// Per event kind, the fields in the order the last line of that kind
    /// had them: the kernel prints them in a fixed order, so a field's
    /// name is compared once instead of looked up.
    plans: Vec<Vec<Planned>>,
    /// Event tokens seen (`landlock_create_ruleset`) and what they name,
    /// so a line's event is found by comparing bytes.
    names: Vec<(Box<[u8]>, Option<EventKind>)>,
}

/// Distinct texts remembered per field (a field's texts repeat:
/// `blockers=read_file`, `blockers=write_file|truncate`, ...).
const MEMO: usize = 4;

/// Values of a field's last few texts: their storage is reused, nothing
/// is allocated once warm.
struct Memo<T> {
    entries: Vec<(Vec<u8>, T)>,
    /// The next entry to replace.
    evict: usize,
}

impl<T: Default> Memo<T> {
    fn new() -> Memo<T> {
        Memo { entries: Vec::new(), evict: 0 }
    }

    /// The value of `text`, computed into cleared storage by `compute` the
    /// first time (an error keeps nothing).
    fn get(&mut self, text: &[u8], compute: impl FnOnce(&mut T) -> Result<(), String>) -> Result<&T, String> {
        if let Some(i) = self.entries.iter().position(|(t, _)| crate::eq(t, text)) {
            return Ok(&self.entries[i].1);
        }
        let i = if self.entries.len() < MEMO {
            self.entries.push((Vec::new(), T::default()));
            self.entries.len() - 1
        } else {
            self.evict = (self.evict + 1) % MEMO;
            self.evict
        };
        let (t, v) = &mut self.entries[i];
        t.clear();
        t.extend_from_slice(text);
        *v = T::default();
        if let Err(e) = compute(v) {
            self.entries.swap_remove(i);
            return Err(e);
        }
        Ok(&self.entries[i].1)
    }
}

/// What to do with one field's value, resolved from the schema when the
/// field is first seen in its place.
#[derive(Clone, Copy)]
enum Act {
    /// A mask at `slots[slot]`; `blockers` may also say `change_topology`.
    Mask {
        slot: u8,
        fam: Family,
        blockers: bool,
    },
    Grants(Family),
    Str(u8),
    /// `ruleset=ID.VERSION`, the version kept where the event has one.
    Ruleset {
        slot: u8,
        version: Option<u8>,
    },
    Id(u8),
    Bool(u8),
    Int(u8),
    /// A type the schema puts where no action stores it (none does today:
    /// a test checks every name), an error rather than a guess.
    Unstorable(FieldId, FieldType),
    Derived(KernelField),
    /// A field landtrace does not know: kept as an extra.
    Extra,
}

impl Act {
    fn of(kind: EventKind, name: &str) -> Act {
        let slot_of = |fid: FieldId| match fid.def().loc {
            Loc::Slot(n) | Loc::Str(n) => Some(n),
            Loc::List => None,
        };
        let Some(k) = kind.kernel_field(name) else { return Act::Extra };
        let KernelField::Is(fid) = k else { return Act::Derived(k) };
        let ty = kind.field_type(fid).expect("kernel_field names fields of the event");
        match (fid.def().loc, ty, slot_of(fid)) {
            (Loc::Slot(_), FieldType::Mask(fam), Some(slot)) => {
                Act::Mask { slot, fam, blockers: fid == field::blockers }
            }
            (Loc::List, FieldType::MaskList(fam), _) => Act::Grants(fam),
            (Loc::Str(_), _, Some(n)) => Act::Str(n),
            (Loc::Slot(_), FieldType::Id, Some(slot)) if fid == field::ruleset => {
                let version = kind.field_type(field::ruleset_version).and(slot_of(field::ruleset_version));
                Act::Ruleset { slot, version }
            }
            (Loc::Slot(_), FieldType::Id, Some(n)) if fid != field::blockers => Act::Id(n),
            (Loc::Slot(_), FieldType::Bool, Some(n)) if fid != field::blockers => Act::Bool(n),
            (Loc::Slot(_), FieldType::Int, Some(n)) if fid != field::blockers => Act::Int(n),
            _ => Act::Unstorable(fid, ty),
        }
    }
}

/// A field name as a kind's lines have it, what it is, and the values of
/// its last mask texts.
struct Planned {
    key: String,
    act: Act,
    masks: Memo<u64>,
    /// `grants={...}` texts and their layers.
    grants: Memo<Vec<u64>>,
}

impl Decoder for FtraceDecoder {
    fn line(&mut self, line: &[u8], out: &mut Pending) -> Result<(), DecodeError> {
        let mut ev = out.slot();
        match self.line_into(line, &mut ev).expect("one event per line") {
            Ok(true) => {
                out.commit(ev);
                Ok(())
            }
            Ok(false) => {
                out.recycle(ev);
                Ok(())
            }
            Err(e) => {
                out.recycle(ev);
                Err(e)
            }
        }
    }

    fn line_into(&mut self, line: &[u8], ev: &mut Event) -> Option<Result<bool, DecodeError>> {
        if self.plans.is_empty() {
            self.plans = (0..landtrace_event::schema::EVENT_COUNT).map(|_| Vec::new()).collect();
        }
        // The common shape, `TASK-PID [CPU] FLAGS TIMESTAMP: landlock_...:`,
        // read in one pass; anything else is split into words.
        let (prefix, start, end) = if let Some(p) = fast_prefix(line) {
            (Some(p), p.token.0, p.token.1)
        } else {
            if let Some(n) = lost_events(line) {
                return Some(
                    n.map(|n| self.lost = self.lost.saturating_add(n)).map(|()| false).map_err(Into::into),
                );
            }
            // Not an event: headers, other events, trace-cmd preamble.
            let Some((start, end)) = event_token(line) else { return Some(Ok(false)) };
            (None, start, end)
        };
        let token = &line[start..end];
        let kind = if let Some((_, kind)) = self.names.iter().find(|(n, _)| crate::eq(n, token)) {
            *kind
        } else {
            let Ok(name) = std::str::from_utf8(token) else {
                return Some(Err("event name is not text".to_string().into()));
            };
            let kind = EventKind::lookup(name);
            // Only names of events are kept: a stream of garbage tokens
            // must not grow the list.
            if kind.is_some() {
                self.names.push((token.into(), kind));
            }
            kind
        };
        let Some(kind) = kind else {
            return Some(Err(format!("unknown Landlock event {}", String::from_utf8_lossy(token)).into()));
        };
        ev.reset(kind, SourceKind::Replay);
        let head = match prefix {
            Some(p) => p.apply(line, ev),
            None => header(line[..start].strip_suffix(b"landlock:").unwrap_or(&line[..start]), ev),
        };
        let result = head.and_then(|()| decode(line, end, kind, ev, &mut self.plans[kind as usize]));
        Some(result.map(|()| true).map_err(Into::into))
    }

    fn lost(&self) -> u64 {
        self.lost
    }
}

/// `CPU:0 [LOST 123 EVENTS]`
/// The count of a `[LOST N EVENTS]` line; an error if N is not a count.
fn lost_events(line: &[u8]) -> Option<Result<u64, String>> {
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"[LOST "));
    let i = FINDER.find(line)?;
    let rest = &line[i + 6..];
    let n = &rest[..rest.iter().position(|b| *b == b' ').unwrap_or(rest.len())];
    Some(
        std::str::from_utf8(n)
            .ok()
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| format!("[LOST ...]: {:?} is not a count of events", String::from_utf8_lossy(n))),
    )
}

/// Byte range of the `landlock_NAME:` token (without the colon).
pub fn event_token(line: &[u8]) -> Option<(usize, usize)> {
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"landlock_"));
    // The first word that starts with `landlock_`, ends with a colon and
    // names something: each `landlock_` found, in order, at a word's start.
    let mut from = 0;
    while let Some(at) = FINDER.find(&line[from..]) {
        let start = from + at;
        let end = memchr::memchr(b' ', &line[start..]).map_or(line.len(), |e| start + e);
        let tok = &line[start..end];
        // `perf script` names the event with its system: `landlock:landlock_NAME:`.
        let word_start = start == 0
            || line[start - 1] == b' '
            || (line[..start].ends_with(b"landlock:") && (start == 9 || line[start - 10] == b' '));
        if word_start && tok.ends_with(b":") && tok.len() > 10 {
            return Some((start, end - 1));
        }
        from = start + 1;
    }
    None
}

/// Where the first space at or after `from` is (or the end).
#[inline]
fn space(b: &[u8], from: usize) -> usize {
    crate::find_byte(b, from, b' ')
}

/// The fields after the event's name (which ends at `end`).
fn decode(
    line: &[u8],
    end: usize,
    kind: EventKind,
    ev: &mut Event,
    plan: &mut Vec<Planned>,
) -> Result<(), String> {
    // The kernel's events do not say which descriptors a ruleset had.
    static FDS: std::sync::LazyLock<Vec<Vec<FieldId>>> = std::sync::LazyLock::new(|| {
        let fds = |k: EventKind| {
            [field::fd, field::ruleset_fd].into_iter().filter(move |&f| k.field_type(f).is_some())
        };
        EventKind::ALL.iter().map(|&k| fds(k).collect()).collect()
    });
    for &f in &FDS[kind as usize] {
        ev.set(f, -1i64 as u64);
    }
    let mut fields = &line[(end + 1).min(line.len())..];
    // `trace-cmd report` and `perf script` (libtraceevent) print the record's
    // own fields where they cannot run the kernel's format: IDs and masks
    // in decimal, `dev` as the kernel's dev_t, arrays as `ARRAY[bytes]`.
    let raw = match crate::trim(fields).strip_prefix(b"[FAILED TO PARSE]") {
        Some(rest) => {
            fields = rest;
            true
        }
        None => false,
    };
    let mut derived = Derived::default();
    let mut i = 0;
    let mut n = 0;
    loop {
        while fields.get(i) == Some(&b' ') {
            i += 1;
        }
        if i >= fields.len() {
            break;
        }
        // The field the last line of this kind had here, compared in
        // place; else the word is split at its `=` and the plan updated.
        let value_at = match plan.get(n) {
            Some(p)
                if fields.get(i..i + p.key.len()).is_some_and(|k| crate::same(k, p.key.as_bytes()))
                    && fields.get(i + p.key.len()) == Some(&b'=') =>
            {
                i + p.key.len() + 1
            }
            _ => {
                let tok = &fields[i..space(fields, i)];
                let Some(eq) = memchr::memchr(b'=', tok) else {
                    return Err(format!("expected key=value, found {:?}", String::from_utf8_lossy(tok)));
                };
                let name = std::str::from_utf8(&tok[..eq]).map_err(|_| "field name is not text")?;
                // The schema says what each of the kernel's names is in this event.
                let planned = Planned {
                    key: name.to_string(),
                    act: Act::of(kind, name),
                    masks: Memo::new(),
                    grants: Memo::new(),
                };
                if n < plan.len() {
                    plan[n] = planned;
                } else {
                    plan.push(planned);
                }
                i + eq + 1
            }
        };
        let planned = &mut plan[n];
        n += 1;
        // A string's end and whether it has escapes, in one scan.
        let (value_end, plain) = if raw && fields[value_at..].starts_with(b"ARRAY[") {
            (memchr::memchr(b']', &fields[value_at..]).map_or(fields.len(), |e| value_at + e + 1), true)
        } else if let Act::Str(_) = planned.act {
            let at = crate::find_either(fields, value_at, b' ', b'\\');
            if fields.get(at) == Some(&b'\\') { (space(fields, at), false) } else { (at, true) }
        } else {
            (space(fields, value_at), false)
        };
        let value = &fields[value_at..value_end];
        i = value_end;
        let key = planned.key.as_str();
        let keyed = |e: String| format!("{key}: {e}");
        if raw {
            match planned.act {
                Act::Mask { slot, .. } | Act::Id(slot) | Act::Ruleset { slot, .. } => {
                    ev.set_slot(usize::from(slot), parse_uint(value, key).map_err(keyed)?);
                    continue;
                }
                Act::Grants(_) => {
                    for g in raw_array(value, 4).map_err(keyed)? {
                        ev.push_grant(g);
                    }
                    continue;
                }
                // `dev`: the kernel's dev_t, MAJOR << 20 | MINOR, as tracefs
                // prints it (`%u:%u`).
                // A string libtraceevent would not print as text (a
                // newline, an escape in it): its bytes, NUL-terminated.
                Act::Str(n) if value.starts_with(b"ARRAY[") => {
                    let bytes: Vec<u8> =
                        raw_array(value, 1).map_err(keyed)?.into_iter().map(|b| b as u8).collect();
                    let text = bytes.strip_suffix(&[0]).unwrap_or(&bytes);
                    ev.set_str_slot(usize::from(n), text);
                    continue;
                }
                Act::Str(n) if usize::from(n) == DEV_SLOT => {
                    let dev = parse_uint(value, key).map_err(keyed)?;
                    ev.set_str_slot(usize::from(n), format!("{}:{}", dev >> 20, dev & 0xf_ffff).as_bytes());
                    continue;
                }
                _ => {}
            }
        }
        match planned.act {
            Act::Mask { blockers: true, .. } if value == b"change_topology" => {
                // `blockers=change_topology`: a mount change, with no mask.
                derived.request = Some(REQUEST_CHANGE_TOPOLOGY);
            }
            Act::Mask { slot, fam, .. } => {
                let bits = planned.masks.get(value, |b| {
                    *b = parse_mask(fam, value)?;
                    Ok(())
                });
                ev.set_slot(usize::from(slot), *bits.map_err(keyed)?);
            }
            Act::Grants(fam) => {
                let layers = planned.grants.get(value, |l| grants(fam, value, l));
                for &g in layers.map_err(keyed)? {
                    ev.push_grant(g);
                }
            }
            Act::Str(n) if plain => ev.set_str_slot(usize::from(n), value),
            Act::Str(n) => ev.set_str_slot(usize::from(n), &unescape(value)),
            Act::Ruleset { slot, version } => {
                // `ruleset=%llx.%u`: the ruleset ID and its version.
                let (id, ver) = match value.iter().position(|b| *b == b'.') {
                    Some(dot) => (&value[..dot], Some(&value[dot + 1..])),
                    None => (value, None),
                };
                ev.set_slot(usize::from(slot), parse_hex(id).map_err(keyed)?);
                if let (Some(v), Some(n)) = (ver, version) {
                    ev.set_slot(usize::from(n), parse_uint(v, "ruleset version").map_err(keyed)?);
                }
            }
            Act::Id(n) => ev.set_slot(usize::from(n), parse_hex(value).map_err(keyed)?),
            Act::Bool(n) => {
                ev.set_slot(usize::from(n), u64::from(parse_uint(value, "bool").map_err(keyed)? != 0));
            }
            Act::Int(n) => ev.set_slot(usize::from(n), parse_uint(value, "number").map_err(keyed)?),
            Act::Unstorable(fid, ty) => {
                return Err(format!("{key}: cannot store {ty} at {:?}", fid.def().loc));
            }
            Act::Derived(KernelField::DenyPort) => derived.port = Some(parse_uint(value, key)?),
            Act::Derived(KernelField::BlockersType) => derived.request = Some(parse_uint(value, key)?),
            Act::Derived(KernelField::LogSameExec) => derived.log_same = Some(parse_uint(value, key)? != 0),
            Act::Derived(KernelField::LogNewExec) => derived.log_new = Some(parse_uint(value, key)? != 0),
            Act::Derived(KernelField::Is(_)) => unreachable!("Act::of resolves named fields"),
            Act::Extra => ev.push_extra(key, &unescape(value)),
        }
    }
    derived.finish(ev, kind);
    Ok(())
}

/// The string slot of `dev` (checked against the schema in a test).
const DEV_SLOT: usize = 0;

/// `ARRAY[04, 00, 00, 00, 04, 00, 00, 00]`: libtraceevent's bytes of an
/// array of `size`-byte little-endian numbers.
fn raw_array(v: &[u8], size: usize) -> Result<Vec<u64>, String> {
    let inner = v.strip_prefix(b"ARRAY[").and_then(|x| x.strip_suffix(b"]")).ok_or("expected ARRAY[...]")?;
    let bytes: Vec<u8> = if inner.is_empty() {
        Vec::new()
    } else {
        inner
            .split(|b| *b == b',')
            .map(|h| {
                digits(crate::trim(h), 16).and_then(|b| u8::try_from(b).ok()).ok_or("bad byte in ARRAY[...]")
            })
            .collect::<Result<_, _>>()?
    };
    if !bytes.len().is_multiple_of(size) {
        return Err(format!("ARRAY[...] of {} bytes is not of {size}-byte numbers", bytes.len()));
    }
    Ok(bytes.chunks(size).map(|c| c.iter().rev().fold(0u64, |n, &b| n << 8 | u64::from(b))).collect())
}

/// `{read_file,,read_file|execute}`: one group per layer, as the kernel
/// prints them (`{}` is one layer that grants nothing: a check always has
/// a layer).
fn grants(fam: Family, v: &[u8], out: &mut Vec<u64>) -> Result<(), String> {
    let inner = v.strip_prefix(b"{").and_then(|x| x.strip_suffix(b"}")).ok_or("expected {...}")?;
    for group in inner.split(|b| *b == b',') {
        out.push(parse_mask(fam, group)?);
    }
    Ok(())
}

#[inline]
fn parse_uint(v: &[u8], what: &str) -> Result<u64, String> {
    // Plain decimal, the usual case, in one pass.
    if !v.is_empty() && v.len() <= 19 {
        let mut n = 0u64;
        let plain = v.iter().all(|&c| {
            let d = c.wrapping_sub(b'0');
            n = n * 10 + u64::from(d);
            d <= 9
        });
        if plain {
            return Ok(n);
        }
    }
    parse_uint_general(v, what)
}

fn parse_uint_general(v: &[u8], what: &str) -> Result<u64, String> {
    let bad = || match std::str::from_utf8(v) {
        Ok(s) => format!("bad number {s:?}"),
        Err(_) => format!("{what} is not a number"),
    };
    if let Some(h) = v.strip_prefix(b"0x") {
        return digits(h, 16).ok_or_else(bad);
    }
    if let Some(neg) = v.strip_prefix(b"-") {
        return digits(neg, 10).map(u64::wrapping_neg).ok_or_else(bad);
    }
    digits(v, 10).ok_or_else(bad)
}

fn parse_hex(v: &[u8]) -> Result<u64, String> {
    let h = v.strip_prefix(b"0x").unwrap_or(v);
    digits(h, 16).ok_or_else(|| match std::str::from_utf8(h) {
        Ok(s) => format!("bad hex ID {s:?}"),
        Err(_) => "not a hex ID".to_string(),
    })
}

/// An unsigned number in `radix` (10 or 16) from bytes, as
/// `u64::from_str_radix` reads it (one optional `+`), without checking
/// the bytes are UTF-8 first.
fn digits(v: &[u8], radix: u32) -> Option<u64> {
    if radix == 16 {
        return crate::hex_u64(v);
    }
    let v = v.strip_prefix(b"+").unwrap_or(v);
    if v.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    if radix == 10 && v.len() <= 19 {
        // Nineteen decimal digits cannot overflow.
        for &c in v {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                return None;
            }
            n = n * 10 + u64::from(d);
        }
        return Some(n);
    }
    for &c in v {
        let d = (c as char).to_digit(radix)?;
        n = n.checked_mul(u64::from(radix))?.checked_add(u64::from(d))?;
    }
    Some(n)
}

/// A mask printed as `name|name`, hex `0x4`, or a mix; empty is 0.
fn parse_mask(family: Family, v: &[u8]) -> Result<u64, String> {
    let s = std::str::from_utf8(v).map_err(|_| "mask is not text")?;
    let mut bits = 0;
    for part in s.split('|').filter(|p| !p.is_empty()) {
        bits |=
            parse_right(family, part).ok_or_else(|| format!("unknown {} right {part:?}", family.short()))?;
    }
    Ok(bits)
}

/// Undoes the kernel's string escapes: `\n \t \\ \" \'`, octal `\ooo`,
/// `\xNN`, and a backslash before any other byte.
pub fn unescape(v: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if crate::find_byte(v, 0, b'\\') == v.len() {
        return std::borrow::Cow::Borrowed(v);
    }
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        if v[i] != b'\\' || i + 1 == v.len() {
            out.push(v[i]);
            i += 1;
            continue;
        }
        let c = v[i + 1];
        i += 2;
        match c {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'v' => out.push(11),
            b'e' => out.push(27),
            b'0'..=b'7' => {
                let mut n = u32::from(c - b'0');
                let mut k = 0;
                while k < 2 && i < v.len() && (b'0'..=b'7').contains(&v[i]) {
                    n = n * 8 + u32::from(v[i] - b'0');
                    i += 1;
                    k += 1;
                }
                out.push(n as u8);
            }
            b'x' if i + 2 <= v.len() && v[i..i + 2].iter().all(u8::is_ascii_hexdigit) => {
                out.push(
                    u8::from_str_radix(std::str::from_utf8(&v[i..i + 2]).expect("hex digits"), 16)
                        .expect("hex"),
                );
                i += 2;
            }
            other => out.push(other),
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Format, decode_all};
    use landtrace_event::schema::Builtin;

    /// Every name the schema gives an event's fields has an action that
    /// stores it.
    #[test]
    fn every_kernel_name_has_an_action() {
        let mut names_seen = 0;
        for kind in EventKind::ALL {
            let def = kind.def();
            let names =
                def.kernel.iter().map(|(n, _)| *n).chain(def.fields.iter().map(|(f, _)| f.def().name));
            for name in names {
                names_seen += 1;
                let act = Act::of(kind, name);
                assert!(!matches!(act, Act::Unstorable(..) | Act::Extra), "{} {name}", kind.name());
            }
        }
        assert!(names_seen > 100, "{names_seen}");
    }

    fn one(line: &str) -> Event {
        let (evs, errs) = decode_all(Format::Ftrace, line.as_bytes());
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(evs.len(), 1, "{line}");
        evs.into_iter().next().unwrap()
    }

    #[test]
    fn documented_examples() {
        let e = one(
            "cat-127 [...] landlock_create_ruleset: ruleset=195cc6b76.0 handled_fs=execute|write_file|read_file handled_net= scoped=",
        );
        assert_eq!(e.kind(), Some(EventKind::CreateRuleset));
        assert_eq!(e.builtin(Builtin::Pid), 127);
        assert_eq!(e.comm(), b"cat");
        assert_eq!(e.get(field::ruleset), 0x195cc6b76);
        assert_eq!(e.get(field::handled_fs), 0b111);
        let e = one(
            "cat-127 [...] landlock_deny_access_fs: domain=195cc6b7c same_exec=0 logged=0 blockers=read_file dev=0:17 ino=5901179 path=/etc/passwd",
        );
        assert_eq!(e.get_str(field::dev), b"0:17");
        assert_eq!(e.get_str(field::path), b"/etc/passwd");
        let e = one("kworker/0:1-11 [...] landlock_free_domain: domain=195cc6b7c denials=1");
        assert_eq!(e.comm(), b"kworker/0:1");
        assert_eq!(e.get(field::denials), 1);
    }

    #[test]
    fn real_header_and_revisions() {
        let e = one(
            "           <...>-4242    [001] d..1.  1234.567890: landlock_add_rule_path_beneath: ruleset=1a.3 access_rights=0x4 dev=254:0 ino=12 path=/tmp/a\\040b\\nc",
        );
        assert_eq!(e.kind(), Some(EventKind::AddRuleFs));
        assert_eq!(
            (e.builtin(Builtin::Pid), e.builtin(Builtin::Cpu), e.header().time()),
            (4242, 1, 1_234_567_890_000)
        );
        assert_eq!(e.get(field::ruleset_version), 3);
        assert_eq!(e.get_str(field::path), b"/tmp/a b\nc");
        let e = one("x-1 [000] .... 1.5: landlock_restrict_self: ruleset=10.2 domain=20 parent=0");
        assert_eq!(e.kind(), Some(EventKind::CreateDomain));
        let e = one(
            "x-1 [000] .... 1.5: landlock_deny_access_net: domain=20 same_exec=1 log_same_exec=1 log_new_exec=0 blockers=connect_tcp sport=0 dport=443 newfield=zz",
        );
        assert_eq!(e.get(field::logged), 1);
        assert_eq!(e.get(field::blockers), 2);
        assert!(e.extras().iter().any(|(k, v)| k == "newfield" && v == b"zz"));
        let e = one(
            "x-1 [000] .... 1.5: landlock_check_rule_inode: domain=20 access_request=read_file dev=1:2 ino=3 grants={read_file,,read_file|execute}",
        );
        assert_eq!(e.grants(), &[4, 0, 5]);
        let e = one(
            "x-1 [000] .... 1.5: landlock_check_rule_inode: domain=20 access_request=read_file dev=1:2 ino=3 grants={}",
        );
        assert_eq!(e.grants(), &[0], "one layer that grants nothing");
    }

    /// `digits` reads numbers as `u64::from_str_radix` does, on both sides
    /// of the lengths where it stops checking for overflow.
    #[test]
    fn digits_is_from_str_radix() {
        for s in [
            "",
            "+",
            "++5",
            "0",
            "+7",
            "-1",
            "9999999999999999999",
            "18446744073709551615",
            "18446744073709551616",
            "00000000000000000000001",
            "12a",
            "1 2",
            "ffffffffffffffff",
            "FFFFFFFFFFFFFFFF",
            "10000000000000000",
            "0000000000000000f",
            "fg",
            "1c1400002",
            "٣",
        ] {
            for radix in [10, 16] {
                assert_eq!(
                    digits(s.as_bytes(), radix),
                    u64::from_str_radix(s, radix).ok(),
                    "{s:?} in base {radix}"
                );
            }
        }
    }

    /// The memo gives each text its own value, past its capacity too, and
    /// keeps nothing of a text that failed.
    #[test]
    fn memo_values_follow_their_texts() {
        let mut m: Memo<u64> = Memo::new();
        let mut computed = 0;
        for round in 0..3 {
            for t in ["a", "bb", "", "ccc", "dddd", "e", "a"] {
                let v = *m
                    .get(t.as_bytes(), |v| {
                        computed += 1;
                        *v = t.len() as u64 * 10 + round;
                        Ok(())
                    })
                    .unwrap();
                assert_eq!(v / 10, t.len() as u64, "{t:?}");
            }
        }
        assert!(computed < 21, "repeated texts are remembered ({computed} computed)");
        assert!(m.get(b"bad", |_| Err("no".into())).is_err());
        assert_eq!(
            *m.get(b"bad", |v| {
                *v = 7;
                Ok(())
            })
            .unwrap(),
            7,
            "a failure is not kept"
        );
    }

    /// Each bad value is named with its field, in whatever place of the
    /// line's plan it comes.
    #[test]
    fn bad_values_are_named() {
        let lines = r"x-1 [000] .... 1.5: landlock_create_ruleset: ruleset=zz.1 handled_fs=read_file handled_net= scoped=
x-1 [000] .... 1.5: landlock_create_ruleset: ruleset=1a.q handled_fs=read_file handled_net= scoped=
x-1 [000] .... 1.5: landlock_create_ruleset: ruleset=1a.2 handled_fs=bogus handled_net= scoped=
x-1 [000] .... 1.5: landlock_deny_access_fs: domain=20 same_exec=x logged=0 blockers=read_file dev=0:17 ino=5 path=/a
x-1 [000] .... 1.5: landlock_deny_access_fs: domain=20 same_exec=1 logged=0 blockers=change_topology dev=0:17 ino=z path=/a
x-1 [000] .... 1.5: landlock_deny_access_fs: domain=20 same_exec=1 logged=0 blockers=read_file dev=0:17 ino=5 path=/a\040b newthing=\x41
x-1 [000] .... 1.5: landlock_check_rule_inode: domain=20 access_request=read_file dev=1:2 ino=3 grants={read_file,,bogus}
x-1 [000] .... 1.5: landlock_check_rule_inode: domain=20 access_request=read_file dev=1:2 ino=3 grants=read_file
x-1 [000] .... 1.5: landlock_free_domain: domain=20 denials=-3
x-1 [000] .... 1.5: landlock_free_domain: domain=20 denials=0x10
x-1 [000] .... 1.5: landlock_free_domain: domain=20 denials
";
        let (evs, errs) = decode_all(Format::Ftrace, lines.as_bytes());
        let msgs: Vec<String> = errs.iter().map(|(_, e)| e.to_string()).collect();
        assert_eq!(
            msgs,
            [
                "ruleset: bad hex ID \"zz\"",
                "ruleset: bad number \"q\"",
                "handled_fs: unknown fs right \"bogus\"",
                "same_exec: bad number \"x\"",
                "ino: bad number \"z\"",
                "grants: unknown fs right \"bogus\"",
                "grants: expected {...}",
                "expected key=value, found \"denials\"",
            ]
        );
        assert_eq!(evs.len(), 3);
        assert_eq!(evs[0].get_str(field::path), b"/a b");
        assert!(evs[0].extras().iter().any(|(k, v)| k == "newthing" && v == b"A"));
        assert_eq!((evs[1].get(field::denials), evs[2].get(field::denials)), (-3i64 as u64, 16));
    }

    #[test]
    fn malformed_lines_are_reported() {
        let (evs, errs) = decode_all(
            Format::Ftrace,
            b"x-1 [000] 1.0: landlock_free_domain: domain=zz denials=1\n# comment\nx-1 [000] 1.0: landlock_bogus: a=1\nx-1 [000] 1.0: sched_switch: prev=a\n",
        );
        assert!(evs.is_empty());
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(errs[0].1.to_string().contains("domain"));
    }
}
