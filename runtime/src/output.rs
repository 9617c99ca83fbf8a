//! Output: events, `print`, `printf` and maps, as text (docs/language.md
//! section 6) or JSON lines (docs/trace-format.md).
//!
//! Every untrusted string is escaped in text and correctly encoded in JSON.
//! Writes go through one buffer; the first write error (a closed pipe) is
//! kept and ends the run.

use crate::maps::{self, Agg, Map};
use landtrace_compiler::format::{Conv, Format, Piece};
use landtrace_compiler::typed::MapValue;
use landtrace_event::escape::{escape_into, json_str_into};
use landtrace_event::record::Event;
use landtrace_event::schema::Builtin;
use landtrace_event::schema::{EventKind, Family, FieldId, FieldType, Loc};
use landtrace_event::time;
use landtrace_event::value::Val;
use landtrace_event::value::{
    json_val, push_fmt, push_hex, push_i64, push_mask, push_u64, push_u64_padded, scalar_val, text_val,
};
use landtrace_trace::jsonl::json_event;
use std::io::{self, Write};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum OutFormat {
    Text,
    Json,
}

pub struct Output {
    w: Box<dyn Write + Send>,
    pub format: OutFormat,
    color: bool,
    line: Vec<u8>,
    /// Where a printf is formatted before it is put in a JSON string.
    scratch: Vec<u8>,
    /// The text of the last masks printed with events.
    masks: MaskTexts,
    /// The writer, when sources write error records into it too.
    stream: Option<SharedWriter>,
    error: Option<io::Error>,
}

/// Most mask texts remembered.
const MASK_TEXTS: usize = 8;

/// The names of the last few masks printed: the same rights are handled,
/// asked and denied over and over, so a mask's text is mostly a copy.
/// Their storage is reused (nothing allocated per event once warm).
#[derive(Default)]
struct MaskTexts {
    entries: Vec<(Family, u64, Vec<u8>)>,
    /// The entry replaced next, once all are in use.
    next: usize,
}

impl MaskTexts {
    /// Appends what [`push_mask`] would.
    fn push(&mut self, out: &mut Vec<u8>, f: Family, bits: u64) {
        if let Some((_, _, text)) = self.entries.iter().find(|(ef, eb, _)| *eb == bits && *ef == f) {
            out.extend_from_slice(text);
            return;
        }
        let at = out.len();
        push_mask(out, f, bits);
        let text = &out[at..];
        if self.entries.len() < MASK_TEXTS {
            self.entries.push((f, bits, text.to_vec()));
        } else {
            let e = &mut self.entries[self.next];
            e.0 = f;
            e.1 = bits;
            e.2.clear();
            e.2.extend_from_slice(text);
            self.next = (self.next + 1) % MASK_TEXTS;
        }
    }
}

struct Style {
    on: bool,
}

impl Style {
    fn wrap(&self, out: &mut Vec<u8>, code: &str, f: impl FnOnce(&mut Vec<u8>)) {
        if self.on {
            out.extend_from_slice(b"\x1b[");
            out.extend_from_slice(code.as_bytes());
            out.push(b'm');
            f(out);
            out.extend_from_slice(b"\x1b[0m");
        } else {
            f(out);
        }
    }
}

impl Output {
    pub fn new(w: Box<dyn Write + Send>, format: OutFormat, color: bool) -> Output {
        Output {
            w,
            format,
            color: color && format == OutFormat::Text,
            line: Vec::with_capacity(512),
            scratch: Vec::new(),
            masks: MaskTexts::default(),
            stream: None,
            error: None,
        }
    }

    /// JSON output whose writer is shared with the sources, for their
    /// error records ([`Output::stream`]): each record goes into the stream
    /// where it happened, between the events.
    pub fn shared(w: Box<dyn Write + Send>, format: OutFormat, color: bool) -> Output {
        let shared = SharedWriter(std::sync::Arc::new(std::sync::Mutex::new(w)));
        let mut out = Output::new(Box::new(shared.clone()), format, color);
        out.stream = Some(shared);
        out
    }

