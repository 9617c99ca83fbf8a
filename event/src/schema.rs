//! The event schema: every Landlock event, its fields and their types, the
//! builtins, and every access-right constant with its bit.
//!
//! This table is the single source of truth (docs/language.md and
//! `landtrace -l` describe it to users): the checker resolves names here, the record layout takes
//! its slots from here, decoders look fields up here, and `landtrace -l`
//! prints it. It is a uniform table and so longer than other modules.

use std::fmt;

/// The record kind of a synthetic record in BEGIN, END and `every` clauses.
pub const NO_EVENT: u32 = u32::MAX;

impl EventKind {
    pub fn from_index(i: u32) -> Option<EventKind> {
        EventKind::ALL.get(i as usize).copied()
    }

    pub fn def(self) -> &'static EventDef {
        &EVENTS[self as usize]
    }

    pub fn name(self) -> &'static str {
        self.def().name
    }

    /// Looks an event up by name, alias, or either with the `landlock_` prefix.
    pub fn lookup(name: &str) -> Option<EventKind> {
        let name = name.strip_prefix("landlock_").unwrap_or(name);
        EVENTS.iter().find(|e| e.name == name || e.aliases.contains(&name)).map(|e| e.kind)
    }

    /// What the kernel's field `name` (in a tracepoint record or ftrace
    /// text) is in this event, or None for a field landtrace does not know
    /// (kept as an extra).
    pub fn kernel_field(self, name: &str) -> Option<KernelField> {
        if let Some((_, k)) = self.def().kernel.iter().find(|(n, _)| *n == name) {
            return Some(*k);
        }
        match name {
            "log_same_exec" => return Some(KernelField::LogSameExec),
            "log_new_exec" => return Some(KernelField::LogNewExec),
            _ => {}
        }
        let f = FieldId::lookup(name)?;
        self.field_type(f).map(|_| KernelField::Is(f))
    }

    /// The type of `field` in this event, if the event has it.
    pub fn field_type(self, field: FieldId) -> Option<FieldType> {
        self.def().fields.iter().find(|(f, _)| *f == field).map(|(_, t)| *t)
    }
}

/// The events an `on` name stands for: a name or alias (with or without
/// `landlock_`), or a glob with `*` and `?` over names and aliases.
pub fn events_matching(name: &str) -> Vec<EventKind> {
    let name = name.strip_prefix("landlock_").unwrap_or(name);
    if !name.contains(['*', '?']) {
        return EventKind::lookup(name).into_iter().collect();
    }
    EVENTS
        .iter()
        .filter(|e| glob_name(name, e.name) || e.aliases.iter().any(|a| glob_name(name, a)))
        .map(|e| e.kind)
        .collect()
}

/// Shell-style match of an event-name glob (`*`, `?`).
pub fn glob_name(pat: &str, name: &str) -> bool {
    fn go(p: &[u8], n: &[u8]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some((b'*', rest)) => (0..=n.len()).any(|i| go(rest, &n[i..])),
            Some((b'?', rest)) => !n.is_empty() && go(rest, &n[1..]),
            Some((c, rest)) => n.first() == Some(c) && go(rest, &n[1..]),
        }
    }
    go(pat.as_bytes(), name.as_bytes())
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A family of access rights.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
#[repr(u8)]
pub enum Family {
    Fs = 0,
    Net = 1,
    Scope = 2,
}

impl Family {
    pub const ALL: [Family; 3] = [Family::Fs, Family::Net, Family::Scope];

    pub fn from_code(c: u64) -> Family {
        match c {
            1 => Family::Net,
            2 => Family::Scope,
            _ => Family::Fs,
        }
    }

