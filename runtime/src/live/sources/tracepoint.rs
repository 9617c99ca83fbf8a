//! The tracepoint source: the generic program on every `landlock:*`
//! tracepoint (and the Landlock syscalls' exit and entry, for the
//! descriptors), each record decoded by its format's [`Plan`].

use super::{Feed, LiveSource};
use crate::live::tracepoint::{FdPairing, Format, Plan};
use crate::live::{LiveError, LiveSummary, POLL_INTERVAL, TRACEFS, landlock_tracepoints, proc};
use landtrace_compiler::pushdown::Condition;
use landtrace_event::record::Event;
use landtrace_event::schema::EVENT_COUNT;
use landtrace_event::schema::{EventKind, field};
use landtrace_probes::loader::{ProbeError, ProbeSet, Tracker};
use landtrace_probes::records::{self, Config, TP_ANY_TASK};
use std::collections::HashMap;
use std::io::Write;
use std::os::fd::{AsRawFd, RawFd};
use std::time::Instant;

/// How long a tracepoint `create_ruleset` waits for its syscall's exit.
const FD_WAIT_NS: u64 = 100_000_000;

/// Most threads remembered with a `landlock_add_rule` in progress.
const MAX_ADDING: usize = 65_536;

/// What a tracepoint the generic program is attached to is for.
enum Tp {
    /// A `landlock:*` event.
    Landlock(Plan),
    /// `syscalls:sys_exit_landlock_create_ruleset`: the descriptor a
    /// ruleset got ([`FdPairing`]), its `ret` at this offset.
    CreateRulesetExit { ret_at: usize },
    /// `syscalls:sys_enter_landlock_add_rule`: the descriptor the rule is
    /// added with, its `ruleset_fd` at this offset; the `add_rule` event
    /// the kernel fires next on the same thread gets it.
    AddRuleEnter { fd_at: usize },
}

pub(in crate::live) struct TracepointSource {
    set: ProbeSet,
    events: usize,
    decoding: Decoding,
}

/// What turns the generic program's records into events.
struct Decoding {
    /// By tracepoint id.
    formats: HashMap<u32, Tp>,
    pairing: FdPairing,
    /// The descriptor each thread's `landlock_add_rule` in progress was given.
    adding: HashMap<u32, i64>,
    /// The event records are decoded into, reused.
    ev: Event,
    boot: i64,
}

impl TracepointSource {
    /// Loads the generic object and attaches it to every Landlock
    /// tracepoint of this kernel (and, for a scoped run, to forks). Each
    /// format is resolved into its plan here; what a format leaves out is a
    /// warning (an error with `strict`).
    pub fn open(
        ring_bytes: u32,
        config: &Config,
        root: Option<u32>,
        boot: i64,
        strict: bool,
        filters: Option<&[Option<Condition>; EVENT_COUNT]>,
        err: &mut dyn Write,
    ) -> Result<TracepointSource, LiveError> {
        let mut set = generic(ring_bytes, config, root)?;
        let mut formats = HashMap::new();
        // The descriptor of each new ruleset, from the syscall's exit, and
        // the one each rule is added with, from its entry (on the kernels
        // whose tracefs has the syscall events).
        let mut paired = Vec::new();
        if let Some((fmt, ret_at)) = syscall_field("sys_exit_landlock_create_ruleset", "ret") {
            set.attach_generic("syscalls", &fmt.name, fmt.id, fmt.tp_config(0))?;
            formats.insert(fmt.id, Tp::CreateRulesetExit { ret_at });
            paired.push(field::fd);
        }
        if let Some((fmt, fd_at)) = syscall_field("sys_enter_landlock_add_rule", "ruleset_fd") {
            set.attach_generic("syscalls", &fmt.name, fmt.id, fmt.tp_config(0))?;
            formats.insert(fmt.id, Tp::AddRuleEnter { fd_at });
            paired.push(field::ruleset_fd);
        }
        let mut events = 0;
        for name in landlock_tracepoints() {
            let path = format!("{TRACEFS}/events/landlock/{name}/format");
            let text = std::fs::read_to_string(&path)
                .map_err(|source| LiveError::ReadFormat { path: path.clone(), source })?;
            let bad = |source| LiveError::Format { path: path.clone(), source };
            let fmt = Format::parse(&text).map_err(bad)?;
            let mut plan = fmt.plan().map_err(bad)?;
            plan.missing.retain(|f| !paired.contains(f));
            warn_plan(&fmt.name, &plan, strict, err)?;
            let flags = if name.starts_with("landlock_free") { TP_ANY_TASK } else { 0 };
            let mut tp_config = fmt.tp_config(flags);
            if let Some(filters) = filters {
                let wanted = EventKind::lookup(&fmt.name).map(|k| filters[k as usize].as_ref());
                // A tracepoint landtrace does not know stays unfiltered.
                if let Some(cond) = wanted {
                    let terms = fmt.filter(cond);
                    tp_config.nterms = terms.len() as u32;
                    tp_config.terms[..terms.len()].copy_from_slice(&terms);
                }
            }
            set.attach_generic("landlock", &name, fmt.id, tp_config)?;
            formats.insert(fmt.id, Tp::Landlock(plan));
            events += 1;
        }
        if events == 0 {
            return Err(LiveError::NoTracepoints);
        }
        let decoding = Decoding {
            formats,
            pairing: FdPairing::default(),
            adding: HashMap::new(),
            ev: Event::new(),
            boot,
        };
        Ok(TracepointSource { set, events, decoding })
    }
}