    /// Another handle on the output stream, when it is shared (JSON).
    pub fn stream(&self) -> Option<Box<dyn Write + Send>> {
        self.stream.clone().map(|s| Box::new(s) as Box<dyn Write + Send>)
    }

    /// The error that ended a run, as the stream's last record (JSON
    /// only: text output has it on stderr alone), with the file and line
    /// it is about where there is one.
    pub fn fatal(&mut self, source: &str, at: Option<(&str, Option<u64>)>, message: &str) {
        if self.format != OutFormat::Json {
            return;
        }
        let (file, line) = at.map_or((None, None), |(f, l)| (Some(f), l));
        json_error_record(&mut self.line, source, file, line, None, true, message);
        self.emit();
        self.flush();
    }

    /// Text output to a buffer, for tests.
    pub fn to_vec(format: OutFormat) -> (Output, SharedBuf) {
        let buf = SharedBuf::default();
        (Output::new(Box::new(buf.clone()), format, false), buf)
    }

    /// The first write error, if any (a closed pipe ends the run).
    pub fn error(&self) -> Option<&io::Error> {
        self.error.as_ref()
    }

    fn emit(&mut self) {
        if self.error.is_none()
            && let Err(e) = self.w.write_all(&self.line)
        {
            self.error = Some(e);
        }
        self.line.clear();
    }

    /// Flushes buffered output (live runs do after every batch); a failure
    /// is kept like a write error.
    pub fn flush(&mut self) {
        if self.error.is_none()
            && let Err(e) = self.w.flush()
        {
            self.error = Some(e);
        }
    }

