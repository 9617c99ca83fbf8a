//! The Rust mirror of `bpf/events.h`: the records the BPF programs write
//! and the configuration they read. A test compiles the C header with the
//! system C compiler and checks every size and offset against these.

/// `LT_*` record kinds.
pub mod kind {
    pub const CREATE_RULESET: u32 = 1;
    pub const ADD_RULE_FS: u32 = 2;
    pub const ADD_RULE_NET: u32 = 3;
    pub const RESTRICT_SELF: u32 = 4;
    pub const FREE_RULESET: u32 = 5;
    pub const CALIBRATION: u32 = 6;
    pub const TRACEPOINT: u32 = 7;
    /// A denial from a hook: [`super::AddRuleFs`]'s layout.
    pub const DENY_FS: u32 = 8;
    /// A denial from a hook: [`super::AddRuleNet`]'s layout.
    pub const DENY_NET: u32 = 9;
    /// A signal denied by scoping, from a hook: [`super::AddRuleFs`]'s layout.
    pub const DENY_SIGNAL: u32 = 10;
}

/// The domain of a hook's denial is a per-run key (flags / pad bit).
pub const DENY_KEY: u32 = 0x100;
/// `ruleset_fd` of a [`kind::DENY_NET`] record.
pub const NET_BIND: i32 = 1;
pub const NET_CONNECT: i32 = 2;

pub const COMM_LEN: usize = 16;
pub const PATH_STEPS: usize = 40;
pub const NAME_SLOT: usize = 128;
/// `comp_len` of a step that crossed a mount.
pub const STEP_MOUNT: u16 = 0xffff;
pub const RAW_MAX: usize = 4096;
pub const TP_DYNAMIC: usize = 8;

/// `lt_add_rule_fs.flags`
pub const PATH_TOO_LONG: u16 = 1;
pub const PATH_UNREACHABLE: u16 = 2;

