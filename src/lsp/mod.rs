//! `landtrace lsp`: a Language Server Protocol server over stdio for `*.lt`
//! scripts (lsp-server for the transport, lsp-types for the messages).
//!
//! - diagnostics when a document is opened or changed: the checker's, with
//!   the same messages as the command line, their spans as ranges, and the
//!   help line and secondary labels as related information;
//! - completion: the REPL's context-aware completer (events after `on`,
//!   the fields of the clause being typed, constants of a mask's family,
//!   functions, maps, variables);
//! - hover: a field's type and meaning, an access right's bit and ABI, an
//!   event's fields and sources, functions, keywords, macros and lists;
//! - go to definition of `macro` and `list` names;
//! - formatting (`landtrace fmt`).

mod hover;
mod text;

use crate::repl::complete::complete_script;
use crate::run::Outcome;
use landtrace_compiler::Diag;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, Notification as _, PublishDiagnostics,
};
use lsp_types::request::{Completion, Formatting, GotoDefinition, HoverRequest, Request as _};
use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionOptions, CompletionParams, CompletionResponse,
    CompletionTextEdit, Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity,
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
    DocumentFormattingParams, GotoDefinitionParams, GotoDefinitionResponse, Hover, HoverContents,
    HoverParams, HoverProviderCapability, InitializeParams, Location, MarkupContent, MarkupKind, OneOf,
    PositionEncodingKind, PublishDiagnosticsParams, ServerCapabilities, ServerInfo,
    TextDocumentSyncCapability, TextDocumentSyncKind, TextEdit, Uri,
};
use std::collections::HashMap;
use text::{Encoding, LineIndex, word_at};

pub fn run() -> Outcome {
    let (conn, io) = Connection::stdio();
    let result = serve(&conn);
    drop(conn);
    let joined = io.join();
    match result.and_then(|()| joined.map_err(|e| e.to_string())) {
        Ok(()) => Outcome::Success,
        Err(e) => {
            crate::report::error(&format!("lsp: {e}"));
            Outcome::RuntimeFailure
        }
    }
}

fn serve(conn: &Connection) -> Result<(), String> {
    let (id, params) = conn.initialize_start().map_err(|e| e.to_string())?;
    let params: InitializeParams = serde_json::from_value(params).map_err(|e| format!("initialize: {e}"))?;
    // UTF-8 positions when the client can take them, else the default UTF-16.
    let utf8 = params
        .capabilities
        .general
        .and_then(|g| g.position_encodings)
        .is_some_and(|e| e.contains(&PositionEncodingKind::UTF8));
    let encoding = if utf8 { Encoding::Utf8 } else { Encoding::Utf16 };
    let caps = ServerCapabilities {
        position_encoding: Some(if utf8 { PositionEncodingKind::UTF8 } else { PositionEncodingKind::UTF16 }),
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(["@", "$", ".", "_"].map(String::from).to_vec()),
            ..CompletionOptions::default()
        }),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        ..ServerCapabilities::default()
    };
    let info = ServerInfo { name: "landtrace".into(), version: Some(env!("CARGO_PKG_VERSION").into()) };
    let reply = serde_json::json!({ "capabilities": caps, "serverInfo": info });
    conn.initialize_finish(id, reply).map_err(|e| e.to_string())?;
    let mut server = Server { conn, docs: HashMap::new(), encoding };
    for msg in &conn.receiver {
        match msg {
            Message::Request(req) => {
                if conn.handle_shutdown(&req).map_err(|e| e.to_string())? {
                    return Ok(());
                }
                server.request(req);
            }
            Message::Notification(n) => server.notification(n),
            Message::Response(_) => {}
        }
    }
    Ok(())
}

struct Server<'c> {
    conn: &'c Connection,
    /// Open documents by URI.
    docs: HashMap<String, String>,
    encoding: Encoding,
}

