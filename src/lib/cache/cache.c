/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cache.h"

struct layer_cache {
        sqlite3 *db;
        sqlite3_stmt *get, *put, *touch, *del;
        struct diag *diag;
        char *path;
};

static int mkdir_p(const char *path, mode_t mode) {
        char buf[4096];
        size_t n = strlen(path);
        if (n >= sizeof buf)
                return -ENAMETOOLONG;
        memcpy(buf, path, n + 1);
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = 0;
                if (mkdir(buf, mode) < 0 && errno != EEXIST)
                        return negative_errno();
                *p = '/';
        }
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
                return negative_errno();
        return 0;
}

char *cache_dir_default(void) {
        const char *x = getenv("XDG_CACHE_HOME");
        char *p = NULL;
        if (x && x[0] == '/')
                return asprintf(&p, "%s/stockade", x) < 0 ? NULL : p;
        const char *h = getenv("HOME");
        if (!h || h[0] != '/')
                h = "/tmp";
        return asprintf(&p, "%s/.cache/stockade", h) < 0 ? NULL : p;
}

void layer_cache_close(struct layer_cache *c) {
        if (!c)
                return;
        sqlite3_finalize(c->get);
        sqlite3_finalize(c->put);
        sqlite3_finalize(c->touch);
        sqlite3_finalize(c->del);
        sqlite3_close(c->db);
        free(c->path);
        free(c);
}

static int sql_fail(struct layer_cache *c, const char *what) {
        return diag_error(c->diag, -EIO, "layer cache '%s': %s: %s", c->path, what, sqlite3_errmsg(c->db));
}

