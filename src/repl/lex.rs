//! The REPL's tokens are the language's own ([`landtrace_grammar::lex`]):
//! completion and highlighting see strings and comments (`#`, `//`,
//! `/* */`) where the parser does, on half-written entries too.

pub use landtrace_grammar::lex::{Kind, Token, is_complete, tokens};
