/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Small language helpers used everywhere: cleanup attributes, ownership transfer, array sizes. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f)    __attribute__((cleanup(f)))
#define _unused_        __attribute__((unused))
#define _pure_          __attribute__((pure))
#define _const_         __attribute__((const))
#define _noreturn_      __attribute__((noreturn))
#define _printf_(a, b)  __attribute__((format(printf, a, b)))
#define _likely_(x)     (__builtin_expect(!!(x), 1))
#define _unlikely_(x)   (__builtin_expect(!!(x), 0))
#define _warn_unused_   __attribute__((warn_unused_result))
#define _malloc_        __attribute__((malloc))
#define _fallthrough_   __attribute__((fallthrough))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* MIN/MAX evaluate each argument once and nest without shadowing (unique local names). */
#define XCONCATENATE(x, y) x##y
#define CONCATENATE(x, y)  XCONCATENATE(x, y)
#define UNIQ_T(x, uniq)    CONCATENATE(unique_prefix_, CONCATENATE(x, uniq))
#define UNIQ               __COUNTER__
#define MIN(a, b)          MIN_(UNIQ, (a), UNIQ, (b))
#define MIN_(aq, a, bq, b)                                                                                    \
        ({                                                                                                    \
                const typeof(a) UNIQ_T(A, aq) = (a);                                                          \
                const typeof(b) UNIQ_T(B, bq) = (b);                                                          \
                UNIQ_T(A, aq) < UNIQ_T(B, bq) ? UNIQ_T(A, aq) : UNIQ_T(B, bq);                                \
        })
#define MAX(a, b)          MAX_(UNIQ, (a), UNIQ, (b))
#define MAX_(aq, a, bq, b)                                                                                    \
        ({                                                                                                    \
                const typeof(a) UNIQ_T(A, aq) = (a);                                                          \
                const typeof(b) UNIQ_T(B, bq) = (b);                                                          \
                UNIQ_T(A, aq) > UNIQ_T(B, bq) ? UNIQ_T(A, aq) : UNIQ_T(B, bq);                                \
        })

/* Hand ownership of a pointer to someone else: returns it and leaves NULL behind, so the _cleanup_
 * handler of the local becomes a no-op. */
#define TAKE_PTR(p)                                                                                           \
        ({                                                                                                    \
                typeof(p) _ptr_ = (p);                                                                        \
                (p) = NULL;                                                                                   \
                _ptr_;                                                                                        \
        })

#define TAKE_FD(fd)                                                                                           \
        ({                                                                                                    \
                int _fd_ = (fd);                                                                              \
                (fd) = -1;                                                                                    \
                _fd_;                                                                                         \
        })

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void *mfree(void *p) {
        free(p);
        return NULL;
}

static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Defines name##p(type **) calling func(*p) when non-NULL, for use with _cleanup_(). */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                                               \
        static inline void func##p(type *p) {                                                                 \
                if (*p)                                                                                       \
                        func(*p);                                                                             \
        }

/* qsort() that accepts an empty (NULL) array, which plain qsort() does not (UBSan flags it). */
static inline void qsort_safe(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *)) {
        if (n > 1)
                qsort(base, n, size, cmp);
}

/* Returns -errno, never 0, even if errno was somehow left at 0. */
static inline int negative_errno(void) {
        return errno > 0 ? -errno : -EIO;
}

static inline bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}

#define streq(a, b) (strcmp((a), (b)) == 0)
#define strneq(a, b, n) (strncmp((a), (b), (n)) == 0)

/* Overflow-checked arithmetic: false on overflow. */
#define ADD_OK(a, b, res) (!__builtin_add_overflow((a), (b), (res)))
#define MUL_OK(a, b, res) (!__builtin_mul_overflow((a), (b), (res)))

#define KiB ((uint64_t) 1024)
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)
