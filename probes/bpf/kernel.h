/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * The few kernel types landtrace's probes read, written by hand for CO-RE:
 * only the members used, with the kernel's member names, so that field
 * offsets are relocated against the running kernel's BTF at load time.
 * (The kernel nests some of these members in anonymous unions; CO-RE finds
 * them there by name.) This is not a generated vmlinux.h.
 */
#ifndef LANDTRACE_KERNEL_H
#define LANDTRACE_KERNEL_H

#include <linux/types.h>

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct qstr {
	union {
		struct {
			__u32 hash;
			__u32 len;
		};
		__u64 hash_len;
	};
	const unsigned char *name;
};

struct super_block {
	__u32 s_dev;
};

struct inode {
	unsigned long i_ino;
	struct super_block *i_sb;
};

struct dentry {
	struct dentry *d_parent;
	struct qstr d_name;
	struct inode *d_inode;
	struct super_block *d_sb;
};

struct vfsmount {
	struct dentry *mnt_root;
};

struct mount {
	struct mount *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct vfsmount mnt;
};

struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
};

typedef struct {
	__s64 counter;
} atomic64_t;

typedef struct {
	atomic64_t refcnt;
} file_ref_t;

struct file {
	void *private_data;
	struct inode *f_inode;
	struct path f_path;
	file_ref_t f_ref; /* 6.13+: 0 means one reference */
};

/* Before 6.13: a plain counter, 1 means one reference. */
struct file___f_count {
	atomic64_t f_count;
};

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
};

struct files_struct {
	struct fdtable *fdt;
};

struct signal_struct {
	int nr_threads;
};

struct cred {
	void *security;
};

struct task_struct {
	unsigned long atomic_flags;
	int pid;
	int tgid;
	struct task_struct *real_parent;
	const struct cred *cred;
	struct files_struct *files;
	struct signal_struct *signal;
};

/* x86_64 user registers at syscall entry: the arguments in di, si, dx,
 * r10 (still there when the syscall exits). */
struct pt_regs {
	unsigned long r10;
	unsigned long dx;
	unsigned long si;
	unsigned long di;
};

/* `id` exists from 6.15 (with audit); before, a domain has no ID. */
struct landlock_hierarchy {
	struct landlock_hierarchy *parent;
	__u64 id;
};

/* The first access mask word of a layer: filesystem rights in the low
 * bits (16 of them before 7.1, 17 after), read as a whole word. */
struct access_masks {
	__u32 fs : 16;
};

/*
 * What the credentials point to. Before 7.3 a domain is a struct
 * landlock_ruleset whose layers' masks are `access_masks[]`; from 7.3 it is
 * its own struct landlock_domain (and before 6.7 the masks were
 * `fs_access_masks[]`, 16 bits each), with `handled_masks[]`, and
 * landlock_ruleset (the unmerged ruleset behind a file descriptor) has an
 * `id`. Each read below is guarded by bpf_core_type_exists or
 * bpf_core_field_exists, so a kernel lacking one loads the program all the
 * same.
 */
struct landlock_ruleset {
	struct landlock_hierarchy *hierarchy;
	__u32 num_layers;
	struct access_masks access_masks[0];
};

/* Before 6.7: only filesystem masks, 16 bits per layer. */
struct landlock_ruleset___fs_access_masks {
	struct landlock_hierarchy *hierarchy;
	__u32 num_layers;
	__u16 fs_access_masks[0];
};

struct landlock_domain {
	struct landlock_hierarchy *hierarchy;
	__u32 num_layers;
	struct access_masks handled_masks[0];
};

#pragma clang attribute pop

/* task_struct.atomic_flags bit for no_new_privs (PFA_NO_NEW_PRIVS). */
#define LT_PFA_NO_NEW_PRIVS 0

#endif
