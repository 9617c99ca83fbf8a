//! The tracepoint source's decoding: tracefs `format` files, and raw trace
//! records decoded with them.
//!
//! Pure and generic: a format file gives every field's offset, size, sign
//! and whether it is a `__data_loc` (dynamic string or array); a raw
//! record is decoded into named values with it. For a `landlock:*` event,
//! [`Format::plan`] resolves each field once against the schema (which
//! names the kernel's spelling of every field), and [`Plan::decode`] then
//! fills an event from a record without looking names up; fields added by
//! later kernels are kept as extras.

use landtrace_compiler::pushdown::{Condition, Operand, Term as PushTerm, Test};
use landtrace_compiler::typed::Cmp;
use landtrace_event::kernel::{DEV_TEXT_MAX, Derived, dev_text};
use landtrace_event::record::Event;
use landtrace_event::schema::Builtin;
use landtrace_event::schema::{EventKind, FieldId, FieldType, KernelField, Loc, SourceKind, field};
use landtrace_probes::records::{
    FILTER_TERMS, Header, TERM_END, TERM_SEXT, TERM_SIGNED, TP_DYNAMIC, Term, TpConfig, op, src,
};

/// A term no record meets (`1 <= pid <= 0`): the filter of an event no
/// clause wants.
fn never() -> Term {
    Term { src: src::PID, op: op::IN, flags: TERM_END, a: 1, b: 0, ..Term::default() }
}

/// What is wrong with a tracefs `format` file.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum FormatError {
    #[error("bad ID {0:?}")]
    BadId(String),
    #[error("no name: line")]
    NoName,
    #[error("no ID: line")]
    NoId,
    #[error("empty field")]
    EmptyField,
    #[error("bad field {0:?}")]
    BadField(String),
    #[error("{0}: no offset")]
    NoOffset(String),
    #[error("{0}: no size")]
    NoSize(String),
    #[error("unknown Landlock event {0}")]
    UnknownEvent(String),
}

