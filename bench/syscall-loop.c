// N opens of a file (or N TCP connects to a closed local port), timed:
// prints the nanoseconds per call. The cost of whatever is attached to the
// kernel functions they run through, read against the same loop with
// nothing attached (bench/vm-hooks-cost.sh).
//
//   syscall-loop open N | syscall-loop connect N
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	long n = atol(argv[2]);
	int connect_mode = strcmp(argv[1], "connect") == 0;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(9) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	long long t0 = now();
	for (long i = 0; i < n; i++) {
		if (connect_mode) {
			int s = socket(AF_INET, SOCK_STREAM, 0);
			connect(s, (struct sockaddr *)&a, sizeof(a));
			close(s);
		} else {
			int fd = open("/etc/hostname", O_RDONLY);
			close(fd);
		}
	}
	printf("%lld\n", (now() - t0) / n);
	return 0;
}
