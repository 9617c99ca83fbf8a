//! `--metrics`: the real binary serving a replay's maps over HTTP, scraped
//! by a plain HTTP client and by a real Prometheus server (Debian's
//! `prometheus` package; without it the test is reported ignored, or
//! fails under `LANDTRACE_REQUIRE_LIVE=1`).

mod harness;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

fn main() -> std::process::ExitCode {
    harness::main(&[
        ("a_replay_from_a_pipe_is_scraped_while_it_waits", a_replay_from_a_pipe_is_scraped_while_it_waits),
        ("openmetrics_is_served_when_asked_for", openmetrics_is_served_when_asked_for),
        ("metrics_refuse_what_cannot_work", metrics_refuse_what_cannot_work),
        ("prometheus_scrapes_landtrace", prometheus_scrapes_landtrace),
        ("the_systemd_units_are_valid", the_systemd_units_are_valid),
    ])
}

const DENIAL: &str = r#"{"type":"event","v":1,"event":"deny_access_fs","source":"replay","time":5009143746000,"pid":1201,"tid":1201,"ppid":0,"uid":0,"gid":0,"cpu":0,"cgroup":0,"comm":"COMM","domain":"1c1400008","same_exec":true,"logged":true,"blockers":["READ_FILE"],"blockers_raw":4,"dev":"254:0","ino":831444,"path":"/etc/shadow"}"#;

/// A comm with every character the exposition formats must escape, and a
/// byte that is not UTF-8 (`\xff` in JSON's `\u00ff` is the character ÿ;
/// the quote, backslash and newline are JSON escapes).
const HOSTILE: &str = r#"evil\"} 1\nlandtrace_fake 9\\"#;

fn denial(comm: &str) -> String {
    DENIAL.replace("COMM", comm) + "\n"
}

/// landtrace replaying its standard input with `--metrics` on a free
/// port, and that port.
struct Served {
    child: Child,
    stdin: Option<ChildStdin>,
    addr: String,
}

fn serve(program: &str) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_landtrace"))
        .args(["--metrics", "127.0.0.1:0", "-e", program, "--replay", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("landtrace starts");
    let stdin = child.stdin.take();
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    let addr = loop {
        line.clear();
        assert!(stderr.read_line(&mut line).expect("stderr") > 0, "landtrace ended before serving metrics");
        if let Some(rest) = line.trim().strip_prefix("landtrace: metrics at http://") {
            break rest.trim_end_matches("/metrics").to_string();
        }
    };
    // Keep draining stderr so landtrace never blocks on it.
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    Served { child, stdin, addr }
}

impl Served {
    fn feed(&mut self, lines: &str) {
        let w = self.stdin.as_mut().expect("stdin open");
        w.write_all(lines.as_bytes()).unwrap();
        w.flush().unwrap();
    }

    /// Closes standard input: the replay ends and landtrace exits.
    fn finish(mut self) -> std::process::ExitStatus {
        drop(self.stdin.take());
        self.child.wait().unwrap()
    }
}

/// GET `path` with an optional Accept header: status, Content-Type, body.
fn get(addr: &str, path: &str, accept: Option<&str>) -> (u16, String, String) {
    try_get(addr, path, accept).unwrap_or_else(|e| panic!("GET http://{addr}{path}: {e}"))
}

fn try_get(addr: &str, path: &str, accept: Option<&str>) -> std::io::Result<(u16, String, String)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let accept = accept.map(|a| format!("Accept: {a}\r\n")).unwrap_or_default();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{accept}Connection: close\r\n\r\n").unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply)?;
    let (head, body) = reply.split_once("\r\n\r\n").expect("a reply with a head");
    let status = head.split(' ').nth(1).and_then(|c| c.parse().ok()).expect("a status");
    let content_type =
        head.lines().find_map(|l| l.strip_prefix("Content-Type: ")).unwrap_or_default().to_string();
    Ok((status, content_type, body.to_string()))
}

