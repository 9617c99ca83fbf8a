//! Snapshots of rendered diagnostics: every error example of the language
//! contract (docs/language.md section 7) gets its own snapshot, and the other
//! checker errors share one.

use landtrace_compiler::{CheckOptions, Diag, compile};
use miette::{GraphicalReportHandler, GraphicalTheme};

fn render(diags: &[Diag]) -> String {
    let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor()).with_width(100);
    let mut out = String::new();
    for d in diags {
        handler.render_report(&mut out, d).unwrap();
    }
    out
}

fn errors(src: &str) -> Vec<Diag> {
    match compile(src, "-e", &CheckOptions::default()) {
        Ok(_) => panic!("expected an error for {src:?}"),
        Err(d) => d,
    }
}

macro_rules! diagnostic {
    ($name:ident, $src:expr, $message:expr) => {
        #[test]
        fn $name() {
            let diags = errors($src);
            assert_eq!(diags.len(), 1, "{}", render(&diags));
            assert_eq!(diags[0].message, $message);
            insta::assert_snapshot!(render(&diags));
        }
    };
}

diagnostic!(unknown_event, "on create_rulset where handled_fs & READ_FILE", "unknown event `create_rulset`");
diagnostic!(
    unknown_constant,
    "on create_ruleset where handled_fs & READ_FIEL",
    "unknown constant `READ_FIEL`"
);
diagnostic!(
    family_mismatch,
    "on create_ruleset where handled_net & READ_FILE",
    "READ_FILE is a filesystem right; handled_net holds network rights"
);
diagnostic!(
    field_missing_in_one_event,
    "on create_ruleset, deny_access_fs where path == \"/\"",
    "path is not a field of create_ruleset"
);
diagnostic!(compare_str_with_int, "on deny_access_fs where path == 3", "cannot compare str with int");
diagnostic!(invalid_regex, "on deny_access_fs where path =~ re\"([\"", "invalid regular expression");
diagnostic!(
    printf_type,
    "on deny_access_fs { printf(\"%d\\n\", path) }",
    "%d expects an integer, path is str"
);
diagnostic!(missing_where_expression, "on deny_access_fs where", "expected an expression after 'where'");

#[test]
fn help_lines_suggest_the_fix() {
    let help = |src: &str| errors(src)[0].help.clone().unwrap_or_default();
    assert_eq!(help("on create_rulset where handled_fs & READ_FILE"), "did you mean `create_ruleset`?");
    assert_eq!(help("on create_ruleset where handled_fs & READ_FIEL"), "did you mean `READ_FILE`?");
    assert_eq!(help("on deny_access_fs where pth == \"/\""), "did you mean `path`?");
    assert_eq!(help("on deny_access_fs where basenme(path) == \"x\""), "did you mean `basename`?");
    assert_eq!(help("on deny_access_fs where blockers & fs.read_fil"), "did you mean `fs.read_file`?");
    assert!(help("on create_ruleset where path == \"/\"").contains("add_rule_fs"));
}

#[test]
fn every_error_of_a_program_is_reported_in_one_run() {
    let src = "on create_rulset where handled_fs & READ_FIEL\n\
               on deny_access_fs where path == 3 { printf(\"%d\\n\", path) }\n\
               on deny_access_net where blockers & READ_FILE";
    let diags = errors(src);
    let messages: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "unknown event `create_rulset`",
            "unknown constant `READ_FIEL`",
            "cannot compare str with int",
            "%d expects an integer, path is str",
            "READ_FILE is a filesystem right; blockers holds network rights",
        ]
    );
}

