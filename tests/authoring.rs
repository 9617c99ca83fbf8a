//! The tools for people who write runbooks, run as the real binary:
//! `landtrace fmt`, shell completions (loaded into real bash, zsh and fish),
//! the manual page (rendered by groff and man) and the Debian package.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

mod harness;

fn main() -> std::process::ExitCode {
    harness::main(&[
        ("fmt_reads_standard_input", fmt_reads_standard_input),
        ("fmt_rewrites_files_and_check_changes_nothing", fmt_rewrites_files_and_check_changes_nothing),
        ("the_example_runbooks_pass_fmt_check", the_example_runbooks_pass_fmt_check),
        (
            "bash_completion_completes_options_and_event_names",
            bash_completion_completes_options_and_event_names,
        ),
        ("zsh_and_fish_completions_load", zsh_and_fish_completions_load),
        ("the_man_page_renders", the_man_page_renders),
        ("the_debian_package", the_debian_package),
    ])
}

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

fn fmt_reads_standard_input() {
    let out = with_stdin(&["fmt"], MESSY);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), TIDY);
    let out = with_stdin(&["fmt", "-"], TIDY);
    assert_eq!(text(&out.stdout), TIDY);
}

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

fn stdout_of(args: &[&str]) -> String {
    let out = landtrace().args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out.stderr));
    text(&out.stdout)
}

/// A shell the completion tests load the scripts into (`.ci/run` installs
/// them); without it, `test` is reported ignored.
fn shell(test: &str, name: &str) -> Command {
    harness::need(test, name, name);
    Command::new(name)
}