    /// `fs`, `net`, `scope`: the prefix audit records use.
    pub fn short(self) -> &'static str {
        match self {
            Family::Fs => "fs",
            Family::Net => "net",
            Family::Scope => "scope",
        }
    }

    /// The language's name for a mask of this family.
    pub fn type_name(self) -> &'static str {
        match self {
            Family::Fs => "fs_access",
            Family::Net => "net_access",
            Family::Scope => "scope",
        }
    }

    /// "a filesystem right", for diagnostics.
    pub fn noun(self) -> &'static str {
        match self {
            Family::Fs => "filesystem",
            Family::Net => "network",
            Family::Scope => "scope",
        }
    }

    /// The UAPI prefix of this family's constants.
    pub fn uapi_prefix(self) -> &'static str {
        match self {
            Family::Fs => "LANDLOCK_ACCESS_FS_",
            Family::Net => "LANDLOCK_ACCESS_NET_",
            Family::Scope => "LANDLOCK_SCOPE_",
        }
    }

    pub fn rights(self) -> &'static [Right] {
        match self {
            Family::Fs => FS_RIGHTS,
            Family::Net => NET_RIGHTS,
            Family::Scope => SCOPE_RIGHTS,
        }
    }

    /// Every right of the family this landtrace knows.
    pub fn all_bits(self) -> u64 {
        self.rights().iter().fold(0, |m, r| m | r.bit())
    }

    /// The bit of a right by its upper-case name (`READ_FILE`).
    pub fn bit_of(self, name: &str) -> Option<u64> {
        self.rights().iter().find(|r| r.name.eq_ignore_ascii_case(name)).map(Right::bit)
    }
}

/// One access right: its upper-case name (without UAPI prefix), bit number
/// and the Landlock ABI version that introduced it.
#[derive(Clone, Copy, Debug)]
pub struct Right {
    pub name: &'static str,
    pub shift: u8,
    pub abi: u8,
}

impl Right {
    pub fn bit(&self) -> u64 {
        1 << self.shift
    }
}

const fn r(name: &'static str, shift: u8, abi: u8) -> Right {
    Right { name, shift, abi }
}

pub static FS_RIGHTS: &[Right] = &[
    r("EXECUTE", 0, 1),
    r("WRITE_FILE", 1, 1),
    r("READ_FILE", 2, 1),
    r("READ_DIR", 3, 1),
    r("REMOVE_DIR", 4, 1),
    r("REMOVE_FILE", 5, 1),
    r("MAKE_CHAR", 6, 1),
    r("MAKE_DIR", 7, 1),
    r("MAKE_REG", 8, 1),
    r("MAKE_SOCK", 9, 1),
    r("MAKE_FIFO", 10, 1),
    r("MAKE_BLOCK", 11, 1),
    r("MAKE_SYM", 12, 1),
    r("REFER", 13, 2),
    r("TRUNCATE", 14, 3),
    r("IOCTL_DEV", 15, 5),
    r("RESOLVE_UNIX", 16, 9),
];

pub static NET_RIGHTS: &[Right] =
    &[r("BIND_TCP", 0, 4), r("CONNECT_TCP", 1, 4), r("BIND_UDP", 2, 10), r("CONNECT_SEND_UDP", 3, 10)];

pub static SCOPE_RIGHTS: &[Right] = &[r("ABSTRACT_UNIX_SOCKET", 0, 6), r("SIGNAL", 1, 6)];

/// Named groups of rights.
pub struct Group {
    pub name: &'static str,
    pub family: Family,
    pub doc: &'static str,
}

pub static GROUPS: &[Group] = &[
    Group { name: "FS_ALL", family: Family::Fs, doc: "every filesystem right" },
    Group { name: "NET_ALL", family: Family::Net, doc: "every network right" },
    Group { name: "SCOPE_ALL", family: Family::Scope, doc: "every scope" },
    Group { name: "FS_READ", family: Family::Fs, doc: "READ_FILE|READ_DIR" },
    Group { name: "FS_WRITE", family: Family::Fs, doc: "every right that creates, removes or writes" },
];

impl Group {
    pub fn bits(&self) -> u64 {
        let f = |n: &str| self.family.bit_of(n).expect("group member");
        match self.name {
            "FS_READ" => f("READ_FILE") | f("READ_DIR"),
            "FS_WRITE" => [
                "WRITE_FILE",
                "REMOVE_DIR",
                "REMOVE_FILE",
                "MAKE_CHAR",
                "MAKE_DIR",
                "MAKE_REG",
                "MAKE_SOCK",
                "MAKE_FIFO",
                "MAKE_BLOCK",
                "MAKE_SYM",
                "REFER",
                "TRUNCATE",
            ]
            .iter()
            .fold(0, |m, n| m | f(n)),
            _ => self.family.all_bits(),
        }
    }
}

