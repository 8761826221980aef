/* SPDX-License-Identifier: Apache-2.0 */
/* Drives the response primitives (src/lib/runtime/respond.h) for t7005-respond.sh and
 * bench/respond-latency.sh. Not installed. Run as root.
 *
 *   respond-probe serve [--cgroup DIR] [--pid PID --id CONTAINER] [options]
 *       sets up what the options ask, prints "ready", then one line per thing done until SIGINT/SIGTERM:
 *         --kill-exec PATH      kill in the kernel every exec of PATH (a path on the host, e.g.
 *                               /proc/PID/root/bin/x) by a process in --cgroup (any cgroup without it)
 *         --deny-exec PATH      guard the container's root filesystem (--pid, --id) and deny exec of PATH
 *                               (the path inside the container); every decision is printed
 *         --decide-ms N         the decider sleeps N ms (to show the timeout policy)
 *         --timeout-ms N        the guard's timeout; --fail open|closed its policy
 *         --connect-default allow|deny   attach the connect programs to --cgroup with this default
 *         --allow RULE, --deny RULE      connect rules (ADDR[/PREFIX][:PORT], [V6]:PORT, :PORT)
 *       lines: "killed pid=N comm=C", "connect-denied pid=N comm=C peer=ADDR:PORT",
 *              "exec allow|deny PATH pid=N", and "counters …" / "guard …" at exit.
 *   respond-probe kill PID [START_TIME]          user-space kill through a pidfd; prints the result
 *   respond-probe start-time PID
 *   respond-probe supported                       "yes", or "no …" in a build without the enforcer
 *   respond-probe cgroup-path PID                 the process's cgroup v2 directory
 *   respond-probe pause|unpause|stop CONTAINER   through the engine API
 *   respond-probe freeze|thaw CGROUP_DIR          through cgroup.freeze
 *   respond-probe bench-kill N                    N trials of each kill path: latency percentiles
 *   respond-probe bench-connect N                 N connects with and without the connect programs */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/respond.h"

static volatile sig_atomic_t stop;
static void on_signal(int sig) {
        stop = 1;
}

static uint64_t mono_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
#define OUT(...)                                 \
        do {                                     \
                pthread_mutex_lock(&out_lock);   \
                printf(__VA_ARGS__);             \
                fflush(stdout);                  \
                pthread_mutex_unlock(&out_lock); \
        } while (0)

static int fail(struct diag *d, int r, const char *what) {
        fprintf(stderr, "respond-probe: %s: %s\n", what, d && d->error[0] ? d->error : strerror(-r));
        return 1;
}

/* ---- serve ---- */

struct serve {
        char **deny;
        size_t n_deny;
        unsigned decide_ms;
};

static enum respond_verdict decide(void *userdata, const struct exec_request *req) {
        struct serve *s = userdata;
        if (s->decide_ms) {
                struct timespec ts = {s->decide_ms / 1000, (long) (s->decide_ms % 1000) * 1000000};
                nanosleep(&ts, NULL);
        }
        enum respond_verdict v = RESPOND_ALLOW;
        for (size_t i = 0; i < s->n_deny; i++)
                if (strcmp(req->path, s->deny[i]) == 0)
                        v = RESPOND_DENY;
        OUT("exec %s %s pid=%d\n", v == RESPOND_DENY ? "deny" : "allow", req->path, (int) req->pid);
        return v;
}

static void on_event(void *userdata, const struct respond_event *ev) {
        if (ev->kind == RESPOND_EV_EXEC_KILLED)
                OUT("killed pid=%u comm=%s cgroup=%llu ino=%llu\n", ev->pid, ev->comm,
                    (unsigned long long) ev->cgroup_id, (unsigned long long) ev->ino);
        else {
                char a[INET6_ADDRSTRLEN] = "?";
                inet_ntop(ev->family, ev->addr, a, sizeof(a));
                OUT("connect-denied pid=%u comm=%s peer=%s%s%s:%u\n", ev->pid, ev->comm,
                    ev->family == AF_INET6 ? "[" : "", a, ev->family == AF_INET6 ? "]" : "", ev->port);
        }
}

