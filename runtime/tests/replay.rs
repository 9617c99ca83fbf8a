//! Replay of every format: detection, every revision of the ftrace forms,
//! audit grouping, JSON round trips, and malformed, truncated and hostile
//! input (reported with <file:line>, skipped, counted; fatal with --strict).

use landtrace_event::record::Event;
use landtrace_event::schema::Builtin;
use landtrace_event::schema::{EventKind, field};
use landtrace_runtime::output::SharedBuf;
use landtrace_runtime::replay::ReplaySource;
use landtrace_runtime::{Source, SourceError};
use landtrace_trace::jsonl::json_event;
use landtrace_trace::{Format, classify, decode_all};

fn replay(
    name: &str,
    bytes: &[u8],
    strict: bool,
) -> (Vec<Event>, String, Result<(), SourceError>, Vec<String>) {
    let report = SharedBuf::default();
    let mut src = ReplaySource::from_bytes(name, bytes.to_vec(), strict).report_to(Box::new(report.clone()));
    let mut events = Vec::new();
    let mut ev = Event::new();
    let result = loop {
        match src.next(&mut ev) {
            Ok(true) => events.push(ev.clone()),
            Ok(false) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    (events, report.text(), result, src.summary())
}

fn kinds(evs: &[Event]) -> Vec<EventKind> {
    evs.iter().map(|e| e.kind().unwrap()).collect()
}

#[test]
fn formats_are_detected() {
    assert_eq!(classify(b"{\"event\":\"free_domain\"}"), Some(Format::Jsonl));
    assert_eq!(classify(b"type=LANDLOCK_ACCESS msg=audit(1.2:3): domain=1"), Some(Format::Audit));
    assert_eq!(classify(b"node=h type=SYSCALL msg=audit(1.2:3): a=1"), Some(Format::Audit));
    assert_eq!(classify(b"[ 12.5] audit: type=1423 audit(1.2:3): domain=1"), Some(Format::KernelLog));
    assert_eq!(classify(b"# tracer: nop"), Some(Format::Ftrace));
    assert_eq!(
        classify(b"  cat-1 [000] 1.0: landlock_free_domain: domain=1 denials=0"),
        Some(Format::Ftrace)
    );
    assert_eq!(classify(b"hello world"), None);
}

#[test]
fn the_shipped_traces_replay_cleanly() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/traces");
    for (file, min_events) in [("demo.ftrace", 200), ("demo.jsonl", 200), ("sandboxer.audit.log", 10)] {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let (evs, report, result, summary) = replay(file, &bytes, true);
        assert!(result.is_ok(), "{file}: {result:?}");
        assert_eq!(report, "", "{file}");
        assert!(summary.is_empty(), "{file}: {summary:?}");
        assert!(evs.len() >= min_events, "{file}: {} events", evs.len());
    }
}

#[test]
fn ftrace_and_its_json_conversion_are_the_same_events() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/traces");
    let (a, ..) = replay("demo.ftrace", &std::fs::read(dir.join("demo.ftrace")).unwrap(), true);
    let (b, ..) = replay("demo.jsonl", &std::fs::read(dir.join("demo.jsonl")).unwrap(), true);
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        let (mut lx, mut ly) = (Vec::new(), Vec::new());
        json_event(&mut lx, x);
        json_event(&mut ly, y);
        assert_eq!(String::from_utf8_lossy(&lx), String::from_utf8_lossy(&ly));
    }
}

#[test]
fn april_2026_revision() {
    let trace = b"\
 sandboxer-300 [001] d..1. 100.000001: landlock_create_ruleset: ruleset=1a2b.0 handled_fs=0x7 handled_net=0x3 scoped=0x0
 sandboxer-300 [001] d..1. 100.000002: landlock_add_rule_fs: ruleset=1a2b.0 access_rights=0x4 dev=254:1 ino=11 path=/usr
 sandboxer-300 [001] d..1. 100.000003: landlock_restrict_self: ruleset=1a2b.1 domain=1a30 parent=0
 sandboxer-300 [001] d..1. 100.000004: landlock_deny_access_fs: domain=1a30 same_exec=1 log_same_exec=1 log_new_exec=0 blockers=0x4 dev=254:1 ino=12 path=/etc/passwd
 sh-301 [000] d..1. 100.000005: landlock_deny_access_fs: domain=1a30 same_exec=0 log_same_exec=1 log_new_exec=0 blockers=0x2 dev=254:1 ino=13 path=/tmp/x
";
    let (evs, report, result, _) = replay("april.trace", trace, true);
    assert!(result.is_ok() && report.is_empty(), "{result:?} {report}");
    assert_eq!(
        kinds(&evs),
        [
            EventKind::CreateRuleset,
            EventKind::AddRuleFs,
            EventKind::CreateDomain,
            EventKind::DenyAccessFs,
            EventKind::DenyAccessFs
        ]
    );
    assert_eq!(evs[0].get(field::handled_fs), 7);
    assert_eq!(evs[0].get(field::handled_net), 3);
    assert_eq!(evs[2].get(field::domain), 0x1a30);
    assert_eq!(evs[2].get(field::ruleset_version), 1);
    assert_eq!(evs[3].get(field::logged), 1);
    assert_eq!(evs[4].get(field::logged), 0);
    assert_eq!(evs[4].get(field::blockers), 2);
    assert!(evs[4].extras().iter().any(|(k, v)| k == "log_new_exec" && v == b"0"));
}

