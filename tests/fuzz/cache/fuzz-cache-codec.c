/* SPDX-License-Identifier: Apache-2.0 */
/* The layer-cache value decoder on arbitrary bytes; what decodes must encode again. */
#include <stdint.h>
#include <stdlib.h>

#include "cache/cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct layer_result *r = NULL;
        if (layer_result_decode(data, size, &r) == 0) {
                void *out = NULL;
                size_t n = 0;
                if (layer_result_encode(r, &out, &n) == 0) {
                        struct layer_result *again = NULL;
                        if (layer_result_decode(out, n, &again) != 0)
                                abort(); /* our own encoding must decode */
                        layer_result_free(again);
                        free(out);
                }
                layer_result_free(r);
        }
        return 0;
}
