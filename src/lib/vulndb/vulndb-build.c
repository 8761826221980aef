/* SPDX-License-Identifier: Apache-2.0 */
/* vulndb_build(): walks the sources, reads every feed file into the build state (vulndb-parse.c and the
 * parsers), enriches, deduplicates and encodes the statements, and writes the SQLite file atomically:
 * OUT.tmp-XXXXXX in the destination's directory, journal off, rows in rowid order, fsync, rename, fsync
 * of the directory. Nothing is written to the destination unless everything succeeded. */
#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include "vulndb-internal.h"

#define MAX_WALK_DEPTH  32
#define MAX_INPUT_FILES (10u * 1000 * 1000)
#define MAX_ZIP_TOTAL   (16 * GiB)
#define MAX_PROBE       64

struct input {
        const char *path;
        const char *display;
        const char *rel;   /* relative to the argument ("" for a file argument) */
        const char *first; /* first component below a directory argument; NULL when directly in it */
        size_t arg;
};

struct group {
        size_t arg;
        enum vdb_kind kind;
        char family[VDB_MAX_ECOSYSTEM + 1];
        const char *first;
        size_t files, records, skipped;
        char snapshot[VDB_MAX_DATE + 1];
        time_t newest_mtime;
        struct sha256 h;
        char digest[DIGEST_STR_MAX];
        const char *name, *location;
};

struct arg {
        const char *name; /* NAME of NAME=PATH */
        const char *path;
        bool is_dir;
        size_t usable;
};

struct ctx {
        struct vdb_build b;
        const struct vulndb_build_options *o;
        struct diag *d;
        struct arena *a; /* = b.arena */
        VEC(struct input) inputs;
        VEC(struct arg) args;
        VEC(struct group) groups;
        struct vulndb_build_stats stats;
        uint64_t zip_total;
};

/* ---- finding the input files ---- */

static bool feed_file_name(const char *n) {
        static const char *const ext[] = {".json", ".yaml", ".yml", ".zip", ".gz", ".xz", ".bz2", ".zst"};
        size_t l = strlen(n);
        for (size_t i = 0; i < ELEMENTSOF(ext); i++) {
                size_t e = strlen(ext[i]);
                if (l > e && strcmp(n + l - e, ext[i]) == 0)
                        return true;
        }
        return false;
}

static int cmp_str(const void *x, const void *y) {
        return strcmp(*(const char *const *) x, *(const char *const *) y);
}

static int add_input(struct ctx *c, size_t arg, const char *path, const char *rel, const char *first) {
        if (c->inputs.n >= MAX_INPUT_FILES)
                return diag_error(c->d, -E2BIG, "source '%s': more than %u files", c->args.items[arg].path,
                                  MAX_INPUT_FILES);
        const struct arg *ag = &c->args.items[arg];
        struct input *in = VEC_NEW(&c->inputs);
        if (!in)
                return -ENOMEM;
        in->arg = arg;
        in->path = arena_strdup(c->a, path);
        in->rel = arena_strdup(c->a, rel);
        in->first = first ? arena_strdup(c->a, first) : NULL;
        if (ag->is_dir) {
                const char *base = strrchr(ag->path, '/');
                base = base && base[1] ? base + 1 : ag->path;
                in->display = arena_printf(c->a, "%s/%s", base, rel);
        } else
                in->display = arena_strdup(c->a, path);
        return in->path && in->rel && in->display && (!first || in->first) ? 0 : -ENOMEM;
}

static int walk(struct ctx *c, size_t arg, const char *dir, const char *rel, const char *first, int depth) {
        _cleanup_free_ char **names = NULL;
        size_t n = 0, alloc = 0;
        int r = 0;

        if (depth > MAX_WALK_DEPTH)
                return diag_error(c->d, -ELOOP, "source '%s': directories nested deeper than %d",
                                  c->args.items[arg].path, MAX_WALK_DEPTH);
        DIR *d = opendir(dir);
        if (!d)
                return diag_error(c->d, negative_errno(), "cannot read directory '%s': %s", dir,
                                  strerror(errno));
        for (struct dirent *e; (errno = 0, e = readdir(d));) {
                if (e->d_name[0] == '.')
                        continue;
                if (n == alloc) {
                        alloc = alloc ? alloc * 2 : 64;
                        char **nn = realloc(names, alloc * sizeof *nn);
                        if (!nn) {
                                r = -ENOMEM;
                                break;
                        }
                        names = nn;
                }
                if (!(names[n++] = strdup(e->d_name))) {
                        r = -ENOMEM;
                        break;
                }
        }
        if (r == 0 && errno != 0)
                r = diag_error(c->d, negative_errno(), "cannot read directory '%s': %s", dir,
                               strerror(errno));
        closedir(d);
        qsort_safe(names, n, sizeof *names, cmp_str);

        for (size_t i = 0; i < n && r >= 0; i++) {
                _cleanup_free_ char *path = NULL, *sub = NULL;
                struct stat st;
                if (asprintf(&path, "%s/%s", dir, names[i]) < 0 ||
                    asprintf(&sub, "%s%s%s", rel, *rel ? "/" : "", names[i]) < 0) {
                        path = sub = NULL;
                        r = -ENOMEM;
                        break;
                }
                if (lstat(path, &st) < 0) {
                        r = diag_error(c->d, negative_errno(), "cannot read '%s': %s", path,
                                       strerror(errno));
                        break;
                }
                if (S_ISLNK(st.st_mode)) {
                        /* Links to files are followed; links to directories are not (no loops). */
                        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
                                if (feed_file_name(names[i]))
                                        diag_warn(c->d, "%s: a symbolic link that is not to a file, skipped",
                                                  path);
                                continue;
                        }
                }
                if (S_ISDIR(st.st_mode))
                        r = walk(c, arg, path, sub, first ? first : names[i], depth + 1);
                else if (S_ISREG(st.st_mode) && feed_file_name(names[i]))
                        r = add_input(c, arg, path, sub, first);
        }
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        return r;
}

static bool valid_source_name(const char *s, size_t n) {
        if (n == 0 || n > 64)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) s[i]) && !strchr("._-:", s[i]))
                        return false;
        return true;
}

