/* SPDX-License-Identifier: Apache-2.0 */
/* A database file may come from elsewhere: the stored records are decoded under every damage, never
 * trusting a length or a count. The input is a record body; the target seals it (tag, CRC) so the
 * fuzzer gets past the checksum, then decodes it as each kind of record. */
#include "fuzz-vulndb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct buf blob = BUF_INIT(0);
        struct arena *a = arena_new(0);
        if (!a || size < 1)
                goto out;
        /* first byte: how many statements the header claims */
        if (vdb_encode_package(&blob, data + 1, size - 1, data[0]) == 0) {
                struct vdb_decoded *dec;
                size_t n;
                (void) vdb_decode_package(blob.data, blob.len, a, &dec, &n);
        }
        /* the same bytes as they come, unsealed */
        struct vdb_decoded *dec;
        size_t n;
        const char *s1, *s2, *s3, *const *v1, *const *v2;
        (void) vdb_decode_package(data, size, a, &dec, &n);
        (void) vdb_decode_details(data, size, a, &s1, &s2, &s3, &v1, &v2);
        (void) vdb_decode_extras(data, size, &s1);
out:
        buf_free(&blob);
        arena_free(a);
        return 0;
}
