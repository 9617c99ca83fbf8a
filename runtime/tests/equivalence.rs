//! Proof of equivalence: random well-typed programs over random events,
//! run by the interpreter (the reference) and by the Cranelift backend,
//! must print exactly the same and count the same.
//!
//! Programs use every operator, function and constant spelling, multi-event
//! clauses (with per-event mask families), maps of every aggregation,
//! scratch variables, if/else, printf, print, delete, clear and exit.
//! Events carry empty and non-UTF-8 strings, zero and all-ones masks and
//! extreme integers. `PROPTEST_CASES` sets the number of cases (500 by
//! default, for a quick local run; `.ci/run` sets 10,000); failures proptest shrinks are kept in
//! `equivalence.proptest-regressions` and replayed first, and the ones found so far
//! are also spelled out in `regressions()` below.

use landtrace_compiler::exec::Backend;
use landtrace_compiler::interp::Interpreter;
use landtrace_compiler::jit::Jit;
use landtrace_compiler::{CheckOptions, compile};
use landtrace_event::record::Event;
use landtrace_event::schema::{EventKind, SourceKind};
use landtrace_runtime::engine::run_source;
use landtrace_runtime::source::VecSource;
use landtrace_runtime::{Engine, EngineOptions, OutFormat, Output, Summary};
use proptest::prelude::*;

#[path = "equivalence/events.rs"]
mod events;
#[path = "equivalence/programs.rs"]
mod programs;
#[path = "../../tests/schema/mod.rs"]
mod schema;

use events::event;
use programs::program;

// --- running --------------------------------------------------------

fn run(
    prog: &landtrace_compiler::Compiled,
    events: &[Event],
    jit: bool,
    format: OutFormat,
) -> (String, Summary) {
    let (out, buf) = Output::to_vec(format);
    let backend: Box<dyn Backend> = if jit {
        let jit = Jit::compile(&prog.ir).expect("Cranelift supports this machine");
        // Else the comparison would be the interpreter against itself.
        assert!(jit.fallbacks().is_empty(), "fell back to the interpreter: {}", jit.summary());
        Box::new(jit)
    } else {
        Box::new(Interpreter::new(&prog.ir))
    };
    let mut engine =
        Engine::new(&prog.ir, backend, out, EngineOptions { max_keys: 50, ..Default::default() });
    let mut source = VecSource::new(events.to_vec());
    let summary = run_source(&mut engine, &mut source, &mut Event::new()).expect("run");
    (buf.text(), summary)
}

fn compile_or_panic(text: &str) -> landtrace_compiler::Compiled {
    compile(text, "-e", &CheckOptions::default()).unwrap_or_else(|d| {
        panic!(
            "the generator made an ill-typed program:\n{text}\n{}",
            d.iter().map(|d| d.message.clone()).collect::<Vec<_>>().join("\n")
        )
    })
}

/// Both backends over the events: identical output and counters.
fn assert_equivalent(text: &str, events: &[Event], json: bool) {
    let prog = compile_or_panic(text);
    let format = if json { OutFormat::Json } else { OutFormat::Text };
    let reference = run(&prog, events, false, format);
    let native = run(&prog, events, true, format);
    assert_eq!(native, reference, "Cranelift and the interpreter disagree on:\n{text}");
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(500)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        max_shrink_iters: 2000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn jit_matches_interpreter(
        (text, events) in program().prop_flat_map(|(text, kinds)| {
            (Just(text), prop::collection::vec(event(kinds), 0..8), any::<bool>())
        }).prop_map(|(t, e, j)| (t, (e, j)))
    ) {
        let (events, json) = events;
        assert_equivalent(&text, &events, json);
    }
}

/// The JSON that random programs print over random events (hostile
/// strings, unknown mask bits, extreme integers; every aggregation, print
/// and printf) is described by docs/schema: one check over all of it.
#[test]
fn random_programs_json_is_described_by_the_schema() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy =
        program().prop_flat_map(|(text, kinds)| (Just(text), prop::collection::vec(event(kinds), 0..8)));
    let mut all = String::new();
    for _ in 0..300 {
        let (text, events) = strategy.new_tree(&mut runner).expect("a case").current();
        let prog = compile_or_panic(&text);
        all.push_str(&run(&prog, &events, false, OutFormat::Json).0);
    }
    assert!(all.lines().count() > 300, "{} lines", all.lines().count());
    schema::check(&all);
}

/// Cases that once disagreed or broke the generator, spelled out.
#[test]
fn regressions() {
    let mut denial = Event::new();
    denial.reset(EventKind::DenyAccessFs, SourceKind::Replay);
    denial.set_comm(b"curl");
    denial.set_str(landtrace_event::schema::field::path, b"/etc/\xff");
    let mut check = Event::new();
    check.reset(EventKind::CheckRuleFs, SourceKind::Replay);
    check.set(landtrace_event::schema::field::access_request, 2);
    check.set_grants(&[2, u64::MAX]);
    let events = [denial, check];
    let programs = [
        // Division edge cases: by zero, and MIN / -1, which traps in hardware.
        "on deny_access_fs { print(pid / 0, pid % 0, (-9223372036854775807 - 1) / -1, (-9223372036854775807 - 1) % -1) }",
        // Shifts by more than the width wrap the amount, as in the interpreter.
        "on deny_access_fs { print(1 << 65, -8 >> 66, 0xffffffffffffffff >> 64) }",
        // Out-of-range list indexes.
        "on check_rule_fs { print(grants[-1], grants[0], grants[9223372036854775807]) }",
    ];
    for p in programs {
        assert_equivalent(p, &events, false);
    }
}
