/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * The records landtrace's BPF programs write to the ring buffer, and the
 * configuration userspace writes to them. probes/src/records.rs mirrors
 * every struct here with #[repr(C)]; a test there checks sizes and offsets
 * against this file, compiled by the C compiler.
 *
 * Every record starts with struct lt_header; `kind` says which one it is
 * and `size` how many bytes it has. Layouts are fixed and 8-byte aligned.
 */
#ifndef LANDTRACE_EVENTS_H
#define LANDTRACE_EVENTS_H

#include <linux/types.h>

#define LT_COMM_LEN 16
/* Steps of the walk up the dentry tree recorded for a rule: one per path
 * component or mount crossed (deeper paths are <too_long>). */
#define LT_PATH_STEPS 40
/* Bytes kept of each component name, with its NUL (longer: <too_long>). */
#define LT_NAME_SLOT 128
/* lt_add_rule_fs.comp_len of a step that crossed a mount (no name). */
#define LT_STEP_MOUNT 0xffff
/* Bytes of a raw tracepoint record copied. */
#define LT_RAW_MAX 4096
/* Dynamic (__data_loc) fields of a tracepoint the generic program follows. */
#define LT_TP_DYNAMIC 8

enum lt_kind {
	LT_CREATE_RULESET = 1,
	LT_ADD_RULE_FS = 2,
	LT_ADD_RULE_NET = 3,
	LT_RESTRICT_SELF = 4,
	LT_FREE_RULESET = 5,
	LT_CALIBRATION = 6,
	LT_TRACEPOINT = 7,
	/* A denial seen where Landlock decides it (fexit on its own hook
	 * functions): struct lt_add_rule_fs's layout with `ruleset` the
	 * domain's key or ID and `access` the rights denied; and struct
	 * lt_add_rule_net's with `ruleset_fd` the operation. */
	LT_DENY_FS = 8,
	LT_DENY_NET = 9,
	/* struct lt_add_rule_fs's layout: `ruleset` the domain, `access` the
	 * target's domain, `ino` its tgid, `ruleset_fd` the signal, the
	 * first name slot its comm. */
	LT_DENY_SIGNAL = 10,
};

/* lt_add_rule_fs.flags of an LT_DENY_FS record, and lt_add_rule_net.pad
 * of an LT_DENY_NET one: the domain is a per-run key (no kernel ID). */
#define LT_DENY_KEY 0x100
/* lt_add_rule_net.ruleset_fd of an LT_DENY_NET record. */
#define LT_NET_BIND 1
#define LT_NET_CONNECT 2

/* lt_add_rule_fs.flags */
#define LT_PATH_TOO_LONG 1
#define LT_PATH_UNREACHABLE 2

struct lt_header {
	__u32 kind;
	__u32 size;
	__u64 time_ns; /* CLOCK_MONOTONIC */
	__u32 pid;     /* thread-group id */
	__u32 tid;
	__u32 ppid;
	__u32 uid;
	__u32 gid;
	__u32 cpu;
	__u64 cgroup;
	char comm[LT_COMM_LEN];
};

struct lt_create_ruleset {
	struct lt_header h;
	__u64 ruleset; /* the kernel object's address XOR the per-run secret */
	__u64 handled_fs;
	__u64 handled_net;
	__u64 scoped;
	__s32 fd;
	__u32 attr_size;
};

struct lt_add_rule_net {
	struct lt_header h;
	__u64 ruleset;
	__u64 access;
	__u64 port;
	__s32 ruleset_fd; /* the descriptor passed to landlock_add_rule */
	__u32 pad;
};

struct lt_add_rule_fs {
	struct lt_header h;
	__u64 ruleset;
	__u64 access;
	__u64 ino;
	__s32 ruleset_fd; /* the descriptor passed to landlock_add_rule */
	__u32 dev;        /* kernel dev_t: major << 20 | minor */
	__u16 nsteps;
	__u16 flags;
	__u16 comp_len[LT_PATH_STEPS]; /* leaf first; LT_STEP_MOUNT for a mount */
	char names[LT_PATH_STEPS][LT_NAME_SLOT];
};

struct lt_restrict_self {
	struct lt_header h;
	__u64 ruleset;
	__u64 domain;
	__u64 parent;
	__u32 flags;
	__u32 nr_threads;
	__u8 no_new_privs;
	__u8 found; /* 0: the domain could not be read */
	__u8 keys;  /* 1: domain and parent are keys (no kernel IDs before 6.15) */
	__u8 pad[5];
};

struct lt_free_ruleset {
	struct lt_header h;
	__u64 ruleset;
};

struct lt_calibration {
	struct lt_header h;
	__s32 offset; /* of the Landlock blob in cred->security, -1 if not found */
	__u32 pad;
};

struct lt_tracepoint {
	struct lt_header h;
	__u32 len; /* bytes of data */
	__u32 id;  /* the tracepoint's id (the attach cookie) */
	__u8 data[LT_RAW_MAX]; /* the record from its start, common fields included */
};

