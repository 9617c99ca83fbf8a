/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * Reading kernel structures without CO-RE: each member the probes read is
 * at an offset userspace found in the running kernel's BTF and set in the
 * read-only global lt_kernel (struct lt_kernel, events.h) before loading.
 * aya's CO-RE relocation parsed the whole kernel type graph at every start;
 * this costs nothing at load time, and the verifier, which sees lt_kernel's
 * values as constants, drops the branches for members a kernel lacks.
 *
 * Kernel pointers are plain integers here; every read goes through
 * bpf_probe_read_kernel, which yields 0 for an unreadable address.
 */
#ifndef LANDTRACE_KERNEL_H
#define LANDTRACE_KERNEL_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "events.h"

const volatile struct lt_kernel lt_kernel = {};

/* Whether this kernel has the member `field` of lt_kernel. */
#define LT_HAS(field) (lt_kernel.field >= 0)

/* The address of member `field` of the structure at `base`. */
#define LT_AT(base, field) ((__u64)(base) + lt_kernel.field)

static __always_inline __u64 lt_read_u64(__u64 addr)
{
	__u64 v = 0;
	bpf_probe_read_kernel(&v, sizeof(v), (const void *)addr);
	return v;
}

static __always_inline __u32 lt_read_u32(__u64 addr)
{
	__u32 v = 0;
	bpf_probe_read_kernel(&v, sizeof(v), (const void *)addr);
	return v;
}

/* Members read as 8 and 4 bytes (their sizes are checked against the
 * kernel's BTF in userspace). */
#define LT_U64(base, field) lt_read_u64(LT_AT(base, field))
#define LT_U32(base, field) lt_read_u32(LT_AT(base, field))

static __always_inline __u16 lt_read_u16(__u64 addr)
{
	__u16 v = 0;
	bpf_probe_read_kernel(&v, sizeof(v), (const void *)addr);
	return v;
}

#define LT_U16(base, field) lt_read_u16(LT_AT(base, field))

/* task_struct.atomic_flags bit for no_new_privs (PFA_NO_NEW_PRIVS). */
#define LT_PFA_NO_NEW_PRIVS 0

#endif
