//! The landtrace query language: a pest grammar and a parser from text to a
//! spanned AST (this example is the unit test `tests::the_crate_example`).
//!
//! ```ignore
//! let program = landtrace_grammar::parse_program(
//!     "on deny_access_fs where path =~ \"/etc/**\" { @[comm, path] = count() }",
//! ).unwrap();
//! assert_eq!(program.items.len(), 1);
//! ```
//!
//! This crate knows nothing about events, fields or types; the checker in
//! `landtrace-compiler` resolves names and types. It does own the
//! language's vocabulary ([`words`]): its keywords and the names of its
//! functions, aggregations and statements.

pub mod ast;
pub mod format;
pub mod lex;
mod parse;
mod print;
pub mod words;

pub use ast::Span;
pub use parse::{Partial, SyntaxError, parse_expr, parse_program, parse_program_recovering, unescape};

#[cfg(test)]
mod tests {
    /// The crate documentation's example.
    #[test]
    fn the_crate_example() {
        let program =
            crate::parse_program("on deny_access_fs where path =~ \"/etc/**\" { @[comm, path] = count() }")
                .unwrap();
        assert_eq!(program.items.len(), 1);
    }
}
