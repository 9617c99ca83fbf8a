//! The REPL: explore Landlock events interactively.
//!
//! An entry is a program (clauses), a bare expression (a filter over every
//! event that has the fields it names: `on <those events> where EXPR`), or a
//! meta command (`.help`). A program runs until its replay source ends,
//! `exit()`, or Ctrl-C, which stops the query (END runs, maps print) and
//! returns to the prompt. Maps persist across entries. On a terminal the
//! line editor completes, highlights, hints from history (kept in the XDG
//! state directory) and continues an entry while a brace, bracket or string
//! is open; otherwise entries are read line by line without prompts and the
//! exit status says whether any failed.

pub mod complete;
mod editor;
mod highlight;
mod lex;

use crate::args::{LiveArgs, SourceArg};
use crate::report;
use crate::run::{self, Outcome};
use landtrace_compiler::{CheckOptions, Compiled, compile};
use landtrace_event::schema::{EVENTS, EventKind, Family, GROUPS, events_matching};
use landtrace_grammar::ast;
use landtrace_runtime::live::proc::can_trace;
use landtrace_runtime::maps::Map;
use landtrace_runtime::stop;
use landtrace_runtime::{Clock, Engine, EngineOptions, OutFormat};
use std::io::{self, BufRead, IsTerminal, Write};

pub use lex::is_complete;

/// Where the session's queries read events from.
#[derive(Clone, Debug, PartialEq)]
pub enum SourceSpec {
    /// The live kernel, with these `--source` values.
    Live(Vec<SourceArg>),
    /// Recorded files, replayed from the start by each query.
    Replay(Vec<String>),
}

impl SourceSpec {
    /// The live sources asked for on the command line; `None` for the
    /// default (live if privileged).
    pub fn live(asked: Vec<SourceArg>) -> Option<SourceSpec> {
        let default = asked.is_empty() || asked == [SourceArg::Auto];
        (!default).then_some(SourceSpec::Live(asked))
    }
}

pub struct ReplOptions {
    /// `None`: live if privileged, else none until `.source FILE`.
    pub source: Option<SourceSpec>,
    pub no_jit: bool,
    pub max_keys: usize,
}

pub struct Session {
    source: Option<SourceSpec>,
    maps: Vec<Map>,
    /// The programs run in this session, for `.save`.
    programs: Vec<String>,
    last_entry: Option<String>,
    no_jit: bool,
    max_keys: usize,
    quit: bool,
    /// Entries come from a terminal.
    interactive: bool,
}

/// Why the REPL cannot replay standard input.
const STDIN_IS_THE_REPL: &str = "the REPL reads its entries from standard input, so it cannot replay it: name a file, \
     or run a program on standard input with landtrace -e PROGRAM --replay -";

pub fn run(opts: ReplOptions) -> Outcome {
    let interactive = io::stdin().is_terminal();
    let source = opts.source.clone().or_else(|| can_trace().then(|| SourceSpec::Live(vec![SourceArg::Auto])));
    let mut s = Session {
        source,
        maps: Vec::new(),
        programs: Vec::new(),
        last_entry: None,
        no_jit: opts.no_jit,
        max_keys: opts.max_keys,
        quit: false,
        interactive,
    };
    if matches!(&s.source, Some(SourceSpec::Replay(files)) if files.iter().any(|f| f == "-")) {
        report::error(STDIN_IS_THE_REPL);
        return Outcome::Invalid;
    }
    // Ctrl-C stops the running query instead of the process.
    stop::catch(stop::Repeat::Always);
    if interactive { editor::interactive(&mut s) } else { s.script(io::stdin().lock()) }
}

