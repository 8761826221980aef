/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* An open-addressing hash map from C-string keys to pointers. Keys are borrowed, not copied: the caller
 * keeps them alive (usually in an arena) as long as the entry exists. Hashing is keyed with a random
 * per-process key (hash_bytes()), because keys (paths, package names) come from hostile images and must
 * not be able to force collisions.
 *
 * Not thread-safe; hashmap_get() on a map nobody modifies may be called from several threads. */

#include "macro.h"

struct hashmap;

struct hashmap *hashmap_new(void);
void hashmap_free(struct hashmap *h);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct hashmap *, hashmap_free);

/* Inserts or replaces. Returns 0 on insert, 1 on replace (old value in *ret_old if non-NULL), -ENOMEM. */
int hashmap_put(struct hashmap *h, const char *key, void *value, void **ret_old);
void *hashmap_get(const struct hashmap *h, const char *key);
bool hashmap_contains(const struct hashmap *h, const char *key);
/* Removes the entry, returning its value (NULL if absent). */
void *hashmap_remove(struct hashmap *h, const char *key);
size_t hashmap_size(const struct hashmap *h);
void hashmap_clear(struct hashmap *h);

/* Iteration in slot order (not insertion order; sort if output must be deterministic).
 * Start with *i = 0. Must not modify the map while iterating. */
/* The same operations with the key's hash_string() computed once by the caller (hot paths that look a
 * key up and then insert it). */
void *hashmap_get_hashed(const struct hashmap *h, const char *key, uint64_t hash);
int hashmap_put_hashed(struct hashmap *h, const char *key, uint64_t hash, void *value, void **ret_old);

bool hashmap_next(const struct hashmap *h, size_t *i, const char **ret_key, void **ret_value);

#define HASHMAP_FOREACH(k, v, h, i) for (size_t i = 0; hashmap_next((h), &i, &(k), (void **) &(v));)

/* Keyed 64-bit hash of bytes, exposed for other containers. */
uint64_t hash_bytes(const void *p, size_t n);
uint64_t hash_string(const char *s);
