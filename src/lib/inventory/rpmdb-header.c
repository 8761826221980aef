/* SPDX-License-Identifier: Apache-2.0 */
/* rpm header blobs, as every rpmdb backend stores them, and the struct pkg made from one.
 *
 * A blob is: il (u32) and dl (u32), then il index entries of 16 bytes {tag, type, offset, count}, then
 * the dl-byte data store; all integers big-endian, offsets relative to the store. An installed header
 * usually opens with a region entry (HEADERIMMUTABLE): the entries of the package as built, closed by a
 * 16-byte trailer inside the store whose negated offset gives the region's size; entries rpm added at
 * install time follow it and replace same-tag entries of the region.
 *
 * Nothing here trusts the blob: entries are only believed after their offset, count and type have been
 * checked against the store, and strings only when their NUL lies inside the store. */

#include <inttypes.h>
#include <string.h>

#include "arena.h"
#include "path-util.h"
#include "rpmdb.h"

#define ENTRY_SIZE 16

static uint32_t be32(const uint8_t *p) {
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | (uint32_t) p[3];
}

struct entry {
        uint32_t tag, type, offset, count;
};

static void entry_read(const uint8_t *p, struct entry *e) {
        *e = (struct entry){be32(p), be32(p + 4), be32(p + 8), be32(p + 12)};
}

static bool is_region_tag(uint32_t tag) {
        return tag >= RPMTAG_HEADERIMAGE && tag < RPMTAG_HEADERREGIONS;
}

int rpm_header_parse(const uint8_t *blob, size_t n, struct rpm_header *ret, const char **ret_why) {
        struct rpm_header h = {0};
        uint64_t need;

        if (n < 8) {
                *ret_why = "shorter than a header";
                return -EBADMSG;
        }
        h.il = be32(blob);
        h.dl = be32(blob + 4);
        if (h.il == 0) {
                *ret_why = "no tags";
                return -EBADMSG;
        }
        if (h.il > RPMDB_MAX_HEADER_TAGS) {
                *ret_why = "too many tags";
                return -EBADMSG;
        }
        if (h.dl > RPMDB_MAX_HEADER_BYTES) {
                *ret_why = "data store too large";
                return -EBADMSG;
        }
        need = 8 + (uint64_t) h.il * ENTRY_SIZE + h.dl;
        if (need > n) {
                *ret_why = "truncated";
                return -EBADMSG;
        }
        h.index = blob + 8;
        h.store = h.index + (size_t) h.il * ENTRY_SIZE;

        /* The region: the first entry points at a trailer whose negated offset is the size of the region's
         * index. rpm refuses headers whose region is broken. Lookups do not depend on the region (the last
         * entry of a tag wins, and install-time entries come last), so a broken one is only reported: a
         * scanner that skipped what rpm might still show would let a package hide. */
        struct entry e0, tr;
        entry_read(h.index, &e0);
        if (is_region_tag(e0.tag)) {
                uint64_t end = (uint64_t) e0.offset + ENTRY_SIZE;
                if (e0.type == RPM_BIN_TYPE && e0.count == ENTRY_SIZE && end <= h.dl) {
                        entry_read(h.store + e0.offset, &tr);
                        uint32_t size = -tr.offset; /* offsets are int32 on disk */
                        uint32_t tag = tr.tag;
                        /* Old packages carry HEADERIMAGE in a signature region's trailer. */
                        if (e0.tag == RPMTAG_HEADERSIGNATURES && tag == RPMTAG_HEADERIMAGE)
                                tag = RPMTAG_HEADERSIGNATURES;
                        if (tag == e0.tag && tr.type == RPM_BIN_TYPE && tr.count == ENTRY_SIZE &&
                            size % ENTRY_SIZE == 0 && size / ENTRY_SIZE >= 1 && size / ENTRY_SIZE <= h.il) {
                                h.region_tag = e0.tag;
                                h.region_il = size / ENTRY_SIZE;
                        }
                }
                h.region_bad = h.region_tag == 0;
        }
        *ret = h;
        return 0;
}

