//! Table tests: (program, events) -> matches and printed output, for every
//! operator, function, statement and aggregation, through the engine.

use landtrace_compiler::exec::Backend;
use landtrace_compiler::interp::Interpreter;
use landtrace_compiler::jit::Jit;
use landtrace_compiler::{CheckOptions, compile};
use landtrace_event::record::Event;
use landtrace_event::schema::Builtin;
use landtrace_event::schema::{EventKind, SourceKind, field};
use landtrace_runtime::engine::run_source;
use landtrace_runtime::source::VecSource;
use landtrace_runtime::{Engine, EngineOptions, OutFormat, Output, Summary};

/// A denial of `READ_FILE` on /etc/passwd by curl(4242).
fn denial() -> Event {
    let mut e = Event::new();
    e.reset(EventKind::DenyAccessFs, SourceKind::Replay);
    e.set_builtin(Builtin::Pid, 4242);
    e.set_builtin(Builtin::Tid, 4243);
    e.set_builtin(Builtin::Ppid, 1);
    e.set_builtin(Builtin::Uid, 1000);
    e.set_builtin(Builtin::Gid, 100);
    e.set_builtin(Builtin::Cpu, 1);
    e.set_builtin(Builtin::Cgroup, 77);
    e.set_builtin(Builtin::Time, 5_000_000_000);
    e.set_builtin(Builtin::Walltime, 1_795_958_807_045_000_000);
    e.set_comm(b"curl");
    e.set(field::domain, 0x1c1407c26);
    e.set(field::same_exec, 1);
    e.set(field::logged, 0);
    e.set(field::blockers, 0b100);
    e.set(field::ino, 737);
    e.set_str(field::dev, b"254:0");
    e.set_str(field::path, b"/etc/passwd");
    e
}

fn check_rule() -> Event {
    let mut e = Event::new();
    e.reset(EventKind::CheckRuleFs, SourceKind::Replay);
    e.set_comm(b"python3");
    e.set(field::domain, 0x20);
    e.set(field::access_request, 0b10);
    e.set_grants(&[0b10, 0]);
    e
}

type MakeBackend = fn(&landtrace_compiler::ir::Program) -> Box<dyn Backend>;

fn interpreter(p: &landtrace_compiler::ir::Program) -> Box<dyn Backend> {
    Box::new(Interpreter::new(p))
}

fn run_with(src: &str, events: Vec<Event>, make: MakeBackend, opts: EngineOptions) -> (String, Summary) {
    let compiled = compile(src, "-e", &CheckOptions { args: vec!["443".into(), "curl".into()] })
        .unwrap_or_else(|d| panic!("{src}: {:?}", d.iter().map(|d| d.message.clone()).collect::<Vec<_>>()));
    let (out, buf) = Output::to_vec(OutFormat::Text);
    let mut engine = Engine::new(&compiled.ir, make(&compiled.ir), out, opts);
    let mut source = VecSource::new(events);
    let summary = run_source(&mut engine, &mut source, &mut Event::new()).unwrap();
    (buf.text(), summary)
}

fn jit(p: &landtrace_compiler::ir::Program) -> Box<dyn Backend> {
    Box::new(Jit::compile(p).expect("Cranelift supports this machine"))
}

/// Runs `src` in the interpreter and as native code: both must print the
/// same and count the same.
fn run_both(src: &str, events: Vec<Event>, opts: EngineOptions) -> (String, Summary) {
    let reference = run_with(src, events.clone(), interpreter, opts);
    let native = run_with(src, events, jit, opts);
    assert_eq!(native, reference, "{src}: Cranelift and the interpreter disagree");
    reference
}

fn run(src: &str, events: Vec<Event>) -> (String, Summary) {
    run_both(src, events, EngineOptions::default())
}

fn matches(pred: &str) -> bool {
    let (out, _) = run(&format!("on deny_access_fs where {pred} {{ printf(\"yes\") }}"), vec![denial()]);
    out == "yes"
}

