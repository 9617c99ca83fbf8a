//! Loading and attaching the BPF programs with aya, and the maps userspace
//! shares with them. Every program is loaded (and so verified) before any
//! is attached; a refusal names the program and carries the verifier log.
//! Dropping a probe set detaches its programs and frees its maps.

use crate::records::{Config, TpConfig};
use aya::maps::{Array, HashMap, MapData, PerCpuArray, RingBuf};
use aya::programs::{BtfTracePoint, ProgramError, TracePoint};
use aya::{Btf, Ebpf, EbpfLoader};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("reading the kernel's BTF (/sys/kernel/btf/vmlinux): {0}")]
    Btf(#[source] aya::BtfError),
    #[error("loading the BPF object {object}: {source}")]
    Object {
        object: &'static str,
        #[source]
        source: aya::EbpfError,
    },
    #[error("the kernel {refusal}: {source}")]
    Load {
        program: &'static str,
        /// `(Linux RELEASE) refused BPF program NAME`, and what the
        /// verifier log says went wrong when it can be told.
        refusal: String,
        #[source]
        source: ProgramError,
    },
    #[error("attaching BPF program {program} to {target}: {source}")]
    Attach {
        program: &'static str,
        target: String,
        #[source]
        source: ProgramError,
    },
    #[error("attaching BPF program {program} to {target}: {source}")]
    AttachPerf {
        program: &'static str,
        target: String,
        #[source]
        source: std::io::Error,
    },
    #[error("BPF map {name}: {source}")]
    Map {
        name: &'static str,
        #[source]
        source: aya::maps::MapError,
    },
    /// The object lacks a program or map landtrace's code names: the
    /// prebuilt objects and the loader disagree.
    #[error("the BPF object has no {what} {name}")]
    Missing { what: &'static str, name: String },
}

/// The instruction libbpf-style loaders (aya too) put in place of a CO-RE
/// relocation that found no such field or type: a call to this helper id.
const CORE_POISON: &str = "unknown#195896080";

/// A refusal, with the kernel release and, from the verifier log, what
/// went wrong: for a failed CO-RE relocation, the source line that reads
/// the field or type the running kernel lacks.
fn load_error(program: &'static str, source: ProgramError) -> ProbeError {
    let why = why_refused(&source.to_string());
    let refusal = format!("(Linux {}) refused BPF program {program}{why}", kernel_release());
    ProbeError::Load { program, refusal, source }
}

/// What a verifier log says went wrong, as `: ...`, or empty.
fn why_refused(log: &str) -> String {
    match log.lines().position(|l| l.contains(CORE_POISON)) {
        Some(at) => {
            let line = log.lines().take(at).filter(|l| l.starts_with("; ")).last().map(|l| l[2..].trim());
            match line {
                Some(l) => format!(
                    ": it reads a kernel field or type this kernel lacks (a CO-RE relocation failed) at `{l}`"
                ),
                None => {
                    ": it reads a kernel field or type this kernel lacks (a CO-RE relocation failed)".into()
                }
            }
        }
        None => String::new(),
    }
}

fn kernel_release() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map_or_else(|_| "?".into(), |r| r.trim().to_string())
}

/// Reads the running kernel's BTF once, for every object that needs it.
pub fn kernel_btf() -> Result<Btf, ProbeError> {
    Btf::from_sys_fs().map_err(ProbeError::Btf)
}

fn map_err(name: &'static str) -> impl FnOnce(aya::maps::MapError) -> ProbeError {
    move |source| ProbeError::Map { name, source }
}

fn missing(what: &'static str, name: &str) -> ProbeError {
    ProbeError::Missing { what, name: name.to_string() }
}

