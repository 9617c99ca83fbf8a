//! The language's vocabulary: its keywords and the names of its functions,
//! aggregations and statements. The one list the parser, the checker, the
//! REPL's completer and highlighter and the editor grammars use; a test
//! checks it against the pest grammar (`landtrace.pest`).

/// Where a keyword is used.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Role {
    /// Starts a top-level item: a clause or a definition.
    Item,
    /// Starts a definition (`macro`, `list`); also an item.
    Definition,
    /// Inside a clause: filters, operators, literals, `if`/`else`.
    Expr,
}

pub struct Keyword {
    pub word: &'static str,
    pub role: Role,
}

const fn kw(word: &'static str, role: Role) -> Keyword {
    Keyword { word, role }
}

/// Every reserved word, in the order the grammar's `keyword` rule lists
/// them. None can be a name.
pub static KEYWORDS: &[Keyword] = &[
    kw("on", Role::Item),
    kw("where", Role::Expr),
    kw("BEGIN", Role::Item),
    kw("END", Role::Item),
    kw("every", Role::Item),
    kw("list", Role::Definition),
    kw("macro", Role::Definition),
    kw("if", Role::Expr),
    kw("else", Role::Expr),
    kw("not", Role::Expr),
    kw("and", Role::Expr),
    kw("or", Role::Expr),
    kw("in", Role::Expr),
    kw("true", Role::Expr),
    kw("false", Role::Expr),
];

/// Whether `word` is reserved.
pub fn is_keyword(word: &str) -> bool {
    KEYWORDS.iter().any(|k| k.word == word)
}

/// Whether `word` starts a top-level item (a clause or a definition).
pub fn starts_item(word: &str) -> bool {
    KEYWORDS.iter().any(|k| k.word == word && matches!(k.role, Role::Item | Role::Definition))
}

/// Whether `word` starts a definition (`macro`, `list`).
pub fn starts_definition(word: &str) -> bool {
    KEYWORDS.iter().any(|k| k.word == word && k.role == Role::Definition)
}

/// The keywords of one role (`Item` includes definitions).
pub fn keywords(role: Role) -> impl Iterator<Item = &'static str> {
    KEYWORDS
        .iter()
        .filter(move |k| k.role == role || (role == Role::Item && k.role == Role::Definition))
        .map(|k| k.word)
}

/// The kind of a callable name.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CallKind {
    /// Usable in any expression.
    Function,
    /// Only as the value assigned to a map (`@x = count()`).
    Aggregation,
    /// Only as a statement in a block.
    Statement,
}

pub struct Callable {
    pub name: &'static str,
    pub kind: CallKind,
    /// Whether it takes no arguments (completion writes `exit()`).
    pub nullary: bool,
}

const fn call(name: &'static str, kind: CallKind, nullary: bool) -> Callable {
    Callable { name, kind, nullary }
}

/// Every function, aggregation and statement the checker knows.
pub static CALLABLES: &[Callable] = &[
    call("has", CallKind::Function, false),
    call("any", CallKind::Function, false),
    call("starts_with", CallKind::Function, false),
    call("ends_with", CallKind::Function, false),
    call("contains", CallKind::Function, false),
    call("len", CallKind::Function, false),
    call("basename", CallKind::Function, false),
    call("dirname", CallKind::Function, false),
    call("hex", CallKind::Function, false),
    call("rights", CallKind::Function, false),
    call("popcount", CallKind::Function, false),
    call("str", CallKind::Function, false),
    call("count", CallKind::Aggregation, true),
    call("sum", CallKind::Aggregation, false),
    call("min", CallKind::Aggregation, false),
    call("max", CallKind::Aggregation, false),
    call("avg", CallKind::Aggregation, false),
    call("stats", CallKind::Aggregation, false),
    call("hist", CallKind::Aggregation, false),
    call("lhist", CallKind::Aggregation, false),
    call("print", CallKind::Statement, false),
    call("printf", CallKind::Statement, false),
    call("clear", CallKind::Statement, false),
    call("delete", CallKind::Statement, false),
    call("exit", CallKind::Statement, true),
];

/// The names of one kind of callable.
pub fn callables(kind: CallKind) -> impl Iterator<Item = &'static str> + Clone {
    CALLABLES.iter().filter(move |c| c.kind == kind).map(|c| c.name)
}

/// What `name` is, if the language knows it.
pub fn callable(name: &str) -> Option<&'static Callable> {
    CALLABLES.iter().find(|c| c.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRAMMAR: &str = include_str!("landtrace.pest");

    /// The words between the quotes of a pest rule's body.
    fn rule_words(rule: &str) -> Vec<&'static str> {
        let start = GRAMMAR.find(&format!("\n{rule} ")).unwrap_or_else(|| panic!("rule {rule}"));
        let body = &GRAMMAR[start..];
        let body = &body[..body[1..].find("\n}").map_or(body.len(), |i| i + 2)];
        body.split('"').skip(1).step_by(2).collect()
    }

    #[test]
    fn the_keyword_list_is_the_grammars() {
        let words: Vec<&str> = KEYWORDS.iter().map(|k| k.word).collect();
        assert_eq!(rule_words("keyword"), words, "landtrace.pest's `keyword` rule and KEYWORDS differ");
        for w in &words {
            let rule = format!("kw_{} ", w.to_lowercase());
            assert!(GRAMMAR.contains(&format!("\n{rule}")), "no {rule}rule for {w}");
        }
    }

    #[test]
    fn items_start_with_item_keywords() {
        for w in keywords(Role::Item) {
            assert!(starts_item(w));
        }
        assert!(starts_definition("macro") && starts_definition("list") && !starts_definition("on"));
        assert!(!starts_item("where") && is_keyword("where") && !is_keyword("path"));
    }
}
