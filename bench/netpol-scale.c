/* SPDX-License-Identifier: Apache-2.0 */
/* How long perimeters take to install and to update at scale, for bench/netpol.sh: N network namespaces
 * (forked children that unshare(CLONE_NEWNET) and wait), one workload each. Workload i allows ingress
 * from workload i+1 and egress to "db" (tcp/5432) and to 10.0.0.0/8 (udp/53). Measured with the same
 * library calls the agent's engine makes:
 *   open      a libnftables context per namespace, kept open, for the first NP_NFT_OPEN_MAX namespaces
 *             (as the agent does per container; beyond, each change opens and closes one)
 *   install   every namespace gets its perimeter (np_nft_build + np_nft_run: one transaction each)
 *   replica   "db" gains a replica: its address is added to the sets in all N namespaces
 * (np_nft_set_change), the agent's reaction to a container starting; this is "the time to update the
 *             perimeters of N workloads after a change"
 *   mode      every perimeter switches monitor → protect (a full rebuild each)
 * Usage: netpol-scale [N]   (root). Prints one line per phase: "phase N total_ms per_ns_us". */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "netpol/netpol.h"

static double now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static struct np_cidr db_addrs[2];
static size_t n_db = 1;

static void lookup(void *userdata, const char *key, struct np_addrs *ret) {
        static struct np_cidr one;
        ret->workload = key;
        if (streq(key, "w:db")) {
                ret->addrs = db_addrs;
                ret->n = n_db;
                return;
        }
        /* w:wNNN → 172.20.x.y */
        unsigned i = (unsigned) atoi(key + 3);
        char a[32];
        snprintf(a, sizeof(a), "172.20.%u.%u", i / 250, i % 250 + 1);
        np_cidr_parse(a, &one);
        ret->addrs = &one;
        ret->n = 1;
}

int main(int argc, char **argv) {
        int n = argc > 1 ? atoi(argv[1]) : 1000;
        if (n < 1 || n > 20000)
                return 2;
        pid_t *pids = calloc((size_t) n, sizeof(pid_t));
        int sync[2];
        if (!pids || pipe(sync) < 0)
                return 1;
        for (int i = 0; i < n; i++) {
                pid_t p = fork();
                if (p == 0) {
                        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the bench */
                        char c = unshare(CLONE_NEWNET) == 0 ? 'y' : 'n';
                        if (write(sync[1], &c, 1) != 1)
                                _exit(1);
                        pause();
                        _exit(0);
                }
                char c = 'n';
                if (p < 0 || read(sync[0], &c, 1) != 1 || c != 'y') {
                        fprintf(stderr, "cannot create namespace %d\n", i);
                        return 1;
                }
                pids[i] = p;
        }
        /* the policy, through the real parser */
        struct buf y = BUF_INIT(0);
        buf_printf(&y, "apiVersion: stockade/v1\nkind: NetworkPolicy\nmode: monitor\nworkloads:\n"
                       "  - name: db\n    selector: {labels: {svc: db}}\n");
        for (int i = 0; i < n; i++)
                buf_printf(&y,
                           "  - name: w%d\n    selector: {labels: {svc: w%d}}\n    ingress:\n"
                           "      - from: [{workload: w%d}]\n        ports: [8080]\n    egress:\n"
                           "      - to: [{workload: db}]\n        ports: [5432]\n"
                           "      - to: [{cidr: 10.0.0.0/8}]\n        ports: [\"53/udp\"]\n",
                           i, i, (i + 1) % n);
        struct diag d;
        diag_init(&d);
        struct np_policy *p = NULL;
        double t0 = now_ms();
        if (np_policy_parse(y.data, y.len, "scale.yaml", &p, &d) < 0) {
                fprintf(stderr, "%s\n", d.error);
                return 1;
        }
        printf("parse %d %.1f %.1f\n", n, now_ms() - t0, (now_ms() - t0) * 1e3 / n);
        np_cidr_parse("172.30.0.2", &db_addrs[0]);
        np_cidr_parse("172.30.0.3", &db_addrs[1]);

        struct buf s = BUF_INIT(0), err = BUF_INIT(4096);
        int failures = 0;
        /* one kept-open context per namespace, as the agent keeps one per container */
        struct np_nft **h = calloc((size_t) n, sizeof(*h));
        t0 = now_ms();
        for (int i = 0; i < n && i < NP_NFT_OPEN_MAX; i++) /* the agent's cap (FD_SETSIZE) */
                if (np_nft_open((uint32_t) pids[i], &h[i]) < 0) {
                        fprintf(stderr, "cannot open namespace %d\n", i);
                        return 1;
                }
        printf("open %d %.1f %.1f\n", MIN(n, NP_NFT_OPEN_MAX), now_ms() - t0,
               (now_ms() - t0) * 1e3 / MIN(n, NP_NFT_OPEN_MAX));
        for (int phase = 0; phase < 3; phase++) {
                if (phase == 1)
                        n_db = 2; /* a replica of db started */
                t0 = now_ms();
                if (phase == 1) { /* what the agent sends: the new replica's address, added */
                        buf_reset(&s);
                        np_nft_set_change("w:db", &db_addrs[1], 1, true, &s);
                }
                for (int i = 0; i < n; i++) {
                        if (phase != 1) {
                                buf_reset(&s);
                                np_nft_build(&p->workloads[i + 1],
                                             phase == 0 ? NP_MODE_MONITOR : NP_MODE_PROTECT, lookup, NULL,
                                             &s);
                        }
                        if ((h[i] ? np_nft_exec(h[i], s.data, &err)
                                  : np_nft_run((uint32_t) pids[i], s.data, &err)) < 0 &&
                            failures++ < 3)
                                fprintf(stderr, "namespace %d: %s\n", i, err.data);
                }
                double ms = now_ms() - t0;
                printf("%s %d %.1f %.1f\n",
                       phase == 0   ? "install"
                       : phase == 1 ? "replica"
                                    : "mode",
                       n, ms, ms * 1e3 / n);
                fflush(stdout);
        }
        /* the perimeters really are in the namespaces (and none in ours) */
        for (int i = 0; i < n; i++)
                if (np_nft_table_present((uint32_t) pids[i]) != 1 && failures++ < 3)
                        fprintf(stderr, "namespace %d has no perimeter\n", i);
        if (np_nft_table_present(0) != 0)
                fprintf(stderr, "a perimeter landed in the caller's namespace\n"), failures++;
        for (int i = 0; i < n; i++) {
                np_nft_close(h[i]);
                kill(pids[i], SIGKILL);
        }
        free(h);
        while (wait(NULL) > 0)
                ;
        np_policy_free(p);
        buf_free(&y);
        buf_free(&s);
        buf_free(&err);
        diag_done(&d);
        return failures ? 1 : 0;
}