impl Server<'_> {
    fn send(&self, msg: Message) {
        // The client has gone away when this fails; the loop ends with it.
        let _ = self.conn.sender.send(msg);
    }

    fn notification(&mut self, n: Notification) {
        match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<DidOpenTextDocumentParams>(n.params) {
                    self.update(p.text_document.uri, p.text_document.text);
                }
            }
            DidChangeTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<DidChangeTextDocumentParams>(n.params) {
                    // Full sync: the last change holds the whole text.
                    if let Some(change) = p.content_changes.into_iter().last() {
                        self.update(p.text_document.uri, change.text);
                    }
                }
            }
            DidCloseTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<DidCloseTextDocumentParams>(n.params) {
                    self.docs.remove(p.text_document.uri.as_str());
                    self.publish(p.text_document.uri, Vec::new());
                }
            }
            _ => {}
        }
    }

    fn update(&mut self, uri: Uri, text: String) {
        let diags = diagnostics(&uri, &text, self.encoding);
        self.docs.insert(uri.as_str().to_string(), text);
        self.publish(uri, diags);
    }

    fn publish(&self, uri: Uri, diagnostics: Vec<Diagnostic>) {
        let params = PublishDiagnosticsParams { uri, diagnostics, version: None };
        self.send(Message::Notification(Notification::new(PublishDiagnostics::METHOD.into(), params)));
    }

    fn request(&mut self, req: Request) {
        let id = req.id.clone();
        let result = match req.method.as_str() {
            Completion::METHOD => self.with(req, |s, p: CompletionParams| {
                let pos = p.text_document_position;
                s.doc(&pos.text_document.uri).map(|t| completion(t, pos.position, s.encoding))
            }),
            HoverRequest::METHOD => self.with(req, |s, p: HoverParams| {
                let pos = p.text_document_position_params;
                s.doc(&pos.text_document.uri).and_then(|t| hover_at(t, pos.position, s.encoding))
            }),
            GotoDefinition::METHOD => self.with(req, |s, p: GotoDefinitionParams| {
                let pos = p.text_document_position_params;
                let uri = pos.text_document.uri;
                s.doc(&uri).and_then(|t| definition_at(t, pos.position, s.encoding, &uri))
            }),
            Formatting::METHOD => self.with(req, |s, p: DocumentFormattingParams| {
                s.doc(&p.text_document.uri).and_then(|t| formatting(t, s.encoding))
            }),
            _ => Err((ErrorCode::MethodNotFound, format!("landtrace lsp does not handle {}", req.method))),
        };
        let resp = match result {
            Ok(v) => Response::new_ok(id, v),
            Err((code, msg)) => Response::new_err(id, code as i32, msg),
        };
        self.send(Message::Response(resp));
    }

    /// Decodes a request's parameters and encodes its answer (`null` for
    /// `None`).
    fn with<P: serde::de::DeserializeOwned, R: serde::Serialize>(
        &self,
        req: Request,
        f: impl FnOnce(&Self, P) -> Option<R>,
    ) -> Result<serde_json::Value, (ErrorCode, String)> {
        let params: P = serde_json::from_value(req.params)
            .map_err(|e| (ErrorCode::InvalidParams, format!("{}: {e}", req.method)))?;
        Ok(serde_json::to_value(f(self, params)).expect("LSP types serialize"))
    }

    fn doc(&self, uri: &Uri) -> Option<&str> {
        self.docs.get(uri.as_str()).map(String::as_str)
    }
}

/// The name a document's diagnostics are shown under: its file name.
fn doc_name(uri: &Uri) -> String {
    let path = uri.path().as_str();
    path.rsplit('/').next().filter(|n| !n.is_empty()).unwrap_or(path).to_string()
}

/// The checker's diagnostics for a document. A script that reads `$1`...`$9`
/// is checked with placeholder arguments (numbers, or strings where
/// numbers do not check), since an editor has none to give.
fn diagnostics(uri: &Uri, text: &str, encoding: Encoding) -> Vec<Diagnostic> {
    let name = doc_name(uri);
    let diags = match landtrace_compiler::compile_with_placeholders(text, &name).0 {
        Ok(c) => c.warnings,
        Err(d) => d,
    };
    let idx = LineIndex::new(text, encoding);
    diags.iter().map(|d| to_lsp(d, uri, &idx)).collect()
}

