//! The kernel matrix: landtrace live on Debian's own cloud kernels, booted
//! under QEMU by vm/run.sh (docs/testing.md). Each test boots one kernel,
//! where vm/guest/tests.sh traces the sandboxer's known actions with every
//! source, and then checks here what that kernel yields: the `--info` row,
//! and exact events and fields per source.
//!
//! They run when `LANDTRACE_VM=1` or `LANDTRACE_REQUIRE_LIVE=1` (as in CI);
//! under `LANDTRACE_REQUIRE_LIVE` a kernel that cannot be booted fails.
//! Each failure names the kernel and the check.

#[path = "harness/mod.rs"]
mod harness;
mod schema;

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// One VM at a time: TCG is slow enough on two cores without company.
static SERIAL: Mutex<()> = Mutex::new(());

/// What a kernel has, as `landtrace --info` must say.
struct Expect {
    suite: &'static str,
    abi: i64,
    /// Landlock writes audit records (ABI 7+).
    audit: bool,
    tracepoints: usize,
}

/// The results of one boot.
struct Guest {
    name: String,
    dir: PathBuf,
}

impl Guest {
    fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.dir.join(file))
            .unwrap_or_else(|e| panic!("{}: {file}: {e} (see {})", self.name, self.dir.display()))
    }

    /// Asserts that guest step `step` exited with `code`.
    fn exited(&self, step: &str, code: i32) {
        let rc: i32 = self.read(&format!("{step}.rc")).trim().parse().unwrap();
        assert_eq!(
            rc,
            code,
            "{}: {step} exited with {rc}; stderr:\n{}",
            self.name,
            self.read(&format!("{step}.err"))
        );
    }

    /// The events `landtrace record --source SOURCE` wrote.
    fn events(&self, source: &str) -> Vec<Value> {
        self.exited(&format!("record-{source}"), 0);
        let text = self.read(&format!("record-{source}.jsonl"));
        schema::check(&text);
        text.lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|v| v["type"] == "event")
            .collect()
    }
}

fn of<'a>(events: &'a [Value], name: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["event"] == name).collect()
}

