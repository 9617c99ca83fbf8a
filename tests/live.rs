//! Live tests through the real binary: real BPF, real audit, a real
//! sandboxed workload (examples/sandboxer). They need root; elsewhere they
//! say why they skip, and with `LANDTRACE_REQUIRE_LIVE=1` (as in CI) a test
//! that cannot run fails. They run one at a time: they share the kernel's
//! audit setting.

#[path = "harness/mod.rs"]
mod harness;
mod schema;

use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

static SERIAL: Mutex<()> = Mutex::new(());

fn landtrace() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_landtrace"))
}

/// The sandboxer binary `cargo test` built next to landtrace.
fn sandboxer() -> PathBuf {
    let p = Path::new(env!("CARGO_BIN_EXE_landtrace")).parent().unwrap().join("sandboxer");
    assert!(
        p.exists(),
        "{} is missing: run `cargo test --workspace` (it builds examples/sandboxer)",
        p.display()
    );
    p
}

/// Whether this machine can run the live tests; if not, the test is
/// reported as ignored (a failure with `LANDTRACE_REQUIRE_LIVE=1`).
fn live(test: &str) -> std::sync::MutexGuard<'static, ()> {
    let guard = SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    // SAFETY: landlock_create_ruleset(NULL, 0, VERSION) only queries.
    let abi = unsafe { libc::syscall(444, std::ptr::null::<u8>(), 0usize, 1u32) };
    if !root {
        harness::skip(test, "needs root (BPF and audit)");
    }
    if abi < 6 {
        harness::skip(test, &format!("needs Landlock ABI 6 or later (this kernel: {abi})"));
    }
    // The tests list the kernel's BPF objects with it.
    harness::need(test, "bpftool", "bpftool");
    guard
}

fn audit_enabled() -> u32 {
    landtrace_runtime::live::audit::status().map(|s| s.enabled).unwrap()
}

/// `bpftool -j KIND show`: the kernel's BPF programs, maps or links.
fn bpf_list(kind: &str) -> Vec<Value> {
    let out = Command::new("bpftool")
        .args(["-j", kind, "show"])
        .output()
        .expect("bpftool (apt-get install bpftool)");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("bpftool -j {kind} show: {e}"))
}

/// landtrace's BPF objects: programs and maps (all named `lt_*`) and the
/// links to those programs (or to the programs whose IDs are in `progs`,
/// seen earlier), as `kind id name` lines.
fn landtrace_objects(progs: &[u64]) -> Vec<String> {
    let ours = |v: &Value| v["name"].as_str().is_some_and(|n| n.starts_with("lt_"));
    let mut found = Vec::new();
    let mut ids = progs.to_vec();
    for kind in ["prog", "map"] {
        for v in bpf_list(kind).iter().filter(|v| ours(v)) {
            found.push(format!("{kind} {} {}", v["id"], v["name"]));
            if kind == "prog" {
                ids.push(v["id"].as_u64().unwrap());
            }
        }
    }
    for v in bpf_list("link") {
        if v["prog_id"].as_u64().is_some_and(|p| ids.contains(&p)) {
            found.push(format!("link {} to prog {}", v["id"], v["prog_id"]));
        }
    }
    found
}

/// Whether landtrace's programs, maps and links are gone (the kernel frees
/// them shortly after their last descriptor closes, so allow it a moment).
fn no_landtrace_objects(progs: &[u64]) -> Result<(), Vec<String>> {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let left = landtrace_objects(progs);
        if left.is_empty() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(left);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

struct Run {
    code: Option<i32>,
    events: Vec<Value>,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Run {
    let out = Command::new(landtrace()).args(args).env("NO_COLOR", "1").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if schema::asks_json(args) {
        schema::check(&stdout);
    }
    let events = stdout.lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()).collect();
    Run { code: out.status.code(), events, stdout, stderr: String::from_utf8_lossy(&out.stderr).into_owned() }
}

fn of<'a>(events: &'a [Value], name: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["event"] == name).collect()
}

fn hex(v: &Value) -> u64 {
    u64::from_str_radix(v.as_str().unwrap(), 16).unwrap()
}

