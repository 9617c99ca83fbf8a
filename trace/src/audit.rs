//! Decoder for audit records (`audit.log`, `ausearch --raw`, and the
//! netlink audit source, which feeds it lines in the same form).
//!
//! Records of one audit event share a serial (`msg=audit(SECS.MS:SERIAL)`)
//! and are grouped before decoding: `LANDLOCK_ACCESS` (1423) becomes a deny_*
//! event, `LANDLOCK_DOMAIN` (1424) a `create_domain` ("allocated") or
//! `free_domain` ("deallocated") event, and the SYSCALL record (1300) fills
//! the task's pid, ppid, uid, gid, comm and exe. Untrusted strings are
//! quoted or bare upper-case hex, and both are read.

use crate::{DecodeError, Decoder, Pending};
use landtrace_event::record::Event;
use landtrace_event::schema::Builtin;
use landtrace_event::schema::{EventKind, Family, SourceKind, field};
use std::collections::{HashMap, VecDeque};

/// Audit message types.
pub const AUDIT_SYSCALL: u16 = 1300;
pub const AUDIT_EOE: u16 = 1320;
pub const AUDIT_PROCTITLE: u16 = 1327;
pub const AUDIT_LANDLOCK_ACCESS: u16 = 1423;
pub const AUDIT_LANDLOCK_DOMAIN: u16 = 1424;

/// Groups kept open while waiting for the rest of their records.
const OPEN_GROUPS: usize = 16;

#[derive(Default)]
pub struct AuditDecoder {
    open: VecDeque<Group>,
    /// The executable that created each domain (from its "allocated"
    /// record), to tell whether a denial comes after an exec.
    creators: HashMap<u64, Vec<u8>>,
    /// Emptied records' fields and groups, reused: decoding allocates
    /// nothing in the steady state.
    spare_fields: Vec<Fields>,
    spare_groups: Vec<Group>,
    /// A kernel log (dmesg, journal, syslog) rather than an audit log: its
    /// lines that hold no audit record are other messages, skipped.
    kernel_log: bool,
}

/// Most spare records and groups kept.
const SPARE: usize = 64;

/// The `key=value` fields of one record, decoded, in one reusable buffer:
/// the record's text copied once, values that needed decoding (hex)
/// appended after it.
#[derive(Clone, Debug, Default)]
pub struct Fields {
    buf: Vec<u8>,
    /// (key start, key end, value start, value end) in `buf`.
    spans: Vec<[u32; 4]>,
}

impl Fields {
    pub fn clear(&mut self) {
        self.buf.clear();
        self.spans.clear();
    }

    /// The value of the first field named `key`.
    pub fn get(&self, key: &str) -> Option<&[u8]> {
        let key = key.as_bytes();
        self.spans
            .iter()
            .find(|&&[k, e, _, _]| crate::eq(&self.buf[k as usize..e as usize], key))
            .map(|&[_, _, v, e]| &self.buf[v as usize..e as usize])
    }

    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.spans
            .iter()
            .map(|&[k, ke, v, ve]| (&self.buf[k as usize..ke as usize], &self.buf[v as usize..ve as usize]))
    }
}

/// Domains whose creator is remembered; past this the memory is reset.
const MAX_CREATORS: usize = 65_536;

#[derive(Debug)]
struct Group {
    serial: u64,
    time_ns: i64,
    /// The `node=` the records came from (logs gathered from several
    /// hosts: the same stamp on two nodes is two events); empty if none.
    node: Vec<u8>,
    /// When its first record arrived (the live source flushes by age).
    opened: std::time::Instant,
    /// `LANDLOCK_ACCESS` records, each with what its fields were checked to
    /// say (read once, when the record arrived).
    access: Vec<(Fields, Denial)>,
    domain: Vec<Fields>,
    syscall: Option<Fields>,
}

/// A `LANDLOCK_ACCESS` record's domain and blockers, as read and checked.
#[derive(Debug)]
struct Denial {
    domain: u64,
    kind: EventKind,
    bits: u64,
    /// Blockers this landtrace has no bit for (rarely any).
    unknown: Vec<String>,
}

/// One parsed record line.
#[derive(Debug, Default)]
pub struct Record {
    pub kind: u16,
    pub time_ns: i64,
    pub serial: u64,
    /// `node=NAME` before the type, in logs gathered from several hosts.
    pub node: Vec<u8>,
    pub fields: Fields,
}

impl Decoder for AuditDecoder {
    fn line(&mut self, line: &[u8], out: &mut Pending) -> Result<(), DecodeError> {
        let journal;
        let line = if line.first() == Some(&b'{') {
            journal = journal_message(line).ok_or("a JSON line that is no journal entry with a MESSAGE")?;
            &journal[..]
        } else {
            line
        };
        if self.kernel_log && not_a_record(line) {
            return Ok(());
        }
        let mut rec = self.spare_record();
        match parse_record_impl(line, &mut rec, true) {
            Ok(true) => self.record(rec, out),
            other => {
                self.recycle(rec.fields);
                // Only a line that does not read is looked at again.
                if other.is_err() && interpreted(line) {
                    return Err("an interpreted audit log (ausearch -i: dates and names instead of the \
                                kernel's numbers) is not read; use ausearch --raw"
                        .into());
                }
                other.map(|_| ())
            }
        }
    }

