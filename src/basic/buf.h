/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A growable byte buffer with a hard cap. Everything filled from outside the process goes through one of
 * these (or an arena), so a hostile peer cannot make us allocate without bound. The contents are always
 * NUL-terminated (the terminator is not counted in len), so text can be used as a C string.
 *
 * Not thread-safe; one owner at a time. */

#include <stdarg.h>
#include <string.h>

#include "macro.h"

struct buf {
        char *data;
        size_t len;
        size_t alloc;
        size_t cap; /* hard maximum for len; 0 means "no cap" (only for data we produce ourselves) */
};

#define BUF_INIT(c) ((struct buf){ .cap = (c) })

/* All return 0, -ENOMEM, or -E2BIG when the cap would be exceeded (the buffer is then unchanged). */
int buf_reserve(struct buf *b, size_t extra);
int buf_append_slow(struct buf *b, const void *p, size_t n);
int buf_append_str(struct buf *b, const char *s);

/* The hot paths inline: writers append many short pieces. */
static inline int buf_append(struct buf *b, const void *p, size_t n) {
        if (b->data && n < b->alloc - b->len && (!b->cap || b->len + n <= b->cap)) {
                memcpy(b->data + b->len, p, n);
                b->len += n;
                b->data[b->len] = 0;
                return 0;
        }
        return buf_append_slow(b, p, n);
}

static inline int buf_append_char(struct buf *b, char c) {
        return buf_append(b, &c, 1);
}
int buf_printf(struct buf *b, const char *fmt, ...) _printf_(2, 3);
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) _printf_(2, 0);
/* Appends n zero bytes. */
int buf_append_zeros(struct buf *b, size_t n);

void buf_reset(struct buf *b);
void buf_free(struct buf *b);
/* Detaches the data (NUL-terminated, never NULL) and resets the buffer. */
char *buf_steal(struct buf *b);
