//! Processes, signals, clocks and capabilities for live tracing: the
//! traced command (started only once every probe is attached), `-p`,
//! Ctrl-C and SIGTERM as file descriptors, and dropping the capabilities
//! landtrace no longer needs after attaching.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::process::ExitStatus;

pub const CAP_DAC_OVERRIDE: u32 = 1;
pub const CAP_DAC_READ_SEARCH: u32 = 2;
pub const CAP_AUDIT_CONTROL: u32 = 30;
pub const CAP_SYS_ADMIN: u32 = 21;
pub const CAP_AUDIT_READ: u32 = 37;
pub const CAP_PERFMON: u32 = 38;
pub const CAP_BPF: u32 = 39;

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

const CAP_V3: u32 = 0x2008_0522;

fn capget() -> io::Result<[CapData; 2]> {
    let mut h = CapHeader { version: CAP_V3, pid: 0 };
    let mut d = [CapData::default(); 2];
    // SAFETY: capget with a v3 header fills two CapData.
    let rc = unsafe { libc::syscall(libc::SYS_capget, &raw mut h, d.as_mut_ptr()) };
    if rc < 0 { Err(io::Error::last_os_error()) } else { Ok(d) }
}

/// The effective capability set, as a 64-bit mask.
pub fn effective_caps() -> u64 {
    capget().map_or(0, |d| u64::from(d[0].effective) | u64::from(d[1].effective) << 32)
}

pub fn has_cap(cap: u32) -> bool {
    effective_caps() & (1 << cap) != 0
}

/// Whether this process may load and attach BPF tracing programs.
pub fn can_trace() -> bool {
    (has_cap(CAP_BPF) && has_cap(CAP_PERFMON)) || has_cap(CAP_SYS_ADMIN)
}

/// Drops every capability but `keep` from the effective and permitted sets
/// (the thread's; landtrace is single-threaded when it calls this).
pub fn drop_caps_except(keep: u64) -> io::Result<()> {
    let mut d = capget()?;
    for (i, c) in d.iter_mut().enumerate() {
        let k = (keep >> (32 * i)) as u32;
        c.effective &= k;
        c.permitted &= k;
        c.inheritable &= k;
    }
    let mut h = CapHeader { version: CAP_V3, pid: 0 };
    // SAFETY: capset with a v3 header reads two CapData.
    let rc = unsafe { libc::syscall(libc::SYS_capset, &raw mut h, d.as_ptr()) };
    if rc < 0 { Err(io::Error::last_os_error()) } else { Ok(()) }
}

/// `CLOCK_REALTIME` minus `CLOCK_MONOTONIC`, in nanoseconds: added to a
/// monotonic time, the Unix time.
pub fn boot_offset_ns() -> i64 {
    fn now(clock: libc::clockid_t) -> i64 {
        // SAFETY: timespec is plain data, filled by clock_gettime.
        let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
        // SAFETY: valid clock and pointer.
        unsafe { libc::clock_gettime(clock, &raw mut ts) };
        ts.tv_sec * 1_000_000_000 + ts.tv_nsec
    }
    now(libc::CLOCK_REALTIME) - now(libc::CLOCK_MONOTONIC)
}

