//! Live tracing: the kernel sources, and the loop that feeds their events
//! to the engine.
//!
//! Sources: `tracepoint` (the `landlock:*` tracepoints, when the kernel has
//! them), `compat` (syscall tracepoints and CO-RE reads, on any kernel with
//! Landlock) and `audit` (NETLINK_AUDIT). The loop waits on the ring
//! buffers, the audit socket, Ctrl-C/SIGTERM and the traced process at once,
//! fires `every` clauses on time, and on the way out detaches every probe
//! before END runs and restores the audit settings.

pub mod audit;
pub mod compat;
pub mod info;
pub mod proc;
mod scope;
pub mod tracepoint;

use crate::engine::Engine;
use crate::source::Pending;
use landtrace_compiler::record::Event;
use landtrace_compiler::schema::{EventKind, SourceKind, field};
use landtrace_probes::loader::{ProbeError, ProbeSet};
use landtrace_probes::records::{self, Config, TP_ANY_TASK};
use scope::Scope;
use std::collections::{HashMap, HashSet};
use std::io::{self, Write};
use std::os::fd::RawFd;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

/// Where tracefs is mounted.
pub const TRACEFS: &str = "/sys/kernel/tracing";

/// How long a scoped run waits, after the traced command exits, for what
/// the kernel still has to say about it: the audit records of its last
/// denials, and the release of its domains (free_domain, from a kernel
/// worker shortly after). The wait ends as soon as every domain the
/// command made is seen released; only a domain that outlives the command
/// (inherited by a process still running) costs the whole grace. BPF
/// records are all in by then.
const END_GRACE: Duration = Duration::from_secs(1);

/// How long to wait for audit records after the command exits when no
/// domain of its is known yet (its audit records may still be on the way).
const AUDIT_QUIET: Duration = Duration::from_millis(300);

/// How often the ring buffers are read when the probes do not wake us
/// (they do only once records pile up): the most a record waits.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// The handled-fs mask of the calibration ruleset: distinctive, and only
/// rights of Landlock ABI 1, which every kernel with Landlock supports.
const CALIBRATION_MASK: u32 = 0x0a5a;

impl From<ProbeError> for LiveError {
    fn from(e: ProbeError) -> LiveError {
        LiveError::Probe(Box::new(e))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("{0}")]
    Privileges(String),
    #[error(transparent)]
    Probe(#[from] Box<ProbeError>),
    #[error("audit: {0}")]
    Audit(io::Error),
    #[error("starting the command: {0}")]
    Spawn(io::Error),
    #[error("{0}")]
    Other(String),
}

/// `--source`
#[derive(Clone, Debug, PartialEq)]
pub enum Choice {
    Auto,
    Sources(Vec<SourceKind>),
}

#[derive(Clone, Debug)]
pub struct LiveOptions {
    pub choice: Choice,
    /// `-c CMD`
    pub command: Option<String>,
    /// `-p PID`
    pub pid: Option<u32>,
    /// `--ready-fd N`
    pub ready_fd: Option<RawFd>,
    /// Bytes of each ring buffer (a power of two).
    pub ring_bytes: u32,
    /// Give up the capabilities no longer needed once attached.
    pub drop_caps: bool,
    /// `--strict`: what a source cannot provide is an error, not a warning.
    pub strict: bool,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            choice: Choice::Auto,
            command: None,
            pid: None,
            ready_fd: None,
            ring_bytes: 1 << 22,
            drop_caps: true,
            strict: false,
        }
    }
}

/// The sources a run uses, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub sources: Vec<SourceKind>,
    pub reason: String,
}

/// Mounts tracefs at its usual place if it is not there (root only;
/// tracepoints cannot be attached without it).
pub fn ensure_tracefs() -> Result<(), String> {
    if std::path::Path::new(TRACEFS).join("events").exists() {
        return Ok(());
    }
    let c = |s: &str| std::ffi::CString::new(s).expect("no NUL");
    let (src, target, fstype) = (c("nodev"), c(TRACEFS), c("tracefs"));
    // SAFETY: mount(2) with valid NUL-terminated strings and no data.
    let rc = unsafe { libc::mount(src.as_ptr(), target.as_ptr(), fstype.as_ptr(), 0, std::ptr::null()) };
    if rc != 0 {
        return Err(format!(
            "tracefs is not mounted at {TRACEFS} and mounting it failed: {}",
            io::Error::last_os_error()
        ));
    }
    Ok(())
}

