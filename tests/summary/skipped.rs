//! The summary that ends `cargo test --workspace`: the tests each harness
//! binary (tests/harness) reported ignored in this run, and why, on one
//! line. A run is the set of test binaries with the same parent, cargo.

#[path = "../harness/mod.rs"]
mod harness;

use std::collections::BTreeMap;

fn main() {
    let run = std::os::unix::process::parent_id().to_string();
    let mut by_reason: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for entry in std::fs::read_dir(harness::skips_dir()).into_iter().flatten().flatten() {
        let Ok(text) = std::fs::read_to_string(entry.path()) else { continue };
        let mut lines = text.lines();
        if lines.next() != Some(run.as_str()) {
            continue;
        }
        for line in lines {
            if let Some((test, reason)) = line.split_once('\t') {
                by_reason.entry(reason.to_string()).or_default().push(test.to_string());
            }
        }
    }
    let total: usize = by_reason.values().map(Vec::len).sum();
    if total == 0 {
        println!("\nlandtrace: no test was skipped on this machine\n");
        return;
    }
    let reasons: Vec<String> =
        by_reason.iter().map(|(reason, tests)| format!("{} {reason}", tests.len())).collect();
    println!(
        "\nlandtrace: {total} tests skipped on this machine (LANDTRACE_REQUIRE_LIVE=1 makes them fail): {}\n",
        reasons.join("; ")
    );
}
