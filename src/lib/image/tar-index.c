/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>
#include <unistd.h>

#include "path-util.h"
#include "tar-index.h"

#define BLOCK 512
#define PAX_MAX (1 * MiB)
#define LONGNAME_MAX (64 * KiB)

static bool is_zero_block(const unsigned char *b) {
        for (size_t i = 0; i < BLOCK; i++)
                if (b[i])
                        return false;
        return true;
}

int tar_header_parse_size(const unsigned char *field, size_t len, uint64_t *ret) {
        uint64_t v = 0;

        if (field[0] & 0x80) {
                /* GNU base-256: the remaining bits big-endian; negative values are invalid here. */
                if (field[0] & 0x40)
                        return -EBADMSG;
                v = field[0] & 0x3f;
                for (size_t i = 1; i < len; i++) {
                        if (v > (UINT64_MAX >> 8))
                                return -EOVERFLOW;
                        v = (v << 8) | field[i];
                }
                *ret = v;
                return 0;
        }
        size_t i = 0;
        while (i < len && field[i] == ' ')
                i++;
        bool any = false;
        for (; i < len && field[i] >= '0' && field[i] <= '7'; i++) {
                if (v > (UINT64_MAX >> 3))
                        return -EOVERFLOW;
                v = (v << 3) | (uint64_t) (field[i] - '0');
                any = true;
        }
        for (; i < len; i++)
                if (field[i] != ' ' && field[i] != 0)
                        return -EBADMSG;
        if (!any)
                v = 0;
        *ret = v;
        return 0;
}

static bool checksum_ok(const unsigned char *b) {
        uint64_t want;
        if (tar_header_parse_size(b + 148, 8, &want) < 0)
                return false;
        uint64_t u = 0;
        int64_t s = 0;
        for (size_t i = 0; i < BLOCK; i++) {
                unsigned char c = (i >= 148 && i < 156) ? ' ' : b[i];
                u += c;
                s += (signed char) c;
        }
        /* Some old tars computed it with signed chars. */
        return want == u || (int64_t) want == s;
}

static int read_exact(int fd, void *buf, size_t n, uint64_t off) {
        size_t got = 0;
        while (got < n) {
                ssize_t k = pread(fd, (char *) buf + got, n - got, (off_t) (off + got));
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        return -ENODATA;
                got += (size_t) k;
        }
        return 0;
}

/* Finds "path" and "size" in pax extended header records ("LEN key=value\n"). */
static int parse_pax(const char *p, size_t n, char **ret_path, uint64_t *ret_size, bool *has_size) {
        size_t i = 0;
        while (i < n) {
                size_t len = 0, j = i;
                while (j < n && p[j] >= '0' && p[j] <= '9') {
                        if (len > n)
                                return -EBADMSG;
                        len = len * 10 + (size_t) (p[j] - '0');
                        j++;
                }
                if (j == i || j >= n || p[j] != ' ' || len < (j - i) + 3 || i + len > n || p[i + len - 1] != '\n')
                        return -EBADMSG;
                const char *kv = p + j + 1;
                size_t kvlen = i + len - 1 - (j + 1);
                const char *eq = memchr(kv, '=', kvlen);
                if (!eq)
                        return -EBADMSG;
                size_t klen = (size_t) (eq - kv), vlen = kvlen - klen - 1;
                if (klen == 4 && memcmp(kv, "path", 4) == 0) {
                        if (memchr(eq + 1, 0, vlen))
                                return -EBADMSG;
                        free(*ret_path);
                        *ret_path = strndup(eq + 1, vlen);
                        if (!*ret_path)
                                return -ENOMEM;
                } else if (klen == 4 && memcmp(kv, "size", 4) == 0) {
                        uint64_t v = 0;
                        if (vlen == 0 || vlen > 20)
                                return -EBADMSG;
                        for (size_t k = 0; k < vlen; k++) {
                                char c = eq[1 + k];
                                if (c < '0' || c > '9' || v > (UINT64_MAX - 9) / 10)
                                        return -EBADMSG;
                                v = v * 10 + (uint64_t) (c - '0');
                        }
                        *ret_size = v;
                        *has_size = true;
                }
                i += len;
        }
        return 0;
}

void tar_index_free(struct tar_index *t) {
        if (!t)
                return;
        hashmap_free(t->by_name);
        free(t->members);
        arena_free(t->arena);
        free(t);
}

