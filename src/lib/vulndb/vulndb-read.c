/* SPDX-License-Identifier: Apache-2.0 */
/* Reading the database: open (with the cheap integrity checks), lookups (one rowid read per package,
 * statements decoded in place, alias merging), info and the full verification. */
#include <fcntl.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>

#include "vulndb-internal.h"

#define MAX_PROBE   64
#define EXTRAS_BITS 31 /* details_ref = vulnerability row << 31 | extras row */

struct vulndb {
        sqlite3 *db;
        struct diag *d;
        char *path;
        sqlite3_stmt *get_pkg, *get_details, *get_extras;
        struct arena *scratch; /* what the last lookup handed out */
        struct arena *meta;    /* for the life of the handle */
        const char **sources;
        size_t n_sources;
        int64_t n_vulns, n_extras;
        uint64_t file_size;
        int64_t page_count;
};

static int corrupt(struct vulndb *db, const char *what) {
        return diag_error(
                db->d, -EBADMSG,
                "vulnerability database '%s' is damaged (%s); rebuild it with 'stockade db build' or "
                "'stockade db update'",
                db->path, what);
}

static int sql_error(struct vulndb *db, int rc) {
        char what[160];
        snprintf(what, sizeof what, "%s", sqlite3_errmsg(db->db));
        if (rc == SQLITE_NOMEM)
                return -ENOMEM;
        return corrupt(db, what);
}

void vulndb_close(struct vulndb *db) {
        if (!db)
                return;
        sqlite3_finalize(db->get_pkg);
        sqlite3_finalize(db->get_details);
        sqlite3_finalize(db->get_extras);
        sqlite3_close(db->db);
        arena_free(db->scratch);
        arena_free(db->meta);
        free(db->path);
        free(db);
}

