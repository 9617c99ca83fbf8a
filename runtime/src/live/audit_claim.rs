//! Who enabled audit, shared by every landtrace on the machine.
//!
//! The rule: the first landtrace that needs audit while it is disabled
//! enables it and records that in [`STATE`]; every landtrace using audit
//! adds itself to the record's users. When the last user leaves, audit is
//! disabled again, and only if it is still as landtrace left it (enabled
//! = 1): a setting an administrator changed during the run is kept. The
//! record is read and written under an exclusive `flock`, so two
//! instances never race. A user that died is pruned (by pid and start
//! time), and a small watchdog process ([`watch`]) releases the claim of a
//! landtrace that dies without doing it itself (SIGKILL, abort).

use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Where the record lives.
pub const STATE: &str = "/run/landtrace/audit";

/// A process, told apart from a later one with the same pid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct User {
    pub pid: u32,
    pub start: u64,
}

impl User {
    pub fn me() -> User {
        let pid = std::process::id();
        User { pid, start: start_time(pid).unwrap_or(0) }
    }

    fn alive(&self) -> bool {
        start_time(self.pid) == Some(self.start)
    }
}

/// A process's start time (clock ticks since boot, /proc/PID/stat field 22).
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces: count after its ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split(' ').nth(19)?.parse().ok()
}

#[derive(Debug, Default, PartialEq)]
struct Record {
    /// A landtrace enabled audit (and the last user disables it).
    enabled_by_landtrace: bool,
    users: Vec<User>,
}

impl Record {
    fn parse(text: &str) -> Record {
        let mut r = Record::default();
        for line in text.lines() {
            match line.split_once(' ') {
                Some(("enabled_by_landtrace", v)) => r.enabled_by_landtrace = v.trim() == "1",
                Some(("user", v)) => {
                    if let Some((pid, start)) = v.trim().split_once(':')
                        && let (Ok(pid), Ok(start)) = (pid.parse(), start.parse())
                    {
                        r.users.push(User { pid, start });
                    }
                }
                _ => {}
            }
        }
        r
    }

    fn render(&self) -> String {
        let mut out = format!("enabled_by_landtrace {}\n", u8::from(self.enabled_by_landtrace));
        for u in &self.users {
            out.push_str(&format!("user {}:{}\n", u.pid, u.start));
        }
        out
    }
}

/// The record, locked until dropped.
struct Locked {
    file: File,
    record: Record,
}

impl Locked {
    fn open(path: &Path) -> io::Result<Locked> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(path)?;
        // SAFETY: flock on a descriptor we own; released when it closes.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let mut text = String::new();
        file.read_to_string(&mut text)?;
        Ok(Locked { file, record: Record::parse(&text) })
    }

    fn save(&mut self) -> io::Result<()> {
        self.file.set_len(0)?;
        self.file.rewind()?;
        self.file.write_all(self.record.render().as_bytes())
    }
}

/// Whether this process may read and write the record (before a run
/// starts, for a precise error).
pub fn check_access() -> io::Result<()> {
    Locked::open(Path::new(STATE)).map(drop)
}

/// How a run ended its use of audit.
#[derive(Debug, PartialEq, Eq)]
pub enum Release {
    /// The last user: audit was disabled again.
    Disabled,
    /// Another landtrace still uses audit: it stays enabled for it.
    StillUsed,
    /// Audit was changed while landtrace used it: left as it is.
    LeftAsChanged,
    /// Audit was enabled before landtrace came: nothing to put back.
    Untouched,
}

/// The audit status calls a claim needs (the netlink control socket).
pub trait AuditControl {
    fn enabled(&mut self) -> io::Result<u32>;
    fn set_enabled(&mut self, v: u32) -> io::Result<()>;
}

/// This process's use of audit, registered in the record.
pub struct Claim {
    path: PathBuf,
    me: User,
    /// What the run should say when it starts (audit left on by a
    /// landtrace that died).
    pub note: Option<String>,
    released: bool,
}

impl Claim {
    /// Registers this process as a user of audit, enabling audit if it is
    /// off and no landtrace has it.
    pub fn acquire(control: &mut dyn AuditControl, path: &Path) -> io::Result<Claim> {
        let mut locked = Locked::open(path)?;
        let me = User::me();
        locked.record.users.retain(|u| u.alive() && *u != me);
        let mut note = None;
        if locked.record.users.is_empty() {
            let enabled = control.enabled()?;
            if locked.record.enabled_by_landtrace && enabled == 1 {
                note = Some(
                    "audit was left enabled by a landtrace that ended without restoring it; \
                     it is disabled again when this run ends"
                        .to_string(),
                );
            } else if enabled == 0 {
                control.set_enabled(1)?;
                locked.record.enabled_by_landtrace = true;
            } else {
                locked.record.enabled_by_landtrace = false;
            }
        }
        locked.record.users.push(me);
        locked.save()?;
        Ok(Claim { path: path.to_path_buf(), me, note, released: false })
    }