fn printed(expr: &str) -> String {
    let (out, _) = run(&format!("on deny_access_fs {{ print({expr}) }}"), vec![denial()]);
    out.trim_end_matches('\n').to_string()
}

#[test]
fn predicates() {
    let table: &[(&str, bool)] = &[
        ("true", true),
        ("false", false),
        ("pid == 4242", true),
        ("pid != 4242", false),
        ("pid < 5000 and pid <= 4242 and pid > 4000 and pid >= 4242", true),
        ("pid == 1 or uid in [0, 1000]", true),
        ("pid == 1 || uid in [0, 999]", false),
        ("not logged", true),
        ("!same_exec", false),
        ("logged == false and same_exec == true", true),
        ("blockers & READ_FILE", true),
        ("blockers & WRITE_FILE", false),
        ("blockers & fs.read_file and blockers & LANDLOCK_ACCESS_FS_READ_FILE", true),
        ("blockers == READ_FILE", true),
        ("blockers in [READ_FILE, WRITE_FILE]", true),
        ("blockers not in [WRITE_FILE]", true),
        ("has(blockers, FS_READ)", false),
        ("any(blockers, FS_READ)", true),
        ("has(blockers, 4)", true),
        ("domain == 0x1c1407c26", true),
        ("domain > 0x1c1407c25", true),
        ("path == \"/etc/passwd\"", true),
        ("path != \"/etc/passwd\"", false),
        ("path < \"/f\" and path > \"/a\" and path <= \"/etc/passwd\" and path >= \"/etc\"", true),
        ("path =~ \"/etc/**\"", true),
        ("path =~ \"/etc/*\"", true),
        ("path =~ \"/e?c/*wd\"", true),
        ("path =~ \"/usr/**\"", false),
        ("path !~ \"/usr/**\"", true),
        ("path =~ re\"^/etc/(passwd|shadow)$\"", true),
        ("path =~ re\"shadow\"", false),
        ("comm in [\"curl\", \"wget\"]", true),
        ("comm not in [\"curl\", \"wget\"]", false),
        ("ino in 700..800", true),
        ("ino in 1..10", false),
        ("ino in [1, 700..737, 900]", true),
        ("starts_with(path, \"/etc\") and ends_with(path, \"wd\") and contains(path, \"/pass\")", true),
        ("starts_with(path, \"/usr\") or ends_with(path, \"x\") or contains(path, \"zz\")", false),
        ("len(path) == 11 and len(comm) == 4", true),
        ("basename(path) == \"passwd\" and dirname(path) == \"/etc\"", true),
        ("hex(ino) == \"2e1\" and hex(domain) == \"1c1407c26\"", true),
        ("rights(blockers) == \"READ_FILE\"", true),
        ("popcount(blockers | WRITE_FILE) == 2", true),
        ("event == \"deny_access_fs\" and source == \"replay\"", true),
        ("tid == 4243 and ppid == 1 and gid == 100 and cpu == 1 and cgroup == 77", true),
        ("time == 5000000000 and time > 4s", true),
        ("walltime == \"2026-11-29T13:26:47.045000000Z\"", true),
        ("dev == \"254:0\"", true),
        ("pid == $1 - 443 + 4242", true),
        ("comm == $2", true),
        ("(1 | 2) ^ 7 == 4 and 6 & 3 == 2", true),
        ("1 << 4 == 16 and -16 >> 2 == -4 and ~0 == -1", true),
        ("7 + 3 == 10 and 7 - 10 == -3 and 6 * 7 == 42 and 7 / 2 == 3 and -7 / 2 == -3 and 7 % 3 == 1", true),
        ("-pid == -4242", true),
        ("9223372036854775807 + pid == -9223372036854771567", true),
        ("pid * 0 / 0 == 0", true),
        ("~blockers & READ_FILE == 0", true),
        ("blockers >> 2 == 1", true),
        ("pid - 4242", false),
        ("pid", true),
    ];
    for (pred, want) in table {
        assert_eq!(matches(pred), *want, "where {pred}");
    }
}