int layer_cache_open(const char *dir, struct diag *d, struct layer_cache **ret) {
        _cleanup_free_ char *def = NULL;
        int r;

        if (!dir) {
                def = cache_dir_default();
                if (!def)
                        return -ENOMEM;
                dir = def;
        }
        r = mkdir_p(dir, 0700);
        if (r < 0)
                return diag_error(d, r, "cannot create cache directory '%s': %s", dir, strerror(-r));

        _cleanup_(layer_cache_closep) struct layer_cache *c = calloc(1, sizeof *c);
        if (!c)
                return -ENOMEM;
        c->diag = d;
        if (asprintf(&c->path, "%s/layers.db", dir) < 0) {
                c->path = NULL;
                return -ENOMEM;
        }
        if (sqlite3_open_v2(c->path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                            NULL) != SQLITE_OK)
                return c->db ? sql_fail(c, "cannot open") : -ENOMEM;
        (void) chmod(c->path, 0600);
        sqlite3_busy_timeout(c->db, 10000);
        sqlite3_db_config(c->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
        sqlite3_db_config(c->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);

        /* Layer blobs are megabytes: read them through a mapping rather than one pread per page (a warm
         * scan spent most of its time in those system calls); big pages for new files. */
        const char *setup = "PRAGMA page_size=65536;"
                            "PRAGMA mmap_size=1073741824;"
                            "PRAGMA journal_mode=WAL;"
                            "PRAGMA synchronous=NORMAL;"
                            "CREATE TABLE IF NOT EXISTS layers("
                            "  key TEXT PRIMARY KEY,"
                            "  data BLOB NOT NULL,"
                            "  size INTEGER NOT NULL,"
                            "  created INTEGER NOT NULL,"
                            "  used INTEGER NOT NULL);";
        if (sqlite3_exec(c->db, setup, NULL, NULL, NULL) != SQLITE_OK)
                return sql_fail(c, "cannot initialize");
        if (sqlite3_prepare_v2(c->db, "SELECT data, used FROM layers WHERE key = ?1", -1, &c->get, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(c->db,
                               "INSERT OR REPLACE INTO layers(key, data, size, created, used) "
                               "VALUES(?1, ?2, ?3, ?4, ?4)",
                               -1, &c->put, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(c->db, "UPDATE layers SET used = ?2 WHERE key = ?1", -1, &c->touch, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(c->db, "DELETE FROM layers WHERE key = ?1", -1, &c->del, NULL) != SQLITE_OK)
                return sql_fail(c, "cannot prepare statements");
        *ret = TAKE_PTR(c);
        return 0;
}

int layer_cache_key(const char *diff_id, const char *rules_digest, char **ret) {
        char *k = NULL;
        if (asprintf(&k, "%s|a%d|%s", diff_id, LAYER_ANALYSIS_VERSION, rules_digest ? rules_digest : "-") < 0)
                return -ENOMEM;
        *ret = k;
        return 0;
}

/* Looks key up and hands the value to decode(); a value that does not decode is removed. 1 on a hit
 * (decoded), 0 on a miss, negative errno on failure. */
static int get_value(struct layer_cache *c, const char *key, int (*decode)(void *ud, const void *data, size_t len),
                     void *ud) {
        int r = 0;
        sqlite3_reset(c->get);
        sqlite3_bind_text(c->get, 1, key, -1, SQLITE_STATIC);
        int s = sqlite3_step(c->get);
        if (s == SQLITE_DONE)
                goto out;
        if (s != SQLITE_ROW) {
                r = sql_fail(c, "lookup failed");
                goto out;
        }
        const void *data = sqlite3_column_blob(c->get, 0);
        int len = sqlite3_column_bytes(c->get, 0);
        int64_t used = sqlite3_column_int64(c->get, 1);
        int k = decode(ud, data, (size_t) MAX(len, 0));
        sqlite3_reset(c->get);
        if (k == -ENOMEM) {
                r = k;
                goto out;
        }
        if (k < 0) {
                /* Stale (older version) or damaged: drop it and compute again. */
                diag_warn(c->diag, "dropping an unreadable cache entry for %.80s", key);
                sqlite3_reset(c->del);
                sqlite3_bind_text(c->del, 1, key, -1, SQLITE_STATIC);
                (void) sqlite3_step(c->del);
                sqlite3_reset(c->del);
                goto out;
        }
        /* Touch at most once a minute: warm scans should not write. */
        int64_t now = (int64_t) time(NULL);
        if (now - used > 60) {
                sqlite3_reset(c->touch);
                sqlite3_bind_text(c->touch, 1, key, -1, SQLITE_STATIC);
                sqlite3_bind_int64(c->touch, 2, now);
                (void) sqlite3_step(c->touch);
                sqlite3_reset(c->touch);
        }
        r = 1;
out:
        sqlite3_reset(c->get);
        sqlite3_clear_bindings(c->get);
        return r;
}

static int put_value(struct layer_cache *c, const char *key, const void *data, size_t len) {
        if (len > INT32_MAX)
                return -E2BIG;
        sqlite3_reset(c->put);
        sqlite3_bind_text(c->put, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_blob(c->put, 2, data, (int) len, SQLITE_STATIC);
        sqlite3_bind_int64(c->put, 3, (int64_t) len);
        sqlite3_bind_int64(c->put, 4, (int64_t) time(NULL));
        int s = sqlite3_step(c->put);
        sqlite3_reset(c->put);
        sqlite3_clear_bindings(c->put);
        if (s != SQLITE_DONE)
                return sql_fail(c, "cannot store an entry");
        return 0;
}

static int decode_layer(void *ud, const void *data, size_t len) {
        return layer_result_decode(data, len, ud);
}

int layer_cache_get(struct layer_cache *c, const char *key, struct layer_result **ret) {
        struct layer_result *res = NULL;
        int r = get_value(c, key, decode_layer, &res);
        if (r > 0)
                *ret = res;
        return r;
}

int layer_cache_put(struct layer_cache *c, const char *key, const struct layer_result *res) {
        _cleanup_free_ void *data = NULL;
        size_t len;
        int r = layer_result_encode(res, &data, &len);
        return r < 0 ? r : put_value(c, key, data, len);
}

struct snapshot_decode {
        struct arena *a;
        struct result_snapshot *sn;
};

static int decode_snapshot(void *ud, const void *data, size_t len) {
        struct snapshot_decode *x = ud;
        return result_snapshot_decode(data, len, x->a, x->sn);
}

int layer_cache_get_result(struct layer_cache *c, const char *key, struct arena *a, struct result_snapshot *ret) {
        struct result_snapshot sn;
        struct snapshot_decode x = { a, &sn };
        int r = get_value(c, key, decode_snapshot, &x);
        if (r > 0)
                *ret = sn;
        return r;
}

int layer_cache_put_result(struct layer_cache *c, const char *key, const struct result_snapshot *s) {
        _cleanup_free_ void *data = NULL;
        size_t len;
        int r = result_snapshot_encode(s, &data, &len);
        return r < 0 ? r : put_value(c, key, data, len);
}

int layer_cache_trim(struct layer_cache *c, uint64_t max_bytes) {
        sqlite3_stmt *st = NULL;
        int64_t total = 0;
        if (sqlite3_prepare_v2(c->db, "SELECT COALESCE(SUM(size), 0) FROM layers", -1, &st, NULL) != SQLITE_OK)
                return sql_fail(c, "cannot measure");
        if (sqlite3_step(st) == SQLITE_ROW)
                total = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        if ((uint64_t) total <= max_bytes)
                return 0;
        /* Delete oldest-used entries until under the cap, in one statement (window function). */
        char sql[256];
        snprintf(sql, sizeof sql,
                 "DELETE FROM layers WHERE key IN (SELECT key FROM (SELECT key, SUM(size) OVER "
                 "(ORDER BY used DESC, key) AS run FROM layers) WHERE run > %llu)",
                 (unsigned long long) max_bytes);
        if (sqlite3_exec(c->db, sql, NULL, NULL, NULL) != SQLITE_OK)
                return sql_fail(c, "cannot trim");
        return 0;
}
