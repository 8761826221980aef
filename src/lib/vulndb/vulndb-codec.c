/* SPDX-License-Identifier: Apache-2.0 */
/* The stored records: a package row's statements, a vulnerability's details, an ecosystem_specific
 * text. Each blob starts with a tag, a format version and a CRC-32 of the rest, so that damage is found
 * when the record is read; decoding checks every length against the blob and never trusts a count. */
#include <math.h>
#include <pthread.h>

#include "vulndb-internal.h"

#define FORMAT 1
#define HEADER 6 /* tag, format, CRC-32C */

static int put_varint(struct buf *b, uint64_t v) {
        unsigned char tmp[10];
        size_t n = 0;
        do {
                tmp[n] = (unsigned char) (v & 0x7f);
                v >>= 7;
                if (v)
                        tmp[n] |= 0x80;
                n++;
        } while (v);
        return buf_append(b, tmp, n);
}

static int put_u8(struct buf *b, unsigned v) {
        return buf_append_char(b, (char) (unsigned char) v);
}

static int put_str(struct buf *b, const char *s) {
        int r;
        if (!s)
                return put_varint(b, 0);
        size_t n = strlen(s);
        if ((r = put_varint(b, (uint64_t) n + 1)) < 0 || (r = buf_append(b, s, n)) < 0)
                return r;
        return put_u8(b, 0);
}

static int put_strv(struct buf *b, const char *const *v) {
        size_t n = vdb_strv_len(v);
        int r = put_varint(b, n);
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = put_str(b, v[i]);
        return r;
}

static int begin(struct buf *out, char tag) {
        int r;
        buf_reset(out);
        if ((r = put_u8(out, (unsigned char) tag)) < 0 || (r = put_u8(out, FORMAT)) < 0)
                return r;
        return buf_append_zeros(out, 4);
}

/* CRC-32C (Castagnoli): the SSE 4.2 instruction where the CPU has it (a lookup checks every byte of the
 * package row it reads, so this is on the hot path), a table elsewhere. Same value either way. */
static uint32_t crc_table[256];

static void crc_init_table(void) {
        for (uint32_t i = 0; i < 256; i++) {
                uint32_t c = i;
                for (int k = 0; k < 8; k++)
                        c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
                crc_table[i] = c;
        }
}

static uint32_t crc32c_table(uint32_t crc, const unsigned char *p, size_t n) {
        static pthread_once_t once = PTHREAD_ONCE_INIT;
        pthread_once(&once, crc_init_table);
        for (size_t i = 0; i < n; i++)
                crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
        return crc;
}

#if defined(__x86_64__)
#include <nmmintrin.h>
__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(uint32_t crc, const unsigned char *p,
                                                               size_t n) {
        uint64_t c = crc;
        for (; n >= 8; p += 8, n -= 8) {
                uint64_t v;
                memcpy(&v, p, 8);
                c = _mm_crc32_u64(c, v);
        }
        crc = (uint32_t) c;
        for (; n > 0; p++, n--)
                crc = _mm_crc32_u8(crc, *p);
        return crc;
}
#endif

uint32_t vdb_crc32c(const void *data, size_t n) {
        uint32_t crc = 0xffffffffu;
#if defined(__x86_64__)
        if (__builtin_cpu_supports("sse4.2"))
                return ~crc32c_sse42(crc, data, n);
#endif
        return ~crc32c_table(crc, data, n);
}

static void seal(struct buf *out) {
        uint32_t crc = vdb_crc32c(out->data + HEADER, out->len - HEADER);
        unsigned char *p = (unsigned char *) out->data + 2;
        p[0] = (unsigned char) crc;
        p[1] = (unsigned char) (crc >> 8);
        p[2] = (unsigned char) (crc >> 16);
        p[3] = (unsigned char) (crc >> 24);
}

