//! Live tests of the runtime's kernel machinery: real BPF on the running
//! kernel. They need root; elsewhere they say why they skip, and with
//! `LANDTRACE_REQUIRE_LIVE=1` (as in CI) a test that cannot run fails.

#[path = "../../tests/harness/mod.rs"]
mod harness;

use landtrace_probes::loader::ProbeSet;
use landtrace_probes::records::{self, Config, TP_ANY_TASK};
use landtrace_runtime::live::tracepoint::{Format, RawValue};
use landtrace_runtime::live::{ensure_tracefs, proc};
use std::time::{Duration, Instant};

/// Whether this machine can run the test; if not, it is reported as
/// ignored (a failure with `LANDTRACE_REQUIRE_LIVE=1`).
fn live(test: &str) {
    if !proc::can_trace() {
        harness::skip(test, "needs CAP_BPF and CAP_PERFMON (run as root)");
    }
    harness::need(test, "bpftool", "bpftool");
    if let Err(r) = ensure_tracefs() {
        harness::skip(test, &r.to_string());
    }
}

/// The names of the BPF programs loaded in the kernel.
fn loaded_programs() -> String {
    let out = std::process::Command::new("bpftool")
        .args(["prog", "show"])
        .output()
        .expect("bpftool (apt-get install bpftool)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The generic tracepoint program, on a tracepoint this kernel does have
/// (`sched:sched_process_exec`, with a __`data_loc` string): attached with the
/// layout from its format file, it delivers records that decode to the
/// exec'd file and pid.
fn generic_tracepoint_machinery_on_a_real_tracepoint() {
    live("generic_tracepoint_machinery_on_a_real_tracepoint");
    let text = std::fs::read_to_string("/sys/kernel/tracing/events/sched/sched_process_exec/format").unwrap();
    let format = Format::parse(&text).unwrap();
    let mut set = ProbeSet::generic(1 << 20).unwrap();
    set.set_config(Config { cred_offset: -1, ..Config::default() }).unwrap();
    set.attach_generic("sched", "sched_process_exec", format.id, format.tp_config(TP_ANY_TASK)).unwrap();
    assert!(loaded_programs().contains("lt_tracepoint"));

    let child = std::process::Command::new("/bin/true").spawn().unwrap();
    let pid = child.id();
    let mut child = child;
    child.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut found = None;
    while found.is_none() && Instant::now() < deadline {
        let ring = set.ring().unwrap();
        while let Some(item) = ring.next() {
            let h: records::Header = records::read(&item).unwrap();
            assert_eq!(h.kind, records::kind::TRACEPOINT);
            let data = &item[std::mem::offset_of!(records::Tracepoint, data)..];
            let values = format.decode(data).unwrap();
            eprintln!("record pid {} {:?}", h.pid, values);
            let get = |n: &str| values.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
            if get("pid") == Some(RawValue::Int(i64::from(pid))) {
                found = Some((get("filename"), h.pid, h.comm));
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let (filename, header_pid, comm) = found.expect("no sched_process_exec record for /bin/true");
    assert_eq!(filename, Some(RawValue::Str(b"/bin/true".to_vec())));
    assert_eq!(header_pid, pid);
    assert_eq!(records::c_str(&comm), b"true");
    assert_eq!(set.lost(), 0);
    drop(set);
    assert!(!loaded_programs().contains("lt_tracepoint"), "the program outlived its probe set");
}

/// A comm term for the probe's filter.
fn comm_term(op: u8, name: &[u8], flags: u8) -> records::Term {
    let mut a = [0u8; 16];
    a[..name.len()].copy_from_slice(name);
    records::Term {
        src: records::src::COMM,
        op,
        size: name.len() as u8,
        flags,
        a: u64::from_ne_bytes(a[..8].try_into().unwrap()),
        b: u64::from_ne_bytes(a[8..].try_into().unwrap()),
        ..records::Term::default()
    }
}

/// Runs /bin/true and /bin/echo under the generic program on
/// `sched:sched_process_exec` with `terms` as its filter; returns the
/// comms of the records delivered for them and the probe's counters.
fn exec_under_filter(terms: &[records::Term]) -> (Vec<Vec<u8>>, (u64, u64)) {
    let text = std::fs::read_to_string("/sys/kernel/tracing/events/sched/sched_process_exec/format").unwrap();
    let format = Format::parse(&text).unwrap();
    let mut set = ProbeSet::generic(1 << 20).unwrap();
    set.set_config(Config { cred_offset: -1, ..Config::default() }).unwrap();
    let mut config = format.tp_config(TP_ANY_TASK);
    config.nterms = terms.len() as u32;
    config.terms[..terms.len()].copy_from_slice(terms);
    set.attach_generic("sched", "sched_process_exec", format.id, config).unwrap();
    let mut pids = Vec::new();
    for cmd in ["/bin/true", "/bin/echo"] {
        let mut child = std::process::Command::new(cmd).stdout(std::process::Stdio::null()).spawn().unwrap();
        pids.push(child.id());
        child.wait().unwrap();
    }
    std::thread::sleep(Duration::from_millis(200));
    let mut comms = Vec::new();
    let ring = set.ring().unwrap();
    while let Some(item) = ring.next() {
        let h: records::Header = records::read(&item).unwrap();
        if pids.contains(&h.pid) {
            comms.push(records::c_str(&h.comm).to_vec());
        }
    }
    (comms, set.filter_stats())
}

/// The filter the probes check in the kernel: a record that meets no
/// conjunction is dropped before it is copied, and counted.
fn the_probe_filter_drops_what_no_conjunction_meets() {
    live("the_probe_filter_drops_what_no_conjunction_meets");
    use records::{TERM_END, TERM_SEXT, TERM_SIGNED, op};
    // comm == "true"
    let (comms, (seen, filtered)) = exec_under_filter(&[comm_term(op::COMM_EQ, b"true", TERM_END)]);
    assert_eq!(comms, vec![b"true".to_vec()], "only /bin/true's exec passes");
    assert!(seen >= 2 && filtered >= 1 && filtered < seen, "seen {seen}, filtered {filtered}");
    // (comm == "nothing" ) or (the record's pid field > 0 and starts_with(comm, "ec"))
    let text = std::fs::read_to_string("/sys/kernel/tracing/events/sched/sched_process_exec/format").unwrap();
    let pid_field = Format::parse(&text).unwrap().fields.into_iter().find(|f| f.name == "pid").unwrap();
    let pid_positive = records::Term {
        src: records::src::FIELD,
        op: op::GT,
        size: pid_field.size as u8,
        offset: pid_field.offset as u16,
        flags: TERM_SIGNED | TERM_SEXT,
        a: 0,
        ..records::Term::default()
    };
    let terms =
        [comm_term(op::COMM_EQ, b"nothing", TERM_END), pid_positive, comm_term(op::PREFIX, b"ec", TERM_END)];
    let (comms, _) = exec_under_filter(&terms);
    assert_eq!(comms, vec![b"echo".to_vec()], "only /bin/echo's exec passes");
    // No term: every record passes.
    let (comms, (seen, filtered)) = exec_under_filter(&[]);
    assert_eq!(comms.len(), 2, "{comms:?}");
    assert_eq!(filtered, 0, "seen {seen}");
}

fn main() -> std::process::ExitCode {
    harness::main(&[
        (
            "generic_tracepoint_machinery_on_a_real_tracepoint",
            generic_tracepoint_machinery_on_a_real_tracepoint,
        ),
        (
            "the_probe_filter_drops_what_no_conjunction_meets",
            the_probe_filter_drops_what_no_conjunction_meets,
        ),
    ])
}
