//! `landtrace lsp` driven over stdio with LSP messages, as an editor
//! drives it: initialize, didOpen, didChange, completion, hover, go to
//! definition, formatting, shutdown and exit; plus Neovim's own client,
//! headless, opening a script and reading the diagnostics it shows.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

mod harness;

fn main() -> std::process::ExitCode {
    harness::main(&[
        ("an_editor_session", an_editor_session),
        ("utf8_positions_when_the_client_offers_them", utf8_positions_when_the_client_offers_them),
        ("neovim_uses_it", neovim_uses_it),
    ])
}

struct Client {
    child: Child,
    stdin: ChildStdin,
    incoming: mpsc::Receiver<Value>,
    next_id: i64,
    /// Notifications that arrived while waiting for something else.
    pending: Vec<Value>,
    version: i64,
}

fn read_message(r: &mut impl BufRead) -> Option<Value> {
    let mut len = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            len = n.parse().ok();
        }
    }
    let mut body = vec![0; len?];
    r.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_landtrace"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, incoming) = mpsc::channel();
        std::thread::spawn(move || {
            while let Some(m) = read_message(&mut stdout) {
                if tx.send(m).is_err() {
                    break;
                }
            }
        });
        Client { child, stdin, incoming, next_id: 1, pending: Vec::new(), version: 1 }
    }

    fn send(&mut self, msg: &Value) {
        let body = msg.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn next(&mut self) -> Value {
        self.incoming.recv_timeout(Duration::from_secs(20)).expect("landtrace lsp answers within 20 s")
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        loop {
            let m = self.next();
            if m["id"] == json!(id) {
                assert!(m.get("error").is_none(), "{method}: {m}");
                return m["result"].clone();
            }
            self.pending.push(m);
        }
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Replaces the whole text of `uri` (full sync) and returns the
    /// diagnostics published for it.
    fn change(&mut self, uri: &str, text: &str) -> Vec<Value> {
        self.version += 1;
        let params = json!({ "textDocument": { "uri": uri, "version": self.version }, "contentChanges": [{ "text": text }] });
        self.notify("textDocument/didChange", params);
        self.diagnostics(uri)
    }

    /// The next `publishDiagnostics` for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        loop {
            let m = match self.pending.iter().position(|m| m["method"] == "textDocument/publishDiagnostics") {
                Some(i) => self.pending.remove(i),
                None => self.next(),
            };
            if m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri {
                return m["params"]["diagnostics"].as_array().unwrap().clone();
            }
        }
    }
}

const URI: &str = "file:///runbooks/check.lt";

fn at(uri: &str, line: u32, character: u32) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } })
}

fn labels(completion: &Value) -> Vec<String> {
    let items = completion.as_array().or_else(|| completion["items"].as_array()).expect("completion items");
    items.iter().map(|i| i["label"].as_str().unwrap().to_string()).collect()
}