/// Resolves an access-right constant in any of its spellings: `READ_FILE`,
/// `fs.read_file`, `LANDLOCK_ACCESS_FS_READ_FILE`, or a group (`FS_ALL`).
pub fn lookup_constant(name: &str) -> Option<(Family, u64)> {
    if let Some(g) = GROUPS.iter().find(|g| g.name == name) {
        return Some((g.family, g.bits()));
    }
    if let Some((fam, rest)) = name.split_once('.') {
        let family = Family::ALL.into_iter().find(|f| f.short() == fam)?;
        if rest.bytes().any(|b| b.is_ascii_uppercase()) {
            return None;
        }
        return family.bit_of(rest).map(|b| (family, b));
    }
    for family in Family::ALL {
        if let Some(rest) = name.strip_prefix(family.uapi_prefix()) {
            return family.rights().iter().find(|r| r.name == rest).map(|r| (family, r.bit()));
        }
    }
    // Bare names: the three families' names are disjoint.
    Family::ALL
        .into_iter()
        .find_map(|family| family.rights().iter().find(|r| r.name == name).map(|r| (family, r.bit())))
}

/// Every constant spelling, for suggestions and completion.
pub fn constant_names() -> Vec<String> {
    let mut names: Vec<String> = GROUPS.iter().map(|g| g.name.to_string()).collect();
    for family in Family::ALL {
        for right in family.rights() {
            names.push(right.name.to_string());
            names.push(format!("{}.{}", family.short(), right.name.to_lowercase()));
            names.push(format!("{}{}", family.uapi_prefix(), right.name));
        }
    }
    names
}

/// The type of an event field.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum FieldType {
    /// A 64-bit Landlock ruleset or domain ID.
    Id,
    Int,
    Bool,
    Str,
    Mask(Family),
    /// One mask per layer (`grants`).
    MaskList(Family),
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldType::Id => f.write_str("id"),
            FieldType::Int => f.write_str("int"),
            FieldType::Bool => f.write_str("bool"),
            FieldType::Str => f.write_str("str"),
            FieldType::Mask(fam) => f.write_str(fam.type_name()),
            FieldType::MaskList(fam) => write!(f, "list of {}", fam.type_name()),
        }
    }
}

/// Where a field lives in the flat record.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Loc {
    /// `record.slots[n]`
    Slot(u8),
    /// `record.strs[n]`
    Str(u8),
    /// `record.grants`
    List,
}

/// A field name shared by every event that has it; its type may differ per
/// event only in the family of a mask (`access_rights`, `blockers`, `grants`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct FieldId(pub u16);

pub struct FieldDef {
    pub name: &'static str,
    pub loc: Loc,
    pub doc: &'static str,
}

impl FieldId {
    pub fn def(self) -> &'static FieldDef {
        &FIELDS[self.0 as usize]
    }

    pub fn name(self) -> &'static str {
        self.def().name
    }

    pub fn lookup(name: &str) -> Option<FieldId> {
        FIELDS.iter().position(|f| f.name == name).map(|i| FieldId(i as u16))
    }
}

macro_rules! fields {
    ($($id:ident = $name:literal, $loc:expr, $doc:literal;)*) => {
        #[allow(non_upper_case_globals, reason = "field ids read like the field names")]
        pub mod field {
            use super::FieldId;
            fields!(@ids 0u16, $($id)*);
        }
        pub static FIELDS: &[FieldDef] = &[
            $(FieldDef { name: $name, loc: $loc, doc: $doc },)*
        ];
    };
    (@ids $n:expr, $id:ident $($rest:ident)*) => {
        pub const $id: FieldId = FieldId($n);
        fields!(@ids $n + 1u16, $($rest)*);
    };
    (@ids $n:expr,) => {};
}

use Loc::{List, Slot, Str};

