//! Bodies of the parser, checker and program targets.

use landtrace_compiler::exec::Backend;
use landtrace_compiler::interp::Interpreter;
use landtrace_compiler::jit::Jit;
use landtrace_compiler::{CheckOptions, compile};
use landtrace_event::record::Event;
use landtrace_runtime::engine::run_source;
use landtrace_runtime::source::VecSource;
use landtrace_runtime::{Engine, EngineOptions, OutFormat, Output, Summary};
use landtrace_trace::{Format, decode_all};

/// Parsing, checking and formatting never panic, on any text; a program
/// that parses formats stably (a second pass changes nothing), to the same
/// tree, with its comments.
pub fn parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(tree) = landtrace_grammar::parse_program(text) {
        use landtrace_grammar::format::{comments, format};
        let once = format(text).expect("a program that parses formats");
        assert_eq!(format(&once).as_deref(), Ok(once.as_str()), "formatting twice differs:\n{once}");
        let again = landtrace_grammar::parse_program(&once).expect("the formatted program parses");
        assert_eq!(again.to_string(), tree.to_string(), "formatting changed the tree:\n{once}");
        let texts = |s: &str| {
            comments(s).iter().map(|c| s[c.start..c.end].trim_end().to_string()).collect::<Vec<_>>()
        };
        assert_eq!(texts(&once), texts(text), "formatting lost a comment:\n{once}");
    }
    let _ = landtrace_grammar::parse_expr(text);
    let _ = compile(text, "fuzz", &CheckOptions { args: vec!["1".into(), "x".into()] });
}

/// Programs built from the input to stress the checker's bounds: chains of
/// macros that use each other (up to twice) over many levels, and lhist
/// with any 64-bit bounds. Checking must finish quickly (the expansion
/// bound) and, when it accepts the program, running it must not panic.
pub fn check_bounds(data: &[u8]) {
    let mut it = data.iter().copied();
    let levels = it.next().unwrap_or(0) as usize % 64;
    let mut src = String::from("macro m0 = pid == 1\n");
    for i in 1..=levels {
        let twice = it.next().unwrap_or(0) & 1 == 1;
        let op = if twice { format!("m{} or m{}", i - 1, i - 1) } else { format!("m{} and true", i - 1) };
        src.push_str(&format!("macro m{i} = {op}\n"));
    }
    let mut int = || {
        let mut b = [0u8; 8];
        for x in &mut b {
            *x = it.next().unwrap_or(0);
        }
        i64::from_le_bytes(b)
    };
    let (min, max, step) = (int(), int(), int());
    src.push_str(&format!(
        "on deny_access_fs where m{levels} {{ @h = lhist(ino, {min}, {max}, {step}); @s = sum(ino) }}\n"
    ));
    let mut input = src.into_bytes();
    input.push(0);
    input.extend_from_slice(b"x-1 [000] 1.0: landlock_deny_access_fs: domain=1 same_exec=1 logged=1 blockers=read_file dev=1:2 ino=9223372036854775807 path=/a\n");
    run_program(&input, false);
}

/// A program (up to the first NUL) run over the events decoded from the
/// rest (ftrace text): checking may fail, running may not.
pub fn compile_run(data: &[u8]) {
    run_program(data, false);
}

/// As [`compile_run`], in the interpreter and as native code from
/// Cranelift: both must print and count the same, and neither may crash
/// or read outside the event record.
pub fn jit(data: &[u8]) {
    if let Some(reference) = run_program(data, false) {
        let native = run_program(data, true).expect("compiled once, compiles again");
        assert_eq!(native, reference, "Cranelift and the interpreter disagree");
    }
}

fn run_program(data: &[u8], native: bool) -> Option<(String, Summary)> {
    let split = data.iter().position(|b| *b == 0).unwrap_or(data.len());
    let text = std::str::from_utf8(&data[..split]).ok()?;
    let compiled = compile(text, "fuzz", &CheckOptions { args: vec!["1".into(), "x".into()] }).ok()?;
    let (events, _) = decode_all(Format::Ftrace, data.get(split + 1..).unwrap_or_default());
    let (out, buf) = Output::to_vec(OutFormat::Text);
    let backend: Box<dyn Backend> = if native {
        let jit = Jit::compile(&compiled.ir).expect("Cranelift supports this machine");
        // Else the comparison would be the interpreter against itself.
        assert!(jit.fallbacks().is_empty(), "fell back to the interpreter: {}", jit.summary());
        Box::new(jit)
    } else {
        Box::new(Interpreter::new(&compiled.ir))
    };
    let mut engine =
        Engine::new(&compiled.ir, backend, out, EngineOptions { max_keys: 64, ..Default::default() });
    let summary =
        run_source(&mut engine, &mut VecSource::new(events), &mut Event::new()).expect("in-memory run");
    Some((buf.text(), summary))
}
