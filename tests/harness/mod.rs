//! A small test harness for tests that may not be able to run here (live
//! BPF and audit, the VM kernel matrix). libtest has no way to skip a test
//! at run time, so such a test would show as passed; under this harness it
//! is reported as `ignored`, with why. With `LANDTRACE_REQUIRE_LIVE=1` (CI),
//! a test that cannot run fails instead.
//!
//! Used by `harness = false` test targets: `fn main() { harness::main(&[...]) }`.
//! Accepts what `cargo test` passes on: name filters, `--exact`, `--list`;
//! other flags are ignored. Tests run one at a time, in order.

#![allow(dead_code, reason = "each test binary uses the part it needs")]

use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::process::ExitCode;

/// The payload of a test that cannot run here.
struct Skip(String);

/// Ends the running test as not run, with `reason`; with
/// `LANDTRACE_REQUIRE_LIVE=1`, as a failure.
pub fn skip(test: &str, reason: &str) -> ! {
    assert!(!required(), "{test}: cannot run, and LANDTRACE_REQUIRE_LIVE=1: {reason}");
    panic::panic_any(Skip(reason.to_string()))
}

/// Ends the running test as not run unless `program` is on the `PATH`,
/// naming the Debian package to install.
pub fn need(test: &str, program: &str, package: &str) {
    if !on_path(program) {
        skip(test, &format!("needs {program} (apt-get install {package})"));
    }
}

/// Whether an executable file named `program` is in a directory of `PATH`.
pub fn on_path(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).any(|dir| {
        std::fs::metadata(dir.join(program)).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

/// Whether every test must run (CI).
pub fn required() -> bool {
    std::env::var_os("LANDTRACE_REQUIRE_LIVE").is_some_and(|v| v == "1")
}

pub fn main(tests: &[(&str, fn())]) -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let exact = args.iter().any(|a| a == "--exact");
    let filters: Vec<&str> = args.iter().filter(|a| !a.starts_with('-')).map(String::as_str).collect();
    let chosen: Vec<&(&str, fn())> = tests
        .iter()
        .filter(|(name, _)| {
            filters.is_empty() || filters.iter().any(|f| if exact { name == f } else { name.contains(f) })
        })
        .collect();
    if args.iter().any(|a| a == "--list") {
        for (name, _) in &chosen {
            println!("{name}: test");
        }
        return ExitCode::SUCCESS;
    }
    // A skip is not a crash: say nothing of its panic.
    let default_hook = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if !info.payload().is::<Skip>() {
            default_hook(info);
        }
    }));
    println!("\nrunning {} tests", chosen.len());
    let (mut passed, mut failed, mut skipped) = (Vec::new(), Vec::new(), Vec::new());
    for (name, test) in chosen {
        let outcome = panic::catch_unwind(AssertUnwindSafe(test));
        match outcome {
            Ok(()) => {
                println!("test {name} ... ok");
                passed.push(*name);
            }
            Err(p) => {
                if let Ok(skip) = p.downcast::<Skip>() {
                    println!("test {name} ... ignored, {}", skip.0);
                    skipped.push((*name, skip.0));
                } else {
                    println!("test {name} ... FAILED");
                    failed.push(*name);
                }
            }
        }
    }
    if !failed.is_empty() {
        println!("\nfailures:");
        for f in &failed {
            println!("    {f}");
        }
    }
    println!(
        "\ntest result: {}. {} passed; {} failed; {} ignored; 0 measured; {} filtered out\n",
        if failed.is_empty() { "ok" } else { "FAILED" },
        passed.len(),
        failed.len(),
        skipped.len(),
        tests.len() - passed.len() - failed.len() - skipped.len(),
    );
    record_skips(&skipped);
    if failed.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(101) }
}

/// Where each harness test binary leaves the tests it skipped, for the
/// summary that ends `cargo test --workspace` (`tests/summary/skipped.rs`).
pub fn skips_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("landtrace-skips")
}

/// Writes this binary's skips (possibly none) under [`skips_dir`], tagged
/// with the parent's pid: every test binary of one `cargo test` run has
/// the same parent, cargo, so the summary counts this run's files only.
fn record_skips(skipped: &[(&str, String)]) {
    let exe = std::env::current_exe().ok();
    let file =
        exe.as_ref().and_then(|p| p.file_stem()).map_or_else(|| "tests".into(), |s| s.to_string_lossy());
    // Test binaries are named NAME-HASH (two crates may both have `live`).
    let name = file.rsplit_once('-').map_or(&*file, |(n, _)| n);
    let mut text = format!("{}\n", std::os::unix::process::parent_id());
    for (test, reason) in skipped {
        text.push_str(&format!("{name}::{test}\t{reason}\n"));
    }
    let dir = skips_dir();
    // Best effort: a summary that cannot be written does not fail a test.
    let _ = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(dir.join(&*file), text));
}