static uint32_t be32(const unsigned char *p) {
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

/* The SQLite header (https://sqlite.org/fileformat.html#the_database_header): magic, page size, the
 * in-header page count (valid when the version-valid-for number equals the change counter), user
 * version (our schema) and application id ("STKV"). */
static int check_header(struct vulndb *db) {
        unsigned char h[100];
        struct stat st;
        _cleanup_close_ int fd = open(db->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                if (errno == ENOENT)
                        return diag_error(db->d, -ENOENT,
                                          "no vulnerability database at '%s'; run 'stockade db build' or "
                                          "'stockade db update --online'",
                                          db->path);
                return diag_error(db->d, negative_errno(), "cannot open vulnerability database '%s': %s",
                                  db->path, strerror(errno));
        }
        if (fstat(fd, &st) < 0)
                return diag_error(db->d, negative_errno(), "cannot read '%s': %s", db->path,
                                  strerror(errno));
        if (!S_ISREG(st.st_mode))
                return diag_error(db->d, -EBADMSG,
                                  "'%s' is not a stockade vulnerability database (not a file)", db->path);
        db->file_size = (uint64_t) st.st_size;
        ssize_t n = pread(fd, h, sizeof h, 0);
        if (n < 0)
                return diag_error(db->d, negative_errno(), "cannot read '%s': %s", db->path,
                                  strerror(errno));
        if (n < (ssize_t) sizeof h || memcmp(h, "SQLite format 3", 16) != 0)
                return diag_error(db->d, -EBADMSG, "'%s' is not a stockade vulnerability database (%s)",
                                  db->path, n == 0 ? "empty file" : "not an SQLite file");
        if (be32(h + 68) != VDB_APPLICATION_ID)
                return diag_error(db->d, -EBADMSG,
                                  "'%s' is not a stockade vulnerability database (an SQLite file of another "
                                  "application)",
                                  db->path);
        uint32_t schema = be32(h + 60);
        if (schema != VULNDB_SCHEMA_VERSION)
                return diag_error(
                        db->d, -EPROTO,
                        "vulnerability database '%s' has schema version %u, this stockade reads %d; "
                        "rebuild it with 'stockade db build' or 'stockade db update'",
                        db->path, schema, VULNDB_SCHEMA_VERSION);
        uint32_t page_size = (uint32_t) h[16] << 8 | h[17];
        if (page_size == 1)
                page_size = 65536;
        if (page_size < 512 || (page_size & (page_size - 1)))
                return corrupt(db, "bad page size in the header");
        uint32_t pages = be32(h + 28);
        if (be32(h + 24) != be32(h + 92))
                return corrupt(db, "the header's page count is stale");
        if ((uint64_t) pages * page_size != db->file_size) {
                char what[128];
                snprintf(what, sizeof what, "%llu bytes where the header says %llu: truncated or extended",
                         (unsigned long long) db->file_size, (unsigned long long) pages * page_size);
                return corrupt(db, what);
        }
        db->page_count = pages;
        return 0;
}

/* "file:" URI for immutable=1 (no locks, no change detection: the file is replaced, never changed). */
static char *uri_for(const char *path) {
        _cleanup_free_ char *abs = NULL;
        if (path[0] != '/') {
                char cwd[4096];
                if (!getcwd(cwd, sizeof cwd) || asprintf(&abs, "%s/%s", cwd, path) < 0)
                        return NULL;
                path = abs;
        }
        size_t n = strlen(path);
        char *u = malloc(n * 3 + 32);
        if (!u)
                return NULL;
        char *q = stpcpy(u, "file:");
        for (const unsigned char *p = (const unsigned char *) path; *p; p++) {
                if (*p == '%' || *p == '?' || *p == '#' || *p < 0x21 || *p >= 0x7f)
                        q += sprintf(q, "%%%02X", *p);
                else
                        *q++ = (char) *p;
        }
        strcpy(q, "?immutable=1");
        return u;
}

static int read_meta(struct vulndb *db, const char *key, char *out, size_t size) {
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(db->db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL);
        if (rc != SQLITE_OK)
                return rc == SQLITE_ERROR
                               ? corrupt(db, "no meta table: not a stockade vulnerability database")
                               : sql_error(db, rc);
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        int r = 0;
        if (rc == SQLITE_ROW) {
                const char *v = (const char *) sqlite3_column_text(st, 0);
                if (!v || strlen(v) >= size)
                        r = corrupt(db, "meta value too long");
                else
                        strcpy(out, v);
        } else if (rc == SQLITE_DONE) {
                char what[96];
                snprintf(what, sizeof what, "meta '%s' missing: incomplete build", key);
                r = corrupt(db, what);
        } else
                r = sql_error(db, rc);
        sqlite3_finalize(st);
        return r;
}

static int64_t count_rows(struct vulndb *db, const char *sql) {
        sqlite3_stmt *st = NULL;
        int64_t v = -1;
        if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
                v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return v;
}

int vulndb_open(const char *path, struct diag *d, struct vulndb **ret) {
        _cleanup_(vulndb_closep) struct vulndb *db = calloc(1, sizeof *db);
        _cleanup_free_ char *uri = NULL;
        char v[128];
        int r, rc;

        if (!db || !(db->path = strdup(path)) || !(db->meta = arena_new(0)) || !(db->scratch = arena_new(0)))
                return -ENOMEM;
        db->d = d;
        if ((r = check_header(db)) < 0)
                return r;
        if (!(uri = uri_for(path)))
                return -ENOMEM;
        rc = sqlite3_open_v2(uri, &db->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX,
                             NULL);
        if (rc != SQLITE_OK)
                return db->db ? sql_error(db, rc) : -ENOMEM;
        sqlite3_db_config(db->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
        sqlite3_db_config(db->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
        (void) sqlite3_exec(db->db, "PRAGMA mmap_size=268435456", NULL, NULL, NULL);

        if ((r = read_meta(db, "magic", v, sizeof v)) < 0)
                return r;
        if (!streq(v, VDB_MAGIC))
                return diag_error(d, -EBADMSG, "'%s' is not a stockade vulnerability database (wrong magic)",
                                  path);
        if ((r = read_meta(db, "schema_version", v, sizeof v)) < 0)
                return r;
        if (atoi(v) != VULNDB_SCHEMA_VERSION)
                return diag_error(
                        d, -EPROTO,
                        "vulnerability database '%s' has schema version %s, this stockade reads %d", path, v,
                        VULNDB_SCHEMA_VERSION);
        if ((r = read_meta(db, "checksum", v, sizeof v)) < 0)
                return r;
        if (!digest_is_valid_sha256(v))
                return corrupt(db, "bad content checksum in meta");
        if ((r = read_meta(db, "page_count", v, sizeof v)) < 0)
                return r;
        if (strtoll(v, NULL, 10) != db->page_count)
                return corrupt(db, "page count differs from the one recorded when it was built");
        if ((r = read_meta(db, "vulns", v, sizeof v)) < 0)
                return r;
        db->n_vulns = strtoll(v, NULL, 10);

        /* source names, by index (statements carry index = id - 1) */
        sqlite3_stmt *st = NULL;
        if ((rc = sqlite3_prepare_v2(db->db, "SELECT id, name FROM sources ORDER BY id", -1, &st, NULL)) !=
            SQLITE_OK)
                return sql_error(db, rc);
        VEC(const char *) names = {0};
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                const char *name = (const char *) sqlite3_column_text(st, 1);
                if (sqlite3_column_int64(st, 0) != (int64_t) names.n + 1 || !name) {
                        rc = SQLITE_CORRUPT;
                        break;
                }
                const char *copy = arena_strdup(db->meta, name);
                if (!copy || VEC_PUSH(&names, copy) < 0) {
                        rc = SQLITE_NOMEM;
                        break;
                }
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
                VEC_FREE(&names);
                return rc == SQLITE_CORRUPT ? corrupt(db, "bad sources table") : sql_error(db, rc);
        }
        db->n_sources = names.n;
        db->sources = arena_memdup(db->meta, names.items, MAX(names.n, (size_t) 1) * sizeof *names.items);
        VEC_FREE(&names);
        if (!db->sources)
                return -ENOMEM;
        db->n_extras = -1; /* counted on first use by verify */

        if ((rc = sqlite3_prepare_v2(db->db, "SELECT ecosystem, name, data FROM packages WHERE id = ?1", -1,
                                     &db->get_pkg, NULL)) != SQLITE_OK ||
            (rc = sqlite3_prepare_v2(db->db, "SELECT data FROM vulns WHERE id = ?1", -1, &db->get_details,
                                     NULL)) != SQLITE_OK ||
            (rc = sqlite3_prepare_v2(db->db, "SELECT data FROM extras WHERE id = ?1", -1, &db->get_extras,
                                     NULL)) != SQLITE_OK)
                return sql_error(db, rc);
        *ret = TAKE_PTR(db);
        return 0;
}

/* ---- lookups ---- */

/* Reads one blob by rowid into the arena (NULL when there is no such row). */
static int read_blob(struct vulndb *db, sqlite3_stmt *st, int64_t id, struct arena *a, void **ret,
                     size_t *ret_len) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, id);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) {
                sqlite3_reset(st);
                return corrupt(db, "a record refers to a missing row");
        }
        if (rc != SQLITE_ROW) {
                int r = sql_error(db, rc);
                sqlite3_reset(st);
                return r;
        }
        const void *p = sqlite3_column_blob(st, 0);
        size_t n = (size_t) sqlite3_column_bytes(st, 0);
        void *copy = arena_memdup(a, p ? p : "", n);
        sqlite3_reset(st);
        if (!copy)
                return -ENOMEM;
        *ret = copy;
        *ret_len = n;
        return 0;
}