#[test]
fn more_checker_errors() {
    let cases = [
        "on nope_*",
        "on deny_access_fs where path",
        "on deny_access_fs where path =~ comm",
        "on deny_access_fs where path =~ \"/tmp/[ab\"",
        "on deny_access_fs { printf(\"%s %s\\n\", comm) }",
        "on deny_access_fs { printf(\"%s\\n\", comm, pid) }",
        "on deny_access_fs { printf(\"%q\\n\", comm) }",
        "on deny_access_fs { printf(\"%r\\n\", pid) }",
        "on deny_access_fs { @a[pid] = count(); @a[comm] = count() }",
        "on deny_access_fs { @a[pid] = count(); @a[pid] = sum(pid) }",
        "on deny_access_fs { @a[pid] = count(); @a[pid, comm] = count() }",
        "on deny_access_fs where @never[pid] > 1",
        "on deny_access_fs where $x > 1",
        "on deny_access_fs { print($y) }",
        "on deny_access_fs { $x = 1; $x = \"s\" }",
        "on deny_access_fs where pid == $1",
        "BEGIN { print(comm) }",
        "END { print }",
        "on deny_access_fs { count() }",
        "on deny_access_fs where count() > 1",
        "on deny_access_fs { @h = hist(path) }",
        "on deny_access_fs { @h = lhist(ino, 10, 0, 1) }",
        "on deny_access_fs { @h = hist(ino); print(@h[1]) }",
        "on deny_access_net where dport in [\"a\"]",
        "on deny_access_fs where comm in [1, 2]",
        "on deny_access_fs where ino in 9..1",
        "on deny_access_fs where blockers + 1 > 2",
        "on deny_access_fs where domain == comm",
        "on deny_access_fs where comm in servers",
        "list servers = [\"a\"]\non deny_access_fs where servers",
        "macro m = m\non deny_access_fs where m",
        "macro path = 1",
        "on deny_access_fs where path[0] == 1",
        "on check_rule_fs, check_rule_net where grants[0] & READ_FILE",
        "on deny_access_fs where rights(pid) == \"\"",
        "every 10us { exit() }",
        "on deny_access_fs { clear(@a[1]) }",
        "on deny_access_fs where len(1) > 0",
        "on deny_access_fs where has(blockers, CONNECT_TCP)",
        "on deny_access_fs { foo() }",
    ];
    let mut out = String::new();
    for src in cases {
        out.push_str(&format!("### {src}\n"));
        out.push_str(&render(&errors(src)));
        out.push('\n');
    }
    insta::assert_snapshot!(out);
}

/// Every example of the language (tests/language/*.lt) checks, and Cranelift compiles all of it:
/// nothing falls back to the interpreter.
#[test]
fn every_language_example_checks_and_compiles() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/language");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let compiled = match compile(&text, &path.display().to_string(), &CheckOptions::default()) {
            Ok(c) => c,
            Err(d) => panic!("{}", render(&d)),
        };
        let jit = landtrace_compiler::jit::Jit::compile(&compiled.ir).unwrap();
        assert!(jit.fallbacks().is_empty(), "{}: {}", path.display(), jit.summary());
        n += 1;
    }
    assert!(n >= 7);
}

/// Maps may be read anywhere they are assigned, including in their own
/// aggregation (`@n = sum(len(@n))`) and before the clause that assigns them.
#[test]
fn maps_read_where_they_are_assigned() {
    for src in [
        "on deny_access_fs { @n = sum(len(@n)) }",
        "on deny_access_fs { @h = hist(len(@h) + 1); @c[comm] = count(); print(@c[comm]) }",
        "every 1s { print(@later) } on deny_access_fs { @later[comm] = count() }",
    ] {
        if let Err(d) = compile(src, "-e", &CheckOptions::default()) {
            panic!("{src}\n{}", render(&d));
        }
    }
}

