//! Golden end-to-end runs of the real `landtrace` binary: the example
//! runbooks on the shipped traces, exit codes, `check`, `-l`, `--dump`,
//! JSON output, stdin, scripts run by their `#!` line, and a closed pipe.

mod schema;

use assert_cmd::Command;
use std::io::Read;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn landtrace() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_landtrace"));
    c.current_dir(root()).env("NO_COLOR", "1");
    c
}

#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Run {
    let out = landtrace().args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if schema::asks_json(args) {
        schema::check(&stdout);
    }
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

const DEMO: &str = "examples/traces/demo.ftrace";
const AUDIT: &str = "examples/traces/sandboxer.audit.log";

#[test]
fn every_example_runbook_checks() {
    let mut n = 0;
    for entry in std::fs::read_dir(root().join("examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "lt") {
            let r = run(&["check", path.to_str().unwrap(), "443"]);
            assert_eq!(r.code, 0, "{}: {}", path.display(), r.stderr);
            assert!(r.stdout.contains(": ok ("));
            n += 1;
        }
    }
    assert!(n >= 8, "only {n} example runbooks");
}

#[test]
fn example_runbooks_on_the_demo_trace() {
    let mut names: Vec<String> = std::fs::read_dir(root().join("examples"))
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "lt").then(|| p.file_name()?.to_str().map(String::from)).flatten()
        })
        .collect();
    names.sort();
    for name in names {
        let script = format!("examples/{name}");
        let mut args = vec![script.as_str()];
        if name == "port-watch.lt" {
            args.push("5432");
        }
        args.extend(["--replay", DEMO]);
        let r = run(&args);
        assert_eq!(r.code, 0, "{name}: {}", r.stderr);
        assert_eq!(r.stderr, "", "{name}");
        insta::assert_snapshot!(format!("demo-{name}"), r.stdout);
    }
}

#[test]
fn example_runbooks_on_the_real_audit_log() {
    for name in ["top-denials.lt", "connect-denials-by-port.lt", "blocked-signals.lt", "domain-lifecycle.lt"]
    {
        let r = run(&[&format!("examples/{name}"), "--replay", AUDIT]);
        assert_eq!(r.code, 0, "{name}: {}", r.stderr);
        insta::assert_snapshot!(format!("audit-{name}"), r.stdout);
    }
}

#[test]
fn replay_without_a_program_prints_every_event() {
    let r = run(&["--replay", AUDIT]);
    assert_eq!(r.code, 0);
    insta::assert_snapshot!(r.stdout);
}