static int fill_details(struct vulndb *db, struct vuln_affected *a, struct arena *arena) {
        int64_t vuln = a->details_ref >> EXTRAS_BITS, extras = a->details_ref & ((1LL << EXTRAS_BITS) - 1);
        void *p;
        size_t n;
        int r;
        if (vuln > 0) {
                if ((r = read_blob(db, db->get_details, vuln, arena, &p, &n)) < 0)
                        return r;
                if (vdb_decode_details(p, n, arena, &a->summary, &a->published, &a->modified, &a->cwes,
                                       &a->related) < 0)
                        return corrupt(db, "a vulnerability record fails its check");
        }
        if (extras > 0) {
                if ((r = read_blob(db, db->get_extras, extras, arena, &p, &n)) < 0)
                        return r;
                if (vdb_decode_extras(p, n, &a->ecosystem_specific) < 0)
                        return corrupt(db, "an ecosystem_specific record fails its check");
        }
        return 0;
}

int vulndb_fill_details(struct vulndb *db, struct vuln_affected *a, struct arena *arena) {
        return fill_details(db, a, arena);
}

/* Union-find over statement indexes. */
static size_t find(size_t *parent, size_t i) {
        while (parent[i] != i)
                i = parent[i] = parent[parent[i]];
        return i;
}

