//! `landtrace fmt` on random programs: formatting twice gives the same
//! text, every comment is kept in order, and the formatted program parses
//! to the same tree, checks, and runs identically (the interpreter over
//! the same random events prints the same and counts the same).
//!
//! Programs come from the equivalence test's generator (every operator,
//! statement and literal spelling, parentheses everywhere), with comments
//! and line breaks put between random tokens.

use landtrace_compiler::interp::Interpreter;
use landtrace_compiler::{CheckOptions, compile};
use landtrace_event::record::Event;
use landtrace_grammar::format::{comments, format};
use landtrace_runtime::engine::run_source;
use landtrace_runtime::source::VecSource;
use landtrace_runtime::{Engine, EngineOptions, OutFormat, Output, Summary};
use proptest::prelude::*;

#[path = "equivalence/events.rs"]
mod events;
#[path = "equivalence/programs.rs"]
mod programs;

fn run(text: &str, events: &[Event]) -> (String, Summary) {
    let prog = compile(text, "-e", &CheckOptions::default()).unwrap_or_else(|d| {
        panic!(
            "does not check:\n{text}\n{}",
            d.iter().map(|d| d.message.clone()).collect::<Vec<_>>().join("\n")
        )
    });
    let (out, buf) = Output::to_vec(OutFormat::Text);
    let mut engine = Engine::new(
        &prog.ir,
        Box::new(Interpreter::new(&prog.ir)),
        out,
        EngineOptions { max_keys: 50, ..Default::default() },
    );
    let mut source = VecSource::new(events.to_vec());
    let summary = run_source(&mut engine, &mut source, &mut Event::new()).expect("run");
    (buf.text(), summary)
}

/// The places between tokens (spaces outside string literals).
fn gaps(text: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let (mut out, mut i) = (Vec::new(), 0);
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            b' ' => out.push(i),
            _ => {}
        }
        i += 1;
    }
    out
}

/// `text` with a comment (or a line break, or a blank line) at some of
/// its gaps, chosen by `picks`.
fn commented(text: &str, picks: &[(usize, u8)]) -> String {
    let gaps = gaps(text);
    if gaps.is_empty() {
        return text.to_string();
    }
    let mut at: Vec<(usize, u8, usize)> =
        picks.iter().enumerate().map(|(n, &(g, kind))| (gaps[g % gaps.len()], kind, n)).collect();
    at.sort_unstable();
    at.dedup_by_key(|a| a.0);
    let mut out = String::new();
    let mut from = 0;
    for (pos, kind, n) in at {
        out.push_str(&text[from..pos]);
        out.push_str(&match kind % 6 {
            0 => format!(" # c{n} \"x\" {{\n"),
            1 => format!(" // c{n} ]\n"),
            // Block comments, on one line and across lines.
            2 => format!(" /* c{n} # \" */ "),
            3 => format!(" /* c{n}\n  ] // */\n"),
            4 => "\n\n\n".to_string(),
            _ => "\n".to_string(),
        });
        from = pos + 1;
    }
    out.push_str(&text[from..]);
    out
}

fn comment_texts(s: &str) -> Vec<String> {
    comments(s).iter().map(|c| s[c.start..c.end].trim_end().to_string()).collect()
}

fn tree(s: &str) -> String {
    landtrace_grammar::parse_program(s).expect("parses").to_string()
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(300).min(2000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), max_shrink_iters: 1000, ..ProptestConfig::default() })]

    #[test]
    fn formatting_is_stable_and_changes_nothing_that_runs(
        ((text, events), picks) in programs::program()
            .prop_flat_map(|(text, kinds)| (Just(text), prop::collection::vec(events::event(kinds), 0..6)))
            .prop_flat_map(|p| (Just(p), prop::collection::vec((any::<usize>(), any::<u8>()), 0..8)))
    ) {
        let src = commented(&text, &picks);
        let once = format(&src).unwrap_or_else(|e| panic!("{src}\n{e:?}"));
        let twice = format(&once).unwrap_or_else(|e| panic!("{once}\n{e:?}"));
        prop_assert_eq!(&twice, &once, "not idempotent on:\n{}", src);
        prop_assert_eq!(comment_texts(&once), comment_texts(&src), "comments changed:\n{}", once);
        prop_assert_eq!(tree(&once), tree(&src), "the tree changed:\n{}", once);
        prop_assert_eq!(run(&once, &events), run(&src, &events), "runs differently:\n{}", once);
    }
}
