/* SPDX-License-Identifier: Apache-2.0 */
/* Berkeley DB hash databases: var/lib/rpm/Packages of rpm before 4.16 (RHEL/CentOS 7 and 8, SLES 12/15,
 * Amazon Linux 2 …). Read-only parsing of the on-disk format, no libdb.
 *
 * Page 0 is the hash metadata: magic 0x061561 (in the byte order of the machine that wrote it: both are
 * handled), page size, last page, the number of buckets and the "spares" table that maps a bucket to its
 * first page. A bucket is a chain of hash pages (next_pgno); each holds an index of 16-bit offsets to
 * alternating key and data items. rpm's keys are 4-byte header numbers and its data items the header
 * blobs, nearly always larger than a page, so stored in chains of overflow pages.
 *
 * Every page is visited at most once over the whole walk (a bitmap), which defeats loops in bucket and
 * overflow chains and bounds the work by the file size. */

#include <string.h>

#include "rpmdb.h"

#define BDB_HASH_MAGIC  0x061561u
#define P_HASH_UNSORTED 2
#define P_OVERFLOW      7
#define P_HASHMETA      8
#define P_HASH          13
#define H_KEYDATA       1
#define H_DUPLICATE     2
#define H_OFFPAGE       3
#define H_OFFDUP        4
#define PAGE_HEADER     26 /* lsn, pgno, prev, next, entries, hf_offset, level, type */
#define PAGE_CHKSUM     6  /* checksummed databases: 2 bytes unused and a 4-byte checksum follow */
#define DBMETA_CHKSUM   0x01

struct bdb {
        struct rpmdb_walk *w;
        const uint8_t *data;
        size_t size;
        bool swapped;
        uint32_t pagesize;
        uint32_t npages;   /* pages in the file (size / pagesize) */
        uint32_t overhead; /* where a page's index (or overflow data) starts */
        uint8_t *visited;  /* bitmap over npages */
        uint8_t *value;    /* reassembled overflow value */
        size_t value_alloc;
        unsigned n_problems;
};

