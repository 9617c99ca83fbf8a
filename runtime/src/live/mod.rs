//! Live tracing: the kernel sources, and the loop that feeds their events
//! to the engine.
//!
//! Sources: `tracepoint` (the `landlock:*` tracepoints, when the kernel has
//! them), `compat` (syscall tracepoints and reads of the task's
//! credentials, on any kernel with Landlock) and `audit` (`NETLINK_AUDIT`). The loop waits on the ring
//! buffers, the audit socket, Ctrl-C/SIGTERM and the traced process at once,
//! fires `every` clauses on time, and on the way out detaches every probe
//! before END runs and restores the audit settings.

pub mod audit;
pub mod audit_claim;
pub mod compat;
pub mod info;
pub mod proc;
mod scope;
mod sources;
pub mod tracepoint;

use crate::engine::Engine;
use landtrace_compiler::pushdown::Condition;
use landtrace_event::record::Event;
use landtrace_event::schema::Builtin;
use landtrace_event::schema::{EVENT_COUNT, EventKind, SourceKind};
use landtrace_probes::loader::ProbeError;
use landtrace_probes::records::{self, Config};
use scope::Scope;
use sources::audit::AuditLive;
use sources::compat::CompatSource;
use sources::tracepoint::TracepointSource;
use sources::{Feed, LiveSource};
use std::collections::HashSet;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::process::ExitStatus;
use std::time::{Duration, Instant};

/// Where tracefs is mounted.
pub const TRACEFS: &str = "/sys/kernel/tracing";

/// How long a scoped run waits, after the traced command exits, for what
/// the kernel still has to say about it: the audit records of its last
/// denials, and the release of its domains (`free_domain`, from a kernel
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
pub(crate) const POLL_INTERVAL: Duration = Duration::from_millis(50);

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
    #[error(transparent)]
    Tracefs(#[from] TracefsError),
    #[error("{path}: {source}")]
    ReadFormat {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("{path}: {source}")]
    Format {
        path: String,
        #[source]
        source: tracepoint::FormatError,
    },
    #[error("--source tracepoint: this kernel has no landlock:* tracepoints")]
    NoTracepoints,
    /// A warning `--strict` makes an error.
    #[error("--strict: {0}")]
    Strict(String),
    #[error("signals: {0}")]
    Signals(#[source] io::Error),
    #[error("poll: {0}")]
    Poll(#[source] io::Error),
    #[error("-p {pid}: {source}")]
    Pid {
        pid: u32,
        #[source]
        source: io::Error,
    },
    #[error("starting the calibration thread: {0}")]
    CalibrationThread(#[source] io::Error),
    /// The calibration thread `died` or `panicked`.
    #[error("the calibration thread {0}")]
    CalibrationLost(&'static str),
    #[error("calibration: restricting a thread failed: {0}")]
    Calibration(#[source] io::Error),
}

/// `--source`
#[derive(Clone, Debug, PartialEq)]
pub enum Choice {
    Auto,
    Sources(Vec<SourceKind>),
}

/// The compat source's default ring buffer: its records come only from
/// the Landlock system calls, and 1 MiB holds some 190 of its largest
/// (`add_rule_fs`, 5.3 KiB with its path) and thousands of the others.
pub const COMPAT_RING_BYTES: u32 = 1 << 20;

/// The tracepoint source's default ring buffer: `check_rule_*` events come
/// by the million from a busy sandbox.
pub const TRACEPOINT_RING_BYTES: u32 = 1 << 22;

#[derive(Clone, Debug)]
pub struct LiveOptions {
    pub choice: Choice,
    /// `-c CMD`
    pub command: Option<String>,
    /// `-p PID`
    pub pid: Option<u32>,
    /// `--ready-fd N`
    pub ready_fd: Option<RawFd>,
    /// Bytes of each ring buffer (a power of two); `None`: each source's
    /// default ([`COMPAT_RING_BYTES`], [`TRACEPOINT_RING_BYTES`]).
    pub ring_bytes: Option<u32>,
    /// Give up the capabilities no longer needed once attached.
    pub drop_caps: bool,
    /// `--strict`: what a source cannot provide is an error, not a warning.
    pub strict: bool,
    /// `-q`: no informational line when tracing starts.
    pub quiet: bool,
    /// The landtrace binary, run as the audit watchdog (None: no watchdog).
    pub watchdog: Option<std::path::PathBuf>,
    /// The program's condition per event kind
    /// ([`landtrace_compiler::pushdown::pushdown`]), for the probes to check
    /// before they copy a record; `None`: every record is delivered.
    pub pushdown: Option<[Option<Condition>; EVENT_COUNT]>,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            choice: Choice::Auto,
            command: None,
            pid: None,
            ready_fd: None,
            ring_bytes: None,
            drop_caps: true,
            strict: false,
            quiet: false,
            watchdog: None,
            pushdown: None,
        }
    }
}

/// The sources a run uses, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub sources: Vec<SourceKind>,
    pub reason: String,
}

impl Plan {
    /// `auto` for a program that wants only `wanted`: without the sources
    /// that produce none of them (so `on create_ruleset` leaves audit alone:
    /// not enabled, no socket, no watchdog), unless that would leave none.
    /// A program that names no event keeps the plan whole.
    pub fn narrowed(mut self, wanted: &[EventKind]) -> Plan {
        if wanted.is_empty() {
            return self;
        }
        let (keep, left): (Vec<SourceKind>, Vec<SourceKind>) =
            self.sources.iter().partition(|&&s| wanted.iter().any(|&k| crate::source::produces_here(s, k)));
        if keep.is_empty() || left.is_empty() {
            return self;
        }
        let names: Vec<&str> = left.iter().map(|s| s.name()).collect();
        self.reason
            .push_str(&format!("; {} left out: the program needs none of its events", names.join(", ")));
        self.sources = keep;
        self
    }
}

/// Why tracefs cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TracefsError {
    #[error(
        "the BPF sources read tracefs ({TRACEFS}, a root-only directory): that needs \
         CAP_DAC_READ_SEARCH (or root)"
    )]
    Unreadable(#[source] io::Error),
    #[error(
        "tracefs is not mounted at {TRACEFS}, and mounting it needs CAP_SYS_ADMIN (or root): mount -t tracefs nodev {TRACEFS}"
    )]
    MountRefused(#[source] io::Error),
    #[error(
        "tracefs is not mounted at {TRACEFS}, and mounting it failed: {0}: mount -t tracefs nodev {TRACEFS}"
    )]
    Mount(#[source] io::Error),
}