/// Where a program attaches.
#[derive(Clone, Copy, Debug)]
enum Target {
    /// A BTF tracepoint (`tp_btf`) by name.
    Btf(&'static str),
    /// A tracefs tracepoint, `category:name`.
    Tracepoint(&'static str, &'static str),
}

/// The compat source's programs: the Landlock syscalls' own exit
/// tracepoints and close's entry, so that no other syscall runs BPF code
/// (and, each perf-event tracepoint taking a grace period to detach, as few
/// as can do).
const COMPAT_PROGRAMS: &[(&str, Target)] = &[
    ("lt_exit_create_ruleset", Target::Tracepoint("syscalls", "sys_exit_landlock_create_ruleset")),
    ("lt_exit_add_rule", Target::Tracepoint("syscalls", "sys_exit_landlock_add_rule")),
    ("lt_exit_restrict_self", Target::Tracepoint("syscalls", "sys_exit_landlock_restrict_self")),
    ("lt_enter_close", Target::Tracepoint("syscalls", "sys_enter_close")),
    ("lt_fork", Target::Btf("sched_process_fork")),
];

/// A loaded BPF object: its programs, configuration and ring buffer.
/// An attachment; dropping it detaches.
type Link = Box<dyn Send>;

pub struct ProbeSet {
    /// The attachments, owned here so that they are dropped (detached) all
    /// at once and before `bpf`.
    links: Vec<Link>,
    bpf: Ebpf,
    ring: Option<RingBuf<MapData>>,
    attached: Vec<String>,
}

impl ProbeSet {
    /// Loads an object. aya's loader reads the kernel BTF itself for the
    /// CO-RE relocations, and frees it when done.
    fn open(object: &'static str, bytes: &[u8], ring_bytes: u32) -> Result<ProbeSet, ProbeError> {
        let bpf = EbpfLoader::new()
            .map_max_entries("lt_events", ring_bytes)
            .load(bytes)
            .map_err(|source| ProbeError::Object { object, source })?;
        Ok(ProbeSet { links: Vec::new(), bpf, ring: None, attached: Vec::new() })
    }

    /// The compat source, loaded and verified but not attached. `ring_bytes`
    /// is the ring buffer size (a power of two).
    pub fn compat(ring_bytes: u32) -> Result<ProbeSet, ProbeError> {
        let mut set = ProbeSet::open("compat.bpf.o", crate::COMPAT_OBJ, ring_bytes)?;
        // The BTF tracepoints need the kernel's BTF to find their targets;
        // read it only now that the loader's copy is gone, to keep the
        // memory peak to one copy.
        let btf = kernel_btf()?;
        for &(name, target) in COMPAT_PROGRAMS {
            let prog = set.bpf.program_mut(name).ok_or_else(|| missing("program", name))?;
            let result = match target {
                Target::Btf(tp) => <&mut BtfTracePoint>::try_from(prog).and_then(|p| p.load(tp, &btf)),
                Target::Tracepoint(..) => {
                    <&mut TracePoint>::try_from(prog).and_then(aya::programs::TracePoint::load)
                }
            };
            result.map_err(|source| load_error(name, source))?;
        }
        Ok(set)
    }

    /// The generic tracepoint program and its fork tracker, loaded but not
    /// attached.
    pub fn generic(ring_bytes: u32) -> Result<ProbeSet, ProbeError> {
        let mut set = ProbeSet::open_tracepoint("tracepoint.bpf.o", crate::TRACEPOINT_OBJ, ring_bytes)?;
        let btf = kernel_btf()?;
        let prog = set.bpf.program_mut("lt_fork").ok_or_else(|| missing("program", "lt_fork"))?;
        <&mut BtfTracePoint>::try_from(prog)
            .and_then(|p| p.load("sched_process_fork", &btf))
            .map_err(|source| load_error("lt_fork", source))?;
        Ok(set)
    }

    /// Attaches the generic object's fork tracker, which adds the children
    /// of tracked processes to its set of tracked processes.
    pub fn attach_fork(&mut self) -> Result<(), ProbeError> {
        let prog = self.bpf.program_mut("lt_fork").ok_or_else(|| missing("program", "lt_fork"))?;
        let target = "tp_btf sched_process_fork".to_string();
        let link = <&mut BtfTracePoint>::try_from(prog)
            .and_then(|p| {
                let id = p.attach()?;
                p.take_link(id)
            })
            .map_err(|source| ProbeError::Attach { program: "lt_fork", target: target.clone(), source })?;
        self.links.push(Box::new(link));
        self.attached.push(target);
        Ok(())
    }

