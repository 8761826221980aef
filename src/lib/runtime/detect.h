/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The built-in detectors: rules/runtime.yaml (rules.h) applied to the event stream. They need no
 * learning and run in every mode. Most are pure matches on one event (names, paths, ports, event
 * types); three keep state or look at the live process:
 *   shell-from-server  a per-process table (pid → "listened or accepted", inherited at fork, cleared at
 *                      the next exec) decides whether a shell's process or parent is a server;
 *   reverse-shell      reads /proc/PID/fd/0 and /1 of the new shell: a socket there is the sign; when
 *                      the shell is gone before the look, a shell exec'd by a process that connected
 *                      to a peer (the table's "connected", inherited at fork) counts;
 *   drift              the container's writable layer (its overlay root's upperdir, read once per
 *                      container from /proc/PID/mountinfo) holds the executed file: it was created or
 *                      changed after the container started, so it is not a file of the image's layers.
 * The /proc lookups go through a probe table so tests can run them on synthetic events.
 *
 * Not thread-safe: one detector per pipeline thread. Findings point into the detector (valid until the
 * next call). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/events.h"
#include "runtime/rules.h"

#define DETECT_SUBJECT_MAX  512
#define DETECT_OBSERVED_MAX 1024
#define DETECT_FINDINGS_MAX 8 /* per event */

struct detect_finding {
        const struct rt_rule *rule;
        char subject[DETECT_SUBJECT_MAX];   /* what repeats are aggregated by: a path, exe, address:port */
        char observed[DETECT_OBSERVED_MAX]; /* one readable line: what happened */
        const char *expected;               /* what was expected instead (static text), or NULL */
};

/* Looks at the live system; every function may be NULL (then: never true). */
struct detect_probe {
        /* 1 when the process's fd (0 or 1) is a socket, 0 when it is not, -1 when the process is gone */
        int (*fd_is_socket)(void *userdata, uint32_t pid, int fd);
        /* true when path (inside the container of ev) is a file of the container's writable layer */
        bool (*in_writable_layer)(void *userdata, const struct rt_event *ev, const char *path);
        void *userdata;
};

struct detector;

/* rules must outlive the detector. probe NULL: the real /proc probes (detect_probe_proc). */
int detect_new(const struct rt_rules *rules, const struct detect_probe *probe, struct detector **ret);
void detect_free(struct detector *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct detector *, detect_free);

/* Applies every rule to ev; fills up to max findings, returns how many. */
size_t detect_event(struct detector *d, const struct rt_event *ev, struct detect_finding *out, size_t max);

/* Forgets what was cached about a container (its writable layer): it stopped. */
void detect_forget_container(struct detector *d, const char *container_id);

/* The real probes, reading /proc. The writable-layer probe caches one upperdir per container. */
int detect_proc_fd_is_socket(uint32_t pid, int fd);
/* Parses one /proc/PID/mountinfo text: the upperdir= of the overlay mounted on "/", into out. */
int detect_mountinfo_upperdir(const char *mountinfo, char *out, size_t outlen);

/* fnmatch(3) without FNM_PATHNAME ('*' crosses '/'); exposed for tests. */
bool detect_glob(const char *pattern, const char *s);

/* Counters. */
struct detect_stats {
        uint64_t events, findings;
        size_t processes;
};
void detect_get_stats(const struct detector *d, struct detect_stats *ret);
