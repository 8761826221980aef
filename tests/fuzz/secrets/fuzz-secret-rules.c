/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes the secret rules parser and compiler: a rules file may come from a user. Whatever the input, it
 * must load or fail with a message naming file:line:column, without crashing, hanging or leaking. A
 * rules set that loads is also used once, on its own text. */

#include <stdint.h>

#include "secrets/secrets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_match(void *userdata, const struct secret_match *m) {
        (void) userdata;
        /* every report is complete */
        if (!m->rule_id || !m->excerpt || m->severity <= SEV_UNKNOWN || m->severity >= _SEV_MAX)
                __builtin_trap();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct secrets_engine *e = NULL;
        struct secrets_scratch *s = NULL;
        struct diag d;

        diag_init(&d);
        int r = secrets_engine_load_data("fuzz.yaml", data, size, &d, &e);
        if (r < 0) {
                /* errors name the file (or say what ran out) */
                if (r != -ENOMEM && r != -E2BIG && strncmp(d.error, "fuzz.yaml", 9) != 0)
                        __builtin_trap();
        } else {
                if (secrets_engine_rule_count(e) == 0)
                        __builtin_trap();
                if (secrets_scratch_new(e, &s) == 0)
                        (void) secrets_scan(e, s, data, size, on_match, NULL);
        }
        secrets_scratch_free(s);
        secrets_engine_free(e);
        diag_done(&d);
        return 0;
}
