/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Private to the runtime module: the table of watched syscalls (shared by the loader, which registers
 * a handler per syscall number, and the decoder, which names them), cgroup helpers, and the engine
 * API's JSON parsers (exposed for tests and fuzzing). */

#include <stdbool.h>
#include <stdint.h>

#include "core/diag.h"
#include "runtime/events.h"
#include "runtime/sensor.h"

/* ---- syscalls (runtime-syscalls.c) ---- */

struct rt_syscall_def {
        const char *name;
        int native;       /* number on this architecture, -1 when it has none */
        int compat;       /* ia32 number (x86-64 only), -1 when none */
        const char *prog; /* the sensor program that handles it */
        enum rt_event_type type;
        uint8_t n_ids; /* setid: how many ids it takes */
        bool gid;      /* setid: they are group ids */
        bool id16;     /* setid: 16-bit ids (old ia32 calls): 0xffff means -1 */
};

extern const struct rt_syscall_def rt_syscalls[];
extern const size_t rt_n_syscalls;
const struct rt_syscall_def *rt_syscall_find(int nr, bool compat);

/* ---- cgroups (runtime-cgroup.c) ---- */

/* The container id a cgroup path names: the first component holding a run of exactly 64 lowercase
 * hex digits ("/docker/<id>", "/system.slice/docker-<id>.scope", "/kubepods/…/cri-containerd-<id>.scope",
 * nested cgroups below those). The same rule as the sensor's cgroup_mkdir hook. Returns 0 with
 * ret_id (65 bytes) filled, or -ENOENT. */
int rt_cgroup_container_id(const char *path, char ret_id[static 65]);

/* Reads /proc/self/mountinfo and /proc/cgroups (under root, normally "/"; tests pass a fake tree).
 * Prefers v2 when /sys/fs/cgroup is cgroup2; otherwise the first v1 controller of memory, pids, cpu,
 * cpuacct, blkio, devices, freezer that is mounted. */
int rt_cgroup_detect(const char *root, struct rt_cgroup_layout *ret, struct diag *d);

/* Parses the text of /proc/self/mountinfo and /proc/cgroups (pure; for tests and fuzzing). */
int rt_cgroup_layout_parse(const char *mountinfo, const char *proc_cgroups, struct rt_cgroup_layout *ret);

/* Calls cb for every directory below mount (depth ≤ 8) whose path names a container, with the cgroup
 * id (the directory's inode) and its path relative to mount ("/docker/<id>"). Stops at the first
 * negative return of cb and returns it; missing directories are skipped. */
int rt_cgroup_scan(const char *mount, int (*cb)(void *userdata, uint64_t id, const char *path),
                   void *userdata);

/* The cgroup id of the directory at mount + relpath (its inode), or -errno. */
int rt_cgroup_id(const char *mount, const char *relpath, uint64_t *ret);

/* ---- engine API JSON (runtime-engine.c): every body is untrusted ---- */

#define ENGINE_BODY_MAX   (8u << 20)  /* a list or inspect body */
#define ENGINE_EVENT_MAX  (64u << 10) /* one line of the events stream */
#define ENGINE_LABELS_MAX 256
#define ENGINE_STRING_MAX 4096 /* any one string we keep */

/* GET /containers/json: the ids (64 hex) of the containers listed, at most max. *ret is a malloc'd
 * array of 65-byte ids. */
int engine_parse_list(const char *body, size_t len, size_t max, char (**ret)[65], size_t *ret_n,
                      struct diag *d);

/* GET /containers/{id}/json → a new container (refs = 1, incomplete = false). The id must be 64 hex. */
int engine_parse_inspect(const char *body, size_t len, struct rt_container **ret, struct diag *d);

/* GET /images/{id}/json → the first RepoDigest (or NULL). */
int engine_parse_image(const char *body, size_t len, char **ret_digest, struct diag *d);

/* One line of GET /events. type "container", action "start", "die", "destroy", "rename" …; id is the
 * actor (64 hex for containers, otherwise it may be empty). */
struct engine_event {
        char type[16];
        char action[48];
        char id[65];
};
int engine_parse_event(const char *line, size_t len, struct engine_event *ret, struct diag *d);

/* A container with only its id (incomplete). */
struct rt_container *rt_container_new_bare(const char id[static 65]);

/* true when s is exactly 64 lowercase hex digits */
bool rt_is_container_id(const char *s);

/* ---- a u64 → pointer map (runtime-u64map.c): open addressing, linear probing, backward-shift
 * deletion. Keys are cgroup ids and pids (not chosen by a peer); values must not be NULL. Not
 * thread-safe. ---- */

struct u64map {
        uint64_t *keys;
        void **vals;
        size_t n, cap; /* cap: 0 or a power of two */
};

int u64map_put(struct u64map *m, uint64_t key, void *val); /* 0 inserted, 1 replaced, -ENOMEM */
void *u64map_get(const struct u64map *m, uint64_t key);
void *u64map_remove(struct u64map *m, uint64_t key);
void u64map_free(struct u64map *m);
/* Iterates: for (size_t i = 0; u64map_next(m, &i, &k, &v);) — no changes while iterating. */
bool u64map_next(const struct u64map *m, size_t *i, uint64_t *ret_key, void **ret_val);
