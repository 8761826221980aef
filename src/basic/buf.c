/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

int buf_reserve(struct buf *b, size_t extra) {
        size_t need;

        if (!ADD_OK(b->len, extra, &need) || !ADD_OK(need, (size_t) 1, &need))
                return -E2BIG;
        if (b->cap && need - 1 > b->cap)
                return -E2BIG;
        if (need <= b->alloc)
                return 0;

        size_t n = b->alloc ? b->alloc : 64;
        while (n < need) {
                if (!MUL_OK(n, (size_t) 2, &n))
                        return -ENOMEM;
        }
        if (b->cap && n > b->cap + 1)
                n = b->cap + 1;
        char *p = realloc(b->data, n);
        if (!p)
                return -ENOMEM;
        b->data = p;
        b->alloc = n;
        return 0;
}

int buf_append_slow(struct buf *b, const void *p, size_t n) {
        int r = buf_reserve(b, n);
        if (r < 0)
                return r;
        if (n)
                memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = 0;
        return 0;
}

int buf_append_zeros(struct buf *b, size_t n) {
        int r = buf_reserve(b, n);
        if (r < 0)
                return r;
        memset(b->data + b->len, 0, n);
        b->len += n;
        b->data[b->len] = 0;
        return 0;
}

int buf_append_str(struct buf *b, const char *s) {
        return buf_append(b, s, strlen(s));
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap) {
        va_list aq;
        char tmp[256];

        va_copy(aq, ap);
        int n = vsnprintf(tmp, sizeof tmp, fmt, aq);
        va_end(aq);
        if (n < 0)
                return -EINVAL;
        if ((size_t) n < sizeof tmp)
                return buf_append(b, tmp, (size_t) n);

        int r = buf_reserve(b, (size_t) n);
        if (r < 0)
                return r;
        vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
        b->len += (size_t) n;
        return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int r = buf_vprintf(b, fmt, ap);
        va_end(ap);
        return r;
}

void buf_reset(struct buf *b) {
        b->len = 0;
        if (b->data)
                b->data[0] = 0;
}

void buf_free(struct buf *b) {
        free(b->data);
        b->data = NULL;
        b->len = b->alloc = 0;
}

char *buf_steal(struct buf *b) {
        char *p = b->data;
        if (!p)
                p = strdup("");
        b->data = NULL;
        b->len = b->alloc = 0;
        return p;
}