static bool same_range(const struct vuln_range *x, const struct vuln_range *y) {
        if (x->type != y->type || x->n_events != y->n_events)
                return false;
        for (size_t i = 0; i < x->n_events; i++)
                if (x->events[i].kind != y->events[i].kind ||
                    !streq(x->events[i].version, y->events[i].version))
                        return false;
        return true;
}

/* Adds the strings of v to set/out (deduplicated through the map). */
static int add_strings(struct hashmap *seen, const char *const *v, const char *except, const char ***out,
                       size_t *n, size_t *alloc, struct arena *a) {
        for (size_t i = 0; v && v[i]; i++) {
                if ((except && streq(v[i], except)) || hashmap_contains(seen, v[i]))
                        continue;
                if (hashmap_put(seen, v[i], (void *) v[i], NULL) < 0)
                        return -ENOMEM;
                if (*n + 1 >= *alloc) {
                        size_t na = *alloc ? *alloc * 2 : 8;
                        const char **nv = arena_alloc(a, na * sizeof *nv);
                        if (!nv)
                                return -ENOMEM;
                        if (*n)
                                memcpy(nv, *out, *n * sizeof *nv);
                        *out = nv;
                        *alloc = na;
                }
                (*out)[(*n)++] = v[i];
                (*out)[*n] = NULL;
        }
        return 0;
}

/* Several advisories about one vulnerability become one statement (see vulndb.h). */
static int merge_group(struct vuln_affected *items, const size_t *members, size_t m, struct arena *a,
                       struct vuln_affected *out) {
        size_t p = members[0];
        for (size_t k = 1; k < m; k++) {
                const char *x = items[members[k]].id, *y = items[p].id;
                int rx = vdb_id_rank(x), ry = vdb_id_rank(y);
                if (rx < ry || (rx == ry && strcmp(x, y) < 0))
                        p = members[k];
        }
        *out = items[p];
        _cleanup_(hashmap_freep) struct hashmap *seen = hashmap_new();
        if (!seen)
                return -ENOMEM;
        const char **aliases = NULL, **upstream = NULL, **versions = NULL;
        size_t na = 0, aa = 0, nu = 0, au = 0, nv = 0, av = 0, nr = 0;
        for (size_t k = 0; k < m; k++) {
                const struct vuln_affected *x = &items[members[k]];
                const char *self[] = {x->id, NULL};
                int r;
                if ((r = add_strings(seen, self, out->id, &aliases, &na, &aa, a)) < 0 ||
                    (r = add_strings(seen, x->aliases, out->id, &aliases, &na, &aa, a)) < 0)
                        return r;
                nr += x->n_ranges;
        }
        hashmap_clear(seen);
        for (size_t k = 0; k < m; k++) {
                int r = add_strings(seen, items[members[k]].upstream, NULL, &upstream, &nu, &au, a);
                if (r < 0)
                        return r;
        }
        hashmap_clear(seen);
        for (size_t k = 0; k < m; k++) {
                int r = add_strings(seen, items[members[k]].versions, NULL, &versions, &nv, &av, a);
                if (r < 0)
                        return r;
        }
        struct vuln_range *ranges = nr ? arena_alloc(a, nr * sizeof *ranges) : NULL;
        if (nr && !ranges)
                return -ENOMEM;
        size_t n_ranges = 0;
        for (size_t k = 0; k < m; k++) {
                const struct vuln_affected *x = &items[members[k]];
                for (size_t i = 0; i < x->n_ranges; i++) {
                        bool dup = false;
                        for (size_t j = 0; j < n_ranges && !dup; j++)
                                dup = same_range(&ranges[j], &x->ranges[i]);
                        if (!dup)
                                ranges[n_ranges++] = x->ranges[i];
                }
                if (x->kev) {
                        out->kev = true;
                        if (x->kev_date_added &&
                            (!out->kev_date_added || strcmp(x->kev_date_added, out->kev_date_added) < 0))
                                out->kev_date_added = x->kev_date_added;
                }
                if (out->severity == SEV_UNKNOWN ||
                    (items[p].severity == SEV_UNKNOWN && x->severity > out->severity)) {
                        out->severity = x->severity;
                        out->severity_source = x->severity_source;
                }
                if (items[p].cvss_score == 0.0 && x->cvss_score > out->cvss_score) {
                        out->cvss_score = x->cvss_score;
                        out->cvss_vector = x->cvss_vector;
                }
        }
        out->aliases = aliases;
        out->upstream = upstream;
        out->versions = versions;
        out->ranges = ranges;
        out->n_ranges = n_ranges;
        return 0;
}

