//! Which events belong to a scoped run (`-c`, `-p`): those of the traced
//! tasks, and the release of the domains and rulesets they made.

use super::proc;
use landtrace_compiler::record::Event;
use landtrace_compiler::schema::{EventKind, field};
use landtrace_probes::loader::Tracker;
use std::collections::HashSet;

/// Picks events of the traced processes when tracing is scoped.
pub(super) struct Scope {
    root: Option<u32>,
    /// The probes' set of traced tasks (without one: /proc's parentage).
    tracker: Option<Tracker>,
    domains: HashSet<u64>,
    rulesets: HashSet<u64>,
    /// Domains of the scope seen freed.
    freed: HashSet<u64>,
    /// Tasks the probes' map says are tracked: they stay tracked, so each
    /// is looked up in the map (a bpf() syscall) once.
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
            rulesets: HashSet::new(),
            freed: HashSet::new(),
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
        !self.domains.is_empty()
    }

    /// Whether every domain the scope made is freed (audit has nothing
    /// more to say about them).
    pub(super) fn all_freed(&self) -> bool {
        self.domains.iter().all(|d| self.freed.contains(d))
    }

    /// Remembers the domain and ruleset of an event in scope.
    pub(super) fn note(&mut self, ev: &Event) {
        let Some(kind) = ev.kind() else { return };
        if kind.field_type(field::domain).is_some() && ev.get(field::domain) != 0 {
            self.domains.insert(ev.get(field::domain));
        }
        if kind.field_type(field::ruleset).is_some() && ev.get(field::ruleset) != 0 {
            self.rulesets.insert(ev.get(field::ruleset));
        }
    }

    pub(super) fn wants(&mut self, ev: &Event) -> bool {
        let Some(root) = self.root else { return true };
        let Some(kind) = ev.kind() else { return false };
        let pid = ev.header().pid as u32;
        let domain = kind.field_type(field::domain).map(|_| ev.get(field::domain));
        let ruleset = kind.field_type(field::ruleset).map(|_| ev.get(field::ruleset));
        let by_task = pid != 0
            && (self.tracked.contains(&pid)
                || !self.untracked.contains(&pid) && {
                    let yes = match &self.tracker {
                        Some(t) => t.is_tracked(pid),
                        None => proc::descends_from(pid, root),
                    };
                    if yes { self.tracked.insert(pid) } else { !self.untracked.insert(pid) }
                });
        // A kworker frees domains and rulesets, and audit cannot always tell
        // the task: they belong to the scope if the scope made the object.
        let by_object = domain.is_some_and(|d| self.domains.contains(&d))
            || ruleset.is_some_and(|r| self.rulesets.contains(&r)) && matches!(kind, EventKind::FreeRuleset);
        if by_task {
            self.note(ev);
        }
        if (by_task || by_object) && kind == EventKind::FreeDomain {
            self.freed.insert(ev.get(field::domain));
        }
        by_task || by_object
    }
}