/// `CLOCK_MONOTONIC` now, in nanoseconds (the time of BPF events).
pub fn monotonic_ns() -> u64 {
    // SAFETY: as above.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: valid clock and pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &raw mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

pub fn gettid() -> u32 {
    // SAFETY: gettid has no arguments and cannot fail.
    unsafe { libc::syscall(libc::SYS_gettid) as u32 }
}

/// A pidfd: readable when the process exits.
pub fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    // SAFETY: pidfd_open(2); the result is checked.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a new descriptor we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// The command of `-c`: started blocked before exec, released once every
/// probe is attached, so that none of its events is missed.
///
/// It is forked by hand: std's `Command` waits for the exec to happen,
/// which here only happens after the release.
pub struct TracedCommand {
    pid: u32,
    release: Option<OwnedFd>,
    pub pidfd: OwnedFd,
    status: Option<ExitStatus>,
}

impl TracedCommand {
    /// Starts `/bin/sh -c CMD`, blocked until [`TracedCommand::release`].
    pub fn spawn(cmd: &str) -> io::Result<TracedCommand> {
        use std::ffi::CString;
        let sh = CString::new("/bin/sh").expect("no NUL");
        let dash_c = CString::new("-c").expect("no NUL");
        let script = CString::new(cmd)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in the command"))?;
        let argv = [sh.as_ptr(), dash_c.as_ptr(), script.as_ptr(), std::ptr::null()];
        let mut fds = [0; 2];
        // SAFETY: pipe2 fills two descriptors.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
            return Err(io::Error::last_os_error());
        }
        let (read_fd, write_fd) = (fds[0], fds[1]);
        // SAFETY: the child only calls async-signal-safe functions (close,
        // read, sigprocmask, execv, _exit) on memory prepared before fork.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            let e = io::Error::last_os_error();
            // SAFETY: closing the pipe we made.
            unsafe {
                libc::close(read_fd);
                libc::close(write_fd);
            }
            return Err(e);
        }
        if pid == 0 {
            // SAFETY: in the child, see above.
            unsafe {
                libc::close(write_fd);
                let mut b = [0u8; 1];
                // EOF without a byte: landtrace gave up, do not run CMD.
                if libc::read(read_fd, b.as_mut_ptr().cast(), 1) != 1 {
                    libc::_exit(127);
                }
                // The child must not inherit landtrace's blocked signals.
                let mut none: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&raw mut none);
                libc::sigprocmask(libc::SIG_SETMASK, &raw const none, std::ptr::null_mut());
                libc::execv(argv[0], argv.as_ptr());
                libc::_exit(127);
            }
        }
        // SAFETY: the parent owns the write end; the read end is the child's.
        unsafe { libc::close(read_fd) };
        // SAFETY: a new descriptor we own.
        let release = unsafe { OwnedFd::from_raw_fd(write_fd) };
        let pidfd = pidfd_open(pid as u32)?;
        Ok(TracedCommand { pid: pid as u32, release: Some(release), pidfd, status: None })
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Lets the command run.
    pub fn release(&mut self) -> io::Result<()> {
        if let Some(w) = self.release.take() {
            // SAFETY: w is a valid pipe descriptor.
            let n = unsafe { libc::write(w.as_raw_fd(), b"g".as_ptr().cast(), 1) };
            if n != 1 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(())
    }

    /// Waits for the command to end and returns its status.
    pub fn wait(&mut self) -> io::Result<ExitStatus> {
        use std::os::unix::process::ExitStatusExt;
        if let Some(s) = self.status {
            return Ok(s);
        }
        // Never released: closing the pipe makes it exit without running.
        self.release.take();
        let mut status = 0;
        loop {
            // SAFETY: waiting for our own child.
            let rc = unsafe { libc::waitpid(self.pid as libc::pid_t, &raw mut status, 0) };
            if rc >= 0 {
                break;
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
        let s = ExitStatus::from_raw(status);
        self.status = Some(s);
        Ok(s)
    }
}

impl Drop for TracedCommand {
    fn drop(&mut self) {
        if self.status.is_none() {
            // Do not leave a zombie, nor a command that was never meant to run.
            let _ = self.wait();
        }
    }
}

/// The signals that end a run ([`crate::stop::SIGNALS`]) as a readable
/// descriptor. While it lives, they are blocked in this thread (and the
/// threads it starts) and arrive here instead.
pub struct Signals {
    fd: OwnedFd,
    old: libc::sigset_t,
}

impl Signals {
    pub fn new() -> io::Result<Signals> {
        let set = crate::stop::signal_set();
        // SAFETY: masks and a signalfd of initialised sets.
        unsafe {
            let mut old: libc::sigset_t = std::mem::zeroed();
            if libc::pthread_sigmask(libc::SIG_BLOCK, &raw const set, &raw mut old) != 0 {
                return Err(io::Error::last_os_error());
            }
            let fd = libc::signalfd(-1, &raw const set, libc::SFD_CLOEXEC | libc::SFD_NONBLOCK);
            if fd < 0 {
                let e = io::Error::last_os_error();
                libc::pthread_sigmask(libc::SIG_SETMASK, &raw const old, std::ptr::null_mut());
                return Err(e);
            }
            Ok(Signals { fd: OwnedFd::from_raw_fd(fd), old })
        }
    }

    pub fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// The signal that arrived, if any.
    pub fn take(&self) -> Option<i32> {
        // SAFETY: signalfd_siginfo is plain data read from the signalfd.
        let mut info: libc::signalfd_siginfo = unsafe { std::mem::zeroed() };
        let size = std::mem::size_of::<libc::signalfd_siginfo>();
        // SAFETY: info is valid for `size` bytes.
        let n = unsafe { libc::read(self.fd.as_raw_fd(), (&raw mut info).cast(), size) };
        (n as usize == size).then_some(info.ssi_signo as i32)
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        // SAFETY: restores the mask saved in `new`.
        unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &raw const self.old, std::ptr::null_mut()) };
    }
}

/// Waits for any descriptor to be readable, or the timeout (None: forever).
/// Returns the readable ones.
pub fn poll(fds: &[RawFd], timeout_ms: Option<i64>) -> io::Result<Vec<RawFd>> {
    let mut pfds: Vec<libc::pollfd> =
        fds.iter().map(|&fd| libc::pollfd { fd, events: libc::POLLIN, revents: 0 }).collect();
    let t = timeout_ms.map_or(-1, |t| t.clamp(0, i64::from(i32::MAX)) as i32);
    // SAFETY: pfds is a valid array of its length.
    let n = unsafe { libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, t) };
    if n < 0 {
        let e = io::Error::last_os_error();
        if e.kind() == io::ErrorKind::Interrupted {
            return Ok(Vec::new());
        }
        return Err(e);
    }
    Ok(pfds.iter().filter(|p| p.revents != 0).map(|p| p.fd).collect())
}

/// Whether process `pid` is alive (for `-p`).
pub fn alive(pid: u32) -> bool {
    // SAFETY: signal 0 only checks the process exists.
    unsafe { libc::kill(pid as libc::pid_t, 0) == 0 || *libc::__errno_location() == libc::EPERM }
}

/// Whether `pid` descends from `root` (via /proc; false once it is gone).
pub fn descends_from(pid: u32, root: u32) -> bool {
    let mut p = pid;
    for _ in 0..64 {
        if p == root {
            return true;
        }
        if p <= 1 {
            return false;
        }
        let Ok(status) = std::fs::read_to_string(format!("/proc/{p}/status")) else { return false };
        let Some(ppid) =
            status.lines().find_map(|l| l.strip_prefix("PPid:")).and_then(|v| v.trim().parse().ok())
        else {
            return false;
        };
        p = ppid;
    }
    false
}
