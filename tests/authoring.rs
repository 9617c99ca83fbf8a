//! The tools for people who write runbooks, run as the real binary:
//! `landtrace fmt`.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn landtrace() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_landtrace"));
    c.current_dir(env!("CARGO_MANIFEST_DIR")).env("NO_COLOR", "1");
    c
}

fn with_stdin(args: &[&str], input: &str) -> Output {
    let mut child = landtrace()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn tempdir() -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "landtrace-authoring-{}-{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

const MESSY: &str = "# keep me\non deny_*{@[comm]=count()}   # and me\nevery 5s { print(@); clear(@) }\n";
const TIDY: &str =
    "# keep me\non deny_* { @[comm] = count() } # and me\nevery 5s {\n    print(@)\n    clear(@)\n}\n";

#[test]
fn fmt_reads_standard_input() {
    let out = with_stdin(&["fmt"], MESSY);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), TIDY);
    let out = with_stdin(&["fmt", "-"], TIDY);
    assert_eq!(text(&out.stdout), TIDY);
}

#[test]
fn fmt_rewrites_files_and_check_changes_nothing() {
    let dir = tempdir();
    let (messy, tidy, broken) = (dir.join("messy.lt"), dir.join("tidy.lt"), dir.join("broken.lt"));
    std::fs::write(&messy, MESSY).unwrap();
    std::fs::write(&tidy, TIDY).unwrap();
    std::fs::write(&broken, "on deny_* { @ = }\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&messy, std::fs::Permissions::from_mode(0o750)).unwrap();

    // --check: exit 1, names the file and the first line that differs, writes nothing.
    let out = landtrace().args(["fmt", "--check"]).arg(&messy).arg(&tidy).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("messy.lt:2: not formatted"), "{stdout}");
    assert!(stdout.contains("expected: on deny_* { @[comm] = count() } # and me"), "{stdout}");
    assert!(!stdout.contains("tidy.lt"), "{stdout}");
    assert_eq!(std::fs::read_to_string(&messy).unwrap(), MESSY);
    let out = landtrace().args(["fmt", "--check"]).arg(&tidy).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));

    // In place: a syntax error is reported (exit 2) and its file left alone;
    // the others are still formatted, their permissions kept.
    let out = landtrace().arg("fmt").arg(&broken).arg(&messy).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("broken.lt:1:"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&broken).unwrap(), "on deny_* { @ = }\n");
    assert_eq!(std::fs::read_to_string(&messy).unwrap(), TIDY);
    assert_eq!(std::fs::metadata(&messy).unwrap().permissions().mode() & 0o777, 0o750);
    // No temporary file is left beside them.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 3);

    let out = landtrace().args(["fmt", "--check"]).arg(dir.join("missing.lt")).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot read"), "{}", text(&out.stderr));
    std::fs::remove_dir_all(dir).unwrap();
}

/// The runbooks shipped with landtrace are kept formatted.
#[test]
fn the_example_runbooks_pass_fmt_check() {
    let mut args = vec!["fmt".to_string(), "--check".to_string()];
    for e in std::fs::read_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "lt") {
            args.push(p.to_string_lossy().into_owned());
        }
    }
    assert!(args.len() > 8);
    let out = landtrace().args(&args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}
