/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The container resolver: cgroup id → the container it belongs to, with the engine's description
 * (name, image, image digest, labels).
 *
 * Two sources, kept apart on purpose:
 *  - which cgroups are containers', and whose, comes from cgroups themselves (the sensor's cgroup_mkdir
 *    records and a scan at start, through resolver_cgroup_add()), so attribution by container id works
 *    even while the engine is down;
 *  - what a container is comes from the Docker engine API over its unix socket: a list at connect time
 *    (containers running before the agent, or while it was disconnected), then the /events stream
 *    (create, start, die, destroy, rename) without polling, and an inspect (plus the image's inspect for
 *    its repo digest) per container. The connection is retried with exponential backoff (100 ms … 5 s)
 *    and the list taken again after every reconnect.
 *
 * A container's entry lives while it has cgroups, the engine says it exists, or an inspect of it is on
 * its way; the last of these to end drops it, so short-lived containers leave nothing behind. Its
 * description is kept 10 s more (at most 1024) for events still held or late.
 *
 * Threads: resolver_new() starts one thread that talks to the engine. Every other function may be
 * called from any thread (one mutex; never held across I/O). */

#include <stdbool.h>
#include <stdint.h>

#include "core/diag.h"
#include "runtime/events.h"

struct resolver_options {
        const char *docker_host;     /* "unix:///path" or a path; NULL: $DOCKER_HOST, else
                                      * /var/run/docker.sock */
        unsigned backoff_max_ms;     /* reconnect backoff cap; 0: 5000 */
        unsigned request_timeout_ms; /* one inspect or list; 0: 10000 */
};

struct resolver_stats {
        size_t containers; /* entries (with or without metadata) */
        size_t cgroups;    /* cgroup ids mapped to a container */
        size_t images;     /* image digests cached */
        size_t resolving;  /* containers waiting for the engine */
        size_t gone;       /* dropped containers' descriptions kept a few seconds for late lookups */
        bool connected;    /* the events stream is up */
        uint64_t reconnects, lists, inspects, inspect_failures, engine_events, engine_errors;
};

struct resolver;

int resolver_new(const struct resolver_options *o, struct diag *d, struct resolver **ret);
/* Stops the thread and frees everything; references handed out stay valid. */
void resolver_free(struct resolver *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct resolver *, resolver_free);

/* Readable (an eventfd: read 8 bytes to clear) when some container's metadata arrived or was given up
 * on, so the caller can release events it held for it. */
int resolver_notify_fd(const struct resolver *r);

/* The cgroup belongs to the container (64 hex id). Asks the engine about the container if it is new. */
int resolver_cgroup_add(struct resolver *r, uint64_t cgroup_id, const char *container_id);
void resolver_cgroup_remove(struct resolver *r, uint64_t cgroup_id);

/* The container a cgroup belongs to (a new reference), or NULL when it is not a container's.
 * *ret_pending is true while the engine has not answered yet: the container then has its id only
 * (incomplete). */
struct rt_container *resolver_lookup(struct resolver *r, uint64_t cgroup_id, bool *ret_pending);
/* The same by container id; also finds containers dropped in the last seconds (not pending). */
struct rt_container *resolver_lookup_id(struct resolver *r, const char *container_id, bool *ret_pending);

void resolver_get_stats(struct resolver *r, struct resolver_stats *ret);

/* The socket path a docker_host names (for messages); fails for tcp:// and other transports. */
int resolver_socket_path(const char *docker_host, char *ret, size_t retlen);
