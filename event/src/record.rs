//! The flat event record that compiled code and the interpreter read.
//!
//! [`Record`] is `#[repr(C)]` with a fixed layout: the event kind and
//! source, the builtins' 64-bit header values, `comm`, a fixed array of
//! 64-bit slots for scalar fields and string fields as (pointer, length)
//! pairs; the schema assigns every builtin and field its place. A field
//! access is a load at a constant offset. [`Event`] owns a record together
//! with the bytes its strings point into; sources fill one `Event` and
//! reuse it, so decoding allocates nothing in the steady state.
//!
//! Only a [`Sealed`] record, which [`Event::seal`] makes and which borrows
//! the event, has string pointers that may be followed: the backends take
//! nothing else.

use crate::schema::{Builtin, EventKind, FieldId, Loc, NHEADER, NO_EVENT, NSLOTS, NSTRS, SourceKind};

/// A string as compiled code sees it: bytes that need not be UTF-8.
/// Whoever follows the pointer must know the bytes are alive
/// ([`StrRef::as_slice`] is unsafe).
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

/// The flat, fixed-layout record of one event. Its fields are private:
/// scalars are read through methods, strings only through [`Sealed`].
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Record {
    /// `EventKind as u32`, or [`NO_EVENT`] in BEGIN/END/every.
    kind: u32,
    /// `SourceKind as u32`.
    source: u32,
    /// The builtins' values, at the slots the schema gives them.
    header: [u64; NHEADER],
    comm: StrRef,
    /// The host the event came from, where the input names one (audit
    /// logs gathered from several: `node=NAME`); empty otherwise.
    node: StrRef,
    slots: [u64; NSLOTS],
    strs: [StrRef; NSTRS],
    grants: ListRef,
}

/// Byte offsets of the record's parts, for code generation.
pub mod offsets {
    use super::{ListRef, Record, StrRef};
    use std::mem::offset_of;
    pub const KIND: usize = offset_of!(Record, kind);
    pub const SOURCE: usize = offset_of!(Record, source);
    pub const HEADER: usize = offset_of!(Record, header);
    pub const COMM: usize = offset_of!(Record, comm);
    pub const NODE: usize = offset_of!(Record, node);
    pub const SLOTS: usize = offset_of!(Record, slots);
    pub const STRS: usize = offset_of!(Record, strs);
    pub const GRANTS: usize = offset_of!(Record, grants);
    pub const GRANTS_PTR: usize = GRANTS + offset_of!(ListRef, ptr);
    pub const GRANTS_LEN: usize = GRANTS + offset_of!(ListRef, len);
    pub const STR_PTR: usize = offset_of!(StrRef, ptr);
    pub const STR_LEN: usize = offset_of!(StrRef, len);
    pub const STR_SIZE: usize = std::mem::size_of::<StrRef>();
}

impl Record {
    fn empty() -> Record {
        Record {
            kind: NO_EVENT,
            source: SourceKind::Replay as u32,
            header: [0; NHEADER],
            comm: StrRef::EMPTY,
            node: StrRef::EMPTY,
            slots: [0; NSLOTS],
            strs: [StrRef::EMPTY; NSTRS],
            grants: ListRef { ptr: std::ptr::NonNull::<u64>::dangling().as_ptr(), len: 0 },
        }
    }

    /// The raw kind: `EventKind as u32`, or [`NO_EVENT`].
    pub fn kind_code(&self) -> u32 {
        self.kind
    }

    /// The raw source: `SourceKind as u32`.
    pub fn source_code(&self) -> u32 {
        self.source
    }

    pub fn event_kind(&self) -> Option<EventKind> {
        EventKind::from_index(self.kind)
    }

    pub fn source_kind(&self) -> SourceKind {
        SourceKind::from_code(self.source)
    }

    /// The raw value of a builtin that has one (0 for `event`, `source`
    /// and `comm`, which are read otherwise).
    pub fn builtin(&self, b: Builtin) -> u64 {
        b.header_slot().map_or(0, |n| self.header[n])
    }

    /// The `time` builtin.
    pub fn time(&self) -> u64 {
        self.builtin(Builtin::Time)
    }

    /// Unix nanoseconds of the event; 0 where unknown.
    pub fn walltime(&self) -> i64 {
        self.builtin(Builtin::Walltime) as i64
    }

    /// Scalar field slot `n`.
    pub fn slot(&self, n: usize) -> u64 {
        self.slots[n]
    }
}

/// A record whose string and list pointers point into the live [`Event`]
/// it borrows: what the backends and the host read. Only [`Event::seal`]
/// makes one, so the event can neither change nor go while it is read.
#[derive(Clone, Copy)]
pub struct Sealed<'a> {
    rec: &'a Record,
}

impl std::fmt::Debug for Sealed<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Sealed").field(&self.rec.event_kind()).finish()
    }
}

/// A sealed record reads its scalars like any record.
impl std::ops::Deref for Sealed<'_> {
    type Target = Record;

    fn deref(&self) -> &Record {
        self.rec
    }
}

