//! Command-line flags, parsed into a plain struct with no side effects.
//! `run.rs` turns them into sources, an engine and an output.

use clap::builder::{PossibleValue, StringValueParser, TypedValueParser};
use clap::{Args as ClapArgs, Parser, Subcommand, ValueEnum, ValueHint};

#[derive(Parser, Debug)]
#[command(
    name = "landtrace",
    version,
    about = "A bpftrace-style tracer for the Linux Landlock LSM",
    long_about = "landtrace runs queries over Landlock events: live from the kernel, or replayed from \
                  recorded traces and audit logs.\n\n\
                  Examples:\n  \
                  landtrace -e 'on deny_* { @[event, comm] = count() }' --replay trace.jsonl\n  \
                  landtrace examples/top-denials.lt --replay /var/log/audit/audit.log\n  \
                  landtrace -l 'deny_*'",
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check a script without running it (for CI of runbooks).
    Check {
        /// Check PROGRAM, given on the command line, instead of a script.
        #[arg(short = 'e', long = "expr", value_name = "PROGRAM", conflicts_with = "script")]
        expr: Option<String>,
        /// The script to check (`-` reads it from standard input).
        #[arg(required_unless_present = "expr", value_hint = ValueHint::FilePath)]
        script: Option<String>,
        /// Script arguments ($1 ... $9).
        args: Vec<String>,
    },
    /// Record live events as landtrace JSON lines (replay them with --replay).
    Record(RecordArgs),
    /// Format scripts in landtrace's canonical layout, comments kept.
    Fmt {
        /// Change nothing: list the scripts that are not formatted (exit 1 if any).
        #[arg(long)]
        check: bool,
        /// Scripts to format in place (none, or `-`: standard input to standard output).
        #[arg(value_name = "SCRIPT", value_hint = ValueHint::FilePath)]
        files: Vec<String>,
    },
    /// Explore events interactively (also what `landtrace` alone starts).
    Repl(ReplArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `landtrace man | man -l -`.
    Man,
    /// A Language Server Protocol server on stdin/stdout, for editors
    /// (diagnostics, completion, hover, go to definition, formatting).
    Lsp,
}

#[derive(ClapArgs, Debug, Default)]
pub struct ReplArgs {
    /// Replay this recorded file for every query instead of tracing live
    /// (repeat it for several files).
    #[arg(long, value_name = "FILE", action = clap::ArgAction::Append, conflicts_with = "source", value_hint = ValueHint::FilePath)]
    pub replay: Vec<String>,

    /// Where live events come from: auto, or any of tracepoint, compat, audit.
    #[arg(long, value_name = "SOURCE", value_delimiter = ',')]
    pub source: Vec<SourceArg>,

    /// Run queries in the interpreter instead of native code.
    #[arg(long)]
    pub no_jit: bool,

    /// Most keys one map may hold.
    #[arg(long, value_name = "N", default_value_t = 100_000, value_parser = max_keys)]
    pub max_keys: usize,
}

#[derive(ClapArgs, Debug, Default)]
pub struct RecordArgs {
    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub output: Option<String>,

    /// Serve the program's maps and landtrace's own counters as Prometheus
    /// metrics at http://ADDR:PORT/metrics while tracing (docs/operations.md).
    #[arg(long, value_name = "ADDR:PORT")]
    pub metrics: Option<String>,

    #[command(flatten)]
    pub live: LiveArgs,
}

#[derive(ClapArgs, Debug, Default, Clone)]
pub struct LiveArgs {
    /// Where live events come from: auto, or any of tracepoint, compat, audit
    /// (comma-separated). auto (the default) picks tracepoint when the
    /// kernel has the Landlock tracepoints, else compat, with audit when the
    /// kernel writes Landlock audit records.
    #[arg(long, value_name = "SOURCE", value_delimiter = ',')]
    pub source: Vec<SourceArg>,

    /// Run CMD (with sh -c) and trace it and its descendants until it exits.
    #[arg(short = 'c', long = "command", value_name = "CMD", conflicts_with = "pid", value_hint = ValueHint::CommandString)]
    pub command: Option<String>,

    /// Trace process PID and its descendants until it exits.
    #[arg(short = 'p', long = "pid", value_name = "PID")]
    pub pid: Option<u32>,

    /// Write a line to file descriptor N once every probe is attached
    /// (instead of the line on stderr), so scripts can start their workload.
    #[arg(long, value_name = "N")]
    pub ready_fd: Option<i32>,

