/* SPDX-License-Identifier: Apache-2.0 */
/* models.db: the models' persistent form (model.h). One row per model, one row per entry; WAL; every
 * write one transaction. PRAGMA user_version holds the schema version. */
#include <inttypes.h>

#include "model-internal.h"

#define SCHEMA_VERSION 1

static const char schema[] = "CREATE TABLE IF NOT EXISTS models("
                             "  key TEXT PRIMARY KEY,"
                             "  name TEXT NOT NULL DEFAULT '',"
                             "  mode TEXT NOT NULL,"
                             "  learn_start INTEGER NOT NULL DEFAULT 0,"
                             "  last_growth INTEGER NOT NULL DEFAULT 0,"
                             "  last_change INTEGER NOT NULL DEFAULT 0,"
                             "  last_seen INTEGER NOT NULL DEFAULT 0,"
                             "  observations INTEGER NOT NULL DEFAULT 0,"
                             "  overflow INTEGER NOT NULL DEFAULT 0);"
                             "CREATE TABLE IF NOT EXISTS entries("
                             "  model TEXT NOT NULL,"
                             "  tab INTEGER NOT NULL,"
                             "  key TEXT NOT NULL,"
                             "  count INTEGER NOT NULL,"
                             "  first INTEGER NOT NULL,"
                             "  last INTEGER NOT NULL,"
                             "  extra INTEGER NOT NULL,"
                             "  PRIMARY KEY(model, tab, key)) WITHOUT ROWID;";

static int sql_error(struct model_registry *reg, struct diag *d, const char *what) {
        return diag_error(d, -EIO, "models database '%s': %s: %s", reg->db_path, what,
                          sqlite3_errmsg(reg->db));
}