fields! {
    ruleset = "ruleset", Slot(0), "ruleset ID";
    ruleset_version = "ruleset_version", Slot(1), "number of rules added to the ruleset so far";
    handled_fs = "handled_fs", Slot(2), "filesystem rights the ruleset handles";
    handled_net = "handled_net", Slot(3), "network rights the ruleset handles";
    scoped = "scoped", Slot(4), "scopes the ruleset restricts";
    fd = "fd", Slot(5), "the ruleset's new file descriptor (-1 where unknown)";
    access_rights = "access_rights", Slot(6), "rights granted by the rule";
    ino = "ino", Slot(7), "inode number";
    port = "port", Slot(8), "TCP/UDP port of the rule or the request";
    domain = "domain", Slot(9), "domain ID (for denials: the innermost domain that blocked)";
    parent = "parent", Slot(10), "parent domain ID (0 for a first layer)";
    complete = "complete", Slot(11), "last thread of the enforcement";
    process_wide = "process_wide", Slot(12), "enforced on every thread of the process";
    no_new_privs = "no_new_privs", Slot(13), "the task had no_new_privs set";
    denials = "denials", Slot(14), "number of denials the domain caused";
    access_request = "access_request", Slot(15), "rights requested by the access being checked";
    same_exec = "same_exec", Slot(16), "the task is the executable that created the domain";
    logged = "logged", Slot(17), "audit logs this denial";
    blockers = "blockers", Slot(18), "rights that were denied";
    sport = "sport", Slot(19), "source port (bind denials)";
    dport = "dport", Slot(20), "destination port (connect and send denials)";
    tracee_domain = "tracee_domain", Slot(21), "domain of the traced task (0 if not sandboxed)";
    tracee_pid = "tracee_pid", Slot(22), "pid of the traced task";
    target_domain = "target_domain", Slot(23), "domain of the signalled task (0 if not sandboxed)";
    target_pid = "target_pid", Slot(24), "pid of the signalled task";
    peer_domain = "peer_domain", Slot(25), "domain of the socket's owner (0 if not sandboxed)";
    peer_pid = "peer_pid", Slot(26), "pid of the socket's owner";
    ruleset_fd = "ruleset_fd", Slot(27), "the ruleset's file descriptor the rule was added with (-1 where unknown)";
    dev = "dev", Str(0), "device, \"MAJOR:MINOR\" or the name audit prints";
    path = "path", Str(1), "file path (or <unreachable>, <too_long>, <no_mem>)";
    addr = "addr", Str(2), "network address from audit, else empty";
    tracee_comm = "tracee_comm", Str(3), "name of the traced task";
    target_comm = "target_comm", Str(4), "name of the signalled task";
    sun_path = "sun_path", Str(5), "abstract unix socket name, without its leading NUL (on every source)";
    grants = "grants", List, "per layer, outermost first: what the layer grants of the request";
}

/// Number of 64-bit scalar slots in the record.
pub const NSLOTS: usize = 28;
/// Number of string slots in the record (besides `comm`).
pub const NSTRS: usize = 6;

pub struct EventDef {
    pub kind: EventKind,
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub fields: &'static [(FieldId, FieldType)],
    /// The kernel's names for this event's fields where they differ from
    /// landtrace's: the tracepoint record's (`pathname`, `domain_id`) and
    /// the ftrace text's (`port` on a network denial). Any other kernel
    /// name is the landtrace field of that name, if the event has one.
    pub kernel: &'static [(&'static str, KernelField)],
    pub doc: &'static str,
}

/// What a field of the kernel's tracepoint record or ftrace text is to
/// landtrace ([`EventKind::kernel_field`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum KernelField {
    /// This field, with the same value.
    Is(FieldId),
    /// `blockers_type`, the kind of request `blockers_access` (`blockers`)
    /// answers: 3 a filesystem access, 4 a network one, 2 a mount change
    /// (`change_topology`, no mask: kept as the extra `blocker`).
    BlockersType,
    /// The one `port` of a network denial: `sport` for a bind, `dport`
    /// for a connect or send, by the blocked right.
    DenyPort,
    /// `log_same_exec` / `log_new_exec` (an earlier revision's form of
    /// `logged`): kept as extras and decide `logged`.
    LogSameExec,
    LogNewExec,
}

/// The request types of `blockers_type`.
pub const REQUEST_CHANGE_TOPOLOGY: u64 = 2;
pub const REQUEST_FS: u64 = 3;
pub const REQUEST_NET: u64 = 4;

use Family::{Fs, Net, Scope};
use FieldType::{Bool as B, Id as ID, Int as I, Mask as M, MaskList as ML, Str as S};
use KernelField as KF;
use field as f;

/// The events: the one list the `EventKind` enum, [`EventKind::ALL`],
/// [`EVENT_COUNT`] and [`EVENTS`] (indexed by kind) are made from.
macro_rules! events {
    ($($kind:ident { $($def:tt)* },)*) => {
        /// One of the Landlock events.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
        #[repr(u32)]
        pub enum EventKind {
            $($kind,)*
        }

        pub const EVENT_COUNT: usize = [$(stringify!($kind)),*].len();

        impl EventKind {
            pub const ALL: [EventKind; EVENT_COUNT] = [$(EventKind::$kind,)*];
        }

        pub static EVENTS: [EventDef; EVENT_COUNT] = [$(EventDef { kind: EventKind::$kind, $($def)* },)*];
    };
}