static int cmd_serve(int argc, char **argv) {
        static const struct option opts[] = {{"cgroup", required_argument, NULL, 'c'},
                                             {"pid", required_argument, NULL, 'p'},
                                             {"id", required_argument, NULL, 'i'},
                                             {"kill-exec", required_argument, NULL, 'k'},
                                             {"deny-exec", required_argument, NULL, 'x'},
                                             {"decide-ms", required_argument, NULL, 'm'},
                                             {"timeout-ms", required_argument, NULL, 't'},
                                             {"fail", required_argument, NULL, 'f'},
                                             {"connect-default", required_argument, NULL, 'D'},
                                             {"allow", required_argument, NULL, 'A'},
                                             {"deny", required_argument, NULL, 'N'},
                                             {}};
        const char *cgroup = NULL, *id = NULL, *conn_def = NULL;
        pid_t pid = 0;
        char *kill_paths[16], *rules[32];
        enum respond_verdict rule_verdicts[32];
        size_t n_kill = 0, n_rules = 0;
        struct serve s = {.deny = calloc((size_t) argc, sizeof(char *))};
        struct exec_guard_options go = {.decide = decide, .userdata = &s};
        int c;
        bool guard = false;

        optind = 1;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
                switch (c) {
                case 'c': cgroup = optarg; break;
                case 'p': pid = atoi(optarg); break;
                case 'i': id = optarg; break;
                case 'k':
                        if (n_kill < 16)
                                kill_paths[n_kill++] = optarg;
                        break;
                case 'x':
                        s.deny[s.n_deny++] = optarg;
                        guard = true;
                        break;
                case 'm':
                        s.decide_ms = (unsigned) atoi(optarg);
                        guard = true;
                        break;
                case 't': go.timeout_ms = (unsigned) atoi(optarg); break;
                case 'f': go.fail = strcmp(optarg, "closed") == 0 ? EXEC_FAIL_CLOSED : EXEC_FAIL_OPEN; break;
                case 'D': conn_def = optarg; break;
                case 'A':
                case 'N':
                        if (n_rules < 32) {
                                rule_verdicts[n_rules] = c == 'A' ? RESPOND_ALLOW : RESPOND_DENY;
                                rules[n_rules++] = optarg;
                        }
                        break;
                default: return 2;
                }
        }

        struct diag d;
        diag_init(&d);
        _cleanup_(enforcer_freep) struct enforcer *e = NULL;
        _cleanup_(exec_guard_freep) struct exec_guard *g = NULL;
        int r = enforcer_open(NULL, &d, &e);
        if (r < 0)
                return fail(&d, r, "enforcer");

        struct stat st;
        uint64_t cgid = 0;
        if (cgroup) {
                if (stat(cgroup, &st) < 0)
                        return fail(NULL, -errno, cgroup);
                cgid = st.st_ino;
        }
        for (size_t i = 0; i < n_kill; i++) {
                r = enforcer_kill_exec_add_path(e, cgid, kill_paths[i]);
                if (r < 0)
                        return fail(NULL, r, kill_paths[i]);
        }
        if (conn_def || n_rules) {
                if (!cgroup)
                        return fail(NULL, -EINVAL, "connect rules need --cgroup");
                enum respond_verdict def =
                        conn_def && strcmp(conn_def, "deny") == 0 ? RESPOND_DENY : RESPOND_ALLOW;
                r = enforcer_connect_attach(e, cgroup, def, &cgid);
                if (r < 0)
                        return fail(NULL, r, "attach connect programs");
                for (size_t i = 0; i < n_rules; i++) {
                        struct respond_rule rr[2];
                        int n = respond_rule_parse(rules[i], rule_verdicts[i], rr, &d);
                        if (n < 0)
                                return fail(&d, n, "rule");
                        for (int j = 0; j < n; j++) {
                                r = enforcer_connect_rule_add(e, cgid, &rr[j]);
                                if (r < 0)
                                        return fail(NULL, r, rules[i]);
                        }
                }
        }
        if (guard) {
                if (!pid || !id)
                        return fail(NULL, -EINVAL, "--deny-exec needs --pid and --id");
                r = exec_guard_new(&go, &d, &g);
                if (r < 0)
                        return fail(&d, r, "exec guard");
                r = exec_guard_add(g, id, pid, NULL, &d);
                if (r < 0)
                        return fail(&d, r, "exec guard");
        }

        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        OUT("ready\n");
        while (!stop) {
                struct pollfd p = {.fd = enforcer_fd(e), .events = POLLIN};
                (void) poll(&p, 1, 100);
                (void) enforcer_consume(e, on_event, NULL);
        }
        (void) enforcer_consume(e, on_event, NULL);
        struct respond_counters rc;
        if (enforcer_read_counters(e, &rc) == 0)
                OUT("counters exec_kills=%llu kill_failures=%llu connect_checked=%llu connect_denied=%llu "
                    "dropped=%llu\n",
                    (unsigned long long) rc.exec_kills, (unsigned long long) rc.kill_failures,
                    (unsigned long long) rc.connect_checked, (unsigned long long) rc.connect_denied,
                    (unsigned long long) rc.events_dropped);
        if (g) {
                struct exec_guard_stats gs;
                exec_guard_get_stats(g, &gs);
                OUT("guard requests=%llu allowed=%llu denied=%llu timeouts=%llu errors=%llu\n",
                    (unsigned long long) gs.requests, (unsigned long long) gs.allowed,
                    (unsigned long long) gs.denied, (unsigned long long) gs.timeouts,
                    (unsigned long long) gs.errors);
        }
        exec_guard_free(g); /* its workers may still be in decide(), which reads s */
        g = NULL;
        free(s.deny);
        diag_done(&d);
        return 0;
}