/* The last entry with this tag. */
static int find(const struct rpm_header *h, uint32_t tag, struct entry *ret) {
        for (uint32_t i = h->il; i-- > 0;) {
                const uint8_t *p = h->index + (size_t) i * ENTRY_SIZE;
                if (be32(p) != tag)
                        continue;
                entry_read(p, ret);
                if (ret->offset >= h->dl || ret->count == 0)
                        return -EBADMSG;
                return 0;
        }
        return -ENOENT;
}

/* Walks count NUL-terminated strings from off; returns 0 if all of them end inside the store. */
static int check_strings(const struct rpm_header *h, uint32_t off, uint32_t count) {
        const uint8_t *p = h->store + off, *end = h->store + h->dl;
        /* Every string takes at least one byte: this bounds count before walking. */
        if (count > h->dl - off)
                return -EBADMSG;
        for (uint32_t i = 0; i < count; i++) {
                const uint8_t *z = memchr(p, 0, (size_t) (end - p));
                if (!z)
                        return -EBADMSG;
                p = z + 1;
        }
        return 0;
}

int rpm_header_get_string(const struct rpm_header *h, uint32_t tag, const char **ret, size_t *ret_len) {
        struct entry e;
        int r = find(h, tag, &e);
        if (r < 0)
                return r;
        switch (e.type) {
        case RPM_STRING_TYPE:
                if (e.count != 1)
                        return -EBADMSG;
                break;
        case RPM_STRING_ARRAY_TYPE:
        case RPM_I18NSTRING_TYPE:
                /* The first string is the one we want (the default locale for I18N). */
                break;
        default: return -EBADMSG;
        }
        const uint8_t *p = h->store + e.offset;
        const uint8_t *z = memchr(p, 0, h->dl - e.offset);
        if (!z)
                return -EBADMSG;
        *ret = (const char *) p;
        *ret_len = (size_t) (z - p);
        return 0;
}

int rpm_header_get_u32(const struct rpm_header *h, uint32_t tag, uint32_t *ret) {
        struct entry e;
        int r = find(h, tag, &e);
        if (r < 0)
                return r;
        const uint8_t *p = h->store + e.offset;
        size_t left = h->dl - e.offset;
        switch (e.type) {
        case RPM_INT32_TYPE:
                if (left < 4)
                        return -EBADMSG;
                *ret = be32(p);
                return 0;
        case RPM_INT16_TYPE:
                if (left < 2)
                        return -EBADMSG;
                *ret = (uint32_t) p[0] << 8 | p[1];
                return 0;
        case RPM_INT8_TYPE:
        case RPM_CHAR_TYPE: *ret = p[0]; return 0;
        default: return -EBADMSG;
        }
}

int rpm_header_get_string_array(const struct rpm_header *h, uint32_t tag, const char **ret,
                                uint32_t *ret_count) {
        struct entry e;
        int r = find(h, tag, &e);
        if (r < 0)
                return r;
        if (e.type != RPM_STRING_ARRAY_TYPE)
                return -EBADMSG;
        r = check_strings(h, e.offset, e.count);
        if (r < 0)
                return r;
        *ret = (const char *) h->store + e.offset;
        *ret_count = e.count;
        return 0;
}

int rpm_header_get_u32_array(const struct rpm_header *h, uint32_t tag, const uint8_t **ret,
                             uint32_t *ret_count) {
        struct entry e;
        int r = find(h, tag, &e);
        if (r < 0)
                return r;
        if (e.type != RPM_INT32_TYPE)
                return -EBADMSG;
        if ((uint64_t) e.offset + (uint64_t) e.count * 4 > h->dl)
                return -EBADMSG;
        *ret = h->store + e.offset;
        *ret_count = e.count;
        return 0;
}