static int add_argument(struct ctx *c, const char *spec) {
        struct arg *ag = VEC_NEW(&c->args);
        struct stat st;
        if (!ag)
                return -ENOMEM;
        const char *eq = strchr(spec, '=');
        if (eq && !memchr(spec, '/', (size_t) (eq - spec)) &&
            valid_source_name(spec, (size_t) (eq - spec))) {
                if (!(ag->name = arena_strndup(c->a, spec, (size_t) (eq - spec))))
                        return -ENOMEM;
                ag->path = arena_strdup(c->a, eq + 1);
        } else
                ag->path = arena_strdup(c->a, spec);
        if (!ag->path)
                return -ENOMEM;
        /* "feeds/" and "feeds" name the same source */
        char *p = (char *) ag->path;
        size_t l = strlen(p);
        while (l > 1 && p[l - 1] == '/')
                p[--l] = 0;
        if (stat(ag->path, &st) < 0)
                return diag_error(c->d, negative_errno(), "cannot read source '%s': %s", ag->path,
                                  strerror(errno));
        size_t idx = c->args.n - 1;
        if (S_ISDIR(st.st_mode)) {
                ag->is_dir = true;
                return walk(c, idx, ag->path, "", NULL, 0);
        }
        if (!S_ISREG(st.st_mode))
                return diag_error(c->d, -EINVAL, "source '%s' is neither a file nor a directory", ag->path);
        return add_input(c, idx, ag->path, "", NULL);
}

/* ---- reading one file ---- */

static int parse_buffer(struct ctx *c, const char *data, size_t len) {
        int r = vdb_parse_file(&c->b, data, len);
        if (r == -EBADMSG)
                return 1; /* the file (or member) is not usable: warned */
        return r;
}

/* Reads a whole decompressed stream into a capped buffer. 1 = over the cap (warned). */
static int read_archive_data(struct ctx *c, struct archive *ar, struct buf *out, const char *what) {
        char chunk[64 * 1024];
        for (;;) {
                la_ssize_t n = archive_read_data(ar, chunk, sizeof chunk);
                if (n == 0)
                        return 0;
                if (n < 0) {
                        diag_warn(c->d, "%s: cannot be unpacked: %s, skipped", what,
                                  archive_error_string(ar));
                        return 1;
                }
                c->zip_total += (uint64_t) n;
                int r = buf_append(out, chunk, (size_t) n);
                if (r == -E2BIG || c->zip_total > MAX_ZIP_TOTAL) {
                        diag_warn(c->d, "%s: unpacks to more than %zu bytes, skipped", what,
                                  c->b.max_file_bytes);
                        return 1;
                }
                if (r < 0)
                        return r;
        }
}

static bool is_zip(const unsigned char *p, size_t n) {
        return n >= 4 && p[0] == 'P' && p[1] == 'K' &&
               ((p[2] == 3 && p[3] == 4) || (p[2] == 5 && p[3] == 6));
}

static bool is_compressed(const unsigned char *p, size_t n) {
        return (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) || /* gzip */
               (n >= 6 && memcmp(p,
                                 "\xfd"
                                 "7zXZ\0",
                                 6) == 0) ||                                             /* xz */
               (n >= 3 && memcmp(p, "BZh", 3) == 0) ||                                   /* bzip2 */
               (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd); /* zstd */
}

/* Returns 0 when parsed, 1 when the file was skipped (warned), negative on fatal errors. */
static int parse_container(struct ctx *c, const struct input *in, const void *data, size_t len) {
        _cleanup_(buf_free) struct buf out = BUF_INIT(c->b.max_file_bytes);
        bool zip = is_zip(data, len);
        int r;

        if (!zip && !is_compressed(data, len))
                return parse_buffer(c, data, len);

        struct archive *ar = archive_read_new();
        if (!ar)
                return -ENOMEM;
        if (zip) {
                archive_read_support_format_zip(ar);
        } else {
                archive_read_support_filter_all(ar);
                archive_read_support_format_raw(ar);
        }
        if (archive_read_open_memory(ar, data, len) != ARCHIVE_OK) {
                diag_warn(c->d, "%s: cannot be opened: %s, skipped", in->display, archive_error_string(ar));
                archive_read_free(ar);
                return 1;
        }
        bool any = false;
        r = 0;
        for (;;) {
                struct archive_entry *e;
                int k = archive_read_next_header(ar, &e);
                if (k == ARCHIVE_EOF)
                        break;
                if (k < ARCHIVE_WARN) {
                        diag_warn(c->d, "%s: damaged archive: %s, the rest is skipped", in->display,
                                  archive_error_string(ar));
                        r = any ? 0 : 1;
                        break;
                }
                if (zip) {
                        const char *name = archive_entry_pathname(e);
                        if (archive_entry_filetype(e) != AE_IFREG || !name || !feed_file_name(name))
                                continue;
                        c->b.file = arena_printf(c->a, "%s:%s", in->display, name);
                        if (!c->b.file)
                                return -ENOMEM;
                }
                buf_reset(&out);
                k = read_archive_data(c, ar, &out, c->b.file);
                if (k < 0) {
                        r = k;
                        break;
                }
                if (k > 0) {
                        if (!zip) {
                                r = 1;
                                break;
                        }
                        c->b.fs.skipped++;
                        continue;
                }
                k = parse_buffer(c, out.data ? out.data : "", out.len);
                if (k < 0) {
                        r = k;
                        break;
                }
                if (k == 0)
                        any = true;
                if (!zip) {
                        r = k;
                        break;
                }
        }
        archive_read_free(ar);
        if (zip && r == 0 && !any) {
                diag_warn(c->d, "%s: no usable feed file inside, skipped", in->display);
                r = 1;
        }
        c->b.file = in->display;
        return r;
}

/* A source is the files of one argument with one kind of feed under one subdirectory of it (feeds/go-osv,
 * feeds/pypa-osv …), or directly in it. The family (the ecosystem of the first statement) only tells
 * sources apart when their names collide. */
