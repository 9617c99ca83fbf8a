/* A tight loop of landlock_create_ruleset + close, for landtrace's live
 * benchmarks: prints the time per iteration in nanoseconds. With a second
 * argument `getppid`, a loop of an unrelated syscall instead, to measure
 * what tracing costs the rest of the system.
 *
 *   cc -O2 -o ruleset-loop ruleset-loop.c && ./ruleset-loop 1000000
 *   ./ruleset-loop 2000000 getppid
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	uint64_t attr[1] = {1 << 2}; /* handled_fs = READ_FILE */
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (argc > 2 && strcmp(argv[2], "getppid") == 0) {
		for (long i = 0; i < n; i++)
			syscall(SYS_getppid);
		n = -n;
	}
	for (long i = 0; i < n; i++) {
		long fd = syscall(444, attr, sizeof(attr), 0);
		if (fd < 0) {
			perror("landlock_create_ruleset");
			return 1;
		}
		close(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
	if (n < 0) {
		n = -n;
		printf("%ld getppid calls, %.1f ns each\n", n, ns / n);
		return 0;
	}
	printf("%ld iterations, %.1f ns each, %.0f per second\n", n, ns / n, n / (ns / 1e9));
	return 0;
}
