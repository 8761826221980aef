/* SPDX-License-Identifier: Apache-2.0 */
/* A docker-save archive or OCI layout arriving as one stream (an engine export, a compressed file):
 * members come in whatever order the writer chose, and the manifest often comes last. Layer-like
 * members are handed on as they pass; small metadata members are kept in memory and read at the end. */

#include <archive.h>
#include <archive_entry.h>
#include <string.h>

#include "image-internal.h"
#include "path-util.h"

#define META_TOTAL_CAP (64 * MiB) /* all metadata members together */

struct la_src {
        struct archive *a;
        const struct byte_source *outer;
        unsigned char buf[256 * 1024];
};

static la_ssize_t outer_read(struct archive *a, void *userdata, const void **buffer) {
        struct la_src *ls = userdata;
        ssize_t n = ls->outer->read(ls->outer->userdata, ls->buf, sizeof ls->buf);
        if (n < 0) {
                archive_set_error(a, (int) -n, "read failed");
                return -1;
        }
        *buffer = ls->buf;
        return n;
}

/* A member's data, with what was already read to sniff it served first. */
struct member_src {
        struct archive *a;
        const unsigned char *head;
        size_t head_len, head_pos;
        int error;
};

static ssize_t member_read(void *userdata, void *buf, size_t n) {
        struct member_src *m = userdata;
        if (m->head_pos < m->head_len) {
                size_t c = MIN(n, m->head_len - m->head_pos);
                memcpy(buf, m->head + m->head_pos, c);
                m->head_pos += c;
                return (ssize_t) c;
        }
        la_ssize_t k = archive_read_data(m->a, buf, n);
        if (k < 0)
                return (m->error = -EBADMSG);
        return k;
}

static bool is_metadata_name(const char *name) {
        return streq(name, "manifest.json") || streq(name, "index.json") || streq(name, "oci-layout") ||
               streq(name, "repositories") || (!strchr(name, '/') && str_has_suffix(name, ".json"));
}

