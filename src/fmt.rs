//! `landtrace fmt`: scripts in the canonical layout of
//! `landtrace_grammar::format`, rewritten in place or checked.

use crate::report;
use crate::run::Outcome;
use landtrace_compiler::{Diag, diag};
use std::io::{Read, Write};
use std::path::Path;

/// Formats each file in place (none, or `-`: standard input to standard
/// output); with `check`, changes nothing and reports the files that are
/// not formatted. A script with a syntax error is reported and left as it
/// is; the others are still formatted.
pub fn run(check: bool, files: &[String]) -> Outcome {
    if files.is_empty() {
        return one("-", check);
    }
    files.iter().map(|f| one(f, check)).fold(Outcome::Success, worse)
}

fn worse(a: Outcome, b: Outcome) -> Outcome {
    match (a, b) {
        (Outcome::Invalid, _) | (_, Outcome::Invalid) => Outcome::Invalid,
        (Outcome::RuntimeFailure, _) | (_, Outcome::RuntimeFailure) => Outcome::RuntimeFailure,
        _ => Outcome::Success,
    }
}

fn one(path: &str, check: bool) -> Outcome {
    let stdin = path == "-";
    let name = if stdin { "<stdin>" } else { path };
    let text = if stdin {
        let mut t = String::new();
        std::io::stdin().read_to_string(&mut t).map(|_| t)
    } else {
        std::fs::read_to_string(path)
    };
    let text = match text {
        Ok(t) => t,
        Err(e) => {
            report::error(&format!("cannot read {name}: {e}"));
            return Outcome::RuntimeFailure;
        }
    };
    let formatted = match landtrace_grammar::format::format(&text) {
        Ok(f) => f,
        Err(errors) => {
            let src = diag::source(name, &text);
            let diags: Vec<Diag> = errors.into_iter().map(|e| Diag::from_syntax(&src, e)).collect();
            report::diagnostics(&diags);
            return Outcome::Invalid;
        }
    };
    if check {
        if formatted == text {
            return Outcome::Success;
        }
        let (line, was, want) = first_difference(&text, &formatted);
        report::out(&format!(
            "{name}:{line}: not formatted\n  found:    {}\n  expected: {}\n",
            landtrace_event::escape::message(was, false),
            landtrace_event::escape::message(want, false)
        ));
        return Outcome::RuntimeFailure;
    }
    if stdin {
        let mut out = std::io::stdout().lock();
        return match out.write_all(formatted.as_bytes()).and_then(|()| out.flush()) {
            Ok(()) => Outcome::Success,
            Err(e) => report::write_failed(&e),
        };
    }
    if formatted == text {
        return Outcome::Success;
    }
    let p = Path::new(path);
    let mode =
        std::fs::metadata(p).map_or(0o644, |m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()));
    match crate::files::write_replacing(p, formatted.as_bytes(), mode & 0o7777) {
        Ok(()) => Outcome::Success,
        Err(e) => {
            report::error(&format!("cannot write {path}: {e}"));
            Outcome::RuntimeFailure
        }
    }
}

/// The first line (1-based) where two texts differ, and that line of each.
fn first_difference<'a>(a: &'a str, b: &'a str) -> (usize, &'a str, &'a str) {
    let (mut la, mut lb) = (a.lines(), b.lines());
    let mut n = 1;
    loop {
        match (la.next(), lb.next()) {
            (Some(x), Some(y)) if x == y => n += 1,
            (x, y) => return (n, x.unwrap_or("(end of file)"), y.unwrap_or("(end of file)")),
        }
    }
}
