//! The line editor on a terminal (rustyline): completion, highlighting,
//! hints from history, a continuation prompt while an entry is unfinished,
//! and history kept in `$XDG_STATE_HOME/landtrace/history`.

use super::complete::complete;
use super::highlight::highlight;
use super::{Session, is_complete};
use crate::report;
use crate::run::Outcome;
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::config::{ColorMode, CompletionType, Config};
use rustyline::error::ReadlineError;
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::{Hinter, HistoryHinter};
use rustyline::history::FileHistory;
use rustyline::validate::Validator;
use rustyline::{Context, Editor, Helper};
use std::borrow::Cow;
use std::cell::RefCell;
use std::ops::Range;
use std::path::PathBuf;
use std::rc::Rc;

const PROMPT: &str = "landtrace> ";
const CONTINUATION: &str = "       ... ";

/// What the helper knows beyond the line being edited.
#[derive(Default)]
struct EditState {
    /// The lines of the entry before this one (each ending in `\n`).
    prefix: String,
    /// The session's map names.
    maps: Vec<String>,
}

struct LtHelper {
    state: Rc<RefCell<EditState>>,
    files: FilenameCompleter,
    hints: HistoryHinter,
}

impl Completer for LtHelper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let state = self.state.borrow();
        let head = line[..pos].trim_start();
        if state.prefix.is_empty()
            && (head.starts_with(".source ") || head.starts_with(".save "))
            && !matches!(head.split_whitespace().nth(1), Some("live" | "compat" | "audit" | "tracepoint"))
        {
            return self.files.complete(line, pos, ctx);
        }
        let text = format!("{}{}", state.prefix, &line[..pos]);
        let (start, words) = complete(&text, &state.maps);
        let start = start.saturating_sub(state.prefix.len()).min(pos);
        Ok((start, words.into_iter().map(|w| Pair { display: w.clone(), replacement: w }).collect()))
    }
}

impl Hinter for LtHelper {
    type Hint = String;

    fn hint(&self, line: &str, pos: usize, ctx: &Context<'_>) -> Option<String> {
        if !self.state.borrow().prefix.is_empty() {
            return None;
        }
        self.hints.hint(line, pos, ctx)
    }
}

impl Highlighter for LtHelper {
    fn highlight<'l>(&self, line: &'l str, pos: usize) -> Cow<'l, str> {
        let prefix = self.state.borrow().prefix.clone();
        let error = marked_error(&prefix, line, pos);
        Cow::Owned(highlight(line, error))
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        Cow::Owned(format!("\x1b[2m{hint}\x1b[0m"))
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        true
    }
}

impl Validator for LtHelper {}

impl Helper for LtHelper {}

/// The span to mark in `line` (the cursor at `pos`): that of the entry's
/// first error, unless it is only the entry not being finished yet.
fn marked_error(prefix: &str, line: &str, pos: usize) -> Option<Range<usize>> {
    let (span, syntax) = error_span(prefix, line)?;
    let at_end = pos == line.len() && span.end >= line.trim_end().len();
    // `on deny_acc`: the word at the cursor is still being typed.
    let typing = line.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    // `where `, `handled_fs & `: the parser wants what comes next.
    (!(at_end && (typing || syntax))).then_some(span)
}

/// The span (in `line`) of the first error of the entry, once the entry is
/// complete: a syntax or type error, as the checker would report it, and
/// whether it is a syntax error.
fn error_span(prefix: &str, line: &str) -> Option<(Range<usize>, bool)> {
    let entry = format!("{prefix}{line}");
    if line.trim_start().starts_with('.')
        || entry.len() > 4096
        || !is_complete(&entry)
        || entry.trim().is_empty()
    {
        return None;
    }
    let program = super::as_program(&entry);
    let (span, syntax) = match landtrace_grammar::parse_program(&program) {
        Err(errs) => (errs.first().map(|e| e.span.start..e.span.end)?, true),
        Ok(ast) => {
            let src = landtrace_compiler::diag::source("entry", &program);
            let diags =
                landtrace_compiler::check(&ast, &src, &landtrace_compiler::CheckOptions::default()).err()?;
            let d = diags.iter().find(|d| d.is_error())?;
            let s = d.span();
            (s.start..s.end, false)
        }
    };
    // A filter expression was put after a clause head: back to offsets of
    // the entry, then of this line.
    let (shift, lead) = if program == entry {
        (0, 0)
    } else {
        (program.len() - entry.trim().len(), entry.len() - entry.trim_start().len())
    };
    let to_entry = |p: usize| p.checked_sub(shift).map(|q| q + lead);
    let start = to_entry(span.start)?;
    let end = to_entry(span.end).unwrap_or(start);
    let start = start.checked_sub(prefix.len())?;
    let end = end.saturating_sub(prefix.len()).min(line.len());
    (start < line.len()).then(|| (start..end.max(start + 1), syntax))
}