int mstore_open(struct model_registry *reg, const char *path, struct diag *d) {
        if (sqlite3_open_v2(path, &reg->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                            NULL) != SQLITE_OK) {
                int r = diag_error(d, -EIO, "cannot open models database '%s': %s", path,
                                   reg->db ? sqlite3_errmsg(reg->db) : "out of memory");
                sqlite3_close(reg->db);
                reg->db = NULL;
                return r;
        }
        sqlite3_busy_timeout(reg->db, 10000);
        sqlite3_db_config(reg->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
        sqlite3_db_config(reg->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
        if (sqlite3_exec(reg->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL, NULL, NULL) !=
            SQLITE_OK)
                return sql_error(reg, d, "cannot set WAL mode");
        sqlite3_stmt *st = NULL;
        int version = -1;
        if (sqlite3_prepare_v2(reg->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
                version = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        if (version < 0)
                return sql_error(reg, d, "not a database");
        if (version > SCHEMA_VERSION)
                return diag_error(
                        d, -EPROTONOSUPPORT,
                        "models database '%s' has schema version %d; this stockade knows %d (newer "
                        "stockade?)",
                        path, version, SCHEMA_VERSION);
        if (sqlite3_exec(reg->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
                return sql_error(reg, d, "cannot begin");
        if (sqlite3_exec(reg->db, schema, NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(reg->db, "PRAGMA user_version=1", NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(reg->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
                int r = sql_error(reg, d, "cannot create the schema");
                sqlite3_exec(reg->db, "ROLLBACK", NULL, NULL, NULL);
                return r;
        }
        return 0;
}

void mstore_close(struct model_registry *reg) {
        if (reg->db)
                sqlite3_close(reg->db);
        reg->db = NULL;
}

static const char *col_text(sqlite3_stmt *st, int i) {
        const unsigned char *t = sqlite3_column_text(st, i);
        return t ? (const char *) t : "";
}

int mstore_load(struct model_registry *reg, struct diag *d) {
        sqlite3_stmt *st = NULL, *es = NULL;
        int r = 0;
        if (sqlite3_prepare_v2(reg->db,
                               "SELECT key, name, mode, learn_start, last_growth, last_change, last_seen, "
                               "observations, overflow FROM models ORDER BY key",
                               -1, &st, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(reg->db,
                               "SELECT tab, key, count, first, last, extra FROM entries WHERE model = ?1",
                               -1, &es, NULL) != SQLITE_OK) {
                r = sql_error(reg, d, "cannot read");
                goto out;
        }
        while (r >= 0 && sqlite3_step(st) == SQLITE_ROW) {
                if (hashmap_size(reg->models) >= MODEL_MAX_MODELS) {
                        diag_warn(d, "models database '%s': more than %d models, the rest are not loaded",
                                  reg->db_path, MODEL_MAX_MODELS);
                        break;
                }
                struct model *m = model_new_(col_text(st, 0), col_text(st, 1), 0);
                if (!m) {
                        r = -ENOMEM;
                        break;
                }
                if (model_mode_from_string(col_text(st, 2), &m->mode) < 0) {
                        diag_warn(d, "models database '%s': model '%s' has an unknown mode '%s'; learning",
                                  reg->db_path, m->key, col_text(st, 2));
                        m->mode = MODEL_LEARN;
                }
                m->learn_start = (uint64_t) sqlite3_column_int64(st, 3);
                m->last_growth = (uint64_t) sqlite3_column_int64(st, 4);
                m->last_change = (uint64_t) sqlite3_column_int64(st, 5);
                m->last_seen = (uint64_t) sqlite3_column_int64(st, 6);
                m->observations = (uint64_t) sqlite3_column_int64(st, 7);
                m->overflow = (uint64_t) sqlite3_column_int64(st, 8);
                sqlite3_reset(es);
                sqlite3_bind_text(es, 1, m->key, -1, SQLITE_STATIC);
                while (sqlite3_step(es) == SQLITE_ROW) {
                        int t = sqlite3_column_int(es, 0);
                        if (t < 0 || t >= _T_MAX)
                                continue;
                        /* what was stored under the caps is loaded whole (force) */
                        r = model_put_(m, (enum mtable) t, col_text(es, 1),
                                       (uint64_t) sqlite3_column_int64(es, 2),
                                       (uint64_t) sqlite3_column_int64(es, 3),
                                       (uint64_t) sqlite3_column_int64(es, 4),
                                       (uint32_t) sqlite3_column_int64(es, 5) & _MACC_ALL, true, NULL);
                        if (r < 0)
                                break;
                        r = 0;
                }
                /* loaded entries are not dirty */
                for (int t = 0; t < _T_MAX; t++) {
                        const char *k;
                        struct mentry *e;
                        HASHMAP_FOREACH (k, e, m->t[t], i)
                                e->dirty = false;
                }
                m->dirty = false;
                if (r < 0 || hashmap_put(reg->models, m->key, m, NULL) < 0) {
                        model_free_(m);
                        r = r < 0 ? r : -ENOMEM;
                }
        }
out:
        sqlite3_finalize(st);
        sqlite3_finalize(es);
        return r;
}

static int write_model(struct model_registry *reg, sqlite3_stmt *mst, sqlite3_stmt *est, sqlite3_stmt *dst,
                       struct model *m) {
        sqlite3_reset(mst);
        sqlite3_bind_text(mst, 1, m->key, -1, SQLITE_STATIC);
        sqlite3_bind_text(mst, 2, m->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(mst, 3, model_mode_name(m->mode), -1, SQLITE_STATIC);
        sqlite3_bind_int64(mst, 4, (int64_t) m->learn_start);
        sqlite3_bind_int64(mst, 5, (int64_t) m->last_growth);
        sqlite3_bind_int64(mst, 6, (int64_t) m->last_change);
        sqlite3_bind_int64(mst, 7, (int64_t) m->last_seen);
        sqlite3_bind_int64(mst, 8, (int64_t) m->observations);
        sqlite3_bind_int64(mst, 9, (int64_t) m->overflow);
        if (sqlite3_step(mst) != SQLITE_DONE)
                return -EIO;
        if (m->rewrite) {
                sqlite3_reset(dst);
                sqlite3_bind_text(dst, 1, m->key, -1, SQLITE_STATIC);
                if (sqlite3_step(dst) != SQLITE_DONE)
                        return -EIO;
        }
        for (int t = 0; t < _T_MAX; t++) {
                const char *k;
                struct mentry *e;
                HASHMAP_FOREACH (k, e, m->t[t], i) {
                        if (!e->dirty && !m->rewrite)
                                continue;
                        sqlite3_reset(est);
                        sqlite3_bind_text(est, 1, m->key, -1, SQLITE_STATIC);
                        sqlite3_bind_int(est, 2, t);
                        sqlite3_bind_text(est, 3, e->key, -1, SQLITE_STATIC);
                        sqlite3_bind_int64(est, 4, (int64_t) e->count);
                        sqlite3_bind_int64(est, 5, (int64_t) e->first);
                        sqlite3_bind_int64(est, 6, (int64_t) e->last);
                        sqlite3_bind_int64(est, 7, e->extra);
                        if (sqlite3_step(est) != SQLITE_DONE)
                                return -EIO;
                }
        }
        return 0;
}

static void mark_clean(struct model *m) {
        for (int t = 0; t < _T_MAX; t++) {
                const char *k;
                struct mentry *e;
                HASHMAP_FOREACH (k, e, m->t[t], i)
                        e->dirty = false;
        }
        m->dirty = m->rewrite = false;
}

int mstore_flush(struct model_registry *reg, struct model *only) {
        sqlite3_stmt *mst = NULL, *est = NULL, *dst = NULL;
        const char *k;
        struct model *m;
        bool any = only != NULL;
        int r = 0;

        if (!reg->db)
                return -EBADF;
        if (!only)
                HASHMAP_FOREACH (k, m, reg->models, i)
                        any = any || m->dirty;
        if (!any)
                return 0;
        if (sqlite3_prepare_v2(
                    reg->db,
                    "INSERT OR REPLACE INTO models(key, name, mode, learn_start, last_growth, "
                    "last_change, last_seen, observations, overflow) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)",
                    -1, &mst, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(reg->db,
                               "INSERT OR REPLACE INTO entries(model, tab, key, count, first, last, extra) "
                               "VALUES(?1,?2,?3,?4,?5,?6,?7)",
                               -1, &est, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(reg->db, "DELETE FROM entries WHERE model = ?1", -1, &dst, NULL) !=
                    SQLITE_OK) {
                r = -EIO;
                goto out;
        }
        if (sqlite3_exec(reg->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
                r = -EIO;
                goto out;
        }
        if (only)
                r = write_model(reg, mst, est, dst, only);
        else
                HASHMAP_FOREACH (k, m, reg->models, i)
                        if (r >= 0 && m->dirty)
                                r = write_model(reg, mst, est, dst, m);
        if (r < 0 || sqlite3_exec(reg->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
                sqlite3_exec(reg->db, "ROLLBACK", NULL, NULL, NULL);
                r = -EIO;
                goto out;
        }
        if (only)
                mark_clean(only);
        else
                HASHMAP_FOREACH (k, m, reg->models, i)
                        if (m->dirty)
                                mark_clean(m);
out:
        sqlite3_finalize(mst);
        sqlite3_finalize(est);
        sqlite3_finalize(dst);
        return r;
}
