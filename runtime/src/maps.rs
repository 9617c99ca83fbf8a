//! Map storage: keys, aggregation states, the key bound, and reading
//! entries back for printing.
//!
//! A key is encoded into a reusable byte buffer (a tag and the value per
//! element), so a lookup allocates nothing; only a new key is copied into
//! the map. Each map holds at most `max_keys` keys: past that, new keys are
//! counted as dropped and reported, never an out-of-memory.

use hashbrown::HashMap;
use hashbrown::hash_map::EntryRef;
use landtrace_compiler::typed::{MapDecl, MapValue};
use landtrace_event::schema::Family;
use landtrace_event::value::Val;

const T_INT: u8 = 0;
const T_BOOL: u8 = 1;
const T_ID: u8 = 2;
const T_MASK: u8 = 3;
const T_STR: u8 = 4;
const T_TSTR: u8 = 5;

/// Appends the encoding of one value.
pub fn encode(out: &mut Vec<u8>, v: &Val) {
    match *v {
        Val::Int(i) => {
            out.push(T_INT);
            out.extend_from_slice(&i.to_le_bytes());
        }
        Val::Bool(b) => out.extend_from_slice(&[T_BOOL, u8::from(b)]),
        Val::Id(i) => {
            out.push(T_ID);
            out.extend_from_slice(&i.to_le_bytes());
        }
        Val::Mask(f, bits) => {
            out.extend_from_slice(&[T_MASK, f as u8]);
            out.extend_from_slice(&bits.to_le_bytes());
        }
        Val::Str(s, trusted) => {
            out.push(if trusted { T_TSTR } else { T_STR });
            out.extend_from_slice(&(s.len() as u32).to_le_bytes());
            out.extend_from_slice(s);
        }
    }
}

/// Appends one element of a key. A string key is its bytes, wherever they
/// came from (a literal, a field, a variable): whether they are trusted
/// only decides escaping, and a key's strings are always escaped on output.
pub fn encode_key(out: &mut Vec<u8>, v: &Val) {
    match *v {
        Val::Str(s, _) => encode(out, &Val::Str(s, false)),
        _ => encode(out, v),
    }
}

/// Decodes every value of an encoded key.
pub fn decode(mut b: &[u8]) -> Vec<Val<'_>> {
    let mut out = Vec::new();
    let u64_at = |b: &[u8], i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
    while let Some(&tag) = b.first() {
        let (v, used) = match tag {
            T_INT => (Val::Int(u64_at(b, 1) as i64), 9),
            T_BOOL => (Val::Bool(b[1] != 0), 2),
            T_ID => (Val::Id(u64_at(b, 1)), 9),
            T_MASK => (Val::Mask(Family::from_code(u64::from(b[1])), u64_at(b, 2)), 10),
            _ => {
                let len = u32::from_le_bytes(b[1..5].try_into().expect("4 bytes")) as usize;
                (Val::Str(&b[5..5 + len], tag == T_TSTR), 5 + len)
            }
        };
        out.push(v);
        b = &b[used..];
    }
    out
}

/// The aggregation state of one key.
#[derive(Clone, Debug, PartialEq)]
pub enum Agg {
    /// count, sum, min, max
    Int(i64),
    Avg {
        sum: i64,
        count: u64,
    },
    Stats {
        count: u64,
        sum: i64,
    },
    /// hist: index 0 counts negatives, index i+1 counts [2^(i-1), 2^i)
    /// with index 1 for the value 0. lhist: index 0 below min, last above.
    /// With the sum of the values (a metric histogram's `_sum`).
    Buckets {
        counts: Vec<u64>,
        sum: i64,
    },
    /// The last value stored, encoded like a key.
    Last(Vec<u8>),
}

/// Number of hist buckets: negatives, 0, then one per power of two.
pub const HIST_BUCKETS: usize = 66;

/// The hist bucket of a value.
pub fn hist_bucket(v: i64) -> usize {
    match v.cmp(&0) {
        std::cmp::Ordering::Less => 0,
        std::cmp::Ordering::Equal => 1,
        std::cmp::Ordering::Greater => 2 + (63 - (v as u64).leading_zeros() as usize),
    }
}

