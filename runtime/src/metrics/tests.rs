use super::*;
use crate::engine::{Engine, EngineOptions};
use crate::output::{OutFormat, Output};
use crate::source::VecSource;
use landtrace_compiler::interp::Interpreter;
use landtrace_compiler::{CheckOptions, compile};
use landtrace_event::record::Event;
use landtrace_event::schema::{EventKind, field};

/// The exposition of `program` after it ran over `events`.
fn exposition(program: &str, events: Vec<Event>, openmetrics: bool) -> String {
    let c = compile(program, "t", &CheckOptions::default()).unwrap_or_else(|d| panic!("{d:?}"));
    let (out, _) = Output::to_vec(OutFormat::Text);
    let mut engine = Engine::new(&c.ir, Box::new(Interpreter::new(&c.ir)), out, EngineOptions::default());
    let scrapes = Scrapes::new().unwrap();
    engine.set_scrapes(Arc::clone(&scrapes));
    let mut source = VecSource::new(events);
    let mut ev = Event::new();
    crate::engine::run_source_until(&mut engine, &mut source, &mut ev, &AtomicBool::new(false)).unwrap();
    let (tx, rx) = mpsc::sync_channel(1);
    scrapes.push(Request { reply: tx });
    engine.serve_scrapes(&Telemetry { delivered: engine.events(), ..Default::default() });
    rx.try_recv().expect("the scrape was answered").encode(openmetrics)
}

fn denial(comm: &[u8], path: &[u8], pid: u64) -> Event {
    let mut ev = Event::new();
    ev.reset(EventKind::DenyAccessFs, landtrace_event::schema::SourceKind::Replay);
    ev.set_comm(comm);
    ev.set_builtin(landtrace_event::schema::Builtin::Pid, pid);
    ev.set_str(field::path, path);
    ev
}

#[test]
fn a_counted_map_is_a_counter_labelled_by_its_keys() {
    let events =
        vec![denial(b"nginx", b"/etc/a", 1), denial(b"nginx", b"/etc/b", 1), denial(b"curl", b"/x", 2)];
    let text = exposition("on deny_access_fs { @denials[event, comm] = count() }", events, false);
    assert!(text.contains("# TYPE landtrace_denials_total counter\n"), "{text}");
    assert!(text.contains("landtrace_denials_total{event=\"deny_access_fs\",comm=\"nginx\"} 2\n"), "{text}");
    assert!(text.contains("landtrace_denials_total{event=\"deny_access_fs\",comm=\"curl\"} 1\n"), "{text}");
    assert!(text.contains("landtrace_tracer_events_delivered_total 3\n"), "{text}");
    assert!(text.contains("landtrace_tracer_keys{map=\"@denials\"} 2\n"), "{text}");
    let om = exposition(
        "on deny_access_fs { @denials[event, comm] = count() }",
        vec![denial(b"a", b"/", 1)],
        true,
    );
    assert!(om.contains("# TYPE landtrace_denials counter\n"), "{om}");
    assert!(om.ends_with("# EOF\n"), "{om}");
}

#[test]
fn hostile_label_values_stay_inside_their_quotes() {
    let events = vec![denial(b"a\"b\\c\nd\xff", b"/etc/\"}\n", 1)];
    let text = exposition("on deny_access_fs { @[prog: comm, path] = count() }", events, false);
    let line = text.lines().find(|l| l.starts_with("landtrace_map_total{")).expect("the series");
    // Every line is one sample: the newline is escaped, and the quotes
    // and backslashes inside values are too.
    assert!(line.starts_with("landtrace_map_total{prog=\""), "{line}");
    assert!(line.ends_with("} 1"), "{line}");
    assert!(!text.contains("\nd"), "{text}");
    let values: Vec<&str> = line.split("=\"").skip(1).collect();
    assert_eq!(values.len(), 2, "{line}");
    for v in values {
        // An unescaped quote would end the value early.
        let body = &v[..v.rfind('"').unwrap()];
        let mut chars = body.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => assert!(matches!(chars.next(), Some('\\' | '"' | 'n')), "{line}"),
                '"' | '\n' => panic!("unescaped {c:?} in {line}"),
                _ => {}
            }
        }
    }
}

