/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A typed growable array: VEC(struct foo) v = {0}; VEC_PUSH(&v, x); free(v.items).
 * Growth is checked for overflow; VEC_PUSH evaluates to 0 or -ENOMEM. Not thread-safe. */

#include "macro.h"

#define VEC(T)                                                                                                \
        struct {                                                                                              \
                T *items;                                                                                     \
                size_t n, alloc;                                                                              \
        }

int vec_grow_(void **items, size_t *alloc, size_t need, size_t elem_size);

#define VEC_RESERVE(v, extra)                                                                                 \
        ((v)->n + (extra) <= (v)->alloc                                                                       \
                 ? 0                                                                                          \
                 : vec_grow_((void **) &(v)->items, &(v)->alloc, (v)->n + (extra), sizeof(*(v)->items)))

#define VEC_PUSH(v, ...)                                                                                      \
        ({                                                                                                    \
                int _r = VEC_RESERVE((v), 1);                                                                 \
                if (_r >= 0)                                                                                  \
                        (v)->items[(v)->n++] = (__VA_ARGS__);                                                 \
                _r;                                                                                           \
        })

/* Appends a zeroed element and returns a pointer to it, or NULL on OOM. */
#define VEC_NEW(v)                                                                                            \
        ({                                                                                                    \
                typeof((v)->items) _p = NULL;                                                                 \
                if (VEC_RESERVE((v), 1) >= 0) {                                                               \
                        _p = &(v)->items[(v)->n++];                                                           \
                        memset(_p, 0, sizeof(*_p));                                                           \
                }                                                                                             \
                _p;                                                                                           \
        })

#define VEC_FREE(v)                                                                                           \
        do {                                                                                                  \
                free((v)->items);                                                                             \
                (v)->items = NULL;                                                                            \
                (v)->n = (v)->alloc = 0;                                                                      \
        } while (0)

#define VEC_FOREACH(p, v) for (typeof(*(v)->items) *p = (v)->items; p && p < (v)->items + (v)->n; p++)