    fn finish(&mut self, out: &mut Pending) {
        while let Some(g) = self.open.pop_front() {
            self.emit(g, out);
        }
    }
}

impl AuditDecoder {
    /// A decoder for a kernel log: lines without an audit record are other
    /// messages (dmesg, `journalctl -k`, kern.log, syslog, journal JSON
    /// and export), skipped.
    pub fn kernel_log() -> AuditDecoder {
        AuditDecoder { kernel_log: true, ..AuditDecoder::default() }
    }

    /// An empty record to parse into, reusing a spare one's storage.
    pub fn spare_record(&mut self) -> Record {
        Record { fields: self.spare_fields.pop().unwrap_or_default(), ..Record::default() }
    }

    fn recycle(&mut self, mut f: Fields) {
        if self.spare_fields.len() < SPARE {
            f.clear();
            self.spare_fields.push(f);
        }
    }

    /// Adds a parsed record (the netlink source calls this directly).
    pub fn record(&mut self, rec: Record, out: &mut Pending) -> Result<(), DecodeError> {
        if rec.kind == AUDIT_EOE {
            if let Some(i) = self.open.iter().position(|g| g.serial == rec.serial && g.node == rec.node) {
                let g = self.open.remove(i).expect("index");
                self.emit(g, out);
            }
            self.recycle(rec.fields);
            return Ok(());
        }
        if !matches!(rec.kind, AUDIT_SYSCALL | AUDIT_LANDLOCK_ACCESS | AUDIT_LANDLOCK_DOMAIN) {
            self.recycle(rec.fields);
            return Ok(());
        }
        let i = if let Some(i) = self
            .open
            .iter()
            .position(|g| g.serial == rec.serial && g.time_ns == rec.time_ns && g.node == rec.node)
        {
            i
        } else {
            if self.open.len() >= OPEN_GROUPS {
                let g = self.open.pop_front().expect("non-empty");
                self.emit(g, out);
            }
            let mut g = self.spare_groups.pop().unwrap_or_else(|| Group {
                serial: 0,
                time_ns: 0,
                node: Vec::new(),
                opened: std::time::Instant::now(),
                access: Vec::new(),
                domain: Vec::new(),
                syscall: None,
            });
            g.serial = rec.serial;
            g.time_ns = rec.time_ns;
            g.node.clear();
            g.node.extend_from_slice(&rec.node);
            g.opened = std::time::Instant::now();
            self.open.push_back(g);
            self.open.len() - 1
        };
        let checked = match rec.kind {
            AUDIT_LANDLOCK_ACCESS => check_access(&rec.fields).map(Some),
            AUDIT_LANDLOCK_DOMAIN => domain_of(&rec.fields).map(|_| None),
            _ => Ok(None),
        };
        let denial = match checked {
            Ok(d) => d,
            Err(e) => {
                self.recycle(rec.fields);
                return Err(e.into());
            }
        };
        let g = &mut self.open[i];
        match (rec.kind, denial) {
            (AUDIT_SYSCALL, _) => {
                if let Some(old) = g.syscall.replace(rec.fields) {
                    self.recycle(old);
                }
            }
            (_, Some(d)) => g.access.push((rec.fields, d)),
            _ => g.domain.push(rec.fields),
        }
        Ok(())
    }

    /// Emits every group (at the end of a live run).
    pub fn flush(&mut self, out: &mut Pending) {
        self.finish(out);
    }

    /// Emits the groups open for `age` or longer (records without a syscall
    /// have no EOE to end them); younger ones may still get their SYSCALL
    /// record. Groups are in arrival order.
    pub fn flush_older(&mut self, age: std::time::Duration, out: &mut Pending) {
        while self.open.front().is_some_and(|g| g.opened.elapsed() >= age) {
            let g = self.open.pop_front().expect("non-empty");
            self.emit(g, out);
        }
    }

    /// When the oldest open group started, if any.
    pub fn oldest(&self) -> Option<std::time::Instant> {
        self.open.front().map(|g| g.opened)
    }
}

/// The task fields of a record (SYSCALL, or a domain's creator), found in
/// one pass: the first of each, as [`Fields::get`] finds it.
#[derive(Default)]
struct Task<'a> {
    pid: Option<&'a [u8]>,
    ppid: Option<&'a [u8]>,
    uid: Option<&'a [u8]>,
    gid: Option<&'a [u8]>,
    comm: Option<&'a [u8]>,
    exe: Option<&'a [u8]>,
    syscall: Option<&'a [u8]>,
}

