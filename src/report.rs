//! Messages on stderr: rendered diagnostics, errors and warnings.

use landtrace_compiler::Diag;
use miette::{GraphicalReportHandler, GraphicalTheme};
use std::io::{IsTerminal, Write};

fn color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Renders one diagnostic as text: the source, a label on the span, the
/// message and the help line.
pub fn render(d: &Diag, color: bool) -> String {
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let mut out = String::new();
    GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .render_report(&mut out, d)
        .expect("rendering to a string");
    out
}

pub fn diagnostics(diags: &[Diag]) {
    let color = color();
    let mut err = std::io::stderr().lock();
    for d in diags {
        let _ = write!(err, "{}", render(d, color));
    }
    let errors = diags.iter().filter(|d| d.is_error()).count();
    if errors > 1 {
        let _ = writeln!(err, "landtrace: {errors} errors");
    }
}

// Messages may carry untrusted bytes (file names, a trace's event names):
// their control characters are shown, never sent to the terminal.
use landtrace_event::escape::message;

pub fn error(msg: &str) {
    let _ = writeln!(std::io::stderr(), "landtrace: error: {}", message(msg, true));
}

pub fn warning(msg: &str) {
    let _ = writeln!(std::io::stderr(), "landtrace: warning: {}", message(msg, true));
}

static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `-q`: informational lines ([`note`]) are not printed.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, std::sync::atomic::Ordering::Relaxed);
}

pub fn quiet() -> bool {
    QUIET.load(std::sync::atomic::Ordering::Relaxed)
}

/// An informational line (not with `-q`).
pub fn note(msg: &str) {
    if !quiet() {
        let _ = writeln!(std::io::stderr(), "landtrace: {}", message(msg, true));
    }
}

static STDOUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Writes to standard output. A closed pipe (`landtrace ... | head`) is
/// not an error: it is remembered ([`stdout_closed`]), and what follows is
/// dropped quietly.
pub fn out(text: &str) {
    if stdout_closed() {
        return;
    }
    let mut o = std::io::stdout().lock();
    if let Err(e) = o.write_all(text.as_bytes()).and_then(|()| o.flush()) {
        write_failed(&e);
    }
}

/// Whether standard output's reader has gone away.
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(std::sync::atomic::Ordering::Relaxed)
}

/// What a failed write to standard output means: a closed pipe ends the
/// output quietly (success); anything else is an error.
pub fn write_failed(e: &std::io::Error) -> crate::run::Outcome {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        STDOUT_CLOSED.store(true, std::sync::atomic::Ordering::Relaxed);
        crate::run::Outcome::Success
    } else {
        error(&format!("writing: {e}"));
        crate::run::Outcome::RuntimeFailure
    }
}
