//! Diagnostics: every user-facing error or warning about a program.
//!
//! A [`Diag`] carries the program text, a label on the exact span, a
//! one-line message and, where a fix is likely, a help line. The checker
//! collects them in a `Vec` so one run reports every problem; only the
//! binary renders them (with miette's graphical handler).

use landtrace_grammar::{Span, SyntaxError};
use miette::{LabeledSpan, NamedSource, Severity, SourceSpan};
use std::sync::Arc;

/// The text of a program and the name it is shown under (`-e`, a file).
pub type Source = NamedSource<Arc<str>>;

pub fn source(name: &str, text: &str) -> Source {
    NamedSource::new(name, Arc::from(text))
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct Diag {
    pub message: String,
    pub src: Source,
    pub span: SourceSpan,
    pub label: String,
    pub secondary: Vec<LabeledSpan>,
    pub help: Option<String>,
    pub severity: Severity,
}

impl miette::Diagnostic for Diag {
    fn severity(&self) -> Option<Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.src)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let primary = LabeledSpan::new_primary_with_span(Some(self.label.clone()), self.span);
        Some(Box::new(std::iter::once(primary).chain(self.secondary.iter().cloned())))
    }
}

impl Diag {
    pub fn error(src: &Source, span: Span, message: impl Into<String>, label: impl Into<String>) -> Diag {
        Diag {
            message: message.into(),
            src: src.clone(),
            span: span.into(),
            label: label.into(),
            secondary: Vec::new(),
            help: None,
            severity: Severity::Error,
        }
    }

    pub fn warning(src: &Source, span: Span, message: impl Into<String>, label: impl Into<String>) -> Diag {
        Diag { severity: Severity::Warning, ..Diag::error(src, span, message, label) }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diag {
        self.help = Some(help.into());
        self
    }

    pub fn with_secondary(mut self, span: Span, label: impl Into<String>) -> Diag {
        self.secondary.push(LabeledSpan::new_with_span(Some(label.into()), SourceSpan::from(span)));
        self
    }

    /// Where the labelled span starts, for ordering and de-duplication.
    pub fn span_start(&self) -> usize {
        self.span.offset()
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    pub fn from_syntax(src: &Source, e: SyntaxError) -> Diag {
        let d = Diag::error(src, e.span, e.message, e.label);
        match e.help {
            Some(h) => d.with_help(h),
            None => d,
        }
    }

    /// The byte span of the main label.
    pub fn span(&self) -> Span {
        Span::new(self.span.offset(), self.span.offset() + self.span.len())
    }
}

/// Levenshtein distance between two names.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The closest candidate to `name`, if close enough to be a likely typo.
pub fn closest<'a, I>(name: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    let lower = name.to_ascii_lowercase();
    let limit = (name.chars().count() / 3).max(1) + 1;
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        if c == name {
            continue;
        }
        let d = if c.to_ascii_lowercase() == lower {
            0
        } else {
            edit_distance(&lower, &c.to_ascii_lowercase()) + 1
        };
        if d <= limit && best.is_none_or(|(bd, bc)| d < bd || (d == bd && c < bc)) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let events = ["create_ruleset", "free_ruleset", "add_rule_fs"];
        assert_eq!(closest("create_rulset", events).as_deref(), Some("create_ruleset"));
        assert_eq!(closest("READ_FIEL", ["READ_FILE", "READ_DIR"]).as_deref(), Some("READ_FILE"));
        assert_eq!(closest("read_file", ["READ_FILE"]).as_deref(), Some("READ_FILE"));
        assert_eq!(closest("zzz", events), None);
    }
}
