//! The audit source: Landlock's audit records, read from `NETLINK_AUDIT`.
//!
//! landtrace joins the read-log multicast group, so it receives a copy of
//! every record without displacing a running audit daemon (it never sets
//! the audit pid). If audit is disabled, it is enabled for the run, shared
//! with every other landtrace through [`audit_claim`](super::audit_claim):
//! the last one to leave disables it again, if it is still as landtrace
//! left it. A run leaves when the [`AuditSource`] is released or dropped
//! (the normal end, every terminating signal, an error, a panic); a
//! watchdog process releases the claim of a landtrace that dies hard.

use super::audit_claim::{self, AuditControl, Claim, Release, User};
use landtrace_trace::Pending;
use landtrace_trace::audit::{self as decode, AuditDecoder};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;
use std::time::{Duration, Instant};

const AUDIT_GET: u16 = 1000;
const AUDIT_SET: u16 = 1001;
const AUDIT_STATUS_ENABLED: u32 = 1;
/// The read-log multicast group.
const AUDIT_NLGRP_READLOG: u32 = 1;
const NLMSG_ERROR: u16 = 2;
const NLMSG_HDRLEN: usize = 16;

/// Records of one event that arrive apart are grouped this long at most.
/// A group with a SYSCALL record ends at its EOE, at once; this bounds the
/// wait of the others and of a SYSCALL record late on a loaded machine
/// (at 100 ms, a busy test run once lost a denial's task).
const GROUP_WAIT: Duration = Duration::from_millis(500);

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct AuditStatus {
    pub mask: u32,
    pub enabled: u32,
    pub failure: u32,
    pub pid: u32,
    pub rate_limit: u32,
    pub backlog_limit: u32,
    pub lost: u32,
    pub backlog: u32,
    pub feature_bitmap: u32,
    pub backlog_wait_time: u32,
    pub backlog_wait_time_actual: u32,
}

fn netlink_socket(groups: u32) -> io::Result<OwnedFd> {
    // SAFETY: plain socket(2); the result is checked.
    let fd =
        unsafe { libc::socket(libc::AF_NETLINK, libc::SOCK_RAW | libc::SOCK_CLOEXEC, libc::NETLINK_AUDIT) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd is a new, valid descriptor we own.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: sockaddr_nl is plain data; zero is a valid start.
    let mut addr: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    addr.nl_family = libc::AF_NETLINK as u16;
    addr.nl_groups = groups;
    // SAFETY: addr is a valid sockaddr_nl of the size given.
    let rc = unsafe {
        libc::bind(fd.as_raw_fd(), (&raw const addr).cast(), std::mem::size_of::<libc::sockaddr_nl>() as u32)
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    // Never wait forever on the kernel's answer.
    let tv = libc::timeval { tv_sec: 2, tv_usec: 0 };
    // SAFETY: a valid timeval of the size given.
    unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&raw const tv).cast(),
            std::mem::size_of::<libc::timeval>() as u32,
        )
    };
    Ok(fd)
}

/// The control connection: reads and changes the audit status.
struct Control {
    fd: OwnedFd,
    seq: u32,
}

impl Control {
    fn open() -> io::Result<Control> {
        Ok(Control { fd: netlink_socket(0)?, seq: 1 })
    }