#[test]
fn upstream_revision_renamed_events_and_trace_cmd_report() {
    let trace = b"\
version = 6
cpus=2
            curl-77    [001]   200.500000: landlock_add_rule_path_beneath: ruleset=5.2 access_rights=read_file|read_dir dev=8:1 ino=2 path=/etc/ssl
            curl-77    [001]   200.500001: landlock_add_rule_net_port: ruleset=5.3 access_rights=connect_tcp port=443
            curl-77    [000]   200.600000: landlock_check_rule_inode: domain=9 access_request=read_file dev=8:1 ino=2 grants={read_file}
            curl-77    [000]   200.600001: landlock_check_rule_net_port: domain=9 access_request=connect_tcp port=443 grants={connect_tcp,}
            curl-77    [000]   200.700000: landlock_enforce_domain: domain=9 complete=1 process_wide=0 no_new_privs=1
     kworker/1:2-40    [001]   201.000000: landlock_free_ruleset: ruleset=5.3
";
    let (evs, report, result, _) = replay("report.txt", trace, true);
    assert!(result.is_ok() && report.is_empty(), "{result:?} {report}");
    assert_eq!(
        kinds(&evs),
        [
            EventKind::AddRuleFs,
            EventKind::AddRuleNet,
            EventKind::CheckRuleFs,
            EventKind::CheckRuleNet,
            EventKind::EnforceDomain,
            EventKind::FreeRuleset
        ]
    );
    assert_eq!(evs[1].get(field::port), 443);
    assert_eq!(evs[3].grants(), &[2, 0]);
    assert_eq!(evs[4].get(field::process_wide), 0);
    assert_eq!(evs[5].comm(), b"kworker/1:2");
    assert_eq!(evs[5].header().time(), 201_000_000_000);
}

#[test]
fn kernel_escaped_strings_are_decoded() {
    let trace = b"x-1 [000] 1.0: landlock_deny_access_fs: domain=1 same_exec=1 logged=1 blockers=read_file dev=1:2 ino=3 path=/a\\040b\\075c\\nd\\033[0m\\\\e\\\"\\'\\377\n";
    let (evs, ..) = replay("esc.trace", trace, true);
    assert_eq!(evs[0].get_str(field::path), b"/a b=c\nd\x1b[0m\\e\"'\xff");
}