/// What is wrong with a raw tracepoint record.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RecordError {
    #[error("{field}: record too short ({len} bytes)")]
    TooShort { field: String, len: usize },
    #[error("short __data_loc")]
    ShortDataLoc,
    #[error("{field}: dynamic data {off}+{len} beyond the record")]
    Beyond { field: String, off: usize, len: usize },
}

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
    pub fn parse(text: &str) -> Result<Format, FormatError> {
        let mut name = None;
        let mut id = None;
        let mut fields = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if let Some(n) = line.strip_prefix("name:") {
                name = Some(n.trim().to_string());
            } else if let Some(i) = line.strip_prefix("ID:") {
                id = Some(i.trim().parse::<u32>().map_err(|_| FormatError::BadId(i.to_string()))?);
            } else if let Some(rest) = line.strip_prefix("field:") {
                fields.push(parse_field(rest)?);
            }
        }
        let name = name.ok_or(FormatError::NoName)?;
        let id = id.ok_or(FormatError::NoId)?;
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

    /// The kernel-side filter of `cond` for records of this event
    /// (`lt_tp_config.terms`): each term whose operand the record holds
    /// (or that is a builtin the probe reads) is kept; any other term is
    /// left out, which only lets more records through. Empty: no filter,
    /// every record passes. `None` for `cond` is "no event".
    pub fn filter(&self, cond: Option<&Condition>) -> Vec<Term> {
        let Some(cond) = cond else { return vec![never()] };
        if cond.0.is_empty() {
            return vec![never()];
        }
        let Some(kind) = EventKind::lookup(&self.name) else { return Vec::new() };
        let mut out = Vec::new();
        for conj in &cond.0 {
            // Each term as its kernel alternatives (a positive membership
            // in several ranges is several); a conjunction with a term of
            // several alternatives becomes several conjunctions.
            let mut conjs: Vec<Vec<Term>> = vec![Vec::new()];
            for t in conj {
                let Some(alts) = self.kernel_terms(kind, t) else { continue };
                if conjs.len() * alts.len() > FILTER_TERMS {
                    continue;
                }
                conjs = conjs
                    .iter()
                    .flat_map(|c| {
                        alts.iter().map(move |a| {
                            let mut c = c.clone();
                            c.extend_from_slice(a);
                            c
                        })
                    })
                    .collect();
            }
            if conjs.iter().any(Vec::is_empty) {
                // Nothing of this conjunction is checkable: every record
                // may be wanted.
                return Vec::new();
            }
            for mut c in conjs {
                if let Some(last) = c.last_mut() {
                    last.flags |= TERM_END;
                }
                out.extend(c);
            }
        }
        if out.len() > FILTER_TERMS { Vec::new() } else { out }
    }

    /// A term as alternatives of kernel term conjunctions, or `None` when
    /// the record does not hold its operand.
    fn kernel_terms(&self, kind: EventKind, t: &PushTerm) -> Option<Vec<Vec<Term>>> {
        match t {
            PushTerm::Comm { bytes, prefix, negated } => {
                let mut a = [0u8; 16];
                let n = bytes.len().min(16);
                a[..n].copy_from_slice(&bytes[..n]);
                let op = match (prefix, negated) {
                    (false, false) => op::COMM_EQ,
                    (false, true) => op::COMM_NE,
                    (true, false) => op::PREFIX,
                    (true, true) => op::NOT_PREFIX,
                };
                Some(vec![vec![Term {
                    src: src::COMM,
                    op,
                    size: n as u8,
                    a: u64::from_ne_bytes(a[..8].try_into().expect("8")),
                    b: u64::from_ne_bytes(a[8..].try_into().expect("8")),
                    ..Term::default()
                }]])
            }
            PushTerm::Int(operand, test) => {
                let mut base = Term::default();
                match operand {
                    Operand::Builtin(b) => {
                        base.src = match b {
                            Builtin::Pid => src::PID,
                            Builtin::Tid => src::TID,
                            Builtin::Uid => src::UID,
                            Builtin::Gid => src::GID,
                            Builtin::Cgroup => src::CGROUP,
                            _ => return None,
                        };
                    }
                    Operand::Field(fid) => {
                        let f = self.event_fields().find(|f| {
                            !f.data_loc
                                && matches!(f.size, 1 | 2 | 4 | 8)
                                && !is_char_array(f)
                                && kind.kernel_field(&f.name) == Some(KernelField::Is(*fid))
                        })?;
                        base.src = src::FIELD;
                        base.size = f.size as u8;
                        base.offset = u16::try_from(f.offset).ok()?;
                        if f.signed {
                            base.flags |= TERM_SEXT;
                        }
                    }
                }
                let one = |op, signed: bool, a, b| {
                    let mut t = base;
                    t.op = op;
                    t.a = a;
                    t.b = b;
                    if signed {
                        t.flags |= TERM_SIGNED;
                    }
                    t
                };
                Some(match test {
                    Test::Cmp { op: cmp, signed, value } => {
                        let o = match cmp {
                            Cmp::Eq => op::EQ,
                            Cmp::Ne => op::NE,
                            Cmp::Lt => op::LT,
                            Cmp::Le => op::LE,
                            Cmp::Gt => op::GT,
                            Cmp::Ge => op::GE,
                        };
                        vec![vec![one(o, *signed, *value, 0)]]
                    }
                    Test::MaskAny(m) => vec![vec![one(op::ANY, false, *m, 0)]],
                    Test::MaskNone(m) => vec![vec![one(op::NONE, false, *m, 0)]],
                    Test::MaskAll(m) => vec![vec![one(op::ALL, false, *m, 0)]],
                    Test::MaskNotAll(m) => vec![vec![one(op::NOT_ALL, false, *m, 0)]],
                    // Not in any range: not in each, one conjunction.
                    Test::InRanges { ranges, unsigned, negated: true } => vec![
                        ranges
                            .iter()
                            .map(|&(lo, hi)| one(op::NOT_IN, !unsigned, lo as u64, hi as u64))
                            .collect(),
                    ],
                    // In one of the ranges: one alternative each.
                    Test::InRanges { ranges, unsigned, negated: false } => ranges
                        .iter()
                        .map(|&(lo, hi)| vec![one(op::IN, !unsigned, lo as u64, hi as u64)])
                        .collect(),
                })
            }
        }
    }

    /// Decodes the event fields of a raw record.
    pub fn decode(&self, data: &[u8]) -> Result<Vec<(String, RawValue)>, RecordError> {
        let mut out = Vec::new();
        for f in self.event_fields() {
            let bytes = data
                .get(f.offset..f.offset + f.size)
                .ok_or_else(|| RecordError::TooShort { field: f.name.clone(), len: data.len() })?;
            let value = if f.data_loc {
                let loc = u32::from_ne_bytes(
                    bytes.get(..4).ok_or(RecordError::ShortDataLoc)?.try_into().expect("4 bytes"),
                );
                let (off, len) = ((loc & 0xffff) as usize, (loc >> 16) as usize);
                let area = data.get(off..off + len).ok_or_else(|| RecordError::Beyond {
                    field: f.name.clone(),
                    off,
                    len,
                })?;
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

fn parse_field(rest: &str) -> Result<FormatField, FormatError> {
    // "TYPE NAME;\toffset:N;\tsize:N;\tsigned:N;"
    let mut parts = rest.split(';').map(str::trim);
    let decl = parts.next().ok_or(FormatError::EmptyField)?;
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
    let (ty, name) = decl.rsplit_once(' ').ok_or_else(|| FormatError::BadField(decl.to_string()))?;
    // `char comm[16]`: the brackets belong to the type.
    let (name, array) = match name.split_once('[') {
        Some((n, a)) => (n, format!("[{a}")),
        None => (name, String::new()),
    };
    let data_loc = ty.contains("__data_loc");
    Ok(FormatField {
        name: name.to_string(),
        ty: format!("{}{array}", ty.trim()),
        offset: offset.ok_or_else(|| FormatError::NoOffset(name.to_string()))?,
        size: size.ok_or_else(|| FormatError::NoSize(name.to_string()))?,
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

/// Where one field of a record goes, resolved from the schema once per
/// format ([`Format::plan`]).
#[derive(Clone, Debug, PartialEq)]
enum Target {
    /// A scalar field.
    Slot(FieldId),
    /// A string field; `dev` from a `dev_t` is formatted `MAJOR:MINOR`.
    Str(FieldId),
    Dev(FieldId),
    Grants,
    BlockersType,
    DenyPort,
    LogSameExec,
    LogNewExec,
    /// A kernel field landtrace does not know: kept as an extra.
    Extra(String),
}

#[derive(Clone, Debug)]
struct Step {
    field: FormatField,
    elem: usize,
    target: Target,
}

/// How records of one `landlock:*` tracepoint become events: every field
/// of its format with its place in the event, computed once at attach time.
#[derive(Clone, Debug)]
pub struct Plan {
    pub kind: EventKind,
    steps: Vec<Step>,
    /// Fields of the event that the kernel's format does not provide.
    pub missing: Vec<FieldId>,
    /// Kernel fields that map to no field of the event (kept as extras).
    pub unknown: Vec<String>,
}

/// What decoding a record did besides filling the event.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Decoded {
    /// A string was cut short: the record was longer than the copy limit.
    pub cut: bool,
}

/// Appended to a string cut at the copy limit.
pub const CUT_MARK: &[u8] = b"<cut>";

impl Format {
    /// Resolves this format against the schema's event, by the kernel
    /// names the schema lists for it (`pathname` is `path`, ...).
    pub fn plan(&self) -> Result<Plan, FormatError> {
        let kind =
            EventKind::lookup(&self.name).ok_or_else(|| FormatError::UnknownEvent(self.name.clone()))?;
        let mut steps = Vec::new();
        let mut unknown = Vec::new();
        let mut provided = Vec::new();
        for f in self.event_fields() {
            let target = match kind.kernel_field(&f.name) {
                Some(KernelField::Is(fid)) => {
                    provided.push(fid);
                    match (fid.def().loc, kind.field_type(fid)) {
                        (Loc::Str(_), _) if !f.data_loc && !is_char_array(f) && fid == field::dev => {
                            Target::Dev(fid)
                        }
                        (Loc::Str(_), _) => Target::Str(fid),
                        (Loc::List, Some(FieldType::MaskList(_))) => Target::Grants,
                        (Loc::Slot(_), _) => Target::Slot(fid),
                        _ => Target::Extra(f.name.clone()),
                    }
                }
                Some(KernelField::BlockersType) => Target::BlockersType,
                Some(KernelField::DenyPort) => {
                    provided.extend([field::sport, field::dport]);
                    Target::DenyPort
                }
                Some(KernelField::LogSameExec) => Target::LogSameExec,
                Some(KernelField::LogNewExec) => Target::LogNewExec,
                None => {
                    unknown.push(f.name.clone());
                    Target::Extra(f.name.clone())
                }
            };
            steps.push(Step { field: f.clone(), elem: elem_size(&f.ty), target });
        }
        // `addr` is audit's alone (the schema says so): no tracepoint has it.
        let missing = kind
            .def()
            .fields
            .iter()
            .map(|(f, _)| *f)
            .filter(|f| !provided.contains(f) && *f != field::addr)
            .collect();
        Ok(Plan { kind, steps, missing, unknown })
    }
}

fn is_char_array(f: &FormatField) -> bool {
    f.ty.contains("char") && f.ty.contains('[') || (f.ty.starts_with("char") && f.size > 1)
}

impl Plan {
    /// Decodes a raw record into `ev`. A `__data_loc` string that runs past
    /// the end of the copied bytes (a path longer than the copy limit) is
    /// kept as far as it was copied, marked with [`CUT_MARK`].
    pub fn decode(
        &self,
        data: &[u8],
        h: &Header,
        boot_offset_ns: i64,
        ev: &mut Event,
    ) -> Result<Decoded, RecordError> {
        super::start_event(ev, self.kind, SourceKind::Tracepoint, h, boot_offset_ns);
        let mut out = Decoded::default();
        let mut derived = Derived::default();
        for step in &self.steps {
            let f = &step.field;
            let bytes = data
                .get(f.offset..f.offset + f.size)
                .ok_or_else(|| RecordError::TooShort { field: f.name.clone(), len: data.len() })?;
            if f.data_loc {
                let loc = u32::from_ne_bytes(
                    bytes.get(..4).ok_or(RecordError::ShortDataLoc)?.try_into().expect("4"),
                );
                let (off, len) = ((loc & 0xffff) as usize, (loc >> 16) as usize);
                let area = data.get(off.min(data.len())..(off + len).min(data.len())).unwrap_or_default();
                let cut = area.len() < len;
                match &step.target {
                    Target::Grants => {
                        ev.set_grants(&[]);
                        for c in area.chunks_exact(step.elem) {
                            ev.push_grant(uint(c));
                        }
                    }
                    Target::Str(fid) if cut => {
                        let mut v = area.split(|b| *b == 0).next().unwrap_or_default().to_vec();
                        v.extend_from_slice(CUT_MARK);
                        ev.set_str(*fid, &v);
                    }
                    Target::Str(fid) => ev.set_str(*fid, dynamic_str(area)),
                    Target::Extra(name) => ev.push_extra(name, dynamic_str(area)),
                    _ => {}
                }
                out.cut |= cut;
                continue;
            }
            let value = if f.signed { sint(bytes) as u64 } else { uint(bytes) };
            match &step.target {
                Target::Slot(fid) => ev.set(*fid, value),
                Target::Str(fid) => ev.set_str(*fid, bytes.split(|b| *b == 0).next().unwrap_or_default()),
                Target::Dev(fid) => {
                    let mut buf = [0u8; DEV_TEXT_MAX];
                    ev.set_str(*fid, dev_text(value, &mut buf));
                }
                Target::Grants => {}
                Target::BlockersType => derived.request = Some(value),
                Target::DenyPort => derived.port = Some(value),
                Target::LogSameExec => derived.log_same = Some(value != 0),
                Target::LogNewExec => derived.log_new = Some(value != 0),
                Target::Extra(name) if is_char_array(f) => {
                    ev.push_extra(name, bytes.split(|b| *b == 0).next().unwrap_or_default());
                }
                Target::Extra(name) => {
                    let v = if f.signed { (value as i64).to_string() } else { value.to_string() };
                    ev.push_extra(name, v.as_bytes());
                }
            }
        }
        derived.finish(ev, self.kind);
        for f in [field::fd, field::ruleset_fd] {
            if self.missing.contains(&f) {
                ev.set(f, -1i64 as u64);
            }
        }
        Ok(out)
    }
}

/// Gives the tracepoint source's `create_ruleset` events the descriptor
/// the program got: the Landlock tracepoint fires inside the syscall, and
/// the same thread's `syscalls:sys_exit_landlock_create_ruleset` record,
/// which follows it in the ring buffer, carries the return value. Until
/// it comes, that event and every event after it are held, so that order
/// is kept; one whose exit does not come within `max_wait_ns` (of record
/// time) goes on with `fd` -1.
#[derive(Default)]
pub struct FdPairing {
    /// Events in record order, with the thread whose exit each waits for.
    held: std::collections::VecDeque<(Event, Option<u64>)>,
}

impl FdPairing {
    /// Takes `ev` if it must wait (a `create_ruleset`, or anything behind
    /// one); false: nothing is held, process it now.
    pub fn hold(&mut self, ev: &Event) -> bool {
        let waits = ev.kind() == Some(EventKind::CreateRuleset);
        if !waits && self.held.is_empty() {
            return false;
        }
        self.held.push_back((ev.clone(), waits.then(|| ev.builtin(Builtin::Tid))));
        true
    }

    /// The syscall exit of thread `tid` returned `ret`.
    pub fn exit(&mut self, tid: u64, ret: i64) {
        if let Some((ev, waiting)) = self.held.iter_mut().find(|(_, w)| *w == Some(tid)) {
            ev.set(field::fd, if ret >= 0 { ret as u64 } else { -1i64 as u64 });
            *waiting = None;
        }
    }

    /// The next event that may go on, at record time `now_ns`.
    pub fn ready(&mut self, now_ns: u64, max_wait_ns: u64) -> Option<Event> {
        let (ev, waiting) = self.held.front()?;
        if waiting.is_some() && now_ns.saturating_sub(ev.header().time()) < max_wait_ns {
            return None;
        }
        self.held.pop_front().map(|(ev, _)| ev)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_ruleset_waits_for_its_syscall_exit_and_order_is_kept() {
        let ev = |kind, tid, time| {
            let mut e = Event::new();
            e.reset(kind, SourceKind::Tracepoint);
            e.set_builtin(Builtin::Tid, tid);
            e.set_builtin(Builtin::Time, time);
            e
        };
        let mut p = FdPairing::default();
        assert!(!p.hold(&ev(EventKind::FreeDomain, 9, 1)));
        assert!(p.hold(&ev(EventKind::CreateRuleset, 7, 10)));
        assert!(p.hold(&ev(EventKind::FreeDomain, 9, 11)));
        assert!(p.ready(12, 100).is_none());
        p.exit(7, 4);
        let first = p.ready(13, 100).unwrap();
        assert_eq!((first.kind(), first.get(field::fd)), (Some(EventKind::CreateRuleset), 4));
        assert_eq!(p.ready(13, 100).unwrap().kind(), Some(EventKind::FreeDomain));
        assert!(p.ready(13, 100).is_none());
        // No exit: -1 once it has waited long enough.
        let mut lone = ev(EventKind::CreateRuleset, 8, 20);
        lone.set(field::fd, -1i64 as u64);
        assert!(p.hold(&lone));
        assert!(p.ready(50, 100).is_none());
        assert_eq!(p.ready(200, 100).unwrap().get(field::fd) as i64, -1);
    }

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
        assert!(f.decode(&rec).unwrap_err().to_string().contains("beyond the record"));
    }
}