    fn request(&mut self, kind: u16, payload: &[u8]) -> io::Result<Vec<u8>> {
        self.seq += 1;
        let len = NLMSG_HDRLEN + payload.len();
        let mut msg = Vec::with_capacity(len);
        msg.extend_from_slice(&(len as u32).to_ne_bytes());
        msg.extend_from_slice(&kind.to_ne_bytes());
        let flags = (libc::NLM_F_REQUEST | libc::NLM_F_ACK) as u16;
        msg.extend_from_slice(&flags.to_ne_bytes());
        msg.extend_from_slice(&self.seq.to_ne_bytes());
        msg.extend_from_slice(&0u32.to_ne_bytes());
        msg.extend_from_slice(payload);
        // SAFETY: msg is a valid buffer of len bytes.
        let rc = unsafe { libc::send(self.fd.as_raw_fd(), msg.as_ptr().cast(), msg.len(), 0) };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        // Read until the ack (and, for AUDIT_GET, the status) come back.
        let mut reply = Vec::new();
        let mut buf = vec![0u8; 8192];
        for _ in 0..16 {
            // SAFETY: buf is valid for its length.
            let n = unsafe { libc::recv(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
            if n < 0 {
                return Err(io::Error::last_os_error());
            }
            for (t, body) in messages(&buf[..n as usize]) {
                match t {
                    NLMSG_ERROR => {
                        let errno =
                            i32::from_ne_bytes(body.get(..4).unwrap_or(&[0; 4]).try_into().expect("4 bytes"));
                        if errno != 0 {
                            return Err(io::Error::from_raw_os_error(-errno));
                        }
                        if kind != AUDIT_GET || !reply.is_empty() {
                            return Ok(reply);
                        }
                    }
                    t if t == kind => {
                        reply = body.to_vec();
                        if kind == AUDIT_GET {
                            return Ok(reply);
                        }
                    }
                    _ => {}
                }
            }
        }
        Err(io::Error::new(io::ErrorKind::TimedOut, "no answer from the audit subsystem"))
    }

    fn status(&mut self) -> io::Result<AuditStatus> {
        let body = self.request(AUDIT_GET, &[])?;
        let mut s = AuditStatus::default();
        let n = body.len().min(std::mem::size_of::<AuditStatus>());
        // SAFETY: AuditStatus is plain u32 fields; at most its size is copied.
        unsafe { std::ptr::copy_nonoverlapping(body.as_ptr(), (&raw mut s).cast::<u8>(), n) };
        Ok(s)
    }

    fn set_enabled(&mut self, enabled: u32) -> io::Result<()> {
        let s = AuditStatus { mask: AUDIT_STATUS_ENABLED, enabled, ..AuditStatus::default() };
        // SAFETY: AuditStatus is plain data; we send its bytes.
        let bytes = unsafe {
            std::slice::from_raw_parts((&raw const s).cast::<u8>(), std::mem::size_of::<AuditStatus>())
        };
        self.request(AUDIT_SET, bytes).map(|_| ())
    }
}

/// (type, payload) of every netlink message in a datagram.
fn messages(mut b: &[u8]) -> Vec<(u16, &[u8])> {
    let mut out = Vec::new();
    while b.len() >= NLMSG_HDRLEN {
        let len = u32::from_ne_bytes(b[0..4].try_into().expect("4 bytes")) as usize;
        let t = u16::from_ne_bytes(b[4..6].try_into().expect("2 bytes"));
        if len < NLMSG_HDRLEN || len > b.len() {
            // Audit sometimes sets a length that does not count the text.
            out.push((t, &b[NLMSG_HDRLEN..]));
            break;
        }
        out.push((t, &b[NLMSG_HDRLEN..len]));
        let next = (len + 3) & !3;
        if next >= b.len() {
            break;
        }
        b = &b[next..];
    }
    out
}

impl AuditControl for Control {
    fn enabled(&mut self) -> io::Result<u32> {
        Ok(self.status()?.enabled)
    }

    fn set_enabled(&mut self, v: u32) -> io::Result<()> {
        Control::set_enabled(self, v)
    }
}

/// Audit records as they are logged.
pub struct AuditSource {
    reader: OwnedFd,
    control: Control,
    decoder: AuditDecoder,
    /// This run's registration as a user of audit.
    claim: Option<Claim>,
    lost_at_start: u32,
    buf: Vec<u8>,
    /// Records that could not be parsed.
    pub malformed: u64,
    /// Times the socket overflowed (ENOBUFS): each lost one record or more.
    pub overflows: u64,
}

impl AuditSource {
    /// Joins the read-log group and enables audit if it is off (and no
    /// other landtrace has it). `watchdog`: the landtrace binary, run once
    /// per process as the watchdog that releases the claim if this process
    /// dies without doing it.
    pub fn open(watchdog: Option<&Path>) -> io::Result<AuditSource> {
        let mut control = Control::open()?;
        let status = control.status()?;
        let reader = netlink_socket(1 << (AUDIT_NLGRP_READLOG - 1))?;
        // A denial flood outruns a default-sized socket buffer.
        grow_receive_buffer(reader.as_raw_fd(), READER_BUFFER);
        let claim = Claim::acquire(&mut control, Path::new(audit_claim::STATE))
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", audit_claim::STATE)))?;
        if let Some(exe) = watchdog {
            start_watchdog(exe, claim.user());
        }
        Ok(AuditSource {
            reader,
            control,
            decoder: AuditDecoder::default(),
            claim: Some(claim),
            lost_at_start: status.lost,
            buf: vec![0u8; 1 << 16],
            malformed: 0,
            overflows: 0,
        })
    }

    /// What the run should say as it starts (audit left enabled by a
    /// landtrace that died).
    pub fn note(&self) -> Option<&str> {
        self.claim.as_ref().and_then(|c| c.note.as_deref())
    }

    /// Leaves audit: the last landtrace using it disables it again if it
    /// is still as landtrace left it. Once only (the drop does it too).
    pub fn release(&mut self) -> io::Result<Release> {
        match self.claim.as_mut() {
            Some(c) => {
                let r = c.release(&mut self.control);
                self.claim = None;
                r
            }
            None => Ok(Release::Untouched),
        }
    }

    pub fn fd(&self) -> RawFd {
        self.reader.as_raw_fd()
    }

    /// Reads what is waiting on the socket (without blocking) and queues the
    /// events of every complete group.
    pub fn read(&mut self, out: &mut Pending) -> io::Result<()> {
        loop {
            // SAFETY: buf is valid for its length.
            let n = unsafe {
                libc::recv(
                    self.reader.as_raw_fd(),
                    self.buf.as_mut_ptr().cast(),
                    self.buf.len(),
                    libc::MSG_DONTWAIT,
                )
            };
            if n < 0 {
                let e = io::Error::last_os_error();
                return match e.kind() {
                    io::ErrorKind::WouldBlock => Ok(()),
                    io::ErrorKind::Interrupted => continue,
                    // The socket overflowed: the kernel dropped at least
                    // one record meant for it (not in audit's own counter).
                    _ if e.raw_os_error() == Some(libc::ENOBUFS) => {
                        self.overflows += 1;
                        continue;
                    }
                    _ => Err(e),
                };
            }
            for (t, body) in messages(&self.buf[..n as usize]) {
                if !(decode::AUDIT_SYSCALL..=decode::AUDIT_LANDLOCK_DOMAIN + 100).contains(&t) {
                    continue;
                }
                let mut rec = self.decoder.spare_record();
                match decode::parse_payload_into(t, body, &mut rec) {
                    Ok(()) => {
                        if self.decoder.record(rec, out).is_err() {
                            self.malformed += 1;
                        }
                    }
                    Err(_) => self.malformed += 1,
                }
            }
        }
    }

    /// When the oldest open group must be flushed (records without a
    /// syscall have no end marker); `None` when nothing is waiting.
    pub fn flush_deadline(&self) -> Option<Instant> {
        self.decoder.oldest().map(|t| t + GROUP_WAIT)
    }

    /// Queues the events of the groups open for [`GROUP_WAIT`] (younger
    /// ones may still get their SYSCALL record), or of every group at the
    /// end of the run.
    pub fn flush(&mut self, out: &mut Pending, all: bool) {
        if all {
            self.decoder.flush(out);
        } else {
            self.decoder.flush_older(GROUP_WAIT, out);
        }
    }

    /// Records dropped at landtrace's own socket (its buffer was full):
    /// exact where /proc/net/netlink says, else one per overflow seen.
    pub fn socket_lost(&self) -> u64 {
        socket_drops(self.reader.as_raw_fd()).unwrap_or(0).max(self.overflows)
    }

    /// Records the kernel dropped since the start (its `lost` counter).
    pub fn lost(&mut self) -> u64 {
        self.control.status().map_or(0, |s| u64::from(s.lost.saturating_sub(self.lost_at_start)))
    }
}

impl Drop for AuditSource {
    fn drop(&mut self) {
        if let Err(e) = self.release() {
            eprintln!("landtrace: warning: could not restore the audit setting: {e}");
        }
    }
}

/// Records the kernel dropped at a netlink socket because its buffer was
/// full: the `Drops` column of /proc/net/netlink for the socket's inode
/// (one ENOBUFS error stands for any number of them).
fn socket_drops(fd: RawFd) -> Option<u64> {
    // SAFETY: fstat fills a stat for a descriptor we own.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(fd, &raw mut st) } != 0 {
        return None;
    }
    let table = std::fs::read_to_string("/proc/net/netlink").ok()?;
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next()?.split_whitespace().collect();
    let (drops_at, inode_at) =
        (header.iter().position(|h| *h == "Drops")?, header.iter().position(|h| *h == "Inode")?);
    lines.find_map(|l| {
        let cols: Vec<&str> = l.split_whitespace().collect();
        (cols.get(inode_at)?.parse::<u64>().ok()? == st.st_ino).then(|| cols.get(drops_at)?.parse().ok())?
    })
}

/// The receive buffer asked for the record socket.
const READER_BUFFER: i32 = 32 << 20;

/// Raises a socket's receive buffer: past the system's limit as root
/// (`SO_RCVBUFFORCE`), else as far as the limit allows.
fn grow_receive_buffer(fd: RawFd, bytes: i32) {
    let size = std::mem::size_of::<i32>() as u32;
    for opt in [libc::SO_RCVBUFFORCE, libc::SO_RCVBUF] {
        // SAFETY: a valid int option of the size given.
        let rc = unsafe { libc::setsockopt(fd, libc::SOL_SOCKET, opt, (&raw const bytes).cast(), size) };
        if rc == 0 {
            return;
        }
    }
}

/// Starts the watchdog once per process: `EXE __audit-watchdog PID START`,
/// in its own process group (Ctrl-C on the terminal does not reach it).
fn start_watchdog(exe: &Path, me: User) {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        use std::os::unix::process::CommandExt;
        let spawned = std::process::Command::new(exe)
            .args(["__audit-watchdog", &me.pid.to_string(), &me.start.to_string()])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .process_group(0)
            .spawn();
        if let Err(e) = spawned {
            eprintln!(
                "landtrace: warning: no audit watchdog ({e}): if landtrace is killed, audit stays enabled"
            );
        }
    });
}

