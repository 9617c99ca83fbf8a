//! docs/events.md is the schema, written out: this test renders it from the
//! schema (landtrace-event) and the sources (landtrace-runtime) and fails
//! when the committed file differs. `LANDTRACE_UPDATE_DOCS=1 cargo test
//! --test docs` rewrites it.

use landtrace_event::schema::{
    BUILTINS, EVENTS, EventKind, Family, GROUPS, KernelField, NHEADER, NSLOTS, NSTRS, SourceKind,
};
use landtrace_runtime::source::produces;
use std::fmt::Write;

fn sources_of(kind: EventKind) -> String {
    let names: Vec<String> = SourceKind::ALL
        .into_iter()
        .filter(|s| *s != SourceKind::Replay && produces(*s, kind))
        .map(|s| format!("`{}`", s.name()))
        .collect();
    names.join(", ")
}

fn kernel_names(kind: EventKind) -> String {
    let names: Vec<String> = kind
        .def()
        .kernel
        .iter()
        .map(|(name, k)| match k {
            KernelField::Is(f) => format!("`{name}` is `{}`", f.name()),
            KernelField::BlockersType => {
                format!("`{name}` is the kind of request (`blocker` extra for a mount change)")
            }
            KernelField::DenyPort => format!("`{name}` is `sport` for a bind, `dport` otherwise"),
            KernelField::LogSameExec | KernelField::LogNewExec => format!("`{name}` decides `logged`"),
        })
        .collect();
    names.join("; ")
}

/// Text for a table cell: `|` and `<` would end the cell or start a tag.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('<', "&lt;")
}

fn render() -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "# Events and fields\n");
    let _ = writeln!(
        w,
        "Generated from the schema (`event/src/schema.rs`) by `tests/docs.rs`, which fails when this\n\
         file and the schema differ; `LANDTRACE_UPDATE_DOCS=1 cargo test --test docs` rewrites it.\n\
         `landtrace -l` prints the same from the running binary.\n"
    );
    let _ = writeln!(
        w,
        "Every event is named with or without the `landlock_` prefix, or by an alias. The sources\n\
         are the live ones that can produce it (`--replay` reads all of them from any format).\n\
         The kernel's names are those of its tracepoint records and ftrace text where they differ.\n"
    );
    for e in &EVENTS {
        let _ = writeln!(w, "## `{}`\n", e.name);
        let _ = writeln!(w, "{}.\n", e.doc[..1].to_uppercase() + &e.doc[1..]);
        if !e.aliases.is_empty() {
            let a: Vec<String> = e.aliases.iter().map(|a| format!("`{a}`")).collect();
            let _ = writeln!(w, "Aliases: {}.\n", a.join(", "));
        }
        let _ = writeln!(w, "Sources: {}.\n", sources_of(e.kind));
        let k = kernel_names(e.kind);
        if !k.is_empty() {
            let _ = writeln!(w, "Kernel names: {k}.\n");
        }
        let _ = writeln!(w, "| field | type | meaning |\n|---|---|---|");
        for (f, ty) in e.fields {
            let _ = writeln!(w, "| `{}` | {ty} | {} |", f.name(), cell(f.def().doc));
        }
        let _ = writeln!(w);
    }
    let _ = writeln!(
        w,
        "## Builtins\n\nEvery event has these; BEGIN, END and `every` only `time` and `walltime`.\n"
    );
    let _ = writeln!(w, "| name | type | meaning |\n|---|---|---|");
    for b in BUILTINS {
        let _ = writeln!(w, "| `{}` | {} | {} |", b.name, b.ty, cell(b.doc));
    }
    let _ = writeln!(w, "\n## Access rights\n");
    let _ = writeln!(
        w,
        "A right is written `READ_FILE`, `fs.read_file` or `LANDLOCK_ACCESS_FS_READ_FILE`; ABI is the\n\
         Landlock ABI version that introduced it.\n"
    );
    for family in Family::ALL {
        let _ = writeln!(
            w,
            "### `{}` ({} rights, `{}NAME`)\n",
            family.type_name(),
            family.noun(),
            family.uapi_prefix()
        );
        let _ = writeln!(w, "| name | bit | ABI |\n|---|---|---|");
        for r in family.rights() {
            let _ = writeln!(w, "| `{}` | {} | {} |", r.name, r.shift, r.abi);
        }
        let _ = writeln!(w);
    }
    let _ = writeln!(w, "### Groups\n\n| name | family | rights |\n|---|---|---|");
    for g in GROUPS {
        let _ = writeln!(w, "| `{}` | {} | {} |", g.name, g.family.type_name(), cell(g.doc));
    }
    let _ = writeln!(
        w,
        "\n## The record\n\nCompiled code reads each event from one fixed-layout record \
         (`event/src/record.rs`): {NHEADER} header values for the builtins, {NSLOTS} 64-bit slots \
         for scalar fields, {NSTRS} strings besides `comm`, and the `grants` list. \
         docs/architecture.md says how to add an event, a field or a builtin."
    );
    out
}

#[test]
fn events_md_is_the_schema() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/events.md");
    let want = render();
    if std::env::var_os("LANDTRACE_UPDATE_DOCS").is_some() {
        std::fs::write(path, &want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        have == want,
        "docs/events.md differs from the schema: run LANDTRACE_UPDATE_DOCS=1 cargo test --test docs\n\
         first difference at line {}",
        have.lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .map_or(have.lines().count().min(want.lines().count()), |i| i)
            + 1
    );
}

/// docs/language.md describes the builtins at more length than the
/// schema; its table must name exactly the schema's builtins, and its
/// summary every event.
#[test]
fn language_md_names_every_builtin_and_event() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/language.md")).unwrap();
    let start = text.find("Every event also has these builtins:").expect("the builtins table");
    let table: Vec<&str> = text[start..].lines().skip(2).take_while(|l| l.starts_with('|')).skip(2).collect();
    let mut named: Vec<String> = table
        .iter()
        .flat_map(|row| row.split('|').nth(1).unwrap_or_default().split(','))
        .map(|n| n.trim().trim_matches('`').to_string())
        .collect();
    named.sort();
    let mut want: Vec<String> = BUILTINS.iter().map(|b| b.name.to_string()).collect();
    want.sort();
    assert_eq!(named, want, "docs/language.md's builtins table and the schema differ");
    let summary = &text[..start];
    for e in &EVENTS {
        assert!(
            summary.contains(&format!("`{}`", e.name)),
            "docs/language.md section 3 does not name {}",
            e.name
        );
    }
}
