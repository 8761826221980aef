/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The runtime pipeline: sensor → decoding → container resolver → process table → the consumer's
 * callback. This is the library API that behaviour models, detectors and `stockade agent` build on.
 *
 *   monitor_new()   detects the cgroup layout, loads the sensor, starts the resolver, and registers
 *                   the containers already running (their cgroups go into the kernel filter)
 *   monitor_run()   delivers events to the callback until monitor_stop() or the duration ends
 *
 * Delivery guarantees: events of one container reach the callback in the kernel's order. An event of a
 * container the engine has not described yet is held (up to hold_ms, and hold_max_bytes in all) and
 * released with the description, so even a container's first exec carries its name and image; past the
 * hold it is delivered with the container's id only (rt_container.incomplete). Nothing is dropped in
 * user space: the kernel's drops are counted per type (monitor_get_stats) and so are records that did
 * not decode.
 *
 * Threads: the callback and the tick run on the thread that called monitor_run(). monitor_stop() is
 * async-signal-safe; monitor_get_stats() may be called from any thread. */

#include "core/diag.h"
#include "runtime/events.h"
#include "runtime/resolver.h"
#include "runtime/sensor.h"

struct monitor_options {
        bool include_host;       /* host activity too (events flagged host, no container) */
        size_t ringbuf_bytes;    /* 0: SENSOR_RINGBUF_DEFAULT */
        bool no_ia32;            /* see sensor_options */
        uint64_t open_repeat_ns; /* see sensor_options */
        const char *docker_host; /* see resolver_options */
        unsigned hold_ms;        /* 0: 2000 */
        size_t hold_max_bytes;   /* 0: 16 MiB */
        size_t process_max;      /* process table entries; 0: 65536 */
};

struct monitor_stats {
        struct sensor_counters sensor;
        struct resolver_stats resolver;
        uint64_t delivered;           /* events handed to the callback */
        uint64_t decode_errors;       /* records that failed rt_event_decode() */
        uint64_t held;                /* events that waited for their container's description */
        uint64_t released_incomplete; /* of those, delivered with the id only */
        size_t held_now, held_bytes;
        size_t processes;       /* process table entries */
        size_t watched_cgroups; /* the kernel filter's map (only with kernel_map) */
};

typedef void (*monitor_event_fn)(void *userdata, const struct rt_event *ev);
typedef void (*monitor_tick_fn)(void *userdata);

struct monitor;

int monitor_new(const struct monitor_options *o, struct diag *d, struct monitor **ret);
void monitor_free(struct monitor *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct monitor *, monitor_free);

const struct sensor *monitor_sensor(const struct monitor *m);
const struct rt_cgroup_layout *monitor_layout(const struct monitor *m);
/* Containers found running at start (their cgroups registered). */
size_t monitor_initial_cgroups(const struct monitor *m);

/* Runs until monitor_stop() or duration_ms (0: no limit). tick (may be NULL) is called every tick_ms
 * (0: never). Returns 0, or a negative errno when the sensor failed. */
int monitor_run(struct monitor *m, uint64_t duration_ms, monitor_event_fn cb, monitor_tick_fn tick,
                unsigned tick_ms, void *userdata);
void monitor_stop(struct monitor *m);

/* kernel_map: also count the kernel filter's entries (walks the map). */
void monitor_get_stats(struct monitor *m, bool kernel_map, struct monitor_stats *ret);
