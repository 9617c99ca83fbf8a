/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * Maps and helpers shared by landtrace's BPF programs: the ring buffer,
 * the configuration, the loss counter and the set of tracked processes.
 */
#ifndef LANDTRACE_COMMON_H
#define LANDTRACE_COMMON_H

#include "kernel.h"
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "events.h"

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

/* Thread-group ids being traced (when lt_config.filter_pids is set). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} lt_tracked SEC(".maps");

static __always_inline struct lt_config *lt_get_config(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&lt_config, &zero);
}

/* Scoping: the children of tracked processes are tracked too. They stay
 * tracked after they exit: their audit records may come later. `ctx` is
 * sched_process_fork's (parent, child). */
static __always_inline int lt_track_fork(__u64 *ctx)
{
	struct task_struct *parent = (struct task_struct *)ctx[0];
	struct task_struct *child = (struct task_struct *)ctx[1];
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	if (!bpf_map_lookup_elem(&lt_tracked, &ptgid))
		return 0;
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	__u8 one = 1;
	bpf_map_update_elem(&lt_tracked, &ctgid, &one, BPF_ANY);
	return 0;
}

static __always_inline int lt_is_tracked(const struct lt_config *c)
{
	if (!c->filter_pids)
		return 1;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	return bpf_map_lookup_elem(&lt_tracked, &tgid) != NULL;
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
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 uid_gid = bpf_get_current_uid_gid();

	h->kind = kind;
	h->size = size;
	h->time_ns = bpf_ktime_get_ns();
	h->pid = pid_tgid >> 32;
	h->tid = (__u32)pid_tgid;
	h->ppid = BPF_CORE_READ(task, real_parent, tgid);
	h->uid = (__u32)uid_gid;
	h->gid = uid_gid >> 32;
	h->cpu = bpf_get_smp_processor_id();
	h->cgroup = bpf_get_current_cgroup_id();
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

#endif