/* ---- benches ---- */

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

static void percentiles(const char *what, uint64_t *v, size_t n) {
        qsort(v, n, sizeof(*v), cmp_u64);
        double sum = 0;
        for (size_t i = 0; i < n; i++)
                sum += (double) v[i];
        printf("%s n=%zu p50_us=%.1f p99_us=%.1f max_us=%.1f mean_us=%.1f\n", what, n, v[n / 2] / 1e3,
               v[(n * 99) / 100] / 1e3, v[n - 1] / 1e3, sum / (double) n / 1e3);
        fflush(stdout);
}

static pid_t spawn(const char *path, int *ret_pidfd) {
        pid_t p = fork();
        if (p == 0) {
                execl(path, path, "10", (char *) NULL);
                _exit(127);
        }
        *ret_pidfd = (int) syscall(SYS_pidfd_open, p, 0);
        return p;
}

struct kill_seen {
        uint32_t pid;
        uint64_t time_ns;
};

static void on_kill_seen(void *userdata, const struct respond_event *ev) {
        struct kill_seen *k = userdata;
        if (ev->kind == RESPOND_EV_EXEC_KILLED && ev->pid == k->pid)
                k->time_ns = ev->time_ns;
}

static int cmd_bench_kill(int argc, char **argv) {
        size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
        struct diag d;
        diag_init(&d);
        _cleanup_(enforcer_freep) struct enforcer *e = NULL;
        int r = enforcer_open(NULL, &d, &e);
        if (r < 0)
                return fail(&d, r, "enforcer");

        /* a forbidden program of our own: a copy of /bin/sleep, so its inode is unique */
        char dir[] = "/tmp/respond-bench.XXXXXX", forbidden[64];
        if (!mkdtemp(dir))
                return fail(NULL, -errno, "mkdtemp");
        snprintf(forbidden, sizeof(forbidden), "%s/forbidden", dir);
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "cp /bin/sleep %s", forbidden);
        if (system(cmd) != 0)
                return fail(NULL, -EIO, "cp /bin/sleep");
        uint64_t *in_kernel = calloc(n, sizeof(uint64_t)), *exec_to_dead = calloc(n, sizeof(uint64_t)),
                 *user = calloc(n, sizeof(uint64_t));

        /* in-kernel: time from the exec hook (the event's bpf_ktime_get_ns) to the parent seeing the
         * process gone (its pidfd readable) — and from the parent's fork to that */
        r = enforcer_kill_exec_add_path(e, 0, forbidden);
        if (r < 0)
                return fail(NULL, r, "kill map");
        size_t ok = 0;
        for (size_t i = 0; i < n; i++) {
                int pfd;
                struct kill_seen seen = {};
                uint64_t t0 = mono_ns();
                pid_t p = spawn(forbidden, &pfd);
                struct pollfd pp = {.fd = pfd, .events = POLLIN};
                (void) poll(&pp, 1, 5000);
                uint64_t t1 = mono_ns();
                int status;
                waitpid(p, &status, 0);
                close(pfd);
                seen.pid = (uint32_t) p;
                (void) enforcer_consume(e, on_kill_seen, &seen);
                if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL || !seen.time_ns)
                        continue;
                exec_to_dead[ok] = t1 - t0;
                in_kernel[ok] = t1 > seen.time_ns ? t1 - seen.time_ns : 0;
                ok++;
        }
        printf("in-kernel kills=%zu of %zu\n", ok, n);
        if (ok) {
                percentiles("in-kernel kill: exec hook -> dead (pidfd readable)", in_kernel, ok);
                percentiles("in-kernel kill: fork -> dead (whole round trip)", exec_to_dead, ok);
        }
        free(in_kernel);
        (void) enforcer_kill_exec_remove(e, 0, 0, 0);

        /* user space: the agent has decided at t0; respond_kill(); the process is gone at t1 */
        size_t uok = 0;
        for (size_t i = 0; i < n; i++) {
                int pfd;
                pid_t p = spawn("/bin/sleep", &pfd);
                (void) pfd;
                /* let it run: a real target is a running process */
                uint64_t st;
                for (int k = 0; k < 1000 && respond_proc_start_time(p, &st) < 0; k++)
                        ;
                uint64_t t0 = mono_ns();
                r = respond_kill(p, st, SIGKILL, 5000);
                uint64_t t1 = mono_ns();
                int status;
                waitpid(p, &status, 0);
                close(pfd);
                if (r == 0)
                        user[uok++] = t1 - t0;
        }
        percentiles("user-space kill: respond_kill() -> dead (pidfd readable)", user, uok);
        free(exec_to_dead);
        free(user);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        (void) !system(cmd);
        diag_done(&d);
        return 0;
}

