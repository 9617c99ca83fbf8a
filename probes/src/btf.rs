//! The member offsets the probes read kernel structures at, found in the
//! running kernel's BTF (`/sys/kernel/btf/vmlinux`) at start-up.
//!
//! The probes once relied on CO-RE relocations, which aya computes by
//! parsing the whole type graph of the kernel (about 150,000 types, tens of
//! milliseconds and megabytes each time). The probes need some thirty facts:
//! the offsets of the members they read, and whether a few members exist.
//! This reader walks the raw BTF once, indexing where each type's record
//! starts, and answers those questions without building anything else. The
//! answers reach the programs as a read-only global ([`KernelLayout`], the
//! C `struct lt_kernel`) before they are loaded, so the verifier sees them
//! as constants and drops the branches a kernel does not need.

use crate::mapping::Mapping;
use std::fmt;

const MAGIC: u16 = 0xeb9f;
const HEADER_LEN: usize = 24;

// Kinds (include/uapi/linux/btf.h).
const KIND_INT: u32 = 1;
const KIND_PTR: u32 = 2;
const KIND_ARRAY: u32 = 3;
const KIND_STRUCT: u32 = 4;
const KIND_UNION: u32 = 5;
const KIND_ENUM: u32 = 6;
const KIND_FWD: u32 = 7;
const KIND_TYPEDEF: u32 = 8;
const KIND_VOLATILE: u32 = 9;
const KIND_CONST: u32 = 10;
const KIND_RESTRICT: u32 = 11;
const KIND_FUNC: u32 = 12;
const KIND_FUNC_PROTO: u32 = 13;
const KIND_VAR: u32 = 14;
const KIND_DATASEC: u32 = 15;
const KIND_FLOAT: u32 = 16;
const KIND_DECL_TAG: u32 = 17;
const KIND_TYPE_TAG: u32 = 18;
const KIND_ENUM64: u32 = 19;

/// Why the kernel's BTF could not answer.
#[derive(Debug, thiserror::Error)]
pub enum BtfError {
    #[error("cannot read {path}: {source} (landtrace needs a kernel built with CONFIG_DEBUG_INFO_BTF)")]
    Read {
        path: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not BTF data: {why}")]
    Malformed { path: &'static str, why: String },
    #[error("this kernel's BTF has no {what}, which the probes read")]
    Missing { what: String },
    #[error("this kernel's {what} is {found} bytes, the probes read {expected}")]
    Size { what: String, found: u32, expected: u32 },
}

/// The bytes of a BTF blob: the kernel's mapped read-only where it allows
/// (6.16+ maps /sys/kernel/btf/vmlinux; reading it instead costs a
/// system call per 4 KiB page, some 1,350 of them), or read into memory.
enum Bytes {
    Mapped(Mapping),
    Owned(Vec<u8>),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(m) => m.bytes(),
            Bytes::Owned(v) => v,
        }
    }
}

impl Bytes {
    /// Maps a file read-only, if its file system allows.
    fn map(file: &std::fs::File) -> Option<Bytes> {
        use std::os::fd::AsFd;
        let len = usize::try_from(file.metadata().ok()?.len()).ok().filter(|&l| l > 0)?;
        Mapping::new(file.as_fd(), len, libc::MAP_PRIVATE).ok().map(Bytes::Mapped)
    }
}

/// The kernel's type information, indexed by type ID.
pub struct Btf {
    data: Bytes,
    /// Where the type section starts in `data`.
    types: usize,
    /// Where the string section starts, and its length.
    strings: usize,
    strings_len: usize,
    /// The offset of each type's record in the type section; index 0 is
    /// `void`, which has none.
    offsets: Vec<u32>,
}

impl fmt::Debug for Btf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Btf")
            .field("bytes", &self.data.len())
            .field("types", &self.offsets.len())
            .finish_non_exhaustive()
    }
}

/// One type record's fixed part.
#[derive(Clone, Copy)]
struct Type {
    name: u32,
    kind: u32,
    vlen: usize,
    kind_flag: bool,
    /// `size` for integers, structs, unions and enums; `type` for the rest.
    size_or_ref: u32,
    /// Where the record's trailing data starts in `data`.
    rest: usize,
}

/// A struct or union member, resolved to its byte offset.
struct Member {
    offset: u32,
    ty: u32,
}

const VMLINUX: &str = "/sys/kernel/btf/vmlinux";

