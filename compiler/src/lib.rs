//! landtrace's compiler: the checker (names and types against the event
//! schema of `landtrace-event`), the IR, the reference interpreter and the
//! Cranelift backend.
//!
//! The pipeline, one stage per module (this example is the unit test
//! `tests::the_crate_example`):
//!
//! ```ignore
//! use landtrace_compiler::{compile, CheckOptions};
//! // text -> AST (landtrace-grammar) -> typed program (check) -> IR (lower)
//! let compiled = compile(
//!     "on deny_access_fs where path =~ \"/etc/**\" { @[comm, path] = count() }",
//!     "-e",
//!     &CheckOptions::default(),
//! )
//! .unwrap();
//! assert_eq!(compiled.ir.clauses.len(), 1);
//! println!("{}", compiled.ir); // what `--dump ir` prints
//! ```

pub mod check;
pub mod diag;
pub mod exec;
pub mod format;
pub mod interp;
pub mod ir;
pub mod jit;
pub mod lower;
pub mod pattern;
pub mod pushdown;
pub mod typed;

pub use check::{CheckOptions, Checked, check};
pub use diag::{Diag, Source};

use landtrace_grammar::ast;

/// A program that parsed and checked, with the stages kept for `--dump`.
pub struct Compiled {
    pub source: Source,
    pub ast: ast::Program,
    pub typed: typed::Program,
    pub ir: ir::Program,
    pub warnings: Vec<Diag>,
    /// The highest script argument the program reads (`$3`: 3).
    pub args_used: u32,
}

/// Stack for compiling: deep (rejected) input must not overflow the stack
/// of the stages that parse it, report it and drop it.
const COMPILE_STACK: usize = 256 << 20;

/// Parses, checks and lowers a program.
///
/// Runs on a thread with a large stack, so that even input nested far
/// beyond [`landtrace_grammar::ast::MAX_DEPTH`] is reported as an error,
/// never a crash.
pub fn compile(text: &str, name: &str, opts: &CheckOptions) -> Result<Compiled, Vec<Diag>> {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("compile".into())
            .stack_size(COMPILE_STACK)
            .spawn_scoped(s, || compile_here(text, name, opts))
            .expect("spawning the compiler thread")
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// One report per distinct error: the same message at the same place (a
/// macro used twice, a pass that reports again) is shown once.
fn dedup(diags: Vec<Diag>) -> Vec<Diag> {
    let mut seen = std::collections::HashSet::new();
    diags.into_iter().filter(|d| seen.insert((d.message.clone(), d.span_start(), d.label.clone()))).collect()
}

fn compile_here(text: &str, name: &str, opts: &CheckOptions) -> Result<Compiled, Vec<Diag>> {
    let source = diag::source(name, text);
    let partial = landtrace_grammar::parse_program_recovering(text);
    if !partial.errors.is_empty() {
        // The clauses that parsed are still checked, so one run reports
        // their errors too (unless a lost definition would make them
        // report names it defined).
        let mut diags: Vec<Diag> =
            partial.errors.into_iter().map(|e| Diag::from_syntax(&source, e)).collect();
        if !partial.lost_definitions
            && let Err(more) = check(&partial.program, &source, opts)
        {
            diags.extend(more.into_iter().filter(Diag::is_error));
        }
        diags.sort_by_key(diag::Diag::span_start);
        return Err(dedup(diags));
    }
    let ast = partial.program;
    let checked = check(&ast, &source, opts).map_err(dedup)?;
    let ir = lower::lower(&checked.program);
    Ok(Compiled {
        source,
        ast,
        typed: checked.program,
        ir,
        warnings: checked.warnings,
        args_used: checked.args_used,
    })
}

/// Checks a script without its arguments, as an editor or a CI check of
/// runbooks must: where the only errors are `$N` arguments it was not
/// given, it is checked again with placeholders (numbers, or strings where
/// numbers do not check). The second value is whether placeholders were
/// used.
pub fn compile_with_placeholders(text: &str, name: &str) -> (Result<Compiled, Vec<Diag>>, bool) {
    let check = |args: Vec<String>| compile(text, name, &CheckOptions { args });
    let first = check(Vec::new());
    let Err(diags) = &first else { return (first, false) };
    let errors = |d: &[Diag]| d.iter().filter(|d| d.is_error()).count();
    if !diags.iter().any(|d| d.message.starts_with("script argument $")) {
        return (first, false);
    }
    let numbers = check(vec!["0".to_string(); 9]);
    let strings = check(vec!["x".to_string(); 9]);
    let count = |r: &Result<Compiled, Vec<Diag>>| r.as_ref().map_or_else(|d| errors(d), |_| 0);
    if count(&strings) < count(&numbers) { (strings, true) } else { (numbers, true) }
}

#[cfg(test)]
mod tests {
    /// The crate documentation's example.
    #[test]
    fn the_crate_example() {
        use crate::{CheckOptions, compile};
        let compiled = compile(
            "on deny_access_fs where path =~ \"/etc/**\" { @[comm, path] = count() }",
            "-e",
            &CheckOptions::default(),
        )
        .unwrap();
        assert_eq!(compiled.ir.clauses.len(), 1);
        assert!(!compiled.ir.to_string().is_empty());
    }
}