/// The sandboxer with two layers, a net rule and every kind of denial,
/// under `landtrace -c`: every event and field, compat and audit joined.
fn sandboxed_workload_under_c() {
    let _serial = live("sandboxed_workload_under_c");
    let before = audit_enabled();
    let name = format!("lt-test-{}", std::process::id());
    let cmd = format!(
        "{} --layers 2 --port 8443 --listen-abstract {name} read /etc/passwd write /tmp/landtrace-live-test.txt connect 443 bind 8080 signal 1 abstract {name}",
        sandboxer().display()
    );
    let r = run(&["-f", "json", "-c", &cmd]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stderr.contains("command exited with status 0"), "{}", r.stderr);
    // The command ends the run: no "Ctrl-C to stop" (issue 10.15).
    assert!(r.stderr.contains("until the command exits") && !r.stderr.contains("Ctrl-C"), "{}", r.stderr);
    let ev = &r.events;
    assert!(ev.iter().all(|e| e["type"] == "event"), "{}", r.stdout);

    // Two identical rulesets: every fs right of the ABI, TCP, both scopes.
    let rulesets = of(ev, "create_ruleset");
    assert_eq!(rulesets.len(), 2, "{}", r.stdout);
    for rs in &rulesets {
        assert_eq!(rs["source"], "compat");
        assert_eq!(rs["handled_fs_raw"], 0xffff);
        assert_eq!(rs["handled_net"], serde_json::json!(["BIND_TCP", "CONNECT_TCP"]));
        assert_eq!(rs["scoped"], serde_json::json!(["ABSTRACT_UNIX_SOCKET", "SIGNAL"]));
        assert!(rs["fd"].as_i64().unwrap() >= 3);
    }
    // The read-only rules, by their resolved paths, and the port rule.
    let mut want: Vec<String> = ["/usr", "/lib", "/lib64", "/bin", "/sbin"]
        .iter()
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .map(|p| p.display().to_string())
        .collect();
    want.sort();
    want.dedup();
    let first = rulesets[0]["ruleset"].as_str().unwrap();
    let mut paths: Vec<String> = of(ev, "add_rule_fs")
        .iter()
        .filter(|e| e["ruleset"] == first)
        .map(|e| {
            assert_eq!(e["access_rights"], serde_json::json!(["EXECUTE", "READ_FILE", "READ_DIR"]));
            e["path"].as_str().unwrap().to_string()
        })
        .collect();
    paths.sort();
    paths.dedup();
    assert_eq!(paths, want);
    let versions: Vec<i64> = of(ev, "add_rule_fs")
        .iter()
        .filter(|e| e["ruleset"] == first)
        .map(|e| e["ruleset_version"].as_i64().unwrap())
        .collect();
    // The kernel's count of rules added, this one included.
    assert_eq!(versions, (1..=versions.len() as i64).collect::<Vec<_>>());
    let net = of(ev, "add_rule_net");
    assert_eq!(net.len(), 2);
    assert!(
        net.iter().all(
            |e| e["port"] == 8443 && e["access_rights"] == serde_json::json!(["BIND_TCP", "CONNECT_TCP"])
        )
    );

    // Two nested domains: the second's parent is the first.
    let domains = of(ev, "create_domain");
    assert_eq!(domains.len(), 2, "{}", r.stdout);
    let (outer, inner) = (hex(&domains[0]["domain"]), hex(&domains[1]["domain"]));
    assert!(outer != 0 && inner != 0 && outer != inner);
    assert_eq!(hex(&domains[0]["parent"]), 0);
    assert_eq!(hex(&domains[1]["parent"]), outer);
    let enforced = of(ev, "enforce_domain");
    assert_eq!(enforced.len(), 2);
    assert!(enforced.iter().all(|e| e["no_new_privs"] == true && e["complete"] == true));

    // The denials (from audit) name the innermost domain, as compat saw it.
    let pid = domains[0]["pid"].as_u64().unwrap();
    let fs = of(ev, "deny_access_fs");
    assert_eq!(fs.len(), 2, "{}", r.stdout);
    assert_eq!(fs[0]["path"], "/etc/passwd");
    assert_eq!(fs[0]["blockers"], serde_json::json!(["READ_FILE"]));
    assert_eq!(fs[1]["path"], "/tmp");
    assert_eq!(fs[1]["blockers"], serde_json::json!(["MAKE_REG"]));
    let net = of(ev, "deny_access_net");
    assert_eq!(net.len(), 2);
    assert_eq!(
        (net[0]["dport"].as_u64(), net[0]["blockers"].clone()),
        (Some(443), serde_json::json!(["CONNECT_TCP"]))
    );
    assert_eq!(
        (net[1]["sport"].as_u64(), net[1]["blockers"].clone()),
        (Some(8080), serde_json::json!(["BIND_TCP"]))
    );
    let sig = of(ev, "deny_scope_signal");
    assert_eq!(sig.len(), 1);
    assert_eq!(sig[0]["target_pid"], 1);
    let unix = of(ev, "deny_scope_abstract_unix_socket");
    assert_eq!(unix.len(), 1);
    // One spelling on every source: without the leading NUL audit gives.
    assert_eq!(unix[0]["sun_path"], name);
    for d in fs.iter().chain(&net).chain(&sig).chain(&unix) {
        assert_eq!(d["source"], "audit", "{d}");
        assert_eq!(hex(&d["domain"]), inner, "{d}");
        assert_eq!(d["pid"].as_u64(), Some(pid), "{d}\n{}", r.stdout);
        assert_eq!(d["same_exec"], true, "{d}");
        assert_eq!(d["logged"], true, "{d}");
    }
    // The innermost domain is freed with its six denials.
    let freed = of(ev, "free_domain");
    assert!(freed.iter().any(|e| hex(&e["domain"]) == inner && e["denials"] == 6), "{}", r.stdout);
    assert!(!of(ev, "free_ruleset").is_empty());

    // Nothing left behind.
    assert_eq!(audit_enabled(), before, "the audit setting was not restored");
    if let Err(left) = no_landtrace_objects(&[]) {
        panic!("BPF objects outlived landtrace: {left:?}");
    }
}

