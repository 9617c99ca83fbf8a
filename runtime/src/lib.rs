//! landtrace's runtime: the engine that runs a compiled program over
//! events, the output formats, and the event sources: replayed files
//! ([`replay`]) and the live kernel sources ([`live`]: BPF probes through
//! `landtrace-probes`, and the audit socket).

pub mod decompress;
pub mod engine;
pub mod live;
pub mod maps;
pub mod metrics;
pub mod output;
pub mod replay;
pub mod source;
pub mod stop;

pub use engine::{Clock, Engine, EngineOptions, Summary};
pub use landtrace_event::record::Event;
pub use output::{OutFormat, Output};
pub use source::{RunError, Source, SourceError};