/// The `landlock:*` events this kernel's tracefs has.
pub fn landlock_tracepoints() -> Vec<String> {
    let _ = ensure_tracefs();
    let dir = format!("{TRACEFS}/events/landlock");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.path().join("format").exists())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Resolves `--source`: `auto` by what this kernel offers ([`info::KernelInfo::auto`]).
pub fn choose(choice: &Choice) -> Plan {
    match choice {
        Choice::Sources(s) => Plan { sources: s.clone(), reason: "as asked".into() },
        Choice::Auto => info::KernelInfo::probe().auto(),
    }
}

/// The events a program names that none of the plan's sources produce.
pub fn unproduced(plan: &Plan, events: impl IntoIterator<Item = EventKind>) -> Vec<EventKind> {
    let mut out: Vec<EventKind> =
        events.into_iter().filter(|k| !plan.sources.iter().any(|s| s.produces(*k))).collect();
    out.sort();
    out.dedup();
    out
}

/// How a live run ended.
#[derive(Debug, Default)]
pub struct LiveSummary {
    /// Events the BPF programs could not queue (ring buffer full).
    pub lost_ring: u64,
    /// BPF records that arrived but could not be decoded.
    pub undecoded: u64,
    /// Tracepoint records longer than the copy limit, whose strings (a
    /// long path) were cut and marked.
    pub cut: u64,
    /// Records the audit subsystem dropped during the run.
    pub lost_audit: u64,
    pub audit_malformed: u64,
    /// The traced command's exit status (`-c`).
    pub command_status: Option<ExitStatus>,
    /// Why the run ended.
    pub ended_by: String,
    /// Whether audit settings were changed and restored.
    pub audit_restored: bool,
}

fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    // SAFETY: getrandom fills the buffer it is given.
    let n = unsafe { libc::getrandom(b.as_mut_ptr().cast(), b.len(), 0) };
    if n == 8 { u64::from_ne_bytes(b) } else { proc::monotonic_ns().wrapping_mul(0x9e37_79b9_7f4a_7c15) }
}

/// The Landlock ABI version of the running kernel (0: no Landlock).
pub fn landlock_abi() -> i64 {
    // SAFETY: landlock_create_ruleset(NULL, 0, VERSION) only queries.
    let v = unsafe { libc::syscall(444, std::ptr::null::<u8>(), 0usize, 1u32) };
    v.max(0)
}

/// Finds the offset of the Landlock blob in `cred->security`: a thread
/// restricts itself with a distinctive handled mask, and the probe reports
/// the credential slot whose domain carries it.
fn calibrate(set: &mut ProbeSet, config: &mut Config) -> Result<i32, LiveError> {
    let (tid_tx, tid_rx) = std::sync::mpsc::channel();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("calibrate".into())
        .spawn(move || -> io::Result<()> {
            let _ = tid_tx.send(proc::gettid());
            if go_rx.recv().is_err() {
                return Ok(());
            }
            let attr: [u64; 1] = [CALIBRATION_MASK as u64];
            // SAFETY: landlock_create_ruleset with a valid 8-byte attr.
            let fd = unsafe { libc::syscall(444, attr.as_ptr(), 8usize, 0u32) };
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            // SAFETY: affects only this thread, which ends right after.
            unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
            // SAFETY: restricts only this thread (no TSYNC).
            let rc = unsafe { libc::syscall(446, fd as i32, 0u32) };
            let err = io::Error::last_os_error();
            // SAFETY: fd is ours.
            unsafe { libc::close(fd as i32) };
            if rc != 0 { Err(err) } else { Ok(()) }
        })
        .map_err(|e| LiveError::Other(format!("starting the calibration thread: {e}")))?;
    let tid = tid_rx.recv().map_err(|_| LiveError::Other("the calibration thread died".into()))?;
    config.calibration_tid = tid;
    set.set_config(*config)?;
    let _ = go_tx.send(());
    thread
        .join()
        .map_err(|_| LiveError::Other("the calibration thread panicked".into()))?
        .map_err(|e| LiveError::Other(format!("calibration: restricting a thread failed: {e}")))?;
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut offset = None;
    while offset.is_none() && Instant::now() < deadline {
        let ring = set.ring()?;
        while let Some(item) = ring.next() {
            if let Some((records::kind::CALIBRATION, _)) = records::peek(&item) {
                offset = records::read::<records::Calibration>(&item).map(|c| c.offset);
            }
        }
        if offset.is_none() {
            let fd = std::os::fd::AsRawFd::as_raw_fd(set.ring()?);
            let _ = proc::poll(&[fd], Some(50));
        }
    }
    config.calibration_tid = 0;
    let offset = offset.unwrap_or(-1);
    config.cred_offset = offset;
    set.set_config(*config)?;
    Ok(offset)
}