static struct group *group_for(struct ctx *c, const struct input *in) {
        const struct vdb_file_stats *fs = &c->b.fs;
        VEC_FOREACH (g, &c->groups)
                if (g->arg == in->arg && g->kind == fs->kind && streq_ptr(g->first, in->first)) {
                        if (!g->family[0])
                                snprintf(g->family, sizeof g->family, "%s", fs->family);
                        return g;
                }
        struct group *g = VEC_NEW(&c->groups);
        if (!g)
                return NULL;
        g->arg = in->arg;
        g->kind = fs->kind;
        snprintf(g->family, sizeof g->family, "%s", fs->family);
        g->first = in->first;
        if (sha256_init(&g->h) < 0) {
                c->groups.n--;
                return NULL;
        }
        return g;
}

static int read_input(struct ctx *c, const struct input *in) {
        _cleanup_close_ int fd = -1;
        struct stat st;
        char digest[DIGEST_STR_MAX];
        int r;

        fd = open(in->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return diag_error(c->d, negative_errno(), "cannot open '%s': %s", in->path, strerror(errno));
        if (fstat(fd, &st) < 0)
                return diag_error(c->d, negative_errno(), "cannot read '%s': %s", in->path, strerror(errno));
        if (!S_ISREG(st.st_mode))
                return diag_error(c->d, -EINVAL, "'%s' is not a regular file", in->path);

        c->b.file = in->display;
        c->b.file_seq++;
        c->b.cur_arg = in->arg;
        memset(&c->b.fs, 0, sizeof c->b.fs);
        c->b.fs.kind = VK_UNKNOWN;
        c->stats.files++;

        if ((uint64_t) st.st_size > c->b.max_file_bytes) {
                diag_warn(c->d, "%s: too large (%lld bytes, limit %zu), skipped", in->display,
                          (long long) st.st_size, c->b.max_file_bytes);
                c->stats.skipped++;
                return 0;
        }
        if (st.st_size == 0) {
                diag_warn(c->d, "%s: empty file, skipped", in->display);
                c->stats.skipped++;
                return 0;
        }
        size_t len = (size_t) st.st_size;
        void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED)
                return diag_error(c->d, negative_errno(), "cannot read '%s': %s", in->path, strerror(errno));
        (void) madvise(map, len, MADV_SEQUENTIAL);
        r = sha256_str(map, len, digest);
        size_t first_stmt = c->b.stmts.n;
        size_t nvd_before = hashmap_size(c->b.nvd), kev_before = hashmap_size(c->b.kev);
        if (r >= 0)
                r = parse_container(c, in, map, len);
        munmap(map, len);
        if (r < 0)
                return r;
        if ((r = vdb_check(&c->b)) < 0)
                return r;
        if (r == 0 && c->b.fs.kind == VK_UNKNOWN)
                r = 1;
        if (r > 0 || c->b.fs.kind == VK_UNKNOWN) {
                /* Nothing of a file that could not be used is kept. */
                for (size_t i = first_stmt; i < c->b.stmts.n; i++)
                        c->b.stmts.items[i].dead = true;
                c->stats.skipped += 1 + c->b.fs.skipped;
                return 0;
        }

        struct group *g = group_for(c, in);
        if (!g)
                return -ENOMEM;
        size_t gi = (size_t) (g - c->groups.items);
        for (size_t i = first_stmt; i < c->b.stmts.n; i++)
                c->b.stmts.items[i].group = (uint32_t) gi;
        g->files++;
        g->records += c->b.fs.records;
        g->skipped += c->b.fs.skipped;
        if (c->b.fs.snapshot[0] &&
            (!g->snapshot[0] || vdb_parse_time(c->b.fs.snapshot) > vdb_parse_time(g->snapshot)))
                snprintf(g->snapshot, sizeof g->snapshot, "%s", c->b.fs.snapshot);
        if (st.st_mtime > g->newest_mtime)
                g->newest_mtime = st.st_mtime;
        sha256_update(&g->h, in->rel, strlen(in->rel) + 1);
        sha256_update(&g->h, digest, strlen(digest));
        sha256_update(&g->h, "\n", 1);

        c->args.items[in->arg].usable += (c->b.stmts.n - first_stmt) +
                                         (hashmap_size(c->b.nvd) - nvd_before) +
                                         (hashmap_size(c->b.kev) - kev_before);
        c->stats.records += c->b.fs.records;
        c->stats.skipped += c->b.fs.skipped;
        c->stats.withdrawn += c->b.fs.withdrawn;
        c->stats.duplicates += c->b.fs.duplicates;
        return 0;
}

/* Source names: NAME=, else the subdirectory of a directory argument the group's files are in, else the
 * argument's name without its extensions. Repeated names get ":family" (or ":kind"). */
static int name_groups(struct ctx *c) {
        VEC_FOREACH (g, &c->groups) {
                const struct arg *ag = &c->args.items[g->arg];
                const char *base = strrchr(ag->path, '/');
                base = base && base[1] ? base + 1 : ag->path;
                if (ag->name)
                        g->name = ag->name;
                else if (ag->is_dir && g->first)
                        g->name = g->first;
                else {
                        /* strip known extensions one at a time: "nvdcve-2.0-2024.json.gz" ->
                         * "nvdcve-2.0-2024" */
                        size_t n = strlen(base);
                        for (;;) {
                                const char *dot = memrchr(base, '.', n);
                                char tmp[16];
                                if (!dot || dot == base || n - (size_t) (dot - base) >= sizeof tmp - 1)
                                        break;
                                snprintf(tmp, sizeof tmp, "x%.*s", (int) (n - (size_t) (dot - base)), dot);
                                if (!feed_file_name(tmp))
                                        break;
                                n = (size_t) (dot - base);
                        }
                        g->name = arena_strndup(c->a, base, n);
                }
                g->location =
                        ag->is_dir && g->first ? arena_printf(c->a, "%s/%s", ag->path, g->first) : ag->path;
                if (!g->name || !g->location)
                        return -ENOMEM;
        }
        VEC_FOREACH (g, &c->groups) {
                bool dup = false;
                VEC_FOREACH (h, &c->groups)
                        dup |= h != g && streq(h->name, g->name);
                if (dup) {
                        g->name = arena_printf(c->a, "%s:%s", g->name,
                                               g->family[0] ? g->family : vdb_kind_to_string(g->kind));
                        if (!g->name)
                                return -ENOMEM;
                }
        }
        VEC_FOREACH (g, &c->groups) {
                sha256_final_str(&g->h, g->digest);
                if (!g->snapshot[0])
                        vdb_format_time(g->newest_mtime, g->snapshot);
        }
        return 0;
}

