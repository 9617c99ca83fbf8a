//! Allocations per event in the steady state: a replay of each format
//! through a program with a keyed map and a printf, counted by a global
//! allocator. The count over 2N events minus the count over N, divided by
//! N, is what each further event costs.

use landtrace_compiler::jit::Jit;
use landtrace_compiler::{CheckOptions, compile};
use landtrace_event::record::Event;
use landtrace_runtime::engine::run_source;
use landtrace_runtime::replay::ReplaySource;
use landtrace_runtime::{Engine, EngineOptions, OutFormat, Output};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards to the system allocator, counting calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const PROGRAM: &str =
    "on deny_access_fs { @[comm, path] = count(); printf(\"%s %d %s\\n\", comm, pid, path) }";
/// Prints every event in the default format.
const PRINT: &str = "on deny_access_fs";

/// Allocations of a whole replay of `lines` through `program`.
fn allocations(program: &str, name: &str, lines: &str, format: OutFormat) -> u64 {
    let dir = std::env::temp_dir().join(format!("landtrace-alloc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, lines).unwrap();
    let prog = compile(program, "-e", &CheckOptions::default()).unwrap();
    let out = Output::new(Box::new(std::io::sink()), format, false);
    let jit = Jit::compile(&prog.ir).unwrap();
    let mut engine = Engine::new(&prog.ir, Box::new(jit), out, EngineOptions::default());
    let mut source = ReplaySource::open(&[path.to_string_lossy().into_owned()], false).unwrap();
    let mut ev = Event::new();
    let before = ALLOCS.load(Ordering::Relaxed);
    run_source(&mut engine, &mut source, &mut ev).unwrap();
    let n = ALLOCS.load(Ordering::Relaxed) - before;
    let _ = std::fs::remove_dir_all(&dir);
    n
}

/// Allocations of N further events (over 2N minus over N), with a few
/// distinct keys so the map stops growing.
fn per_event(program: &str, name: &str, line: impl Fn(usize) -> String, format: OutFormat) -> u64 {
    const N: usize = 2000;
    let text = |n: usize| (0..n).map(&line).collect::<String>();
    let one = allocations(program, name, &text(N), format);
    let two = allocations(program, name, &text(2 * N), format);
    two.saturating_sub(one)
}

fn ftrace(i: usize) -> String {
    format!(
        "curl-{} [000] .... {}.{:06}: landlock_deny_access_fs: domain=1a30 same_exec=1 logged=1 blockers=read_file dev=254:1 ino=12 path=/etc/passwd{}\n",
        100 + i % 4,
        1 + i / 1000,
        i % 1000,
        i % 3
    )
}

fn jsonl(i: usize) -> String {
    format!(
        "{{\"type\":\"event\",\"v\":1,\"event\":\"deny_access_fs\",\"source\":\"tracepoint\",\"time\":{i},\"pid\":{},\"tid\":1,\"ppid\":0,\"uid\":0,\"gid\":0,\"cpu\":0,\"cgroup\":0,\"comm\":\"curl\",\"domain\":\"1a30\",\"same_exec\":true,\"logged\":true,\"blockers\":[\"READ_FILE\"],\"blockers_raw\":4,\"dev\":\"254:1\",\"ino\":12,\"path\":\"/etc/passwd{}\"}}\n",
        100 + i % 4,
        i % 3
    )
}

fn audit(i: usize) -> String {
    let serial = 1000 + i;
    format!(
        "type=LANDLOCK_ACCESS msg=audit(1795958807.{:03}:{serial}): domain=1a30 blockers=fs.read_file path=\"/etc/passwd{}\" dev=\"vda\" ino=12\n\
         type=SYSCALL msg=audit(1795958807.{:03}:{serial}): arch=c000003e syscall=257 success=no exit=-13 ppid=1 pid={} uid=0 gid=0 comm=\"curl\" exe=\"/usr/bin/curl\"\n\
         type=EOE msg=audit(1795958807.{:03}:{serial}): \n",
        i % 1000,
        i % 3,
        i % 1000,
        100 + i % 4,
        i % 1000
    )
}

#[test]
fn no_allocation_per_event() {
    let cases = [
        ("ftrace text", per_event(PROGRAM, "t.ftrace", ftrace, OutFormat::Text)),
        ("JSON lines", per_event(PROGRAM, "t.jsonl", jsonl, OutFormat::Text)),
        ("audit log", per_event(PROGRAM, "t.audit", audit, OutFormat::Text)),
        ("JSON lines, -f json", per_event(PROGRAM, "t2.jsonl", jsonl, OutFormat::Json)),
        ("events printed as text", per_event(PRINT, "t3.ftrace", ftrace, OutFormat::Text)),
        ("events printed as JSON", per_event(PRINT, "t4.ftrace", ftrace, OutFormat::Json)),
    ];
    for (name, n) in &cases {
        eprintln!("{name}: {n} allocations in 2,000 further events");
    }
    for (name, n) in cases {
        assert_eq!(n, 0, "{name}: {n} allocations in 2,000 further events");
    }
}