impl Session {
    /// Reads entries from a non-terminal: line by line, an entry continuing
    /// while something is open. Fails if any entry failed.
    fn script(&mut self, input: impl BufRead) -> Outcome {
        let mut worst = Outcome::Success;
        let mut entry = String::new();
        for line in input.lines() {
            let Ok(line) = line else { break };
            entry.push_str(&line);
            entry.push('\n');
            if !is_complete(&entry) {
                continue;
            }
            worst = worse(worst, self.entry(&std::mem::take(&mut entry)));
            // Nobody reads the answers any more: stop, as at the end of input.
            if self.quit || report::stdout_closed() {
                return worst;
            }
        }
        if !entry.trim().is_empty() {
            report::error("the input ended inside an unfinished entry");
            worst = worse(worst, self.entry(&entry));
        }
        worst
    }

    fn greet(&self) {
        report::out("landtrace REPL: enter a program, a filter expression, or .help (Ctrl-D quits)\n");
        self.show_source();
    }

    /// Where events come from: on the terminal with the answers; without
    /// one, on stderr, so that standard output holds only the answers.
    fn show_source(&self) {
        let line = match &self.source {
            Some(SourceSpec::Live(s)) => {
                let names: Vec<String> = s.iter().map(|a| format!("{a:?}").to_lowercase()).collect();
                format!("source: live ({})", names.join(", "))
            }
            Some(SourceSpec::Replay(files)) => format!("source: replay {}", files.join(" ")),
            None => "source: none: live tracing needs root (or CAP_BPF and CAP_PERFMON); \
                     replay a trace with .source FILE (e.g. .source examples/traces/demo.jsonl)"
                .to_string(),
        };
        let line = landtrace_event::escape::message(&line, false);
        if self.interactive {
            report::out(&format!("{line}\n"));
        } else {
            eprintln!("{line}");
        }
    }

    /// Map names of the session, for completion.
    fn map_names(&self) -> Vec<String> {
        self.maps.iter().map(|m| m.decl.name.clone()).collect()
    }