/// `$XDG_STATE_HOME/landtrace/history` (or `~/.local/state/...`).
fn history_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))?;
    Some(base.join("landtrace").join("history"))
}

/// Saves the history as a new 0600 file renamed over the old one, so a
/// link planted at its path is never followed.
fn save_history(rl: &mut Editor<LtHelper, FileHistory>, p: &std::path::Path) -> std::io::Result<()> {
    crate::files::not_a_link(p)?;
    let (tmp, file) = crate::files::create_beside(p, 0o600)?;
    drop(file);
    let saved = rl.save_history(&tmp).map_err(std::io::Error::other).and_then(|()| std::fs::rename(&tmp, p));
    if saved.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    saved
}

pub fn interactive(s: &mut Session) -> Outcome {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .auto_add_history(false)
        .color_mode(if no_color { ColorMode::Disabled } else { ColorMode::Enabled })
        .build();
    let mut rl: Editor<LtHelper, FileHistory> = match Editor::with_config(config) {
        Ok(rl) => rl,
        Err(e) => {
            report::error(&format!("cannot start the line editor: {e}"));
            return Outcome::RuntimeFailure;
        }
    };
    let state = Rc::new(RefCell::new(EditState::default()));
    rl.set_helper(Some(LtHelper {
        state: state.clone(),
        files: FilenameCompleter::new(),
        hints: HistoryHinter::new(),
    }));
    let mut history = history_path();
    if let Some(p) = &history {
        if let Err(e) = crate::files::not_a_link(p) {
            report::warning(&format!("{e}: the history is not kept"));
            history = None;
        } else {
            if let Some(dir) = p.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let _ = rl.load_history(p);
        }
    }
    s.greet();
    while !s.quit {
        {
            let mut st = state.borrow_mut();
            st.prefix.clear();
            st.maps = s.map_names();
        }
        let mut entry = String::new();
        let mut prompt = PROMPT;
        let entry = loop {
            match rl.readline(prompt) {
                Ok(line) => {
                    entry.push_str(&line);
                    if is_complete(&entry) {
                        break Some(entry);
                    }
                    entry.push('\n');
                    state.borrow_mut().prefix.clone_from(&entry);
                    prompt = CONTINUATION;
                }
                // Ctrl-C abandons the entry being typed.
                Err(ReadlineError::Interrupted) => break None,
                Err(ReadlineError::Eof) if entry.is_empty() => {
                    s.quit = true;
                    break None;
                }
                Err(ReadlineError::Eof) => break None,
                Err(e) => {
                    report::error(&format!("reading the entry: {e}"));
                    s.quit = true;
                    break None;
                }
            }
        };
        let Some(entry) = entry else { continue };
        if entry.trim().is_empty() {
            continue;
        }
        let _ = rl.add_history_entry(entry.trim());
        if let Some(p) = &history
            && let Err(e) = save_history(&mut rl, p)
        {
            report::warning(&format!("cannot save the history in {}: {e}", p.display()));
        }
        s.entry(&entry);
    }
    Outcome::Success
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(line: &str) -> Option<Range<usize>> {
        marked_error("", line, line.len())
    }

    #[test]
    fn errors_are_marked_once_their_part_is_typed() {
        // Words still being typed, and entries the parser wants more of,
        // are not errors yet.
        assert_eq!(shown("o"), None);
        assert_eq!(shown("on deny_acc"), None);
        assert_eq!(shown("on deny_access_fs where "), None);
        assert_eq!(shown("on create_ruleset where handled_net & "), None);
        assert_eq!(shown("on create_ruleset where handled_net & READ_FI"), None);
        // Finished words are.
        assert_eq!(shown("on deny_acc "), Some(3..11));
        assert_eq!(shown("on deny_access_net where pth == 1"), Some(25..28));
        let line = "on create_ruleset where handled_net & READ_FILE";
        assert_eq!(shown(&format!("{line} ")), Some(38..47));
        assert_eq!(marked_error("", line, 10), Some(38..47), "the cursor moved away");
        // A syntax error before the end is marked.
        assert_eq!(shown("on deny_access_fs where pid == == 1"), Some(31..32));
        // In a continued entry, spans are those of the line being edited.
        assert_eq!(shown_in("on deny_access_fs {\n", "  print(pth) }"), Some(8..11));
    }

    fn shown_in(prefix: &str, line: &str) -> Option<Range<usize>> {
        marked_error(prefix, line, line.len())
    }
}
