//! Event sources: anything that fills [`Event`]s, one at a time.
//!
//! The engine does not know whether events come from a recorded file, the
//! audit socket or BPF probes; each of those implements [`Source`].

use landtrace_event::record::Event;
use landtrace_event::schema::{EventKind, SourceKind};
use std::io;

pub trait Source {
    /// Fills `ev` with the next event. `Ok(false)` at the end.
    fn next(&mut self, ev: &mut Event) -> Result<bool, SourceError>;

    /// Which kind of source this is (for `-l` and warnings).
    fn kind(&self) -> SourceKind;

    /// Whether this source can ever produce `kind` (a clause naming an
    /// event the source cannot produce is warned about before tracing).
    fn produces(&self, kind: EventKind) -> bool {
        produces_here(self.kind(), kind)
    }

    /// Events the recorded trace says were lost (ftrace's `[LOST N
    /// EVENTS]`), by the name of what lost them.
    fn lost(&self) -> Vec<(&'static str, u64)> {
        Vec::new()
    }

    /// A report of what went wrong but did not stop the source (malformed
    /// lines, lost events), printed at the end of the run.
    fn summary(&self) -> Vec<String> {
        Vec::new()
    }

    /// Lines or records skipped as malformed so far.
    fn malformed(&self) -> u64 {
        0
    }

    /// The descriptor to wait on when the next call to [`Source::next`]
    /// would block (a pipe with no whole line buffered), so the loop can
    /// answer a scrape meanwhile (`--metrics`); `None` when it would not.
    fn wait_fd(&self) -> Option<std::os::fd::RawFd> {
        None
    }
}

/// Whether a source of this kind can ever produce `kind` (the schema
/// says what events are; which source yields which is the runtime's).
pub fn produces(source: SourceKind, kind: EventKind) -> bool {
    use EventKind::{
        AddRuleFs, AddRuleNet, CreateDomain, CreateRuleset, DenyAccessFs, DenyAccessNet, DenyPtrace,
        DenyScopeAbstractUnixSocket, DenyScopeSignal, EnforceDomain, FreeDomain, FreeRuleset,
    };
    match source {
        SourceKind::Tracepoint | SourceKind::Replay => true,
        SourceKind::Compat => matches!(
            kind,
            CreateRuleset | FreeRuleset | AddRuleFs | AddRuleNet | CreateDomain | EnforceDomain
        ),
        SourceKind::Audit => matches!(
            kind,
            CreateDomain
                | FreeDomain
                | DenyAccessFs
                | DenyAccessNet
                | DenyPtrace
                | DenyScopeSignal
                | DenyScopeAbstractUnixSocket
        ),
    }
}

/// Whether a source of this kind can produce `kind` on the running kernel:
/// as [`produces`] (which docs and hover show, the same on every machine),
/// and compat's hooks' denials where Landlock logs none (ABI < 7).
pub fn produces_here(source: SourceKind, kind: EventKind) -> bool {
    use EventKind::{DenyAccessFs, DenyAccessNet, DenyScopeSignal};
    produces(source, kind)
        || (source == SourceKind::Compat
            && matches!(kind, DenyAccessFs | DenyAccessNet | DenyScopeSignal)
            && crate::live::hooks_wanted())
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    /// With `--strict`, a malformed line ends the run.
    #[error("{path}:{line}: {reason}")]
    Malformed { path: String, line: u64, reason: String },
    /// Inputs that are not traces, each with why (one line each).
    #[error("{}", .0.join("\n"))]
    NotTraces(Vec<String>),
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Source(SourceError),
    #[error("writing output: {0}")]
    Output(io::Error),
}

impl RunError {
    /// A closed pipe (`landtrace ... | head`) is not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, RunError::Output(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}

/// A source over events already in memory (tests, the REPL, benchmarks).
pub struct VecSource {
    events: std::vec::IntoIter<Event>,
}

impl VecSource {
    pub fn new(events: Vec<Event>) -> VecSource {
        VecSource { events: events.into_iter() }
    }
}

impl Source for VecSource {
    fn next(&mut self, ev: &mut Event) -> Result<bool, SourceError> {
        match self.events.next() {
            Some(e) => {
                *ev = e;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn kind(&self) -> SourceKind {
        SourceKind::Replay
    }
}