/// Mounts tracefs at its usual place if it is not there (root only;
/// tracepoints cannot be attached without it).
pub fn ensure_tracefs() -> Result<(), TracefsError> {
    let events = std::path::Path::new(TRACEFS).join("events");
    match std::fs::metadata(&events) {
        Ok(_) => return Ok(()),
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => return Err(TracefsError::Unreadable(e)),
        Err(_) => {}
    }
    let c = |s: &str| std::ffi::CString::new(s).expect("no NUL");
    let (src, target, fstype) = (c("nodev"), c(TRACEFS), c("tracefs"));
    // SAFETY: mount(2) with valid NUL-terminated strings and no data.
    let rc = unsafe { libc::mount(src.as_ptr(), target.as_ptr(), fstype.as_ptr(), 0, std::ptr::null()) };
    if rc != 0 {
        let e = io::Error::last_os_error();
        return Err(if e.raw_os_error() == Some(libc::EPERM) {
            TracefsError::MountRefused(e)
        } else {
            TracefsError::Mount(e)
        });
    }
    Ok(())
}

/// The `landlock:*` events this kernel's tracefs has.
pub fn landlock_tracepoints() -> Vec<String> {
    let _ = ensure_tracefs();
    let dir = format!("{TRACEFS}/events/landlock");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(std::result::Result::ok)
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
    let mut out: Vec<EventKind> = events
        .into_iter()
        .filter(|k| !plan.sources.iter().any(|s| crate::source::produces_here(*s, *k)))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The conditions the probes check: the program's, except for the events
/// scoping itself needs (`-c`, `-p`: the domains and rulesets the scope
/// makes, whose release is then attributed to it), which all pass.
fn filters(
    pushed: Option<&[Option<Condition>; EVENT_COUNT]>,
    scoped: bool,
) -> Option<[Option<Condition>; EVENT_COUNT]> {
    let mut f = pushed?.clone();
    if scoped {
        for k in [EventKind::CreateDomain, EventKind::CreateRuleset] {
            f[k as usize] = Some(Condition::always());
        }
    }
    Some(f)
}

/// How a live run ended.
#[derive(Debug, Default)]
pub struct LiveSummary {
    /// Events the BPF programs could not queue (ring buffer full).
    pub lost_ring: u64,
    /// Events the kernel did not run the BPF programs for (another BPF
    /// program was running on that CPU).
    pub missed: u64,
    /// Tracepoint records of the scope the probes' filter looked at, and
    /// those it dropped in the kernel.
    pub probe_seen: u64,
    pub probe_filtered: u64,
    /// Events the sources delivered to the engine.
    pub delivered: u64,
    /// BPF records that arrived but could not be decoded.
    pub undecoded: u64,
    /// Tracepoint records longer than the copy limit, whose strings (a
    /// long path) were cut and marked.
    pub cut: u64,
    /// Records the audit subsystem dropped during the run (its counter).
    pub lost_audit: u64,
    /// Records dropped at landtrace's audit socket (its buffer was full).
    pub audit_overflows: u64,
    pub audit_malformed: u64,
    /// Domains and rulesets of a scoped run not remembered (the bound was
    /// reached): their release by a kernel worker may be missed.
    pub scope_forgotten: u64,
    /// The traced command's exit status (`-c`).
    pub command_status: Option<ExitStatus>,
    /// Why the run ended.
    pub ended_by: String,
    /// SIGHUP brought a valid new program: the caller starts it.
    pub reload: bool,
    /// Whether audit settings were changed and restored.
    pub audit_restored: bool,
    /// What became of audit otherwise (still used by another landtrace,
    /// changed during the run, or not restored).
    pub audit_note: Option<String>,
}

fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    // SAFETY: getrandom fills the buffer it is given.
    let n = unsafe { libc::getrandom(b.as_mut_ptr().cast(), b.len(), 0) };
    if n == 8 { u64::from_ne_bytes(b) } else { proc::monotonic_ns().wrapping_mul(0x9e37_79b9_7f4a_7c15) }
}

