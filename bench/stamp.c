/* Prints CLOCK_MONOTONIC in nanoseconds. bench/compare.sh and
 * bench/vm-startup.sh time a tracer's start-up as the gap between a stamp
 * taken before it is launched and the one its traced command (-c) prints:
 * both landtrace and bpftrace start that command only once attached. */
#include <stdio.h>
#include <time.h>

int main(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	printf("%lld\n", (long long)t.tv_sec * 1000000000LL + t.tv_nsec);
	return 0;
}
