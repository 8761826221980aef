/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Behaviour models: what each image normally does at run time, learned from its containers' events
 * (docs/runtime.md, "Behaviour models"), persisted in SQLite, and used to score deviations.
 *
 * One model per image, keyed by the image's digest (rt_container.image_digest) or, for images never
 * pushed or pulled, its id (image_id); every replica of the image feeds and is judged by the same
 * model. Events without a container are ignored. A model holds:
 *   processes  (exe, parent exe, uid) with count, first and last seen
 *   edges      parent exe → exe, and exec sequences (2- and 3-grams along the process tree)
 *   files      (pattern, access) — paths collapsed where they vary (model_collapse_path())
 *   network    listening (protocol, port), outbound (peer CIDR, port, protocol), inbound likewise
 * Bounded: at most MODEL_MAX_* entries of each kind per model (beyond that, learning stops adding that
 * kind and counts the overflow), MODEL_MAX_MODELS models.
 *
 * Modes: learn → monitor (or protect with auto_protect) by itself in model_tick(), once the model is at
 * least learn_for_ms old and has not grown for stability_ms. In learn every observation extends the
 * model; in monitor and protect an observation outside it fills a verdict (scored); protect asks for
 * exec and network deviations to be blocked.
 *
 * Storage: <state_dir>/models.db (SQLite, WAL, schema version in PRAGMA user_version). Observations are
 * flushed in batches from model_tick() (every MODEL_FLUSH_MS) and at model_registry_free(); mode
 * changes and applied profiles are written at once. Every write is one transaction.
 *
 * Threads: every function here is thread-safe (one mutex per registry). The agent's main thread calls
 * model_observe() and model_tick(); the fanotify permission thread calls model_exec_allowed(); the
 * control socket's thread calls the mode/apply/export functions. None of them blocks for long: only
 * model_tick(), mode changes and apply write to SQLite. */

#include <stdint.h>

#include "buf.h"
#include "core/diag.h"
#include "runtime/events.h"

#define MODEL_MAX_MODELS    4096
#define MODEL_MAX_PROCESSES 1024 /* (exe, parent, uid) triples */
#define MODEL_MAX_EDGES     2048
#define MODEL_MAX_SEQUENCES 4096
#define MODEL_MAX_FILES     4096 /* (pattern, access) */
#define MODEL_MAX_NETWORK   1024 /* listen + outbound + inbound */
#define MODEL_DIR_FANOUT    32   /* distinct names in one directory before it becomes dir/ * */
#define MODEL_FLUSH_MS      5000

#define MODEL_LEARN_FOR_DEFAULT_MS (30 * 60 * 1000ULL)
#define MODEL_STABILITY_DEFAULT_MS (10 * 60 * 1000ULL)
#define MODEL_THRESHOLD_DEFAULT    0.25

enum model_mode {
        MODEL_LEARN,
        MODEL_MONITOR,
        MODEL_PROTECT,
        _MODEL_MODE_MAX,
};

/* "learn", "monitor", "protect"; NULL when out of range. */
const char *model_mode_name(enum model_mode m);
/* Returns 0 or -EINVAL. */
int model_mode_from_string(const char *s, enum model_mode *ret);

enum model_kind {
        MODEL_KIND_NONE,
        MODEL_KIND_PROCESS,
        MODEL_KIND_FILE,
        MODEL_KIND_NETWORK,
};

/* "process", "file", "network". */
const char *model_kind_name(enum model_kind k);

struct model_options {
        uint64_t learn_for_ms; /* 0: MODEL_LEARN_FOR_DEFAULT_MS */
        uint64_t stability_ms; /* 0: MODEL_STABILITY_DEFAULT_MS */
        bool auto_protect;     /* learning ends in protect rather than monitor */
        double threshold;      /* deviations scoring below are not reported; 0: MODEL_THRESHOLD_DEFAULT */
        /* The window in which a sibling replica doing the same thing lowers a deviation's score;
         * 0: 60 s. */
        uint64_t replica_window_ms;
};

/* What model_observe() found. All strings are copies (valid after the call, truncated at their size). */
struct model_verdict {
        bool deviation;       /* the rest is set only when true */
        enum model_kind kind; /* process, file or network */
        enum model_mode mode; /* monitor or protect */
        bool block;           /* protect mode wants this stopped (exec: kill/deny; network: deny) */
        double score;         /* novelty × rarity × disagreement, 0 < score <= 1 */
        double novelty, rarity, disagreement;
        /* How often this container showed the same deviation within the replica window before (0: the
         * first time): lets a caller report once and count the repeats. */
        unsigned repeats;
        const char *rule_id; /* "model.process", "model.file", "model.network" (static) */
        char image[256];     /* the model's key */
        char expected[512];  /* what the model knew: "/bin/sh → {/bin/cat, /bin/ls}" */
        char observed[512];  /* what happened: "/bin/sh → /usr/bin/nc (uid 0)" */
};

