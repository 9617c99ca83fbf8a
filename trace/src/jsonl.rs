//! Decoder for landtrace's own JSON lines (docs/trace-format.md): what
//! `-f json` prints for events and `landtrace record` writes.
//!
//! Lines that are not events (maps, printf output, loss reports) are
//! skipped. Masks are read from `<field>_raw` when present, else from their
//! names; strings from `<field>_hex` when present, so bytes that are not
//! UTF-8 survive the round trip.

use crate::{DecodeError, Decoder, Pending};
use landtrace_event::escape::{json_str_into, unhex};
use landtrace_event::record::{Event, MAYBE_UNKNOWN, UNKNOWN};
use landtrace_event::schema::{
    self, BUILTINS, Builtin, BuiltinLoc, EventKind, FieldId, FieldType, Loc, SourceKind, lookup_constant,
};
use landtrace_event::time::{self, parse_rfc3339};
use landtrace_event::value::{Val, json_names, json_val, push_fmt, scalar_val};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// Version of the JSON event schema (docs/trace-format.md).
pub const JSON_VERSION: u32 = 1;

#[derive(Default)]
pub struct JsonlDecoder {
    /// Scratch for strings with escapes (the fast path).
    buf: Vec<u8>,
    /// Events the `lost` records of the trace say were lost.
    lost: u64,
}

impl Decoder for JsonlDecoder {
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
        let result = match crate::fastjson::decode(line, ev, &mut self.buf) {
            Some(r) => r.map_err(DecodeError::from),
            None => decode_line(line, ev),
        };
        if let Ok(false) = result
            && crate::find(line, b"\"lost\"").is_some()
        {
            match lost_record(line) {
                Ok(n) => self.lost = self.lost.saturating_add(n),
                Err(e) => return Some(Err(e)),
            }
        }
        Some(result)
    }

    fn lost(&self) -> u64 {
        self.lost
    }
}

/// The count of a `{"type":"lost",...}` record (0 for any other line).
fn lost_record(line: &[u8]) -> Result<u64, DecodeError> {
    let Line(pairs) = serde_json::from_slice(line).map_err(DecodeError::Json)?;
    let is_lost = pairs.iter().any(|(k, v)| k == "type" && matches!(v, J::Str(t) if t == "lost"));
    if !is_lost {
        return Ok(0);
    }
    match pairs.iter().find(|(k, _)| k == "count") {
        Some((_, v)) => Ok(as_uint(v, "count")?),
        None => Err("lost: no \"count\" member".into()),
    }
}

