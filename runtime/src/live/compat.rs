//! Decoding the compat source's ring buffer records into events.
//!
//! Pure: bytes in, events out. Rulesets have no ID on kernels without the
//! Landlock tracepoints, so each ruleset object gets a small ID, stable for
//! the run, from the opaque key the probe sends (the object's address mixed
//! with a per-run secret, never shown); `ruleset_version` counts the rules
//! added to it that landtrace saw.

use landtrace_event::kernel::{DEV_TEXT_MAX, dev_text};
use landtrace_event::record::Event;
use landtrace_event::schema::{EventKind, SourceKind, field};
use landtrace_probes::records::{
    self, AddRuleFs, AddRuleNet, CreateRuleset, FreeRuleset, Header, RestrictSelf, kind,
};
use std::collections::HashMap;

/// `landlock_restrict_self` flag: apply to every thread (TSYNC, ABI 8).
const RESTRICT_SELF_TSYNC: u32 = 1 << 3;

/// Most rulesets remembered at once (a ruleset is forgotten when freed).
const MAX_RULESETS: usize = 65_536;

/// What a record became.
#[derive(Debug, PartialEq)]
pub enum Decoded {
    /// `n` events were queued.
    Events(usize),
    /// Not a compat record, or too short to be one.
    Skipped,
}

#[derive(Default)]
pub struct CompatDecoder {
    rulesets: HashMap<u64, (u64, u64)>,
    next_id: u64,
    /// Per-run domain IDs, on kernels whose domains have none (before
    /// 6.15): by the key the probe sends for a domain's hierarchy.
    domains: HashMap<u64, u64>,
    /// The event records are decoded into, reused.
    scratch: Event,
    /// Added to monotonic times to get Unix times.
    pub boot_offset_ns: i64,
}

impl CompatDecoder {
    pub fn new(boot_offset_ns: i64) -> CompatDecoder {
        CompatDecoder { boot_offset_ns, ..CompatDecoder::default() }
    }

    /// The per-run ID of a ruleset key (0 for an unknown object).
    fn ruleset_id(&mut self, key: u64) -> u64 {
        if key == 0 {
            return 0;
        }
        if let Some((id, _)) = self.rulesets.get(&key) {
            return *id;
        }
        if self.rulesets.len() >= MAX_RULESETS {
            self.rulesets.clear();
        }
        self.next_id += 1;
        self.rulesets.insert(key, (self.next_id, 0));
        self.next_id
    }

    /// The per-run ID of a domain key (0 for none). Domains live until
    /// their last task exits, which compat cannot see: past the limit the
    /// table restarts, and a nested domain's parent may then get a new ID.
    fn domain_id(&mut self, key: u64) -> u64 {
        if key == 0 {
            return 0;
        }
        if self.domains.len() >= MAX_RULESETS && !self.domains.contains_key(&key) {
            self.domains.clear();
        }
        let next = self.domains.len() as u64 + 1;
        *self.domains.entry(key).or_insert(next)
    }

    fn version(&self, key: u64) -> u64 {
        self.rulesets.get(&key).map_or(0, |(_, v)| *v)
    }

    fn bump_version(&mut self, key: u64) {
        if let Some((_, v)) = self.rulesets.get_mut(&key) {
            *v += 1;
        }
    }

    fn header(&self, ev: &mut Event, kind: EventKind, h: &Header) {
        super::start_event(ev, kind, SourceKind::Compat, h, self.boot_offset_ns);
    }

    /// Decodes one record, pushing the events it makes with `emit`.
    pub fn decode(&mut self, bytes: &[u8], mut emit: impl FnMut(&mut Event)) -> Decoded {
        let mut ev = std::mem::take(&mut self.scratch);
        let decoded = self.decode_into(bytes, &mut ev, &mut emit);
        self.scratch = ev;
        decoded
    }

