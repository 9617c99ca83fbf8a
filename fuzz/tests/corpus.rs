//! Runs every fuzz target over its seed corpus (fuzz/seeds/<target>/), so
//! `cargo test` exercises the same code `cargo fuzz run` does.

use landtrace_trace::Format;
use std::path::Path;

fn each_seed(target: &str, f: impl Fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds").join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        f(&bytes);
        // Every prefix too: truncated input must not break anything.
        for cut in (0..bytes.len()).step_by(bytes.len() / 50 + 1) {
            f(&bytes[..cut]);
        }
        n += 1;
    }
    assert!(n > 0, "no seeds in {}", dir.display());
}

#[cfg(feature = "programs")]
#[test]
fn parse_seeds() {
    each_seed("parse", landtrace_fuzz::parse);
}

#[cfg(feature = "programs")]
#[test]
fn compile_run_seeds() {
    each_seed("compile_run", landtrace_fuzz::compile_run);
}

#[cfg(feature = "programs")]
#[test]
fn jit_seeds() {
    each_seed("jit", landtrace_fuzz::jit);
}

#[test]
fn replay_seeds() {
    each_seed("replay_jsonl", |d| landtrace_fuzz::replay(Format::Jsonl, d));
    each_seed("replay_ftrace", |d| landtrace_fuzz::replay(Format::Ftrace, d));
    each_seed("replay_audit", |d| landtrace_fuzz::replay(Format::Audit, d));
}

#[cfg(feature = "programs")]
#[test]
fn check_bounds_seeds() {
    each_seed("check_bounds", landtrace_fuzz::check_bounds);
}
