//! From parsed flags to a run: reads the program, compiles it, opens the
//! source (replayed files, or the live kernel sources), runs the engine and
//! reports what happened.

use crate::args::{Dump, LiveArgs, OutputFormat, RunArgs, SourceArg};
use crate::report;
use anyhow::{Context, Result};
use landtrace_compiler::diag::Diag;
use landtrace_compiler::exec::Backend;
use landtrace_compiler::interp::Interpreter;
use landtrace_compiler::jit::{self, Jit};
use landtrace_compiler::{CheckOptions, Compiled, compile};
use landtrace_event::schema::{EventKind, SourceKind, events_matching};
use landtrace_grammar::ast::Item;
use landtrace_runtime::engine::run_source_until;
use landtrace_runtime::live::{self, Choice, LiveOptions, Plan};
use landtrace_runtime::metrics::serve::MetricsServer;
use landtrace_runtime::replay::ReplaySource;
use landtrace_runtime::stop;
use landtrace_runtime::{Clock, Engine, EngineOptions, Event, OutFormat, Output, RunError};
use std::io::{self, IsTerminal, Write};
use std::sync::atomic::AtomicBool;

/// How a run ended, as an exit code (docs/language.md section 7).
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
    match args.script.as_deref() {
        Some("-") => {
            if args.replay.iter().any(|r| r == "-") {
                return Err("the program and --replay cannot both be read from standard input".into());
            }
            let mut text = String::new();
            io::Read::read_to_string(&mut io::stdin(), &mut text)
                .map_err(|e| format!("reading the program from standard input: {e}"))?;
            Ok(Some(ProgramText { name: "<stdin>".into(), text, args: args.args.clone() }))
        }
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
            let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
            if landtrace_trace::classify(first.as_bytes()).is_some() {
                return Err(format!(
                    "{path} is a recorded trace, not a script: to replay it, write --replay {path} \
                     (--replay takes one file; repeat it for several)"
                ));
            }
            Ok(Some(ProgramText { name: path.to_string(), text, args: args.args.clone() }))
        }
        None => Ok(None),
    }
}

/// Parses and checks; prints diagnostics. `None` if the program is invalid.
pub fn compile_reporting(p: &ProgramText) -> Option<Compiled> {
    reported(compile(&p.text, &p.name, &CheckOptions { args: p.args.clone() }))
}

