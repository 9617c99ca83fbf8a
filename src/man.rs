//! `landtrace completions SHELL` and `landtrace man`: generated from the
//! clap definitions (`clap_complete`, `clap_mangen`), so they cannot drift from
//! the options the binary takes.

use crate::args::Cli;
use crate::report;
use crate::run::Outcome;
use clap::CommandFactory;
use landtrace_event::schema::{BUILTINS, EventKind};
use landtrace_grammar::words::{CallKind, callables};
use roff::{Roff, bold, italic, roman};
use std::io::Write;

pub fn completions(shell: clap_complete::Shell) -> Outcome {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "landtrace", &mut script);
    write_out(&script)
}

pub fn page() -> Outcome {
    write_out(&render())
}

fn write_out(bytes: &[u8]) -> Outcome {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Outcome::Success,
        Err(e) => report::write_failed(&e),
    }
}

/// The whole page: `clap_mangen`'s sections for the command and each
/// subcommand's options, then the language in brief, exit status,
/// environment, files and examples.
pub fn render() -> Vec<u8> {
    let cmd = Cli::command().disable_help_subcommand(true);
    let man = clap_mangen::Man::new(cmd.clone())
        .manual("landtrace manual")
        .source(concat!("landtrace ", env!("CARGO_PKG_VERSION")));
    let mut out = Vec::new();
    type Section = fn(&clap_mangen::Man, &mut dyn Write) -> std::io::Result<()>;
    let sections: [Section; 5] = [
        clap_mangen::Man::render_title,
        clap_mangen::Man::render_name_section,
        clap_mangen::Man::render_synopsis_section,
        clap_mangen::Man::render_description_section,
        clap_mangen::Man::render_options_section,
    ];
    for section in sections {
        section(&man, &mut out).expect("writing to memory");
    }
    // Each subcommand on this page: its synopsis, what it does, its options.
    Roff::new().control("SH", ["COMMANDS"]).to_writer(&mut out).expect("writing to memory");
    for sub in cmd.get_subcommands() {
        let name = format!("landtrace {}", sub.get_name());
        let sub = sub.clone().bin_name(&name).disable_help_flag(true);
        let page = clap_mangen::Man::new(sub.clone());
        let mut part = Vec::new();
        page.render_synopsis_section(&mut part).expect("writing to memory");
        let mut roff = Roff::new();
        roff.control("PP", []).text([roman(sub.get_about().map(ToString::to_string).unwrap_or_default())]);
        roff.to_writer(&mut part).expect("writing to memory");
        if sub.get_arguments().any(|a| !a.is_hide_set()) {
            page.render_options_section(&mut part).expect("writing to memory");
        }
        let part = String::from_utf8(part).expect("roff is text");
        let part =
            part.replacen(".SH SYNOPSIS", &format!(".SS \"{name}\""), 1).replacen(".SH OPTIONS\n", "", 1);
        out.extend_from_slice(part.as_bytes());
    }
    let mut roff = Roff::new();
    language(&mut roff);
    exit_status(&mut roff);
    environment(&mut roff);
    files(&mut roff);
    examples(&mut roff);
    see_also(&mut roff);
    roff.to_writer(&mut out).expect("writing to memory");
    man.render_version_section(&mut out).expect("writing to memory");
    out
}

fn para(roff: &mut Roff, text: &str) {
    roff.control("PP", []).text([roman(text)]);
}

/// `.TP` items: a term in bold and its description.
fn items(roff: &mut Roff, items: &[(&str, &str)]) {
    for (term, text) in items {
        roff.control("TP", []).text([bold(*term)]).text([roman(*text)]);
    }
}

fn literal(roff: &mut Roff, lines: &[&str]) {
    roff.control("PP", []).control("nf", []).control("RS", ["4"]);
    for l in lines {
        roff.text([roman(*l)]);
    }
    roff.control("RE", []).control("fi", []);
}

fn language(roff: &mut Roff) {
    roff.control("SH", ["LANGUAGE"]);
    para(
        roff,
        "A program is a list of clauses. Newlines are whitespace; a statement ends at a semicolon or \
         where the next token cannot continue it; # and // start comments.",
    );
    items(
        roff,
        &[
            (
                "on EVENTS [where CONDITION] [{ STATEMENTS }]",
                "Runs for each event of the kinds named (names or globs: deny_*, *_domain). \
                 Without a block, prints the event.",
            ),
            ("BEGIN { ... }, END { ... }", "Run before the first event and after the last."),
            ("every DURATION { ... }", "Runs periodically (5s, 500ms, 1m)."),
            ("list NAME = [VALUES]", "A named list, used as: comm in NAME."),
            ("macro NAME = EXPRESSION", "A named condition, used by name in others."),
        ],
    );
    let join = |names: &mut dyn Iterator<Item = &str>| names.collect::<Vec<_>>().join(", ");
    let events = join(&mut EventKind::ALL.iter().map(|k| k.name()));
    let builtins = join(&mut BUILTINS.iter().map(|b| b.name));
    para(
        roff,
        &format!(
            "Events: {events}; landtrace -l lists their fields. Builtins (every event): {builtins}. \
             Access rights are written READ_FILE, fs.read_file or LANDLOCK_ACCESS_FS_READ_FILE."
        ),
    );
    para(
        roff,
        "Operators: or and not (also || && !), == != < <= > >=, =~ !~ (a glob, or re\"regex\"), in and \
         not in (a list, a range lo..hi or the name of a list), | ^ & << >> + - * / % ~.",
    );
    para(
        roff,
        &format!(
            "Functions: {}. Maps aggregate with @map[keys] = {} (lhist(e, min, max, step)), or hold a value. \
             Statements: $var = expression, if/else, print (the event), {}. Maps print at the end.",
            join(&mut callables(CallKind::Function)),
            join(&mut callables(CallKind::Aggregation).map(|c| if c == "count" { "count()" } else { c })),
            join(&mut callables(CallKind::Statement)),
        ),
    );
    para(
        roff,
        "Errors are reported before anything runs, each with the program text and a label under the exact span. \
         The full reference is docs/language.md in the source.",
    );
}