    /// Flushes and returns the first error of the whole run, if any.
    pub fn finish(&mut self) -> io::Result<()> {
        self.flush();
        match self.error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// One event in the default format.
    pub fn event(&mut self, ev: &Event) {
        match self.format {
            OutFormat::Text => {
                text_event(&mut self.line, ev, &Style { on: self.color }, &mut self.masks);
                self.line.push(b'\n');
            }
            OutFormat::Json => {
                json_event(&mut self.line, ev);
                self.line.push(b'\n');
            }
        }
        self.emit();
    }

    /// `print(a, b, ...)`
    pub fn values(&mut self, vals: &[Val]) {
        match self.format {
            OutFormat::Text => {
                for (i, v) in vals.iter().enumerate() {
                    if i > 0 {
                        self.line.push(b' ');
                    }
                    text_val(&mut self.line, v);
                }
                self.line.push(b'\n');
            }
            OutFormat::Json => {
                self.line.extend_from_slice(b"{\"type\":\"print\",\"values\":[");
                for (i, v) in vals.iter().enumerate() {
                    if i > 0 {
                        self.line.push(b',');
                    }
                    json_val(&mut self.line, v);
                }
                self.line.extend_from_slice(b"]}\n");
            }
        }
        self.emit();
    }

    /// `printf(fmt, args...)`: text as is; in JSON one object per call.
    pub fn printf(&mut self, fmt: &Format, vals: &[Val]) {
        match self.format {
            OutFormat::Text => render_printf(&mut self.line, fmt, vals, false),
            OutFormat::Json => {
                self.scratch.clear();
                // Strings as they are: the JSON string escapes what it must.
                render_printf(&mut self.scratch, fmt, vals, true);
                self.line.extend_from_slice(b"{\"type\":\"printf\",\"text\":");
                json_str_into(&mut self.line, &self.scratch);
                self.line.extend_from_slice(b"}\n");
            }
        }
        self.emit();
    }

    /// A map, sorted by value, at most `limit` rows (the largest).
    pub fn map(&mut self, map: &Map, limit: Option<i64>) {
        let mut rows = map.sorted();
        if let Some(l) = limit {
            let keep = l.max(0) as usize;
            if rows.len() > keep {
                rows.drain(..rows.len() - keep);
            }
        }
        match self.format {
            OutFormat::Text => self.text_map(map, &rows),
            OutFormat::Json => self.json_map(map, &rows),
        }
        self.emit();
    }

    fn text_map(&mut self, map: &Map, rows: &[(&[u8], &Agg)]) {
        let style = Style { on: self.color };
        let out = &mut self.line;
        for (key, agg) in rows {
            style.wrap(out, "33", |o| o.extend_from_slice(map.decl.name.as_bytes()));
            let keys = maps::decode(key);
            if !keys.is_empty() {
                out.push(b'[');
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(b", ");
                    }
                    // A string part escapes the separators too, so that
                    // `@[a, b]` is two parts whatever the strings hold.
                    match *k {
                        Val::Str(s, _) => landtrace_event::escape::escape_key_into(out, s),
                        _ => text_val(out, k),
                    }
                }
                out.push(b']');
            }
            out.push(b':');
            if !matches!(agg, Agg::Buckets { .. }) {
                out.push(b' ');
            }
            match agg {
                Agg::Buckets { counts: b, .. } => {
                    out.push(b'\n');
                    text_buckets(out, map.decl.value, b);
                }
                Agg::Stats { count, sum } => out.extend_from_slice(
                    format!("count {count}, average {}, total {sum}\n", maps::avg(*sum, *count)).as_bytes(),
                ),
                Agg::Last(enc) => {
                    if let Some(v) = maps::decode(enc).first() {
                        text_val(out, v);
                    }
                    out.push(b'\n');
                }
                other => out.extend_from_slice(format!("{}\n", other.read()).as_bytes()),
            }
        }
        out.push(b'\n');
    }

    fn json_map(&mut self, map: &Map, rows: &[(&[u8], &Agg)]) {
        let out = &mut self.line;
        out.extend_from_slice(b"{\"type\":\"map\",\"name\":");
        json_str_into(out, map.decl.name.as_bytes());
        out.extend_from_slice(b",\"entries\":[");
        for (i, (key, agg)) in rows.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"keys\":[");
            for (j, k) in maps::decode(key).iter().enumerate() {
                if j > 0 {
                    out.push(b',');
                }
                json_val(out, k);
            }
            out.extend_from_slice(b"],\"value\":");
            match agg {
                Agg::Buckets { counts: b, .. } => {
                    out.extend_from_slice(b"{\"buckets\":[");
                    let mut first = true;
                    for (idx, count) in b.iter().enumerate().filter(|(_, c)| **c > 0) {
                        if !first {
                            out.push(b',');
                        }
                        first = false;
                        let (lo, hi) = bucket_bounds(map.decl.value, idx, b.len());
                        let bound = |v: Option<i64>| v.map_or("null".to_string(), |v| v.to_string());
                        out.extend_from_slice(
                            format!("{{\"min\":{},\"max\":{},\"count\":{count}}}", bound(lo), bound(hi))
                                .as_bytes(),
                        );
                    }
                    out.extend_from_slice(b"]}");
                }
                Agg::Stats { count, sum } => out.extend_from_slice(
                    format!("{{\"count\":{count},\"average\":{},\"total\":{sum}}}", maps::avg(*sum, *count))
                        .as_bytes(),
                ),
                Agg::Last(enc) => match maps::decode(enc).first() {
                    Some(v) => json_val(out, v),
                    None => out.extend_from_slice(b"null"),
                },
                other => out.extend_from_slice(other.read().to_string().as_bytes()),
            }
            out.push(b'}');
        }
        out.extend_from_slice(b"]}\n");
    }

    /// Reports lost events in the JSON stream (text output reports them on
    /// stderr only).
    /// The tracepoint probes' counters at the end of a live run: records
    /// of the scope their filter looked at, dropped in the kernel, events
    /// delivered to the program, and records lost (JSON only: the text
    /// form goes to stderr with the other notes).
    pub fn probe_summary(&mut self, seen: u64, filtered: u64, delivered: u64, lost: u64) {
        if self.format == OutFormat::Json {
            self.line.extend_from_slice(
                format!(
                    "{{\"type\":\"summary\",\"source\":\"bpf\",\"seen\":{seen},\"filtered\":{filtered},\
                     \"delivered\":{delivered},\"lost\":{lost}}}\n"
                )
                .as_bytes(),
            );
            self.emit();
        }
    }

    pub fn lost(&mut self, source: &str, count: u64) {
        if self.format == OutFormat::Json {
            self.line.extend_from_slice(
                format!("{{\"type\":\"lost\",\"source\":\"{source}\",\"count\":{count}}}\n").as_bytes(),
            );
            self.emit();
        }
    }
}

