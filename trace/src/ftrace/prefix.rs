//! The prefix of an ftrace line, `TASK-PID [CPU] FLAGS TIMESTAMP:`: read
//! in one pass where it has its usual shape ([`fast_prefix`]), else word by
//! word ([`header`]), which names what is wrong.

use super::{digits, parse_uint, space};
use landtrace_event::record::Event;
use landtrace_event::schema::Builtin;

/// `TASK-PID [CPU] FLAGS TIMESTAMP: landlock_NAME:` as tracefs prints it
/// (FLAGS absent in `trace-cmd report`), found in one pass. Only a prefix
/// that [`header`] and [`event_token`](super::event_token) would read the same way is taken.
#[derive(Clone, Copy)]
pub(super) struct FastPrefix {
    /// `TASK-PID`
    task: (usize, usize),
    /// Inside the brackets.
    cpu: (usize, usize),
    /// The timestamp, in nanoseconds.
    time: u64,
    /// `landlock_NAME`, without its colon.
    pub(super) token: (usize, usize),
}

/// `SECS.FRAC:` (digits only, at most 18 of seconds) in nanoseconds, as
/// [`parse_timestamp`] reads it; `None` for any other word, which
/// [`header`] then reads (or names).
fn plain_timestamp(t: &[u8]) -> Option<u64> {
    let t = t.strip_suffix(b":")?;
    // One pass: seconds up to the dot, then the fraction (its first nine
    // digits count; every byte must be a digit).
    let mut secs = 0u64;
    let mut i = 0;
    while let Some(&c) = t.get(i).filter(|c| c.is_ascii_digit()) {
        if i == 18 {
            return None;
        }
        secs = secs * 10 + u64::from(c - b'0');
        i += 1;
    }
    if i == 0 || t.get(i) != Some(&b'.') {
        return None;
    }
    let mut frac_ns = 0;
    let mut scale = 100_000_000;
    for &c in &t[i + 1..] {
        if !c.is_ascii_digit() {
            return None;
        }
        frac_ns += u64::from(c - b'0') * scale;
        scale /= 10;
    }
    Some(secs.saturating_mul(1_000_000_000).saturating_add(frac_ns))
}

/// Whether a word starts with `landlock_` (compared as words, not with a
/// call to `memcmp`).
#[inline]
fn is_landlock(w: &[u8]) -> bool {
    w.len() >= 9 && crate::same(&w[..9], b"landlock_")
}

pub(super) fn fast_prefix(line: &[u8]) -> Option<FastPrefix> {
    let mut words = [(0usize, 0usize); 5];
    let mut i = 0;
    let mut n = 0;
    // Up to five words: task, [cpu], flags, timestamp, event.
    while n < 5 {
        while line.get(i) == Some(&b' ') {
            i += 1;
        }
        if i >= line.len() {
            return None;
        }
        let e = space(line, i);
        words[n] = (i, e);
        n += 1;
        i = e;
        if is_landlock(&line[words[n - 1].0..e]) {
            break;
        }
    }
    let w = |k: usize| &line[words[k].0..words[k].1];
    let (ts, flags) = match n {
        4 => (2, None),
        5 => (3, Some(2)),
        _ => return None,
    };
    let token = w(n - 1);
    let task = w(0);
    let cpu = w(1);
    // The event's word as `event_token` finds it; no word before it could
    // be one (the task's ends in its pid, flags are short, a timestamp is
    // digits).
    if token.len() <= 10
        || !is_landlock(token)
        || !token.ends_with(b":")
        || !task.contains(&b'-')
        || task.ends_with(b":")
    {
        return None;
    }
    // `header`'s reading: the first bracketed word is the CPU, the words
    // before it the task (not one in parentheses), the last timestamp-like
    // word the time.
    if (task.starts_with(b"[") && task.ends_with(b"]")) || task.starts_with(b"(") {
        return None;
    }
    if !(cpu.len() >= 2 && cpu.starts_with(b"[") && cpu.ends_with(b"]")) {
        return None;
    }
    if flags.is_some_and(|f| w(f).len() > 10) {
        return None;
    }
    let time = plain_timestamp(w(ts))?;
    Some(FastPrefix {
        task: words[0],
        cpu: (words[1].0 + 1, words[1].1 - 1),
        time,
        token: (words[n - 1].0, words[n - 1].1 - 1),
    })
}

impl FastPrefix {
    /// What [`header`] sets from the same prefix.
    pub(super) fn apply(self, line: &[u8], ev: &mut Event) -> Result<(), String> {
        let task = &line[self.task.0..self.task.1];
        let dash = task.iter().rposition(|b| *b == b'-').expect("checked");
        let pid = parse_uint(&task[dash + 1..], "pid")?;
        ev.set_builtin(Builtin::Pid, pid);
        ev.set_builtin(Builtin::Tid, pid);
        ev.set_comm(&task[..dash]);
        let inner = &line[self.cpu.0..self.cpu.1];
        if inner.iter().all(u8::is_ascii_digit) && !inner.is_empty() {
            ev.set_builtin(Builtin::Cpu, parse_uint(inner, "cpu")?);
        }
        ev.set_builtin(Builtin::Time, self.time);
        Ok(())
    }
}

