//! Recorded traces: decoders for the three formats landtrace replays, and
//! the writer of its own.
//!
//! - [`jsonl`]: landtrace JSON lines (docs/trace-format.md), read and
//!   written ([`jsonl::json_event`]).
//! - [`ftrace`]: ftrace text (tracefs `trace`/`trace_pipe`, `trace-cmd
//!   report`).
//! - [`audit`]: audit logs (`audit.log`, `ausearch --raw`) and the records
//!   the live audit source reads from netlink.
//!
//! The decoders are pure: they turn a line into events and know nothing of
//! files, so they are tested and fuzzed on their own. The runtime's replay
//! source reads files and reports malformed lines. Only the event model
//! (landtrace-event) and serde are linked, not the compiler.

pub mod audit;
mod fastjson;
pub mod ftrace;
pub mod jsonl;
pub mod jsonschema;

use landtrace_event::record::Event;
use std::collections::VecDeque;
use std::fmt;

/// Longest line read; a longer one is reported and skipped.
pub const MAX_LINE: usize = 1 << 20;

/// Why a line is malformed (reported with `file:line`, the line skipped).
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("invalid JSON: {0}")]
    Json(#[source] serde_json::Error),
    #[error("trace format version {found} is newer than this landtrace reads ({reads})")]
    Version { found: u64, reads: u32 },
    /// What the line holds is not what its format allows: the reason, in
    /// words (the input itself is the cause).
    #[error("{0}")]
    Malformed(String),
}

impl From<String> for DecodeError {
    fn from(reason: String) -> DecodeError {
        DecodeError::Malformed(reason)
    }
}

impl From<&str> for DecodeError {
    fn from(reason: &str) -> DecodeError {
        DecodeError::Malformed(reason.to_string())
    }
}

/// A line decoder for one file format.
pub trait Decoder {
    /// Decodes one line (without its newline), queueing any events it
    /// completes. An `Err` is the reason the line is malformed.
    fn line(&mut self, line: &[u8], out: &mut Pending) -> Result<(), DecodeError>;

    /// Decodes one line straight into `ev`, for a format that makes at
    /// most one event of a line and holds nothing back (JSON lines,
    /// ftrace): `Some(Ok(true))` when `ev` now holds an event,
    /// `Some(Ok(false))` for a line without one, `None` when this decoder
    /// needs [`Decoder::line`]'s queue (audit groups records). Saves moving
    /// each event (some 600 bytes) through the queue.
    fn line_into(&mut self, _line: &[u8], _ev: &mut Event) -> Option<Result<bool, DecodeError>> {
        None
    }

    /// End of input: queue whatever is still buffered.
    fn finish(&mut self, _out: &mut Pending) {}

    /// Events the recorder says it lost (ftrace `[LOST n EVENTS]`).
    fn lost(&self) -> u64 {
        0
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Format {
    Jsonl,
    Ftrace,
    Audit,
    /// Audit records as the kernel prints them without an audit daemon,
    /// among the log's other messages: dmesg, `journalctl -k` (text, JSON,
    /// export), kern.log, syslog.
    KernelLog,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Jsonl => "landtrace JSON lines",
            Format::Ftrace => "ftrace text",
            Format::Audit => "audit log",
            Format::KernelLog => "kernel log",
        }
    }

    pub fn decoder(self) -> Box<dyn Decoder> {
        match self {
            Format::Jsonl => Box::new(jsonl::JsonlDecoder::default()),
            Format::Ftrace => Box::new(ftrace::FtraceDecoder::default()),
            Format::Audit => Box::new(audit::AuditDecoder::default()),
            Format::KernelLog => Box::new(audit::AuditDecoder::kernel_log()),
        }
    }
}

/// Recognises the format from one line, if it is telling.
pub fn classify(line: &[u8]) -> Option<Format> {
    let t = trim(line);
    if t.is_empty() {
        return None;
    }
    if t[0] == b'{' {
        // `journalctl -o json`: the kernel's audit records in MESSAGE.
        if find(t, b"\"MESSAGE\":").is_some() && find(t, b"\"__CURSOR\":").is_some() {
            return Some(Format::KernelLog);
        }
        return Some(Format::Jsonl);
    }
    if t.starts_with(b"type=") || t.starts_with(b"node=") || find(t, b"msg=audit(").is_some() {
        return Some(Format::Audit);
    }
    // The kernel's own printing of a record (`[ 12.3] audit: type=1423
    // audit(...)`, after a syslog or journal prefix), or the first line
    // of a `journalctl -o export` entry.
    if (find(t, b"audit: type=").is_some() && find(t, b" audit(").is_some()) || t.starts_with(b"__CURSOR=") {
        return Some(Format::KernelLog);
    }
    if t.starts_with(b"# tracer:") || ftrace::event_token(t).is_some() {
        return Some(Format::Ftrace);
    }
    None
}

/// The line without leading and trailing ASCII whitespace.
pub fn trim(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|c| !c.is_ascii_whitespace()).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !c.is_ascii_whitespace()).map_or(start, |i| i + 1);
    &b[start..end]
}

/// Where `needle` first occurs in `hay` (SIMD: every ftrace and audit line
/// is searched so).
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

/// Whether two slices of the same length are equal, compared a word at a
/// time (keys are short: a call to `memcmp` costs more than comparing).
#[allow(
    clippy::inline_always,
    reason = "measured: inlined into the JSON fast path's plan it saves a call per member"
)]
#[inline(always)]
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    debug_assert_eq!(n, b.len());
    let w8 = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("8 bytes"));
    let w4 = |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().expect("4 bytes"));
    if n >= 8 {
        let mut i = 0;
        while i + 8 < n {
            if w8(a, i) != w8(b, i) {
                return false;
            }
            i += 8;
        }
        // The last eight bytes, overlapping what was compared.
        w8(a, n - 8) == w8(b, n - 8)
    } else if n >= 4 {
        w4(a, 0) == w4(b, 0) && w4(a, n - 4) == w4(b, n - 4)
    } else {
        a == b
    }
}