events! {
    CreateRuleset {
        name: "create_ruleset",
        aliases: &[],
        fields: &[
            (f::ruleset, ID),
            (f::ruleset_version, I),
            (f::handled_fs, M(Fs)),
            (f::handled_net, M(Net)),
            (f::scoped, M(Scope)),
            (f::fd, I),
        ],
        kernel: &[("ruleset_id", KF::Is(f::ruleset))],
        doc: "a ruleset is created (landlock_create_ruleset)",
    },
    FreeRuleset {
        name: "free_ruleset",
        aliases: &[],
        fields: &[(f::ruleset, ID), (f::ruleset_version, I)],
        kernel: &[("ruleset_id", KF::Is(f::ruleset))],
        doc: "a ruleset's last reference is dropped",
    },
    AddRuleFs {
        name: "add_rule_fs",
        aliases: &["add_rule_path_beneath"],
        fields: &[
            (f::ruleset, ID),
            (f::ruleset_version, I),
            (f::access_rights, M(Fs)),
            (f::dev, S),
            (f::ino, I),
            (f::path, S),
            (f::ruleset_fd, I),
        ],
        kernel: &[
            ("ruleset_id", KF::Is(f::ruleset)),
            ("pathname", KF::Is(f::path)),
            ("access", KF::Is(f::access_rights)),
            ("allowed_access", KF::Is(f::access_rights)),
        ],
        doc: "a path-beneath rule is added to a ruleset",
    },
    AddRuleNet {
        name: "add_rule_net",
        aliases: &["add_rule_net_port"],
        fields: &[
            (f::ruleset, ID),
            (f::ruleset_version, I),
            (f::access_rights, M(Net)),
            (f::port, I),
            (f::ruleset_fd, I),
        ],
        kernel: &[
            ("ruleset_id", KF::Is(f::ruleset)),
            ("access", KF::Is(f::access_rights)),
            ("allowed_access", KF::Is(f::access_rights)),
        ],
        doc: "a network port rule is added to a ruleset",
    },
    CreateDomain {
        name: "create_domain",
        aliases: &["restrict_self"],
        fields: &[(f::domain, ID), (f::parent, ID), (f::ruleset, ID), (f::ruleset_version, I)],
        kernel: &[
            ("domain_id", KF::Is(f::domain)),
            ("parent_id", KF::Is(f::parent)),
            ("ruleset_id", KF::Is(f::ruleset)),
        ],
        doc: "landlock_restrict_self creates a domain",
    },
    EnforceDomain {
        name: "enforce_domain",
        aliases: &[],
        fields: &[(f::domain, ID), (f::complete, B), (f::process_wide, B), (f::no_new_privs, B)],
        kernel: &[("domain_id", KF::Is(f::domain))],
        doc: "a domain is enforced on a thread",
    },
    FreeDomain {
        name: "free_domain",
        aliases: &[],
        fields: &[(f::domain, ID), (f::denials, I)],
        kernel: &[("domain_id", KF::Is(f::domain))],
        doc: "a domain's last reference goes",
    },
    CheckRuleFs {
        name: "check_rule_fs",
        aliases: &["check_rule_inode"],
        fields: &[(f::domain, ID), (f::access_request, M(Fs)), (f::dev, S), (f::ino, I), (f::grants, ML(Fs))],
        kernel: &[("domain_id", KF::Is(f::domain)), ("request", KF::Is(f::access_request))],
        doc: "a filesystem rule matches during an access check (high volume)",
    },
    CheckRuleNet {
        name: "check_rule_net",
        aliases: &["check_rule_net_port"],
        fields: &[(f::domain, ID), (f::access_request, M(Net)), (f::port, I), (f::grants, ML(Net))],
        kernel: &[("domain_id", KF::Is(f::domain)), ("request", KF::Is(f::access_request))],
        doc: "a network rule matches during an access check (high volume)",
    },
    DenyAccessFs {
        name: "deny_access_fs",
        aliases: &[],
        fields: &[
            (f::domain, ID),
            (f::same_exec, B),
            (f::logged, B),
            (f::blockers, M(Fs)),
            (f::dev, S),
            (f::ino, I),
            (f::path, S),
        ],
        kernel: &[
            ("domain_id", KF::Is(f::domain)),
            ("blockers_type", KF::BlockersType),
            ("blockers_access", KF::Is(f::blockers)),
            ("pathname", KF::Is(f::path)),
        ],
        doc: "a filesystem access is denied",
    },
    DenyAccessNet {
        name: "deny_access_net",
        aliases: &[],
        fields: &[
            (f::domain, ID),
            (f::same_exec, B),
            (f::logged, B),
            (f::blockers, M(Net)),
            (f::sport, I),
            (f::dport, I),
            (f::addr, S),
        ],
        kernel: &[
            ("domain_id", KF::Is(f::domain)),
            ("blockers_type", KF::BlockersType),
            ("blockers_access", KF::Is(f::blockers)),
            ("port", KF::DenyPort),
        ],
        doc: "a network access (bind, connect, send) is denied",
    },
    DenyPtrace {
        name: "deny_ptrace",
        aliases: &[],
        fields: &[
            (f::domain, ID),
            (f::same_exec, B),
            (f::logged, B),
            (f::tracee_domain, ID),
            (f::tracee_pid, I),
            (f::tracee_comm, S),
        ],
        kernel: &[("domain_id", KF::Is(f::domain)), ("tracee_domain_id", KF::Is(f::tracee_domain))],
        doc: "ptrace of a task outside the domain is denied",
    },
    DenyScopeSignal {
        name: "deny_scope_signal",
        aliases: &[],
        fields: &[
            (f::domain, ID),
            (f::same_exec, B),
            (f::logged, B),
            (f::target_domain, ID),
            (f::target_pid, I),
            (f::target_comm, S),
        ],
        kernel: &[("domain_id", KF::Is(f::domain)), ("target_domain_id", KF::Is(f::target_domain))],
        doc: "a signal to a task outside the scope is denied",
    },
    DenyScopeAbstractUnixSocket {
        name: "deny_scope_abstract_unix_socket",
        aliases: &[],
        fields: &[
            (f::domain, ID),
            (f::same_exec, B),
            (f::logged, B),
            (f::peer_domain, ID),
            (f::peer_pid, I),
            (f::sun_path, S),
        ],
        kernel: &[("domain_id", KF::Is(f::domain)), ("peer_domain_id", KF::Is(f::peer_domain))],
        doc: "a connection to an abstract unix socket outside the scope is denied",
    },
}