/// `lt_tp_config.flags`
pub const TP_ANY_TASK: u32 = 1;

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Header {
    pub kind: u32,
    pub size: u32,
    pub time_ns: u64,
    pub pid: u32,
    pub tid: u32,
    pub ppid: u32,
    pub uid: u32,
    pub gid: u32,
    pub cpu: u32,
    pub cgroup: u64,
    pub comm: [u8; COMM_LEN],
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct CreateRuleset {
    pub h: Header,
    pub ruleset: u64,
    pub handled_fs: u64,
    pub handled_net: u64,
    pub scoped: u64,
    pub fd: i32,
    pub attr_size: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct AddRuleNet {
    pub h: Header,
    pub ruleset: u64,
    pub access: u64,
    pub port: u64,
    pub ruleset_fd: i32,
    pub pad: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct AddRuleFs {
    pub h: Header,
    pub ruleset: u64,
    pub access: u64,
    pub ino: u64,
    pub ruleset_fd: i32,
    pub dev: u32,
    pub nsteps: u16,
    pub flags: u16,
    pub comp_len: [u16; PATH_STEPS],
    pub names: [[u8; NAME_SLOT]; PATH_STEPS],
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct RestrictSelf {
    pub h: Header,
    pub ruleset: u64,
    pub domain: u64,
    pub parent: u64,
    pub flags: u32,
    pub nr_threads: u32,
    pub no_new_privs: u8,
    pub found: u8,
    pub keys: u8,
    pub pad: [u8; 5],
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct FreeRuleset {
    pub h: Header,
    pub ruleset: u64,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Calibration {
    pub h: Header,
    pub offset: i32,
    pub pad: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Tracepoint {
    pub h: Header,
    pub len: u32,
    /// The tracepoint's id (its attach cookie).
    pub id: u32,
    /// The raw record from its start (common fields included, so field
    /// offsets are the format file's); `len` bytes of it are valid.
    pub data: [u8; RAW_MAX],
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Config {
    pub key_secret: u64,
    pub cred_offset: i32,
    pub calibration_tid: u32,
    pub calibration_mask: u32,
    pub filter_pids: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct TpConfig {
    pub fixed_size: u32,
    pub ndynamic: u32,
    pub flags: u32,
    pub pad: u32,
    pub dynamic_offset: [u32; TP_DYNAMIC],
    /// Terms of the pushed-down filter in use; 0: every record passes.
    pub nterms: u32,
    pub pad2: u32,
    pub terms: [Term; FILTER_TERMS],
}

/// Most terms of a tracepoint's filter (`LT_FILTER_TERMS`).
pub const FILTER_TERMS: usize = 32;

/// One term of a pushed-down filter (`struct lt_term`): what it reads
/// (`src`), how it tests it (`op`) against `a` (and `b`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Term {
    pub src: u8,
    pub op: u8,
    /// A field's bytes (1, 2, 4 or 8); a comm term's bytes to compare.
    pub size: u8,
    pub flags: u8,
    /// A field's offset in the raw record.
    pub offset: u16,
    pub pad: u16,
    pub a: u64,
    pub b: u64,
}

/// `lt_term.src`
pub mod src {
    pub const FIELD: u8 = 0;
    pub const PID: u8 = 1;
    pub const TID: u8 = 2;
    pub const UID: u8 = 3;
    pub const GID: u8 = 4;
    pub const CGROUP: u8 = 5;
    pub const COMM: u8 = 6;
}

/// `lt_term.op`
pub mod op {
    pub const EQ: u8 = 0;
    pub const NE: u8 = 1;
    pub const LT: u8 = 2;
    pub const LE: u8 = 3;
    pub const GT: u8 = 4;
    pub const GE: u8 = 5;
    pub const ANY: u8 = 6;
    pub const NONE: u8 = 7;
    pub const ALL: u8 = 8;
    pub const NOT_ALL: u8 = 9;
    pub const IN: u8 = 10;
    pub const NOT_IN: u8 = 11;
    pub const COMM_EQ: u8 = 12;
    pub const COMM_NE: u8 = 13;
    pub const PREFIX: u8 = 14;
    pub const NOT_PREFIX: u8 = 15;
}

/// `lt_term.flags`: the last term of its conjunction.
pub const TERM_END: u8 = 1;
/// `lt_term.flags`: compare as signed 64-bit integers.
pub const TERM_SIGNED: u8 = 2;
/// `lt_term.flags`: the field is signed: sign-extend it to 64 bits.
pub const TERM_SEXT: u8 = 4;

/// `lt_stats` indexes: records of the scope the filter looked at, and
/// those it dropped.
pub const STAT_SEEN: u32 = 0;
pub const STAT_FILTERED: u32 = 1;

// SAFETY: plain-old-data structs of integers and byte arrays, with no
// padding the kernel could misread (checked by the layout test), written
// to BPF maps.
unsafe impl aya::Pod for Config {}
// SAFETY: as above.
unsafe impl aya::Pod for TpConfig {}

/// A type every bit pattern of whose `size_of` bytes is a valid value:
/// what [`read`] may make from ring-buffer bytes.
///
/// # Safety
/// Implement it only for `repr(C)` structs whose fields are integers and
/// arrays of integers (or other `Plain` types); a `bool`, `char`, enum,
/// reference or pointer field would make some bytes an invalid value.
pub unsafe trait Plain: Copy {}

macro_rules! plain {
    ($($t:ty),* $(,)?) => {$(
        // SAFETY: a repr(C) struct of integers, integer arrays and Headers.
        unsafe impl Plain for $t {}
    )*};
}

plain!(Header, CreateRuleset, AddRuleNet, AddRuleFs, RestrictSelf, FreeRuleset, Calibration, Tracepoint);

/// Reads a record of type `T` from ring buffer bytes, if long enough.
///
/// Only [`Plain`] types: a type with invalid bit patterns is refused
/// (`read::<bool>` does not compile; tested in `only_plain_types_are_read`).
pub fn read<T: Plain>(bytes: &[u8]) -> Option<T> {
    if bytes.len() < std::mem::size_of::<T>() {
        return None;
    }
    // SAFETY: every bit pattern is a valid `T` (`Plain`); the length was
    // checked; read_unaligned copes with any alignment of the ring buffer
    // bytes.
    Some(unsafe { std::ptr::read_unaligned(bytes.as_ptr().cast::<T>()) })
}

/// The kind and size of a record, from its first bytes.
pub fn peek(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.len() < 8 {
        return None;
    }
    let kind = u32::from_ne_bytes(bytes[0..4].try_into().ok()?);
    let size = u32::from_ne_bytes(bytes[4..8].try_into().ok()?);
    Some((kind, size))
}

/// The bytes of a NUL-terminated C string field.
pub fn c_str(b: &[u8]) -> &[u8] {
    &b[..b.iter().position(|c| *c == 0).unwrap_or(b.len())]
}

/// (C expression, Rust value) pairs: the size and offsets of every record
/// and the value of every constant shared with `bpf/events.h`, which
/// `tests/layout.rs` compiles and compares.
#[doc(hidden)]
pub fn c_layout() -> Vec<(&'static str, usize)> {
    use crate::btf::KernelLayout;
    use std::mem::{offset_of, size_of};
    macro_rules! off {
        ($c:literal, $t:ty, $($f:tt)+) => { ($c, offset_of!($t, $($f)+)) };
    }
    vec![
        ("sizeof(struct lt_header)", size_of::<Header>()),
        off!("offsetof(struct lt_header, time_ns)", Header, time_ns),
        off!("offsetof(struct lt_header, pid)", Header, pid),
        off!("offsetof(struct lt_header, cgroup)", Header, cgroup),
        off!("offsetof(struct lt_header, comm)", Header, comm),
        ("sizeof(struct lt_create_ruleset)", size_of::<CreateRuleset>()),
        off!("offsetof(struct lt_create_ruleset, ruleset)", CreateRuleset, ruleset),
        off!("offsetof(struct lt_create_ruleset, scoped)", CreateRuleset, scoped),
        off!("offsetof(struct lt_create_ruleset, fd)", CreateRuleset, fd),
        off!("offsetof(struct lt_create_ruleset, attr_size)", CreateRuleset, attr_size),
        ("sizeof(struct lt_add_rule_net)", size_of::<AddRuleNet>()),
        off!("offsetof(struct lt_add_rule_net, port)", AddRuleNet, port),
        ("sizeof(struct lt_add_rule_fs)", size_of::<AddRuleFs>()),
        off!("offsetof(struct lt_add_rule_fs, ino)", AddRuleFs, ino),
        off!("offsetof(struct lt_add_rule_fs, ruleset_fd)", AddRuleFs, ruleset_fd),
        off!("offsetof(struct lt_add_rule_fs, dev)", AddRuleFs, dev),
        off!("offsetof(struct lt_add_rule_fs, nsteps)", AddRuleFs, nsteps),
        off!("offsetof(struct lt_add_rule_fs, flags)", AddRuleFs, flags),
        off!("offsetof(struct lt_add_rule_fs, comp_len)", AddRuleFs, comp_len),
        off!("offsetof(struct lt_add_rule_fs, names)", AddRuleFs, names),
        ("sizeof(struct lt_restrict_self)", size_of::<RestrictSelf>()),
        off!("offsetof(struct lt_restrict_self, domain)", RestrictSelf, domain),
        off!("offsetof(struct lt_restrict_self, parent)", RestrictSelf, parent),
        off!("offsetof(struct lt_restrict_self, flags)", RestrictSelf, flags),
        off!("offsetof(struct lt_restrict_self, no_new_privs)", RestrictSelf, no_new_privs),
        off!("offsetof(struct lt_restrict_self, found)", RestrictSelf, found),
        off!("offsetof(struct lt_restrict_self, keys)", RestrictSelf, keys),
        ("sizeof(struct lt_free_ruleset)", size_of::<FreeRuleset>()),
        ("sizeof(struct lt_calibration)", size_of::<Calibration>()),
        off!("offsetof(struct lt_calibration, offset)", Calibration, offset),
        ("sizeof(struct lt_tracepoint)", size_of::<Tracepoint>()),
        off!("offsetof(struct lt_tracepoint, len)", Tracepoint, len),
        off!("offsetof(struct lt_tracepoint, id)", Tracepoint, id),
        off!("offsetof(struct lt_tracepoint, data)", Tracepoint, data),
        ("sizeof(struct lt_config)", size_of::<Config>()),
        off!("offsetof(struct lt_config, cred_offset)", Config, cred_offset),
        off!("offsetof(struct lt_config, calibration_tid)", Config, calibration_tid),
        off!("offsetof(struct lt_config, calibration_mask)", Config, calibration_mask),
        off!("offsetof(struct lt_config, filter_pids)", Config, filter_pids),
        ("sizeof(struct lt_kernel)", size_of::<KernelLayout>()),
        off!("offsetof(struct lt_kernel, cred_security)", KernelLayout, cred_security),
        off!("offsetof(struct lt_kernel, file_ref)", KernelLayout, file_ref),
        off!("offsetof(struct lt_kernel, mount_mnt)", KernelLayout, mount_mnt),
        off!("offsetof(struct lt_kernel, regs_r10)", KernelLayout, regs_r10),
        off!("offsetof(struct lt_kernel, hierarchy_id)", KernelLayout, hierarchy_id),
        off!("offsetof(struct lt_kernel, domain_masks)", KernelLayout, domain_masks),
        off!("offsetof(struct lt_kernel, dentry_inode)", KernelLayout, dentry_inode),
        off!("offsetof(struct lt_kernel, task_comm)", KernelLayout, task_comm),
        ("sizeof(struct lt_tp_config)", size_of::<TpConfig>()),
        off!("offsetof(struct lt_tp_config, flags)", TpConfig, flags),
        off!("offsetof(struct lt_tp_config, dynamic_offset)", TpConfig, dynamic_offset),
        off!("offsetof(struct lt_tp_config, nterms)", TpConfig, nterms),
        off!("offsetof(struct lt_tp_config, terms)", TpConfig, terms),
        ("sizeof(struct lt_term)", size_of::<Term>()),
        off!("offsetof(struct lt_term, offset)", Term, offset),
        off!("offsetof(struct lt_term, a)", Term, a),
        off!("offsetof(struct lt_term, b)", Term, b),
        ("offsetof(struct bpf_prog_info, recursion_misses)", crate::loader::RECURSION_MISSES_OFFSET),
        ("LT_FILTER_TERMS", FILTER_TERMS),
        ("LT_SRC_COMM", src::COMM as usize),
        ("LT_SRC_CGROUP", src::CGROUP as usize),
        ("LT_OP_NOT_PREFIX", op::NOT_PREFIX as usize),
        ("LT_OP_NOT_IN", op::NOT_IN as usize),
        ("LT_OP_COMM_EQ", op::COMM_EQ as usize),
        ("LT_TERM_END", TERM_END as usize),
        ("LT_TERM_SIGNED", TERM_SIGNED as usize),
        ("LT_TERM_SEXT", TERM_SEXT as usize),
        ("LT_STAT_FILTERED", STAT_FILTERED as usize),
        ("LT_PATH_STEPS", PATH_STEPS),
        ("LT_NAME_SLOT", NAME_SLOT),
        ("LT_STEP_MOUNT", STEP_MOUNT as usize),
        ("LT_RAW_MAX", RAW_MAX),
        ("LT_TP_DYNAMIC", TP_DYNAMIC),
        ("LT_TRACEPOINT", kind::TRACEPOINT as usize),
        ("LT_CALIBRATION", kind::CALIBRATION as usize),
        ("LT_DENY_FS", kind::DENY_FS as usize),
        ("LT_DENY_NET", kind::DENY_NET as usize),
        ("LT_DENY_SIGNAL", kind::DENY_SIGNAL as usize),
        ("LT_DENY_KEY", DENY_KEY as usize),
        ("LT_NET_BIND", NET_BIND as usize),
        ("LT_NET_CONNECT", NET_CONNECT as usize),
        ("LT_FREE_RULESET", kind::FREE_RULESET as usize),
        ("LT_PATH_UNREACHABLE", PATH_UNREACHABLE as usize),
        ("LT_TP_ANY_TASK", TP_ANY_TASK as usize),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    /// `read::<T>` compiles only for `Plain` types: an inherent constant
    /// (there only when `T: Plain`) shadows the blanket trait's.
    #[test]
    fn only_plain_types_are_read() {
        struct Probe<T>(std::marker::PhantomData<T>);
        trait NotPlain {
            const PLAIN: bool = false;
        }
        impl<T> NotPlain for Probe<T> {}
        #[allow(dead_code, reason = "read only where T: Plain")]
        impl<T: Plain> Probe<T> {
            const PLAIN: bool = true;
        }
        // Checked at compile time: a wrong answer does not build.
        const { assert!(Probe::<FreeRuleset>::PLAIN && Probe::<Header>::PLAIN) };
        const { assert!(!Probe::<bool>::PLAIN && !Probe::<char>::PLAIN && !Probe::<&u8>::PLAIN) };
    }

    #[test]
    fn records_read_from_unaligned_bytes() {
        let mut bytes = vec![0u8; 1 + size_of::<FreeRuleset>()];
        bytes[1..5].copy_from_slice(&kind::FREE_RULESET.to_ne_bytes());
        bytes[1 + offset_of!(FreeRuleset, ruleset)..][..8].copy_from_slice(&42u64.to_ne_bytes());
        let r: FreeRuleset = read(&bytes[1..]).unwrap();
        assert_eq!((r.h.kind, r.ruleset), (kind::FREE_RULESET, 42));
        assert!(read::<FreeRuleset>(&bytes[..10]).is_none());
        assert_eq!(c_str(b"abc\0def"), b"abc");
    }
}