#[test]
fn malformed_lines_are_reported_skipped_and_counted() {
    let trace = b"# tracer: nop
x-1 [000] 1.0: landlock_free_domain: domain=1 denials=2
x-1 [000] 1.0: landlock_free_domain: domain=nothex denials=2
x-1 [000] 1.0: landlock_no_such_event: a=1
x-1 [000] 1.0: landlock_create_ruleset: ruleset=1.0 handled_fs=read_file|bogus handled_net= scoped=
x-1 [000] 1.0: landlock_free_domain: domain=3 denials=4 garbage
x-1 [000] 1.0: landlock_free_domain: domain=4 denials=5
CPU:1 [LOST 12 EVENTS]
x-1 [000] 1.0: landlock_free_domain: domain=5 den";
    let (evs, report, result, summary) = replay("bad.trace", trace, false);
    assert!(result.is_ok());
    assert_eq!(evs.iter().map(|e| e.get(field::domain)).collect::<Vec<_>>(), [1, 4]);
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines.len(), 5, "{report}");
    assert!(lines[0].starts_with("landtrace: bad.trace:3: domain: bad hex ID \"nothex\""), "{}", lines[0]);
    assert!(lines[1].starts_with("landtrace: bad.trace:4: unknown Landlock event landlock_no_such_event"));
    assert!(lines[2].contains("bad.trace:5: handled_fs: unknown fs right \"bogus\""));
    assert!(lines[3].contains("bad.trace:6: expected key=value, found \"garbage\""));
    assert!(lines[4].contains("bad.trace:9: truncated last line"), "{}", lines[4]);
    assert_eq!(summary, ["5 malformed lines skipped", "the recorded trace says 12 events were lost"]);

    let (evs, _, result, _) = replay("bad.trace", trace, true);
    assert_eq!(evs.len(), 1);
    match result {
        Err(SourceError::Malformed { path, line, reason }) => {
            assert_eq!((path.as_str(), line), ("bad.trace", 3));
            assert!(reason.contains("domain"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn input_that_is_not_a_trace_is_an_error_naming_it() {
    let (evs, _, result, _) = replay("notes.txt", b"hello\nworld\n", false);
    assert!(evs.is_empty());
    let e = result.unwrap_err().to_string();
    assert!(e.starts_with("notes.txt: not a Landlock trace"), "{e}");
    let (evs, _, result, _) = replay("binary", b"\x7fELF\x02\x01\x01\0\0\0\nmore", false);
    assert!(evs.is_empty());
    let e = result.unwrap_err().to_string();
    assert!(e.contains("binary: not a Landlock trace (binary data)"), "{e}");
    // Empty, or only blank lines: nothing to say.
    assert!(replay("empty", b"\n\n", false).2.is_ok());
}

/// A `trace_pipe` capture of a system with other events enabled: the
/// Landlock lines start after many others (issue 10.3).
#[test]
fn ftrace_is_found_wherever_its_landlock_lines_start() {
    let mut trace = Vec::new();
    for i in 0..500 {
        trace.extend_from_slice(
            format!("  <idle>-0  [001] d..2.  {i}.000100: sched_switch: prev_comm=swapper/1 prev_pid=0 ==> next_pid=5\n")
                .as_bytes(),
        );
    }
    trace.extend_from_slice(b"x-1 [000] 600.0: landlock_free_domain: domain=1 denials=2\n");
    let (evs, report, result, summary) = replay("pipe.txt", &trace, false);
    assert!(result.is_ok());
    assert_eq!(kinds(&evs), [EventKind::FreeDomain]);
    assert_eq!((report.as_str(), summary.len()), ("", 0), "{report}");
    // Audit records after garbage: found, and the garbage reported.
    let mut log = b"garbage\n".repeat(100);
    log.extend_from_slice(b"type=LANDLOCK_DOMAIN msg=audit(1.5:4): domain=1c status=deallocated denials=1\n");
    let (evs, report, result, summary) = replay("audit.log", &log, false);
    assert!(result.is_ok());
    assert_eq!(kinds(&evs), [EventKind::FreeDomain]);
    assert!(report.contains("audit.log:65: lines 65-100 are not audit log records"), "{report}");
    assert_eq!(summary, ["100 malformed lines skipped"]);
}

#[test]
fn overlong_lines_are_skipped() {
    let mut big = b"x-1 [000] 1.0: landlock_free_domain: domain=1 denials=1\n".to_vec();
    big.extend(std::iter::repeat_n(b'a', landtrace_trace::MAX_LINE + 10));
    big.extend_from_slice(b"\nx-1 [000] 1.0: landlock_free_domain: domain=2 denials=1\n");
    let (evs, report, ..) = replay("big.trace", &big, false);
    assert_eq!(evs.len(), 2);
    assert!(report.contains("big.trace:2: line longer than"), "{report}");
}

const REAL_AUDIT: &str = "../examples/traces/sandboxer.audit.log";

#[test]
fn real_audit_log_from_this_kernel() {
    let bytes = std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(REAL_AUDIT)).unwrap();
    let (evs, report, ..) = replay("audit.log", &bytes, true);
    assert_eq!(report, "");
    let k = kinds(&evs);
    for want in [
        EventKind::CreateDomain,
        EventKind::DenyAccessFs,
        EventKind::DenyAccessNet,
        EventKind::DenyScopeSignal,
        EventKind::DenyScopeAbstractUnixSocket,
        EventKind::FreeDomain,
    ] {
        assert!(k.contains(&want), "{want:?} missing from {k:?}");
    }
    let deny = evs.iter().find(|e| e.kind() == Some(EventKind::DenyAccessFs)).unwrap();
    assert_eq!(deny.get_str(field::path), b"/etc/passwd");
    assert_eq!(deny.comm(), b"sandboxer");
    assert!(deny.builtin(Builtin::Pid) > 0 && deny.builtin(Builtin::Ppid) > 0);
    let unix = evs.iter().find(|e| e.kind() == Some(EventKind::DenyScopeAbstractUnixSocket)).unwrap();
    // Audit gives the leading NUL; landtrace spells the name without it.
    assert_eq!(unix.get_str(field::sun_path), b"lt-demo");
    let created = evs.iter().find(|e| e.kind() == Some(EventKind::CreateDomain)).unwrap();
    let freed = evs.iter().find(|e| e.kind() == Some(EventKind::FreeDomain)).unwrap();
    assert_eq!(created.get(field::domain), freed.get(field::domain));
    assert!(freed.get(field::denials) > 0);
}

#[test]
fn hostile_audit_strings() {
    // A path holding a space, '=', a quote, a newline and an ANSI escape is
    // hex-encoded by audit; a comm with a space too.
    let path = b"/tmp/a b=\"c\n\x1b[31m";
    let hex: String = path.iter().map(|b| format!("{b:02X}")).collect();
    let log = format!(
        "type=LANDLOCK_ACCESS msg=audit(1.000:7): domain=2a blockers=fs.write_file,fs.make_reg path={hex} dev=\"vda\" ino=9\n\
         type=SYSCALL msg=audit(1.000:7): arch=c000003e syscall=257 success=no exit=-13 ppid=1 pid=5 uid=0 gid=0 comm=6576696C206E616D65 exe=\"/bin/x\"\n\
         type=LANDLOCK_ACCESS msg=audit(1.000:8): domain=2a blockers=fs.change_topology path=\"/mnt\" dev=\"vda\" ino=1\n\
         type=LANDLOCK_ACCESS msg=audit(1.000:9): domain=2a blockers=ptrace opid=1 ocomm=\"init\"\n\
         type=LANDLOCK_ACCESS msg=audit(1.000:10): domain=2a blockers=fs.read_file,net.bind_tcp\n\
         type=LANDLOCK_ACCESS msg=audit(1.000:11): blockers=fs.read_file\n\
         type=LANDLOCK_ACCESS msg=audit(1.000:12): domain=2a blockers=fs.read_file path=\"/x\n\
         type=LANDLOCK_ACCESS msg=audit(nope): domain=2a\n"
    );
    let (evs, report, ..) = replay("hostile.log", log.as_bytes(), false);
    assert_eq!(kinds(&evs), [EventKind::DenyAccessFs, EventKind::DenyAccessFs, EventKind::DenyPtrace]);
    assert_eq!(evs[0].get_str(field::path), path);
    assert_eq!(evs[0].comm(), b"evil name");
    assert_eq!(evs[0].get(field::blockers), 0b10 | 0b1_0000_0000);
    assert_eq!(evs[1].get(field::blockers), 0);
    assert!(evs[1].extras().iter().any(|(k, v)| k == "blocker" && v == b"fs.change_topology"));
    assert_eq!(evs[2].get(field::tracee_pid), 1);
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines.len(), 4, "{report}");
    assert!(lines[0].contains("hostile.log:5: blockers mix kinds of denial"));
    assert!(lines[1].contains("hostile.log:6: record has no domain="));
    assert!(lines[2].contains("hostile.log:7: path: unterminated quote"));
    assert!(lines[3].contains("hostile.log:8: audit(...) has no serial"), "{}", lines[3]);
}

#[test]
fn kernel_printk_audit_form() {
    let log = b"[  812.112233] audit: type=1423 audit(1795958807.045:3): domain=1c1407c26 blockers=fs.read_file path=\"/etc/passwd\" dev=\"vda\" ino=737\n";
    let (evs, ..) = replay("dmesg", log, true);
    assert_eq!(kinds(&evs), [EventKind::DenyAccessFs]);
    assert_eq!(evs[0].header().walltime(), 1_795_958_807_045_000_000);
}

#[test]
fn json_round_trip_keeps_every_byte() {
    let mut ev = Event::new();
    ev.reset(EventKind::CheckRuleNet, landtrace_event::schema::SourceKind::Tracepoint);
    ev.set_comm(b"\xff\xfe\n");
    ev.set(field::domain, u64::MAX);
    ev.set(field::access_request, 0b11 | 1 << 63);
    ev.set(field::port, 65535);
    ev.set_grants(&[0, 3, 1 << 40]);
    ev.push_extra("weird key\n", b"\x00\x01");
    let mut line = Vec::new();
    json_event(&mut line, &ev);
    line.push(b'\n');
    let (evs, report, result, _) = replay("rt.jsonl", &line, true);
    assert!(result.is_ok() && report.is_empty(), "{result:?} {report}");
    let back = &evs[0];
    assert_eq!(back.comm(), b"\xff\xfe\n");
    assert_eq!(back.get(field::domain), u64::MAX);
    assert_eq!(back.get(field::access_request), 0b11 | 1 << 63);
    assert_eq!(back.grants(), &[0, 3, 1 << 40]);
    assert_eq!(back.header().source_kind(), landtrace_event::schema::SourceKind::Tracepoint);
    assert_eq!(back.extras()[0].1, b"\x00\x01");
    let mut again = Vec::new();
    json_event(&mut again, back);
    again.push(b'\n');
    assert_eq!(String::from_utf8_lossy(&line), String::from_utf8_lossy(&again));
}

#[test]
fn malformed_json_lines() {
    let input = b"{\"type\":\"event\",\"v\":1,\"event\":\"free_domain\",\"domain\":\"a\",\"denials\":1}
{\"event\":\"free_domain\",\"domain\":\"zz\"}
{\"event\":\"free_domain\",\"denials\":\"many\"}
not json at all
[1,2,3]
{\"type\":\"map\",\"name\":\"@x\",\"entries\":[]}
{\"event\":\"free_domain\",\"domain\":\"b\",\"denials\":";
    let (evs, report, ..) = replay("bad.jsonl", input, false);
    assert_eq!(evs.len(), 1);
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines.len(), 5, "{report}");
    assert!(
        lines[0].contains("bad.jsonl:2: domain: expected a hex ID, found the string \"zz\""),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("bad.jsonl:3: denials: expected an integer, found the string \"many\""),
        "{}",
        lines[1]
    );
    assert!(lines[2].contains("bad.jsonl:4: invalid JSON"));
    assert!(lines[3].contains("bad.jsonl:5: invalid JSON: a line must be a JSON object"));
    assert!(lines[4].contains("bad.jsonl:7: truncated last line: invalid JSON"));
}

/// Only IDs are hex strings: an integer written as a string, or any other
/// mismatch, is a malformed line naming the field and the type it expects
/// (issue 10.4).
#[test]
fn json_members_of_the_wrong_type_are_named() {
    let line = |member: &str| {
        format!("{{\"type\":\"event\",\"v\":1,\"event\":\"deny_access_fs\",\"domain\":\"1c\",{member}}}\n")
    };
    let cases = [
        ("\"pid\":\"12\"", "pid: expected an integer, found the string \"12\""),
        ("\"time\":\"abc\"", "time: expected an integer, found the string \"abc\""),
        ("\"logged\":\"yes\"", "logged: expected true or false, found the string \"yes\""),
        ("\"logged\":1", "logged: expected true or false, found a number"),
        ("\"blockers\":\"READ_FILE\"", "blockers: expected an array of right names or an integer"),
        ("\"ino\":true", "ino: expected an integer, found true"),
        ("\"path\":5", "path: expected a string, found a number"),
        // Builtins that cannot be negative (issue 11.12).
        ("\"pid\":-1", "pid: expected a non-negative integer"),
        ("\"time\":-5", "time: expected a non-negative integer"),
    ];
    for (member, message) in cases {
        let (evs, report, ..) = replay("t.jsonl", line(member).as_bytes(), false);
        assert!(evs.is_empty(), "{member}: {:?}", evs.first().map(|e| e.builtin(Builtin::Pid)));
        assert!(report.contains(message), "{member}: {report}");
    }
    // The right types still read (and a numeric ID is taken).
    let (evs, report, ..) = replay(
        "t.jsonl",
        line("\"pid\":12,\"time\":5,\"logged\":true,\"blockers\":[\"READ_FILE\"]").as_bytes(),
        false,
    );
    assert_eq!(report, "");
    assert_eq!((evs[0].builtin(Builtin::Pid), evs[0].header().time(), evs[0].get(field::logged)), (12, 5, 1));
    assert_eq!((evs[0].get(field::domain), evs[0].get(field::blockers)), (0x1c, 4));
}

#[test]
fn several_files_in_a_row_each_detected() {
    let (a, ..) = replay("a", b"x-1 [000] 1.0: landlock_free_domain: domain=1 denials=2\n", true);
    assert_eq!(a.len(), 1);
    let all = decode_all(
        Format::Audit,
        b"type=LANDLOCK_DOMAIN msg=audit(2.0:1): domain=5 status=deallocated denials=3\n",
    );
    assert_eq!(all.0[0].get(field::denials), 3);
}

/// A real capture: the kernel's own ftrace text of the sandboxer on
/// Debian's 7.3-rc7 cloud kernel (vm/guest/tests.sh), in its spelling:
/// renamed events, `ruleset=ID.VERSION`, one `port=` on network denials.
#[test]
fn real_ftrace_capture_from_linux_7_3() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/traces");
    let bytes = std::fs::read(dir.join("sandboxer-7.3.ftrace")).unwrap();
    let (evs, report, result, summary) = replay("sandboxer-7.3.ftrace", &bytes, true);
    assert!(result.is_ok() && report.is_empty() && summary.is_empty(), "{report} {summary:?}");
    let of = |k: EventKind| evs.iter().filter(move |e| e.kind() == Some(k));
    let rulesets: Vec<&Event> = of(EventKind::CreateRuleset).collect();
    assert_eq!(rulesets.len(), 2);
    assert!(rulesets.iter().all(|r| r.get(field::handled_fs) == 0xffff && r.get(field::fd) as i64 == -1));
    let rules: Vec<(&[u8], u64)> =
        of(EventKind::AddRuleFs).map(|r| (r.get_str(field::path), r.get(field::ruleset_version))).collect();
    assert_eq!(rules[..2], [(&b"/usr"[..], 1), (&b"/usr/lib"[..], 2)]);
    let domains: Vec<(u64, u64, u64)> = of(EventKind::CreateDomain)
        .map(|d| (d.get(field::domain), d.get(field::parent), d.get(field::ruleset_version)))
        .collect();
    assert_eq!(domains.len(), 2);
    assert_eq!((domains[0].1, domains[1].1, domains[1].2), (0, domains[0].0, 5));
    let inner = domains[1].0;
    let fs: Vec<(&[u8], u64)> =
        of(EventKind::DenyAccessFs).map(|d| (d.get_str(field::path), d.get(field::blockers))).collect();
    assert_eq!(
        fs,
        [(&b"/etc/hostname"[..], 4), (&b"/etc"[..], 1 << 8), (&b"/tmp/evil\nname\x1b[31m = \"q'x"[..], 4)]
    );
    let net: Vec<(u64, u64, u64)> = of(EventKind::DenyAccessNet)
        .map(|d| (d.get(field::blockers), d.get(field::sport), d.get(field::dport)))
        .collect();
    assert_eq!(net, [(1, 9000, 0), (2, 0, 80)]);
    let check: Vec<&Event> = of(EventKind::CheckRuleFs).collect();
    assert!(
        !check.is_empty() && check.iter().all(|c| c.grants().len() == 2 && c.get(field::domain) == inner)
    );
    let signal: Vec<u64> = of(EventKind::DenyScopeSignal).map(|d| d.get(field::target_pid)).collect();
    assert_eq!(signal, [1]);
    let unix: Vec<&[u8]> =
        of(EventKind::DenyScopeAbstractUnixSocket).map(|d| d.get_str(field::sun_path)).collect();
    assert_eq!(unix, [b"demo"]);
    let freed: Vec<(u64, u64)> =
        of(EventKind::FreeDomain).map(|d| (d.get(field::domain), d.get(field::denials))).collect();
    assert_eq!(freed, [(inner, 7), (domains[0].0, 0)]);
    assert!(evs.iter().all(|e| e.extras().is_empty()), "no field left unmapped");
}

/// Recorded losses are never dropped: landtrace's own `lost` records and
/// ftrace's `[LOST N EVENTS]`, summed without overflow; a count that is
/// not one is a malformed line (issue 11.5).
#[test]
fn recorded_losses_are_counted_from_every_format() {
    let jsonl = b"{\"type\":\"lost\",\"source\":\"bpf\",\"count\":89}\n\
{\"type\":\"event\",\"v\":1,\"event\":\"free_domain\",\"domain\":\"a\",\"denials\":1}\n\
{\"type\":\"lost\",\"source\":\"audit\",\"count\":18446744073709551615}\n";
    let (evs, report, _, summary) = replay("t.jsonl", jsonl, false);
    assert_eq!((evs.len(), report.as_str()), (1, ""));
    assert_eq!(summary, ["the recorded trace says 18446744073709551615 events were lost"]);
    let ftrace = b"x-1 [000] 1.0: landlock_free_domain: domain=1 denials=2\n\
CPU:0 [LOST 7 EVENTS]\nCPU:1 [LOST 99999999999999999999999 EVENTS]\n";
    let (evs, report, _, summary) = replay("t.trace", ftrace, false);
    assert_eq!(evs.len(), 1);
    assert!(report.contains("t.trace:3: [LOST ...]: \"99999999999999999999999\" is not a count"), "{report}");
    assert!(summary.contains(&"the recorded trace says 7 events were lost".to_string()), "{summary:?}");
}

/// The kernel's tracepoint names, as the captures have them, and the
/// events landtrace makes of them (written here, apart from the schema).
const TRACEPOINT_EVENTS: &[(&str, EventKind)] = &[
    ("add_rule_path_beneath", EventKind::AddRuleFs),
    ("check_rule_inode", EventKind::CheckRuleFs),
    ("create_domain", EventKind::CreateDomain),
    ("create_ruleset", EventKind::CreateRuleset),
    ("deny_access_fs", EventKind::DenyAccessFs),
    ("deny_access_net", EventKind::DenyAccessNet),
    ("deny_scope_abstract_unix_socket", EventKind::DenyScopeAbstractUnixSocket),
    ("deny_scope_signal", EventKind::DenyScopeSignal),
    ("enforce_domain", EventKind::EnforceDomain),
    ("free_domain", EventKind::FreeDomain),
    ("free_ruleset", EventKind::FreeRuleset),
];

/// What a capture's line is, read by splitting it into words (nothing of
/// the decoder): the event, and the words before its name.
fn captured_event(line: &str) -> Option<(EventKind, Vec<&str>)> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = words
        .iter()
        .position(|w| w.ends_with(':') && w.trim_start_matches("landlock:").starts_with("landlock_"))?;
    let name =
        words[at].trim_start_matches("landlock:").trim_start_matches("landlock_").trim_end_matches(':');
    let kind = TRACEPOINT_EVENTS.iter().find(|(n, _)| *n == name).expect("a known tracepoint").1;
    Some((kind, words[..at].to_vec()))
}

/// The same workload captured in every layout a 7.3 kernel and its tools
/// write (vm/guest/capture.sh: record-tgid, irq-info off, every
/// `trace_clock`, `trace_pipe`, trace-cmd report, perf script): each line the
/// kernel wrote is one event of its kind, with the TGID column as `pid`
/// and integer clocks kept as counts; a line libtraceevent could not
/// format (`[FAILED TO PARSE]`, the record's own fields: decimal IDs and
/// masks, the kernel's `dev_t`, `ARRAY[bytes]`) is read from those fields,
/// and gives what tracefs's text of the same workload gives.
#[test]
fn ftrace_in_every_layout_the_kernel_writes() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/linux-7.3/layouts");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.retain(|p| p.extension().is_some_and(|x| x == "txt") && !p.to_string_lossy().contains("dmesg"));
    files.sort();
    assert!(files.len() >= 15, "{files:?}");
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&file).unwrap();
        let lines: Vec<(EventKind, Vec<&str>, bool)> = text
            .lines()
            .filter_map(|l| captured_event(l).map(|(k, w)| (k, w, l.contains("[FAILED TO PARSE]"))))
            .collect();
        let expected: Vec<&(EventKind, Vec<&str>, bool)> = lines.iter().collect();
        let (evs, report, result, _) = replay(&name, text.as_bytes(), false);
        assert!(result.is_ok(), "{name}: {result:?}");
        assert_eq!(kinds(&evs), expected.iter().map(|l| l.0).collect::<Vec<_>>(), "{name}: {report}");
        assert!(report.is_empty(), "{name}: {report}");
        if lines.iter().any(|l| l.2) {
            raw_fields_say_what_the_text_says(&name, &evs, &dir);
        }
        for (ev, (_, words, _)) in evs.iter().zip(&expected) {
            // `COMM-TID`, `COMM TID` (perf), `(  TGID)` after the task.
            let task = words.iter().position(|w| w.starts_with('[')).expect("a CPU column");
            let joined = words[..task].join(" ");
            let (before_tgid, tgid) = match joined.split_once('(') {
                Some((t, g)) => (t.trim(), Some(g.trim_end_matches(')').trim().parse::<u64>().unwrap())),
                None => (joined.as_str(), None),
            };
            let tid: u64 = before_tgid.rsplit(['-', ' ']).next().unwrap().parse().unwrap();
            assert_eq!(ev.builtin(Builtin::Tid), tid, "{name}: {words:?}");
            assert_eq!(ev.builtin(Builtin::Pid), tgid.unwrap_or(tid), "{name}: {words:?}");
            let stamp = words.last().unwrap().trim_end_matches(':');
            let time = match stamp.split_once('.') {
                Some((s, f)) => {
                    s.parse::<u64>().unwrap() * 1_000_000_000 + format!("{f:0<9}").parse::<u64>().unwrap()
                }
                None => stamp.parse().unwrap(),
            };
            assert_eq!(ev.builtin(Builtin::Time), time, "{name}: {words:?}");
        }
    }
}

