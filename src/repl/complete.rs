//! Context-aware completion: what may come at the cursor, judged from the
//! entry typed so far (which may span several lines).
//!
//! - after `on` (and after each `,` of its event list): event names;
//! - after `where` and inside a clause's block: the fields every event of
//!   that clause has, builtins, functions, keywords; constants (of the
//!   family a mask field on the left holds, when there is one);
//! - `@`: the session's maps and those of the entry; `$`: the entry's
//!   variables;
//! - `.`: meta commands, then their arguments (events, right families).
//!   File paths after `.source` and `.save` are completed by the editor.

use super::lex::{Kind, Token, tokens};
use landtrace_event::schema::{
    BUILTINS, EVENTS, EventKind, Family, FieldType, GROUPS, events_matching, lookup_constant,
};
use landtrace_grammar::words::{self, CALLABLES, CallKind, Callable, Role};

/// Meta commands: name, arguments, what they do.
pub const META: &[(&str, &str, &str)] = &[
    (".events", "[GLOB]", "list events, one line each"),
    (".fields", "EVENT", "an event's fields, types and meaning"),
    (".rights", "[fs|net|scope]", "access-right constants and bits"),
    (".source", "[live|FILE...]", "show or change where events come from (also compat, audit, tracepoint)"),
    (".explain", "[PROGRAM]", "the checked program, where its filter runs, the generated code"),
    (".maps", "", "the session's maps"),
    (".clear", "[@MAP]", "empty the session's maps"),
    (".save", "FILE", "write this session's programs as a script"),
    (".edit", "", "edit the last entry in $EDITOR, then run it"),
    (".help", "", "this list"),
    (".quit", "", "leave (Ctrl-D too)"),
];

/// How a callable is completed: `name(`, or `name()` when it takes
/// nothing.
fn call_word(c: &Callable) -> String {
    format!("{}{}", c.name, if c.nullary { "()" } else { "(" })
}

/// What the cursor is in.
#[derive(Debug, PartialEq)]
enum Context {
    Meta,
    MetaArg(String),
    EventList,
    /// In a filter or block; the events of its clause (all for a bare
    /// expression).
    Expr {
        events: Vec<EventKind>,
        block: bool,
    },
    TopLevel,
}

/// Completes the word that ends at the end of `text` (the entry so far, up
/// to the cursor). Returns where the word starts and the candidates.
pub fn complete(text: &str, session_maps: &[String]) -> (usize, Vec<String>) {
    complete_in(text, session_maps, false)
}

/// The same for a script (`landtrace lsp`): no meta commands, and only
/// clauses and definitions at the top level (a REPL entry may be a bare
/// filter); `maps` are those of the whole script.
pub fn complete_script(before_cursor: &str, whole: &str) -> (usize, Vec<String>) {
    complete_in(before_cursor, &maps(whole, &[]), true)
}

fn complete_in(text: &str, session_maps: &[String], script: bool) -> (usize, Vec<String>) {
    let start = text
        .char_indices()
        .rev()
        .take_while(|&(_, c)| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '@' | '$' | '*'))
        .last()
        .map_or(text.len(), |(i, _)| i);
    let word = &text[start..];
    let before = &text[..start];
    let ctx = if word.starts_with('.') && before.trim().is_empty() && !script {
        Context::Meta
    } else {
        match context(before) {
            // A script's top level holds clauses and definitions only.
            Context::Expr { events, block: false } if script && events.len() == EventKind::ALL.len() => {
                if defining(before) {
                    Context::Expr { events, block: false }
                } else {
                    Context::TopLevel
                }
            }
            Context::Meta | Context::MetaArg(_) if script => Context::TopLevel,
            c => c,
        }
    };
    let mut out: Vec<String> = match ctx {
        Context::Meta => META.iter().map(|(m, _, _)| m.to_string()).collect(),
        Context::MetaArg(cmd) => match cmd.as_str() {
            ".events" | ".fields" => event_names(),
            ".rights" => ["fs", "net", "scope"].map(String::from).to_vec(),
            ".source" => ["live", "compat", "audit", "tracepoint"].map(String::from).to_vec(),
            _ => Vec::new(),
        },
        Context::EventList => event_names(),
        Context::TopLevel if word.starts_with('@') => maps(text, session_maps),
        Context::TopLevel if script => words::keywords(Role::Item).map(String::from).collect(),
        Context::TopLevel => {
            let mut v: Vec<String> = words::keywords(Role::Item).map(String::from).collect();
            // A bare expression is a filter over every event.
            v.extend(expression_words(word, &EventKind::ALL, before, false));
            v
        }
        Context::Expr { .. } if word.starts_with('@') => maps(text, session_maps),
        Context::Expr { .. } if word.starts_with('$') => vars(text),
        Context::Expr { events, block } => expression_words(word, &events, before, block),
    };
    out.retain(|c| c.starts_with(word) && c != word);
    out.sort();
    out.dedup();
    (start, out)
}

