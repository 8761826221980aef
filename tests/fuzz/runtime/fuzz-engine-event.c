/* SPDX-License-Identifier: Apache-2.0 */
/* The /events stream: newline-separated JSON objects from the engine, untrusted. Each line is parsed as
 * the resolver does. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *p = (const char *) data, *end = p + size;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t n = nl ? (size_t) (nl - p) : (size_t) (end - p);
                struct engine_event ev;
                struct diag d;
                diag_init(&d);
                if (n > 0 && n <= ENGINE_EVENT_MAX && engine_parse_event(p, n, &ev, &d) == 0) {
                        if (memchr(ev.type, 0, sizeof(ev.type)) == NULL ||
                            memchr(ev.action, 0, sizeof(ev.action)) == NULL)
                                abort();
                        if (ev.id[0] && !rt_is_container_id(ev.id))
                                abort();
                }
                diag_done(&d);
                p += n + 1;
        }
        return 0;
}