impl Btf {
    /// Reads the running kernel's BTF.
    pub fn kernel() -> Result<Btf, BtfError> {
        use std::io::Read;
        let read_err = |source| BtfError::Read { path: VMLINUX, source };
        let mut file = std::fs::File::open(VMLINUX).map_err(read_err)?;
        let data = if let Some(mapped) = Bytes::map(&file) {
            mapped
        } else {
            let mut data = Vec::new();
            file.read_to_end(&mut data).map_err(read_err)?;
            Bytes::Owned(data)
        };
        Btf::index(data).map_err(|why| BtfError::Malformed { path: VMLINUX, why })
    }

    /// Indexes raw BTF (native byte order, as the kernel exposes it).
    pub fn parse(data: Vec<u8>) -> Result<Btf, String> {
        Btf::index(Bytes::Owned(data))
    }

    fn index(data: Bytes) -> Result<Btf, String> {
        if data.len() < HEADER_LEN {
            return Err(format!("{} bytes, shorter than a header", data.len()));
        }
        let magic = u16::from_ne_bytes([data[0], data[1]]);
        if magic != MAGIC {
            return Err(format!("magic {magic:#x}, not {MAGIC:#x} (or not this machine's byte order)"));
        }
        let word = |at: usize| u32::from_ne_bytes(data[at..at + 4].try_into().expect("4 bytes")) as usize;
        let hdr_len = word(4);
        let (type_off, type_len, str_off, str_len) = (word(8), word(12), word(16), word(20));
        let types = hdr_len.checked_add(type_off).ok_or("type section offset overflows")?;
        let strings = hdr_len.checked_add(str_off).ok_or("string section offset overflows")?;
        let in_bounds =
            |start: usize, len: usize| start.checked_add(len).is_some_and(|end| end <= data.len());
        if hdr_len < HEADER_LEN || !in_bounds(types, type_len) || !in_bounds(strings, str_len) {
            return Err("a section lies outside the data".into());
        }
        let mut btf = Btf { data, types, strings, strings_len: str_len, offsets: vec![0] };
        let mut at = 0;
        while at < type_len {
            if at + 12 > type_len {
                return Err(format!("type {} is cut short", btf.offsets.len()));
            }
            let ty = btf.read(types + at);
            let extra = match ty.kind {
                KIND_INT | KIND_VAR | KIND_DECL_TAG => 4,
                KIND_ARRAY => 12,
                KIND_STRUCT | KIND_UNION | KIND_DATASEC | KIND_ENUM64 => 12 * ty.vlen,
                KIND_ENUM | KIND_FUNC_PROTO => 8 * ty.vlen,
                KIND_PTR | KIND_FWD | KIND_TYPEDEF | KIND_VOLATILE | KIND_CONST | KIND_RESTRICT
                | KIND_FUNC | KIND_FLOAT | KIND_TYPE_TAG => 0,
                kind => return Err(format!("type {} has unknown kind {kind}", btf.offsets.len())),
            };
            btf.offsets.push(u32::try_from(at).map_err(|_| "type section over 4 GiB")?);
            at += 12 + extra;
        }
        if at != type_len {
            return Err(format!("type {} runs past the type section", btf.offsets.len() - 1));
        }
        Ok(btf)
    }

    fn u32_at(&self, at: usize) -> u32 {
        u32::from_ne_bytes(self.data[at..at + 4].try_into().expect("4 bytes"))
    }

    fn read(&self, at: usize) -> Type {
        let info = self.u32_at(at + 4);
        Type {
            name: self.u32_at(at),
            kind: (info >> 24) & 0x1f,
            vlen: (info & 0xffff) as usize,
            kind_flag: info >> 31 == 1,
            size_or_ref: self.u32_at(at + 8),
            rest: at + 12,
        }
    }

    fn ty(&self, id: u32) -> Option<Type> {
        let off = *self.offsets.get(id as usize)?;
        (id != 0).then(|| self.read(self.types + off as usize))
    }

    /// The NUL-terminated string at `off` in the string section.
    fn name(&self, off: u32) -> &[u8] {
        let off = off as usize;
        if off >= self.strings_len {
            return b"";
        }
        let s = &self.data[self.strings + off..self.strings + self.strings_len];
        &s[..s.iter().position(|&b| b == 0).unwrap_or(s.len())]
    }

