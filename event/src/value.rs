//! Typed values of the event model (a field's, a builtin's, a program's)
//! and how they are written: in text (ints decimal, ids hex, masks
//! symbolic, untrusted strings escaped) and in JSON.

use crate::escape::{escape_into, hex, json_str_into};
use crate::schema::{EventKind, Family, FieldId, FieldType, write_mask};

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

impl Val<'_> {
    /// The 64-bit value of a scalar (0 for strings).
    pub fn as_i64(&self) -> i64 {
        match *self {
            Val::Int(v) => v,
            Val::Bool(b) => i64::from(b),
            Val::Id(v) | Val::Mask(_, v) => v as i64,
            Val::Str(..) => 0,
        }
    }
}

/// The family of a mask field in the event of kind `kind`.
pub fn family_in(kind: u32, field: FieldId) -> Family {
    match EventKind::from_index(kind).and_then(|k| k.field_type(field)) {
        Some(FieldType::Mask(f) | FieldType::MaskList(f)) => f,
        _ => Family::Fs,
    }
}

/// A scalar field's raw slot as a typed value.
pub fn scalar_val<'a>(raw: u64, ty: FieldType) -> Val<'a> {
    match ty {
        FieldType::Id => Val::Id(raw),
        FieldType::Bool => Val::Bool(raw != 0),
        FieldType::Mask(f) | FieldType::MaskList(f) => Val::Mask(f, raw),
        FieldType::Int | FieldType::Str => Val::Int(raw as i64),
    }
}

/// A value in text: ints in decimal, ids in hex, masks symbolic, bools as
/// true/false, untrusted strings escaped.
pub fn text_val(out: &mut Vec<u8>, v: &Val) {
    match *v {
        Val::Int(i) => push_i64(out, i),
        Val::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
        Val::Id(i) => push_hex(out, i),
        Val::Mask(f, bits) => push_mask(out, f, bits),
        Val::Str(s, true) => out.extend_from_slice(s),
        Val::Str(s, false) => escape_into(out, s),
    }
}

/// Appends `v` in decimal, at least `width` digits (zero-padded, `width`
/// at most 20): what `{v:0width$}` writes, without the formatting machinery (printing every
/// event writes several numbers each).
pub fn push_u64_padded(out: &mut Vec<u8>, mut v: u64, width: usize) {
    // Two digits at a time, from a table of "00" to "99".
    static PAIRS: [u8; 200] = {
        let mut t = [0u8; 200];
        let mut i = 0;
        while i < 100 {
            t[2 * i] = b'0' + (i / 10) as u8;
            t[2 * i + 1] = b'0' + (i % 10) as u8;
            i += 1;
        }
        t
    };
    let mut digits = [b'0'; 20];
    let mut at = digits.len();
    while v >= 100 {
        let pair = (v % 100) as usize * 2;
        v /= 100;
        at -= 2;
        digits[at..at + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    if v >= 10 {
        at -= 2;
        digits[at..at + 2].copy_from_slice(&PAIRS[v as usize * 2..v as usize * 2 + 2]);
    } else {
        at -= 1;
        digits[at] = b'0' + v as u8;
    }
    let start = at.min(digits.len().saturating_sub(width));
    out.extend_from_slice(&digits[start..]);
}

/// Appends `v` in decimal.
pub fn push_u64(out: &mut Vec<u8>, v: u64) {
    push_u64_padded(out, v, 1);
}

/// Appends `v` in decimal, with its sign.
pub fn push_i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    push_u64(out, v.unsigned_abs());
}

/// Appends `v` in lower-case hex (`{v:x}`).
pub fn push_hex(out: &mut Vec<u8>, mut v: u64) {
    let mut digits = [0u8; 16];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b"0123456789abcdef"[(v & 15) as usize];
        v >>= 4;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

/// Appends formatted text straight into `out` (no intermediate String).
pub fn push_fmt(out: &mut Vec<u8>, args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    out.write_fmt(args).expect("writing to a Vec cannot fail");
}

/// `fmt::Write` into a byte vector.
struct Bytes<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Bytes<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

pub fn push_mask(out: &mut Vec<u8>, f: Family, bits: u64) {
    write_mask(&mut Bytes(out), f, bits).expect("writing to a Vec cannot fail");
}

/// A value in JSON: masks as name arrays, ids as hex strings, strings that
/// are not UTF-8 as `{"hex": "..."}`.
pub fn json_val(out: &mut Vec<u8>, v: &Val) {
    match *v {
        Val::Int(i) => push_fmt(out, format_args!("{i}")),
        Val::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
        Val::Id(i) => push_fmt(out, format_args!("\"{i:x}\"")),
        Val::Mask(f, bits) => json_names(out, f, bits),
        Val::Str(s, _) => {
            if std::str::from_utf8(s).is_ok() {
                json_str_into(out, s);
            } else {
                out.extend_from_slice(format!("{{\"hex\":\"{}\"}}", hex(s)).as_bytes());
            }
        }
    }
}

pub fn json_names(out: &mut Vec<u8>, f: Family, bits: u64) {
    out.push(b'[');
    let mut first = true;
    for r in f.rights().iter().filter(|r| bits & r.bit() != 0) {
        if !first {
            out.push(b',');
        }
        first = false;
        json_str_into(out, r.name.as_bytes());
    }
    let rest = bits & !f.all_bits();
    if rest != 0 {
        if !first {
            out.push(b',');
        }
        push_fmt(out, format_args!("\"{rest:#x}\""));
    }
    out.push(b']');
}

/// An empty vector of values of another lifetime, reusing `v`'s
/// allocation: the backends keep one scratch vector across runs, each run
/// filling it with values borrowed for that run only.
pub fn recycle<'b>(mut v: Vec<Val<'_>>) -> Vec<Val<'b>> {
    v.clear();
    // Collecting an emptied vector's own iterator reuses its allocation.
    v.into_iter().map(|_| unreachable!("the vector was cleared")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The number writers write what `format!` does, at the edges too.
    #[test]
    fn numbers_are_written_as_format_would() {
        // After what the line already holds.
        let text = |f: &dyn Fn(&mut Vec<u8>)| {
            let mut out = b"x=".to_vec();
            f(&mut out);
            String::from_utf8(out).unwrap().strip_prefix("x=").unwrap().to_string()
        };
        let mut values = vec![0u64, 1, 9, 10, 99, 100, 12_345, u64::from(u32::MAX), u64::MAX, u64::MAX - 1];
        // Each side of every change in the number of digits.
        for k in 1..20 {
            values.extend([10u64.pow(k) - 1, 10u64.pow(k)]);
        }
        for k in 1..16 {
            values.extend([16u64.pow(k) - 1, 16u64.pow(k)]);
        }
        for v in values {
            assert_eq!(text(&|o| push_u64(o, v)), v.to_string());
            assert_eq!(text(&|o| push_hex(o, v)), format!("{v:x}"));
            for w in [0, 1, 2, 6, 19, 20] {
                assert_eq!(text(&|o| push_u64_padded(o, v, w)), format!("{v:0w$}"));
            }
        }
        for v in [0i64, -1, 1, i64::MIN, i64::MAX, -1234] {
            assert_eq!(text(&|o| push_i64(o, v)), v.to_string());
        }
    }
}