/// The lhist bucket of a value. In i128, so no bounds the checker allows
/// (min < max, step > 0, at most 10,000 buckets) can overflow.
pub fn lhist_bucket(v: i64, min: i64, max: i64, step: i64) -> usize {
    if v < min {
        0
    } else if v >= max {
        lhist_len(min, max, step) - 1
    } else {
        1 + ((i128::from(v) - i128::from(min)) / i128::from(step)) as usize
    }
}

/// Buckets of an lhist: below min, one per step, at or above max.
pub fn lhist_len(min: i64, max: i64, step: i64) -> usize {
    ((i128::from(max) - i128::from(min) + i128::from(step) - 1) / i128::from(step)) as usize + 2
}

/// Refused keys remembered (as 8-byte hashes) to count each once.
pub const REFUSED_MAX: usize = 1 << 16;

pub struct Map {
    pub decl: MapDecl,
    entries: HashMap<Vec<u8>, Agg>,
    pub max_keys: usize,
    /// Distinct new keys refused because the map was full (each counted
    /// once however often it comes back).
    pub dropped: u64,
    /// Hashes of the refused keys, to count each once: at most
    /// [`REFUSED_MAX`] or `max_keys` of them, whichever is more (memory
    /// stays bounded); past that, `dropped` is a lower bound and
    /// `dropped_more` says so.
    refused: hashbrown::HashSet<u64>,
    hasher: hashbrown::DefaultHashBuilder,
    pub dropped_more: bool,
}

