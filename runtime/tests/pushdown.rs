//! The condition pushed to the kernel side (`landtrace_compiler::pushdown`)
//! never rejects an event the program wants: for random well-typed programs
//! and random events, whenever a clause's full predicate accepts an event,
//! the pushed condition of its kind accepts it too. And it is not trivially
//! true where the program has a pushable term.

use landtrace_compiler::exec::NullHost;
use landtrace_compiler::interp::Interpreter;
use landtrace_compiler::pushdown::{Condition, pushdown};
use landtrace_compiler::typed::ClauseKind;
use landtrace_compiler::{CheckOptions, compile};
use landtrace_event::record::Event;
use landtrace_event::schema::{EventKind, SourceKind, field};
use proptest::prelude::*;

#[path = "equivalence/events.rs"]
mod events;
#[path = "equivalence/programs.rs"]
mod programs;

fn compiled(text: &str) -> landtrace_compiler::Compiled {
    compile(text, "-e", &CheckOptions::default()).unwrap_or_else(|d| {
        panic!("{text}: {}", d.iter().map(|d| d.message.clone()).collect::<Vec<_>>().join("\n"))
    })
}

/// Whether clause 0's predicate accepts each event.
fn wanted(prog: &landtrace_compiler::Compiled, events: &mut [Event]) -> Vec<bool> {
    let mut interp = Interpreter::new(&prog.ir);
    let mut host = NullHost::default();
    let p = prog.ir.clauses[0].predicate.expect("a predicate");
    events.iter_mut().map(|ev| interp.run(&prog.ir, p, ev.seal(), &mut host) != 0).collect()
}

/// Every event some clause's predicate accepts passes its kind's condition.
fn assert_superset(text: &str, events: &mut [Event]) {
    let prog = compiled(text);
    let pushed = pushdown(&prog.typed);
    let mut interp = Interpreter::new(&prog.ir);
    let mut host = NullHost::default();
    for ev in events.iter_mut() {
        let kind = ev.kind().expect("an event");
        ev.seal();
        let ev: &Event = ev;
        let rec = ev.sealed();
        for c in &prog.ir.clauses {
            let ClauseKind::On(kinds) = &c.kind else { continue };
            if !kinds.contains(&kind) {
                continue;
            }
            let wanted = c.predicate.is_none_or(|p| interp.run(&prog.ir, p, rec, &mut host) != 0);
            if wanted {
                let cond = pushed[kind as usize].as_ref().expect("a named kind has a condition");
                assert!(cond.accepts(ev), "{text}\npushed for {kind}: {cond}\nrejects {ev:?}");
            }
        }
    }
}

/// `PROPTEST_CASES` (500 by default), at most 2,000: each case compiles a
/// program, so CI's 10,000 would cost minutes here.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(500).min(2000)
}

/// Terms the kernel side can check, for `deny_access_fs`.
fn pushable() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u32..5).prop_map(|n| format!("pid == {n}")),
        (0u32..5).prop_map(|n| format!("uid != {n}")),
        (0u32..5).prop_map(|n| format!("tid >= {n}")),
        Just("comm == \"curl\"".to_string()),
        Just("starts_with(comm, \"cu\")".to_string()),
        Just("comm in [\"curl\", \"sh\"]".to_string()),
        Just("cgroup in [1, 5..9]".to_string()),
        Just("has(blockers, READ_FILE)".to_string()),
        Just("any(blockers, READ_FILE|WRITE_FILE)".to_string()),
        Just("blockers & WRITE_FILE != 0".to_string()),
        Just("blockers & EXECUTE == 0".to_string()),
        Just("logged".to_string()),
        Just("not same_exec".to_string()),
        Just("domain == 0x1c1407c26".to_string()),
        Just("ino < 100".to_string()),
    ]
}

/// Anything: pushable or not, combined any way.
fn anything() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        4 => pushable(),
        1 => prop_oneof![
            Just("path =~ \"/etc/**\"".to_string()),
            Just("len(path) > 3".to_string()),
            Just("@seen[domain] == 0".to_string()),
            Just("hex(pid) == \"2a\"".to_string()),
        ],
    ];
    leaf.prop_recursive(3, 16, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} and {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} or {b})")),
            inner.prop_map(|a| format!("not ({a})")),
        ]
    })
}

