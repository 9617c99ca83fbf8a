//! `--metrics`: the program's maps, and landtrace's own counters, as
//! Prometheus metrics (docs/operations.md, "Metrics").
//!
//! The maps belong to the engine's thread, so a scrape is a request to it:
//! the HTTP thread ([`serve`]) queues the request and wakes the engine
//! (an eventfd the live loop polls, a flag the replay loop reads between
//! events); the engine copies its maps into a [`Snapshot`] and hands it
//! back; the HTTP thread encodes it with `prometheus-client` in the format
//! the scraper asked for and answers. The engine's part is a copy of the
//! values, so tracing pauses only for that.

pub mod serve;

use crate::maps::{self, Agg, Map};
use landtrace_compiler::typed::MapValue;
use landtrace_event::value::{Val, text_val};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Instant;

/// Every metric name starts with this.
pub const PREFIX: &str = "landtrace_";

/// landtrace's own metrics are `landtrace_tracer_*`: no map may be
/// exported under such a name.
pub const OWN: &str = "tracer_";

/// What the sources counted, for landtrace's own metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Telemetry {
    /// Records the probes saw (live), or events read (replay).
    pub seen: u64,
    /// Dropped in the kernel by the pushed-down filter.
    pub filtered: u64,
    /// Events that reached the engine.
    pub delivered: u64,
    /// Lost: a full ring buffer, probes the kernel skipped, audit's losses,
    /// or what a replayed trace says was lost.
    pub lost: u64,
    /// Lines or records that could not be decoded.
    pub malformed: u64,
}

/// The metric name of a map: `@denials` is `landtrace_denials`, the
/// anonymous `@` is `landtrace_map`.
pub fn metric_name(map: &str) -> String {
    let bare = map.trim_start_matches('@');
    format!("{PREFIX}{}", if bare.is_empty() { "map" } else { bare })
}

/// Maps that cannot be exported as named: a name of landtrace's own
/// metrics, or two maps with one name (`@` and `@map`).
pub fn check_names(maps: &[&str]) -> Result<(), String> {
    let mut seen: Vec<(String, &str)> = Vec::new();
    for m in maps {
        let name = metric_name(m);
        if name.starts_with(&format!("{PREFIX}{OWN}")) {
            return Err(format!(
                "map {m} cannot be exported as metrics: names starting with @{OWN} are landtrace's own \
                 ({name}_*); rename the map"
            ));
        }
        if let Some((_, other)) = seen.iter().find(|(n, _)| *n == name) {
            return Err(format!("maps {other} and {m} would both be the metric {name}: rename one"));
        }
        seen.push((name, m));
    }
    Ok(())
}

/// One series: its labels and value.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Counter(u64),
    Gauge(i64),
    /// Sum, count, and (upper bound, count in that bucket) ascending.
    Histogram {
        sum: f64,
        count: u64,
        buckets: Vec<(f64, u64)>,
    },
}

type Labels = Vec<(String, String)>;

#[derive(Clone, Debug)]
struct Family {
    name: String,
    help: String,
    kind: MetricType,
    series: Vec<(Labels, Value)>,
}

/// A copy of every exported value at one moment, encoded on the HTTP
/// thread.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    families: Vec<Family>,
}

impl Snapshot {
    /// The maps and counters now. `uptime`: seconds since landtrace started.
    pub fn take(maps: &[Map], tel: &Telemetry, uptime: f64) -> Snapshot {
        let mut families = Vec::new();
        for m in maps {
            map_families(m, &mut families);
        }
        own_families(maps, tel, uptime, &mut families);
        Snapshot { families }
    }

    /// In the `OpenMetrics` text format, or in Prometheus's text format
    /// (0.0.4).
    pub fn encode(self, openmetrics: bool) -> String {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(self));
        let mut out = String::new();
        let encoded = if openmetrics {
            prometheus_client::encoding::text::encode(&mut out, &registry)
        } else {
            prometheus_client::encoding::prometheus_text::encode(&mut out, &registry)
        };
        // Writing into a String fails only on a bug of the encoder.
        encoded.expect("encoding metrics into a string");
        out
    }

    /// Number of series (a histogram counts as one).
    pub fn series(&self) -> usize {
        self.families.iter().map(|f| f.series.len()).sum()
    }
}