impl<'a> Task<'a> {
    fn of(f: &'a Fields) -> Task<'a> {
        let mut t = Task::default();
        for (k, v) in f.iter() {
            let slot = match k {
                b"pid" => &mut t.pid,
                b"ppid" => &mut t.ppid,
                b"uid" => &mut t.uid,
                b"gid" => &mut t.gid,
                b"comm" => &mut t.comm,
                b"exe" => &mut t.exe,
                b"syscall" => &mut t.syscall,
                _ => continue,
            };
            slot.get_or_insert(v);
        }
        t
    }
}

fn get<'a>(fields: &'a Fields, key: &str) -> Option<&'a [u8]> {
    fields.get(key)
}

fn num(fields: &Fields, key: &str) -> Option<u64> {
    int(get(fields, key)?)
}

/// A decimal number as `u64` parses it, or else as `i64` does (its bits):
/// `exit=-13`.
fn int(v: &[u8]) -> Option<u64> {
    let (neg, digits) = match v.first() {
        Some(b'-') => (true, &v[1..]),
        Some(b'+') => (false, &v[1..]),
        _ => (false, v),
    };
    if digits.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &c in digits {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(d))?;
    }
    if !neg {
        return Some(n);
    }
    // i64::MIN's magnitude is the largest that negates.
    (n <= 1 << 63).then(|| n.wrapping_neg())
}

fn domain_of(fields: &Fields) -> Result<u64, String> {
    let v = get(fields, "domain").ok_or("record has no domain=")?;
    crate::hex_u64(v).ok_or_else(|| match std::str::from_utf8(v) {
        Ok(s) => format!("domain: bad hex ID {s:?}"),
        Err(_) => "domain is not text".to_string(),
    })
}

fn check_access(fields: &Fields) -> Result<Denial, String> {
    let domain = domain_of(fields)?;
    let b = get(fields, "blockers").ok_or("LANDLOCK_ACCESS has no blockers=")?;
    let (kind, bits, unknown) = classify_blockers(b)?;
    Ok(Denial { domain, kind, bits, unknown })
}

/// The deny event a `blockers=` list belongs to, and its bits.
fn classify_blockers(b: &[u8]) -> Result<(EventKind, u64, Vec<String>), String> {
    let s = std::str::from_utf8(b).map_err(|_| "blockers is not text")?;
    let mut kind = None;
    let mut bits = 0;
    let mut unknown = Vec::new();
    for item in s.split(',').filter(|i| !i.is_empty()) {
        let (k, bit) = match item.split_once('.') {
            Some(("fs", name)) => (EventKind::DenyAccessFs, Family::Fs.bit_of(name)),
            Some(("net", name)) => (EventKind::DenyAccessNet, Family::Net.bit_of(name)),
            Some(("scope", "signal")) => (EventKind::DenyScopeSignal, Family::Scope.bit_of("signal")),
            Some(("scope", "abstract_unix_socket")) => {
                (EventKind::DenyScopeAbstractUnixSocket, Family::Scope.bit_of("abstract_unix_socket"))
            }
            None if item == "ptrace" => (EventKind::DenyPtrace, None),
            _ => return Err(format!("unknown blocker {item:?}")),
        };
        if kind.is_some_and(|prev| prev != k) {
            return Err(format!("blockers mix kinds of denial: {s:?}"));
        }
        kind = Some(k);
        match bit {
            Some(b) => bits |= b,
            // fs.change_topology and rights newer than this landtrace.
            None if k != EventKind::DenyPtrace => unknown.push(item.to_string()),
            None => {}
        }
    }
    Ok((kind.ok_or("empty blockers")?, bits, unknown))
}

impl AuditDecoder {
    fn emit(&mut self, mut g: Group, out: &mut Pending) {
        self.emit_events(&g, out);
        for f in g.access.drain(..).map(|(f, _)| f).chain(g.domain.drain(..)).chain(g.syscall.take()) {
            self.recycle(f);
        }
        if self.spare_groups.len() < SPARE {
            self.spare_groups.push(g);
        }
    }

