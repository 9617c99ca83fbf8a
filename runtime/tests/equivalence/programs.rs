//! Random well-typed programs: every operator, function and constant
//! spelling, multi-event clauses, maps of every aggregation, statements.

use landtrace_event::schema::{EventKind, Family, FieldId, FieldType};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::Union;
use std::rc::Rc;

// --- types and the fields a clause can use ------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ty {
    Int,
    Bool,
    Str,
    Id,
    Mask(Family),
    /// A mask field whose family differs between the clause's events.
    EventMask,
}

/// What expressions in one clause may refer to.
#[derive(Debug)]
struct Scope {
    fields: Vec<(&'static str, Ty)>,
    /// The family of `grants`, if every event of the clause has it.
    grants: Option<Family>,
    maps: Vec<MapSpec>,
    /// Whether there is an event (not in END): builtins are usable.
    event: bool,
}

impl Scope {
    fn of(&self, ty: Ty) -> Vec<String> {
        self.fields.iter().filter(|(_, t)| *t == ty).map(|(n, _)| n.to_string()).collect()
    }
}

#[derive(Clone, Debug)]
enum MapKind {
    Count,
    Sum,
    Min,
    Max,
    Avg,
    Stats,
    Hist,
    Lhist,
    LastInt,
    LastStr,
}

#[derive(Clone, Debug)]
struct MapSpec {
    name: String,
    keys: Vec<Ty>,
    kind: MapKind,
}

impl MapSpec {
    /// The type a read of this map yields, if it can be read.
    fn reads_as(&self) -> Option<Ty> {
        match self.kind {
            MapKind::Count | MapKind::Sum | MapKind::Min | MapKind::Max | MapKind::Avg | MapKind::LastInt => {
                Some(Ty::Int)
            }
            MapKind::LastStr => Some(Ty::Str),
            _ => None,
        }
    }
}

const BUILTIN_INTS: &[&str] = &["pid", "tid", "ppid", "uid", "gid", "cpu", "cgroup", "time"];

/// The fields every event of `events` has, with their common type.
fn common_fields(events: &[EventKind]) -> (Vec<(&'static str, Ty)>, Option<Family>) {
    let mut fields = Vec::new();
    let mut grants = None;
    for &(id, t0) in events[0].def().fields {
        let types: Vec<FieldType> = events.iter().filter_map(|e| e.field_type(id)).collect();
        if types.len() != events.len() {
            continue;
        }
        let ty = match t0 {
            FieldType::Int => Ty::Int,
            FieldType::Bool => Ty::Bool,
            FieldType::Str => Ty::Str,
            FieldType::Id => Ty::Id,
            FieldType::Mask(f) if types.iter().all(|t| *t == FieldType::Mask(f)) => Ty::Mask(f),
            FieldType::Mask(_) if types.iter().all(|t| matches!(t, FieldType::Mask(_))) => Ty::EventMask,
            FieldType::MaskList(f) if types.iter().all(|t| *t == FieldType::MaskList(f)) => {
                grants = Some(f);
                continue;
            }
            _ => continue,
        };
        if types.iter().all(|t| same_kind(*t, t0)) {
            fields.push((name_of(id), ty));
        }
    }
    (fields, grants)
}

fn same_kind(a: FieldType, b: FieldType) -> bool {
    std::mem::discriminant(&a) == std::mem::discriminant(&b)
}

fn name_of(id: FieldId) -> &'static str {
    id.name()
}

// --- expressions ------------------------------------------------------

fn int_literal() -> BoxedStrategy<String> {
    prop_oneof![
        select(vec![
            "0", "1", "2", "3", "7", "8", "63", "64", "65", "255", "1000", "4242", "-1", "-2", "-64"
        ])
        .prop_map(String::from),
        select(vec![
            "0x7fffffffffffffff",
            "0xffffffffffffffff",
            "0x8000000000000000",
            "(-9223372036854775807 - 1)",
            "9223372036854775807",
            "0b101",
            "0o17",
            "1_000",
            "0x1f",
        ])
        .prop_map(String::from),
        any::<i32>().prop_map(|v| format!("({v})")),
    ]
    .boxed()
}

/// A non-empty range of plain literals.
fn range() -> BoxedStrategy<String> {
    prop_oneof![
        select(vec![
            "0..0",
            "0..63",
            "1..1024",
            "64..64",
            "0..9223372036854775807",
            "1000..0x7fffffffffffffff"
        ])
        .prop_map(String::from),
        (any::<u16>(), any::<u16>()).prop_map(|(a, b)| format!("{}..{}", a.min(b), a.max(b))),
    ]
    .boxed()
}

fn str_literal() -> BoxedStrategy<String> {
    select(vec![
        r#""""#,
        r#""/""#,
        r#""/etc/passwd""#,
        r#""/etc""#,
        r#""curl""#,
        r#""nginx""#,
        r#""passwd""#,
        r#""a b=c\"d""#,
        r#""\n""#,
        r#""\x1b[31m""#,
        r#""\xff\xfe""#,
        r#""/usr/lib/""#,
        r#""254:0""#,
        r#""etc""#,
        r#""/usr/lib/x86_64-linux""#,
        r#""/usr/lib/x86_64-linux-gnu/libc.so.6""#,
        r#""nginx-wo""#,
    ])
    .prop_map(String::from)
    .boxed()
}

fn pattern_literal() -> BoxedStrategy<String> {
    select(vec![
        r#""/etc/**""#,
        r#""*""#,
        r#""**""#,
        r#""/usr/*/lib*""#,
        r#""?url""#,
        r#""[a-c]*""#,
        r#""{nginx,curl}""#,
        r#""""#,
        r#""**passwd""#,
        r#""/etc/*""#,
        r#""/usr/lib/x86_64-linux**""#,
        r#""**-gnu/libc.so.6""#,
        r#"re"^/etc""#,
        r#"re"x+$""#,
        r#"re"(?i)CURL""#,
        r#"re"""#,
        r#"re"\xff""#,
    ])
    .prop_map(String::from)
    .boxed()
}

/// Constants of a family, in all three spellings, and the groups.
fn mask_constant(f: Family) -> BoxedStrategy<String> {
    let names: Vec<&str> = match f {
        Family::Fs => vec![
            "READ_FILE",
            "fs.write_file",
            "LANDLOCK_ACCESS_FS_EXECUTE",
            "READ_DIR",
            "MAKE_REG",
            "REFER",
            "IOCTL_DEV",
            "FS_ALL",
            "FS_READ",
            "FS_WRITE",
            "READ_FILE|WRITE_FILE",
        ],
        Family::Net => vec!["BIND_TCP", "net.connect_tcp", "LANDLOCK_ACCESS_NET_BIND_TCP", "NET_ALL"],
        Family::Scope => vec!["SIGNAL", "scope.abstract_unix_socket", "LANDLOCK_SCOPE_SIGNAL", "SCOPE_ALL"],
    };
    select(names).prop_map(String::from).boxed()
}

fn family() -> impl Strategy<Value = Family> {
    select(vec![Family::Fs, Family::Net, Family::Scope])
}

fn pick(names: Vec<String>) -> Option<BoxedStrategy<String>> {
    (!names.is_empty()).then(|| select(names).boxed())
}

fn union(options: Vec<BoxedStrategy<String>>) -> BoxedStrategy<String> {
    Union::new(options).boxed()
}

/// A key for a read of `map`: expressions of its key types.
fn map_read(s: &Rc<Scope>, m: &MapSpec, depth: u32) -> BoxedStrategy<String> {
    let name = m.name.clone();
    if m.keys.is_empty() {
        // A bare `@m` in print() or len() is the map itself: read its value
        // where only a value fits.
        return Just(if m.reads_as() == Some(Ty::Str) {
            format!("basename({name})")
        } else {
            format!("({name} + 0)")
        })
        .boxed();
    }
    keys(s, &m.keys, depth).prop_map(move |k| format!("{name}[{k}]")).boxed()
}

fn keys(s: &Rc<Scope>, tys: &[Ty], depth: u32) -> BoxedStrategy<String> {
    let parts: Vec<BoxedStrategy<String>> = tys.iter().map(|t| expr(s, *t, depth)).collect();
    parts.prop_map(|v| v.join(", ")).boxed()
}

/// An expression of type `ty`, at most `depth` operators deep.
fn expr(s: &Rc<Scope>, ty: Ty, depth: u32) -> BoxedStrategy<String> {
    let mut leaves: Vec<BoxedStrategy<String>> = Vec::new();
    let mut nodes: Vec<BoxedStrategy<String>> = Vec::new();
    let d = depth.saturating_sub(1);
    match ty {
        Ty::Int => {
            leaves.push(int_literal());
            if s.event {
                leaves.push(select(BUILTIN_INTS.to_vec()).prop_map(String::from).boxed());
            }
            leaves.extend(pick(s.of(Ty::Int)));
            if s.grants.is_some() {
                leaves.push(Just("len(grants)".to_string()).boxed());
            }
            if depth > 0 {
                let ops = vec!["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>"];
                nodes.push(
                    (expr(s, Ty::Int, d), select(ops), expr(s, Ty::Int, d))
                        .prop_map(|(a, op, b)| format!("({a} {op} {b})"))
                        .boxed(),
                );
                nodes.push(
                    (select(vec!["-", "~"]), expr(s, Ty::Int, d))
                        .prop_map(|(o, a)| format!("({o}{a})"))
                        .boxed(),
                );
                nodes.push(expr(s, Ty::Str, d).prop_map(|a| format!("len({a})")).boxed());
                nodes.push(expr(s, Ty::Int, d).prop_map(|a| format!("popcount({a})")).boxed());
                let s2 = s.clone();
                nodes.push(
                    family()
                        .prop_flat_map(move |f| expr(&s2, Ty::Mask(f), d))
                        .prop_map(|a| format!("popcount({a})"))
                        .boxed(),
                );
                for m in s.maps.iter().filter(|m| m.reads_as() == Some(Ty::Int)) {
                    nodes.push(map_read(s, m, d));
                }
                let names: Vec<String> = s.maps.iter().map(|m| format!("len({})", m.name)).collect();
                nodes.extend(pick(names));
            }
        }
        Ty::Mask(f) => {
            leaves.push(mask_constant(f));
            leaves.extend(pick(s.of(Ty::Mask(f))));
            if depth > 0 {
                nodes.push(
                    (expr(s, ty, d), select(vec!["|", "&", "^"]), expr(s, ty, d))
                        .prop_map(|(a, op, b)| format!("({a} {op} {b})"))
                        .boxed(),
                );
                nodes.push(expr(s, ty, d).prop_map(|a| format!("(~{a})")).boxed());
                if s.grants == Some(f) {
                    nodes.push(expr(s, Ty::Int, d).prop_map(|i| format!("grants[{i}]")).boxed());
                }
            }
        }
        Ty::EventMask => {
            leaves.extend(pick(s.of(Ty::EventMask)));
        }
        Ty::Id => {
            leaves.extend(pick(s.of(Ty::Id)));
            leaves.push(
                select(vec!["0x0", "0x1c1407c26", "0xffffffffffffffff", "0x20"])
                    .prop_map(String::from)
                    .boxed(),
            );
        }
        Ty::Str => {
            leaves.push(str_literal());
            if s.event {
                leaves
                    .push(select(vec!["comm", "event", "source", "walltime"]).prop_map(String::from).boxed());
            }
            leaves.extend(pick(s.of(Ty::Str)));
            if depth > 0 {
                nodes.push(
                    (select(vec!["basename", "dirname"]), expr(s, Ty::Str, d))
                        .prop_map(|(f, a)| format!("{f}({a})"))
                        .boxed(),
                );
                nodes.push(expr(s, Ty::Int, d).prop_map(|a| format!("hex({a})")).boxed());
                let s2 = s.clone();
                nodes.push(
                    family()
                        .prop_flat_map(move |f| expr(&s2, Ty::Mask(f), d))
                        .prop_map(|a| format!("rights({a})"))
                        .boxed(),
                );
                if !s.of(Ty::EventMask).is_empty() {
                    nodes.push(expr(s, Ty::EventMask, 0).prop_map(|a| format!("rights({a})")).boxed());
                }
                for m in s.maps.iter().filter(|m| m.reads_as() == Some(Ty::Str)) {
                    nodes.push(map_read(s, m, d));
                }
            }
        }
        Ty::Bool => {
            leaves.push(select(vec!["true", "false"]).prop_map(String::from).boxed());
            leaves.extend(pick(s.of(Ty::Bool)));
            if depth > 0 {
                let cmp = vec!["==", "!=", "<", "<=", ">", ">="];
                nodes.push(
                    (expr(s, Ty::Int, d), select(cmp.clone()), expr(s, Ty::Int, d))
                        .prop_map(|(a, op, b)| format!("({a} {op} {b})"))
                        .boxed(),
                );
                nodes.push(
                    (expr(s, Ty::Str, d), select(cmp), expr(s, Ty::Str, d))
                        .prop_map(|(a, op, b)| format!("({a} {op} {b})"))
                        .boxed(),
                );
                nodes.push(
                    (expr(s, Ty::Str, d), select(vec!["=~", "!~"]), pattern_literal())
                        .prop_map(|(a, op, p)| format!("({a} {op} {p})"))
                        .boxed(),
                );
                nodes.push(
                    (
                        expr(s, Ty::Int, d),
                        select(vec!["in", "not in"]),
                        prop::collection::vec(int_literal(), 1..5),
                    )
                        .prop_map(|(a, op, l)| format!("({a} {op} [{}])", l.join(", ")))
                        .boxed(),
                );
                nodes.push(
                    (expr(s, Ty::Int, d), select(vec!["in", "not in"]), range())
                        .prop_map(|(a, op, r)| format!("({a} {op} {r})"))
                        .boxed(),
                );
                nodes.push(
                    (
                        expr(s, Ty::Str, d),
                        select(vec!["in", "not in"]),
                        prop::collection::vec(str_literal(), 1..4),
                    )
                        .prop_map(|(a, op, l)| format!("({a} {op} [{}])", l.join(", ")))
                        .boxed(),
                );
                nodes.push(
                    (
                        select(vec!["starts_with", "ends_with", "contains"]),
                        expr(s, Ty::Str, d),
                        expr(s, Ty::Str, d),
                    )
                        .prop_map(|(f, a, b)| format!("{f}({a}, {b})"))
                        .boxed(),
                );
                let s2 = s.clone();
                nodes.push(
                    (select(vec!["has", "any"]), family())
                        .prop_flat_map(move |(f, fam)| {
                            (Just(f), expr(&s2, Ty::Mask(fam), d), mask_constant(fam))
                        })
                        .prop_map(|(f, m, c)| format!("{f}({m}, {c})"))
                        .boxed(),
                );
                if !s.of(Ty::EventMask).is_empty() {
                    nodes.push(expr(s, Ty::EventMask, 0).prop_map(|a| format!("({a} != 0)")).boxed());
                }
                if !s.of(Ty::Id).is_empty() {
                    nodes.push(
                        (expr(s, Ty::Id, 0), select(vec!["==", "!="]), expr(s, Ty::Id, 0))
                            .prop_map(|(a, op, b)| format!("({a} {op} {b})"))
                            .boxed(),
                    );
                }
                nodes.push(
                    (cond(s, d), select(vec!["and", "or", "&&", "||"]), cond(s, d))
                        .prop_map(|(a, op, b)| format!("({a} {op} {b})"))
                        .boxed(),
                );
                nodes.push(
                    (select(vec!["not ", "!"]), cond(s, d)).prop_map(|(n, a)| format!("({n}{a})")).boxed(),
                );
            }
        }
    }
    if leaves.is_empty() {
        // Callers only ask for types the scope has.
        unreachable!("no leaf of type {ty:?}");
    }
    if nodes.is_empty() {
        return union(leaves);
    }
    // Prefer leaves a little, so programs stay readable when they fail.
    let leaf = union(leaves);
    let node = union(nodes);
    prop_oneof![2 => leaf, 3 => node].boxed()
}

/// A condition (`where`, `if`, the operands of `and`, `or`, `not`): a bool,
/// or an integer or mask, true when non-zero.
fn cond(s: &Rc<Scope>, depth: u32) -> BoxedStrategy<String> {
    let d = depth.saturating_sub(1);
    let s2 = s.clone();
    let mask_test = family()
        .prop_flat_map(move |fam| (expr(&s2, Ty::Mask(fam), d), mask_constant(fam)))
        .prop_map(|(m, c)| format!("({m} & {c})"))
        .boxed();
    prop_oneof![6 => expr(s, Ty::Bool, depth), 1 => mask_test, 1 => expr(s, Ty::Int, d)].boxed()
}

/// Any printable type the scope has.
fn any_type(s: &Scope) -> BoxedStrategy<Ty> {
    let mut tys = vec![
        Ty::Int,
        Ty::Bool,
        Ty::Str,
        Ty::Mask(Family::Fs),
        Ty::Mask(Family::Net),
        Ty::Mask(Family::Scope),
    ];
    if !s.of(Ty::Id).is_empty() {
        tys.push(Ty::Id);
    }
    if !s.of(Ty::EventMask).is_empty() {
        tys.push(Ty::EventMask);
    }
    select(tys).boxed()
}

fn any_expr(s: &Rc<Scope>, depth: u32) -> BoxedStrategy<String> {
    let s2 = s.clone();
    any_type(s).prop_flat_map(move |t| expr(&s2, t, depth)).boxed()
}

// --- statements and programs -------------------------------------------

fn printf(s: &Rc<Scope>) -> BoxedStrategy<String> {
    let s2 = s.clone();
    prop::collection::vec(any_type(s), 0..4)
        .prop_flat_map(move |tys| {
            let specs: Vec<BoxedStrategy<(String, String)>> = tys
                .into_iter()
                .map(|t| {
                    let spec: Vec<&str> = match t {
                        Ty::Int => vec!["%d", "%u", "%x", "%5d", "%-8d", "%08x"],
                        Ty::Str => vec!["%s", "%-10s", "%10s"],
                        Ty::Mask(_) | Ty::EventMask => vec!["%r", "%d", "%x"],
                        Ty::Id => vec!["%x", "%s"],
                        Ty::Bool => vec!["%d", "%s"],
                    };
                    (select(spec).prop_map(String::from), expr(&s2, t, 2)).boxed()
                })
                .collect();
            specs
        })
        .prop_map(|parts| {
            let fmt: Vec<&str> = parts.iter().map(|(f, _)| f.as_str()).collect();
            let args: Vec<&str> = parts.iter().map(|(_, a)| a.as_str()).collect();
            let mut call = format!("printf(\"{}%%\\n\"", fmt.join(" | "));
            for a in args {
                call.push_str(", ");
                call.push_str(a);
            }
            call.push(')');
            call
        })
        .boxed()
}

fn map_statement(s: &Rc<Scope>, m: &MapSpec) -> BoxedStrategy<String> {
    let name = m.name.clone();
    // Keys and values read no maps: a map whose key or value type depends on
    // another map's (or its own) may have no solution.
    let s = &Rc::new(Scope { fields: s.fields.clone(), grants: s.grants, maps: Vec::new(), event: s.event });
    let key = if m.keys.is_empty() {
        Just(String::new()).boxed()
    } else {
        keys(s, &m.keys, 1).prop_map(|k| format!("[{k}]")).boxed()
    };
    let value: BoxedStrategy<String> = match m.kind {
        MapKind::Count => Just("count()".to_string()).boxed(),
        MapKind::Sum => expr(s, Ty::Int, 2).prop_map(|e| format!("sum({e})")).boxed(),
        MapKind::Min => expr(s, Ty::Int, 2).prop_map(|e| format!("min({e})")).boxed(),
        MapKind::Max => expr(s, Ty::Int, 2).prop_map(|e| format!("max({e})")).boxed(),
        MapKind::Avg => expr(s, Ty::Int, 2).prop_map(|e| format!("avg({e})")).boxed(),
        MapKind::Stats => expr(s, Ty::Int, 2).prop_map(|e| format!("stats({e})")).boxed(),
        MapKind::Hist => expr(s, Ty::Int, 2).prop_map(|e| format!("hist({e})")).boxed(),
        MapKind::Lhist => expr(s, Ty::Int, 2).prop_map(|e| format!("lhist({e}, 0, 100, 10)")).boxed(),
        MapKind::LastInt => expr(s, Ty::Int, 2),
        MapKind::LastStr => expr(s, Ty::Str, 2),
    };
    (key, value).prop_map(move |(k, v)| format!("{name}{k} = {v}")).boxed()
}

fn statement(s: &Rc<Scope>, depth: u32) -> BoxedStrategy<String> {
    let mut options: Vec<BoxedStrategy<String>> = vec![
        prop::collection::vec(any_expr(s, 2), 1..4).prop_map(|a| format!("print({})", a.join(", "))).boxed(),
        printf(s),
        expr(s, Ty::Int, 2).prop_map(|e| format!("$v = {e}; print($v + 1)")).boxed(),
        expr(s, Ty::Str, 2).prop_map(|e| format!("$t = {e}; print($t, len($t))")).boxed(),
    ];
    for m in &s.maps {
        let st = map_statement(s, m);
        options.push(st.clone());
        options.push(st);
        let name = m.name.clone();
        options.push(Just(format!("print({name})")).boxed());
        options.push(Just(format!("clear({name})")).boxed());
        options.push(expr(s, Ty::Int, 1).prop_map(move |n| format!("print({name}, {n})")).boxed());
        if !m.keys.is_empty() {
            let name = m.name.clone();
            options.push(keys(s, &m.keys, 1).prop_map(move |k| format!("delete({name}[{k}])")).boxed());
        }
    }
    if depth > 0 {
        let s2 = s.clone();
        options.push(
            (cond(s, 2), block(&s2, depth - 1), prop::option::of(block(&s2, depth - 1)))
                .prop_map(|(c, t, e)| match e {
                    Some(e) => format!("if {c} {{ {t} }} else {{ {e} }}"),
                    None => format!("if {c} {{ {t} }}"),
                })
                .boxed(),
        );
    }
    let main = union(options);
    prop_oneof![40 => main, 1 => Just("exit()".to_string())].boxed()
}

fn block(s: &Rc<Scope>, depth: u32) -> BoxedStrategy<String> {
    prop::collection::vec(statement(s, depth), 1..4).prop_map(|v| v.join("; ")).boxed()
}

fn map_specs() -> impl Strategy<Value = Vec<MapSpec>> {
    let key_ty = select(vec![Ty::Int, Ty::Str, Ty::Bool, Ty::Mask(Family::Fs), Ty::Mask(Family::Net)]);
    let kind = select(vec![
        MapKind::Count,
        MapKind::Sum,
        MapKind::Min,
        MapKind::Max,
        MapKind::Avg,
        MapKind::Stats,
        MapKind::Hist,
        MapKind::Lhist,
        MapKind::LastInt,
        MapKind::LastStr,
    ]);
    prop::collection::vec((prop::collection::vec(key_ty, 0..3), kind), 0..3).prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (keys, kind))| MapSpec { name: format!("@m{i}"), keys, kind })
            .collect()
    })
}