int rpm_split_sourcerpm(struct arena *a, const char *srpm, const char **ret_name, const char **ret_version) {
        size_t n = strlen(srpm);
        static const char *const suffixes[] = {".src.rpm", ".nosrc.rpm"};
        bool found = false;

        for (size_t i = 0; i < ELEMENTSOF(suffixes) && !found; i++) {
                size_t k = strlen(suffixes[i]);
                if (n > k && streq(srpm + n - k, suffixes[i])) {
                        n -= k;
                        found = true;
                }
        }
        if (!found)
                return -EINVAL;

        /* name-version-release: the last two dashes split it; names may contain dashes, versions and
         * releases may not. */
        const char *rel = memrchr(srpm, '-', n);
        if (!rel || rel == srpm || rel + 1 == srpm + n)
                return -EINVAL;
        const char *ver = memrchr(srpm, '-', (size_t) (rel - srpm));
        if (!ver || ver == srpm || ver + 1 == rel)
                return -EINVAL;

        char *name = arena_strndup(a, srpm, (size_t) (ver - srpm));
        char *version = arena_strndup(a, ver + 1, (size_t) (srpm + n - ver - 1));
        if (!name || !version)
                return -ENOMEM;
        *ret_name = name;
        *ret_version = version;
        return 0;
}

/* ---- header -> struct pkg ---- */

/* Only the first few broken headers of a database are reported one by one; rpmdb_read() sums up the
 * rest. */
#define BAD_HEADER_WARNINGS 5

static void warn_bad(struct rpmdb_walk *w, const char *why) {
        w->n_bad++;
        if (w->n_bad <= BAD_HEADER_WARNINGS)
                layer_ctx_warn(w->ctx, "skipping package header %llu of rpm database '%s': %s",
                               (unsigned long long) w->n_blobs, w->path, why);
}

/* A string field: 0 with *ret NULL when absent, -EBADMSG when malformed or longer than max. */
static int get_field(const struct rpm_header *h, uint32_t tag, size_t max, const char **ret,
                     size_t *ret_len) {
        int r = rpm_header_get_string(h, tag, ret, ret_len);
        if (r == -ENOENT) {
                *ret = NULL;
                *ret_len = 0;
                return 0;
        }
        if (r < 0)
                return r;
        return *ret_len > max ? -EBADMSG : 0;
}

static void stop_for_arena(struct rpmdb_walk *w) {
        if (!w->stop)
                layer_ctx_warn(w->ctx,
                               "rpm database '%s': stopping after %llu packages, the layer's metadata limit "
                               "is reached",
                               w->path, (unsigned long long) w->n_pkgs);
        w->stop = true;
}

/* The directories of a file list, normalized once each: a header may point a million basenames at one
 * long directory name, and normalizing it again for each would cost gigabytes of work. */
struct dirs {
        char *pool;      /* the normalized names, NUL-separated */
        size_t *off;     /* where each starts in pool */
        uint32_t *len;   /* its length; UINT32_MAX when it is not a usable directory */
        uint16_t *depth; /* its number of components */
};

static void dirs_free(struct dirs *d) {
        free(d->pool);
        free(d->off);
        free(d->len);
        free(d->depth);
}

static int dirs_init(struct dirs *d, const char *names, uint32_t n, size_t bytes) {
        char out[PATH_MAX_IMAGE + 1];
        size_t used = 0;

        /* Normalizing never lengthens a name: the pool needs at most the names' own bytes. */
        d->pool = malloc(bytes + 1);
        d->off = malloc(sizeof *d->off * (n ? n : 1));
        d->len = malloc(sizeof *d->len * (n ? n : 1));
        d->depth = malloc(sizeof *d->depth * (n ? n : 1));
        if (!d->pool || !d->off || !d->len || !d->depth)
                return -ENOMEM;
        for (uint32_t i = 0; i < n; i++) {
                size_t l = strlen(names);
                d->off[i] = used;
                d->len[i] = UINT32_MAX;
                /* "/" normalizes to "" (the root), which is a fine directory. */
                if (path_normalize_member(names, out) == 0) {
                        size_t k = strlen(out);
                        memcpy(d->pool + used, out, k + 1);
                        d->len[i] = (uint32_t) k;
                        d->depth[i] = 0;
                        for (size_t j = 0; j < k; j++)
                                d->depth[i] += out[j] == '/';
                        d->depth[i] += k > 0;
                        used += k + 1;
                }
                names += l + 1;
        }
        return 0;
}

