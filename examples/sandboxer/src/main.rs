//! A small sandboxed program that produces real Landlock events.
//!
//! It creates a ruleset (filesystem, TCP and scope restrictions), adds
//! rules, restricts itself (optionally in several nested layers), then does
//! what its arguments ask, each step printing whether Landlock allowed it:
//!
//! ```text
//! sandboxer [--layers N] [--ro PATH]... [--rw PATH]... [--port PORT]...
//!           [--log-new-exec] [--no-scope] [--listen-abstract NAME]... ACTION...
//! actions:  read PATH | write PATH | bind PORT | connect PORT |
//!           signal PID | abstract NAME | sleep MS | unused-ruleset |
//!           flood N PATH (N denied reads, one line) |
//!           exec CMD [ARGS...]
//! ```
//!
//! By default the sandbox allows reading and executing beneath /usr, /lib,
//! /lib64, /bin and /sbin, and nothing else: `read /etc/passwd` is denied.

use landlock::{
    ABI, Access, AccessFs, AccessNet, CompatLevel, Compatible, NetPort, PathBeneath, PathFd, Ruleset,
    RulesetAttr, RulesetCreatedAttr, Scope,
};
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::ExitCode;

const DEFAULT_RO: &[&str] = &["/usr", "/lib", "/lib64", "/bin", "/sbin"];

struct Config {
    layers: u32,
    ro: Vec<String>,
    rw: Vec<String>,
    ports: Vec<u16>,
    log_new_exec: bool,
    scope: bool,
    /// Abstract unix sockets to listen on before restricting: a peer
    /// outside the sandbox, for `abstract NAME` to be denied.
    listen: Vec<String>,
    actions: Vec<String>,
}

fn parse_args() -> Result<Config, String> {
    let mut c = Config {
        layers: 1,
        ro: DEFAULT_RO.iter().map(std::string::ToString::to_string).collect(),
        rw: Vec::new(),
        ports: Vec::new(),
        log_new_exec: false,
        scope: true,
        listen: Vec::new(),
        actions: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--layers" => c.layers = value("--layers")?.parse().map_err(|_| "--layers takes a number")?,
            "--ro" => c.ro.push(value("--ro")?),
            "--rw" => c.rw.push(value("--rw")?),
            "--port" => c.ports.push(value("--port")?.parse().map_err(|_| "--port takes a port")?),
            "--log-new-exec" => c.log_new_exec = true,
            "--no-scope" => c.scope = false,
            "--listen-abstract" => c.listen.push(value("--listen-abstract")?),
            "-h" | "--help" => return Err(String::new()),
            _ => {
                c.actions.push(a);
                c.actions.extend(args.by_ref());
            }
        }
    }
    if c.layers == 0 {
        return Err("--layers must be at least 1".into());
    }
    Ok(c)
}

fn restrict(c: &Config, layer: u32) -> Result<(), String> {
    let abi = ABI::V6;
    let mut ruleset = Ruleset::default()
        .set_compatibility(CompatLevel::BestEffort)
        .handle_access(AccessFs::from_all(abi))
        .map_err(|e| e.to_string())?
        .handle_access(AccessNet::BindTcp | AccessNet::ConnectTcp)
        .map_err(|e| e.to_string())?;
    if c.scope {
        ruleset = ruleset.scope(Scope::AbstractUnixSocket | Scope::Signal).map_err(|e| e.to_string())?;
    }
    let mut created = ruleset.create().map_err(|e| e.to_string())?;
    for p in &c.ro {
        if let Ok(fd) = PathFd::new(p) {
            created = created
                .add_rule(PathBeneath::new(fd, AccessFs::from_read(abi) | AccessFs::Execute))
                .map_err(|e| e.to_string())?;
        }
    }
    for p in &c.rw {
        let fd = PathFd::new(p).map_err(|e| format!("{p}: {e}"))?;
        created =
            created.add_rule(PathBeneath::new(fd, AccessFs::from_all(abi))).map_err(|e| e.to_string())?;
    }
    for port in &c.ports {
        created = created
            .add_rule(NetPort::new(*port, AccessNet::BindTcp | AccessNet::ConnectTcp))
            .map_err(|e| e.to_string())?;
    }
    if c.log_new_exec {
        created = created.log_new_exec(true).map_err(|e| e.to_string())?;
    }
    let status = created.restrict_self().map_err(|e| e.to_string())?;
    println!("sandboxer: layer {layer} enforced ({:?})", status.ruleset);
    Ok(())
}

fn report(what: &str, r: std::io::Result<()>) -> bool {
    match r {
        Ok(()) => {
            println!("sandboxer: {what}: allowed");
            true
        }
        // Landlock refuses with EACCES (access rights) or EPERM (scopes);
        // anything else (no listener, no such file) is not a denial.
        Err(e) if matches!(e.raw_os_error(), Some(libc::EACCES | libc::EPERM)) => {
            println!("sandboxer: {what}: denied ({e})");
            false
        }
        Err(e) => {
            println!("sandboxer: {what}: failed ({e})");
            false
        }
    }
}