#[test]
fn printed_values() {
    let table: &[(&str, &str)] = &[
        ("pid", "4242"),
        ("comm", "curl"),
        ("path", "/etc/passwd"),
        ("domain", "1c1407c26"),
        ("blockers", "READ_FILE"),
        ("blockers | WRITE_FILE | 0x100000000", "WRITE_FILE|READ_FILE|0x100000000"),
        ("logged, same_exec", "false true"),
        ("basename(\"/a/b/\"), dirname(\"b\")", "b ."),
        ("hex(255), rights(FS_READ), popcount(FS_ALL)", "ff READ_FILE|READ_DIR 17"),
        ("\"a b\\tc\"", "a b\tc"),
        ("1 / 0, 5 % 0", "0 0"),
        ("@m + 1, len(@m)", "1 0"),
    ];
    for (expr, want) in table {
        let src =
            if expr.contains("@m") { format!("{expr}); @m = count(); clear(@m") } else { expr.to_string() };
        let got = printed(&src);
        let got = got.lines().next().unwrap_or("");
        assert_eq!(got, *want, "print({expr})");
    }
}

#[test]
fn lists_index_and_measure() {
    let (out, _) = run(
        "on check_rule_fs { print(len(grants), grants[0], grants[1], grants[2], grants[-1], access_request) }",
        vec![check_rule()],
    );
    assert_eq!(out, "2 WRITE_FILE 0 0 0 WRITE_FILE\n");
}

#[test]
fn division_by_zero_yields_zero_and_is_counted() {
    let (out, summary) =
        run("on deny_access_fs { print(pid / (pid - 4242), pid % 0) }", vec![denial(), denial()]);
    assert_eq!(out, "0 0\n0 0\n");
    assert_eq!(summary.div_by_zero, 4);
}

#[test]
fn and_or_short_circuit() {
    let (_, s) =
        run("on deny_access_fs where pid == 0 and 1 / (pid - pid) == 0 { print(1) }", vec![denial()]);
    assert_eq!(s.div_by_zero, 0);
    let (_, s) = run("on deny_access_fs where pid != 0 or 1 / (pid - pid) == 0 { print(1) }", vec![denial()]);
    assert_eq!(s.div_by_zero, 0);
    let (_, s) =
        run("on deny_access_fs where pid != 0 and 1 / (pid - pid) == 0 { print(1) }", vec![denial()]);
    assert_eq!(s.div_by_zero, 1);
}

#[test]
fn printf_formats() {
    let (out, _) = run(
        r#"on deny_access_fs { printf("[%d|%u|%x|%X|%s|%%|%-6s|%6s|%08x|%-4d|%r|%s|%d]\n", -5, pid, ino, ino, path, comm, comm, ino, 7, blockers, domain, logged) }"#,
        vec![denial()],
    );
    assert_eq!(out, "[-5|4242|2e1|2E1|/etc/passwd|%|curl  |  curl|000002e1|7   |READ_FILE|1c1407c26|0]\n");
}

#[test]
fn untrusted_strings_are_escaped_trusted_ones_are_not() {
    let mut e = denial();
    // Readable text (spaces, `=`, quotes, UTF-8) as it is; a newline, an
    // escape sequence, a bidi override, a backslash and a byte that is not
    // UTF-8 shown; in a key, its separators too.
    e.set_str(field::path, "/tmp/a b=c, d]\n\x1b[31m\"'\\r\u{e9}\u{202e}".as_bytes());
    e.set_comm(b"ev\til\xff");
    let (out, _) = run(
        r#"on deny_access_fs { printf("%s %s %s\n", path, comm, "lit eral"); print(path, basename(path), "x y"); @[comm, path] = count() }"#,
        vec![e],
    );
    let path = "/tmp/a b=c, d]\\x0a\\x1b[31m\"'\\x5cr\u{e9}\\u{202e}";
    let base = "a b=c, d]\\x0a\\x1b[31m\"'\\x5cr\u{e9}\\u{202e}";
    let key = "/tmp/a b=c\\x2c d\\x5d\\x0a\\x1b[31m\"'\\x5cr\u{e9}\\u{202e}";
    assert_eq!(
        out,
        format!("{path} ev\\x09il\\xff lit eral\n{path} {base} x y\n@[ev\\x09il\\xff, {key}]: 1\n\n")
    );
    assert!(!out.contains('\x1b') && !out.contains('\u{202e}'));
}