impl Collector for Snapshot {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        for f in &self.families {
            let mut metric = encoder.encode_descriptor(&f.name, &f.help, None, f.kind)?;
            for (labels, value) in &f.series {
                let mut series = metric.encode_family(labels)?;
                match value {
                    Value::Counter(n) => ConstCounter::new(*n).encode(series)?,
                    Value::Gauge(n) => ConstGauge::new(*n).encode(series)?,
                    Value::Histogram { sum, count, buckets } => {
                        series.encode_histogram::<Labels>(*sum, *count, buckets, None)?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// A key's values as label values: numbers, IDs and masks as text output
/// spells them; strings by [`label_text`].
fn labels(map: &Map, key: &[u8]) -> Labels {
    let mut buf = Vec::new();
    maps::decode(key)
        .iter()
        .zip(&map.decl.labels)
        .map(|(v, l)| {
            let value = match v {
                Val::Str(s, _) => label_text(s),
                v => {
                    buf.clear();
                    text_val(&mut buf, v);
                    String::from_utf8_lossy(&buf).into_owned()
                }
            };
            (l.name.clone(), value)
        })
        .collect()
}

/// A path or comm as a label value: its text where it is UTF-8, with
/// control characters, `\` and bytes that are not UTF-8 as `\xNN`, so
/// different bytes never give one value. The exposition format then
/// escapes what it must (`"`, `\`, newline), which the encoder does.
pub fn label_text(s: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(s.len());
    for chunk in s.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_ascii_control() || c == '\\' {
                let _ = write!(out, "\\x{:02x}", c as u32);
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

fn map_families(m: &Map, out: &mut Vec<Family>) {
    let name = metric_name(&m.decl.name);
    let keys = if m.decl.labels.is_empty() {
        String::new()
    } else {
        let names: Vec<&str> = m.decl.labels.iter().map(|l| l.name.as_str()).collect();
        format!(" by {}", names.join(", "))
    };
    let help = |what: &str| format!("{}: {what}{keys}", m.decl.name);
    let rows = m.sorted();
    let family =
        |name: String, help: String, kind: MetricType| Family { name, help, kind, series: Vec::new() };
    match m.decl.value {
        MapValue::Count if !m.decl.cleared => {
            let mut f = family(name, help("count()"), MetricType::Counter);
            for (k, a) in &rows {
                f.series.push((labels(m, k), Value::Counter(a.read().max(0) as u64)));
            }
            out.push(f);
        }
        MapValue::Stats => {
            let mut parts = [
                family(format!("{name}_count"), help("stats(), number of values"), MetricType::Gauge),
                family(format!("{name}_sum"), help("stats(), total"), MetricType::Gauge),
                family(format!("{name}_avg"), help("stats(), average"), MetricType::Gauge),
            ];
            for (k, a) in &rows {
                let Agg::Stats { count, sum } = a else { continue };
                let l = labels(m, k);
                parts[0].series.push((l.clone(), Value::Gauge(*count as i64)));
                parts[1].series.push((l.clone(), Value::Gauge(*sum)));
                parts[2].series.push((l, Value::Gauge(maps::avg(*sum, *count))));
            }
            out.extend(parts);
        }
        MapValue::Hist | MapValue::Lhist { .. } => {
            let mut f = family(name, help(m.decl.value.name()), MetricType::Histogram);
            let layout = layout(&rows);
            for (k, a) in &rows {
                let Agg::Buckets { counts, sum } = a else { continue };
                f.series.push((labels(m, k), histogram(m.decl.value, counts, *sum, layout)));
            }
            out.push(f);
        }
        MapValue::Last(_) => {
            // A string value is a label of a series whose value is 1.
            let mut f = family(name, help("last value stored"), MetricType::Gauge);
            for (k, a) in &rows {
                let Agg::Last(enc) = a else { continue };
                let mut l = labels(m, k);
                let value = match maps::decode(enc).first() {
                    Some(Val::Str(s, _)) => {
                        l.push(("value".into(), label_text(s)));
                        1
                    }
                    Some(Val::Id(v) | Val::Mask(_, v)) => *v as i64,
                    Some(v) => v.as_i64(),
                    None => 0,
                };
                f.series.push((l, Value::Gauge(value)));
            }
            out.push(f);
        }
        // count() of a map that is cleared, sum, min, max, avg: values
        // that can go down.
        v => {
            let mut f = family(name, help(v.name()), MetricType::Gauge);
            for (k, a) in &rows {
                f.series.push((labels(m, k), Value::Gauge(a.read())));
            }
            out.push(f);
        }
    }
}

/// The bucket layout of a histogram map, one for all its keys: up to the
/// highest bucket any key has a value in (those above are empty), and
/// hist's bucket of negative values only if some key has one.
fn layout(rows: &[(&[u8], &Agg)]) -> (usize, bool) {
    let mut upto = 0;
    let mut negative = false;
    for (_, a) in rows {
        if let Agg::Buckets { counts, .. } = a {
            upto = upto.max(counts.iter().rposition(|n| *n > 0).unwrap_or(0));
            negative |= counts.first().is_some_and(|n| *n > 0);
        }
    }
    (upto, negative)
}

/// A hist or lhist as a metric histogram. The values are integers, so
/// the bucket `[lo, hi)` holds the values up to `hi - 1`: that is its
/// upper bound `le`; what is above the layout's last bucket is in `+Inf`.
// Bounds and sums past 2^53 lose their last digits as floats, as every
// Prometheus value does.
#[allow(clippy::cast_precision_loss)]
fn histogram(kind: MapValue, counts: &[u64], sum: i64, (upto, negative): (usize, bool)) -> Value {
    let len = counts.len();
    let skip = usize::from(kind == MapValue::Hist && !negative);
    let mut buckets = Vec::new();
    for (i, n) in counts.iter().enumerate().take(upto.min(len - 2) + 1).skip(skip) {
        match crate::output::bucket_bounds(kind, i, len).1 {
            Some(hi) => buckets.push(((hi as f64) - 1.0, *n)),
            None => break,
        }
    }
    let count: u64 = counts.iter().sum();
    let below: u64 = counts[..skip].iter().sum();
    let counted: u64 = buckets.iter().map(|(_, n)| n).sum::<u64>() + below;
    buckets.push((f64::INFINITY, count - counted));
    Value::Histogram { sum: sum as f64, count, buckets }
}

fn own_families(maps: &[Map], tel: &Telemetry, uptime: f64, out: &mut Vec<Family>) {
    let own = |what: &str| format!("{PREFIX}{OWN}{what}");
    let counter = |name: &str, help: &str, n: u64| Family {
        name: own(name),
        help: help.into(),
        kind: MetricType::Counter,
        series: vec![(Vec::new(), Value::Counter(n))],
    };
    out.push(counter(
        "events_seen",
        "Records the probes saw, or events read from a replayed trace",
        tel.seen,
    ));
    out.push(counter(
        "events_filtered",
        "Records dropped in the kernel by the pushed-down filter",
        tel.filtered,
    ));
    out.push(counter("events_delivered", "Events that reached the program", tel.delivered));
    out.push(counter("events_lost", "Events lost before landtrace could read them", tel.lost));
    out.push(counter("malformed", "Lines or records that could not be decoded", tel.malformed));
    let per_map = |name: &str, help: &str, kind: MetricType, f: &dyn Fn(&Map) -> Value| Family {
        name: own(name),
        help: help.into(),
        kind,
        series: maps.iter().map(|m| (vec![("map".to_string(), m.decl.name.clone())], f(m))).collect(),
    };
    out.push(per_map(
        "dropped_keys",
        "New keys refused because the map was full (--max-keys)",
        MetricType::Counter,
        &|m| Value::Counter(m.dropped),
    ));
    out.push(per_map("keys", "Keys in the map now", MetricType::Gauge, &|m| Value::Gauge(m.len() as i64)));
    out.push(Family {
        name: own("uptime_seconds"),
        help: "Seconds since landtrace started".into(),
        kind: MetricType::Gauge,
        series: vec![(Vec::new(), Value::Gauge(uptime as i64))],
    });
}

/// A scrape waiting for the engine: the format it wants, and where the
/// snapshot goes.
pub struct Request {
    pub reply: mpsc::SyncSender<Snapshot>,
}

/// The queue between the HTTP thread and the engine.
pub struct Scrapes {
    queue: Mutex<Vec<Request>>,
    pending: AtomicBool,
    wake: OwnedFd,
    started: Instant,
}

impl std::fmt::Debug for Scrapes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scrapes").field("pending", &self.pending).finish_non_exhaustive()
    }
}

impl Scrapes {
    pub fn new() -> io::Result<Arc<Scrapes>> {
        // SAFETY: eventfd returns a new descriptor or -1.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Arc::new(Scrapes {
            queue: Mutex::new(Vec::new()),
            pending: AtomicBool::new(false),
            // SAFETY: fd was just opened and is owned here alone.
            wake: unsafe { OwnedFd::from_raw_fd(fd) },
            started: Instant::now(),
        }))
    }

    /// Readable while a scrape waits (for the live loop's poll).
    pub fn fd(&self) -> RawFd {
        self.wake.as_raw_fd()
    }

    /// Whether a scrape waits (one load: checked between events).
    #[inline]
    pub fn pending(&self) -> bool {
        self.pending.load(Ordering::Relaxed)
    }

    /// Seconds since the queue was made (landtrace's start, near enough).
    pub fn uptime(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// Queues a request and wakes the engine.
    pub fn push(&self, r: Request) {
        self.queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(r);
        self.pending.store(true, Ordering::Release);
        let one = 1u64.to_ne_bytes();
        // SAFETY: writes 8 bytes from a live buffer to our eventfd; a full
        // counter (EAGAIN) still leaves it readable.
        unsafe { libc::write(self.wake.as_raw_fd(), one.as_ptr().cast(), 8) };
    }

    /// The waiting requests; the eventfd is drained.
    pub fn take(&self) -> Vec<Request> {
        let mut buf = [0u8; 8];
        // SAFETY: reads at most 8 bytes into a live buffer; EAGAIN when
        // nothing was written is fine.
        unsafe { libc::read(self.wake.as_raw_fd(), buf.as_mut_ptr().cast(), 8) };
        self.pending.store(false, Ordering::Release);
        std::mem::take(&mut *self.queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

#[cfg(test)]
mod tests;
