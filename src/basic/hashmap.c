/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "bigalloc.h"
#include "hashmap.h"

static uint64_t hash_key[2];
static pthread_once_t hash_once = PTHREAD_ONCE_INIT;

static void hash_init(void) {
        if (getrandom(hash_key, sizeof hash_key, GRND_NONBLOCK) != (ssize_t) sizeof hash_key) {
                /* No entropy yet (very early boot): still vary per process. */
                struct timespec ts;
                clock_gettime(CLOCK_MONOTONIC, &ts);
                hash_key[0] = (uint64_t) ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^ (uint64_t) getpid();
                hash_key[1] = (uint64_t) ts.tv_sec ^ (uintptr_t) &ts;
        }
}

/* A keyed multiply-fold hash: 16 bytes per step through a 64x64->128-bit multiply, folded. With a
 * random per-process key that never leaves the process, inputs cannot be chosen to collide, and it is
 * several times faster than SipHash on path-length keys (hashing paths dominated merging big images). */
static inline uint64_t mix(uint64_t a, uint64_t b) {
        __uint128_t r = (__uint128_t) a * b;
        return (uint64_t) r ^ (uint64_t) (r >> 64);
}

static inline uint64_t read64(const unsigned char *p) {
        uint64_t v;
        memcpy(&v, p, 8);
        return v;
}

static inline uint64_t read_small(const unsigned char *p, size_t n) {
        /* 1..7 bytes: first, middle and last byte, as one word */
        return ((uint64_t) p[0] << 16) | ((uint64_t) p[n >> 1] << 8) | p[n - 1];
}

uint64_t hash_bytes(const void *data, size_t n) {
        pthread_once(&hash_once, hash_init);
        const unsigned char *p = data;
        const uint64_t k0 = hash_key[0], k1 = hash_key[1];
        uint64_t h = k0 ^ mix(n ^ 0xa0761d6478bd642fULL, k1 ^ 0xe7037ed1a0b428dbULL);
        uint64_t a = 0, b = 0;

        if (n > 16) {
                size_t i = n;
                while (i > 16) {
                        h = mix(read64(p) ^ k1 ^ 0x8ebc6af09c88c6e3ULL, read64(p + 8) ^ h);
                        p += 16;
                        i -= 16;
                }
                /* the last 16 bytes, overlapping what was consumed already when fewer are left */
                a = read64(p + i - 16);
                b = read64(p + i - 8);
        } else if (n >= 8) {
                a = read64(p);
                b = read64(p + n - 8);
        } else if (n > 0)
                a = read_small(p, n);
        return mix(h ^ a ^ 0x589965cc75374cc3ULL, b ^ k0 ^ 0x1d8e4e27c47d124fULL);
}

uint64_t hash_string(const char *s) {
        return hash_bytes(s, strlen(s));
}

struct slot {
        const char *key; /* NULL = empty */
        void *value;
        uint64_t hash;
};

struct hashmap {
        struct slot *slots;
        size_t n_slots; /* power of two, or 0 */
        size_t n_items;
};

struct hashmap *hashmap_new(void) {
        return calloc(1, sizeof(struct hashmap));
}

void hashmap_free(struct hashmap *h) {
        if (!h)
                return;
        bigfree(h->slots, h->n_slots * sizeof(struct slot));
        free(h);
}

void hashmap_clear(struct hashmap *h) {
        if (h->slots)
                memset(h->slots, 0, h->n_slots * sizeof(struct slot));
        h->n_items = 0;
}

size_t hashmap_size(const struct hashmap *h) {
        return h ? h->n_items : 0;
}

static int grow(struct hashmap *h) {
        size_t n = h->n_slots ? h->n_slots * 2 : 16;
        struct slot *s = bigalloc(n * sizeof *s);
        if (!s)
                return -ENOMEM;
        for (size_t i = 0; i < h->n_slots; i++) {
                if (!h->slots[i].key)
                        continue;
                size_t j = h->slots[i].hash & (n - 1);
                while (s[j].key)
                        j = (j + 1) & (n - 1);
                s[j] = h->slots[i];
        }
        bigfree(h->slots, h->n_slots * sizeof(struct slot));
        h->slots = s;
        h->n_slots = n;
        return 0;
}

static struct slot *find(const struct hashmap *h, const char *key, uint64_t hash) {
        if (!h || h->n_slots == 0)
                return NULL;
        for (size_t j = hash & (h->n_slots - 1);; j = (j + 1) & (h->n_slots - 1)) {
                struct slot *s = &h->slots[j];
                if (!s->key)
                        return NULL;
                if (s->hash == hash && streq(s->key, key))
                        return s;
        }
}

int hashmap_put(struct hashmap *h, const char *key, void *value, void **ret_old) {
        return hashmap_put_hashed(h, key, hash_string(key), value, ret_old);
}

void *hashmap_get_hashed(const struct hashmap *h, const char *key, uint64_t hash) {
        struct slot *s = find(h, key, hash);
        return s ? s->value : NULL;
}

int hashmap_put_hashed(struct hashmap *h, const char *key, uint64_t hash, void *value, void **ret_old) {
        struct slot *s = find(h, key, hash);
        if (s) {
                if (ret_old)
                        *ret_old = s->value;
                s->key = key;
                s->value = value;
                return 1;
        }
        /* Load factor at most 1/2 keeps probe sequences short. */
        if ((h->n_items + 1) * 2 > h->n_slots) {
                int r = grow(h);
                if (r < 0)
                        return r;
        }
        size_t j = hash & (h->n_slots - 1);
        while (h->slots[j].key)
                j = (j + 1) & (h->n_slots - 1);
        h->slots[j] = (struct slot){ key, value, hash };
        h->n_items++;
        return 0;
}

void *hashmap_get(const struct hashmap *h, const char *key) {
        struct slot *s = find(h, key, hash_string(key));
        return s ? s->value : NULL;
}

bool hashmap_contains(const struct hashmap *h, const char *key) {
        return find(h, key, hash_string(key)) != NULL;
}

void *hashmap_remove(struct hashmap *h, const char *key) {
        struct slot *s = find(h, key, hash_string(key));
        if (!s)
                return NULL;
        void *v = s->value;
        size_t mask = h->n_slots - 1;
        size_t i = (size_t) (s - h->slots);

        /* Backward-shift deletion: no tombstones, so lookups never degrade. */
        for (size_t j = (i + 1) & mask; h->slots[j].key; j = (j + 1) & mask) {
                size_t home = h->slots[j].hash & mask;
                /* Move j into the hole i unless its home lies cyclically in (i, j]. */
                bool stays = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
                if (!stays) {
                        h->slots[i] = h->slots[j];
                        i = j;
                }
        }
        h->slots[i] = (struct slot){ 0 };
        h->n_items--;
        return v;
}

bool hashmap_next(const struct hashmap *h, size_t *i, const char **ret_key, void **ret_value) {
        if (!h)
                return false;
        for (; *i < h->n_slots; (*i)++) {
                if (h->slots[*i].key) {
                        *ret_key = h->slots[*i].key;
                        *ret_value = h->slots[*i].value;
                        (*i)++;
                        return true;
                }
        }
        return false;
}
