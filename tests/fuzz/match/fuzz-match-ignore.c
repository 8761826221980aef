/* SPDX-License-Identifier: Apache-2.0 */
/* The ignore file of `scan --ignore-file`: any YAML text, then the entries applied to a few findings. */
#include "fuzz-match.h"
#include "match/ignore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct arena *a = arena_new(0);
        struct diag d;
        struct ignore_list *l = NULL;
        diag_init(&d);
        if (ignore_parse((const char *) data, size, "fuzz.yaml", "2025-01-01", a, &d, &l) == 0) {
                struct vuln_finding f[4];
                fuzz_findings(f);
                struct vuln_finding_vec v = { f, 4, 4 };
                struct match_exceptions x = { .ignore = l, .ignore_unfixed = size % 2 };
                if (match_apply_exceptions(&x, &v, a, &d) < 0 || !l)
                        abort();
                for (size_t i = 0; i < l->n; i++)
                        if (!l->rules[i].id || !l->rules[i].reason || !l->rules[i].source)
                                abort();
        } else if (!d.error[0])
                abort(); /* every failure is explained */
        diag_done(&d);
        arena_free(a);
        return 0;
}