fn exit_status(roff: &mut Roff) {
    roff.control("SH", ["EXIT STATUS"]);
    items(
        roff,
        &[
            ("0", "Success, also when the output pipe closes (landtrace ... | head)."),
            (
                "1",
                "Runtime failure: a source cannot be opened or is lost, an input error with --strict, \
                 a script that landtrace fmt --check finds not formatted.",
            ),
            ("2", "Invalid program (syntax, names, types) or command line."),
        ],
    );
}

fn environment(roff: &mut Roff) {
    roff.control("SH", ["ENVIRONMENT"]);
    items(
        roff,
        &[
            ("NO_COLOR", "When set and not empty, no colour, even on a terminal."),
            (
                "XDG_STATE_HOME",
                "Where the REPL keeps its history: $XDG_STATE_HOME/landtrace/history \
                 (default ~/.local/state/landtrace/history).",
            ),
            ("HOME", "The default of XDG_STATE_HOME."),
            (
                "VISUAL, EDITOR",
                "The editor the REPL's .edit command runs (VISUAL first, then EDITOR, then vi).",
            ),
        ],
    );
}

fn files(roff: &mut Roff) {
    roff.control("SH", ["FILES"]);
    items(
        roff,
        &[
            (
                "$XDG_STATE_HOME/landtrace/history",
                "The REPL history, mode 0600; never written through a symbolic link.",
            ),
            (
                "/sys/kernel/tracing",
                "tracefs: the Landlock tracepoints and their formats (live tracing mounts it if needed).",
            ),
            (
                "/var/log/audit/audit.log",
                "An audit log, replayed with --replay (also ausearch --raw and dmesg).",
            ),
            ("*.lt", "Scripts (runbooks); a first line #!/usr/bin/env landtrace makes them executable."),
        ],
    );
}

fn examples(roff: &mut Roff) {
    roff.control("SH", ["EXAMPLES"]);
    para(roff, "Which sandboxed programs were denied access under /etc, from an audit log:");
    literal(
        roff,
        &[
            "landtrace -e 'on deny_access_fs where path =~ \"/etc/**\" { @[comm, path] = count() }' \\",
            "    --replay /var/log/audit/audit.log",
        ],
    );
    para(roff, "Trace a command live and print its denials:");
    literal(roff, &["landtrace -e 'on deny_*' -c './sandboxed-build'"]);
    para(roff, "Count denials by kind and program, printed and reset every 5 seconds:");
    literal(
        roff,
        &["landtrace -e 'on deny_* { @d[event, comm] = count() }", "    every 5s { print(@d); clear(@d) }'"],
    );
    para(roff, "A runbook as a service, with its maps as Prometheus metrics:");
    literal(roff, &["landtrace top-denials.lt -f json --metrics 127.0.0.1:9464"]);
    para(roff, "Check and format runbooks in CI; list the fields of the denial events:");
    literal(
        roff,
        &[
            "landtrace fmt --check runbooks/*.lt",
            "for f in runbooks/*.lt; do landtrace check \"$f\" || exit 1; done",
            "landtrace -l 'deny_*'",
        ],
    );
    para(roff, "Shell completion and this page:");
    literal(
        roff,
        &["landtrace completions bash > /etc/bash_completion.d/landtrace", "landtrace man | man -l -"],
    );
}

fn see_also(roff: &mut Roff) {
    roff.control("SH", ["SEE ALSO"]);
    roff.control("PP", []).text([
        bold("bpftrace"),
        roman("(8), "),
        bold("auditd"),
        roman("(8), "),
        bold("landlock"),
        roman("(7); in the source: docs/language.md, docs/live.md, docs/operations.md, "),
        italic("docs/authoring.md"),
        roman("."),
    ]);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every option of the command and of each subcommand is on the page.
    #[test]
    fn every_option_is_documented() {
        let page = String::from_utf8(render()).unwrap();
        let mut cmds = vec![Cli::command()];
        cmds.extend(Cli::command().get_subcommands().cloned());
        for cmd in &cmds {
            for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
                if let Some(long) = arg.get_long() {
                    // roff escapes the dashes.
                    let want = format!("\\-\\-{}", long.replace('-', "\\-"));
                    assert!(page.contains(&want), "{} --{long} is not on the page", cmd.get_name());
                }
            }
            assert!(page.contains(&format!("landtrace {}", cmd.get_name())) || cmd.get_name() == "landtrace");
        }
        for section in
            ["LANGUAGE", "EXIT STATUS", "ENVIRONMENT", "FILES", "EXAMPLES", "NO_COLOR", "XDG_STATE_HOME"]
        {
            assert!(page.contains(section), "{section}");
        }
    }
}