/// The events of a capture whose lines libtraceevent printed raw (`name`)
/// against tracefs's text of the same workload (ftrace-default.txt):
/// every denial, rule and check with the same path, rights, device, port
/// and target (IDs, tasks and times differ between the runs).
fn raw_fields_say_what_the_text_says(name: &str, evs: &[Event], dir: &std::path::Path) {
    let text = std::fs::read(dir.join("ftrace-default.txt")).unwrap();
    let (reference, ..) = replay("ftrace-default.txt", &text, true);
    let stable = |evs: &[Event]| -> Vec<String> {
        let mut out: Vec<String> = evs
            .iter()
            .filter(|e| {
                e.kind().is_some_and(|k| {
                    k.name().starts_with("deny_")
                        || matches!(k, EventKind::AddRuleFs | EventKind::CheckRuleFs)
                })
            })
            .map(|e| {
                let mut line = Vec::new();
                json_event(&mut line, e);
                let mut v: serde_json::Value = serde_json::from_slice(&line).unwrap();
                let m = v.as_object_mut().unwrap();
                for k in [
                    "time", "pid", "tid", "cpu", "domain", "ruleset", "peer_pid", "source", "unknown", "comm",
                ] {
                    m.remove(k);
                }
                v.to_string()
            })
            .collect();
        out.sort();
        out
    };
    assert_eq!(stable(evs), stable(&reference), "{name}");
}

