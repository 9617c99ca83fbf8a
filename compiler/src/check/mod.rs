//! The checker: resolves every name of a parsed program against the schema,
//! types every expression, and produces a [`typed::Program`].
//!
//! Every problem is collected as a [`Diag`], so one run reports them all.
//! Maps may be read before the clause that assigns them (an `every` clause
//! printing what a later `on` clause counts), so checking runs in passes:
//! the first ones (up to four, until no new map is learnt: a map whose value
//! reads another may need another) only learn what each map holds, the
//! last reports.

mod expr;
mod labels;
mod names;
mod stmt;

pub use labels::derived_labels;

use crate::diag::{Diag, Source, closest};
use crate::format::Format;
use crate::pattern::{Pattern, PatternError};
use crate::typed::{self, Body, Clause, ClauseKind, FormatId, MapDecl, MapId, PatternId, Type};
use landtrace_event::schema::{EVENTS, EventKind};
use landtrace_grammar::Span;
use landtrace_grammar::ast;
use std::collections::HashMap;

/// What the checker needs besides the program.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    /// Script arguments `$1`...`$9`.
    pub args: Vec<String>,
}

/// The result of a successful check: the typed program and any warnings.
pub struct Checked {
    pub program: typed::Program,
    pub warnings: Vec<Diag>,
    /// The highest script argument the program reads (`$3`: 3).
    pub args_used: u32,
}

/// Checks a parsed program. On failure returns every error (and warning).
pub fn check(program: &ast::Program, src: &Source, opts: &CheckOptions) -> Result<Checked, Vec<Diag>> {
    let mut c = Checker::new(program, src, opts);
    // Learn what every map holds; a map whose value reads another map may
    // need a second round.
    c.report = false;
    let mut known = usize::MAX;
    for _ in 0..4 {
        c.run(program);
        if c.maps.len() == known {
            break;
        }
        known = c.maps.len();
        c.patterns.clear();
        c.formats.clear();
    }
    c.reset_for_reporting();
    let clauses = c.run(program);
    let (errors, warnings): (Vec<Diag>, Vec<Diag>) = c.diags.into_iter().partition(Diag::is_error);
    if !errors.is_empty() {
        let mut all = errors;
        all.extend(warnings);
        all.sort_by_key(|d| d.span().start);
        return Err(all);
    }
    Ok(Checked {
        args_used: c.args_used,
        program: typed::Program { clauses, maps: c.maps, patterns: c.patterns, formats: c.formats },
        warnings,
    })
}

pub(crate) struct Checker<'a> {
    src: &'a Source,
    text: &'a str,
    program: &'a ast::Program,
    diags: Vec<Diag>,
    /// False in the first pass: diagnostics are dropped.
    report: bool,
    args: &'a [String],
    args_used: u32,
    /// Macro uses expanded in this pass (bounded: macros that use each
    /// other twice over grow exponentially).
    expansions: usize,
    macros: HashMap<&'a str, &'a ast::MacroDef>,
    lists: HashMap<&'a str, &'a ast::ListDef>,
    maps: Vec<MapDecl>,
    map_ids: HashMap<String, MapId>,
    patterns: Vec<Pattern>,
    /// Compiled patterns by (is regex, text), shared by the passes.
    pattern_cache: HashMap<(bool, Vec<u8>), Result<Pattern, PatternError>>,
    formats: Vec<Format>,
    scope: Scope,
}

/// What is visible while checking one clause.
#[derive(Default)]
struct Scope {
    /// The clause's events; empty in BEGIN, END and every.
    events: Vec<EventKind>,
    /// "BEGIN", "END" or "every" for clauses without an event.
    no_event: Option<&'static str>,
    in_block: bool,
    /// The clause's events could not be resolved: accept any field.
    lenient: bool,
    vars: Vec<(String, Type)>,
    /// Macros being expanded, innermost last, with the span of each use.
    macro_stack: Vec<(String, Span)>,
}

impl<'a> Checker<'a> {
    fn new(program: &'a ast::Program, src: &'a Source, opts: &'a CheckOptions) -> Checker<'a> {
        let text: &'a str = src.inner();
        let mut c = Checker {
            src,
            text,
            program,
            diags: Vec::new(),
            report: true,
            args: &opts.args,
            args_used: 0,
            expansions: 0,
            macros: HashMap::new(),
            lists: HashMap::new(),
            maps: Vec::new(),
            map_ids: HashMap::new(),
            patterns: Vec::new(),
            pattern_cache: HashMap::new(),
            formats: Vec::new(),
            scope: Scope::default(),
        };
        c.collect_definitions(program);
        c
    }

    fn reset_for_reporting(&mut self) {
        self.report = true;
        self.diags.clear();
        self.patterns.clear();
        self.formats.clear();
        self.collect_definitions_diags();
    }

    /// Records macros and lists (diagnostics come in the reporting pass).
    fn collect_definitions(&mut self, program: &'a ast::Program) {
        for item in &program.items {
            match item {
                ast::Item::Macro(m) => {
                    self.macros.entry(m.name.name.as_str()).or_insert(m);
                }
                ast::Item::List(l) => {
                    self.lists.entry(l.name.name.as_str()).or_insert(l);
                }
                _ => {}
            }
        }
    }

    fn collect_definitions_diags(&mut self) {
        let mut seen: HashMap<&str, Span> = HashMap::new();
        let defs: Vec<(&'a ast::Ident, &'static str)> = self
            .program
            .items
            .iter()
            .filter_map(|i| match i {
                ast::Item::Macro(m) => Some((&m.name, "macro")),
                ast::Item::List(l) => Some((&l.name, "list")),
                _ => None,
            })
            .collect();
        for (name, what) in defs {
            if let Some(prev) = seen.get(name.name.as_str()) {
                let d = self
                    .err(name.span, format!("`{}` is defined twice", name.name), "defined again here")
                    .with_secondary(*prev, "first defined here");
                self.push(d);
                continue;
            }
            seen.insert(&name.name, name.span);
            if let Some(kind) = Self::reserved(&name.name) {
                let d = self.err(
                    name.span,
                    format!("{what} `{}` would hide the {kind} of the same name", name.name),
                    "choose another name",
                );
                self.push(d);
            }
        }
    }

    /// What a macro or list name would shadow.
    fn reserved(name: &str) -> Option<&'static str> {
        if landtrace_event::schema::Builtin::lookup(name).is_some() {
            Some("builtin")
        } else if landtrace_event::schema::FieldId::lookup(name).is_some() {
            Some("field")
        } else if landtrace_event::schema::lookup_constant(name).is_some() {
            Some("constant")
        } else {
            None
        }
    }

