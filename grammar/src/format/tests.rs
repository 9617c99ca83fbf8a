use super::{comments, format};
use crate::parse_program;
use std::path::PathBuf;

fn fmt(src: &str) -> String {
    format(src).unwrap_or_else(|e| panic!("{src}: {e:?}"))
}

/// Formatting is idempotent, keeps the tree and keeps every comment in order.
fn holds(src: &str) -> String {
    let once = fmt(src);
    let twice = fmt(&once);
    assert_eq!(twice, once, "formatting again changed it:\n--- once\n{once}--- twice\n{twice}");
    let tree = |s: &str| parse_program(s).expect("parses").to_string();
    assert_eq!(tree(&once), tree(src), "the tree changed:\n{src}\n---\n{once}");
    let texts =
        |s: &str| comments(s).iter().map(|c| s[c.start..c.end].trim_end().to_string()).collect::<Vec<_>>();
    assert_eq!(texts(&once), texts(src), "comments lost or reordered:\n{once}");
    once
}

#[test]
fn the_canonical_layout() {
    let cases = [
        ("on   deny_*{@[comm]=count()}", "on deny_* { @[comm] = count() }\n"),
        (
            "on add_rule_fs,add_rule_net where comm==\"nginx\"&&!(pid>1||uid!=0) { printf(\"%s\\n\",comm) ; print }",
            "on add_rule_fs, add_rule_net where comm == \"nginx\" and not (pid > 1 or uid != 0) {\n    printf(\"%s\\n\", comm)\n    print\n}\n",
        ),
        (
            "on create_ruleset where handled_fs & READ_FILE",
            "on create_ruleset where handled_fs & READ_FILE\n",
        ),
        ("on deny_* {}", "on deny_* {}\n"),
        ("every 5s { print(@d); clear(@d) }", "every 5s {\n    print(@d)\n    clear(@d)\n}\n"),
        ("BEGIN{printf(\"hi\\n\")}END{exit()}", "BEGIN { printf(\"hi\\n\") }\nEND { exit() }\n"),
        ("list  web=[\"nginx\",\"caddy\" ,]", "list web = [\"nginx\", \"caddy\"]\n"),
        ("macro m = path=~\"/etc/**\"", "macro m = path =~ \"/etc/**\"\n"),
        // Literals keep their spelling; the author's parentheses stay.
        (
            "on * where (pid) == 0x1F_00 and (domain in [1..0x10, -2])",
            "on * where (pid) == 0x1F_00 and (domain in [1..0x10, -2])\n",
        ),
        ("on * where pid - - 5 > ( - 3 )", "on * where pid - -5 > (-3)\n"),
        ("on * where pid in 1..5 and comm not in web", "on * where pid in 1..5 and comm not in web\n"),
        ("on * where path =~ re\"^/etc/.*\\\"x\"", "on * where path =~ re\"^/etc/.*\\\"x\"\n"),
        ("on * { @m[prog:comm,  event] = count() }", "on * { @m[prog: comm, event] = count() }\n"),
        (
            "on * { if pid > 1 { @a = count() } else if pid > 0 { @b = count() } else { @c = count() } }",
            "on * {\n    if pid > 1 {\n        @a = count()\n    } else if pid > 0 {\n        @b = count()\n    } else {\n        @c = count()\n    }\n}\n",
        ),
        // `else { if }` is not `else if`.
        (
            "on * { if a { print } else { if b { print } } }",
            "on * {\n    if a {\n        print\n    } else {\n        if b {\n            print\n        }\n    }\n}\n",
        ),
        (
            "on * { $x = ~pid & 3 << 2; print($x, -$x) }",
            "on * {\n    $x = ~pid & 3 << 2\n    print($x, -$x)\n}\n",
        ),
        ("on * where $1 == pid", "on * where $1 == pid\n"),
        (";;on * ; ;", "on *\n"),
        ("", ""),
    ];
    for (src, want) in cases {
        assert_eq!(holds(src), want, "formatting {src:?}");
    }
}