fn to_lsp(d: &Diag, uri: &Uri, idx: &LineIndex<'_>) -> Diagnostic {
    let span = d.span();
    let range = idx.range(span.start, span.end);
    let mut related: Vec<DiagnosticRelatedInformation> = d
        .secondary
        .iter()
        .map(|l| DiagnosticRelatedInformation {
            location: Location::new(uri.clone(), idx.range(l.offset(), l.offset() + l.len())),
            message: l.label().unwrap_or_default().to_string(),
        })
        .collect();
    if let Some(help) = &d.help {
        related.push(DiagnosticRelatedInformation {
            location: Location::new(uri.clone(), range),
            message: format!("help: {help}"),
        });
    }
    let message = if d.label.is_empty() { d.message.clone() } else { format!("{} ({})", d.message, d.label) };
    Diagnostic {
        range,
        severity: Some(if d.is_error() { DiagnosticSeverity::ERROR } else { DiagnosticSeverity::WARNING }),
        source: Some("landtrace".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..Diagnostic::default()
    }
}

fn completion(text: &str, pos: lsp_types::Position, encoding: Encoding) -> CompletionResponse {
    let idx = LineIndex::new(text, encoding);
    let at = idx.offset(pos);
    let (start, words) = complete_script(&text[..at], text);
    let range = idx.range(start, at);
    let items = words
        .into_iter()
        .map(|w| {
            let (kind, detail) = describe(&w);
            CompletionItem {
                label: w.clone(),
                kind: Some(kind),
                detail,
                text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(range, w))),
                ..CompletionItem::default()
            }
        })
        .collect();
    CompletionResponse::Array(items)
}

/// A completion's kind and a one-line detail.
fn describe(word: &str) -> (CompletionItemKind, Option<String>) {
    use landtrace_event::schema::{BUILTINS, EventKind, FieldId, lookup_constant};
    let name = word.trim_end_matches(['(', ')']);
    if word.ends_with('(') || word.ends_with("()") {
        let doc = hover::CALL_DOCS.iter().find(|(n, _, _)| *n == name).map(|(_, sig, _)| (*sig).to_string());
        return (CompletionItemKind::FUNCTION, doc);
    }
    if word.starts_with('@') || word.starts_with('$') {
        return (CompletionItemKind::VARIABLE, None);
    }
    if let Some(k) = EventKind::lookup(word) {
        return (CompletionItemKind::EVENT, Some(k.def().doc.to_string()));
    }
    if let Some(b) = BUILTINS.iter().find(|b| b.name == word) {
        return (CompletionItemKind::PROPERTY, Some(format!("{} (builtin)", b.ty)));
    }
    if let Some(f) = FieldId::lookup(word) {
        return (CompletionItemKind::FIELD, Some(f.def().doc.to_string()));
    }
    if let Some((fam, bits)) = lookup_constant(word) {
        return (CompletionItemKind::CONSTANT, Some(format!("{} {bits:#x}", fam.noun())));
    }
    (CompletionItemKind::KEYWORD, None)
}

fn hover_at(text: &str, pos: lsp_types::Position, encoding: Encoding) -> Option<Hover> {
    let idx = LineIndex::new(text, encoding);
    let at = idx.offset(pos);
    let (start, end) = word_at(text, at)?;
    let program = landtrace_grammar::parse_program_recovering(text).program;
    let value = hover::hover(&program, text, &text[start..end], at)?;
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value }),
        range: Some(idx.range(start, end)),
    })
}

fn definition_at(
    text: &str,
    pos: lsp_types::Position,
    encoding: Encoding,
    uri: &Uri,
) -> Option<GotoDefinitionResponse> {
    let idx = LineIndex::new(text, encoding);
    let (start, end) = word_at(text, idx.offset(pos))?;
    let program = landtrace_grammar::parse_program_recovering(text).program;
    let (_, _, name) = hover::definition(&program, &text[start..end])?;
    Some(GotoDefinitionResponse::Scalar(Location::new(uri.clone(), idx.range(name.start, name.end))))
}

/// One edit replacing the whole document with its canonical layout (none
/// when it is formatted already; `null` when it has syntax errors, which
/// its diagnostics show).
fn formatting(text: &str, encoding: Encoding) -> Option<Vec<TextEdit>> {
    let formatted = landtrace_grammar::format::format(text).ok()?;
    if formatted == text {
        return Some(Vec::new());
    }
    let idx = LineIndex::new(text, encoding);
    Some(vec![TextEdit::new(lsp_types::Range::new(lsp_types::Position::new(0, 0), idx.end()), formatted)])
}
