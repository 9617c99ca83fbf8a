// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * The compat source: Landlock events from the syscall tracepoints, for
 * kernels without Landlock tracepoints (tested from 6.1; the kernel's domain
 * IDs from 6.15).
 *
 * Programs on the per-syscall tracepoints of the three Landlock syscalls'
 * exits (and close's entry): the exit emits a record only when the syscall
 * succeeded, reading its arguments from the registers the task entered
 * with, reading what the caller passed from user
 * memory and, after landlock_restrict_self, the new domain from the task's
 * credentials (at the offset of the Landlock credential blob that
 * userspace calibrates at start-up; kernel members at the offsets of
 * lt_kernel, kernel.h). Unlike the raw sys_enter
 * and sys_exit tracepoints, these cost other syscalls nothing.
 */
#include "common.h"

struct lt_args {
	__u64 a[4];
};

/* Rulesets seen created, by key, to notice the close that frees one. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	/* Entries allocated as they come: preallocating 65,536 of them
	 * cost every start about 2 ms. */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, __u8);
} lt_rulesets SEC(".maps");

#define LT_RULE_PATH_BENEATH 1
#define LT_RULE_NET_PORT 2
/* Offsets scanned in cred->security when calibrating. */
#define LT_CRED_SCAN 256

/* A syscalls:sys_enter_* record: the syscall number, then its arguments,
 * 8 bytes each (the same layout on every kernel). A program reads no
 * further than the syscall's arity: the record ends there. */
struct lt_syscall_enter {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__u64 args[6];
};

/* A syscalls:sys_exit_* record. */
struct lt_syscall_exit {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__s64 ret;
};

static __always_inline __u32 current_tid(void)
{
	return (__u32)bpf_get_current_pid_tgid();
}

/* The syscall's arguments, read at its exit from the registers the task
 * entered with: one program per syscall (its exit) instead of two. */
static __always_inline void syscall_args(struct lt_args *out)
{
	__u64 regs = (__u64)bpf_task_pt_regs(bpf_get_current_task_btf());
	out->a[0] = LT_U64(regs, regs_di);
	out->a[1] = LT_U64(regs, regs_si);
	out->a[2] = LT_U64(regs, regs_dx);
	out->a[3] = LT_U64(regs, regs_r10);
}

/* The arguments of a traced task's syscall; 0 if the task is not traced. */
static __always_inline int take_args(struct lt_args *out)
{
	struct lt_config *c = lt_get_config();
	if (!c)
		return 0;
	if (current_tid() != c->calibration_tid && !lt_is_tracked(c))
		return 0;
	syscall_args(out);
	return 1;
}

/* The struct file behind descriptor `fd` of the current task (0: none). */
static __always_inline __u64 fd_file(long fd)
{
	__u64 task = bpf_get_current_task();
	__u64 fdt = LT_U64(LT_U64(task, task_files), files_fdt);
	__u32 max = LT_U32(fdt, fdt_max_fds);
	if (fd < 0 || fd >= max)
		return 0;
	return lt_read_u64(LT_U64(fdt, fdt_fd) + fd * 8);
}

/* The ruleset behind a file descriptor, as a key that is not its address. */
static __always_inline __u64 ruleset_key(long fd, const struct lt_config *c)
{
	__u64 f = fd_file(fd);
	if (!f)
		return 0;
	__u64 p = LT_U64(f, file_private_data);
	return p ? (p ^ c->key_secret) : 0;
}