static bool looks_like_json(const unsigned char *p, size_t n) {
        for (size_t i = 0; i < n; i++) {
                if (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t')
                        continue;
                return p[i] == '{';
        }
        return false;
}

struct stream_state {
        struct image_source *s;
        struct store st;
        size_t meta_total;
        struct hashmap *passed; /* members already handed to on_blob */
};

static int keep_member(struct stream_state *ss, const char *name, const char *data, size_t len,
                       const char *link) {
        struct mem_member *m = arena_alloc(ss->st.mem_arena, sizeof *m);
        if (!m)
                return -ENOMEM;
        m->name = arena_strdup(ss->st.mem_arena, name);
        m->data = data ? arena_memdup(ss->st.mem_arena, data, len) : NULL;
        m->len = len;
        m->link = link ? arena_strdup(ss->st.mem_arena, link) : NULL;
        if (!m->name || (data && !m->data) || (link && !m->link))
                return -ENOMEM;
        return hashmap_put(ss->st.mem, m->name, m, NULL) < 0 ? -ENOMEM : 0;
}

static int read_rest(struct stream_state *ss, struct archive *a, const char *name, const void *head,
                     size_t head_len, uint64_t size) {
        struct image_source *s = ss->s;
        if (size > META_CAP(s) || ss->meta_total + size > META_TOTAL_CAP)
                return diag_error(s->diag, -E2BIG, "metadata member '%s' of '%s' is too large", name,
                                  s->image.target);
        _cleanup_free_ char *buf = malloc((size_t) size + 1);
        if (!buf)
                return -ENOMEM;
        size_t got = MIN(head_len, (size_t) size);
        if (got)
                memcpy(buf, head, got); /* head is NULL for members not sniffed */
        while (got < size) {
                la_ssize_t k = archive_read_data(a, buf + got, (size_t) size - got);
                if (k < 0)
                        return diag_error(s->diag, -EBADMSG, "archive '%s' is corrupt at '%s': %s", s->image.target,
                                          name, archive_error_string(a) ? archive_error_string(a) : "read error");
                if (k == 0)
                        break;
                got += (size_t) k;
        }
        ss->meta_total += got;
        return keep_member(ss, name, buf, got, NULL);
}

int image_stream_archive(struct image_source *s, const struct byte_source *outer,
                         int (*on_blob)(void *userdata, const char *member, const struct byte_source *src),
                         void *userdata) {
        struct stream_state ss = { .s = s, .st = { .kind = STORE_MEM, .fd = -1, .what = s->image.target } };
        struct la_src *ls = NULL;
        struct archive *a = NULL;
        int r = 0;

        ss.st.mem = hashmap_new();
        ss.st.mem_arena = arena_new(0);
        ss.passed = hashmap_new();
        ls = calloc(1, sizeof *ls);
        a = archive_read_new();
        if (!ss.st.mem || !ss.st.mem_arena || !ss.passed || !ls || !a) {
                r = -ENOMEM;
                goto out;
        }
        ls->outer = outer;
        ls->a = a;
        archive_read_support_format_tar(a);
        archive_read_support_filter_gzip(a);
        archive_read_support_filter_zstd(a);
        archive_read_support_filter_xz(a);
        archive_read_support_filter_bzip2(a);
        archive_read_support_filter_none(a);
        if (archive_read_open(a, ls, NULL, outer_read, NULL) != ARCHIVE_OK) {
                r = diag_error(s->diag, -EBADMSG, "'%s' is not a tar archive: %s", s->image.target,
                               archive_error_string(a) ? archive_error_string(a) : "unknown format");
                goto out;
        }

        for (;;) {
                struct archive_entry *e;
                int k = archive_read_next_header(a, &e);
                if (k == ARCHIVE_EOF)
                        break;
                if (k == ARCHIVE_RETRY)
                        continue;
                if (k < ARCHIVE_WARN) {
                        r = diag_error(s->diag, -EBADMSG, "archive '%s' is corrupt: %s", s->image.target,
                                       archive_error_string(a) ? archive_error_string(a) : "bad header");
                        goto out;
                }
                char name[PATH_MAX_IMAGE + 1], link[PATH_MAX_IMAGE + 1];
                const char *raw = archive_entry_pathname(e);
                if (!raw || path_normalize_member(raw, name) < 0 || !name[0]) {
                        r = diag_error(s->diag, -EBADMSG, "archive '%s' has an unsafe member name '%.200s'",
                                       s->image.target, raw ? raw : "?");
                        goto out;
                }
                const char *hl = archive_entry_hardlink(e);
                const char *sl = archive_entry_filetype(e) == AE_IFLNK ? archive_entry_symlink(e) : NULL;
                if (hl || sl) {
                        k = hl ? path_normalize_member(hl, link) : path_resolve_link_target(name, sl, link);
                        if (k < 0) {
                                r = diag_error(s->diag, -EBADMSG, "archive '%s': member '%s' links outside it",
                                               s->image.target, name);
                                goto out;
                        }
                        r = keep_member(&ss, name, NULL, 0, link);
                        if (r < 0)
                                goto out;
                        continue;
                }
                if (archive_entry_filetype(e) != AE_IFREG)
                        continue;
                uint64_t size = archive_entry_size(e) > 0 ? (uint64_t) archive_entry_size(e) : 0;

                if (is_metadata_name(name)) {
                        r = read_rest(&ss, a, name, NULL, 0, size);
                        if (r < 0)
                                goto out;
                        continue;
                }
                bool blob = str_has_prefix(name, "blobs/");
                if (!blob && !str_has_suffix(name, "/layer.tar"))
                        continue; /* VERSION, legacy per-layer json, … */

                /* Sniff: blobs/ holds manifests and configs too. Read the head with archive_read_data()
                 * like the rest: it tracks the output offset, and a block taken with
                 * archive_read_data_block() behind its back reads as a hole (zeros) afterwards. */
                unsigned char sniff[512];
                const void *head = sniff;
                size_t head_len = 0;
                if (size > 0) {
                        la_ssize_t got = archive_read_data(a, sniff, (size_t) MIN(size, (uint64_t) sizeof sniff));
                        if (got < 0) {
                                r = diag_error(s->diag, -EBADMSG, "archive '%s' is corrupt at '%s'", s->image.target,
                                               name);
                                goto out;
                        }
                        head_len = (size_t) got;
                }
                if (blob && size <= META_CAP(s) && looks_like_json(head, head_len)) {
                        r = read_rest(&ss, a, name, head, head_len, size);
                        if (r < 0)
                                goto out;
                        continue;
                }
                struct member_src ms = { .a = a, .head = head, .head_len = head_len };
                struct byte_source src = { member_read, &ms };
                const char *kept = arena_strdup(ss.st.mem_arena, name);
                if (!kept || hashmap_put(ss.passed, kept, (void *) kept, NULL) < 0) {
                        r = -ENOMEM;
                        goto out;
                }
                r = on_blob(userdata, name, &src);
                if (r < 0)
                        goto out;
        }

        r = store_load_image(s, &ss.st);
        if (r < 0)
                goto out;
        /* A layer we kept as metadata (it looked like JSON) still has to be analyzed. */
        for (size_t i = 0; i < s->image.n_layers; i++) {
                const char *m = s->image.layers[i].member;
                struct mem_member *mm = m ? hashmap_get(ss.st.mem, m) : NULL;
                if (!mm || !mm->data || hashmap_contains(ss.passed, m))
                        continue;
                struct byte_source src;
                void *h;
                r = store_open(s, &ss.st, m, &src, &h);
                if (r < 0)
                        goto out;
                r = on_blob(userdata, m, &src);
                store_close(h);
                if (r < 0)
                        goto out;
                if (hashmap_put(ss.passed, mm->name, (void *) mm->name, NULL) < 0) {
                        r = -ENOMEM;
                        goto out;
                }
        }
        /* Layer members must be resolved names the caller saw. */
        for (size_t i = 0; i < s->image.n_layers; i++) {
                const char *m = s->image.layers[i].member;
                if (m && !hashmap_contains(ss.passed, m)) {
                        r = diag_error(s->diag, -EBADMSG, "archive '%s' lacks layer %zu ('%s')", s->image.target, i,
                                       m);
                        goto out;
                }
                s->image.layers[i].member = arena_strdup(s->arena, m);
        }
        r = 0;
out:
        if (a)
                archive_read_free(a);
        free(ls);
        hashmap_free(ss.passed);
        store_done(&ss.st);
        return r;
}
