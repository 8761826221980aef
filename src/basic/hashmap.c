/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "hashmap.h"

static uint64_t sip_key[2];
static pthread_once_t sip_once = PTHREAD_ONCE_INIT;

static void sip_init(void) {
        if (getrandom(sip_key, sizeof sip_key, GRND_NONBLOCK) != (ssize_t) sizeof sip_key) {
                /* No entropy yet (very early boot): still vary per process. */
                struct timespec ts;
                clock_gettime(CLOCK_MONOTONIC, &ts);
                sip_key[0] = (uint64_t) ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^ (uint64_t) getpid();
                sip_key[1] = (uint64_t) ts.tv_sec ^ (uintptr_t) &ts;
        }
}

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                              \
        do {                                                                                                  \
                v0 += v1;                                                                                     \
                v1 = ROTL(v1, 13);                                                                            \
                v1 ^= v0;                                                                                     \
                v0 = ROTL(v0, 32);                                                                            \
                v2 += v3;                                                                                     \
                v3 = ROTL(v3, 16);                                                                            \
                v3 ^= v2;                                                                                     \
                v0 += v3;                                                                                     \
                v3 = ROTL(v3, 21);                                                                            \
                v3 ^= v0;                                                                                     \
                v2 += v1;                                                                                     \
                v1 = ROTL(v1, 17);                                                                            \
                v1 ^= v2;                                                                                     \
                v2 = ROTL(v2, 32);                                                                            \
        } while (0)

uint64_t hash_bytes(const void *p, size_t n) {
        pthread_once(&sip_once, sip_init);
        const unsigned char *in = p;
        uint64_t k0 = sip_key[0], k1 = sip_key[1];
        uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
        uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
        uint64_t b = (uint64_t) n << 56, m;
        const unsigned char *end = in + (n & ~(size_t) 7);

        for (; in != end; in += 8) {
                memcpy(&m, in, 8);
                v3 ^= m;
                SIPROUND;
                v0 ^= m;
        }
        switch (n & 7) {
        case 7: b |= (uint64_t) in[6] << 48; _fallthrough_;
        case 6: b |= (uint64_t) in[5] << 40; _fallthrough_;
        case 5: b |= (uint64_t) in[4] << 32; _fallthrough_;
        case 4: b |= (uint64_t) in[3] << 24; _fallthrough_;
        case 3: b |= (uint64_t) in[2] << 16; _fallthrough_;
        case 2: b |= (uint64_t) in[1] << 8;  _fallthrough_;
        case 1: b |= (uint64_t) in[0]; break;
        default: break;
        }
        v3 ^= b;
        SIPROUND;
        v0 ^= b;
        v2 ^= 0xff;
        SIPROUND;
        SIPROUND;
        SIPROUND;
        return v0 ^ v1 ^ v2 ^ v3;
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
        free(h->slots);
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
        struct slot *s = calloc(n, sizeof *s);
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
        free(h->slots);
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
        uint64_t hash = hash_string(key);
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