fn event_set() -> impl Strategy<Value = Vec<EventKind>> {
    prop_oneof![
        select(EventKind::ALL.to_vec()).prop_map(|e| vec![e]),
        select(vec![
            vec![EventKind::AddRuleFs, EventKind::AddRuleNet],
            vec![EventKind::DenyAccessFs, EventKind::DenyAccessNet],
            vec![EventKind::DenyScopeSignal, EventKind::DenyScopeAbstractUnixSocket],
            vec![EventKind::CreateDomain, EventKind::FreeDomain],
            vec![EventKind::CheckRuleFs, EventKind::CheckRuleNet],
            vec![EventKind::DenyAccessFs, EventKind::DenyAccessNet, EventKind::DenyPtrace],
        ]),
    ]
}

/// One clause over `events`: `on ... [where ...] [{ ... }]`. The first
/// clause of a program assigns every map first (a map must be assigned
/// somewhere).
fn clause(events: Vec<EventKind>, maps: Vec<MapSpec>, first: bool) -> BoxedStrategy<String> {
    let (fields, grants) = common_fields(&events);
    let scope = Rc::new(Scope { fields, grants, maps, event: true });
    let names: Vec<&str> = events.iter().map(|e| e.name()).collect();
    let head = format!("on {}", names.join(", "));
    let assigns: Vec<BoxedStrategy<String>> =
        if first { scope.maps.iter().map(|m| map_statement(&scope, m)).collect() } else { Vec::new() };
    let body = if first && !assigns.is_empty() {
        (assigns, block(&scope, 1)).prop_map(|(a, b)| Some(format!("{}; {b}", a.join("; ")))).boxed()
    } else {
        prop::option::weighted(0.85, block(&scope, 1)).boxed()
    };
    (prop::option::of(cond(&scope, 3)), body)
        .prop_map(move |(pred, body)| {
            let mut c = head.clone();
            if let Some(p) = pred {
                c.push_str(&format!(" where {p}"));
            }
            if let Some(b) = body {
                c.push_str(&format!(" {{ {b} }}"));
            }
            c
        })
        .boxed()
}

/// A program, and the kinds of event its clauses name.
pub fn program() -> impl Strategy<Value = (String, Vec<EventKind>)> {
    (map_specs(), prop::collection::vec(event_set(), 1..4)).prop_flat_map(|(maps, sets)| {
        let kinds: Vec<EventKind> = sets.iter().flatten().copied().collect();
        let clauses: Vec<BoxedStrategy<String>> =
            sets.into_iter().enumerate().map(|(i, s)| clause(s, maps.clone(), i == 0)).collect();
        let end = if maps.is_empty() {
            Just(None).boxed()
        } else {
            let scope = Rc::new(Scope { fields: Vec::new(), grants: None, maps: maps.clone(), event: false });
            prop::option::of(block(&scope, 0)).boxed()
        };
        (clauses, end).prop_map(move |(cs, end)| {
            let mut text = cs.join("\n");
            if let Some(e) = end {
                text.push_str(&format!("\nEND {{ {e} }}"));
            }
            (text, kinds.clone())
        })
    })
}
