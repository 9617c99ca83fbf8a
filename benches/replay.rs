//! Replay throughput: landtrace JSON lines decoded and run through a
//! 3-clause program with maps, in memory (no disk, no output).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use landtrace_compiler::interp::Interpreter;
use landtrace_compiler::{CheckOptions, compile};
use landtrace_event::record::Event;
use landtrace_runtime::engine::run_source;
use landtrace_runtime::replay::ReplaySource;
use landtrace_runtime::{Engine, EngineOptions, OutFormat, Output};

const PROGRAM: &str = r#"
on deny_access_fs where path =~ "/etc/**" { @etc[comm, path] = count() }
on deny_* { @by[comm, event] = count() }
on create_ruleset where handled_net == 0 { @fs_only[comm] = count() }
"#;

/// `n` events cycling over the demo trace, with pids and paths varied.
fn events(n: usize) -> Vec<u8> {
    let demo = include_str!("../examples/traces/demo.jsonl");
    let lines: Vec<&str> = demo.lines().collect();
    let mut out = String::with_capacity(n * 320);
    for i in 0..n {
        let mut l = lines[i % lines.len()].replace("\"pid\":", &format!("\"pid\":{}", 1 + i % 9));
        if i % 7 == 0 {
            l = l.replace("\"path\":\"/etc/", &format!("\"path\":\"/etc/app{}/", i % 300));
        }
        out.push_str(&l);
        out.push('\n');
    }
    out.into_bytes()
}

fn bench(c: &mut Criterion) {
    let n = 100_000;
    let input = events(n);
    let compiled = compile(PROGRAM, "-e", &CheckOptions::default()).ok().unwrap();
    let mut g = c.benchmark_group("replay");
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(20);
    g.bench_function("jsonl, 3 clauses with maps (interpreter)", |b| {
        b.iter(|| {
            let mut source = ReplaySource::from_bytes("bench", input.clone(), true);
            let (out, _) = Output::to_vec(OutFormat::Text);
            let mut engine = Engine::new(
                &compiled.ir,
                Box::new(Interpreter::new(&compiled.ir)),
                out,
                EngineOptions::default(),
            );
            let s = run_source(&mut engine, &mut source, &mut Event::new()).unwrap();
            assert_eq!(s.events, n as u64);
        });
    });
    g.bench_function("jsonl decode only", |b| {
        b.iter(|| {
            let mut source = ReplaySource::from_bytes("bench", input.clone(), true);
            let mut ev = Event::new();
            let mut k = 0;
            while landtrace_runtime::Source::next(&mut source, &mut ev).unwrap() {
                k += 1;
            }
            assert_eq!(k, n);
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