    /// Runs one entry: a meta command, a program or a filter expression.
    pub fn entry(&mut self, text: &str) -> Outcome {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Outcome::Success;
        }
        if trimmed.starts_with('.') {
            return self.meta(trimmed);
        }
        // What psql, sqlite and duckdb users type.
        match trimmed {
            "help" | "\\?" | "\\h" | "?" => return self.meta(".help"),
            "quit" | "exit" | "\\q" | "q" => return self.meta(".quit"),
            _ => {}
        }
        self.last_entry = Some(trimmed.to_string());
        let Some((program, compiled)) = Self::compile_entry(trimmed) else { return Outcome::Invalid };
        let outcome = self.run_program(&compiled);
        if outcome != Outcome::Invalid {
            self.programs.push(program);
        }
        outcome
    }

    /// Compiles an entry, reporting its diagnostics. A bare expression is
    /// first made into a clause.
    fn compile_entry(text: &str) -> Option<(String, Compiled)> {
        let program = as_program(text);
        match compile(&program, "entry", &CheckOptions::default()) {
            Ok(c) => {
                report::diagnostics(&c.warnings);
                Some((program, c))
            }
            Err(diags) => {
                report::diagnostics(&diags);
                None
            }
        }
    }

    fn run_program(&mut self, compiled: &Compiled) -> Outcome {
        let Some(source) = self.source.clone() else {
            report::error("no source to read events from: replay a trace with .source FILE");
            return Outcome::RuntimeFailure;
        };
        let output = match run::open_output(None, OutFormat::Text) {
            Ok(o) => o,
            Err(e) => {
                report::error(&e);
                return Outcome::RuntimeFailure;
            }
        };
        let backend = run::backend(&compiled.ir, self.no_jit);
        let clock = if matches!(source, SourceSpec::Live(_)) { Clock::Wall } else { Clock::Event };
        let mut engine =
            Engine::new(&compiled.ir, backend, output, EngineOptions { max_keys: self.max_keys, clock });
        // A replay reads the trace from its start again: its maps start
        // empty (counting on would count every event twice). A live source
        // goes on from where the last entry stopped: its maps go on too,
        // and the entry says so.
        if matches!(source, SourceSpec::Live(_)) {
            let before: Vec<String> = self.maps.iter().map(|m| m.decl.name.clone()).collect();
            let restarted = engine.adopt_maps(&mut self.maps);
            for name in &restarted {
                report::note(&format!("{name} holds other values in this entry: it starts empty"));
            }
            for name in compiled.ir.maps.iter().map(|m| &m.name) {
                if before.contains(name) && !restarted.contains(name) {
                    report::note(&format!(
                        "{name} goes on from the last entry (.clear {name} to start over)"
                    ));
                }
            }
        }
        stop::take();
        let outcome = match &source {
            SourceSpec::Replay(files) => run::replay_run(&mut engine, files, false, Some(stop::flag())),
            SourceSpec::Live(sources) => {
                let args = LiveArgs { source: sources.clone(), ..LiveArgs::default() };
                run::live_run(&mut engine, compiled, &args, false, false, None).0
            }
        };
        if stop::take().is_some() {
            report::note("stopped");
        }
        // The entry's maps join the session's (replacing same-named ones).
        let mut maps = engine.take_maps();
        self.maps.retain(|m| !maps.iter().any(|n| n.decl.name == m.decl.name));
        self.maps.append(&mut maps);
        outcome
    }

    fn meta(&mut self, line: &str) -> Outcome {
        let (cmd, arg) = line.split_once(char::is_whitespace).map_or((line, ""), |(c, a)| (c, a.trim()));
        let mut out = io::stdout().lock();
        let r: io::Result<Outcome> = match cmd {
            ".help" | ".h" => {
                for (name, args, what) in complete::META {
                    let _ = writeln!(out, "{name:<9}{args:<16}{what}");
                }
                writeln!(
                    out,
                    "\nAn entry is a program (`on deny_* {{ @[comm] = count() }}`), or an expression\n\
                     that filters every event having the fields it names (`path =~ \"/etc/**\"`)."
                )
                .map(|()| Outcome::Success)
            }
            ".quit" | ".q" | ".exit" => {
                self.quit = true;
                Ok(Outcome::Success)
            }
            ".events" => list_events(&mut out, if arg.is_empty() { "*" } else { arg }),
            ".fields" => list_fields(&mut out, arg),
            ".rights" => list_rights(&mut out, arg),
            ".source" => {
                drop(out);
                return self.set_source(arg);
            }
            ".maps" => {
                drop(out);
                return self.print_maps();
            }
            ".clear" => {
                let before = self.maps.len();
                if arg.is_empty() {
                    self.maps.clear();
                } else {
                    self.maps.retain(|m| m.decl.name != arg);
                }
                if self.maps.len() == before && !arg.is_empty() {
                    report::error(&format!("no map {arg} in this session"));
                    return Outcome::RuntimeFailure;
                }
                Ok(Outcome::Success)
            }
            ".save" => {
                drop(out);
                return self.save(arg);
            }
            ".explain" => {
                drop(out);
                return self.explain(arg);
            }
            ".edit" => {
                drop(out);
                return self.edit();
            }
            _ => {
                report::error(&format!("unknown command {cmd}: .help lists them"));
                Ok(Outcome::Invalid)
            }
        };
        r.unwrap_or_else(|e| report::write_failed(&e))
    }

    fn set_source(&mut self, arg: &str) -> Outcome {
        if arg.is_empty() {
            self.show_source();
            return Outcome::Success;
        }
        let words: Vec<&str> = arg.split_whitespace().collect();
        let live: Option<Vec<SourceArg>> = words
            .iter()
            .map(|w| match *w {
                "live" | "auto" => Some(SourceArg::Auto),
                "compat" => Some(SourceArg::Compat),
                "audit" => Some(SourceArg::Audit),
                "tracepoint" => Some(SourceArg::Tracepoint),
                _ => None,
            })
            .collect();
        if let Some(live) = live {
            if !can_trace() {
                report::error(
                    "live tracing needs root (or CAP_BPF and CAP_PERFMON); replay a trace with .source FILE",
                );
                return Outcome::RuntimeFailure;
            }
            self.source = Some(SourceSpec::Live(live));
        } else {
            for f in &words {
                if *f == "-" {
                    report::error(STDIN_IS_THE_REPL);
                    return Outcome::RuntimeFailure;
                }
                let path = std::path::Path::new(f);
                if path.is_dir() {
                    report::error(&format!(
                        "{f} is a directory: give the trace files in it (.source FILE...)"
                    ));
                    return Outcome::RuntimeFailure;
                }
                if !path.is_file() {
                    report::error(&format!("{f}: no such file"));
                    return Outcome::RuntimeFailure;
                }
            }
            self.source =
                Some(SourceSpec::Replay(words.iter().map(std::string::ToString::to_string).collect()));
        }
        self.show_source();
        Outcome::Success
    }

    fn print_maps(&mut self) -> Outcome {
        if self.maps.iter().all(Map::is_empty) {
            report::out("no maps in this session\n");
            return Outcome::Success;
        }
        let Ok(mut output) = run::open_output(None, OutFormat::Text) else { return Outcome::RuntimeFailure };
        for m in &self.maps {
            if !m.is_empty() {
                output.map(m, None);
            }
        }
        match output.finish() {
            Ok(()) => Outcome::Success,
            Err(e) => report::write_failed(&e),
        }
    }

    /// Writes the session's programs as a script that `landtrace check`
    /// accepts and `landtrace FILE` runs.
    fn save(&self, path: &str) -> Outcome {
        if path.is_empty() {
            report::error(".save needs a file name");
            return Outcome::Invalid;
        }
        if self.programs.is_empty() {
            report::error("nothing to save: no program ran in this session");
            return Outcome::RuntimeFailure;
        }
        let mut text = String::from("#!/usr/bin/env landtrace\n# saved from a landtrace REPL session\n");
        for p in &self.programs {
            text.push('\n');
            text.push_str(p.trim_end());
            text.push('\n');
        }
        // The programs checked one by one; together they must too (two
        // entries may use one map name for different values).
        if let Err(diags) = compile(&text, path, &CheckOptions::default()) {
            report::diagnostics(&diags);
            report::error("this session's programs do not form one valid script; nothing was written");
            return Outcome::Invalid;
        }
        // A new file, 0644, renamed over the old one; a link is refused.
        if let Err(e) = crate::files::write_replacing(std::path::Path::new(path), text.as_bytes(), 0o644) {
            report::error(&format!("cannot write {path}: {e}"));
            return Outcome::RuntimeFailure;
        }
        report::out(&format!(
            "saved {} program{} to {path}\n",
            self.programs.len(),
            if self.programs.len() == 1 { "" } else { "s" }
        ));
        Outcome::Success
    }

    /// The checked program, where each part runs, and the generated code.
    fn explain(&self, text: &str) -> Outcome {
        let text =
            if text.is_empty() { self.last_entry.clone().unwrap_or_default() } else { text.to_string() };
        if text.is_empty() {
            report::error(".explain needs a program (or a previous entry)");
            return Outcome::Invalid;
        }
        let Some((program, compiled)) = Self::compile_entry(&text) else { return Outcome::Invalid };
        let mut out = String::new();
        out.push_str(&format!("program:\n  {}\n", program.trim().replace('\n', "\n  ")));
        out.push_str(&format!("checked:\n{}", indent(&compiled.ast.to_string())));
        let live = matches!(self.source, Some(SourceSpec::Live(_)));
        let pushed = landtrace_compiler::pushdown::pushdown(&compiled.typed);
        for (i, c) in compiled.ir.clauses.iter().enumerate() {
            out.push_str(&format!("clause {i}: {}\n", c.title()));
            if let landtrace_compiler::typed::ClauseKind::On(events) = &c.kind {
                let names: Vec<&str> = events.iter().map(|e| e.name()).collect();
                if live {
                    for k in events {
                        let cond = pushed[*k as usize].as_ref().map_or_else(String::new, ToString::to_string);
                        out.push_str(&format!(
                            "  kernel:    {k}: the tracepoint probes check {cond} (for every clause of {k}); \
                             compat and audit deliver every event\n"
                        ));
                    }
                } else {
                    out.push_str(&format!(
                        "  kernel:    none (replay): every recorded {} event is read\n",
                        names.join(", ")
                    ));
                }
            }
            let backend =
                if self.no_jit { "in the interpreter (--no-jit)" } else { "as native code (Cranelift)" };
            out.push_str(&match c.predicate {
                Some(_) => format!("  userspace: the filter and the block, {backend}\n"),
                None => format!("  userspace: the block, {backend}\n"),
            });
        }
        if self.no_jit {
            out.push_str(&format!("IR (interpreted):\n{}", compiled.ir));
        } else {
            match landtrace_compiler::jit::listing(&compiled.ir, false) {
                Ok(code) => out.push_str(&format!("generated code (Cranelift IR):\n{code}")),
                Err(e) => out.push_str(&format!("generated code: none ({e})\n")),
            }
        }
        report::out(&out);
        Outcome::Success
    }

    /// Opens the last entry in $EDITOR (or $VISUAL, or vi), then runs it.
    fn edit(&mut self) -> Outcome {
        let last = self.last_entry.clone().unwrap_or_default();
        let path = std::env::temp_dir().join(format!("landtrace-entry-{}.lt", std::process::id()));
        if let Err(e) = std::fs::write(&path, format!("{last}\n")) {
            report::error(&format!("cannot write {}: {e}", path.display()));
            return Outcome::RuntimeFailure;
        }
        let editor = std::env::var("VISUAL")
            .ok()
            .filter(|v| !v.is_empty())
            .or_else(|| std::env::var("EDITOR").ok().filter(|v| !v.is_empty()))
            .unwrap_or_else(|| "vi".into());
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("{editor} \"$1\""))
            .arg("sh")
            .arg(&path)
            .status();
        let text = std::fs::read_to_string(&path);
        let _ = std::fs::remove_file(&path);
        match (status, text) {
            (Ok(s), Ok(text)) if s.success() => {
                if text.trim().is_empty() {
                    return Outcome::Success;
                }
                report::out(&format!("{}\n", text.trim_end()));
                let r = self.entry(&text);
                self.last_entry = Some(text.trim().to_string());
                r
            }
            (Ok(s), _) => {
                report::error(&format!("{editor} exited with {s}; nothing was run"));
                Outcome::RuntimeFailure
            }
            (Err(e), _) => {
                report::error(&format!("cannot run {editor}: {e}"));
                Outcome::RuntimeFailure
            }
        }
    }
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("  {l}\n")).collect()
}