    /// Loads an object whose `lt_tracepoint` program is a generic
    /// tracepoint program.
    fn open_tracepoint(object: &'static str, bytes: &[u8], ring_bytes: u32) -> Result<ProbeSet, ProbeError> {
        let mut set = ProbeSet::open(object, bytes, ring_bytes)?;
        let prog = set.bpf.program_mut("lt_tracepoint").ok_or_else(|| missing("program", "lt_tracepoint"))?;
        let tp = <&mut TracePoint>::try_from(prog).map_err(|source| load_error("lt_tracepoint", source))?;
        tp.load().map_err(|source| load_error("lt_tracepoint", source))?;
        Ok(set)
    }

    /// Attaches every compat program.
    pub fn attach_compat(&mut self) -> Result<(), ProbeError> {
        for &(name, target) in COMPAT_PROGRAMS {
            let prog = self.bpf.program_mut(name).ok_or_else(|| missing("program", name))?;
            let (where_, result): (String, Result<Link, ProgramError>) = match target {
                Target::Btf(tp) => (
                    format!("tp_btf {tp}"),
                    <&mut BtfTracePoint>::try_from(prog).and_then(|p| {
                        let id = p.attach()?;
                        p.take_link(id).map(|l| Box::new(l) as Link)
                    }),
                ),
                Target::Tracepoint(category, tp) => (
                    format!("tracepoint {category}:{tp}"),
                    <&mut TracePoint>::try_from(prog).and_then(|p| {
                        let id = p.attach(category, tp)?;
                        p.take_link(id).map(|l| Box::new(l) as Link)
                    }),
                ),
            };
            let link = result.map_err(|source| ProbeError::Attach {
                program: name,
                target: where_.clone(),
                source,
            })?;
            self.links.push(link);
            self.attached.push(where_);
        }
        Ok(())
    }

    /// Attaches the generic program to the tracepoint with tracefs id `id`
    /// (`category:name`, for messages) and tells it that tracepoint's record
    /// layout. The id is the attach cookie: the program's only way to know
    /// which tracepoint fired (the kernel overwrites a record's common
    /// fields before a BPF program sees them).
    pub fn attach_generic(
        &mut self,
        category: &str,
        name: &str,
        id: u32,
        layout: TpConfig,
    ) -> Result<(), ProbeError> {
        let mut configs: HashMap<_, u32, TpConfig> = HashMap::try_from(
            self.bpf.map_mut("lt_tp_config").ok_or_else(|| missing("map", "lt_tp_config"))?,
        )
        .map_err(map_err("lt_tp_config"))?;
        configs.insert(id, layout, 0).map_err(map_err("lt_tp_config"))?;
        let prog =
            self.bpf.program_mut("lt_tracepoint").ok_or_else(|| missing("program", "lt_tracepoint"))?;
        let target = format!("tracepoint {category}:{name}");
        let attach_err =
            |source| ProbeError::Attach { program: "lt_tracepoint", target: target.clone(), source };
        let tp = <&mut TracePoint>::try_from(prog).map_err(attach_err)?;
        let prog_fd = tp.fd().map_err(attach_err)?.as_fd().as_raw_fd();
        let (perf, link) = attach_with_cookie(prog_fd, id, u64::from(id)).map_err(|source| {
            ProbeError::AttachPerf { program: "lt_tracepoint", target: target.clone(), source }
        })?;
        self.links.push(Box::new(link));
        self.links.push(Box::new(perf));
        self.attached.push(target);
        Ok(())
    }

    /// What is attached, for the readiness line.
    pub fn attached(&self) -> &[String] {
        &self.attached
    }

    pub fn set_config(&mut self, config: Config) -> Result<(), ProbeError> {
        let mut array: Array<_, Config> =
            Array::try_from(self.bpf.map_mut("lt_config").ok_or_else(|| missing("map", "lt_config"))?)
                .map_err(map_err("lt_config"))?;
        array.set(0, config, 0).map_err(map_err("lt_config"))
    }