#[test]
fn long_conditions_and_lists_are_broken() {
    let src = "on deny_access_fs where path =~ \"/etc/**\" or path =~ \"/root/**\" or path =~ \"/home/*/.ssh/**\" or comm == \"x\" { @[comm, path] = count() }\nlist web = [\"nginx\", \"apache2\", \"caddy\", \"lighttpd\", \"haproxy\", \"traefik\", \"envoy\", \"varnish\", \"squid\"]\n";
    let want = "on deny_access_fs where path =~ \"/etc/**\"\n    or path =~ \"/root/**\"\n    or path =~ \"/home/*/.ssh/**\"\n    or comm == \"x\" {\n    @[comm, path] = count()\n}\nlist web = [\n    \"nginx\",\n    \"apache2\",\n    \"caddy\",\n    \"lighttpd\",\n    \"haproxy\",\n    \"traefik\",\n    \"envoy\",\n    \"varnish\",\n    \"squid\",\n]\n";
    assert_eq!(holds(src), want);
    // An `and` inside the `or` chain stays one term.
    let src = "macro sensitive = (path =~ \"/etc/**\" and comm != \"etckeeper\") or path =~ \"/root/**\" or path =~ \"/var/lib/secret/**\"";
    assert_eq!(
        holds(src),
        "macro sensitive = (path =~ \"/etc/**\" and comm != \"etckeeper\")\n    or path =~ \"/root/**\"\n    or path =~ \"/var/lib/secret/**\"\n"
    );
}

#[test]
fn comments_stay_where_they_belong() {
    let src = "#!/usr/bin/env landtrace\n# Header.\n\n\n# About the clause.\non deny_* { # counted\n  @[comm] = count()   # by program\n\n\n  # before print\n  print\n  # at the end\n}  // after\nlist l = [\"a\", # first\n \"b\"]\nmacro m = pid > 1 # big\n    or pid == 0\n";
    let want = "#!/usr/bin/env landtrace\n# Header.\n\n# About the clause.\non deny_* { # counted\n    @[comm] = count() # by program\n\n    # before print\n    print\n    # at the end\n} // after\nlist l = [\n    \"a\", # first\n    \"b\",\n]\n# big\nmacro m = pid > 1 or pid == 0\n";
    let got = holds(src);
    assert_eq!(got, want);
    // Inside an expression that goes on one line, a comment moves before it.
    let got = holds("on * where pid > 1 # one\n and # two\n uid == 0 { print }\n");
    assert_eq!(got, "# one\n# two\non * where pid > 1 and uid == 0 { print }\n");
    // `#` inside strings and regexes is not a comment.
    let got = holds("on * where path == \"#x\" and comm =~ re\"a//b\" # real\n");
    assert_eq!(got, "on * where path == \"#x\" and comm =~ re\"a//b\" # real\n");
    // Only comments.
    assert_eq!(holds("  # a\n\n\n# b\n"), "# a\n\n# b\n");
}

#[test]
fn syntax_errors_are_returned() {
    let e = format("on deny_* { @ = }").unwrap_err();
    assert!(!e.is_empty());
}

/// Every runbook shipped and every example of the language contract is
/// formatted stably (the tree, the comments and a second pass agree).
#[test]
fn every_shipped_program_formats_stably() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut n = 0;
    for dir in ["examples", "tests/language"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "lt") {
                holds(&std::fs::read_to_string(&path).unwrap());
                n += 1;
            }
        }
    }
    assert!(n >= 15, "{n} programs");
}

/// The shipped runbooks are in canonical layout already.
#[test]
fn the_shipped_runbooks_are_formatted() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "lt") {
            let text = std::fs::read_to_string(&path).unwrap();
            assert_eq!(fmt(&text), text, "{} is not formatted (landtrace fmt it)", path.display());
        }
    }
}

#[test]
fn deep_chains_do_not_recurse() {
    // A thread with a normal-sized stack, as the parser's own limits are tested.
    let src = format!("on * where pid == {}", vec!["1"; 3000].join(" + "));
    std::thread::Builder::new().stack_size(8 << 20).spawn(move || holds(&src)).unwrap().join().unwrap();
}

/// A string may hold newlines, and a `#` at the start of one of its lines
/// is no comment: the literal's span (once cut there) and its text are kept.
#[test]
fn strings_across_lines_keep_their_hashes() {
    let src = "BEGIN { printf(\"denials\n# not a comment\") } # one\non deny_* { @[comm] = count() }\n";
    // A literal with a newline does not go on a one-line block.
    let want =
        "BEGIN {\n    printf(\"denials\n# not a comment\")\n} # one\non deny_* { @[comm] = count() }\n";
    assert_eq!(holds(src), want);
    let program = parse_program(src).unwrap();
    let crate::ast::Item::Begin(b) = &program.items[0] else { panic!() };
    let crate::ast::StmtKind::Call { args, .. } = &b.stmts[0].kind else { panic!() };
    assert_eq!(&src[args[0].span.start..args[0].span.end], "\"denials\n# not a comment\"");
}