    fn emit_events(&mut self, g: &Group, out: &mut Pending) {
        let task = |ev: &mut Event, t: Option<&Task>| {
            ev.set_builtin(Builtin::Walltime, g.time_ns as u64);
            ev.set_builtin(Builtin::Time, g.time_ns.max(0) as u64);
            if !g.node.is_empty() {
                ev.set_node(&g.node);
            }
            let Some(t) = t else { return };
            // What the record does not say stays unknown (audit's `pid=`
            // is the thread group's: the thread is unknown, as are the
            // CPU and the cgroup).
            let mut n = |b: Builtin, v: Option<&[u8]>| {
                if let Some(v) = v.and_then(int) {
                    ev.set_builtin(b, v);
                }
            };
            n(Builtin::Pid, t.pid);
            n(Builtin::Ppid, t.ppid);
            n(Builtin::Uid, t.uid);
            n(Builtin::Gid, t.gid);
            if let Some(c) = t.comm {
                ev.set_comm(c);
            }
            if let Some(exe) = t.exe {
                ev.push_extra("exe", exe);
            }
        };
        // The SYSCALL record's task fields, read once for every event.
        let syscall = g.syscall.as_ref().map(Task::of);
        // A domain's allocation record comes before the denial that logged it.
        for d in &g.domain {
            let Ok(domain) = domain_of(d) else { continue };
            let mut ev = out.slot();
            match get(d, "status") {
                Some(b"allocated") => {
                    ev.reset(EventKind::CreateDomain, SourceKind::Audit);
                    ev.set(field::domain, domain);
                    // The creator's task, from the record itself; what it
                    // leaves out (ppid, gid) from the SYSCALL record of the
                    // same serial when that is the same task (the creator is
                    // not always the task denied).
                    task(&mut ev, Some(&Task::of(d)));
                    if let Some(sc) = g.syscall.as_ref().filter(|sc| num(sc, "pid") == num(d, "pid")) {
                        if let Some(ppid) = num(sc, "ppid") {
                            ev.set_builtin(Builtin::Ppid, ppid);
                        }
                        if let Some(gid) = num(d, "gid").or_else(|| num(sc, "gid")) {
                            ev.set_builtin(Builtin::Gid, gid);
                        }
                    }
                    if let Some(mode) = get(d, "mode") {
                        ev.push_extra("mode", mode);
                    }
                    if self.creators.len() >= MAX_CREATORS {
                        self.creators.clear();
                    }
                    self.creators.insert(domain, get(d, "exe").unwrap_or_default().to_vec());
                }
                Some(b"deallocated") => {
                    ev.reset(EventKind::FreeDomain, SourceKind::Audit);
                    ev.set(field::domain, domain);
                    ev.set(field::denials, num(d, "denials").unwrap_or(0));
                    task(&mut ev, None);
                }
                _ => {
                    out.recycle(ev);
                    continue;
                }
            }
            out.commit(ev);
        }
        for (a, d) in &g.access {
            let &Denial { domain, kind, bits, ref unknown } = d;
            let mut ev = out.slot();
            ev.reset(kind, SourceKind::Audit);
            ev.set(field::domain, domain);
            ev.set(field::logged, 1);
            task(&mut ev, syscall.as_ref());
            // Audit does not say whether the task exec'd since the domain was
            // created; a different executable than the creator's means it did.
            let exe = syscall.as_ref().and_then(|t| t.exe);
            let same = matches!((exe, self.creators.get(&domain)), (Some(e), Some(c)) if e == c.as_slice());
            ev.set(field::same_exec, u64::from(same));
            let s = |k: &str| get(a, k);
            match kind {
                EventKind::DenyAccessFs => {
                    ev.set(field::blockers, bits);
                    ev.set_str(field::path, s("path").unwrap_or_default());
                    ev.set_str(field::dev, s("dev").unwrap_or_default());
                    ev.set(field::ino, num(a, "ino").unwrap_or(0));
                }
                EventKind::DenyAccessNet => {
                    ev.set(field::blockers, bits);
                    ev.set(field::sport, num(a, "src").or_else(|| num(a, "lport")).unwrap_or(0));
                    ev.set(field::dport, num(a, "dest").unwrap_or(0));
                    let addr = s("daddr").or_else(|| s("saddr")).or_else(|| s("laddr")).unwrap_or_default();
                    ev.set_str(field::addr, addr);
                }
                EventKind::DenyPtrace => {
                    ev.set(field::tracee_pid, num(a, "opid").unwrap_or(0));
                    ev.set_str(field::tracee_comm, s("ocomm").unwrap_or_default());
                }
                EventKind::DenyScopeSignal => {
                    ev.set(field::target_pid, num(a, "opid").unwrap_or(0));
                    ev.set_str(field::target_comm, s("ocomm").unwrap_or_default());
                }
                _ => {
                    ev.set(field::peer_pid, num(a, "opid").unwrap_or(0));
                    ev.set_str(field::sun_path, s("path").unwrap_or_default());
                }
            }
            if !unknown.is_empty() {
                ev.push_extra("blocker", unknown.join(",").as_bytes());
            }
            for key in ["ioctlcmd", "laddr", "lport", "saddr", "daddr"] {
                if let Some(v) = s(key)
                    && !(kind == EventKind::DenyAccessNet && matches!(key, "saddr" | "daddr"))
                {
                    ev.push_extra(key, v);
                }
            }
            if let Some(sc) = syscall.as_ref().and_then(|t| t.syscall) {
                ev.push_extra("syscall", sc);
            }
            out.commit(ev);
        }
    }
}

/// Fields whose values audit encodes as hex when they hold unsafe bytes.
fn is_untrusted(key: &[u8]) -> bool {
    matches!(
        key,
        b"path" | b"exe" | b"comm" | b"ocomm" | b"dev" | b"name" | b"cwd" | b"proctitle" | b"sun_path"
    )
}

/// Parses `type=T msg=audit(SECS.MS:SERIAL): k=v ...`; `None` for lines
/// that are not audit records of interest.
pub fn parse_record(line: &[u8]) -> Result<Option<Record>, DecodeError> {
    let mut rec = Record::default();
    Ok(parse_record_into(line, &mut rec)?.then_some(rec))
}