static __always_inline int exit_create_ruleset(long ret)
{
	struct lt_args a;
	if (!take_args(&a))
		return 0;
	struct lt_config *c = lt_get_config();
	/* flags ask for the ABI version or errata: no ruleset is made. */
	if (!c || ret < 0 || a.a[2] != 0)
		return 0;
	__u64 key = ruleset_key(ret, c);
	if (key) {
		__u8 one = 1;
		bpf_map_update_elem(&lt_rulesets, &key, &one, BPF_ANY);
	}
	if (current_tid() == c->calibration_tid)
		return 0;
	struct lt_create_ruleset *r = lt_reserve(sizeof(*r));
	if (!r)
		return 0;
	lt_fill_header(&r->h, LT_CREATE_RULESET, sizeof(*r));
	__u64 attr[3] = {};
	const void *uattr = (const void *)a.a[0];
	__u64 size = a.a[1];
	/* Honour `size`: older callers pass a shorter struct. */
	if (size >= 24)
		bpf_probe_read_user(attr, 24, uattr);
	else if (size >= 16)
		bpf_probe_read_user(attr, 16, uattr);
	else if (size >= 8)
		bpf_probe_read_user(attr, 8, uattr);
	r->ruleset = key;
	r->handled_fs = attr[0];
	r->handled_net = attr[1];
	r->scoped = attr[2];
	r->fd = ret;
	r->attr_size = size;
	lt_submit(r);
	return 0;
}

/* The add_rule_fs record is built here: it is too large for the stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lt_add_rule_fs);
} lt_fs_scratch SEC(".maps");

/*
 * Records the path of `f`, walking up from its dentry: step i writes its
 * component into slot i (or marks a mount crossed), so every offset is a
 * constant and the verifier's work stays linear in the number of steps.
 */
static __always_inline void record_path_at(struct lt_add_rule_fs *r, __u64 d, __u64 vfsmnt)
{
	/* The struct mount around the struct vfsmount. */
	__u64 mnt = vfsmnt - lt_kernel.mount_mnt;
	int done = 0;
	__u16 steps = 0;

#pragma unroll
	for (int i = 0; i < LT_PATH_STEPS; i++) {
		__u64 root = LT_U64(mnt + lt_kernel.mount_mnt, vfsmount_root);
		__u64 parent = LT_U64(d, dentry_parent);
		if (d == root) {
			__u64 up = LT_U64(mnt, mount_parent);
			if (up == mnt) {
				done = 1;
				break;
			}
			r->comp_len[i] = LT_STEP_MOUNT;
			d = LT_U64(mnt, mount_mountpoint);
			mnt = up;
		} else if (d == parent) {
			/* Not under the root: a detached or internal mount. */
			r->flags |= LT_PATH_UNREACHABLE;
			done = 1;
			break;
		} else {
			const void *name = (const void *)LT_U64(d, dentry_name);
			__u32 name_len = LT_U32(d, dentry_name_len);
			long len = bpf_probe_read_kernel_str(r->names[i], LT_NAME_SLOT, name);
			if (len <= 0)
				break;
			if (name_len >= LT_NAME_SLOT)
				r->flags |= LT_PATH_TOO_LONG;
			r->comp_len[i] = len - 1;
			d = parent;
		}
		steps = i + 1;
	}
	if (!done)
		r->flags |= LT_PATH_TOO_LONG;
	r->nsteps = steps;
}

static __always_inline void record_path(struct lt_add_rule_fs *r, __u64 f)
{
	record_path_at(r, LT_U64(f, file_dentry), LT_U64(f, file_mnt));
}

static __always_inline int exit_add_rule(long ret)
{
	struct lt_args a;
	if (!take_args(&a))
		return 0;
	struct lt_config *c = lt_get_config();
	if (!c || ret != 0)
		return 0;
	__u64 key = ruleset_key(a.a[0], c);
	const void *uattr = (const void *)a.a[2];

	if (a.a[1] == LT_RULE_NET_PORT) {
		__u64 attr[2] = {};
		bpf_probe_read_user(attr, sizeof(attr), uattr);
		struct lt_add_rule_net *r = lt_reserve(sizeof(*r));
		if (!r)
			return 0;
		lt_fill_header(&r->h, LT_ADD_RULE_NET, sizeof(*r));
		r->ruleset = key;
		r->access = attr[0];
		r->port = attr[1];
		r->ruleset_fd = a.a[0];
		r->pad = 0;
		lt_submit(r);
		return 0;
	}
	if (a.a[1] != LT_RULE_PATH_BENEATH)
		return 0;
	/* struct landlock_path_beneath_attr is packed: u64 access, s32 fd. */
	struct {
		__u64 access;
		__s32 parent_fd;
	} __attribute__((packed)) attr = {};
	bpf_probe_read_user(&attr, sizeof(attr), uattr);
	__u32 zero = 0;
	struct lt_add_rule_fs *r = bpf_map_lookup_elem(&lt_fs_scratch, &zero);
	if (!r)
		return 0;
	lt_fill_header(&r->h, LT_ADD_RULE_FS, sizeof(*r));
	r->ruleset = key;
	r->access = attr.access;
	r->ino = 0;
	r->ruleset_fd = a.a[0];
	r->dev = 0;
	r->nsteps = 0;
	r->flags = 0;
	__u64 f = fd_file(attr.parent_fd);
	if (f) {
		__u64 inode = LT_U64(f, file_inode);
		r->ino = LT_U64(inode, inode_ino);
		r->dev = LT_U32(LT_U64(inode, inode_sb), sb_dev);
		record_path(r, f);
	} else {
		r->flags = LT_PATH_UNREACHABLE;
	}
	lt_output(r, sizeof(*r));
	return 0;
}

