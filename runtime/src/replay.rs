//! Replay: events from recorded files, with the format detected per file.
//!
//! Three formats are read: landtrace JSON lines (docs/trace-format.md),
//! ftrace text (tracefs `trace`/`trace_pipe`, `trace-cmd report`) and audit
//! logs (`audit.log`, `ausearch --raw`). The decoders are pure: they turn a
//! line into events and know nothing of files, so they are tested and
//! fuzzed on their own. This module reads files line by line, reports a
//! malformed line with `file:line` and the reason, skips it and counts it
//! (or stops, with `--strict`).

use crate::source::{Source, SourceError};
use landtrace_event::escape;
use landtrace_event::record::Event;
use landtrace_event::schema::SourceKind;
use landtrace_trace::{Decoder, Format, MAX_LINE, Pending, classify, trim};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::fd::{AsRawFd, RawFd};

/// Lines looked at to detect a file's format.
const DETECT_LINES: usize = 64;

struct Input {
    name: String,
    reader: BufReader<Box<dyn Read + Send>>,
    /// The descriptor of a pipe, socket or terminal (not of a regular
    /// file): what a reader waits on while nothing comes.
    fd: Option<RawFd>,
    line_no: u64,
    decoder: Option<Box<dyn Decoder>>,
    /// Lines read while detecting, replayed once the format is known.
    backlog: std::collections::VecDeque<(u64, Vec<u8>)>,
    /// Lines skipped while detecting (first, how many), reported once the
    /// backlog is decoded.
    skipped: Option<(u64, u64, Format)>,
    done: bool,
    /// Whether it is compressed, and why its compressed data ended early.
    found: crate::decompress::Found,
    /// The format its decoder reads.
    format: Option<Format>,
    /// Events it gave (none: said at the end).
    events: u64,
}

/// `BufRead::read_until(b'\n')` reading at most `limit` bytes, with a SIMD
/// search for the newline (std's is a word-at-a-time loop; this is most of
/// what reading a line costs).
fn read_until_newline(r: &mut dyn BufRead, out: &mut Vec<u8>, limit: usize) -> io::Result<usize> {
    let mut read = 0;
    loop {
        let available = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let room = limit - read;
        let window = &available[..available.len().min(room)];
        let (done, used) = match memchr::memchr(b'\n', window) {
            Some(i) => (true, i + 1),
            None => (window.len() == room || window.is_empty(), window.len()),
        };
        out.extend_from_slice(&window[..used]);
        r.consume(used);
        read += used;
        if done {
            return Ok(read);
        }
    }
}

/// Replays one or more files in order.
pub struct ReplaySource {
    inputs: Vec<Input>,
    current: usize,
    pending: Pending,
    strict: bool,
    line: Vec<u8>,
    /// Malformed lines seen.
    pub malformed: u64,
    /// Where malformed-line reports go (stderr by default).
    report: Box<dyn Write + Send>,
    /// Where malformed lines are also written as JSON error records (the
    /// JSON output stream), if anywhere.
    records: Option<Box<dyn Write + Send>>,
    /// Reports written; past [`MAX_REPORTS`] lines are only counted.
    reported: u64,
    formats: Vec<(String, &'static str)>,
    /// Inputs found not to be traces: an error once every input is read.
    not_traces: Vec<String>,
    /// Inputs that held no Landlock event (an empty file or pipe, a
    /// header-only capture, a log without records): said at the end.
    empty: Vec<String>,
}

const MAX_REPORTS: u64 = 100;

impl ReplaySource {
    /// Opens files (`-` is standard input).
    pub fn open(paths: &[String], strict: bool) -> Result<ReplaySource, SourceError> {
        let mut inputs = Vec::new();
        for p in paths {
            let (reader, fd): (Box<dyn Read + Send>, RawFd) = if p == "-" {
                (Box::new(crate::stop::Interruptible(io::stdin())), 0)
            } else {
                let f = File::open(p).map_err(|e| SourceError::Io { path: p.clone(), source: e })?;
                let fd = f.as_raw_fd();
                (Box::new(crate::stop::Interruptible(f)), fd)
            };
            let name = if p == "-" { "<stdin>" } else { p };
            let (reader, found) = crate::decompress::open(reader);
            let mut input = Input::new(name, reader);
            input.found = found;
            input.fd = (!regular_file(fd)).then_some(fd);
            inputs.push(input);
        }
        Ok(ReplaySource::from_inputs(inputs, strict))
    }

