/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Response primitives: what the agent does once it has decided that something in a container must be
 * stopped. Four independent pieces; the caller (the agent's pipeline) decides when to use which.
 *
 *  1. kill a process from user space: pidfd_open + pidfd_send_signal, with an optional start-time check,
 *     so a recycled pid is never hit (respond_kill);
 *  2. the enforcer (src/bpf/enforce.bpf.c, a BPF object apart from the sensor):
 *      - kill in the kernel: raw_tp/sched_process_exec looks the new executable up in a map of
 *        (cgroup id, device, inode) and sends SIGKILL with bpf_send_signal() — the process dies before
 *        its first user-space instruction, however slow the agent is;
 *      - deny connect: cgroup/connect4 + connect6 programs attached to a container's cgroup consult a
 *        per-cgroup rule table (address prefix, port → allow/deny) and a per-cgroup default verdict
 *        (allow = deny-list mode, deny = allow-list mode); a denied connect() fails with EPERM;
 *      - both report what they did through a ring buffer (respond_event) and counters;
 *  3. the exec guard: fanotify FAN_OPEN_EXEC_PERM on each container's root filesystem (the overlay
 *     superblock, marked through /proc/PID/root with FAN_MARK_FILESYSTEM): every exec of a file from
 *     the image or the container's writable layer waits for a decision callback; a timeout answers
 *     with the configured fail policy so a slow decider never hangs a container;
 *  4. pause / unpause / stop a container through the engine API, or freeze its cgroup.
 *
 * All functions return 0 (or a count) on success and a negative errno on failure, with the cause in d
 * where a d is taken. Everything here needs root.
 *
 * Threads: respond_kill(), respond_container() and respond_cgroup_freeze() may be called from any
 * thread (a pause or stop blocks for the engine's answer: call it off the event path). The enforcer's
 * map functions (kill entries, connect attach/rules) may be called from any thread; enforcer_consume()
 * from one thread at a time. The exec guard's functions may be called from any thread. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/diag.h"

/* ==== 1. kill from user space ==== */

/* The start time of a process in clock ticks since boot (field 22 of /proc/PID/stat), or -errno. */
int respond_proc_start_time(pid_t pid, uint64_t *ret);

/* Sends SIGKILL (or sig) to pid through a pidfd. When start_time is not 0 the process must still be the
 * one that started then (respond_proc_start_time), else -ESRCH and nothing is sent: the pidfd is opened
 * first and the start time checked after, so the pid cannot be reused in between. When wait_ms > 0,
 * waits up to that long for the process to be gone (-ETIMEDOUT otherwise). -ESRCH when it is gone. */
int respond_kill(pid_t pid, uint64_t start_time, int sig, int wait_ms);

/* The cgroup v2 directory of a process ("/sys/fs/cgroup/system.slice/docker-ID.scope", or below
 * /sys/fs/cgroup/unified on a hybrid host): its "0::" line of /proc/PID/cgroup under the cgroup2 mount.
 * The directory the connect programs attach to, and whose inode is the cgroup id the kernel programs
 * see (bpf_get_current_cgroup_id). -ENOENT when the host has no cgroup2 mount. */
int respond_cgroup2_path(pid_t pid, char *ret, size_t retlen);

/* ==== 2. the enforcer (in-kernel kill, connect deny) ==== */

/* What the enforcer reports (struct respond_event.kind). */
enum respond_event_kind {
        RESPOND_EV_EXEC_KILLED = 1, /* an exec matched the kill map: SIGKILL sent */
        RESPOND_EV_CONNECT_DENIED,  /* a connect()/sendmsg() was refused with EPERM */
};

struct respond_event {
        enum respond_event_kind kind;
        uint64_t cgroup_id;
        uint64_t time_ns; /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
        uint32_t pid, tid;
        char comm[16];
        /* RESPOND_EV_EXEC_KILLED */
        uint64_t dev, ino; /* the executable (user-space dev_t, as stat(2) gives it) */
        /* RESPOND_EV_CONNECT_DENIED */
        int family; /* AF_INET, AF_INET6 */
        uint8_t addr[16];
        uint16_t port; /* host order */
};

struct respond_counters {
        uint64_t exec_kills;     /* SIGKILLs sent at exec */
        uint64_t kill_failures;  /* bpf_send_signal() refused */
        uint64_t connect_denied; /* connects refused */
        uint64_t connect_checked;
        uint64_t events_dropped; /* reports lost: the ring buffer was full */
};

struct enforcer_options {
        size_t ringbuf_bytes; /* a power of two ≥ 4096; 0: 256 KiB */
};

struct enforcer;

/* Loads enforce.bpf.o and attaches the exec hook. Fails (recorded in d) when BPF is unavailable or the
 * caller lacks the privileges. */
int enforcer_open(const struct enforcer_options *o, struct diag *d, struct enforcer **ret);
void enforcer_free(struct enforcer *e);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct enforcer *, enforcer_free);

