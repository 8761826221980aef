/* SPDX-License-Identifier: Apache-2.0 */
/* Binary encoding of a layer_result. Little-endian fixed-width integers; strings as u32 length (or
 * 0xffffffff for NULL) followed by the bytes; file paths front-coded against the previous path (tar
 * members come mostly in directory order, so most paths share a long prefix with their predecessor).
 * Decoding checks every length against what is left and every count against a cap. */

#include <string.h>

#include "buf.h"
#include "cache.h"
#include "path-util.h"

#define MAGIC "STKLAYR1"
#define NULL_STR UINT32_MAX
#define MAX_COUNT 10000000u
#define MAX_STRV 1000000u

struct writer {
        struct buf b;
        int error;
};

static void put(struct writer *w, const void *p, size_t n) {
        if (!w->error)
                w->error = buf_append(&w->b, p, n);
}
static void put_u8(struct writer *w, uint8_t v) {
        put(w, &v, 1);
}
static void put_u32(struct writer *w, uint32_t v) {
        uint8_t b[4] = { (uint8_t) v, (uint8_t) (v >> 8), (uint8_t) (v >> 16), (uint8_t) (v >> 24) };
        put(w, b, 4);
}
static void put_u64(struct writer *w, uint64_t v) {
        put_u32(w, (uint32_t) v);
        put_u32(w, (uint32_t) (v >> 32));
}
static void put_bytes(struct writer *w, const char *s, size_t n) {
        if (!s) {
                put_u32(w, NULL_STR);
                return;
        }
        if (n >= NULL_STR) {
                w->error = -E2BIG;
                return;
        }
        put_u32(w, (uint32_t) n);
        put(w, s, n);
}
static void put_str(struct writer *w, const char *s) {
        put_bytes(w, s, s ? strlen(s) : 0);
}
static void put_strv(struct writer *w, const char **v) {
        if (!v) {
                put_u32(w, NULL_STR);
                return;
        }
        uint32_t n = 0;
        while (v[n])
                n++;
        put_u32(w, n);
        for (uint32_t i = 0; i < n; i++)
                put_str(w, v[i]);
}

/* A package; `finished` adds what only merged results have (purl, owner, layers). */
static void put_pkg(struct writer *w, const struct pkg *p, bool finished) {
        put_u8(w, (uint8_t) p->type);
        put_str(w, p->name);
        put_str(w, p->version);
        put_str(w, p->epoch);
        put_str(w, p->namespace_);
        put_str(w, p->source_name);
        put_str(w, p->source_version);
        put_str(w, p->arch);
        put_strv(w, p->licenses);
        put_str(w, p->record_path);
        put_str(w, p->inner_path);
        put_str(w, p->go_toolchain);
        put_str(w, p->distro);
        put_strv(w, finished ? NULL : p->owned_files);
        put_u32(w, p->flags);
        if (finished) {
                put_str(w, p->purl);
                put_str(w, p->owner);
                put_u32(w, (uint32_t) p->layer);
                put_u32(w, (uint32_t) p->record_layer);
        }
}

static void put_secret(struct writer *w, const struct secret_finding *s, bool finished) {
        put_str(w, s->rule_id);
        put_str(w, s->title);
        put_str(w, s->category);
        put_u8(w, (uint8_t) s->severity);
        put_u8(w, (uint8_t) s->where);
        put_str(w, s->path);
        put_u32(w, s->line);
        put_u64(w, s->offset);
        put_str(w, s->excerpt);
        if (finished) {
                put_u32(w, (uint32_t) s->layer);
                put_u8(w, (uint8_t) s->state);
        }
}