static int emit(struct vulndb *db, struct vuln_affected *items, size_t n, unsigned flags, struct arena *a,
                vulndb_affected_fn fn, void *userdata) {
        int r;
        if ((flags & VULNDB_LOOKUP_RAW) || n < 2) {
                for (size_t i = 0; i < n; i++) {
                        if (!(flags & VULNDB_LOOKUP_NO_DETAILS) && (r = fill_details(db, &items[i], a)) < 0)
                                return r;
                        if ((r = fn(userdata, &items[i])) < 0)
                                return r;
                }
                return 0;
        }
        size_t *parent = arena_alloc(a, n * sizeof *parent), *members = arena_alloc(a, n * sizeof *members);
        size_t *next = arena_alloc(a, n * sizeof *next), *head = arena_alloc(a, n * sizeof *head);
        /* ids and aliases -> the first statement naming them: a linear scan for the usual handful, a map
         * for packages with hundreds of advisories */
        _cleanup_(hashmap_freep) struct hashmap *ids = n > 32 ? hashmap_new() : NULL;
        if (!parent || !members || !next || !head || (n > 32 && !ids))
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                parent[i] = i;
        for (size_t i = 0; i < n; i++) {
                if (items[i].status != VS_AFFECTED)
                        continue;
                const char *self[] = {items[i].id, NULL};
                const char *const *lists[] = {self, items[i].aliases};
                for (size_t l = 0; l < ELEMENTSOF(lists); l++)
                        for (size_t k = 0; lists[l] && lists[l][k]; k++) {
                                const char *key = lists[l][k];
                                size_t j = SIZE_MAX;
                                if (ids) {
                                        void *v = hashmap_get(ids, key);
                                        if (v)
                                                j = (size_t) (uintptr_t) v - 1;
                                        else if (hashmap_put(ids, key, (void *) (uintptr_t) (i + 1), NULL) <
                                                 0)
                                                return -ENOMEM;
                                } else
                                        for (size_t q = 0; q < i && j == SIZE_MAX; q++)
                                                if (items[q].status == VS_AFFECTED &&
                                                    (streq(items[q].id, key) ||
                                                     vdb_strv_contains(items[q].aliases, key)))
                                                        j = q;
                                if (j != SIZE_MAX) {
                                        size_t x = find(parent, j), y = find(parent, i);
                                        if (x != y)
                                                parent[MAX(x, y)] =
                                                        MIN(x, y); /* the root is the first member */
                                }
                        }
        }
        /* members of each group, in order, as lists threaded through next[] */
        for (size_t i = 0; i < n; i++)
                head[i] = SIZE_MAX;
        for (size_t k = n; k-- > 0;) {
                size_t root = find(parent, k);
                next[k] = head[root];
                head[root] = k;
        }
        for (size_t i = 0; i < n; i++) {
                if (find(parent, i) != i)
                        continue; /* emitted with its group's first member */
                size_t m = 0;
                for (size_t k = head[i]; k != SIZE_MAX; k = next[k])
                        members[m++] = k;
                struct vuln_affected merged;
                if (m == 1)
                        merged = items[i];
                else if ((r = merge_group(items, members, m, a, &merged)) < 0)
                        return r;
                if (!(flags & VULNDB_LOOKUP_NO_DETAILS) && (r = fill_details(db, &merged, a)) < 0)
                        return r;
                if ((r = fn(userdata, &merged)) < 0)
                        return r;
        }
        return 0;
}