int vdb_encode_stmt(struct buf *b, const struct vdb_enc_stmt *s) {
        int r;
        long score = lround(s->cvss * 10.0);
        if ((r = put_str(b, s->id)) < 0 || (r = put_strv(b, s->aliases)) < 0 ||
            (r = put_strv(b, s->upstream)) < 0 || (r = put_u8(b, s->status)) < 0 ||
            (r = put_u8(b, s->severity)) < 0 || (r = put_u8(b, s->kev ? 1 : 0)) < 0 ||
            (r = put_str(b, s->fixed)) < 0 || (r = put_str(b, s->severity_source)) < 0 ||
            (r = put_varint(b, (uint64_t) MAX(0L, MIN(score, 100L)))) < 0 ||
            (r = put_str(b, s->cvss_vector)) < 0 || (r = put_str(b, s->kev_date)) < 0 ||
            (r = put_str(b, s->note)) < 0 || (r = put_varint(b, s->source)) < 0 ||
            (r = put_varint(b, (uint64_t) s->details_ref)) < 0 ||
            (r = put_varint(b, (uint64_t) s->extras_ref)) < 0 || (r = put_varint(b, s->n_ranges)) < 0)
                return r;
        for (size_t i = 0; i < s->n_ranges; i++) {
                const struct vuln_range *rg = &s->ranges[i];
                if ((r = put_u8(b, rg->type)) < 0 || (r = put_varint(b, rg->n_events)) < 0)
                        return r;
                for (size_t k = 0; k < rg->n_events; k++)
                        if ((r = put_u8(b, rg->events[k].kind)) < 0 ||
                            (r = put_str(b, rg->events[k].version)) < 0)
                                return r;
        }
        return put_strv(b, s->versions);
}

int vdb_encode_package(struct buf *out, const void *body, size_t len, size_t n) {
        int r;
        if ((r = begin(out, 'P')) < 0 || (r = put_varint(out, n)) < 0 ||
            (r = buf_append(out, body, len)) < 0)
                return r;
        seal(out);
        return 0;
}

int vdb_encode_details(struct buf *out, const char *summary, const char *published, const char *modified,
                       const char *const *cwes, const char *const *related) {
        int r;
        if ((r = begin(out, 'D')) < 0 || (r = put_str(out, summary)) < 0 ||
            (r = put_str(out, published)) < 0 || (r = put_str(out, modified)) < 0 ||
            (r = put_strv(out, cwes)) < 0 || (r = put_strv(out, related)) < 0)
                return r;
        seal(out);
        return 0;
}

int vdb_encode_extras(struct buf *out, const char *json) {
        int r;
        if ((r = begin(out, 'E')) < 0 || (r = put_str(out, json)) < 0)
                return r;
        seal(out);
        return 0;
}

/* ---- decoding ---- */

struct cur {
        const unsigned char *p, *end;
};

static bool get_varint(struct cur *c, uint64_t *ret) {
        uint64_t v = 0;
        for (unsigned shift = 0; shift < 64; shift += 7) {
                if (c->p >= c->end)
                        return false;
                unsigned char byte = *c->p++;
                v |= (uint64_t) (byte & 0x7f) << shift;
                if (!(byte & 0x80)) {
                        *ret = v;
                        return true;
                }
        }
        return false;
}

static bool get_u8(struct cur *c, unsigned *ret) {
        if (c->p >= c->end)
                return false;
        *ret = *c->p++;
        return true;
}

static bool get_str(struct cur *c, const char **ret) {
        uint64_t n;
        if (!get_varint(c, &n))
                return false;
        if (n == 0) {
                *ret = NULL;
                return true;
        }
        if (n > (uint64_t) (c->end - c->p) || c->p[n - 1] != 0)
                return false;
        *ret = (const char *) c->p;
        c->p += n;
        return true;
}

static bool get_strv(struct cur *c, struct arena *a, const char *const **ret) {
        uint64_t n;
        if (!get_varint(c, &n))
                return false;
        if (n == 0) {
                *ret = NULL;
                return true;
        }
        if (n > (uint64_t) (c->end - c->p)) /* each string takes at least one byte */
                return false;
        const char **v = arena_alloc(a, ((size_t) n + 1) * sizeof *v);
        if (!v)
                return false;
        for (uint64_t i = 0; i < n; i++)
                if (!get_str(c, &v[i]) || !v[i])
                        return false;
        *ret = v;
        return true;
}

static int open_blob(const void *data, size_t len, char tag, struct cur *c) {
        const unsigned char *p = data;
        if (len < HEADER || p[0] != (unsigned char) tag || p[1] != FORMAT)
                return -EBADMSG;
        uint32_t want =
                (uint32_t) p[2] | (uint32_t) p[3] << 8 | (uint32_t) p[4] << 16 | (uint32_t) p[5] << 24;
        if (vdb_crc32c(p + HEADER, len - HEADER) != want)
                return -EBADMSG;
        c->p = (const unsigned char *) data + HEADER;
        c->end = (const unsigned char *) data + len;
        return 0;
}