/// `[lo, hi)` of a bucket; `None` for an open end.
pub(crate) fn bucket_bounds(kind: MapValue, idx: usize, len: usize) -> (Option<i64>, Option<i64>) {
    match kind {
        MapValue::Lhist { min, max, step } => {
            if idx == 0 {
                (None, Some(min))
            } else if idx == len - 1 {
                (Some(max), None)
            } else {
                // In i128: min + k * step may pass i64's range before max.
                let lo = (i128::from(min) + (idx as i128 - 1) * i128::from(step)).min(i128::from(max));
                let hi = (lo + i128::from(step)).min(i128::from(max));
                (Some(lo as i64), Some(hi as i64))
            }
        }
        _ => match idx {
            0 => (None, Some(0)),
            1 => (Some(0), Some(1)),
            i => {
                let lo = 1i64 << (i - 2);
                (Some(lo), lo.checked_mul(2))
            }
        },
    }
}

fn human(v: i64) -> String {
    const UNITS: [(i64, &str); 5] =
        [(1 << 50, "P"), (1 << 40, "T"), (1 << 30, "G"), (1 << 20, "M"), (1 << 10, "K")];
    for (n, u) in UNITS {
        if v != 0 && v % n == 0 {
            return format!("{}{u}", v / n);
        }
    }
    v.to_string()
}

fn text_buckets(out: &mut Vec<u8>, kind: MapValue, b: &[u64]) {
    let used: Vec<usize> = (0..b.len()).filter(|&i| b[i] > 0).collect();
    let (Some(&first), Some(&last)) = (used.first(), used.last()) else {
        return;
    };
    let max = b.iter().copied().max().unwrap_or(1).max(1);
    const BAR: usize = 52;
    for (idx, &count) in b.iter().enumerate().take(last + 1).skip(first) {
        let label = match bucket_bounds(kind, idx, b.len()) {
            (None, Some(hi)) => format!("(..., {})", human(hi)),
            (Some(lo), None) => format!("[{}, ...)", human(lo)),
            (Some(0), Some(1)) if !matches!(kind, MapValue::Lhist { .. }) => "[0]".to_string(),
            (Some(lo), Some(hi)) if hi - lo == 1 => format!("[{}]", human(lo)),
            (Some(lo), Some(hi)) => format!("[{}, {})", human(lo), human(hi)),
            (None, None) => "[...]".to_string(),
        };
        let width = (u128::from(count) * BAR as u128 / u128::from(max)) as usize;
        out.extend_from_slice(
            format!("{label:<20}{count:>8} |{}{}|\n", "@".repeat(width), " ".repeat(BAR - width)).as_bytes(),
        );
    }
}

