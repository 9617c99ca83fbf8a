//! What the running kernel offers landtrace: its Landlock ABI, whether
//! Landlock logs to audit (and so has domain IDs), its Landlock
//! tracepoints, and from that which sources `auto` picks. `landtrace
//! --info` prints it; docs/live.md has the table for every feature level.

use super::{Plan, TRACEFS, landlock_abi, landlock_tracepoints};
use landtrace_event::schema::{EventKind, SourceKind};
use std::fmt::Write;

/// The Landlock ABI that brought audit records and domain IDs (6.15).
pub const ABI_AUDIT: i64 = 7;

#[derive(Clone, Debug, PartialEq)]
pub struct KernelInfo {
    /// `uname -r`.
    pub release: String,
    /// 0 without Landlock.
    pub abi: i64,
    /// The kernel has audit (a `NETLINK_AUDIT` socket opens).
    pub audit: bool,
    /// The kernel's BTF (/sys/kernel/btf/vmlinux), which the BPF sources need.
    pub btf: bool,
    /// The `landlock:*` tracepoints tracefs lists.
    pub tracepoints: Vec<String>,
}

impl KernelInfo {
    /// Reads this kernel's row.
    pub fn probe() -> KernelInfo {
        KernelInfo {
            release: release(),
            abi: landlock_abi(),
            audit: audit_socket(),
            btf: std::path::Path::new("/sys/kernel/btf/vmlinux").exists(),
            tracepoints: landlock_tracepoints(),
        }
    }

    /// Landlock writes audit records (denials, domains): ABI 7 and audit.
    pub fn landlock_audit(&self) -> bool {
        self.audit && self.abi >= ABI_AUDIT
    }

    /// Domains carry the kernel's IDs (the ones audit and the tracepoints
    /// print); before, compat gives each domain a per-run ID.
    pub fn domain_ids(&self) -> bool {
        self.abi >= ABI_AUDIT
    }

    /// What `--source auto` uses here, and why.
    pub fn auto(&self) -> Plan {
        let plan = |sources: Vec<SourceKind>, reason: &str| Plan { sources, reason: reason.into() };
        if !self.tracepoints.is_empty() {
            plan(vec![SourceKind::Tracepoint], "this kernel has the Landlock tracepoints")
        } else if self.landlock_audit() {
            plan(
                vec![SourceKind::Compat, SourceKind::Audit],
                "this kernel has no landlock:* tracepoints: syscall tracepoints (compat) and audit records",
            )
        } else if self.abi > 0 {
            plan(
                vec![SourceKind::Compat],
                "this kernel has no landlock:* tracepoints and Landlock ABI < 7 writes no audit records: \
                 syscall tracepoints (compat), and for denials Landlock's own hook functions (fexit)",
            )
        } else {
            plan(vec![SourceKind::Compat], "this kernel has no Landlock: nothing will be traced")
        }
    }

    /// Where Landlock's denials show on this kernel (the question users
    /// ask first), and why: the source `auto` reads them from, or none.
    pub fn denials(&self) -> String {
        if self.events(SourceKind::Tracepoint).iter().any(|k| k.name().starts_with("deny_")) {
            return "tracepoint (the Landlock tracepoints: every denial, audit untouched)".into();
        }
        if self.landlock_audit() {
            return "audit (Landlock's audit records, ABI 7+: landtrace turns audit on for the run if it \
                    is off; the kernel drops records past its backlog)"
                .into();
        }
        if self.abi > 0 && self.btf {
            return format!(
                "hooks (Landlock ABI {} logs no denial: compat's fexit programs on Landlock's own hook \
                 functions see them where the kernel allows fexit: opens (hook_file_open, which 6.12 \
                 lacks), files and directories made (hook_path_mknod, hook_path_mkdir), bind and connect \
                 (hook_socket_*, 6.7+), signals (hook_task_kill, 6.12+))",
                self.abi
            );
        }
        if self.abi > 0 {
            return format!(
                "none (Landlock ABI {} logs no denial, and without BTF no hook is attached)",
                self.abi
            );
        }
        "none (Landlock is not enabled)".into()
    }

    /// The events `source` yields on this kernel.
    pub fn events(&self, source: SourceKind) -> Vec<EventKind> {
        match source {
            SourceKind::Tracepoint => {
                let mut v: Vec<_> = self.tracepoints.iter().filter_map(|t| EventKind::lookup(t)).collect();
                v.sort();
                v
            }
            SourceKind::Audit if !self.landlock_audit() => Vec::new(),
            SourceKind::Compat if self.abi == 0 || !self.btf => Vec::new(),
            // Its syscall probes' events, and the hooks' denials where
            // Landlock logs none.
            SourceKind::Compat => {
                use EventKind::{
                    AddRuleFs, AddRuleNet, CreateDomain, CreateRuleset, DenyAccessFs, DenyAccessNet,
                    DenyScopeSignal, EnforceDomain, FreeRuleset,
                };
                let mut v =
                    vec![CreateRuleset, FreeRuleset, AddRuleFs, AddRuleNet, CreateDomain, EnforceDomain];
                if self.abi < ABI_AUDIT {
                    v.extend([DenyAccessFs, DenyAccessNet, DenyScopeSignal]);
                }
                v
            }
            s => EventKind::ALL.into_iter().filter(|k| crate::source::produces(s, *k)).collect(),
        }
    }