int vdb_decode_package(const void *data, size_t len, struct arena *arena, struct vdb_decoded **ret,
                       size_t *ret_n) {
        struct cur c;
        uint64_t n;
        if (len > VDB_MAX_BLOB || open_blob(data, len, 'P', &c) < 0 || !get_varint(&c, &n) ||
            n > (uint64_t) (c.end - c.p))
                return -EBADMSG;
        struct vdb_decoded *out = n ? arena_alloc(arena, (size_t) n * sizeof *out) : NULL;
        if (n && !out)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                struct vdb_decoded *d = &out[i];
                struct vuln_affected *a = &d->a;
                unsigned status, severity, flags;
                uint64_t score, source, details, extras, n_ranges;
                if (!get_str(&c, &a->id) || !a->id || !get_strv(&c, arena, &a->aliases) ||
                    !get_strv(&c, arena, &a->upstream) || !get_u8(&c, &status) || status >= _VS_MAX ||
                    !get_u8(&c, &severity) || severity >= _SEV_MAX || !get_u8(&c, &flags) || flags > 1 ||
                    !get_str(&c, &a->fixed_version) || !get_str(&c, &a->severity_source) ||
                    !get_varint(&c, &score) || score > 100 || !get_str(&c, &a->cvss_vector) ||
                    !get_str(&c, &a->kev_date_added) || !get_str(&c, &a->note) || !get_varint(&c, &source) ||
                    source > UINT32_MAX || !get_varint(&c, &details) || details > INT64_MAX ||
                    !get_varint(&c, &extras) || extras > INT64_MAX || !get_varint(&c, &n_ranges) ||
                    n_ranges > (uint64_t) (c.end - c.p))
                        return -EBADMSG;
                a->status = (enum vuln_status) status;
                a->severity = (enum severity) severity;
                a->kev = flags & 1;
                a->cvss_score = (double) score / 10.0;
                a->details_ref = (int64_t) details;
                d->source = (uint32_t) source;
                d->extras_ref = (int64_t) extras;
                if (n_ranges) {
                        struct vuln_range *rv = arena_alloc(arena, (size_t) n_ranges * sizeof *rv);
                        if (!rv)
                                return -ENOMEM;
                        for (size_t k = 0; k < n_ranges; k++) {
                                unsigned type;
                                uint64_t n_events;
                                if (!get_u8(&c, &type) || type > VR_SEMVER || !get_varint(&c, &n_events) ||
                                    n_events > (uint64_t) (c.end - c.p) / 2)
                                        return -EBADMSG;
                                struct vuln_event *ev =
                                        n_events ? arena_alloc(arena, (size_t) n_events * sizeof *ev) : NULL;
                                if (n_events && !ev)
                                        return -ENOMEM;
                                for (size_t e = 0; e < n_events; e++) {
                                        unsigned kind;
                                        if (!get_u8(&c, &kind) || kind > VE_LIMIT ||
                                            !get_str(&c, &ev[e].version) || !ev[e].version)
                                                return -EBADMSG;
                                        ev[e].kind = (enum vuln_event_kind) kind;
                                }
                                rv[k] = (struct vuln_range){(enum vuln_range_type) type, ev,
                                                            (size_t) n_events};
                        }
                        a->ranges = rv;
                        a->n_ranges = (size_t) n_ranges;
                }
                if (!get_strv(&c, arena, &a->versions))
                        return -EBADMSG;
        }
        if (c.p != c.end)
                return -EBADMSG;
        *ret = out;
        *ret_n = (size_t) n;
        return 0;
}

int vdb_decode_details(const void *data, size_t len, struct arena *arena, const char **summary,
                       const char **published, const char **modified, const char *const **cwes,
                       const char *const **related) {
        struct cur c;
        if (open_blob(data, len, 'D', &c) < 0 || !get_str(&c, summary) || !get_str(&c, published) ||
            !get_str(&c, modified) || !get_strv(&c, arena, cwes) || !get_strv(&c, arena, related) ||
            c.p != c.end)
                return -EBADMSG;
        return 0;
}

int vdb_decode_extras(const void *data, size_t len, const char **json) {
        struct cur c;
        if (open_blob(data, len, 'E', &c) < 0 || !get_str(&c, json) || !*json || c.p != c.end)
                return -EBADMSG;
        return 0;
}
