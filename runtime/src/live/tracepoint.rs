//! The tracepoint source's decoding: tracefs `format` files, and raw trace
//! records decoded with them.
//!
//! Pure and generic: a format file gives every field's offset, size, sign
//! and whether it is a `__data_loc` (dynamic string or array); a raw
//! record is decoded into named values with it. [`to_event`] then maps the
//! values of a `landlock:*` event onto the schema, tolerant of the renamed
//! events and of fields added by later kernels (kept as extras).

use landtrace_compiler::record::Event;
use landtrace_compiler::schema::{EventKind, FieldId, FieldType, Loc, SourceKind, field};
use landtrace_probes::records::{Header, TP_DYNAMIC, TpConfig};

#[derive(Clone, Debug, PartialEq)]
pub struct FormatField {
    pub name: String,
    /// The C type as tracefs prints it, without the name.
    pub ty: String,
    pub offset: usize,
    pub size: usize,
    pub signed: bool,
    /// A `__data_loc` field: a u32 of (length << 16 | offset).
    pub data_loc: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Format {
    pub name: String,
    pub id: u32,
    pub fields: Vec<FormatField>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RawValue {
    Int(i64),
    UInt(u64),
    Str(Vec<u8>),
    Array(Vec<u64>),
}

impl Format {
    /// Parses a tracefs `events/<system>/<event>/format` file.
    pub fn parse(text: &str) -> Result<Format, String> {
        let mut name = None;
        let mut id = None;
        let mut fields = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if let Some(n) = line.strip_prefix("name:") {
                name = Some(n.trim().to_string());
            } else if let Some(i) = line.strip_prefix("ID:") {
                id = Some(i.trim().parse::<u32>().map_err(|_| format!("bad ID {i:?}"))?);
            } else if let Some(rest) = line.strip_prefix("field:") {
                fields.push(parse_field(rest)?);
            }
        }
        let name = name.ok_or("no name: line")?;
        let id = id.ok_or("no ID: line")?;
        Ok(Format { name, id, fields })
    }

    /// The fields after the common ones (`common_type`, `common_pid`, ...).
    pub fn event_fields(&self) -> impl Iterator<Item = &FormatField> {
        self.fields.iter().filter(|f| !f.name.starts_with("common_"))
    }

    /// What the generic BPF program needs to copy a record of this event.
    pub fn tp_config(&self, flags: u32) -> TpConfig {
        let mut c = TpConfig {
            fixed_size: self.fields.iter().map(|f| f.offset + f.size).max().unwrap_or(8) as u32,
            flags,
            ..TpConfig::default()
        };
        for f in self.fields.iter().filter(|f| f.data_loc).take(TP_DYNAMIC) {
            c.dynamic_offset[c.ndynamic as usize] = f.offset as u32;
            c.ndynamic += 1;
        }
        c
    }

    /// Decodes the event fields of a raw record.
    pub fn decode(&self, data: &[u8]) -> Result<Vec<(String, RawValue)>, String> {
        let mut out = Vec::new();
        for f in self.event_fields() {
            let bytes = data
                .get(f.offset..f.offset + f.size)
                .ok_or_else(|| format!("{}: record too short ({} bytes)", f.name, data.len()))?;
            let value = if f.data_loc {
                let loc = u32::from_ne_bytes(
                    bytes.get(..4).ok_or("short __data_loc")?.try_into().expect("4 bytes"),
                );
                let (off, len) = ((loc & 0xffff) as usize, (loc >> 16) as usize);
                let area = data
                    .get(off..off + len)
                    .ok_or_else(|| format!("{}: dynamic data {off}+{len} beyond the record", f.name))?;
                let elem = elem_size(&f.ty);
                if elem == 1 {
                    RawValue::Str(dynamic_str(area).to_vec())
                } else {
                    RawValue::Array(area.chunks_exact(elem).map(uint).collect())
                }
            } else if f.ty.contains("char") && f.ty.contains('[') || (f.ty.starts_with("char") && f.size > 1)
            {
                RawValue::Str(bytes.split(|b| *b == 0).next().unwrap_or_default().to_vec())
            } else if f.signed {
                RawValue::Int(sint(bytes))
            } else {
                RawValue::UInt(uint(bytes))
            };
            out.push((f.name.clone(), value));
        }
        Ok(out)
    }
}

/// A dynamic string: up to its NUL, except an abstract unix socket name,
/// which starts with one (then up to the trailing NULs).
fn dynamic_str(area: &[u8]) -> &[u8] {
    if area.len() > 1 && area[0] == 0 {
        let end = area.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
        return &area[..end];
    }
    area.split(|b| *b == 0).next().unwrap_or_default()
}

fn parse_field(rest: &str) -> Result<FormatField, String> {
    // "TYPE NAME;\toffset:N;\tsize:N;\tsigned:N;"
    let mut parts = rest.split(';').map(str::trim);
    let decl = parts.next().ok_or("empty field")?;
    let mut offset = None;
    let mut size = None;
    let mut signed = false;
    for p in parts {
        if let Some(v) = p.strip_prefix("offset:") {
            offset = v.parse().ok();
        } else if let Some(v) = p.strip_prefix("size:") {
            size = v.parse().ok();
        } else if let Some(v) = p.strip_prefix("signed:") {
            signed = v == "1";
        }
    }
    let (ty, name) = decl.rsplit_once(' ').ok_or_else(|| format!("bad field {decl:?}"))?;
    // `char comm[16]`: the brackets belong to the type.
    let (name, array) = match name.split_once('[') {
        Some((n, a)) => (n, format!("[{a}")),
        None => (name, String::new()),
    };
    let data_loc = ty.contains("__data_loc");
    Ok(FormatField {
        name: name.to_string(),
        ty: format!("{}{array}", ty.trim()),
        offset: offset.ok_or_else(|| format!("{name}: no offset"))?,
        size: size.ok_or_else(|| format!("{name}: no size"))?,
        signed,
        data_loc,
    })
}

/// The element size of a `__data_loc TYPE[]`.
fn elem_size(ty: &str) -> usize {
    let base = ty.replace("__data_loc", "").replace("[]", "").replace("const", "");
    let base = base.trim();
    match base {
        "char" | "u8" | "s8" | "unsigned char" | "signed char" => 1,
        "u16" | "s16" | "short" | "unsigned short" => 2,
        "u32" | "s32" | "int" | "unsigned int" | "access_mask_t" | "__u32" => 4,
        _ => 8,
    }
}

fn uint(b: &[u8]) -> u64 {
    let mut v = [0u8; 8];
    let n = b.len().min(8);
    v[..n].copy_from_slice(&b[..n]);
    u64::from_ne_bytes(v)
}

fn sint(b: &[u8]) -> i64 {
    let u = uint(b);
    let bits = (b.len().min(8) * 8) as u32;
    if bits == 0 || bits == 64 { u as i64 } else { ((u << (64 - bits)) as i64) >> (64 - bits) }
}

/// Field names of the kernel's structs that differ from the schema's.
fn schema_name(kernel: &str) -> &str {
    match kernel {
        "ruleset_id" => "ruleset",
        "domain_id" => "domain",
        "parent_id" => "parent",
        "access" | "allowed_access" => "access_rights",
        "request" => "access_request",
        other => other,
    }
}

/// Maps a decoded `landlock:*` record onto an event of the schema.
pub fn to_event(
    format: &Format,
    values: &[(String, RawValue)],
    h: &Header,
    boot_offset_ns: i64,
    ev: &mut Event,
) -> Result<(), String> {
    let kind =
        EventKind::lookup(&format.name).ok_or_else(|| format!("unknown Landlock event {}", format.name))?;
    super::start_event(ev, kind, SourceKind::Tracepoint, h, boot_offset_ns);
    let mut log_same = None;
    let mut log_new = None;
    for (name, value) in values {
        match name.as_str() {
            "log_same_exec" => log_same = Some(as_u64(value) != 0),
            "log_new_exec" => log_new = Some(as_u64(value) != 0),
            _ => {}
        }
        let fid = FieldId::lookup(schema_name(name));
        let ty = fid.and_then(|f| kind.field_type(f));
        let (Some(fid), Some(ty)) = (fid, ty) else {
            ev.push_extra(name, &text(value));
            continue;
        };
        match (fid.def().loc, ty, value) {
            (Loc::Str(_), _, RawValue::Str(s)) => ev.set_str(fid, s),
            // dev_t in the kernel's encoding: major << 20 | minor.
            (Loc::Str(_), _, v) if fid == field::dev => {
                let d = as_u64(v);
                ev.set_str(fid, format!("{}:{}", d >> 20, d & 0xfffff).as_bytes());
            }
            (Loc::List, FieldType::MaskList(_), RawValue::Array(a)) => ev.set_grants(a),
            (Loc::Slot(_), _, v @ (RawValue::Int(_) | RawValue::UInt(_))) => ev.set(fid, as_u64(v)),
            (_, _, v) => ev.push_extra(name, &text(v)),
        }
    }
    if log_same.is_some() || log_new.is_some() {
        let same = ev.get(field::same_exec) != 0;
        let logged = if same { log_same.unwrap_or(true) } else { log_new.unwrap_or(false) };
        if kind.field_type(field::logged).is_some() {
            ev.set(field::logged, logged as u64);
        }
    }
    Ok(())
}

fn as_u64(v: &RawValue) -> u64 {
    match v {
        RawValue::Int(i) => *i as u64,
        RawValue::UInt(u) => *u,
        RawValue::Str(_) | RawValue::Array(_) => 0,
    }
}

fn text(v: &RawValue) -> Vec<u8> {
    match v {
        RawValue::Int(i) => i.to_string().into_bytes(),
        RawValue::UInt(u) => u.to_string().into_bytes(),
        RawValue::Str(s) => s.clone(),
        RawValue::Array(a) => a.iter().map(|x| format!("{x:#x}")).collect::<Vec<_>>().join(",").into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXEC: &str = "name: sched_process_exec
ID: 318
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;
\tfield:pid_t pid;\toffset:12;\tsize:4;\tsigned:1;
\tfield:char comm[16];\toffset:16;\tsize:16;\tsigned:0;

print fmt: \"filename=%s pid=%d\", __get_str(filename), REC->pid
";

    #[test]
    fn parses_a_real_format_and_decodes_a_record() {
        let f = Format::parse(EXEC).unwrap();
        assert_eq!((f.name.as_str(), f.id, f.fields.len()), ("sched_process_exec", 318, 7));
        assert!(f.fields[4].data_loc);
        assert_eq!(f.fields[6].ty, "char[16]");
        let c = f.tp_config(0);
        assert_eq!((c.fixed_size, c.ndynamic, c.dynamic_offset[0]), (32, 1, 8));
        let mut rec = vec![0u8; 32];
        rec[0..2].copy_from_slice(&318u16.to_ne_bytes());
        let name = b"/bin/true\0";
        rec[8..12].copy_from_slice(&((name.len() as u32) << 16 | 32).to_ne_bytes());
        rec[12..16].copy_from_slice(&(-7i32).to_ne_bytes());
        rec[16..20].copy_from_slice(b"true");
        rec.extend_from_slice(name);
        let v = f.decode(&rec).unwrap();
        assert_eq!(v[0], ("filename".into(), RawValue::Str(b"/bin/true".to_vec())));
        assert_eq!(v[1], ("pid".into(), RawValue::Int(-7)));
        assert_eq!(v[2], ("comm".into(), RawValue::Str(b"true".to_vec())));
        rec[8..12].copy_from_slice(&(200u32 << 16 | 32).to_ne_bytes());
        assert!(f.decode(&rec).unwrap_err().contains("beyond the record"));
    }
}