/* The Landlock domain pointer in the current credentials (a struct
 * landlock_domain from 7.3, a struct landlock_ruleset before). */
static __always_inline __u64 cred_domain(long offset)
{
	__u64 security = LT_U64(LT_U64(bpf_get_current_task(), task_cred), cred_security);
	if (!security)
		return 0;
	return lt_read_u64(security + (offset & (LT_CRED_SCAN - 1)));
}

/* A domain's hierarchy and layer count, and its first layer's handled fs
 * mask (the first mask word: filesystem rights in its low bits), whichever
 * struct the running kernel has; 0 if none can be read. */
static __always_inline int domain_layout(__u64 dom, __u64 *h, __u32 *layers, __u32 *masks)
{
	if (!LT_HAS(domain_hierarchy) || !LT_HAS(domain_layers) || !LT_HAS(domain_masks))
		return 0;
	*h = LT_U64(dom, domain_hierarchy);
	*layers = LT_U32(dom, domain_layers);
	return bpf_probe_read_kernel(masks, sizeof(*masks), (const void *)LT_AT(dom, domain_masks)) == 0;
}

/* Finds the credential slot whose domain carries the calibration mask. */
static __always_inline int calibrate(const struct lt_config *c)
{
	struct lt_calibration *r = lt_reserve(sizeof(*r));
	if (!r)
		return 0;
	lt_fill_header(&r->h, LT_CALIBRATION, sizeof(*r));
	r->offset = -1;
	r->pad = 0;
	for (int off = 0; off < LT_CRED_SCAN; off += 8) {
		__u64 dom = cred_domain(off);
		if (!dom)
			continue;
		__u64 h = 0;
		__u32 masks = 0, layers = 0;
		if (!domain_layout(dom, &h, &layers, &masks))
			continue;
		/* The kernel adds REFER (bit 13), which is always denied. */
		if (layers == 1 && ((masks | 0x2000) & 0xffff) == (c->calibration_mask | 0x2000)) {
			r->offset = off;
			break;
		}
	}
	lt_submit(r);
	return 0;
}

/* A domain's ID: the kernel's (6.15+), else its hierarchy's address mixed
 * with the per-run secret, which userspace turns into a small ID. */
static __always_inline __u64 hierarchy_id(__u64 h, const struct lt_config *c)
{
	if (!h)
		return 0;
	if (LT_HAS(hierarchy_id))
		return LT_U64(h, hierarchy_id);
	return h ^ c->key_secret;
}