/// As [`parse_record`], into `rec` (whose storage is reused); false for a
/// line that is not an audit record of interest.
pub fn parse_record_into(line: &[u8], rec: &mut Record) -> Result<bool, DecodeError> {
    parse_record_impl(line, rec, false)
}

/// Where the record in a line starts: at its start in audit.log and
/// `ausearch --raw`; after the log's own prefix where the kernel printed
/// the record itself (no audit daemon: `dmesg`, `dmesg -r`'s `<5>[ 12.3]`,
/// `journalctl -k`, kern.log and syslog's `host kernel: `, the journal's
/// `MESSAGE=`), which ends in `audit: type=`.
fn record_start(line: &[u8]) -> &[u8] {
    if line.starts_with(b"type=") || line.starts_with(b"node=") {
        return line;
    }
    match crate::find(line, b"audit: type=") {
        Some(i) => &line[i + 7..],
        None => line,
    }
}

/// Whether a line holds no audit record at all (another kernel message in
/// a kernel log, a journal export's other fields): in a kernel log it is
/// skipped as ftrace skips other events' lines.
pub fn not_a_record(line: &[u8]) -> bool {
    crate::find(line, b"type=").is_none() && crate::find(line, b"audit(").is_none()
}

/// The record in a line of `journalctl -o json`: its `MESSAGE`, a string
/// or (not UTF-8) an array of bytes. `None` if the line is no such object.
fn journal_message(line: &[u8]) -> Option<Vec<u8>> {
    let v: serde_json::Value = serde_json::from_slice(line).ok()?;
    match v.get("MESSAGE")? {
        serde_json::Value::String(s) => Some(s.clone().into_bytes()),
        serde_json::Value::Array(a) => {
            a.iter().map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok())).collect()
        }
        _ => None,
    }
}

/// Whether the line is `ausearch -i`'s: `msg=audit(12/07/2026 03:58:01.001:12) : ...`.
fn interpreted(line: &[u8]) -> bool {
    crate::find(line, b"msg=audit(").is_some_and(|i| {
        let s = &line[i + 10..];
        s.len() > 3 && s[..2].iter().all(u8::is_ascii_digit) && s[2] == b'/'
    })
}

/// Whether the decoder uses records of this type (the others are only
/// counted as well-formed records: their stamp is read, their fields not).
fn used(kind: u16) -> bool {
    matches!(kind, AUDIT_EOE | AUDIT_SYSCALL | AUDIT_LANDLOCK_ACCESS | AUDIT_LANDLOCK_DOMAIN)
}

/// [`parse_record_into`]; with `skip_unused`, the fields of a record type
/// the decoder does not use (PROCTITLE, CWD, PATH, ...: a third of a
/// denial's records) are not parsed.
fn parse_record_impl(line: &[u8], rec: &mut Record, skip_unused: bool) -> Result<bool, DecodeError> {
    // Enriched logs append interpreted fields after 0x1d.
    let line = match memchr::memchr(0x1d, line) {
        Some(i) => &line[..i],
        None => line,
    };
    let mut rest = record_start(line);
    let mut kind = None;
    rec.node.clear();
    while let Some(tok_end) = memchr::memchr(b' ', rest) {
        let tok = &rest[..tok_end];
        if let Some(t) = tok.strip_prefix(b"type=") {
            kind = Some(type_code(t)?);
        } else if let Some(node) = tok.strip_prefix(b"node=") {
            rec.node.extend_from_slice(node);
        } else {
            break;
        }
        rest = &rest[tok_end + 1..];
    }
    let body = rest.strip_prefix(b"msg=").unwrap_or(rest);
    let Some(kind) = kind else {
        // Still name what is wrong with the stamp first, if anything.
        parse_payload_into(0, body, rec)?;
        return Err("record has no type=".into());
    };
    if skip_unused && !used(kind) {
        parse_stamp_into(kind, body, rec)?;
    } else {
        parse_payload_into(kind, body, rec)?;
    }
    Ok(true)
}

/// Parses `audit(SECS.MS:SERIAL): k=v ...` of a record whose type is known
/// (the netlink source reads the type from the message header).
pub fn parse_payload(kind: u16, body: &[u8]) -> Result<Record, DecodeError> {
    let mut rec = Record::default();
    parse_payload_into(kind, body, &mut rec)?;
    Ok(rec)
}

/// As [`parse_payload`], into `rec` (whose storage is reused).
pub fn parse_payload_into(kind: u16, body: &[u8], rec: &mut Record) -> Result<(), DecodeError> {
    let after = parse_stamp_into(kind, body, rec)?;
    parse_fields(after, &mut rec.fields)?;
    Ok(())
}