/// Most words of a line's prefix kept on the stack.
const PREFIX_WORDS: usize = 16;

/// `TASK-PID [CPU] FLAGS TIMESTAMP:` (any part may be missing).
pub(super) fn header(prefix: &[u8], ev: &mut Event) -> Result<(), String> {
    // The words, split once (on the stack; a longer prefix, a task name of
    // many words, in a vector).
    let mut stack: [&[u8]; PREFIX_WORDS] = [&[]; PREFIX_WORDS];
    let mut n = 0;
    let mut heap: Vec<&[u8]> = Vec::new();
    for t in prefix.split(|b| *b == b' ').filter(|t| !t.is_empty()) {
        if n < PREFIX_WORDS {
            stack[n] = t;
        } else {
            if heap.is_empty() {
                heap.extend_from_slice(&stack);
            }
            heap.push(t);
        }
        n += 1;
    }
    let toks: &[&[u8]] = if heap.is_empty() { &stack[..n] } else { &heap };
    let cpu_at = toks.iter().position(|t| t.starts_with(b"[") && t.ends_with(b"]"));
    let task_end = cpu_at.unwrap_or(toks.len().min(1));
    // `(TGID)` follows the task when the record-tgid option is on, its
    // number padded to seven places: `(    116)` is two words. The task's
    // words are the others (on the stack: no allocation per line).
    let mut words: [&[u8]; PREFIX_WORDS] = [&[]; PREFIX_WORDS];
    let mut nwords = 0;
    let (mut tgid_open, mut tgid_closed, mut tgid_digits, mut tgid_value) = (false, false, 0usize, 0u64);
    let mut tgid_unknown = false;
    for t in &toks[..task_end] {
        let starts = !tgid_open && nwords > 0 && t.starts_with(b"(");
        if starts || (tgid_open && !tgid_closed) {
            tgid_open = true;
            for &b in *t {
                match b {
                    b'(' | b' ' => {}
                    b')' => tgid_closed = true,
                    b'-' => tgid_unknown = true,
                    b'0'..=b'9' if tgid_digits < 19 => {
                        tgid_value = tgid_value * 10 + u64::from(b - b'0');
                        tgid_digits += 1;
                    }
                    _ => return Err(format!("bad tgid {:?}", String::from_utf8_lossy(t))),
                }
            }
        } else if nwords < PREFIX_WORDS {
            words[nwords] = t;
            nwords += 1;
        } else {
            return Err("a task name of too many words".to_string());
        }
    }
    if tgid_open && !tgid_closed {
        return Err("unterminated tgid".to_string());
    }
    // `(-------)`: the kernel did not record this task's tgid.
    let tgid = (tgid_open && !tgid_unknown && tgid_digits > 0).then_some(tgid_value);
    let task_words = &words[..nwords];
    // `COMM-PID` as tracefs and trace-cmd print it, or `COMM PID` and
    // `COMM PID/TID` as `perf script` does; the comm may hold spaces.
    let last = task_words.last().copied().unwrap_or_default();
    let perf_style =
        task_words.len() > 1 && !last.is_empty() && last.iter().all(|b| b.is_ascii_digit() || *b == b'/');
    let (comm_words, ids): (&[&[u8]], Option<&[u8]>) =
        if perf_style { (&task_words[..task_words.len() - 1], Some(last)) } else { (task_words, None) };
    let joined;
    let task: &[u8] = match comm_words {
        [] => &[],
        [one] => one,
        more => {
            joined = more.join(&b' ');
            &joined
        }
    };
    let (comm, pid, tid) = match ids {
        Some(ids) => {
            if let Some(slash) = memchr::memchr(b'/', ids) {
                let pid = parse_uint(&ids[..slash], "pid")?;
                (task, Some(pid), Some(parse_uint(&ids[slash + 1..], "tid")?))
            } else {
                let tid = parse_uint(ids, "tid")?;
                (task, tgid.or(Some(tid)), Some(tid))
            }
        }
        None => match task.iter().rposition(|b| *b == b'-') {
            Some(dash) => {
                let tid = parse_uint(&task[dash + 1..], "pid")?;
                (&task[..dash], tgid.or(Some(tid)), Some(tid))
            }
            None => (task, tgid, None),
        },
    };
    // Without a TGID the trace names only the thread: `pid` is the thread
    // id, as `tid` (docs/trace-format.md).
    if let Some(pid) = pid {
        ev.set_builtin(Builtin::Pid, pid);
    }
    if let Some(tid) = tid {
        ev.set_builtin(Builtin::Tid, tid);
    }
    if !comm.is_empty() {
        ev.set_comm(comm);
    }
    if let Some(i) = cpu_at {
        let inner = &toks[i][1..toks[i].len() - 1];
        if inner.iter().all(u8::is_ascii_digit) && !inner.is_empty() {
            ev.set_builtin(Builtin::Cpu, parse_uint(inner, "cpu")?);
        }
    }
    // The timestamp is the prefix's last word, `SECS.FRAC:` for the clocks
    // that count time (local, global, mono, boot, tai, perf...) and a plain
    // `COUNT:` for those that count something else (counter, uptime's
    // jiffies, x86-tsc's cycles), kept as it is.
    if let Some(ts) = toks[cpu_at.map_or(task_end, |i| i + 1)..].last().and_then(|t| t.strip_suffix(b":"))
        && !ts.is_empty()
        && ts.iter().all(|b| b.is_ascii_digit() || *b == b'.')
    {
        let time = if ts.contains(&b'.') {
            parse_timestamp(ts)?
        } else {
            digits(ts, 10).ok_or_else(|| format!("bad timestamp {:?}", String::from_utf8_lossy(ts)))?
        };
        ev.set_builtin(Builtin::Time, time);
    }
    Ok(())
}

