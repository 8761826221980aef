/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "runtime-internal.h"

static size_t slot_of(const struct u64map *m, uint64_t key) {
        return (size_t) ((key * UINT64_C(0x9e3779b97f4a7c15)) >> 17) & (m->cap - 1);
}

static int grow(struct u64map *m) {
        size_t ncap = m->cap ? m->cap * 2 : 64;
        uint64_t *keys = calloc(ncap, sizeof(*keys));
        void **vals = calloc(ncap, sizeof(*vals));
        if (!keys || !vals) {
                free(keys);
                free(vals);
                return -ENOMEM;
        }
        struct u64map n = {.keys = keys, .vals = vals, .cap = ncap};
        for (size_t i = 0; i < m->cap; i++)
                if (m->vals[i])
                        (void) u64map_put(&n, m->keys[i], m->vals[i]);
        free(m->keys);
        free(m->vals);
        *m = n;
        return 0;
}

int u64map_put(struct u64map *m, uint64_t key, void *val) {
        if ((m->n + 1) * 4 > m->cap * 3) {
                int r = grow(m);
                if (r < 0)
                        return r;
        }
        size_t i = slot_of(m, key);
        while (m->vals[i]) {
                if (m->keys[i] == key) {
                        m->vals[i] = val;
                        return 1;
                }
                i = (i + 1) & (m->cap - 1);
        }
        m->keys[i] = key;
        m->vals[i] = val;
        m->n++;
        return 0;
}

void *u64map_get(const struct u64map *m, uint64_t key) {
        if (m->n == 0)
                return NULL;
        for (size_t i = slot_of(m, key); m->vals[i]; i = (i + 1) & (m->cap - 1))
                if (m->keys[i] == key)
                        return m->vals[i];
        return NULL;
}

void *u64map_remove(struct u64map *m, uint64_t key) {
        if (m->n == 0)
                return NULL;
        size_t i = slot_of(m, key);
        while (m->vals[i] && m->keys[i] != key)
                i = (i + 1) & (m->cap - 1);
        if (!m->vals[i])
                return NULL;
        void *v = m->vals[i];
        /* backward-shift: move later members of the cluster into the hole when their home allows */
        size_t hole = i, j = i;
        for (;;) {
                j = (j + 1) & (m->cap - 1);
                if (!m->vals[j])
                        break;
                size_t home = slot_of(m, m->keys[j]);
                /* j may move to hole when home is not cyclically in (hole, j] */
                bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
                if (stays)
                        continue;
                m->keys[hole] = m->keys[j];
                m->vals[hole] = m->vals[j];
                hole = j;
        }
        m->vals[hole] = NULL;
        m->keys[hole] = 0;
        m->n--;
        return v;
}

void u64map_free(struct u64map *m) {
        free(m->keys);
        free(m->vals);
        memset(m, 0, sizeof(*m));
}

bool u64map_next(const struct u64map *m, size_t *i, uint64_t *ret_key, void **ret_val) {
        for (; *i < m->cap; (*i)++)
                if (m->vals[*i]) {
                        if (ret_key)
                                *ret_key = m->keys[*i];
                        if (ret_val)
                                *ret_val = m->vals[*i];
                        (*i)++;
                        return true;
                }
        return false;
}
