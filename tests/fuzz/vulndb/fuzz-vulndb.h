/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Shared by the vulndb fuzz targets: runs one feed parser over the input with small caps, then encodes
 * every statement it made and decodes it back (what the builder writes, the reader must read). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vulndb/vulndb-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef int (*fuzz_parser)(struct vdb_build *b, const char *data, size_t len);

static inline void fuzz_roundtrip(struct vdb_build *b) {
        struct buf body = BUF_INIT(0), blob = BUF_INIT(0);
        size_t n = 0;
        VEC_FOREACH (s, &b->stmts) {
                struct vuln_range rv[VDB_MAX_RANGES];
                for (size_t i = 0; i < s->n_ranges && i < VDB_MAX_RANGES; i++)
                        rv[i] = (struct vuln_range){s->ranges[i].type, s->ranges[i].events,
                                                    s->ranges[i].n_events};
                struct vdb_enc_stmt e = {
                        .id = s->vuln->id,
                        .aliases = s->vuln->aliases,
                        .upstream = s->vuln->upstream,
                        .status = s->status,
                        .severity = s->severity,
                        .fixed = s->fixed,
                        .severity_source = s->severity_source,
                        .cvss = s->cvss,
                        .cvss_vector = s->cvss_vector,
                        .note = s->note,
                        .ranges = rv,
                        .n_ranges = MIN(s->n_ranges, (uint32_t) VDB_MAX_RANGES),
                        .versions = s->versions,
                };
                if (vdb_encode_stmt(&body, &e) < 0)
                        abort();
                n++;
        }
        if (vdb_encode_package(&blob, body.data ? body.data : "", body.len, n) < 0)
                abort();
        struct arena *a = arena_new(0);
        struct vdb_decoded *dec;
        size_t m;
        if (!a || vdb_decode_package(blob.data, blob.len, a, &dec, &m) < 0 || m != n)
                abort(); /* what was encoded must decode */
        for (size_t i = 0; i < m; i++)
                if (!dec[i].a.id || strcmp(dec[i].a.id, b->stmts.items[i].vuln->id) != 0)
                        abort();
        arena_free(a);
        buf_free(&body);
        buf_free(&blob);
}

static inline int fuzz_feed(fuzz_parser parse, const uint8_t *data, size_t size) {
        struct diag d;
        struct vdb_build b;
        diag_init(&d);
        if (vdb_build_init(&b, &d, 256 * 1024, 4 * 1024 * 1024, 256 * 1024 * 1024) < 0)
                return 0;
        b.file = "fuzz";
        (void) parse(&b, (const char *) data, size);
        if (!b.oom)
                fuzz_roundtrip(&b);
        vdb_build_done(&b);
        diag_done(&d);
        return 0;
}