    fn decode_into(&mut self, bytes: &[u8], ev: &mut Event, emit: &mut impl FnMut(&mut Event)) -> Decoded {
        let Some((k, _)) = records::peek(bytes) else { return Decoded::Skipped };
        match k {
            kind::CREATE_RULESET => {
                let Some(r) = records::read::<CreateRuleset>(bytes) else { return Decoded::Skipped };
                let id = self.ruleset_id(r.ruleset);
                self.header(ev, EventKind::CreateRuleset, &r.h);
                ev.set(field::ruleset, id);
                ev.set(field::ruleset_version, 0);
                ev.set(field::handled_fs, r.handled_fs);
                ev.set(field::handled_net, r.handled_net);
                ev.set(field::scoped, r.scoped);
                ev.set(field::fd, i64::from(r.fd) as u64);
                emit(ev);
                Decoded::Events(1)
            }
            kind::ADD_RULE_FS => {
                let Some(r) = records::read::<AddRuleFs>(bytes) else { return Decoded::Skipped };
                let id = self.ruleset_id(r.ruleset);
                self.header(ev, EventKind::AddRuleFs, &r.h);
                ev.set(field::ruleset, id);
                // As the kernel counts: this rule included.
                self.bump_version(r.ruleset);
                ev.set(field::ruleset_version, self.version(r.ruleset));
                ev.set(field::access_rights, r.access);
                ev.set(field::ino, r.ino);
                ev.set(field::ruleset_fd, i64::from(r.ruleset_fd) as u64);
                let mut buf = [0u8; DEV_TEXT_MAX];
                ev.set_str(field::dev, dev_text(u64::from(r.dev), &mut buf));
                ev.set_str(field::path, &rule_path(&r));
                emit(ev);
                Decoded::Events(1)
            }
            kind::ADD_RULE_NET => {
                let Some(r) = records::read::<AddRuleNet>(bytes) else { return Decoded::Skipped };
                let id = self.ruleset_id(r.ruleset);
                self.header(ev, EventKind::AddRuleNet, &r.h);
                ev.set(field::ruleset, id);
                // As the kernel counts: this rule included.
                self.bump_version(r.ruleset);
                ev.set(field::ruleset_version, self.version(r.ruleset));
                ev.set(field::access_rights, r.access);
                ev.set(field::port, r.port);
                ev.set(field::ruleset_fd, i64::from(r.ruleset_fd) as u64);
                emit(ev);
                Decoded::Events(1)
            }
            kind::RESTRICT_SELF => {
                let Some(r) = records::read::<RestrictSelf>(bytes) else { return Decoded::Skipped };
                let id = self.ruleset_id(r.ruleset);
                let (domain, parent) = if r.keys != 0 {
                    (self.domain_id(r.domain), self.domain_id(r.parent))
                } else {
                    (r.domain, r.parent)
                };
                self.header(ev, EventKind::CreateDomain, &r.h);
                ev.set(field::domain, domain);
                ev.set(field::parent, parent);
                ev.set(field::ruleset, id);
                ev.set(field::ruleset_version, self.version(r.ruleset));
                if r.found == 0 {
                    ev.push_extra("domain_unknown", b"1");
                }
                emit(ev);
                self.header(ev, EventKind::EnforceDomain, &r.h);
                ev.set(field::domain, domain);
                // One enforcement per restrict_self: it is also the last.
                ev.set(field::complete, 1);
                let process_wide = r.flags & RESTRICT_SELF_TSYNC != 0 || r.nr_threads == 1;
                ev.set(field::process_wide, u64::from(process_wide));
                ev.set(field::no_new_privs, u64::from(r.no_new_privs));
                emit(ev);
                Decoded::Events(2)
            }
            kind::FREE_RULESET => {
                let Some(r) = records::read::<FreeRuleset>(bytes) else { return Decoded::Skipped };
                let id = self.ruleset_id(r.ruleset);
                let version = self.version(r.ruleset);
                self.rulesets.remove(&r.ruleset);
                self.header(ev, EventKind::FreeRuleset, &r.h);
                ev.set(field::ruleset, id);
                ev.set(field::ruleset_version, version);
                emit(ev);
                Decoded::Events(1)
            }
            // A denial seen in Landlock's own hook (fexit): the rights the
            // operation asked for, the domain of the denied task. Whether
            // it was the same executable as the domain's creator, and
            // whether the kernel logged it, only the kernel knows (6.15+).
            kind::DENY_FS => {
                let Some(r) = records::read::<AddRuleFs>(bytes) else { return Decoded::Skipped };
                let domain = if u32::from(r.flags) & records::DENY_KEY != 0 {
                    self.domain_id(r.ruleset)
                } else {
                    r.ruleset
                };
                self.header(ev, EventKind::DenyAccessFs, &r.h);
                ev.set(field::domain, domain);
                ev.set(field::blockers, r.access);
                ev.set(field::ino, r.ino);
                let mut buf = [0u8; DEV_TEXT_MAX];
                ev.set_str(field::dev, dev_text(u64::from(r.dev), &mut buf));
                ev.set_str(field::path, &rule_path(&r));
                ev.push_extra("unknown", b"same_exec,logged");
                emit(ev);
                Decoded::Events(1)
            }
            kind::DENY_NET => {
                let Some(r) = records::read::<AddRuleNet>(bytes) else { return Decoded::Skipped };
                let domain =
                    if r.pad & records::DENY_KEY != 0 { self.domain_id(r.ruleset) } else { r.ruleset };
                self.header(ev, EventKind::DenyAccessNet, &r.h);
                ev.set(field::domain, domain);
                ev.set(field::blockers, r.access);
                let port = if r.ruleset_fd == records::NET_BIND { field::sport } else { field::dport };
                ev.set(port, r.port);
                ev.push_extra("unknown", b"same_exec,logged");
                emit(ev);
                Decoded::Events(1)
            }
            kind::DENY_SIGNAL => {
                let Some(r) = records::read::<AddRuleFs>(bytes) else { return Decoded::Skipped };
                let keys = u32::from(r.flags) & records::DENY_KEY != 0;
                let id = |me: &mut Self, v: u64| if keys { me.domain_id(v) } else { v };
                let (domain, target_domain) = (id(self, r.ruleset), id(self, r.access));
                self.header(ev, EventKind::DenyScopeSignal, &r.h);
                ev.set(field::domain, domain);
                ev.set(field::target_domain, target_domain);
                ev.set(field::target_pid, r.ino);
                let len = usize::from(r.comp_len[0]).min(records::COMM_LEN - 1);
                ev.set_str(field::target_comm, &r.names[0][..len]);
                ev.push_extra("unknown", b"same_exec,logged");
                emit(ev);
                Decoded::Events(1)
            }
            // Calibration is read by the loader before tracing starts.
            kind::CALIBRATION => Decoded::Events(0),
            _ => Decoded::Skipped,
        }
    }
}

