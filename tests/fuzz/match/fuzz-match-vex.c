/* SPDX-License-Identifier: Apache-2.0 */
/* VEX input of `scan --vex`: any JSON text as OpenVEX or CycloneDX VEX, then the statements applied to a
 * few findings. */
#include "fuzz-match.h"
#include "match/vex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct arena *a = arena_new(0);
        struct diag d;
        struct vex_set set = {};
        diag_init(&d);
        if (vex_parse((const char *) data, size, "fuzz.json", a, &d, &set) == 0) {
                struct vuln_finding f[4];
                fuzz_findings(f);
                struct vuln_finding_vec v = { f, 4, 4 };
                const char *digests[] = { "sha256:1111111111111111111111111111111111111111111111111111111111111111", NULL };
                struct match_exceptions x = { .vex = &set, .image_digests = digests };
                if (match_apply_exceptions(&x, &v, a, &d) < 0)
                        abort();
                for (size_t i = 0; i < set.n; i++)
                        if (!set.items[i].id || !set.items[i].timestamp || set.items[i].n_products == 0)
                                abort();
        } else if (!d.error[0])
                abort();
        vex_set_done(&set);
        diag_done(&d);
        arena_free(a);
        return 0;
}
