/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <sys/stat.h>
#include <zlib.h>

#include "file-reader.h"

static int fr_next_block(void *userdata, const void **data, size_t *n, int64_t *off) {
        struct file_reader *fr = userdata;
        ssize_t k;
        do
                k = read(fr->fd, fr->buf, fr->block);
        while (k < 0 && errno == EINTR);
        if (k < 0)
                return -errno;
        if (k == 0)
                return 0;
        *data = fr->buf;
        *n = (size_t) k;
        *off = (int64_t) fr->off;
        fr->off += (uint64_t) k;
        return 1;
}

struct file_reader *file_reader_open(const char *path, size_t block) {
        struct stat st;
        struct file_reader *fr = calloc(1, sizeof *fr);
        if (!fr)
                return NULL;
        fr->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fr->fd < 0 || fstat(fr->fd, &st) < 0) {
                if (fr->fd >= 0)
                        close(fr->fd);
                free(fr);
                return NULL;
        }
        fr->block = block ? MIN(block, sizeof fr->buf) : sizeof fr->buf;
        fr->r.next_block = fr_next_block;
        fr->r.userdata = fr;
        fr->r.size = fr->r.limit = (uint64_t) st.st_size;
        return fr;
}

void file_reader_close(struct file_reader *fr) {
        if (!fr)
                return;
        close(fr->fd);
        free(fr);
}

static struct layer_options opts;

static struct layer_ctx *new_ctx(void) {
        struct layer_ctx *c = NULL;
        static struct diag d;
        layer_limits_default(&opts.limits);
        if (layer_ctx_new_standalone(&opts, &d, &c) < 0)
                abort();
        return c;
}

struct layer_ctx *run_analyzer_file(const struct analyzer *a, const char *path, const char *image_path,
                                    size_t block) {
        struct file_reader *fr = file_reader_open(path, block);
        if (!fr)
                return NULL;
        struct layer_ctx *c = new_ctx();
        struct layer_file f = {.path = image_path, .size = fr->r.size, .mode = 0755, .kind = LF_REG};
        int r = a->on_stream(c, &f, &fr->r);
        file_reader_close(fr);
        if (r < 0) {
                fprintf(stderr, "%s: analyzer failed: %s\n", path, strerror(-r));
                layer_ctx_free_standalone(c);
                return NULL;
        }
        return c;
}

struct chunks {
        const unsigned char *data;
        size_t n, pos, block;
};

static int chunk_next_block(void *userdata, const void **data, size_t *n, int64_t *off) {
        struct chunks *ch = userdata;
        if (ch->pos >= ch->n)
                return 0;
        *data = ch->data + ch->pos;
        *n = MIN(ch->block, ch->n - ch->pos);
        *off = (int64_t) ch->pos;
        ch->pos += *n;
        return 1;
}

struct entry_reader *chunk_reader_new(const void *data, size_t n, size_t block) {
        struct entry_reader *r = calloc(1, sizeof *r + sizeof(struct chunks));
        if (!r)
                abort();
        struct chunks *ch = (struct chunks *) (r + 1);
        *ch = (struct chunks){data, n, 0, block ? block : 1};
        r->next_block = chunk_next_block;
        r->userdata = ch;
        r->size = r->limit = n;
        return r;
}

struct layer_ctx *run_analyzer_mem(const struct analyzer *a, const void *data, size_t n,
                                   const char *image_path) {
        return run_analyzer_chunked(a, data, n, n, image_path);
}

size_t count_warnings(struct layer_ctx *c, const char *needle) {
        size_t k = 0;
        struct layer_result *res = layer_ctx_result(c);
        VEC_FOREACH (p, &res->pkgs)
                for (const char **l = p->licenses; l && *l; l++)
                        printf("  license of %s: %s\n", p->name, *l);
        VEC_FOREACH (w, &res->warnings)
                if (strstr(*w, needle))
                        k++;
        return k;
}

struct layer_ctx *run_analyzer_chunked(const struct analyzer *a, const void *data, size_t n, size_t block,
                                       const char *image_path) {
        struct layer_ctx *c = new_ctx();
        struct entry_reader *rd = chunk_reader_new(data, n, block);
        struct layer_file f = {.path = image_path, .size = n, .mode = 0755, .kind = LF_REG};
        int r = a->on_stream(c, &f, rd);
        free(rd);
        if (r < 0) {
                layer_ctx_free_standalone(c);
                return NULL;
        }
        return c;
}