int vulndb_lookup_ex(struct vulndb *db, const char *ecosystem, const char *package, unsigned flags,
                     vulndb_affected_fn fn, void *userdata) {
        char eco[VDB_MAX_ECOSYSTEM + 1], name[VDB_MAX_PACKAGE + 1];
        int rc, r;

        if (!vulndb_canonical_ecosystem(ecosystem, eco, sizeof eco) ||
            !vulndb_normalize_package(eco, package, name, sizeof name))
                return 0; /* longer than anything stored */
        int64_t key = vdb_package_key(eco, name);
        bool found = false;
        for (int probe = 0; probe < MAX_PROBE && !found; probe++) {
                sqlite3_reset(db->get_pkg); /* also releases the previous lookup's row */
                sqlite3_bind_int64(db->get_pkg, 1, key + probe);
                rc = sqlite3_step(db->get_pkg);
                if (rc == SQLITE_DONE)
                        break;
                if (rc != SQLITE_ROW) {
                        r = sql_error(db, rc);
                        sqlite3_reset(db->get_pkg);
                        return r;
                }
                const char *e = (const char *) sqlite3_column_text(db->get_pkg, 0);
                const char *p = (const char *) sqlite3_column_text(db->get_pkg, 1);
                found = e && p && streq(e, eco) && streq(p, name);
        }
        if (!found) {
                sqlite3_reset(db->get_pkg);
                return 0;
        }
        /* The row stays current until the next lookup: its blob is decoded where SQLite holds it, and the
         * strings handed out point into it ("valid until the next lookup"). */
        const void *data = sqlite3_column_blob(db->get_pkg, 2);
        int len = sqlite3_column_bytes(db->get_pkg, 2);
        if (len > (int) VDB_MAX_BLOB)
                return corrupt(db, "oversized record");

        arena_free(db->scratch);
        if (!(db->scratch = arena_new(0)))
                return -ENOMEM;
        struct arena *a = db->scratch;
        struct vdb_decoded *dec;
        size_t n;
        r = vdb_decode_package(data ? data : "", (size_t) MAX(len, 0), a, &dec, &n);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                char what[VDB_MAX_ECOSYSTEM + VDB_MAX_PACKAGE + 64];
                snprintf(what, sizeof what, "the record of %s/%s fails its check", eco, name);
                return corrupt(db, what);
        }
        const char *e_copy = arena_strdup(a, eco), *p_copy = arena_strdup(a, name);
        struct vuln_affected *items = arena_alloc(a, MAX(n, (size_t) 1) * sizeof *items);
        if (!e_copy || !p_copy || !items)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if (dec[i].source >= db->n_sources || dec[i].a.details_ref > db->n_vulns ||
                    dec[i].extras_ref >= (1LL << EXTRAS_BITS) || dec[i].a.details_ref >= (1LL << 32))
                        return corrupt(db, "a record refers to a missing row");
                items[i] = dec[i].a;
                items[i].ecosystem = e_copy;
                items[i].package = p_copy;
                items[i].source = db->sources[dec[i].source];
                items[i].details_ref = dec[i].a.details_ref << EXTRAS_BITS | dec[i].extras_ref;
        }
        return emit(db, items, n, flags, a, fn, userdata);
}

int vulndb_lookup(struct vulndb *db, const char *ecosystem, const char *package, vulndb_affected_fn fn,
                  void *userdata) {
        return vulndb_lookup_ex(db, ecosystem, package, 0, fn, userdata);
}

/* ---- info ---- */

