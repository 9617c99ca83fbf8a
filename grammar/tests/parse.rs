//! Golden parser tests: every example program of the language contract
//! (tests/language/*.lt) parses, and its syntax tree is snapshotted.

use landtrace_grammar::ast::{ExprKind, Item, StmtKind};
use landtrace_grammar::{Span, parse_expr, parse_program};
use std::path::PathBuf;

fn language_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/language")
}

#[test]
fn every_language_example_parses() {
    let mut files: Vec<_> = std::fs::read_dir(language_dir()).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 7, "the language examples are missing");
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let program = parse_program(&text).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        insta::assert_snapshot!(name, program.to_string());
    }
}

fn text(src: &str, s: Span) -> &str {
    &src[s.start..s.end]
}

#[test]
fn nodes_carry_exact_spans() {
    let src = "on deny_access_fs where path =~ \"/etc/**\" and not logged {\n  @etc[comm, path] = count()\n}";
    let p = parse_program(src).unwrap();
    let Item::On(c) = &p.items[0] else { panic!() };
    assert_eq!(text(src, c.span), src);
    assert_eq!(text(src, c.events[0].span), "deny_access_fs");
    let pred = c.predicate.as_ref().unwrap();
    assert_eq!(text(src, pred.span), "path =~ \"/etc/**\" and not logged");
    let block = c.block.as_ref().unwrap();
    let StmtKind::MapAssign { map, value, .. } = &block.stmts[0].kind else { panic!() };
    assert_eq!(text(src, map.span), "@etc[comm, path]");
    assert_eq!(text(src, map.name.span), "@etc");
    assert_eq!(text(src, value.span), "count()");
    assert_eq!(text(src, block.stmts[0].span), "@etc[comm, path] = count()");
}

#[test]
fn precedence_follows_the_contract() {
    let cases = [
        ("a or b and c", "(or a (and b c))"),
        ("not a == b", "(not (== a b))"),
        ("not a and b", "(and (not a) b)"),
        ("a | b ^ c & d", "(| a (^ b (& c d)))"),
        ("a & b == 0", "(== (& a b) 0)"),
        ("a << 1 + 2", "(<< a (+ 1 2))"),
        ("a + b * c % d", "(+ a (% (* b c) d))"),
        ("-a * ~b", "(* (- a) (~ b))"),
        ("x in [1, 2..5] and y not in 1..9", "(and (in x [1 2..5]) (not-in y 1..9))"),
        ("a || b && !c", "(or a (and b (not c)))"),
        ("-9223372036854775808", "-9223372036854775808"),
        ("0xffffffffffffffff", "-1"),
    ];
    for (src, want) in cases {
        assert_eq!(parse_expr(src).unwrap().to_string(), want, "{src}");
    }
}

#[test]
fn syntax_errors_name_the_problem() {
    let cases = [
        ("on deny_access_fs where", "expected an expression after 'where'", "where"),
        ("on x where a == b == c", "comparisons cannot be chained", "=="),
        ("on x { @a = }", "expected an expression after `=`", "}"),
        ("on x where path == \"\\q\"", "unknown escape \\q", "\\q"),
        ("on x where a == 99999999999999999999", "does not fit in 64 bits", "99999999999999999999"),
        ("every 0s { exit() }", "longer than zero", "0s"),
        ("on x where $12 > 1", "no script argument $12", "$12"),
        ("oops", "expected a clause", "oops"),
    ];
    for (src, msg, at) in cases {
        let errs = parse_program(src).unwrap_err();
        assert!(errs[0].message.contains(msg), "{src}: {:?}", errs[0]);
        assert_eq!(text(src, errs[0].span), at, "{src}: {:?}", errs[0]);
    }
}

#[test]
fn one_run_reports_the_syntax_errors_of_every_clause() {
    let src = "on a where\non b { @x = }\non c where 1 +\non d";
    let errs = parse_program(src).unwrap_err();
    assert_eq!(errs.len(), 3, "{errs:?}");
}

#[test]
fn statements_and_literals() {
    let p = parse_program("on x { $v = \"a\\x00b\"; print }").unwrap();
    let Item::On(c) = &p.items[0] else { panic!() };
    let b = c.block.as_ref().unwrap();
    let StmtKind::VarAssign { value, .. } = &b.stmts[0].kind else { panic!() };
    assert_eq!(value.kind, ExprKind::Str(b"a\x00b".to_vec()));
    assert_eq!(b.stmts[1].kind, StmtKind::PrintEvent);
    assert_eq!(parse_expr("5ms").unwrap().kind, ExprKind::Duration(5_000_000));
}

#[test]
fn absurd_nesting_is_an_error_not_a_crash() {
    let cases = [
        format!("on x where {}pid{}", "(".repeat(200_000), ")".repeat(200_000)),
        format!("on x where {}logged", "!".repeat(1_000_000)),
        format!("on x where {}logged", "not ".repeat(100_000)),
        format!("on x where pid{} > 0", " + 1".repeat(50_000)),
        format!("on x {{ {}exit(){} }}", "if pid { ".repeat(3000), " }".repeat(3000)),
    ];
    for src in cases {
        // A thread with a normal-sized stack: the limits must hold there too.
        let src2 = src.clone();
        let errs = std::thread::Builder::new()
            .stack_size(8 << 20)
            .spawn(move || parse_program(&src2).unwrap_err())
            .unwrap()
            .join()
            .unwrap();
        assert!(errs[0].message.contains("levels deep"), "{:?}", errs[0]);
    }
    // Deep but reasonable nesting is fine.
    let ok = format!("on x where {}pid{} == 1", "(".repeat(100), ")".repeat(100));
    assert!(parse_program(&ok).is_ok());
}

/// Update statements parse into the assignment they stand for and format
/// back as the author wrote them.
#[test]
fn updates_parse_and_format_as_written() {
    let src =
        "on * {\n    @x++\n    @m[comm] += 2\n    $i = 1\n    $i--\n    $i <<= 3\n    @b |= blockers\n}\n";
    let p = landtrace_grammar::parse_program(src).unwrap();
    let text = format!("{p}");
    assert!(text.contains("(= @x (+ @x 1))"), "{text}");
    assert_eq!(landtrace_grammar::format::format(src).unwrap(), src);
}
