/* SPDX-License-Identifier: Apache-2.0 */
/* Sensor records (the kernel writes them, but the decoder trusts no offset) through the decoder and the
 * JSON-lines encoder, whose output must always be one valid JSON object. Also the cgroup path rule. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static struct rt_decode_scratch sc;
        struct rt_event ev;
        /* the ring buffer hands out 8-byte aligned records */
        uint8_t *rec = malloc(size ? size : 1);
        if (!rec)
                return 0;
        memcpy(rec, data, size);
        if (rt_event_decode(rec, size, &ev, &sc) == 0) {
                struct buf b = BUF_INIT(0);
                ev.time_ns = ev.boot_ns;
                if (rt_event_to_json(&ev, "fuzz", &b) == 0) {
                        json_error_t err;
                        /* u64 fields (cgroup ids, flags) may pass INT64_MAX: valid JSON, which jansson reads
                         * as reals */
                        json_t *j = json_loadb(b.data, b.len,
                                               JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &err);
                        if (!j || b.data[b.len - 1] != '\n' || memchr(b.data, '\n', b.len - 1))
                                abort();
                        json_decref(j);
                }
                buf_free(&b);
        }
        char *s = malloc(size + 1), id[65];
        if (s) {
                memcpy(s, data, size);
                s[size] = 0;
                if (rt_cgroup_container_id(s, id) == 0 && !rt_is_container_id(id))
                        abort();
                free(s);
        }
        free(rec);
        return 0;
}
