/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <string.h>

#include "layer-internal.h"
#include "path-util.h"
#include "secrets/secrets.h"

void layer_limits_default(struct layer_limits *l) {
        *l = (struct layer_limits){
                .max_tar_bytes = 64 * GiB,
                .max_ratio = 200, /* deflate tops out near 1032:1; real layers are 2-10:1 */
                .ratio_grace = 256 * MiB,
                .max_entries = 2000000,
                .max_arena = 512 * MiB,
                .max_secret_file = 8 * MiB,
                .max_stream_file = 2 * GiB,
        };
}

struct layer_result *layer_result_new(void) {
        struct layer_result *r = calloc(1, sizeof *r);
        if (!r)
                return NULL;
        r->arena = arena_new(0);
        if (!r->arena) {
                free(r);
                return NULL;
        }
        return r;
}

void layer_result_free(struct layer_result *r) {
        if (!r)
                return;
        VEC_FREE(&r->files);
        VEC_FREE(&r->pkgs);
        VEC_FREE(&r->secrets);
        VEC_FREE(&r->facts);
        VEC_FREE(&r->warnings);
        arena_free(r->arena);
        free(r);
}

int layer_ctx_init(struct layer_ctx *c, const struct layer_options *opts, struct diag *d, const char *name) {
        *c = (struct layer_ctx){ .opts = opts, .diag = d, .layer_name = name };
        c->res = layer_result_new();
        if (!c->res)
                return -ENOMEM;
        c->content = BUF_INIT(0);
        if (opts->secrets) {
                int r = secrets_scratch_new(opts->secrets, &c->secrets_scratch);
                if (r < 0)
                        return r;
        }
        return 0;
}

void layer_ctx_done(struct layer_ctx *c) {
        layer_result_free(c->res);
        c->res = NULL;
        buf_free(&c->content);
        secrets_scratch_free(c->secrets_scratch);
        c->secrets_scratch = NULL;
}

struct layer_result *layer_ctx_result(struct layer_ctx *c) {
        return c->res;
}

struct arena *layer_ctx_arena(struct layer_ctx *c) {
        return c->res->arena;
}

const struct layer_limits *layer_ctx_limits(struct layer_ctx *c) {
        return &c->opts->limits;
}

const char *layer_ctx_tmpdir(struct layer_ctx *c) {
        const char *t = c->opts->tmpdir;
        if (!t)
                t = getenv("TMPDIR");
        return t && *t ? t : "/tmp";
}

struct pkg *layer_ctx_new_pkg(struct layer_ctx *c) {
        struct pkg *p = VEC_NEW(&c->res->pkgs);
        if (p) {
                p->layer = -1;
                p->record_layer = -1;
        }
        return p;
}

char *layer_ctx_strdup(struct layer_ctx *c, const char *s) {
        return arena_strdup(c->res->arena, s);
}

char *layer_ctx_strndup(struct layer_ctx *c, const char *s, size_t n) {
        return arena_strndup(c->res->arena, s, n);
}

int layer_ctx_add_fact(struct layer_ctx *c, enum layer_fact_kind kind, const char *path, const char *key,
                       const char *data, size_t len) {
        struct layer_fact f = {
                .kind = (uint8_t) kind,
                .path = arena_strdup(c->res->arena, path),
                .key = key ? arena_strdup(c->res->arena, key) : NULL,
                .data = arena_memdup(c->res->arena, data, len),
                .len = len,
        };
        if (!f.path || !f.data || (key && !f.key))
                return -ENOMEM;
        return VEC_PUSH(&c->res->facts, f);
}