/// The Landlock ABI version of the running kernel (0: no Landlock).
/// Whether the compat source adds the hooks (fexit on Landlock's own
/// functions) for denials: on a kernel whose Landlock logs none (ABI 1 to
/// 6; from 7, audit has them).
pub fn hooks_wanted() -> bool {
    static WANTED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *WANTED.get_or_init(|| (1..info::ABI_AUDIT).contains(&landlock_abi()))
}

pub fn landlock_abi() -> i64 {
    // SAFETY: landlock_create_ruleset(NULL, 0, VERSION) only queries.
    let v = unsafe { libc::syscall(444, std::ptr::null::<u8>(), 0usize, 1u32) };
    v.max(0)
}

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
    for (b, v) in [
        (Builtin::Time, h.time_ns),
        (Builtin::Walltime, (h.time_ns as i64).saturating_add(boot_offset_ns) as u64),
        (Builtin::Pid, u64::from(h.pid)),
        (Builtin::Tid, u64::from(h.tid)),
        (Builtin::Ppid, u64::from(h.ppid)),
        (Builtin::Uid, u64::from(h.uid)),
        (Builtin::Gid, u64::from(h.gid)),
        (Builtin::Cpu, u64::from(h.cpu)),
        (Builtin::Cgroup, h.cgroup),
    ] {
        ev.set_builtin(b, v);
    }
    ev.set_comm(records::c_str(&h.comm));
}

