//! The live sources as the run loop sees them: each owns its kernel
//! resources from setup to teardown behind [`LiveSource`], and hands its
//! events to the engine through a [`Feed`].

pub(super) mod audit;
pub(super) mod compat;
pub(super) mod tracepoint;

use super::LiveError;
use super::LiveSummary;
use super::scope::Scope;
use crate::engine::Engine;
use landtrace_event::record::Event;
use landtrace_event::schema::{EventKind, field};
use landtrace_probes::loader::{ProbeError, Tracker};
use std::collections::HashSet;
use std::os::fd::RawFd;
use std::time::Instant;

/// One source of a live run. Setup is each type's own `open`; dropping it
/// detaches its probes (or restores what it changed).
pub(super) trait LiveSource {
    /// What it traces, for the readiness line: `compat (5 probes)`.
    fn describe(&self) -> String;
    /// The descriptor that becomes readable when records wait.
    fn fd(&mut self) -> Result<RawFd, LiveError>;
    /// When it must be drained even if its descriptor stays quiet.
    fn wake_by(&self, now: Instant) -> Option<Instant>;
    /// Whether it still has something to say about a traced command after
    /// the command exits (audit records on their way, domains a kernel
    /// worker frees): the run then waits for it a little.
    fn trails(&self) -> bool;
    /// Whether it reports the domains a scoped command makes (then the end
    /// of a run can tell when all of them are freed).
    fn sees_domains(&self) -> bool;
    /// The capabilities it still needs once attached.
    fn keeps_caps(&self) -> u64;
    /// The set of traced processes of a scoped run, if its probes keep one.
    fn take_tracker(&mut self) -> Option<Result<Tracker, ProbeError>> {
        None
    }
    /// Reads what is queued, before any source is drained (audit reads
    /// first and delivers last, so that the BPF records of what led to an
    /// audit record are processed before it).
    fn collect(&mut self, _ending: bool) -> Result<(), LiveError> {
        Ok(())
    }
    /// Feeds what it has read to the engine.
    fn drain(&mut self, feed: &mut Feed) -> Result<(), LiveError>;
    /// Adds its losses to the summary, just before it is dropped.
    fn account(&mut self, summary: &mut LiveSummary);
    /// Adds what it counted so far to `t` (a scrape's own metrics).
    fn telemetry(&mut self, _t: &mut crate::metrics::Telemetry) {}
}

/// Where the sources' events go: scoping, then the engine.
pub(super) struct Feed<'e, 'p> {
    pub engine: &'e mut Engine<'p>,
    pub scope: Scope,
    pub summary: LiveSummary,
    /// The run is ending: hand over everything held back.
    pub ending: bool,
    /// Domains a BPF source reported made: audit's late "allocated"
    /// record repeats them.
    pub bpf_domains: HashSet<u64>,
}

impl Feed<'_, '_> {
    /// A BPF source's event that a probe already scoped (compat's are
    /// filtered in the kernel).
    pub fn scoped(&mut self, ev: &mut Event) {
        self.note_bpf(ev);
        self.scope.note(ev);
        ev.seal();
        self.summary.delivered += 1;
        self.engine.process(ev);
    }

    /// A BPF source's event, processed if it is in the run's scope.
    pub fn offer_bpf(&mut self, ev: &mut Event) {
        self.note_bpf(ev);
        self.offer(ev);
    }

    /// An event processed if it is in the run's scope.
    pub fn offer(&mut self, ev: &mut Event) {
        if self.scope.wants(ev) {
            ev.seal();
            self.summary.delivered += 1;
            self.engine.process(ev);
        }
    }

    fn note_bpf(&mut self, ev: &Event) {
        if ev.kind() == Some(EventKind::CreateDomain) {
            self.bpf_domains.insert(ev.get(field::domain));
        }
    }
}