/// `12345.678901` seconds to nanoseconds.
fn parse_timestamp(t: &[u8]) -> Result<u64, String> {
    let bad = || format!("bad timestamp {:?}", String::from_utf8_lossy(t));
    let (secs, frac) = match memchr::memchr(b'.', t) {
        Some(dot) => (&t[..dot], &t[dot + 1..]),
        None => (t, &[][..]),
    };
    let secs = digits(secs, 10).ok_or_else(bad)?;
    let mut frac_ns: u64 = 0;
    let mut scale = 100_000_000;
    for &c in frac.iter().take(9) {
        if !c.is_ascii_digit() {
            return Err(bad());
        }
        frac_ns += u64::from(c - b'0') * scale;
        scale /= 10;
    }
    Ok(secs.saturating_mul(1_000_000_000).saturating_add(frac_ns))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ftrace::event_token;
    use landtrace_event::schema::{EventKind, SourceKind};

    /// The one-pass prefix reads a line as the word-by-word `header` and
    /// `event_token` do, on prefixes of every shape, and takes the common
    /// ones.
    #[test]
    fn fast_prefix_agrees_with_header() {
        let tasks = [
            "nginx-1000",
            "<...>-4242",
            "kworker/0:1-11",
            "a b-7",
            "(sd-pam)-9",
            "[x]-3",
            "x-y",
            "landlock_x-1",
            "t-1:",
            "-5",
            "x-0x1f",
            "x-",
            "landlock_a-b:",
            "中-1",
        ];
        let cpus = ["[001]", "[...]", "[]", "[1", "(2)", "[0]"];
        let flags = ["", ".....", "d..1.", "landlock_free_domain:", "12.5:", "...:"];
        let stamps = [
            "5000.000001:",
            "1.5:",
            "12:34.5:",
            "1234:",
            "99999999999999999999.1:",
            "5.0",
            "5.:",
            ".5:",
            "1.2.3:",
            "999999999999999999.1234567891:",
            "1.5::",
        ];
        let mut fast = 0;
        for task in tasks {
            for cpu in cpus {
                for fl in flags {
                    for ts in stamps {
                        // Another event's line is not taken for a Landlock one.
                        let other =
                            format!("  {task}   {cpu} {fl} {ts} sched_switch: prev_comm=a prev_pid=0");
                        if let Some(p) = fast_prefix(other.as_bytes()) {
                            assert_eq!(event_token(other.as_bytes()), Some(p.token), "{other}");
                        }
                        let line =
                            format!("  {task}   {cpu} {fl} {ts} landlock_free_domain: domain=20 denials=1");
                        let line = line.as_bytes();
                        let Some(p) = fast_prefix(line) else { continue };
                        fast += 1;
                        let text = String::from_utf8_lossy(line);
                        assert_eq!(event_token(line), Some(p.token), "{text}");
                        let (mut a, mut b) = (Event::new(), Event::new());
                        a.reset(EventKind::FreeDomain, SourceKind::Replay);
                        b.reset(EventKind::FreeDomain, SourceKind::Replay);
                        let ra = p.apply(line, &mut a);
                        let rb = header(&line[..p.token.0], &mut b);
                        assert_eq!(ra, rb, "{text}");
                        assert_eq!(a.comm(), b.comm(), "{text}");
                        for bi in [Builtin::Pid, Builtin::Tid, Builtin::Cpu, Builtin::Time] {
                            assert_eq!(a.builtin(bi), b.builtin(bi), "{bi:?} {text}");
                        }
                    }
                }
            }
        }
        assert!(fast > 100, "the common shapes take the fast prefix ({fast})");
    }
}