/// `SECS.FRAC:SERIAL` in its usual form (at most 18 digits of seconds, 1
/// to 9 of fraction, 19 of serial): (nanoseconds, serial). `None` for
/// anything else, which the general reading takes (and names).
fn plain_stamp(stamp: &[u8]) -> Option<(i64, u64)> {
    let run = |from: usize, max: usize| -> Option<(u64, usize)> {
        let mut n = 0u64;
        let mut i = from;
        while let Some(&c) = stamp.get(i).filter(|c| c.is_ascii_digit()) {
            // One digit more than `max` is not read (it could overflow).
            if i - from == max {
                return None;
            }
            n = n * 10 + u64::from(c - b'0');
            i += 1;
        }
        (i > from).then_some((n, i))
    };
    let (secs, dot) = run(0, 18)?;
    if stamp.get(dot) != Some(&b'.') {
        return None;
    }
    let (frac, colon) = run(dot + 1, 9)?;
    if stamp.get(colon) != Some(&b':') {
        return None;
    }
    let (serial, end) = run(colon + 1, 19)?;
    if end != stamp.len() {
        return None;
    }
    let frac_ns = frac as i64 * 10i64.pow(9 - (colon - dot - 1) as u32);
    Some(((secs as i64).saturating_mul(1_000_000_000).saturating_add(frac_ns), serial))
}

/// Reads `audit(SECS.MS:SERIAL):` into `rec` (its fields cleared);
/// returns the fields' text.
fn parse_stamp_into<'b>(kind: u16, body: &'b [u8], rec: &mut Record) -> Result<&'b [u8], DecodeError> {
    let body = body.strip_prefix(b"audit(").ok_or("expected msg=audit(...)")?;
    let close = memchr::memchr(b')', body).ok_or("unterminated audit(...)")?;
    if let Some((time_ns, serial)) = plain_stamp(&body[..close]) {
        rec.kind = kind;
        rec.time_ns = time_ns;
        rec.serial = serial;
        rec.fields.clear();
        return Ok(fields_text(&body[close + 1..]));
    }
    let stamp = std::str::from_utf8(&body[..close]).map_err(|_| "bad audit timestamp")?;
    let (time, serial) = stamp.split_once(':').ok_or("audit(...) has no serial")?;
    let (secs, frac) = time.split_once('.').unwrap_or((time, "0"));
    let secs: i64 = secs.parse().map_err(|_| format!("bad audit time {time:?}"))?;
    if frac.is_empty() || frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("bad audit time {time:?}").into());
    }
    let frac_ns: i64 = frac.parse::<i64>().map_err(|_| format!("bad audit time {time:?}"))?
        * 10i64.pow(9 - frac.len() as u32);
    let serial: u64 = serial.parse().map_err(|_| format!("bad audit serial {serial:?}"))?;
    rec.kind = kind;
    rec.time_ns = secs.saturating_mul(1_000_000_000).saturating_add(frac_ns);
    rec.serial = serial;
    rec.fields.clear();
    Ok(fields_text(&body[close + 1..]))
}

/// What follows `audit(...)`: without its colon, up to a NUL.
fn fields_text(after: &[u8]) -> &[u8] {
    let after = after.strip_prefix(b":").unwrap_or(after);
    match memchr::memchr(0, after) {
        Some(nul) => &after[..nul],
        None => after,
    }
}

fn type_code(t: &[u8]) -> Result<u16, String> {
    Ok(match t {
        b"SYSCALL" => AUDIT_SYSCALL,
        b"EOE" => AUDIT_EOE,
        b"PROCTITLE" => AUDIT_PROCTITLE,
        b"LANDLOCK_ACCESS" => AUDIT_LANDLOCK_ACCESS,
        b"LANDLOCK_DOMAIN" => AUDIT_LANDLOCK_DOMAIN,
        // `UNKNOWN[1423]`: a type this system's audit library has no name for.
        _ if t.len() == 13
            && t.starts_with(b"UNKNOWN[")
            && t[8..12].iter().all(u8::is_ascii_digit)
            && t[12] == b']' =>
        {
            t[8..12].iter().fold(0u16, |n, &c| n * 10 + u16::from(c - b'0'))
        }
        _ => {
            let s = std::str::from_utf8(t).map_err(|_| "bad record type")?;
            match s.strip_prefix("UNKNOWN[").and_then(|x| x.strip_suffix(']')) {
                Some(n) => n.parse().map_err(|_| format!("bad record type {s:?}"))?,
                None => s.parse().unwrap_or(0),
            }
        }
    })
}

/// `k=v k="quoted" k=48455820` into (key, decoded bytes).
fn parse_fields(b: &[u8], out: &mut Fields) -> Result<(), String> {
    // The text is copied once; keys, quoted and plain values are spans of
    // it, decoded hex goes after it.
    let base = out.buf.len();
    out.buf.extend_from_slice(b);
    let at = |i: usize| (base + i) as u32;
    let mut i = 0;
    loop {
        while b.get(i) == Some(&b' ') {
            i += 1;
        }
        if i >= b.len() {
            return Ok(());
        }
        let eq = crate::find_either(b, i, b'=', b' ');
        if b.get(eq) != Some(&b'=') {
            // A bare word (audit prints some, e.g. "op=..." is fine but
            // free text is not a field): skip it.
            i = eq;
            continue;
        }
        let key = &b[i..eq];
        let v = eq + 1;
        if b.get(v) == Some(&b'"') {
            let close = crate::find_byte(b, v + 1, b'"');
            if close == b.len() {
                return Err(format!("{}: unterminated quote", String::from_utf8_lossy(key)));
            }
            out.spans.push([at(i), at(eq), at(v + 1), at(close)]);
            i = close + 1;
        } else {
            let end = crate::find_byte(b, v, b' ');
            let raw = &b[v..end];
            if raw == b"(null)" {
                out.spans.push([at(i), at(eq), at(v), at(v)]);
            } else if is_untrusted(key) && is_hex(raw) {
                let start = out.buf.len() as u32;
                decode_hex(raw, &mut out.buf);
                out.spans.push([at(i), at(eq), start, out.buf.len() as u32]);
            } else {
                out.spans.push([at(i), at(eq), at(v), at(end)]);
            }
            i = end;
        }
    }
}

