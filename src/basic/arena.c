/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "bigalloc.h"

#define CHUNK_MIN (64 * 1024)
#define CHUNK_MAX (16 * 1024 * 1024)

struct chunk {
        struct chunk *next;
        size_t size, used;
        _Alignas(16) unsigned char data[];
};

struct arena {
        struct chunk *head;
        size_t used, cap;
        size_t next_chunk; /* chunks grow with the arena, so big arenas use few, huge-page-backed chunks */
        bool exhausted;
};

struct arena *arena_new(size_t cap_bytes) {
        struct arena *a = calloc(1, sizeof *a);
        if (a)
                a->cap = cap_bytes;
        return a;
}

void arena_free(struct arena *a) {
        if (!a)
                return;
        for (struct chunk *c = a->head, *n; c; c = n) {
                n = c->next;
                bigfree(c, sizeof(struct chunk) + c->size);
        }
        free(a);
}

void *arena_alloc(struct arena *a, size_t n) {
        size_t rounded;

        if (!ADD_OK(n, (size_t) 15, &rounded))
                return NULL;
        rounded &= ~(size_t) 15;
        if (rounded == 0)
                rounded = 16;

        if (a->cap && (a->used + rounded > a->cap || a->used + rounded < a->used)) {
                a->exhausted = true;
                return NULL;
        }

        struct chunk *c = a->head;
        if (!c || c->size - c->used < rounded) {
                if (a->next_chunk == 0)
                        a->next_chunk = CHUNK_MIN;
                size_t standard = a->next_chunk;
                size_t sz = rounded > standard / 4 ? rounded : standard;
                /* Memory from bigalloc() is zeroed; big requests get a chunk of their own behind the
                 * current head, so the head keeps serving small requests. */
                c = bigalloc(sizeof(struct chunk) + sz);
                if (!c)
                        return NULL;
                c->size = sz;
                c->used = 0;
                if (sz != standard && a->head) {
                        c->next = a->head->next;
                        a->head->next = c;
                } else {
                        c->next = a->head;
                        a->head = c;
                        a->next_chunk = MIN(standard * 2, (size_t) CHUNK_MAX);
                }
        }
        void *p = c->data + c->used;
        c->used += rounded;
        a->used += rounded;
        return p; /* chunks come zeroed and are never reused */
}

void *arena_memdup(struct arena *a, const void *p, size_t n) {
        char *d = arena_alloc(a, n + 1);
        if (!d)
                return NULL;
        if (n)
                memcpy(d, p, n);
        d[n] = 0;
        return d;
}

char *arena_strndup(struct arena *a, const char *s, size_t n) {
        return arena_memdup(a, s, strnlen(s, n));
}

char *arena_strdup(struct arena *a, const char *s) {
        return s ? arena_memdup(a, s, strlen(s)) : NULL;
}

char *arena_printf(struct arena *a, const char *fmt, ...) {
        va_list ap, aq;
        va_start(ap, fmt);
        va_copy(aq, ap);
        int n = vsnprintf(NULL, 0, fmt, aq);
        va_end(aq);
        char *p = n < 0 ? NULL : arena_alloc(a, (size_t) n + 1);
        if (p)
                vsnprintf(p, (size_t) n + 1, fmt, ap);
        va_end(ap);
        return p;
}

size_t arena_used(const struct arena *a) {
        return a->used;
}

bool arena_exhausted(const struct arena *a) {
        return a->exhausted;
}
