/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Shared between model.c (learning, scoring, modes), model-store.c (SQLite) and policy-yaml.c
 * (ImageProfile import/export). Not for other modules: they use model.h. */

#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>

#include "hashmap.h"
#include "runtime/model.h"

/* The tables of a model. Their numbers are stored in models.db: append only. */
enum mtable {
        T_PROC,   /* "exe\x1fparent\x1fuid" */
        T_EDGE,   /* "parent\x1fexe" */
        T_SEQ,    /* "grandparent\x1fparent\x1fexe" */
        T_FILE,   /* pattern; extra = MACC_* bits */
        T_LISTEN, /* "tcp 80" */
        T_OUT,    /* "tcp 10.0.0.0/24 5432" */
        T_IN,     /* "tcp 10.0.0.0/24 80" (the local port) */
        _T_MAX,
};

#define KEY_SEP '\x1f'

/* File access kinds (stockade-policy(5)): stored in models.db, append only. */
enum {
        MACC_READ = 1 << 0,
        MACC_WRITE = 1 << 1,
        MACC_CREATE = 1 << 2,
        MACC_UNLINK = 1 << 3,
        MACC_RENAME = 1 << 4,
        MACC_CHMOD = 1 << 5,
        _MACC_ALL = (1 << 6) - 1,
};
extern const char *const macc_names[6];

struct mentry {
        char *key;                   /* owned; the table's hashmap borrows it */
        uint64_t count, first, last; /* ms since the epoch */
        uint32_t extra;
        bool dirty;
};

struct dirinfo {
        char *dir; /* owned */
        uint32_t names;
        bool collapsed;
};

#define RECENT_MAX 64
struct recent_dev {
        uint64_t hash;
        uint64_t when;
        uint32_t repeats;
        char container[16]; /* the first 12 hex digits */
};

struct model {
        char *key, *name;
        enum model_mode mode;
        uint64_t learn_start, last_growth, last_change, last_seen, observations, overflow;
        struct hashmap *t[_T_MAX];
        size_t cap[_T_MAX];
        uint64_t total[_T_MAX]; /* sum of the counts of each table: the denominators of rarity */
        struct hashmap *exes;   /* the executables of T_PROC (derived; owned keys, value 1) */
        struct hashmap *dirs;   /* dir → struct dirinfo (derived from T_FILE) */
        size_t wildcards;       /* T_FILE patterns that contain '*' */
        uint64_t file_obs, exec_obs, net_obs;
        bool dirty, rewrite; /* rewrite: the database's entries are replaced at the next flush */
        struct recent_dev recent[RECENT_MAX];
        size_t recent_pos;
};

#define CHAIN_SLOTS 4096
struct chain {
        uint32_t pid;
        char *exe, *parent;
};

struct model_registry {
        pthread_mutex_t lock;
        struct model_options o;
        char *db_path;
        sqlite3 *db;
        struct hashmap *models; /* key → struct model */
        uint64_t last_flush;
        struct chain chains[CHAIN_SLOTS];
};

struct model *model_new_(const char *key, const char *name, uint64_t now);
void model_free_(struct model *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct model *, model_free_);
/* Adds or updates an entry, ignoring the cap when force (loading, applying). Returns 1 when new, 0
 * when it existed, -ENOSPC over the cap, -ENOMEM. ret (may be NULL) gets the entry. */
int model_put_(struct model *m, enum mtable t, const char *key, uint64_t count, uint64_t first,
               uint64_t last, uint32_t extra, bool force, struct mentry **ret);
/* Sorted (by key) array of a table's entries (malloc'd). */
struct mentry **model_sorted_(const struct model *m, enum mtable t, size_t *ret_n);

/* model-store.c; called with the registry locked. */
int mstore_open(struct model_registry *reg, const char *path, struct diag *d);
void mstore_close(struct model_registry *reg);
int mstore_load(struct model_registry *reg, struct diag *d);
/* Writes the dirty models (or only `only` when non-NULL) in one transaction; dirty flags are cleared
 * only when it committed. */
int mstore_flush(struct model_registry *reg, struct model *only);

/* policy-yaml.c */
int policy_yaml_parse(const char *data, size_t len, const char *name, struct diag *d, struct model **ret);
int policy_yaml_emit(const struct model *m, struct buf *out);
int policy_json_emit(const struct model *m, struct buf *out);