    /// Replays bytes held in memory (tests, the embedded demo trace).
    pub fn from_bytes(name: &str, bytes: Vec<u8>, strict: bool) -> ReplaySource {
        let reader: Box<dyn Read + Send> = Box::new(io::Cursor::new(bytes));
        let (reader, found) = crate::decompress::open(reader);
        let mut input = Input::new(name, reader);
        input.found = found;
        ReplaySource::from_inputs(vec![input], strict)
    }

    fn from_inputs(inputs: Vec<Input>, strict: bool) -> ReplaySource {
        ReplaySource {
            inputs,
            current: 0,
            pending: Pending::default(),
            strict,
            line: Vec::with_capacity(1024),
            malformed: 0,
            report: Box::new(io::stderr()),
            records: None,
            reported: 0,
            formats: Vec::new(),
            not_traces: Vec::new(),
            empty: Vec::new(),
        }
    }

    /// Sends malformed-line reports somewhere other than stderr.
    pub fn report_to(mut self, w: Box<dyn Write + Send>) -> ReplaySource {
        self.report = w;
        self
    }

    /// Also writes each malformed line reported as a JSON error record
    /// into `w` (the `-f json` stream).
    pub fn records_to(mut self, w: Box<dyn Write + Send>) -> ReplaySource {
        self.records = Some(w);
        self
    }