fn is_hex(v: &[u8]) -> bool {
    !v.is_empty()
        && v.len().is_multiple_of(2)
        && v.iter().all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(c))
}

/// Appends the bytes of upper-case hex digits (checked by [`is_hex`]).
fn decode_hex(v: &[u8], out: &mut Vec<u8>) {
    let digit = |c: u8| if c.is_ascii_digit() { c - b'0' } else { c - b'A' + 10 };
    out.extend(v.chunks(2).map(|p| digit(p[0]) << 4 | digit(p[1])));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Format, decode_all};

    /// The byte-level number readers agree with the `str` parsers they
    /// replace, and the usual stamp with the general reading.
    #[test]
    fn numbers_read_as_str_parses_them() {
        for v in [
            "",
            "+",
            "++5",
            "-",
            "0",
            "-0",
            "+5",
            "-13",
            "4294967295",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "000000000000000000000001",
            "1a",
            " 1",
            "ffffffff",
            "c000003e",
            "+1c1407c26",
            "10000000000000000",
            "0000000000000000000ff",
            "ffffffffffffffff",
            "0ffffffffffffffff",
            "1ffffffffffffffff",
            "FfFfFfFf",
            "0000000000000000g",
            "g000000000000000",
            "٣",
        ] {
            let old = v.parse::<u64>().ok().or_else(|| v.parse::<i64>().ok().map(|x| x as u64));
            assert_eq!(int(v.as_bytes()), old, "{v:?}");
            assert_eq!(crate::hex_u64(v.as_bytes()), u64::from_str_radix(v, 16).ok(), "{v:?}");
        }
        for stamp in
            ["1795958807.045:3", "0.1:0", "1.123456789:9999999999999999999", "999999999999999999.5:7"]
        {
            let mut a = Record::default();
            let mut b = Record::default();
            let body = format!("audit({stamp}): x=1");
            assert!(plain_stamp(stamp.as_bytes()).is_some(), "{stamp}");
            parse_stamp_into(1, body.as_bytes(), &mut a).unwrap();
            // The general reading, as it was before the fast one.
            let (time, serial) = stamp.split_once(':').unwrap();
            let (secs, frac) = time.split_once('.').unwrap();
            b.time_ns = secs
                .parse::<i64>()
                .unwrap()
                .saturating_mul(1_000_000_000)
                .saturating_add(frac.parse::<i64>().unwrap() * 10i64.pow(9 - frac.len() as u32));
            b.serial = serial.parse().unwrap();
            assert_eq!((a.time_ns, a.serial), (b.time_ns, b.serial), "{stamp}");
        }
        for odd in [
            "1.0123456789:1",
            "1:2",
            "1.:2",
            ".5:2",
            "-1.5:2",
            "+1.5:2",
            "1.5:",
            "1.5:2x",
            "1.5:+2",
            "1.5:533333333333333333333333333333",
            "99999999999999999999999.5:1",
        ] {
            assert!(plain_stamp(odd.as_bytes()).is_none(), "{odd}");
        }
    }

    const DENIAL: &str = r#"type=LANDLOCK_ACCESS msg=audit(1795958807.045:3): domain=1c1407c26 blockers=fs.read_file path="/etc/passwd" dev="vda" ino=737
