/* SPDX-License-Identifier: Apache-2.0 */
/* rpmdb.sqlite: rpm 4.16 and later (Fedora 33+, RHEL/CentOS/Rocky/Alma 9, Amazon Linux 2023, Mariner …).
 * One table, Packages(hnum INTEGER PRIMARY KEY, blob BLOB), holds the header blobs.
 *
 * SQLite reads the database straight from our buffer through a small read-only VFS, registered for the
 * duration of one read: no path, no journal or WAL lookups, nothing written anywhere. The database is
 * opened the way SQLite's documentation recommends for untrusted files: read-only and immutable,
 * defensive mode, untrusted schema, no triggers or views, small limits, and a cap on the work of the
 * query, so a hostile file ends in an error message rather than a hang or unbounded memory.
 *
 * SQLITE_NOMEM is a warning here, not -ENOMEM: SQLite also reports some kinds of corruption as "out of
 * memory" (the fuzzer found one), and a damaged database must not fail the whole layer.
 *
 * The write-ahead log (rpmdb.sqlite-wal) is not read: rpm checkpoints it when it closes the database, so
 * in an image it is empty unless rpm was killed mid-transaction. */

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rpmdb.h"

/* VM instructions one database may cost: reading every row of a 512 MiB table is far below this. */
#define SQLITE_OP_BUDGET     (200 * 1000 * 1000)
#define SQLITE_PROGRESS_STEP 1000

struct mem_vfs {
        sqlite3_vfs vfs;
        char name[64];
        const uint8_t *data;
        size_t size;
};

struct mem_file {
        sqlite3_file base;
        const uint8_t *data;
        sqlite3_int64 size;
};

static int mem_close(sqlite3_file *f) {
        return SQLITE_OK;
}

static int mem_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off) {
        struct mem_file *m = (struct mem_file *) f;
        if (amt < 0 || off < 0)
                return SQLITE_IOERR_READ;
        size_t got = 0;
        if (off < m->size)
                got = (size_t) MIN((sqlite3_int64) amt, m->size - off);
        if (got)
                memcpy(buf, m->data + off, got);
        if (got < (size_t) amt) {
                /* SQLite requires the rest to be zeroed on a short read. */
                memset((uint8_t *) buf + got, 0, (size_t) amt - got);
                return SQLITE_IOERR_SHORT_READ;
        }
        return SQLITE_OK;
}

static int mem_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off) {
        return SQLITE_READONLY;
}

static int mem_truncate(sqlite3_file *f, sqlite3_int64 size) {
        return SQLITE_READONLY;
}

static int mem_sync(sqlite3_file *f, int flags) {
        return SQLITE_OK;
}

static int mem_file_size(sqlite3_file *f, sqlite3_int64 *ret) {
        *ret = ((struct mem_file *) f)->size;
        return SQLITE_OK;
}

static int mem_lock(sqlite3_file *f, int level) {
        return SQLITE_OK;
}

static int mem_check_reserved_lock(sqlite3_file *f, int *ret) {
        *ret = 0;
        return SQLITE_OK;
}

static int mem_file_control(sqlite3_file *f, int op, void *arg) {
        return SQLITE_NOTFOUND;
}

static int mem_sector_size(sqlite3_file *f) {
        return 512;
}

static int mem_device_characteristics(sqlite3_file *f) {
        return SQLITE_IOCAP_IMMUTABLE;
}

static const sqlite3_io_methods mem_io = {
        .iVersion = 1,
        .xClose = mem_close,
        .xRead = mem_read,
        .xWrite = mem_write,
        .xTruncate = mem_truncate,
        .xSync = mem_sync,
        .xFileSize = mem_file_size,
        .xLock = mem_lock,
        .xUnlock = mem_lock,
        .xCheckReservedLock = mem_check_reserved_lock,
        .xFileControl = mem_file_control,
        .xSectorSize = mem_sector_size,
        .xDeviceCharacteristics = mem_device_characteristics,
};

static int vfs_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *ret_flags) {
        struct mem_vfs *v = vfs->pAppData;
        struct mem_file *m = (struct mem_file *) f;

        m->base.pMethods = NULL;
        /* The database and nothing else: no journal, WAL, or temporary files. */
        if (!(flags & SQLITE_OPEN_MAIN_DB) || !(flags & SQLITE_OPEN_READONLY))
                return SQLITE_CANTOPEN;
        m->data = v->data;
        m->size = (sqlite3_int64) v->size;
        m->base.pMethods = &mem_io;
        if (ret_flags)
                *ret_flags = flags;
        return SQLITE_OK;
}

static int vfs_delete(sqlite3_vfs *vfs, const char *name, int sync_dir) {
        return SQLITE_IOERR_DELETE;
}

