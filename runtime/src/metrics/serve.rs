//! The HTTP side of `--metrics`: `tiny_http` on its own thread; each
//! scrape of `/metrics` is queued for the engine ([`Scrapes`]) and answered
//! with the snapshot it returns, encoded as the scraper asked.

use super::{Request, Scrapes};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;
use tiny_http::{Header, Method, Response, Server};

/// How long a scrape waits for the engine before it is answered 503 (the
/// engine is busy for that long only while a huge map is copied, or at
/// the end of a run).
const ENGINE_WAIT: Duration = Duration::from_secs(10);

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
const TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The running server; dropping it stops it.
pub struct MetricsServer {
    server: Arc<Server>,
    thread: Option<JoinHandle<()>>,
    pub scrapes: Arc<Scrapes>,
    /// The address it listens on (the port resolved if 0 was asked for).
    pub addr: String,
}

impl std::fmt::Debug for MetricsServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsServer").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl MetricsServer {
    /// Listens on `addr` (`HOST:PORT`).
    pub fn start(addr: &str) -> Result<MetricsServer, String> {
        let scrapes = Scrapes::new().map_err(|e| format!("--metrics: cannot make an eventfd: {e}"))?;
        // The server's threads (tiny_http's and ours) never take the
        // signals that end a run: those are the main thread's to handle.
        let (server, thread) = with_signals_blocked(|| {
            let server = Server::http(addr).map_err(|e| format!("--metrics {addr}: cannot listen: {e}"))?;
            let server = Arc::new(server);
            let (s, q) = (Arc::clone(&server), Arc::clone(&scrapes));
            let thread = std::thread::Builder::new()
                .name("landtrace-metrics".into())
                .spawn(move || {
                    for request in s.incoming_requests() {
                        answer(request, &q);
                    }
                })
                .map_err(|e| format!("--metrics: cannot start the server thread: {e}"))?;
            Ok::<_, String>((server, thread))
        })?;
        let bound = server.server_addr().to_ip().map_or_else(|| addr.to_string(), |a| a.to_string());
        Ok(MetricsServer { server, thread: Some(thread), scrapes, addr: bound })
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Runs `f` with the run-ending signals ([`crate::stop::SIGNALS`])
/// blocked, so that the threads it starts inherit the block.
fn with_signals_blocked<T>(f: impl FnOnce() -> T) -> T {
    let set = crate::stop::signal_set();
    // SAFETY: masks of initialised sets; the old mask is restored.
    unsafe {
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::pthread_sigmask(libc::SIG_BLOCK, &raw const set, &raw mut old);
        let r = f();
        libc::pthread_sigmask(libc::SIG_SETMASK, &raw const old, std::ptr::null_mut());
        r
    }
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("an ASCII header")
}

/// Whether the scraper accepts `OpenMetrics` (Prometheus asks for it first).
fn wants_openmetrics(request: &tiny_http::Request) -> bool {
    request
        .headers()
        .iter()
        .filter(|h| h.field.equiv("Accept"))
        .any(|h| h.value.as_str().contains("application/openmetrics-text"))
}

fn answer(request: tiny_http::Request, scrapes: &Scrapes) {
    let path = request.url().split('?').next().unwrap_or_default().to_string();
    let text = |body: String, code: u16| {
        Response::from_string(body)
            .with_status_code(code)
            .with_header(header("Content-Type", "text/plain; charset=utf-8"))
    };
    if !matches!(request.method(), Method::Get | Method::Head) {
        let _ = request.respond(text("landtrace serves GET /metrics\n".into(), 405));
        return;
    }
    match path.as_str() {
        "/metrics" => {}
        "/" => {
            let _ = request.respond(text("landtrace: the metrics are at /metrics\n".into(), 200));
            return;
        }
        _ => {
            let _ = request.respond(text("not found: the metrics are at /metrics\n".into(), 404));
            return;
        }
    }
    let openmetrics = wants_openmetrics(&request);
    let (tx, rx) = mpsc::sync_channel(1);
    scrapes.push(Request { reply: tx });
    if let Ok(snapshot) = rx.recv_timeout(ENGINE_WAIT) {
        let body = snapshot.encode(openmetrics);
        let kind = if openmetrics { OPENMETRICS } else { TEXT };
        let _ = request.respond(Response::from_string(body).with_header(header("Content-Type", kind)));
    } else {
        let body =
            format!("landtrace is busy: the engine did not answer within {} s\n", ENGINE_WAIT.as_secs());
        let _ = request.respond(text(body, 503));
    }
}