int vulndb_get_info(struct vulndb *db, struct arena *a, struct vulndb_info *ret) {
        struct vulndb_info info = {.path = arena_strdup(a, db->path), .file_size = db->file_size};
        char v[256];
        sqlite3_stmt *st = NULL;
        int r, rc;

        if ((r = read_meta(db, "schema_version", v, sizeof v)) < 0)
                return r;
        info.schema_version = atoi(v);
        if ((r = read_meta(db, "built_at", v, sizeof v)) < 0)
                return r;
        info.built_at = arena_strdup(a, v);
        if ((r = read_meta(db, "builder", v, sizeof v)) < 0)
                return r;
        info.tool_version = arena_strdup(a, v);
        if ((r = read_meta(db, "checksum", v, sizeof v)) < 0)
                return r;
        info.checksum = arena_strdup(a, v);
        if ((r = read_meta(db, "vulns", v, sizeof v)) < 0)
                return r;
        info.n_vulns = (size_t) strtoull(v, NULL, 10);
        if ((r = read_meta(db, "statements", v, sizeof v)) < 0)
                return r;
        info.n_affected = (size_t) strtoull(v, NULL, 10);
        if ((r = read_meta(db, "packages", v, sizeof v)) < 0)
                return r;
        info.n_packages = (size_t) strtoull(v, NULL, 10);

        rc = sqlite3_prepare_v2(
                db->db,
                "SELECT name, kind, location, snapshot, records, skipped, sha256 FROM sources ORDER BY id",
                -1, &st, NULL);
        if (rc != SQLITE_OK)
                return sql_error(db, rc);
        info.sources = arena_alloc(a, MAX(db->n_sources, (size_t) 1) * sizeof *info.sources);
        while (info.sources && (rc = sqlite3_step(st)) == SQLITE_ROW && info.n_sources < db->n_sources) {
                struct vulndb_source_info *s = &info.sources[info.n_sources++];
                const char *col[4];
                for (int i = 0; i < 4; i++) {
                        const char *t = (const char *) sqlite3_column_text(st, i == 3 ? 6 : i);
                        col[i] = t ? arena_strdup(a, t) : NULL;
                }
                const char *snap = (const char *) sqlite3_column_text(st, 3);
                s->name = col[0];
                s->kind = col[1];
                s->location = col[2];
                s->sha256 = col[3];
                s->snapshot = snap ? arena_strdup(a, snap) : NULL;
                s->records = (size_t) sqlite3_column_int64(st, 4);
                s->skipped = (size_t) sqlite3_column_int64(st, 5);
        }
        sqlite3_finalize(st);
        if (!info.sources)
                return -ENOMEM;

        rc = sqlite3_prepare_v2(db->db, "SELECT name, packages, statements FROM ecosystems ORDER BY name",
                                -1, &st, NULL);
        if (rc != SQLITE_OK)
                return sql_error(db, rc);
        VEC(struct vulndb_ecosystem_info) ecos = {0};
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                struct vulndb_ecosystem_info *e = VEC_NEW(&ecos);
                const char *name = (const char *) sqlite3_column_text(st, 0);
                if (!e || !(e->name = arena_strdup(a, name ? name : "?"))) {
                        rc = SQLITE_NOMEM;
                        break;
                }
                e->packages = (size_t) sqlite3_column_int64(st, 1);
                e->statements = (size_t) sqlite3_column_int64(st, 2);
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
                VEC_FREE(&ecos);
                return sql_error(db, rc);
        }
        info.n_ecosystems = ecos.n;
        info.ecosystem_counts =
                arena_memdup(a, ecos.items ? (void *) ecos.items : (void *) "", ecos.n * sizeof *ecos.items);
        const char **names = arena_alloc(a, (ecos.n + 1) * sizeof *names);
        VEC_FREE(&ecos);
        if (!info.ecosystem_counts || !names)
                return -ENOMEM;
        for (size_t i = 0; i < info.n_ecosystems; i++)
                names[i] = info.ecosystem_counts[i].name;
        info.ecosystems = names;
        *ret = info;
        return 0;
}

/* ---- verification ---- */