    fn run(&mut self, program: &'a ast::Program) -> Vec<Clause> {
        self.expansions = 0;
        let mut clauses = Vec::new();
        for item in &program.items {
            let clause = match item {
                ast::Item::On(on) => self.on_clause(on),
                ast::Item::Begin(b) => Some(self.event_free_clause(ClauseKind::Begin, "BEGIN", b, b.span)),
                ast::Item::End(b) => Some(self.event_free_clause(ClauseKind::End, "END", b, b.span)),
                ast::Item::Every(e) => {
                    if e.period_ns < 1_000_000 {
                        let d =
                            self.err(e.period_span, "an `every` period must be at least 1ms", "too short");
                        self.push(d);
                    }
                    Some(self.event_free_clause(ClauseKind::Every(e.period_ns), "every", &e.block, e.span))
                }
                ast::Item::List(l) => {
                    self.check_list_def(l);
                    None
                }
                ast::Item::Macro(_) => None,
            };
            clauses.extend(clause);
        }
        clauses
    }

    fn on_clause(&mut self, on: &'a ast::OnClause) -> Option<Clause> {
        let resolved = self.resolve_events(&on.events);
        // With an unknown event, still check the rest of the clause so one
        // run reports every error, accepting any field name.
        let events = resolved.clone().unwrap_or_default();
        self.scope = Scope { events: events.clone(), lenient: resolved.is_none(), ..Scope::default() };
        let predicate = on.predicate.as_ref().and_then(|p| self.condition(p));
        let body = match &on.block {
            None => Body::PrintEvent,
            Some(b) => {
                self.scope.in_block = true;
                Body::Block(self.block(b))
            }
        };
        let vars = std::mem::take(&mut self.scope.vars);
        resolved?;
        Some(Clause { kind: ClauseKind::On(events), predicate, body, vars, span: on.span })
    }

    fn event_free_clause(
        &mut self,
        kind: ClauseKind,
        word: &'static str,
        block: &'a ast::Block,
        span: Span,
    ) -> Clause {
        self.scope = Scope { no_event: Some(word), in_block: true, ..Scope::default() };
        let stmts = self.block(block);
        let vars = std::mem::take(&mut self.scope.vars);
        Clause { kind, predicate: None, body: Body::Block(stmts), vars, span }
    }

    /// Resolves `on` event names and globs, in order, without duplicates.
    fn resolve_events(&mut self, names: &[ast::Ident]) -> Option<Vec<EventKind>> {
        let mut out: Vec<EventKind> = Vec::new();
        let mut ok = true;
        for ident in names {
            let name = ident.name.strip_prefix("landlock_").unwrap_or(&ident.name);
            if name.contains(['*', '?']) {
                let matched = landtrace_event::schema::events_matching(name);
                if matched.is_empty() {
                    let d = self
                        .err(ident.span, format!("no event matches `{}`", ident.name), "matches nothing")
                        .with_help(format!("events: {}", event_list()));
                    self.push(d);
                    ok = false;
                }
                for k in matched {
                    if !out.contains(&k) {
                        out.push(k);
                    }
                }
            } else if let Some(k) = EventKind::lookup(name) {
                if !out.contains(&k) {
                    out.push(k);
                }
            } else {
                let names =
                    EVENTS.iter().flat_map(|e| std::iter::once(e.name).chain(e.aliases.iter().copied()));
                let help = match closest(name, names) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("events: {}", event_list()),
                };
                let d = self
                    .err(ident.span, format!("unknown event `{}`", ident.name), "not a Landlock event")
                    .with_help(help);
                self.push(d);
                ok = false;
            }
        }
        ok.then_some(out)
    }

    fn check_list_def(&mut self, l: &'a ast::ListDef) {
        self.scope = Scope::default();
        for el in &l.elems {
            let _ = self.list_elem_const(el);
        }
    }

    // --- shared helpers -------------------------------------------------

    fn err(&self, span: Span, message: impl Into<String>, label: impl Into<String>) -> Diag {
        Diag::error(self.src, span, message, label)
    }

    fn push(&mut self, mut d: Diag) {
        if !self.report {
            return;
        }
        if let Some((name, use_span)) = self.scope.macro_stack.first() {
            d = d.with_secondary(*use_span, format!("in this use of macro `{name}`"));
        }
        self.diags.push(d);
    }

    fn text(&self, span: Span) -> &'a str {
        self.text.get(span.start..span.end).unwrap_or("")
    }

    fn add_pattern(&mut self, p: Pattern) -> PatternId {
        self.patterns.push(p);
        PatternId(self.patterns.len() as u32 - 1)
    }

    fn add_format(&mut self, f: Format) -> FormatId {
        self.formats.push(f);
        FormatId(self.formats.len() as u32 - 1)
    }
}

fn event_list() -> String {
    EVENTS.iter().map(|e| e.name).collect::<Vec<_>>().join(", ")
}
