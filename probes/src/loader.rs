//! Loading and attaching the BPF programs with aya, and the maps userspace
//! shares with them. Every program is loaded (and so verified) before any
//! is attached; a refusal names the program and carries the verifier log.
//! Dropping a probe set detaches its programs and frees its maps.

use crate::records::{Config, TpConfig};
use aya::maps::{Array, HashMap, MapData, PerCpuArray, RingBuf};
use aya::programs::{BtfTracePoint, ProgramError, TracePoint};
use aya::{Btf, Ebpf, EbpfLoader};

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
    #[error("the kernel refused BPF program {program}: {source}")]
    Load {
        program: &'static str,
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
    #[error("BPF map {name}: {detail}")]
    Map { name: &'static str, detail: String },
}

impl ProbeError {
    /// The OS error behind a refusal, if any (EPERM means: not allowed).
    pub fn errno(&self) -> Option<i32> {
        use std::error::Error;
        let mut e: Option<&(dyn Error + 'static)> = Some(self);
        while let Some(err) = e {
            if let Some(io) = err.downcast_ref::<std::io::Error>() {
                return io.raw_os_error();
            }
            e = err.source();
        }
        None
    }
}

/// Reads the running kernel's BTF once, for every object that needs it.
pub fn kernel_btf() -> Result<Btf, ProbeError> {
    Btf::from_sys_fs().map_err(ProbeError::Btf)
}

fn map_err(name: &'static str, e: impl std::fmt::Display) -> ProbeError {
    ProbeError::Map { name, detail: e.to_string() }
}

/// Where a program attaches.
#[derive(Clone, Copy, Debug)]
enum Target {
    /// A tracefs tracepoint (category, name).
    Tracepoint(&'static str, &'static str),
    /// A BTF tracepoint (tp_btf) by name.
    Btf(&'static str),
}

/// The compat source's programs.
const COMPAT_PROGRAMS: &[(&str, Target)] = &[
    ("lt_enter_create_ruleset", Target::Tracepoint("syscalls", "sys_enter_landlock_create_ruleset")),
    ("lt_exit_create_ruleset", Target::Tracepoint("syscalls", "sys_exit_landlock_create_ruleset")),
    ("lt_enter_add_rule", Target::Tracepoint("syscalls", "sys_enter_landlock_add_rule")),
    ("lt_exit_add_rule", Target::Tracepoint("syscalls", "sys_exit_landlock_add_rule")),
    ("lt_enter_restrict_self", Target::Tracepoint("syscalls", "sys_enter_landlock_restrict_self")),
    ("lt_exit_restrict_self", Target::Tracepoint("syscalls", "sys_exit_landlock_restrict_self")),
    ("lt_enter_close", Target::Tracepoint("syscalls", "sys_enter_close")),
    ("lt_fork", Target::Btf("sched_process_fork")),
    ("lt_exit", Target::Btf("sched_process_exit")),
];

/// A loaded BPF object: its programs, configuration and ring buffer.
pub struct ProbeSet {
    bpf: Ebpf,
    object: &'static str,
    ring: Option<RingBuf<MapData>>,
    attached: Vec<String>,
}

impl ProbeSet {
    fn open(object: &'static str, bytes: &[u8], btf: &Btf, ring_bytes: u32) -> Result<ProbeSet, ProbeError> {
        let bpf = EbpfLoader::new()
            .btf(Some(btf))
            .map_max_entries("lt_events", ring_bytes)
            .load(bytes)
            .map_err(|source| ProbeError::Object { object, source })?;
        Ok(ProbeSet { bpf, object, ring: None, attached: Vec::new() })
    }

    /// The compat source (syscall tracepoints), loaded and verified but not
    /// attached. `ring_bytes` is the ring buffer size (a power of two).
    pub fn compat(btf: &Btf, ring_bytes: u32) -> Result<ProbeSet, ProbeError> {
        let mut set = ProbeSet::open("compat.bpf.o", crate::COMPAT_OBJ, btf, ring_bytes)?;
        for &(name, target) in COMPAT_PROGRAMS {
            let prog =
                set.bpf.program_mut(name).ok_or_else(|| map_err("program", format!("{name} missing")))?;
            let result = match target {
                Target::Tracepoint(..) => <&mut TracePoint>::try_from(prog)
                    .map_err(|e| (name, e))
                    .and_then(|p| p.load().map_err(|e| (name, e))),
                Target::Btf(tp) => <&mut BtfTracePoint>::try_from(prog)
                    .map_err(|e| (name, e))
                    .and_then(|p| p.load(tp, btf).map_err(|e| (name, e))),
            };
            result.map_err(|(program, source)| ProbeError::Load { program, source })?;
        }
        Ok(set)
    }

    /// The generic tracepoint program, loaded but not attached.
    pub fn generic(btf: &Btf, ring_bytes: u32) -> Result<ProbeSet, ProbeError> {
        let mut set = ProbeSet::open("tracepoint.bpf.o", crate::TRACEPOINT_OBJ, btf, ring_bytes)?;
        let prog = set
            .bpf
            .program_mut("lt_tracepoint")
            .ok_or_else(|| map_err("program", "lt_tracepoint missing"))?;
        let tp = <&mut TracePoint>::try_from(prog)
            .map_err(|source| ProbeError::Load { program: "lt_tracepoint", source })?;
        tp.load().map_err(|source| ProbeError::Load { program: "lt_tracepoint", source })?;
        Ok(set)
    }

    /// Attaches every compat program.
    pub fn attach_compat(&mut self) -> Result<(), ProbeError> {
        for &(name, target) in COMPAT_PROGRAMS {
            let prog =
                self.bpf.program_mut(name).ok_or_else(|| map_err("program", format!("{name} missing")))?;
            let (where_, result) = match target {
                Target::Tracepoint(cat, tp) => (
                    format!("tracepoint {cat}:{tp}"),
                    <&mut TracePoint>::try_from(prog).and_then(|p| p.attach(cat, tp).map(|_| ())),
                ),
                Target::Btf(tp) => (
                    format!("tp_btf {tp}"),
                    <&mut BtfTracePoint>::try_from(prog).and_then(|p| p.attach().map(|_| ())),
                ),
            };
            result.map_err(|source| ProbeError::Attach { program: name, target: where_.clone(), source })?;
            self.attached.push(where_);
        }
        Ok(())
    }

    /// Attaches the generic program to `category:name` and tells it the
    /// record layout of that tracepoint (its `common_type` id).
    pub fn attach_generic(
        &mut self,
        category: &str,
        name: &str,
        id: u32,
        layout: TpConfig,
    ) -> Result<(), ProbeError> {
        let mut configs: HashMap<_, u32, TpConfig> = HashMap::try_from(
            self.bpf.map_mut("lt_tp_config").ok_or_else(|| map_err("lt_tp_config", "missing"))?,
        )
        .map_err(|e| map_err("lt_tp_config", e))?;
        configs.insert(id, layout, 0).map_err(|e| map_err("lt_tp_config", e))?;
        let prog = self
            .bpf
            .program_mut("lt_tracepoint")
            .ok_or_else(|| map_err("program", "lt_tracepoint missing"))?;
        let target = format!("tracepoint {category}:{name}");
        <&mut TracePoint>::try_from(prog).and_then(|p| p.attach(category, name).map(|_| ())).map_err(
            |source| ProbeError::Attach { program: "lt_tracepoint", target: target.clone(), source },
        )?;
        self.attached.push(target);
        Ok(())
    }

    /// What is attached, for the readiness line.
    pub fn attached(&self) -> &[String] {
        &self.attached
    }

    pub fn set_config(&mut self, config: Config) -> Result<(), ProbeError> {
        let mut array: Array<_, Config> =
            Array::try_from(self.bpf.map_mut("lt_config").ok_or_else(|| map_err("lt_config", "missing"))?)
                .map_err(|e| map_err("lt_config", e))?;
        array.set(0, config, 0).map_err(|e| map_err("lt_config", e))
    }

    /// Adds a thread-group to the traced set (its children follow).
    pub fn track(&mut self, tgid: u32) -> Result<(), ProbeError> {
        let mut tracked: HashMap<_, u32, u8> = HashMap::try_from(
            self.bpf.map_mut("lt_tracked").ok_or_else(|| map_err("lt_tracked", "missing"))?,
        )
        .map_err(|e| map_err("lt_tracked", e))?;
        tracked.insert(tgid, 1, 0).map_err(|e| map_err("lt_tracked", e))
    }

    /// Whether a thread-group is in the traced set.
    pub fn is_tracked(&self, tgid: u32) -> bool {
        let Some(map) = self.bpf.map("lt_tracked") else { return false };
        let Ok(tracked) = HashMap::<_, u32, u8>::try_from(map) else { return false };
        tracked.get(&tgid, 0).is_ok()
    }

    /// Records the programs could not put in the ring buffer.
    pub fn lost(&self) -> u64 {
        let Some(map) = self.bpf.map("lt_lost") else { return 0 };
        let Ok(lost) = PerCpuArray::<_, u64>::try_from(map) else { return 0 };
        lost.get(&0, 0).map(|v| v.iter().sum()).unwrap_or(0)
    }

    /// The ring buffer the programs write to.
    pub fn ring(&mut self) -> Result<&mut RingBuf<MapData>, ProbeError> {
        if self.ring.is_none() {
            let map = self.bpf.take_map("lt_events").ok_or_else(|| map_err("lt_events", "missing"))?;
            self.ring = Some(RingBuf::try_from(map).map_err(|e| map_err("lt_events", e))?);
        }
        Ok(self.ring.as_mut().expect("just set"))
    }

    pub fn object(&self) -> &'static str {
        self.object
    }
}
