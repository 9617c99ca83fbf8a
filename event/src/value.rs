//! Typed values of the event model (a field's, a builtin's, a program's)
//! and how they are written: in text (ints decimal, ids hex, masks
//! symbolic, untrusted strings escaped) and in JSON.

use crate::escape::{escape_into, hex, json_str_into};
use crate::schema::{EventKind, Family, FieldId, FieldType, mask_names, write_mask};

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
        Val::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Val::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
        Val::Id(i) => out.extend_from_slice(format!("{i:x}").as_bytes()),
        Val::Mask(f, bits) => push_mask(out, f, bits),
        Val::Str(s, true) => out.extend_from_slice(s),
        Val::Str(s, false) => escape_into(out, s),
    }
}

pub fn push_mask(out: &mut Vec<u8>, f: Family, bits: u64) {
    let mut s = String::new();
    write_mask(&mut s, f, bits).expect("string write");
    out.extend_from_slice(s.as_bytes());
}

/// A value in JSON: masks as name arrays, ids as hex strings, strings that
/// are not UTF-8 as `{"hex": "..."}`.
pub fn json_val(out: &mut Vec<u8>, v: &Val) {
    match *v {
        Val::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Val::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
        Val::Id(i) => out.extend_from_slice(format!("\"{i:x}\"").as_bytes()),
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
    for (i, n) in mask_names(f, bits).iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        json_str_into(out, n.as_bytes());
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