fn worse(a: Outcome, b: Outcome) -> Outcome {
    let rank = |o: Outcome| match o {
        Outcome::Success => 0,
        Outcome::RuntimeFailure => 1,
        Outcome::Invalid => 2,
    };
    if rank(b) > rank(a) { b } else { a }
}

/// An entry as a program: programs are kept; a bare expression becomes a
/// filter over every event that has the fields it names.
pub fn as_program(text: &str) -> String {
    if landtrace_grammar::parse_program(text).is_ok() {
        return text.to_string();
    }
    let Ok(expr) = landtrace_grammar::parse_expr(text) else { return text.to_string() };
    let mut names = Vec::new();
    collect_names(&expr, &mut names);
    let events: Vec<EventKind> = EventKind::ALL
        .into_iter()
        .filter(|e| names.iter().all(|n| !is_field_somewhere(n) || has_field(*e, n)))
        .collect();
    let list = if events.is_empty() || events.len() == EventKind::ALL.len() {
        "*".to_string()
    } else {
        events.iter().map(|e| e.name()).collect::<Vec<_>>().join(", ")
    };
    format!("on {list} where {}", text.trim())
}

fn has_field(e: EventKind, name: &str) -> bool {
    e.def().fields.iter().any(|(f, _)| f.name() == name)
}