/* A basename must be one plain path component (or empty), as rpm writes them. */
static bool is_component(const char *b, size_t len) {
        return !memchr(b, '/', len) && !(len == 1 && b[0] == '.') &&
               !(len == 2 && b[0] == '.' && b[1] == '.');
}

static int push_file(struct rpmdb_walk *w, const char *path, const char **files, uint32_t *n) {
        const char *s = layer_ctx_strdup(w->ctx, path);
        if (!s)
                return -ENOMEM;
        files[(*n)++] = s;
        return 0;
}

/* Reads the file list: BASENAMES + DIRNAMES indexed by DIRINDEXES, or OLDFILENAMES in headers from before
 * rpm 4. Paths become image paths ("usr/bin/bash"); names that are not usable paths (climbing above the
 * root, too long or deep) are counted and reported. A broken file list is reported and leaves the
 * package without files. */
static int add_files(struct rpmdb_walk *w, const struct rpm_header *h, struct pkg *p) {
        const char *bases = NULL, *dirnames = NULL;
        const uint8_t *idx = NULL;
        uint32_t n_bases = 0, n_dirs = 0, n_idx = 0, n = 0, n_skipped = 0;
        _cleanup_(dirs_free) struct dirs dirs = {0};
        char path[PATH_MAX_IMAGE + 1];
        const char *why = NULL;
        bool old = false;
        int r;

        r = rpm_header_get_string_array(h, RPMTAG_BASENAMES, &bases, &n_bases);
        if (r == -ENOENT) {
                r = rpm_header_get_string_array(h, RPMTAG_OLDFILENAMES, &bases, &n_bases);
                if (r == -ENOENT)
                        return 0;
                old = true;
        }
        if (r < 0) {
                why = old ? "bad OLDFILENAMES" : "bad BASENAMES";
                goto bad;
        }
        if (!old) {
                r = rpm_header_get_string_array(h, RPMTAG_DIRNAMES, &dirnames, &n_dirs);
                if (r < 0) {
                        why = r == -ENOENT ? "BASENAMES without DIRNAMES" : "bad DIRNAMES";
                        goto bad;
                }
                r = rpm_header_get_u32_array(h, RPMTAG_DIRINDEXES, &idx, &n_idx);
                if (r < 0) {
                        why = r == -ENOENT ? "BASENAMES without DIRINDEXES" : "bad DIRINDEXES";
                        goto bad;
                }
                if (n_idx != n_bases) {
                        why = "DIRINDEXES and BASENAMES differ in length";
                        goto bad;
                }
                if (n_dirs > RPMDB_MAX_PKG_FILES) {
                        why = "too many DIRNAMES";
                        goto bad;
                }
        }
        if (n_bases > RPMDB_MAX_PKG_FILES) {
                why = "too many files";
                goto bad;
        }

        uint32_t want = n_bases;
        if (w->n_files + want > RPMDB_MAX_DB_FILES) {
                want = (uint32_t) (RPMDB_MAX_DB_FILES - w->n_files);
                if (!w->warned_files)
                        layer_ctx_warn(
                                w->ctx,
                                "rpm database '%s' lists more than %u files; the rest are not recorded",
                                w->path, (unsigned) RPMDB_MAX_DB_FILES);
                w->warned_files = true;
        }
        if (want == 0)
                return 0;

        if (!old) {
                /* The strings were checked to end inside the store, which bounds their total size. */
                r = dirs_init(&dirs, dirnames, n_dirs,
                              (size_t) (h->store + h->dl - (const uint8_t *) dirnames));
                if (r < 0)
                        return r;
        }

        const char **files = arena_alloc(layer_ctx_arena(w->ctx), sizeof *files * ((size_t) want + 1));
        if (!files)
                return -ENOMEM;
        const char *b = bases;
        size_t max_arena = layer_ctx_limits(w->ctx)->max_arena;
        for (uint32_t i = 0; i < want; i++, b += strlen(b) + 1) {
                /* One header can name a million long paths: keep to the layer's metadata budget. */
                if (arena_used(layer_ctx_arena(w->ctx)) > max_arena) {
                        stop_for_arena(w);
                        break;
                }
                if (old) {
                        /* Each name is its own bytes of the store: normalizing them all is linear. */
                        if (path_normalize_member(b, path) < 0) {
                                n_skipped++;
                                continue;
                        }
                } else {
                        uint32_t d = be32(idx + (size_t) i * 4);
                        size_t blen = strlen(b);
                        if (d >= n_dirs || dirs.len[d] == UINT32_MAX || !is_component(b, blen) ||
                            dirs.len[d] + 1 + blen > PATH_MAX_IMAGE || dirs.depth[d] + 1 > PATH_MAX_DEPTH) {
                                n_skipped++;
                                continue;
                        }
                        /* An empty basename is the directory itself ("/" is stored as "/" + ""). */
                        size_t dl = dirs.len[d];
                        memcpy(path, dirs.pool + dirs.off[d], dl);
                        if (dl && blen)
                                path[dl++] = '/';
                        memcpy(path + dl, b, blen + 1);
                }
                if (!path[0])
                        continue; /* the root directory: the filesystem package owns it, nothing to record */
                r = push_file(w, path, files, &n);
                if (r < 0)
                        return r;
        }
        files[n] = NULL;
        p->owned_files = files;
        w->n_files += n;
        if (n_skipped > 0)
                layer_ctx_warn(w->ctx,
                               "package '%s' in rpm database '%s': %u file names were not usable paths",
                               p->name, w->path, n_skipped);
        return 0;

bad:
        layer_ctx_warn(w->ctx, "package '%s' in rpm database '%s' has a broken file list (%s)", p->name,
                       w->path, why);
        return 0;
}