/* ---- enrichment ---- */

static int cmp_vuln_id(const void *x, const void *y) {
        return strcmp((*(struct vdb_vuln *const *) x)->id, (*(struct vdb_vuln *const *) y)->id);
}

static void enrich_one(struct vdb_build *b, struct vdb_vuln *v, const char *cve) {
        struct vdb_nvd *n = hashmap_get(b->nvd, cve);
        struct vdb_kev *k = hashmap_get(b->kev, cve);
        if (n) {
                if (n->has_cvss && (!v->has_nvd_cvss || n->cvss > v->nvd_cvss)) {
                        v->has_nvd_cvss = true;
                        v->nvd_cvss = n->cvss;
                        v->nvd_vector = n->vector;
                }
                if (n->cwes)
                        (void) vdb_strv_union(b, &v->cwes, n->cwes);
                if (!v->summary)
                        v->summary = n->summary;
                if (!v->published)
                        v->published = n->published;
        }
        if (k) {
                v->kev = true;
                if (k->date_added && (!v->kev_date || strcmp(k->date_added, v->kev_date) < 0))
                        v->kev_date = k->date_added;
        }
}

static bool enrich_list(struct vdb_build *b, struct vdb_vuln *v, const char *const *ids) {
        bool any = false;
        for (size_t i = 0; ids && ids[i]; i++)
                if (strneq(ids[i], "CVE-", 4)) {
                        enrich_one(b, v, ids[i]);
                        any = true;
                }
        return any;
}

/* Aliases are symmetric: when a record says B is an alias of its id A and B is an id of the database, B's
 * vulnerability lists A too. Alpine's secdb names "CVE-2017-17563 XSA-249" in one release and "XSA-249"
 * alone in another; the finding of the latter is the same vulnerability, with the CVE (and through it
 * NVD's rating and the KEV flag). Done in id order, so the stored lists do not depend on hashing. */
static int link_aliases(struct vdb_build *b) {
        _cleanup_free_ struct vdb_vuln **all = NULL;
        size_t n = 0, alloc = 0;
        const char *key;
        struct vdb_vuln *v;
        HASHMAP_FOREACH (key, v, b->vulns, i) {
                if (!v->aliases)
                        continue;
                if (n == alloc) {
                        size_t na = alloc ? alloc * 2 : 256;
                        struct vdb_vuln **nv = reallocarray(all, na, sizeof *nv);
                        if (!nv)
                                return vdb_oom(b);
                        all = nv;
                        alloc = na;
                }
                all[n++] = v;
        }
        if (n)
                qsort(all, n, sizeof *all, cmp_vuln_id);
        for (size_t i = 0; i < n; i++)
                for (size_t k = 0; all[i]->aliases[k]; k++) {
                        struct vdb_vuln *w = hashmap_get(b->vulns, all[i]->aliases[k]);
                        if (!w || w == all[i] || vdb_strv_contains(w->aliases, all[i]->id))
                                continue;
                        const char *self[] = {all[i]->id, NULL};
                        int r = vdb_strv_union(b, &w->aliases, self);
                        if (r < 0)
                                return r;
                }
        return 0;
}

/* A vulnerability takes NVD's CVSS and CWEs and the KEV flag through its id, aliases and upstream ids;
 * through its related ids only when it names no CVE otherwise (AlmaLinux and Rocky errata list the
 * CVEs they fix only there). */
static void enrich(struct vdb_build *b) {
        const char *key;
        struct vdb_vuln *v;
        HASHMAP_FOREACH (key, v, b->vulns, i) {
                const char *self[] = {v->id, NULL};
                bool any = enrich_list(b, v, self);
                any |= enrich_list(b, v, v->aliases);
                any |= enrich_list(b, v, v->upstream);
                if (!any)
                        (void) enrich_list(b, v, v->related);
        }
}

/* ---- writing ---- */

struct row {
        int64_t key;
        const char *ecosystem, *package;
        size_t off, len;
};

struct eco_count {
        const char *name;
        size_t packages, statements;
};

struct writer {
        struct ctx *c;
        sqlite3 *db;
        const char *path;
        struct buf rows; /* the package blobs, back to back */
        VEC(struct row) index;
        VEC(struct vdb_vuln *) vulns;
        struct hashmap *extras; /* json -> (id as pointer) */
        VEC(const char *) extras_list;
        VEC(struct eco_count) ecos;
        size_t n_statements;
};

static int sql_fail(struct writer *w, const char *what) {
        return diag_error(w->c->d, -EIO, "cannot write the vulnerability database '%s': %s: %s", w->path,
                          what, sqlite3_errmsg(w->db));
}

static int cmp_stmt(const void *x, const void *y) {
        const struct vdb_stmt *a = *(const struct vdb_stmt *const *) x,
                              *b = *(const struct vdb_stmt *const *) y;
        int k;
        if (a->ecosystem != b->ecosystem && (k = strcmp(a->ecosystem, b->ecosystem)) != 0)
                return k;
        if ((k = strcmp(a->package, b->package)) != 0)
                return k;
        if ((k = strcmp(a->vuln->id, b->vuln->id)) != 0)
                return k;
        if (a->kind != b->kind)
                return a->kind < b->kind ? -1 : 1;
        return a->group < b->group ? -1 : a->group > b->group;
}

static int cmp_vuln(const void *x, const void *y) {
        return strcmp((*(struct vdb_vuln *const *) x)->id, (*(struct vdb_vuln *const *) y)->id);
}

static int cmp_row(const void *x, const void *y) {
        const struct row *a = x, *b = y;
        if (a->key != b->key)
                return a->key < b->key ? -1 : 1;
        int k = strcmp(a->ecosystem, b->ecosystem);
        return k ? k : strcmp(a->package, b->package);
}

struct span {
        const char *id;
        size_t off, len;
};

static int cmp_span(const void *x, const void *y, void *userdata) {
        const struct span *a = x, *b = y;
        const struct buf *scratch = userdata;
        int k = strcmp(a->id, b->id);
        if (k)
                return k;
        if (a->len != b->len)
                return a->len < b->len ? -1 : 1;
        return memcmp(scratch->data + a->off, scratch->data + b->off, a->len);
}

