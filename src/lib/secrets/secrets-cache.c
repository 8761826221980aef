/* SPDX-License-Identifier: Apache-2.0 */
/* A cache of the compiled matcher. Compiling the hyperscan database takes a few hundred milliseconds,
 * which would dominate a scan served by the layer cache; the compiled form is kept in the cache
 * directory, keyed by the rules' digest and hyperscan's version, with the per-rule decisions the
 * compile made (mode, prefilter, width) and the pattern → rule map. hyperscan validates its own part
 * (magic, version, platform, CRC) when deserializing; a file that does not check out is ignored and
 * the rules are compiled again. */

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "secrets-internal.h"

#define CACHE_MAGIC "STKSECR1"
#define CACHE_MAX (64 * MiB)

static char *cache_path(const struct secrets_engine *e, const char *dir) {
        char *p = NULL;
        /* the digest, and hyperscan's version: a new library compiles anew */
        if (asprintf(&p, "%s/secrets-%.16s-%s.hsdb", dir, digest_hex(e->digest), hs_version()) < 0)
                return NULL;
        for (char *c = p + strlen(dir) + 1; *c; c++)
                if (*c == ' ' || *c == '/')
                        *c = '_';
        return p;
}

static bool load(struct secrets_engine *e, const char *path) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < 24 || st.st_size > (off_t) CACHE_MAX)
                return false;
        _cleanup_free_ unsigned char *b = malloc((size_t) st.st_size);
        if (!b || read(fd, b, (size_t) st.st_size) != st.st_size)
                return false;
        size_t n = (size_t) st.st_size, pos = 0;
        uint32_t v;
#define GET32(x)                                                                                              \
        do {                                                                                                  \
                if (pos + 4 > n)                                                                              \
                        return false;                                                                         \
                memcpy(&(x), b + pos, 4);                                                                     \
                pos += 4;                                                                                     \
        } while (0)
        if (memcmp(b, CACHE_MAGIC, 8) != 0 || memcmp(b + 8, digest_hex(e->digest), 8) != 0)
                return false;
        pos = 16;
        GET32(v);
        if (v != e->rules.n)
                return false;
        for (size_t i = 0; i < e->rules.n; i++) {
                uint32_t mode, pre, width;
                GET32(mode);
                GET32(pre);
                GET32(width);
                if (mode > MODE_WINDOW || pre > 1)
                        return false;
                e->rules.items[i].mode = (enum rule_mode) mode;
                e->rules.items[i].prefilter = pre;
                e->rules.items[i].width = width;
        }
        uint32_t np;
        GET32(np);
        if (np > 100000 || VEC_RESERVE(&e->patterns, np) < 0)
                return false;
        e->patterns.n = 0;
        for (uint32_t i = 0; i < np; i++) {
                uint32_t rule;
                GET32(rule);
                if (rule >= e->rules.n)
                        return false;
                e->patterns.items[e->patterns.n++] = (struct secrets_pattern){ rule };
        }
        uint32_t groups;
        GET32(groups);
        e->max_groups = groups;
#undef GET32
        hs_database_t *db = NULL;
        if (hs_deserialize_database((const char *) b + pos, n - pos, &db) != HS_SUCCESS)
                return false;
        size_t dbsize = 0;
        if (hs_database_size(db, &dbsize) != HS_SUCCESS || dbsize == 0) {
                hs_free_database(db);
                return false;
        }
        e->db = db;
        return true;
}

static void store(const struct secrets_engine *e, const char *path) {
        char *ser = NULL;
        size_t ser_len = 0;
        if (hs_serialize_database(e->db, &ser, &ser_len) != HS_SUCCESS)
                return;
        struct buf b = BUF_INIT(0);
        uint32_t v;
        buf_append(&b, CACHE_MAGIC, 8);
        buf_append(&b, digest_hex(e->digest), 8);
#define PUT32(x) (v = (uint32_t) (x), buf_append(&b, &v, 4))
        PUT32(e->rules.n);
        VEC_FOREACH(r, &e->rules) {
                PUT32(r->mode);
                PUT32(r->prefilter);
                PUT32(r->width);
        }
        PUT32(e->patterns.n);
        VEC_FOREACH(p, &e->patterns)
                PUT32(p->rule);
        PUT32(e->max_groups);
#undef PUT32
        buf_append(&b, ser, ser_len);
        free(ser);

        _cleanup_free_ char *tmp = NULL;
        if (b.data && asprintf(&tmp, "%s.XXXXXX", path) >= 0) {
                int fd = mkostemp(tmp, O_CLOEXEC);
                if (fd >= 0) {
                        bool ok = write(fd, b.data, b.len) == (ssize_t) b.len && fsync(fd) == 0;
                        close(fd);
                        if (!ok || rename(tmp, path) < 0)
                                unlink(tmp);
                }
        }
        buf_free(&b);
}

int secrets_engine_load_cached(const char *rules_path, const char *cache_dir, struct diag *d,
                               struct secrets_engine **ret) {
        _cleanup_free_ char *data = NULL;
        const char *name = BUILTIN_NAME;
        const void *bytes = secrets_default_rules;
        size_t n = secrets_default_rules_len;
        int r;

        if (!cache_dir)
                return secrets_engine_load(rules_path, d, ret);
        if (rules_path) {
                r = secrets_read_rules_file(rules_path, d, &data, &n);
                if (r < 0)
                        return r;
                name = rules_path;
                bytes = data;
        }
        _cleanup_(secrets_engine_freep) struct secrets_engine *e = NULL;
        r = secrets_engine_parse_only(name, bytes, n, d, &e);
        if (r < 0)
                return r;
        _cleanup_free_ char *path = cache_path(e, cache_dir);
        if (!path)
                return -ENOMEM;
        if (!load(e, path)) {
                e->patterns.n = 0;
                r = secrets_engine_compile(e, name, d);
                if (r < 0)
                        return r;
                (void) mkdir(cache_dir, 0700);
                store(e, path);
        }
        *ret = TAKE_PTR(e);
        return 0;
}