/// Landlock's audit records as the kernel itself prints them when no
/// audit daemon runs (the machine's own logs: this host's 6.18 kernel with
/// rsyslog and journald, workload.sh beside them; and dmesg in the 7.3 VM):
/// dmesg, dmesg -r, journalctl -k (short, short-iso, json, export),
/// kern.log and the traditional syslog format. Each layout gives one
/// denial per `type=1423` record and the same denials as the others; the
/// other kernel messages are not reported.
#[test]
fn kernel_logs_in_every_layout() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    /// A denial: its event, path and blockers.
    type Denial = (EventKind, Vec<u8>, u64);
    let mut same: Vec<(String, Vec<Denial>)> = Vec::new();
    for file in [
        "logs-6.18/dmesg.txt",
        "logs-6.18/dmesg-raw.txt",
        "logs-6.18/journalctl-k.txt",
        "logs-6.18/journalctl-short-iso.txt",
        "logs-6.18/journalctl-json.txt",
        "logs-6.18/journalctl-export.txt",
        "logs-6.18/kern.log",
        "logs-6.18/syslog-traditional",
        "linux-7.3/layouts/dmesg.txt",
        "linux-7.3/layouts/dmesg-raw.txt",
    ] {
        let bytes = std::fs::read(root.join(file)).unwrap();
        let records =
            bytes.split(|b| *b == b'\n').filter(|l| l.windows(16).any(|w| w == b"audit: type=1423")).count();
        let (evs, report, result, _) = replay(file, &bytes, false);
        assert!(result.is_ok() && report.is_empty(), "{file}: {result:?} {report}");
        let denials: Vec<Denial> = evs
            .iter()
            .filter(|e| e.kind().is_some_and(|k| k.name().starts_with("deny_")))
            .map(|e| (e.kind().unwrap(), e.get_str(field::path).to_vec(), e.get(field::blockers)))
            .collect();
        assert!(records >= 7, "{file}: {records}");
        assert_eq!(denials.len(), records, "{file}");
        if file.starts_with("logs-6.18/") && !file.contains("dmesg") {
            same.push((file.to_string(), denials));
        }
    }
    for (file, d) in &same[1..] {
        assert_eq!(d, &same[0].1, "{file} and {}", same[0].0);
    }
}

