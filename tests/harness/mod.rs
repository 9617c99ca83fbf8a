//! A small test harness for tests that may not be able to run here (live
//! BPF and audit, the VM kernel matrix). libtest has no way to skip a test
//! at run time, so such a test would show as passed; under this harness it
//! is reported as `ignored`, with why. With `LANDTRACE_REQUIRE_LIVE=1` (CI),
//! a test that cannot run fails instead.
//!
//! Used by `harness = false` test targets: `fn main() { harness::main(&[...]) }`.
//! Accepts what `cargo test` passes on: name filters, `--exact`, `--list`;
//! other flags are ignored. Tests run one at a time, in order.

use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;

/// The payload of a test that cannot run here.
struct Skip(String);

/// Ends the running test as not run, with `reason`; with
/// `LANDTRACE_REQUIRE_LIVE=1`, as a failure.
pub fn skip(test: &str, reason: &str) -> ! {
    assert!(!required(), "{test}: cannot run, and LANDTRACE_REQUIRE_LIVE=1: {reason}");
    panic::panic_any(Skip(reason.to_string()))
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
    let (mut passed, mut failed, mut ignored) = (Vec::new(), Vec::new(), 0);
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
                    ignored += 1;
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
        "\ntest result: {}. {} passed; {} failed; {ignored} ignored; 0 measured; {} filtered out\n",
        if failed.is_empty() { "ok" } else { "FAILED" },
        passed.len(),
        failed.len(),
        tests.len() - passed.len() - failed.len() - ignored,
    );
    if failed.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(101) }
}