    /// Size of each BPF ring buffer in bytes (a power of two, at least 4096;
    /// default 4 MiB for the tracepoint source, 1 MiB for compat). Records
    /// that do not fit are counted and reported as lost.
    #[arg(long, value_name = "BYTES", value_parser = ring_size)]
    pub ring_size: Option<u32>,
}

/// `-l GLOB`: any pattern, with the event names as the values shell
/// completion offers.
#[derive(Clone, Copy, Debug)]
struct EventGlob;

impl TypedValueParser for EventGlob {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        let events = landtrace_event::schema::EventKind::ALL.iter().map(|k| PossibleValue::new(k.name()));
        Some(Box::new(events))
    }
}

fn max_keys(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("a map must be able to hold at least 1 key".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("{s} is not a number of keys")),
    }
}

fn ring_size(s: &str) -> Result<u32, String> {
    let n: u32 = s.parse().map_err(|_| format!("{s} is not a number of bytes"))?;
    if n < 4096 || !n.is_power_of_two() {
        return Err(format!("{n} is not a power of two of at least 4096"));
    }
    Ok(n)
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceArg {
    Auto,
    Tracepoint,
    Compat,
    Audit,
}

#[derive(ClapArgs, Debug, Default)]
#[allow(clippy::struct_excessive_bools, reason = "command-line flags are bools")]
pub struct RunArgs {
    /// Run PROGRAM, given on the command line.
    #[arg(short = 'e', long = "expr", value_name = "PROGRAM")]
    pub expr: Option<String>,

    /// A script file (`*.lt`; `-` reads it from standard input), then its
    /// arguments ($1 ... $9).
    #[arg(value_name = "SCRIPT", value_hint = ValueHint::FilePath)]
    pub script: Option<String>,

    /// Script arguments; with -e, all positional arguments. Positional
    /// arguments are always the program's, wherever they appear.
    #[arg(value_name = "ARGS", trailing_var_arg = false)]
    pub args: Vec<String>,

    /// Replay the events recorded in FILE instead of tracing live (`-`
    /// reads stdin); repeat it for several files, replayed in order. The
    /// format (landtrace JSON lines, ftrace text, audit log) is detected.
    #[arg(long, value_name = "FILE", action = clap::ArgAction::Append, value_hint = ValueHint::FilePath)]
    pub replay: Vec<String>,

    /// Output format.
    #[arg(short = 'f', long = "format", value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,

    /// List events and their fields (optionally those matching GLOB), then exit.
    #[arg(
        short = 'l',
        long = "list",
        value_name = "GLOB",
        num_args = 0..=1,
        default_missing_value = "*",
        value_parser = EventGlob,
        hide_possible_values = true
    )]
    pub list: Option<String>,

    /// Print what this kernel offers (Landlock ABI, audit, tracepoints, the
    /// sources `auto` picks and the events of each), then exit.
    #[arg(long)]
    pub info: bool,

    /// Print a compilation stage and exit.
    #[arg(long, value_enum, value_name = "STAGE")]
    pub dump: Option<Dump>,

    /// Most keys one map may hold; further new keys are dropped and counted.
    #[arg(long, value_name = "N", default_value_t = 100_000, value_parser = max_keys)]
    pub max_keys: usize,

    /// No informational lines on stderr (warnings and errors still show).
    #[arg(short = 'q', long)]
    pub quiet: bool,

    /// Treat malformed input lines and source warnings as errors.
    #[arg(long)]
    pub strict: bool,

    /// Run the program in the interpreter instead of compiling it to
    /// native code with Cranelift.
    #[arg(long)]
    pub no_jit: bool,

    /// Write the output to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub output: Option<String>,

    /// Serve the program's maps and landtrace's own counters as Prometheus
    /// metrics at http://ADDR:PORT/metrics while tracing (docs/operations.md).
    #[arg(long, value_name = "ADDR:PORT")]
    pub metrics: Option<String>,

    #[command(flatten)]
    pub live: LiveArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dump {
    /// The parsed syntax tree.
    Ast,
    /// The checked program with every expression's type.
    Typed,
    /// The lowered IR that the backends execute.
    Ir,
    /// Per event kind, what the probes check in the kernel and what runs
    /// in userspace.
    Pushdown,
    /// Each clause's functions as Cranelift IR.
    Clif,
    /// Each clause's functions as the machine code Cranelift generated.
    Asm,
}