/// Where the first `byte` at or after `from` is, or the end: eight bytes at
/// a time (values are short: a call to `memchr` costs more).
#[inline]
pub(crate) fn find_byte(b: &[u8], from: usize, byte: u8) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let mut i = from;
    while let Some(chunk) = b.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().expect("8 bytes")) ^ (ONES * u64::from(byte));
        let m = w.wrapping_sub(ONES) & !w & (ONES * 0x80);
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    b[i..].iter().position(|&c| c == byte).map_or(b.len(), |p| i + p)
}

/// A hex number as `u64::from_str_radix(s, 16)` reads it (one optional
/// `+`), from bytes: IDs in every format.
pub(crate) fn hex_u64(b: &[u8]) -> Option<u64> {
    // Each byte's digit value, or 0xff.
    static HEX: [u8; 256] = {
        let mut t = [0xffu8; 256];
        let mut i = 0;
        while i < 10 {
            t[b'0' as usize + i] = i as u8;
            i += 1;
        }
        let mut i = 0;
        while i < 6 {
            t[b'a' as usize + i] = 10 + i as u8;
            t[b'A' as usize + i] = 10 + i as u8;
            i += 1;
        }
        t
    };
    let b = b.strip_prefix(b"+").unwrap_or(b);
    if b.is_empty() {
        return None;
    }
    let mut v = 0u64;
    // Sixteen digits cannot overflow; past that, each is checked.
    let (short, long) = b.split_at(b.len().min(16));
    for &c in short {
        let d = HEX[usize::from(c)];
        if d == 0xff {
            return None;
        }
        v = v << 4 | u64::from(d);
    }
    for &c in long {
        let d = HEX[usize::from(c)];
        if d == 0xff || v >> 60 != 0 {
            return None;
        }
        v = v << 4 | u64::from(d);
    }
    Some(v)
}

/// Where the first `x` or `y` at or after `from` is, or the end; eight
/// bytes at a time, like [`find_byte`].
#[inline]
pub(crate) fn find_either(b: &[u8], from: usize, x: u8, y: u8) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let zero = |w: u64| w.wrapping_sub(ONES) & !w & (ONES * 0x80);
    let mut i = from;
    while let Some(chunk) = b.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        // Each test's lowest flagged byte is exact, so the lowest of both is.
        let m = zero(w ^ (ONES * u64::from(x))) | zero(w ^ (ONES * u64::from(y)));
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    b[i..].iter().position(|&c| c == x || c == y).map_or(b.len(), |p| i + p)
}

/// Whether two slices are equal ([`same`] after comparing lengths).
#[inline]
pub(crate) fn eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && same(a, b)
}

/// Decoded events waiting to be handed out, with recycled storage.
#[derive(Default)]
pub struct Pending {
    queue: VecDeque<Event>,
    pool: Vec<Event>,
}

impl Pending {
    /// A cleared event to fill; call [`Pending::commit`] to queue it.
    pub fn slot(&mut self) -> Event {
        self.pool.pop().unwrap_or_default()
    }

    pub fn commit(&mut self, ev: Event) {
        self.queue.push_back(ev);
    }

    pub fn recycle(&mut self, ev: Event) {
        if self.pool.len() < 64 {
            self.pool.push(ev);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Moves the next queued event into `out`; the old contents of `out`
    /// are recycled.
    pub fn pop_into(&mut self, out: &mut Event) -> bool {
        match self.queue.pop_front() {
            Some(ev) => {
                let old = std::mem::replace(out, ev);
                self.recycle(old);
                true
            }
            None => false,
        }
    }
}

impl fmt::Debug for Pending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pending").field("queued", &self.queue.len()).finish_non_exhaustive()
    }
}

/// Decodes a whole buffer with one decoder (tests and fuzzing).
pub fn decode_all(format: Format, input: &[u8]) -> (Vec<Event>, Vec<(usize, DecodeError)>) {
    let mut d = format.decoder();
    let mut pending = Pending::default();
    let mut errors = Vec::new();
    for (i, line) in input.split(|b| *b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        if let Err(e) = d.line(line, &mut pending) {
            errors.push((i + 1, e));
        }
    }
    d.finish(&mut pending);
    let mut events = Vec::new();
    let mut ev = Event::new();
    while pending.pop_into(&mut ev) {
        events.push(ev.clone());
    }
    (events, errors)
}

#[cfg(test)]
mod find_tests {
    /// The word-at-a-time searches find what a byte-by-byte search finds,
    /// at every start and length around the word size.
    #[test]
    fn searches_agree_with_bytes() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for len in 0..40 {
            let b: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    [b' ', b'=', b'a', 0x1f, 0x21, 0x3c, 0xff, 0x00][(x % 8) as usize]
                })
                .collect();
            for from in 0..=len {
                let naive =
                    |f: &dyn Fn(u8) -> bool| b[from..].iter().position(|&c| f(c)).map_or(len, |p| from + p);
                assert_eq!(super::find_byte(&b, from, b' '), naive(&|c| c == b' '), "{b:?} from {from}");
                assert_eq!(
                    super::find_either(&b, from, b'=', b' '),
                    naive(&|c| c == b'=' || c == b' '),
                    "{b:?} from {from}"
                );
            }
        }
    }
}