/// Where a builtin's value is in the flat record.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BuiltinLoc {
    /// An integer, `record.header[n]`.
    Int(u8),
    /// `record.comm`.
    Comm,
    /// `record.node`.
    Node,
    /// The name of `record.kind`.
    EventName,
    /// The name of `record.source`.
    SourceName,
    /// `record.header[n]`, Unix nanoseconds (0 where unknown), as text
    /// ([`crate::time::walltime_text`]).
    WallText(u8),
}

pub struct BuiltinDef {
    pub builtin: Builtin,
    pub name: &'static str,
    pub ty: FieldType,
    pub loc: BuiltinLoc,
    pub doc: &'static str,
}

/// The builtins: the one list the record layout ([`NHEADER`]), the IR's
/// loads, both backends, the JSON members of an event (in this order) and
/// the decoders follow.
macro_rules! builtins {
    ($($id:ident = $name:literal, $ty:expr, $loc:expr, $doc:literal;)*) => {
        /// Values every event has.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
        pub enum Builtin {
            $($id,)*
        }

        pub static BUILTINS: &[BuiltinDef] = &[
            $(BuiltinDef { builtin: Builtin::$id, name: $name, ty: $ty, loc: $loc, doc: $doc },)*
        ];
    };
}

use BuiltinLoc as BL;

builtins! {
    Event = "event", S, BL::EventName, "the event name without prefix, e.g. \"deny_access_fs\"";
    Source = "source", S, BL::SourceName, "\"tracepoint\", \"compat\", \"audit\" or \"replay\"";
    Time = "time", I, BL::Int(0), "nanoseconds, CLOCK_MONOTONIC (or the recorded time in replay)";
    Walltime = "walltime", S, BL::WallText(1), "RFC 3339 wall-clock time of the event (UTC)";
    Pid = "pid", I, BL::Int(2), "thread-group id of the current task (ftrace text without a TGID column: the thread id)";
    Tid = "tid", I, BL::Int(3), "thread id of the current task (-1, unknown: audit)";
    Ppid = "ppid", I, BL::Int(4), "parent's pid (-1, unknown: ftrace text; audit without a SYSCALL record)";
    Uid = "uid", I, BL::Int(5), "user id of the current task (-1, unknown: ftrace text)";
    Gid = "gid", I, BL::Int(6), "group id of the current task (-1, unknown: ftrace text)";
    Cpu = "cpu", I, BL::Int(7), "CPU the event fired on (-1, unknown: audit)";
    Cgroup = "cgroup", I, BL::Int(8), "cgroup v2 id of the current task (-1, unknown: ftrace text, audit)";
    Comm = "comm", S, BL::Comm, "the current task's name (up to 15 bytes)";
    Node = "node", S, BL::Node, "the host, where the input names one (audit's node=), else \"\"";
}