/// A compilation's warnings or errors, reported; the program if it checked.
pub fn reported(result: Result<Compiled, Vec<Diag>>) -> Option<Compiled> {
    match result {
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
    if args.info {
        report::out(&live::info::KernelInfo::probe().render());
        return Ok(Outcome::Success);
    }
    if let Some(glob) = &args.list {
        if !crate::list::print(glob)? {
            report::error(&format!(
                "nothing in the schema matches {glob:?} (events, fields' events, builtins, rights, groups): `landtrace -l` lists all"
            ));
            return Ok(Outcome::RuntimeFailure);
        }
        return Ok(Outcome::Success);
    }
    report::set_quiet(args.quiet);
    if let Err(e) = command_line(&args) {
        report::error(&e);
        return Ok(Outcome::Invalid);
    }
    let program = match program_text(&args) {
        Ok(Some(p)) => p,
        Ok(None) if !args.replay.is_empty() || args.live.command.is_some() || args.live.pid.is_some() => {
            ProgramText { name: "(default)".into(), text: "on *".into(), args: Vec::new() }
        }
        // No program: the REPL, on the live source asked for (or the default).
        Ok(None) => {
            return Ok(crate::repl::run(crate::repl::ReplOptions {
                source: crate::repl::SourceSpec::live(args.live.source.clone()),
                no_jit: args.no_jit,
                max_keys: args.max_keys,
            }));
        }
        Err(e) => {
            report::error(&e);
            return Ok(Outcome::Invalid);
        }
    };
    let Some(compiled) = compile_reporting(&program) else {
        return Ok(Outcome::Invalid);
    };
    if let Err(e) = unused_arguments(&program, &compiled, &args) {
        report::error(&e);
        return Ok(Outcome::Invalid);
    }
    if let Some(stage) = args.dump {
        let mut out = io::stdout().lock();
        let text = match stage {
            Dump::Ast => compiled.ast.to_string(),
            Dump::Typed => format!("{:#?}\n", compiled.typed),
            Dump::Pushdown => landtrace_compiler::pushdown::describe(&compiled.typed),
            Dump::Ir => {
                let placement = if args.no_jit {
                    "; every function runs in the interpreter (--no-jit)\n".to_string()
                } else {
                    match Jit::compile(&compiled.ir) {
                        Ok(jit) => jit.summary(),
                        Err(e) => format!("; every function runs in the interpreter: {e}\n"),
                    }
                };
                format!("{}{placement}", compiled.ir)
            }
            Dump::Clif | Dump::Asm => match jit::listing(&compiled.ir, stage == Dump::Asm) {
                Ok(text) => text,
                Err(e) => {
                    report::error(&format!("cannot compile to native code: {e}"));
                    return Ok(Outcome::RuntimeFailure);
                }
            },
        };
        return match out.write_all(text.as_bytes()) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(Outcome::Success),
            other => other.map(|()| Outcome::Success).context("writing the dump"),
        };
    }
    let format = match args.format {
        OutputFormat::Text => OutFormat::Text,
        OutputFormat::Json => OutFormat::Json,
    };
    let output = match open_output(args.output.as_deref(), format) {
        Ok(o) => o,
        Err(e) => {
            report::error(&e);
            return Ok(Outcome::RuntimeFailure);
        }
    };
    let metrics = match start_metrics(args.metrics.as_deref(), &compiled) {
        Ok(m) => m,
        Err((e, outcome)) => {
            report::error(&e);
            return Ok(outcome);
        }
    };
    if args.replay.is_empty() {
        // A script (not -e) of an unscoped run is read again on SIGHUP.
        let script = args.script.as_deref().filter(|s| *s != "-" && args.expr.is_none());
        let reload = script.filter(|_| args.live.command.is_none() && args.live.pid.is_none()).map(|path| {
            ProgramText { name: path.to_string(), text: String::new(), args: program.args.clone() }
        });
        let live =
            LiveRun { strict: args.strict, max_keys: args.max_keys, no_jit: args.no_jit, metrics, reload };
        return Ok(run_live(compiled, &args.live, &live, output));
    }
    let backend = backend(&compiled.ir, args.no_jit);
    let mut engine = Engine::new(
        &compiled.ir,
        backend,
        output,
        EngineOptions { max_keys: args.max_keys, ..Default::default() },
    );
    if let Some(m) = &metrics {
        engine.set_scrapes(std::sync::Arc::clone(&m.scrapes));
    }
    // Ctrl-C and SIGTERM stop reading: END runs and the maps print.
    stop::catch(stop::Repeat::Once);
    let outcome = replay_run(&mut engine, &args.replay, args.strict, Some(stop::flag()));
    if let Some(sig) = stop::take() {
        report::note(&format!("stopped by {}", stop::name(sig)));
    }
    Ok(outcome)
}

/// Combinations of flags that cannot mean what they say, refused before
/// anything runs.
fn command_line(args: &RunArgs) -> Result<(), String> {
    if !args.replay.is_empty() {
        let live = [
            (args.live.command.is_some(), "-c"),
            (args.live.pid.is_some(), "-p"),
            (!args.live.source.is_empty(), "--source"),
            (args.live.ready_fd.is_some(), "--ready-fd"),
        ];
        if let Some((_, flag)) = live.iter().find(|(given, _)| *given) {
            return Err(format!("{flag} is for live tracing: it cannot be used with --replay"));
        }
    }
    if let Some(fd) = args.live.ready_fd {
        ready_fd_usable(fd)?;
    }
    if args.dump.is_some() && args.expr.is_none() && args.script.is_none() {
        return Err("--dump needs a program: -e PROGRAM or a script".into());
    }
    Ok(())
}