/// `ausearch -i` replaces the kernel's numbers by names and dates: each
/// such record is refused with what to do, never half read.
#[test]
fn interpreted_audit_is_refused_with_what_to_use() {
    let log = "----\ntype=LANDLOCK_ACCESS msg=audit(12/07/2026 03:58:01.001:12) : domain=1985bd748 blockers=fs.read_file path=/etc/hostname dev=rootfs ino=7 \n";
    let (evs, report, result, _) = replay("ausearch-i.txt", log.as_bytes(), false);
    assert!(result.is_ok() && evs.is_empty(), "{evs:?}");
    assert!(report.contains("ausearch-i.txt:2:") && report.contains("use ausearch --raw"), "{report}");
}

/// Compressed logs (made by the gzip, xz and zstd tools from kern.log) are
/// read as the plain file is, whatever their name; one cut short is read
/// up to the damage, which is reported (a failure with --strict).
#[test]
fn compressed_inputs_are_read_and_damage_is_reported() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/logs-6.18");
    let plain = std::fs::read(dir.join("kern.log")).unwrap();
    let (want, report, ..) = replay("kern.log", &plain, false);
    assert!(report.is_empty() && want.len() > 20, "{report}");
    let json = |evs: &[Event]| -> Vec<String> {
        evs.iter()
            .map(|e| {
                let mut out = Vec::new();
                json_event(&mut out, e);
                String::from_utf8(out).unwrap()
            })
            .collect()
    };
    for name in ["kern.log.2.gz", "kern.log.2.xz", "kern.log.2.zst"] {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let (evs, report, result, summary) = replay("renamed.log", &bytes, false);
        assert!(result.is_ok() && report.is_empty() && summary.is_empty(), "{name}: {report} {summary:?}");
        assert_eq!(json(&evs), json(&want), "{name}");
    }
    // gzip streams as it decodes: a file cut in its last part gives what
    // came before, and says why it stopped.
    let gz = std::fs::read(dir.join("kern.log.2.gz")).unwrap();
    let cut = &gz[..gz.len() - 2000];
    let (evs, report, result, summary) = replay("cut.gz", cut, false);
    assert!(result.is_ok(), "{result:?}");
    assert!(!evs.is_empty() && evs.len() < want.len(), "{}", evs.len());
    assert_eq!(json(&evs), json(&want[..evs.len()]));
    assert!(report.contains("cut.gz:") && report.contains("gzip data ends early or is damaged"), "{report}");
    assert_eq!(summary, ["1 malformed line skipped"]);
    let (_, _, strict, _) = replay("cut.gz", cut, true);
    assert!(strict.is_err());
    for (name, bytes) in [
        ("cut.xz", std::fs::read(dir.join("kern.log.2.xz")).unwrap()),
        ("cut.zst", std::fs::read(dir.join("kern.log.2.zst")).unwrap()),
    ] {
        let (_, report, result, _) = replay(name, &bytes[..bytes.len() / 2], false);
        assert!(result.is_ok() && report.contains("ends early or is damaged"), "{name}: {report}");
    }
}