impl Decoding {
    /// Decodes one record; the events it completes go to `feed`.
    fn record(&mut self, bytes: &[u8], feed: &mut Feed) {
        let Some((h, id, data)) = tracepoint_record(bytes) else {
            feed.summary.undecoded += 1;
            return;
        };
        match self.formats.get(&id) {
            Some(Tp::Landlock(plan)) => match plan.decode(data, &h, self.boot, &mut self.ev) {
                Ok(d) => {
                    feed.summary.cut += u64::from(d.cut);
                    if matches!(plan.kind, EventKind::AddRuleFs | EventKind::AddRuleNet)
                        && let Some(fd) = self.adding.remove(&h.tid)
                    {
                        self.ev.set(field::ruleset_fd, fd as u64);
                    }
                    if !self.pairing.hold(&self.ev) {
                        feed.offer_bpf(&mut self.ev);
                    }
                }
                Err(_) => feed.summary.undecoded += 1,
            },
            Some(Tp::CreateRulesetExit { ret_at }) => {
                let ret = data.get(*ret_at..ret_at + 8).map(|b| i64::from_ne_bytes(b.try_into().expect("8")));
                self.pairing.exit(u64::from(h.tid), ret.unwrap_or(-1));
            }
            Some(Tp::AddRuleEnter { fd_at }) => {
                // ruleset_fd is an int, widened to 8 bytes.
                let fd = data.get(*fd_at..fd_at + 4).map(|b| i32::from_ne_bytes(b.try_into().expect("4")));
                if self.adding.len() >= MAX_ADDING {
                    self.adding.clear();
                }
                self.adding.insert(h.tid, i64::from(fd.unwrap_or(-1)));
            }
            None => feed.summary.undecoded += 1,
        }
        self.release(h.time_ns, feed);
    }

    /// Hands over the held events whose descriptor is known, or which
    /// waited long enough, at record time `now_ns`.
    fn release(&mut self, now_ns: u64, feed: &mut Feed) {
        while let Some(mut e) = self.pairing.ready(now_ns, FD_WAIT_NS) {
            feed.offer_bpf(&mut e);
        }
    }
}

impl LiveSource for TracepointSource {
    fn describe(&self) -> String {
        format!("tracepoint ({} events)", self.events)
    }

    fn fd(&mut self) -> Result<RawFd, LiveError> {
        Ok(self.set.ring()?.as_raw_fd())
    }

    fn wake_by(&self, now: Instant) -> Option<Instant> {
        Some(now + POLL_INTERVAL)
    }

    fn trails(&self) -> bool {
        true
    }

    fn sees_domains(&self) -> bool {
        true
    }

    fn keeps_caps(&self) -> u64 {
        1 << proc::CAP_BPF
    }