static int vfs_access(sqlite3_vfs *vfs, const char *name, int flags, int *ret) {
        *ret = 0;
        return SQLITE_OK;
}

static int vfs_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out) {
        if (n <= 0 || snprintf(out, (size_t) n, "%s", name) >= n)
                return SQLITE_CANTOPEN;
        return SQLITE_OK;
}

static void *vfs_dlopen(sqlite3_vfs *vfs, const char *name) {
        return NULL;
}

static void vfs_dlerror(sqlite3_vfs *vfs, int n, char *msg) {
        if (n > 0)
                snprintf(msg, (size_t) n, "not supported");
}

static void (*vfs_dlsym(sqlite3_vfs *vfs, void *h, const char *sym))(void) {
        return NULL;
}

static void vfs_dlclose(sqlite3_vfs *vfs, void *h) {
}

static int vfs_randomness(sqlite3_vfs *vfs, int n, char *out) {
        if (n > 0)
                memset(out, 0, (size_t) n);
        return n;
}

static int vfs_sleep(sqlite3_vfs *vfs, int us) {
        return 0;
}

static int vfs_current_time(sqlite3_vfs *vfs, double *ret) {
        *ret = 2440587.5; /* the Unix epoch as a Julian day: nothing here needs the time */
        return SQLITE_OK;
}

static int vfs_get_last_error(sqlite3_vfs *vfs, int n, char *msg) {
        return 0;
}

static int on_progress(void *userdata) {
        long *budget = userdata;
        *budget -= SQLITE_PROGRESS_STEP;
        return *budget <= 0;
}

static void warn_sqlite(struct rpmdb_walk *w, sqlite3 *db, const char *what) {
        layer_ctx_warn(w->ctx, "rpm database '%s' (sqlite) is damaged or not readable: %s: %s", w->path,
                       what, db ? sqlite3_errmsg(db) : "out of memory");
}

static void sqlite3_closep(sqlite3 **db) {
        if (*db)
                sqlite3_close(*db);
}

static void sqlite3_finalizep(sqlite3_stmt **s) {
        if (*s)
                sqlite3_finalize(*s);
}

/* Hardens a freshly opened connection. */
static int harden(sqlite3 *db) {
        static const int off[] = {SQLITE_DBCONFIG_TRUSTED_SCHEMA, SQLITE_DBCONFIG_ENABLE_TRIGGER,
                                  SQLITE_DBCONFIG_ENABLE_VIEW, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION};
        int r = sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *) NULL);
        for (size_t i = 0; i < ELEMENTSOF(off) && r == SQLITE_OK; i++)
                r = sqlite3_db_config(db, off[i], 0, (int *) NULL);
        if (r != SQLITE_OK)
                return r;
        sqlite3_limit(db, SQLITE_LIMIT_LENGTH, (int) RPMDB_MAX_HEADER_BYTES);
        sqlite3_limit(db, SQLITE_LIMIT_SQL_LENGTH, 1 << 20);
        sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
        sqlite3_limit(db, SQLITE_LIMIT_EXPR_DEPTH, 200);
        sqlite3_limit(db, SQLITE_LIMIT_WORKER_THREADS, 0);
        return sqlite3_exec(db,
                            "PRAGMA trusted_schema = OFF;"
                            "PRAGMA query_only = ON;"
                            "PRAGMA cell_size_check = ON;"
                            "PRAGMA mmap_size = 0;"
                            "PRAGMA temp_store = MEMORY;"
                            "PRAGMA cache_size = -8192;", /* KiB */
                            NULL, NULL, NULL);
}

