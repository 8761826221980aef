/* SPDX-License-Identifier: Apache-2.0 */
/* Request/response latency over TCP, for bench/netpol.sh (libc only; built by the script).
 *   netpol-rr server PORT               echo server (one connection at a time)
 *   netpol-rr client IP PORT N rr|crr   N round trips of 1 byte: rr on one connection (the established
 *                                       fast path), crr with a new connection each time (the first
 *                                       packet walks the whole perimeter); prints "p50 p99" in µs */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

static int dial(struct sockaddr_in *sa) {
        int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
        setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (connect(s, (struct sockaddr *) sa, sizeof(*sa)) < 0) {
                perror("connect");
                exit(1);
        }
        return s;
}

int main(int argc, char **argv) {
        if (argc == 3 && !strcmp(argv[1], "server")) {
                int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
                struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t) atoi(argv[2]))};
                setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
                if (bind(l, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(l, 128) < 0) {
                        perror("listen");
                        return 1;
                }
                for (;;) {
                        int c = accept(l, NULL, NULL);
                        char b;
                        if (c < 0)
                                continue;
                        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                        while (read(c, &b, 1) == 1 && write(c, &b, 1) == 1)
                                ;
                        close(c);
                }
        }
        if (argc != 6 || strcmp(argv[1], "client")) {
                fprintf(stderr, "usage: netpol-rr server PORT | client IP PORT N rr|crr\n");
                return 2;
        }
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t) atoi(argv[3]))};
        inet_pton(AF_INET, argv[2], &sa.sin_addr);
        int n = atoi(argv[4]);
        int crr = !strcmp(argv[5], "crr");
        double *t = calloc((size_t) n, sizeof(double));
        int s = crr ? -1 : dial(&sa);
        char b = 'x';
        for (int i = 0; i < n; i++) {
                double t0 = now_us();
                if (crr)
                        s = dial(&sa);
                if (write(s, &b, 1) != 1 || read(s, &b, 1) != 1) {
                        perror("rr");
                        return 1;
                }
                if (crr)
                        close(s);
                t[i] = now_us() - t0;
        }
        qsort(t, (size_t) n, sizeof(double), cmp);
        printf("%.1f %.1f\n", t[n / 2], t[(size_t) (n * 0.99)]);
        return 0;
}
