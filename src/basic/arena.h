/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A bump allocator for the many small objects of one scan or one layer (paths, package fields) that all
 * die together. Allocation never fails silently: on out-of-memory it returns NULL and the caller maps that
 * to -ENOMEM. An arena may carry a byte cap, so that what a hostile layer makes us remember is bounded.
 *
 * Not thread-safe; one owner at a time. arena_free(NULL) is a no-op. */

#include <stdarg.h>
#include "macro.h"

struct arena;

struct arena *arena_new(size_t cap_bytes /* 0 = unlimited */);
void arena_free(struct arena *a);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct arena *, arena_free);

void *arena_alloc(struct arena *a, size_t n);  /* 16-byte aligned, zeroed */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
void *arena_memdup(struct arena *a, const void *p, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) _printf_(2, 3);

/* Bytes handed out so far (for accounting and limits). */
size_t arena_used(const struct arena *a);
bool arena_exhausted(const struct arena *a);