impl<'a> Sealed<'a> {
    /// The record, for its scalars.
    pub fn record(self) -> &'a Record {
        self.rec
    }

    /// String field `n`.
    pub fn str(self, n: usize) -> &'a [u8] {
        // SAFETY: a Sealed borrows the event whose buffer the pointers were
        // fixed up to by `seal`; the event cannot change while borrowed.
        unsafe { self.rec.strs[n].as_slice() }
    }

    pub fn comm(self) -> &'a [u8] {
        // SAFETY: as in `str`.
        unsafe { self.rec.comm.as_slice() }
    }

    pub fn node(self) -> &'a [u8] {
        // SAFETY: as in `str`.
        unsafe { self.rec.node.as_slice() }
    }

    /// The mask list of `grants`.
    pub fn grants(self) -> &'a [u64] {
        let g = self.rec.grants;
        // SAFETY: as in `str`; the list points into the event's `grants`.
        unsafe { std::slice::from_raw_parts(g.ptr, g.len) }
    }

    /// The record's address, for compiled code (which reads it at the
    /// [`offsets`]) and its helpers ([`Sealed::from_ptr`]).
    pub fn as_ptr(self) -> *const Record {
        self.rec
    }

    /// The sealed record at `ptr`.
    ///
    /// # Safety
    /// `ptr` came from [`Sealed::as_ptr`] of a `Sealed` that is still alive
    /// for `'a` (compiled code passes it back to its helpers while the
    /// backend's `run` holds the original).
    pub unsafe fn from_ptr(ptr: *const Record) -> Sealed<'a> {
        // SAFETY: the caller guarantees ptr is a live sealed record.
        Sealed { rec: unsafe { &*ptr } }
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
    /// (offset, len) of each string in `buf`; index NSTRS is `comm`,
    /// NSTRS + 1 `node`.
    spans: [(u32, u32); NSTRS + 2],
    grants: Vec<u64>,
    /// Fields a decoder kept but the schema does not know (name, value).
    extras: Vec<(String, Vec<u8>)>,
    /// How many of `extras` are in use; the rest keep their storage for
    /// the next event.
    nextras: usize,
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
            extras: self.extras[..self.nextras].to_vec(),
            nextras: self.nextras,
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
        d.field("pid", &self.rec.builtin(Builtin::Pid));
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
        d.finish_non_exhaustive()
    }
}

/// The raw value of a builtin the source does not know (`pid`, `tid`,
/// `ppid`, `uid`, `gid`, `cpu`, `cgroup`): reads as -1 in the language,
/// which no real one is, so `uid == 0` never matches a task whose user
/// nobody knows.
pub const UNKNOWN: u64 = u64::MAX;

/// The builtins an event starts without, until its source sets them.
pub const MAYBE_UNKNOWN: [Builtin; 7] =
    [Builtin::Pid, Builtin::Tid, Builtin::Ppid, Builtin::Uid, Builtin::Gid, Builtin::Cpu, Builtin::Cgroup];

/// The string slot of `sun_path` (checked against the schema in a test).
const SUN_PATH_SLOT: usize = 5;

impl Event {
    pub fn new() -> Event {
        Event {
            rec: Record::empty(),
            buf: Vec::new(),
            spans: [(0, 0); NSTRS + 2],
            grants: Vec::new(),
            extras: Vec::new(),
            nextras: 0,
            sealed: false,
        }
    }

    /// Resets to an empty event of `kind`, keeping allocated capacity.
    pub fn reset(&mut self, kind: EventKind, source: SourceKind) {
        self.rec = Record::empty();
        for b in MAYBE_UNKNOWN {
            if let Some(n) = b.header_slot() {
                self.rec.header[n] = UNKNOWN;
            }
        }
        self.rec.kind = kind as u32;
        self.rec.source = source as u32;
        self.buf.clear();
        self.spans = [(0, 0); NSTRS + 2];
        self.grants.clear();
        self.nextras = 0;
        self.sealed = false;
    }

    /// An event of no kind (BEGIN, END and `every` clauses run over
    /// one) at `time` and `walltime`.
    pub fn synthetic(time: u64, walltime: i64) -> Event {
        let mut e = Event::new();
        e.set_builtin(Builtin::Time, time);
        e.set_builtin(Builtin::Walltime, walltime as u64);
        e
    }

    pub fn set_kind(&mut self, kind: EventKind) {
        self.rec.kind = kind as u32;
        self.sealed = false;
    }

    pub fn set_source(&mut self, source: SourceKind) {
        self.rec.source = source as u32;
        self.sealed = false;
    }

    /// Sets a builtin that has a raw value (see [`Builtin::header_slot`];
    /// `event`, `source` and `comm` have their own setters).
    pub fn set_builtin(&mut self, b: Builtin, value: u64) {
        match b.header_slot() {
            Some(n) => self.rec.header[n] = value,
            None => panic!("{} has no raw value ({:?})", b.name(), b.def().loc),
        }
        self.sealed = false;
    }