/// Decoded tracepoint formats, by id.
type Formats = HashMap<u32, Tp>;

/// What a tracepoint the generic program is attached to is for.
enum Tp {
    /// A `landlock:*` event.
    Landlock(tracepoint::Plan),
    /// `syscalls:sys_exit_landlock_create_ruleset`: the descriptor a
    /// ruleset got ([`tracepoint::FdPairing`]), its `ret` at this offset.
    CreateRulesetExit { ret_at: usize },
    /// `syscalls:sys_enter_landlock_add_rule`: the descriptor the rule is
    /// added with, its `ruleset_fd` at this offset; the add_rule event
    /// the kernel fires next on the same thread gets it.
    AddRuleEnter { fd_at: usize },
}

/// A syscall tracepoint's 8-byte field `name` (`ret`, an argument), if
/// this kernel's tracefs has the event.
fn syscall_field(event: &str, name: &str) -> Option<(tracepoint::Format, usize)> {
    let path = format!("{TRACEFS}/events/syscalls/{event}/format");
    let fmt = tracepoint::Format::parse(&std::fs::read_to_string(path).ok()?).ok()?;
    let at = fmt.fields.iter().find(|f| f.name == name && f.size == 8)?.offset;
    Some((fmt, at))
}

/// How long a tracepoint `create_ruleset` waits for its syscall's exit.
const FD_WAIT_NS: u64 = 100_000_000;

/// Starts `ev` as a `kind` event from `source`, with the task header a
/// BPF program wrote (boot-time clock; `boot_offset_ns` makes wall time).
pub(crate) fn start_event(
    ev: &mut Event,
    kind: EventKind,
    source: SourceKind,
    h: &records::Header,
    boot_offset_ns: i64,
) {
    ev.reset(kind, source);
    let r = ev.header_mut();
    r.time = h.time_ns;
    r.walltime = (h.time_ns as i64).saturating_add(boot_offset_ns);
    r.pid = h.pid as u64;
    r.tid = h.tid as u64;
    r.ppid = h.ppid as u64;
    r.uid = h.uid as u64;
    r.gid = h.gid as u64;
    r.cpu = h.cpu as u64;
    r.cgroup = h.cgroup;
    ev.set_comm(records::c_str(&h.comm));
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
fn warn_plan(
    name: &str,
    plan: &tracepoint::Plan,
    strict: bool,
    err: &mut dyn Write,
) -> Result<(), LiveError> {
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
            return Err(LiveError::Other(format!("--strict: {p}")));
        }
        let _ = writeln!(err, "landtrace: warning: {p}");
    }
    Ok(())
}

