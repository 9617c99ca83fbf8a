//! The `landtrace` command: parse flags, run, and exit with 0 (success),
//! 1 (runtime failure) or 2 (invalid program or command line).

mod args;
mod files;
mod fmt;
mod list;
mod lsp;
mod man;
mod repl;
mod report;
mod run;

use clap::Parser;
use run::Outcome;
use std::process::ExitCode;

fn main() -> ExitCode {
    // The audit watchdog a live run starts (not a user command).
    let argv: Vec<String> = std::env::args().collect();
    if argv.get(1).map(String::as_str) == Some("__audit-watchdog") {
        let pid = argv.get(2).and_then(|p| p.parse().ok()).unwrap_or(0);
        let start = argv.get(3).and_then(|s| s.parse().ok()).unwrap_or(0);
        let code = landtrace_runtime::live::audit::watchdog_main(pid, start);
        return ExitCode::from(code as u8);
    }
    let cli = match args::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let outcome = match cli.command {
        Some(args::Command::Check { expr, script, args }) => check(expr, script, args),
        Some(args::Command::Record(args)) => run::record(args),
        Some(args::Command::Fmt { check, files }) => fmt::run(check, &files),
        Some(args::Command::Completions { shell }) => man::completions(shell),
        Some(args::Command::Man) => man::page(),
        Some(args::Command::Lsp) => lsp::run(),
        Some(args::Command::Repl(args)) => repl::run(repl::ReplOptions {
            source: if args.replay.is_empty() {
                repl::SourceSpec::live(args.source)
            } else {
                Some(repl::SourceSpec::Replay(args.replay))
            },
            no_jit: args.no_jit,
            max_keys: args.max_keys,
        }),
        None => run::run(cli.run).unwrap_or_else(|e| {
            report::error(&format!("{e:#}"));
            Outcome::RuntimeFailure
        }),
    };
    ExitCode::from(match outcome {
        Outcome::Success => 0,
        Outcome::RuntimeFailure => 1,
        Outcome::Invalid => 2,
    })
}

/// A file named like a script.
fn is_script(arg: &str) -> bool {
    let path = std::path::Path::new(arg);
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("lt")) && path.is_file()
}

/// Whether checking the program without arguments fails only for want of
/// them.
fn script_reads_args(p: &run::ProgramText) -> bool {
    landtrace_compiler::compile(&p.text, &p.name, &landtrace_compiler::CheckOptions::default())
        .err()
        .is_some_and(|d| d.iter().any(|d| d.message.starts_with("script argument $")))
}

/// `landtrace check SCRIPT` (or `-e PROGRAM`): parse and check only.
fn check(expr: Option<String>, script: Option<String>, args: Vec<String>) -> Outcome {
    let run_args = args::RunArgs { expr, script, args, ..Default::default() };
    let program = match run::program_text(&run_args) {
        Ok(Some(p)) => p,
        Ok(None) => unreachable!("clap requires a script or -e"),
        Err(e) => {
            report::error(&e);
            return Outcome::Invalid;
        }
    };
    // A script given no arguments is checked with placeholders for the
    // `$N` it reads (as the language server does): a directory of
    // runbooks checks in one loop.
    let mut placeholders = false;
    let compiled = if program.args.is_empty() && script_reads_args(&program) {
        let (result, used) = landtrace_compiler::compile_with_placeholders(&program.text, &program.name);
        placeholders = used;
        run::reported(result)
    } else {
        run::compile_reporting(&program)
    };
    match compiled {
        // A second script where an argument is expected is checked by
        // nobody: say so. (Other arguments a script does not read are
        // left alone, so one argument list can serve a directory of them.)
        Some(c) if program.args.get(c.args_used as usize).is_some_and(|a| is_script(a)) => {
            let extra = &program.args[c.args_used as usize];
            report::error(&format!(
                "`{}` is not checked: {} reads {}, and check takes one script (then its arguments): \
                 check each script on its own",
                landtrace_event::escape::escape(extra.as_bytes()),
                program.name,
                if c.args_used == 0 {
                    "no script argument".to_string()
                } else {
                    format!("only up to ${}", c.args_used)
                }
            ));
            Outcome::Invalid
        }
        Some(c) => {
            report::out(&format!(
                "{}: ok ({} clause{}{})\n",
                program.name,
                c.ir.clauses.len(),
                if c.ir.clauses.len() == 1 { "" } else { "s" },
                match (placeholders, c.args_used) {
                    (false, _) => String::new(),
                    (true, 1) => "; $1 checked with a placeholder: a run needs it".to_string(),
                    (true, n) => format!("; $1 to ${n} checked with placeholders: a run needs them"),
                }
            ));
            Outcome::Success
        }
        None => Outcome::Invalid,
    }
}
