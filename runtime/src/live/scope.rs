//! Which events belong to a scoped run (`-c`, `-p`): those of the traced
//! tasks, and the release of the domains and rulesets they made.

use super::proc;
use landtrace_event::record::Event;
use landtrace_event::schema::Builtin;
use landtrace_event::schema::{EventKind, field};
use landtrace_probes::loader::Tracker;
use std::collections::HashSet;

/// Most domains and rulesets of the scope remembered at once (about 30 bytes
/// each). Past it, new ones are not remembered (and counted): their
/// release by a kernel worker would then not be attributed to the scope.
const MAX_OBJECTS: usize = 1 << 20;

/// Most tasks remembered as tracked (a cache of the probes' map: cleared
/// when full, then filled again).
const MAX_TRACKED: usize = 1 << 16;

/// Picks events of the traced processes when tracing is scoped.
pub(super) struct Scope {
    root: Option<u32>,
    /// The probes' set of traced tasks (without one: /proc's parentage).
    tracker: Option<Tracker>,
    /// Domains the scope made that are not freed yet.
    domains: HashSet<u64>,
    /// Whether the scope made any domain.
    made_domain: bool,
    /// Rulesets the scope made that are not freed yet.
    rulesets: HashSet<u64>,
    /// Domains and rulesets not remembered because the sets were full.
    pub(super) forgotten: u64,
    /// Tasks the probes' map says are tracked: they stay tracked, so each
    /// is looked up in the map (a `bpf()` syscall) once.
    tracked: HashSet<u32>,
    /// Tasks found untracked since the last read of the sources (a fork
    /// may track them later).
    untracked: HashSet<u32>,
}

impl Scope {
    pub(super) fn new(root: Option<u32>, tracker: Option<Tracker>) -> Scope {
        Scope {
            root,
            tracker,
            domains: HashSet::new(),
            made_domain: false,
            rulesets: HashSet::new(),
            forgotten: 0,
            tracked: HashSet::new(),
            untracked: HashSet::new(),
        }
    }

    /// A new read of the sources: a task found untracked before may have
    /// been forked into the scope since.
    pub(super) fn new_read(&mut self) {
        self.untracked.clear();
    }

    /// Whether the scope has seen any domain of its own made.
    pub(super) fn has_domains(&self) -> bool {
        self.made_domain
    }

    /// Whether every domain the scope made is freed (audit has nothing
    /// more to say about them).
    pub(super) fn all_freed(&self) -> bool {
        self.domains.is_empty()
    }

    /// Remembers the domain and ruleset an event of the scope makes, and
    /// forgets those it frees.
    pub(super) fn note(&mut self, ev: &Event) {
        let Some(kind) = ev.kind() else { return };
        let (domain, ruleset) = (ev_field(ev, kind, field::domain), ev_field(ev, kind, field::ruleset));
        match kind {
            EventKind::FreeDomain => {
                if let Some(d) = domain {
                    self.domains.remove(&d);
                }
            }
            EventKind::FreeRuleset => {
                if let Some(r) = ruleset {
                    self.rulesets.remove(&r);
                }
            }
            EventKind::CreateDomain => {
                if let Some(d) = domain {
                    self.made_domain = true;
                    remember(&mut self.domains, d, &mut self.forgotten);
                }
            }
            EventKind::CreateRuleset => {
                if let Some(r) = ruleset {
                    remember(&mut self.rulesets, r, &mut self.forgotten);
                }
            }
            _ => {}
        }
    }

    pub(super) fn wants(&mut self, ev: &Event) -> bool {
        let Some(root) = self.root else { return true };
        let Some(kind) = ev.kind() else { return false };
        let pid = ev.builtin(Builtin::Pid) as u32;
        let by_task = pid != 0
            && (self.tracked.contains(&pid)
                || !self.untracked.contains(&pid) && {
                    let yes = match &self.tracker {
                        Some(t) => t.is_tracked(pid),
                        None => proc::descends_from(pid, root),
                    };
                    if yes {
                        if self.tracked.len() >= MAX_TRACKED {
                            self.tracked.clear();
                        }
                        self.tracked.insert(pid)
                    } else {
                        !self.untracked.insert(pid)
                    }
                });
        // A kworker frees domains and rulesets, and audit cannot always tell
        // the task: they belong to the scope if the scope made the object.
        let by_object = match kind {
            EventKind::FreeDomain => {
                ev_field(ev, kind, field::domain).is_some_and(|d| self.domains.contains(&d))
            }
            EventKind::FreeRuleset => {
                ev_field(ev, kind, field::ruleset).is_some_and(|r| self.rulesets.contains(&r))
            }
            _ => ev_field(ev, kind, field::domain).is_some_and(|d| self.domains.contains(&d)),
        };
        if by_task || by_object {
            self.note(ev);
        }
        by_task || by_object
    }
}

/// A non-zero ID field of the event, if its kind has the field.
fn ev_field(ev: &Event, kind: EventKind, f: landtrace_event::schema::FieldId) -> Option<u64> {
    kind.field_type(f).map(|_| ev.get(f)).filter(|v| *v != 0)
}

fn remember(set: &mut HashSet<u64>, id: u64, forgotten: &mut u64) {
    if set.len() >= MAX_OBJECTS && !set.contains(&id) {
        *forgotten += 1;
    } else {
        set.insert(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use landtrace_event::schema::SourceKind;

    fn event(kind: EventKind, pid: u32, id: u64) -> Event {
        let mut e = Event::new();
        e.reset(kind, SourceKind::Replay);
        e.set_builtin(Builtin::Pid, u64::from(pid));
        if kind.field_type(field::domain).is_some() {
            e.set(field::domain, id);
        }
        if kind.field_type(field::ruleset).is_some() {
            e.set(field::ruleset, id);
        }
        e
    }

    /// Freed objects are forgotten, so a long run's sets do not grow
    /// (issue 11.6); a kworker's free of the scope's domain is the scope's.
    #[test]
    fn freed_objects_are_forgotten() {
        let me = std::process::id();
        let mut s = Scope::new(Some(me), None);
        for id in 1..=10_000u64 {
            assert!(s.wants(&event(EventKind::CreateRuleset, me, id)));
            assert!(s.wants(&event(EventKind::CreateDomain, me, id)));
            assert!(!s.all_freed());
            // Freed by a kernel worker (pid 0 is never a task of the scope).
            assert!(s.wants(&event(EventKind::FreeRuleset, 0, id)));
            assert!(s.wants(&event(EventKind::FreeDomain, 0, id)));
        }
        assert!(s.all_freed() && s.has_domains());
        assert_eq!((s.domains.len(), s.rulesets.len(), s.forgotten), (0, 0, 0));
        // Another scope's domain is not ours.
        assert!(!s.wants(&event(EventKind::FreeDomain, 0, 99_999)));
    }
}