fn an_editor_session() {
    let mut c = Client::start();
    let init = c.request("initialize", json!({ "processId": null, "capabilities": {}, "rootUri": null }));
    let caps = &init["capabilities"];
    assert_eq!(caps["positionEncoding"], "utf-16", "{init}");
    assert_eq!(caps["textDocumentSync"], 1);
    for p in ["hoverProvider", "definitionProvider", "documentFormattingProvider"] {
        assert_eq!(caps[p], true, "{p}: {init}");
    }
    assert!(caps["completionProvider"].is_object());
    assert_eq!(init["serverInfo"]["name"], "landtrace");
    c.notify("initialized", json!({}));

    // A mistake: the same message and span as the command line, the help
    // line and the other label as related information. On the second
    // line, é and 😀 make UTF-16 and byte columns differ.
    let second = "on deny_* where comm == \"é😀\" and nosuch";
    let bad = format!("on create_ruleset where handled_net & READ_FILE\n{second}\n");
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": URI, "languageId": "landtrace", "version": 1, "text": bad } }),
    );
    let diags = c.diagnostics(URI);
    assert_eq!(diags.len(), 2, "{diags:?}");
    let d = &diags[0];
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .starts_with("READ_FILE is a filesystem right; handled_net holds network rights"),
        "{d}"
    );
    assert_eq!(d["severity"], 1);
    assert_eq!(d["source"], "landtrace");
    let col = "on create_ruleset where handled_net & ".len() as u64;
    assert_eq!(
        d["range"],
        json!({ "start": { "line": 0, "character": col }, "end": { "line": 0, "character": col + 9 } })
    );
    let related = d["relatedInformation"].as_array().unwrap();
    assert!(related.iter().any(|r| r["message"] == "net_access" && r["range"].is_null()), "{d}");
    assert!(
        related
            .iter()
            .any(|r| r["message"].as_str().unwrap().starts_with("help: handled_net holds network rights")),
        "{d}"
    );
    assert!(related.iter().all(|r| r["location"]["uri"] == URI));
    let utf16 = second[..second.find("nosuch").unwrap()].encode_utf16().count() as u64;
    assert_eq!(diags[1]["range"]["start"], json!({ "line": 1, "character": utf16 }), "{:?}", diags[1]);
    assert!(diags[1]["message"].as_str().unwrap().contains("nosuch"), "{:?}", diags[1]);

    // Fixed: no diagnostics. Then a syntax error, which is reported too.
    let good = "macro secrets = path =~ \"/etc/**\"\nlist web = [\"nginx\", \"caddy\"]\non deny_access_fs where secrets and comm in web { @[comm, path] = count() }\n";
    assert_eq!(c.change(URI, good), Vec::<Value>::new());

    // Completion: events after `on`, the clause's fields, a mask family's constants.
    let typing = format!("{good}on deny_\n");
    c.change(URI, &typing);
    let got = labels(&c.request("textDocument/completion", at(URI, 3, 8)));
    assert!(
        got.contains(&"deny_access_fs".to_string()) && got.contains(&"deny_ptrace".to_string()),
        "{got:?}"
    );
    assert!(!got.iter().any(|l| l.starts_with("create")), "{got:?}");

    let typing = format!("{good}on add_rule_net where access_rights & \n");
    c.change(URI, &typing);
    let got = labels(&c.request("textDocument/completion", at(URI, 3, 38)));
    assert!(got.contains(&"CONNECT_TCP".to_string()), "{got:?}");
    assert!(!got.contains(&"READ_FILE".to_string()), "{got:?}");
    let typing = format!("{good}on create_ruleset {{ @r[handl] = count() }}\n");
    c.change(URI, &typing);
    let reply = c.request("textDocument/completion", at(URI, 3, 28));
    let got = labels(&reply);
    assert_eq!(got, ["handled_fs", "handled_net"], "{reply}");
    let edit = &reply.as_array().unwrap()[0]["textEdit"];
    assert_eq!(
        edit["range"],
        json!({ "start": { "line": 3, "character": 23 }, "end": { "line": 3, "character": 28 } }),
        "{edit}"
    );

    // The script's maps after `@`, functions in a block.
    let typing = format!("{good}on deny_ptrace {{ @by_comm[comm] = count() }}\nEND {{ print(@b\n");
    c.change(URI, &typing);
    assert_eq!(labels(&c.request("textDocument/completion", at(URI, 4, 14))), ["@by_comm"]);
    let typing = format!("{good}on deny_access_fs {{ @n[basen\n");
    c.change(URI, &typing);
    let reply = c.request("textDocument/completion", at(URI, 3, 28));
    assert_eq!(labels(&reply), ["basename("], "{reply}");
    assert_eq!(reply[0]["kind"], 3, "a function: {reply}");

    // Hover: a field with its type here, an access right, an event's sources.
    c.change(URI, good);
    let hover = |c: &mut Client, line, ch| {
        c.request("textDocument/hover", at(URI, line, ch))["contents"]["value"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let h = hover(&mut c, 2, 62);
    assert!(h.starts_with("field `path`: str"), "{h}");
    let h = hover(&mut c, 2, 5);
    assert!(h.starts_with("event `deny_access_fs`"), "{h}");
    assert!(h.contains("sources: tracepoint, audit"), "{h}");
    let h = hover(&mut c, 0, 2);
    assert!(h.starts_with("keyword: `macro NAME = EXPR`"), "{h}");
    let h = hover(&mut c, 2, 26);
    assert!(h.starts_with("macro defined in this script") && h.contains("macro secrets = path =~"), "{h}");

    c.change(URI, "on create_ruleset where has(handled_fs, fs.read_file)\n");
    let h = hover(&mut c, 0, 44);
    assert!(h.starts_with("filesystem right `READ_FILE`: bit 2 (0x4), Landlock ABI 1"), "{h}");
    let h = hover(&mut c, 0, 25);
    assert!(h.starts_with("`has(mask, RIGHTS)`"), "{h}");

    // Go to definition of a macro and a list used in a clause.
    c.change(URI, good);
    let def = c.request("textDocument/definition", at(URI, 2, 26));
    assert_eq!(def["uri"], URI);
    assert_eq!(
        def["range"],
        json!({ "start": { "line": 0, "character": 6 }, "end": { "line": 0, "character": 13 } })
    );
    let def = c.request("textDocument/definition", at(URI, 2, 46));
    assert_eq!(def["range"]["start"], json!({ "line": 1, "character": 5 }), "{def}");
    assert_eq!(c.request("textDocument/definition", at(URI, 2, 62)), Value::Null);

    // Formatting: one edit to the canonical layout; none when formatted.
    let messy = "on deny_*{@[comm]=count()} # c\n";
    c.change(URI, messy);
    let opts = json!({ "textDocument": { "uri": URI }, "options": { "tabSize": 4, "insertSpaces": true } });
    let edits = c.request("textDocument/formatting", opts.clone());
    assert_eq!(edits[0]["newText"], "on deny_* { @[comm] = count() } # c\n", "{edits}");
    assert_eq!(edits[0]["range"]["end"], json!({ "line": 1, "character": 0 }));

    // An unknown method is an error, not a crash; then shutdown and exit.
    c.send(&json!({ "jsonrpc": "2.0", "id": 99, "method": "textDocument/rename", "params": {} }));
    let m = c.next();
    assert_eq!(m["id"], 99);
    assert_eq!(m["error"]["code"], -32601, "{m}");
    assert_eq!(c.request("shutdown", Value::Null), Value::Null);
    c.notify("exit", Value::Null);
    let status = c.child.wait().unwrap();
    assert!(status.success(), "{status}");
}

fn utf8_positions_when_the_client_offers_them() {
    let mut c = Client::start();
    let init = c.request(
        "initialize",
        json!({ "capabilities": { "general": { "positionEncodings": ["utf-8", "utf-16"] } } }),
    );
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-8");
    c.notify("initialized", json!({}));
    let text = "on deny_* where comm == \"é\" and handled_fs != 0\n";
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": URI, "languageId": "landtrace", "version": 1, "text": text } }),
    );
    let diags = c.diagnostics(URI);
    assert!(!diags.is_empty());
    let col = text.find("handled_fs").unwrap() as u64;
    assert_eq!(diags[0]["range"]["start"], json!({ "line": 0, "character": col }), "{diags:?}");
    c.request("shutdown", Value::Null);
    c.notify("exit", Value::Null);
    assert!(c.child.wait().unwrap().success());
}

