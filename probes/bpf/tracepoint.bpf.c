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
SEC("tp_btf/sched_process_fork")
int lt_fork(__u64 *ctx)
{
	return lt_track_fork(ctx);
}
