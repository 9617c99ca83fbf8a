//! What a word in a script is, for hover and go to definition: an event
//! (its fields and the sources that produce it), a field (its type in the
//! clause's events and its meaning), a builtin, an access right (its bit
//! and ABI) or group, a function, a keyword, or a `macro`/`list` defined in
//! the script.

use landtrace_event::schema::{
    BUILTINS, EVENTS, EventKind, FieldId, GROUPS, SourceKind, events_matching, lookup_constant,
};
use landtrace_grammar::ast::{Item, Program, Span};
use landtrace_runtime::source::produces;

/// What each function, aggregation and statement does (docs/language.md).
pub const CALL_DOCS: &[(&str, &str, &str)] = &[
    ("has", "has(mask, RIGHTS)", "bool: every bit of RIGHTS is in mask"),
    ("any", "any(mask, RIGHTS)", "bool: some bit of RIGHTS is in mask"),
    ("starts_with", "starts_with(s, prefix)", "bool: s starts with prefix"),
    ("ends_with", "ends_with(s, suffix)", "bool: s ends with suffix"),
    ("contains", "contains(s, part)", "bool: part occurs in s"),
    ("len", "len(s), len(grants), len(@m)", "int: bytes of a string, layers of a list, keys of a map"),
    ("basename", "basename(s)", "str: the last component of a path, as POSIX basename"),
    ("dirname", "dirname(s)", "str: the path without its last component, as POSIX dirname"),
    ("hex", "hex(n)", "str: lower-case hex without 0x, as IDs print"),
    ("rights", "rights(mask)", "str: the rights by name, `READ_FILE|WRITE_FILE` (`0` when empty)"),
    ("popcount", "popcount(n)", "int: the number of bits set"),
    ("str", "str(x)", "str: a string as it is (bpftrace's habit), a mask's rights by name, an id in hex"),
    ("count", "@m[keys] = count()", "aggregation: the number of events"),
    ("sum", "@m[keys] = sum(e)", "aggregation: the total of e (saturating)"),
    ("min", "@m[keys] = min(e)", "aggregation: the smallest e"),
    ("max", "@m[keys] = max(e)", "aggregation: the largest e"),
    ("avg", "@m[keys] = avg(e)", "aggregation: the integer average of e"),
    ("stats", "@m[keys] = stats(e)", "aggregation: count, average and total of e"),
    ("hist", "@m[keys] = hist(e)", "aggregation: a histogram of e in power-of-two buckets"),
    ("lhist", "@m[keys] = lhist(e, min, max, step)", "aggregation: a histogram of e in linear buckets"),
    (
        "print",
        "print, print(e, ...), print(@m[, N])",
        "statement: the event; values and a newline; a map sorted by value",
    ),
    (
        "printf",
        "printf(\"fmt\", args...)",
        "statement: formatted output: %d %u %x %s %r (a mask by name) %%, widths",
    ),
    ("clear", "clear(@m)", "statement: empty a map"),
    ("delete", "delete(@m[k])", "statement: remove one key"),
    ("exit", "exit()", "statement: stop; END still runs"),
];

const KEYWORD_DOCS: &[(&str, &str)] = &[
    ("on", "`on EVENTS [where COND] [{ ... }]`: runs for each event of the kinds named (names or globs)"),
    ("where", "`where COND`: the clause runs only for events that meet COND"),
    ("BEGIN", "`BEGIN { ... }`: runs once, before the first event"),
    ("END", "`END { ... }`: runs once at the end (end of input, `exit()`, Ctrl-C)"),
    ("every", "`every DURATION { ... }`: runs periodically"),
    ("list", "`list NAME = [...]`: a named list, used as `x in NAME`"),
    ("macro", "`macro NAME = EXPR`: a named expression, used by its name"),
    ("if", "`if COND { ... } else { ... }`"),
    ("else", "`if COND { ... } else { ... }`"),
    ("not", "boolean negation (also `!`); `not in` tests that a value is not in a list"),
    ("and", "boolean and (also `&&`)"),
    ("or", "boolean or (also `||`)"),
    ("in", "`x in [a, b]`, `x in lo..hi`, `x in NAME`: membership"),
    ("true", "the boolean true"),
    ("false", "the boolean false"),
];

/// The Markdown shown for the word `word` at `offset` of the script.
pub fn hover(program: &Program, text: &str, word: &str, offset: usize) -> Option<String> {
    if let Some(def) = definition(program, word) {
        let what = match def.0 {
            Def::Macro => "macro",
            Def::List => "list",
        };
        return Some(format!(
            "{what} defined in this script:\n```landtrace\n{}\n```",
            &text[def.1.start..def.1.end]
        ));
    }
    if let Some(kind) = EventKind::lookup(word) {
        return Some(event(kind));
    }
    if let Some(fid) = FieldId::lookup(word) {
        return Some(field(fid, &clause_events(program, offset)));
    }
    if let Some(b) = BUILTINS.iter().find(|b| b.name == word) {
        return Some(format!("builtin `{}`: {}\n\n{}", b.name, b.ty, b.doc));
    }
    if let Some(text) = constant(word) {
        return Some(text);
    }
    if let Some((_, sig, doc)) = CALL_DOCS.iter().find(|(n, _, _)| *n == word) {
        return Some(format!("`{sig}`\n\n{doc}"));
    }
    KEYWORD_DOCS.iter().find(|(k, _)| *k == word).map(|(_, d)| format!("keyword: {d}"))
}

