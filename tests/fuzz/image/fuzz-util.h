/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Shared by the image fuzz targets: a source with nothing behind it, for the parsers that fill one. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_source {
        struct image_source s;
        struct image_source_options o;
        struct diag d;
};

static inline void fuzz_source_init(struct fuzz_source *f) {
        memset(f, 0, sizeof *f);
        diag_init(&f->d);
        f->o.max_metadata_bytes = 1 << 20;
        f->s.opts = &f->o;
        f->s.diag = &f->d;
        f->s.arena = arena_new(0);
        f->s.image.name = "fuzz";
        f->s.image.target = "fuzz";
        if (!f->s.arena)
                abort();
}

static inline void fuzz_source_done(struct fuzz_source *f) {
        arena_free(f->s.arena);
        diag_done(&f->d);
}

/* A NUL-terminated copy of the input (the parsers take C strings). */
static inline char *fuzz_strdup(const uint8_t *data, size_t size) {
        char *s = malloc(size + 1);
        if (!s)
                abort();
        memcpy(s, data, size);
        s[size] = 0;
        return s;
}

/* Splits the input at the first "\n--\n" into two parts (the second may be empty). */
static inline void fuzz_split(const char *s, size_t size, size_t *ret_len1, const char **ret2,
                              size_t *ret_len2) {
        const char *sep = memmem(s, size, "\n--\n", 4);
        if (!sep) {
                *ret_len1 = size;
                *ret2 = s + size;
                *ret_len2 = 0;
                return;
        }
        *ret_len1 = (size_t) (sep - s);
        *ret2 = sep + 4;
        *ret_len2 = size - *ret_len1 - 4;
}
