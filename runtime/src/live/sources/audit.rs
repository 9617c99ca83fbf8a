//! The audit source in a live run: Landlock's audit records, read from
//! the read-log multicast group ([`AuditSource`]) and grouped into events.

use super::{Feed, LiveSource};
use crate::live::audit::AuditSource;
use crate::live::audit_claim::Release;
use crate::live::{LiveError, LiveSummary, proc};
use landtrace_event::record::Event;
use landtrace_event::schema::Builtin;
use landtrace_event::schema::{EventKind, field};
use landtrace_trace::Pending;
use std::time::Instant;

pub(in crate::live) struct AuditLive {
    socket: AuditSource,
    pending: Pending,
    ev: Event,
    boot: i64,
}

impl AuditLive {
    /// Opens the socket (enabling audit if it is off).
    pub fn open(boot: i64, watchdog: Option<&std::path::Path>) -> Result<AuditLive, LiveError> {
        let socket = AuditSource::open(watchdog).map_err(LiveError::Audit)?;
        Ok(AuditLive { socket, pending: Pending::default(), ev: Event::new(), boot })
    }

    pub fn note(&self) -> Option<&str> {
        self.socket.note()
    }
}

impl LiveSource for AuditLive {
    fn describe(&self) -> String {
        "audit".into()
    }

    fn fd(&mut self) -> Result<std::os::fd::RawFd, LiveError> {
        Ok(self.socket.fd())
    }

    fn wake_by(&self, _now: Instant) -> Option<Instant> {
        self.socket.flush_deadline()
    }

    fn trails(&self) -> bool {
        true
    }

    fn sees_domains(&self) -> bool {
        false
    }

    fn keeps_caps(&self) -> u64 {
        // Whichever landtrace leaves last disables audit again: keep the
        // right to.
        // And, when landtrace is not root, to write the shared record.
        1 << proc::CAP_AUDIT_READ | 1 << proc::CAP_AUDIT_CONTROL | 1 << proc::CAP_DAC_OVERRIDE
    }

    fn collect(&mut self, ending: bool) -> Result<(), LiveError> {
        self.socket.read(&mut self.pending).map_err(LiveError::Audit)?;
        if ending || self.socket.flush_deadline().is_some_and(|d| Instant::now() >= d) {
            self.socket.flush(&mut self.pending, ending);
        }
        Ok(())
    }

    fn drain(&mut self, feed: &mut Feed) -> Result<(), LiveError> {
        let ev = &mut self.ev;
        while self.pending.pop_into(ev) {
            // With a BPF source on, audit's late "allocated" record repeats
            // a domain that source already reported.
            if ev.kind() == Some(EventKind::CreateDomain) && feed.bpf_domains.contains(&ev.get(field::domain))
            {
                continue;
            }
            // Audit stamps wall-clock time; events share the monotonic one.
            let wall = ev.header().walltime();
            ev.set_builtin(Builtin::Time, wall.saturating_sub(self.boot).max(0) as u64);
            feed.offer(ev);
        }
        Ok(())
    }

    fn telemetry(&mut self, t: &mut crate::metrics::Telemetry) {
        t.lost += self.socket.lost() + self.socket.socket_lost();
        t.malformed += self.socket.malformed;
    }

    fn account(&mut self, summary: &mut LiveSummary) {
        summary.lost_audit += self.socket.lost();
        summary.audit_malformed += self.socket.malformed;
        summary.audit_overflows += self.socket.socket_lost();
        match self.socket.release() {
            Ok(Release::Disabled) => summary.audit_restored = true,
            Ok(Release::StillUsed) => {
                summary.audit_note = Some("audit stays enabled: another landtrace is using it".into());
            }
            Ok(Release::LeftAsChanged) => {
                summary.audit_note =
                    Some("audit settings were changed during the run: left as they are".into());
            }
            Ok(Release::Untouched) => {}
            Err(e) => summary.audit_note = Some(format!("could not restore the audit setting: {e}")),
        }
    }
}