    /// The IDs of the complete structs (not forward declarations) named
    /// each of `names`, in one pass over the types.
    fn structs<const N: usize>(&self, names: [&str; N]) -> [Option<u32>; N] {
        let mut found = [None; N];
        for id in 1..self.offsets.len() {
            let id = u32::try_from(id).expect("fewer than 2^32 types");
            let ty = self.ty(id).expect("indexed");
            if ty.kind != KIND_STRUCT || ty.name == 0 {
                continue;
            }
            let name = self.name(ty.name);
            for (slot, want) in found.iter_mut().zip(names) {
                if slot.is_none() && name == want.as_bytes() {
                    *slot = Some(id);
                }
            }
        }
        found
    }

    /// Follows typedefs and qualifiers to the type they name.
    fn resolve(&self, mut id: u32) -> Option<(u32, Type)> {
        for _ in 0..32 {
            let ty = self.ty(id)?;
            match ty.kind {
                KIND_TYPEDEF | KIND_VOLATILE | KIND_CONST | KIND_RESTRICT | KIND_TYPE_TAG => {
                    id = ty.size_or_ref;
                }
                _ => return Some((id, ty)),
            }
        }
        None
    }

    /// The member `name` of struct or union `id`, looking inside anonymous
    /// members as C does (and as CO-RE did).
    fn member(&self, id: u32, name: &[u8], depth: u32) -> Option<Member> {
        let (_, ty) = self.resolve(id)?;
        if !matches!(ty.kind, KIND_STRUCT | KIND_UNION) || depth > 8 {
            return None;
        }
        for i in 0..ty.vlen {
            let at = ty.rest + 12 * i;
            let (m_name, m_type, m_off) = (self.u32_at(at), self.u32_at(at + 4), self.u32_at(at + 8));
            let bits = if ty.kind_flag { m_off & 0xff_ffff } else { m_off };
            if m_name == 0 {
                if let Some(inner) = self.member(m_type, name, depth + 1) {
                    return Some(Member { offset: bits / 8 + inner.offset, ty: inner.ty });
                }
            } else if self.name(m_name) == name {
                return Some(Member { offset: bits / 8, ty: m_type });
            }
        }
        None
    }

    /// The byte offset of `path` (`a.b.c`, members of nested structs)
    /// within struct `id`, and the last member's size.
    fn path(&self, id: u32, path: &str) -> Option<(u32, u32)> {
        let (mut offset, mut ty) = (0, id);
        for part in path.split('.') {
            let m = self.member(ty, part.as_bytes(), 0)?;
            offset += m.offset;
            ty = m.ty;
        }
        Some((offset, self.size(ty)?))
    }

    /// A type's size in bytes.
    fn size(&self, id: u32) -> Option<u32> {
        let (_, ty) = self.resolve(id)?;
        match ty.kind {
            KIND_INT | KIND_STRUCT | KIND_UNION | KIND_ENUM | KIND_ENUM64 | KIND_FLOAT => {
                Some(ty.size_or_ref)
            }
            KIND_PTR => Some(8),
            KIND_ARRAY => {
                let elem = self.u32_at(ty.rest);
                let n = self.u32_at(ty.rest + 8);
                self.size(elem)?.checked_mul(n)
            }
            _ => None,
        }
    }
}

/// Offsets the probes read kernel structures at, and which optional
/// members this kernel has (-1: it has not). The C `struct lt_kernel` in
/// `bpf/events.h`, field for field.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelLayout {
    pub task_tgid: i32,
    pub task_real_parent: i32,
    pub task_cred: i32,
    pub task_files: i32,
    pub task_signal: i32,
    pub task_atomic_flags: i32,
    pub cred_security: i32,
    pub files_fdt: i32,
    pub fdt_max_fds: i32,
    pub fdt_fd: i32,
    pub file_private_data: i32,
    pub file_inode: i32,
    pub file_dentry: i32,
    pub file_mnt: i32,
    /// `file.f_ref.refcnt.counter` (6.13+, counts from 0), else -1.
    pub file_ref: i32,
    /// `file.f_count.counter` (before 6.13, counts from 1), else -1.
    pub file_count: i32,
    pub inode_ino: i32,
    pub inode_sb: i32,
    pub sb_dev: i32,
    pub dentry_parent: i32,
    pub dentry_name: i32,
    pub dentry_name_len: i32,
    pub mount_mnt: i32,
    pub mount_parent: i32,
    pub mount_mountpoint: i32,
    pub vfsmount_root: i32,
    pub signal_nr_threads: i32,
    pub regs_di: i32,
    pub regs_si: i32,
    pub regs_dx: i32,
    pub regs_r10: i32,
    pub hierarchy_parent: i32,
    /// `landlock_hierarchy.id` (6.15+), else -1.
    pub hierarchy_id: i32,
    /// A domain's `hierarchy`, `num_layers` and first layer's masks, in
    /// whichever struct this kernel's domains are (-1: none found).
    pub domain_hierarchy: i32,
    pub domain_layers: i32,
    pub domain_masks: i32,
    /// `file.f_mode`, `file.f_flags`, `inode.i_mode` and `dentry.d_inode`:
    /// what the hooks' programs read of an open (-1: none found).
    pub file_mode: i32,
    pub file_flags: i32,
    pub inode_mode: i32,
    pub dentry_inode: i32,
    /// `task_struct.comm`: a signalled task's name.
    pub task_comm: i32,
}