/// Expands a printf format, straight into `out`. For text, untrusted
/// strings are escaped (`text_val`); for a JSON string (`json`), they are
/// written as they are but for bytes that are not UTF-8 and the backslash,
/// shown as `\xNN` (JSON escapes control characters itself).
pub fn render_printf(out: &mut Vec<u8>, fmt: &Format, vals: &[Val], json: bool) {
    let mut args = vals.iter();
    for piece in &fmt.pieces {
        match piece {
            Piece::Lit(l) => out.extend_from_slice(l),
            Piece::Spec(spec) => {
                let Some(v) = args.next() else { continue };
                let unsigned = |v: &Val| match *v {
                    Val::Int(i) => i as u64,
                    ref other => other.as_i64() as u64,
                };
                let start = out.len();
                // At least `precision` digits (C's `%.3d`); a sign or `0x`
                // before them.
                let digits = |out: &mut Vec<u8>, prefix: &[u8], n: u64, radix: u64, upper: bool| {
                    // Written backwards on the stack: no allocation per event.
                    let table: &[u8; 16] = if upper { b"0123456789ABCDEF" } else { b"0123456789abcdef" };
                    let mut buf = [0u8; 20];
                    let mut at = buf.len();
                    let mut n = n;
                    loop {
                        at -= 1;
                        buf[at] = table[(n % radix) as usize];
                        n /= radix;
                        if n == 0 {
                            break;
                        }
                    }
                    out.extend_from_slice(prefix);
                    let min = spec.precision.unwrap_or(0);
                    out.resize(out.len() + min.saturating_sub(buf.len() - at), b'0');
                    out.extend_from_slice(&buf[at..]);
                };
                let numeric = match spec.conv {
                    Conv::Dec => {
                        match *v {
                            Val::Str(..) => {}
                            ref other => {
                                let i = match *other {
                                    Val::Int(i) => i128::from(i),
                                    _ => i128::from(unsigned(other)),
                                };
                                let sign: &[u8] = match (i < 0, spec.sign) {
                                    (true, _) => b"-",
                                    (false, Some(b'+')) => b"+",
                                    (false, Some(_)) => b" ",
                                    (false, None) => b"",
                                };
                                digits(out, sign, i.unsigned_abs() as u64, 10, false);
                            }
                        }
                        true
                    }
                    Conv::Unsigned => {
                        digits(out, b"", unsigned(v), 10, false);
                        true
                    }
                    Conv::Hex | Conv::HexUpper => {
                        let n = unsigned(v);
                        let upper = spec.conv == Conv::HexUpper;
                        let prefix: &[u8] = match (spec.alt && n != 0, upper) {
                            (false, _) => b"",
                            (true, false) => b"0x",
                            (true, true) => b"0X",
                        };
                        digits(out, prefix, n, 16, upper);
                        true
                    }
                    Conv::Char => {
                        // The character of that code, escaped as any text
                        // is; a code that is none prints U+FFFD.
                        let c = u32::try_from(v.as_i64()).ok().and_then(char::from_u32).unwrap_or('\u{fffd}');
                        let mut buf = [0u8; 4];
                        let bytes = c.encode_utf8(&mut buf).as_bytes();
                        if json {
                            out.extend_from_slice(bytes);
                        } else {
                            landtrace_event::escape::escape_into(out, bytes);
                        }
                        false
                    }
                    Conv::Str | Conv::Rights => {
                        // `%.Ns`: at most N bytes of the value, not cutting
                        // a character in two.
                        let cut = |s: &'_ [u8]| -> usize {
                            let Some(p) = spec.precision else { return s.len() };
                            let mut end = p.min(s.len());
                            while end > 0 && end < s.len() && (s[end] & 0xc0) == 0x80 {
                                end -= 1;
                            }
                            end
                        };
                        match *v {
                            Val::Str(s, false) if json => {
                                let s = &s[..cut(s)];
                                for chunk in s.utf8_chunks() {
                                    for part in chunk.valid().split_inclusive('\\') {
                                        match part.strip_suffix('\\') {
                                            Some(p) => {
                                                out.extend_from_slice(p.as_bytes());
                                                out.extend_from_slice(b"\\x5c");
                                            }
                                            None => out.extend_from_slice(part.as_bytes()),
                                        }
                                    }
                                    for b in chunk.invalid() {
                                        push_fmt(out, format_args!("\\x{b:02x}"));
                                    }
                                }
                            }
                            Val::Str(s, trusted) => text_val(out, &Val::Str(&s[..cut(s)], trusted)),
                            _ => {
                                text_val(out, v);
                                if let Some(p) = spec.precision {
                                    out.truncate(start + p.min(out.len() - start));
                                }
                            }
                        }
                        false
                    }
                };
                spec.pad_from(out, start, numeric);
            }
        }
    }
}

fn push_time(out: &mut Vec<u8>, ev: &Event) {
    let rec = ev.header();
    if rec.walltime() != 0 {
        let secs = rec.walltime().div_euclid(1_000_000_000);
        let micros = rec.walltime().rem_euclid(1_000_000_000) / 1000;
        let (_, _, _, h, m, s) = time::civil(secs);
        for (v, sep) in [(h, b':'), (m, b':'), (s, b'.')] {
            push_u64_padded(out, u64::from(v), 2);
            out.push(sep);
        }
        push_u64_padded(out, micros as u64, 6);
    } else {
        push_u64(out, rec.time() / 1_000_000_000);
        out.push(b'.');
        push_u64_padded(out, rec.time() % 1_000_000_000 / 1000, 6);
    }
}