/* true when this build has the enforcer (libbpf, bpftool and clang were found at build time). */
bool enforcer_supported(void);

/* -- in-kernel kill on exec -- */

/* Every exec of the file (dev, ino as stat(2) gives them) in cgroup cgroup_id — 0: in any cgroup — is
 * killed in the kernel. Map updates take effect at once; nothing is reattached. */
int enforcer_kill_exec_add(struct enforcer *e, uint64_t cgroup_id, uint64_t dev, uint64_t ino);
int enforcer_kill_exec_remove(struct enforcer *e, uint64_t cgroup_id, uint64_t dev, uint64_t ino);
/* The same by path (stat'ed now; a container's file: "/proc/PID/root/usr/bin/nc"). */
int enforcer_kill_exec_add_path(struct enforcer *e, uint64_t cgroup_id, const char *path);
/* Removes every kill entry of the cgroup (a container that stopped). */
int enforcer_kill_exec_clear(struct enforcer *e, uint64_t cgroup_id);

/* -- connect deny, per cgroup -- */

enum respond_verdict {
        RESPOND_ALLOW = 1,
        RESPOND_DENY = 2,
};

/* Attaches the connect4/connect6 programs to the cgroup directory (absolute path, e.g.
 * "/sys/fs/cgroup/system.slice/docker-<id>.scope") with default verdict def: RESPOND_ALLOW for deny-list
 * mode (only rules saying deny refuse), RESPOND_DENY for allow-list mode (only peers with an allow rule
 * get through). Attaching again changes the default only. The cgroup id is returned in *ret_cgroup_id
 * (may be NULL). Processes in child cgroups are covered too. */
int enforcer_connect_attach(struct enforcer *e, const char *cgroup_path, enum respond_verdict def,
                            uint64_t *ret_cgroup_id);
int enforcer_connect_detach(struct enforcer *e, uint64_t cgroup_id); /* drops its rules too */
int enforcer_connect_set_default(struct enforcer *e, uint64_t cgroup_id, enum respond_verdict def);

/* A rule: peers in addr/prefix_len (family AF_INET: 4 bytes of addr used, prefix ≤ 32; AF_INET6: 16,
 * ≤ 128; IPv4-mapped v6 peers are matched against AF_INET rules) on port (host order; 0: any port) get
 * verdict. The longest matching prefix wins, a rule for the exact port before an any-port rule. */
struct respond_rule {
        int family;
        uint8_t addr[16];
        unsigned prefix_len;
        uint16_t port;
        enum respond_verdict verdict;
};
int enforcer_connect_rule_add(struct enforcer *e, uint64_t cgroup_id, const struct respond_rule *r);
int enforcer_connect_rule_remove(struct enforcer *e, uint64_t cgroup_id, const struct respond_rule *r);

/* Parses "ADDR[/PREFIX][:PORT]" or "[V6ADDR][/PREFIX][:PORT]" or ":PORT" (any address, both families:
 * two rules) into rules (at most 2). Pure; for the CLI and tests. Returns the number of rules. */
int respond_rule_parse(const char *s, enum respond_verdict verdict, struct respond_rule ret[static 2],
                       struct diag *d);

/* -- reports -- */

