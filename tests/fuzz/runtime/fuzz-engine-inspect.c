/* SPDX-License-Identifier: Apache-2.0 */
/* GET /containers/{id}/json and /images/{id}/json bodies: untrusted. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct diag d;
        struct rt_container *c = NULL;
        char *digest = NULL;
        diag_init(&d);
        if (engine_parse_inspect((const char *) data, size, &c, &d) == 0) {
                if (!rt_is_container_id(c->id) || c->n_labels > ENGINE_LABELS_MAX)
                        abort();
                for (size_t i = 0; i < c->n_labels; i++)
                        if (!c->labels[2 * i] || !c->labels[2 * i + 1] ||
                            strlen(c->labels[2 * i + 1]) > ENGINE_STRING_MAX)
                                abort();
                (void) rt_container_label(c, "com.docker.compose.project");
                rt_container_unref(c);
        }
        if (engine_parse_image((const char *) data, size, &digest, &d) == 0) {
                if (digest && !strchr(digest, '@'))
                        abort();
                free(digest);
        }
        diag_done(&d);
        return 0;
}