/// Number of 64-bit header values in the record (the builtins' `Int`
/// and `WallText` slots).
pub const NHEADER: usize = 9;

impl Builtin {
    pub fn lookup(name: &str) -> Option<&'static BuiltinDef> {
        BUILTINS.iter().find(|b| b.name == name)
    }

    pub fn def(self) -> &'static BuiltinDef {
        &BUILTINS[self as usize]
    }

    pub fn name(self) -> &'static str {
        self.def().name
    }

    /// The header slot holding this builtin's raw value, if it has one.
    pub fn header_slot(self) -> Option<usize> {
        match self.def().loc {
            BuiltinLoc::Int(n) | BuiltinLoc::WallText(n) => Some(n as usize),
            _ => None,
        }
    }
}

/// Where an event came from.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[repr(u32)]
pub enum SourceKind {
    Tracepoint = 0,
    Compat = 1,
    Audit = 2,
    Replay = 3,
}

impl SourceKind {
    pub const ALL: [SourceKind; 4] =
        [SourceKind::Tracepoint, SourceKind::Compat, SourceKind::Audit, SourceKind::Replay];

    pub fn name(self) -> &'static str {
        match self {
            SourceKind::Tracepoint => "tracepoint",
            SourceKind::Compat => "compat",
            SourceKind::Audit => "audit",
            SourceKind::Replay => "replay",
        }
    }

    pub fn from_code(c: u32) -> SourceKind {
        SourceKind::ALL.get(c as usize).copied().unwrap_or(SourceKind::Replay)
    }

    pub fn lookup(name: &str) -> Option<SourceKind> {
        SourceKind::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// The `event` builtin of a record's raw kind: the name, or empty in
/// BEGIN/END/every.
pub fn event_name(kind: u32) -> &'static [u8] {
    EventKind::from_index(kind).map_or(b"", |k| k.name().as_bytes())
}

/// The `source` builtin of a record's raw source code.
pub fn source_name(source: u32) -> &'static [u8] {
    SourceKind::from_code(source).name().as_bytes()
}

/// Symbolic form of a mask: `READ_FILE|WRITE_FILE`; unknown bits as hex
/// (`READ_FILE|0x100000`), `0` for an empty mask.
pub fn mask_to_string(family: Family, bits: u64) -> String {
    let mut out = String::new();
    write_mask(&mut out, family, bits).expect("string write");
    out
}

/// Writes the symbolic form of a mask (see [`mask_to_string`]).
pub fn write_mask(out: &mut impl fmt::Write, family: Family, bits: u64) -> fmt::Result {
    if bits == 0 {
        return out.write_char('0');
    }
    let mut rest = bits;
    let mut first = true;
    // Every right has its own bit: none is left to print once `rest` has
    // only bits no right names.
    let known = family.all_bits();
    for right in family.rights() {
        if rest & known == 0 {
            break;
        }
        if bits & right.bit() != 0 {
            if !first {
                out.write_char('|')?;
            }
            out.write_str(right.name)?;
            first = false;
            rest &= !right.bit();
        }
    }
    if rest != 0 {
        if !first {
            out.write_char('|')?;
        }
        write!(out, "{rest:#x}")?;
    }
    Ok(())
}

/// Names of the rights set in a mask, unknown bits as one hex string.
pub fn mask_names(family: Family, bits: u64) -> Vec<String> {
    let mut names: Vec<String> =
        family.rights().iter().filter(|r| bits & r.bit() != 0).map(|r| r.name.to_string()).collect();
    let rest = bits & !family.all_bits();
    if rest != 0 {
        names.push(format!("{rest:#x}"));
    }
    names
}