/* Written by userspace to the lt_config array (one entry). */
struct lt_config {
	__u64 key_secret;
	__s32 cred_offset;      /* -1 until calibrated */
	__u32 calibration_tid;  /* 0: no calibration running */
	__u32 calibration_mask; /* handled_fs of the calibration ruleset */
	__u32 filter_pids;      /* 1: only tgids in lt_tracked */
};

/*
 * Where the probes read kernel structures, found by userspace in the
 * running kernel's BTF (probes/src/btf.rs, KernelLayout) and set as a
 * read-only global before the programs load, so the verifier sees
 * constants. Byte offsets; -1: this kernel has no such member.
 */
struct lt_kernel {
	__s32 task_tgid, task_real_parent, task_cred, task_files, task_signal, task_atomic_flags;
	__s32 cred_security;
	__s32 files_fdt, fdt_max_fds, fdt_fd;
	__s32 file_private_data, file_inode, file_dentry, file_mnt;
	__s32 file_ref;   /* f_ref.refcnt.counter: 6.13+, 0 means one reference */
	__s32 file_count; /* f_count.counter: before 6.13, 1 means one reference */
	__s32 inode_ino, inode_sb, sb_dev;
	__s32 dentry_parent, dentry_name, dentry_name_len;
	__s32 mount_mnt, mount_parent, mount_mountpoint, vfsmount_root;
	__s32 signal_nr_threads;
	__s32 regs_di, regs_si, regs_dx, regs_r10;
	__s32 hierarchy_parent;
	__s32 hierarchy_id; /* 6.15+ (with audit); before, a domain has no ID */
	/* A domain's members, in whichever struct this kernel has: struct
	 * landlock_domain from 7.3 (handled_masks), struct landlock_ruleset
	 * before (access_masks; 16-bit fs_access_masks before 6.7). */
	__s32 domain_hierarchy, domain_layers, domain_masks;
	/* file.f_mode, file.f_flags and inode.i_mode (16 bits), which tell
	 * what an open asked for, and dentry.d_inode. */
	__s32 file_mode, file_flags, inode_mode, dentry_inode;
	__s32 task_comm;
};

/* lt_tp_config.flags */
#define LT_TP_ANY_TASK 1 /* pass even when the task is not tracked */

/* The condition pushed down from the program (docs/live.md, "Filters in
 * the kernel"): a disjunction of conjunctions of terms, in order; a term
 * with LT_TERM_END closes its conjunction. No terms: every event passes.
 * Userspace still runs the whole predicate; these only drop events no
 * clause can want. */
#define LT_FILTER_TERMS 32

/* lt_term.src: what the term reads. */
#define LT_SRC_FIELD 0  /* the record's bytes at offset, size 1, 2, 4 or 8 */
#define LT_SRC_PID 1
#define LT_SRC_TID 2
#define LT_SRC_UID 3
#define LT_SRC_GID 4
#define LT_SRC_CGROUP 5
#define LT_SRC_COMM 6   /* a, b: 16 bytes; size: how many to compare */

/* lt_term.op */
#define LT_OP_EQ 0
#define LT_OP_NE 1
#define LT_OP_LT 2
#define LT_OP_LE 3
#define LT_OP_GT 4
#define LT_OP_GE 5
#define LT_OP_ANY 6      /* v & a != 0 */
#define LT_OP_NONE 7     /* v & a == 0 */
#define LT_OP_ALL 8      /* v & a == a */
#define LT_OP_NOT_ALL 9  /* v & a != a */
#define LT_OP_IN 10      /* a <= v <= b */
#define LT_OP_NOT_IN 11
#define LT_OP_COMM_EQ 12
#define LT_OP_COMM_NE 13
#define LT_OP_PREFIX 14
#define LT_OP_NOT_PREFIX 15

/* lt_term.flags */
#define LT_TERM_END 1    /* the last term of its conjunction */
#define LT_TERM_SIGNED 2 /* compare as signed 64-bit integers */
#define LT_TERM_SEXT 4   /* the field is signed: sign-extend it */

struct lt_term {
	__u8 src;
	__u8 op;
	__u8 size;
	__u8 flags;
	__u16 offset;
	__u16 pad;
	__u64 a;
	__u64 b;
};

/* Per-CPU counters of the tracepoint program (lt_stats). */
#define LT_STAT_SEEN 0     /* records of the scope the filter looked at */
#define LT_STAT_FILTERED 1 /* of those, records the filter dropped */
#define LT_STATS 2

/* Per tracepoint id (passed as the attach cookie: the kernel overwrites a
 * record's common fields before a BPF program sees them). */
struct lt_tp_config {
	__u32 fixed_size; /* bytes of the fixed part of the record */
	__u32 ndynamic;
	__u32 flags;
	__u32 pad;
	__u32 dynamic_offset[LT_TP_DYNAMIC]; /* offsets of __data_loc words */
	__u32 nterms; /* of the filter; 0: every record passes */
	__u32 pad2;
	struct lt_term terms[LT_FILTER_TERMS];
};

#endif