int layer_result_encode(const struct layer_result *r, void **ret, size_t *ret_len) {
        struct writer w = { .b = BUF_INIT(0) };

        put(&w, MAGIC, 8);
        put_u32(&w, LAYER_ANALYSIS_VERSION);
        put_str(&w, r->diff_id);
        put_str(&w, r->digest);
        put_u64(&w, r->bytes_stored);
        put_u64(&w, r->bytes_tar);
        put_u64(&w, r->files_read);

        put_u32(&w, (uint32_t) r->files.n);
        const char *prev = "";
        size_t prev_len = 0;
        for (size_t i = 0; i < r->files.n; i++) {
                const struct layer_file *f = &r->files.items[i];
                size_t n = strlen(f->path), common = 0;
                size_t lim = MIN(n, prev_len);
                lim = MIN(lim, (size_t) UINT16_MAX);
                while (common < lim && f->path[common] == prev[common])
                        common++;
                put_u32(&w, (uint32_t) common);
                put_bytes(&w, f->path + common, n - common);
                put_str(&w, f->link);
                put_u64(&w, f->size);
                put_u32(&w, f->mode);
                put_u32(&w, f->uid);
                put_u32(&w, f->gid);
                put_u8(&w, f->kind);
                prev = f->path;
                prev_len = n;
        }

        put_u32(&w, (uint32_t) r->pkgs.n);
        VEC_FOREACH(p, &r->pkgs)
                put_pkg(&w, p, false);

        put_u32(&w, (uint32_t) r->secrets.n);
        VEC_FOREACH(sf, &r->secrets)
                put_secret(&w, sf, false);

        put_u32(&w, (uint32_t) r->facts.n);
        VEC_FOREACH(f, &r->facts) {
                put_u8(&w, f->kind);
                put_str(&w, f->path);
                put_str(&w, f->key);
                put_bytes(&w, f->data, f->len);
        }

        put_u32(&w, (uint32_t) r->warnings.n);
        VEC_FOREACH(m, &r->warnings)
                put_str(&w, *m);

        if (w.error) {
                buf_free(&w.b);
                return w.error;
        }
        *ret_len = w.b.len;
        *ret = buf_steal(&w.b);
        return 0;
}

struct reader {
        const uint8_t *p;
        size_t len, pos;
        struct arena *a;
        int error;
};

static inline bool need(struct reader *r, size_t n) {
        if (r->error)
                return false;
        if (r->len - r->pos < n) {
                r->error = -EBADMSG;
                return false;
        }
        return true;
}
static inline uint8_t get_u8(struct reader *r) {
        if (!need(r, 1))
                return 0;
        return r->p[r->pos++];
}
static inline uint32_t get_u32(struct reader *r) {
        if (!need(r, 4))
                return 0;
        const uint8_t *b = r->p + r->pos;
        r->pos += 4;
        return (uint32_t) b[0] | (uint32_t) b[1] << 8 | (uint32_t) b[2] << 16 | (uint32_t) b[3] << 24;
}
static inline uint64_t get_u64(struct reader *r) {
        uint64_t lo = get_u32(r);
        return lo | (uint64_t) get_u32(r) << 32;
}
/* Copies a string into the arena; *ret_len gets its length. NULL for a NULL string or an error. */
static const char *get_bytes(struct reader *r, size_t *ret_len) {
        uint32_t n = get_u32(r);
        if (ret_len)
                *ret_len = 0;
        if (r->error || n == NULL_STR)
                return NULL;
        if (!need(r, n))
                return NULL;
        char *s = arena_memdup(r->a, r->p + r->pos, n);
        if (!s) {
                r->error = -ENOMEM;
                return NULL;
        }
        r->pos += n;
        if (ret_len)
                *ret_len = n;
        return s;
}
static const char *get_str(struct reader *r) {
        size_t n;
        const char *s = get_bytes(r, &n);
        if (s && memchr(s, 0, n))
                r->error = -EBADMSG; /* strings never hold NUL */
        return s;
}
static const char **get_strv(struct reader *r) {
        uint32_t n = get_u32(r);
        if (r->error || n == NULL_STR)
                return NULL;
        /* each element needs at least 4 bytes: a cheap bound before allocating */
        if (n > MAX_STRV || n > (r->len - r->pos) / 4) {
                r->error = -EBADMSG;
                return NULL;
        }
        const char **v = arena_alloc(r->a, ((size_t) n + 1) * sizeof *v);
        if (!v) {
                r->error = -ENOMEM;
                return NULL;
        }
        for (uint32_t i = 0; i < n && !r->error; i++) {
                v[i] = get_str(r);
                if (!v[i] && !r->error)
                        r->error = -EBADMSG;
        }
        v[n] = NULL;
        return v;
}
static uint32_t get_count(struct reader *r, size_t min_bytes_each) {
        uint32_t n = get_u32(r);
        if (!r->error && (n > MAX_COUNT || n > (r->len - r->pos) / min_bytes_each))
                r->error = -EBADMSG;
        return r->error ? 0 : n;
}
static void get_digest(struct reader *r, char out[DIGEST_STR_MAX]) {
        size_t n;
        const char *s = get_bytes(r, &n);
        if (!s || n >= DIGEST_STR_MAX) {
                if (!r->error)
                        r->error = -EBADMSG;
                return;
        }
        memcpy(out, s, n + 1);
}

