//! The REPL through a real pseudo-terminal (completion, multi-line entry,
//! errors, maps, Ctrl-C, .save, history), and without one (scripted).

#[path = "harness/mod.rs"]
mod harness;

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const DEMO: &str = "examples/traces/demo.jsonl";

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("landtrace-repl-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// landtrace on a pseudo-terminal, driven like a person at a keyboard.
struct Pty {
    master: std::fs::File,
    child: Child,
    /// Everything the terminal showed, escape sequences removed.
    seen: String,
    /// Where the next `expect` starts looking.
    mark: usize,
}

impl Pty {
    fn spawn(args: &[&str], state: &Path) -> Pty {
        let (mut m, mut s) = (0, 0);
        let size = libc::winsize { ws_row: 50, ws_col: 200, ws_xpixel: 0, ws_ypixel: 0 };
        // SAFETY: openpty fills two new descriptors; the window size is read.
        let rc = unsafe {
            libc::openpty(&raw mut m, &raw mut s, std::ptr::null_mut(), std::ptr::null(), &raw const size)
        };
        assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: both were just opened and are owned here.
        let (master, slave) = unsafe { (std::fs::File::from_raw_fd(m), OwnedFd::from_raw_fd(s)) };
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_landtrace"));
        cmd.current_dir(root())
            .args(args)
            .env("TERM", "xterm")
            .env("XDG_STATE_HOME", state)
            .env_remove("NO_COLOR")
            .stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave));
        // SAFETY: setsid and TIOCSCTTY are async-signal-safe; they make the
        // terminal the child's controlling one, so Ctrl-C reaches it.
        unsafe {
            use std::os::unix::process::CommandExt;
            cmd.pre_exec(|| {
                libc::setsid();
                libc::ioctl(0, libc::TIOCSCTTY as _, 0);
                Ok(())
            });
        }
        let child = cmd.spawn().unwrap();
        // SAFETY: valid descriptor; reads will not block.
        unsafe { libc::fcntl(master.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
        Pty { master, child, seen: String::new(), mark: 0 }
    }

    fn send(&mut self, keys: &str) {
        self.master.write_all(keys.as_bytes()).unwrap();
        self.master.flush().unwrap();
    }

    /// Reads what is there, answering the editor's cursor-position queries.
    fn pump(&mut self) {
        let mut buf = [0u8; 8192];
        loop {
            match self.master.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let chunk = String::from_utf8_lossy(&buf[..n]).into_owned();
                    for _ in 0..chunk.matches("\x1b[6n").count() {
                        self.send("\x1b[1;1R");
                    }
                    self.seen.push_str(&strip(&chunk));
                }
            }
        }
    }

    /// Waits until `needle` appears after what earlier expectations matched.
    fn expect(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            self.pump();
            if let Some(i) = self.seen[self.mark..].find(needle) {
                let found = self.seen[self.mark..self.mark + i + needle.len()].to_string();
                self.mark += i + needle.len();
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {needle:?}; the terminal shows:\n{}",
                self.seen
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for a fresh prompt (the editor redraws the prompt on every
    /// key, but only a new entry starts it on a new line).
    fn prompt(&mut self) {
        self.expect("\nlandtrace> ");
    }

    /// Leaves with Ctrl-D and waits for the exit.
    fn quit(mut self) -> String {
        self.send("\x04");
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.child.try_wait().unwrap().is_none() {
            self.pump();
            assert!(Instant::now() < deadline, "the REPL did not quit on Ctrl-D:\n{}", self.seen);
            std::thread::sleep(Duration::from_millis(20));
        }
        self.pump();
        assert!(self.child.wait().unwrap().success());
        std::mem::take(&mut self.seen)
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Removes terminal escape sequences (colour, cursor movement) and CRs.
fn strip(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => {
                if chars.peek() == Some(&'[') {
                    chars.next();
                    for c in chars.by_ref() {
                        if c.is_ascii_alphabetic() || c == '~' {
                            break;
                        }
                    }
                } else {
                    chars.next();
                }
            }
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

fn repl(name: &str) -> (Pty, PathBuf) {
    let state = tempdir(name);
    let pty = Pty::spawn(&["repl", "--replay", DEMO], &state);
    (pty, state)
}

/// What psql and duckdb users type: `help`, `\?`, `exit`, `quit`, `\q`;
/// and `.source` of a directory says what it is.
fn psql_habits() {
    for leave in ["quit", "exit", "\\q"] {
        let (mut t, _state) = repl("psql");
        t.prompt();
        t.send("help\r");
        t.expect(".source");
        t.prompt();
        t.send("\\?\r");
        t.expect(".fields");
        t.prompt();
        t.send(".source /tmp\r");
        t.expect("/tmp is a directory");
        t.prompt();
        t.send(&format!("{leave}\r"));
        let deadline = Instant::now() + Duration::from_secs(20);
        while t.child.try_wait().unwrap().is_none() {
            t.pump();
            assert!(Instant::now() < deadline, "{leave} did not leave the REPL:\n{}", t.seen);
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(t.child.wait().unwrap().success(), "{leave}");
    }
}

fn completes_event_names_and_the_fields_of_the_clause() {
    let (mut t, _state) = repl("complete");
    t.prompt();
    // An event name after `on`.
    t.send("on deny_access_n\t");
    t.expect("on deny_access_net");
    // A field of that event after `where` (dport, not path).
    t.send(" where dp\t");
    t.expect("where dport");
    t.send(" == 9200\r");
    t.expect("deny_access_net domain=1c1400008");
    t.prompt();
    // Meta commands after a dot.
    t.send(".ev\t");
    t.expect(".events");
    t.send(" deny_scope*\r");
    t.expect("deny_scope_abstract_unix_socket");
    t.prompt();
    t.quit();
}

fn multi_line_entry_and_maps_across_entries() {
    let (mut t, _state) = repl("multiline");
    t.prompt();
    t.send("on deny_* {\r");
    t.expect("... ");
    t.send("  @by[comm] = count()\r");
    t.expect("... ");
    t.send("}\r");
    t.expect("@by[nginx]: 75");
    // The same query again replays the trace from its start: the map
    // starts empty, and the answer is the same (not 150).
    t.prompt();
    t.send("on deny_* { @by[comm] = count() }\r");
    t.expect("@by[nginx]: 75");
    t.prompt();
    t.send(".maps\r");
    t.expect("@by[nginx]: 75");
    t.prompt();
    t.send(".clear\r");
    t.prompt();
    t.send(".maps\r");
    t.expect("no maps in this session");
    t.prompt();
    t.quit();
}

fn a_wrong_entry_then_a_right_one() {
    let (mut t, _state) = repl("errors");
    t.prompt();
    t.send("on deny_acess_fs where pth == \"/etc/passwd\"\r");
    t.expect("unknown event `deny_acess_fs`");
    t.expect("did you mean `deny_access_fs`?");
    t.prompt();
    t.send("on deny_access_fs where path == \"/etc/passwd\" { @[comm] = count() }\r");
    t.expect("@[nginx]: ");
    // A filter expression on its own.
    t.prompt();
    t.send("dport == 5432\r");
    t.expect("deny_access_net");
    t.expect("dport=5432");
    t.prompt();
    t.quit();
}

fn save_writes_a_script_that_checks_and_runs() {
    let (mut t, state) = repl("save");
    let script = state.join("session.lt");
    t.prompt();
    t.send("on deny_* { @[comm] = count() }\r");
    t.expect("@[nginx]: 75");
    t.prompt();
    t.send("comm == \"curl\" and dport == 443\r");
    t.prompt();
    t.send(&format!(".save {}\r", script.display()));
    t.expect("saved 2 programs");
    t.prompt();
    t.quit();
    let check = Command::new(env!("CARGO_BIN_EXE_landtrace")).arg("check").arg(&script).output().unwrap();
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
    let out = Command::new(env!("CARGO_BIN_EXE_landtrace"))
        .current_dir(root())
        .arg(&script)
        .args(["--replay", DEMO])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("@[nginx]: 75"));
}

fn history_persists_across_runs() {
    let state = tempdir("history");
    let mut t = Pty::spawn(&["repl", "--replay", DEMO], &state);
    t.prompt();
    t.send("comm == \"backup\" and ino == 7\r");
    t.prompt();
    t.quit();
    assert!(state.join("landtrace/history").exists());
    let mut t = Pty::spawn(&["repl", "--replay", DEMO], &state);
    t.prompt();
    // Up arrow: the entry of the previous run.
    t.send("\x1b[A");
    t.expect("comm == \"backup\" and ino == 7");
    // Ctrl-C drops the recalled line; Ctrl-D at the empty prompt leaves.
    t.send("\x03");
    t.prompt();
    t.quit();
    // The history is 0600 (issue 11.10).
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(state.join("landtrace/history")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

/// A link planted at the history's path is not followed (issue 11.10).
fn history_does_not_follow_a_link() {
    let state = tempdir("history-link");
    let victim = state.join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    std::fs::create_dir_all(state.join("landtrace")).unwrap();
    std::os::unix::fs::symlink(&victim, state.join("landtrace/history")).unwrap();
    let mut t = Pty::spawn(&["repl", "--replay", DEMO], &state);
    t.expect("symbolic link");
    t.prompt();
    t.send("comm == \"backup\" and ino == 7\r");
    t.prompt();
    t.quit();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
}

/// Ctrl-C stops a long query (END runs, the maps print) and the REPL goes on.
fn ctrl_c_stops_a_long_replay() {
    let state = tempdir("ctrlc");
    // A long trace: the demo many times over.
    let demo = std::fs::read_to_string(root().join(DEMO)).unwrap();
    let big = state.join("big.jsonl");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
    for _ in 0..3000 {
        f.write_all(demo.as_bytes()).unwrap();
    }
    drop(f);
    let mut t = Pty::spawn(&["repl", "--replay", big.to_str().unwrap()], &state);
    t.prompt();
    t.send("on * { @[event] = count() } END { printf(\"end ran\\n\") }\r");
    std::thread::sleep(Duration::from_millis(700));
    t.send("\x03");
    t.expect("end ran");
    t.expect("@[");
    t.expect("stopped");
    t.prompt();
    // Still alive and usable.
    t.send(".source examples/traces/demo.jsonl\r");
    t.prompt();
    t.send("on deny_* { @n = count() }\r");
    t.expect("@n: 157");
    t.prompt();
    t.quit();
}

/// A live query needs root; without it the test is reported as ignored
/// (a failure with `LANDTRACE_REQUIRE_LIVE=1`).
fn live_allowed(test: &str) {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        harness::skip(test, "needs root");
    }
    harness::need(test, "bpftool", "bpftool");
}

/// Ctrl-C on a live query detaches it, prints its maps and returns to the
/// prompt; no probe outlives the query.
fn ctrl_c_stops_a_live_query() {
    live_allowed("ctrl_c_stops_a_live_query");
    let state = tempdir("live");
    let mut t = Pty::spawn(&["repl", "--source", "compat"], &state);
    t.expect("source: live (compat)");
    t.prompt();
    t.send("on create_ruleset where comm == \"sandboxer\" { @rulesets = count() }\r");
    t.expect("tracing with compat");
    let sandboxer = Path::new(env!("CARGO_BIN_EXE_landtrace")).parent().unwrap().join("sandboxer");
    let out = Command::new(&sandboxer).args(["read", "/etc/passwd"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::thread::sleep(Duration::from_millis(300));
    t.send("\x03");
    t.expect("@rulesets: 1");
    t.prompt();
    // The kernel frees programs shortly after their last descriptor closes.
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let progs = Command::new("bpftool").args(["prog", "show"]).output().unwrap();
        if !String::from_utf8_lossy(&progs.stdout).contains(" lt_") {
            break;
        }
        assert!(Instant::now() < deadline, "probes outlived the query");
        std::thread::sleep(Duration::from_millis(50));
    }
    // A second live query attaches again (capabilities were kept).
    t.send("on create_ruleset where comm == \"sandboxer\" { @again = count() }\r");
    t.expect("tracing with compat");
    Command::new(&sandboxer).args(["read", "/etc/passwd"]).output().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    t.send("\x03");
    t.expect("@again: 1");
    t.quit();
}

/// Without a terminal: entries line by line, no prompt, no colour, and the
/// exit status says whether an entry failed.
/// `.explain` over a live source says what the probes check in the kernel
/// (issue 13.1); a live source needs root.
fn explain_says_what_the_kernel_checks() {
    live_allowed("explain_says_what_the_kernel_checks");
    let mut child = Command::new(env!("CARGO_BIN_EXE_landtrace"))
        .current_dir(root())
        .args(["repl", "--replay", DEMO])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b".source live\n.explain on check_rule_fs where comm == \"x\" { @ = count() }\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("check_rule_fs: the tracepoint probes check comm == \"x\""), "{stdout}");
}

fn scripted_without_a_terminal() {
    let run = |input: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_landtrace"))
            .current_dir(root())
            .args(["repl", "--replay", DEMO])
            .env_remove("NO_COLOR")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = run("on deny_* {\n  @[comm] = count()\n}\ndport == 5432\n.rights net\n");
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("@[nginx]: 75") && out.contains("dport=5432") && out.contains("CONNECT_TCP"),
        "{out}"
    );
    assert!(!out.contains("landtrace>") && !out.contains('\x1b'), "{out}");
    // One bad entry among good ones: the rest runs, the status is 2.
    let (code, out, err) = run("on deny_* { @x = count() }\non nothing_here\ncomm == \"curl\"\n");
    assert_eq!(code, Some(2));
    assert!(err.contains("unknown event `nothing_here`"), "{err}");
    assert!(out.contains("@x: 157") && out.contains("curl("), "{out}");
    // .save writes a new 0644 file, and refuses a link (issue 11.10).
    let dir = tempdir("save-link");
    let script = dir.join("s.lt");
    let (code, _, err) = run(&format!("on free_domain {{ @n = count() }}\n.save {}\n", script.display()));
    assert_eq!(code, Some(0), "{err}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&script).unwrap().permissions().mode() & 0o777, 0o644);
    let victim = dir.join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    let link = dir.join("link.lt");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let (code, _, err) = run(&format!("on free_domain {{ @n = count() }}\n.save {}\n", link.display()));
    assert_eq!(code, Some(1));
    assert!(err.contains("is a symbolic link"), "{err}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    // A query that fails at run time: status 1.
    let (code, _, err) = run(".source /no/such/file\n");
    assert_eq!(code, Some(1), "{err}");
    // Informational lines go to stderr: stdout holds only answers (10.14).
    let (code, out, err) = run(".source\n");
    assert_eq!(code, Some(0));
    assert_eq!(out, "");
    assert!(err.contains("source: replay"), "{err}");
    // Standard input is the REPL's: it cannot also be replayed.
    let (code, _, err) = run(".source -\n");
    assert_eq!(code, Some(1));
    assert!(err.contains("cannot replay it"), "{err}");
    let out = Command::new(env!("CARGO_BIN_EXE_landtrace"))
        .args(["repl", "--replay", "-"])
        .stdin(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot replay it"));
}

fn main() -> std::process::ExitCode {
    harness::main(&[
        (
            "completes_event_names_and_the_fields_of_the_clause",
            completes_event_names_and_the_fields_of_the_clause,
        ),
        ("multi_line_entry_and_maps_across_entries", multi_line_entry_and_maps_across_entries),
        ("psql_habits", psql_habits),
        ("a_wrong_entry_then_a_right_one", a_wrong_entry_then_a_right_one),
        ("save_writes_a_script_that_checks_and_runs", save_writes_a_script_that_checks_and_runs),
        ("history_persists_across_runs", history_persists_across_runs),
        ("history_does_not_follow_a_link", history_does_not_follow_a_link),
        ("ctrl_c_stops_a_long_replay", ctrl_c_stops_a_long_replay),
        ("ctrl_c_stops_a_live_query", ctrl_c_stops_a_live_query),
        ("scripted_without_a_terminal", scripted_without_a_terminal),
        ("explain_says_what_the_kernel_checks", explain_says_what_the_kernel_checks),
    ])
}