/// How a field is printed, with where its value is (resolved from the
/// schema once).
#[derive(Clone, Copy)]
enum Text {
    Str(usize),
    Grants(Family),
    /// A mask in a slot (its names remembered, [`MaskTexts`]).
    Mask(usize, Family),
    Int(usize),
    Id(usize),
    Scalar(usize, FieldType),
}

/// Each field of a kind: its ` name=` (written as one piece) and how it is
/// printed.
type TextPlan = Vec<(Label, Text)>;

/// A short constant text kept in a fixed-size array: appended as a copy of
/// the whole array then cut to length, which compiles to a few stores
/// instead of a call to `memcpy`.
struct Label {
    bytes: [u8; 32],
    len: usize,
    /// A text longer than the array.
    long: Vec<u8>,
}

impl Label {
    fn new(text: &str) -> Label {
        let mut bytes = [0u8; 32];
        let (len, long) = match bytes.get_mut(..text.len()) {
            Some(b) => {
                b.copy_from_slice(text.as_bytes());
                (text.len(), Vec::new())
            }
            None => (0, text.as_bytes().to_vec()),
        };
        Label { bytes, len, long }
    }

    fn text(&self) -> &[u8] {
        if self.long.is_empty() { &self.bytes[..self.len] } else { &self.long }
    }

    #[inline]
    fn push(&self, out: &mut Vec<u8>) {
        if !self.long.is_empty() {
            out.extend_from_slice(&self.long);
            return;
        }
        let at = out.len();
        out.extend_from_slice(&self.bytes);
        out.truncate(at + self.len);
    }
}

/// A [`TextPlan`] per event kind.
static TEXT_PLANS: std::sync::LazyLock<Vec<TextPlan>> = std::sync::LazyLock::new(|| {
    let field = |(fid, ty): &(FieldId, FieldType)| {
        let what = match (fid.def().loc, *ty) {
            (Loc::Str(n), _) => Text::Str(usize::from(n)),
            (Loc::List, FieldType::MaskList(f)) => Text::Grants(f),
            (Loc::Slot(n), FieldType::Mask(f) | FieldType::MaskList(f)) => Text::Mask(usize::from(n), f),
            (Loc::Slot(n), FieldType::Int) => Text::Int(usize::from(n)),
            (Loc::Slot(n), FieldType::Id) => Text::Id(usize::from(n)),
            (Loc::Slot(n), t) => Text::Scalar(usize::from(n), t),
            (Loc::List, t) => unreachable!("a list field of type {t}"),
        };
        (Label::new(&format!(" {}=", fid.name())), what)
    };
    EventKind::ALL.iter().map(|k| k.def().fields.iter().map(field).collect()).collect()
});

fn text_event(out: &mut Vec<u8>, ev: &Event, style: &Style, masks: &mut MaskTexts) {
    let rec = ev.header();
    push_time(out, ev);
    out.push(b' ');
    style.wrap(out, "32", |o| escape_into(o, ev.comm()));
    out.push(b'(');
    if ev.known(Builtin::Pid) {
        push_u64(out, rec.builtin(Builtin::Pid));
    } else {
        out.push(b'?');
    }
    out.extend_from_slice(b") ");
    let Some(kind) = ev.kind() else { return };
    style.wrap(out, "1;36", |o| o.extend_from_slice(kind.name().as_bytes()));
    for (label, what) in &TEXT_PLANS[kind as usize] {
        if style.on {
            out.push(b' ');
            style.wrap(out, "2", |o| o.extend_from_slice(&label.text()[1..]));
        } else {
            label.push(out);
        }
        match *what {
            Text::Str(n) => escape_into(out, ev.str_field(n)),
            Text::Grants(f) => {
                out.push(b'{');
                for (i, g) in ev.grants().iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    if *g != 0 {
                        push_mask(out, f, *g);
                    }
                }
                out.push(b'}');
            }
            Text::Mask(n, f) => masks.push(out, f, rec.slot(n)),
            // As `text_val` writes them.
            Text::Int(n) => push_i64(out, rec.slot(n) as i64),
            Text::Id(n) => push_hex(out, rec.slot(n)),
            Text::Scalar(n, t) => text_val(out, &scalar_val(rec.slot(n), t)),
        }
    }
    for (name, value) in ev.extras() {
        out.push(b' ');
        style.wrap(out, "2", |o| {
            escape_into(o, name.as_bytes());
            o.push(b'=');
        });
        escape_into(out, value);
    }
}