    /// The formats detected so far, per file.
    pub fn formats(&self) -> &[(String, &'static str)] {
        &self.formats
    }

    fn malformed_line(&mut self, name: &str, line_no: u64, reason: &str) -> Result<(), SourceError> {
        self.malformed_lines(name, line_no, 1, reason)
    }

    /// `count` malformed lines from `line_no` on, reported once.
    fn malformed_lines(
        &mut self,
        name: &str,
        line_no: u64,
        count: u64,
        reason: &str,
    ) -> Result<(), SourceError> {
        if self.strict {
            return Err(SourceError::Malformed {
                path: name.to_string(),
                line: line_no,
                reason: reason.to_string(),
            });
        }
        self.malformed += count;
        if self.reported < MAX_REPORTS {
            self.reported += 1;
            if let Some(w) = self.records.as_mut() {
                let mut rec = Vec::new();
                crate::output::json_error_record(
                    &mut rec,
                    "replay",
                    Some(name),
                    Some(line_no),
                    Some(count),
                    false,
                    reason,
                );
                let _ = w.write_all(&rec);
            }
            let what = if count == 1 { "line" } else { "lines" };
            let (name, reason) = (escape::message(name, false), escape::message(reason, false));
            let _ = writeln!(self.report, "landtrace: {name}:{line_no}: {reason} ({what} skipped)");
        } else if self.reported == MAX_REPORTS {
            self.reported += 1;
            let _ = writeln!(self.report, "landtrace: further malformed lines are counted, not shown");
        }
        Ok(())
    }

    /// Reads the next raw line of the current input; `None` at its end.
    fn read_line(&mut self) -> Result<Option<(u64, bool)>, SourceError> {
        let input = &mut self.inputs[self.current];
        if let Some((no, l)) = input.backlog.pop_front() {
            self.line = l;
            if input.backlog.is_empty()
                && let Some((first, count, format)) = input.skipped.take()
            {
                // Reported in line order: after the lines kept before them,
                // before the telling line that ended detection.
                let name = input.name.clone();
                let reason = format!("lines {first}-{} are not {} records", first + count - 1, format.name());
                let line = std::mem::take(&mut self.line);
                self.malformed_lines(&name, first, count, &reason)?;
                self.line = line;
            }
            return Ok(Some((no, true)));
        }
        self.line.clear();
        let n = read_until_newline(&mut input.reader, &mut self.line, MAX_LINE + 1)
            .map_err(|e| SourceError::Io { path: input.name.clone(), source: e })?;
        if n == 0 {
            let failed = input.found.failure.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
            if let Some(why) = failed {
                let (name, no) = (input.name.clone(), input.line_no + 1);
                self.malformed_line(&name, no, &format!("{why} (the lines before it were read)"))?;
            }
            return Ok(None);
        }
        input.line_no += 1;
        let terminated = self.line.last() == Some(&b'\n');
        if terminated {
            self.line.pop();
            if self.line.last() == Some(&b'\r') {
                self.line.pop();
            }
        } else if self.line.len() > MAX_LINE {
            // Skip the rest of an overlong line.
            let mut sink = Vec::new();
            loop {
                sink.clear();
                let m = input
                    .reader
                    .by_ref()
                    .take(1 << 16)
                    .read_until(b'\n', &mut sink)
                    .map_err(|e| SourceError::Io { path: input.name.clone(), source: e })?;
                if m == 0 || sink.last() == Some(&b'\n') {
                    break;
                }
            }
            self.line.clear();
            let (name, no) = (input.name.clone(), input.line_no);
            self.malformed_line(&name, no, &format!("line longer than {MAX_LINE} bytes"))?;
            return Ok(Some((no, true)));
        }
        Ok(Some((input.line_no, terminated)))
    }

    /// Detects the format of the current input from its first telling
    /// line, wherever it comes (a `trace_pipe` capture may start with any
    /// number of other events). The first [`DETECT_LINES`] lines are kept
    /// for the decoder; later ones before the telling line are skipped
    /// (ftrace's decoder would ignore them anyway; for the other formats
    /// they are reported). Binary data, or no telling line at all, makes
    /// the input "not a Landlock trace", reported when every input is read.
    fn detect(&mut self) -> Result<bool, SourceError> {
        let mut seen = Vec::new();
        let mut format = None;
        let (mut skipped, mut first_skipped) = (0u64, 0u64);
        let mut binary = false;
        while let Some((no, _)) = self.read_line()? {
            let l = std::mem::take(&mut self.line);
            if l.contains(&0) {
                binary = true;
                break;
            }
            format = classify(&l);
            if format.is_some() || seen.len() < DETECT_LINES {
                seen.push((no, l));
            } else {
                if skipped == 0 {
                    first_skipped = no;
                }
                skipped += 1;
                self.line = l;
            }
            if format.is_some() {
                break;
            }
        }
        let input = &mut self.inputs[self.current];
        input.backlog.extend(seen);
        match format {
            Some(f) => {
                self.formats.push((input.name.clone(), f.name()));
                input.decoder = Some(f.decoder());
                input.format = Some(f);
                // ftrace and kernel logs hold other lines (other events,
                // other messages), which their decoders skip.
                if skipped > 0 && !matches!(f, Format::Ftrace | Format::KernelLog) {
                    input.skipped = Some((first_skipped, skipped, f));
                }
                Ok(true)
            }
            None if !binary && skipped == 0 && input.backlog.iter().all(|(_, l)| trim(l).is_empty()) => {
                self.empty.push(input.name.clone());
                Ok(false)
            }
            None => {
                input.backlog.clear();
                input.done = true;
                let what =
                    if binary { "binary data" } else { "no Landlock event, audit record or JSON line in it" };
                self.not_traces.push(format!(
                    "{}: not a Landlock trace ({what}): expected landtrace JSON lines, ftrace text or an audit log",
                    input.name
                ));
                Ok(false)
            }
        }
    }

    /// Decodes lines until an event is in `ev` (`true`: decoded there
    /// directly) or queued, or every input is exhausted.
    fn fill(&mut self, ev: &mut Event) -> Result<bool, SourceError> {
        while self.pending.is_empty() && self.current < self.inputs.len() {
            if self.inputs[self.current].done {
                self.current += 1;
                continue;
            }
            if self.inputs[self.current].decoder.is_none() && !self.detect()? {
                self.inputs[self.current].done = true;
                continue;
            }
            if let Some(event) = self.fill_in_place(ev)? {
                if event {
                    return Ok(true);
                }
                continue;
            }
            match self.read_line()? {
                None => {
                    let input = &mut self.inputs[self.current];
                    if let Some(d) = input.decoder.as_mut() {
                        d.finish(&mut self.pending);
                    }
                    input.done = true;
                    if input.events == 0 && self.pending.is_empty() {
                        self.empty.push(input.name.clone());
                    }
                }
                Some((no, terminated)) => {
                    if self.line.is_empty() {
                        continue;
                    }
                    let line = std::mem::take(&mut self.line);
                    let input = &mut self.inputs[self.current];
                    if let Some(note) = input.switch_format(&line, &mut self.pending, no) {
                        let _ = writeln!(self.report, "{note}");
                    }
                    let decoder = input.decoder.as_mut().expect("detected");
                    let result = match decoder.line_into(&line, ev) {
                        Some(Ok(true)) => {
                            self.line = line;
                            return Ok(true);
                        }
                        Some(Ok(false)) => Ok(()),
                        Some(Err(e)) => Err(e),
                        None => decoder.line(&line, &mut self.pending),
                    };
                    if let Err(reason) = result {
                        let name = input.name.clone();
                        let reason = if terminated {
                            reason.to_string()
                        } else {
                            format!("truncated last line: {reason}")
                        };
                        self.malformed_line(&name, no, &reason)?;
                    }
                    self.line = line;
                }
            }
        }
        Ok(false)
    }
}

impl ReplaySource {
    /// The common case of [`ReplaySource::fill`]: a whole line already in
    /// the reader's buffer, decoded where it is (not copied into
    /// `self.line` first). `None` where it does not apply (detection, a
    /// backlog, a line across the buffer's end or longer than
    /// [`MAX_LINE`], a read error): the line is then read the usual way.
    /// `Some(true)`: `ev` holds an event.
    fn fill_in_place(&mut self, ev: &mut Event) -> Result<Option<bool>, SourceError> {
        let ReplaySource { inputs, current, pending, .. } = self;
        let input = &mut inputs[*current];
        let Some(decoder) = input.decoder.as_mut() else { return Ok(None) };
        if !input.backlog.is_empty() {
            return Ok(None);
        }
        let Ok(buf) = input.reader.fill_buf() else { return Ok(None) };
        let Some(nl) = memchr::memchr(b'\n', &buf[..buf.len().min(MAX_LINE + 1)]) else { return Ok(None) };
        let line = &buf[..nl];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        input.line_no += 1;
        let no = input.line_no;
        // A line in another format than the input had so far: left for the
        // usual reading, which switches the decoder. (ftrace's own test is
        // its decoder's: another event's line, or a bad one, is looked at
        // after it; the others' tests are cheap, made first.)
        let elsewhere = |f: Option<Format>| f.is_some_and(|f| other_format(f, line).is_some());
        if input.format != Some(Format::Ftrace) && !line.is_empty() && elsewhere(input.format) {
            input.line_no -= 1;
            return Ok(None);
        }
        let result = if line.is_empty() {
            Ok(())
        } else {
            match decoder.line_into(line, ev) {
                Some(Ok(true)) => {
                    input.reader.consume(nl + 1);
                    return Ok(Some(true));
                }
                Some(Ok(false)) if input.format == Some(Format::Ftrace) && elsewhere(input.format) => {
                    input.line_no -= 1;
                    return Ok(None);
                }
                Some(Ok(false)) => Ok(()),
                Some(Err(_)) if elsewhere(input.format) => {
                    input.line_no -= 1;
                    return Ok(None);
                }
                Some(Err(e)) => Err(e),
                None => decoder.line(line, pending),
            }
        };
        input.reader.consume(nl + 1);
        if let Err(reason) = result {
            let name = input.name.clone();
            self.malformed_line(&name, no, &reason.to_string())?;
        }
        Ok(Some(false))
    }

