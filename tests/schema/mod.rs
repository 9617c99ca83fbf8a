//! Validation of landtrace's `-f json` lines against the documented JSON
//! Schema (docs/schema/), with Python's `jsonschema` (Debian's
//! python3-jsonschema; CI installs it). Every test run of the binary with
//! JSON output passes what it printed through [`check`]: a line the schema
//! does not describe fails the test that printed it. Without a Python that
//! has `jsonschema`, the check fails (it is never skipped).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The workspace root (this module is also used by the runtime crate's tests).
fn root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.ancestors().find(|p| p.join("docs/schema").is_dir()).map(PathBuf::from).unwrap_or(here)
}

/// The first Python found that has `jsonschema`.
fn python() -> &'static str {
    static PY: OnceLock<&'static str> = OnceLock::new();
    PY.get_or_init(|| {
        ["/usr/bin/python3", "python3"]
            .into_iter()
            .find(|py| {
                Command::new(py)
                    .args(["-c", "import jsonschema"])
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            })
            .expect("no Python with jsonschema to check JSON output against docs/schema (apt-get install python3-jsonschema)")
    })
}

/// Whether `args` ask for JSON output.
#[allow(dead_code, reason = "not every test target runs landtrace with its arguments in one place")]
pub fn asks_json(args: &[&str]) -> bool {
    args.windows(2).any(|w| matches!(w[0], "-f" | "--format") && w[1] == "json")
        || args.contains(&"--format=json")
}

/// Every line of `stdout` that landtrace wrote is a record the schema
/// describes; else panics with the first few that are not. landtrace's
/// lines are the ones that start with `{`: a command run with `-c` shares
/// the standard output, and its lines are its own.
pub fn check(stdout: &str) {
    let ours: String = stdout.lines().filter(|l| l.starts_with('{')).flat_map(|l| [l, "\n"]).collect();
    let stdout = ours.as_str();
    let schema = root().join("docs/schema/landtrace-v1.schema.json");
    let mut child = Command::new(python())
        .arg(root().join("tests/schema/validate.py"))
        .arg(&schema)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running the schema check");
    child.stdin.take().expect("stdin").write_all(stdout.as_bytes()).expect("writing to the schema check");
    let out = child.wait_with_output().expect("the schema check");
    assert!(
        out.status.success(),
        "JSON output that docs/schema does not describe:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
