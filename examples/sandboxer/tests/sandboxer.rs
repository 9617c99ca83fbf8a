//! The sandboxer restricts itself and reports denials (on a kernel with
//! Landlock). Having this test also makes `cargo test` build the binary
//! that landtrace's live tests run.

use std::process::Command;

#[test]
fn denies_what_it_was_not_given() {
    // SAFETY: landlock_create_ruleset(NULL, 0, VERSION) only queries.
    let abi = unsafe { libc::syscall(444, std::ptr::null::<u8>(), 0usize, 1u32) };
    if abi < 1 {
        // As the live tests: with LANDTRACE_REQUIRE_LIVE=1 (CI), not running is a failure.
        assert!(
            std::env::var_os("LANDTRACE_REQUIRE_LIVE").is_none_or(|v| v != "1"),
            "LANDTRACE_REQUIRE_LIVE=1, but this kernel has no Landlock"
        );
        eprintln!("skipping: this kernel has no Landlock");
        return;
    }
    let out = Command::new(env!("CARGO_BIN_EXE_sandboxer"))
        .args(["read", "/etc/passwd", "read", "/usr/lib/os-release"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("read /etc/passwd: denied"), "{text}");
    assert!(text.contains("read /usr/lib/os-release: allowed"), "{text}");
}

#[test]
fn bad_arguments_are_an_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_sandboxer")).args(["--layers", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