static void get_pkg(struct reader *r, struct pkg *p, bool finished) {
        uint8_t type = get_u8(r);
        if (type >= _PKG_TYPE_MAX)
                r->error = -EBADMSG;
        p->type = (enum pkg_type) type;
        p->name = get_str(r);
        p->version = get_str(r);
        p->epoch = get_str(r);
        p->namespace_ = get_str(r);
        p->source_name = get_str(r);
        p->source_version = get_str(r);
        p->arch = get_str(r);
        p->licenses = get_strv(r);
        p->record_path = get_str(r);
        p->inner_path = get_str(r);
        p->go_toolchain = get_str(r);
        p->distro = get_str(r);
        p->owned_files = get_strv(r);
        p->flags = get_u32(r);
        p->layer = p->record_layer = -1;
        if (finished) {
                p->purl = get_str(r);
                p->owner = get_str(r);
                p->layer = (int) get_u32(r);
                p->record_layer = (int) get_u32(r);
                if (p->layer < -1 || p->record_layer < -1)
                        r->error = -EBADMSG;
        }
        if (!r->error && (!p->name || !p->version || !p->record_path))
                r->error = -EBADMSG;
}

static void get_secret(struct reader *r, struct secret_finding *s, bool finished) {
        s->rule_id = get_str(r);
        s->title = get_str(r);
        s->category = get_str(r);
        uint8_t sev = get_u8(r), where = get_u8(r);
        if (sev >= _SEV_MAX || where > LOC_CONFIG)
                r->error = -EBADMSG;
        s->severity = (enum severity) sev;
        s->where = (enum location_kind) where;
        s->path = get_str(r);
        s->line = get_u32(r);
        s->offset = get_u64(r);
        s->excerpt = get_str(r);
        s->layer = -1;
        if (finished) {
                s->layer = (int) get_u32(r);
                uint8_t st = get_u8(r);
                if (st > FILE_OVERWRITTEN || s->layer < -1)
                        r->error = -EBADMSG;
                s->state = (enum file_state) st;
        }
        if (!r->error && (!s->rule_id || !s->path || !s->excerpt))
                r->error = -EBADMSG;
}