fn is_field_somewhere(name: &str) -> bool {
    EVENTS.iter().any(|e| e.fields.iter().any(|(f, _)| f.name() == name))
}

fn collect_names(e: &ast::Expr, out: &mut Vec<String>) {
    use ast::ExprKind as K;
    match &e.kind {
        K::Name(n) => out.push(n.clone()),
        K::Index { base, index } => {
            out.push(base.name.clone());
            collect_names(index, out);
        }
        K::Call { args, .. } => args.iter().for_each(|a| collect_names(a, out)),
        K::Map(m) => m.keys.iter().flatten().for_each(|k| collect_names(k, out)),
        K::Unary(_, a) => collect_names(a, out),
        K::Binary(_, a, b) => {
            collect_names(a, out);
            collect_names(b, out);
        }
        K::In { lhs, .. } => collect_names(lhs, out),
        _ => {}
    }
}

fn list_events(out: &mut impl Write, glob: &str) -> io::Result<Outcome> {
    let glob = glob.strip_prefix("landlock_").unwrap_or(glob);
    let mut n = 0;
    for e in &EVENTS {
        if landtrace_event::schema::glob_name(glob, e.name)
            || e.aliases.iter().any(|a| landtrace_event::schema::glob_name(glob, a))
        {
            writeln!(out, "{:<34}{}", e.name, e.doc)?;
            n += 1;
        }
    }
    if n == 0 {
        report::error(&format!("no event matches {glob}"));
        return Ok(Outcome::RuntimeFailure);
    }
    Ok(Outcome::Success)
}

