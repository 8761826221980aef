/* SPDX-License-Identifier: Apache-2.0 */
/* A runtime rules file (--rules FILE): whoever writes the agent's configuration controls it. Every
 * accepted rule set must be usable: its rules have an id, title, MITRE fields and a known detector. */
#include <stdint.h>
#include <stdlib.h>

#include "runtime/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct diag d;
        struct rt_rules *rs = NULL;
        diag_init(&d);
        if (rt_rules_load_data("fuzz.yaml", data, size, &d, &rs) == 0) {
                for (size_t i = 0; i < rs->n; i++) {
                        const struct rt_rule *r = &rs->rules[i];
                        if (!r->id || !r->title || !r->technique || !r->tactic ||
                            !rt_detector_name(r->detector))
                                abort();
                        if (rt_rules_find(rs, r->id) != &rs->rules[i])
                                abort();
                }
                rt_rules_free(rs);
        } else if (!d.error[0])
                abort(); /* every refusal says why */
        diag_done(&d);
        return 0;
}
