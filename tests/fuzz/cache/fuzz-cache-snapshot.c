/* SPDX-License-Identifier: Apache-2.0 */
/* The cached-result decoder on arbitrary bytes; what decodes must encode and decode again. */
#include <stdint.h>
#include <stdlib.h>

#include "cache/cache.h"
#include "vec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct arena *a = arena_new(0);
        struct result_snapshot sn;
        if (a && result_snapshot_decode(data, size, a, &sn) == 0) {
                void *out = NULL;
                size_t n = 0;
                if (result_snapshot_encode(&sn, &out, &n) == 0) {
                        struct result_snapshot again;
                        if (result_snapshot_decode(out, n, a, &again) != 0)
                                abort();
                        VEC_FREE(&again.pkgs);
                        VEC_FREE(&again.secrets);
                        VEC_FREE(&again.misconfigs);
                        free(out);
                }
                VEC_FREE(&sn.pkgs);
                VEC_FREE(&sn.secrets);
                VEC_FREE(&sn.misconfigs);
        }
        arena_free(a);
        return 0;
}