static __always_inline int exit_restrict_self(long ret)
{
	struct lt_args a;
	if (!take_args(&a))
		return 0;
	struct lt_config *c = lt_get_config();
	if (!c || ret != 0)
		return 0;
	if (current_tid() == c->calibration_tid)
		return calibrate(c);
	/* One record, two events: create_domain and enforce_domain. */
	struct lt_restrict_self *r = lt_reserve_events(sizeof(*r), 2);
	if (!r)
		return 0;
	lt_fill_header(&r->h, LT_RESTRICT_SELF, sizeof(*r));
	__u64 task = bpf_get_current_task();
	r->ruleset = ruleset_key(a.a[0], c);
	r->flags = a.a[1];
	r->nr_threads = LT_U32(LT_U64(task, task_signal), signal_nr_threads);
	r->no_new_privs = (LT_U64(task, task_atomic_flags) >> LT_PFA_NO_NEW_PRIVS) & 1;
	r->found = 0;
	r->keys = !LT_HAS(hierarchy_id);
	r->domain = 0;
	r->parent = 0;
	__builtin_memset(r->pad, 0, sizeof(r->pad));
	if (c->cred_offset >= 0) {
		__u64 h = 0;
		__u32 layers = 0, masks = 0;
		__u64 dom = cred_domain(c->cred_offset);
		if (dom && domain_layout(dom, &h, &layers, &masks) && h) {
			r->domain = hierarchy_id(h, c);
			if (LT_HAS(hierarchy_parent))
				r->parent = hierarchy_id(LT_U64(h, hierarchy_parent), c);
			r->found = 1;
		}
	}
	lt_submit(r);
	return 0;
}

static __always_inline int enter_close(long fd)
{
	struct lt_config *c = lt_get_config();
	if (!c)
		return 0;
	__u64 f = fd_file(fd);
	if (!f)
		return 0;
	__u64 p = LT_U64(f, file_private_data);
	if (!p)
		return 0;
	__u64 key = p ^ c->key_secret;
	if (!bpf_map_lookup_elem(&lt_rulesets, &key))
		return 0;
	/* Only the close that drops the last reference frees the ruleset:
	 * file_ref_t counts from 0 (6.13+), f_count from 1. */
	if (LT_HAS(file_ref)) {
		if (LT_U64(f, file_ref) != 0)
			return 0;
	} else if (LT_HAS(file_count)) {
		if (LT_U64(f, file_count) != 1)
			return 0;
	} else {
		return 0;
	}
	bpf_map_delete_elem(&lt_rulesets, &key);
	struct lt_free_ruleset *r = lt_reserve(sizeof(*r));
	if (!r)
		return 0;
	lt_fill_header(&r->h, LT_FREE_RULESET, sizeof(*r));
	r->ruleset = key;
	lt_submit(r);
	return 0;
}

/*
 * The hooks: fexit programs on Landlock's own hook functions, where the
 * kernel allows them (each optional: userspace loads those whose function
 * this kernel's BTF has). A hook's -EACCES is Landlock's own denial: a
 * file's mode bits or another LSM refuse before or apart from it, and are
 * never seen here. Only traced tasks' denials are recorded.
 */
#define LT_EACCES 13

/* The domain of `task`'s credentials: its kernel ID (6.15+) or per-run
 * key; 0 if unknown (no calibration). */
static __always_inline __u64 task_domain(const struct lt_config *c, __u64 task)
{
	if (c->cred_offset < 0)
		return 0;
	__u64 security = LT_U64(LT_U64(task, task_cred), cred_security);
	if (!security)
		return 0;
	__u64 dom = lt_read_u64(security + (c->cred_offset & (LT_CRED_SCAN - 1)));
	__u64 h = 0;
	__u32 layers = 0, masks = 0;
	if (!dom || !domain_layout(dom, &h, &layers, &masks))
		return 0;
	return hierarchy_id(h, c);
}

/* The scratch record of a traced task's denial of `kind`, its header and
 * domain (`ruleset`, with LT_DENY_KEY in `flags` for a per-run key) set;
 * NULL for a task not traced. */
static __always_inline struct lt_add_rule_fs *hook_record(__u32 kind, struct lt_config **config)
{
	struct lt_config *c = lt_get_config();
	if (!c || !lt_is_tracked(c))
		return 0;
	__u32 zero = 0;
	struct lt_add_rule_fs *r = bpf_map_lookup_elem(&lt_fs_scratch, &zero);
	if (!r)
		return 0;
	lt_fill_header(&r->h, kind, sizeof(*r));
	r->ruleset = task_domain(c, bpf_get_current_task());
	r->flags = LT_HAS(hierarchy_id) ? 0 : LT_DENY_KEY;
	*config = c;
	return r;
}

