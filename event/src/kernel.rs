//! What the kernel's records mean to the event model, where a value is not
//! one field for one field: the facts every decoder of kernel records
//! (BPF tracepoint records, ftrace text, the compat probes) shares, so
//! each is written once.

use crate::record::Event;
use crate::schema::{EventKind, Family, REQUEST_CHANGE_TOPOLOGY, field};

/// The fields of a kernel record that decide others once all are read.
#[derive(Clone, Copy, Default, Debug)]
pub struct Derived {
    /// `blockers_type`: the kind of request the denial answers.
    pub request: Option<u64>,
    /// A network denial's one `port`.
    pub port: Option<u64>,
    /// An earlier revision's `log_same_exec` / `log_new_exec`.
    pub log_same: Option<bool>,
    pub log_new: Option<bool>,
}

impl Derived {
    /// Sets the fields derived from others once a record's fields are all
    /// read: the `change_topology` blocker, a denial's one port as `sport`
    /// or `dport`, and `logged` from an earlier revision's flags.
    pub fn finish(self, ev: &mut Event, kind: EventKind) {
        if self.request == Some(REQUEST_CHANGE_TOPOLOGY) {
            ev.push_extra("blocker", b"fs.change_topology");
        }
        if let Some(p) = self.port {
            static BINDS: std::sync::LazyLock<u64> = std::sync::LazyLock::new(|| {
                Family::Net.bit_of("BIND_TCP").unwrap_or(0) | Family::Net.bit_of("BIND_UDP").unwrap_or(0)
            });
            let binds = *BINDS;
            let to = if ev.get(field::blockers) & binds != 0 { field::sport } else { field::dport };
            ev.set(to, p);
        }
        if self.log_same.is_some() || self.log_new.is_some() {
            for (k, v) in [("log_same_exec", self.log_same), ("log_new_exec", self.log_new)] {
                if let Some(v) = v {
                    ev.push_extra(k, if v { b"1" } else { b"0" });
                }
            }
            // The April 2026 revision logged a denial when the matching
            // flag for same_exec was set.
            let same = ev.get(field::same_exec) != 0;
            let logged = if same { self.log_same.unwrap_or(true) } else { self.log_new.unwrap_or(false) };
            if kind.field_type(field::logged).is_some() {
                ev.set(field::logged, u64::from(logged));
            }
        }
    }
}

/// Room for the longest [`dev_text`]: `4095:1048575`.
pub const DEV_TEXT_MAX: usize = 24;

/// A kernel `dev_t` (major << 20 | minor) as `MAJOR:MINOR`, without
/// allocating.
pub fn dev_text(d: u64, buf: &mut [u8; DEV_TEXT_MAX]) -> &[u8] {
    use std::io::Write;
    let mut w = &mut buf[..];
    let _ = write!(w, "{}:{}", d >> 20, d & 0xfffff);
    let left = w.len();
    &buf[..DEV_TEXT_MAX - left]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_is_major_minor() {
        let mut buf = [0; DEV_TEXT_MAX];
        assert_eq!(dev_text((254 << 20) | 1, &mut buf), b"254:1");
        assert_eq!(dev_text(u64::MAX, &mut buf), b"17592186044415:1048575");
    }
}