static bool distro_kind(enum vdb_kind k) {
        return k == VK_DEBIAN || k == VK_SECDB;
}

static int64_t extras_id(struct writer *w, const char *json) {
        if (!json)
                return 0;
        void *v = hashmap_get(w->extras, json);
        if (v)
                return (int64_t) (uintptr_t) v;
        if (VEC_PUSH(&w->extras_list, json) < 0 ||
            hashmap_put(w->extras, json, (void *) (uintptr_t) w->extras_list.n, NULL) < 0)
                return -ENOMEM;
        return (int64_t) w->extras_list.n;
}

static void finish_fields(const struct vdb_stmt *s, struct vdb_enc_stmt *e) {
        const struct vdb_vuln *v = s->vuln;
        e->cvss = s->cvss_vector ? s->cvss : v->cvss_vector ? v->cvss : v->has_nvd_cvss ? v->nvd_cvss : 0.0;
        e->cvss_vector = s->cvss_vector ? s->cvss_vector : v->cvss_vector ? v->cvss_vector : v->nvd_vector;
        if (s->severity != SEV_UNKNOWN) {
                e->severity = s->severity;
                e->severity_source = s->severity_source;
        } else if (v->severity != SEV_UNKNOWN) {
                e->severity = v->severity;
                e->severity_source = v->severity_source;
        } else if ((s->cvss_vector || v->cvss_vector) && vdb_severity_from_cvss(e->cvss) != SEV_UNKNOWN) {
                e->severity = vdb_severity_from_cvss(e->cvss);
                e->severity_source = "cvss";
        } else if (v->has_nvd_cvss && vdb_severity_from_cvss(v->nvd_cvss) != SEV_UNKNOWN) {
                e->severity = vdb_severity_from_cvss(v->nvd_cvss);
                e->severity_source = "nvd";
        }
}

/* Encodes the statements of one (ecosystem, package): items[0..n), sorted by id. */
static int encode_package(struct writer *w, struct vdb_stmt **items, size_t n, struct buf *scratch,
                          struct buf *body, struct buf *blob) {
        _cleanup_free_ struct span *spans = calloc(n, sizeof *spans);
        size_t k = 0;
        int r;
        if (!spans)
                return -ENOMEM;
        buf_reset(scratch);
        for (size_t i = 0; i < n; i++) {
                struct vdb_stmt *s = items[i];
                /* A later source overrides an earlier one about the same (id, ecosystem, package) in
                 * distro feeds (two snapshots of one tracker); within one source all are kept. */
                if (distro_kind(s->kind)) {
                        bool newer = false;
                        for (size_t j = i + 1; j < n && streq(items[j]->vuln->id, s->vuln->id); j++)
                                newer |= distro_kind(items[j]->kind) && items[j]->group > s->group;
                        if (newer)
                                continue;
                }
                struct vdb_enc_stmt e = {
                        .id = s->vuln->id,
                        .aliases = s->vuln->aliases,
                        .upstream = s->vuln->upstream,
                        .status = s->status,
                        .kev = s->vuln->kev,
                        .fixed = s->fixed,
                        .kev_date = s->vuln->kev_date,
                        .note = s->note,
                        .source = s->group,
                        .details_ref = s->vuln->rowid,
                        .extras_ref = 0,
                        .ranges = NULL,
                        .n_ranges = s->n_ranges,
                        .versions = s->versions,
                };
                struct vuln_range rv[VDB_MAX_RANGES];
                for (size_t q = 0; q < s->n_ranges; q++)
                        rv[q] = (struct vuln_range){s->ranges[q].type, s->ranges[q].events,
                                                    s->ranges[q].n_events};
                e.ranges = rv;
                finish_fields(s, &e);
                int64_t x = extras_id(w, s->eco_specific);
                if (x < 0)
                        return (int) x;
                e.extras_ref = x;
                size_t off = scratch->len;
                if ((r = vdb_encode_stmt(scratch, &e)) < 0)
                        return r;
                spans[k++] = (struct span){s->vuln->id, off, scratch->len - off};
        }
        if (k > 1)
                qsort_r(spans, k, sizeof *spans, cmp_span, scratch);
        buf_reset(body);
        size_t kept = 0;
        for (size_t i = 0; i < k; i++) {
                if (i > 0 && spans[i].len == spans[i - 1].len &&
                    memcmp(scratch->data + spans[i].off, scratch->data + spans[i - 1].off, spans[i].len) ==
                            0) {
                        w->c->stats.merged_identical++;
                        continue;
                }
                if (kept >= VDB_MAX_PKG_STATEMENTS) {
                        diag_warn(w->c->d, "%s/%s: more than %d statements, the rest are dropped",
                                  items[0]->ecosystem, items[0]->package, VDB_MAX_PKG_STATEMENTS);
                        break;
                }
                if ((r = buf_append(body, scratch->data + spans[i].off, spans[i].len)) < 0)
                        return r;
                kept++;
        }
        if (kept == 0)
                return 0;
        if ((r = vdb_encode_package(blob, body->data, body->len, kept)) < 0)
                return r;
        struct row *row = VEC_NEW(&w->index);
        if (!row)
                return -ENOMEM;
        *row = (struct row){vdb_package_key(items[0]->ecosystem, items[0]->package), items[0]->ecosystem,
                            items[0]->package, w->rows.len, blob->len};
        if ((r = buf_append(&w->rows, blob->data, blob->len)) < 0)
                return r;
        w->n_statements += kept;
        struct eco_count *ec = w->ecos.n && w->ecos.items[w->ecos.n - 1].name == items[0]->ecosystem
                                       ? &w->ecos.items[w->ecos.n - 1]
                                       : NULL;
        if (!ec) {
                if (!(ec = VEC_NEW(&w->ecos)))
                        return -ENOMEM;
                ec->name = items[0]->ecosystem;
        }
        ec->packages++;
        ec->statements += kept;
        return 0;
}