/// Every record type `-f json` writes, from every shipped trace (real
/// kernels' ftrace and audit, the demo's JSON lines) and from hostile
/// bytes, is described by docs/schema (`run` checks each JSON run); and the
/// check does refuse lines the schema does not describe.
#[test]
fn json_records_are_described_by_the_schema() {
    let dir = tempdir();
    let hostile = dir.join("hostile.jsonl");
    std::fs::write(
        &hostile,
        concat!(
            r#"{"type":"event","v":1,"event":"deny_access_fs","source":"audit","time":1,"comm":"a\u001b[31m","comm_hex":"611b5b33316dff","#,
            r#""domain":"ff","blockers_raw":1048577,"path":"/tmp/\n x","extra":{"exe_hex":"x","weird":{"hex":"ff00"}}}"#,
            "\n"
        ),
    )
    .unwrap();
    let bad = dir.join("bad.ftrace");
    std::fs::write(
        &bad,
        "x-1 [000] 1.0: landlock_free_domain: domain=1 denials=2\n\
         a-1 [001] 1.5: landlock_create_ruleset: ruleset=zz handled_fs=bogus\n\
         x-1 [000] 2.0: landlock_free_domain: domain=2 denials=0\n",
    )
    .unwrap();
    // A malformed line's error record comes where the line was, between
    // the events around it.
    let r = run(&["-f", "json", "--replay", bad.to_str().unwrap()]);
    let order: Vec<serde_json::Value> = r.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(
        order.iter().map(|v| v["type"].as_str().unwrap()).collect::<Vec<_>>(),
        ["event", "error", "event"]
    );
    assert_eq!(order[1]["line"], 2);
    assert_eq!(order[1]["message"], "ruleset: bad hex ID \"zz\"");
    // With --strict the line ends the run: the maps print, then the error
    // that ended it, as the stream's last record.
    let r =
        run(&["--strict", "-f", "json", "-e", "on * { @n = count() }", "--replay", bad.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let last: serde_json::Value = serde_json::from_str(r.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(
        (&last["type"], &last["fatal"], &last["line"]),
        (&"error".into(), &true.into(), &2.into()),
        "{last}"
    );
    assert!(r.stdout.contains(r#""type":"map""#), "{}", r.stdout);
    let lost = dir.join("lost.ftrace");
    std::fs::write(
        &lost,
        "x-1 [000] 1.0: landlock_free_domain: domain=1 denials=2\nCPU:1 [LOST 12 EVENTS]\n",
    )
    .unwrap();
    let program = "on * { @n[event, comm] = count(); @s = sum(pid); @mn = min(pid); @mx = max(pid); @a = avg(pid); \
                   @st = stats(pid); @h = hist(pid); @l = lhist(pid, 0, 3000, 500); @last[comm] = event; \
                   print(comm, pid, event); printf(\"%s %d\\n\", comm, pid) } \
                   on deny_access_fs { @p[domain, blockers] = count(); print(domain, blockers, path) }";
    let mut files: Vec<String> = ["demo.ftrace", "demo.jsonl", "sandboxer-7.3.ftrace", "sandboxer.audit.log"]
        .iter()
        .map(|f| format!("examples/traces/{f}"))
        .collect();
    files.extend([hostile, lost, bad].iter().map(|p| p.to_str().unwrap().to_string()));
    let mut types = std::collections::BTreeSet::new();
    for f in &files {
        for args in [&["-f", "json", "--replay", f][..], &["-f", "json", "-e", program, "--replay", f]] {
            let r = run(args);
            assert_eq!(r.code, 0, "{f}: {}", r.stderr);
            for line in r.stdout.lines() {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                types.insert(v["type"].as_str().unwrap().to_string());
            }
        }
    }
    // `summary` comes from the tracepoint probes: checked in the VM (tests/kernels.rs).
    assert_eq!(types.into_iter().collect::<Vec<_>>(), ["error", "event", "lost", "map", "print", "printf"]);
    for bad in [
        r#"{"type":"event","v":1,"event":"deny_access_fs"}"#,
        r#"{"type":"lost","source":"bpf","count":-1}"#,
        r#"{"type":"map","name":"@","entries":[],"surprise":1}"#,
        r#"{"type":"mystery"}"#,
        "{not json",
    ] {
        let refused = std::panic::catch_unwind(|| schema::check(bad)).is_err();
        assert!(refused, "the schema check took {bad}");
    }
}

#[test]
fn json_output_is_one_object_per_line_and_replays_identically() {
    let r = run(&["--replay", DEMO, "-f", "json"]);
    assert_eq!(r.code, 0);
    for line in r.stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["type"], "event");
        assert_eq!(v["v"], 1);
    }
    // The JSON replays to the same text as the trace it came from.
    let dir = tempdir();
    let jsonl = dir.join("demo.jsonl");
    std::fs::write(&jsonl, &r.stdout).unwrap();
    let a = run(&["examples/top-denials.lt", "--replay", DEMO]);
    let b = run(&["examples/top-denials.lt", "--replay", jsonl.to_str().unwrap()]);
    assert_eq!(a.stdout, b.stdout);
    let c = run(&["--replay", jsonl.to_str().unwrap(), "-f", "json"]);
    assert_eq!(c.stdout, r.stdout);
}

#[test]
fn replay_from_stdin() {
    let out = landtrace()
        .args(["-e", "on deny_* { @[event] = count() }", "--replay", "-"])
        .write_stdin(std::fs::read(root().join(AUDIT)).unwrap())
        .output()
        .unwrap();
    assert!(out.status.success());
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}

/// A compressed log on standard input and as a file (a rotated
/// `kern.log.2.gz`, xz, zstd) gives what the plain log gives.
#[test]
fn compressed_logs_from_stdin_and_files() {
    let logs = root().join("runtime/tests/data/logs-6.18");
    let query = ["-e", "on deny_access_fs { @[event, path] = count() } on deny_* { @n[event] = count() }"];
    let answer = |args: &[&str], stdin: Option<Vec<u8>>| {
        let mut c = landtrace();
        c.args(query).args(args);
        if let Some(bytes) = stdin {
            c.write_stdin(bytes);
        }
        let out = c.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let plain = answer(&["--replay", logs.join("kern.log").to_str().unwrap()], None);
    assert!(plain.contains("@[deny_access_fs, /etc/passwd]"), "{plain}");
    for name in ["kern.log.2.gz", "kern.log.2.xz", "kern.log.2.zst"] {
        let file = logs.join(name);
        assert_eq!(answer(&["--replay", file.to_str().unwrap()], None), plain, "{name}");
        assert_eq!(answer(&["--replay", "-"], Some(std::fs::read(&file).unwrap())), plain, "{name} on stdin");
    }
}

#[test]
fn exit_codes() {
    // 2: an invalid program, with every error reported.
    let r = run(&["-e", "on create_rulset where handled_fs & READ_FIEL", "--replay", DEMO]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("unknown event `create_rulset`"), "{}", r.stderr);
    assert!(r.stderr.contains("unknown constant `READ_FIEL`"));
    assert!(r.stderr.contains("did you mean `create_ruleset`?"));
    assert!(r.stdout.is_empty());
    // 2: a bad command line.
    assert_eq!(run(&["--format", "xml"]).code, 2);
    assert_eq!(run(&["--no-such-flag"]).code, 2);
    // No program starts the REPL: with nothing to read, it ends at once.
    assert_eq!(run(&[]).code, 0);
    assert_eq!(run(&["no-such-script.lt"]).code, 2);
    // 1: the source cannot be read.
    let r = run(&["-e", "on *", "--replay", "no/such/file"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("no/such/file"), "{}", r.stderr);
    // 1: with --strict, a malformed line is fatal; without it, reported.
    let dir = tempdir();
    let bad = dir.join("bad.trace");
    std::fs::write(&bad, "x-1 [000] 1.0: landlock_free_domain: domain=zz denials=1\nx-1 [000] 1.0: landlock_free_domain: domain=1 denials=1\n").unwrap();
    let r = run(&["--replay", bad.to_str().unwrap(), "--strict"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("bad.trace:1: domain: bad hex ID"), "{}", r.stderr);
    let r = run(&["--replay", bad.to_str().unwrap()]);
    assert_eq!(r.code, 0);
    assert!(r.stderr.contains("bad.trace:1: domain: bad hex ID \"zz\" (line skipped)"), "{}", r.stderr);
    assert!(r.stderr.contains("1 malformed line skipped"));
    assert_eq!(r.stdout.lines().count(), 1);
    // --strict reports the line that ended the run, not "skipped" too (10.18).
    let r = run(&["--replay", bad.to_str().unwrap(), "--strict"]);
    assert!(!r.stderr.contains("skipped"), "{}", r.stderr);
    // 1: a file that is not a trace (text, or a binary), after the others
    // are read and END has run (10.3).
    let notes = dir.join("notes.txt");
    std::fs::write(&notes, "hello\nworld\n").unwrap();
    let r = run(&["-e", "on * { @n = count() }", "--replay", notes.to_str().unwrap(), "--replay", DEMO]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("notes.txt: not a Landlock trace"), "{}", r.stderr);
    assert_eq!(r.stdout, "@n: 225\n\n");
    let r = run(&["--replay", env!("CARGO_BIN_EXE_landtrace")]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("not a Landlock trace (binary data)"), "{}", r.stderr);
    // 0: help and version.
    assert_eq!(run(&["--help"]).code, 0);
    assert_eq!(run(&["--version"]).code, 0);
}

#[test]
fn check_subcommand() {
    let r = run(&["check", "examples/top-denials.lt"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "examples/top-denials.lt: ok (4 clauses)\n"));
    let dir = tempdir();
    let bad = dir.join("bad.lt");
    std::fs::write(
        &bad,
        "on deny_access_fs where path == 3\non deny_access_net where blockers & READ_FILE\n",
    )
    .unwrap();
    let r = run(&["check", bad.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cannot compare str with int"));
    assert!(r.stderr.contains("READ_FILE is a filesystem right; blockers holds network rights"));
    assert!(r.stderr.contains("landtrace: 2 errors"));
    // Without its argument, a script is checked with a placeholder for it
    // (as the language server does), so docs/authoring.md's CI loop passes
    // over every shipped runbook; a wrong one still fails.
    let r = run(&["check", "examples/port-watch.lt"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("$1 checked with a placeholder"), "{}", r.stdout);
    let wrong = dir.join("wrong-arg.lt");
    std::fs::write(&wrong, "on deny_access_net where dport == $1 and blockers & READ_FILE\n").unwrap();
    let r = run(&["check", wrong.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("READ_FILE is a filesystem right"), "{}", r.stderr);
    let authoring = std::fs::read_to_string(root().join("docs/authoring.md")).unwrap();
    let cmd = authoring.lines().find(|l| l.starts_with("for f in runbooks/*.lt")).expect("the CI loop");
    let cmd = cmd
        .split('#')
        .next()
        .unwrap()
        .replace("runbooks/", "examples/")
        .replace("landtrace ", &format!("{} ", env!("CARGO_BIN_EXE_landtrace")));
    let out = std::process::Command::new("sh").arg("-c").arg(&cmd).current_dir(root()).output().unwrap();
    assert!(out.status.success(), "{cmd}: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(run(&["check", "examples/port-watch.lt", "443"]).code, 0);
    // A second script is not silently left unchecked.
    let r = run(&["check", "examples/top-denials.lt", "examples/web-servers.lt"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("`examples/web-servers.lt` is not checked"), "{}", r.stderr);
    assert!(r.stderr.contains("check each script on its own"), "{}", r.stderr);
    let r = run(&["check", "examples/port-watch.lt", "443", "examples/web-servers.lt"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("reads only up to $1"), "{}", r.stderr);
}

#[test]
fn list_the_schema() {
    let all = run(&["-l"]);
    assert_eq!(all.code, 0);
    insta::assert_snapshot!("list-all", all.stdout);
    let deny = run(&["-l", "deny_*"]);
    insta::assert_snapshot!("list-deny", deny.stdout);
    assert!(run(&["-l", "add_rule_path_beneath"]).stdout.starts_with("add_rule_fs"));
}

#[test]
fn dumps() {
    let prog = "on deny_access_fs where path =~ \"/etc/**\" and not logged { @etc[comm, path] = count() }";
    let ast = run(&["-e", prog, "--dump", "ast"]);
    assert_eq!(ast.code, 0);
    insta::assert_snapshot!("dump-ast", ast.stdout);
    let ir = run(&["-e", prog, "--dump", "ir"]);
    insta::assert_snapshot!("dump-ir", ir.stdout);
    let typed = run(&["-e", prog, "--dump", "typed"]);
    assert!(typed.stdout.contains("Match"), "{}", typed.stdout);
    let no_jit = run(&["-e", prog, "--dump", "ir", "--no-jit"]);
    assert!(no_jit.stdout.ends_with("; every function runs in the interpreter (--no-jit)\n"));
}

/// `--dump clif` of representative programs: what each construct compiles
/// to (field loads at constant offsets, inline integer tests, helper calls
/// for strings and the host).
#[test]
fn dump_clif() {
    let programs = [
        ("clif-bitmask", "on create_ruleset where handled_fs & READ_FILE"),
        ("clif-int-chain", "on deny_access_fs where pid == 1 or uid in [0, 1000] or ino in [1, 3, 5, 7, 9]"),
        ("clif-strings", "on deny_access_fs where comm == \"nginx\" and path =~ \"/etc/**\" and not logged"),
        ("clif-maps", "on deny_access_fs { @[comm, path] = count(); @ino = sum(ino) }"),
        ("clif-arith", "on add_rule_net { printf(\"%d %d %s\\n\", port / 0, port % -1, hex(port)) }"),
        ("clif-grants", "on check_rule_fs where grants[0] & access_request and len(grants) > 1"),
    ];
    for (name, prog) in programs {
        let out = run(&["-e", prog, "--dump", "clif"]);
        assert_eq!(out.code, 0, "{prog}: {}", out.stderr);
        assert!(out.stdout.ends_with("; every function is compiled to native code\n"), "{}", out.stdout);
        insta::assert_snapshot!(name, out.stdout);
    }
}

/// `--dump asm`: the bitmask test is a load, a test and a branch.
#[cfg(target_arch = "x86_64")]
#[test]
fn dump_asm() {
    let out = run(&["-e", "on create_ruleset where handled_fs & READ_FILE", "--dump", "asm"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    insta::assert_snapshot!("asm-bitmask", out.stdout);
    assert!(out.stdout.contains("testq $0x4"), "{}", out.stdout);
}

#[test]
fn scripts_run_by_their_shebang_line() {
    let dir = tempdir();
    let script = dir.join("count.lt");
    std::fs::write(&script, "#!/usr/bin/env landtrace\non deny_* { @[comm] = count() }\n").unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_landtrace")).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let out = std::process::Command::new(&script)
        .args(["--replay", root().join(AUDIT).to_str().unwrap()])
        .env("PATH", path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "@[sandboxer]: 8\n\n");
}

#[test]
fn a_closed_pipe_ends_quietly() {
    // Enough output to fill the pipe, then the reader goes away.
    let dir = tempdir();
    let big = dir.join("big.jsonl");
    let line = std::fs::read_to_string(root().join("examples/traces/demo.jsonl")).unwrap();
    std::fs::write(&big, line.repeat(200)).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_landtrace"))
        .args(["--replay", big.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 100];
    child.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child.stderr.unwrap().read_to_string(&mut stderr).unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert_eq!(stderr, "");
}

fn tempdir() -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "landtrace-test-{}-{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs landtrace with its stdout on a pseudo-terminal; returns what it wrote.
fn run_on_terminal(args: &[&str], no_color: Option<&str>) -> String {
    use std::os::fd::FromRawFd;
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty fills two new file descriptors; the other arguments may be null.
    let rc = unsafe {
        libc::openpty(
            &raw mut master,
            &raw mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and are owned here.
    let (master, slave) = unsafe { (std::fs::File::from_raw_fd(master), std::fs::File::from_raw_fd(slave)) };
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_landtrace"));
    cmd.current_dir(root()).args(args).stdout(slave).env_remove("NO_COLOR");
    if let Some(v) = no_color {
        cmd.env("NO_COLOR", v);
    }
    let status = cmd.status().unwrap();
    assert!(status.success());
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let mut master = master;
    // The child is done; read until the terminal has nothing more.
    // SAFETY: the descriptor is valid; O_NONBLOCK only changes how reads wait.
    unsafe { libc::fcntl(std::os::fd::AsRawFd::as_raw_fd(&master), libc::F_SETFL, libc::O_NONBLOCK) };
    while let Ok(n) = master.read(&mut buf) {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    let args = ["--replay", AUDIT, "-e", "on deny_access_fs { print; @[comm] = count() }"];
    let tty = run_on_terminal(&args, None);
    assert!(tty.contains("\x1b[1;36mdeny_access_fs\x1b[0m"), "{tty:?}");
    let no_color = run_on_terminal(&args, Some("1"));
    assert!(no_color.contains("deny_access_fs") && !no_color.contains('\x1b'), "{no_color:?}");
    // NO_COLOR set but empty does not count, as no-color.org says.
    assert!(run_on_terminal(&args, Some("")).contains('\x1b'));
    // Not a terminal: no colour even without NO_COLOR.
    let piped = landtrace().env_remove("NO_COLOR").args(args).output().unwrap();
    assert!(!String::from_utf8_lossy(&piped.stdout).contains('\x1b'));
}

/// Ctrl-C or SIGTERM during a replay stops reading, as the end of the
/// input would: END runs, the maps print, exit 0 (issue 10.2). From a pipe
/// (standard input) and from a FIFO named as a file, both of which block.
#[test]
fn ctrl_c_and_sigterm_end_a_replay_like_its_end() {
    use std::io::Write;
    let demo = std::fs::read(root().join("examples/traces/demo.jsonl")).unwrap();
    let dir = tempdir();
    for (sig, via_fifo) in [(libc::SIGINT, false), (libc::SIGTERM, false), (libc::SIGINT, true)] {
        let fifo = dir.join(format!("in-{sig}-{via_fifo}"));
        let input = if via_fifo {
            let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
            // SAFETY: a valid path.
            assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
            fifo.to_str().unwrap().to_string()
        } else {
            "-".to_string()
        };
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_landtrace"))
            .args(["-e", r#"on deny_* { @n = count() } END { printf("END ran\n") }"#, "--replay", &input])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Written, and kept open: the replay then waits for more.
        let mut writer: Box<dyn Write> = if via_fifo {
            Box::new(std::fs::OpenOptions::new().write(true).open(&fifo).unwrap())
        } else {
            Box::new(child.stdin.take().unwrap())
        };
        writer.write_all(&demo).unwrap();
        writer.flush().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(700));
        // SAFETY: signalling our own child.
        unsafe { libc::kill(child.id() as i32, sig) };
        let out = child.wait_with_output().unwrap();
        drop(writer);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "signal {sig}: {stderr}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "END ran\n@n: 157\n\n", "signal {sig}");
        let name = if sig == libc::SIGINT { "Ctrl-C" } else { "SIGTERM" };
        assert!(stderr.contains(&format!("stopped by {name}")), "{stderr}");
    }
}

/// The command line means what it says (issue 10.11-13, 15).
#[test]
fn command_line_mistakes_are_named() {
    // --replay takes one file; positional arguments are the program's.
    let r = run(&["examples/port-watch.lt", "--replay", DEMO, "5432"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(&["-e", "on * { @n = count() }", "--replay", DEMO, AUDIT]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains(&format!("argument `{AUDIT}` is not used")), "{}", r.stderr);
    assert!(r.stderr.contains("--replay takes one file; repeat it"), "{}", r.stderr);
    let r = run(&["--replay", DEMO, AUDIT]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("is a recorded trace, not a script"), "{}", r.stderr);
    let r = run(&["-e", "on * { @n = count() }", "--replay", DEMO, "--replay", AUDIT]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "@n: 237\n\n"), "{}", r.stderr);
    // Live flags with --replay, --dump without a program, --max-keys 0.
    for flag in [&["-c", "true"][..], &["-p", "1"], &["--source", "compat"], &["--ready-fd", "3"]] {
        let mut a = vec!["-e", "on *", "--replay", DEMO];
        a.extend_from_slice(flag);
        let r = run(&a);
        assert_eq!(r.code, 2, "{flag:?}");
        assert!(r.stderr.contains("cannot be used with --replay"), "{}", r.stderr);
    }
    let r = run(&["--dump", "ir"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--dump needs a program"), "{}", r.stderr);
    assert_eq!(run(&["--max-keys", "0", "-e", "on *", "--replay", DEMO]).code, 2);
    // -o FILE with -l leaves FILE alone.
    let dir = tempdir();
    let kept = dir.join("kept.txt");
    std::fs::write(&kept, "mine\n").unwrap();
    assert_eq!(run(&["-l", "free_*", "-o", kept.to_str().unwrap()]).code, 0);
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), "mine\n");
    // -o FILE writes the output there.
    let out = dir.join("out.txt");
    let r = run(&["-e", "on * { @n = count() }", "--replay", DEMO, "-o", out.to_str().unwrap()]);
    assert_eq!((r.code, r.stdout.as_str()), (0, ""));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "@n: 225\n\n");
}

#[test]
fn programs_from_standard_input_and_check_dash_e() {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_landtrace"))
        .current_dir(root())
        .args(["-", "--replay", DEMO])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"on free_domain { @n = count() }\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "@n: 7\n\n");
    let r = run(&["-", "--replay", "-"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cannot both be read from standard input"), "{}", r.stderr);
    let r = run(&["check", "-e", "on deny_* { @[comm] = count() }"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "-e: ok (1 clause)\n"), "{}", r.stderr);
    let r = run(&["check", "-e", "on deny_nothing"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("unknown event"), "{}", r.stderr);
}

/// -q: no informational lines; warnings and errors still show (10.15).
#[test]
fn quiet_keeps_only_warnings_and_errors() {
    let dir = tempdir();
    let bad = dir.join("bad.trace");
    std::fs::write(&bad, "x-1 [000] 1.0: landlock_free_domain: domain=zz denials=1\n").unwrap();
    let input = std::fs::read(root().join(DEMO)).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_landtrace"))
        .current_dir(root())
        .args(["-q", "-e", "on *", "--replay", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(&input[..input.len() / 2]).unwrap();
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "no 'stopped by' note with -q");
    let r = run(&["-q", "--replay", bad.to_str().unwrap()]);
    assert!(r.stderr.contains("bad hex ID"), "{}", r.stderr);
}

/// Bytes from the input never reach the terminal raw in a message (10.16).
#[test]
fn messages_escape_what_the_input_says() {
    let dir = tempdir();
    let evil = dir.join("evil\x1b[31m.trace");
    std::fs::write(
        &evil,
        "x-1 [000] 1.0: landlock_\x1b[31mfoo: a=1\nx-1 [000] 1.0: landlock_free_domain: domain=1 denials=1\n",
    )
    .unwrap();
    let r = run(&["--replay", evil.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains('\x1b'), "{:?}", r.stderr);
    assert!(
        r.stderr.contains("evil\\x1b[31m.trace:1: unknown Landlock event landlock_\\x1b[31mfoo"),
        "{}",
        r.stderr
    );
    // Audit keys and values, JSON extra names and members, on every stream.
    for (name, text) in [
        (
            "a.log",
            "type=LANDLOCK_ACCESS msg=audit(1.5:9): domain=zz\x1b[31m blockers=fs.read_file path=\"/x\" k\x1b[1m=v\n",
        ),
        (
            "b.log",
            "type=LANDLOCK_DOMAIN msg=audit(1.5:4): domain=1c status=deallocated denials=1 e\x1b[1m=\x1b[2J\n",
        ),
        (
            "c.jsonl",
            "{\"type\":\"event\",\"v\":1,\"event\":\"free_domain\",\"domain\":\"1\",\"denials\":1,\"extra\":{\"k\\u001b[31m\":\"\\u001b[2J\"}}\n{\"type\":\"event\",\"event\":\"x\\u001b[31m\"}\n",
        ),
        (
            "d.jsonl",
            "{\"type\":\"event\",\"v\":1,\"event\":\"free_domain\",\"domain\":\"1\",\"denials\\u001b\":1}\n",
        ),
    ] {
        let f = dir.join(name);
        std::fs::write(&f, text).unwrap();
        for format in ["text", "json"] {
            let r = run(&["--replay", f.to_str().unwrap(), "-f", format]);
            assert!(!r.stderr.contains('\x1b') && !r.stdout.contains('\x1b'), "{name} {format}: {r:?}");
        }
    }
    let r = run(&["--replay", &format!("{}/no\x1b[2Jsuch", dir.display())]);
    assert_eq!(r.code, 1);
    assert!(!r.stderr.contains('\x1b') && r.stderr.contains("no\\x1b[2Jsuch"), "{:?}", r.stderr);
}

/// Every example in README.md and docs/ that shows a `$ landtrace ...`
/// command with what it printed is what the binary prints (standard
/// output then standard error, as a terminal shows them). Examples that
/// need a terminal, root or a traced command (`repl`, `-c`, a command on
/// several lines) are not run here; the live and REPL tests cover them.
#[test]
fn every_landtrace_example_in_the_docs_is_real() {
    let mut files = vec![root().join("README.md")];
    let mut docs: Vec<_> =
        std::fs::read_dir(root().join("docs")).unwrap().map(|e| e.unwrap().path()).collect();
    docs.sort();
    files.extend(docs.into_iter().filter(|p| p.extension().is_some_and(|x| x == "md")));
    let mut checked = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            if !line.starts_with("```") {
                continue;
            }
            let block: Vec<&str> = lines.by_ref().take_while(|l| !l.starts_with("```")).collect();
            let Some(cmd) = block.first().and_then(|l| l.strip_prefix("$ landtrace ")) else { continue };
            if cmd.ends_with('\\')
                || cmd.starts_with("repl")
                || cmd.contains(" -c ")
                || cmd.matches('\'').count() % 2 == 1
            {
                continue;
            }
            let shown: String = block[1..].iter().map(|l| format!("{l}\n")).collect();
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(format!("'{}' {cmd}", env!("CARGO_BIN_EXE_landtrace")))
                .current_dir(root())
                .env("NO_COLOR", "1")
                .output()
                .unwrap();
            let printed =
                format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            let trim = |s: &str| {
                s.lines().map(str::trim_end).collect::<Vec<_>>().join("\n").trim_matches('\n').to_string()
            };
            assert_eq!(trim(&printed), trim(&shown), "{}: $ landtrace {cmd}", file.display());
            checked += 1;
        }
    }
    assert!(checked >= 4, "only {checked} examples found");
}

/// A trace's own loss report reaches -f json as a `lost` record.
#[test]
fn recorded_losses_are_a_json_record() {
    let dir = tempdir();
    let t = dir.join("l.trace");
    std::fs::write(&t, "x-1 [000] 1.0: landlock_free_domain: domain=1 denials=2\nCPU:1 [LOST 12 EVENTS]\n")
        .unwrap();
    let r = run(&["--replay", t.to_str().unwrap(), "-f", "json"]);
    assert_eq!(r.code, 0);
    assert_eq!(r.stdout.lines().last().unwrap(), r#"{"type":"lost","source":"trace","count":12}"#);
}

/// `--ready-fd N` is checked before anything is opened (issue 11.3).
#[test]
fn ready_fd_must_be_an_open_writable_descriptor() {
    for (args, message) in [
        (vec!["--ready-fd", "57", "-e", "on *"], "descriptor 57 is not open"),
        (vec!["--ready-fd", "1", "-e", "on *"], "standard input, output and error"),
        (vec!["record", "--ready-fd", "57"], "descriptor 57 is not open"),
    ] {
        let r = run(&args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(message), "{args:?}: {}", r.stderr);
    }
}

/// Standard output whose reader is gone (`landtrace check ... | true`):
/// every command ends quietly with 0, never a panic (issue 11.11).
#[test]
fn a_closed_stdout_is_quiet_everywhere() {
    use std::io::Write;
    use std::os::fd::FromRawFd;
    for (args, input) in [
        (vec!["check", "examples/top-denials.lt"], ""),
        (vec!["repl", "--replay", DEMO], ".rights fs\n.maps\non free_domain { @n = count() }\n.maps\n"),
        (vec!["-l"], ""),
        (vec!["-e", "on *", "--replay", DEMO], ""),
    ] {
        let mut fds = [0; 2];
        // SAFETY: pipe fills two descriptors; the read end is closed at once.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        unsafe { libc::close(fds[0]) };
        // SAFETY: fds[1] is a new descriptor we own.
        let stdout = unsafe { std::fs::File::from_raw_fd(fds[1]) };
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_landtrace"))
            .current_dir(root())
            .args(&args)
            .stdin(std::process::Stdio::piped())
            .stdout(stdout)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked") && !stderr.contains("error"), "{args:?}: {stderr}");
    }
}

/// A value a source does not know is never a plausible one: ftrace text
/// has no uid, so `uid == 0` ("root") matches none of its events and
/// `uid == -1` all of them, also after a round trip through `-f json`
/// (which writes 0 and names it in "unknown"); the audit log's denials
/// carry their SYSCALL record's uid 0, its deallocation records none.
#[test]
fn unknown_builtins_are_never_plausible_values() {
    let query = "on * where uid == 0 { @zero = count() } on * where uid == -1 { @unknown = count() }";
    let ftrace = "examples/traces/sandboxer-7.3.ftrace";
    let events = std::fs::read_to_string(root().join(ftrace)).unwrap().matches(": landlock_").count();
    let r = run(&["-e", query, "--replay", ftrace]);
    assert_eq!(r.stdout, format!("@unknown: {events}\n\n"), "{}", r.stderr);
    let json = run(&["--replay", ftrace, "-f", "json"]);
    assert!(json.stdout.lines().all(|l| l.contains(r#""unknown":["ppid","uid","gid","cgroup"]"#)));
    let back = landtrace().args(["-e", query, "--replay", "-"]).write_stdin(json.stdout).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&back.stdout), format!("@unknown: {events}\n\n"));
    let audit = std::fs::read_to_string(root().join("examples/traces/sandboxer.audit.log")).unwrap();
    let freed = audit.matches("status=deallocated").count();
    let r = run(&["-e", query, "--replay", "examples/traces/sandboxer.audit.log"]);
    assert!(
        r.stdout.contains(&format!("@unknown: {freed}\n")) && r.stdout.contains("@zero: "),
        "{}",
        r.stdout
    );
}

/// Audit logs gathered from several hosts: records with the same stamp
/// and serial on two nodes are two events, and `node` tells them apart
/// (in the language and in -f json).
#[test]
fn node_names_the_host_of_gathered_audit_logs() {
    let audit = std::fs::read_to_string(root().join("examples/traces/sandboxer.audit.log")).unwrap();
    let denials = audit
        .lines()
        .filter(|l| l.contains("type=LANDLOCK_ACCESS") || l.contains("type=UNKNOWN[1423]"))
        .count();
    let gathered: String =
        ["web1", "web2"].iter().flat_map(|n| audit.lines().map(move |l| format!("node={n} {l}\n"))).collect();
    let out = landtrace()
        .args(["-e", "on deny_* { @[node] = count() }", "--replay", "-"])
        .write_stdin(gathered.clone())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("@[web1]: {denials}\n@[web2]: {denials}\n\n"));
    let json = landtrace().args(["-f", "json", "--replay", "-"]).write_stdin(gathered).output().unwrap();
    let text = String::from_utf8_lossy(&json.stdout);
    schema::check(&text);
    assert_eq!(text.matches(r#""node":"web2""#).count(), text.matches(r#""node":"web1""#).count());
    // Without node= nothing is written.
    let plain = run(&["-f", "json", "--replay", "examples/traces/sandboxer.audit.log"]);
    assert!(!plain.stdout.contains("\"node\""));
}