/* Records a filesystem denial of `access` at the path (dentry, vfsmount). */
static __always_inline int deny_fs(__u64 access, __u64 dentry, __u64 vfsmnt)
{
	struct lt_config *c;
	struct lt_add_rule_fs *r = hook_record(LT_DENY_FS, &c);
	if (!r)
		return 0;
	r->access = access;
	r->ruleset_fd = -1;
	r->nsteps = 0;
	__u64 inode = LT_HAS(dentry_inode) ? LT_U64(dentry, dentry_inode) : 0;
	r->ino = inode ? LT_U64(inode, inode_ino) : 0;
	r->dev = inode ? LT_U32(LT_U64(inode, inode_sb), sb_dev) : 0;
	record_path_at(r, dentry, vfsmnt);
	lt_output(r, sizeof(*r));
	return 0;
}

/* Access rights (uapi/linux/landlock.h). */
#define LT_FS_EXECUTE (1ULL << 0)
#define LT_FS_WRITE_FILE (1ULL << 1)
#define LT_FS_READ_FILE (1ULL << 2)
#define LT_FS_READ_DIR (1ULL << 3)
#define LT_FS_MAKE_CHAR (1ULL << 6)
#define LT_FS_MAKE_DIR (1ULL << 7)
#define LT_FS_MAKE_REG (1ULL << 8)
#define LT_FS_MAKE_SOCK (1ULL << 9)
#define LT_FS_MAKE_FIFO (1ULL << 10)
#define LT_FS_MAKE_BLOCK (1ULL << 11)
#define LT_FS_TRUNCATE (1ULL << 14)
#define LT_NET_BIND_TCP (1ULL << 0)
#define LT_NET_CONNECT_TCP (1ULL << 1)

/* fmode_t bits, open flags and inode modes (stable kernel ABI values). */
#define LT_FMODE_READ 0x1
#define LT_FMODE_WRITE 0x2
#define LT_FMODE_EXEC 0x20
#define LT_O_TRUNC 01000
#define LT_S_IFMT 0170000
#define LT_S_IFSOCK 0140000
#define LT_S_IFBLK 0060000
#define LT_S_IFDIR 0040000
#define LT_S_IFCHR 0020000
#define LT_S_IFIFO 0010000

/* hook_file_open(struct file *): the rights the open asked for, as
 * Landlock computes them (a directory read is READ_DIR). */
SEC("fexit/hook_file_open")
int lt_hook_file_open(__u64 *ctx)
{
	if ((int)ctx[1] != -LT_EACCES || !LT_HAS(file_mode) || !LT_HAS(inode_mode))
		return 0;
	__u64 f = ctx[0];
	__u32 mode = LT_U32(f, file_mode);
	__u16 imode = LT_U16(LT_U64(f, file_inode), inode_mode);
	__u64 access = 0;
	if (mode & LT_FMODE_READ)
		access |= (imode & LT_S_IFMT) == LT_S_IFDIR ? LT_FS_READ_DIR : LT_FS_READ_FILE;
	if (mode & LT_FMODE_WRITE)
		access |= LT_FS_WRITE_FILE;
	if (mode & LT_FMODE_EXEC)
		access |= LT_FS_EXECUTE;
	if (LT_HAS(file_flags) && (LT_U32(f, file_flags) & LT_O_TRUNC))
		access |= LT_FS_TRUNCATE;
	return deny_fs(access, LT_U64(f, file_dentry), LT_U64(f, file_mnt));
}

/* hook_path_mknod(const struct path *dir, struct dentry *, umode_t, unsigned
 * int): a file made in `dir` (struct path: mnt, then dentry). */
SEC("fexit/hook_path_mknod")
int lt_hook_path_mknod(__u64 *ctx)
{
	if ((int)ctx[4] != -LT_EACCES)
		return 0;
	__u64 access;
	switch ((__u16)ctx[2] & LT_S_IFMT) {
	case LT_S_IFCHR:
		access = LT_FS_MAKE_CHAR;
		break;
	case LT_S_IFBLK:
		access = LT_FS_MAKE_BLOCK;
		break;
	case LT_S_IFIFO:
		access = LT_FS_MAKE_FIFO;
		break;
	case LT_S_IFSOCK:
		access = LT_FS_MAKE_SOCK;
		break;
	default:
		access = LT_FS_MAKE_REG;
	}
	__u64 dir = ctx[0];
	return deny_fs(access, lt_read_u64(dir + 8), lt_read_u64(dir));
}

