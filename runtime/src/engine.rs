//! The engine: runs a compiled program over a stream of events.
//!
//! It does not care where events come from. For each event it fires the
//! `every` clauses that are due (by event time in replay, by the clock when
//! live), then runs the clauses that name the event's kind, in program
//! order, through a per-kind dispatch table. It owns the maps and the
//! output, and is the [`Host`] that executing code calls.

use crate::maps::{self, Map};
use crate::metrics::{Scrapes, Snapshot, Telemetry};
use crate::output::Output;
use landtrace_compiler::exec::{Backend, Host, MapValueOut};
use landtrace_compiler::ir;
use landtrace_compiler::typed::{ClauseKind, FormatId, MapId};
use landtrace_event::record::{Event, Sealed, StrRef};
use landtrace_event::schema::EVENT_COUNT;
use landtrace_event::value::Val;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Where `every` takes its time from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Clock {
    /// Replay: the time of the events.
    Event,
    /// Live: the caller calls [`Engine::tick`] with the monotonic clock.
    Wall,
}

#[derive(Clone, Copy, Debug)]
pub struct EngineOptions {
    pub max_keys: usize,
    pub clock: Clock,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions { max_keys: 100_000, clock: Clock::Event }
    }
}

/// Counters reported at the end of a run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    pub events: u64,
    pub matched: u64,
    pub div_by_zero: u64,
    /// (map name, max keys, distinct keys dropped, whether more were
    /// dropped than counted)
    pub dropped_keys: Vec<(String, usize, u64, bool)>,
}

/// More `every` firings than this in one gap between events are collapsed
/// into one (a replay with an hour-long gap and `every 1ms`).
const MAX_CATCH_UP: u64 = 10_000;

/// The `next` of an `every` clause that will not fire again.
const NEVER: u64 = u64::MAX;

struct Every {
    clause: usize,
    period: u64,
    next: Option<u64>,
}

pub struct Engine<'p> {
    prog: &'p ir::Program,
    backend: Box<dyn Backend + 'p>,
    dispatch: [Vec<usize>; EVENT_COUNT],
    begin: Vec<usize>,
    end: Vec<usize>,
    every: Vec<Every>,
    state: State<'p>,
    clock: Clock,
    last_time: u64,
    last_walltime: i64,
    ended: bool,
    events: u64,
    matched: u64,
    /// Scrapes waiting for a copy of the maps (`--metrics`).
    scrapes: Option<Arc<Scrapes>>,
}

struct State<'p> {
    prog: &'p ir::Program,
    maps: Vec<Map>,
    out: Output,
    arena: Arena,
    key: Vec<u8>,
    exit: bool,
    div_by_zero: u64,
    /// The event being processed, for `print`.
    current: *const Event,
}

