// SPDX-License-Identifier: GPL-2.0
/*
 * A test fixture, never loaded by landtrace itself: a tracepoint program
 * the verifier must refuse (it reads the record's common header, which a
 * tracepoint program may not, and would then dereference what it read), so
 * the tests can check that a refusal names the program and carries the
 * verifier's log.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tracepoint")
int lt_tracepoint(void *ctx)
{
	long *p = *(long **)ctx;
	return *p != 0;
}

char LICENSE[] SEC("license") = "GPL";