/// What the probes read: `struct.member.path`, the size they read it as,
/// and where the answer goes.
type Want = (&'static str, u32, fn(&mut KernelLayout) -> &mut i32);

const REQUIRED: &[Want] = &[
    ("task_struct.tgid", 4, |k| &mut k.task_tgid),
    ("task_struct.real_parent", 8, |k| &mut k.task_real_parent),
    ("task_struct.cred", 8, |k| &mut k.task_cred),
    ("task_struct.files", 8, |k| &mut k.task_files),
    ("task_struct.signal", 8, |k| &mut k.task_signal),
    ("task_struct.atomic_flags", 8, |k| &mut k.task_atomic_flags),
    ("cred.security", 8, |k| &mut k.cred_security),
    ("files_struct.fdt", 8, |k| &mut k.files_fdt),
    ("fdtable.max_fds", 4, |k| &mut k.fdt_max_fds),
    ("fdtable.fd", 8, |k| &mut k.fdt_fd),
    ("file.private_data", 8, |k| &mut k.file_private_data),
    ("file.f_inode", 8, |k| &mut k.file_inode),
    ("file.f_path.dentry", 8, |k| &mut k.file_dentry),
    ("file.f_path.mnt", 8, |k| &mut k.file_mnt),
    ("inode.i_ino", 8, |k| &mut k.inode_ino),
    ("inode.i_sb", 8, |k| &mut k.inode_sb),
    ("super_block.s_dev", 4, |k| &mut k.sb_dev),
    ("dentry.d_parent", 8, |k| &mut k.dentry_parent),
    ("dentry.d_name.name", 8, |k| &mut k.dentry_name),
    ("dentry.d_name.len", 4, |k| &mut k.dentry_name_len),
    ("mount.mnt", 0, |k| &mut k.mount_mnt),
    ("mount.mnt_parent", 8, |k| &mut k.mount_parent),
    ("mount.mnt_mountpoint", 8, |k| &mut k.mount_mountpoint),
    ("vfsmount.mnt_root", 8, |k| &mut k.vfsmount_root),
    ("signal_struct.nr_threads", 4, |k| &mut k.signal_nr_threads),
    ("pt_regs.di", 8, |k| &mut k.regs_di),
    ("pt_regs.si", 8, |k| &mut k.regs_si),
    ("pt_regs.dx", 8, |k| &mut k.regs_dx),
    ("pt_regs.r10", 8, |k| &mut k.regs_r10),
];

/// Members a kernel may lack; a kernel without Landlock lacks them all.
const OPTIONAL: &[Want] = &[
    ("landlock_hierarchy.parent", 8, |k| &mut k.hierarchy_parent),
    ("file.f_ref.refcnt.counter", 8, |k| &mut k.file_ref),
    ("file.f_count.counter", 8, |k| &mut k.file_count),
    ("landlock_hierarchy.id", 8, |k| &mut k.hierarchy_id),
    ("file.f_mode", 4, |k| &mut k.file_mode),
    ("file.f_flags", 4, |k| &mut k.file_flags),
    ("inode.i_mode", 2, |k| &mut k.inode_mode),
    ("dentry.d_inode", 8, |k| &mut k.dentry_inode),
    ("task_struct.comm", 16, |k| &mut k.task_comm),
];

/// The structs named in the paths above, and those a domain may be.
const STRUCTS: [&str; 15] = [
    "task_struct",
    "cred",
    "files_struct",
    "fdtable",
    "file",
    "inode",
    "super_block",
    "dentry",
    "mount",
    "vfsmount",
    "signal_struct",
    "pt_regs",
    "landlock_hierarchy",
    "landlock_domain",
    "landlock_ruleset",
];

impl KernelLayout {
    /// Reads this kernel's layout from its BTF.
    pub fn kernel() -> Result<KernelLayout, BtfError> {
        KernelLayout::from_btf(&Btf::kernel()?)
    }

    /// Finds every offset the probes need in `btf`.
    pub fn from_btf(btf: &Btf) -> Result<KernelLayout, BtfError> {
        let ids = btf.structs(STRUCTS);
        let id_of = |name: &str| STRUCTS.iter().position(|&n| n == name).and_then(|i| ids[i]);
        let lookup = |path: &str| {
            let (name, rest) = path.split_once('.').expect("struct.member");
            id_of(name).and_then(|id| btf.path(id, rest))
        };
        let mut k = KernelLayout {
            file_ref: -1,
            file_count: -1,
            hierarchy_parent: -1,
            hierarchy_id: -1,
            domain_hierarchy: -1,
            domain_layers: -1,
            domain_masks: -1,
            file_mode: -1,
            file_flags: -1,
            inode_mode: -1,
            dentry_inode: -1,
            task_comm: -1,
            ..KernelLayout::default()
        };
        let place = |k: &mut KernelLayout, (path, expected, slot): &Want, found: (u32, u32)| {
            let (offset, size) = found;
            if *expected != 0 && size != *expected {
                return Err(BtfError::Size { what: (*path).to_string(), found: size, expected: *expected });
            }
            *slot(k) = i32::try_from(offset).map_err(|_| BtfError::Missing { what: (*path).to_string() })?;
            Ok(())
        };
        for want in REQUIRED {
            let found = lookup(want.0).ok_or_else(|| BtfError::Missing { what: want.0.to_string() })?;
            place(&mut k, want, found)?;
        }
        for want in OPTIONAL {
            if let Some(found) = lookup(want.0) {
                place(&mut k, want, found)?;
            }
        }
        // A domain is a struct landlock_domain from 7.3 (handled_masks), a
        // struct landlock_ruleset before (access_masks; fs_access_masks,
        // 16 bits each, before 6.7).
        let domain = [
            ("landlock_domain", "handled_masks"),
            ("landlock_ruleset", "access_masks"),
            ("landlock_ruleset", "fs_access_masks"),
        ];
        for (name, masks) in domain {
            let Some(id) = id_of(name) else { continue };
            let (Some(h), Some(n), Some(m)) =
                (btf.path(id, "hierarchy"), btf.path(id, "num_layers"), btf.member(id, masks.as_bytes(), 0))
            else {
                continue;
            };
            for (member, (_, size), expected) in [("hierarchy", h, 8), ("num_layers", n, 4)] {
                if size != expected {
                    return Err(BtfError::Size { what: format!("{name}.{member}"), found: size, expected });
                }
            }
            (k.domain_hierarchy, k.domain_layers, k.domain_masks) =
                (to_i32(h.0), to_i32(n.0), to_i32(m.offset));
            break;
        }
        Ok(k)
    }
}

fn to_i32(offset: u32) -> i32 {
    i32::try_from(offset).unwrap_or(-1)
}

// The probes' global is this struct's bytes.
// SAFETY: `KernelLayout` is `repr(C)`, all `i32`, with no padding.
unsafe impl aya::Pod for KernelLayout {}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny BTF blob: int, a struct with an anonymous union holding
    /// `len`, a typedef to it, and a struct holding that by typedef.
    fn blob() -> Vec<u8> {
        let mut strings = b"\0int\0qstr\0hash\0len\0name\0q_t\0dentry\0d_name\0d_parent\0".to_vec();
        let off = |s: &[u8]| {
            let hay = &strings;
            hay.windows(s.len() + 1).position(|w| &w[..s.len()] == s && w[s.len()] == 0).unwrap() as u32
        };
        let (int, qstr, hash, len, name, q_t, dentry, d_name, d_parent) = (
            off(b"int"),
            off(b"qstr"),
            off(b"hash"),
            off(b"len"),
            off(b"name"),
            off(b"q_t"),
            off(b"dentry"),
            off(b"d_name"),
            off(b"d_parent"),
        );
        let mut types = Vec::new();
        let mut push = |words: &[u32]| types.extend(words.iter().flat_map(|w| w.to_ne_bytes()));
        let info = |kind: u32, vlen: u32| (kind << 24) | vlen;
        // 1: int (4 bytes)
        push(&[int, info(KIND_INT, 0), 4, 32]);
        // 2: pointer to int
        push(&[0, info(KIND_PTR, 0), 1]);
        // 3: anonymous struct { int hash; int len; }
        push(&[0, info(KIND_STRUCT, 2), 8, hash, 1, 0, len, 1, 32]);
        // 4: struct qstr { struct { hash; len; }; int *name; } (size 16)
        push(&[qstr, info(KIND_STRUCT, 2), 16, 0, 3, 0, name, 2, 64]);
        // 5: typedef struct qstr q_t
        push(&[q_t, info(KIND_TYPEDEF, 0), 4]);
        // 6: pointer to dentry (7)
        push(&[0, info(KIND_PTR, 0), 7]);
        // 7: struct dentry { struct dentry *d_parent; q_t d_name; } (size 24)
        push(&[dentry, info(KIND_STRUCT, 2), 24, d_parent, 6, 0, d_name, 5, 64]);
        strings.push(0);
        let mut data = Vec::new();
        let words = [
            u32::from(MAGIC) | (1 << 16),
            HEADER_LEN as u32,
            0,
            types.len() as u32,
            types.len() as u32,
            strings.len() as u32,
        ];
        data.extend(words.iter().flat_map(|w| w.to_ne_bytes()));
        data.extend(&types);
        data.extend(&strings);
        data
    }

    #[test]
    fn members_are_found_through_anonymous_members_and_typedefs() {
        let btf = Btf::parse(blob()).unwrap();
        let [dentry, qstr, none] = btf.structs(["dentry", "qstr", "file"]);
        assert_eq!((dentry, qstr, none), (Some(7), Some(4), None));
        assert_eq!(btf.path(7, "d_parent"), Some((0, 8)));
        assert_eq!(btf.path(7, "d_name.len"), Some((12, 4)));
        assert_eq!(btf.path(7, "d_name.name"), Some((16, 8)));
        assert_eq!(btf.path(7, "d_name.nothing"), None);
        assert_eq!(btf.path(4, "hash"), Some((0, 4)));
    }

    #[test]
    fn damaged_btf_is_refused_with_its_cause() {
        let mut data = blob();
        assert!(Btf::parse(data[..10].to_vec()).unwrap_err().contains("shorter than a header"));
        data[0] = 0;
        assert!(Btf::parse(data.clone()).unwrap_err().contains("magic"));
        let mut data = blob();
        data.truncate(data.len() - 30);
        assert!(Btf::parse(data).unwrap_err().contains("outside"));
        let mut data = blob();
        // Type 1's kind becomes 31.
        data[HEADER_LEN + 7] = 31;
        assert!(Btf::parse(data).unwrap_err().contains("unknown kind 31"));
    }

    /// On the running kernel (every kernel landtrace runs on has BTF), the
    /// reader finds every required member and agrees with itself about
    /// nested paths.
    #[test]
    fn the_running_kernel_has_every_required_member() {
        let Ok(btf) = Btf::kernel() else {
            assert!(
                std::env::var_os("LANDTRACE_REQUIRE_LIVE").is_none(),
                "no readable /sys/kernel/btf/vmlinux and LANDTRACE_REQUIRE_LIVE is set"
            );
            eprintln!("ignored: no readable /sys/kernel/btf/vmlinux");
            return;
        };
        let k = KernelLayout::from_btf(&btf).unwrap();
        // pt_regs is the x86_64 ABI's: di, si, dx and r10 at fixed places.
        assert_eq!((k.regs_r10, k.regs_dx, k.regs_si, k.regs_di), (7 * 8, 12 * 8, 13 * 8, 14 * 8));
        assert!(k.domain_hierarchy >= 0 && k.domain_layers >= 0 && k.domain_masks > 0);
        assert!(k.file_ref >= 0 || k.file_count >= 0);
        assert!(k.task_tgid > 0 && k.task_cred > 0 && k.mount_mnt > 0);
    }
}