void layer_ctx_warn(struct layer_ctx *c, const char *fmt, ...) {
        va_list ap;
        /* A layer that triggers thousands of warnings is itself the finding; keep the first ones. */
        if (c->res->warnings.n >= 200)
                return;
        char *m = NULL;
        va_start(ap, fmt);
        int n = vasprintf(&m, fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        const char *s = arena_strdup(c->res->arena, m);
        free(m);
        if (s)
                (void) VEC_PUSH(&c->res->warnings, s);
}

struct layer_file *layer_ctx_add_file(struct layer_ctx *c, const struct layer_file *in, int *ret_err) {
        struct layer_result *res = c->res;
        struct layer_file f = *in;
        const char *base = path_basename(f.path);

        *ret_err = 0;
        if (res->files.n >= c->opts->limits.max_entries) {
                *ret_err = diag_error(c->diag, -E2BIG, "layer '%s' has more than %llu members", c->layer_name,
                                      (unsigned long long) c->opts->limits.max_entries);
                return NULL;
        }

        char tmp[PATH_MAX_IMAGE + 1];
        if (strneq(base, ".wh.", 4)) {
                size_t dl = path_dirname_len(f.path);
                if (streq(base, ".wh..wh..opq")) {
                        f.kind = LF_OPAQUE;
                        snprintf(tmp, sizeof tmp, "%.*s", (int) dl, f.path);
                } else if (strneq(base, ".wh..wh.", 8)) {
                        /* Other ".wh..wh." names are AUFS bookkeeping (plink, orph): not files. */
                        return NULL;
                } else {
                        if (!base[4]) {
                                layer_ctx_warn(c, "skipping whiteout with an empty name in '%s'", f.path);
                                return NULL;
                        }
                        f.kind = LF_WHITEOUT;
                        snprintf(tmp, sizeof tmp, "%.*s%s%s", (int) dl, f.path, dl ? "/" : "", base + 4);
                }
                f.size = 0;
                f.link = NULL;
                f.path = tmp;
        }

        if (arena_exhausted(res->arena) || arena_used(res->arena) > c->opts->limits.max_arena) {
                *ret_err = diag_error(c->diag, -E2BIG, "layer '%s' holds more metadata than the %zu MiB limit",
                                      c->layer_name, c->opts->limits.max_arena / MiB);
                return NULL;
        }
        f.path = arena_strdup(res->arena, f.path);
        if (in->link && f.kind != LF_WHITEOUT && f.kind != LF_OPAQUE)
                f.link = arena_strdup(res->arena, in->link);
        if (!f.path || (in->link && f.kind != LF_WHITEOUT && f.kind != LF_OPAQUE && !f.link)) {
                *ret_err = -ENOMEM;
                return NULL;
        }
        if (VEC_PUSH(&res->files, f) < 0) {
                *ret_err = -ENOMEM;
                return NULL;
        }
        return &res->files.items[res->files.n - 1];
}

/* ---- entry_reader ---- */

/* Reads from the block stream, ignoring the peek buffer. */
static ssize_t reader_raw(struct entry_reader *r, unsigned char *buf, size_t n) {
        if (r->error)
                return r->error;
        if (r->pos >= r->limit || n == 0)
                return 0;
        n = (size_t) MIN((uint64_t) n, r->limit - r->pos);

        for (;;) {
                if (!r->have_blk && !r->eof) {
                        const void *d = NULL;
                        size_t len = 0;
                        int64_t off = 0;
                        int k = r->next_block(r->userdata, &d, &len, &off);
                        if (k < 0)
                                return (r->error = k);
                        if (k == 0)
                                r->eof = true;
                        else {
                                if (off < 0 || (uint64_t) off < r->pos)
                                        return (r->error = -EBADMSG);
                                r->blk = d;
                                r->blk_len = len;
                                r->blk_off = (uint64_t) off;
                                r->have_blk = true;
                        }
                }
                if (r->have_blk) {
                        if (r->pos < r->blk_off) {
                                size_t z = (size_t) MIN((uint64_t) n, r->blk_off - r->pos);
                                memset(buf, 0, z);
                                r->pos += z;
                                return (ssize_t) z;
                        }
                        if (r->blk_len == 0) {
                                r->have_blk = false;
                                continue;
                        }
                        size_t c = MIN(n, r->blk_len);
                        memcpy(buf, r->blk, c);
                        r->blk += c;
                        r->blk_len -= c;
                        r->blk_off += c;
                        r->pos += c;
                        if (r->blk_len == 0)
                                r->have_blk = false;
                        return (ssize_t) c;
                }
                /* End of data: a trailing hole reads as zeros up to the declared size. */
                if (r->pos < r->size) {
                        size_t z = (size_t) MIN((uint64_t) n, r->size - r->pos);
                        memset(buf, 0, z);
                        r->pos += z;
                        return (ssize_t) z;
                }
                return 0;
        }
}

size_t entry_reader_peek(struct entry_reader *r, const unsigned char **ret, size_t n) {
        n = MIN(n, sizeof r->peek);
        while (r->peek_len < n) {
                ssize_t k = reader_raw(r, r->peek + r->peek_len, n - r->peek_len);
                if (k <= 0)
                        break;
                r->peek_len += (size_t) k;
        }
        *ret = r->peek + r->peek_pos;
        return r->peek_len - r->peek_pos;
}

ssize_t entry_reader_read(struct entry_reader *r, void *buf, size_t n) {
        if (r->peek_pos < r->peek_len) {
                size_t c = MIN(n, r->peek_len - r->peek_pos);
                memcpy(buf, r->peek + r->peek_pos, c);
                r->peek_pos += c;
                return (ssize_t) c;
        }
        return reader_raw(r, buf, n);
}

int entry_reader_skip(struct entry_reader *r, uint64_t n) {
        unsigned char tmp[16384];
        while (n > 0) {
                ssize_t k = entry_reader_read(r, tmp, (size_t) MIN(n, (uint64_t) sizeof tmp));
                if (k < 0)
                        return (int) k;
                if (k == 0)
                        return -ESPIPE;
                n -= (uint64_t) k;
        }
        return 0;
}

uint64_t entry_reader_offset(const struct entry_reader *r) {
        return r->pos - (r->peek_len - r->peek_pos);
}

/* ---- dispatch ---- */

static bool content_is_binary(const uint8_t *p, size_t n) {
        return memchr(p, 0, MIN(n, (size_t) 8192)) != NULL;
}

struct secret_sink {
        struct layer_ctx *c;
        const struct layer_file *f;
};

static int on_secret(void *userdata, const struct secret_match *m) {
        struct secret_sink *s = userdata;
        struct layer_result *res = s->c->res;
        struct secret_finding *sf = VEC_NEW(&res->secrets);
        if (!sf)
                return -ENOMEM;
        *sf = (struct secret_finding){
                .rule_id = arena_strdup(res->arena, m->rule_id),
                .title = arena_strdup(res->arena, m->title),
                .category = arena_strdup(res->arena, m->category),
                .severity = m->severity,
                .where = LOC_FILE,
                .path = s->f->path,
                .line = m->line,
                .offset = m->offset,
                .excerpt = arena_strdup(res->arena, m->excerpt),
                .layer = -1,
        };
        if (!sf->rule_id || !sf->excerpt)
                return -ENOMEM;
        return 0;
}

int layer_ctx_process_content(struct layer_ctx *c, const struct layer_file *f, struct entry_reader *r) {
        const struct layer_options *o = c->opts;
        const struct analyzer *buffered[16];
        size_t n_buffered = 0, want = 0;
        bool secrets = o->secrets && secrets_engine_wants(o->secrets, f->path, f->size) &&
                       f->size <= o->limits.max_secret_file;
        const unsigned char *head;
        int k;

        if (secrets)
                want = (size_t) f->size;

        for (size_t i = 0; i < layer_analyzers_count; i++) {
                const struct analyzer *a = layer_analyzers[i];
                if (!a)
                        continue;
                enum analyzer_mode m = a->match(f);
                if (m == ANALYZE_NONE)
                        continue;
                if (m == ANALYZE_STREAM) {
                        size_t h = entry_reader_peek(r, &head, 4);
                        bool ok = a->sniff == SNIFF_ANY ||
                                  (a->sniff == SNIFF_ELF && h >= 4 && memcmp(head, "\x7f" "ELF", 4) == 0) ||
                                  (a->sniff == SNIFF_ZIP && h >= 4 && memcmp(head, "PK\x03\x04", 4) == 0);
                        if (!ok)
                                continue;
                        /* One stream analyzer owns the content: Go binaries and Java archives are
                         * binaries, which the secret scanner skips anyway. */
                        c->res->files_read++;
                        return a->on_stream(c, f, r);
                }
                if (f->size > a->max_size) {
                        layer_ctx_warn(c, "not analyzing '%s' (%s): %llu bytes is over the %zu byte limit", f->path,
                                       a->name, (unsigned long long) f->size, a->max_size);
                        continue;
                }
                if (n_buffered < ELEMENTSOF(buffered))
                        buffered[n_buffered++] = a;
                want = MAX(want, (size_t) f->size);
        }
        if (n_buffered == 0 && !secrets)
                return 0;

        /* Whole-file consumers: read once, share the bytes. */
        buf_reset(&c->content);
        k = buf_reserve(&c->content, want);
        if (k < 0)
                return k;
        while (c->content.len < want) {
                ssize_t n = entry_reader_read(r, c->content.data + c->content.len, want - c->content.len);
                if (n < 0)
                        return (int) n;
                if (n == 0)
                        break;
                c->content.len += (size_t) n;
        }
        c->content.data[c->content.len] = 0;
        c->res->files_read++;

        const uint8_t *data = (const uint8_t *) c->content.data;
        for (size_t i = 0; i < n_buffered; i++) {
                k = buffered[i]->on_buffer(c, f, data, c->content.len);
                if (k < 0)
                        return k;
        }
        if (secrets && !content_is_binary(data, c->content.len)) {
                struct secret_sink sink = { c, f };
                k = secrets_scan(o->secrets, c->secrets_scratch, data, c->content.len, on_secret, &sink);
                if (k < 0)
                        return k;
                if (k == 2)
                        layer_ctx_warn(c, "'%s': stopped reporting secrets after %d matches", f->path,
                                       SECRETS_SCAN_MAX_MATCHES);
        }
        return 0;
}

/* ---- standalone use (tests, fuzzers) ---- */

int layer_ctx_new_standalone(const struct layer_options *opts, struct diag *d, struct layer_ctx **ret) {
        struct layer_ctx *c = calloc(1, sizeof *c);
        if (!c)
                return -ENOMEM;
        int r = layer_ctx_init(c, opts, d, "test");
        if (r < 0) {
                layer_ctx_done(c);
                free(c);
                return r;
        }
        *ret = c;
        return 0;
}

void layer_ctx_free_standalone(struct layer_ctx *c) {
        if (!c)
                return;
        layer_ctx_done(c);
        free(c);
}

struct mem_blocks {
        const void *data;
        size_t n;
        bool done;
};

static int mem_next_block(void *userdata, const void **data, size_t *n, int64_t *off) {
        struct mem_blocks *m = userdata;
        if (m->done || m->n == 0)
                return 0;
        m->done = true;
        *data = m->data;
        *n = m->n;
        *off = 0;
        return 1;
}

struct entry_reader *entry_reader_new_mem(const void *data, size_t n) {
        struct entry_reader *r = calloc(1, sizeof *r + sizeof(struct mem_blocks));
        if (!r)
                return NULL;
        struct mem_blocks *m = (struct mem_blocks *) (r + 1);
        *m = (struct mem_blocks){ data, n, false };
        r->next_block = mem_next_block;
        r->userdata = m;
        r->size = r->limit = n;
        return r;
}

void entry_reader_free(struct entry_reader *r) {
        free(r);
}

int layer_ctx_feed_file(struct layer_ctx *c, const struct layer_file *f, const void *data, size_t n) {
        int r = 0;
        const struct layer_file *stored = layer_ctx_add_file(c, f, &r);
        if (r < 0)
                return r;
        if (!stored || stored->kind != LF_REG || n == 0)
                return 0;
        struct entry_reader *rd = entry_reader_new_mem(data, n);
        if (!rd)
                return -ENOMEM;
        rd->size = stored->size;
        rd->limit = MIN(stored->size, c->opts->limits.max_stream_file);
        r = layer_ctx_process_content(c, stored, rd);
        entry_reader_free(rd);
        return r;
}