/// Parses a right name in any spelling of `family`, or a hex/decimal bit
/// pattern (`0x10000`), into bits.
pub fn parse_right(family: Family, token: &str) -> Option<u64> {
    if let Some(hex) = token.strip_prefix("0x").or_else(|| token.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok();
    }
    if let Ok(v) = token.parse::<u64>() {
        return Some(v);
    }
    let bare = token
        .strip_prefix(family.uapi_prefix())
        .or_else(|| token.strip_prefix(family.short()).and_then(|t| t.strip_prefix('.')))
        .unwrap_or(token);
    family.bit_of(bare)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `write_mask` stops at the last right it prints: that needs every
    /// right of a family to have a bit of its own.
    #[test]
    fn rights_have_distinct_bits() {
        for family in Family::ALL {
            let mut seen = 0u64;
            for r in family.rights() {
                assert_eq!(seen & r.bit(), 0, "{} reuses a bit", r.name);
                seen |= r.bit();
            }
        }
    }

    #[test]
    fn slots_are_dense_and_unique() {
        let mut slots = [false; NSLOTS];
        let mut strs = [false; NSTRS];
        for f in FIELDS {
            match f.loc {
                Loc::Slot(n) => {
                    assert!(!slots[n as usize], "{} reuses slot {n}", f.name);
                    slots[n as usize] = true;
                }
                Loc::Str(n) => {
                    assert!(!strs[n as usize], "{} reuses str {n}", f.name);
                    strs[n as usize] = true;
                }
                Loc::List => {}
            }
        }
        assert!(slots.iter().all(|s| *s) && strs.iter().all(|s| *s));
    }

    #[test]
    fn builtin_header_slots_are_dense_and_unique() {
        let mut header = [false; NHEADER];
        for (i, b) in BUILTINS.iter().enumerate() {
            assert_eq!(b.builtin as usize, i, "{} out of order", b.name);
            assert_eq!(Builtin::lookup(b.name).map(|d| d.builtin), Some(b.builtin));
            if let Some(n) = b.builtin.header_slot() {
                assert!(!header[n], "{} reuses header slot {n}", b.name);
                header[n] = true;
            }
        }
        assert!(header.iter().all(|h| *h));
    }

    #[test]
    fn events_are_in_kind_order_and_names_resolve() {
        for (i, e) in EVENTS.iter().enumerate() {
            assert_eq!(e.kind as usize, i);
            assert_eq!(EventKind::lookup(e.name), Some(e.kind));
            assert_eq!(EventKind::lookup(&format!("landlock_{}", e.name)), Some(e.kind));
            for a in e.aliases {
                assert_eq!(EventKind::lookup(a), Some(e.kind));
            }
        }
    }

    #[test]
    fn constants_in_three_spellings() {
        let fs_read = Some((Family::Fs, 4));
        assert_eq!(lookup_constant("READ_FILE"), fs_read);
        assert_eq!(lookup_constant("fs.read_file"), fs_read);
        assert_eq!(lookup_constant("LANDLOCK_ACCESS_FS_READ_FILE"), fs_read);
        assert_eq!(lookup_constant("CONNECT_TCP"), Some((Family::Net, 2)));
        assert_eq!(lookup_constant("net.connect_tcp"), Some((Family::Net, 2)));
        assert_eq!(lookup_constant("scope.signal"), Some((Family::Scope, 2)));
        assert_eq!(lookup_constant("LANDLOCK_SCOPE_SIGNAL"), Some((Family::Scope, 2)));
        assert_eq!(lookup_constant("FS_READ"), Some((Family::Fs, 0b1100)));
        assert_eq!(lookup_constant("NET_ALL"), Some((Family::Net, 0xf)));
        assert_eq!(lookup_constant("READ_FIEL"), None);
        assert_eq!(lookup_constant("fs.READ_FILE"), None);
        for n in constant_names() {
            assert!(lookup_constant(&n).is_some(), "{n}");
        }
    }

    #[test]
    fn masks_render_symbolically_and_keep_unknown_bits() {
        assert_eq!(mask_to_string(Family::Fs, 0b110), "WRITE_FILE|READ_FILE");
        assert_eq!(mask_to_string(Family::Net, 0), "0");
        assert_eq!(mask_to_string(Family::Scope, 0b110), "SIGNAL|0x4");
        assert_eq!(parse_right(Family::Fs, "read_file"), Some(4));
        assert_eq!(parse_right(Family::Fs, "0x20000"), Some(0x20000));
    }
}
