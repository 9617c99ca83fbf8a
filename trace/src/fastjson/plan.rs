//! The plan of each event kind's line as `-f json` writes it: its members
//! in order, each key compared as one literal and each value parsed
//! straight into its slot of the record ([`planned`]).

use super::{P, int_array, stop, unknown};
use crate::same;
use landtrace_event::escape::unhex;
use landtrace_event::record::Event;
use landtrace_event::schema::{BUILTINS, BuiltinLoc, EventKind, FieldType, Loc, SourceKind};
use landtrace_event::time::parse_rfc3339;

/// What one member of a [`Plan`] holds, with where it goes in the record
/// (resolved from the schema when the plan is built).
#[derive(Clone, Copy, Debug)]
enum Val {
    Source,
    /// An unsigned builtin, `header[n]`.
    Header(u8),
    /// RFC 3339 text, `header[n]`.
    Wall(u8),
    Comm,
    CommHex,
    Int(u8),
    Id(u8),
    Bool(u8),
    /// A mask's names: checked to be an array of plain strings, not read,
    /// since its `_raw` member (the next one) is authoritative.
    Names,
    /// A mask's `_raw` integer, `slots[n]`.
    Raw(u8),
    Str(u8),
    StrHex(u8),
    /// `grants`' arrays of names, checked, not read (as [`Val::Names`]).
    Grants,
    GrantsRaw,
}

/// One member as the writer puts it: its key with the comma before it and
/// the colon after (`,"pid":`), compared as one literal.
struct Member {
    key: Box<[u8]>,
    val: Val,
    /// Written only sometimes (`walltime`, `_hex` companions).
    optional: bool,
}

/// The members of one event kind in the order `json_event` writes them.
struct Plan {
    kind: EventKind,
    name: &'static [u8],
    members: Box<[Member]>,
}

/// Everything before the event's name in a line landtrace writes.
const PREFIX: &[u8] = br#"{"type":"event","v":1,"event":""#;

/// A plan per event kind whose fields this fast path reads (all of them
/// today; a kind with a field of another shape gets none and takes the
/// member-by-member path).
fn plans() -> &'static [Plan] {
    static PLANS: std::sync::OnceLock<Box<[Plan]>> = std::sync::OnceLock::new();
    PLANS.get_or_init(|| EventKind::ALL.iter().filter_map(|&k| plan(k)).collect())
}

fn plan(kind: EventKind) -> Option<Plan> {
    let mut members = Vec::new();
    let mut add = |name: &str, suffix: &str, val: Val, optional: bool| {
        let key = format!(",\"{name}{suffix}\":").into_bytes().into_boxed_slice();
        members.push(Member { key, val, optional });
    };
    for b in BUILTINS {
        match b.loc {
            BuiltinLoc::EventName => {}
            BuiltinLoc::SourceName => add(b.name, "", Val::Source, false),
            BuiltinLoc::Int(n) => add(b.name, "", Val::Header(n), false),
            BuiltinLoc::WallText(n) => add(b.name, "", Val::Wall(n), true),
            BuiltinLoc::Comm => {
                add(b.name, "", Val::Comm, false);
                add(b.name, "_hex", Val::CommHex, true);
            }
            // Written only where the input named a host: such lines take
            // the member-by-member path.
            BuiltinLoc::Node => {}
        }
    }
    for &(fid, ty) in kind.def().fields {
        let name = fid.name();
        match (fid.def().loc, ty) {
            (Loc::Slot(n), FieldType::Mask(_)) => {
                add(name, "", Val::Names, false);
                add(name, "_raw", Val::Raw(n), false);
            }
            (Loc::Slot(n), FieldType::Id) => add(name, "", Val::Id(n), false),
            (Loc::Slot(n), FieldType::Bool) => add(name, "", Val::Bool(n), false),
            (Loc::Slot(n), FieldType::Int) => add(name, "", Val::Int(n), false),
            (Loc::Str(n), _) => {
                add(name, "", Val::Str(n), false);
                add(name, "_hex", Val::StrHex(n), true);
            }
            (Loc::List, FieldType::MaskList(_)) => {
                add(name, "", Val::Grants, false);
                add(name, "_raw", Val::GrantsRaw, false);
            }
            _ => return None,
        }
    }
    Some(Plan { kind, name: kind.name().as_bytes(), members: members.into_boxed_slice() })
}

