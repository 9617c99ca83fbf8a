//! The Rust mirror of the probes' records (`src/records.rs`) has the sizes,
//! offsets and constants of `bpf/events.h`: a C program prints the C side
//! of [`c_layout`] and each value is compared. Needs a C compiler and the
//! kernel's UAPI headers (`<linux/bpf.h>`); without them the test is
//! reported ignored with the package to install (a failure under
//! `LANDTRACE_REQUIRE_LIVE=1`).

#[path = "../../tests/harness/mod.rs"]
mod harness;

use landtrace_probes::records::c_layout;
use std::process::Command;

fn main() -> std::process::ExitCode {
    harness::main(&[("layout_matches_events_h", layout_matches_events_h)])
}

fn layout_matches_events_h() {
    let test = "layout_matches_events_h";
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    harness::need(test, &cc, "gcc");
    let dir = std::env::temp_dir().join(format!("landtrace-layout-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let header = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bpf/events.h");
    let mut src = format!(
        "#include <stdio.h>\n#include <stddef.h>\n#include <linux/bpf.h>\n#include \"{}\"\nint main(void) {{\n",
        header.display()
    );
    for (expr, _) in c_layout() {
        src.push_str(&format!("    printf(\"%zu\\n\", (size_t)({expr}));\n"));
    }
    src.push_str("    return 0;\n}\n");
    std::fs::write(dir.join("layout.c"), src).unwrap();
    let out = Command::new(&cc).args(["-o", "layout", "layout.c"]).current_dir(&dir).output().unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() && said.contains("linux/bpf.h") {
        harness::skip(
            test,
            "needs the kernel's UAPI headers, <linux/bpf.h> (apt-get install linux-libc-dev)",
        );
    }
    assert!(out.status.success(), "compiling events.h failed: {said}");
    let out = Command::new(dir.join("layout")).output().unwrap();
    assert!(out.status.success(), "the layout program failed: {:?}", out.status);
    let c_values: Vec<usize> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| l.parse().unwrap()).collect();
    // One value per expression: zip alone would pass on no output.
    assert_eq!(c_values.len(), c_layout().len(), "the layout program printed {} values", c_values.len());
    for ((expr, rust), c) in c_layout().into_iter().zip(c_values) {
        assert_eq!(rust, c, "{expr}: Rust {rust}, C {c}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