#[test]
fn default_event_format() {
    let (out, _) = run("on deny_access_fs", vec![denial()]);
    assert_eq!(
        out,
        "13:26:47.045000 curl(4242) deny_access_fs domain=1c1407c26 same_exec=true logged=false blockers=READ_FILE dev=254:0 ino=737 path=/etc/passwd\n"
    );
}

#[test]
fn aggregations_and_map_printing() {
    let mut events = Vec::new();
    for (comm, ino) in [("a", 1), ("b", 10), ("a", 3), ("c", 100), ("a", 0)] {
        let mut e = denial();
        e.set_comm(comm.as_bytes());
        e.set(field::ino, ino);
        events.push(e);
    }
    let (out, _) = run(
        "on deny_access_fs {
            @n[comm] = count(); @s[comm] = sum(ino); @lo[comm] = min(ino); @hi[comm] = max(ino)
            @avg[comm] = avg(ino); @st[comm] = stats(ino); @last[comm] = ino; @all = count()
         }",
        events,
    );
    assert_eq!(
        out,
        "@n[b]: 1\n@n[c]: 1\n@n[a]: 3\n\n\
         @s[a]: 4\n@s[b]: 10\n@s[c]: 100\n\n\
         @lo[a]: 0\n@lo[b]: 10\n@lo[c]: 100\n\n\
         @hi[a]: 3\n@hi[b]: 10\n@hi[c]: 100\n\n\
         @avg[a]: 1\n@avg[b]: 10\n@avg[c]: 100\n\n\
         @st[a]: count 3, average 1, total 4\n@st[b]: count 1, average 10, total 10\n@st[c]: count 1, average 100, total 100\n\n\
         @last[a]: 0\n@last[b]: 10\n@last[c]: 100\n\n\
         @all: 5\n\n"
    );
}

#[test]
fn histograms() {
    let mut events = Vec::new();
    for ino in [0, 1, 2, 3, 5, 1000] {
        let mut e = denial();
        e.set(field::ino, ino);
        events.push(e);
    }
    let (out, _) = run("on deny_access_fs { @h = hist(ino); @l = lhist(ino, 0, 10, 5) }", events);
    let want = "@h:\n\
[0]                        1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n\
[1]                        1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n\
[2, 4)                     2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\
[4, 8)                     1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n\
[8, 16)                    0 |                                                    |\n\
[16, 32)                   0 |                                                    |\n\
[32, 64)                   0 |                                                    |\n\
[64, 128)                  0 |                                                    |\n\
[128, 256)                 0 |                                                    |\n\
[256, 512)                 0 |                                                    |\n\
[512, 1K)                  1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n\
\n\
@l:\n\
[0, 5)                     4 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\
[5, 10)                    1 |@@@@@@@@@@@@@                                       |\n\
[10, ...)                  1 |@@@@@@@@@@@@@                                       |\n\
\n";
    assert_eq!(out, want);
}

