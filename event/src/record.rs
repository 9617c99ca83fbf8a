//! The flat event record that compiled code and the interpreter read.
//!
//! [`Record`] is `#[repr(C)]` with a fixed layout: the event kind, the
//! builtins, a fixed array of 64-bit slots for scalar fields (the schema
//! assigns each field a slot) and string fields as (pointer, length) pairs.
//! A field access is a load at a constant offset. [`Event`] owns a record
//! together with the bytes its strings point into; sources fill one `Event`
//! and reuse it, so decoding allocates nothing in the steady state.

use crate::schema::{EventKind, FieldId, Loc, NO_EVENT, NSLOTS, NSTRS, SourceKind};
use std::mem::offset_of;

/// A string as compiled code sees it: bytes that need not be UTF-8.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct StrRef {
    pub ptr: *const u8,
    pub len: usize,
}

impl StrRef {
    pub const EMPTY: StrRef = StrRef { ptr: std::ptr::NonNull::<u8>::dangling().as_ptr(), len: 0 };

    pub fn from_slice(s: &[u8]) -> StrRef {
        StrRef { ptr: s.as_ptr(), len: s.len() }
    }

    /// # Safety
    /// The bytes must still be alive: the record, batch or arena they point
    /// into has not been cleared or dropped.
    pub unsafe fn as_slice<'a>(self) -> &'a [u8] {
        // SAFETY: the caller guarantees the pointer is live; len is from the
        // slice it was made of.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

/// The mask list of `grants`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ListRef {
    pub ptr: *const u64,
    pub len: usize,
}

/// The flat, fixed-layout record of one event.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Record {
    /// `EventKind as u32`, or [`NO_EVENT`] in BEGIN/END/every.
    pub kind: u32,
    /// `SourceKind as u32`.
    pub source: u32,
    pub time: u64,
    /// Unix time in nanoseconds; 0 where unknown.
    pub walltime: i64,
    pub pid: u64,
    pub tid: u64,
    pub ppid: u64,
    pub uid: u64,
    pub gid: u64,
    pub cpu: u64,
    pub cgroup: u64,
    pub comm: StrRef,
    pub slots: [u64; NSLOTS],
    pub strs: [StrRef; NSTRS],
    pub grants: ListRef,
}

/// Byte offsets of the record's parts, for code generation.
pub mod offsets {
    use super::*;
    pub const KIND: usize = offset_of!(Record, kind);
    pub const SOURCE: usize = offset_of!(Record, source);
    pub const TIME: usize = offset_of!(Record, time);
    pub const WALLTIME: usize = offset_of!(Record, walltime);
    pub const PID: usize = offset_of!(Record, pid);
    pub const TID: usize = offset_of!(Record, tid);
    pub const PPID: usize = offset_of!(Record, ppid);
    pub const UID: usize = offset_of!(Record, uid);
    pub const GID: usize = offset_of!(Record, gid);
    pub const CPU: usize = offset_of!(Record, cpu);
    pub const CGROUP: usize = offset_of!(Record, cgroup);
    pub const COMM: usize = offset_of!(Record, comm);
    pub const SLOTS: usize = offset_of!(Record, slots);
    pub const STRS: usize = offset_of!(Record, strs);
    pub const GRANTS: usize = offset_of!(Record, grants);
    pub const STR_PTR: usize = offset_of!(StrRef, ptr);
    pub const STR_LEN: usize = offset_of!(StrRef, len);
    pub const STR_SIZE: usize = std::mem::size_of::<StrRef>();
}

impl Record {
    pub fn empty() -> Record {
        Record {
            kind: NO_EVENT,
            source: SourceKind::Replay as u32,
            time: 0,
            walltime: 0,
            pid: 0,
            tid: 0,
            ppid: 0,
            uid: 0,
            gid: 0,
            cpu: 0,
            cgroup: 0,
            comm: StrRef::EMPTY,
            slots: [0; NSLOTS],
            strs: [StrRef::EMPTY; NSTRS],
            grants: ListRef { ptr: std::ptr::NonNull::<u64>::dangling().as_ptr(), len: 0 },
        }
    }

    pub fn event_kind(&self) -> Option<EventKind> {
        EventKind::from_index(self.kind)
    }

    pub fn source_kind(&self) -> SourceKind {
        SourceKind::from_code(self.source)
    }
}

/// Which string of the record.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum StrSlot {
    Comm,
    Field(u8),
}

/// An event: a [`Record`] plus the storage its strings point into.
///
/// Strings are appended to one byte buffer and the record's pointers are
/// fixed up by [`Event::seal`]; until then they are only offsets.
pub struct Event {
    rec: Record,
    buf: Vec<u8>,
    /// (offset, len) of each string in `buf`; index NSTRS is `comm`.
    spans: [(u32, u32); NSTRS + 1],
    grants: Vec<u64>,
    /// Fields a decoder kept but the schema does not know (name, value).
    extras: Vec<(String, Vec<u8>)>,
    sealed: bool,
}

// SAFETY: the raw pointers in `rec` point into `buf` and `grants`, which the
// Event owns and moves with it; nothing else aliases them.
unsafe impl Send for Event {}

impl Default for Event {
    fn default() -> Self {
        Event::new()
    }
}

impl Clone for Event {
    fn clone(&self) -> Event {
        let mut e = Event {
            rec: self.rec,
            buf: self.buf.clone(),
            spans: self.spans,
            grants: self.grants.clone(),
            extras: self.extras.clone(),
            sealed: false,
        };
        if self.sealed {
            e.seal();
        }
        e
    }
}

impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Event");
        d.field("kind", &self.kind());
        d.field("pid", &self.rec.pid);
        d.field("comm", &String::from_utf8_lossy(self.comm()));
        if let Some(k) = self.kind() {
            for (fid, _) in k.def().fields {
                match fid.def().loc {
                    Loc::Slot(n) => d.field(fid.name(), &self.rec.slots[n as usize]),
                    Loc::Str(n) => d.field(fid.name(), &String::from_utf8_lossy(self.str_field(n as usize))),
                    Loc::List => d.field(fid.name(), &self.grants),
                };
            }
        }
        d.finish()
    }
}

impl Event {
    pub fn new() -> Event {
        Event {
            rec: Record::empty(),
            buf: Vec::new(),
            spans: [(0, 0); NSTRS + 1],
            grants: Vec::new(),
            extras: Vec::new(),
            sealed: false,
        }
    }

    /// Resets to an empty event of `kind`, keeping allocated capacity.
    pub fn reset(&mut self, kind: EventKind, source: SourceKind) {
        self.rec = Record::empty();
        self.rec.kind = kind as u32;
        self.rec.source = source as u32;
        self.buf.clear();
        self.spans = [(0, 0); NSTRS + 1];
        self.grants.clear();
        self.extras.clear();
        self.sealed = false;
    }

    pub fn set_kind(&mut self, kind: EventKind) {
        self.rec.kind = kind as u32;
    }

    pub fn kind(&self) -> Option<EventKind> {
        self.rec.event_kind()
    }

    /// The record for reading builtins and scalars (strings only after
    /// [`Event::seal`]).
    pub fn header(&self) -> &Record {
        &self.rec
    }

    pub fn header_mut(&mut self) -> &mut Record {
        &mut self.rec
    }

    /// Sets a scalar field (ids, ints, bools, masks).
    pub fn set(&mut self, field: FieldId, value: u64) {
        match field.def().loc {
            Loc::Slot(n) => self.rec.slots[n as usize] = value,
            loc => panic!("{} is not a scalar field ({loc:?})", field.name()),
        }
    }

    pub fn get(&self, field: FieldId) -> u64 {
        match field.def().loc {
            Loc::Slot(n) => self.rec.slots[n as usize],
            loc => panic!("{} is not a scalar field ({loc:?})", field.name()),
        }
    }

    pub fn set_str(&mut self, field: FieldId, bytes: &[u8]) {
        match field.def().loc {
            Loc::Str(n) => self.put_str(n as usize, bytes),
            loc => panic!("{} is not a string field ({loc:?})", field.name()),
        }
    }

    pub fn get_str(&self, field: FieldId) -> &[u8] {
        match field.def().loc {
            Loc::Str(n) => self.str_field(n as usize),
            loc => panic!("{} is not a string field ({loc:?})", field.name()),
        }
    }

    pub fn set_comm(&mut self, bytes: &[u8]) {
        self.put_str(NSTRS, bytes);
    }

    pub fn comm(&self) -> &[u8] {
        self.str_field(NSTRS)
    }

    pub fn str_field(&self, n: usize) -> &[u8] {
        let (off, len) = self.spans[n];
        &self.buf[off as usize..off as usize + len as usize]
    }

    fn put_str(&mut self, n: usize, bytes: &[u8]) {
        let off = self.buf.len();
        self.buf.extend_from_slice(bytes);
        self.spans[n] = (off as u32, bytes.len() as u32);
        self.sealed = false;
    }

    pub fn grants(&self) -> &[u64] {
        &self.grants
    }

    pub fn set_grants(&mut self, grants: &[u64]) {
        self.grants.clear();
        self.grants.extend_from_slice(grants);
        self.sealed = false;
    }

    pub fn push_grant(&mut self, g: u64) {
        self.grants.push(g);
        self.sealed = false;
    }

    pub fn extras(&self) -> &[(String, Vec<u8>)] {
        &self.extras
    }

    /// Keeps a field the schema does not know. Names are unique: a second
    /// value for the same name replaces the first.
    pub fn push_extra(&mut self, name: &str, value: &[u8]) {
        match self.extras.iter_mut().find(|(n, _)| n == name) {
            Some((_, v)) => {
                v.clear();
                v.extend_from_slice(value);
            }
            None => self.extras.push((name.to_string(), value.to_vec())),
        }
    }

    /// Fixes up the record's string and list pointers and returns the record
    /// that compiled code may read. Valid until the event is next modified.
    pub fn seal(&mut self) -> &Record {
        let base = self.buf.as_ptr();
        let at = |(off, len): (u32, u32)| StrRef {
            // SAFETY: off + len <= buf.len(), so the pointer stays in bounds.
            ptr: unsafe { base.add(off as usize) },
            len: len as usize,
        };
        for n in 0..NSTRS {
            self.rec.strs[n] = at(self.spans[n]);
        }
        self.rec.comm = at(self.spans[NSTRS]);
        self.rec.grants = ListRef { ptr: self.grants.as_ptr(), len: self.grants.len() };
        self.sealed = true;
        &self.rec
    }

    /// The sealed record. Panics if the event was modified since `seal`.
    pub fn record(&self) -> &Record {
        assert!(self.sealed, "Event::record before seal");
        &self.rec
    }
}
