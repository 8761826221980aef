/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Builds tar archives in memory for tests, with libarchive's writer — including members no honest tool
 * would write (paths climbing out, links pointing outside, sparse giants). */

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

struct tarbuild {
        struct archive *a;
        char *buf;
        size_t size, used;
};

static inline void tb_init(struct tarbuild *t) {
        t->size = 64u << 20;
        t->buf = malloc(t->size);
        t->a = archive_write_new();
        archive_write_set_format_pax_restricted(t->a);
        archive_write_set_bytes_in_last_block(t->a, 1);
        archive_write_open_memory(t->a, t->buf, t->size, &t->used);
}

static inline void tb_add(struct tarbuild *t, const char *name, unsigned type, unsigned mode, const char *data,
                          const char *link) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, type);
        archive_entry_set_perm(e, mode);
        archive_entry_set_uid(e, 0);
        archive_entry_set_gid(e, 0);
        archive_entry_set_mtime(e, 1700000000, 0);
        if (type == AE_IFLNK)
                archive_entry_set_symlink(e, link);
        if (type == AE_IFREG && link) { /* a hard link */
                archive_entry_set_hardlink(e, link);
                archive_entry_set_size(e, 0);
        }
        size_t n = data ? strlen(data) : 0;
        if (type == AE_IFREG && !link)
                archive_entry_set_size(e, (la_int64_t) n);
        archive_write_header(t->a, e);
        if (n)
                archive_write_data(t->a, data, n);
        archive_entry_free(e);
}

static inline void tb_file(struct tarbuild *t, const char *name, const char *data) {
        tb_add(t, name, AE_IFREG, 0644, data, NULL);
}
static inline void tb_dir(struct tarbuild *t, const char *name) {
        tb_add(t, name, AE_IFDIR, 0755, NULL, NULL);
}
static inline void tb_symlink(struct tarbuild *t, const char *name, const char *target) {
        tb_add(t, name, AE_IFLNK, 0777, NULL, target);
}
static inline void tb_hardlink(struct tarbuild *t, const char *name, const char *target) {
        tb_add(t, name, AE_IFREG, 0644, NULL, target);
}

/* A sparse member declaring `size` bytes with a small data region at the start. */
static inline void tb_sparse(struct tarbuild *t, const char *name, int64_t size) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, size);
        archive_entry_sparse_add_entry(e, 0, 512);
        archive_write_header(t->a, e);
        char block[512];
        memset(block, 'x', sizeof block);
        archive_write_data(t->a, block, sizeof block);
        archive_entry_free(e);
}

static inline void tb_finish(struct tarbuild *t) {
        archive_write_close(t->a);
        archive_write_free(t->a);
        t->a = NULL;
}

static inline void tb_free(struct tarbuild *t) {
        free(t->buf);
        t->buf = NULL;
}
