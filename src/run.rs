//! From parsed flags to a run: reads the program, compiles it, opens the
//! source, runs the engine and reports what happened.

use crate::args::{Dump, OutputFormat, RunArgs};
use crate::report;
use anyhow::{Context, Result};
use landtrace_compiler::interp::Interpreter;
use landtrace_compiler::{CheckOptions, Compiled, compile};
use landtrace_runtime::engine::run_source;
use landtrace_runtime::replay::ReplaySource;
use landtrace_runtime::{Engine, EngineOptions, Event, OutFormat, Output, RunError};
use std::io::{self, IsTerminal, Write};

/// How a run ended, as an exit code (LANGUAGE.md section 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 0
    Success,
    /// 1: cannot attach, source lost, input error
    RuntimeFailure,
    /// 2: invalid program or command line
    Invalid,
}

/// The program text and the name diagnostics show for it.
pub struct ProgramText {
    pub name: String,
    pub text: String,
    pub args: Vec<String>,
}

/// Reads the program from `-e` or a script file.
pub fn program_text(args: &RunArgs) -> Result<Option<ProgramText>, String> {
    if let Some(expr) = &args.expr {
        let mut script_args: Vec<String> = args.script.iter().cloned().collect();
        script_args.extend(args.args.iter().cloned());
        return Ok(Some(ProgramText { name: "-e".into(), text: expr.clone(), args: script_args }));
    }
    match &args.script {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
            Ok(Some(ProgramText { name: path.clone(), text, args: args.args.clone() }))
        }
        None => Ok(None),
    }
}

/// Parses and checks; prints diagnostics. `None` if the program is invalid.
pub fn compile_reporting(p: &ProgramText) -> Option<Compiled> {
    match compile(&p.text, &p.name, &CheckOptions { args: p.args.clone() }) {
        Ok(c) => {
            report::diagnostics(&c.warnings);
            Some(c)
        }
        Err(diags) => {
            report::diagnostics(&diags);
            None
        }
    }
}

pub fn run(args: RunArgs) -> Result<Outcome> {
    if let Some(glob) = &args.list {
        crate::list::print(glob)?;
        return Ok(Outcome::Success);
    }
    let program = match program_text(&args) {
        Ok(Some(p)) => p,
        Ok(None) if !args.replay.is_empty() => {
            ProgramText { name: "(default)".into(), text: "on *".into(), args: Vec::new() }
        }
        Ok(None) => {
            report::error(
                "no program given: use -e PROGRAM, a script file, or --replay FILE to print events",
            );
            return Ok(Outcome::Invalid);
        }
        Err(e) => {
            report::error(&e);
            return Ok(Outcome::Invalid);
        }
    };
    let Some(compiled) = compile_reporting(&program) else {
        return Ok(Outcome::Invalid);
    };
    if let Some(stage) = args.dump {
        let mut out = io::stdout().lock();
        let text = match stage {
            Dump::Ast => compiled.ast.to_string(),
            Dump::Typed => format!("{:#?}\n", compiled.typed),
            Dump::Ir => compiled.ir.to_string(),
        };
        return match out.write_all(text.as_bytes()) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(Outcome::Success),
            other => other.map(|_| Outcome::Success).context("writing the dump"),
        };
    }
    if args.replay.is_empty() {
        report::error(
            "live tracing needs a live source, which this build does not have yet; replay a recorded trace with --replay FILE",
        );
        return Ok(Outcome::RuntimeFailure);
    }
    let mut source = match ReplaySource::open(&args.replay, args.strict) {
        Ok(s) => s,
        Err(e) => {
            report::error(&e.to_string());
            return Ok(Outcome::RuntimeFailure);
        }
    };
    let format = match args.format {
        OutputFormat::Text => OutFormat::Text,
        OutputFormat::Json => OutFormat::Json,
    };
    let stdout = io::stdout();
    let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let output = Output::new(Box::new(io::BufWriter::with_capacity(1 << 16, stdout)), format, color);
    let backend = Box::new(Interpreter::new(&compiled.ir));
    let mut engine = Engine::new(
        &compiled.ir,
        backend,
        output,
        EngineOptions { max_keys: args.max_keys, ..Default::default() },
    );
    let mut ev = Event::new();
    let result = run_source(&mut engine, &mut source, &mut ev);
    for line in landtrace_runtime::Source::summary(&source) {
        report::warning(&line);
    }
    match result {
        Ok(summary) => {
            if summary.div_by_zero > 0 {
                report::warning(&format!(
                    "{} division{} by zero (each yielded 0)",
                    summary.div_by_zero,
                    if summary.div_by_zero == 1 { "" } else { "s" }
                ));
            }
            for (name, max, dropped) in &summary.dropped_keys {
                report::warning(&format!(
                    "map {name} reached {max} keys: {dropped} new key{} dropped (raise --max-keys)",
                    if *dropped == 1 { "" } else { "s" }
                ));
            }
            Ok(Outcome::Success)
        }
        Err(e) if e.is_broken_pipe() => Ok(Outcome::Success),
        Err(RunError::Source(e)) => {
            // END still runs and the maps print: the run ends, its data is not lost.
            let _ = engine.finish();
            report::error(&e.to_string());
            Ok(Outcome::RuntimeFailure)
        }
        Err(e) => {
            report::error(&e.to_string());
            Ok(Outcome::RuntimeFailure)
        }
    }
}
