// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * The tracepoint source: one generic program, attached to each landlock:*
 * tracepoint, copies the raw trace record (its fixed part and the
 * __data_loc areas it points to) into the ring buffer. Userspace decodes it
 * with the layout the event's tracefs `format` file gives. Being generic,
 * it works the same on any tracepoint, which is how it is tested on kernels
 * without the Landlock ones.
 */
#include "common.h"

/* Per tracepoint id (the attach cookie). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct lt_tp_config);
} lt_tp_config SEC(".maps");

/* Scratch space to build a record too large for the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lt_tracepoint);
} lt_scratch SEC(".maps");

/* LT_STAT_SEEN and LT_STAT_FILTERED, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LT_STATS);
	__type(key, __u32);
	__type(value, __u64);
} lt_stats SEC(".maps");

static __always_inline void lt_stat(__u32 which)
{
	__u64 *n = bpf_map_lookup_elem(&lt_stats, &which);
	if (n)
		*n += 1;
}

/* The integer a term reads: a builtin, or a field of the raw record. */
static __always_inline __u64 lt_term_value(void *ctx, const struct lt_term *t)
{
	switch (t->src) {
	case LT_SRC_PID:
		return bpf_get_current_pid_tgid() >> 32;
	case LT_SRC_TID:
		return (__u32)bpf_get_current_pid_tgid();
	case LT_SRC_UID:
		return (__u32)bpf_get_current_uid_gid();
	case LT_SRC_GID:
		return bpf_get_current_uid_gid() >> 32;
	case LT_SRC_CGROUP:
		return bpf_get_current_cgroup_id();
	}
	char *p = (char *)ctx + (t->offset & (LT_RAW_MAX - 1));
	int sign = t->flags & LT_TERM_SEXT;
	switch (t->size) {
	case 1: {
		__u8 v = 0;
		bpf_probe_read_kernel(&v, sizeof(v), p);
		return sign ? (__u64)(__s64)(__s8)v : v;
	}
	case 2: {
		__u16 v = 0;
		bpf_probe_read_kernel(&v, sizeof(v), p);
		return sign ? (__u64)(__s64)(__s16)v : v;
	}
	case 4: {
		__u32 v = 0;
		bpf_probe_read_kernel(&v, sizeof(v), p);
		return sign ? (__u64)(__s64)(__s32)v : v;
	}
	default: {
		__u64 v = 0;
		bpf_probe_read_kernel(&v, sizeof(v), p);
		return v;
	}
	}
}

/* A comm term: the first `size` bytes of the name against a and b. */
static __always_inline int lt_comm_term(const struct lt_term *t, const char *comm)
{
	char want[16];
	__builtin_memcpy(want, &t->a, 8);
	__builtin_memcpy(want + 8, &t->b, 8);
	__u32 n = t->size;
	int same = 1;
	for (int i = 0; i < 16; i++) {
		if (i >= n)
			break;
		if (comm[i] != want[i]) {
			same = 0;
			break;
		}
	}
	/* Equal: the name also ends there. */
	int whole = same && (n >= 16 || comm[n & 15] == 0);
	switch (t->op) {
	case LT_OP_COMM_EQ:
		return whole;
	case LT_OP_COMM_NE:
		return !whole;
	case LT_OP_PREFIX:
		return same;
	default:
		return !same;
	}
}