/// A JSON value that borrows strings from the line where it can.
#[derive(Debug)]
enum J<'a> {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float,
    Str(Cow<'a, str>),
    Arr(Vec<J<'a>>),
    Obj(Vec<(Cow<'a, str>, J<'a>)>),
}

impl<'de> Deserialize<'de> for J<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = J<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E>(self) -> Result<J<'de>, E> {
                Ok(J::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<J<'de>, E> {
                Ok(J::Bool(b))
            }
            fn visit_i64<E>(self, v: i64) -> Result<J<'de>, E> {
                Ok(J::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<J<'de>, E> {
                Ok(J::UInt(v))
            }
            fn visit_f64<E>(self, _: f64) -> Result<J<'de>, E> {
                Ok(J::Float)
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<J<'de>, E> {
                Ok(J::Str(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<J<'de>, E> {
                Ok(J::Str(Cow::Owned(s.to_string())))
            }
            fn visit_string<E>(self, s: String) -> Result<J<'de>, E> {
                Ok(J::Str(Cow::Owned(s)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<J<'de>, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = a.next_element()? {
                    v.push(x);
                }
                Ok(J::Arr(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<J<'de>, A::Error> {
                let mut v = Vec::new();
                while let Some((k, x)) = a.next_entry::<Key, J>()? {
                    v.push((k.0, x));
                }
                Ok(J::Obj(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// An object key, borrowed where possible.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

/// The whole line as key/value pairs.
struct Line<'a>(Vec<(Cow<'a, str>, J<'a>)>);

impl<'de> Deserialize<'de> for Line<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match J::deserialize(d)? {
            J::Obj(v) => Ok(Line(v)),
            _ => Err(de::Error::custom("a line must be a JSON object")),
        }
    }
}

/// What a JSON value is, for messages.
fn found(v: &J) -> String {
    match v {
        J::Null => "null".into(),
        J::Bool(b) => b.to_string(),
        J::Int(_) | J::UInt(_) | J::Float => "a number".into(),
        J::Str(s) if s.len() <= 40 => format!("the string {:?}", s.as_ref()),
        J::Str(_) => "a string".into(),
        J::Arr(_) => "an array".into(),
        J::Obj(_) => "an object".into(),
    }
}

/// An integer member: a JSON number, never a string.
fn as_int(v: &J, what: &str) -> Result<u64, String> {
    match v {
        J::UInt(u) => Ok(*u),
        J::Int(i) => Ok(*i as u64),
        _ => Err(format!("{what}: expected an integer, found {}", found(v))),
    }
}

/// An ID: a hex string, as landtrace writes them (a number is taken too).
/// A builtin that cannot be negative (pid, uid, time, ...).
fn as_uint(v: &J, what: &str) -> Result<u64, String> {
    match v {
        J::UInt(u) => Ok(*u),
        J::Int(i) if *i >= 0 => Ok(*i as u64),
        J::Int(_) => Err(format!("{what}: expected a non-negative integer, found a negative number")),
        _ => Err(format!("{what}: expected an integer, found {}", found(v))),
    }
}

fn as_id(v: &J, what: &str) -> Result<u64, String> {
    match v {
        J::Str(s) => u64::from_str_radix(s.strip_prefix("0x").unwrap_or(s), 16)
            .map_err(|_| format!("{what}: expected a hex ID, found {}", found(v))),
        J::UInt(u) => Ok(*u),
        _ => Err(format!("{what}: expected a hex ID string, found {}", found(v))),
    }
}

fn as_bool(v: &J, what: &str) -> Result<u64, String> {
    match v {
        J::Bool(b) => Ok(u64::from(*b)),
        _ => Err(format!("{what}: expected true or false, found {}", found(v))),
    }
}

fn as_str<'a>(v: &'a J, what: &str) -> Result<&'a str, String> {
    match v {
        J::Str(s) => Ok(s),
        _ => Err(format!("{what}: expected a string, found {}", found(v))),
    }
}

/// Bits of a mask written as an array of right names (or hex strings).
fn names_to_bits(v: &J, what: &str) -> Result<u64, String> {
    let items = match v {
        J::Arr(items) => items,
        J::UInt(u) => return Ok(*u),
        _ => {
            return Err(format!(
                "{what}: expected an array of right names or an integer, found {}",
                found(v)
            ));
        }
    };
    let mut bits = 0;
    for it in items {
        let name = as_str(it, what)?;
        bits |= match name.strip_prefix("0x") {
            Some(h) => u64::from_str_radix(h, 16).map_err(|_| format!("{what}: bad bits {name:?}"))?,
            None => lookup_constant(name).ok_or_else(|| format!("{what}: unknown right {name:?}"))?.1,
        };
    }
    Ok(bits)
}

/// The fast path alone: `None` when the line is not in the shape landtrace
/// writes (the general decoder, [`decode_line`], then takes it).
pub fn decode_line_fast(line: &[u8], ev: &mut Event) -> Option<Result<bool, DecodeError>> {
    crate::fastjson::decode(line, ev, &mut Vec::new()).map(|r| r.map_err(DecodeError::from))
}

/// Decodes one line into `ev`. `Ok(false)` for a valid line that is not an
/// event.
pub fn decode_line(line: &[u8], ev: &mut Event) -> Result<bool, DecodeError> {
    let Line(pairs) = serde_json::from_slice(line).map_err(DecodeError::Json)?;
    let mut kind = None;
    for (k, v) in &pairs {
        match k.as_ref() {
            "type" if as_str(v, "type")? != "event" => return Ok(false),
            "v" => {
                let ver = as_uint(v, "v")?;
                if ver > u64::from(JSON_VERSION) {
                    return Err(DecodeError::Version { found: ver, reads: JSON_VERSION });
                }
            }
            "event" => {
                let name = as_str(v, "event")?;
                kind = Some(EventKind::lookup(name).ok_or_else(|| format!("unknown event {name:?}"))?);
            }
            _ => {}
        }
    }
    let kind = kind.ok_or("no \"event\" member")?;
    ev.reset(kind, SourceKind::Replay);
    let has_raw = |field: &str| pairs.iter().any(|(k, _)| k.strip_suffix("_raw").is_some_and(|b| b == field));
    // Two passes: plain members first, then the `_raw` and `_hex` members
    // that override them.
    for pass in 0..2 {
        for (k, v) in &pairs {
            let key = k.as_ref();
            let overrides = key.ends_with("_raw") || key.ends_with("_hex") || key == "unknown";
            if overrides != (pass == 1) {
                continue;
            }
            match key {
                "type" | "v" | "event" => {}
                "source" => {
                    let s = as_str(v, "source")?;
                    ev.set_source(SourceKind::lookup(s).unwrap_or(SourceKind::Replay));
                }
                "comm" => ev.set_comm(as_str(v, key)?.as_bytes()),
                "node" => ev.set_node(as_str(v, key)?.as_bytes()),
                "node_hex" => ev.set_node(&unhex(as_str(v, key)?).ok_or("node_hex: not hex")?),
                // Builtins the source did not know (written as 0).
                "unknown" => {
                    let J::Arr(names) = v else { return Err("unknown: expected an array".into()) };
                    for n in names {
                        let name = as_str(n, "unknown")?;
                        let b = MAYBE_UNKNOWN.iter().find(|b| b.name() == name).ok_or_else(|| {
                            format!("unknown: {name:?} is not a builtin a source may not know")
                        })?;
                        ev.set_builtin(*b, UNKNOWN);
                    }
                }
                "comm_hex" => ev.set_comm(&unhex(as_str(v, key)?).ok_or("comm_hex: not hex")?),
                "extra" => {
                    let J::Obj(items) = v else { return Err("extra: expected an object".into()) };
                    for (name, val) in items {
                        let bytes = match val {
                            J::Str(s) => s.as_bytes().to_vec(),
                            J::Obj(o) => match o.as_slice() {
                                [(k, J::Str(h))] if k == "hex" => unhex(h).ok_or("extra: bad hex")?,
                                _ => {
                                    return Err(format!(
                                        "extra {name}: expected a string or {{\"hex\": ...}}"
                                    )
                                    .into());
                                }
                            },
                            _ => return Err(format!("extra {name}: expected a string").into()),
                        };
                        ev.push_extra(name, &bytes);
                    }
                }
                "grants" if has_raw("grants") => {}
                "grants" => {
                    let J::Arr(layers) = v else { return Err("grants: expected an array".into()) };
                    for l in layers {
                        ev.push_grant(names_to_bits(l, "grants")?);
                    }
                }
                "grants_raw" => {
                    let J::Arr(layers) = v else { return Err("grants_raw: expected an array".into()) };
                    let bits: Vec<u64> =
                        layers.iter().map(|l| as_int(l, "grants_raw")).collect::<Result<_, _>>()?;
                    ev.set_grants(&bits);
                }
                _ if let Some(b) = Builtin::lookup(key) => match b.loc {
                    BuiltinLoc::Int(_) => ev.set_builtin(b.builtin, as_uint(v, key)?),
                    BuiltinLoc::WallText(_) => {
                        let s = as_str(v, key)?;
                        let ns = parse_rfc3339(s).ok_or_else(|| format!("{key}: not RFC 3339: {s:?}"))?;
                        ev.set_builtin(b.builtin, ns as u64);
                    }
                    // `event`, `source` and `comm` are read above.
                    BuiltinLoc::EventName | BuiltinLoc::SourceName | BuiltinLoc::Comm | BuiltinLoc::Node => {}
                },
                _ => {
                    let (base, suffix) = match key.rsplit_once('_') {
                        Some((b, s @ ("raw" | "hex"))) if FieldId::lookup(b).is_some() => (b, Some(s)),
                        _ => (key, None),
                    };
                    let Some(fid) = FieldId::lookup(base) else {
                        // A member this version does not know: keep it.
                        if let J::Str(s) = v {
                            ev.push_extra(key, s.as_bytes());
                        }
                        continue;
                    };
                    let Some(ty) = kind.field_type(fid) else {
                        return Err(format!("{key} is not a field of {kind}").into());
                    };
                    match (fid.def().loc, suffix) {
                        (Loc::Slot(_), Some("raw")) => ev.set(fid, as_int(v, key)?),
                        (Loc::Slot(_), None) => {
                            let value = match ty {
                                // The raw integer is authoritative.
                                FieldType::Mask(_) if has_raw(key) => continue,
                                FieldType::Mask(_) => names_to_bits(v, key)?,
                                FieldType::Id => as_id(v, key)?,
                                FieldType::Bool => as_bool(v, key)?,
                                _ => as_int(v, key)?,
                            };
                            ev.set(fid, value);
                        }
                        (Loc::Str(_), Some("hex")) => {
                            ev.set_str(
                                fid,
                                &unhex(as_str(v, key)?).ok_or_else(|| format!("{key}: not hex"))?,
                            );
                        }
                        (Loc::Str(_), None) => ev.set_str(fid, as_str(v, key)?.as_bytes()),
                        _ => return Err(format!("{key}: unexpected member").into()),
                    }
                }
            }
        }
    }
    Ok(true)
}

// Writing: the inverse of the decoder above.

fn json_key(out: &mut Vec<u8>, first: &mut bool, key: &str) {
    json_key_suffixed(out, first, key, "");
}

/// A member's key with a suffix (`path` + `_hex`), written in place.
fn json_key_suffixed(out: &mut Vec<u8>, first: &mut bool, key: &str, suffix: &str) {
    if !*first {
        out.push(b',');
    }
    *first = false;
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(suffix.as_bytes());
    out.extend_from_slice(b"\":");
}

/// Lower-case hex of bytes, appended.
fn push_hex(out: &mut Vec<u8>, v: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for b in v {
        out.extend_from_slice(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
    }
}

/// A string member, with a `<key>_hex` companion when it is not UTF-8.
fn json_bytes_member(out: &mut Vec<u8>, first: &mut bool, key: &str, v: &[u8]) {
    json_key(out, first, key);
    json_str_into(out, v);
    if std::str::from_utf8(v).is_err() {
        json_key_suffixed(out, first, key, "_hex");
        out.push(b'"');
        push_hex(out, v);
        out.push(b'"');
    }
}

/// One event as a JSON object (docs/trace-format.md).
pub fn json_event(out: &mut Vec<u8>, ev: &Event) {
    let rec = ev.header();
    let mut first = true;
    out.push(b'{');
    json_key(out, &mut first, "type");
    out.extend_from_slice(b"\"event\"");
    json_key(out, &mut first, "v");
    push_fmt(out, format_args!("{JSON_VERSION}"));
    // The builtins, in the schema's order.
    for b in BUILTINS {
        match b.loc {
            BuiltinLoc::EventName => {
                json_key(out, &mut first, b.name);
                json_str_into(out, schema::event_name(rec.kind_code()));
            }
            BuiltinLoc::SourceName => {
                json_key(out, &mut first, b.name);
                json_str_into(out, schema::source_name(rec.source_code()));
            }
            BuiltinLoc::Int(_) => {
                json_key(out, &mut first, b.name);
                // Version 1 writes 0 for what the source does not know, and
                // names it in "unknown" (below).
                let v = rec.builtin(b.builtin);
                push_fmt(out, format_args!("{}", if v == UNKNOWN { 0 } else { v }));
            }
            // Only where the source knows the wall-clock time.
            BuiltinLoc::WallText(_) if rec.builtin(b.builtin) == 0 => {}
            BuiltinLoc::WallText(_) => {
                json_key(out, &mut first, b.name);
                // RFC 3339 is plain ASCII: no escaping needed.
                out.push(b'"');
                time::write_rfc3339(out, rec.builtin(b.builtin) as i64);
                out.push(b'"');
            }
            BuiltinLoc::Comm => json_bytes_member(out, &mut first, b.name, ev.comm()),
            // Only where the input named a host.
            BuiltinLoc::Node if ev.node().is_empty() => {}
            BuiltinLoc::Node => json_bytes_member(out, &mut first, b.name, ev.node()),
        }
    }
    if let Some(kind) = ev.kind() {
        for (fid, ty) in kind.def().fields {
            let name = fid.name();
            match (fid.def().loc, *ty) {
                (Loc::Str(_), _) => json_bytes_member(out, &mut first, name, ev.get_str(*fid)),
                (Loc::List, FieldType::MaskList(f)) => {
                    json_key(out, &mut first, name);
                    out.push(b'[');
                    for (i, g) in ev.grants().iter().enumerate() {
                        if i > 0 {
                            out.push(b',');
                        }
                        json_names(out, f, *g);
                    }
                    out.push(b']');
                    json_key_suffixed(out, &mut first, name, "_raw");
                    out.push(b'[');
                    for (i, g) in ev.grants().iter().enumerate() {
                        if i > 0 {
                            out.push(b',');
                        }
                        push_fmt(out, format_args!("{g}"));
                    }
                    out.push(b']');
                }
                (_, FieldType::Mask(f)) => {
                    let bits = ev.get(*fid);
                    json_key(out, &mut first, name);
                    json_names(out, f, bits);
                    json_key_suffixed(out, &mut first, name, "_raw");
                    push_fmt(out, format_args!("{bits}"));
                }
                (_, FieldType::Int) => {
                    json_key(out, &mut first, name);
                    push_fmt(out, format_args!("{}", ev.get(*fid) as i64));
                }
                (_, t) => {
                    json_key(out, &mut first, name);
                    json_val(out, &scalar_val(ev.get(*fid), t));
                }
            }
        }
    }
    if !ev.extras().is_empty() {
        json_key(out, &mut first, "extra");
        out.push(b'{');
        let mut efirst = true;
        for (name, value) in ev.extras() {
            if !efirst {
                out.push(b',');
            }
            efirst = false;
            json_str_into(out, name.as_bytes());
            out.push(b':');
            // Not a `_hex` companion: an extra's name may itself end in `_hex`.
            json_val(out, &Val::Str(value, false));
        }
        out.push(b'}');
    }
    let mut unknown = MAYBE_UNKNOWN.iter().filter(|b| !ev.known(**b)).peekable();
    if unknown.peek().is_some() {
        json_key(out, &mut first, "unknown");
        out.push(b'[');
        for (i, b) in unknown.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            json_str_into(out, b.name().as_bytes());
        }
        out.push(b']');
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use landtrace_event::schema::field;

    /// `<mask>_raw` wins over the names whichever comes first in the object
    /// (docs/trace-format.md), for a mask and for `grants`.
    #[test]
    fn raw_members_win_in_any_order() {
        let base = r#"{"type":"event","v":1,"event":"deny_access_fs","pid":1,"comm":"x","#;
        for members in [
            r#""blockers_raw":4,"blockers":["WRITE_FILE"],"path":"/a""#,
            r#""blockers":["WRITE_FILE"],"blockers_raw":4,"path":"/a""#,
            r#""path":"/a","blockers_raw":4,"blockers":["WRITE_FILE"]"#,
            r#""blockers":["WRITE_FILE"],"path":"/a","blockers_raw":4"#,
        ] {
            let line = format!("{base}{members}}}");
            let mut ev = Event::new();
            assert!(decode_line(line.as_bytes(), &mut ev).unwrap(), "{line}");
            assert_eq!(ev.get(field::blockers), 4, "{line}");
            assert_eq!(ev.get_str(field::path), b"/a", "{line}");
        }
        let base = r#"{"type":"event","v":1,"event":"check_rule_fs","pid":1,"comm":"x","#;
        for members in
            [r#""grants_raw":[4,2],"grants":["WRITE_FILE"]"#, r#""grants":["WRITE_FILE"],"grants_raw":[4,2]"#]
        {
            let line = format!("{base}{members}}}");
            let mut ev = Event::new();
            assert!(decode_line(line.as_bytes(), &mut ev).unwrap(), "{line}");
            assert_eq!(ev.grants(), &[4, 2], "{line}");
        }
    }

    #[test]
    fn round_trip_with_hostile_bytes() {
        let mut ev = Event::new();
        ev.reset(EventKind::DenyAccessFs, SourceKind::Audit);
        ev.set_builtin(Builtin::Pid, 42);
        ev.set_builtin(Builtin::Walltime, 1_795_958_807_045_000_000);
        ev.set_comm(b"cu\xffrl");
        ev.set(field::domain, 0x1c1407c26);
        ev.set(field::blockers, 4 | (1 << 40));
        ev.set(field::logged, 1);
        ev.set_str(field::path, b"/etc/pa ss\n\"wd=\x1b[0m");
        ev.set_str(field::dev, b"vda");
        ev.push_extra("exe", b"/usr/bin/\xfe");
        let mut line = Vec::new();
        json_event(&mut line, &ev);
        let mut back = Event::new();
        assert!(decode_line(&line, &mut back).unwrap(), "{}", String::from_utf8_lossy(&line));
        let mut again = Vec::new();
        json_event(&mut again, &back);
        assert_eq!(String::from_utf8_lossy(&line), String::from_utf8_lossy(&again));
        assert_eq!(back.comm(), b"cu\xffrl");
        assert_eq!(back.get(field::blockers), 4 | (1 << 40));
        assert_eq!(back.get_str(field::path), b"/etc/pa ss\n\"wd=\x1b[0m");
        assert_eq!(back.extras()[0].1, b"/usr/bin/\xfe");
    }

    #[test]
    fn fast_path_agrees_with_the_general_decoder() {
        let demo = include_str!("../../examples/traces/demo.jsonl");
        let mut hostile = Vec::new();
        let mut ev = Event::new();
        ev.reset(EventKind::CheckRuleFs, SourceKind::Tracepoint);
        ev.set_comm(b"\xff \"\\\x01\xf0\x9f\x98\x80");
        ev.set_grants(&[1, 0, 1 << 50]);
        ev.push_extra("exe", b"\xfe");
        ev.push_extra("plain", b"ok");
        json_event(&mut hostile, &ev);
        let lines = demo.lines().map(str::as_bytes).chain([hostile.as_slice()]);
        let mut fast_hits = 0;
        for line in lines {
            let (mut a, mut b) = (Event::new(), Event::new());
            let general = decode_line(line, &mut a).unwrap();
            if let Some(fast) = decode_line_fast(line, &mut b) {
                assert_eq!(fast.unwrap(), general);
                let (mut ja, mut jb) = (Vec::new(), Vec::new());
                json_event(&mut ja, &a);
                json_event(&mut jb, &b);
                assert_eq!(String::from_utf8_lossy(&ja), String::from_utf8_lossy(&jb));
                fast_hits += 1;
            }
        }
        // landtrace's own lines all take the fast path.
        assert_eq!(fast_hits, demo.lines().count() + 1);
    }

    #[test]
    fn non_events_are_skipped_and_errors_named() {
        let mut ev = Event::new();
        assert!(!decode_line(br#"{"type":"map","name":"@","entries":[]}"#, &mut ev).unwrap());
        assert!(
            decode_line(br#"{"event":"nope"}"#, &mut ev).unwrap_err().to_string().contains("unknown event")
        );
        assert!(
            decode_line(br#"{"event":"free_domain","v":9}"#, &mut ev)
                .unwrap_err()
                .to_string()
                .contains("newer")
        );
        assert!(decode_line(b"{\"event\":", &mut ev).unwrap_err().to_string().contains("invalid JSON"));
        assert!(
            decode_line(br#"{"event":"free_domain","path":"x"}"#, &mut ev)
                .unwrap_err()
                .to_string()
                .contains("not a field")
        );
    }
}