/// An input without a Landlock event (empty, only an ftrace header) is
/// said to be so at the end, not an error (docs/trace-format.md).
#[test]
fn an_input_without_events_is_said_so() {
    for (name, text) in [("empty.txt", ""), ("header.txt", "# tracer: nop\n#\n"), ("blank.txt", "\n\n")] {
        let (evs, report, result, summary) = replay(name, text.as_bytes(), false);
        assert!(result.is_ok() && evs.is_empty() && report.is_empty(), "{name}");
        assert_eq!(summary, [format!("no Landlock event in {name}")], "{name}");
    }
}

/// A file that changes format part way (a capture's ftrace lines, then an
/// audit log; and the other way round) is read line by line in the format
/// each line has: every event of both parts, the change said once, with
/// --strict too.
#[test]
fn a_file_that_changes_format_is_read_in_each() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let ftrace = std::fs::read(root.join("tests/data/linux-7.3/layouts/ftrace-default.txt")).unwrap();
    let audit = std::fs::read(root.join("../examples/traces/sandboxer.audit.log")).unwrap();
    let (a, ..) = replay("a", &ftrace, true);
    let (b, ..) = replay("b", &audit, true);
    assert!(!a.is_empty() && !b.is_empty());
    for (first, second, then) in [(&ftrace, &audit, "audit log"), (&audit, &ftrace, "ftrace text")] {
        let both = [first.as_slice(), second.as_slice()].concat();
        let (evs, report, result, summary) = replay("both.txt", &both, true);
        assert!(result.is_ok() && summary.is_empty(), "{result:?} {summary:?}");
        assert_eq!(evs.len(), a.len() + b.len(), "{report}");
        assert_eq!(report.matches("the input continues as").count(), 1, "{report}");
        assert!(report.contains(&format!("the input continues as {then}")), "{report}");
    }
}