/// Whether the cursor is in the body of a `macro` (after its `=`): the last
/// top-level word that starts an item is `macro`.
fn defining(before: &str) -> bool {
    let toks = significant(before);
    let mut depth = 0i32;
    let mut last = None;
    for (t, s) in &toks {
        match (t.kind, *s) {
            (Kind::Punct, "{") => depth += 1,
            (Kind::Punct, "}") => depth -= 1,
            (Kind::Word, w) if depth == 0 && words::starts_item(w) => last = Some(w),
            _ => {}
        }
    }
    last == Some("macro") && toks.last().is_some_and(|(_, s)| *s != "macro")
}

fn event_names() -> Vec<String> {
    EVENTS
        .iter()
        .flat_map(|e| std::iter::once(e.name).chain(e.aliases.iter().copied()))
        .map(String::from)
        .collect()
}

fn significant(text: &str) -> Vec<(Token, &str)> {
    tokens(text)
        .into_iter()
        .filter(|t| !matches!(t.kind, Kind::Space | Kind::Comment))
        .map(|t| (t, &text[t.start..t.end]))
        .collect()
}

fn context(before: &str) -> Context {
    let toks = significant(before);
    let head = before.trim_start();
    if head.starts_with('.') {
        return match head.split_once(char::is_whitespace) {
            Some((cmd, _)) => Context::MetaArg(cmd.to_string()),
            None => Context::Meta,
        };
    }
    if before.trim().is_empty() {
        return Context::TopLevel;
    }
    // The innermost clause: the last `on` outside any block.
    let mut depth = 0i32;
    let mut clause: Option<usize> = None;
    let mut top_level = true;
    for (i, (t, s)) in toks.iter().enumerate() {
        match (t.kind, *s) {
            (Kind::Punct, "{") => depth += 1,
            (Kind::Punct, "}") => {
                depth -= 1;
                if depth == 0 {
                    clause = None;
                    top_level = true;
                }
            }
            (Kind::Word, "on") if depth == 0 => {
                clause = Some(i);
                top_level = false;
            }
            (Kind::Word, "list" | "macro") if depth == 0 => {
                clause = None;
                top_level = true;
            }
            (Kind::Word, "BEGIN" | "END" | "every") if depth == 0 => {
                clause = None;
                top_level = false;
            }
            _ => {}
        }
    }
    let Some(on) = clause else {
        if top_level && toks.iter().all(|(t, _)| t.kind != Kind::Punct || depth == 0) && depth == 0 {
            // A bare expression (or the start of an entry).
            return if toks.is_empty() {
                Context::TopLevel
            } else {
                Context::Expr { events: EventKind::ALL.to_vec(), block: false }
            };
        }
        return Context::Expr { events: Vec::new(), block: true };
    };
    // The event list runs from `on` to `where` or `{`.
    let mut events = Vec::new();
    let mut in_list = true;
    let mut block = false;
    for (t, s) in &toks[on + 1..] {
        match (t.kind, *s) {
            (Kind::Word, "where") => in_list = false,
            (Kind::Punct, "{") => {
                in_list = false;
                block = true;
            }
            (Kind::Word, name) if in_list => events.extend(events_matching(name)),
            _ => {}
        }
    }
    if in_list {
        // Right after `on` or a comma: another event.
        let last = toks.last().map(|(_, s)| *s);
        if matches!(last, Some("on" | ",")) {
            return Context::EventList;
        }
    }
    events.sort_by_key(|e| *e as u32);
    events.dedup();
    Context::Expr { events, block }
}

/// The fields every one of `events` has, with its type (`None` when the
/// type differs between them).
fn common_fields(events: &[EventKind]) -> Vec<(&'static str, Option<FieldType>)> {
    let Some(first) = events.first() else { return Vec::new() };
    first
        .def()
        .fields
        .iter()
        .filter(|(id, _)| events.iter().all(|e| e.field_type(*id).is_some()))
        .map(|(id, ty)| {
            let same = events.iter().all(|e| e.field_type(*id) == Some(*ty));
            (id.name(), same.then_some(*ty))
        })
        .collect()
}

fn expression_words(word: &str, events: &[EventKind], before: &str, block: bool) -> Vec<String> {
    if let Some(fam) = family_on_the_left(before, events) {
        return constants(Some(fam), word);
    }
    if word.starts_with(|c: char| c.is_ascii_uppercase()) {
        return constants(None, word);
    }
    if let Some((prefix, _)) = word.split_once('.') {
        let fam = Family::ALL.into_iter().find(|f| f.short() == prefix);
        return constants(fam, word);
    }
    let mut v: Vec<String> = Vec::new();
    // A bare expression may name any event's fields: it narrows the events.
    let fields: Vec<&str> = if events.len() == EventKind::ALL.len() && !block {
        let mut all: Vec<&str> = EVENTS.iter().flat_map(|e| e.fields.iter().map(|(f, _)| f.name())).collect();
        all.sort_unstable();
        all.dedup();
        all
    } else {
        common_fields(events).into_iter().map(|(n, _)| n).collect()
    };
    v.extend(fields.into_iter().map(String::from));
    v.extend(BUILTINS.iter().map(|b| b.name.to_string()));
    v.extend(CALLABLES.iter().filter(|c| c.kind == CallKind::Function).map(call_word));
    v.extend(words::keywords(Role::Expr).map(String::from));
    if block {
        for kind in [CallKind::Statement, CallKind::Aggregation] {
            v.extend(CALLABLES.iter().filter(|c| c.kind == kind).map(call_word));
        }
    }
    v
}

