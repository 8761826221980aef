/* SPDX-License-Identifier: Apache-2.0 */
/* The cost of behaviour models per event (runtime/model.h), against a baseline measured in the same run:
 * encoding the same event as a JSON line (what `stockade agent --events` does for every event).
 *   model-observe [N]   N events per case (default 1000000); prints ns/event and the ratio to baseline
 * Cases: learn (steady state: the workload repeats), monitor (known behaviour), monitor with a reported
 * deviation on every event, model_exec_allowed() (the fanotify thread's question). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/events.h"
#include "runtime/model.h"

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static struct rt_container ctr = { .id = "aaaaaaaaaaaa0000000000000000000000000000000000000000000000000000",
                                   .image = (char *) "bench:1",
                                   .image_id = (char *) "sha256:2222222222222222222222222222222222222222222222222222222222222222" };

static const char *const paths[] = { "/etc/app.conf", "/proc/17/status", "/var/log/app/app.log",
                                     "/usr/lib/libc.so.6", "/tmp/tmp.Ab12Cd", "/etc/hosts",
                                     "/srv/data/item-17.json", "/etc/resolv.conf" };

static struct rt_event event(long i, bool novel) {
        static char buf[64];
        struct rt_event e = { .type = RT_EV_OPEN, .time_ns = 1800000000000000000ULL + (uint64_t) i, .container = &ctr };
        e.proc.pid = 100;
        e.proc.exe = "/usr/bin/app";
        if (novel) {
                snprintf(buf, sizeof buf, "/novel/x%ld/f", i % 1000);
                e.u.file.path = buf;
        } else
                e.u.file.path = paths[i % 8];
        e.u.file.access = RT_ACCESS_READ;
        return e;
}

int main(int argc, char **argv) {
        long n = argc > 1 ? atol(argv[1]) : 1000000;
        char dir[] = "/tmp/stockade-bench-model-XXXXXX";
        struct diag d;
        struct model_registry *reg = NULL;
        struct model_options o = { .learn_for_ms = 1, .stability_ms = 1 };
        struct buf line = BUF_INIT(0);
        struct model_verdict v;
        double t, base, learn, mon, dev, exec;
        uint64_t sink = 0;

        diag_init(&d);
        if (!mkdtemp(dir) || model_registry_open(dir, &o, &d, &reg) < 0) {
                fprintf(stderr, "cannot open a registry: %s\n", d.error);
                return 1;
        }
        t = now();
        for (long i = 0; i < n; i++) {
                struct rt_event e = event(i, false);
                buf_reset(&line);
                rt_event_to_json(&e, "host", &line);
                sink += line.len;
        }
        base = (now() - t) / (double) n * 1e9;

        for (long i = 0; i < 1000; i++) { /* learn the workload first */
                struct rt_event e = event(i, false);
                model_observe(reg, &e, NULL);
        }
        t = now();
        for (long i = 0; i < n; i++) {
                struct rt_event e = event(i, false);
                model_observe(reg, &e, &v);
        }
        learn = (now() - t) / (double) n * 1e9;

        model_set_mode_all(reg, MODEL_MONITOR);
        t = now();
        for (long i = 0; i < n; i++) {
                struct rt_event e = event(i, false);
                model_observe(reg, &e, &v);
                sink += v.deviation;
        }
        mon = (now() - t) / (double) n * 1e9;

        long nd = n / 10;
        t = now();
        for (long i = 0; i < nd; i++) {
                struct rt_event e = event(i, true);
                model_observe(reg, &e, &v);
                sink += v.deviation;
        }
        dev = (now() - t) / (double) nd * 1e9;

        model_set_mode_all(reg, MODEL_PROTECT);
        t = now();
        for (long i = 0; i < n; i++)
                sink += model_exec_allowed(reg, ctr.image_id, i & 1 ? "/usr/bin/app" : "/usr/bin/nc");
        exec = (now() - t) / (double) n * 1e9;

        printf("baseline (event → JSON line)      %8.1f ns/event  1.00\n", base);
        printf("learn (steady state)              %8.1f ns/event  %.2f\n", learn, learn / base);
        printf("monitor (known behaviour)         %8.1f ns/event  %.2f\n", mon, mon / base);
        printf("monitor (deviation reported)      %8.1f ns/event  %.2f\n", dev, dev / base);
        printf("model_exec_allowed()              %8.1f ns/call   %.2f\n", exec, exec / base);
        fprintf(stderr, "(%lu)\n", (unsigned long) sink);
        model_tick(reg, 0, true);
        model_registry_free(reg);
        buf_free(&line);
        diag_done(&d);
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : 1;
}