static int prepare_rows(struct writer *w) {
        struct vdb_build *b = &w->c->b;
        _cleanup_free_ struct vdb_stmt **live = NULL;
        _cleanup_(buf_free) struct buf scratch = BUF_INIT(0), body = BUF_INIT(0), blob = BUF_INIT(0);
        size_t n = 0;
        int r;

        live = malloc(MAX(b->stmts.n, (size_t) 1) * sizeof *live);
        if (!live)
                return -ENOMEM;
        VEC_FOREACH (s, &b->stmts) {
                if (s->dead || (s->kind == VK_OSV && s->gen != s->vuln->osv_gen))
                        continue;
                s->vuln->referenced = true;
                live[n++] = s;
        }
        /* vulnerability rows: referenced ones, by id */
        const char *key;
        struct vdb_vuln *v;
        HASHMAP_FOREACH (key, v, b->vulns, i)
                if (v->referenced && VEC_PUSH(&w->vulns, v) < 0)
                        return -ENOMEM;
        qsort_safe(w->vulns.items, w->vulns.n, sizeof *w->vulns.items, cmp_vuln);
        for (size_t i = 0; i < w->vulns.n; i++)
                w->vulns.items[i]->rowid = (int64_t) i + 1;

        qsort_safe(live, n, sizeof *live, cmp_stmt);
        for (size_t i = 0; i < n;) {
                size_t j = i + 1;
                while (j < n && live[j]->ecosystem == live[i]->ecosystem &&
                       streq(live[j]->package, live[i]->package))
                        j++;
                if ((r = encode_package(w, live + i, j - i, &scratch, &body, &blob)) < 0)
                        return r;
                i = j;
        }
        /* Rows go in rowid order (b-tree appends, no page splits); equal keys (hash collisions) take the
         * next free rowid, which lookups probe. */
        qsort_safe(w->index.items, w->index.n, sizeof *w->index.items, cmp_row);
        int64_t last = 0;
        VEC_FOREACH (row, &w->index) {
                if (row->key <= last) {
                        if (last - row->key >= MAX_PROBE || last == INT64_MAX)
                                return diag_error(w->c->d, -EOVERFLOW,
                                                  "too many package key collisions at %s/%s", row->ecosystem,
                                                  row->package);
                        row->key = last + 1;
                }
                last = row->key;
        }
        return 0;
}