bool rpmdb_spend(struct rpmdb_walk *w, uint64_t n) {
        if (w->stop)
                return false;
        if (w->spent + n > w->budget) {
                layer_ctx_warn(
                        w->ctx,
                        "rpm database '%s' is damaged: its records hand out more data than the file holds; "
                        "stopping after %llu packages",
                        w->path, (unsigned long long) w->n_pkgs);
                w->stop = true;
                return false;
        }
        w->spent += n;
        return true;
}

enum { F_NAME, F_VERSION, F_RELEASE, F_ARCH, F_LICENSE, F_SOURCERPM, _F_MAX };

static const struct {
        uint32_t tag;
        size_t max;
        const char *bad;
} fields[_F_MAX] = {
        [F_NAME] = {RPMTAG_NAME, RPMDB_MAX_FIELD, "bad NAME"},
        [F_VERSION] = {RPMTAG_VERSION, RPMDB_MAX_FIELD, "bad VERSION"},
        [F_RELEASE] = {RPMTAG_RELEASE, RPMDB_MAX_FIELD, "bad RELEASE"},
        [F_ARCH] = {RPMTAG_ARCH, RPMDB_MAX_FIELD, "bad ARCH"},
        [F_LICENSE] = {RPMTAG_LICENSE, RPMDB_MAX_LICENSE, "bad LICENSE"},
        [F_SOURCERPM] = {RPMTAG_SOURCERPM, RPMDB_MAX_FIELD, "bad SOURCERPM"},
};