fn id(v: &Value) -> u64 {
    u64::from_str_radix(v.as_str().unwrap_or_else(|| panic!("not an id: {v}")), 16).unwrap()
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

/// Boots the newest cloud kernel of `suite`, or says why it cannot.
fn boot(suite: &str) -> Guest {
    let required = std::env::var_os("LANDTRACE_REQUIRE_LIVE").is_some_and(|v| v == "1");
    let wanted = required || std::env::var_os("LANDTRACE_VM").is_some_and(|v| v == "1");
    if !wanted {
        harness::skip(suite, "set LANDTRACE_VM=1 to boot the VM (docs/testing.md)");
    }
    let _guard = SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let landtrace = PathBuf::from(env!("CARGO_BIN_EXE_landtrace"));
    let sandboxer = landtrace.parent().unwrap().join("sandboxer");
    assert!(sandboxer.exists(), "{} is missing: run `cargo test --workspace`", sandboxer.display());
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("vm").join(suite);
    let out = Command::new(root.join("vm/run.sh"))
        .arg(suite)
        .arg(&dir)
        .env("LANDTRACE_BIN", &landtrace)
        .env("SANDBOXER_BIN", &sandboxer)
        .output()
        .expect("vm/run.sh");
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if !out.status.success() {
        let console = std::fs::read_to_string(dir.join("console.log")).unwrap_or_default();
        let tail: Vec<&str> = console.lines().rev().take(30).collect();
        panic!(
            "{suite}: the VM did not run: {log}\nconsole (last lines):\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    eprint!("{log}");
    let release = std::fs::read_to_string(dir.join("guest/uname")).unwrap_or_default();
    Guest { name: format!("{suite} ({})", release.trim()), dir: dir.join("guest") }
}

/// The `landtrace --info` lines of a kernel, as key -> value.
fn info(g: &Guest) -> BTreeMap<String, String> {
    g.exited("info", 0);
    g.read("info.out")
        .lines()
        .filter_map(|l| l.split_once(": ").map(|(k, v)| (k.to_string(), v.to_string())))
        .collect()
}

fn check_info(g: &Guest, e: &Expect) {
    let i = info(g);
    let yes = |b: bool| if b { "yes" } else { "no" };
    assert_eq!(i["landlock"], format!("ABI {}", e.abi), "{}: --info landlock", g.name);
    assert_eq!(i["audit"], "yes", "{}: --info audit", g.name);
    assert_eq!(i["landlock audit records"], yes(e.audit), "{}: --info landlock audit records", g.name);
    let ids = if e.audit { "kernel" } else { "per run (compat)" };
    assert_eq!(i["domain IDs"], ids, "{}: --info domain IDs", g.name);
    assert_eq!(i["btf"], "yes", "{}: --info btf", g.name);
    assert!(
        i["tracepoints"].starts_with(&format!("{} ", e.tracepoints)),
        "{}: --info tracepoints: {}",
        g.name,
        i["tracepoints"]
    );
    let auto = match (e.tracepoints > 0, e.audit) {
        (true, _) => "tracepoint",
        (false, true) => "compat + audit",
        (false, false) => "compat",
    };
    assert!(i["auto"].starts_with(&format!("{auto} (")), "{}: --info auto: {}", g.name, i["auto"]);
    // Where the denials show on this kernel, the question users ask first.
    let denials = match (e.tracepoints > 0, e.audit) {
        (true, _) => "tracepoint (",
        (false, true) => "audit (",
        (false, false) => "hooks (Landlock ABI",
    };
    assert!(i["denials"].starts_with(denials), "{}: --info denials: {}", g.name, i["denials"]);
    let compat = "create_ruleset free_ruleset add_rule_fs add_rule_net create_domain enforce_domain";
    // With the hooks, for denials, where Landlock logs none.
    let compat = if e.audit {
        compat.to_string()
    } else {
        format!("{compat} deny_access_fs deny_access_net deny_scope_signal")
    };
    assert_eq!(i["source compat"], compat, "{}: --info source compat", g.name);
    let audit = if e.audit {
        "create_domain free_domain deny_access_fs deny_access_net deny_ptrace deny_scope_signal deny_scope_abstract_unix_socket"
    } else {
        "none"
    };
    assert_eq!(i["source audit"], audit, "{}: --info source audit", g.name);
    if e.tracepoints == 14 {
        assert_eq!(i["source tracepoint"].split(' ').count(), 14, "{}: --info source tracepoint", g.name);
    } else {
        assert_eq!(i["source tracepoint"], "none", "{}: --info source tracepoint", g.name);
    }
}

/// The sandboxer's two nested layers as compat (or the tracepoints) saw
/// them: rulesets with the masks this ABI supports, the rules, two nested
/// domains, their enforcement and the rulesets' release.
fn check_lifecycle(g: &Guest, e: &Expect, evs: &[Value], source: &str) {
    let what = format!("{} --source {source}", g.name);
    let fs = match e.abi {
        1 => 0x1fff,
        2 => 0x3fff,
        3 | 4 => 0x7fff,
        _ => 0xffff,
    };
    let net = if e.abi >= 4 { 3 } else { 0 };
    let scoped = if e.abi >= 6 { 3 } else { 0 };
    let rulesets = of(evs, "create_ruleset");
    assert_eq!(rulesets.len(), 3, "{what}: create_ruleset events");
    for (i, r) in rulesets.iter().enumerate() {
        // The two layers', then one closed without restricting.
        let (fs, net, scoped) = if i < 2 { (fs, net, scoped) } else { (0x6, 0, 0) };
        assert_eq!(int(&r["handled_fs_raw"]), fs, "{what}: create_ruleset {i} handled_fs");
        assert_eq!(int(&r["handled_net_raw"]), net, "{what}: create_ruleset {i} handled_net");
        assert_eq!(int(&r["scoped_raw"]), scoped, "{what}: create_ruleset {i} scoped");
        assert_eq!(r["comm"], "sandboxer", "{what}: create_ruleset comm");
        // Descriptors 0-2 are the standard streams and 3 the socket
        // listening on the abstract name; the unused ruleset's rule opened
        // /tmp first. Every source knows the fd.
        assert_eq!(int(&r["fd"]), if i < 2 { 4 } else { 5 }, "{what}: create_ruleset {i} fd");
    }
    let ruleset_ids: Vec<u64> = rulesets.iter().map(|r| id(&r["ruleset"])).collect();
    assert!(
        ruleset_ids.iter().all(|r| ruleset_ids.iter().filter(|x| *x == r).count() == 1),
        "{what}: {ruleset_ids:x?}"
    );
    let rules = of(evs, "add_rule_fs");
    let paths: Vec<&str> = rules.iter().map(|r| r["path"].as_str().unwrap()).collect();
    let layer = ["/usr", "/usr/lib", "/lib64", "/bin", "/sbin"];
    assert_eq!(paths, [&layer[..], &layer[..], &["/tmp"]].concat(), "{what}: add_rule_fs paths");
    for (i, r) in rules.iter().enumerate() {
        // EXECUTE|READ_FILE|READ_DIR for the layers, READ_FILE|WRITE_FILE
        // for the last, as asked (the kernel may add rights).
        let asked = if i < 10 { 0xd } else { 0x6 };
        assert_eq!(int(&r["access_rights_raw"]) & asked, asked, "{what}: add_rule_fs {i} access");
        assert_eq!(id(&r["ruleset"]), ruleset_ids[i / 5], "{what}: add_rule_fs {i} ruleset");
        // The number of rules the ruleset has with this one, as the kernel counts.
        let version = if i < 10 { i % 5 + 1 } else { 1 };
        assert_eq!(int(&r["ruleset_version"]), version as i64, "{what}: add_rule_fs {i} ruleset_version");
        // The descriptor the rule was added with (the rulesets' own).
        assert_eq!(int(&r["ruleset_fd"]), if i < 10 { 4 } else { 5 }, "{what}: add_rule_fs {i} ruleset_fd");
    }
    let domains = of(evs, "create_domain");
    assert_eq!(domains.len(), 2, "{what}: create_domain events");
    let (outer, inner) = (id(&domains[0]["domain"]), id(&domains[1]["domain"]));
    assert!(outer != 0 && inner != 0 && outer != inner, "{what}: domain IDs {outer:x} {inner:x}");
    assert_eq!(id(&domains[0]["parent"]), 0, "{what}: the first layer's parent");
    assert_eq!(id(&domains[1]["parent"]), outer, "{what}: the second layer's parent is the first");
    for d in &domains {
        assert_eq!(int(&d["ruleset_version"]), 5, "{what}: create_domain ruleset_version");
    }
    if !e.audit {
        assert_eq!((outer, inner), (1, 2), "{what}: per-run domain IDs");
    }
    let enforced: Vec<u64> = of(evs, "enforce_domain").iter().map(|d| id(&d["domain"])).collect();
    assert_eq!(enforced, [outer, inner], "{what}: enforce_domain");
    let freed: Vec<u64> = of(evs, "free_ruleset").iter().map(|r| id(&r["ruleset"])).collect();
    assert_eq!(freed, ruleset_ids, "{what}: free_ruleset, the unused one's too");
    // The unused ruleset: created, given its rule, freed, and no domain.
    let at = |name: &str, id_of: u64| {
        evs.iter().position(|e| e["event"] == name && id(&e["ruleset"]) == id_of).unwrap()
    };
    let unused = ruleset_ids[2];
    assert!(at("create_ruleset", unused) < at("free_ruleset", unused), "{what}: unused ruleset order");
    assert!(!domains.iter().any(|d| id(&d["ruleset"]) == unused), "{what}: the unused ruleset made a domain");
}

/// The evil file name vm/guest/tests.sh creates.
const EVIL: &str = "/tmp/evil\nname\x1b[31m = \"q'x";

/// The denials of the sandboxer's inner layer, from audit or the
/// tracepoints.
fn check_denials(g: &Guest, evs: &[Value], source: &str, inner: u64) {
    let what = format!("{} --source {source}", g.name);
    let fs = of(evs, "deny_access_fs");
    let got: Vec<(&str, i64)> =
        fs.iter().map(|d| (d["path"].as_str().unwrap(), int(&d["blockers_raw"]))).collect();
    assert_eq!(
        got,
        [("/etc/hostname", 4), ("/etc", 1 << 8), (EVIL, 4), ("/etc/hostname", 4)],
        "{what}: deny_access_fs path, blockers (the last one as nobody)"
    );
    let net = of(evs, "deny_access_net");
    let got: Vec<(i64, i64, i64)> =
        net.iter().map(|d| (int(&d["blockers_raw"]), int(&d["sport"]), int(&d["dport"]))).collect();
    assert_eq!(got, [(1, 9000, 0), (2, 0, 80)], "{what}: deny_access_net blockers, sport, dport");
    let signal = of(evs, "deny_scope_signal");
    assert_eq!(signal.len(), 1, "{what}: deny_scope_signal");
    assert_eq!(int(&signal[0]["target_pid"]), 1, "{what}: deny_scope_signal target_pid");
    let unix = of(evs, "deny_scope_abstract_unix_socket");
    assert_eq!(unix.len(), 1, "{what}: deny_scope_abstract_unix_socket");
    // One spelling on every source (audit gives a leading NUL, the
    // tracepoints none): the name alone.
    assert_eq!(unix[0]["sun_path"], "demo", "{what}: sun_path");
    for d in fs.iter().chain(&net).chain(&signal).chain(&unix) {
        assert_eq!(id(&d["domain"]), inner, "{what}: {} is the inner domain's", d["event"]);
        assert_eq!(d["comm"], "sandboxer", "{what}: {} comm", d["event"]);
    }
    let freed = of(evs, "free_domain");
    let inner_freed: Vec<i64> =
        freed.iter().filter(|f| id(&f["domain"]) == inner).map(|f| int(&f["denials"])).collect();
    assert_eq!(inner_freed, [8], "{what}: free_domain of the inner domain with its denials");
}

/// A daemon started before landtrace (it sandboxes itself, waits, drops to
/// nobody and is denied a creation under /etc): `-p` attaches to it and
/// sees the denial, on every kernel (hooks, audit or tracepoints).
fn check_daemon_started_before(g: &Guest) {
    g.exited("attach-pid", 0);
    let out = g.read("attach-pid.out");
    assert_eq!(out, "sandboxer 65534 /etc MAKE_REG\n", "{}: -p: {}", g.name, g.read("attach-pid.err"));
}

/// The workload ends as nobody reading /bin/secret, a root-owned 0600 file
/// its Landlock rules allow: the EACCES comes from the file's mode, not
/// Landlock, and no source reports it as a Landlock denial.
fn check_only_landlock_denials(g: &Guest, e: &Expect) {
    let said = g.read("record-compat.err");
    assert!(
        said.contains("sandboxer: read /bin/secret: denied"),
        "{}: the workload's last read: {said}",
        g.name
    );
    let mut sources = vec!["compat", "audit", "auto"];
    if e.tracepoints > 0 {
        sources.push("tracepoint");
    }
    for source in sources {
        let evs = g.events(source);
        let wrong: Vec<&Value> = evs.iter().filter(|v| v["path"] == "/bin/secret").collect();
        assert!(
            wrong.is_empty(),
            "{} --source {source}: a mode-bit EACCES reported as Landlock's: {wrong:?}",
            g.name
        );
    }
}

/// Where Landlock logs no denial (before ABI 7), compat's hooks on its own
/// functions see them: the inner domain's (by its per-run ID), with the
/// rights the operation asked for. 6.1 has `hook_file_open` (reads) and no
/// network rights; 6.12 lacks `hook_file_open` in its BTF and has the
/// socket and signal hooks; both have `hook_path_mknod` (the creation
/// under /etc).
fn check_hook_denials(g: &Guest, e: &Expect, evs: &[Value]) {
    let what = format!("{} --source compat (hooks)", g.name);
    let inner = id(&of(evs, "create_domain")[1]["domain"]);
    let fs = of(evs, "deny_access_fs");
    let got: Vec<(&str, i64)> =
        fs.iter().map(|d| (d["path"].as_str().unwrap(), int(&d["blockers_raw"]))).collect();
    let want: Vec<(&str, i64)> = if e.abi >= 6 {
        vec![("/etc", 1 << 8)]
    } else {
        // The last one as nobody, after the drop of privileges.
        vec![("/etc/hostname", 4), ("/etc", 1 << 8), (EVIL, 4), ("/etc/hostname", 4)]
    };
    assert_eq!(got, want, "{what}: deny_access_fs path, blockers");
    let net = of(evs, "deny_access_net");
    let got: Vec<(i64, i64, i64)> =
        net.iter().map(|d| (int(&d["blockers_raw"]), int(&d["sport"]), int(&d["dport"]))).collect();
    let want: Vec<(i64, i64, i64)> = if e.abi >= 4 { vec![(1, 9000, 0), (2, 0, 80)] } else { Vec::new() };
    assert_eq!(got, want, "{what}: deny_access_net blockers, sport, dport");
    // Signal scoping (ABI 6: 6.12), from hook_task_kill: pid 1 is init.
    let signal = of(evs, "deny_scope_signal");
    let got: Vec<(i64, &str, u64)> = signal
        .iter()
        .map(|d| (int(&d["target_pid"]), d["target_comm"].as_str().unwrap(), id(&d["target_domain"])))
        .collect();
    let want: Vec<(i64, &str, u64)> = if e.abi >= 6 { vec![(1, "init", 0)] } else { Vec::new() };
    assert_eq!(got, want, "{what}: deny_scope_signal target_pid, target_comm, target_domain");
    for d in fs.iter().chain(&net).chain(&signal) {
        assert_eq!(id(&d["domain"]), inner, "{what}: {} is the inner domain's", d["event"]);
        assert_eq!(d["comm"], "sandboxer", "{what}: {} comm", d["event"]);
        // What only the kernel knows (6.15+) is said to be unknown.
        assert_eq!(d["extra"]["unknown"], "same_exec,logged", "{what}: {}", d["event"]);
    }
}

fn check_text_escaping(g: &Guest) {
    g.exited("text-auto", 0);
    let out = g.read("text-auto.out");
    assert!(!out.contains('\x1b'), "{}: a raw ESC reached the output", g.name);
    assert!(
        // Readable text as it is, the newline and ESC shown.
        out.lines().any(|l| l == r#"sandboxer /tmp/evil\x0aname\x1b[31m = "q'x"#),
        "{}: the hostile path is not one escaped line:\n{out}",
        g.name
    );
}

fn check_detached(g: &Guest) {
    for kind in ["progs", "maps"] {
        let list: Vec<Value> = serde_json::from_str(&g.read(&format!("bpf-{kind}.json"))).unwrap();
        let ours: Vec<&Value> =
            list.iter().filter(|v| v["name"].as_str().is_some_and(|n| n.starts_with("lt_"))).collect();
        assert!(ours.is_empty(), "{}: BPF {kind} left after the runs: {ours:?}", g.name);
    }
}

fn matrix(e: Expect) {
    let g = boot(e.suite);
    check_info(&g, &e);
    check_daemon_started_before(&g);
    let compat = g.events("compat");
    check_lifecycle(&g, &e, &compat, "compat");
    let audit = g.events("audit");
    check_only_landlock_denials(&g, &e);
    if e.audit {
        let auto = g.events("auto");
        let inner = if e.tracepoints > 0 {
            check_lifecycle(&g, &e, &auto, "auto");
            id(&of(&auto, "create_domain")[1]["domain"])
        } else {
            // compat's create_domain and audit's denials join on domain.
            let compat_inner = of(&auto, "create_domain").iter().map(|d| id(&d["domain"])).nth(1);
            let inner = compat_inner.unwrap_or_else(|| panic!("{}: auto: no second create_domain", g.name));
            check_denials(&g, &auto, "auto", inner);
            inner
        };
        let audit_inner = id(&of(&audit, "deny_access_fs")[0]["domain"]);
        check_denials(&g, &audit, "audit", audit_inner);
        assert_ne!(inner, 0);
        check_text_escaping(&g);
    } else {
        check_hook_denials(&g, &e, &compat);
        assert!(audit.is_empty(), "{}: --source audit gave events: {audit:?}", g.name);
        assert!(
            g.read("record-audit.err").contains("writes no Landlock audit records"),
            "{}: no warning",
            g.name
        );
    }
    if e.tracepoints > 0 {
        check_tracepoints(&g, &e);
        check_pushdown(&g);
    } else {
        g.exited("record-tracepoint", 1);
        assert!(g.read("record-tracepoint.err").contains("no landlock:* tracepoints"), "{}", g.name);
    }
    // `on deny_access_fs` with --strict: fine where auto has a source of
    // denials, refused before tracing where it has none.
    if e.audit {
        g.exited("strict-auto", 0);
        assert!(
            g.read("strict-auto.out").contains("/etc/hostname"),
            "{}: {}",
            g.name,
            g.read("strict-auto.out")
        );
    } else {
        // The hooks give denials: 6.1's open too, 6.12 has no hook_file_open.
        g.exited("strict-auto", 0);
        let out = g.read("strict-auto.out");
        let want = if e.abi >= 6 { "@[/etc]: 1" } else { "@[/etc/hostname]: 2" };
        assert!(out.contains(want), "{}: strict-auto: {out}", g.name);
    }
    check_detached(&g);
}

/// The JSON lines of a guest step's output.
fn json_lines(g: &Guest, step: &str) -> Vec<Value> {
    g.exited(step, 0);
    let text = g.read(&format!("{step}.out"));
    schema::check(&text);
    text.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()).collect()
}

/// The probes' counters a run reported (its `summary` record).
fn probe_summary(g: &Guest, lines: &[Value], step: &str) -> (i64, i64, i64) {
    let s = lines
        .iter()
        .find(|v| v["type"] == "summary")
        .unwrap_or_else(|| panic!("{}: {step}: no summary record", g.name));
    (int(&s["seen"]), int(&s["filtered"]), int(&s["delivered"]))
}

/// The entries of the map a run printed at the end: (keys, value).
fn map_entries(lines: &[Value]) -> Vec<(Vec<Value>, i64)> {
    lines
        .iter()
        .filter(|v| v["type"] == "map")
        .flat_map(|m| m["entries"].as_array().cloned().unwrap_or_default())
        .map(|e| (e["keys"].as_array().cloned().unwrap_or_default(), int(&e["value"])))
        .collect()
}

/// Filters in the kernel, under thousands of `check_rule_fs` from a
/// sandboxer reading under a rule: a clause no event meets gets none
/// delivered, and one that keeps one domain gets only that domain's.
fn check_pushdown(g: &Guest) {
    let all = json_lines(g, "pushdown-all");
    let (_, _, delivered_all) = probe_summary(g, &all, "pushdown-all");
    let counted: i64 = map_entries(&all).iter().map(|(_, v)| v).sum();
    assert!(counted >= 1000, "{}: pushdown-all: only {counted} check_rule_fs", g.name);
    assert_eq!(delivered_all, counted, "{}: pushdown-all: every check_rule_fs is delivered", g.name);

    let none = json_lines(g, "pushdown-none");
    let (seen, filtered, delivered) = probe_summary(g, &none, "pushdown-none");
    assert_eq!(delivered, 0, "{}: pushdown-none delivered events", g.name);
    assert!(
        filtered >= 1000 && filtered <= seen,
        "{}: pushdown-none: seen {seen}, filtered {filtered}",
        g.name
    );

    let d = g.read("pushdown-domain-id.out");
    let d =
        u64::from_str_radix(d.trim(), 16).unwrap_or_else(|_| panic!("{}: no domain learnt: {d:?}", g.name));
    let one = json_lines(g, "pushdown-domain");
    let entries = map_entries(&one);
    assert!(!entries.is_empty(), "{}: pushdown-domain: no check_rule_fs of domain {d:x}", g.name);
    for (keys, n) in &entries {
        assert_eq!(keys.len(), 1);
        assert_eq!(id(&keys[0]), d, "{}: pushdown-domain: another domain's events", g.name);
        assert!(*n >= 1000, "{}: pushdown-domain: only {n} of domain {d:x}", g.name);
    }
    let (_, filtered, delivered) = probe_summary(g, &one, "pushdown-domain");
    assert_eq!(delivered, entries[0].1, "{}: pushdown-domain: delivered only the domain's", g.name);
    assert!(
        filtered >= 1000,
        "{}: pushdown-domain: the other sandboxer's were not dropped in the kernel",
        g.name
    );
}

/// The kernel with the Landlock tracepoints: the tracepoint source is
/// exact, and the same workload captured by the kernel's own ftrace and
/// replayed gives the same events.
fn check_tracepoints(g: &Guest, e: &Expect) {
    let live = g.events("tracepoint");
    check_lifecycle(g, e, &live, "tracepoint");
    let inner = id(&of(&live, "create_domain")[1]["domain"]);
    check_denials(g, &live, "tracepoint", inner);
    let checks = of(&live, "check_rule_fs");
    assert!(!checks.is_empty(), "{}: no check_rule_fs for the nested read", g.name);
    for c in &checks {
        assert_eq!(
            c["grants"].as_array().map(Vec::len),
            Some(2),
            "{}: check_rule_fs grants, one per layer: {c}",
            g.name
        );
    }
    // Every field of every format maps, and the schema gets all it needs.
    let warnings = g.read("record-tracepoint.err");
    assert!(!warnings.contains("warning"), "{}: {warnings}", g.name);
    let ftrace = g.dir.join("ftrace.txt");
    let out = Command::new(env!("CARGO_BIN_EXE_landtrace"))
        .args(["--strict", "-f", "json", "--replay"])
        .arg(&ftrace)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: replaying the ftrace capture: {}",
        g.name,
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    schema::check(&text);
    let replayed: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["type"] == "event")
        .collect();
    // Times, IDs and tasks differ between the two runs; the rest must not.
    let keep = |v: &Value| -> Value {
        let mut m = v.as_object().unwrap().clone();
        for k in [
            "time",
            "walltime",
            "pid",
            "tid",
            "ppid",
            "cpu",
            "cgroup",
            "uid",
            "gid",
            // Which of those the source knew: ftrace text knows fewer.
            "unknown",
            "source",
            "ruleset",
            "domain",
            "parent",
            "peer_pid",
            "ino",
            // The ftrace text cannot know a ruleset's descriptors.
            "fd",
            "ruleset_fd",
        ] {
            m.remove(k);
        }
        Value::Object(m)
    };
    let a: Vec<Value> = live.iter().filter(|v| v["event"] != "free_domain").map(keep).collect();
    let b: Vec<Value> = replayed.iter().filter(|v| v["event"] != "free_domain").map(keep).collect();
    assert_eq!(a.len(), b.len(), "{}: live tracepoint vs replayed ftrace: event counts", g.name);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y, "{}: live tracepoint vs replayed ftrace", g.name);
    }
}

fn linux_6_1_bookworm() {
    matrix(Expect { suite: "bookworm", abi: 2, audit: false, tracepoints: 0 });
}

fn linux_6_12_trixie() {
    matrix(Expect { suite: "trixie", abi: 6, audit: false, tracepoints: 0 });
}

fn linux_7_2_sid() {
    matrix(Expect { suite: "sid", abi: 10, audit: true, tracepoints: 0 });
}

fn linux_7_3_experimental() {
    matrix(Expect { suite: "experimental", abi: 11, audit: true, tracepoints: 14 });
}

fn main() -> std::process::ExitCode {
    harness::main(&[
        ("linux_6_1_bookworm", linux_6_1_bookworm),
        ("linux_6_12_trixie", linux_6_12_trixie),
        ("linux_7_2_sid", linux_7_2_sid),
        ("linux_7_3_experimental", linux_7_3_experimental),
    ])
}