int tar_index_build(int fd, uint64_t file_size, const char *what, struct diag *d, struct tar_index **ret) {
        _cleanup_(tar_index_freep) struct tar_index *t = calloc(1, sizeof *t);
        unsigned char h[BLOCK];
        _cleanup_free_ char *next_name = NULL;
        uint64_t next_size = 0;
        bool next_has_size = false;
        size_t alloc = 0;
        uint64_t off = 0;
        int r;

        if (!t)
                return -ENOMEM;
        t->arena = arena_new(64 * MiB);
        t->by_name = hashmap_new();
        if (!t->arena || !t->by_name)
                return -ENOMEM;

        for (;;) {
                if (off + BLOCK > file_size) {
                        if (off == file_size && t->n_members > 0)
                                break; /* no end-of-archive blocks: tolerated, like GNU tar */
                        return diag_error(d, -EBADMSG, "archive '%s' is truncated at offset %llu", what,
                                          (unsigned long long) off);
                }
                r = read_exact(fd, h, BLOCK, off);
                if (r < 0)
                        return diag_error(d, r, "cannot read archive '%s': %s", what, strerror(-r));
                if (is_zero_block(h))
                        break;
                if (!checksum_ok(h))
                        return diag_error(d, -EBADMSG, "archive '%s' has a corrupt header at offset %llu", what,
                                          (unsigned long long) off);
                uint64_t size;
                r = tar_header_parse_size(h + 124, 12, &size);
                if (r < 0)
                        return diag_error(d, -EBADMSG, "archive '%s' has an invalid size at offset %llu", what,
                                          (unsigned long long) off);
                char type = (char) h[156];
                uint64_t data_off = off + BLOCK;

                if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
                        size_t cap = (type == 'L' || type == 'K') ? LONGNAME_MAX : PAX_MAX;
                        if (size > cap || data_off + size > file_size)
                                return diag_error(d, -EBADMSG, "archive '%s' has an oversized %c header at offset %llu",
                                                  what, type, (unsigned long long) off);
                        if (type == 'x' || type == 'L') {
                                _cleanup_free_ char *p = malloc(size + 1);
                                if (!p)
                                        return -ENOMEM;
                                r = read_exact(fd, p, size, data_off);
                                if (r < 0)
                                        return diag_error(d, r, "cannot read archive '%s': %s", what, strerror(-r));
                                p[size] = 0;
                                if (type == 'x') {
                                        r = parse_pax(p, size, &next_name, &next_size, &next_has_size);
                                        if (r < 0)
                                                return diag_error(d, r, "archive '%s' has a bad pax header at offset %llu",
                                                                  what, (unsigned long long) off);
                                } else {
                                        free(next_name);
                                        next_name = strndup(p, size);
                                        if (!next_name)
                                                return -ENOMEM;
                                }
                        }
                        off = data_off + ((size + BLOCK - 1) & ~(uint64_t) (BLOCK - 1));
                        continue;
                }

                if (next_has_size)
                        size = next_size;
                char namebuf[257];
                const char *name = next_name;
                if (!name) {
                        /* ustar: prefix "/" name, when the magic says so */
                        if (memcmp(h + 257, "ustar", 5) == 0 && h[345]) {
                                snprintf(namebuf, sizeof namebuf, "%.155s/%.100s", (const char *) h + 345,
                                         (const char *) h);
                        } else
                                snprintf(namebuf, sizeof namebuf, "%.100s", (const char *) h);
                        name = namebuf;
                }
                char norm[PATH_MAX_IMAGE + 1];
                r = path_normalize_member(name, norm);
                if (r < 0)
                        return diag_error(d, -EBADMSG, "archive '%s' has an unsafe member name '%.200s'", what, name);
                if (data_off + size > file_size || data_off + size < data_off)
                        return diag_error(d, -EBADMSG, "archive '%s' is truncated: member '%s' runs past the end", what,
                                          norm);

                if (type == '0' || type == 0 || type == '7' || type == '5' || type == '1' || type == '2') {
                        if (t->n_members >= TAR_INDEX_MAX_MEMBERS)
                                return diag_error(d, -E2BIG, "archive '%s' has more than %d members", what,
                                                  TAR_INDEX_MAX_MEMBERS);
                        if (t->n_members == alloc) {
                                alloc = alloc ? alloc * 2 : 64;
                                struct tar_member *m = realloc(t->members, alloc * sizeof *m);
                                if (!m)
                                        return -ENOMEM;
                                t->members = m;
                        }
                        struct tar_member *m = &t->members[t->n_members];
                        *m = (struct tar_member){
                                .name = arena_strdup(t->arena, norm),
                                .offset = data_off,
                                .size = (type == '1' || type == '2' || type == '5') ? 0 : size,
                                .type = type == 0 || type == '7' ? '0' : type,
                        };
                        if (!m->name)
                                return -ENOMEM;
                        if (type == '1' || type == '2') {
                                char lraw[101], lnorm[PATH_MAX_IMAGE + 1];
                                snprintf(lraw, sizeof lraw, "%.100s", (const char *) h + 157);
                                r = type == '2' ? path_resolve_link_target(norm, lraw, lnorm)
                                                : path_normalize_member(lraw, lnorm);
                                if (r < 0)
                                        return diag_error(d, -EBADMSG, "archive '%s': member '%s' links outside the archive",
                                                          what, norm);
                                m->link = arena_strdup(t->arena, lnorm);
                                if (!m->link)
                                        return -ENOMEM;
                        }
                        t->n_members++;
                }
                /* Sparse ('S') and device members have no place in an image archive: skipped. Data of a
                 * link member, if any, is skipped too. */
                off = data_off + ((size + BLOCK - 1) & ~(uint64_t) (BLOCK - 1));
                next_name = mfree(next_name);
                next_has_size = false;
        }

        /* The hash map points into the members array: fill it only once the array stops moving. Later
         * duplicates win, as when extracting. */
        for (size_t i = 0; i < t->n_members; i++) {
                r = hashmap_put(t->by_name, t->members[i].name, &t->members[i], NULL);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(t);
        return 0;
}

const struct tar_member *tar_index_lookup(const struct tar_index *t, const char *name) {
        const struct tar_member *m = hashmap_get(t->by_name, name);
        for (int hops = 0; m && (m->type == '1' || m->type == '2'); hops++) {
                if (hops >= 8)
                        return NULL;
                m = hashmap_get(t->by_name, m->link);
        }
        return m && m->type == '0' ? m : NULL;
}
