//! The bodies of landtrace's fuzz targets. Each target in `fuzz_targets/`
//! is a thin `fuzz_target!` around one of these functions, so the same
//! code also runs over the seed corpus in `cargo test` (tests/corpus.rs).
//!
//! Each function panics only if landtrace breaks a promise: a panic in the
//! parser or checker, a decoder that produces an event it cannot round-trip
//! through its own JSON format, a program run that crashes, or compiled
//! code that disagrees with the interpreter.

//!
//! The decoder bodies ([`decode`]) need only landtrace-event and
//! landtrace-trace; the program bodies ([`program`], feature `programs`,
//! on by default) need the compiler and runtime. So a decoder target
//! builds without Cranelift: `cargo fuzz build --no-default-features
//! --features libfuzzer replay_jsonl`.

pub mod decode;
#[cfg(feature = "programs")]
pub mod program;

pub use decode::replay;
#[cfg(feature = "programs")]
pub use program::{check_bounds, compile_run, jit, parse};