    /// Events the recorded traces say the kernel lost.
    fn recorded_losses(&self) -> u64 {
        self.inputs.iter().filter_map(|i| i.decoder.as_ref()).map(|d| d.lost()).sum()
    }
}

/// The format of a line that is not `current`'s, when the line is telling
/// (audit records in a kernel log, and a kernel log's lines in an audit
/// log, are their own).
fn other_format(current: Format, line: &[u8]) -> Option<Format> {
    let own = match current {
        Format::Ftrace => landtrace_trace::ftrace::event_token(line).is_some(),
        Format::KernelLog => !landtrace_trace::audit::not_a_record(line),
        Format::Jsonl => line.first() == Some(&b'{'),
        // A record's own start (what `classify` would look at first).
        Format::Audit => line.starts_with(b"type=") || line.starts_with(b"node="),
    };
    if own {
        return None;
    }
    let family = |f: Format| if f == Format::KernelLog { Format::Audit } else { f };
    classify(line).filter(|f| family(*f) != family(current))
}

impl Input {
    /// Where the input changes format (ftrace lines, then audit records,
    /// say), its decoder becomes that format's, the old one's held-back
    /// events are queued, and the change is said (returned as the line to
    /// report): every line is read in the format it has.
    fn switch_format(&mut self, line: &[u8], pending: &mut Pending, no: u64) -> Option<String> {
        let current = self.format?;
        let next = other_format(current, line)?;
        if let Some(d) = self.decoder.as_mut() {
            d.finish(pending);
        }
        self.decoder = Some(next.decoder());
        self.format = Some(next);
        Some(format!(
            "landtrace: {}:{no}: the input continues as {} (it was {}): read as such",
            self.name,
            next.name(),
            current.name()
        ))
    }

