//! The audit source: Landlock's audit records, read from NETLINK_AUDIT.
//!
//! landtrace joins the read-log multicast group, so it receives a copy of
//! every record without displacing a running audit daemon (it never sets
//! the audit pid). If audit is disabled, it is enabled for the run and the
//! previous setting is restored when the [`AuditSource`] is dropped: at the
//! normal end, on Ctrl-C and SIGTERM (which end the run normally), on error
//! and on panic (both unwind through the drop).

use crate::replay::audit::{self as decode, AuditDecoder};
use crate::source::Pending;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

const AUDIT_GET: u16 = 1000;
const AUDIT_SET: u16 = 1001;
const AUDIT_STATUS_ENABLED: u32 = 1;
/// The read-log multicast group.
const AUDIT_NLGRP_READLOG: u32 = 1;
const NLMSG_ERROR: u16 = 2;
const NLMSG_HDRLEN: usize = 16;

/// Records of one event that arrive apart are grouped this long at most.
const GROUP_WAIT: Duration = Duration::from_millis(100);

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
        libc::bind(
            fd.as_raw_fd(),
            (&addr as *const libc::sockaddr_nl).cast(),
            std::mem::size_of::<libc::sockaddr_nl>() as u32,
        )
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
            (&tv as *const libc::timeval).cast(),
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
        unsafe { std::ptr::copy_nonoverlapping(body.as_ptr(), (&mut s as *mut AuditStatus).cast::<u8>(), n) };
        Ok(s)
    }

    fn set_enabled(&mut self, enabled: u32) -> io::Result<()> {
        let s = AuditStatus { mask: AUDIT_STATUS_ENABLED, enabled, ..AuditStatus::default() };
        // SAFETY: AuditStatus is plain data; we send its bytes.
        let bytes = unsafe {
            std::slice::from_raw_parts(
                (&s as *const AuditStatus).cast::<u8>(),
                std::mem::size_of::<AuditStatus>(),
            )
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

/// Audit records as they are logged.
pub struct AuditSource {
    reader: OwnedFd,
    control: Control,
    decoder: AuditDecoder,
    /// The enabled value to put back, if landtrace changed it.
    restore: Option<u32>,
    lost_at_start: u32,
    /// When the oldest group still open was started.
    open_since: Option<Instant>,
    buf: Vec<u8>,
    /// Records that could not be parsed.
    pub malformed: u64,
}

impl AuditSource {
    /// Joins the read-log group and enables audit if it is off.
    pub fn open() -> io::Result<AuditSource> {
        let mut control = Control::open()?;
        let status = control.status()?;
        let reader = netlink_socket(1 << (AUDIT_NLGRP_READLOG - 1))?;
        let mut restore = None;
        if status.enabled == 0 {
            control.set_enabled(1)?;
            restore = Some(0);
        }
        Ok(AuditSource {
            reader,
            control,
            decoder: AuditDecoder::default(),
            restore,
            lost_at_start: status.lost,
            open_since: None,
            buf: vec![0u8; 1 << 16],
            malformed: 0,
        })
    }

    /// Whether landtrace enabled audit for this run (and will restore it).
    pub fn changed_settings(&self) -> bool {
        self.restore.is_some()
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
                    // The kernel dropped multicast copies: counted in `lost`.
                    _ if e.raw_os_error() == Some(libc::ENOBUFS) => continue,
                    _ => Err(e),
                };
            }
            let data = self.buf[..n as usize].to_vec();
            for (t, body) in messages(&data) {
                if !(decode::AUDIT_SYSCALL..=decode::AUDIT_LANDLOCK_DOMAIN + 100).contains(&t) {
                    continue;
                }
                match decode::parse_payload(t, body) {
                    Ok(rec) => {
                        if self.decoder.record(rec, out).is_err() {
                            self.malformed += 1;
                        }
                        self.open_since.get_or_insert_with(Instant::now);
                    }
                    Err(_) => self.malformed += 1,
                }
            }
        }
    }

    /// When open groups must be flushed (records without a syscall have no
    /// end marker); `None` when nothing is waiting.
    pub fn flush_deadline(&self) -> Option<Instant> {
        self.open_since.map(|t| t + GROUP_WAIT)
    }

    /// Queues the events of every group still open.
    pub fn flush(&mut self, out: &mut Pending) {
        self.decoder.flush(out);
        self.open_since = None;
    }

    /// Records the kernel dropped since the start (its `lost` counter).
    pub fn lost(&mut self) -> u64 {
        self.control.status().map_or(0, |s| s.lost.saturating_sub(self.lost_at_start) as u64)
    }
}

impl Drop for AuditSource {
    fn drop(&mut self) {
        if let Some(enabled) = self.restore.take()
            && let Err(e) = self.control.set_enabled(enabled)
        {
            eprintln!("landtrace: warning: could not restore the audit setting (enabled={enabled}): {e}");
        }
    }
}

/// The kernel's current audit status (for tests and `--source` checks).
pub fn status() -> io::Result<AuditStatus> {
    Control::open()?.status()
}