/// Joins the components the probe recorded (leaf first) into a path, with
/// the kernel's placeholders for what it could not resolve.
fn rule_path(r: &AddRuleFs) -> Vec<u8> {
    if r.flags & records::PATH_TOO_LONG != 0 {
        return b"<too_long>".to_vec();
    }
    if r.flags & records::PATH_UNREACHABLE != 0 && r.nsteps == 0 {
        return b"<unreachable>".to_vec();
    }
    let mut parts: Vec<&[u8]> = Vec::new();
    for i in 0..(r.nsteps as usize).min(records::PATH_STEPS) {
        let len = r.comp_len[i];
        if len == records::STEP_MOUNT {
            continue;
        }
        let len = (len as usize).min(records::NAME_SLOT);
        parts.push(&r.names[i][..len]);
    }
    let mut path = Vec::new();
    for p in parts.iter().rev() {
        path.push(b'/');
        path.extend_from_slice(p);
    }
    if path.is_empty() {
        path.push(b'/');
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::size_of;

    fn bytes<T>(r: &T) -> Vec<u8> {
        // SAFETY: records are plain repr(C) data.
        unsafe { std::slice::from_raw_parts(std::ptr::from_ref::<T>(r).cast::<u8>(), size_of::<T>()) }
            .to_vec()
    }

    fn header(k: u32) -> Header {
        let mut h = Header { kind: k, time_ns: 1_000, pid: 10, tid: 11, ppid: 1, ..Header::default() };
        h.comm[..4].copy_from_slice(b"test");
        h
    }

    #[test]
    fn rulesets_get_stable_small_ids_and_versions() {
        let mut d = CompatDecoder::new(5);
        let mut out = Vec::new();
        let create = CreateRuleset {
            h: header(kind::CREATE_RULESET),
            ruleset: 0xdead,
            handled_fs: 4,
            fd: 3,
            ..Default::default()
        };
        d.decode(&bytes(&create), |e| out.push(e.clone()));
        let net = AddRuleNet {
            h: header(kind::ADD_RULE_NET),
            ruleset: 0xdead,
            access: 2,
            port: 443,
            ruleset_fd: 3,
            pad: 0,
        };
        d.decode(&bytes(&net), |e| out.push(e.clone()));
        d.decode(&bytes(&net), |e| out.push(e.clone()));
        let restrict = RestrictSelf {
            h: header(kind::RESTRICT_SELF),
            ruleset: 0xdead,
            domain: 0x192b6c99d,
            parent: 0,
            nr_threads: 1,
            no_new_privs: 1,
            found: 1,
            ..Default::default()
        };
        assert_eq!(d.decode(&bytes(&restrict), |e| out.push(e.clone())), Decoded::Events(2));
        let free = FreeRuleset { h: header(kind::FREE_RULESET), ruleset: 0xdead };
        d.decode(&bytes(&free), |e| out.push(e.clone()));
        let kinds: Vec<_> = out.iter().map(|e| e.kind().unwrap()).collect();
        assert_eq!(
            kinds,
            [
                EventKind::CreateRuleset,
                EventKind::AddRuleNet,
                EventKind::AddRuleNet,
                EventKind::CreateDomain,
                EventKind::EnforceDomain,
                EventKind::FreeRuleset
            ]
        );
        assert!(
            out.iter()
                .filter(|e| e.kind() != Some(EventKind::EnforceDomain))
                .all(|e| e.get(field::ruleset) == 1)
        );
        assert_eq!(out[1].get(field::ruleset_version), 1);
        assert_eq!(out[2].get(field::ruleset_version), 2);
        assert_eq!(out[3].get(field::ruleset_version), 2);
        assert_eq!(out[3].get(field::domain), 0x192b6c99d);
        assert_eq!(out[4].get(field::process_wide), 1);
        assert_eq!(out[0].header().walltime(), 1_005);
        assert_eq!(out[0].comm(), b"test");
        assert_eq!(out[0].get(field::fd), 3);
        assert_eq!(out[1].get(field::ruleset_fd), 3);
    }

    #[test]
    fn domains_without_kernel_ids_get_small_ids_and_keep_their_nesting() {
        let mut d = CompatDecoder::new(0);
        let mut out = Vec::new();
        let restrict = |domain, parent| RestrictSelf {
            h: header(kind::RESTRICT_SELF),
            domain,
            parent,
            found: 1,
            keys: 1,
            ..Default::default()
        };
        // Two layers, then a sibling of the inner one: keys, not IDs.
        for (domain, parent) in [(0xffff_8880_0000_1000, 0), (0xffff_8880_0000_2000, 0xffff_8880_0000_1000)] {
            d.decode(&bytes(&restrict(domain, parent)), |e| out.push(e.clone()));
        }
        d.decode(&bytes(&restrict(0xffff_8880_0000_3000, 0xffff_8880_0000_1000)), |e| out.push(e.clone()));
        let created: Vec<_> = out
            .iter()
            .filter(|e| e.kind() == Some(EventKind::CreateDomain))
            .map(|e| (e.get(field::domain), e.get(field::parent)))
            .collect();
        assert_eq!(created, [(1, 0), (2, 1), (3, 1)]);
        let enforced: Vec<_> = out
            .iter()
            .filter(|e| e.kind() == Some(EventKind::EnforceDomain))
            .map(|e| e.get(field::domain))
            .collect();
        assert_eq!(enforced, [1, 2, 3]);
    }

    #[test]
    fn paths_are_joined_leaf_last_and_mounts_skipped() {
        let mut r = AddRuleFs {
            h: header(kind::ADD_RULE_FS),
            ruleset: 1,
            access: 4,
            ino: 7,
            ruleset_fd: 3,
            dev: (254 << 20) | 1,
            nsteps: 3,
            flags: 0,
            comp_len: [0; records::PATH_STEPS],
            names: [[0; records::NAME_SLOT]; records::PATH_STEPS],
        };
        r.comp_len[0] = 4;
        r.names[0][..4].copy_from_slice(b"conf");
        r.comp_len[1] = 3;
        r.names[1][..3].copy_from_slice(b"etc");
        r.comp_len[2] = records::STEP_MOUNT;
        assert_eq!(rule_path(&r), b"/etc/conf");
        let mut d = CompatDecoder::default();
        let mut ev = None;
        d.decode(&bytes(&r), |e| ev = Some(e.clone()));
        assert_eq!(ev.unwrap().get_str(field::dev), b"254:1");
        r.nsteps = 0;
        assert_eq!(rule_path(&r), b"/");
        r.flags = records::PATH_TOO_LONG;
        assert_eq!(rule_path(&r), b"<too_long>");
    }
}
