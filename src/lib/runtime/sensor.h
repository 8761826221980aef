/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The eBPF sensor's loader: loads src/bpf/sensor.bpf.c (skeleton), attaches what this kernel accepts,
 * keeps going without what it refuses (each hook says why), and hands out raw records from the ring
 * buffer (decode them with rt_event_decode()). Needs root (CAP_BPF + CAP_PERFMON + CAP_SYS_RESOURCE).
 *
 * Thread-safety: one thread polls and consumes; sensor_watch_cgroup()/sensor_unwatch_cgroup() and
 * sensor_read_counters() may be called from any thread (they only touch maps). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/diag.h"
#include "runtime/events.h"

/* How this host arranges cgroups, as far as the sensor cares. */
struct rt_cgroup_layout {
        bool v2;             /* the unified hierarchy holds the controllers (containers live there) */
        char controller[32]; /* v1: the controller whose hierarchy is followed ("memory") */
        int hierarchy;       /* its hierarchy id (/proc/cgroups), 0 for v2 */
        char mount[256];     /* where that hierarchy is mounted */
};

struct sensor_options {
        bool include_host;    /* record host activity too (flagged host) */
        size_t ringbuf_bytes; /* a power of two, at least 64 KiB; 0: SENSOR_RINGBUF_DEFAULT */
        const struct rt_cgroup_layout *layout; /* required: the hierarchy to follow (rt_cgroup_detect) */
        /* Attach the syscall handlers behind one raw sys_exit hook (by syscall number, native and ia32
         * tables), which runs on every syscall of every task on the host, rather than one classic
         * tracepoint per syscall (syscalls:sys_exit_<name>), which runs nothing for unwatched syscalls
         * but skips ia32 (int 0x80) ones — and any x86-64 process can make those. So: the raw hook
         * where there is such an ABI (x86-64), unless no_ia32; the tracepoints elsewhere or with
         * no_ia32 (a blind spot for 32-bit syscalls, for hosts that cannot afford the raw hook); the
         * raw hook wherever the kernel does not give tracepoint programs bpf_task_pt_regs.
         * STOCKADE_SENSOR_SYSCALLS=raw|tracepoints in the environment overrides both (benchmarks). */
        bool raw_syscalls;
        bool no_ia32;
        /* A successful open repeating one the same process image (thread group and exec generation)
         * made of the same file with the same flags less than this long before is counted
         * (sensor_counters.open_repeats), not recorded. 0: record every open. */
        uint64_t open_repeat_ns;
};

#define SENSOR_RINGBUF_DEFAULT (8u << 20)

enum sensor_hook_state {
        SENSOR_HOOK_ACTIVE,
        SENSOR_HOOK_UNAVAILABLE, /* not on this kernel or architecture */
        SENSOR_HOOK_FAILED,      /* refused by the verifier or not attachable */
};

struct sensor_hook {
        char name[48];    /* "sched_process_exec", "sys_exit:openat" */
        const char *what; /* "process exec", "file open" … */
        enum sensor_hook_state state;
        char reason[256]; /* why not active */
};

struct sensor_counters {
        uint64_t events[_RT_EV_MAX]; /* records written by the kernel, per type */
        uint64_t drops[_RT_EV_MAX];  /* records lost because the ring buffer was full, per type */
        uint64_t events_total, drops_total;
        uint64_t missed;      /* program runs the kernel skipped (recursion on a CPU) */
        uint64_t errors;      /* records the kernel could not build */
        uint64_t cgroup_full; /* container cgroups not watched: the map was full */
        uint64_t open_repeats; /* opens counted, not recorded (sensor_options.open_repeat_ns) */
};

struct sensor;

/* Loads and attaches. Fails (recorded in d) only when nothing useful could be loaded: no BPF support,
 * no permission, the ring buffer or the dispatcher refused. */
int sensor_open(const struct sensor_options *o, struct diag *d, struct sensor **ret);
void sensor_free(struct sensor *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct sensor *, sensor_free);

/* Every hook, active or not, in a stable order. */
size_t sensor_hooks(const struct sensor *s, const struct sensor_hook **ret);
size_t sensor_hooks_active(const struct sensor *s);

/* A file descriptor that becomes readable when records are waiting (for poll/epoll). The kernel wakes
 * it only for exec records or when an eighth of the ring is full: poll it with a timeout of at most
 * SENSOR_POLL_MS and consume at every timeout, or records wait. */
#define SENSOR_POLL_MS 10
int sensor_fd(const struct sensor *s);

/* Calls cb for every record waiting, in ring order, until none is left or cb returns < 0 (then that is
 * returned). Returns the number of records handed out. The record is valid only during the call. */
typedef int (*sensor_record_fn)(void *userdata, const void *rec, size_t len);
int sensor_consume(struct sensor *s, sensor_record_fn cb, void *userdata);

/* The in-kernel filter's set of container cgroups (the kernel adds and removes them itself at
 * cgroup_mkdir/rmdir; user space adds those that existed before the sensor). */
int sensor_watch_cgroup(struct sensor *s, uint64_t cgroup_id);
int sensor_unwatch_cgroup(struct sensor *s, uint64_t cgroup_id);
/* How many cgroups the kernel map holds now (walks it). */
size_t sensor_watched_cgroups(struct sensor *s);

int sensor_read_counters(struct sensor *s, struct sensor_counters *ret);

/* true when the programs read kernel memory with direct BTF loads, false when with probe reads */
bool sensor_direct_loads(const struct sensor *s);
/* true when the syscall handlers are on per-syscall tracepoints, false when behind the raw sys_exit */
bool sensor_syscall_tracepoints(const struct sensor *s);

/* true when this build has the sensor (libbpf, bpftool and clang were found at build time). */
bool sensor_supported(void);
