/* SPDX-License-Identifier: Apache-2.0 */
/* rpm's own "ndb" package database: Packages.db (SUSE since 15 SP3 / Leap 15.3, and rpm built with
 * --enable-ndb). All integers little-endian.
 *
 *   header (32 bytes): 'RpmP', version 0, generation, slot pages, next package index
 *   slot pages (4096 bytes each; the header takes the first two slots of page 0), 16-byte slots:
 *       'Slot', package index, block offset, block count   (offset 0: a free slot)
 *   blobs, in 16-byte blocks from the block offset:
 *       'BlbS', package index, generation, length | header blob | zero padding |
 *       adler32 of everything before it, length, 'BlbE'
 *
 * rpm itself only checks the checksum when verifying or rewriting the database, not when reading; we
 * check it, warn on a mismatch, and still read the header (which has its own checks), so that a damaged
 * checksum hides nothing that rpm would show. */

#include <string.h>

#include "rpmdb.h"

#define NDB_MAGIC       0x506d7052u /* "RpmP" */
#define NDB_SLOT_MAGIC  0x746f6c53u /* "Slot" */
#define NDB_BLOB_HEAD   0x53626c42u /* "BlbS" */
#define NDB_BLOB_TAIL   0x45626c42u /* "BlbE" */
#define NDB_HEADER_SIZE 32
#define NDB_PAGE_SIZE   4096
#define NDB_SLOT_SIZE   16
#define NDB_BLK_SIZE    16
#define NDB_HEAD_SIZE   16
#define NDB_TAIL_SIZE   12

static uint32_t le32(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static uint32_t adler32(uint32_t adler, const uint8_t *p, size_t n) {
        uint32_t s1 = adler & 0xffff, s2 = adler >> 16;
        while (n > 0) {
                /* 5552 bytes is the most that can be summed before s2 may overflow 32 bits. */
                size_t k = MIN(n, (size_t) 5552);
                n -= k;
                while (k--) {
                        s1 += *p++;
                        s2 += s1;
                }
                s1 %= 65521;
                s2 %= 65521;
        }
        return s2 << 16 | s1;
}

#define PROBLEM_WARNINGS 5

struct ndb {
        struct rpmdb_walk *w;
        unsigned n_problems;
};

static void problem(struct ndb *db, const char *what, uint32_t slot, uint32_t pkgidx) {
        if (++db->n_problems <= PROBLEM_WARNINGS)
                layer_ctx_warn(db->w->ctx, "rpm database '%s' (ndb) is damaged: %s (slot %u, package %u)",
                               db->w->path, what, slot, pkgidx);
}

static int read_blob(struct ndb *db, const uint8_t *data, uint64_t fileblks, uint64_t minblk, uint32_t slot,
                     uint32_t pkgidx, uint32_t blkoff, uint32_t blkcnt) {
        if (pkgidx == 0 || blkcnt == 0 || blkoff < minblk || (uint64_t) blkoff + blkcnt > fileblks) {
                problem(db, "slot points outside the blob area", slot, pkgidx);
                return 0;
        }
        if (blkcnt < (NDB_HEAD_SIZE + NDB_TAIL_SIZE + NDB_BLK_SIZE - 1) / NDB_BLK_SIZE) {
                problem(db, "blob too small", slot, pkgidx);
                return 0;
        }
        const uint8_t *b = data + (uint64_t) blkoff * NDB_BLK_SIZE;
        size_t total = (size_t) blkcnt * NDB_BLK_SIZE;
        if (le32(b) != NDB_BLOB_HEAD || le32(b + 4) != pkgidx) {
                problem(db, "bad blob header", slot, pkgidx);
                return 0;
        }
        uint32_t len = le32(b + 12);
        if ((uint64_t) NDB_HEAD_SIZE + len + NDB_TAIL_SIZE > total ||
            ((uint64_t) NDB_HEAD_SIZE + len + NDB_TAIL_SIZE + NDB_BLK_SIZE - 1) / NDB_BLK_SIZE != blkcnt) {
                problem(db, "blob length does not match its slot", slot, pkgidx);
                return 0;
        }
        if (!rpmdb_spend(db->w, total))
                return 0;
        const uint8_t *tail = b + total - NDB_TAIL_SIZE;
        if (le32(tail + 8) != NDB_BLOB_TAIL || le32(tail + 4) != len) {
                problem(db, "bad blob trailer", slot, pkgidx);
                return 0;
        }
        if (adler32(1, b, total - NDB_TAIL_SIZE) != le32(tail))
                problem(db, "blob checksum mismatch", slot, pkgidx);
        return rpmdb_add_header(db->w, b + NDB_HEAD_SIZE, len);
}

int rpmdb_ndb_read(struct rpmdb_walk *w, const uint8_t *data, size_t n) {
        struct ndb db = {.w = w};

        if (n < NDB_HEADER_SIZE || le32(data) != NDB_MAGIC) {
                layer_ctx_warn(w->ctx, "rpm database '%s' is not an ndb package database", w->path);
                return 0;
        }
        uint32_t version = le32(data + 4);
        uint32_t slotnpages = le32(data + 12);
        if (version != 0) {
                layer_ctx_warn(w->ctx, "rpm database '%s' uses ndb version %u, which is not supported",
                               w->path, version);
                return 0;
        }
        if (slotnpages == 0 || (uint64_t) slotnpages * NDB_PAGE_SIZE > n) {
                layer_ctx_warn(w->ctx,
                               "rpm database '%s' (ndb) is truncated or damaged: %u slot pages in %zu bytes",
                               w->path, slotnpages, n);
                return 0;
        }
        if (n % NDB_BLK_SIZE)
                layer_ctx_warn(w->ctx, "rpm database '%s' (ndb) does not end on a block boundary", w->path);
        w->budget = n;
        uint64_t fileblks = n / NDB_BLK_SIZE;
        uint64_t minblk = (uint64_t) slotnpages * (NDB_PAGE_SIZE / NDB_BLK_SIZE);
        uint64_t nslots = (uint64_t) slotnpages * (NDB_PAGE_SIZE / NDB_SLOT_SIZE);

        for (uint64_t s = NDB_HEADER_SIZE / NDB_SLOT_SIZE; s < nslots && !w->stop; s++) {
                const uint8_t *p = data + s * NDB_SLOT_SIZE;
                if (le32(p) != NDB_SLOT_MAGIC) {
                        /* rpm gives up on the whole database here; the slots before were fine. */
                        problem(&db, "bad slot magic; stopping", (uint32_t) s, 0);
                        break;
                }
                uint32_t blkoff = le32(p + 8);
                if (blkoff == 0)
                        continue;
                int r = read_blob(&db, data, fileblks, minblk, (uint32_t) s, le32(p + 4), blkoff,
                                  le32(p + 12));
                if (r < 0)
                        return r;
        }
        if (db.n_problems > PROBLEM_WARNINGS)
                layer_ctx_warn(w->ctx, "rpm database '%s' (ndb): %u more problems", w->path,
                               db.n_problems - PROBLEM_WARNINGS);
        return 0;
}