/// The watchdog process: waits for landtrace `pid` (started at `start`) to
/// end, then releases its claim on audit if it did not. Returns the exit
/// status.
pub fn watchdog_main(pid: u32, start: u64) -> i32 {
    for sig in [libc::SIGINT, libc::SIGHUP, libc::SIGTERM, libc::SIGQUIT] {
        // SAFETY: ignoring a signal has no preconditions.
        unsafe { libc::signal(sig, libc::SIG_IGN) };
    }
    let user = User { pid, start };
    let result =
        Control::open().and_then(|mut c| audit_claim::watch(&mut c, Path::new(audit_claim::STATE), user));
    match result {
        Ok(Release::Disabled) => {
            eprintln!(
                "landtrace: audit was enabled by landtrace (pid {pid}), which ended without disabling it: disabled again"
            );
            0
        }
        Ok(_) => 0,
        Err(e) => {
            eprintln!("landtrace: audit watchdog: {e}");
            1
        }
    }
}

/// The kernel's current audit status (for tests and `--source` checks).
pub fn status() -> io::Result<AuditStatus> {
    Control::open()?.status()
}

/// Sets audit's enabled flag, as an administrator would with `auditctl -e`
/// (for tests of what landtrace does when the setting changes under it).
pub fn set_enabled(enabled: u32) -> io::Result<()> {
    Control::open()?.set_enabled(enabled)
}