/* connects over loopback from a cgroup of our own, in rounds alternating without and with the connect
 * programs attached (default allow, plus deny rules for other peers, so the trie is walked) */
static double connect_round(int lfd, const struct sockaddr_in *sin, size_t n) {
        uint64_t t0 = mono_ns();
        for (size_t i = 0; i < n; i++) {
                int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (connect(c, (const struct sockaddr *) sin, sizeof(*sin)) < 0) {
                        perror("connect");
                        exit(1);
                }
                int a = accept(lfd, NULL, NULL);
                close(a);
                close(c);
        }
        return (double) (mono_ns() - t0) / (double) n;
}

static int cmd_bench_connect(int argc, char **argv) {
        size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
        struct diag d;
        diag_init(&d);
        _cleanup_(enforcer_freep) struct enforcer *e = NULL;
        int r = enforcer_open(NULL, &d, &e);
        if (r < 0)
                return fail(&d, r, "enforcer");
        char own[4096], dir[4200], procs[4300];
        r = respond_cgroup2_path(getpid(), own, sizeof(own));
        if (r < 0)
                return fail(NULL, r, "own cgroup");
        snprintf(dir, sizeof(dir), "%s/respond-bench-%d", own, (int) getpid());
        if (mkdir(dir, 0755) < 0)
                return fail(NULL, -errno, dir);
        snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
        FILE *f = fopen(procs, "we");
        if (!f || fprintf(f, "%d\n", (int) getpid()) < 0 || fclose(f) != 0)
                return fail(NULL, -errno, "join the bench cgroup");

        int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
        struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t sl = sizeof(sin);
        setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(lfd, (struct sockaddr *) &sin, sizeof(sin)) < 0 || listen(lfd, 128) < 0 ||
            getsockname(lfd, (struct sockaddr *) &sin, &sl) < 0)
                return fail(NULL, -errno, "listen");

        double off = 0, on = 0;
        uint64_t cgid = 0;
        (void) connect_round(lfd, &sin, n / 10); /* warm up */
        for (int round = 0; round < 5; round++) {
                off += connect_round(lfd, &sin, n);
                r = enforcer_connect_attach(e, dir, RESPOND_ALLOW, &cgid);
                if (r < 0)
                        return fail(NULL, r, "attach");
                for (int i = 0; i < 10; i++) {
                        struct respond_rule rr = {.family = AF_INET,
                                                  .prefix_len = 24,
                                                  .port = (uint16_t) (4000 + i),
                                                  .verdict = RESPOND_DENY};
                        rr.addr[0] = 10;
                        rr.addr[1] = (uint8_t) i;
                        (void) enforcer_connect_rule_add(e, cgid, &rr);
                }
                on += connect_round(lfd, &sin, n);
                (void) enforcer_connect_detach(e, cgid);
        }
        close(lfd);
        /* back to where we were, then remove the bench cgroup */
        snprintf(procs, sizeof(procs), "%s/cgroup.procs", own);
        f = fopen(procs, "we");
        if (f) {
                fprintf(f, "%d\n", (int) getpid());
                fclose(f);
        }
        (void) rmdir(dir);
        printf("connect+accept over loopback: without %.2f us, with the connect programs %.2f us, ratio "
               "%.3f "
               "(5 rounds of %zu, alternating)\n",
               off / 5 / 1e3, on / 5 / 1e3, on / off, n);
        diag_done(&d);
        return 0;
}