fn list_fields(out: &mut impl Write, event: &str) -> io::Result<Outcome> {
    let events = events_matching(event);
    if event.is_empty() || events.is_empty() {
        report::error(&format!("no event {event}: .events lists them"));
        return Ok(Outcome::RuntimeFailure);
    }
    for e in events {
        writeln!(out, "{}:", e.name())?;
        for (f, ty) in e.def().fields {
            writeln!(out, "    {:<16}{:<22}{}", f.name(), ty.to_string(), f.def().doc)?;
        }
    }
    Ok(Outcome::Success)
}

fn list_rights(out: &mut impl Write, family: &str) -> io::Result<Outcome> {
    let fams: Vec<Family> = match family {
        "" => Family::ALL.to_vec(),
        f => {
            if let Some(x) = Family::ALL.into_iter().find(|x| x.short() == f) {
                vec![x]
            } else {
                report::error(&format!("no family {f}: fs, net or scope"));
                return Ok(Outcome::RuntimeFailure);
            }
        }
    };
    for fam in fams {
        writeln!(out, "{} rights ({}NAME, {}.name):", fam.noun(), fam.uapi_prefix(), fam.short())?;
        for r in fam.rights() {
            writeln!(out, "    {:<22}bit {:<3} ABI {}", r.name, r.shift, r.abi)?;
        }
        for g in GROUPS {
            if landtrace_event::schema::lookup_constant(g.name).is_some_and(|(f, _)| f == fam) {
                writeln!(out, "    {:<22}{}", g.name, g.doc)?;
            }
        }
    }
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_expressions_filter_the_events_with_their_fields() {
        assert_eq!(as_program("comm == \"curl\""), "on * where comm == \"curl\"");
        assert_eq!(
            as_program("path =~ \"/etc/**\""),
            "on add_rule_fs, deny_access_fs where path =~ \"/etc/**\""
        );
        assert_eq!(
            as_program("dport == 443 and comm == \"curl\""),
            "on deny_access_net where dport == 443 and comm == \"curl\""
        );
        assert_eq!(as_program("on deny_* { @[comm] = count() }"), "on deny_* { @[comm] = count() }");
        // Not valid either way: left for the checker to explain.
        assert_eq!(as_program("on deny_* {"), "on deny_* {");
    }
}