impl Map {
    pub fn new(decl: MapDecl, max_keys: usize) -> Map {
        Map {
            decl,
            entries: HashMap::new(),
            max_keys,
            dropped: 0,
            refused: hashbrown::HashSet::new(),
            hasher: hashbrown::DefaultHashBuilder::default(),
            dropped_more: false,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Continues `earlier` (same declaration): its entries become ours.
    pub fn take_entries(&mut self, earlier: Map) {
        self.entries = earlier.entries;
        self.dropped = 0;
        self.refused.clear();
        self.dropped_more = false;
    }

    pub fn get(&self, key: &[u8]) -> Option<&Agg> {
        self.entries.get(key)
    }

    pub fn remove(&mut self, key: &[u8]) {
        self.entries.remove(key);
    }

    /// The state at `key`, created if there is room.
    /// The aggregate at `key`, made with `init` if new and there is room:
    /// the key is hashed once.
    fn slot(&mut self, key: &[u8], init: impl FnOnce() -> Agg) -> Option<&mut Agg> {
        let full = self.entries.len() >= self.max_keys;
        match self.entries.entry_ref(key) {
            EntryRef::Occupied(e) => Some(e.into_mut()),
            EntryRef::Vacant(_) if full => {
                let h = std::hash::BuildHasher::hash_one(&self.hasher, key);
                if self.refused.len() < self.max_keys.max(REFUSED_MAX) {
                    if self.refused.insert(h) {
                        self.dropped += 1;
                    }
                } else if !self.refused.contains(&h) {
                    self.dropped_more = true;
                }
                None
            }
            EntryRef::Vacant(e) => Some(e.insert(init())),
        }
    }

    /// Folds one value into the aggregate at `key`.
    pub fn aggregate(&mut self, key: &[u8], v: i64) {
        let kind = self.decl.value;
        let init = || match kind {
            MapValue::Count | MapValue::Sum => Agg::Int(0),
            MapValue::Min => Agg::Int(i64::MAX),
            MapValue::Max => Agg::Int(i64::MIN),
            MapValue::Avg => Agg::Avg { sum: 0, count: 0 },
            MapValue::Stats => Agg::Stats { count: 0, sum: 0 },
            MapValue::Hist => Agg::Buckets { counts: vec![0; HIST_BUCKETS], sum: 0 },
            MapValue::Lhist { min, max, step } => {
                Agg::Buckets { counts: vec![0; lhist_len(min, max, step)], sum: 0 }
            }
            MapValue::Last(_) => unreachable!("plain values are stored with set"),
        };
        let Some(slot) = self.slot(key, init) else { return };
        match (kind, slot) {
            // Sums saturate at the ends of i64: never wrap to the other sign.
            (MapValue::Count, Agg::Int(n)) => *n = n.saturating_add(1),
            (MapValue::Sum, Agg::Int(n)) => *n = n.saturating_add(v),
            (MapValue::Min, Agg::Int(n)) => *n = (*n).min(v),
            (MapValue::Max, Agg::Int(n)) => *n = (*n).max(v),
            (MapValue::Avg, Agg::Avg { sum, count }) => {
                *sum = sum.saturating_add(v);
                *count += 1;
            }
            (MapValue::Stats, Agg::Stats { count, sum }) => {
                *sum = sum.saturating_add(v);
                *count += 1;
            }
            (MapValue::Hist, Agg::Buckets { counts, sum }) => {
                counts[hist_bucket(v)] += 1;
                *sum = sum.saturating_add(v);
            }
            (MapValue::Lhist { min, max, step }, Agg::Buckets { counts, sum }) => {
                counts[lhist_bucket(v, min, max, step)] += 1;
                *sum = sum.saturating_add(v);
            }
            (k, s) => unreachable!("map kind {k:?} with state {s:?}"),
        }
    }

    /// Stores a plain value; an existing one's storage is reused.
    pub fn set(&mut self, key: &[u8], value: &Val) {
        let Some(slot) = self.slot(key, || Agg::Last(Vec::new())) else { return };
        match slot {
            Agg::Last(enc) => {
                enc.clear();
                encode(enc, value);
            }
            other => {
                let mut enc = Vec::new();
                encode(&mut enc, value);
                *other = Agg::Last(enc);
            }
        }
    }

    /// Entries for printing, smallest first, as bpftrace prints them: by
    /// value (a histogram by its number of samples, a string value by its
    /// bytes), ties by key, element by element in each element's natural
    /// order (numbers as numbers, strings by bytes).
    pub fn sorted(&self) -> Vec<(&[u8], &Agg)> {
        let mut rows: Vec<(Vec<Val>, &[u8], &Agg)> =
            self.entries.iter().map(|(k, v)| (decode(k), &k[..], v)).collect();
        rows.sort_by(|a, b| SortValue::of(a.2).cmp(&SortValue::of(b.2)).then_with(|| key_order(&a.0, &b.0)));
        rows.into_iter().map(|(_, k, v)| (k, v)).collect()
    }
}

/// What a row sorts by.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum SortValue<'a> {
    Num(i128),
    Str(&'a [u8]),
}

impl<'a> SortValue<'a> {
    fn of(a: &'a Agg) -> SortValue<'a> {
        match a {
            Agg::Int(n) => SortValue::Num(i128::from(*n)),
            Agg::Avg { sum, count } => SortValue::Num(i128::from(avg(*sum, *count))),
            Agg::Stats { sum, .. } => SortValue::Num(i128::from(*sum)),
            Agg::Buckets { counts, .. } => SortValue::Num(counts.iter().map(|n| i128::from(*n)).sum()),
            Agg::Last(enc) => match decode_first(enc) {
                Some(Val::Str(s, _)) => SortValue::Str(s),
                Some(Val::Id(v) | Val::Mask(_, v)) => SortValue::Num(i128::from(v)),
                Some(v) => SortValue::Num(i128::from(v.as_i64())),
                None => SortValue::Num(0),
            },
        }
    }
}

/// The first value of an encoding.
fn decode_first(enc: &[u8]) -> Option<Val<'_>> {
    decode(enc).into_iter().next()
}

/// Keys of one map, element by element.
fn key_order(a: &[Val], b: &[Val]) -> std::cmp::Ordering {
    let element = |x: &Val, y: &Val| match (x, y) {
        (Val::Int(x), Val::Int(y)) => x.cmp(y),
        (Val::Id(x), Val::Id(y)) => x.cmp(y),
        (Val::Bool(x), Val::Bool(y)) => x.cmp(y),
        (Val::Mask(f, x), Val::Mask(g, y)) => (*f as u8, x).cmp(&(*g as u8, y)),
        (Val::Str(x, _), Val::Str(y, _)) => x.cmp(y),
        // One map has one shape of key: only a bug mixes them.
        (x, y) => x.as_i64().cmp(&y.as_i64()),
    };
    a.iter().zip(b).map(|(x, y)| element(x, y)).find(|o| o.is_ne()).unwrap_or(a.len().cmp(&b.len()))
}

pub fn avg(sum: i64, count: u64) -> i64 {
    if count == 0 { 0 } else { (i128::from(sum) / i128::from(count)) as i64 }
}

impl Agg {
    /// The value `@m[k]` reads as.
    pub fn read(&self) -> i64 {
        match self {
            Agg::Int(n) => *n,
            Agg::Avg { sum, count } => avg(*sum, *count),
            Agg::Stats { sum, .. } => *sum,
            Agg::Buckets { .. } => 0,
            Agg::Last(enc) => decode(enc).first().map_or(0, Val::as_i64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use landtrace_grammar::Span;

    fn map(value: MapValue, max_keys: usize) -> Map {
        Map::new(
            MapDecl {
                name: "@m".into(),
                keys: vec![],
                value,
                span: Span::default(),
                labels: vec![],
                cleared: false,
            },
            max_keys,
        )
    }

    #[test]
    fn keys_round_trip() {
        let vals = [
            Val::Int(-5),
            Val::Bool(true),
            Val::Id(0x1c1407c26),
            Val::Mask(Family::Net, 2),
            Val::Str(b"/etc/\xff", false),
            Val::Str(b"lit", true),
        ];
        let mut buf = Vec::new();
        for v in &vals {
            encode(&mut buf, v);
        }
        assert_eq!(decode(&buf), vals);
    }

    #[test]
    fn aggregations() {
        let mut m = map(MapValue::Avg, 10);
        m.aggregate(b"k", 3);
        m.aggregate(b"k", 4);
        assert_eq!(m.get(b"k").unwrap().read(), 3);
        let mut m = map(MapValue::Min, 10);
        m.aggregate(b"k", 3);
        m.aggregate(b"k", -4);
        assert_eq!(m.get(b"k").unwrap().read(), -4);
        assert_eq!(hist_bucket(0), 1);
        assert_eq!(hist_bucket(1), 2);
        assert_eq!(hist_bucket(3), 3);
        assert_eq!(hist_bucket(-1), 0);
        assert_eq!(hist_bucket(i64::MAX), 64);
        assert_eq!(lhist_len(0, 100, 10), 12);
        // Bounds at the ends of i64 (issue 11.8).
        assert_eq!(lhist_len(0, 10, i64::MAX), 3);
        assert_eq!(lhist_bucket(5, 0, 10, i64::MAX), 1);
        assert_eq!(lhist_bucket(i64::MAX - 1, i64::MAX - 20, i64::MAX, 10), 2);
        assert_eq!(lhist_len(i64::MIN, i64::MIN + 100, 10), 12);
        let mut m = map(MapValue::Sum, 10);
        m.aggregate(b"k", i64::MAX);
        m.aggregate(b"k", 5);
        assert_eq!(m.get(b"k").unwrap().read(), i64::MAX, "saturates, never wraps");
        assert_eq!(lhist_bucket(99, 0, 100, 10), 10);
        assert_eq!(lhist_bucket(100, 0, 100, 10), 11);
        assert_eq!(lhist_bucket(-1, 0, 100, 10), 0);
    }

    #[test]
    fn key_bound_drops_and_counts() {
        let mut m = map(MapValue::Count, 2);
        for k in [&b"a"[..], b"b", b"c", b"a", b"d", b"c", b"c", b"d"] {
            m.aggregate(k, 0);
        }
        assert_eq!(m.len(), 2);
        // Two distinct keys refused (c and d), however often they came.
        assert_eq!((m.dropped, m.dropped_more), (2, false));
        // Past REFUSED_MAX distinct refused keys, the count is a lower bound.
        for i in 0..REFUSED_MAX as u32 {
            m.aggregate(&i.to_le_bytes(), 0);
        }
        assert_eq!((m.dropped, m.dropped_more), (REFUSED_MAX as u64, true));
        assert_eq!(m.get(b"a").unwrap().read(), 2);
    }
}