/* Readable when events wait; then call enforcer_consume(). */
int enforcer_fd(const struct enforcer *e);
typedef void (*respond_event_fn)(void *userdata, const struct respond_event *ev);
/* Hands every waiting event to cb; returns how many. */
int enforcer_consume(struct enforcer *e, respond_event_fn cb, void *userdata);
int enforcer_read_counters(struct enforcer *e, struct respond_counters *ret);

/* ==== 3. the exec guard (fanotify) ==== */

/* What the decider sees. path is the file's path inside the container ("/usr/bin/nc"). */
struct exec_request {
        const char *container_id; /* as given to exec_guard_add() */
        void *container_data;     /* as given to exec_guard_add() */
        const char *path;
        pid_t pid; /* the process calling execve (host pid namespace) */
        uint64_t dev, ino;
};

/* Returns RESPOND_ALLOW or RESPOND_DENY. Called from the guard's worker threads, possibly for several
 * requests at once: it must be thread-safe. Taking longer than timeout_ms is allowed but useless: the
 * fail policy has answered already. */
typedef enum respond_verdict (*exec_decide_fn)(void *userdata, const struct exec_request *req);

/* How a timeout is answered. FAIL_OPEN is the default: a decider that is stuck (agent overloaded, a
 * deadlock) must not turn into an outage of every container on the host; each timeout is counted and
 * reported (exec_guard_stats), and the in-kernel kill still stops known-forbidden files. FAIL_CLOSED is
 * for hosts where a missed denial is worse than a hung workload. */
enum exec_fail_policy {
        EXEC_FAIL_OPEN,
        EXEC_FAIL_CLOSED,
};

struct exec_guard_options {
        exec_decide_fn decide; /* required */
        void *userdata;
        unsigned timeout_ms; /* 0: 200 */
        enum exec_fail_policy fail;
        unsigned workers; /* decider threads; 0: 2 */
};

struct exec_guard_stats {
        uint64_t requests, allowed, denied, timeouts, errors;
        size_t containers;                       /* filesystems marked */
        uint64_t decide_ns_total, decide_ns_max; /* time the decider took */
};

struct exec_guard;

/* Creates the fanotify group (FAN_CLASS_CONTENT) and starts its threads. */
int exec_guard_new(const struct exec_guard_options *o, struct diag *d, struct exec_guard **ret);
/* Stops the threads (pending requests are allowed by the kernel when the group closes). */
void exec_guard_free(struct exec_guard *g);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct exec_guard *, exec_guard_free);

/* Guards the container's root filesystem, reached through /proc/PID/root of one of its processes (its
 * init, rt_container.pid). container_id and data are handed back in every request (data not owned). */
int exec_guard_add(struct exec_guard *g, const char *container_id, pid_t pid, void *data, struct diag *d);
/* Stops guarding it (a container that stopped). -ENOENT when it was not guarded. */
int exec_guard_remove(struct exec_guard *g, const char *container_id);
void exec_guard_get_stats(struct exec_guard *g, struct exec_guard_stats *ret);

/* ==== 4. pause / stop ==== */

enum respond_container_op {
        RESPOND_PAUSE,
        RESPOND_UNPAUSE,
        RESPOND_STOP, /* SIGTERM, then SIGKILL after the engine's grace period (stop_timeout_s) */
        RESPOND_KILL, /* SIGKILL to every process in it */
};

/* Through the engine API (docker_host as resolver_options: NULL for $DOCKER_HOST or the default
 * socket). Waits for the engine's answer (up to 10 s, plus stop_timeout_s for a stop). */
int respond_container(const char *docker_host, const char *container_id, enum respond_container_op op,
                      unsigned stop_timeout_s, struct diag *d);

/* Freezes (or thaws) a cgroup directory: cgroup v2 through cgroup.freeze, waiting up to wait_ms for
 * cgroup.events to say "frozen 1" (or 0); a v1 freezer directory (/sys/fs/cgroup/freezer/…) through
 * freezer.state, waiting for FROZEN (THAWED). Works while the engine is down. */
int respond_cgroup_freeze(const char *cgroup_path, bool freeze, int wait_ms, struct diag *d);