pub enum Def {
    Macro,
    List,
}

/// The `macro` or `list` named `word`: what it is, the span of its whole
/// definition and of its name.
pub fn definition(program: &Program, word: &str) -> Option<(Def, Span, Span)> {
    program.items.iter().find_map(|item| match item {
        Item::Macro(m) if m.name.name == word => Some((Def::Macro, m.span, m.name.span)),
        Item::List(l) if l.name.name == word => Some((Def::List, l.span, l.name.span)),
        _ => None,
    })
}

/// The events of the `on` clause around `offset` (none outside one).
fn clause_events(program: &Program, offset: usize) -> Vec<EventKind> {
    let mut events: Vec<EventKind> = program
        .items
        .iter()
        .filter_map(|item| match item {
            Item::On(c) if c.span.start <= offset && offset <= c.span.end => Some(c),
            _ => None,
        })
        .flat_map(|c| c.events.iter().flat_map(|e| events_matching(&e.name)))
        .collect();
    events.sort_by_key(|e| *e as u32);
    events.dedup();
    events
}

fn sources(kind: EventKind) -> String {
    let live: Vec<&str> = SourceKind::ALL
        .iter()
        .filter(|&&s| s != SourceKind::Replay && produces(s, kind))
        .map(|s| s.name())
        .collect();
    format!("sources: {} (and any recording of them, replayed)", live.join(", "))
}

fn event(kind: EventKind) -> String {
    let def = kind.def();
    let mut s = format!("event `{}`: {}\n\n{}\n\nfields:\n", def.name, def.doc, sources(kind));
    for (f, ty) in def.fields {
        s.push_str(&format!("- `{}` {ty}: {}\n", f.name(), f.def().doc));
    }
    s
}

fn field(fid: FieldId, clause: &[EventKind]) -> String {
    let with: Vec<(EventKind, String)> = EVENTS
        .iter()
        .filter(|e| clause.is_empty() || clause.contains(&e.kind))
        .filter_map(|e| e.kind.field_type(fid).map(|t| (e.kind, t.to_string())))
        .collect();
    let mut types: Vec<&str> = with.iter().map(|(_, t)| t.as_str()).collect();
    types.dedup();
    let names: Vec<&str> = with.iter().map(|(k, _)| k.name()).collect();
    let ty = match types.as_slice() {
        [one] => (*one).to_string(),
        [] => "not a field of this clause's events".to_string(),
        _ => with.iter().map(|(k, t)| format!("{t} in {}", k.name())).collect::<Vec<_>>().join(", "),
    };
    let of = if clause.is_empty() { "of" } else { "here: of" };
    format!("field `{}`: {ty}\n\n{}\n\n{of} {}", fid.name(), fid.def().doc, names.join(", "))
}

/// An access right (`READ_FILE`, `fs.read_file`,
/// `LANDLOCK_ACCESS_FS_READ_FILE`) or a group of them.
fn constant(word: &str) -> Option<String> {
    let (family, bits) = lookup_constant(word)?;
    if let Some(g) = GROUPS.iter().find(|g| g.name == word) {
        let rights: Vec<&str> =
            family.rights().iter().filter(|r| g.bits() & r.bit() != 0).map(|r| r.name).collect();
        return Some(format!(
            "group of {} rights `{}` = {bits:#x}: {}\n\n{}",
            family.noun(),
            g.name,
            g.doc,
            rights.join(" | ")
        ));
    }
    let r = family.rights().iter().find(|r| r.bit() == bits)?;
    Some(format!(
        "{} right `{}`: bit {} ({bits:#x}), Landlock ABI {}\n\nalso written `{}.{}` and `{}{}`",
        family.noun(),
        r.name,
        r.shift,
        r.abi,
        family.short(),
        r.name.to_ascii_lowercase(),
        family.uapi_prefix(),
        r.name
    ))
}

/// Every callable the language knows has a hover text.
#[cfg(test)]
#[test]
fn every_callable_is_documented() {
    use landtrace_grammar::words::{self, CallKind};
    for kind in [CallKind::Function, CallKind::Aggregation, CallKind::Statement] {
        for name in words::callables(kind) {
            assert!(CALL_DOCS.iter().any(|(n, _, _)| *n == name), "{name} has no hover text");
        }
    }
    for k in words::KEYWORDS {
        assert!(KEYWORD_DOCS.iter().any(|(n, _)| *n == k.word), "{} has no hover text", k.word);
    }
}