fn run_actions(actions: &[String]) -> Result<(), String> {
    let mut it = actions.iter();
    while let Some(a) = it.next() {
        let mut arg = |name: &str| it.next().cloned().ok_or(format!("{name} needs an argument"));
        match a.as_str() {
            "read" => {
                let p = arg("read")?;
                report(
                    &format!("read {p}"),
                    std::fs::File::open(&p).and_then(|mut f| f.read(&mut [0; 1]).map(|_| ())),
                );
            }
            "write" => {
                let p = arg("write")?;
                report(
                    &format!("write {p}"),
                    std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(&p)
                        .and_then(|mut f| f.write_all(b"x")),
                );
            }
            "bind" => {
                let port: u16 = arg("bind")?.parse().map_err(|_| "bind takes a port")?;
                report(&format!("bind {port}"), std::net::TcpListener::bind(("127.0.0.1", port)).map(|_| ()));
            }
            "connect" => {
                let port: u16 = arg("connect")?.parse().map_err(|_| "connect takes a port")?;
                let r = std::net::TcpStream::connect(("127.0.0.1", port)).map(|_| ());
                // A refused connection got past Landlock.
                let r = match r {
                    Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => Ok(()),
                    other => other,
                };
                report(&format!("connect {port}"), r);
            }
            "signal" => {
                let pid: i32 = arg("signal")?.parse().map_err(|_| "signal takes a pid")?;
                // Signal 0 checks permission without delivering anything.
                // SAFETY: kill(2) with signal 0 has no effect on the target.
                let rc = unsafe { libc::kill(pid, 0) };
                report(
                    &format!("signal {pid}"),
                    if rc == 0 { Ok(()) } else { Err(std::io::Error::last_os_error()) },
                );
            }
            "abstract" => {
                let name = arg("abstract")?;
                report(&format!("abstract {name}"), connect_abstract(&name));
            }
            "unused-ruleset" => {
                // A ruleset (READ_FILE|WRITE_FILE, one rule beneath /tmp)
                // closed without restricting anything: freed at once.
                let access = AccessFs::ReadFile | AccessFs::WriteFile;
                let tmp = PathFd::new("/tmp").map_err(|e| format!("unused-ruleset: /tmp: {e}"))?;
                let created = Ruleset::default()
                    .handle_access(access)
                    .and_then(landlock::Ruleset::create)
                    .and_then(|r| r.add_rule(PathBeneath::new(tmp, access)))
                    .map_err(|e| format!("unused-ruleset: {e}"))?;
                drop(created);
                println!("sandboxer: unused ruleset: created and closed");
            }
            "flood" => {
                // N reads of PATH in a tight loop, one line at the end: a
                // denial flood for loss accounting.
                let n: u64 = arg("flood")?.parse().map_err(|_| "flood takes a count, then a path")?;
                let p = arg("flood")?;
                let denied = (0..n)
                    .filter(|_| {
                        matches!(std::fs::File::open(&p), Err(e) if e.raw_os_error() == Some(libc::EACCES))
                    })
                    .count();
                println!("sandboxer: flood {p}: {denied} of {n} denied");
            }
            "drop-privileges" => {
                // setgid then setuid to UID (as a daemon does after
                // sandboxing itself): what follows runs as that user.
                let uid: u32 = arg("drop-privileges")?.parse().map_err(|_| "drop-privileges takes a uid")?;
                // SAFETY: setgroups/setgid/setuid with plain integers.
                let rc =
                    unsafe { libc::setgroups(0, std::ptr::null()) | libc::setgid(uid) | libc::setuid(uid) };
                if rc != 0 {
                    return Err(format!("drop-privileges {uid}: {}", std::io::Error::last_os_error()));
                }
                println!("sandboxer: now uid {uid}");
            }
            "sleep" => {
                let ms: u64 = arg("sleep")?.parse().map_err(|_| "sleep takes milliseconds")?;
                std::thread::sleep(std::time::Duration::from_millis(ms));
            }
            "exec" => {
                let rest: Vec<&String> = it.by_ref().collect();
                let (cmd, args) = rest.split_first().ok_or("exec needs a command")?;
                let err = std::process::Command::new(cmd).args(args).exec();
                return Err(format!("exec {cmd}: {err}"));
            }
            other => return Err(format!("unknown action {other:?}")),
        }
    }
    Ok(())
}

fn connect_abstract(name: &str) -> std::io::Result<()> {
    use std::os::linux::net::SocketAddrExt;
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
    std::os::unix::net::UnixStream::connect_addr(&addr).map(|_| ())
}

fn main() -> ExitCode {
    let c = match parse_args() {
        Ok(c) => c,
        Err(e) => {
            eprintln!(
                "{}usage: sandboxer [--layers N] [--ro PATH]... [--rw PATH]... [--port PORT]... [--log-new-exec] [--no-scope] [--listen-abstract NAME]... ACTION...",
                if e.is_empty() { String::new() } else { format!("sandboxer: {e}\n") }
            );
            return ExitCode::from(2);
        }
    };
    let mut listeners = Vec::new();
    for name in &c.listen {
        use std::os::linux::net::SocketAddrExt;
        let l = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())
            .and_then(|a| std::os::unix::net::UnixListener::bind_addr(&a));
        match l {
            Ok(l) => listeners.push(l),
            Err(e) => {
                eprintln!("sandboxer: cannot listen on @{name}: {e}");
                return ExitCode::from(1);
            }
        }
    }
    for layer in 1..=c.layers {
        if let Err(e) = restrict(&c, layer) {
            eprintln!("sandboxer: cannot restrict: {e}");
            return ExitCode::from(1);
        }
    }
    match run_actions(&c.actions) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sandboxer: {e}");
            ExitCode::from(2)
        }
    }
}
