//! Loading and attaching the BPF programs with aya, and the maps userspace
//! shares with them. Every program is loaded (and so verified) before any
//! is attached; a refusal names the program and carries the verifier log.
//! Dropping a probe set detaches its programs and frees its maps.

use crate::btf::{BtfError, KernelLayout};
use crate::mapping::Mapping;
use crate::records::{Config, TpConfig};
use aya::maps::{Array, HashMap, MapData, PerCpuArray, RingBuf};
use aya::programs::{FExit, ProgramError, RawTracePoint, TracePoint};
use aya::{Ebpf, EbpfLoader};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error(transparent)]
    Btf(#[from] BtfError),
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
    #[error("mapping BPF map {name}: {source}")]
    Mmap {
        name: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// The object lacks a program or map landtrace's code names: the
    /// prebuilt objects and the loader disagree.
    #[error("the BPF object has no {what} {name}")]
    Missing { what: &'static str, name: String },
}

/// A refusal, with the kernel release (the verifier log is the source's).
fn load_error(program: &'static str, source: ProgramError) -> ProbeError {
    let refusal = format!("(Linux {}) refused BPF program {program}", kernel_release());
    ProbeError::Load { program, refusal, source }
}

fn kernel_release() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map_or_else(|_| "?".into(), |r| r.trim().to_string())
}

/// Where the probes read this kernel's structures, from its BTF: read
/// once per process, for every object.
pub fn kernel_layout() -> Result<KernelLayout, ProbeError> {
    static LAYOUT: OnceLock<KernelLayout> = OnceLock::new();
    if let Some(layout) = LAYOUT.get() {
        return Ok(*layout);
    }
    let layout = KernelLayout::kernel()?;
    Ok(*LAYOUT.get_or_init(|| layout))
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
    /// A raw tracepoint by name.
    Raw(&'static str),
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
    ("lt_fork", Target::Raw("sched_process_fork")),
];

/// The hooks: fexit programs on Landlock's own hook functions (program,
/// function). Each is optional: one whose function this kernel's BTF lacks,
/// or that the kernel refuses (fexit is not allowed everywhere), only
/// loses the denials it would see.
pub const HOOK_PROGRAMS: &[(&str, &str)] = &[
    ("lt_hook_file_open", "hook_file_open"),
    ("lt_hook_path_mknod", "hook_path_mknod"),
    ("lt_hook_path_mkdir", "hook_path_mkdir"),
    ("lt_hook_socket_bind", "hook_socket_bind"),
    ("lt_hook_socket_connect", "hook_socket_connect"),
    ("lt_hook_task_kill", "hook_task_kill"),
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
    /// Loads an object, its `lt_kernel` global set to this kernel's
    /// layout. The objects have no CO-RE relocations: aya is given no BTF.
    fn open(object: &'static str, bytes: &[u8], ring_bytes: u32) -> Result<ProbeSet, ProbeError> {
        let layout = kernel_layout()?;
        ProbeSet::open_with(object, bytes, ring_bytes, &layout)
    }

    fn open_with(
        object: &'static str,
        bytes: &[u8],
        ring_bytes: u32,
        layout: &KernelLayout,
    ) -> Result<ProbeSet, ProbeError> {
        let bpf = EbpfLoader::new()
            .btf(None)
            .override_global("lt_kernel", layout, false)
            .map_max_entries("lt_events", ring_bytes)
            .load(bytes)
            .map_err(|source| ProbeError::Object { object, source })?;
        Ok(ProbeSet { links: Vec::new(), bpf, ring: None, attached: Vec::new() })
    }

    /// The compat source, loaded and verified but not attached. `ring_bytes`
    /// is the ring buffer size (a power of two).
    pub fn compat(ring_bytes: u32) -> Result<ProbeSet, ProbeError> {
        let mut set = ProbeSet::open("compat.bpf.o", crate::COMPAT_OBJ, ring_bytes)?;
        set.load_programs(COMPAT_PROGRAMS)?;
        Ok(set)
    }

    /// Loads (and so has the kernel verify) `programs`, each on its own
    /// thread: a privileged loader's programs are verified in parallel, and
    /// verifying the compat programs is most of landtrace's start-up (the
    /// path walk of `add_rule` alone takes some 12 ms).
    fn load_programs(&mut self, programs: &[(&'static str, Target)]) -> Result<(), ProbeError> {
        let mut found: Vec<(&'static str, Target, &mut aya::programs::Program)> = Vec::new();
        for (name, prog) in self.bpf.programs_mut() {
            if let Some(&(name, target)) = programs.iter().find(|(n, _)| *n == name) {
                found.push((name, target, prog));
            }
        }
        if let Some(&(name, _)) = programs.iter().find(|(n, _)| !found.iter().any(|f| f.0 == *n)) {
            return Err(missing("program", name));
        }
        std::thread::scope(|s| {
            let loads: Vec<_> = found
                .into_iter()
                .map(|(name, target, prog)| {
                    s.spawn(move || {
                        match target {
                            Target::Raw(_) => {
                                <&mut RawTracePoint>::try_from(prog).and_then(RawTracePoint::load)
                            }
                            Target::Tracepoint(..) => {
                                <&mut TracePoint>::try_from(prog).and_then(TracePoint::load)
                            }
                        }
                        .map_err(|source| load_error(name, source))
                    })
                })
                .collect();
            loads.into_iter().try_for_each(|l| l.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
        })
    }

    /// The generic tracepoint program and its fork tracker, loaded but not
    /// attached.
    pub fn generic(ring_bytes: u32) -> Result<ProbeSet, ProbeError> {
        let mut set = ProbeSet::open_tracepoint("tracepoint.bpf.o", crate::TRACEPOINT_OBJ, ring_bytes)?;
        let prog = set.bpf.program_mut("lt_fork").ok_or_else(|| missing("program", "lt_fork"))?;
        <&mut RawTracePoint>::try_from(prog)
            .and_then(RawTracePoint::load)
            .map_err(|source| load_error("lt_fork", source))?;
        Ok(set)
    }

    /// Attaches the generic object's fork tracker, which adds the children
    /// of tracked processes to its set of tracked processes.
    pub fn attach_fork(&mut self) -> Result<(), ProbeError> {
        let prog = self.bpf.program_mut("lt_fork").ok_or_else(|| missing("program", "lt_fork"))?;
        let target = "raw_tp sched_process_fork".to_string();
        let link = <&mut RawTracePoint>::try_from(prog)
            .and_then(|p| {
                let id = p.attach("sched_process_fork")?;
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

    /// Attaches every compat program, but `close`'s entry when `close` is
    /// false (it only finds the close that frees a ruleset, and would
    /// otherwise run on every close of the system).
    pub fn attach_compat(&mut self, close: bool) -> Result<(), ProbeError> {
        for &(name, target) in COMPAT_PROGRAMS {
            if !close && name == "lt_enter_close" {
                continue;
            }
            let prog = self.bpf.program_mut(name).ok_or_else(|| missing("program", name))?;
            let (where_, result): (String, Result<Link, ProgramError>) = match target {
                Target::Raw(tp) => (
                    format!("raw_tp {tp}"),
                    <&mut RawTracePoint>::try_from(prog).and_then(|p| {
                        let id = p.attach(tp)?;
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

    /// Loads and attaches the hooks ([`HOOK_PROGRAMS`]) this kernel allows:
    /// the functions attached, and each one not with why.
    pub fn attach_hooks(&mut self) -> (Vec<&'static str>, Vec<(&'static str, String)>) {
        let (mut attached, mut refused) = (Vec::new(), Vec::new());
        let btf = match aya::Btf::from_sys_fs() {
            Ok(b) => b,
            Err(e) => {
                let why = format!("the kernel's BTF: {e}");
                return (attached, HOOK_PROGRAMS.iter().map(|&(_, f)| (f, why.clone())).collect());
            }
        };
        for &(name, func) in HOOK_PROGRAMS {
            let Some(prog) = self.bpf.program_mut(name) else {
                refused.push((func, format!("no program {name} in compat.bpf.o")));
                continue;
            };
            let result = <&mut FExit>::try_from(prog).and_then(|p| {
                p.load(func, &btf)?;
                let id = p.attach()?;
                p.take_link(id).map(|l| Box::new(l) as Link)
            });
            match result {
                Ok(link) => {
                    self.links.push(link);
                    self.attached.push(format!("fexit {func}"));
                    attached.push(func);
                }
                Err(e) => refused.push((func, e.to_string())),
            }
        }
        (attached, refused)
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
    /// Before attaching: this is a `bpf()` map update.
    pub fn track(&mut self, tgid: u32) -> Result<(), ProbeError> {
        let mut tracked: Array<_, u64> =
            Array::try_from(self.bpf.map_mut("lt_tracked").ok_or_else(|| missing("map", "lt_tracked"))?)
                .map_err(map_err("lt_tracked"))?;
        let (word, bit) = (tgid / 64, tgid % 64);
        let old = tracked.get(&word, 0).map_err(map_err("lt_tracked"))?;
        tracked.set(word, old | 1 << bit, 0).map_err(map_err("lt_tracked"))
    }

    /// Takes the set of traced thread-groups out of the object, so that
    /// it can be read while the object's ring buffer is drained. The
    /// programs keep using it; [`ProbeSet::track`] no longer can.
    pub fn take_tracker(&mut self) -> Result<Tracker, ProbeError> {
        let map = self.bpf.take_map("lt_tracked").ok_or_else(|| missing("map", "lt_tracked"))?;
        let aya::maps::Map::Array(data) = map else {
            return Err(missing("array map", "lt_tracked"));
        };
        let bitmap = Bitmap::map(data).map_err(|source| ProbeError::Mmap { name: "lt_tracked", source })?;
        Ok(Tracker { bitmap, owner: None })
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

    /// Events the kernel did not run the programs for: a tracepoint that
    /// fires while another BPF program runs on its CPU is skipped, and
    /// counted in the program's `recursion_misses` (5.12+).
    pub fn missed(&self) -> u64 {
        self.bpf.programs().filter_map(|(_, p)| p.fd().ok()).map(|fd| recursion_misses(fd.as_fd())).sum()
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
    /// in parallel: those of raw tracepoints overlap (perf-event
    /// tracepoints' still follow one another: the kernel holds its
    /// `event_mutex` through each).
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
    bitmap: Bitmap,
    /// The object whose fork program fills the set, when nothing else
    /// holds it.
    owner: Option<Box<ProbeSet>>,
}

impl Tracker {
    /// Whether a thread-group is in the traced set: a read of shared
    /// memory, no system call (`bpf/common.h` says why that matters).
    pub fn is_tracked(&self, tgid: u32) -> bool {
        self.bitmap.get(tgid)
    }
}

/// `lt_tracked`, the BPF array of 64-bit words that is the set of traced
/// thread-groups (bit `tgid % 64` of word `tgid / 64`), mapped into this
/// process.
struct Bitmap {
    words: Mapping,
    /// The map, kept open as long as it is mapped.
    _map: MapData,
}

impl Bitmap {
    fn map(map: MapData) -> std::io::Result<Bitmap> {
        let len = map.info().map_err(std::io::Error::other)?.max_entries() as usize;
        // A BPF_F_MMAPABLE array whose values are 8 bytes, read-only: the
        // kernel's programs write it.
        let words = Mapping::new(map.fd().as_fd(), len * 8, libc::MAP_SHARED)?;
        Ok(Bitmap { words, _map: map })
    }

    fn get(&self, tgid: u32) -> bool {
        let word = tgid as usize / 64;
        if word >= self.words.len() / 8 {
            return false;
        }
        // SAFETY: `word` is within the mapping, which lives as long as self
        // and is 8-byte aligned (page-aligned); the programs update it with
        // atomic ORs.
        let w = unsafe { (*self.words.as_ptr().cast::<AtomicU64>().add(word)).load(Ordering::Acquire) };
        w >> (tgid % 64) & 1 == 1
    }
}

impl Drop for ProbeSet {
    fn drop(&mut self) {
        self.detach();
    }
}

/// Where `recursion_misses` is in `struct bpf_prog_info` (the records
/// layout test checks it against `linux/bpf.h`).
pub const RECURSION_MISSES_OFFSET: usize = 208;

/// A program's `recursion_misses` (0 where the kernel does not count them).
fn recursion_misses(fd: std::os::fd::BorrowedFd<'_>) -> u64 {
    const BPF_OBJ_GET_INFO_BY_FD: libc::c_long = 15;
    let mut info = [0u64; 40];
    // bpf_attr.info: bpf_fd, info_len, info (a pointer).
    let mut attr = [0u8; 16];
    attr[0..4].copy_from_slice(&(fd.as_raw_fd() as u32).to_ne_bytes());
    attr[4..8].copy_from_slice(&((info.len() * 8) as u32).to_ne_bytes());
    attr[8..16].copy_from_slice(&(info.as_mut_ptr() as u64).to_ne_bytes());
    // SAFETY: bpf(BPF_OBJ_GET_INFO_BY_FD) writes at most info_len bytes
    // into `info` and the length it wrote back into `attr`.
    let rc =
        unsafe { libc::syscall(libc::SYS_bpf, BPF_OBJ_GET_INFO_BY_FD, attr.as_mut_ptr(), attr.len() as u32) };
    let written = u32::from_ne_bytes(attr[4..8].try_into().expect("4 bytes")) as usize;
    if rc != 0 || written < RECURSION_MISSES_OFFSET + 8 {
        return 0;
    }
    info[RECURSION_MISSES_OFFSET / 8]
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
