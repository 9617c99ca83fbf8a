//! The compat source: the compat object's probes on the Landlock syscalls,
//! close and fork, decoded by [`CompatDecoder`].

use super::{Feed, LiveSource};
use crate::live::compat::{CompatDecoder, Decoded};
use crate::live::{LiveError, LiveSummary, POLL_INTERVAL, landlock_abi, proc};
use landtrace_probes::loader::{ProbeError, ProbeSet, Tracker};
use landtrace_probes::records::{self, Config};
use std::io::{self, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::time::{Duration, Instant};

/// The handled-fs mask of the calibration ruleset: distinctive, and only
/// rights of Landlock ABI 1, which every kernel with Landlock supports.
pub(in crate::live) const CALIBRATION_MASK: u32 = 0x0a5a;

pub(in crate::live) struct CompatSource {
    set: ProbeSet,
    decoder: CompatDecoder,
}

impl CompatSource {
    /// Loads and attaches the compat probes (tracking `root` and its
    /// children only, if given), then finds where this kernel keeps the
    /// Landlock credential blob.
    pub fn open(
        ring_bytes: u32,
        config: &mut Config,
        root: Option<u32>,
        boot: i64,
        close: bool,
        err: &mut dyn Write,
    ) -> Result<CompatSource, LiveError> {
        let mut set = ProbeSet::compat(ring_bytes)?;
        set.set_config(*config)?;
        if let Some(pid) = root {
            set.track(pid)?;
        }
        set.attach_compat(close)?;
        if landlock_abi() >= 1 {
            let off = calibrate(&mut set, config)?;
            if off < 0 {
                let _ = writeln!(
                    err,
                    "landtrace: warning: could not find the Landlock credential blob; create_domain will have no domain IDs"
                );
            }
        }
        // Before ABI 7 Landlock logs no denial: see them in its own hook
        // functions, where the kernel allows fexit programs.
        if crate::live::hooks_wanted() {
            let (attached, refused) = set.attach_hooks();
            if attached.is_empty() {
                let why =
                    refused.first().map_or("no hook function".to_string(), |(f, e)| format!("{f}: {e}"));
                let _ = writeln!(
                    err,
                    "landtrace: warning: no denial will be seen: this kernel logs none (Landlock ABI < 7) and \
                     refuses the hooks on Landlock's functions ({why})"
                );
            } else {
                for (f, e) in &refused {
                    let _ = writeln!(
                        err,
                        "landtrace: note: hook {f} not attached ({e}): its denials are not seen"
                    );
                }
            }
        }
        Ok(CompatSource { set, decoder: CompatDecoder::new(boot) })
    }
}

impl LiveSource for CompatSource {
    fn describe(&self) -> String {
        format!("compat ({} probes)", self.set.attached().len())
    }

    fn fd(&mut self) -> Result<RawFd, LiveError> {
        Ok(self.set.ring()?.as_raw_fd())
    }

    fn wake_by(&self, now: Instant) -> Option<Instant> {
        // The probes wake us only once records pile up.
        Some(now + POLL_INTERVAL)
    }

    fn trails(&self) -> bool {
        false
    }

    fn sees_domains(&self) -> bool {
        true
    }

    fn keeps_caps(&self) -> u64 {
        1 << proc::CAP_BPF
    }

    fn take_tracker(&mut self) -> Option<Result<Tracker, ProbeError>> {
        Some(self.set.take_tracker())
    }

    fn drain(&mut self, feed: &mut Feed) -> Result<(), LiveError> {
        let ring = self.set.ring()?;
        while let Some(bytes) = ring.next() {
            if self.decoder.decode(&bytes, |e| feed.scoped(e)) == Decoded::Skipped {
                feed.summary.undecoded += 1;
            }
        }
        Ok(())
    }

    fn account(&mut self, summary: &mut LiveSummary) {
        summary.lost_ring += self.set.lost();
        summary.missed += self.set.missed();
    }

    fn telemetry(&mut self, t: &mut crate::metrics::Telemetry) {
        t.lost += self.set.lost() + self.set.missed();
    }
}

/// Finds the offset of the Landlock blob in `cred->security`: a thread
/// restricts itself with a distinctive handled mask, and the probe reports
/// the credential slot whose domain carries it.
fn calibrate(set: &mut ProbeSet, config: &mut Config) -> Result<i32, LiveError> {
    let (tid_tx, tid_rx) = std::sync::mpsc::channel();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("calibrate".into())
        .spawn(move || -> io::Result<()> {
            let _ = tid_tx.send(proc::gettid());
            if go_rx.recv().is_err() {
                return Ok(());
            }
            let attr: [u64; 1] = [u64::from(CALIBRATION_MASK)];
            // SAFETY: landlock_create_ruleset with a valid 8-byte attr.
            let fd = unsafe { libc::syscall(444, attr.as_ptr(), 8usize, 0u32) };
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            // SAFETY: affects only this thread, which ends right after.
            unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
            // SAFETY: restricts only this thread (no TSYNC).
            let rc = unsafe { libc::syscall(446, fd as i32, 0u32) };
            let err = io::Error::last_os_error();
            // SAFETY: fd is ours.
            unsafe { libc::close(fd as i32) };
            if rc != 0 { Err(err) } else { Ok(()) }
        })
        .map_err(LiveError::CalibrationThread)?;
    let tid = tid_rx.recv().map_err(|_| LiveError::CalibrationLost("died"))?;
    config.calibration_tid = tid;
    set.set_config(*config)?;
    let _ = go_tx.send(());
    thread.join().map_err(|_| LiveError::CalibrationLost("panicked"))?.map_err(LiveError::Calibration)?;
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut offset = None;
    while offset.is_none() && Instant::now() < deadline {
        let ring = set.ring()?;
        while let Some(item) = ring.next() {
            if let Some((records::kind::CALIBRATION, _)) = records::peek(&item) {
                offset = records::read::<records::Calibration>(&item).map(|c| c.offset);
            }
        }
        if offset.is_none() {
            let fd = set.ring()?.as_raw_fd();
            let _ = proc::poll(&[fd], Some(50));
        }
    }
    config.calibration_tid = 0;
    let offset = offset.unwrap_or(-1);
    config.cred_offset = offset;
    set.set_config(*config)?;
    Ok(offset)
}