impl<'p> Engine<'p> {
    pub fn new(
        prog: &'p ir::Program,
        backend: Box<dyn Backend + 'p>,
        out: Output,
        opts: EngineOptions,
    ) -> Engine<'p> {
        let mut dispatch: [Vec<usize>; EVENT_COUNT] = Default::default();
        let (mut begin, mut end, mut every) = (Vec::new(), Vec::new(), Vec::new());
        for (i, c) in prog.clauses.iter().enumerate() {
            match &c.kind {
                ClauseKind::On(kinds) => kinds.iter().for_each(|k| dispatch[*k as usize].push(i)),
                ClauseKind::Begin => begin.push(i),
                ClauseKind::End => end.push(i),
                ClauseKind::Every(period) => every.push(Every { clause: i, period: *period, next: None }),
            }
        }
        let maps = prog.maps.iter().map(|d| Map::new(d.clone(), opts.max_keys)).collect();
        Engine {
            prog,
            backend,
            dispatch,
            begin,
            end,
            every,
            state: State {
                prog,
                maps,
                out,
                arena: Arena::default(),
                key: Vec::with_capacity(64),
                exit: false,
                div_by_zero: 0,
                current: std::ptr::null(),
            },
            clock: opts.clock,
            last_time: 0,
            last_walltime: 0,
            ended: false,
            events: 0,
            matched: 0,
            scrapes: None,
        }
    }

    /// Whether `exit()` ran or the output failed: the caller should stop.
    pub fn done(&self) -> bool {
        self.state.exit || self.state.out.error().is_some()
    }

    /// Runs the BEGIN clauses.
    pub fn begin(&mut self, now: u64) {
        let mut synthetic = Event::synthetic(now, 0);
        let rec = synthetic.seal();
        for i in self.begin.clone() {
            self.run_clause(i, rec);
        }
        if self.clock == Clock::Wall {
            for e in &mut self.every {
                e.next = Some(now + e.period);
            }
        }
    }

    /// Processes one sealed event.
    pub fn process(&mut self, ev: &Event) {
        if self.done() {
            return;
        }
        let rec = ev.sealed();
        self.events += 1;
        if self.clock == Clock::Event {
            self.fire_every(rec.time(), rec.walltime());
        }
        self.last_time = rec.time();
        self.last_walltime = rec.walltime();
        let Some(kind) = rec.event_kind() else { return };
        self.state.current = ev;
        for idx in 0..self.dispatch[kind as usize].len() {
            let i = self.dispatch[kind as usize][idx];
            if self.run_clause(i, rec) {
                self.matched += 1;
            }
            if self.done() {
                break;
            }
        }
        self.state.current = std::ptr::null();
    }

    /// Live mode: fires the `every` clauses due at monotonic time `now`.
    pub fn tick(&mut self, now: u64) {
        self.fire_every(now, 0);
    }

    /// When the next `every` clause is due (live mode).
    pub fn next_due(&self) -> Option<u64> {
        self.every.iter().filter_map(|e| e.next).min()
    }

    fn fire_every(&mut self, now: u64, walltime: i64) {
        if self.every.is_empty() {
            return;
        }
        for e in &mut self.every {
            if e.next.is_none() {
                e.next = Some(now.saturating_add(e.period));
            }
        }
        loop {
            if self.done() {
                return;
            }
            let Some((idx, due)) = self
                .every
                .iter()
                .enumerate()
                .filter_map(|(i, e)| e.next.filter(|n| *n <= now && *n != NEVER).map(|n| (i, n)))
                .min_by_key(|(_, n)| *n)
            else {
                return;
            };
            let e = &mut self.every[idx];
            let behind = (now - due) / e.period;
            let fire_at = if behind > MAX_CATCH_UP { due + behind * e.period } else { due };
            // At the end of time, a period never comes again.
            e.next = Some(fire_at.checked_add(e.period).unwrap_or(NEVER));
            let clause = e.clause;
            let lag = (now - fire_at).min(i64::MAX as u64) as i64;
            let wall = if walltime != 0 { walltime.saturating_sub(lag) } else { 0 };
            let mut synthetic = Event::synthetic(fire_at, wall);
            let rec = synthetic.seal();
            self.run_clause(clause, rec);
        }
    }

    /// Runs a clause's predicate and action; true if it matched.
    fn run_clause(&mut self, i: usize, rec: Sealed<'_>) -> bool {
        let clause = &self.prog.clauses[i];
        self.state.arena.reset();
        if let Some(p) = clause.predicate
            && self.backend.run(self.prog, p, rec, &mut self.state) == 0
        {
            return false;
        }
        self.backend.run(self.prog, clause.action, rec, &mut self.state);
        true
    }

    /// Runs END, prints the maps END never mentions, flushes. A map END
    /// prints, reads, changes or clears is END's to show.
    /// Returns the run's counters, or the output's write error.
    pub fn finish(&mut self) -> io::Result<Summary> {
        if !self.ended {
            self.ended = true;
            if self.state.out.error().is_none() {
                let mut synthetic = Event::synthetic(self.last_time, self.last_walltime);
                let rec = synthetic.seal();
                // exit() inside END must not cut END short.
                self.state.exit = false;
                for i in self.end.clone() {
                    self.run_clause(i, rec);
                }
                let mut shown = vec![false; self.state.maps.len()];
                for &i in &self.end {
                    for m in self.prog.maps_mentioned(&self.prog.clauses[i]) {
                        shown[m.0 as usize] = true;
                    }
                }
                for (m, map) in self.state.maps.iter().enumerate() {
                    if !map.is_empty() && !shown[m] {
                        self.state.out.map(map, None);
                    }
                }
            }
        }
        self.state.out.finish()?;
        Ok(Summary {
            events: self.events,
            matched: self.matched,
            div_by_zero: self.state.div_by_zero,
            dropped_keys: self
                .state
                .maps
                .iter()
                .filter(|m| m.dropped > 0)
                .map(|m| (m.decl.name.clone(), m.max_keys, m.dropped, m.dropped_more))
                .collect(),
        })
    }

    /// The maps, for the REPL's `.maps`.
    pub fn maps(&self) -> &[Map] {
        &self.state.maps
    }

    /// Continues the maps of an earlier run (the REPL's session maps): each
    /// map of this program takes over the entries of the map in `earlier`
    /// with the same name, keys and value kind. Returns the names of maps
    /// that changed shape and start empty.
    pub fn adopt_maps(&mut self, earlier: &mut Vec<Map>) -> Vec<String> {
        let mut restarted = Vec::new();
        for map in &mut self.state.maps {
            let Some(i) = earlier.iter().position(|m| m.decl.name == map.decl.name) else { continue };
            let old = earlier.remove(i);
            if old.decl.keys == map.decl.keys && old.decl.value == map.decl.value {
                map.take_entries(old);
            } else {
                restarted.push(map.decl.name.clone());
            }
        }
        restarted
    }

    /// Hands the maps back (after [`Engine::finish`]), for a later run.
    pub fn take_maps(&mut self) -> Vec<Map> {
        std::mem::take(&mut self.state.maps)
    }

    /// Answers the scrapes queued in `scrapes` (`--metrics`), between
    /// events.
    pub fn set_scrapes(&mut self, scrapes: Arc<Scrapes>) {
        self.scrapes = Some(scrapes);
    }

    /// The scrape queue, if metrics are served.
    pub fn scrapes(&self) -> Option<&Arc<Scrapes>> {
        self.scrapes.as_ref()
    }

    /// Hands every waiting scrape a copy of the maps and `tel`.
    pub fn serve_scrapes(&mut self, tel: &Telemetry) {
        let Some(s) = &self.scrapes else { return };
        let requests = s.take();
        if requests.is_empty() {
            return;
        }
        let snapshot = Snapshot::take(&self.state.maps, tel, s.uptime());
        for r in requests {
            // A scrape that gave up waiting has dropped its receiver.
            let _ = r.reply.try_send(snapshot.clone());
        }
    }

    /// The output, once the run is over (a reloaded program writes on).
    pub fn into_output(self) -> Output {
        self.state.out
    }

    /// Events processed so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    pub fn output(&mut self) -> &mut Output {
        &mut self.state.out
    }

    /// Flushes what was printed so far (live runs, after each batch).
    pub fn flush_output(&mut self) {
        self.state.out.flush();
    }
}

