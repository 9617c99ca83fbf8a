//! A fast path for the JSON lines landtrace writes itself.
//!
//! Replaying a recorded trace is mostly JSON parsing, so the common case,
//! a line in the key order `-f json` writes (`type`, `v`, `event` first,
//! `_raw`/`_hex` companions right after their field), is decoded in one
//! pass over the bytes, straight into the event, without allocating. Any
//! surprise (another key order, a float, a nested object other than
//! `extra`, bad syntax) returns `None` and the general serde decoder takes
//! the line, so its results and error messages are the only ones users see.
//!
//! The helpers are `#[inline(always)]`: with every member's parse inlined
//! into [`decode`], a line costs a fifth fewer instructions (cachegrind,
//! `bench/throughput.sh`'s files).
#![allow(
    clippy::inline_always,
    reason = "measured: the helpers inlined into decode cut a fifth of its instructions"
)]

mod plan;

use crate::same;
use landtrace_event::escape::unhex;
use landtrace_event::record::Event;
use landtrace_event::schema::{BUILTINS, BuiltinLoc};
use landtrace_event::schema::{EventKind, FieldId, FieldType, Loc, SourceKind, lookup_constant};
use landtrace_event::time::parse_rfc3339;
use plan::planned;

/// Bytes that end a plain JSON string: the quote, a backslash, and the
/// control characters JSON forbids raw.
static STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// Where the first byte at or after `start` that ends a plain string is
/// (see [`STOP`]), eight bytes at a time.
#[inline(always)]
fn stop(b: &[u8], start: usize) -> Option<usize> {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let mut i = start;
    while let Some(chunk) = b.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        // A quote, a backslash, or a byte below 0x20. Each test's lowest
        // flagged byte is exact (only bytes above it can be flagged by a
        // borrow), so the lowest of all is the first stop.
        let m = zero(w ^ (ONES * u64::from(b'"')))
            | zero(w ^ (ONES * u64::from(b'\\')))
            | (w.wrapping_sub(ONES * 0x20) & !w & HIGH);
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b[i..].iter().position(|&c| STOP[c as usize]).map(|p| i + p)
}

const ONES: u64 = 0x0101_0101_0101_0101;

struct P<'a> {
    b: &'a [u8],
    i: usize,
}

/// A mask given by names, resolved only if no `_raw` member follows.
struct PendingNames {
    field: FieldId,
    ty: FieldType,
    start: usize,
    end: usize,
}