    fn take_tracker(&mut self) -> Option<Result<Tracker, ProbeError>> {
        Some(self.set.take_tracker())
    }

    fn drain(&mut self, feed: &mut Feed) -> Result<(), LiveError> {
        let ring = self.set.ring()?;
        while let Some(item) = ring.next() {
            self.decoding.record(&item, feed);
        }
        let now = if feed.ending { u64::MAX } else { proc::monotonic_ns() };
        self.decoding.release(now, feed);
        Ok(())
    }

    fn account(&mut self, summary: &mut LiveSummary) {
        summary.lost_ring += self.set.lost();
        summary.missed += self.set.missed();
        let (seen, filtered) = self.set.filter_stats();
        summary.probe_seen += seen;
        summary.probe_filtered += filtered;
    }

    fn telemetry(&mut self, t: &mut crate::metrics::Telemetry) {
        t.lost += self.set.lost() + self.set.missed();
        let (seen, filtered) = self.set.filter_stats();
        t.seen += seen;
        t.filtered += filtered;
    }
}

/// The generic object, configured, tracking `root` and its children if
/// given, but not yet attached to any tracepoint.
fn generic(ring_bytes: u32, config: &Config, root: Option<u32>) -> Result<ProbeSet, LiveError> {
    let mut set = ProbeSet::generic(ring_bytes)?;
    set.set_config(*config)?;
    if let Some(pid) = root {
        set.track(pid)?;
        set.attach_fork()?;
    }
    Ok(set)
}

/// For a scoped run with no BPF source (audit alone), the generic
/// object's fork program alone keeps the set of traced processes; its
/// ring buffer, which nothing writes to, is the smallest there is.
pub(in crate::live) fn fork_tracker(config: &Config, root: u32) -> Result<Tracker, LiveError> {
    Ok(generic(4096, config, Some(root))?.into_tracker()?)
}

/// A syscall tracepoint's 8-byte field `name` (`ret`, an argument), if
/// this kernel's tracefs has the event.
fn syscall_field(event: &str, name: &str) -> Option<(Format, usize)> {
    let path = format!("{TRACEFS}/events/syscalls/{event}/format");
    let fmt = Format::parse(&std::fs::read_to_string(path).ok()?).ok()?;
    let at = fmt.fields.iter().find(|f| f.name == name && f.size == 8)?.offset;
    Some((fmt, at))
}

/// The header, tracepoint id and raw record of a generic program's record.
fn tracepoint_record(bytes: &[u8]) -> Option<(records::Header, u32, &[u8])> {
    let h = records::read::<records::Header>(bytes)?;
    let len_at = std::mem::offset_of!(records::Tracepoint, len);
    let len = u32::from_ne_bytes(bytes.get(len_at..len_at + 4)?.try_into().ok()?) as usize;
    let id_at = std::mem::offset_of!(records::Tracepoint, id);
    let id = u32::from_ne_bytes(bytes.get(id_at..id_at + 4)?.try_into().ok()?);
    let data_at = std::mem::offset_of!(records::Tracepoint, data);
    Some((h, id, bytes.get(data_at..data_at + len)?))
}

/// Says, before tracing starts, what a tracepoint's format leaves out: a
/// field of the event it does not provide, and a field of its own that
/// maps to nothing (kept as an extra). With --strict, either is an error.
fn warn_plan(name: &str, plan: &Plan, strict: bool, err: &mut dyn Write) -> Result<(), LiveError> {
    let missing: Vec<&str> = plan.missing.iter().map(|f| f.name()).collect();
    let mut problems = Vec::new();
    if !missing.is_empty() {
        problems.push(format!("{name} has no {} (read as empty, or -1)", missing.join(", ")));
    }
    if !plan.unknown.is_empty() {
        problems.push(format!(
            "{name} has fields landtrace does not know: {} (kept as extras)",
            plan.unknown.join(", ")
        ));
    }
    for p in problems {
        if strict {
            return Err(LiveError::Strict(p));
        }
        let _ = writeln!(err, "landtrace: warning: {p}");
    }
    Ok(())
}