/// Strings made while running one clause (map reads, `hex()`, `rights()`,
/// walltime). Each lives in its own buffer, so a `StrRef` stays valid until
/// the next reset even as more strings are added.
#[derive(Default)]
struct Arena {
    bufs: Vec<Vec<u8>>,
    used: usize,
}

impl Arena {
    fn reset(&mut self) {
        self.used = 0;
    }

    fn alloc(&mut self, bytes: &[u8]) -> StrRef {
        if self.used == self.bufs.len() {
            self.bufs.push(Vec::new());
        }
        let buf = &mut self.bufs[self.used];
        self.used += 1;
        buf.clear();
        buf.extend_from_slice(bytes);
        StrRef::from_slice(buf)
    }
}

impl State<'_> {
    fn encode_key(&mut self, keys: &[Val]) {
        self.key.clear();
        for k in keys {
            maps::encode_key(&mut self.key, k);
        }
    }
}

impl Host for State<'_> {
    fn map_agg(&mut self, map: MapId, keys: &[Val], value: i64) {
        self.encode_key(keys);
        self.maps[map.0 as usize].aggregate(&self.key, value);
    }

    fn map_set(&mut self, map: MapId, keys: &[Val], value: Val) {
        self.encode_key(keys);
        self.maps[map.0 as usize].set(&self.key, &value);
    }

    fn map_get(&mut self, map: MapId, keys: &[Val]) -> MapValueOut {
        self.encode_key(keys);
        let m = &self.maps[map.0 as usize];
        let is_str = matches!(m.decl.value, landtrace_compiler::typed::MapValue::Last(t) if t == landtrace_compiler::typed::Type::Str);
        match m.get(&self.key) {
            Some(maps::Agg::Last(enc)) if is_str => {
                let bytes = match maps::decode(enc).first() {
                    Some(Val::Str(s, _)) => s.to_vec(),
                    _ => Vec::new(),
                };
                MapValueOut::Str(self.arena.alloc(&bytes))
            }
            Some(agg) => MapValueOut::Int(agg.read()),
            None if is_str => MapValueOut::Str(StrRef::EMPTY),
            None => MapValueOut::Int(0),
        }
    }

    fn map_len(&mut self, map: MapId) -> i64 {
        self.maps[map.0 as usize].len() as i64
    }

    fn map_delete(&mut self, map: MapId, keys: &[Val]) {
        self.encode_key(keys);
        self.maps[map.0 as usize].remove(&self.key);
    }

    fn clear(&mut self, map: MapId) {
        self.maps[map.0 as usize].clear();
    }

    fn printf(&mut self, format: FormatId, args: &[Val], _rec: Sealed<'_>) {
        failpoint_panic();
        self.out.printf(&self.prog.formats[format.0 as usize], args);
    }

    fn print(&mut self, args: &[Val]) {
        self.out.values(args);
    }

    fn print_event(&mut self, _rec: Sealed<'_>) {
        // SAFETY: `current` is set by `process` to the event it was given
        // for exactly the duration of that call.
        if let Some(ev) = unsafe { self.current.as_ref() } {
            self.out.event(ev);
        }
    }

    fn print_map(&mut self, map: MapId, limit: Option<i64>) {
        self.out.map(&self.maps[map.0 as usize], limit);
    }

    fn exit(&mut self) {
        self.exit = true;
    }

    fn div_by_zero(&mut self) {
        self.div_by_zero += 1;
    }

    fn alloc(&mut self, bytes: &[u8]) -> StrRef {
        self.arena.alloc(bytes)
    }
}