static int exec(struct writer *w, const char *sql) {
        return sqlite3_exec(w->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : sql_fail(w, sql);
}

static int prepare(struct writer *w, const char *sql, sqlite3_stmt **st) {
        return sqlite3_prepare_v2(w->db, sql, -1, st, NULL) == SQLITE_OK ? 0 : sql_fail(w, "prepare");
}

static int step_done(struct writer *w, sqlite3_stmt *st, const char *what) {
        int s = sqlite3_step(st);
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return s == SQLITE_DONE ? 0 : sql_fail(w, what);
}

static const char *const schema_sql =
        "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
        "CREATE TABLE sources(id INTEGER PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL,"
        " location TEXT NOT NULL, snapshot TEXT, records INTEGER NOT NULL, skipped INTEGER NOT NULL,"
        " sha256 TEXT NOT NULL);"
        "CREATE TABLE ecosystems(name TEXT PRIMARY KEY, packages INTEGER NOT NULL,"
        " statements INTEGER NOT NULL) WITHOUT ROWID;"
        "CREATE TABLE vulns(id INTEGER PRIMARY KEY, name TEXT NOT NULL, data BLOB NOT NULL);"
        "CREATE TABLE extras(id INTEGER PRIMARY KEY, data BLOB NOT NULL);"
        "CREATE TABLE packages(id INTEGER PRIMARY KEY, ecosystem TEXT NOT NULL, name TEXT NOT NULL,"
        " data BLOB NOT NULL);";

static int write_tables(struct writer *w) {
        struct ctx *c = w->c;
        sqlite3_stmt *st = NULL;
        _cleanup_(buf_free) struct buf blob = BUF_INIT(0);
        int r = 0;

        if ((r = exec(w, schema_sql)) < 0)
                return r;
        /* sources: the id is the index statements carry, plus one */
        if ((r = prepare(w, "INSERT INTO sources VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", &st)) < 0)
                return r;
        for (size_t i = 0; i < c->groups.n && r >= 0; i++) {
                const struct group *g = &c->groups.items[i];
                sqlite3_bind_int64(st, 1, (int64_t) i + 1);
                sqlite3_bind_text(st, 2, g->name, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 3, vdb_kind_to_string(g->kind), -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 4, g->location, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 5, g->snapshot, -1, SQLITE_STATIC);
                sqlite3_bind_int64(st, 6, (int64_t) g->records);
                sqlite3_bind_int64(st, 7, (int64_t) g->skipped);
                sqlite3_bind_text(st, 8, g->digest, -1, SQLITE_STATIC);
                r = step_done(w, st, "sources");
        }
        sqlite3_finalize(st);
        if (r < 0 || (r = prepare(w, "INSERT INTO vulns VALUES(?1, ?2, ?3)", &st)) < 0)
                return r;
        for (size_t i = 0; i < w->vulns.n && r >= 0; i++) {
                const struct vdb_vuln *v = w->vulns.items[i];
                if ((r = vdb_encode_details(&blob, v->summary, v->published, v->modified, v->cwes,
                                            v->related)) < 0)
                        break;
                sqlite3_bind_int64(st, 1, v->rowid);
                sqlite3_bind_text(st, 2, v->id, -1, SQLITE_STATIC);
                sqlite3_bind_blob(st, 3, blob.data, (int) blob.len, SQLITE_STATIC);
                r = step_done(w, st, "vulnerabilities");
        }
        sqlite3_finalize(st);
        if (r < 0 || (r = prepare(w, "INSERT INTO extras VALUES(?1, ?2)", &st)) < 0)
                return r;
        for (size_t i = 0; i < w->extras_list.n && r >= 0; i++) {
                if ((r = vdb_encode_extras(&blob, w->extras_list.items[i])) < 0)
                        break;
                sqlite3_bind_int64(st, 1, (int64_t) i + 1);
                sqlite3_bind_blob(st, 2, blob.data, (int) blob.len, SQLITE_STATIC);
                r = step_done(w, st, "extras");
        }
        sqlite3_finalize(st);
        if (r < 0 || (r = prepare(w, "INSERT INTO packages VALUES(?1, ?2, ?3, ?4)", &st)) < 0)
                return r;
        VEC_FOREACH (row, &w->index) {
                if (row->len > INT32_MAX) {
                        r = diag_error(c->d, -E2BIG, "%s/%s: record too large", row->ecosystem,
                                       row->package);
                        break;
                }
                sqlite3_bind_int64(st, 1, row->key);
                sqlite3_bind_text(st, 2, row->ecosystem, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 3, row->package, -1, SQLITE_STATIC);
                sqlite3_bind_blob(st, 4, w->rows.data + row->off, (int) row->len, SQLITE_STATIC);
                if ((r = step_done(w, st, "packages")) < 0)
                        break;
        }
        sqlite3_finalize(st);
        if (r < 0 || (r = prepare(w, "INSERT INTO ecosystems VALUES(?1, ?2, ?3)", &st)) < 0)
                return r;
        VEC_FOREACH (e, &w->ecos) {
                sqlite3_bind_text(st, 1, e->name, -1, SQLITE_STATIC);
                sqlite3_bind_int64(st, 2, (int64_t) e->packages);
                sqlite3_bind_int64(st, 3, (int64_t) e->statements);
                if ((r = step_done(w, st, "ecosystems")) < 0)
                        break;
        }
        sqlite3_finalize(st);
        return r;
}

static int write_meta(struct writer *w, const char *built_at, const char *checksum) {
        char num[4][32];
        sqlite3_stmt *st = NULL;
        int r;
        snprintf(num[0], sizeof num[0], "%zu", w->vulns.n);
        snprintf(num[1], sizeof num[1], "%zu", w->n_statements);
        snprintf(num[2], sizeof num[2], "%zu", w->index.n);
        snprintf(num[3], sizeof num[3], "%d", VULNDB_SCHEMA_VERSION);
        const char *tool = w->c->o && w->c->o->tool_version ? w->c->o->tool_version : "unknown";
        const char *kv[][2] = {
                {"magic", VDB_MAGIC},
                {"schema_version", num[3]},
                {"builder", tool},
                {"built_at", built_at},
                {"checksum", checksum},
                {"vulns", num[0]},
                {"statements", num[1]},
                {"packages", num[2]},
                {"page_count", "00000000000000000000"}, /* filled after the last page is written */
        };
        if ((r = prepare(w, "INSERT INTO meta VALUES(?1, ?2)", &st)) < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(kv) && r >= 0; i++) {
                sqlite3_bind_text(st, 1, kv[i][0], -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 2, kv[i][1], -1, SQLITE_STATIC);
                r = step_done(w, st, "meta");
        }
        sqlite3_finalize(st);
        return r;
}

static int64_t pragma_int(sqlite3 *db, const char *sql) {
        sqlite3_stmt *st = NULL;
        int64_t v = -1;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
                v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return v;
}

static int write_database(struct writer *w, const char *tmp, const char *built_at) {
        char checksum[DIGEST_STR_MAX], sql[128];
        int r;

        if (sqlite3_open_v2(tmp, &w->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
                return w->db ? sql_fail(w, "open") : -ENOMEM;
        sqlite3_db_config(w->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
        snprintf(sql, sizeof sql, "PRAGMA application_id=%d; PRAGMA user_version=%d;", VDB_APPLICATION_ID,
                 VULNDB_SCHEMA_VERSION);
        if ((r = exec(w, "PRAGMA page_size=4096; PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                         "PRAGMA locking_mode=EXCLUSIVE; PRAGMA temp_store=MEMORY;")) < 0 ||
            (r = exec(w, sql)) < 0 || (r = exec(w, "BEGIN")) < 0 || (r = write_tables(w)) < 0)
                return r;
        if ((r = vdb_content_checksum(w->db, checksum)) < 0)
                return r == -ENOMEM ? r : sql_fail(w, "checksum");
        if ((r = write_meta(w, built_at, checksum)) < 0 || (r = exec(w, "COMMIT")) < 0)
                return r;
        /* Rows were appended in key order: the file has no free pages to vacuum away. */
        if (pragma_int(w->db, "PRAGMA freelist_count") > 0 && (r = exec(w, "VACUUM")) < 0)
                return r;
        int64_t pages = pragma_int(w->db, "PRAGMA page_count");
        if (pages <= 0)
                return sql_fail(w, "page_count");
        snprintf(sql, sizeof sql, "UPDATE meta SET value='%020lld' WHERE key='page_count'",
                 (long long) pages);
        if ((r = exec(w, sql)) < 0)
                return r;
        if (pragma_int(w->db, "PRAGMA page_count") != pages)
                return sql_fail(w, "page count changed");
        if (sqlite3_close(w->db) != SQLITE_OK)
                return sql_fail(w, "close");
        w->db = NULL;
        return 0;
}

static int fsync_dir_of(const char *path) {
        _cleanup_free_ char *dir = strdup(path);
        if (!dir)
                return -ENOMEM;
        char *slash = strrchr(dir, '/');
        if (slash == dir)
                slash[1] = 0;
        else if (slash)
                *slash = 0;
        else
                strcpy(dir, ".");
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) < 0)
                return negative_errno();
        return 0;
}

static int write_out(struct ctx *c, const char *out_path) {
        struct writer w = {.c = c};
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -1;
        char built[32];
        int r;

        if (asprintf(&tmp, "%s.tmp-XXXXXX", out_path) < 0) {
                tmp = NULL;
                return -ENOMEM;
        }
        if (!(w.extras = hashmap_new()))
                return -ENOMEM;
        w.rows = BUF_INIT(0);
        r = prepare_rows(&w);
        if (r < 0)
                goto out;

        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0) {
                r = diag_error(c->d, negative_errno(), "cannot create '%s': %s", tmp, strerror(errno));
                free(tmp);
                tmp = NULL;
                goto out;
        }
        (void) fchmod(fd, 0644);
        w.path = tmp;
        const char *built_at = c->o && c->o->built_at ? c->o->built_at : NULL;
        if (!built_at) {
                vdb_format_time(time(NULL), built);
                built_at = built;
        }
        r = write_database(&w, tmp, built_at);
        if (r < 0)
                goto fail;
        if (fsync(fd) < 0) {
                r = diag_error(c->d, negative_errno(), "cannot write '%s': %s", tmp, strerror(errno));
                goto fail;
        }
        struct stat st;
        if (fstat(fd, &st) == 0)
                c->stats.db_bytes = (uint64_t) st.st_size;
        if (rename(tmp, out_path) < 0) {
                r = diag_error(c->d, negative_errno(), "cannot replace '%s': %s", out_path, strerror(errno));
                goto fail;
        }
        (void) fsync_dir_of(out_path);
        c->stats.vulns = w.vulns.n;
        c->stats.affected = w.n_statements;
        c->stats.packages = w.index.n;
        r = 0;
        goto out;
fail:
        sqlite3_close(w.db);
        w.db = NULL;
        (void) unlink(tmp);
out:
        sqlite3_close(w.db);
        buf_free(&w.rows);
        VEC_FREE(&w.index);
        VEC_FREE(&w.vulns);
        VEC_FREE(&w.extras_list);
        VEC_FREE(&w.ecos);
        hashmap_free(w.extras);
        return r;
}

/* The content checksum: every column of every stored row, typed and length-prefixed. */
int vdb_content_checksum(sqlite3 *db, char out[static DIGEST_STR_MAX]) {
        static const char *const queries[] = {
                ("SELECT id, name, kind, location, snapshot, records, skipped, sha256 FROM sources "
                 "ORDER BY id"),
                "SELECT id, name, data FROM vulns ORDER BY id",
                "SELECT id, data FROM extras ORDER BY id",
                "SELECT id, ecosystem, name, data FROM packages ORDER BY id",
                "SELECT name, packages, statements FROM ecosystems ORDER BY name",
        };
        struct sha256 h;
        int r = sha256_init(&h);
        if (r < 0)
                return r;
        for (size_t q = 0; q < ELEMENTSOF(queries) && r == 0; q++) {
                sqlite3_stmt *st = NULL;
                if (sqlite3_prepare_v2(db, queries[q], -1, &st, NULL) != SQLITE_OK) {
                        r = -EBADMSG;
                        break;
                }
                int s;
                while ((s = sqlite3_step(st)) == SQLITE_ROW) {
                        int n = sqlite3_column_count(st);
                        for (int i = 0; i < n; i++) {
                                unsigned char tag = (unsigned char) sqlite3_column_type(st, i);
                                sha256_update(&h, &tag, 1);
                                if (tag == SQLITE_INTEGER) {
                                        int64_t v = sqlite3_column_int64(st, i);
                                        unsigned char le[8];
                                        for (int k = 0; k < 8; k++)
                                                le[k] = (unsigned char) ((uint64_t) v >> (8 * k));
                                        sha256_update(&h, le, 8);
                                } else if (tag != SQLITE_NULL) {
                                        const void *p = tag == SQLITE_BLOB
                                                                ? sqlite3_column_blob(st, i)
                                                                : (const void *) sqlite3_column_text(st, i);
                                        uint64_t len = (uint64_t) sqlite3_column_bytes(st, i);
                                        unsigned char le[8];
                                        for (int k = 0; k < 8; k++)
                                                le[k] = (unsigned char) (len >> (8 * k));
                                        sha256_update(&h, le, 8);
                                        if (len)
                                                sha256_update(&h, p, (size_t) len);
                                }
                        }
                }
                if (s != SQLITE_DONE)
                        r = -EBADMSG;
                sqlite3_finalize(st);
        }
        if (r < 0) {
                sha256_done(&h);
                return r;
        }
        sha256_final_str(&h, out);
        return 0;
}

int vulndb_build(const char *const *sources, size_t n_sources, const char *out_path,
                 const struct vulndb_build_options *o, struct diag *d, struct vulndb_build_stats *ret) {
        struct ctx c = {.o = o, .d = d};
        int r;

        if (n_sources == 0)
                return diag_error(d, -EINVAL, "no feed to build the vulnerability database from");
        /* The database is renamed over the destination: never over a device (--out /dev/null) or a
         * directory. */
        struct stat st;
        if (stat(out_path, &st) == 0 && !S_ISREG(st.st_mode))
                return diag_error(d, -EINVAL,
                                  "cannot write the vulnerability database to '%s': not a regular file",
                                  out_path);
        r = vdb_build_init(&c.b, d, o ? o->max_record_bytes : 0, o ? o->max_file_bytes : 0,
                           o ? o->max_memory : 0);
        if (r < 0)
                return r;
        c.a = c.b.arena;
        for (size_t i = 0; i < n_sources; i++)
                if ((r = add_argument(&c, sources[i])) < 0)
                        goto out;
        for (size_t i = 0; i < c.inputs.n; i++) {
                const struct input *in = &c.inputs.items[i];
                if (o && o->progress)
                        o->progress(o->progress_userdata, c.args.items[in->arg].path, i, c.inputs.n);
                if ((r = read_input(&c, in)) < 0)
                        goto out;
        }
        if (o && o->progress)
                o->progress(o->progress_userdata, NULL, c.inputs.n, c.inputs.n);
        VEC_FOREACH (ag, &c.args)
                if (ag->usable == 0) {
                        r = diag_error(d, -ENODATA, "source '%s' has no usable vulnerability record%s",
                                       ag->path, d->n_warnings ? " (see the warnings)" : "");
                        goto out;
                }
        if ((r = name_groups(&c)) < 0)
                goto out;
        if ((r = link_aliases(&c.b)) < 0)
                goto out;
        enrich(&c.b);
        if ((r = vdb_check(&c.b)) < 0)
                goto out;
        r = write_out(&c, out_path);
out:
        if (r == -ENOMEM)
                (void) diag_error(d, r, "out of memory while building the vulnerability database");
        VEC_FOREACH (g, &c.groups)
                if (!g->digest[0])
                        sha256_done(&g->h);
        if (r >= 0 && ret)
                *ret = c.stats;
        VEC_FREE(&c.inputs);
        VEC_FREE(&c.args);
        VEC_FREE(&c.groups);
        vdb_build_done(&c.b);
        return r;
}

char *vulndb_default_path(void) {
        const char *x = getenv("XDG_CACHE_HOME");
        char *p = NULL;
        if (x && x[0] == '/')
                return asprintf(&p, "%s/stockade/vuln.db", x) < 0 ? NULL : p;
        const char *h = getenv("HOME");
        if (!h || h[0] != '/')
                h = "/tmp";
        return asprintf(&p, "%s/.cache/stockade/vuln.db", h) < 0 ? NULL : p;
}