    /// The `landtrace --info` text.
    pub fn render(&self) -> String {
        let yes = |b: bool| if b { "yes" } else { "no" };
        let mut out = String::new();
        let _ = writeln!(out, "kernel: {}", self.release);
        let abi = if self.abi > 0 { format!("ABI {}", self.abi) } else { "not enabled".into() };
        let _ = writeln!(out, "landlock: {abi}");
        let _ = writeln!(out, "audit: {}", yes(self.audit));
        let _ = writeln!(out, "landlock audit records: {}", yes(self.landlock_audit()));
        let _ =
            writeln!(out, "domain IDs: {}", if self.domain_ids() { "kernel" } else { "per run (compat)" });
        let _ = writeln!(out, "btf: {}", yes(self.btf));
        let _ = writeln!(out, "tracepoints: {} (landlock:* in {TRACEFS})", self.tracepoints.len());
        let auto = self.auto();
        let names: Vec<&str> = auto.sources.iter().map(|s| s.name()).collect();
        let _ = writeln!(out, "auto: {} ({})", names.join(" + "), auto.reason);
        let _ = writeln!(out, "denials: {}", self.denials());
        for source in [SourceKind::Tracepoint, SourceKind::Compat, SourceKind::Audit] {
            let events = self.events(source);
            let list = if events.is_empty() {
                "none".to_string()
            } else {
                events.iter().map(|e| e.name()).collect::<Vec<_>>().join(" ")
            };
            let _ = writeln!(out, "source {}: {list}", source.name());
        }
        out
    }
}

fn release() -> String {
    // SAFETY: uname fills the struct it is given.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `u` is a valid utsname.
    if unsafe { libc::uname(&raw mut u) } != 0 {
        return "unknown".into();
    }
    let bytes: Vec<u8> = u.release.iter().take_while(|c| **c != 0).map(|c| *c as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Whether the kernel has audit: a `NETLINK_AUDIT` socket can be made (no
/// privilege is needed for that, only to use it).
fn audit_socket() -> bool {
    // SAFETY: socket(2) with constant arguments; the descriptor is closed.
    let fd =
        unsafe { libc::socket(libc::AF_NETLINK, libc::SOCK_RAW | libc::SOCK_CLOEXEC, libc::NETLINK_AUDIT) };
    if fd < 0 {
        return false;
    }
    // SAFETY: closing the descriptor just made.
    unsafe { libc::close(fd) };
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kernel(abi: i64, tracepoints: usize) -> KernelInfo {
        KernelInfo {
            release: "x".into(),
            abi,
            audit: true,
            btf: true,
            tracepoints: EventKind::ALL.iter().take(tracepoints).map(|k| format!("landlock_{k}")).collect(),
        }
    }

    #[test]
    fn auto_follows_the_feature_level() {
        assert_eq!(kernel(2, 0).auto().sources, [SourceKind::Compat]);
        assert_eq!(kernel(6, 0).auto().sources, [SourceKind::Compat]);
        assert_eq!(kernel(10, 0).auto().sources, [SourceKind::Compat, SourceKind::Audit]);
        assert_eq!(kernel(11, 14).auto().sources, [SourceKind::Tracepoint]);
        assert!(kernel(6, 0).events(SourceKind::Audit).is_empty());
        assert_eq!(kernel(10, 0).events(SourceKind::Audit).len(), 7);
        assert_eq!(kernel(11, 14).events(SourceKind::Tracepoint).len(), 14);
        let text = kernel(6, 0).render();
        assert!(text.contains("landlock: ABI 6\n"), "{text}");
        assert!(text.contains("\ndenials: hooks (Landlock ABI 6 logs no denial"), "{text}");
        assert!(text.contains("source compat: create_ruleset free_ruleset add_rule_fs add_rule_net create_domain enforce_domain deny_access_fs deny_access_net deny_scope_signal\n"), "{text}");
        assert!(kernel(10, 0).render().contains("source compat: create_ruleset free_ruleset add_rule_fs add_rule_net create_domain enforce_domain\n"));
        assert!(kernel(10, 0).render().contains("\ndenials: audit ("));
        assert!(kernel(11, 14).render().contains("\ndenials: tracepoint ("));
        assert!(kernel(0, 0).render().contains("\ndenials: none (Landlock is not enabled)"));
        assert!(text.contains("domain IDs: per run (compat)\n"), "{text}");
        assert!(text.contains("source audit: none\n"), "{text}");
    }
}