type=LANDLOCK_DOMAIN msg=audit(1795958807.045:3): domain=1c1407c26 status=allocated mode=enforcing pid=2973 uid=0 exe="/usr/bin/python3.11" comm="python3"
type=SYSCALL msg=audit(1795958807.045:3): arch=c000003e syscall=257 success=no exit=-13 a0=ffffff9c ppid=2932 pid=2973 auid=4294967295 uid=0 gid=0 comm="python3" exe="/usr/bin/python3.11" key=(null)
type=PROCTITLE msg=audit(1795958807.045:3): proctitle=707974686F6E33
type=LANDLOCK_DOMAIN msg=audit(1795958807.097:4): domain=1c1407c26 status=deallocated denials=1
"#;

    #[test]
    fn documented_denial() {
        let (evs, errs) = decode_all(Format::Audit, DENIAL.as_bytes());
        assert!(errs.is_empty(), "{errs:?}");
        let kinds: Vec<_> = evs.iter().map(|e| e.kind().unwrap()).collect();
        assert_eq!(kinds, [EventKind::CreateDomain, EventKind::DenyAccessFs, EventKind::FreeDomain]);
        let d = &evs[1];
        assert_eq!(d.get(field::domain), 0x1c1407c26);
        assert_eq!(d.get(field::blockers), 4);
        assert_eq!(d.get_str(field::path), b"/etc/passwd");
        assert_eq!(d.get_str(field::dev), b"vda");
        assert_eq!((d.builtin(Builtin::Pid), d.builtin(Builtin::Ppid)), (2973, 2932));
        assert_eq!(d.comm(), b"python3");
        assert_eq!(d.header().walltime(), 1_795_958_807_045_000_000);
        assert_eq!(evs[2].get(field::denials), 1);
        // The domain's creator is the task of the SYSCALL record: its ppid too.
        assert_eq!(
            (evs[0].builtin(Builtin::Pid), evs[0].builtin(Builtin::Ppid), evs[0].builtin(Builtin::Uid)),
            (2973, 2932, 0)
        );
    }

    /// A group young enough may still get its SYSCALL record: flushing by
    /// age leaves it open (a flush of everything once cut one short).
    #[test]
    fn only_old_groups_are_flushed() {
        let mut d = AuditDecoder::default();
        let mut out = Pending::default();
        let access = parse_record(DENIAL.lines().next().unwrap().as_bytes()).unwrap().unwrap();
        d.record(access, &mut out).unwrap();
        d.flush_older(std::time::Duration::from_mins(1), &mut out);
        assert!(out.is_empty(), "a young group stays open");
        let syscall = parse_record(DENIAL.lines().nth(2).unwrap().as_bytes()).unwrap().unwrap();
        d.record(syscall, &mut out).unwrap();
        d.flush_older(std::time::Duration::ZERO, &mut out);
        let mut ev = Event::new();
        assert!(out.pop_into(&mut ev));
        assert_eq!((ev.kind(), ev.comm()), (Some(EventKind::DenyAccessFs), &b"python3"[..]));
    }

    /// A record type the decoder does not use is read only up to its stamp:
    /// its fields are not parsed (a damaged stamp is still reported).
    #[test]
    fn unused_records_are_read_to_their_stamp() {
        let log = "type=PROCTITLE msg=audit(1.5:9): proctitle=\"unterminated\n\
                   type=CWD msg=audit(1.5:x): cwd=\"/\"\n";
        let (evs, errs) = decode_all(Format::Audit, log.as_bytes());
        assert!(evs.is_empty());
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(errs[0].0, 2, "the damaged stamp, not the unterminated quote: {errs:?}");
        // parse_record (the public parser) still reads every field.
        assert!(parse_record(b"type=PROCTITLE msg=audit(1.5:9): proctitle=\"x").is_err());
    }

    #[test]
    fn hex_strings_unknown_types_and_garbage() {
        let log = "type=UNKNOWN[1423] msg=audit(1.5:9): domain=a blockers=net.connect_tcp daddr=127.0.0.1 dest=443\n\
                   type=UNKNOWN[1423] msg=audit(1.5:10): domain=a blockers=fs.write_file path=2F746D702F6120622E747874 dev=\"vda\" ino=5\n\
                   type=UNKNOWN[1423] msg=audit(1.5:11): domain=a blockers=scope.signal opid=7 ocomm=\"sleep\"\n\
                   garbage line\n\
                   type=LANDLOCK_ACCESS msg=audit(1.5:12): domain=xyz blockers=fs.read_file\n";
        let (evs, errs) = decode_all(Format::Audit, log.as_bytes());
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert_eq!(evs.len(), 3);
        assert_eq!(evs[0].get(field::dport), 443);
        assert_eq!(evs[0].get_str(field::addr), b"127.0.0.1");
        assert_eq!(evs[1].get_str(field::path), b"/tmp/a b.txt");
        assert_eq!(evs[2].kind(), Some(EventKind::DenyScopeSignal));
        assert_eq!(evs[2].get(field::target_pid), 7);
    }

    /// Logs gathered from several hosts (`node=NAME` first): the same
    /// stamp and serial on two nodes are two events, each with its node.
    #[test]
    fn records_of_two_nodes_with_one_stamp_are_two_events() {
        let log: String = ["web1", "web2"]
            .iter()
            .flat_map(|n| DENIAL.lines().map(move |l| format!("node={n} {l}\n")))
            .collect();
        let (evs, errs) = decode_all(Format::Audit, log.as_bytes());
        assert!(errs.is_empty(), "{errs:?}");
        let denials: Vec<&Event> = evs.iter().filter(|e| e.kind() == Some(EventKind::DenyAccessFs)).collect();
        assert_eq!(denials.len(), 2);
        assert_eq!((denials[0].node(), denials[1].node()), (&b"web1"[..], &b"web2"[..]));
        // Each got its own SYSCALL record's task.
        assert!(denials.iter().all(|d| d.builtin(Builtin::Ppid) == 2932));
    }
}
