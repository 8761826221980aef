/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes scanning arbitrary bytes with the default rules: no crash, no hang, every report well formed,
 * offsets inside the buffer, reports in order, and no excerpt longer than the bound. */

#include <stdint.h>

#include "secrets/secrets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct secrets_engine *engine;
static struct secrets_scratch *scratch;

struct state {
        size_t size;
        uint64_t last;
        unsigned n;
};

static int on_match(void *userdata, const struct secret_match *m) {
        struct state *st = userdata;
        if (!m->rule_id || !m->title || !m->category || !m->excerpt || m->offset >= st->size ||
            m->line == 0 || (st->n && m->offset < st->last) || strlen(m->excerpt) > 1024 ||
            strchr(m->excerpt, '\n'))
                __builtin_trap();
        st->last = m->offset;
        st->n++;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (!engine) {
                struct diag d;
                diag_init(&d);
                if (secrets_engine_load(NULL, &d, &engine) < 0 || secrets_scratch_new(engine, &scratch) < 0)
                        __builtin_trap();
                diag_done(&d);
        }
        struct state st = {.size = size};
        int r = secrets_scan(engine, scratch, data, size, on_match, &st);
        if (r < 0 || r > 2)
                __builtin_trap();
        return 0;
}
