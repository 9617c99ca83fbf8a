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

fn main() -> std::process::ExitCode {
    harness::main(&[(
        "generic_tracepoint_machinery_on_a_real_tracepoint",
        generic_tracepoint_machinery_on_a_real_tracepoint,
    )])
}
