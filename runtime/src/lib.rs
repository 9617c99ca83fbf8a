//! landtrace's runtime: the engine that runs a compiled program over
//! events, the output formats, and the event sources (replayed files now;
//! the live kernel sources plug in through the same [`source::Source`]).

pub mod engine;
pub mod escape;
pub mod maps;
pub mod output;
pub mod replay;
pub mod source;

pub use engine::{Clock, Engine, EngineOptions, Summary};
pub use landtrace_compiler::record::Event;
pub use output::{OutFormat, Output};
pub use source::{RunError, Source, SourceError};