/// `--ready-fd N` names a descriptor the caller opened for writing, and
/// not one of the standard three (landtrace closes it once written):
/// checked before landtrace opens anything of its own, which could
/// otherwise get that number.
fn ready_fd_usable(fd: i32) -> Result<(), String> {
    if (0..=2).contains(&fd) {
        return Err(format!(
            "--ready-fd {fd}: standard input, output and error cannot be the ready descriptor"
        ));
    }
    // SAFETY: F_GETFL only queries the descriptor.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(format!("--ready-fd {fd}: descriptor {fd} is not open ({})", io::Error::last_os_error()));
    }
    if flags & libc::O_ACCMODE == libc::O_RDONLY {
        return Err(format!("--ready-fd {fd}: descriptor {fd} is open for reading only"));
    }
    Ok(())
}

/// A positional argument the program never reads is a mistake, most often
/// a second file after `--replay` (which takes one): say which was meant.
fn unused_arguments(program: &ProgramText, compiled: &Compiled, args: &RunArgs) -> Result<(), String> {
    let used = compiled.args_used as usize;
    let Some(first) = program.args.get(used) else { return Ok(()) };
    let reads = match used {
        0 => "no script argument".to_string(),
        1 => "only $1".to_string(),
        n => format!("only $1 to ${n}"),
    };
    let mut msg = format!(
        "argument `{}` is not used: the program reads {reads}",
        landtrace_event::escape::escape(first.as_bytes())
    );
    if !args.replay.is_empty() || std::path::Path::new(first).is_file() {
        msg.push_str(&format!(
            "; positional arguments are the program's: to replay it, write --replay {} \
             (--replay takes one file; repeat it for several)",
            landtrace_event::escape::escape(first.as_bytes())
        ));
    }
    Err(msg)
}

