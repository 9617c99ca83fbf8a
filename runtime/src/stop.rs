//! Stopping a run from a signal. Every signal that would end the process
//! ([`SIGNALS`]: Ctrl-C, SIGTERM, SIGHUP, ...) ends the run instead, as Ctrl-C
//! does: END runs, the maps print, what landtrace changed is put back. In a
//! replay they set a flag
//! that the replay loop checks between events, and that ends a blocking
//! read of standard input: the run then ends as at the end of its input
//! (END runs, the maps print). Live runs read the same signals from a
//! signalfd instead ([`crate::live::proc::Signals`]).

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// The signals whose default action would end landtrace: each ends the
/// run instead (SIGPIPE is ignored by the Rust runtime; a closed output
/// ends the run on its own).
pub const SIGNALS: [libc::c_int; 7] =
    [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT, libc::SIGUSR1, libc::SIGUSR2, libc::SIGALRM];

/// [`SIGNALS`] as a signal set (to block them, or read them from a
/// signalfd).
pub fn signal_set() -> libc::sigset_t {
    // SAFETY: sigset operations on a local, initialised set.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&raw mut set);
        for sig in SIGNALS {
            libc::sigaddset(&raw mut set, sig);
        }
        set
    }
}

static STOP: AtomicBool = AtomicBool::new(false);
static SIGNAL: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    SIGNAL.store(sig, Ordering::Relaxed);
    STOP.store(true, Ordering::Relaxed);
}

/// How the handler behaves after the first signal.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    /// The next signal does what it would without landtrace (a second
    /// Ctrl-C ends a run whose END hangs).
    Once,
    /// Every signal stops the current run (the REPL: its queries).
    Always,
}

/// Catches [`SIGNALS`]. A blocked read is interrupted (no `SA_RESTART)`:
/// [`Interruptible`] turns that into the end of its input.
pub fn catch(repeat: Repeat) {
    for sig in SIGNALS {
        // SAFETY: installs a handler that only stores to atomics.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as *const () as usize;
            sa.sa_flags = if repeat == Repeat::Once { libc::SA_RESETHAND } else { 0 };
            libc::sigemptyset(&raw mut sa.sa_mask);
            libc::sigaction(sig, &raw const sa, std::ptr::null_mut());
        }
    }
}

/// The flag the signals set, for [`crate::engine::run_source_until`].
pub fn flag() -> &'static AtomicBool {
    &STOP
}

/// The signal that stopped the run, if one did; clears it.
pub fn take() -> Option<i32> {
    let sig = SIGNAL.swap(0, Ordering::Relaxed);
    STOP.store(false, Ordering::Relaxed);
    (sig != 0).then_some(sig)
}

/// The name of a stopping signal, for messages.
pub fn name(sig: i32) -> &'static str {
    match sig {
        libc::SIGINT => "Ctrl-C",
        libc::SIGTERM => "SIGTERM",
        libc::SIGHUP => "SIGHUP",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGALRM => "SIGALRM",
        _ => "a signal",
    }
}

/// A reader whose blocking read ends (as the end of input) once a signal
/// asked the run to stop.
pub struct Interruptible<R>(pub R);

impl<R: Read> Read for Interruptible<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if STOP.load(Ordering::Relaxed) {
                return Ok(0);
            }
            match self.0.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                r => return r,
            }
        }
    }
}