// The habits users bring (issue 10.17): each says what to write instead.
diagnostic!(assign_for_compare, "on deny_* where comm = \"x\" { }", "`=` assigns: a comparison is `==`");
diagnostic!(unclosed_block, "on deny_* { print(comm)\n", "this `{` is never closed");
diagnostic!(unclosed_string, "on deny_* { printf(\"abc) }", "this string is never closed");
diagnostic!(every_without_unit, "every 5 { exit() }", "`every` needs a duration");
diagnostic!(
    bpftrace_filter,
    "on deny_* /comm == \"x\"/ { }",
    "landtrace filters with `where`, not bpftrace's `/pred/`"
);
diagnostic!(
    bpftrace_tracepoint,
    "tracepoint:landlock:landlock_deny_access_fs { }",
    "landtrace has no `tracepoint:` probes: a clause is `on EVENT`"
);
diagnostic!(
    bpftrace_kprobe,
    "kprobe:security_file_open { }",
    "landtrace has no `kprobe:` probes: a clause is `on EVENT`"
);
diagnostic!(bpftrace_interval, "interval:s:1 { exit() }", "landtrace has no `interval:` probe");
// bpftrace's updates are integer assignments, checked as such.
diagnostic!(
    update_of_a_count,
    "on deny_* { @c = count(); @c += 1 }",
    "@c holds count() but is assigned values of type int here"
);
diagnostic!(increment_before_assignment, "on deny_* { $i++ }", "`$i` is used before it is assigned");
diagnostic!(increment_of_a_string, "on deny_* { @s = comm; @s++ }", "`+` needs ints, this is str");
diagnostic!(single_quotes, "on deny_* where comm == 'x' { }", "strings are in double quotes");
diagnostic!(nsecs, "on deny_access_fs { print(nsecs) }", "nsecs is not a field of deny_access_fs");
diagnostic!(ternary, "on deny_* { $a = pid > 1 ? 1 : 2 }", "there is no `a ? b : c`");
diagnostic!(
    lhist_too_many_buckets,
    "on deny_* { @h = lhist(pid, 0, 1000000000, 1) }",
    "lhist() would have 1000000000 buckets, more than 10000"
);
diagnostic!(
    print_map_arguments,
    "on deny_* { @k = count() } END { print(@k, 1, 2) }",
    "print(@k, ...) takes at most a row limit"
);

/// A syntax error loses its own clause only: the others are still checked.
#[test]
fn a_syntax_error_does_not_hide_the_other_clauses_errors() {
    let src = "on deny_access_fs { @x = count(path) }\n\
               on deny_* where comm = \"x\" { }\n\
               on create_ruleset { print(nope) }\n";
    let messages: Vec<String> = errors(src).into_iter().map(|d| d.message).collect();
    assert_eq!(
        messages,
        [
            "count() takes 0 arguments, got 1",
            "`=` assigns: a comparison is `==`",
            "nope is not a field of create_ruleset",
        ]
    );
    // A lost macro would make its uses "unknown": then only the syntax error.
    let messages: Vec<String> =
        errors("macro m = pid >\non deny_access_fs where m").into_iter().map(|d| d.message).collect();
    assert_eq!(messages.len(), 1, "{messages:?}");
}

/// One report per distinct error: a macro used twice reports its error once.
#[test]
fn one_report_per_distinct_error() {
    let diags = errors("macro bad = path == 3\non deny_access_fs where bad or bad");
    assert_eq!(diags.len(), 1, "{}", render(&diags));
}

/// A long flat sum is not "nesting" (it is iterated, not recursed).
#[test]
fn a_long_flat_sum_is_not_too_deep() {
    let sum = vec!["1"; 1000].join(" + ");
    compile(&format!("BEGIN {{ print({sum}) }}"), "-e", &CheckOptions::default()).unwrap();
    let nested = format!("BEGIN {{ print({}1{}) }}", "(".repeat(300), ")".repeat(300));
    assert!(errors(&nested)[0].message.contains("nested more than"));
}

/// Macros that use each other twice over 40 levels (2^40 uses) are
/// refused after a bounded expansion, not expanded until memory runs out
/// (issue 11.7).
#[test]
fn exponential_macros_are_refused() {
    let mut src = String::from("macro m0 = pid == 1\n");
    for i in 1..=40 {
        src.push_str(&format!("macro m{i} = m{} or m{}\n", i - 1, i - 1));
    }
    src.push_str("on deny_access_fs where m40\n");
    let diags = errors(&src);
    assert_eq!(diags.len(), 1, "{}", render(&diags));
    assert_eq!(diags[0].message, "macros expand to more than 10000 uses");
    // A program with many ordinary uses still checks.
    let mut ok = String::from("macro small = pid == 1\non deny_access_fs where small");
    for _ in 0..2000 {
        ok.push_str(" or small");
    }
    compile(&ok, "-e", &CheckOptions::default()).unwrap();
}
