//! The committed BPF objects must match their sources: prebuilt/SOURCES
//! records the hashes of the sources they were built from (by build.sh),
//! and this test fails when a source changed without a rebuild. CI also
//! rebuilds with clang and compares byte for byte (`build.sh --check`).

use std::path::Path;
use std::process::Command;

#[test]
fn prebuilt_objects_are_not_stale() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let recorded = std::fs::read_to_string(dir.join("prebuilt/SOURCES")).unwrap();
    let mut sources: Vec<String> = std::fs::read_dir(dir.join("bpf"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| std::path::Path::new(n).extension().is_some_and(|e| e == "c" || e == "h"))
        .collect();
    sources.sort();
    for name in &sources {
        let out = Command::new("sha256sum").arg(dir.join("bpf").join(name)).output().expect("sha256sum");
        let hash = String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap().to_string();
        let line = format!("{hash}  {name}");
        assert!(
            recorded.lines().any(|l| l == line),
            "bpf/{name} changed since prebuilt/ was built: run probes/build.sh and commit prebuilt/"
        );
    }
    assert_eq!(recorded.lines().count(), sources.len(), "prebuilt/SOURCES lists other files than bpf/");
    for obj in ["compat.bpf.o", "tracepoint.bpf.o", "refused.bpf.o"] {
        assert!(dir.join("prebuilt").join(obj).exists(), "prebuilt/{obj} is missing");
    }
}