/// One writer for several writers, in the order they write.
#[derive(Clone)]
struct SharedWriter(std::sync::Arc<std::sync::Mutex<Box<dyn Write + Send>>>);

impl Write for SharedWriter {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0.lock().map_err(|_| io::Error::other("output lock poisoned"))?.write(b)
    }

    fn write_all(&mut self, b: &[u8]) -> io::Result<()> {
        self.0.lock().map_err(|_| io::Error::other("output lock poisoned"))?.write_all(b)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.lock().map_err(|_| io::Error::other("output lock poisoned"))?.flush()
    }
}

/// A `{"type":"error",...}` record (docs/trace-format.md): a malformed
/// input line (file, line, count), or the error that ended a run (`fatal`).
pub fn json_error_record(
    out: &mut Vec<u8>,
    source: &str,
    file: Option<&str>,
    line: Option<u64>,
    count: Option<u64>,
    fatal: bool,
    message: &str,
) {
    out.extend_from_slice(b"{\"type\":\"error\",\"source\":");
    json_str_into(out, source.as_bytes());
    if let Some(file) = file {
        out.extend_from_slice(b",\"file\":");
        json_str_into(out, file.as_bytes());
    }
    for (key, n) in [("line", line), ("count", count)] {
        if let Some(n) = n {
            out.extend_from_slice(format!(",\"{key}\":{n}").as_bytes());
        }
    }
    if fatal {
        out.extend_from_slice(b",\"fatal\":true");
    }
    out.extend_from_slice(b",\"message\":");
    json_str_into(out, message.as_bytes());
    out.extend_from_slice(b"}\n");
}

/// A cloneable in-memory writer, for tests and the REPL.
#[derive(Clone, Default)]
pub struct SharedBuf(pub std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl SharedBuf {
    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut self.0.lock().expect("buffer lock"))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("buffer lock")).into_owned()
    }
}

impl Write for SharedBuf {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0.lock().expect("buffer lock").extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{Family, Label, MaskTexts, push_mask};

    /// A remembered mask text is the text of that mask, in each family,
    /// whether it was just written, is remembered, or was forgotten and
    /// written again (more masks than entries, in varying order).
    #[test]
    fn mask_texts_are_the_masks_names() {
        let mut memo = MaskTexts::default();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for i in 0..5_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let f = Family::ALL[(x % 3) as usize];
            // Few distinct masks at first (hits), then many (misses), with
            // bits no right names among them.
            let bits = if i < 2_000 { x % 5 } else { x % 40 } | if i % 97 == 0 { 1 << 40 } else { 0 };
            let (mut got, mut want) = (b"a=".to_vec(), b"a=".to_vec());
            memo.push(&mut got, f, bits);
            push_mask(&mut want, f, bits);
            assert_eq!(got, want, "{f:?} {bits:#x}");
        }
        assert_eq!(memo.entries.len(), super::MASK_TEXTS);
    }

    /// A label appends its text, short, as long as its array, or longer,
    /// after whatever the line already holds.
    #[test]
    fn labels_append_their_text() {
        for text in ["", " ino=", &"x".repeat(31), &"y".repeat(32), &"z".repeat(33), &"w".repeat(100)] {
            let label = Label::new(text);
            let mut out = b"before".to_vec();
            label.push(&mut out);
            assert_eq!(out, [b"before", text.as_bytes()].concat(), "{text:?}");
            assert_eq!(label.text(), text.as_bytes());
        }
    }
}