int layer_result_decode(const void *data, size_t len, struct layer_result **ret) {
        _cleanup_(layer_result_freep) struct layer_result *res = layer_result_new();
        if (!res)
                return -ENOMEM;
        struct reader r = { .p = data, .len = len, .a = res->arena };

        if (!need(&r, 8) || memcmp(r.p, MAGIC, 8) != 0)
                return -EBADMSG;
        r.pos = 8;
        if (get_u32(&r) != LAYER_ANALYSIS_VERSION)
                return -EPROTO;
        get_digest(&r, res->diff_id);
        get_digest(&r, res->digest);
        res->bytes_stored = get_u64(&r);
        res->bytes_tar = get_u64(&r);
        res->files_read = get_u64(&r);

        uint32_t n = get_count(&r, 33);
        if (VEC_RESERVE(&res->files, n) < 0)
                return -ENOMEM;
        char path[PATH_MAX_IMAGE + 1] = "";
        size_t path_len = 0;
        for (uint32_t i = 0; i < n && !r.error; i++) {
                struct layer_file f = { 0 };
                uint32_t common = get_u32(&r);
                uint32_t sl = get_u32(&r);
                if (r.error || common > path_len || sl == NULL_STR || !need(&r, sl) ||
                    (size_t) common + sl > PATH_MAX_IMAGE || memchr(r.p + r.pos, 0, sl)) {
                        r.error = r.error ? r.error : -EBADMSG;
                        break;
                }
                memcpy(path + common, r.p + r.pos, sl);
                r.pos += sl;
                path_len = common + sl;
                path[path_len] = 0;
                f.path = arena_memdup(res->arena, path, path_len);
                if (!f.path)
                        return -ENOMEM;
                f.link = get_str(&r);
                f.size = get_u64(&r);
                f.mode = get_u32(&r);
                f.uid = get_u32(&r);
                f.gid = get_u32(&r);
                f.kind = get_u8(&r);
                if (f.kind > LF_OPAQUE)
                        r.error = -EBADMSG;
                res->files.items[res->files.n++] = f;
        }

        n = get_count(&r, 40);
        for (uint32_t i = 0; i < n && !r.error; i++) {
                struct pkg *p = VEC_NEW(&res->pkgs);
                if (!p)
                        return -ENOMEM;
                get_pkg(&r, p, false);
        }

        n = get_count(&r, 30);
        for (uint32_t i = 0; i < n && !r.error; i++) {
                struct secret_finding *sf = VEC_NEW(&res->secrets);
                if (!sf)
                        return -ENOMEM;
                get_secret(&r, sf, false);
        }

        n = get_count(&r, 13);
        for (uint32_t i = 0; i < n && !r.error; i++) {
                struct layer_fact f = { 0 };
                f.kind = get_u8(&r);
                if (f.kind >= _FACT_KIND_MAX)
                        r.error = -EBADMSG;
                f.path = get_str(&r);
                f.key = get_str(&r);
                f.data = get_bytes(&r, &f.len);
                if (!r.error && (!f.path || !f.data))
                        r.error = -EBADMSG;
                if (!r.error && VEC_PUSH(&res->facts, f) < 0)
                        return -ENOMEM;
        }

        n = get_count(&r, 4);
        for (uint32_t i = 0; i < n && !r.error; i++) {
                const char *m = get_str(&r);
                if (!m && !r.error)
                        r.error = -EBADMSG;
                if (!r.error && VEC_PUSH(&res->warnings, m) < 0)
                        return -ENOMEM;
        }

        if (r.error)
                return r.error;
        if (r.pos != r.len)
                return -EBADMSG;
        res->from_cache = true;
        *ret = TAKE_PTR(res);
        return 0;
}

/* ---- finished results ---- */

#define SNAP_MAGIC "STKSNAP1"

int result_snapshot_encode(const struct result_snapshot *sn, void **ret, size_t *ret_len) {
        struct writer w = { .b = BUF_INIT(0) };

        put(&w, SNAP_MAGIC, 8);
        put_u32(&w, LAYER_ANALYSIS_VERSION);
        put_str(&w, sn->os.id);
        put_str(&w, sn->os.id_like);
        put_str(&w, sn->os.version_id);
        put_str(&w, sn->os.codename);
        put_str(&w, sn->os.pretty_name);
        put_str(&w, sn->os.source_path);
        put_u64(&w, sn->n_files);
        put_u8(&w, (uint8_t) (sn->secrets_scanned | (sn->misconfig_scanned << 1)));
        put_u32(&w, (uint32_t) sn->n_layers);
        for (size_t i = 0; i < sn->n_layers; i++) {
                put_str(&w, sn->layers[i].digest);
                put_str(&w, sn->layers[i].diff_id);
                put_u64(&w, sn->layers[i].bytes_stored);
                put_u64(&w, sn->layers[i].bytes_tar);
                put_u64(&w, sn->layers[i].n_files);
        }
        put_u32(&w, (uint32_t) sn->pkgs.n);
        VEC_FOREACH(p, &sn->pkgs)
                put_pkg(&w, p, true);
        put_u32(&w, (uint32_t) sn->secrets.n);
        VEC_FOREACH(sf, &sn->secrets)
                put_secret(&w, sf, true);
        put_u32(&w, (uint32_t) sn->misconfigs.n);
        VEC_FOREACH(m, &sn->misconfigs) {
                put_str(&w, m->id);
                put_str(&w, m->cis);
                put_str(&w, m->title);
                put_u8(&w, (uint8_t) m->severity);
                put_str(&w, m->message);
                put_str(&w, m->remediation);
                put_str(&w, m->path);
                put_u32(&w, (uint32_t) m->layer);
        }
        put_strv(&w, sn->warnings);
        if (w.error) {
                buf_free(&w.b);
                return w.error;
        }
        *ret_len = w.b.len;
        *ret = buf_steal(&w.b);
        return 0;
}