/// With -c, a sandboxed process that is not the command's is not reported.
fn c_scoping_excludes_unrelated_processes() {
    let _serial = live("c_scoping_excludes_unrelated_processes");
    // Starts before landtrace attaches, sandboxes itself while it traces.
    let mut other = Command::new("sh")
        .args([
            "-c",
            &format!("sleep 0.6; exec {} read /etc/shadow sleep 200 read /etc/shadow", sandboxer().display()),
        ])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let cmd = format!("sleep 1; exec {} read /etc/passwd", sandboxer().display());
    let r = run(&["-f", "json", "-c", &cmd]);
    other.wait().unwrap();
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let paths: Vec<&str> = r.events.iter().filter_map(|e| e["path"].as_str()).collect();
    assert!(paths.contains(&"/etc/passwd"), "{}", r.stdout);
    assert!(!paths.contains(&"/etc/shadow"), "an unrelated process leaked in:\n{}", r.stdout);
    let pids: std::collections::BTreeSet<u64> =
        r.events.iter().filter_map(|e| e["pid"].as_u64()).filter(|p| *p != 0).collect();
    assert_eq!(pids.len(), 1, "events of several processes: {pids:?}");
    assert_eq!(of(&r.events, "create_ruleset").len(), 1);
}

/// `record` writes JSON lines that replay to identical events.
fn record_then_replay() {
    let _serial = live("record_then_replay");
    let file = std::env::temp_dir().join(format!("landtrace-record-{}.jsonl", std::process::id()));
    let cmd = format!("{} --port 80 read /etc/passwd connect 443", sandboxer().display());
    let rec = Command::new(landtrace())
        .args(["record", "-o", file.to_str().unwrap(), "-c", &cmd])
        .output()
        .unwrap();
    assert!(rec.status.success(), "{}", String::from_utf8_lossy(&rec.stderr));
    let recorded = std::fs::read_to_string(&file).unwrap();
    assert!(recorded.lines().count() >= 8, "{recorded}");
    let replayed = run(&["--replay", file.to_str().unwrap(), "-f", "json"]);
    assert_eq!(replayed.code, Some(0));
    assert_eq!(replayed.stdout, recorded);
    let summary = run(&["--replay", file.to_str().unwrap(), "-e", "on deny_* { @[event, comm] = count() }"]);
    let name = sandboxer().file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        summary.stdout.contains(&format!("@[deny_access_fs, {name}]: 1")),
        "{}\nrecorded:\n{recorded}\nstderr:\n{}",
        summary.stdout,
        String::from_utf8_lossy(&rec.stderr)
    );
    assert!(summary.stdout.contains(&format!("@[deny_access_net, {name}]: 1")), "{}", summary.stdout);
    let _ = std::fs::remove_file(file);
}

/// A landtrace's stderr, read line by line on a thread so that it never
/// blocks on it.
struct StderrLines {
    rx: std::sync::mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl StderrLines {
    fn of(child: &mut std::process::Child) -> StderrLines {
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = BufReader::new(child.stderr.take().expect("stderr piped"));
        std::thread::spawn(move || {
            for l in stderr.lines().map_while(Result::ok) {
                let _ = tx.send(l);
            }
        });
        StderrLines { rx, seen: Vec::new() }
    }

    /// The next line that contains `what`, within 20 s.
    fn wait_for(&mut self, what: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let l = self
                .rx
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| panic!("no stderr line with {what:?} in:\n{}", self.seen.join("\n")));
            self.seen.push(l.clone());
            if l.contains(what) {
                return l;
            }
        }
    }

    /// Where `--metrics` serves, from its note.
    fn metrics_addr(&mut self) -> String {
        let note = self.wait_for("landtrace: metrics at http://");
        note.split("http://").nth(1).unwrap().trim_end_matches("/metrics").to_string()
    }

    /// Everything landtrace wrote, once it has ended.
    fn all(mut self) -> String {
        while let Ok(l) = self.rx.recv() {
            self.seen.push(l);
        }
        self.seen.join("\n")
    }
}

/// GET /metrics: the whole reply, and how long it took.
fn scrape(addr: &str) -> (String, Duration) {
    let asked = Instant::now();
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    std::io::Write::write_all(&mut s, b"GET /metrics HTTP/1.0\r\n\r\n").unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    (reply, asked.elapsed())
}

/// One denial (the sandboxer reading /etc/passwd).
fn deny() {
    let _ = Command::new(sandboxer()).args(["read", "/etc/passwd"]).stderr(Stdio::null()).status();
}