    /// Adds a thread-group to the traced set (its children follow).
    pub fn track(&mut self, tgid: u32) -> Result<(), ProbeError> {
        let mut tracked: HashMap<_, u32, u8> =
            HashMap::try_from(self.bpf.map_mut("lt_tracked").ok_or_else(|| missing("map", "lt_tracked"))?)
                .map_err(map_err("lt_tracked"))?;
        tracked.insert(tgid, 1, 0).map_err(map_err("lt_tracked"))
    }

    /// Takes the set of traced thread-groups out of the object, so that
    /// it can be read while the object's ring buffer is drained. The
    /// programs keep using it; [`ProbeSet::track`] no longer can.
    pub fn take_tracker(&mut self) -> Result<Tracker, ProbeError> {
        let map = self.bpf.take_map("lt_tracked").ok_or_else(|| missing("map", "lt_tracked"))?;
        let map = HashMap::try_from(map).map_err(map_err("lt_tracked"))?;
        Ok(Tracker { map, owner: None })
    }

    /// The object becomes its set of traced thread-groups: for an object
    /// loaded only to follow forks, kept attached as long as the set is.
    pub fn into_tracker(mut self) -> Result<Tracker, ProbeError> {
        let mut tracker = self.take_tracker()?;
        tracker.owner = Some(Box::new(self));
        Ok(tracker)
    }

    /// Records the programs could not put in the ring buffer.
    pub fn lost(&self) -> u64 {
        let Some(map) = self.bpf.map("lt_lost") else { return 0 };
        let Ok(lost) = PerCpuArray::<_, u64>::try_from(map) else { return 0 };
        lost.get(&0, 0).map_or(0, |v| v.iter().sum())
    }

    /// The tracepoint program's counters: records of the scope its filter
    /// looked at, and those it dropped (0, 0 for an object without them).
    pub fn filter_stats(&self) -> (u64, u64) {
        let Some(map) = self.bpf.map("lt_stats") else { return (0, 0) };
        let Ok(stats) = PerCpuArray::<_, u64>::try_from(map) else { return (0, 0) };
        let sum = |i| stats.get(&i, 0).map_or(0, |v| v.iter().sum());
        (sum(crate::records::STAT_SEEN), sum(crate::records::STAT_FILTERED))
    }

    /// The ring buffer the programs write to.
    pub fn ring(&mut self) -> Result<&mut RingBuf<MapData>, ProbeError> {
        if self.ring.is_none() {
            let map = self.bpf.take_map("lt_events").ok_or_else(|| missing("map", "lt_events"))?;
            self.ring = Some(RingBuf::try_from(map).map_err(map_err("lt_events"))?);
        }
        Ok(self.ring.as_mut().expect("just set"))
    }