    fn new(name: &str, reader: Box<dyn Read + Send>) -> Input {
        Input {
            name: name.to_string(),
            reader: BufReader::with_capacity(1 << 16, reader),
            fd: None,
            line_no: 0,
            decoder: None,
            backlog: std::collections::VecDeque::default(),
            skipped: None,
            done: false,
            found: crate::decompress::Found::default(),
            format: None,
            events: 0,
        }
    }
}

impl Source for ReplaySource {
    fn next(&mut self, ev: &mut Event) -> Result<bool, SourceError> {
        if self.pending.pop_into(ev) || self.fill(ev)? || self.pending.pop_into(ev) {
            // Inputs are read one after the other and the queue emptied
            // before the next: this event is the current input's.
            if let Some(input) = self.inputs.get_mut(self.current) {
                input.events += 1;
            }
            return Ok(true);
        }
        if !self.not_traces.is_empty() {
            return Err(SourceError::NotTraces(std::mem::take(&mut self.not_traces)));
        }
        Ok(false)
    }

    fn kind(&self) -> SourceKind {
        SourceKind::Replay
    }

    fn lost(&self) -> Vec<(&'static str, u64)> {
        match self.recorded_losses() {
            0 => Vec::new(),
            n => vec![("trace", n)],
        }
    }

    fn summary(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.malformed > 0 {
            out.push(format!(
                "{} malformed line{} skipped",
                self.malformed,
                if self.malformed == 1 { "" } else { "s" }
            ));
        }
        for name in &self.empty {
            out.push(format!("no Landlock event in {name}"));
        }
        let lost = self.recorded_losses();
        if lost > 0 {
            out.push(format!("the recorded trace says {lost} events were lost"));
        }
        out
    }

    fn malformed(&self) -> u64 {
        self.malformed
    }

    fn wait_fd(&self) -> Option<RawFd> {
        if !self.pending.is_empty() {
            return None;
        }
        let input = self.inputs.get(self.current)?;
        let fd = input.fd?;
        // A pipe read through a decoder is read as it comes (blocking): its
        // descriptor says nothing of the decoder's own buffer.
        if input.found.compressed.load(std::sync::atomic::Ordering::Relaxed) {
            return None;
        }
        let line_buffered = memchr::memchr(b'\n', input.reader.buffer()).is_some();
        (!input.done && input.backlog.is_empty() && !line_buffered).then_some(fd)
    }
}

/// Whether `fd` is a regular file (which never keeps a reader waiting).
fn regular_file(fd: RawFd) -> bool {
    // SAFETY: fstat writes into a zeroed stat of the right size.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    (unsafe { libc::fstat(fd, &raw mut st) } == 0) && (st.st_mode & libc::S_IFMT) == libc::S_IFREG
}