int result_snapshot_decode(const void *data, size_t len, struct arena *a, struct result_snapshot *ret) {
        struct result_snapshot sn = { 0 };
        struct reader r = { .p = data, .len = len, .a = a };

        if (!need(&r, 8) || memcmp(r.p, SNAP_MAGIC, 8) != 0)
                return -EBADMSG;
        r.pos = 8;
        if (get_u32(&r) != LAYER_ANALYSIS_VERSION)
                return -EPROTO;
        sn.os.id = get_str(&r);
        sn.os.id_like = get_str(&r);
        sn.os.version_id = get_str(&r);
        sn.os.codename = get_str(&r);
        sn.os.pretty_name = get_str(&r);
        sn.os.source_path = get_str(&r);
        sn.n_files = (size_t) get_u64(&r);
        uint8_t flags = get_u8(&r);
        sn.secrets_scanned = flags & 1;
        sn.misconfig_scanned = flags & 2;
        uint32_t n = get_count(&r, 36);
        if (!r.error) {
                sn.layers = arena_alloc(a, MAX(n, 1u) * sizeof *sn.layers);
                if (!sn.layers)
                        return -ENOMEM;
        }
        for (uint32_t i = 0; i < n && !r.error; i++) {
                get_digest(&r, sn.layers[i].digest);
                get_digest(&r, sn.layers[i].diff_id);
                sn.layers[i].bytes_stored = get_u64(&r);
                sn.layers[i].bytes_tar = get_u64(&r);
                sn.layers[i].n_files = (size_t) get_u64(&r);
        }
        sn.n_layers = n;
        n = get_count(&r, 50);
        if (!r.error && VEC_RESERVE(&sn.pkgs, n) < 0)
                return -ENOMEM;
        for (uint32_t i = 0; i < n && !r.error; i++) {
                struct pkg *p = &sn.pkgs.items[sn.pkgs.n++];
                *p = (struct pkg){ 0 };
                get_pkg(&r, p, true);
        }
        n = get_count(&r, 35);
        if (!r.error && VEC_RESERVE(&sn.secrets, n) < 0)
                goto oom;
        for (uint32_t i = 0; i < n && !r.error; i++) {
                struct secret_finding *sf = &sn.secrets.items[sn.secrets.n++];
                *sf = (struct secret_finding){ 0 };
                get_secret(&r, sf, true);
        }
        n = get_count(&r, 33);
        if (!r.error && VEC_RESERVE(&sn.misconfigs, n) < 0)
                goto oom;
        for (uint32_t i = 0; i < n && !r.error; i++) {
                struct misconfig_finding *m = &sn.misconfigs.items[sn.misconfigs.n++];
                m->id = get_str(&r);
                m->cis = get_str(&r);
                m->title = get_str(&r);
                uint8_t sev = get_u8(&r);
                if (sev >= _SEV_MAX)
                        r.error = -EBADMSG;
                m->severity = (enum severity) sev;
                m->message = get_str(&r);
                m->remediation = get_str(&r);
                m->path = get_str(&r);
                m->layer = (int) get_u32(&r);
                if (!r.error && (!m->id || !m->title || !m->message || m->layer < -1))
                        r.error = -EBADMSG;
        }
        sn.warnings = get_strv(&r);
        if (!r.error && r.pos != r.len)
                r.error = -EBADMSG;
        if (r.error) {
                VEC_FREE(&sn.pkgs);
                VEC_FREE(&sn.secrets);
                VEC_FREE(&sn.misconfigs);
                return r.error;
        }
        *ret = sn;
        return 0;
oom:
        VEC_FREE(&sn.pkgs);
        VEC_FREE(&sn.secrets);
        VEC_FREE(&sn.misconfigs);
        return -ENOMEM;
}