int vulndb_verify(struct vulndb *db, struct diag *d) {
        struct diag *saved = db->d;
        sqlite3_stmt *st = NULL;
        char want[DIGEST_STR_MAX], got[DIGEST_STR_MAX], v[64];
        int r = 0, rc;

        db->d = d;
        /* 1. every page and index, as SQLite sees them */
        rc = sqlite3_prepare_v2(db->db, "PRAGMA integrity_check(1)", -1, &st, NULL);
        if (rc != SQLITE_OK) {
                r = sql_error(db, rc);
                goto out;
        }
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW || !sqlite3_column_text(st, 0) ||
            !streq((const char *) sqlite3_column_text(st, 0), "ok")) {
                char what[200];
                snprintf(what, sizeof what, "integrity check: %s",
                         rc == SQLITE_ROW && sqlite3_column_text(st, 0)
                                 ? (const char *) sqlite3_column_text(st, 0)
                                 : sqlite3_errmsg(db->db));
                sqlite3_finalize(st);
                r = corrupt(db, what);
                goto out;
        }
        sqlite3_finalize(st);

        /* 2. the content checksum */
        if ((r = read_meta(db, "checksum", want, sizeof want)) < 0)
                goto out;
        r = vdb_content_checksum(db->db, got);
        if (r == -ENOMEM)
                goto out;
        if (r < 0 || !streq(want, got)) {
                r = corrupt(db, "content checksum mismatch");
                goto out;
        }

        /* 3. every record decodes, refers to existing rows, sits where its key puts it */
        int64_t n_extras = count_rows(db, "SELECT COUNT(*) FROM extras");
        int64_t n_vulns = count_rows(db, "SELECT COUNT(*) FROM vulns");
        size_t statements = 0, packages = 0;
        rc = sqlite3_prepare_v2(db->db, "SELECT id, ecosystem, name, data FROM packages ORDER BY id", -1,
                                &st, NULL);
        if (rc != SQLITE_OK) {
                r = sql_error(db, rc);
                goto out;
        }
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                _cleanup_(arena_freep) struct arena *a = arena_new(0);
                const char *eco = (const char *) sqlite3_column_text(st, 1),
                           *name = (const char *) sqlite3_column_text(st, 2);
                int64_t id = sqlite3_column_int64(st, 0);
                size_t len = (size_t) sqlite3_column_bytes(st, 3);
                void *copy = a ? arena_memdup(a, sqlite3_column_blob(st, 3) ?: "", len) : NULL;
                struct vdb_decoded *dec;
                size_t n;
                if (!copy) {
                        r = -ENOMEM;
                        break;
                }
                int64_t key = eco && name ? vdb_package_key(eco, name) : -1;
                if (key < 0 || id < key || id >= key + MAX_PROBE ||
                    vdb_decode_package(copy, len, a, &dec, &n) < 0) {
                        char what[VDB_MAX_ECOSYSTEM + VDB_MAX_PACKAGE + 64];
                        snprintf(what, sizeof what, "the record of %s/%s fails its check", eco ? eco : "?",
                                 name ? name : "?");
                        r = corrupt(db, what);
                        break;
                }
                for (size_t i = 0; i < n && r == 0; i++)
                        if (dec[i].source >= db->n_sources || dec[i].a.details_ref > n_vulns ||
                            dec[i].extras_ref > n_extras)
                                r = corrupt(db, "a record refers to a missing row");
                statements += n;
                packages++;
        }
        sqlite3_finalize(st);
        if (r < 0)
                goto out;
        if (rc != SQLITE_DONE) {
                r = sql_error(db, rc);
                goto out;
        }
        const char *tables[] = {"SELECT data FROM vulns ORDER BY id", "SELECT data FROM extras ORDER BY id"};
        for (size_t t = 0; t < ELEMENTSOF(tables) && r == 0; t++) {
                rc = sqlite3_prepare_v2(db->db, tables[t], -1, &st, NULL);
                if (rc != SQLITE_OK) {
                        r = sql_error(db, rc);
                        break;
                }
                while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
                        _cleanup_(arena_freep) struct arena *a = arena_new(0);
                        size_t len = (size_t) sqlite3_column_bytes(st, 0);
                        void *copy = a ? arena_memdup(a, sqlite3_column_blob(st, 0) ?: "", len) : NULL;
                        const char *s1, *s2, *s3, *const *v1, *const *v2;
                        if (!copy)
                                r = -ENOMEM;
                        else if ((t == 0 ? vdb_decode_details(copy, len, a, &s1, &s2, &s3, &v1, &v2)
                                         : vdb_decode_extras(copy, len, &s1)) < 0)
                                r = corrupt(db, t == 0 ? "a vulnerability record fails its check"
                                                       : "an ecosystem_specific record fails its check");
                }
                sqlite3_finalize(st);
                if (r == 0 && rc != SQLITE_DONE)
                        r = sql_error(db, rc);
        }
        if (r < 0)
                goto out;

        /* 4. the counts the builder recorded */
        if ((r = read_meta(db, "statements", v, sizeof v)) < 0)
                goto out;
        if (strtoull(v, NULL, 10) != statements) {
                r = corrupt(db, "statement count differs from meta");
                goto out;
        }
        if ((r = read_meta(db, "packages", v, sizeof v)) < 0)
                goto out;
        if (strtoull(v, NULL, 10) != packages || n_vulns != db->n_vulns)
                r = corrupt(db, "row counts differ from meta");
out:
        db->d = saved;
        return r;
}