/// The family of the mask field just left of the cursor, as in
/// `handled_fs & ` or `has(blockers, `.
fn family_on_the_left(before: &str, events: &[EventKind]) -> Option<Family> {
    let toks = significant(before);
    let field = match toks.as_slice() {
        [.., (_, f), (_, "&" | "|" | "^" | "==" | "!=")] => *f,
        [.., (_, "has" | "any"), (_, "("), (_, f), (_, ",")] => *f,
        _ => return None,
    };
    common_fields(events).into_iter().find(|(name, _)| *name == field).and_then(|(_, ty)| match ty {
        Some(FieldType::Mask(f) | FieldType::MaskList(f)) => Some(f),
        _ => None,
    })
}

/// Constants: the rights of `family` (or all), their groups, in the
/// spelling being typed (`READ_FILE`, `fs.read_file`,
/// `LANDLOCK_ACCESS_FS_READ_FILE`).
fn constants(family: Option<Family>, word: &str) -> Vec<String> {
    let fams: Vec<Family> = family.map_or(Family::ALL.to_vec(), |f| vec![f]);
    let mut v = Vec::new();
    for f in fams {
        for r in f.rights() {
            if word.contains('.') {
                v.push(format!("{}.{}", f.short(), r.name.to_ascii_lowercase()));
            } else if word.starts_with("LANDLOCK_") {
                v.push(format!("{}{}", f.uapi_prefix(), r.name));
            } else {
                v.push(r.name.to_string());
            }
        }
        for g in GROUPS {
            if lookup_constant(g.name).is_some_and(|(gf, _)| gf == f) {
                v.push(g.name.to_string());
            }
        }
    }
    v
}

fn maps(text: &str, session: &[String]) -> Vec<String> {
    let mut v: Vec<String> = session.to_vec();
    v.extend(
        tokens(text).into_iter().filter(|t| t.kind == Kind::Map).map(|t| text[t.start..t.end].to_string()),
    );
    v
}

fn vars(text: &str) -> Vec<String> {
    tokens(text)
        .into_iter()
        .filter(|t| t.kind == Kind::Var)
        .map(|t| text[t.start..t.end].to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<String> {
        complete(text, &["@denials".to_string()]).1
    }

    #[test]
    fn events_after_on() {
        assert!(names("on deny_a").contains(&"deny_access_fs".to_string()));
        assert!(names("on deny_a").contains(&"deny_access_net".to_string()));
        assert!(names("on create_ruleset, add_rule_").contains(&"add_rule_fs".to_string()));
        assert_eq!(names("on create_rul"), ["create_ruleset"]);
    }

    #[test]
    fn fields_of_the_clause_being_typed() {
        let c = names("on deny_access_fs where pa");
        assert_eq!(c, ["path"]);
        // A field of the other events only is not offered.
        assert!(names("on deny_access_net where pa").is_empty());
        // Multi-event clause: fields all its events have.
        let c = names("on deny_access_fs, deny_access_net where ");
        assert!(c.contains(&"blockers".to_string()) && c.contains(&"domain".to_string()), "{c:?}");
        assert!(!c.contains(&"path".to_string()) && !c.contains(&"dport".to_string()), "{c:?}");
        // In the block, over several lines.
        let c = names("on add_rule_net {\n  @p[po");
        assert!(c.contains(&"port".to_string()) && !c.contains(&"path".to_string()), "{c:?}");
        assert!(names("on add_rule_net { pri").contains(&"printf(".to_string()));
    }

    #[test]
    fn constants_of_the_right_family() {
        let c = names("on create_ruleset where handled_net & ");
        assert!(c.contains(&"CONNECT_TCP".to_string()) && c.contains(&"NET_ALL".to_string()), "{c:?}");
        assert!(!c.contains(&"READ_FILE".to_string()), "{c:?}");
        let c = names("on deny_access_fs where has(blockers, REA");
        assert_eq!(c, ["READ_DIR", "READ_FILE"]);
        assert_eq!(names("on deny_access_fs where blockers & fs.read_f"), ["fs.read_file"]);
    }

    #[test]
    fn maps_vars_and_meta_commands() {
        assert_eq!(names("on deny_* { @de"), ["@denials"]);
        assert_eq!(names("on deny_* { $count = 1; print($c"), ["$count"]);
        assert_eq!(names(".ev"), [".events"]);
        assert_eq!(names(".fields deny_access_f"), ["deny_access_fs"]);
        assert_eq!(names(".rights n"), ["net"]);
        // A bare expression: any event's fields.
        assert!(names("pat").contains(&"path".to_string()));
        assert!(names("").contains(&"on".to_string()));
    }
}