/// Runs `engine` on live events until the traced command exits, Ctrl-C or
/// SIGTERM, or `exit()`. Probes are detached and audit settings restored
/// before it returns; the caller then runs END with `engine.finish()`.
pub fn run(
    engine: &mut Engine,
    opts: &LiveOptions,
    plan: &Plan,
    err: &mut dyn Write,
    reload: Option<&mut dyn FnMut() -> bool>,
) -> Result<LiveSummary, LiveError> {
    let uses = |s: SourceKind| plan.sources.contains(&s);
    check_privileges(plan, err)?;
    let signals = proc::Signals::new().map_err(LiveError::Signals)?;
    let boot = proc::boot_offset_ns();
    // Audit first: a task gets its audit context (and so the SYSCALL record
    // that says who was denied) only if audit is on when it is forked.
    let audit =
        if uses(SourceKind::Audit) { Some(AuditLive::open(boot, opts.watchdog.as_deref())?) } else { None };
    if let Some(note) = audit.as_ref().and_then(|a| a.note()) {
        let _ = writeln!(err, "landtrace: {note}");
    }
    let mut target = Target::start(opts)?;
    let root = target.root();
    let mut config = Config {
        key_secret: random_u64(),
        cred_offset: -1,
        calibration_tid: 0,
        calibration_mask: sources::compat::CALIBRATION_MASK,
        filter_pids: u32::from(root.is_some()),
    };
    // In drain order: audit comes last (see LiveSource::collect).
    let mut sources: Vec<Box<dyn LiveSource>> = Vec::new();
    if uses(SourceKind::Compat) {
        let ring = opts.ring_bytes.unwrap_or(COMPAT_RING_BYTES);
        // `close`'s probe only for a program that wants free_ruleset: it
        // runs on every close of the system.
        // (The pushdown names the events the program has clauses on.)
        let close = opts
            .pushdown
            .as_ref()
            .is_none_or(|p| p[EventKind::FreeRuleset as usize].as_ref().is_some_and(|c| !c.0.is_empty()));
        sources.push(Box::new(CompatSource::open(ring, &mut config, root, boot, close, err)?));
    }
    if uses(SourceKind::Tracepoint) {
        let tp = TracepointSource::open(
            opts.ring_bytes.unwrap_or(TRACEPOINT_RING_BYTES),
            &config,
            root,
            boot,
            opts.strict,
            filters(opts.pushdown.as_ref(), root.is_some()).as_ref(),
            err,
        )?;
        sources.push(Box::new(tp));
    }
    // Scoped runs track the traced processes in BPF when they can: with
    // a BPF source's own set, or the fork program alone.
    let mut tracker = None;
    if let Some(pid) = root.filter(|_| proc::can_trace()) {
        tracker = match sources.iter_mut().find_map(|s| s.take_tracker()) {
            Some(t) => Some(t?),
            None => Some(sources::tracepoint::fork_tracker(&config, pid)?),
        };
    }
    if let Some(a) = audit {
        sources.push(Box::new(a));
    }

    // Attached: keep only what is still needed (map access, and putting
    // the audit setting back).
    let keep = sources.iter().fold(0, |k, s| k | s.keeps_caps());
    if opts.drop_caps
        && let Err(e) = proc::drop_caps_except(keep)
    {
        let _ = writeln!(err, "landtrace: warning: could not drop capabilities: {e}");
    }
    let what: Vec<String> = sources.iter().map(|s| s.describe()).collect();
    match opts.ready_fd {
        Some(fd) => {
            let line = format!("ready {}\n", what.join(", "));
            // SAFETY: writing to a descriptor the caller handed us.
            unsafe { libc::write(fd, line.as_ptr().cast(), line.len()) };
            // SAFETY: the ready descriptor is ours to close once used.
            unsafe { libc::close(fd) };
        }
        None if opts.quiet => {}
        None => {
            let until = if opts.command.is_some() { "until the command exits" } else { "Ctrl-C to stop" };
            let _ = writeln!(err, "landtrace: tracing with {}; {until}", what.join(" and "));
        }
    }

    engine.begin(proc::monotonic_ns());
    target.release()?;
    let mut feed = Feed {
        engine,
        scope: Scope::new(root, tracker),
        summary: LiveSummary::default(),
        ending: false,
        bpf_domains: HashSet::new(),
    };
    let result = event_loop(&mut feed, &mut sources, &signals, &target, reload);

    // Detach everything before END runs.
    let Feed { engine, scope, mut summary, .. } = feed;
    summary.scope_forgotten = scope.forgotten;
    for s in &mut sources {
        s.account(&mut summary);
    }
    drop(sources);
    drop(scope);
    result?;
    summary.command_status = target.finish(&summary.ended_by);
    if summary.lost_ring + summary.missed > 0 {
        engine.output().lost("bpf", summary.lost_ring + summary.missed);
    }
    if uses(SourceKind::Tracepoint) {
        engine.output().probe_summary(
            summary.probe_seen,
            summary.probe_filtered,
            summary.delivered,
            summary.lost_ring + summary.missed,
        );
    }
    if summary.lost_audit + summary.audit_overflows > 0 {
        engine.output().lost("audit", summary.lost_audit + summary.audit_overflows);
    }
    Ok(summary)
}