static uint32_t rd32(const struct bdb *db, const uint8_t *p) {
        uint32_t v = (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
        return db->swapped ? __builtin_bswap32(v) : v;
}

static uint16_t rd16(const struct bdb *db, const uint8_t *p) {
        uint16_t v = (uint16_t) (p[0] | p[1] << 8);
        return db->swapped ? __builtin_bswap16(v) : v;
}

/* Problems inside the database: reported a few times, then counted. */
#define PROBLEM_WARNINGS 5

static void problem(struct bdb *db, const char *what, uint32_t pgno) {
        if (++db->n_problems <= PROBLEM_WARNINGS)
                layer_ctx_warn(db->w->ctx, "rpm database '%s' (Berkeley DB) is damaged: %s (page %u)",
                               db->w->path, what, pgno);
}

/* Returns the page, or NULL (after a warning) when it is out of range or was visited before. */
static const uint8_t *page_get(struct bdb *db, uint32_t pgno, const char *what) {
        if (pgno == 0 || pgno >= db->npages) {
                problem(db, what, pgno);
                return NULL;
        }
        if (db->visited[pgno / 8] & (1u << (pgno % 8))) {
                problem(db, "a page chain loops or pages are shared", pgno);
                return NULL;
        }
        db->visited[pgno / 8] |= (uint8_t) (1u << (pgno % 8));
        return db->data + (size_t) pgno * db->pagesize;
}

/* Reassembles an overflow item of tlen bytes starting at page pgno. Returns 0 with the value, 1 when the
 * item is unusable (reported), or -ENOMEM. */
static int overflow_get(struct bdb *db, uint32_t pgno, uint32_t tlen, const uint8_t **ret) {
        size_t got = 0;

        if (tlen == 0 || tlen > RPMDB_MAX_HEADER_BYTES || tlen > db->size) {
                problem(db, "implausible overflow item length", pgno);
                return 1;
        }
        if (db->value_alloc < tlen) {
                uint8_t *v = realloc(db->value, tlen);
                if (!v)
                        return -ENOMEM;
                db->value = v;
                db->value_alloc = tlen;
        }
        while (got < tlen) {
                const uint8_t *pg = page_get(db, pgno, "overflow chain leaves the file");
                if (!pg)
                        return 1;
                if (pg[25] != P_OVERFLOW || rd32(db, pg + 8) != pgno) {
                        problem(db, "overflow chain reaches a page that is not an overflow page", pgno);
                        return 1;
                }
                uint32_t plen = rd16(db, pg + 22);
                if (plen > db->pagesize - db->overhead || plen > tlen - got) {
                        problem(db, "overflow page holds more than the page or the item", pgno);
                        return 1;
                }
                memcpy(db->value + got, pg + db->overhead, plen);
                got += plen;
                uint32_t next = rd32(db, pg + 16);
                if (got < tlen && next == 0) {
                        problem(db, "overflow chain ends early", pgno);
                        return 1;
                }
                pgno = next;
        }
        *ret = db->value;
        return 0;
}

/* One key/data pair of a hash page. */
static int pair(struct bdb *db, const uint8_t *pg, uint32_t pgno, uint32_t koff, uint32_t klen,
                uint32_t doff, uint32_t dlen) {
        const uint8_t *key = pg + koff, *val = pg + doff;
        const uint8_t *blob = NULL;
        size_t n = 0;

        /* Key 0 holds rpm's counter of header numbers, not a header. */
        if (key[0] == H_KEYDATA && klen == 5 && rd32(db, key + 1) == 0)
                return 0;

        switch (val[0]) {
        case H_KEYDATA:
                blob = val + 1;
                n = dlen - 1;
                break;
        case H_OFFPAGE: {
                if (dlen < 12) {
                        problem(db, "short overflow reference", pgno);
                        return 0;
                }
                uint32_t tlen = rd32(db, val + 8);
                int r = overflow_get(db, rd32(db, val + 4), tlen, &blob);
                if (r != 0)
                        return r < 0 ? r : 0;
                n = tlen;
                break;
        }
        case H_DUPLICATE:
        case H_OFFDUP: problem(db, "duplicate data items, which rpm never writes", pgno); return 0;
        default: problem(db, "unknown item type", pgno); return 0;
        }
        if (!rpmdb_spend(db->w, n))
                return 0;
        return rpmdb_add_header(db->w, blob, n);
}

/* The items of one hash page. */
static int hash_page(struct bdb *db, const uint8_t *pg, uint32_t pgno) {
        uint32_t ps = db->pagesize;
        uint32_t nent = rd16(db, pg + 20);
        uint32_t inp = db->overhead;

        if (nent > (ps - inp) / 2 || nent % 2) {
                problem(db, "bad item count", pgno);
                return 0;
        }
        uint32_t min_off = inp + nent * 2;
        /* Items are packed from the end of the page down: a key ends where the previous data item
         * starts (the page end for the first), and its data item ends where the key starts. */
        uint32_t prev = ps;
        for (uint32_t i = 0; i < nent && !db->w->stop; i += 2) {
                uint32_t koff = rd16(db, pg + inp + i * 2);
                uint32_t doff = rd16(db, pg + inp + i * 2 + 2);
                if (koff < min_off || koff >= prev || doff < min_off || doff >= koff) {
                        problem(db, "item offsets out of order or out of the page", pgno);
                        return 0;
                }
                int r = pair(db, pg, pgno, koff, prev - koff, doff, koff - doff);
                if (r < 0)
                        return r;
                prev = doff;
        }
        return 0;
}

static int walk_buckets(struct bdb *db, uint32_t max_bucket, const uint32_t spares[32]) {
        for (uint64_t bucket = 0; bucket <= max_bucket && !db->w->stop; bucket++) {
                unsigned bits = 0;
                for (uint64_t b = bucket; b; b >>= 1)
                        bits++;
                uint64_t pgno = bucket + spares[bits];
                if (pgno >= db->npages) {
                        problem(db, "bucket page out of the file", (uint32_t) pgno);
                        continue;
                }
                bool first = true;
                while (pgno != 0 && !db->w->stop) {
                        const uint8_t *pg = page_get(db, (uint32_t) pgno, "bucket chain leaves the file");
                        if (!pg)
                                break;
                        uint8_t type = pg[25];
                        /* A bucket that never held anything may be a page that was never written. */
                        if (first && type == 0 && rd32(db, pg + 8) == 0)
                                break;
                        if ((type != P_HASH && type != P_HASH_UNSORTED) || rd32(db, pg + 8) != pgno) {
                                problem(db, "bucket chain reaches a page that is not a hash page",
                                        (uint32_t) pgno);
                                break;
                        }
                        int r = hash_page(db, pg, (uint32_t) pgno);
                        if (r < 0)
                                return r;
                        pgno = rd32(db, pg + 16);
                        first = false;
                }
        }
        return 0;
}

int rpmdb_bdb_read(struct rpmdb_walk *w, const uint8_t *data, size_t n) {
        struct bdb db = {.w = w, .data = data, .size = n};
        uint32_t spares[32];
        int r;

        if (n < 512) {
                layer_ctx_warn(w->ctx, "rpm database '%s' (Berkeley DB) is truncated: %zu bytes", w->path,
                               n);
                return 0;
        }
        uint32_t magic_le = (uint32_t) data[12] | (uint32_t) data[13] << 8 | (uint32_t) data[14] << 16 |
                            (uint32_t) data[15] << 24;
        if (magic_le == BDB_HASH_MAGIC)
                db.swapped = false;
        else if (__builtin_bswap32(magic_le) == BDB_HASH_MAGIC)
                db.swapped = true;
        else {
                layer_ctx_warn(w->ctx, "rpm database '%s' is not a Berkeley DB hash database", w->path);
                return 0;
        }
        uint32_t version = rd32(&db, data + 16);
        db.pagesize = rd32(&db, data + 20);
        uint8_t encrypt = data[24], type = data[25], metaflags = data[26];
        uint32_t last_pgno = rd32(&db, data + 32);
        uint32_t max_bucket = rd32(&db, data + 72);
        for (unsigned i = 0; i < 32; i++)
                spares[i] = rd32(&db, data + 96 + i * 4);

        if (version < 8 || version > 10) {
                layer_ctx_warn(w->ctx,
                               "rpm database '%s' uses Berkeley DB hash version %u, which is not supported",
                               w->path, version);
                return 0;
        }
        if (db.pagesize < 512 || db.pagesize > 65536 || (db.pagesize & (db.pagesize - 1)) ||
            type != P_HASHMETA) {
                layer_ctx_warn(w->ctx, "rpm database '%s' (Berkeley DB) has a damaged metadata page",
                               w->path);
                return 0;
        }
        if (encrypt != 0) {
                layer_ctx_warn(w->ctx, "rpm database '%s' (Berkeley DB) is encrypted; not reading it",
                               w->path);
                return 0;
        }
        db.overhead = PAGE_HEADER + ((metaflags & DBMETA_CHKSUM) ? PAGE_CHKSUM : 0);

        uint64_t in_file = n / db.pagesize;
        if ((uint64_t) last_pgno + 1 > in_file)
                layer_ctx_warn(w->ctx,
                               "rpm database '%s' (Berkeley DB) is truncated: %llu of %llu pages present",
                               w->path, (unsigned long long) in_file, (unsigned long long) last_pgno + 1);
        /* Pages past last_pgno are still followed when something points at them: a database that was
         * not closed cleanly may have a stale metadata page, and rpm's records must not hide there. */
        db.npages = (uint32_t) MIN(in_file, (uint64_t) UINT32_MAX);
        if (max_bucket >= db.npages) {
                layer_ctx_warn(w->ctx, "rpm database '%s' (Berkeley DB) claims %llu buckets in %u pages",
                               w->path, (unsigned long long) max_bucket + 1, db.npages);
                return 0;
        }

        w->budget = n;
        db.visited = calloc((db.npages + 7) / 8, 1);
        if (!db.visited)
                return -ENOMEM;
        db.visited[0] = 1; /* the metadata page is never part of a chain */
        r = walk_buckets(&db, max_bucket, spares);
        free(db.visited);
        free(db.value);
        if (db.n_problems > PROBLEM_WARNINGS)
                layer_ctx_warn(w->ctx, "rpm database '%s' (Berkeley DB): %u more problems", w->path,
                               db.n_problems - PROBLEM_WARNINGS);
        return r;
}