int rpmdb_add_header(struct rpmdb_walk *w, const uint8_t *blob, size_t n) {
        struct layer_ctx *c = w->ctx;
        struct arena *a = layer_ctx_arena(c);
        struct rpm_header h;
        const char *why = NULL, *f[_F_MAX];
        size_t len[_F_MAX];
        uint32_t epoch = 0;
        int r;

        if (w->stop)
                return 0;
        if (w->n_blobs >= RPMDB_MAX_PKGS) {
                layer_ctx_warn(c, "rpm database '%s': stopping after %u package headers", w->path,
                               (unsigned) RPMDB_MAX_PKGS);
                w->stop = true;
                return 0;
        }
        if (arena_used(a) > layer_ctx_limits(c)->max_arena) {
                stop_for_arena(w);
                return 0;
        }
        w->n_blobs++;
        if (rpm_header_parse(blob, n, &h, &why) < 0) {
                warn_bad(w, why);
                return 0;
        }

        /* Everything is checked before anything is kept, so that broken headers cost no memory. */
        for (size_t i = 0; i < _F_MAX; i++)
                if (get_field(&h, fields[i].tag, fields[i].max, &f[i], &len[i]) < 0) {
                        warn_bad(w, fields[i].bad);
                        return 0;
                }
        if (!f[F_NAME] || !f[F_NAME][0]) {
                warn_bad(w, "no NAME");
                return 0;
        }
        /* The keys rpm imported for signature checks are stored as packages named gpg-pubkey. */
        if (streq(f[F_NAME], "gpg-pubkey"))
                return 0;
        r = rpm_header_get_u32(&h, RPMTAG_EPOCH, &epoch);
        if (r == -EBADMSG) {
                warn_bad(w, "bad EPOCH");
                return 0;
        }
        bool has_epoch = r == 0;

        if (!w->record_path) {
                w->record_path = layer_ctx_strdup(c, w->path);
                if (!w->record_path)
                        return -ENOMEM;
        }
        struct pkg *p = layer_ctx_new_pkg(c);
        if (!p)
                return -ENOMEM;
        p->type = PKG_RPM;
        p->record_path = w->record_path;
        p->name = layer_ctx_strndup(c, f[F_NAME], len[F_NAME]);
        if (f[F_VERSION] && f[F_RELEASE] && f[F_RELEASE][0])
                p->version = arena_printf(a, "%s-%s", f[F_VERSION], f[F_RELEASE]);
        else if (f[F_VERSION])
                p->version = layer_ctx_strndup(c, f[F_VERSION], len[F_VERSION]);
        if (f[F_ARCH])
                p->arch = layer_ctx_strndup(c, f[F_ARCH], len[F_ARCH]);
        if (has_epoch)
                p->epoch = arena_printf(a, "%" PRIu32, epoch);
        if (!p->name || (f[F_VERSION] && !p->version) || (f[F_ARCH] && !p->arch) || (has_epoch && !p->epoch))
                return -ENOMEM;
        if (f[F_LICENSE] && f[F_LICENSE][0]) {
                const char **l = arena_alloc(a, 2 * sizeof *l);
                if (!l)
                        return -ENOMEM;
                l[0] = layer_ctx_strndup(c, f[F_LICENSE], len[F_LICENSE]);
                if (!l[0])
                        return -ENOMEM;
                p->licenses = l;
        }
        if (f[F_SOURCERPM] && f[F_SOURCERPM][0]) {
                r = rpm_split_sourcerpm(a, f[F_SOURCERPM], &p->source_name, &p->source_version);
                if (r == -ENOMEM)
                        return r;
        }
        w->n_pkgs++;

        if (h.region_bad)
                layer_ctx_warn(c, "package '%s' in rpm database '%s' has a damaged header region", p->name,
                               w->path);
        return add_files(w, &h, p);
}
