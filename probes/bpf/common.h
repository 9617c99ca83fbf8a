/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * Maps and helpers shared by landtrace's BPF programs: the ring buffer,
 * the configuration, the loss counter and the set of tracked processes.
 */
#ifndef LANDTRACE_COMMON_H
#define LANDTRACE_COMMON_H

#include "kernel.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} lt_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lt_config);
} lt_config SEC(".maps");

/* Events whose records did not fit in the ring buffer (per CPU). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lt_lost SEC(".maps");

/*
 * Thread-group ids being traced (when lt_config.filter_pids is set): a
 * bitmap, bit tgid % 64 of word tgid / 64, for every tgid up to the
 * kernel's limit (PID_MAX_LIMIT, 4M on 64-bit). Userspace maps it and reads
 * it without a system call: a bpf() map operation holds the CPU's
 * bpf_prog_active count, and a tracepoint program that runs on that CPU
 * meanwhile (the traced task preempting landtrace) is skipped by the
 * kernel, its event never seen.
 */
#define LT_TRACKED_WORDS ((1 << 22) / 64)

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LT_TRACKED_WORDS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} lt_tracked SEC(".maps");

static __always_inline struct lt_config *lt_get_config(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&lt_config, &zero);
}

/* Scoping: the children of tracked processes are tracked too. They stay
 * tracked after they exit: their audit records may come later. `ctx` is
 * sched_process_fork's (parent, child). */
static __always_inline int lt_tgid_tracked(__u32 tgid)
{
	__u32 word = tgid / 64;
	__u64 *w = bpf_map_lookup_elem(&lt_tracked, &word);
	return w && ((*w >> (tgid % 64)) & 1);
}

static __always_inline int lt_track_fork(const __u64 *ctx)
{
	if (!lt_tgid_tracked(LT_U32(ctx[0], task_tgid)))
		return 0;
	__u32 ctgid = LT_U32(ctx[1], task_tgid);
	__u32 word = ctgid / 64;
	__u64 *w = bpf_map_lookup_elem(&lt_tracked, &word);
	if (w)
		__sync_fetch_and_or(w, 1ULL << (ctgid % 64));
	return 0;
}

static __always_inline int lt_is_tracked(const struct lt_config *c)
{
	if (!c->filter_pids)
		return 1;
	return lt_tgid_tracked(bpf_get_current_pid_tgid() >> 32);
}

/* The counter is in events, not records: one record may carry several. */
static __always_inline void lt_count_lost_events(__u64 events)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&lt_lost, &zero);
	if (n)
		*n += events;
}

static __always_inline void lt_count_lost(void)
{
	lt_count_lost_events(1);
}

/* Reserves a record that userspace turns into `events` events. */
static __always_inline void *lt_reserve_events(__u64 size, __u64 events)
{
	void *r = bpf_ringbuf_reserve(&lt_events, size, 0);
	if (!r)
		lt_count_lost_events(events);
	return r;
}

static __always_inline void *lt_reserve(__u64 size)
{
	return lt_reserve_events(size, 1);
}

/*
 * Wake the reader only once a batch has built up: a wakeup per record would
 * cost the traced task a cross-CPU interrupt each time. The reader also
 * polls with a timeout, so a lone record waits at most that long.
 */
#define LT_WAKEUP_BYTES (64 * 1024)

static __always_inline __u64 lt_wakeup_flag(void)
{
	return bpf_ringbuf_query(&lt_events, BPF_RB_AVAIL_DATA) >= LT_WAKEUP_BYTES ? BPF_RB_FORCE_WAKEUP
										     : BPF_RB_NO_WAKEUP;
}

static __always_inline void lt_submit(void *r)
{
	bpf_ringbuf_submit(r, lt_wakeup_flag());
}

static __always_inline void lt_output(void *data, __u64 size)
{
	if (bpf_ringbuf_output(&lt_events, data, size, lt_wakeup_flag()))
		lt_count_lost();
}

static __always_inline void lt_fill_header(struct lt_header *h, __u32 kind, __u32 size)
{
	__u64 task = bpf_get_current_task();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 uid_gid = bpf_get_current_uid_gid();

	h->kind = kind;
	h->size = size;
	h->time_ns = bpf_ktime_get_ns();
	h->pid = pid_tgid >> 32;
	h->tid = (__u32)pid_tgid;
	h->ppid = LT_U32(LT_U64(task, task_real_parent), task_tgid);
	h->uid = (__u32)uid_gid;
	h->gid = uid_gid >> 32;
	h->cpu = bpf_get_smp_processor_id();
	h->cgroup = bpf_get_current_cgroup_id();
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

#endif
