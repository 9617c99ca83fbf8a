//! The Cranelift backend against the interpreter.
//!
//! - Predicate evaluation, ns per event, on a fixed mix: a bitmask test, an
//!   integer compare chain, string equality on comm, a glob on path, and a
//!   6-term compound; each over the same 1,024 varied events.
//! - Compile time: one clause, and a 50-clause runbook (check + lower +
//!   Cranelift), next to check + lower alone.
//! - End to end: a 20-clause program over 100,000 landtrace JSON lines in
//!   memory, JIT and interpreter (bench/replay-jit.sh does 1 million from
//!   a file, through the binary).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use landtrace_compiler::exec::{Backend, NullHost};
use landtrace_compiler::interp::Interpreter;
use landtrace_compiler::jit::Jit;
use landtrace_compiler::{CheckOptions, Compiled, compile};
use landtrace_event::record::{Event, Sealed};
use landtrace_event::schema::Builtin;
use landtrace_event::schema::{EventKind, SourceKind, field};
use landtrace_runtime::engine::run_source;
use landtrace_runtime::replay::ReplaySource;
use landtrace_runtime::{Engine, EngineOptions, OutFormat, Output};
use std::hint::black_box;

const COMMS: &[&[u8]] = &[b"nginx", b"curl", b"python3", b"sshd", b"node", b"nginx-worker"];
const PATHS: &[&[u8]] = &[
    b"/etc/passwd",
    b"/etc/ssl/private/key.pem",
    b"/usr/lib/x86_64-linux-gnu/libc.so.6",
    b"/var/log/nginx/access.log",
    b"/home/user/.ssh/id_ed25519",
    b"/etc",
    b"/tmp/x",
];

/// 1,024 varied events of the kinds the predicates name.
fn events() -> Vec<Event> {
    (0..1024u64)
        .map(|i| {
            let mut e = Event::new();
            let kind = if i % 2 == 0 { EventKind::DenyAccessFs } else { EventKind::CreateRuleset };
            e.reset(kind, SourceKind::Replay);
            e.set_builtin(Builtin::Pid, 1 + i * 7 % 50);
            e.set_builtin(Builtin::Uid, [0, 1000, 33, 65534][(i % 4) as usize]);
            e.set_comm(COMMS[(i % COMMS.len() as u64) as usize]);
            if kind == EventKind::DenyAccessFs {
                e.set(field::blockers, 1 << (i % 16));
                e.set(field::logged, (i % 3) & 1);
                e.set(field::ino, i);
                e.set_str(field::path, PATHS[(i % PATHS.len() as u64) as usize]);
            } else {
                e.set(field::handled_fs, (i * 0x9e37_79b9) & 0xffff);
                e.set(field::handled_net, i & 3);
            }
            e.seal();
            e
        })
        .collect()
}

const PREDICATES: &[(&str, &str)] = &[
    ("bitmask", "on create_ruleset where handled_fs & READ_FILE"),
    ("int chain", "on deny_access_fs where pid == 1 or uid in [0, 1000]"),
    ("str eq comm", "on deny_access_fs where comm == \"nginx\""),
    ("glob path", "on deny_access_fs where path =~ \"/etc/**\""),
    (
        "6-term compound",
        "on deny_access_fs where (comm == \"nginx\" or comm == \"curl\") and blockers & FS_READ and not logged \
         and pid > 10 and path =~ \"/etc/**\"",
    ),
];

fn compiled(src: &str) -> Compiled {
    compile(src, "bench", &CheckOptions::default()).unwrap_or_else(|_| panic!("{src} does not compile"))
}