/// The bash script loads, and completes an option, a subcommand's option,
/// an option's values and an event name after `-l`.
fn bash_completion_completes_options_and_event_names() {
    let dir = tempdir();
    let script = dir.join("landtrace.bash");
    std::fs::write(&script, stdout_of(&["completions", "bash"])).unwrap();
    let driver = format!(
        r#"set -e
source {}
complete -p landtrace
words() {{
    COMP_WORDS=("$@"); COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
    COMP_LINE="$*"; COMP_POINT=${{#COMP_LINE}}; COMPREPLY=()
    _landtrace landtrace "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
    echo "$* => ${{COMPREPLY[*]}}"
}}
words landtrace --rep
words landtrace -l deny_a
words landtrace --list create_
words landtrace fmt --ch
words landtrace --source tr
words landtrace comp
"#,
        script.display()
    );
    let out = shell("bash_completion_completes_options_and_event_names", "bash")
        .arg("-c")
        .arg(driver)
        .output()
        .unwrap();
    let got = text(&out.stdout);
    assert!(out.status.success(), "{got}{}", text(&out.stderr));
    for want in [
        "-F _landtrace landtrace\n",
        "landtrace --rep => --replay\n",
        "landtrace -l deny_a => deny_access_fs deny_access_net\n",
        "landtrace --list create_ => create_ruleset create_domain\n",
        "landtrace fmt --ch => --check\n",
        "landtrace --source tr => tracepoint\n",
        "landtrace comp => completions\n",
    ] {
        assert!(got.contains(want), "missing {want:?} in:\n{got}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

fn zsh_and_fish_completions_load() {
    harness::need("zsh_and_fish_completions_load", "zsh", "zsh");
    harness::need("zsh_and_fish_completions_load", "fish", "fish");
    let dir = tempdir();
    let zsh = dir.join("_landtrace");
    std::fs::write(&zsh, stdout_of(&["completions", "zsh"])).unwrap();
    let out = shell("zsh_and_fish_completions_load", "zsh").arg("-n").arg(&zsh).output().unwrap();
    assert!(out.status.success(), "zsh -n: {}", text(&out.stderr));
    assert!(std::fs::read_to_string(&zsh).unwrap().contains("deny_scope_signal"));

    let fish = dir.join("landtrace.fish");
    std::fs::write(&fish, stdout_of(&["completions", "fish"])).unwrap();
    let driver =
        format!("source {}; complete -C 'landtrace --rep'; complete -C 'landtrace fmt --ch'", fish.display());
    let out = shell("zsh_and_fish_completions_load", "fish").arg("-c").arg(driver).output().unwrap();
    let got = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(got.starts_with("--replay\t") && got.contains("\n--check\t"), "{got}");
    std::fs::remove_dir_all(dir).unwrap();

    let out = landtrace().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The page renders without a warning from groff, and man reads it.
fn the_man_page_renders() {
    harness::need("the_man_page_renders", "groff", "groff-base");
    harness::need("the_man_page_renders", "man", "man-db");
    let page = stdout_of(&["man"]);
    assert!(page.starts_with(".ie") || page.starts_with(".TH"), "{}", &page[..80.min(page.len())]);
    let dir = tempdir();
    let file = dir.join("landtrace.1");
    std::fs::write(&file, &page).unwrap();
    let out = Command::new("groff").args(["-man", "-Tutf8", "-ww", "-z"]).arg(&file).output().unwrap();
    assert!(out.status.success() && out.stderr.is_empty(), "groff: {}", text(&out.stderr));
    let out = Command::new("man")
        .arg("-l")
        .arg(&file)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .output()
        .unwrap();
    let shown = text(&out.stdout);
    assert!(out.status.success(), "man: {}", text(&out.stderr));
    for want in [
        "SYNOPSIS",
        "--replay <FILE>",
        "--metrics <ADDR:PORT>",
        "landtrace fmt [--check] [SCRIPT]",
        "landtrace record",
        "LANGUAGE",
        "deny_scope_abstract_unix_socket",
        "EXIT STATUS",
        "ENVIRONMENT",
        "NO_COLOR",
        "XDG_STATE_HOME",
        "FILES",
        "EXAMPLES",
        "landtrace fmt --check runbooks/*.lt",
    ] {
        assert!(shown.contains(want), "the page lacks {want:?}:\n{shown}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// packaging/deb.sh builds a package apt accepts, holding a working
/// binary, its man page, completions, runbooks and units.
fn the_debian_package() {
    let test = "the_debian_package";
    harness::need(test, "dpkg-shlibdeps", "dpkg-dev");
    harness::need(test, "objcopy", "binutils");
    harness::need(test, "man", "man-db");
    let dir = tempdir();
    let out = Command::new("packaging/deb.sh")
        .arg(env!("CARGO_BIN_EXE_landtrace"))
        .arg(&dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("DEB_COMPRESSION", "gzip")
        .output()
        .unwrap();
    assert!(out.status.success(), "deb.sh: {}", text(&out.stderr));
    let deb = text(&out.stdout).trim().to_string();
    let arch =
        text(&Command::new("dpkg").arg("--print-architecture").output().unwrap().stdout).trim().to_string();
    assert!(deb.ends_with(&format!("/landtrace_{}_{arch}.deb", env!("CARGO_PKG_VERSION"))), "{deb}");
    let field = |f: &str| {
        text(&Command::new("dpkg-deb").args(["-f", &deb, f]).output().unwrap().stdout).trim().to_string()
    };
    assert_eq!(field("Package"), "landtrace");
    assert_eq!(field("Version"), env!("CARGO_PKG_VERSION"));
    assert!(field("Depends").contains("libc6 (>="), "{}", field("Depends"));
    let listing = text(&Command::new("dpkg-deb").args(["-c", &deb]).output().unwrap().stdout);
    for path in [
        "./usr/bin/landtrace",
        "./usr/share/man/man1/landtrace.1.gz",
        "./usr/share/bash-completion/completions/landtrace",
        "./usr/share/zsh/vendor-completions/_landtrace",
        "./usr/share/fish/vendor_completions.d/landtrace.fish",
        "./usr/share/doc/landtrace/copyright",
        "./usr/share/doc/landtrace/examples/top-denials.lt",
        "./lib/systemd/system/landtrace.service",
        "./lib/systemd/system/landtrace@.service",
        "./etc/landtrace/runbook.lt",
    ] {
        assert!(listing.lines().any(|l| l.ends_with(path)), "{path} is not in the package:\n{listing}");
    }
    assert!(listing.lines().all(|l| l.contains(" root/root ")), "{listing}");

    // What it installs works: the binary runs its runbook, man reads the page.
    let root = dir.join("root");
    assert!(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&root).status().unwrap().success());
    let lt = root.join("usr/bin/landtrace");
    let run = Command::new(&lt)
        .arg(root.join("etc/landtrace/runbook.lt"))
        .args(["--replay", "examples/traces/demo.ftrace"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        run.status.success() && text(&run.stdout).contains("== denials by program =="),
        "{}",
        text(&run.stderr)
    );
    let man = Command::new("man")
        .arg("-l")
        .arg(root.join("usr/share/man/man1/landtrace.1.gz"))
        .env("MANPAGER", "cat")
        .output()
        .unwrap();
    assert!(man.status.success() && text(&man.stdout).contains("EXIT STATUS"));

    // apt resolves its dependencies on this system (a simulation: nothing is installed).
    let sim = Command::new("apt-get")
        .args(["install", "-s", "--no-install-recommends"])
        .arg(&deb)
        .output()
        .unwrap();
    let said = text(&sim.stdout);
    assert!(
        sim.status.success() && said.contains("Inst landtrace"),
        "apt-get -s: {said}{}",
        text(&sim.stderr)
    );
    std::fs::remove_dir_all(dir).unwrap();
}