#[test]
fn statements_scratch_if_delete_clear_exit() {
    let (out, _) = run(
        "on deny_access_fs {
            $x = ino * 2
            if $x > 1000 { print(\"big\", $x) } else if $x > 100 { print(\"mid\", $x) } else { print(\"small\") }
            @seen[comm] = count()
            if @seen[comm] == 2 { delete(@seen[comm]) }
            @other[pid] = count()
            if len(@other) > 0 { clear(@other) }
            @last[pid] = path
            print(@last[pid], @last[1])
         }",
        vec![denial(), denial()],
    );
    assert_eq!(out, "big 1474\n/etc/passwd \nbig 1474\n/etc/passwd \n@last[4242]: /etc/passwd\n\n");
    let (out, s) =
        run("on deny_access_fs { print(pid); exit() } END { print(\"end\") }", vec![denial(), denial()]);
    assert_eq!(out, "4242\nend\n");
    assert_eq!(s.events, 1);
}

#[test]
fn begin_end_and_maps_printed_by_end() {
    let (out, _) = run(
        "BEGIN { printf(\"start\\n\") }
         on deny_access_fs { @a[comm] = count(); @b[comm] = count(); @c = count() }
         END { print(@a); clear(@b) }",
        vec![denial()],
    );
    assert_eq!(out, "start\n@a[curl]: 1\n\n@c: 1\n\n");
    let (out, _) = run("on deny_access_fs { @a[pid] = count() } END { print(@a, 1) }", {
        let mut es = vec![denial(), denial()];
        let mut other = denial();
        other.set_builtin(Builtin::Pid, 1);
        es.push(other);
        es
    });
    assert_eq!(out, "@a[4242]: 2\n\n");
}

#[test]
fn every_fires_by_event_time_in_replay() {
    let mut events = Vec::new();
    for t in [1, 2, 3, 11, 12, 35] {
        let mut e = denial();
        e.set_builtin(Builtin::Time, t * 1_000_000_000);
        events.push(e);
    }
    let (out, _) = run(
        "on deny_access_fs { @n = count() } every 10s { print(time / 1000000000, @n); clear(@n) }",
        events,
    );
    assert_eq!(out, "11 3\n21 2\n31 0\n@n: 1\n\n");
}

#[test]
fn multi_event_clauses_use_the_family_of_each_event() {
    let mut rule = Event::new();
    rule.reset(EventKind::AddRuleNet, SourceKind::Replay);
    rule.set(field::access_rights, 0b10);
    let mut fs = Event::new();
    fs.reset(EventKind::AddRuleFs, SourceKind::Replay);
    fs.set(field::access_rights, 0b10);
    let (out, _) = run(
        "on add_rule_fs, add_rule_net { printf(\"%s %r %s\\n\", event, access_rights, rights(access_rights)); @[access_rights] = count() }",
        vec![rule, fs],
    );
    assert_eq!(
        out,
        "add_rule_net CONNECT_TCP CONNECT_TCP\nadd_rule_fs WRITE_FILE WRITE_FILE\n@[WRITE_FILE]: 1\n@[CONNECT_TCP]: 1\n\n"
    );
}

#[test]
fn map_keys_are_bounded() {
    let mut events = Vec::new();
    // Ten distinct keys, each twice: seven keys are refused, fourteen updates.
    for pid in (0..10).chain(0..10) {
        let mut e = denial();
        e.set_builtin(Builtin::Pid, pid);
        events.push(e);
    }
    let (out, s) = run_both(
        "on deny_access_fs { @[pid] = count() }",
        events,
        EngineOptions { max_keys: 3, ..Default::default() },
    );
    assert_eq!(out.lines().filter(|l| l.starts_with("@[")).count(), 3);
    assert_eq!(s.dropped_keys, vec![("@".to_string(), 3, 7, false)]);
}

#[test]
fn json_output() {
    let compiled = compile(
        "on deny_access_fs { @[comm, blockers] = count(); print(pid, path, blockers, domain); printf(\"x\\n\") } on deny_access_fs",
        "-e",
        &CheckOptions::default(),
    )
    .unwrap();
    let (out, buf) = Output::to_vec(OutFormat::Json);
    let mut engine = Engine::new(&compiled.ir, interpreter(&compiled.ir), out, EngineOptions::default());
    let mut e = denial();
    e.set_str(field::path, b"/bad\xff");
    run_source(&mut engine, &mut VecSource::new(vec![e]), &mut Event::new()).unwrap();
    let text = buf.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        r#"{"type":"print","values":[4242,{"hex":"2f626164ff"},["READ_FILE"],"1c1407c26"]}"#
    );
    assert_eq!(lines[1], r#"{"type":"printf","text":"x\n"}"#);
    assert!(lines[2].starts_with(r#"{"type":"event","v":1,"event":"deny_access_fs","source":"replay","time":5000000000,"walltime":"2026-11-29T13:26:47.045000000Z","pid":4242,"#), "{}", lines[2]);
    assert!(lines[2].contains(r#""blockers":["READ_FILE"],"blockers_raw":4,"#));
    assert!(lines[2].contains("\"path\":\"/bad\u{fffd}\",\"path_hex\":\"2f626164ff\""), "{}", lines[2]);
    assert_eq!(
        lines[3],
        r#"{"type":"map","name":"@","entries":[{"keys":["curl",["READ_FILE"]],"value":1}]}"#
    );
    for l in lines {
        serde_json::from_str::<serde_json::Value>(l).unwrap();
    }
}

/// String tests against literals of every length up to past the inline
/// limit, with strings that differ from the literal in exactly one byte
/// (each position in turn), are shorter or longer: both backends, and the
/// right answer.
#[test]
fn literal_comparisons_look_at_every_byte() {
    for n in 0..40usize {
        let lit: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
        let text = String::from_utf8(lit.clone()).unwrap();
        let mut cases: Vec<Vec<u8>> =
            vec![lit.clone(), lit[..n.saturating_sub(1)].to_vec(), [&lit[..], b"z"].concat()];
        for p in 0..n {
            let mut s = lit.clone();
            s[p] = b'#';
            cases.push(s);
        }
        type Truth = fn(&[u8], &[u8]) -> bool;
        let tests: [(&str, Truth); 6] = [
            ("path == \"{}\"", |s, l| s == l),
            ("path != \"{}\"", |s, l| s != l),
            ("starts_with(path, \"{}\")", |s, l| s.starts_with(l)),
            ("ends_with(path, \"{}\")", |s, l| s.ends_with(l)),
            ("path =~ \"{}**\"", |s, l| s.starts_with(l)),
            ("path =~ \"**{}\"", |s, l| s.ends_with(l)),
        ];
        for (shape, want) in tests {
            let pred = shape.replace("{}", &text);
            let events: Vec<Event> = cases
                .iter()
                .map(|c| {
                    let mut e = denial();
                    e.set_str(field::path, c);
                    e
                })
                .collect();
            let (out, _) = run(&format!("on deny_access_fs {{ printf(\"%d\", {pred}) }}"), events);
            let expected: String = cases.iter().map(|c| if want(c, &lit) { '1' } else { '0' }).collect();
            assert_eq!(out, expected, "{pred}");
        }
    }
}

/// A string key is its bytes, wherever they came from: a literal, a field,
/// a variable, `event` (issue 10.1).
#[test]
fn a_string_key_is_its_bytes_wherever_it_came_from() {
    let (out, _) = run(
        r#"on deny_access_fs { @[comm] = count(); @["curl"] = count(); $c = comm; @[$c] = count(); @e[event] = count(); @e["deny_access_fs"] = count() }
           END { print(@["curl"]); print(@e); delete(@["curl"]); printf("left %d\n", len(@)) }"#,
        vec![denial(), denial()],
    );
    assert_eq!(out, "6\n@e[deny_access_fs]: 4\n\nleft 0\n");
}

/// Rows sort by value for every kind of map, ties by key in its natural
/// order (numbers as numbers, strings by bytes); histograms by their
/// sample count; `print(@m, N)` keeps the N largest (issue 10.5).
#[test]
fn maps_sort_by_value_then_by_key() {
    let with = |pid: u64, comm: &[u8], ino: u64| {
        let mut e = denial();
        e.set_builtin(Builtin::Pid, pid);
        e.set_comm(comm);
        e.set(field::ino, ino);
        e
    };
    let events = vec![
        with(300, b"b", 1),
        with(2, b"aa", 1),
        with(1000, b"c", 1),
        with(2, b"aa", 1),
        with(70000, b"z", 1),
        with(5, b"ab", 1),
    ];
    // Counts tie at 1: by pid, numerically (not by the bytes of its encoding).
    let (out, _) = run("on deny_access_fs { @n[pid] = count() }", events.clone());
    assert_eq!(out, "@n[5]: 1\n@n[300]: 1\n@n[1000]: 1\n@n[70000]: 1\n@n[2]: 2\n\n");
    // Strings tie: by bytes, not by length first.
    let (out, _) =
        run("on deny_access_fs { @n[comm] = count() } END { print(@n); print(@n, 2) }", events.clone());
    assert_eq!(out, "@n[ab]: 1\n@n[b]: 1\n@n[c]: 1\n@n[z]: 1\n@n[aa]: 2\n\n@n[z]: 1\n@n[aa]: 2\n\n");
    // String values: by the string.
    let (out, _) = run("on deny_access_fs { @s[pid] = comm }", events.clone());
    assert_eq!(out, "@s[2]: aa\n@s[5]: ab\n@s[300]: b\n@s[1000]: c\n@s[70000]: z\n\n");
    // Histograms: by samples; print(@h, 1) keeps the one with the most.
    let (out, _) = run("on deny_access_fs { @h[comm] = hist(ino) } END { print(@h, 1) }", events);
    assert!(out.starts_with("@h[aa]:\n"), "{out}");
    assert_eq!(out.matches("@h[").count(), 1, "{out}");
}

/// A map END mentions is END's to show, whether it prints it, reads it in
/// printf or a condition, or clears it (issue 10.6).
#[test]
fn maps_end_mentions_are_not_printed_again() {
    let (out, _) = run(
        "on deny_access_fs { @etc = count(); @cond = count(); @other = count() }
         END { printf(\"ETC %d\\n\", @etc); if @cond > 5 { printf(\"many\\n\") } }",
        vec![denial(), denial()],
    );
    assert_eq!(out, "ETC 2\n@other: 2\n\n");
}

/// `exit()` ends the block it is in (issue 10.8).
#[test]
fn exit_ends_the_block() {
    let (out, _) = run(
        "BEGIN { exit(); printf(\"after\\n\") } on deny_access_fs { printf(\"event\\n\") }",
        vec![denial()],
    );
    assert_eq!(out, "");
    let (out, _) = run(
        "on deny_access_fs { if pid == 4242 { exit(); printf(\"x\\n\") } printf(\"y\\n\") } END { printf(\"end\\n\") }",
        vec![denial(), denial()],
    );
    assert_eq!(out, "end\n");
}

/// A variable assigned on a branch not taken reads 0, afresh for every
/// run of the block; one never assigned before its use is an error
/// (docs/language.md).
#[test]
fn variables_start_at_zero_every_run() {
    let mut big = denial();
    big.set_builtin(Builtin::Pid, 9999);
    let (out, _) = run(
        "on deny_access_fs { if pid > 5000 { $x = 1; $s = \"big\" } printf(\"%d%s \", $x, $s) }",
        vec![denial(), big, denial()],
    );
    assert_eq!(out, "0 1big 0 ");
    assert!(compile("on deny_access_fs { print($y) }", "-e", &CheckOptions::default()).is_err());
}

/// lhist bounds at the ends of i64 and sums past them (issue 11.8): no
/// panic, no wrong bucket, no sum wrapping to the other sign.
#[test]
fn lhist_and_sum_at_the_ends_of_i64() {
    let mut small = denial();
    small.set(field::ino, 5);
    let (out, _) = run(
        "on deny_access_fs { @h = lhist(ino, 0, 10, 9223372036854775807); @s = sum(9223372036854775807) }",
        vec![denial(), small],
    );
    assert!(out.contains("@s: 9223372036854775807"), "{out}");
    assert!(
        out.contains("[0, 10)                    1 |") && out.contains("[10, ...)                  1 |"),
        "{out}"
    );
    let e = compile(
        "on deny_access_fs { @h = lhist(ino, -9223372036854775807, 9223372036854775807, 1) }",
        "-e",
        &CheckOptions::default(),
    )
    .err()
    .expect("too many buckets");
    assert!(e[0].message.contains("buckets, more than 10000"), "{}", e[0].message);
}

/// bpftrace's habit: a map read before it is written reads its type's
/// zero, so `@x = @x + 1` counts and `@depth[d] = @depth[p] + 1` nests
/// (not "map @x is never assigned").
#[test]
fn a_map_read_before_it_is_written_reads_zero() {
    let mut evs = Vec::new();
    for (domain, parent) in [(1, 0), (2, 1), (3, 2), (4, 0)] {
        let mut e = denial();
        e.reset(EventKind::CreateDomain, SourceKind::Replay);
        e.set(field::domain, domain);
        e.set(field::parent, parent);
        evs.push(e);
    }
    evs.push(denial());
    let (out, _) = run(
        "on * { @x = @x + 1; @m[event] = @m[event] + 2 } \
         on create_domain { @depth[domain] = @depth[parent] + 1 } \
         on deny_access_fs { @bits = @bits | blockers }",
        evs,
    );
    assert_eq!(
        out,
        "@x: 5\n\n@m[deny_access_fs]: 2\n@m[create_domain]: 8\n\n\
         @depth[1]: 1\n@depth[4]: 1\n@depth[2]: 2\n@depth[3]: 3\n\n@bits: READ_FILE\n\n"
    );
}

/// bpftrace's integer updates: `@x++`, `@x--`, `@m[k] += n`, `$i++`,
/// `$i <<= n`, `@b |= mask`, as the assignments they stand for.
#[test]
fn integer_updates_as_in_bpftrace() {
    let (out, _) = run(
        "on deny_access_fs { @x++; @x++; @d--; @m[comm] += 5; @m[comm] -= 2; @p *= 3; \
         $i = 1; $i++; $i <<= 3; $i %= 7; @v = $i; @b |= blockers; @b ^= 0 }",
        vec![denial(), denial()],
    );
    // Per event: @x +2, @d -1, @m[curl] +3, @p stays 0, $i = ((1+1)<<3)%7 = 2.
    assert_eq!(out, "@x: 4\n\n@d: -2\n\n@m[curl]: 6\n\n@p: 0\n\n@v: 2\n\n@b: READ_FILE\n\n");
}

/// printf's C conversions and flags: `%c`, `+`, ` `, `#`, a precision;
/// the expected line is what glibc's printf prints for the same format
/// and values (checked with a C program).
#[test]
fn printf_as_c_prints() {
    let (out, _) = run(
        r#"on deny_access_fs { printf("[%+d|%+d|% d|%#x|%#x|%#X|%08x|%#08x|%.3s|%5.2s|%c|%.4d|%+.3d|%-+5d|%-#6x|%08.3d]\n", 5, -5, 5, 255, 0, 255, 255, 255, comm, comm, 65, 7, 7, 3, 42, 7) }"#,
        vec![denial()],
    );
    assert_eq!(out, "[+5|-5| 5|0xff|0|0XFF|000000ff|0x0000ff|cur|   cu|A|0007|+007|+3   |0x2a  |     007]\n");
}

/// A number written where a map's key is an id is that id: `delete` and
/// reads by a hex literal on a map keyed by `domain`.
#[test]
fn hex_literals_are_ids_in_id_keyed_maps() {
    let mut evs = Vec::new();
    for domain in [0x2a3f1001f, 0x2a3f10020] {
        let mut e = denial();
        e.set(field::domain, domain);
        evs.push(e);
    }
    let (out, _) = run(
        "on deny_access_fs { @m[domain] = count() } \
         END { printf(\"%d\\n\", @m[0x2a3f10020]); delete(@m[0x2a3f1001f]); print(@m); clear(@m) }",
        evs,
    );
    assert_eq!(out, "1\n@m[2a3f10020]: 1\n\n");
}

/// `str(x)`, as bpftrace users write it: a string as it is, a mask's
/// rights by name, an id in hex.
#[test]
fn str_as_bpftrace_users_write_it() {
    let (out, _) = run(
        r#"on deny_access_fs { printf("%s|%s|%s|%d\n", str(path), str(blockers), str(domain), str(comm) == comm) }"#,
        vec![denial()],
    );
    assert_eq!(out, "/etc/passwd|READ_FILE|1c1407c26|1\n");
}