/// Runs `engine` over recorded files until they end (or `stop` is set, as
/// Ctrl-C does in the REPL): END runs and the maps print either way.
pub fn replay_run(engine: &mut Engine, files: &[String], strict: bool, stop: Option<&AtomicBool>) -> Outcome {
    let mut source = match ReplaySource::open(files, strict) {
        Ok(s) => match engine.output().stream() {
            Some(w) => s.records_to(w),
            None => s,
        },
        Err(e) => {
            report::error(&e.to_string());
            return Outcome::RuntimeFailure;
        }
    };
    let mut ev = Event::new();
    let never = AtomicBool::new(false);
    let result = run_source_until(engine, &mut source, &mut ev, stop.unwrap_or(&never));
    for line in landtrace_runtime::Source::summary(&source) {
        report::warning(&line);
    }
    match result {
        Ok(summary) => {
            report_summary(&summary);
            Outcome::Success
        }
        Err(RunError::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => report::write_failed(&e),
        Err(RunError::Source(e)) => {
            // END still runs and the maps print: the run ends, its data is not lost.
            let _ = engine.finish();
            let at = match &e {
                landtrace_runtime::SourceError::Malformed { path, line, .. } => {
                    Some((path.as_str(), Some(*line)))
                }
                landtrace_runtime::SourceError::Io { path, .. } => Some((path.as_str(), None)),
                landtrace_runtime::SourceError::NotTraces(_) => None,
            };
            engine.output().fatal("replay", at, &e.to_string());
            report::error(&e.to_string());
            Outcome::RuntimeFailure
        }
        Err(e) => {
            report::error(&e.to_string());
            Outcome::RuntimeFailure
        }
    }
}

/// Standard output (coloured on a terminal unless `NO_COLOR`) or a file.
pub fn open_output(path: Option<&str>, format: OutFormat) -> Result<Output, String> {
    if let Some(p) = path {
        let f = std::fs::File::create(p).map_err(|e| format!("cannot write {p}: {e}"))?;
        Ok(output(Box::new(io::BufWriter::with_capacity(1 << 16, f)), format, false))
    } else {
        let stdout = io::stdout();
        let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        Ok(output(Box::new(io::BufWriter::with_capacity(1 << 16, stdout)), format, color))
    }
}

/// JSON output is shared with the replay, which writes its error records
/// into the same stream.
fn output(w: Box<dyn Write + Send>, format: OutFormat, color: bool) -> Output {
    match format {
        OutFormat::Json => Output::shared(w, format, color),
        OutFormat::Text => Output::new(w, format, color),
    }
}

fn report_summary(summary: &landtrace_runtime::Summary) {
    if summary.div_by_zero > 0 {
        report::warning(&format!(
            "{} division{} by zero (each yielded 0)",
            summary.div_by_zero,
            if summary.div_by_zero == 1 { "" } else { "s" }
        ));
    }
    for (name, max, dropped, more) in &summary.dropped_keys {
        report::warning(&format!(
            "map {name} reached {max} keys: {}{dropped} new key{} dropped (raise --max-keys)",
            if *more { "more than " } else { "" },
            if *dropped == 1 && !*more { "" } else { "s" }
        ));
    }
}

fn choice(sources: &[SourceArg]) -> Choice {
    if sources.is_empty() || sources.contains(&SourceArg::Auto) {
        return Choice::Auto;
    }
    let mut out = Vec::new();
    for s in sources {
        let k = match s {
            SourceArg::Tracepoint => SourceKind::Tracepoint,
            SourceArg::Compat => SourceKind::Compat,
            SourceArg::Audit => SourceKind::Audit,
            SourceArg::Auto => continue,
        };
        if !out.contains(&k) {
            out.push(k);
        }
    }
    Choice::Sources(out)
}

fn plan_name(plan: &Plan) -> String {
    plan.sources.iter().map(|s| s.name()).collect::<Vec<_>>().join(" + ")
}

/// The events the program's clauses name (globs expanded).
fn program_events(compiled: &Compiled) -> Vec<EventKind> {
    let mut out: Vec<EventKind> = compiled
        .ast
        .items
        .iter()
        .filter_map(|item| if let Item::On(c) = item { Some(c) } else { None })
        .flat_map(|c| c.events.iter().flat_map(|e| events_matching(&e.name)))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Warnings (errors with --strict) for events a clause names that the
/// chosen sources cannot produce.
fn unproduced_diags(compiled: &Compiled, plan: &Plan, strict: bool) -> Vec<Diag> {
    let mut diags = Vec::new();
    for item in &compiled.ast.items {
        let Item::On(clause) = item else { continue };
        for ident in &clause.events {
            let kinds = events_matching(&ident.name);
            let missing = live::unproduced(plan, kinds.iter().copied());
            // A glob is fine as long as the sources produce some of it.
            let is_glob = ident.name.contains(['*', '?']);
            if missing.is_empty() || (is_glob && missing.len() < kinds.len()) {
                continue;
            }
            let names = missing.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ");
            let message = format!("{} cannot produce {names}", plan_name(plan));
            let d = if strict {
                Diag::error(&compiled.source, ident.span, message, "never happens with these sources")
            } else {
                Diag::warning(&compiled.source, ident.span, message, "never happens with these sources")
            };
            let help = match missing.first().map(|k| {
                SourceKind::ALL
                    .into_iter()
                    .filter(|s| *s != SourceKind::Replay && landtrace_runtime::source::produces_here(*s, *k))
                    .map(landtrace_event::schema::SourceKind::name)
                    .collect::<Vec<_>>()
            }) {
                Some(s) if !s.is_empty() => format!("these events come from --source {}", s.join(" or ")),
                _ => "no live source produces it on this kernel".into(),
            };
            diags.push(d.with_help(help));
        }
    }
    diags
}

/// The backend that runs the program: native code from Cranelift, or the
/// interpreter with `--no-jit` (or, with a warning, where Cranelift does not
/// support the machine).
pub fn backend(ir: &landtrace_compiler::ir::Program, no_jit: bool) -> Box<dyn Backend> {
    if no_jit {
        return Box::new(Interpreter::new(ir));
    }
    match Jit::compile(ir) {
        Ok(jit) => Box::new(jit),
        Err(e) => {
            report::warning(&format!("running in the interpreter: {e}"));
            Box::new(Interpreter::new(ir))
        }
    }
}

/// How a live run is made, besides its sources.
struct LiveRun {
    strict: bool,
    max_keys: usize,
    no_jit: bool,
    metrics: Option<MetricsServer>,
    /// The script SIGHUP reads again (its path and arguments), if any.
    reload: Option<ProgramText>,
}

fn run_live(mut compiled: Compiled, args: &LiveArgs, run: &LiveRun, mut output: Output) -> Outcome {
    let mut args = args.clone();
    loop {
        let next: std::cell::RefCell<Option<Compiled>> = std::cell::RefCell::new(None);
        let mut reload = || run.reload.as_ref().is_some_and(|p| reread(p, run.metrics.is_some(), &next));
        let backend = backend(&compiled.ir, run.no_jit);
        let opts = EngineOptions { max_keys: run.max_keys, clock: Clock::Wall };
        let mut engine = Engine::new(&compiled.ir, backend, output, opts);
        if let Some(m) = &run.metrics {
            engine.set_scrapes(std::sync::Arc::clone(&m.scrapes));
        }
        // A run that can reload keeps the capabilities it attaches with.
        let hup = run.reload.is_some().then_some(&mut reload as &mut dyn FnMut() -> bool);
        let (outcome, reloading) = live_run(&mut engine, &compiled, &args, run.strict, hup.is_none(), hup);
        output = engine.into_output();
        let Some(new) = next.into_inner().filter(|_| reloading) else { return outcome };
        compiled = new;
        args.ready_fd = None;
        if let Some(p) = &run.reload {
            report::note(&format!("SIGHUP: tracing with the new {}", p.name));
        }
    }
}

/// SIGHUP: reads and checks the script again; a valid one goes into
/// `next` (true), an invalid one is reported and the running program
/// stays (false).
fn reread(script: &ProgramText, metrics: bool, next: &std::cell::RefCell<Option<Compiled>>) -> bool {
    let text = match std::fs::read_to_string(&script.name) {
        Ok(t) => t,
        Err(e) => {
            report::error(&format!("SIGHUP: cannot read {}: {e}; the running program stays", script.name));
            return false;
        }
    };
    let p = ProgramText { name: script.name.clone(), text, args: script.args.clone() };
    let Some(c) = compile_reporting(&p) else {
        report::error(&format!("SIGHUP: {} has errors; the running program stays", script.name));
        return false;
    };
    if metrics {
        let names: Vec<&str> = c.typed.maps.iter().map(|m| m.name.as_str()).collect();
        if let Err(e) = landtrace_runtime::metrics::check_names(&names) {
            report::error(&format!("SIGHUP: {e}; the running program stays"));
            return false;
        }
    }
    next.replace(Some(c));
    true
}

/// Starts the metrics server of `--metrics ADDR:PORT`, before tracing:
/// the error and how the run ends if it cannot (a map that cannot be
/// exported is a wrong program; an address in use, a runtime failure).
fn start_metrics(
    addr: Option<&str>,
    compiled: &Compiled,
) -> Result<Option<MetricsServer>, (String, Outcome)> {
    let Some(addr) = addr else { return Ok(None) };
    let names: Vec<&str> = compiled.typed.maps.iter().map(|m| m.name.as_str()).collect();
    landtrace_runtime::metrics::check_names(&names).map_err(|e| (e, Outcome::Invalid))?;
    let server = MetricsServer::start(addr).map_err(|e| (e, Outcome::RuntimeFailure))?;
    report::note(&format!("metrics at http://{}/metrics", server.addr));
    Ok(Some(server))
}

/// Traces the live kernel with `engine` until the run ends (the command
/// or process exits, Ctrl-C, SIGTERM, `exit()`, or SIGHUP when `reload`
/// accepts a new program: then the second value is true), then runs END
/// and reports losses. `drop_caps`: give up the capabilities no longer
/// needed once attached (not in the REPL, whose next query attaches again).
pub fn live_run(
    engine: &mut Engine,
    compiled: &Compiled,
    args: &LiveArgs,
    strict: bool,
    drop_caps: bool,
    reload: Option<&mut dyn FnMut() -> bool>,
) -> (Outcome, bool) {
    let mut plan = live::choose(&choice(&args.source));
    if matches!(choice(&args.source), Choice::Auto) {
        plan = plan.narrowed(&program_events(compiled));
        report::note(&format!("source auto: {} ({})", plan_name(&plan), plan.reason));
    }
    let diags = unproduced_diags(compiled, &plan, strict);
    report::diagnostics(&diags);
    if diags.iter().any(Diag::is_error) {
        return (Outcome::Invalid, false);
    }
    let opts = LiveOptions {
        choice: Choice::Sources(plan.sources.clone()),
        command: args.command.clone(),
        pid: args.pid,
        ready_fd: args.ready_fd,
        ring_bytes: args.ring_size,
        drop_caps,
        strict,
        quiet: report::quiet(),
        watchdog: std::env::current_exe().ok(),
        pushdown: Some(landtrace_compiler::pushdown::pushdown(&compiled.typed)),
    };
    let mut stderr = io::stderr();
    let result = live::run(engine, &opts, &plan, &mut stderr, reload);
    let summary = match result {
        Ok(s) => s,
        Err(e) => {
            report::error(&e.to_string());
            return (Outcome::RuntimeFailure, false);
        }
    };
    let finished = engine.finish();
    if plan.sources.contains(&SourceKind::Tracepoint) {
        report::note(&format!(
            "probes: {} records seen, {} filtered in the kernel, {} delivered, {} lost",
            summary.probe_seen,
            summary.probe_filtered,
            summary.delivered,
            summary.lost_ring + summary.missed
        ));
    }
    if summary.lost_ring > 0 {
        report::warning(&format!("{} events lost: the ring buffer was full", summary.lost_ring));
    }
    if summary.missed > 0 {
        report::warning(&format!(
            "{} events lost: the kernel skipped the probes while another BPF program ran on the same CPU",
            summary.missed
        ));
    }
    if summary.cut > 0 {
        report::warning(&format!(
            "{} records were longer than the copy limit: their paths end in <cut>",
            summary.cut
        ));
    }
    if summary.scope_forgotten > 0 {
        report::warning(&format!(
            "{} domains and rulesets of the traced processes were not remembered (more than a million alive): \
             their free events may be missing",
            summary.scope_forgotten
        ));
    }
    if summary.undecoded > 0 {
        report::warning(&format!("{} BPF records could not be decoded", summary.undecoded));
    }
    if summary.lost_audit > 0 || summary.audit_overflows > 0 {
        let lost = summary.lost_audit + summary.audit_overflows;
        report::warning(&format!(
            "at least {lost} audit records lost (the audit subsystem dropped {}, landtrace's socket {}): \
             denials may be missing from the counts",
            summary.lost_audit, summary.audit_overflows
        ));
    }
    if summary.audit_malformed > 0 {
        report::warning(&format!("{} audit records could not be decoded", summary.audit_malformed));
    }
    if summary.audit_restored {
        report::note("audit was enabled for the run and is disabled again");
    }
    if let Some(n) = &summary.audit_note {
        report::note(n);
    }
    if let Some(status) = summary.command_status {
        match status.code() {
            Some(code) => report::note(&format!("command exited with status {code}")),
            None => report::note(&format!("command ended: {status}")),
        }
    }
    let outcome = match finished {
        Ok(s) => {
            report_summary(&s);
            Outcome::Success
        }
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return (report::write_failed(&e), false),
        Err(e) => {
            report::error(&format!("writing output: {e}"));
            return (Outcome::RuntimeFailure, false);
        }
    };
    (outcome, summary.reload)
}

/// `landtrace record`: every live event as JSON lines.
pub fn record(args: crate::args::RecordArgs) -> Outcome {
    if let Some(fd) = args.live.ready_fd
        && let Err(e) = ready_fd_usable(fd)
    {
        report::error(&e);
        return Outcome::Invalid;
    }
    let program = ProgramText { name: "(record)".into(), text: "on *".into(), args: Vec::new() };
    let Some(compiled) = compile_reporting(&program) else { return Outcome::Invalid };
    let output = match open_output(args.output.as_deref(), OutFormat::Json) {
        Ok(o) => o,
        Err(e) => {
            report::error(&e);
            return Outcome::RuntimeFailure;
        }
    };
    let metrics = match start_metrics(args.metrics.as_deref(), &compiled) {
        Ok(m) => m,
        Err((e, outcome)) => {
            report::error(&e);
            return outcome;
        }
    };
    let run = LiveRun { strict: false, max_keys: 100_000, no_jit: false, metrics, reload: None };
    run_live(compiled, &args.live, &run, output)
}