/// Scrapes until `want` is in the body (the engine reads the pipe
/// meanwhile), for at most 10 s.
fn scrape_until(addr: &str, want: &str) -> String {
    let start = Instant::now();
    loop {
        let (status, _, body) = get(addr, "/metrics", None);
        assert_eq!(status, 200, "{body}");
        if body.contains(want) {
            return body;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "never got {want} in:\n{body}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn a_replay_from_a_pipe_is_scraped_while_it_waits() {
    let mut s = serve("on deny_access_fs { @denials[event, program: comm] = count() }");
    // Nothing read yet: the engine waits on the pipe, and still answers.
    let body = scrape_until(&s.addr, "landtrace_tracer_events_delivered_total 0\n");
    assert!(body.contains("# TYPE landtrace_denials_total counter"), "{body}");
    s.feed(&denial("nginx").repeat(3));
    s.feed(&denial(HOSTILE));
    let body = scrape_until(&s.addr, "landtrace_tracer_events_delivered_total 4\n");
    assert!(
        body.contains("landtrace_denials_total{event=\"deny_access_fs\",program=\"nginx\"} 3\n"),
        "{body}"
    );
    // The hostile comm is one label value: the newline and backslash as
    // `\xNN`, then the format's escaping of `"` and `\`.
    let hostile =
        r#"landtrace_denials_total{event="deny_access_fs",program="evil\"} 1\\x0alandtrace_fake 9\\x5c"} 1"#;
    assert!(body.contains(hostile), "{hostile} in:\n{body}");
    assert!(!body.lines().any(|l| l.starts_with("landtrace_fake")), "{body}");
    let (status, _, _) = get(&s.addr, "/nothing", None);
    assert_eq!(status, 404);
    assert!(s.finish().success());
}

fn openmetrics_is_served_when_asked_for() {
    let mut s = serve("on deny_access_fs { @h[comm] = hist(pid) }");
    s.feed(&denial("nginx"));
    scrape_until(&s.addr, "landtrace_tracer_events_delivered_total 1\n");
    let (status, kind, body) =
        get(&s.addr, "/metrics", Some("application/openmetrics-text;version=1.0.0,*/*;q=0.1"));
    assert_eq!(status, 200);
    assert!(kind.starts_with("application/openmetrics-text; version=1.0.0"), "{kind}");
    assert!(body.ends_with("# EOF\n"), "{body}");
    assert!(body.contains("landtrace_h_bucket{le=\"2047.0\",comm=\"nginx\"} 1\n"), "{body}");
    assert!(body.contains("landtrace_h_count{comm=\"nginx\"} 1\n"), "{body}");
    let (_, kind, body) = get(&s.addr, "/metrics", None);
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    assert!(!body.contains("# EOF"), "{body}");
    assert!(s.finish().success());
}

fn metrics_refuse_what_cannot_work() {
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_landtrace")).args(args).output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/traces/demo.jsonl");
    let (code, err) = run(&["--metrics", "nowhere", "-e", "on * { @n = count() }", "--replay", demo]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("--metrics nowhere: cannot listen"), "{err}");
    let (code, err) =
        run(&["--metrics", "127.0.0.1:0", "-e", "on * { @tracer_x = count() }", "--replay", demo]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("landtrace's own"), "{err}");
    // Two landtraces cannot share a port.
    let mut s = serve("on * { @n = count() }");
    let (code, err) = run(&["--metrics", &s.addr, "-e", "on * { @n = count() }", "--replay", demo]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("cannot listen"), "{err}");
    s.feed("");
    assert!(s.finish().success());
}

/// Finds Prometheus, or skips.
fn prometheus() -> String {
    for p in ["/usr/bin/prometheus", "/usr/local/bin/prometheus"] {
        if std::path::Path::new(p).exists() {
            return p.to_string();
        }
    }
    harness::skip("prometheus_scrapes_landtrace", "needs prometheus (apt-get install prometheus)")
}

/// A free TCP port on the loopback.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The value of the single series `query` returns, once Prometheus has one.
fn query(prom: &str, query: &str, deadline: Instant) -> Option<String> {
    let q: String = query
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect();
    while Instant::now() < deadline {
        // Prometheus may not be listening yet.
        if let Ok((200, _, body)) = try_get(prom, &format!("/api/v1/query?query={q}"), None) {
            let v: serde_json::Value = serde_json::from_str(&body).expect("Prometheus answers JSON");
            if let Some(value) = v["data"]["result"][0]["value"][1].as_str() {
                return Some(value.to_string());
            }
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    None
}

fn prometheus_scrapes_landtrace() {
    let bin = prometheus();
    let mut s = serve("on deny_access_fs { @denials[event, comm] = count(); @h = hist(pid) }");
    s.feed(&denial("nginx").repeat(5));
    s.feed(&denial("curl").repeat(2));
    s.feed(&denial(HOSTILE));
    scrape_until(&s.addr, "landtrace_tracer_events_delivered_total 8\n");
    let dir = std::env::temp_dir().join(format!("landtrace-prometheus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: landtrace\n    \
             static_configs:\n      - targets: ['{}']\n",
            s.addr
        ),
    )
    .unwrap();
    let web = format!("127.0.0.1:{}", free_port());
    let mut prom = Command::new(bin)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
        .arg(format!("--web.listen-address={web}"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("prometheus.log")).unwrap())
        .spawn()
        .expect("prometheus starts");
    let deadline = Instant::now() + Duration::from_mins(1);
    let result = std::panic::catch_unwind(|| {
        assert_eq!(
            query(&web, r#"landtrace_denials_total{comm="nginx"}"#, deadline).as_deref(),
            Some("5"),
            "the nginx series"
        );
        assert_eq!(query(&web, r#"landtrace_denials_total{comm="curl"}"#, deadline).as_deref(), Some("2"));
        assert_eq!(query(&web, "landtrace_h_count", deadline).as_deref(), Some("8"));
        // `le` as written: OpenMetrics's "2047.0" (Prometheus 2) or normalised.
        assert_eq!(query(&web, r#"landtrace_h_bucket{le=~"2047(\\.0)?"}"#, deadline).as_deref(), Some("8"));
        assert_eq!(query(&web, "landtrace_tracer_events_delivered_total", deadline).as_deref(), Some("8"));
        // The hostile comm came back as one label value, as landtrace's
        // text output spells it.
        let hostile = r#"landtrace_denials_total{comm="evil\"} 1\\x0alandtrace_fake 9\\x5c"}"#;
        assert_eq!(query(&web, hostile, deadline).as_deref(), Some("1"), "the hostile series");
        let soon = Instant::now() + Duration::from_secs(2);
        assert_eq!(query(&web, "count(landtrace_fake)", soon), None, "no injected series");
    });
    let _ = prom.kill();
    let _ = prom.wait();
    let log = std::fs::read_to_string(dir.join("prometheus.log")).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(s.finish().success());
    if let Err(e) = result {
        eprintln!("prometheus log:\n{log}");
        std::panic::resume_unwind(e);
    }
}

/// examples/systemd's units pass `systemd-analyze verify` (with the binary
/// built here in place of /usr/bin/landtrace).
fn the_systemd_units_are_valid() {
    let analyze = "/usr/bin/systemd-analyze";
    if !std::path::Path::new(analyze).exists() {
        harness::skip("the_systemd_units_are_valid", "needs systemd-analyze (apt-get install systemd)");
    }
    let dir = std::env::temp_dir().join(format!("landtrace-units-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let env = dir.join("runbook.env");
    std::fs::write(&env, "LANDTRACE_METRICS=127.0.0.1:9465\n").unwrap();
    for unit in ["landtrace.service", "landtrace@.service"] {
        let text = std::fs::read_to_string(format!("{}/examples/systemd/{unit}", env!("CARGO_MANIFEST_DIR")))
            .unwrap();
        assert!(text.contains("ExecReload=/bin/kill -HUP $MAINPID"), "{unit}");
        assert!(text.contains("AmbientCapabilities=") && text.contains("DynamicUser=yes"), "{unit}");
        let text = text
            .replace("/usr/bin/landtrace", env!("CARGO_BIN_EXE_landtrace"))
            .replace("/etc/landtrace/%i.env", env.to_str().unwrap());
        std::fs::write(dir.join(unit), text).unwrap();
    }
    for unit in ["landtrace.service", "landtrace@runbook.service"] {
        let out = Command::new(analyze).args(["verify", "--man=no"]).arg(dir.join(unit)).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && err.trim().is_empty(), "{unit}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