const struct pkg *find_pkg(struct layer_ctx *c, const char *name, const char *version) {
        struct layer_result *res = layer_ctx_result(c);
        VEC_FOREACH (p, &res->pkgs)
                if (streq_ptr(p->name, name) && (!version || streq_ptr(p->version, version)))
                        return p;
        return NULL;
}

void dump_result(struct layer_ctx *c) {
        struct layer_result *res = layer_ctx_result(c);
        VEC_FOREACH (p, &res->pkgs)
                printf("  pkg %s%s%s %s flags=%u src=%s@%s record=%s inner=%s tc=%s\n",
                       p->namespace_ ? p->namespace_ : "", p->namespace_ ? ":" : "", p->name,
                       p->version ? p->version : "(null)", p->flags, p->source_name ? p->source_name : "-",
                       p->source_version ? p->source_version : "-", p->record_path ? p->record_path : "-",
                       p->inner_path ? p->inner_path : "-", p->go_toolchain ? p->go_toolchain : "-");
        VEC_FOREACH (p, &res->pkgs)
                for (const char **l = p->licenses; l && *l; l++)
                        printf("  license of %s: %s\n", p->name, *l);
        VEC_FOREACH (w, &res->warnings)
                printf("  warning: %s\n", *w);
}

static void le(uint8_t *p, uint32_t v, int n) {
        for (int i = 0; i < n; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}

size_t zip_craft(const struct zip_member *m, size_t n, bool dd, uint8_t *buf, size_t cap) {
        size_t pos = 0, cd, offs[16];
        for (size_t i = 0; i < n && i < 16; i++) {
                size_t nl = strlen(m[i].name);
                uint32_t crc = (uint32_t) crc32(0, m[i].data, (uInt) m[i].len);
                if (pos + 30 + nl + m[i].len + 16 > cap)
                        abort();
                offs[i] = pos;
                uint8_t *h = buf + pos;
                memset(h, 0, 30);
                memcpy(h, "PK\3\4", 4);
                le(h + 4, 10, 2);
                le(h + 6, dd ? 8 : 0, 2);
                le(h + 14, dd ? 0 : crc, 4);
                le(h + 18, dd ? 0 : (uint32_t) m[i].len, 4);
                le(h + 22, dd ? 0 : (uint32_t) m[i].len, 4);
                le(h + 26, (uint32_t) nl, 2);
                memcpy(h + 30, m[i].name, nl);
                memcpy(h + 30 + nl, m[i].data, m[i].len);
                pos += 30 + nl + m[i].len;
                if (dd) {
                        memcpy(buf + pos, "PK\7\10", 4);
                        le(buf + pos + 4, crc, 4);
                        le(buf + pos + 8, (uint32_t) m[i].len, 4);
                        le(buf + pos + 12, (uint32_t) m[i].len, 4);
                        pos += 16;
                }
        }
        cd = pos;
        for (size_t i = 0; i < n && i < 16; i++) {
                size_t nl = strlen(m[i].name);
                uint8_t *h = buf + pos;
                memset(h, 0, 46);
                memcpy(h, "PK\1\2", 4);
                le(h + 4, 10, 2);
                le(h + 6, 10, 2);
                le(h + 8, dd ? 8 : 0, 2);
                le(h + 16, (uint32_t) crc32(0, m[i].data, (uInt) m[i].len), 4);
                le(h + 20, (uint32_t) m[i].len, 4);
                le(h + 24, (uint32_t) m[i].len, 4);
                le(h + 28, (uint32_t) nl, 2);
                le(h + 42, (uint32_t) offs[i], 4);
                memcpy(h + 46, m[i].name, nl);
                pos += 46 + nl;
        }
        uint8_t *e = buf + pos;
        memset(e, 0, 22);
        memcpy(e, "PK\5\6", 4);
        le(e + 8, (uint32_t) n, 2);
        le(e + 10, (uint32_t) n, 2);
        le(e + 12, (uint32_t) (pos - cd), 4);
        le(e + 16, (uint32_t) cd, 4);
        return pos + 22;
}