int main(int argc, char **argv) {
        if (argc < 2) {
                fprintf(stderr, "usage: respond-probe serve|kill|start-time|pause|unpause|stop|freeze|thaw|"
                                "bench-kill|bench-connect …\n");
                return 2;
        }
        const char *c = argv[1];
        struct diag d;
        diag_init(&d);
        if (!strcmp(c, "serve"))
                return cmd_serve(argc - 1, argv + 1);
        if (!strcmp(c, "bench-connect"))
                return cmd_bench_connect(argc - 1, argv + 1);
        if (!strcmp(c, "bench-kill"))
                return cmd_bench_kill(argc - 1, argv + 1);
        if (!strcmp(c, "kill") && argc > 2) {
                uint64_t st = argc > 3 ? strtoull(argv[3], NULL, 10) : 0;
                int r = respond_kill(atoi(argv[2]), st, SIGKILL, 5000);
                printf("kill %s\n", r == 0 ? "ok" : strerror(-r));
                return r == 0 ? 0 : 1;
        }
        if (!strcmp(c, "supported")) {
                printf("%s\n", enforcer_supported() ? "yes" : "no (built without the eBPF enforcer)");
                return 0;
        }
        if (!strcmp(c, "cgroup-path") && argc > 2) {
                char path[4096];
                int r = respond_cgroup2_path(atoi(argv[2]), path, sizeof(path));
                if (r < 0)
                        return fail(NULL, r, "cgroup-path");
                printf("%s\n", path);
                return 0;
        }
        if (!strcmp(c, "start-time") && argc > 2) {
                uint64_t st;
                int r = respond_proc_start_time(atoi(argv[2]), &st);
                if (r < 0)
                        return fail(NULL, r, "start-time");
                printf("%llu\n", (unsigned long long) st);
                return 0;
        }
        if ((!strcmp(c, "pause") || !strcmp(c, "unpause") || !strcmp(c, "stop")) && argc > 2) {
                enum respond_container_op op = !strcmp(c, "pause")     ? RESPOND_PAUSE
                                               : !strcmp(c, "unpause") ? RESPOND_UNPAUSE
                                                                       : RESPOND_STOP;
                int r = respond_container(NULL, argv[2], op, 2, &d);
                if (r < 0)
                        return fail(&d, r, c);
                printf("%s ok\n", c);
                return 0;
        }
        if ((!strcmp(c, "freeze") || !strcmp(c, "thaw")) && argc > 2) {
                int r = respond_cgroup_freeze(argv[2], !strcmp(c, "freeze"), 5000, &d);
                if (r < 0)
                        return fail(&d, r, c);
                printf("%s ok\n", c);
                return 0;
        }
        fprintf(stderr, "respond-probe: unknown command '%s'\n", c);
        return 2;
}