static int read_packages(struct rpmdb_walk *w, sqlite3 *db) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int k;

        /* A real table, not a virtual one that would run code of the file's choosing. */
        k = sqlite3_prepare_v2(db,
                               "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'Packages'",
                               -1, &st, NULL);
        if (k != SQLITE_OK) {
                warn_sqlite(w, db, "reading the schema");
                return 0;
        }
        k = sqlite3_step(st);
        if (k != SQLITE_ROW) {
                if (k == SQLITE_DONE)
                        layer_ctx_warn(w->ctx, "rpm database '%s' (sqlite) has no Packages table", w->path);
                else
                        warn_sqlite(w, db, "reading the schema");
                return 0;
        }
        const char *sql = (const char *) sqlite3_column_text(st, 0);
        if (!sql || strncasecmp(sql, "CREATE TABLE", 12) != 0) {
                layer_ctx_warn(w->ctx, "rpm database '%s' (sqlite): Packages is not a plain table", w->path);
                return 0;
        }
        sqlite3_finalize(TAKE_PTR(st));

        k = sqlite3_prepare_v2(db, "SELECT blob FROM Packages", -1, &st, NULL);
        if (k != SQLITE_OK) {
                warn_sqlite(w, db, "querying Packages");
                return 0;
        }
        uint64_t not_blobs = 0;
        while (!w->stop && (k = sqlite3_step(st)) == SQLITE_ROW) {
                if (sqlite3_column_type(st, 0) != SQLITE_BLOB) {
                        not_blobs++;
                        continue;
                }
                const void *blob = sqlite3_column_blob(st, 0);
                int n = sqlite3_column_bytes(st, 0);
                if (!blob || n <= 0) {
                        not_blobs++;
                        continue;
                }
                if (!rpmdb_spend(w, (uint64_t) n))
                        break;
                int r = rpmdb_add_header(w, blob, (size_t) n);
                if (r < 0)
                        return r;
        }
        if (not_blobs)
                layer_ctx_warn(w->ctx, "rpm database '%s' (sqlite): %llu rows without a header blob",
                               w->path, (unsigned long long) not_blobs);
        if (!w->stop && k != SQLITE_DONE) {
                warn_sqlite(w, db,
                            k == SQLITE_INTERRUPT ? "reading Packages (too much work)" : "reading Packages");
        }
        return 0;
}

static uint32_t be32(const uint8_t *p) {
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | (uint32_t) p[3];
}

/* SQLite reads missing bytes of a cut-off last page as zeros, which can go unnoticed: compare the file's
 * size with the size its header records (valid when the "version-valid-for" number matches the change
 * counter, as SQLite itself decides). */
static void check_size(struct rpmdb_walk *w, const uint8_t *data, size_t n) {
        if (n < 100) {
                layer_ctx_warn(w->ctx, "rpm database '%s' (sqlite) is truncated: %zu bytes", w->path, n);
                return;
        }
        uint32_t pagesize = (uint32_t) data[16] << 8 | data[17];
        if (pagesize == 1)
                pagesize = 65536;
        if (pagesize < 512 || (pagesize & (pagesize - 1)))
                return; /* SQLite will say what is wrong */
        uint64_t want = n;
        if (be32(data + 92) == be32(data + 24) && be32(data + 28) != 0)
                want = (uint64_t) be32(data + 28) * pagesize;
        if (n % pagesize || n < want)
                layer_ctx_warn(w->ctx, "rpm database '%s' (sqlite) is truncated: %zu bytes, %llu expected",
                               w->path, n,
                               (unsigned long long) MAX(want, (n / pagesize + 1) * (uint64_t) pagesize));
}

int rpmdb_sqlite_read(struct rpmdb_walk *w, const uint8_t *data, size_t n) {
        _cleanup_(sqlite3_closep) sqlite3 *db = NULL;
        struct mem_vfs v = {
                .vfs =
                        {
                                .iVersion = 1,
                                .szOsFile = sizeof(struct mem_file),
                                .mxPathname = 256,
                                .xOpen = vfs_open,
                                .xDelete = vfs_delete,
                                .xAccess = vfs_access,
                                .xFullPathname = vfs_full_pathname,
                                .xDlOpen = vfs_dlopen,
                                .xDlError = vfs_dlerror,
                                .xDlSym = vfs_dlsym,
                                .xDlClose = vfs_dlclose,
                                .xRandomness = vfs_randomness,
                                .xSleep = vfs_sleep,
                                .xCurrentTime = vfs_current_time,
                                .xGetLastError = vfs_get_last_error,
                        },
                .data = data,
                .size = n,
        };
        long budget = SQLITE_OP_BUDGET;
        int k, r = 0;

        w->budget = n;
        check_size(w, data, n);

        /* A name of its own for each read, so that concurrent reads (one per layer) never meet. */
        snprintf(v.name, sizeof v.name, "stockade-rpmdb-%p", (void *) &v);
        v.vfs.zName = v.name;
        v.vfs.pAppData = &v;
        k = sqlite3_vfs_register(&v.vfs, 0);
        if (k == SQLITE_NOMEM)
                return -ENOMEM;
        if (k != SQLITE_OK) {
                layer_ctx_warn(w->ctx, "cannot read rpm database '%s': sqlite initialization failed",
                               w->path);
                return 0;
        }

        k = sqlite3_open_v2("file:rpmdb.sqlite?immutable=1", &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
                            v.name);
        if (k == SQLITE_OK)
                k = harden(db);
        if (k == SQLITE_OK) {
                sqlite3_progress_handler(db, SQLITE_PROGRESS_STEP, on_progress, &budget);
                r = read_packages(w, db);
        } else
                warn_sqlite(w, db, "opening");
        sqlite3_close(TAKE_PTR(db));
        sqlite3_vfs_unregister(&v.vfs);
        return r;
}