/* hook_path_mkdir(const struct path *dir, struct dentry *, umode_t). */
SEC("fexit/hook_path_mkdir")
int lt_hook_path_mkdir(__u64 *ctx)
{
	if ((int)ctx[3] != -LT_EACCES)
		return 0;
	__u64 dir = ctx[0];
	return deny_fs(LT_FS_MAKE_DIR, lt_read_u64(dir + 8), lt_read_u64(dir));
}

/* hook_socket_bind / hook_socket_connect(struct socket *, struct sockaddr *,
 * int): the port in the address (network byte order, at offset 2 of
 * sockaddr_in and sockaddr_in6). */
static __always_inline int deny_net(__u64 *ctx, __u32 op, __u64 access)
{
	if ((int)ctx[3] != -LT_EACCES)
		return 0;
	struct lt_config *c = lt_get_config();
	if (!c || !lt_is_tracked(c))
		return 0;
	struct lt_add_rule_net *r = lt_reserve(sizeof(*r));
	if (!r)
		return 0;
	lt_fill_header(&r->h, LT_DENY_NET, sizeof(*r));
	r->ruleset = task_domain(c, bpf_get_current_task());
	r->access = access;
	__u16 port = 0;
	bpf_probe_read_kernel(&port, sizeof(port), (const void *)(ctx[1] + 2));
	r->port = (__u16)((port >> 8) | (port << 8));
	r->ruleset_fd = op;
	r->pad = LT_HAS(hierarchy_id) ? 0 : LT_DENY_KEY;
	lt_submit(r);
	return 0;
}

/* hook_task_kill(struct task_struct *p, struct kernel_siginfo *, int sig,
 * const struct cred *): a signal scoping denial (-EPERM). */
SEC("fexit/hook_task_kill")
int lt_hook_task_kill(__u64 *ctx)
{
	if ((int)ctx[4] != -1 || !LT_HAS(task_comm))
		return 0;
	struct lt_config *c;
	struct lt_add_rule_fs *r = hook_record(LT_DENY_SIGNAL, &c);
	if (!r)
		return 0;
	__u64 target = ctx[0];
	r->access = task_domain(c, target);
	r->ino = LT_U32(target, task_tgid);
	r->ruleset_fd = (__s32)ctx[2];
	r->dev = 0;
	r->nsteps = 1;
	long len = bpf_probe_read_kernel_str(r->names[0], LT_COMM_LEN, (const void *)LT_AT(target, task_comm));
	r->comp_len[0] = len > 0 ? len - 1 : 0;
	lt_output(r, sizeof(*r));
	return 0;
}

SEC("fexit/hook_socket_bind")
int lt_hook_socket_bind(__u64 *ctx)
{
	return deny_net(ctx, LT_NET_BIND, LT_NET_BIND_TCP);
}

SEC("fexit/hook_socket_connect")
int lt_hook_socket_connect(__u64 *ctx)
{
	return deny_net(ctx, LT_NET_CONNECT, LT_NET_CONNECT_TCP);
}

/* One program per syscall tracepoint: only the Landlock syscalls and
 * close run BPF code, and no other syscall pays for it. */
SEC("tracepoint/syscalls/sys_exit_landlock_create_ruleset")
int lt_exit_create_ruleset(struct lt_syscall_exit *ctx)
{
	return exit_create_ruleset(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_landlock_add_rule")
int lt_exit_add_rule(struct lt_syscall_exit *ctx)
{
	return exit_add_rule(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_landlock_restrict_self")
int lt_exit_restrict_self(struct lt_syscall_exit *ctx)
{
	return exit_restrict_self(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_close")
int lt_enter_close(struct lt_syscall_enter *ctx)
{
	return enter_close(ctx->args[0]);
}

SEC("raw_tp/sched_process_fork")
int lt_fork(struct bpf_raw_tracepoint_args *ctx)
{
	return lt_track_fork(ctx->args);
}