/// Refuses a run the process lacks the privileges for, and warns of an
/// audit source that will stay silent, before anything is opened.
fn check_privileges(plan: &Plan, err: &mut dyn Write) -> Result<(), LiveError> {
    let uses = |s: SourceKind| plan.sources.contains(&s);
    let needs_bpf = uses(SourceKind::Compat) || uses(SourceKind::Tracepoint);
    if needs_bpf && !proc::can_trace() {
        return Err(LiveError::Privileges(
            "live tracing needs CAP_BPF and CAP_PERFMON (or root) to load BPF programs; \
             run as root, or replay a recorded trace with --replay FILE"
                .into(),
        ));
    }
    if uses(SourceKind::Audit) {
        let missing: Vec<&str> =
            [(proc::CAP_AUDIT_READ, "CAP_AUDIT_READ"), (proc::CAP_AUDIT_CONTROL, "CAP_AUDIT_CONTROL")]
                .into_iter()
                .filter(|(cap, _)| !proc::has_cap(*cap))
                .map(|(_, name)| name)
                .collect();
        if !missing.is_empty() {
            return Err(LiveError::Privileges(format!(
                "the audit source needs CAP_AUDIT_READ (to receive the records) and CAP_AUDIT_CONTROL \
                 (to read and set audit's status), or root; missing: {}; run as root, or replay an \
                 audit log with --replay /var/log/audit/audit.log",
                missing.join(", ")
            )));
        }
        audit_claim::check_access().map_err(|e| {
            LiveError::Privileges(format!(
                "the audit source records its use of audit in {} (shared by every landtrace): {e}; \
                 writing there needs CAP_DAC_OVERRIDE (or root)",
                audit_claim::STATE
            ))
        })?;
    }
    if needs_bpf {
        ensure_tracefs()?;
    }
    if uses(SourceKind::Audit) && landlock_abi() < info::ABI_AUDIT {
        // The audit socket itself is opened (and its absence reported) later.
        let _ = writeln!(
            err,
            "landtrace: warning: --source audit: this kernel writes no Landlock audit records \
             (Landlock ABI {} < {}): no denials or domains will come from audit",
            landlock_abi(),
            info::ABI_AUDIT
        );
    }
    Ok(())
}