/// Runs `engine` on live events until the traced command exits, Ctrl-C or
/// SIGTERM, or `exit()`. Probes are detached and audit settings restored
/// before it returns; the caller then runs END with `engine.finish()`.
pub fn run(
    engine: &mut Engine,
    opts: &LiveOptions,
    plan: &Plan,
    err: &mut dyn Write,
) -> Result<LiveSummary, LiveError> {
    let uses = |s: SourceKind| plan.sources.contains(&s);
    let needs_bpf = uses(SourceKind::Compat) || uses(SourceKind::Tracepoint);
    if needs_bpf && !proc::can_trace() {
        return Err(LiveError::Privileges(
            "live tracing needs CAP_BPF and CAP_PERFMON (or root) to load BPF programs; \
             run as root, or replay a recorded trace with --replay FILE"
                .into(),
        ));
    }
    if uses(SourceKind::Audit) && !proc::has_cap(proc::CAP_AUDIT_READ) {
        return Err(LiveError::Privileges(
            "the audit source needs CAP_AUDIT_READ (and CAP_AUDIT_CONTROL to enable audit) or root; \
             run as root, or replay an audit log with --replay /var/log/audit/audit.log"
                .into(),
        ));
    }
    if needs_bpf {
        ensure_tracefs().map_err(LiveError::Other)?;
    }
    if uses(SourceKind::Audit) && landlock_abi() < info::ABI_AUDIT {
        // The audit socket itself is opened (and its absence reported) below.
        let _ = writeln!(
            err,
            "landtrace: warning: --source audit: this kernel writes no Landlock audit records \
             (Landlock ABI {} < {}): no denials or domains will come from audit",
            landlock_abi(),
            info::ABI_AUDIT
        );
    }
    let signals = proc::Signals::new().map_err(|e| LiveError::Other(format!("signals: {e}")))?;
    // Audit first: a task gets its audit context (and so the SYSCALL record
    // that says who was denied) only if audit is on when it is forked.
    let mut audit = if uses(SourceKind::Audit) {
        Some(audit::AuditSource::open().map_err(LiveError::Audit)?)
    } else {
        None
    };
    let mut command = match &opts.command {
        Some(c) => Some(proc::TracedCommand::spawn(c).map_err(LiveError::Spawn)?),
        None => None,
    };
    let root = command.as_ref().map(|c| c.pid()).or(opts.pid);
    let target_fd = match (&command, opts.pid) {
        (Some(c), _) => Some(std::os::fd::AsRawFd::as_raw_fd(&c.pidfd)),
        (None, Some(pid)) => Some(
            proc::pidfd_open(pid)
                .map(|fd| {
                    let raw = std::os::fd::AsRawFd::as_raw_fd(&fd);
                    std::mem::forget(fd);
                    raw
                })
                .map_err(|e| LiveError::Other(format!("-p {pid}: {e}")))?,
        ),
        _ => None,
    };

    let boot = proc::boot_offset_ns();
    // Scoped runs track the traced processes in BPF when they can.
    let track = root.is_some() && proc::can_trace();
    let mut config = Config {
        key_secret: random_u64(),
        cred_offset: -1,
        calibration_tid: 0,
        calibration_mask: CALIBRATION_MASK,
        filter_pids: root.is_some() as u32,
    };
    let mut compat = None;
    if uses(SourceKind::Compat) {
        let mut set = ProbeSet::compat(opts.ring_bytes)?;
        set.set_config(config)?;
        if let Some(pid) = root {
            set.track(pid)?;
        }
        set.attach_compat()?;
        if landlock_abi() >= 1 {
            let off = calibrate(&mut set, &mut config)?;
            if off < 0 {
                let _ = writeln!(
                    err,
                    "landtrace: warning: could not find the Landlock credential blob; create_domain will have no domain IDs"
                );
            }
        }
        compat = Some(set);
    }
    // The generic object traces the Landlock tracepoints and, in a scoped
    // run, follows forks; for a scoped run without either BPF source it is
    // loaded only for that (its ring buffer then stays empty, and small).
    let mut generic = None;
    let mut formats = Formats::new();
    if uses(SourceKind::Tracepoint) || (track && compat.is_none()) {
        let ring = if uses(SourceKind::Tracepoint) { opts.ring_bytes } else { 4096 };
        let mut set = ProbeSet::generic(ring)?;
        set.set_config(config)?;
        if let Some(pid) = root {
            set.track(pid)?;
            set.attach_fork()?;
        }
        if uses(SourceKind::Tracepoint) {
            // The descriptor of each new ruleset, from the syscall's exit,
            // and the one each rule is added with, from its entry (on the
            // kernels whose tracefs has the syscall events).
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
            for name in landlock_tracepoints() {
                let path = format!("{TRACEFS}/events/landlock/{name}/format");
                let text =
                    std::fs::read_to_string(&path).map_err(|e| LiveError::Other(format!("{path}: {e}")))?;
                let fmt =
                    tracepoint::Format::parse(&text).map_err(|e| LiveError::Other(format!("{path}: {e}")))?;
                let mut plan = fmt.plan().map_err(|e| LiveError::Other(format!("{path}: {e}")))?;
                plan.missing.retain(|f| !paired.contains(f));
                warn_plan(&fmt.name, &plan, opts.strict, err)?;
                let flags = if name.starts_with("landlock_free") { TP_ANY_TASK } else { 0 };
                set.attach_generic("landlock", &name, fmt.id, fmt.tp_config(flags))?;
                formats.insert(fmt.id, Tp::Landlock(plan));
            }
            if formats.values().all(|f| !matches!(f, Tp::Landlock(_))) {
                return Err(LiveError::Other(
                    "--source tracepoint: this kernel has no landlock:* tracepoints".into(),
                ));
            }
        }
        generic = Some(set);
    }

    // Attached: keep only what is still needed (map access, and putting
    // the audit setting back).
    let mut keep = 1u64 << proc::CAP_BPF | 1 << proc::CAP_AUDIT_READ;
    if audit.as_ref().is_some_and(|a| a.changed_settings()) {
        keep |= 1 << proc::CAP_AUDIT_CONTROL;
    }
    if opts.drop_caps
        && let Err(e) = proc::drop_caps_except(keep)
    {
        let _ = writeln!(err, "landtrace: warning: could not drop capabilities: {e}");
    }

    let mut what: Vec<String> = Vec::new();
    if uses(SourceKind::Compat) {
        what.push(format!("compat ({} probes)", compat.as_ref().map_or(0, |s| s.attached().len())));
    }
    if uses(SourceKind::Tracepoint) {
        let events = formats.values().filter(|f| matches!(f, Tp::Landlock(_))).count();
        what.push(format!("tracepoint ({events} events)"));
    }
    if uses(SourceKind::Audit) {
        what.push("audit".into());
    }
    match opts.ready_fd {
        Some(fd) => {
            let line = format!("ready {}\n", what.join(", "));
            // SAFETY: writing to a descriptor the caller handed us.
            unsafe { libc::write(fd, line.as_ptr().cast(), line.len()) };
            // SAFETY: the ready descriptor is ours to close once used.
            unsafe { libc::close(fd) };
        }
        None => {
            let _ = writeln!(err, "landtrace: tracing with {}; Ctrl-C to stop", what.join(" and "));
        }
    }

    engine.begin(proc::monotonic_ns());
    if let Some(c) = command.as_mut() {
        c.release().map_err(LiveError::Spawn)?;
    }

    let mut summary = LiveSummary::default();
    let mut decoder = compat::CompatDecoder::new(boot);
    let mut scope = Scope::new(root);
    let mut pending = Pending::default();
    let mut ev = Event::new();
    let mut ending: Option<Instant> = None;
    let mut target_exited = false;
    let mut exited_at: Option<Instant> = None;
    let mut compat_domains: HashSet<u64> = HashSet::new();
    let mut pairing = tracepoint::FdPairing::default();
    // The descriptor each thread's landlock_add_rule in progress was given.
    let mut adding: HashMap<u32, i64> = HashMap::new();
    let (mut arena, mut spans): (Vec<u8>, Vec<std::ops::Range<usize>>) = (Vec::new(), Vec::new());
    loop {
        // Wait for the next thing to do.
        let now = Instant::now();
        let mut deadline: Option<Instant> = ending;
        if let Some(due) = engine.next_due() {
            let mono = proc::monotonic_ns();
            let at = now + Duration::from_nanos(due.saturating_sub(mono));
            deadline = Some(deadline.map_or(at, |d| d.min(at)));
        }
        if let Some(d) = audit.as_ref().and_then(|a| a.flush_deadline()) {
            deadline = Some(deadline.map_or(d, |x| x.min(d)));
        }
        // The probes wake us only once records pile up: look at least this
        // often for the ones in between.
        let poll_every = if compat.is_some() || generic.is_some() { Some(POLL_INTERVAL) } else { None };
        let timeout = match (deadline.map(|d| d.saturating_duration_since(now)), poll_every) {
            (Some(d), Some(p)) => Some(d.min(p)),
            (d, p) => d.or(p),
        }
        .map(|d| d.as_millis() as i64);
        let mut fds = vec![signals.fd()];
        if let Some(s) = compat.as_mut() {
            fds.push(std::os::fd::AsRawFd::as_raw_fd(s.ring()?));
        }
        if let Some(s) = generic.as_mut() {
            fds.push(std::os::fd::AsRawFd::as_raw_fd(s.ring()?));
        }
        if let Some(a) = audit.as_ref() {
            fds.push(a.fd());
        }
        if let Some(fd) = target_fd.filter(|_| ending.is_none()) {
            fds.push(fd);
        }
        let ready = proc::poll(&fds, timeout).map_err(|e| LiveError::Other(format!("poll: {e}")))?;

        if ready.contains(&signals.fd())
            && let Some(sig) = signals.take()
        {
            summary.ended_by = if sig == libc::SIGINT { "Ctrl-C" } else { "SIGTERM" }.into();
            ending = Some(Instant::now());
        }
        if target_fd.is_some_and(|fd| ready.contains(&fd)) && ending.is_none() {
            target_exited = true;
            summary.ended_by =
                if command.is_some() { "the command exited" } else { "the process exited" }.into();
            // Audit records of the last moments may still be on their way,
            // and a kworker frees the command's domains (free_domain) just
            // after it exits. Whether any domain is still to be freed is
            // known only once the records already queued are read (below):
            // the loop ends early when it is settled.
            let waiting = audit.is_some() || !formats.is_empty();
            exited_at = Some(Instant::now());
            ending = Some(Instant::now() + if waiting { END_GRACE } else { Duration::ZERO });
        }

        scope.new_read();
        // Drain every source. Audit records are read first and handled
        // last: the BPF records of what led to them (the domain's creation)
        // are in the ring buffers by then, even if the audit socket won the
        // race to wake us.
        if let Some(a) = audit.as_mut() {
            a.read(&mut pending).map_err(LiveError::Audit)?;
            if ending.is_some() || a.flush_deadline().is_some_and(|d| Instant::now() >= d) {
                a.flush(&mut pending);
            }
        }
        if let Some(set) = compat.as_mut() {
            let ring = set.ring()?;
            while let Some(bytes) = ring.next() {
                // Compat events are scoped in the probe already.
                let decoded = decoder.decode(&bytes, |e| {
                    if e.kind() == Some(EventKind::CreateDomain) {
                        compat_domains.insert(e.get(field::domain));
                    }
                    scope.note(e);
                    e.seal();
                    engine.process(e);
                });
                if matches!(decoded, compat::Decoded::Skipped) {
                    summary.undecoded += 1;
                }
            }
        }
        if let Some(set) = generic.as_mut() {
            // Copied out (into buffers reused from one read to the next):
            // scoping below looks at the same object's map of tracked tasks.
            let ring = set.ring()?;
            arena.clear();
            while let Some(item) = ring.next() {
                let start = arena.len();
                arena.extend_from_slice(&item);
                spans.push(start..arena.len());
            }
            let tracker = generic.as_ref().or(compat.as_ref());
            let deliver = |ev: &mut Event, scope: &mut Scope, engine: &mut Engine| {
                if scope.wants(ev, tracker) {
                    ev.seal();
                    engine.process(ev);
                }
            };
            for span in spans.drain(..) {
                let Some((h, id, data)) = tracepoint_record(&arena[span]) else {
                    summary.undecoded += 1;
                    continue;
                };
                match formats.get(&id) {
                    Some(Tp::Landlock(plan)) => match plan.decode(data, &h, boot, &mut ev) {
                        Ok(d) => {
                            summary.cut += d.cut as u64;
                            if matches!(plan.kind, EventKind::AddRuleFs | EventKind::AddRuleNet)
                                && let Some(fd) = adding.remove(&h.tid)
                            {
                                ev.set(field::ruleset_fd, fd as u64);
                            }
                            if !pairing.hold(&ev) {
                                deliver(&mut ev, &mut scope, engine);
                            }
                        }
                        Err(_) => summary.undecoded += 1,
                    },
                    Some(Tp::CreateRulesetExit { ret_at }) => {
                        let ret = data
                            .get(*ret_at..ret_at + 8)
                            .map(|b| i64::from_ne_bytes(b.try_into().expect("8")));
                        pairing.exit(h.tid as u64, ret.unwrap_or(-1));
                    }
                    Some(Tp::AddRuleEnter { fd_at }) => {
                        // ruleset_fd is an int, widened to 8 bytes.
                        let fd =
                            data.get(*fd_at..fd_at + 4).map(|b| i32::from_ne_bytes(b.try_into().expect("4")));
                        if adding.len() >= 65_536 {
                            adding.clear();
                        }
                        adding.insert(h.tid, fd.unwrap_or(-1) as i64);
                    }
                    None => summary.undecoded += 1,
                }
                while let Some(mut e) = pairing.ready(h.time_ns, FD_WAIT_NS) {
                    deliver(&mut e, &mut scope, engine);
                }
            }
            let now = proc::monotonic_ns();
            let finished = ending.is_some();
            while let Some(mut e) = pairing.ready(if finished { u64::MAX } else { now }, FD_WAIT_NS) {
                deliver(&mut e, &mut scope, engine);
            }
        }
        if audit.is_some() {
            while pending.pop_into(&mut ev) {
                // With compat on, audit's late "allocated" record repeats a
                // domain compat already reported.
                if ev.kind() == Some(EventKind::CreateDomain)
                    && compat_domains.contains(&ev.get(field::domain))
                {
                    continue;
                }
                // Audit stamps wall-clock time; events share the monotonic one.
                let wall = ev.header().walltime;
                ev.header_mut().time = wall.saturating_sub(boot).max(0) as u64;
                if scope.wants(&ev, generic.as_ref().or(compat.as_ref())) {
                    ev.seal();
                    engine.process(&ev);
                }
            }
        }
        engine.tick(proc::monotonic_ns());
        engine.flush_output();
        if engine.done() {
            summary.ended_by = "exit()".into();
            break;
        }
        // Settled: every domain the command made is freed, with everything
        // queued before read. With audit alone and no domain known yet (the
        // BPF sources would have reported the command's domains), its
        // records may still be coming: give them AUDIT_QUIET.
        let audit_alone = audit.is_some() && compat.is_none() && formats.is_empty();
        let settled = target_exited
            && scope.all_freed()
            && (scope.has_domains() || !audit_alone || exited_at.is_some_and(|t| t.elapsed() >= AUDIT_QUIET));
        if ending.is_some_and(|e| Instant::now() >= e || settled) {
            break;
        }
    }

    // Detach everything before END runs.
    summary.lost_ring = compat.as_ref().map_or(0, |s| s.lost()) + generic.as_ref().map_or(0, |s| s.lost());
    if let Some(a) = audit.as_mut() {
        summary.lost_audit = a.lost();
        summary.audit_malformed = a.malformed;
        summary.audit_restored = a.changed_settings();
    }
    drop(compat);
    drop(generic);
    drop(audit);
    if let Some(mut c) = command {
        if summary.ended_by != "the command exited" {
            // SAFETY: signalling our own child.
            unsafe { libc::kill(c.pid() as libc::pid_t, libc::SIGTERM) };
        }
        summary.command_status = c.wait().ok();
    }
    if summary.lost_ring > 0 {
        engine.output().lost("bpf", summary.lost_ring);
    }
    if summary.lost_audit > 0 {
        engine.output().lost("audit", summary.lost_audit);
    }
    Ok(summary)
}