    /// Detaches every program. Each detach of a tracepoint waits for the
    /// kernel's grace period (tens of milliseconds), so they are dropped
    /// in parallel: the grace periods overlap instead of adding up.
    pub fn detach(&mut self) {
        let links = std::mem::take(&mut self.links);
        std::thread::scope(|s| {
            for link in links {
                s.spawn(move || drop(link));
            }
        });
        self.attached.clear();
    }
}

/// The thread-groups a scoped run traces, as the fork programs keep them.
pub struct Tracker {
    map: HashMap<MapData, u32, u8>,
    /// The object whose fork program fills the set, when nothing else
    /// holds it.
    owner: Option<Box<ProbeSet>>,
}

impl Tracker {
    /// Whether a thread-group is in the traced set (one `bpf()` call).
    pub fn is_tracked(&self, tgid: u32) -> bool {
        self.map.get(&tgid, 0).is_ok()
    }
}

impl Drop for ProbeSet {
    fn drop(&mut self) {
        self.detach();
    }
}

/// Opens a perf event on tracepoint `tp_id` and links `prog_fd` to it with
/// a BPF cookie (`BPF_LINK_CREATE`, `BPF_PERF_EVENT`). Returns (perf fd, link).
fn attach_with_cookie(prog_fd: RawFd, tp_id: u32, cookie: u64) -> std::io::Result<(OwnedFd, OwnedFd)> {
    const PERF_TYPE_TRACEPOINT: u32 = 2;
    const PERF_SAMPLE_RAW: u64 = 1 << 10;
    const BPF_LINK_CREATE: libc::c_long = 28;
    const BPF_PERF_EVENT: u32 = 41;
    const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 1 << 3;
    // perf_event_attr: type, size, config, sample_period, sample_type, ...
    let mut attr = [0u8; 128];
    attr[0..4].copy_from_slice(&PERF_TYPE_TRACEPOINT.to_ne_bytes());
    attr[4..8].copy_from_slice(&128u32.to_ne_bytes());
    attr[8..16].copy_from_slice(&u64::from(tp_id).to_ne_bytes());
    attr[16..24].copy_from_slice(&1u64.to_ne_bytes());
    attr[24..32].copy_from_slice(&PERF_SAMPLE_RAW.to_ne_bytes());
    // SAFETY: perf_event_open with a zeroed, sized attr. An event on CPU 0
    // is enough: a program on a tracepoint runs wherever it fires.
    let perf = unsafe {
        libc::syscall(libc::SYS_perf_event_open, attr.as_ptr(), -1i32, 0i32, -1i32, PERF_FLAG_FD_CLOEXEC)
    };
    if perf < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a new descriptor we own.
    let perf = unsafe { OwnedFd::from_raw_fd(perf as RawFd) };
    // bpf_attr.link_create: prog_fd, target_fd, attach_type, flags, then
    // perf_event.bpf_cookie.
    let mut battr = [0u8; 64];
    battr[0..4].copy_from_slice(&(prog_fd as u32).to_ne_bytes());
    battr[4..8].copy_from_slice(&(perf.as_raw_fd() as u32).to_ne_bytes());
    battr[8..12].copy_from_slice(&BPF_PERF_EVENT.to_ne_bytes());
    battr[16..24].copy_from_slice(&cookie.to_ne_bytes());
    // SAFETY: bpf(BPF_LINK_CREATE) with a zeroed, sized attr.
    let link = unsafe { libc::syscall(libc::SYS_bpf, BPF_LINK_CREATE, battr.as_ptr(), battr.len() as u32) };
    if link < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a new descriptor we own.
    Ok((perf, unsafe { OwnedFd::from_raw_fd(link as RawFd) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// bpf/refused.bpf.c: a program the verifier must refuse.
    static REFUSED_OBJ: &[u8] = aya::include_bytes_aligned!("../prebuilt/refused.bpf.o");

    /// A refusal names the program and shows the verifier's reasoning.
    /// Loading needs root; with `LANDTRACE_REQUIRE_LIVE=1` (CI) it must run.
    #[test]
    fn a_failed_relocation_names_the_source_line() {
        // As 6.12's verifier printed it for the `hierarchy->id` read.
        let log = "0: R1=ctx() R10=fp0\n\
                   ; r->domain = BPF_CORE_READ(h, id); @ compat.bpf.c:321\n\
                   112: (85) call unknown#195896080\n\
                   invalid func unknown#195896080\n";
        assert_eq!(
            why_refused(log),
            ": it reads a kernel field or type this kernel lacks (a CO-RE relocation failed) at \
             `r->domain = BPF_CORE_READ(h, id); @ compat.bpf.c:321`"
        );
        assert_eq!(why_refused("R1 invalid mem access 'scalar'"), "");
    }

    #[test]
    fn a_refused_program_is_named_with_the_verifier_log() {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            assert!(std::env::var_os("LANDTRACE_REQUIRE_LIVE").is_none_or(|v| v != "1"), "needs root");
            eprintln!("skipping: loading BPF programs needs root");
            return;
        }
        let Err(err) = ProbeSet::open_tracepoint("refused.bpf.o", REFUSED_OBJ, 4096) else {
            panic!("the verifier accepted refused.bpf.o")
        };
        assert!(matches!(err, ProbeError::Load { program: "lt_tracepoint", .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.contains(") refused BPF program lt_tracepoint"), "{text}");
        assert!(text.contains(&format!("the kernel (Linux {})", kernel_release())), "{text}");
        assert!(text.contains("Verifier output"), "{text}");
        // The verifier's own words about the faulty access, at its line.
        assert!(text.contains("refused.bpf.c:") && text.contains("invalid"), "{text}");
    }
}
