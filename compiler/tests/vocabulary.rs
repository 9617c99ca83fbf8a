//! The language's vocabulary (`landtrace_grammar::words`) and the checker
//! agree: every function, aggregation and statement the list names is one
//! the checker knows, in the place the list says, and nothing else is.

use landtrace_compiler::{CheckOptions, compile};
use landtrace_grammar::words::{CALLABLES, CallKind};

fn messages(src: &str) -> String {
    match compile(src, "-e", &CheckOptions::default()) {
        Ok(_) => String::new(),
        Err(diags) => diags.iter().map(|d| format!("{}\n", d.message)).collect(),
    }
}

#[test]
fn every_listed_callable_is_known_where_the_list_says() {
    for c in CALLABLES {
        let n = c.name;
        let (good, wrong) = match c.kind {
            CallKind::Function => (
                format!("on deny_access_fs where {n}(path) {{ }}"),
                format!("on deny_access_fs {{ {n}(path) }}"),
            ),
            CallKind::Aggregation => (
                format!("on deny_access_fs {{ @x = {n}(ino) }}"),
                format!("on deny_access_fs where {n}(ino) {{ }}"),
            ),
            CallKind::Statement => (
                format!("on deny_access_fs {{ {n}(path) }}"),
                format!("on deny_access_fs where {n}(path) {{ }}"),
            ),
        };
        let m = messages(&good);
        assert!(!m.contains("unknown") && !m.contains("not a value"), "{n} in {good}: {m}");
        let m = messages(&wrong);
        assert!(!m.is_empty(), "{n} is accepted where it does not belong: {wrong}");
    }
}

#[test]
fn a_name_not_listed_is_unknown() {
    assert!(messages("on deny_access_fs where frobnicate(path) { }").contains("unknown function"));
}
