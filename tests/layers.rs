//! The workspace's layering (docs/architecture.md): which crate may use
//! which. Read from `cargo metadata`, so a dependency added against the
//! pipeline's direction fails here.

use serde_json::Value;
use std::collections::BTreeSet;
use std::process::Command;

/// Each workspace crate and the workspace crates it may depend on
/// (normal dependencies; dev-dependencies are free).
const ALLOWED: &[(&str, &[&str])] = &[
    ("landtrace-event", &[]),
    ("landtrace-trace", &["landtrace-event"]),
    ("landtrace-grammar", &[]),
    ("landtrace-compiler", &["landtrace-event", "landtrace-grammar"]),
    ("landtrace-probes", &[]),
    (
        "landtrace-runtime",
        &[
            "landtrace-event",
            "landtrace-trace",
            "landtrace-grammar",
            "landtrace-compiler",
            "landtrace-probes",
        ],
    ),
    (
        "landtrace",
        &[
            "landtrace-event",
            "landtrace-trace",
            "landtrace-grammar",
            "landtrace-compiler",
            "landtrace-runtime",
        ],
    ),
    (
        "landtrace-fuzz",
        &[
            "landtrace-event",
            "landtrace-trace",
            "landtrace-grammar",
            "landtrace-compiler",
            "landtrace-runtime",
        ],
    ),
    ("sandboxer", &[]),
    // The summary of skipped tests (tests/summary): a test, no code.
    ("test-summary", &[]),
];

/// Crates that must build without these external packages.
const LIGHT: &[(&str, &[&str])] = &[
    ("landtrace-event", &["cranelift-codegen", "aya", "pest", "serde"]),
    ("landtrace-trace", &["cranelift-codegen", "aya", "pest"]),
];

fn metadata() -> &'static Value {
    static META: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    META.get_or_init(read_metadata)
}

/// The host's target triple (`rustc -vV`): metadata for other platforms
/// would need crates this machine never downloaded.
fn host() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(rustc).arg("-vV").output().expect("running rustc -vV");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines().find_map(|l| l.strip_prefix("host: ")).expect("rustc -vV names the host").to_string()
}

fn read_metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline", "--filter-platform", &host()])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("running cargo metadata");
    assert!(out.status.success(), "cargo metadata: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("cargo metadata JSON")
}

fn normal_deps(pkg: &Value) -> BTreeSet<String> {
    pkg["dependencies"]
        .as_array()
        .expect("dependencies")
        .iter()
        .filter(|d| d["kind"].is_null())
        .map(|d| d["name"].as_str().expect("name").to_string())
        .collect()
}

#[test]
fn workspace_crates_depend_only_down_the_pipeline() {
    let meta = metadata();
    let members: BTreeSet<&str> =
        meta["workspace_members"].as_array().expect("members").iter().map(|m| m.as_str().unwrap()).collect();
    let packages = meta["packages"].as_array().expect("packages");
    let mut seen = 0;
    for pkg in packages.iter().filter(|p| members.contains(p["id"].as_str().unwrap())) {
        let name = pkg["name"].as_str().unwrap();
        let allowed = ALLOWED
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("{name} is not in the layering table of tests/layers.rs"))
            .1;
        for dep in normal_deps(pkg).iter().filter(|d| d.starts_with("landtrace")) {
            assert!(allowed.contains(&dep.as_str()), "{name} must not depend on {dep}");
        }
        seen += 1;
    }
    assert_eq!(seen, ALLOWED.len(), "a crate of the table is missing from the workspace");
}

#[test]
fn the_event_model_and_the_decoders_link_nothing_heavy() {
    let meta = metadata();
    let packages = meta["packages"].as_array().expect("packages");
    let nodes = meta["resolve"]["nodes"].as_array().expect("resolve");
    let name_of = |id: &str| {
        packages.iter().find(|p| p["id"] == id).and_then(|p| p["name"].as_str()).unwrap_or("?").to_string()
    };
    for (krate, banned) in LIGHT {
        let id = packages.iter().find(|p| p["name"] == *krate).expect("crate")["id"].as_str().unwrap();
        // Every package reachable through normal dependencies.
        let mut todo = vec![id.to_string()];
        let mut reached = BTreeSet::new();
        while let Some(id) = todo.pop() {
            let node = nodes.iter().find(|n| n["id"] == id.as_str()).expect("node");
            for dep in node["deps"].as_array().unwrap() {
                let normal = dep["dep_kinds"].as_array().unwrap().iter().any(|k| k["kind"].is_null());
                let dep_id = dep["pkg"].as_str().unwrap().to_string();
                if normal && reached.insert(dep_id.clone()) {
                    todo.push(dep_id);
                }
            }
        }
        let names: BTreeSet<String> = reached.iter().map(|id| name_of(id)).collect();
        for b in *banned {
            assert!(!names.contains(*b), "{krate} links {b}: {names:?}");
        }
    }
}