/// Whether `lit` is at `b[i..]`.
#[inline(always)]
fn at(b: &[u8], i: usize, lit: &[u8]) -> bool {
    b.get(i..i + lit.len()).is_some_and(|s| same(s, lit))
}

/// Decodes a line exactly as landtrace writes it, by its kind's plan:
/// each member's key is compared as one literal where the writer puts it,
/// and its value parsed straight into its slot. `None` at the first
/// difference (the member-by-member path then reads the line again).
#[inline(always)]
pub(super) fn planned(line: &[u8], ev: &mut Event, buf: &mut Vec<u8>) -> Option<()> {
    if !at(line, 0, PREFIX) {
        return None;
    }
    let start = PREFIX.len();
    let end = stop(line, start)?;
    let name = &line[start..end];
    let plan = plans().iter().find(|p| p.name.len() == name.len() && same(p.name, name))?;
    if line[end] != b'"' {
        return None;
    }
    ev.reset(plan.kind, SourceKind::Replay);
    let mut p = P { b: line, i: end + 1 };
    for m in &plan.members {
        if !at(line, p.i, &m.key) {
            if m.optional {
                continue;
            }
            return None;
        }
        p.i += m.key.len();
        match m.val {
            Val::Source => {
                let s = p.plain_str()?;
                let source = if s == b"replay" {
                    SourceKind::Replay
                } else {
                    SourceKind::lookup(std::str::from_utf8(s).ok()?).unwrap_or(SourceKind::Replay)
                };
                ev.set_source(source);
            }
            Val::Header(n) => ev.set_header(usize::from(n), p.uint_here()?),
            Val::Wall(n) => {
                let s = std::str::from_utf8(p.plain_str()?).ok()?;
                ev.set_header(usize::from(n), parse_rfc3339(s)? as u64);
            }
            Val::Comm => {
                let s = p.string(buf)?;
                ev.set_comm(s);
            }
            Val::CommHex => ev.set_comm(&unhex(std::str::from_utf8(p.plain_str()?).ok()?)?),
            Val::Int(n) | Val::Raw(n) => ev.set_slot(usize::from(n), p.int_here()?),
            Val::Id(n) => ev.set_slot(usize::from(n), crate::hex_u64(p.plain_str()?)?),
            Val::Bool(n) => ev.set_slot(usize::from(n), u64::from(p.boolean()?)),
            Val::Names => p.names_here()?,
            Val::Str(n) => {
                let s = p.string(buf)?;
                ev.set_str_slot(usize::from(n), s);
            }
            Val::StrHex(n) => {
                let s = std::str::from_utf8(p.plain_str()?).ok()?;
                ev.set_str_slot(usize::from(n), &unhex(s)?);
            }
            Val::Grants => p.name_lists_here()?,
            Val::GrantsRaw => {
                ev.set_grants(&[]);
                int_array(&mut p, ev)?;
            }
        }
    }
    // What the source did not know comes last.
    if at(line, p.i, b",\"unknown\":") {
        p.i += 11;
        unknown(&mut p, ev)?;
    }
    (line.get(p.i) == Some(&b'}') && p.i + 1 == line.len()).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fastjson::{by_member, decode};
    use crate::jsonl::json_event;
    use landtrace_event::schema::Builtin;

    /// An event of `kind` with every field set to something unusual: big
    /// and negative integers, masks with unknown bits, strings that need
    /// escapes or are not UTF-8.
    fn sample(kind: EventKind, seed: u64) -> Event {
        let mut ev = Event::new();
        ev.reset(kind, SourceKind::ALL[seed as usize % SourceKind::ALL.len()]);
        ev.set_builtin(Builtin::Time, 5_000_000_000_000 + seed);
        if seed % 2 == 1 {
            ev.set_builtin(Builtin::Walltime, 1_795_958_807_045_000_000 + seed);
        }
        ev.set_builtin(Builtin::Pid, u64::from(u32::MAX) + seed);
        ev.set_comm(if seed.is_multiple_of(3) { b"cu\xffrl" } else { b"a \"q\"\n" });
        for (i, &(fid, ty)) in kind.def().fields.iter().enumerate() {
            let v = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(i as u32);
            match ty {
                FieldType::Str => {
                    ev.set_str(fid, if v.is_multiple_of(2) { b"/etc/\xfe\x01" } else { b"/usr/lib" });
                }
                FieldType::MaskList(_) => ev.set_grants(&[v, 0, v >> 7]),
                FieldType::Bool => ev.set(fid, v & 1),
                FieldType::Int if v.is_multiple_of(2) => ev.set(fid, (-(v as i64 >> 20)) as u64),
                _ => ev.set(fid, v),
            }
        }
        ev
    }

    /// Every kind has a plan, every line the writer produces takes it,
    /// and it decodes what the member-by-member path decodes.
    #[test]
    fn the_writers_lines_take_the_plan() {
        assert_eq!(plans().len(), EventKind::ALL.len());
        let mut buf = Vec::new();
        for kind in EventKind::ALL {
            for seed in 0..6 {
                let mut line = Vec::new();
                json_event(&mut line, &sample(kind, seed));
                let text = String::from_utf8_lossy(&line).into_owned();
                let mut a = Event::new();
                assert!(planned(&line, &mut a, &mut buf).is_some(), "not planned: {text}");
                let mut b = Event::new();
                assert_eq!(by_member(&line, &mut b, &mut buf), Some(Ok(true)), "{text}");
                let (mut ja, mut jb) = (Vec::new(), Vec::new());
                json_event(&mut ja, &a);
                json_event(&mut jb, &b);
                assert_eq!(String::from_utf8_lossy(&ja), text);
                assert_eq!(String::from_utf8_lossy(&jb), text);
            }
        }
    }

    /// A line that differs from the plan anywhere is declined by it (and
    /// read member by member).
    #[test]
    fn the_plan_declines_what_differs() {
        let mut line = Vec::new();
        json_event(&mut line, &sample(EventKind::DenyAccessFs, 2));
        let text = String::from_utf8(line).unwrap();
        let mut ev = Event::new();
        let mut buf = Vec::new();
        for variant in [
            text.replacen(",\"pid\":", ", \"pid\":", 1),
            text.replacen(",\"pid\":", ",\"pid\": ", 1),
            text.replacen(",\"ino\":", ",\"ino\":\t", 1),
            text.replacen("[\"", "[ \"", 1),
            text.replacen("\"]", "\" ]", 1),
            text.replacen('}', ",\"extra\":{\"exe\":\"x\"}}", 1),
            text.replacen("\"event\",\"v\":1", "\"event\",\"v\":2", 1),
            format!("{text} "),
            text.replacen(",\"blockers_raw\":", ",\"blockerz_raw\":", 1),
        ] {
            assert!(planned(variant.as_bytes(), &mut ev, &mut buf).is_none(), "{variant}");
            // What the plan declines is still read, member by member.
            let mut a = Event::new();
            let mut b = Event::new();
            assert_eq!(
                decode(variant.as_bytes(), &mut a, &mut buf),
                by_member(variant.as_bytes(), &mut b, &mut buf)
            );
            let (mut ja, mut jb) = (Vec::new(), Vec::new());
            json_event(&mut ja, &a);
            json_event(&mut jb, &b);
            assert_eq!(ja, jb, "{variant}");
        }
    }
}
