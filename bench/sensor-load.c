/* SPDX-License-Identifier: Apache-2.0 */
/* A syscall load for bench/sensor-overhead.sh, built static so it runs in an image with nothing else.
 *   sensor-load open N [RATE]     N open()+close() of a file (one sensor event each)
 *   sensor-load getppid N         N getppid() (no event: the cost of the tracepoint alone)
 * With RATE (operations per second), paces itself in 1 ms slices. Prints "ops ns_per_op ops_per_s". */

#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
        if (argc < 3) {
                fprintf(stderr, "usage: %s open|getppid N [RATE]\n", argv[0]);
                return 2;
        }
        int open_mode = strcmp(argv[1], "open") == 0;
        long n = atol(argv[2]);
        double rate = argc > 3 ? atof(argv[3]) : 0;
        double t0 = now();
        for (long i = 0; i < n; i++) {
                if (open_mode) {
                        int fd = open("/etc/hostname", O_RDONLY);
                        if (fd >= 0)
                                close(fd);
                } else {
                        (void) getppid();
                }
                if (rate > 0 && (i & 63) == 0) {
                        double due = t0 + (double) i / rate;
                        while (now() < due)
                                ;
                }
        }
        double dt = now() - t0;
        printf("%ld %.1f %.0f\n", n, dt * 1e9 / (double) n, (double) n / dt);
        return 0;
}