struct model_registry;

/* Opens (creating when missing) <state_dir>/models.db and loads every model. state_dir is created
 * (0700) when missing. Returns 0, or a negative errno with the cause in d. */
int model_registry_open(const char *state_dir, const struct model_options *o, struct diag *d,
                        struct model_registry **ret);
/* Flushes what is pending and closes. NULL is fine. */
void model_registry_free(struct model_registry *reg);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct model_registry *, model_registry_free);

/* Feeds one event (exec, open/unlink/rename/chmod, connect/accept/bind/listen; other types are
 * ignored). out (may be NULL) is cleared, then filled when the event deviates from a monitor/protect
 * model with a score at or above the threshold. Returns 0 (also for ignored events), or -ENOMEM. */
int model_observe(struct model_registry *reg, const struct rt_event *ev, struct model_verdict *out);

/* The key of a container's model: image_digest, else image_id; NULL for an incomplete container. */
const char *model_image_key(const struct rt_container *c);

/* false only when the image's model is in protect mode and exe was never seen executed in it. Unknown
 * images are allowed. Cheap (a hash lookup under the mutex); for the fanotify permission thread. */
bool model_exec_allowed(struct model_registry *reg, const char *image_key, const char *exe);

/* Likewise for a connection (family AF_INET/AF_INET6, addr in network byte order as rt_sockaddr
 * holds it, port in host order, protocol IPPROTO_TCP/UDP): false only in protect mode when no
 * outbound entry covers the peer's CIDR (/24, /64) and port. */
bool model_connect_allowed(struct model_registry *reg, const char *image_key, int family,
                           const uint8_t addr[16], uint16_t port, int protocol);

/* Ends learning where due and writes pending changes (batched: at most every MODEL_FLUSH_MS unless
 * force). now_ms is CLOCK_REALTIME in ms. Returns how many models changed mode, or a negative errno
 * when writing failed (the changes stay pending and are retried). */
int model_tick(struct model_registry *reg, uint64_t now_ms, bool force);

/* Finds a model by key, by the image name it was last seen with ("nginx:1.25"), or by a unique prefix
 * (at least 12 characters) of its key with or without "sha256:". Copies the key. -ENOENT, -EEXIST
 * (ambiguous). */
int model_find(struct model_registry *reg, const char *query, char *ret_key, size_t keylen);

/* Switches a model's mode (written at once). Leaving learn keeps the model; entering learn restarts the
 * learning clock. Returns 0, -ENOENT. */
int model_set_mode(struct model_registry *reg, const char *key, enum model_mode m);
int model_get_mode(struct model_registry *reg, const char *key, enum model_mode *ret);
/* Every model; returns how many were switched. */
int model_set_mode_all(struct model_registry *reg, enum model_mode m);

struct model_summary {
        char key[256];
        char name[256]; /* last image name seen, "" when unknown */
        enum model_mode mode;
        uint64_t learn_start_ms, last_growth_ms, last_seen_ms;
        uint64_t observations, overflow;
        size_t processes, edges, sequences, files, listen, outbound, inbound;
};

/* Summaries of every model, sorted by key, malloc'd array in *ret (free()). Returns the count. */
int model_list(struct model_registry *reg, struct model_summary **ret);

/* Appends the model as an ImageProfile YAML document (stockade-policy(5)) to out. -ENOENT. */
int model_export_yaml(struct model_registry *reg, const char *key, struct buf *out);
/* Appends the model as one JSON object (the same content as the YAML) to out. -ENOENT. */
int model_export_json(struct model_registry *reg, const char *key, struct buf *out);

/* Replaces (or creates) the model an ImageProfile document names, atomically: the document is validated
 * first (errors as "NAME:LINE:COLUMN: message" in d), and nothing changes unless it is valid and written
 * to the database. ret_key (may be NULL) receives the model's key. */
int model_apply_yaml(struct model_registry *reg, const char *data, size_t len, const char *name,
                     struct diag *d, char *ret_key, size_t keylen);

/* Path collapsing, exposed for tests and the exporters: /proc/<pid>/… → /proc/ * /…, runs of digits in a
 * name → *, random-looking names (tmp.XXXXXX, ≥ 8 hex digits, ≥ 12 base64-ish characters with digits and
 * mixed case) → *. Writes at most outlen bytes (always terminated). The per-directory fan-out rule is
 * applied by the model, not here. */
void model_collapse_path(const char *path, char *out, size_t outlen);

/* Whether pattern (with * matching within one path component, and a trailing "/ *" matching one name)
 * covers path. */
bool model_pattern_match(const char *pattern, const char *path);

struct control;
/* Registers the policy.* commands (policy.list, policy.show, policy.export, policy.apply, policy.mode)
 * on a control server (runtime/control.h). The registry must outlive it. */
int model_control_register(struct model_registry *reg, struct control *ctl);