    /// Whether a landtrace enabled audit (and so this run needs the right
    /// to disable it again).
    pub fn landtrace_enabled(&self) -> bool {
        Locked::open(&self.path).is_ok_and(|l| l.record.enabled_by_landtrace)
    }

    /// Leaves: the last user disables audit again if it is still as
    /// landtrace left it. Once only.
    pub fn release(&mut self, control: &mut dyn AuditControl) -> io::Result<Release> {
        if self.released {
            return Ok(Release::Untouched);
        }
        self.released = true;
        release_for(control, &self.path, self.me)
    }

    pub fn user(&self) -> User {
        self.me
    }
}

/// Leaves on behalf of `user` (itself, or a landtrace that died: the
/// watchdog). Nothing happens if `user` is not in the record.
pub fn release_for(control: &mut dyn AuditControl, path: &Path, user: User) -> io::Result<Release> {
    let mut locked = Locked::open(path)?;
    let Some(at) = locked.record.users.iter().position(|u| *u == user) else {
        return Ok(Release::Untouched);
    };
    locked.record.users.remove(at);
    locked.record.users.retain(|u| u.alive() && *u != user);
    let outcome = if !locked.record.enabled_by_landtrace {
        Release::Untouched
    } else if !locked.record.users.is_empty() {
        Release::StillUsed
    } else {
        locked.record.enabled_by_landtrace = false;
        if control.enabled()? == 1 {
            control.set_enabled(0)?;
            Release::Disabled
        } else {
            Release::LeftAsChanged
        }
    };
    locked.save()?;
    Ok(outcome)
}

/// The watchdog's work: waits until `user` exits, then releases its claim
/// if it did not (a landtrace killed by SIGKILL, or that aborted).
pub fn watch(control: &mut dyn AuditControl, path: &Path, user: User) -> io::Result<Release> {
    if user.alive() {
        let pidfd = super::proc::pidfd_open(user.pid)?;
        // Still the same process once its pidfd is open: wait for its end.
        if user.alive() {
            let _ = super::proc::poll(&[pidfd.as_raw_fd()], None)?;
        }
    }
    release_for(control, path, user)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake audit switch.
    struct Switch(u32, Vec<u32>);

    impl AuditControl for Switch {
        fn enabled(&mut self) -> io::Result<u32> {
            Ok(self.0)
        }
        fn set_enabled(&mut self, v: u32) -> io::Result<()> {
            self.0 = v;
            self.1.push(v);
            Ok(())
        }
    }

    fn state() -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "landtrace-claim-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&d);
        d.join("audit")
    }

    #[test]
    fn the_last_user_restores_and_only_what_landtrace_changed() {
        let path = state();
        let mut audit = Switch(0, vec![]);
        let mut a = Claim::acquire(&mut audit, &path).unwrap();
        assert_eq!(audit.0, 1);
        // A second user (a live process that is not us: pid 1).
        let init = User { pid: 1, start: start_time(1).unwrap() };
        let mut locked = Locked::open(&path).unwrap();
        locked.record.users.push(init);
        locked.save().unwrap();
        drop(locked);
        assert_eq!(a.release(&mut audit).unwrap(), Release::StillUsed);
        assert_eq!(audit.0, 1, "still needed by the other user");
        // The other leaves, after an administrator changed the setting.
        audit.0 = 2;
        assert_eq!(release_for(&mut audit, &path, init).unwrap(), Release::LeftAsChanged);
        assert_eq!(audit.0, 2);
        // Audit already on: nothing to put back.
        let mut audit = Switch(1, vec![]);
        let mut b = Claim::acquire(&mut audit, &path).unwrap();
        assert_eq!(b.release(&mut audit).unwrap(), Release::Untouched);
        assert!(audit.1.is_empty());
    }

    #[test]
    fn a_dead_users_claim_is_noticed_and_pruned() {
        let path = state();
        let mut audit = Switch(1, vec![]);
        // A landtrace enabled audit and died (start time 1: not alive).
        let mut locked = Locked::open(&path).unwrap();
        locked.record =
            Record { enabled_by_landtrace: true, users: vec![User { pid: std::process::id(), start: 1 }] };
        locked.save().unwrap();
        drop(locked);
        let mut c = Claim::acquire(&mut audit, &path).unwrap();
        assert!(c.note.as_deref().unwrap().contains("left enabled by a landtrace"));
        assert_eq!(c.release(&mut audit).unwrap(), Release::Disabled);
        assert_eq!(audit.0, 0);
        assert_eq!(Record::parse(&std::fs::read_to_string(&path).unwrap()), Record::default());
    }
}