    /// A builtin's raw value (see [`Record::builtin`]).
    pub fn builtin(&self, b: Builtin) -> u64 {
        self.rec.builtin(b)
    }

    /// Whether the source gave this builtin (see [`UNKNOWN`]).
    pub fn known(&self, b: Builtin) -> bool {
        !MAYBE_UNKNOWN.contains(&b) || self.rec.builtin(b) != UNKNOWN
    }

    pub fn kind(&self) -> Option<EventKind> {
        self.rec.event_kind()
    }

    /// The record, for reading builtins and scalars (strings only through
    /// [`Event::seal`]).
    pub fn header(&self) -> &Record {
        &self.rec
    }

    /// Sets a scalar field (ids, ints, bools, masks).
    pub fn set(&mut self, field: FieldId, value: u64) {
        match field.def().loc {
            Loc::Slot(n) => self.rec.slots[n as usize] = value,
            loc => panic!("{} is not a scalar field ({loc:?})", field.name()),
        }
        self.sealed = false;
    }

    /// Sets scalar slot `n` directly, for a decoder that resolved its
    /// fields' slots from the schema once (`Loc::Slot(n)`).
    pub fn set_slot(&mut self, n: usize, value: u64) {
        self.rec.slots[n] = value;
        self.sealed = false;
    }

    /// Sets header value `n` directly ([`Builtin::header_slot`], resolved
    /// once by a decoder).
    pub fn set_header(&mut self, n: usize, value: u64) {
        self.rec.header[n] = value;
        self.sealed = false;
    }

    /// Sets string `n` directly (`Loc::Str(n)`, resolved once by a decoder).
    pub fn set_str_slot(&mut self, n: usize, bytes: &[u8]) {
        assert!(n < NSTRS, "string slot {n} out of range");
        self.put_str(n, bytes);
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

    pub fn set_node(&mut self, bytes: &[u8]) {
        self.put_str(NSTRS + 1, bytes);
    }

    pub fn node(&self) -> &[u8] {
        self.str_field(NSTRS + 1)
    }

    pub fn str_field(&self, n: usize) -> &[u8] {
        let (off, len) = self.spans[n];
        &self.buf[off as usize..off as usize + len as usize]
    }

    fn put_str(&mut self, n: usize, mut bytes: &[u8]) {
        // One spelling of an abstract socket's name on every source: audit
        // gives the kernel's `sun_path` with its leading NUL, the 7.3
        // tracepoints without it.
        if n == SUN_PATH_SLOT && bytes.first() == Some(&0) {
            bytes = &bytes[1..];
        }
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
        &self.extras[..self.nextras]
    }

    /// Keeps a field the schema does not know. Names are unique: a second
    /// value for the same name replaces the first.
    pub fn push_extra(&mut self, name: &str, value: &[u8]) {
        let used = &mut self.extras[..self.nextras];
        if let Some((_, v)) = used.iter_mut().find(|(n, _)| n == name) {
            v.clear();
            v.extend_from_slice(value);
            return;
        }
        if let Some((n, v)) = self.extras.get_mut(self.nextras) {
            n.clear();
            n.push_str(name);
            v.clear();
            v.extend_from_slice(value);
        } else {
            self.extras.push((name.to_string(), value.to_vec()));
        }
        self.nextras += 1;
    }

    /// Fixes up the record's string and list pointers and returns the
    /// record that compiled code may read, borrowing the event.
    pub fn seal(&mut self) -> Sealed<'_> {
        if !self.sealed {
            self.fix_up();
        }
        Sealed { rec: &self.rec }
    }

    /// The sealed record of an event sealed since its last change.
    /// Panics if it was modified since [`Event::seal`].
    pub fn sealed(&self) -> Sealed<'_> {
        assert!(self.sealed, "Event::sealed before seal");
        Sealed { rec: &self.rec }
    }

    fn fix_up(&mut self) {
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
        self.rec.node = at(self.spans[NSTRS + 1]);
        self.rec.grants = ListRef { ptr: self.grants.as_ptr(), len: self.grants.len() };
        self.sealed = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::field;

    /// An abstract socket's name has one spelling whatever the source
    /// gave: audit's leading NUL is dropped, a name without one is kept.
    #[test]
    fn sun_path_is_spelled_one_way() {
        assert_eq!(field::sun_path.def().loc, Loc::Str(SUN_PATH_SLOT as u8));
        let mut ev = Event::new();
        ev.reset(EventKind::DenyScopeAbstractUnixSocket, SourceKind::Audit);
        ev.set_str(field::sun_path, b"\0dbus-abc");
        assert_eq!(ev.get_str(field::sun_path), b"dbus-abc");
        ev.set_str(field::sun_path, b"dbus-abc");
        assert_eq!(ev.get_str(field::sun_path), b"dbus-abc");
        ev.set_str_slot(SUN_PATH_SLOT, b"\0\0x");
        assert_eq!(ev.get_str(field::sun_path), b"\0x");
    }
}
