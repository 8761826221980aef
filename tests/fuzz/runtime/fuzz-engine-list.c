/* SPDX-License-Identifier: Apache-2.0 */
/* GET /containers/json bodies come from the engine socket: untrusted. */
#include <stdint.h>
#include <stdlib.h>

#include "runtime/runtime-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct diag d;
        char(*ids)[65] = NULL;
        size_t n = 0;
        diag_init(&d);
        if (engine_parse_list((const char *) data, size, 1000, &ids, &n, &d) == 0) {
                for (size_t i = 0; i < n; i++)
                        if (!rt_is_container_id(ids[i]))
                                abort();
                free(ids);
        }
        diag_done(&d);
        return 0;
}