impl<'a> P<'a> {
    /// Skips whitespace (landtrace writes none: the first test is the
    /// common case).
    #[inline(always)]
    fn ws(&mut self) {
        if self.b.get(self.i).is_some_and(|&c| c > b' ') {
            return;
        }
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\r' | b'\n') {
            self.i += 1;
        }
    }

    #[inline(always)]
    fn eat(&mut self, c: u8) -> Option<()> {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            return Some(());
        }
        self.ws();
        (self.b.get(self.i) == Some(&c)).then(|| self.i += 1)
    }

    #[inline(always)]
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    /// A string without escapes, borrowed; `None` if it has any.
    #[inline(always)]
    fn plain_str(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let start = self.i;
        let end = stop(self.b, start)?;
        if self.b[end] != b'"' {
            return None;
        }
        self.i = end + 1;
        Some(&self.b[start..end])
    }

    /// Whether the next member's key is `name` (then skipped with its
    /// colon): the key the writer's order says comes next is compared in
    /// place, without scanning it.
    #[inline(always)]
    fn key_is(&mut self, name: &[u8]) -> bool {
        let b = self.b;
        let (i, n) = (self.i, name.len());
        if b.get(i) == Some(&b'"')
            && b.get(i + 1..i + 1 + n).is_some_and(|k| same(k, name))
            && b.get(i + 1 + n) == Some(&b'"')
            && b.get(i + 2 + n) == Some(&b':')
        {
            self.i = i + 3 + n;
            return true;
        }
        false
    }

    /// Like [`P::key_is`] for `name` followed by `suffix` (`_raw`, `_hex`).
    #[inline(always)]
    fn key_is2(&mut self, name: &[u8], suffix: &[u8]) -> bool {
        let b = self.b;
        let (i, n, m) = (self.i, name.len(), suffix.len());
        if b.get(i) == Some(&b'"')
            && b.get(i + 1..i + 1 + n).is_some_and(|k| same(k, name))
            && b.get(i + 1 + n..i + 1 + n + m).is_some_and(|k| same(k, suffix))
            && b.get(i + 1 + n + m) == Some(&b'"')
            && b.get(i + 2 + n + m) == Some(&b':')
        {
            self.i = i + 3 + n + m;
            return true;
        }
        false
    }

    /// A string, with JSON escapes decoded into `buf` when it has any.
    #[inline(always)]
    fn string<'s>(&'s mut self, buf: &'s mut Vec<u8>) -> Option<&'s [u8]> {
        self.ws();
        let save = self.i;
        if let Some(s) = self.plain_str() {
            return Some(s);
        }
        self.i = save;
        self.eat(b'"')?;
        buf.clear();
        loop {
            let c = *self.b.get(self.i)?;
            self.i += 1;
            match c {
                b'"' => return Some(buf),
                b'\\' => {
                    let e = *self.b.get(self.i)?;
                    self.i += 1;
                    match e {
                        b'"' | b'\\' | b'/' => buf.push(e),
                        b'n' => buf.push(b'\n'),
                        b't' => buf.push(b'\t'),
                        b'r' => buf.push(b'\r'),
                        b'b' => buf.push(8),
                        b'f' => buf.push(12),
                        b'u' => {
                            let cp = self.hex4()?;
                            let ch = if (0xd800..0xdc00).contains(&cp) {
                                if self.b.get(self.i..self.i + 2)? != b"\\u" {
                                    return None;
                                }
                                self.i += 2;
                                let lo = self.hex4()?;
                                if !(0xdc00..0xe000).contains(&lo) {
                                    return None;
                                }
                                char::from_u32(0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00))?
                            } else {
                                char::from_u32(cp)?
                            };
                            let mut tmp = [0u8; 4];
                            buf.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
                        }
                        _ => return None,
                    }
                }
                c if c < 0x20 => return None,
                c => buf.push(c),
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = self.b.get(self.i..self.i + 4)?;
        self.i += 4;
        u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
    }

    /// An integer (no fraction or exponent), as u64 bits.
    #[inline(always)]
    fn int(&mut self) -> Option<u64> {
        self.ws();
        self.int_here()
    }

    /// [`P::int`] right at the cursor (a plan's value follows its key's
    /// colon; a space there is a difference from the plan).
    #[inline(always)]
    fn int_here(&mut self) -> Option<u64> {
        let b = self.b;
        let neg = b.get(self.i) == Some(&b'-');
        let start = self.i + usize::from(neg);
        let first = b.get(start)?.wrapping_sub(b'0');
        if first > 9 {
            return None;
        }
        let mut v = u64::from(first);
        let mut i = start + 1;
        if first == 0 {
            // JSON numbers have no leading zeros; serde reads -0 as a float.
            if neg || b.get(i).is_some_and(u8::is_ascii_digit) {
                return None;
            }
        } else {
            // Nineteen digits cannot overflow; longer numbers are checked.
            let unchecked = b.len().min(start + 19);
            while i < unchecked {
                let d = b[i].wrapping_sub(b'0');
                if d > 9 {
                    break;
                }
                v = v * 10 + u64::from(d);
                i += 1;
            }
            while let Some(&c @ b'0'..=b'9') = b.get(i) {
                v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
                i += 1;
            }
        }
        if matches!(b.get(i), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        self.i = i;
        Some(if neg { v.wrapping_neg() } else { v })
    }

    /// A non-negative integer (a negative one goes to the general decoder,
    /// which reports it).
    #[inline(always)]
    fn uint(&mut self) -> Option<u64> {
        self.ws();
        self.uint_here()
    }

    /// [`P::uint`] right at the cursor.
    #[inline(always)]
    fn uint_here(&mut self) -> Option<u64> {
        if self.b.get(self.i) == Some(&b'-') {
            return None;
        }
        self.int_here()
    }

    fn boolean(&mut self) -> Option<bool> {
        self.ws();
        if self.b[self.i..].starts_with(b"true") {
            self.i += 4;
            Some(true)
        } else if self.b[self.i..].starts_with(b"false") {
            self.i += 5;
            Some(false)
        } else {
            None
        }
    }

    /// Skips an array of plain strings written without whitespace, right at
    /// the cursor (a plan's mask names); `None` for anything else.
    #[inline(always)]
    fn names_here(&mut self) -> Option<()> {
        let b = self.b;
        if b.get(self.i) != Some(&b'[') {
            return None;
        }
        let mut i = self.i + 1;
        if b.get(i) == Some(&b']') {
            self.i = i + 1;
            return Some(());
        }
        loop {
            if b.get(i) != Some(&b'"') {
                return None;
            }
            let end = stop(b, i + 1)?;
            if b[end] != b'"' {
                return None;
            }
            match b.get(end + 1) {
                Some(b',') => i = end + 2,
                Some(b']') => {
                    self.i = end + 2;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// `[[names], [names], ...]` written without whitespace (`grants`).
    #[inline(always)]
    fn name_lists_here(&mut self) -> Option<()> {
        if self.b.get(self.i) != Some(&b'[') {
            return None;
        }
        self.i += 1;
        if self.b.get(self.i) == Some(&b']') {
            self.i += 1;
            return Some(());
        }
        loop {
            self.names_here()?;
            match self.b.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Skips an array of plain strings, returning its byte range.
    fn skip_names(&mut self) -> Option<(usize, usize)> {
        self.eat(b'[')?;
        let start = self.i;
        if self.eat(b']').is_some() {
            return Some((start, start));
        }
        loop {
            self.plain_str()?;
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some((start, self.i - 1));
                }
                _ => return None,
            }
        }
    }
}

fn names_bits(b: &[u8]) -> Option<u64> {
    let mut bits = 0;
    for part in b.split(|c| *c == b',') {
        let part = part.trim_ascii();
        if part.is_empty() {
            continue;
        }
        let name = std::str::from_utf8(part.strip_prefix(b"\"")?.strip_suffix(b"\"")?).ok()?;
        bits |= match name.strip_prefix("0x") {
            Some(h) => u64::from_str_radix(h, 16).ok()?,
            None => lookup_constant(name)?.1,
        };
    }
    Some(bits)
}

/// Decodes a line written by landtrace. `None`: let the general decoder
/// handle it. `Some(Ok(false))`: a valid line that is not an event.
pub fn decode(line: &[u8], ev: &mut Event, buf: &mut Vec<u8>) -> Option<Result<bool, String>> {
    // JSON text is UTF-8; the general decoder rejects anything else.
    if !line.is_ascii() {
        std::str::from_utf8(line).ok()?;
    }
    if planned(line, ev, buf).is_some() {
        return Some(Ok(true));
    }
    by_member(line, ev, buf)
}

/// Member by member, in any order the writer might have used, for lines
/// that differ from the plan (an `extra` object, whitespace, another key
/// order).
fn by_member(line: &[u8], ev: &mut Event, buf: &mut Vec<u8>) -> Option<Result<bool, String>> {
    let mut p = P { b: line, i: 0 };
    p.eat(b'{')?;
    // `type`, `v` and `event` lead in landtrace's own lines.
    if p.plain_str()? != b"type" {
        return None;
    }
    p.eat(b':')?;
    if p.plain_str()? != b"event" {
        return None;
    }
    p.eat(b',')?;
    if p.plain_str()? != b"v" {
        return None;
    }
    p.eat(b':')?;
    if p.int()? != 1 {
        return None;
    }
    p.eat(b',')?;
    if p.plain_str()? != b"event" {
        return None;
    }
    p.eat(b':')?;
    let kind = EventKind::lookup(std::str::from_utf8(p.plain_str()?).ok()?)?;
    ev.reset(kind, SourceKind::Replay);
    let fields = kind.def().fields;
    let mut next_field = 0usize;
    let mut pending: Option<PendingNames> = None;
    let mut last: Option<(FieldId, FieldType)> = None;
    // Builtins come in the table's order too (after `event`, read above).
    let mut next_builtin = 1usize;
    loop {
        match p.peek()? {
            b'}' => break,
            b',' => p.i += 1,
            _ => return None,
        }
        p.ws();
        // The writer's order: the next field, its companion, the next
        // builtin, compared in place.
        if pending.is_none() {
            if let Some(&(fid, ty)) = fields.get(next_field)
                && p.key_is(fid.name().as_bytes())
            {
                next_field += 1;
                last = Some((fid, ty));
                field(&mut p, ev, buf, fid, ty, None, &mut pending)?;
                continue;
            }
            if let Some((fid, ty)) = last {
                let name = fid.name().as_bytes();
                if p.key_is2(name, b"_raw") {
                    field(&mut p, ev, buf, fid, ty, Some("raw"), &mut pending)?;
                    continue;
                }
            }
            if let Some(b) = BUILTINS.get(next_builtin)
                && p.key_is(b.name.as_bytes())
            {
                next_builtin += 1;
                builtin(&mut p, ev, buf, b)?;
                continue;
            }
        } else if let Some(pn) = &pending
            && p.key_is2(pn.field.name().as_bytes(), b"_raw")
        {
            // A mask's names, then its raw value: the names need not be read.
            let (fid, ty) = (pn.field, pn.ty);
            pending = None;
            field(&mut p, ev, buf, fid, ty, Some("raw"), &mut pending)?;
            continue;
        }
        let key = p.plain_str()?;
        p.eat(b':')?;
        if let Some(pn) = pending.take() {
            let raw = key.strip_suffix(b"_raw").is_some_and(|b| b == pn.field.name().as_bytes());
            if !raw {
                ev.set(pn.field, names_bits(&line[pn.start..pn.end])?);
            }
        }
        // Fields come in schema order, each followed by its `_raw`/`_hex`
        // companion: try those before anything else.
        if let Some(&(fid, ty)) = fields.get(next_field).filter(|(f, _)| f.name().as_bytes() == key) {
            next_field += 1;
            last = Some((fid, ty));
            field(&mut p, ev, buf, fid, ty, None, &mut pending)?;
            continue;
        }
        if let Some((fid, ty)) = last.filter(|(f, _)| is_companion(key, f.name())) {
            let suffix = if key.ends_with(b"_raw") { "raw" } else { "hex" };
            field(&mut p, ev, buf, fid, ty, Some(suffix), &mut pending)?;
            continue;
        }
        if let Some(i) =
            BUILTINS.get(next_builtin..).and_then(|r| r.iter().position(|b| b.name.as_bytes() == key))
        {
            let b = &BUILTINS[next_builtin + i];
            next_builtin += i + 1;
            builtin(&mut p, ev, buf, b)?;
            continue;
        }
        match key {
            b"comm_hex" => ev.set_comm(&unhex(std::str::from_utf8(p.plain_str()?).ok()?)?),
            b"extra" => extra(&mut p, ev, buf)?,
            b"unknown" => unknown(&mut p, ev)?,
            _ => {
                let k = std::str::from_utf8(key).ok()?;
                let (base, suffix) = match k.rsplit_once('_') {
                    Some((b, s @ ("raw" | "hex"))) if FieldId::lookup(b).is_some() => (b, Some(s)),
                    _ => (k, None),
                };
                // A `_raw` member anywhere but right after its names (which
                // it overrides, whichever comes first): the general decoder.
                if suffix == Some("raw") {
                    return None;
                }
                let fid = FieldId::lookup(base)?;
                field(&mut p, ev, buf, fid, kind.field_type(fid)?, suffix, &mut pending)?;
            }
        }
    }
    if let Some(pn) = pending {
        ev.set(pn.field, names_bits(&line[pn.start..pn.end])?);
    }
    p.i += 1;
    p.ws();
    (p.i == line.len()).then_some(Ok(true))
}

/// `"unknown": ["uid", ...]`: builtins the source did not know.
fn unknown(p: &mut P, ev: &mut Event) -> Option<()> {
    array(p, |p| {
        let name = p.plain_str()?;
        let b = landtrace_event::record::MAYBE_UNKNOWN.iter().find(|b| b.name().as_bytes() == name)?;
        ev.set_builtin(*b, landtrace_event::record::UNKNOWN);
        Some(())
    })
}

/// One builtin's value.
#[inline(always)]
fn builtin(
    p: &mut P,
    ev: &mut Event,
    buf: &mut Vec<u8>,
    b: &landtrace_event::schema::BuiltinDef,
) -> Option<()> {
    match b.loc {
        BuiltinLoc::Int(_) => ev.set_builtin(b.builtin, p.uint()?),
        BuiltinLoc::WallText(_) => {
            let s = std::str::from_utf8(p.plain_str()?).ok()?;
            ev.set_builtin(b.builtin, parse_rfc3339(s)? as u64);
        }
        BuiltinLoc::SourceName => {
            let s = std::str::from_utf8(p.plain_str()?).ok()?;
            ev.set_source(SourceKind::lookup(s).unwrap_or(SourceKind::Replay));
        }
        BuiltinLoc::Comm => {
            let s = p.string(buf)?;
            ev.set_comm(s);
        }
        BuiltinLoc::Node => {
            let s = p.string(buf)?;
            ev.set_node(s);
        }
        // A second `event`: not this writer's line.
        BuiltinLoc::EventName => return None,
    }
    Some(())
}

fn is_companion(key: &[u8], name: &str) -> bool {
    key.len() == name.len() + 4
        && key.starts_with(name.as_bytes())
        && (key.ends_with(b"_raw") || key.ends_with(b"_hex"))
}

/// One schema field's value (or its `_raw`/`_hex` companion).
#[inline(always)]
fn field(
    p: &mut P,
    ev: &mut Event,
    buf: &mut Vec<u8>,
    fid: FieldId,
    ty: FieldType,
    suffix: Option<&str>,
    pending: &mut Option<PendingNames>,
) -> Option<()> {
    match (fid.def().loc, ty, suffix) {
        (Loc::Slot(_), FieldType::Mask(_), None) => {
            let (start, end) = p.skip_names()?;
            *pending = Some(PendingNames { field: fid, ty, start, end });
        }
        (Loc::Slot(_), FieldType::Mask(_), Some("raw")) => ev.set(fid, p.int()?),
        (Loc::Slot(_), FieldType::Id, None) => ev.set(fid, crate::hex_u64(p.plain_str()?)?),
        (Loc::Slot(_), FieldType::Bool, None) => ev.set(fid, u64::from(p.boolean()?)),
        (Loc::Slot(_), FieldType::Int, None) => ev.set(fid, p.int()?),
        (Loc::Str(_), _, None) => {
            let s = p.string(buf)?;
            ev.set_str(fid, s);
        }
        (Loc::Str(_), _, Some("hex")) => {
            let s = std::str::from_utf8(p.plain_str()?).ok()?;
            ev.set_str(fid, &unhex(s)?);
        }
        (Loc::List, _, None) => grants(p, ev)?,
        (Loc::List, _, Some("raw")) => {
            ev.set_grants(&[]);
            int_array(p, ev)?;
        }
        _ => return None,
    }
    Some(())
}

/// A JSON array, each element read by `item`.
fn array(p: &mut P, mut item: impl FnMut(&mut P) -> Option<()>) -> Option<()> {
    p.eat(b'[')?;
    if p.eat(b']').is_some() {
        return Some(());
    }
    loop {
        item(p)?;
        match p.peek()? {
            b',' => p.i += 1,
            b']' => {
                p.i += 1;
                return Some(());
            }
            _ => return None,
        }
    }
}

/// `"grants": ["READ_FILE|READ_DIR", ...]`
fn grants(p: &mut P, ev: &mut Event) -> Option<()> {
    array(p, |p| {
        let (s, e) = p.skip_names()?;
        ev.push_grant(names_bits(&p.b[s..e])?);
        Some(())
    })
}

/// `"grants": [6, 2]`
fn int_array(p: &mut P, ev: &mut Event) -> Option<()> {
    array(p, |p| {
        ev.push_grant(p.int()?);
        Some(())
    })
}

/// `"extra": {"name": "value", "other": {"hex": "..."}}`
fn extra(p: &mut P, ev: &mut Event, buf: &mut Vec<u8>) -> Option<()> {
    p.eat(b'{')?;
    if p.eat(b'}').is_some() {
        return Some(());
    }
    loop {
        let name = String::from_utf8(p.string(buf)?.to_vec()).ok()?;
        p.eat(b':')?;
        if p.peek()? == b'{' {
            p.i += 1;
            if p.plain_str()? != b"hex" {
                return None;
            }
            p.eat(b':')?;
            let bytes = unhex(std::str::from_utf8(p.plain_str()?).ok()?)?;
            p.eat(b'}')?;
            ev.push_extra(&name, &bytes);
        } else {
            let v = p.string(buf)?.to_vec();
            ev.push_extra(&name, &v);
        }
        match p.peek()? {
            b',' => p.i += 1,
            b'}' => {
                p.i += 1;
                return Some(());
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod hex_tests {
    /// Reads IDs as `u64::from_str_radix(s, 16)` does.
    #[test]
    fn hex_is_from_str_radix() {
        for s in [
            "0",
            "+1f",
            "1c1400002",
            "FFFFFFFFFFFFFFFF",
            "10000000000000000",
            "00000000000000000001",
            "",
            "+",
            "-1",
            "0+5",
            "g",
            "ab cd",
        ] {
            assert_eq!(crate::hex_u64(s.as_bytes()), u64::from_str_radix(s, 16).ok(), "{s:?}");
        }
    }
}

#[cfg(test)]
mod int_tests {
    use super::P;

    /// Integers agree with `str::parse` at every length, at the end of
    /// the buffer and away from it, and overflow is refused.
    #[test]
    fn integers_match_parse() {
        let mut cases: Vec<String> = vec!["0".into(), "-0".into(), "007".into(), "-1".into()];
        let mut x: u64 = 1;
        for _ in 0..20 {
            cases.push(x.to_string());
            cases.push((x - 1).max(1).to_string());
            cases.push(format!("-{x}"));
            x = x.saturating_mul(10);
        }
        cases.extend(
            ["18446744073709551615", "18446744073709551616", "99999999999999999999"].map(String::from),
        );
        cases.extend(["1234567812345678", "12345678901234567890", "9223372036854775808"].map(String::from));
        for case in &cases {
            for tail in ["", "}", ",\"pid\":1}", ".5", "e3"] {
                let text = format!("{case}{tail}");
                let mut p = P { b: text.as_bytes(), i: 0 };
                let got = p.int();
                let want = if tail.starts_with(['.', 'e']) || case.starts_with("-0") || case.starts_with("00")
                {
                    None
                } else if let Some(neg) = case.strip_prefix('-') {
                    neg.parse::<u64>().ok().map(u64::wrapping_neg)
                } else {
                    case.parse::<u64>().ok()
                };
                let want = want.filter(|_| !(case.len() > 1 && case.starts_with('0')));
                assert_eq!(got, want, "{text:?}");
                if want.is_some() {
                    assert_eq!(p.i, case.len(), "{text:?}");
                }
            }
        }
    }
}
