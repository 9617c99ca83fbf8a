//! landtrace's compiler: the event schema, the checker, the IR, and the
//! interpreter that executes it.
//!
//! The pipeline, one stage per module:
//!
//! ```
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
pub mod lower;
pub mod pattern;
pub mod record;
pub mod schema;
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
}

/// Parses and checks a program.
pub fn compile(text: &str, name: &str, opts: &CheckOptions) -> Result<Compiled, Vec<Diag>> {
    let source = diag::source(name, text);
    let ast = landtrace_grammar::parse_program(text)
        .map_err(|errs| errs.into_iter().map(|e| Diag::from_syntax(&source, e)).collect::<Vec<_>>())?;
    let checked = check(&ast, &source, opts)?;
    let ir = lower::lower(&checked.program);
    Ok(Compiled { source, ast, typed: checked.program, ir, warnings: checked.warnings })
}