fn bench_predicates(c: &mut Criterion) {
    let events = events();
    let mut g = c.benchmark_group("predicate");
    g.throughput(Throughput::Elements(events.len() as u64));
    for (name, src) in PREDICATES {
        let prog = compiled(src);
        let pred = prog.ir.clauses[0].predicate.expect("a predicate");
        let kind = match &prog.ir.clauses[0].kind {
            landtrace_compiler::typed::ClauseKind::On(k) => k[0] as u32,
            _ => unreachable!(),
        };
        // Only the events the clause names, as the engine's dispatch does.
        let recs: Vec<Sealed<'_>> =
            events.iter().map(Event::sealed).filter(|r| r.kind_code() == kind).collect();
        let mut backends: Vec<(&str, Box<dyn Backend>)> = vec![
            ("interpreter", Box::new(Interpreter::new(&prog.ir))),
            ("cranelift", Box::new(Jit::compile(&prog.ir).unwrap())),
        ];
        let mut counts = Vec::new();
        for (bname, backend) in &mut backends {
            let mut host = NullHost::default();
            counts.push(recs.iter().filter(|r| backend.run(&prog.ir, pred, **r, &mut host) != 0).count());
            g.throughput(Throughput::Elements(recs.len() as u64));
            g.bench_function(format!("{name} ({bname})"), |b| {
                b.iter(|| {
                    let mut n = 0i64;
                    for r in &recs {
                        n += backend.run(&prog.ir, pred, black_box(*r), &mut host);
                    }
                    n
                });
            });
        }
        assert_eq!(counts[0], counts[1], "{name}: the backends disagree");
    }
    g.finish();
}

/// A runbook of `n` clauses of the shipped kinds.
fn runbook(n: usize) -> String {
    let kinds = [
        "on deny_access_fs where comm in [\"nginx\", \"caddy\"] and path =~ \"/etc/**\" and not logged { @fs{i}[comm, path, blockers] = count() }",
        "on create_ruleset where handled_fs & READ_FILE and handled_net == 0 { printf(\"%-12s %d %x %r\\n\", comm, pid, ruleset, handled_fs) }",
        "on deny_access_net where has(blockers, CONNECT_TCP) and dport in [80, 443, 8000..8999] { @net{i}[dport] = count() }",
        "on add_rule_fs where any(access_rights, FS_WRITE) and (path == \"/\" or path =~ re\"^/etc(/|$)\") { @w{i}[comm] = sum(ino) }",
        "on deny_* where pid > 100 and uid != 0 { @d{i}[event, comm] = count(); @h{i} = hist(pid) }",
    ];
    (0..n).map(|i| kinds[i % kinds.len()].replace("{i}", &i.to_string())).collect::<Vec<_>>().join("\n")
}

fn bench_compile(c: &mut Criterion) {
    let mut g = c.benchmark_group("compile");
    g.sample_size(30);
    let one = runbook(1);
    let fifty = runbook(50);
    for (name, src) in [("1 clause", &one), ("50-clause runbook", &fifty)] {
        let prog = compiled(src);
        g.bench_function(format!("{name}: check + lower"), |b| {
            b.iter(|| compile(black_box(src), "bench", &CheckOptions::default()).ok().unwrap());
        });
        g.bench_function(format!("{name}: Cranelift only"), |b| {
            b.iter(|| Jit::compile(black_box(&prog.ir)).unwrap());
        });
    }
    g.finish();
}

const PROGRAM_20: &str = include_str!("../bench/twenty-clauses.lt");

fn replay_input(n: usize) -> Vec<u8> {
    let demo = include_str!("../examples/traces/demo.jsonl");
    let lines: Vec<&str> = demo.lines().collect();
    let mut out = String::with_capacity(n * 320);
    for i in 0..n {
        out.push_str(&lines[i % lines.len()].replace("\"pid\":", &format!("\"pid\":{}", 1 + i % 9)));
        out.push('\n');
    }
    out.into_bytes()
}

fn bench_replay(c: &mut Criterion) {
    let n = 100_000;
    let input = replay_input(n);
    let prog = compiled(PROGRAM_20);
    assert_eq!(prog.ir.clauses.len(), 20);
    let mut g = c.benchmark_group("replay 20 clauses");
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(10);
    for jit in [true, false] {
        g.bench_function(if jit { "cranelift" } else { "interpreter" }, |b| {
            b.iter(|| {
                let backend: Box<dyn Backend> = if jit {
                    Box::new(Jit::compile(&prog.ir).unwrap())
                } else {
                    Box::new(Interpreter::new(&prog.ir))
                };
                let mut source = ReplaySource::from_bytes("bench", input.clone(), true);
                let (out, _) = Output::to_vec(OutFormat::Text);
                let mut engine = Engine::new(&prog.ir, backend, out, EngineOptions::default());
                let s = run_source(&mut engine, &mut source, &mut Event::new()).unwrap();
                assert_eq!(s.events, n as u64);
            });
        });
    }
    g.finish();
}

criterion_group!(benches, bench_predicates, bench_compile, bench_replay);
criterion_main!(benches);