/// `--metrics` on a live run: the live loop answers scrapes while the
/// command runs, with the denial it just caused.
fn live_metrics_are_scraped_while_tracing() {
    let _serial = live("live_metrics_are_scraped_while_tracing");
    let cmd = format!("{} read /etc/passwd; sleep 4", sandboxer().display());
    let mut child = Command::new(landtrace())
        .args(["--metrics", "127.0.0.1:0", "-e", "on deny_access_fs { @d[comm] = count() }", "-c", &cmd])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = StderrLines::of(&mut child);
    let addr = stderr.metrics_addr();
    let want = "landtrace_d_total{comm=\"sandboxer\"} 1\n";
    let start = Instant::now();
    let mut slowest = Duration::ZERO;
    let body = loop {
        let (reply, took) = scrape(&addr);
        slowest = slowest.max(took);
        if reply.contains(want) || start.elapsed() > Duration::from_secs(4) {
            break reply;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let status = child.wait().unwrap();
    let rest = stderr.all();
    assert!(status.success(), "{rest}");
    assert!(body.contains(want), "{want} not in:\n{body}\nstderr:\n{rest}");
    assert!(body.contains("landtrace_tracer_events_delivered_total "), "{body}");
    // Answered while the command sleeps, not once it ends.
    assert!(slowest < Duration::from_secs(1), "a scrape took {slowest:?}");
}

/// The soak test: a live run of `LANDTRACE_SOAK_SECS` seconds (15) with
/// `every` clearing a map and a scrape every 100 ms stays bounded: RSS
/// flat from the first seconds to the last, no descriptor left behind,
/// every scrape answered. (bench/soak.sh runs it longer.)
fn a_long_run_with_metrics_stays_bounded() {
    let _serial = live("a_long_run_with_metrics_stays_bounded");
    let secs: u64 = std::env::var("LANDTRACE_SOAK_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(15);
    let cmd = format!(
        "end=$(($(date +%s) + {secs})); while [ $(date +%s) -lt $end ]; do {} read /etc/passwd; sleep 0.02; done",
        sandboxer().display()
    );
    let program = "on deny_access_fs { @d[comm, pid] = count(); @h = hist(pid) } every 1s { clear(@d) }";
    let mut child = Command::new(landtrace())
        .args(["--metrics", "127.0.0.1:0", "-e", program, "-c", &cmd])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut stderr = StderrLines::of(&mut child);
    let addr = stderr.metrics_addr();
    let rss = || {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        status.lines().find_map(|l| l.strip_prefix("VmRSS:")?.trim().strip_suffix(" kB")?.parse::<u64>().ok())
    };
    let fds = || std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, Iterator::count);
    let start = Instant::now();
    let (mut scrapes, mut slowest) = (0u32, Duration::ZERO);
    let (mut early, mut late) = (None, None);
    let mut last = String::new();
    while start.elapsed() < Duration::from_secs(secs - 1) {
        let (reply, took) = scrape(&addr);
        last = reply;
        assert!(last.lines().next().is_some_and(|l| l.ends_with(" 200 OK")), "scrape {scrapes}: {last}");
        slowest = slowest.max(took);
        scrapes += 1;
        std::thread::sleep(Duration::from_millis(100));
        let t = start.elapsed().as_secs();
        if t >= 3 && early.is_none() {
            early = Some((rss().unwrap(), fds()));
        }
        if t + 2 >= secs {
            late = Some((rss().unwrap(), fds()));
        }
    }
    let status = child.wait().unwrap();
    let rest = stderr.all();
    assert!(status.success(), "{rest}");
    let ((rss0, fd0), (rss1, fd1)) = (early.unwrap(), late.unwrap());
    eprintln!(
        "soak {secs} s: {scrapes} scrapes, slowest {slowest:?}; RSS {rss0} -> {rss1} kB; fds {fd0} -> {fd1}"
    );
    assert!(last.contains("landtrace_tracer_events_delivered_total "), "{last}");
    assert!(u64::from(scrapes) >= secs * 5, "only {scrapes} scrapes");
    assert!(slowest < Duration::from_secs(1), "a scrape took {slowest:?}");
    assert_eq!(fd0, fd1, "descriptors at 3 s and at the end");
    assert!(rss1 <= rss0 + 1024, "RSS grew from {rss0} to {rss1} kB");
}

/// SIGHUP re-reads the script: an invalid one is reported and the
/// running program goes on; a valid one replaces it (the old one's END
/// and maps first), and the metrics follow the new program.
fn sighup_reloads_the_script() {
    let _serial = live("sighup_reloads_the_script");
    let dir = std::env::temp_dir().join(format!("landtrace-hup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("runbook.lt");
    std::fs::write(&script, "on deny_access_fs { @old[comm] = count() }\n").unwrap();
    let mut child = Command::new(landtrace())
        .args([script.to_str().unwrap(), "--metrics", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut stderr = StderrLines::of(&mut child);
    let addr = stderr.metrics_addr();
    stderr.wait_for("tracing with");
    deny();
    std::fs::write(&script, "on deny_access_fs { @new[comm] = count( }\n").unwrap();
    // SAFETY: signals our own child.
    unsafe { libc::kill(pid, libc::SIGHUP) };
    stderr.wait_for("the running program stays");
    deny();
    let (body, _) = scrape(&addr);
    assert!(body.contains("landtrace_old_total{comm=\"sandboxer\"} 2"), "{body}");
    std::fs::write(&script, "on deny_access_fs { @new[prog: comm] = count() }\n").unwrap();
    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGHUP) };
    stderr.wait_for("tracing with the new");
    stderr.wait_for("tracing with");
    deny();
    let want = "landtrace_new_total{prog=\"sandboxer\"} 1";
    let start = Instant::now();
    let body = loop {
        let (b, _) = scrape(&addr);
        if b.contains(want) || start.elapsed() > Duration::from_secs(5) {
            break b;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(body.contains(want), "{body}");
    assert!(!body.contains("landtrace_old"), "{body}");
    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The old program's maps printed when it ended, then the new one's.
    assert!(stdout.contains("@old[sandboxer]: 2"), "{stdout}");
    assert!(stdout.contains("@new[sandboxer]: 1"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// examples/systemd's privilege model: as an unprivileged user (nobody)
/// with exactly the unit's ambient capabilities, landtrace traces a
/// sandboxed workload, serves metrics, and re-attaches on SIGHUP (a run
/// that can reload keeps its capabilities).
fn the_units_capabilities_are_enough() {
    let _serial = live("the_units_capabilities_are_enough");
    let audit_before = audit_enabled();
    let unit =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/systemd/landtrace.service"))
            .unwrap();
    let caps: Vec<String> = unit
        .lines()
        .find_map(|l| l.strip_prefix("AmbientCapabilities="))
        .expect("AmbientCapabilities in the unit")
        .split_whitespace()
        .map(|c| format!("+{}", c.trim_start_matches("CAP_").to_lowercase()))
        .collect();
    let caps = caps.join(",");
    let dir = std::env::temp_dir().join(format!("landtrace-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("runbook.lt");
    std::fs::write(&script, "on deny_access_fs { @old[comm] = count() }\n").unwrap();
    let mut perms = std::fs::metadata(&dir).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&dir, perms).unwrap();
    let mut child = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(format!("--inh-caps={caps}"))
        .arg(format!("--ambient-caps={caps}"))
        .arg(format!("--bounding-set=-all,{caps}"))
        .arg(landtrace())
        .args([script.to_str().unwrap(), "--metrics", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("setpriv (util-linux)");
    // setpriv execs landtrace: the child is landtrace itself.
    let pid = child.id() as libc::pid_t;
    let mut stderr = StderrLines::of(&mut child);
    let addr = stderr.metrics_addr();
    stderr.wait_for("tracing with");
    deny();
    std::fs::write(&script, "on deny_access_fs { @new[comm] = count() }\n").unwrap();
    // SAFETY: signals our own child.
    unsafe { libc::kill(pid, libc::SIGHUP) };
    stderr.wait_for("tracing with the new");
    stderr.wait_for("tracing with");
    deny();
    let want = "landtrace_new_total{comm=\"sandboxer\"} 1";
    let start = Instant::now();
    while !scrape(&addr).0.contains(want) {
        assert!(start.elapsed() < Duration::from_secs(5), "{want} never scraped");
        std::thread::sleep(Duration::from_millis(100));
    }
    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("@old[sandboxer]: 1"), "{stdout}");
    assert!(stdout.contains("@new[sandboxer]: 1"), "{stdout}");
    assert_eq!(audit_enabled(), audit_before, "audit restored by the unprivileged landtrace");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Without -c: a ready line on --ready-fd, then SIGTERM ends the run
/// cleanly: END runs, maps print, probes detach, audit is restored.
fn ready_fd_then_sigterm() {
    let _serial = live("ready_fd_then_sigterm");
    let before = audit_enabled();
    let mut fds = [0; 2];
    // SAFETY: pipe fills two descriptors.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let (read_fd, write_fd) = (fds[0], fds[1]);
    let mut child = Command::new(landtrace())
        .args([
            "--ready-fd",
            &write_fd.to_string(),
            "-e",
            "on create_ruleset { @[comm] = count() } END { printf(\"end\\n\") }",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // SAFETY: the parent's copy of the write end is not needed.
    unsafe { libc::close(write_fd) };
    // SAFETY: read_fd is ours.
    let mut ready =
        BufReader::new(unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(read_fd) });
    let mut line = String::new();
    ready.read_line(&mut line).unwrap();
    assert!(line.starts_with("ready "), "{line:?}");
    // While tracing, its programs, maps and links are all there to see.
    let during = landtrace_objects(&[]);
    for map in ["lt_events", "lt_config", "lt_lost", "lt_tracked"] {
        assert!(during.iter().any(|o| o.starts_with("map ") && o.contains(map)), "{map}: {during:?}");
    }
    assert!(during.iter().any(|o| o.starts_with("link ")), "no link: {during:?}");
    let progs: Vec<u64> =
        during.iter().filter_map(|o| o.strip_prefix("prog ")?.split(' ').next()?.parse().ok()).collect();
    assert!(!progs.is_empty(), "{during:?}");
    let out = Command::new(sandboxer()).args(["read", "/etc/passwd"]).output().unwrap();
    assert!(out.status.success());
    std::thread::sleep(Duration::from_millis(200));
    // SAFETY: signalling our child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "landtrace did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = child.wait().unwrap();
    let mut stdout = String::new();
    child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(stdout.contains("end\n"), "{stdout}");
    assert!(stdout.contains("@[sandboxer]: 1"), "{stdout}");
    if let Err(left) = no_landtrace_objects(&progs) {
        panic!("BPF objects outlived landtrace: {left:?}");
    }
    assert_eq!(audit_enabled(), before);
}

/// -p follows a running process and ends when it exits.
fn p_follows_a_running_process() {
    let _serial = live("p_follows_a_running_process");
    let mut target = Command::new("sh")
        .args(["-c", &format!("sleep 1; exec {} read /etc/passwd", sandboxer().display())])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let r = run(&[
        "-p",
        &target.id().to_string(),
        "-e",
        "on create_domain, deny_access_fs { print(event, pid) }",
    ]);
    target.wait().unwrap();
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let pid = target.id();
    assert!(r.stdout.contains(&format!("create_domain {pid}")), "{}", r.stdout);
    assert!(r.stdout.contains(&format!("deny_access_fs {pid}")), "{}\n{}", r.stdout, r.stderr);
}

/// Clauses naming events the sources cannot produce are warned about
/// (an error with --strict); only compat is used when asked.
fn source_choice_and_warnings() {
    let _serial = live("source_choice_and_warnings");
    let r = run(&["-e", "on check_rule_fs, create_ruleset { print(event) }", "-c", "true"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    // Audit produces neither event: auto leaves it out.
    assert!(r.stderr.contains("source auto: compat ("), "{}", r.stderr);
    assert!(r.stderr.contains("audit left out: the program needs none of its events"), "{}", r.stderr);
    assert!(r.stderr.contains("compat cannot produce check_rule_fs"), "{}", r.stderr);
    let r = run(&["-e", "on create_ruleset, deny_access_fs { print(event) }", "-c", "true"]);
    assert!(r.stderr.contains("source auto: compat + audit ("), "{}", r.stderr);
    let r = run(&["--strict", "-e", "on check_rule_fs", "-c", "true"]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    let before = audit_enabled();
    let r = run(&[
        "--source",
        "compat",
        "-f",
        "json",
        "-e",
        "on *",
        "-c",
        &format!("{} read /etc/passwd", sandboxer().display()),
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.events.iter().all(|e| e["source"] == "compat"), "{}", r.stdout);
    assert!(!of(&r.events, "create_domain").is_empty());
    assert!(!r.stderr.contains("audit"), "{}", r.stderr);
    assert_eq!(audit_enabled(), before);
}

/// Without privileges, landtrace says what is missing and suggests --replay.
fn unprivileged_users_are_told_what_is_missing() {
    let _serial = live("unprivileged_users_are_told_what_is_missing");
    let out = Command::new("setpriv")
        .args(["--reuid", "65534", "--regid", "65534", "--clear-groups", "--inh-caps=-all"])
        .arg(landtrace())
        .args(["-e", "on *"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("CAP_BPF and CAP_PERFMON"), "{stderr}");
    assert!(stderr.contains("--replay"), "{stderr}");
}

/// Records that do not fit in the ring buffer are counted and reported, on
/// stderr and in the JSON stream, never silently dropped.
fn losses_are_reported() {
    let _serial = live("losses_are_reported");
    // Twelve layers of path rules: each add_rule record is over 4 KiB (it
    // carries a path), so a 16 KiB ring read every 50 ms overflows.
    let cmd = format!("{} --layers 12 read /etc/passwd", sandboxer().display());
    let count = |ring: &str| {
        let r = run(&[
            "-f",
            "json",
            "--source",
            "compat",
            "--ring-size",
            ring,
            "-e",
            "on * { @ = count() }",
            "-c",
            &cmd,
        ]);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        let counted =
            r.events.iter().find(|e| e["type"] == "map").unwrap()["entries"][0]["value"].as_u64().unwrap();
        let lost = r.events.iter().find(|e| e["type"] == "lost").cloned();
        (counted, lost, r.stderr)
    };
    let (all, none_lost, stderr) = count("4194304");
    assert!(none_lost.is_none(), "a 4 MiB ring lost records: {stderr}");
    let (counted, lost, stderr) = count("16384");
    let lost = lost.expect("no loss record in the JSON stream");
    let n = lost["count"].as_u64().unwrap();
    assert!(n > 0 && lost["source"] == "bpf", "{lost}");
    assert!(stderr.contains(&format!("{n} events lost")), "{stderr}");
    assert_eq!(counted + n, all, "every record is either delivered or counted lost");
}

/// Starts landtrace with `args` and a `--ready-fd` pipe; returns once it
/// is attached, with the ready line.
fn start_attached(args: &[&str], stderr: Stdio) -> (std::process::Child, String) {
    let mut fds = [0; 2];
    // SAFETY: pipe fills two descriptors.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let child = Command::new(landtrace())
        .arg("--ready-fd")
        .arg(fds[1].to_string())
        .args(args)
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap();
    // SAFETY: the write end belongs to the child now; the read end is ours.
    unsafe { libc::close(fds[1]) };
    let mut ready = BufReader::new(unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fds[0]) });
    let mut line = String::new();
    ready.read_line(&mut line).unwrap();
    (child, line)
}

/// Under `--source auto`, a program that needs none of audit's events
/// leaves audit alone: while it is attached, audit is as it was.
fn auto_leaves_audit_alone_when_not_needed() {
    let _serial = live("auto_leaves_audit_alone_when_not_needed");
    let before = audit_enabled();
    let (child, line) =
        start_attached(&["-e", "on create_ruleset { @ = count() }", "-c", "sleep 1"], Stdio::piped());
    let during = audit_enabled();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // No probe on close: the program wants no free_ruleset.
    assert_eq!(line.trim_end(), "ready compat (4 probes)", "{stderr}");
    assert_eq!(during, before, "audit was changed while attached: {stderr}");
    assert!(stderr.contains("audit left out"), "{stderr}");
}

/// Once attached, landtrace keeps only the capabilities it still needs.
fn capabilities_are_dropped_after_attaching() {
    let _serial = live("capabilities_are_dropped_after_attaching");
    let (mut child, _) = start_attached(&["-e", "on create_ruleset"], Stdio::null());
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    let eff = status.lines().find_map(|l| l.strip_prefix("CapEff:")).unwrap().trim();
    let caps = u64::from_str_radix(eff, 16).unwrap();
    // SAFETY: signalling our child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    child.wait().unwrap();
    const SYS_ADMIN: u64 = 1 << 21;
    const PERFMON: u64 = 1 << 38;
    const BPF: u64 = 1 << 39;
    assert_eq!(caps & (SYS_ADMIN | PERFMON), 0, "CapEff {eff}");
    assert_ne!(caps & BPF, 0, "maps are still read: CapEff {eff}");
    assert!(caps.count_ones() <= 4, "CapEff {eff}");
}

/// Every signal that would end landtrace ends the run as Ctrl-C does: END
/// runs, exit 0, audit restored, no BPF object left (issue 11.1). The
/// traced command sends it, as in the issue.
fn every_terminating_signal_ends_the_run_cleanly() {
    let _serial = live("every_terminating_signal_ends_the_run_cleanly");
    let before = audit_enabled();
    for sig in ["HUP", "QUIT", "USR1", "USR2", "ALRM", "TERM", "INT"] {
        let r = run(&[
            "-e",
            "on deny_* { @n = count() } END { printf(\"end\\n\") }",
            "-c",
            &format!("kill -{sig} $PPID; sleep 2"),
        ]);
        assert_eq!(r.code, Some(0), "SIG{sig}: {}", r.stderr);
        assert!(r.stdout.contains("end\n"), "SIG{sig}: {}", r.stdout);
        assert_eq!(audit_enabled(), before, "SIG{sig} left audit changed");
        if let Err(left) = no_landtrace_objects(&[]) {
            panic!("SIG{sig}: BPF objects outlived landtrace: {left:?}");
        }
    }
}

/// SIGKILL gives landtrace no chance: its watchdog puts audit back.
fn sigkill_leaves_audit_to_the_watchdog() {
    let _serial = live("sigkill_leaves_audit_to_the_watchdog");
    let before = audit_enabled();
    let r = run(&["-e", "on deny_* {}", "-c", "kill -KILL $PPID; sleep 1"]);
    assert_eq!(r.code, None, "killed by a signal");
    let deadline = Instant::now() + Duration::from_secs(5);
    while audit_enabled() != before {
        assert!(Instant::now() < deadline, "audit not restored after SIGKILL");
        std::thread::sleep(Duration::from_millis(50));
    }
    if let Err(left) = no_landtrace_objects(&[]) {
        panic!("BPF objects outlived a killed landtrace: {left:?}");
    }
}

/// Two landtraces share audit: the first to stop leaves it enabled for the
/// other; the last disables it. A setting an administrator changes during
/// the run is left alone (issue 11.2).
fn two_instances_and_the_administrator() {
    let _serial = live("two_instances_and_the_administrator");
    let before = audit_enabled();
    if before != 0 {
        // Audit enabled by someone else: landtrace must not touch it.
        let r = run(&["--source", "audit", "-e", "on deny_* {}", "-c", "true"]);
        assert_eq!((r.code, audit_enabled()), (Some(0), before));
        return;
    }
    let start = |name: &str| {
        let mut fds = [0; 2];
        // SAFETY: pipe fills two descriptors.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        let child = Command::new(landtrace())
            .args(["--source", "audit", "--ready-fd", &fds[1].to_string(), "-e", "on deny_* {}"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // SAFETY: the parent's copy of the write end is not needed.
        unsafe { libc::close(fds[1]) };
        // SAFETY: fds[0] is ours.
        let mut ready =
            BufReader::new(unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fds[0]) });
        let mut line = String::new();
        ready.read_line(&mut line).unwrap();
        assert!(line.starts_with("ready"), "{name}: {line:?}");
        child
    };
    let stop = |mut c: std::process::Child| {
        // SAFETY: signalling our child.
        unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
        let mut err = String::new();
        c.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        assert_eq!(c.wait().unwrap().code(), Some(0), "{err}");
        err
    };
    let a = start("A");
    let b = start("B");
    assert_eq!(audit_enabled(), 1);
    let err = stop(a);
    assert!(err.contains("audit stays enabled: another landtrace is using it"), "{err}");
    assert_eq!(audit_enabled(), 1, "B still needs audit");
    let err = stop(b);
    assert!(err.contains("audit was enabled for the run and is disabled again"), "{err}");
    assert_eq!(audit_enabled(), 0);
    // The administrator turns audit off and on again during the run: it
    // is then theirs, and stays as they set it.
    let c = start("C");
    landtrace_runtime::live::audit::set_enabled(0).unwrap();
    landtrace_runtime::live::audit::set_enabled(1).unwrap();
    landtrace_runtime::live::audit::set_enabled(0).unwrap();
    let err = stop(c);
    assert!(err.contains("left as they are") && !err.contains("disabled again"), "{err}");
    assert_eq!(audit_enabled(), 0);
}

/// A denial flood: what is not counted is reported lost, so counted plus
/// lost covers every denial (issue 11.4).
fn an_audit_flood_is_counted_or_reported_lost() {
    let _serial = live("an_audit_flood_is_counted_or_reported_lost");
    const N: u64 = 50_000;
    let r = run(&[
        "--source",
        "audit",
        "-f",
        "json",
        "-e",
        "on deny_access_fs { @n = count() }",
        "-c",
        &format!("{} flood {N} /etc/passwd", sandboxer().display()),
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let counted = r
        .events
        .iter()
        .find(|e| e["type"] == "map" && e["name"] == "@n")
        .and_then(|m| m["entries"][0]["value"].as_u64())
        .unwrap_or(0);
    let lost: u64 = r.events.iter().filter(|e| e["type"] == "lost").filter_map(|e| e["count"].as_u64()).sum();
    assert!(counted + lost >= N, "counted {counted} + lost {lost} < {N}: {}", r.stderr);
    if lost > 0 {
        assert!(r.stderr.contains("audit records lost"), "{}", r.stderr);
    }
    eprintln!("flood: {counted} counted, {lost} reported lost");
}

/// Each source runs as an unprivileged user with exactly the capabilities
/// docs/live.md lists, and with one fewer says which is missing (issue 11.13).
fn each_source_with_exactly_its_capabilities() {
    let _serial = live("each_source_with_exactly_its_capabilities");
    let before = audit_enabled();
    let as_nobody = |caps: &[&str], source: &str| {
        let set: Vec<String> = caps.iter().map(|c| format!("+{c}")).collect();
        let set = if set.is_empty() { "-all".to_string() } else { set.join(",") };
        let out = Command::new("setpriv")
            .args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
            .arg(format!("--inh-caps={set}"))
            .arg(format!("--ambient-caps={set}"))
            .arg(landtrace())
            .args(["--source", source, "-e", "on *", "-c", "true"])
            .current_dir("/")
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let sets: [(&str, &[&str]); 2] = [
        ("compat", &["bpf", "perfmon", "dac_read_search"]),
        ("audit", &["audit_read", "audit_control", "dac_override"]),
    ];
    for (source, caps) in sets {
        let (code, err) = as_nobody(caps, source);
        assert_eq!(code, Some(0), "{source} with {caps:?}: {err}");
        for drop in caps {
            let fewer: Vec<&str> = caps.iter().copied().filter(|c| c != drop).collect();
            let (code, err) = as_nobody(&fewer, source);
            assert_eq!(code, Some(1), "{source} without {drop}: {err}");
            let named = match *drop {
                "bpf" | "perfmon" => "CAP_BPF and CAP_PERFMON",
                other => &format!("CAP_{}", other.to_uppercase()),
            };
            assert!(err.contains(named), "{source} without {drop}: {err}");
        }
    }
    assert_eq!(audit_enabled(), before);
}

/// A panic inside compiled code (a failpoint of debug builds) unwinds: the
/// process exits 101 with audit restored and no BPF object left (issue 11.1).
fn a_panic_still_restores_the_system() {
    let _serial = live("a_panic_still_restores_the_system");
    let before = audit_enabled();
    let out = Command::new(landtrace())
        .env("LANDTRACE_FAILPOINT", "panic")
        .args(["-e", "on deny_* { printf(\"denied\\n\") }", "-c"])
        .arg(format!("{} read /etc/passwd", sandboxer().display()))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(101), "a panic, not an abort: {stderr}");
    assert!(stderr.contains("LANDTRACE_FAILPOINT=panic"), "{stderr}");
    assert_eq!(audit_enabled(), before, "audit restored while unwinding");
    if let Err(left) = no_landtrace_objects(&[]) {
        panic!("BPF objects outlived a panicking landtrace: {left:?}");
    }
}

fn main() -> std::process::ExitCode {
    harness::main(&[
        ("sandboxed_workload_under_c", sandboxed_workload_under_c),
        ("c_scoping_excludes_unrelated_processes", c_scoping_excludes_unrelated_processes),
        ("record_then_replay", record_then_replay),
        ("live_metrics_are_scraped_while_tracing", live_metrics_are_scraped_while_tracing),
        ("a_long_run_with_metrics_stays_bounded", a_long_run_with_metrics_stays_bounded),
        ("sighup_reloads_the_script", sighup_reloads_the_script),
        ("the_units_capabilities_are_enough", the_units_capabilities_are_enough),
        ("ready_fd_then_sigterm", ready_fd_then_sigterm),
        ("p_follows_a_running_process", p_follows_a_running_process),
        ("source_choice_and_warnings", source_choice_and_warnings),
        ("auto_leaves_audit_alone_when_not_needed", auto_leaves_audit_alone_when_not_needed),
        ("unprivileged_users_are_told_what_is_missing", unprivileged_users_are_told_what_is_missing),
        ("losses_are_reported", losses_are_reported),
        ("capabilities_are_dropped_after_attaching", capabilities_are_dropped_after_attaching),
        ("every_terminating_signal_ends_the_run_cleanly", every_terminating_signal_ends_the_run_cleanly),
        ("sigkill_leaves_audit_to_the_watchdog", sigkill_leaves_audit_to_the_watchdog),
        ("two_instances_and_the_administrator", two_instances_and_the_administrator),
        ("an_audit_flood_is_counted_or_reported_lost", an_audit_flood_is_counted_or_reported_lost),
        ("each_source_with_exactly_its_capabilities", each_source_with_exactly_its_capabilities),
        ("a_panic_still_restores_the_system", a_panic_still_restores_the_system),
    ])
}