/// Neovim's built-in client (Debian's `neovim`; `.ci/run` installs it),
/// headless: it starts `landtrace lsp` for a script, shows its diagnostic,
/// completes an event name and formats the buffer.
fn neovim_uses_it() {
    harness::need("neovim_uses_it", "nvim", "neovim");
    let dir = std::env::temp_dir().join(format!("landtrace-nvim-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("t.lt"),
        "on create_ruleset where handled_net & READ_FILE\non deny_*{@[comm]=count()}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("t.lua"),
        r#"local out = assert(io.open(vim.env.LT_OUT, "w"))
local id = vim.lsp.start_client({ name = "landtrace", cmd = { vim.env.LT_BIN, "lsp" }, root_dir = vim.fn.getcwd() })
vim.lsp.buf_attach_client(0, id)
vim.wait(10000, function() return #vim.diagnostic.get(0) > 0 end, 50)
for _, d in ipairs(vim.diagnostic.get(0)) do
  out:write(string.format("diagnostic %d:%d %s\n", d.lnum, d.col, d.message))
end
local params = vim.lsp.util.make_position_params()
params.position = { line = 1, character = 8 }
local res = vim.lsp.buf_request_sync(0, "textDocument/completion", params, 5000)
for _, r in pairs(res or {}) do
  for _, item in ipairs(r.result or {}) do out:write("completion " .. item.label .. "\n") end
end
vim.lsp.buf.formatting_sync(nil, 5000)
for _, l in ipairs(vim.api.nvim_buf_get_lines(0, 0, -1, false)) do out:write("line " .. l .. "\n") end
out:close()
vim.cmd("qa!")
"#,
    )
    .unwrap();
    let out_file = dir.join("out.txt");
    let status = Command::new("timeout")
        .args(["60", "nvim", "--headless", "-n", "-u", "NONE", "-i", "NONE", "t.lt", "-c", "luafile t.lua"])
        .current_dir(&dir)
        .env("LT_OUT", &out_file)
        .env("LT_BIN", env!("CARGO_BIN_EXE_landtrace"))
        .env("HOME", &dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    let got = std::fs::read_to_string(&out_file).unwrap_or_default();
    assert!(status.success(), "nvim: {status}\n{got}");
    for want in [
        "diagnostic 0:38 READ_FILE is a filesystem right; handled_net holds network rights",
        "completion deny_access_fs\n",
        "line on create_ruleset where handled_net & READ_FILE\nline on deny_* { @[comm] = count() }\n",
    ] {
        assert!(got.contains(want), "missing {want:?} in:\n{got}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}