static __always_inline int lt_term_holds(void *ctx, const struct lt_term *t, const char *comm)
{
	if (t->src == LT_SRC_COMM)
		return lt_comm_term(t, comm);
	__u64 v = lt_term_value(ctx, t);
	__u64 a = t->a, b = t->b;
	int sign = t->flags & LT_TERM_SIGNED;
	switch (t->op) {
	case LT_OP_EQ:
		return v == a;
	case LT_OP_NE:
		return v != a;
	case LT_OP_LT:
		return sign ? (__s64)v < (__s64)a : v < a;
	case LT_OP_LE:
		return sign ? (__s64)v <= (__s64)a : v <= a;
	case LT_OP_GT:
		return sign ? (__s64)v > (__s64)a : v > a;
	case LT_OP_GE:
		return sign ? (__s64)v >= (__s64)a : v >= a;
	case LT_OP_ANY:
		return (v & a) != 0;
	case LT_OP_NONE:
		return (v & a) == 0;
	case LT_OP_ALL:
		return (v & a) == a;
	case LT_OP_NOT_ALL:
		return (v & a) != a;
	case LT_OP_IN:
		return sign ? ((__s64)a <= (__s64)v && (__s64)v <= (__s64)b) : (a <= v && v <= b);
	case LT_OP_NOT_IN:
		return sign ? !((__s64)a <= (__s64)v && (__s64)v <= (__s64)b) : !(a <= v && v <= b);
	}
	/* An operator this program does not know: let the record through. */
	return 1;
}

/* Whether the record meets the pushed-down condition. */
static __always_inline int lt_filter_pass(void *ctx, const struct lt_tp_config *tc)
{
	__u32 n = tc->nterms;
	if (!n)
		return 1;
	char comm[16] = {};
	bpf_get_current_comm(comm, sizeof(comm));
	int ok = 1;
	for (int i = 0; i < LT_FILTER_TERMS; i++) {
		if (i >= n)
			break;
		const struct lt_term *t = &tc->terms[i];
		if (ok)
			ok = lt_term_holds(ctx, t, comm);
		if (t->flags & LT_TERM_END) {
			if (ok)
				return 1;
			ok = 1;
		}
	}
	return 0;
}

SEC("tracepoint/landlock/generic")
int lt_tracepoint(void *ctx)
{
	/* Which tracepoint this is: userspace attached with its id as the
	 * cookie (the record's common_type is not readable here). */
	__u32 id = (__u32)bpf_get_attach_cookie(ctx);
	struct lt_tp_config *tc = bpf_map_lookup_elem(&lt_tp_config, &id);
	struct lt_config *c = lt_get_config();
	if (!tc || !c)
		return 0;
	if (!(tc->flags & LT_TP_ANY_TASK) && !lt_is_tracked(c))
		return 0;
	lt_stat(LT_STAT_SEEN);
	if (!lt_filter_pass(ctx, tc)) {
		lt_stat(LT_STAT_FILTERED);
		return 0;
	}
	__u32 end = tc->fixed_size;
	for (int i = 0; i < LT_TP_DYNAMIC; i++) {
		if (i >= tc->ndynamic)
			break;
		__u32 loc = 0;
		bpf_probe_read_kernel(&loc, sizeof(loc), (char *)ctx + (tc->dynamic_offset[i] & (LT_RAW_MAX - 1)));
		__u32 e = (loc & 0xffff) + (loc >> 16);
		if (e > end)
			end = e;
	}
	if (end > LT_RAW_MAX - 1)
		end = LT_RAW_MAX - 1;
	/* Mask in the register passed to the helper, where the verifier
	 * looks for the bound (the compiler drops a mask it can prove
	 * redundant); at most LT_RAW_MAX - 1 bytes are copied. */
	__u64 n = end;
	asm volatile("%[n] &= %[mask]" : [n] "+r"(n) : [mask] "i"(LT_RAW_MAX - 1));
	__u32 zero = 0;
	struct lt_tracepoint *r = bpf_map_lookup_elem(&lt_scratch, &zero);
	if (!r)
		return 0;
	lt_fill_header(&r->h, LT_TRACEPOINT, 0);
	if (bpf_probe_read_kernel(r->data, n, ctx))
		return 0;
	r->len = n;
	r->id = id;
	__u64 size = __builtin_offsetof(struct lt_tracepoint, data) + n;
	r->h.size = size;
	if (size > sizeof(*r))
		return 0;
	lt_output(r, size);
	return 0;
}

/* Scoping (-c, -p) without the compat object: this object's own set of
 * tracked processes follows forks. */
SEC("raw_tp/sched_process_fork")
int lt_fork(struct bpf_raw_tracepoint_args *ctx)
{
	return lt_track_fork(ctx->args);
}
