//! Parse + check (and the whole compile) of a 200-line runbook.

use criterion::{Criterion, criterion_group, criterion_main};
use landtrace_compiler::{CheckOptions, compile};
use std::hint::black_box;

/// A 200-line script: the shipped runbooks' kinds of clauses, with map
/// names made unique.
pub fn script_200() -> String {
    let mut s = String::from("#!/usr/bin/env landtrace\n# a 200-line runbook for benchmarks\n");
    s.push_str("list web = [\"nginx\", \"apache2\", \"caddy\"]\nmacro sensitive = path =~ \"/etc/**\" or path =~ \"/root/**\"\n");
    let mut i = 0;
    while s.lines().count() < 196 {
        s.push_str(&format!(
            "on deny_access_fs where comm in web and sensitive and not logged {{\n    @fs{i}[comm, path, blockers] = count()\n}}\n\
             on create_ruleset where handled_fs & READ_FILE and handled_net == 0 {{\n    printf(\"%-12s %d %x %r\\n\", comm, pid, ruleset, handled_fs)\n}}\n\
             on deny_access_net where has(blockers, CONNECT_TCP) and dport in [80, 443, 8000..8999] {{ @net{i}[dport] = count() }}\n\
             on add_rule_fs where any(access_rights, FS_WRITE) and (path == \"/\" or path =~ re\"^/etc(/|$)\") {{ @w{i}[comm] = count() }}\n"
        ));
        i += 1;
    }
    s.push_str("every 10s { printf(\"tick\\n\") }\nEND { printf(\"done\\n\") }\n");
    s
}

fn bench(c: &mut Criterion) {
    let src = script_200();
    assert!((195..=205).contains(&src.lines().count()), "{} lines", src.lines().count());
    assert!(compile(&src, "bench.lt", &CheckOptions::default()).is_ok());
    c.bench_function("parse 200-line script", |b| {
        b.iter(|| landtrace_grammar::parse_program(black_box(&src)).unwrap());
    });
    c.bench_function("parse + check 200-line script", |b| {
        b.iter(|| {
            let ast = landtrace_grammar::parse_program(black_box(&src)).unwrap();
            let source = landtrace_compiler::diag::source("bench.lt", &src);
            landtrace_compiler::check(&ast, &source, &CheckOptions::default()).ok().unwrap()
        });
    });
    c.bench_function("compile (parse + check + lower) 200-line script", |b| {
        b.iter(|| compile(black_box(&src), "bench.lt", &CheckOptions::default()).ok().unwrap());
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