/// `deny_access_fs` events whose values the terms above sometimes meet.
fn denial() -> impl Strategy<Value = Event> {
    (
        0u64..5,
        0u64..5,
        0u64..5,
        0u64..12,
        0u64..8,
        prop_oneof![Just(99u64), Just(100), Just(101), 0u64..200],
        any::<bool>(),
        any::<bool>(),
        0usize..5,
    )
        .prop_map(|(pid, uid, tid, cgroup, blockers, ino, logged, same, comm)| {
            let mut e = Event::new();
            e.reset(EventKind::DenyAccessFs, SourceKind::Tracepoint);
            e.set_builtin(landtrace_event::schema::Builtin::Pid, pid);
            e.set_builtin(landtrace_event::schema::Builtin::Uid, uid);
            e.set_builtin(landtrace_event::schema::Builtin::Tid, tid);
            e.set_builtin(landtrace_event::schema::Builtin::Cgroup, cgroup);
            e.set_comm([&b"curl"[..], b"sh", b"cu", b"bash", b"curly"][comm]);
            e.set(field::blockers, blockers);
            e.set(field::ino, ino);
            e.set(field::logged, u64::from(logged));
            e.set(field::same_exec, u64::from(same));
            e.set(field::domain, if pid == 0 { 0x1c1407c26 } else { pid });
            e.set_str(field::path, if ino % 2 == 0 { b"/etc/passwd" } else { b"/tmp/x" });
            e
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    /// The equivalence suite's random programs, over random events.
    #[test]
    fn pushed_conditions_let_through_what_the_predicates_accept(
        (text, mut events) in programs::program().prop_flat_map(|(text, kinds)| {
            (Just(text), prop::collection::vec(events::event(kinds), 0..8))
        })
    ) {
        assert_superset(&text, &mut events);
    }

    /// Predicates mixing pushable terms and others, over events that meet
    /// the pushable ones about half the time.
    #[test]
    fn mixed_predicates_over_matching_events(
        preds in prop::collection::vec(anything(), 1..3),
        mut events in prop::collection::vec(denial(), 1..16),
    ) {
        let text: String =
            preds.iter().map(|p| format!("on deny_access_fs where {p} {{ @[comm] = count(); @seen[domain] = 1 }}\n")).collect();
        assert_superset(&text, &mut events);
    }

    /// A single pushable term, or its negation, is pushed exactly: the
    /// kernel side rejects just what the predicate rejects.
    #[test]
    fn single_terms_are_exact(
        term in pushable(),
        negate in any::<bool>(),
        mut events in prop::collection::vec(denial(), 1..16),
    ) {
        let pred = if negate { format!("not ({term})") } else { term };
        let text = format!("on deny_access_fs where {pred} {{ }}");
        let prog = compiled(&text);
        let pushed = pushdown(&prog.typed);
        let cond = pushed[EventKind::DenyAccessFs as usize].clone().expect("named");
        let want = wanted(&prog, &mut events);
        for (ev, w) in events.iter().zip(want) {
            prop_assert_eq!(cond.accepts(ev), w, "{}: pushed {} on {:?}", text, cond, ev);
        }
    }

    /// A clause whose predicate is a pushable term and anything else leaves
    /// the kernel something to check.
    #[test]
    fn a_pushable_conjunct_is_pushed(term in pushable(), rest in anything()) {
        let text = format!("on deny_access_fs where {term} and ({rest}) {{ @[comm] = count(); @seen[domain] = 1 }}");
        let prog = compiled(&text);
        let pushed = pushdown(&prog.typed);
        let cond: &Condition = pushed[EventKind::DenyAccessFs as usize].as_ref().expect("named");
        prop_assert!(!cond.is_always(), "{text}: nothing pushed");
    }
}

#[test]
fn conditions_read_as_expected() {
    let cases = [
        ("on check_rule_fs where comm == \"nothing-matches\" { }", "comm == \"nothing-matches\""),
        ("on check_rule_fs where domain == 0x1c1407c26 { }", "domain == 0x1c1407c26"),
        ("on deny_access_fs where pid == 5 or uid == 0 { }", "pid == 5 or uid == 0"),
        ("on deny_access_fs where not (pid == 5 and uid == 0) { }", "pid != 5 or uid != 0"),
        ("on deny_access_fs where path =~ \"/etc/**\" { }", "every event"),
        (
            "on deny_access_fs where path =~ \"/etc/**\" and has(blockers, READ_FILE) { }",
            "blockers & 0x4 == 0x4",
        ),
        ("on deny_access_fs where false { }", "no event"),
        ("on deny_access_fs { } on deny_access_fs where pid == 1 { }", "every event"),
    ];
    for (text, want) in cases {
        let prog = compiled(text);
        let pushed = pushdown(&prog.typed);
        let kind = match &prog.typed.clauses[0].kind {
            ClauseKind::On(k) => k[0],
            _ => unreachable!(),
        };
        assert_eq!(pushed[kind as usize].as_ref().expect("named").to_string(), want, "{text}");
        for (i, c) in pushed.iter().enumerate() {
            assert_eq!(c.is_some(), i == kind as usize, "{text}: only the named kind has a condition");
        }
    }
}