/// Waits on the sources, the signals and the traced process, and feeds
/// what the sources have to the engine, until the run ends.
fn event_loop(
    feed: &mut Feed,
    sources: &mut [Box<dyn LiveSource>],
    signals: &proc::Signals,
    target: &Target,
    mut reload: Option<&mut dyn FnMut() -> bool>,
) -> Result<(), LiveError> {
    let trails = sources.iter().any(|s| s.trails());
    // With audit alone, whether the command made a domain is known only
    // from its audit records, which may come late.
    let domains_seen = sources.iter().any(|s| s.sees_domains());
    let mut ending: Option<Instant> = None;
    let mut exited_at: Option<Instant> = None;
    let mut fds = Vec::new();
    loop {
        // Wait for the next thing to do.
        let now = Instant::now();
        let mut deadline = ending;
        let mut sooner = |at: Instant| deadline = Some(deadline.map_or(at, |d: Instant| d.min(at)));
        if let Some(due) = feed.engine.next_due() {
            sooner(now + Duration::from_nanos(due.saturating_sub(proc::monotonic_ns())));
        }
        for s in sources.iter() {
            if let Some(at) = s.wake_by(now) {
                sooner(at);
            }
        }
        let timeout = deadline.map(|d| d.saturating_duration_since(now).as_millis() as i64);
        fds.clear();
        fds.push(signals.fd());
        for s in sources.iter_mut() {
            fds.push(s.fd()?);
        }
        let target_fd = target.pidfd().filter(|_| ending.is_none());
        fds.extend(target_fd);
        let scrapes = feed.engine.scrapes().map(|s| s.fd());
        fds.extend(scrapes);
        let ready = proc::poll(&fds, timeout).map_err(LiveError::Poll)?;

        if ready.contains(&signals.fd())
            && let Some(sig) = signals.take()
        {
            match reload.as_mut() {
                // SIGHUP with a script: the new one is checked first; the
                // run ends for it only if it is valid.
                Some(r) if sig == libc::SIGHUP => {
                    if ending.is_none() && r() {
                        feed.summary.ended_by = "SIGHUP".into();
                        feed.summary.reload = true;
                        ending = Some(Instant::now());
                    }
                }
                _ => {
                    feed.summary.ended_by = crate::stop::name(sig).into();
                    ending = Some(Instant::now());
                }
            }
        }
        if target_fd.is_some_and(|fd| ready.contains(&fd)) && ending.is_none() {
            feed.summary.ended_by = target.exit_reason().into();
            // Audit records of the last moments may still be on their way,
            // and a kworker frees the command's domains (free_domain) just
            // after it exits. Whether any domain is still to be freed is
            // known only once the records already queued are read (below):
            // the loop ends early when it is settled.
            exited_at = Some(Instant::now());
            ending = Some(Instant::now() + if trails { END_GRACE } else { Duration::ZERO });
        }

        feed.scope.new_read();
        feed.ending = ending.is_some();
        for s in sources.iter_mut() {
            s.collect(feed.ending)?;
        }
        for s in sources.iter_mut() {
            s.drain(feed)?;
        }
        feed.engine.tick(proc::monotonic_ns());
        feed.engine.flush_output();
        if feed.engine.scrapes().is_some_and(|s| s.pending()) {
            let mut t = crate::metrics::Telemetry { delivered: feed.summary.delivered, ..Default::default() };
            t.malformed = feed.summary.undecoded;
            for s in sources.iter_mut() {
                s.telemetry(&mut t);
            }
            // Without the tracepoint source's counters, what was seen is
            // what was delivered.
            t.seen = t.seen.max(t.delivered);
            feed.engine.serve_scrapes(&t);
        }
        if feed.engine.done() {
            feed.summary.ended_by = "exit()".into();
            return Ok(());
        }
        // Settled: every domain the command made is freed, with everything
        // queued before read. With audit alone and no domain known yet,
        // its records may still be coming: give them AUDIT_QUIET.
        let settled = exited_at.is_some_and(|t| {
            feed.scope.all_freed() && (feed.scope.has_domains() || domains_seen || t.elapsed() >= AUDIT_QUIET)
        });
        if ending.is_some_and(|e| Instant::now() >= e || settled) {
            return Ok(());
        }
    }
}

/// What a scoped run traces: the command it started (`-c`) or a running
/// process (`-p`), with a pidfd that becomes readable when it exits.
struct Target {
    command: Option<proc::TracedCommand>,
    pidfd: Option<OwnedFd>,
    pid: Option<u32>,
}

impl Target {
    /// Starts the command, held until [`Target::release`], or opens the
    /// process.
    fn start(opts: &LiveOptions) -> Result<Target, LiveError> {
        if let Some(c) = &opts.command {
            let command = proc::TracedCommand::spawn(c).map_err(LiveError::Spawn)?;
            return Ok(Target { pid: Some(command.pid()), command: Some(command), pidfd: None });
        }
        let pidfd = match opts.pid {
            Some(pid) => Some(proc::pidfd_open(pid).map_err(|source| LiveError::Pid { pid, source })?),
            None => None,
        };
        Ok(Target { command: None, pidfd, pid: opts.pid })
    }

    fn root(&self) -> Option<u32> {
        self.pid
    }

    fn pidfd(&self) -> Option<RawFd> {
        match &self.command {
            Some(c) => Some(c.pidfd.as_raw_fd()),
            None => self.pidfd.as_ref().map(std::os::fd::AsRawFd::as_raw_fd),
        }
    }

    fn exit_reason(&self) -> &'static str {
        if self.command.is_some() { "the command exited" } else { "the process exited" }
    }

    /// Lets the command run, now that everything is attached.
    fn release(&mut self) -> Result<(), LiveError> {
        match self.command.as_mut() {
            Some(c) => c.release().map_err(LiveError::Spawn),
            None => Ok(()),
        }
    }

    /// Stops the command if the run ended before it did, and reaps it.
    fn finish(self, ended_by: &str) -> Option<ExitStatus> {
        let mut c = self.command?;
        if ended_by != "the command exited" {
            // SAFETY: signalling our own child.
            unsafe { libc::kill(c.pid() as libc::pid_t, libc::SIGTERM) };
        }
        c.wait().ok()
    }
}