/// In debug builds only (the tests' binary): `LANDTRACE_FAILPOINT=panic`
/// makes printf panic, inside compiled code, so the live tests can check
/// that a panic still restores the system.
fn failpoint_panic() {
    #[cfg(debug_assertions)]
    {
        static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        assert!(
            !*ON.get_or_init(|| std::env::var_os("LANDTRACE_FAILPOINT").is_some_and(|v| v == "panic")),
            "LANDTRACE_FAILPOINT=panic"
        );
    }
}

/// Runs a whole program over a source of events: BEGIN, every event, END.
pub fn run_source(
    engine: &mut Engine<'_>,
    source: &mut dyn crate::source::Source,
    ev: &mut Event,
) -> Result<Summary, crate::source::RunError> {
    run_source_until(engine, source, ev, &AtomicBool::new(false))
}

/// As [`run_source`], stopping early (END still runs) once `stop` is set,
/// as Ctrl-C does in the REPL.
pub fn run_source_until(
    engine: &mut Engine<'_>,
    source: &mut dyn crate::source::Source,
    ev: &mut Event,
    stop: &AtomicBool,
) -> Result<Summary, crate::source::RunError> {
    engine.begin(0);
    let scrapes = engine.scrapes.clone();
    loop {
        if engine.done() || stop.load(Ordering::Relaxed) {
            break;
        }
        if let Some(s) = &scrapes {
            if s.pending() {
                let tel = replay_telemetry(engine, source);
                engine.serve_scrapes(&tel);
            }
            // A pipe with nothing to read: wait for it or for a scrape.
            if let Some(fd) = source.wait_fd()
                && crate::live::proc::poll(&[fd, s.fd()], None).is_ok_and(|ready| !ready.contains(&fd))
            {
                continue;
            }
        }
        match source.next(ev) {
            Ok(true) => {
                ev.seal();
                engine.process(ev);
            }
            Ok(false) => break,
            Err(e) => return Err(crate::source::RunError::Source(e)),
        }
    }
    if let Some(s) = &scrapes
        && s.pending()
    {
        let tel = replay_telemetry(engine, source);
        engine.serve_scrapes(&tel);
    }
    // What the trace says was lost is part of the output (a JSON record).
    for (what, n) in source.lost() {
        engine.output().lost(what, n);
    }
    engine.finish().map_err(crate::source::RunError::Output)
}

/// landtrace's own counters over a replayed trace: every event read is
/// delivered.
fn replay_telemetry(engine: &Engine<'_>, source: &dyn crate::source::Source) -> Telemetry {
    Telemetry {
        seen: engine.events,
        filtered: 0,
        delivered: engine.events,
        lost: source.lost().iter().map(|(_, n)| n).sum(),
        malformed: source.malformed(),
    }
}