#[test]
fn histograms_have_cumulative_integer_buckets() {
    let events = [0u64, 1, 2, 3, 5].iter().map(|p| denial(b"x", b"/", *p)).collect();
    let text = exposition("on deny_access_fs { @h[comm] = hist(pid) }", events, false);
    assert!(text.contains("# TYPE landtrace_h histogram\n"), "{text}");
    for want in [
        "landtrace_h_sum{comm=\"x\"} 11.0\n",
        "landtrace_h_count{comm=\"x\"} 5\n",
        "landtrace_h_bucket{comm=\"x\",le=\"0\"} 1\n",
        "landtrace_h_bucket{comm=\"x\",le=\"1\"} 2\n",
        "landtrace_h_bucket{comm=\"x\",le=\"3\"} 4\n",
        "landtrace_h_bucket{comm=\"x\",le=\"7\"} 5\n",
        "landtrace_h_bucket{comm=\"x\",le=\"+Inf\"} 5\n",
    ] {
        assert!(text.contains(want), "{want} in {text}");
    }
    // No bucket of negative values when there are none, none past the highest.
    assert!(!text.contains("le=\"-1\""), "{text}");
    assert!(!text.contains("le=\"15\""), "{text}");
    let lh = exposition(
        "on deny_access_fs { @l = lhist(pid, 0, 10, 5) }",
        vec![denial(b"x", b"/", 3), denial(b"x", b"/", 12)],
        false,
    );
    for want in ["le=\"-1\"} 0\n", "le=\"4\"} 1\n", "le=\"9\"} 1\n", "le=\"+Inf\"} 2\n"] {
        assert!(lh.contains(want), "{want} in {lh}");
    }
}

#[test]
fn values_that_can_go_down_are_gauges() {
    let events = vec![denial(b"x", b"/", 4), denial(b"x", b"/", 8)];
    let text = exposition(
        "on deny_access_fs { @c[comm] = count(); @s = stats(pid); @m = max(pid); @last[comm] = path } \
         every 1h { clear(@c) }",
        events,
        false,
    );
    assert!(text.contains("# TYPE landtrace_c gauge\nlandtrace_c{comm=\"x\"} 2\n"), "{text}");
    assert!(text.contains("landtrace_s_count 2\n"), "{text}");
    assert!(text.contains("landtrace_s_sum 12\n"), "{text}");
    assert!(text.contains("landtrace_s_avg 6\n"), "{text}");
    assert!(text.contains("landtrace_m 8\n"), "{text}");
    assert!(text.contains("landtrace_last{comm=\"x\",value=\"/\"} 1\n"), "{text}");
}

#[test]
fn dropped_keys_are_counted() {
    let c = compile("on deny_access_fs { @k[pid] = count() }", "t", &CheckOptions::default()).unwrap();
    let (out, _) = Output::to_vec(OutFormat::Text);
    let opts = EngineOptions { max_keys: 2, ..Default::default() };
    let mut engine = Engine::new(&c.ir, Box::new(Interpreter::new(&c.ir)), out, opts);
    let scrapes = Scrapes::new().unwrap();
    engine.set_scrapes(Arc::clone(&scrapes));
    let mut source = VecSource::new((1..=5).map(|p| denial(b"x", b"/", p)).collect());
    crate::engine::run_source_until(&mut engine, &mut source, &mut Event::new(), &AtomicBool::new(false))
        .unwrap();
    let (tx, rx) = mpsc::sync_channel(1);
    scrapes.push(Request { reply: tx });
    engine.serve_scrapes(&Telemetry::default());
    let text = rx.try_recv().unwrap().encode(false);
    assert!(text.contains("landtrace_tracer_dropped_keys_total{map=\"@k\"} 3\n"), "{text}");
}

#[test]
fn map_names_that_cannot_be_exported_are_refused() {
    assert!(check_names(&["@denials", "@"]).is_ok());
    assert!(check_names(&["@tracer_x"]).unwrap_err().contains("landtrace's own"));
    assert!(check_names(&["@", "@map"]).unwrap_err().contains("both be the metric landtrace_map"));
}

#[test]
fn label_text_keeps_text_and_escapes_the_rest() {
    assert_eq!(label_text(b"/home/a b/\"q\"=\xc3\xa9"), "/home/a b/\"q\"=\u{e9}");
    assert_eq!(label_text(b"a\nb\\c\xff\x1b[0m"), "a\\x0ab\\x5cc\\xff\\x1b[0m");
    // Different bytes, different values.
    assert_ne!(label_text(b"\\x0a"), label_text(b"\n"));
}
