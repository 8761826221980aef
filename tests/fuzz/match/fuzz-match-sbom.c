/* SPDX-License-Identifier: Apache-2.0 */
/* SBOM input of `scan sbom:PATH`: any text as CycloneDX or SPDX JSON (small limits, so that the limit
 * paths are reached), then where each package would be looked up. */
#include "fuzz-match.h"
#include "sbomin/sbomin.h"
#include "vec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct arena *a = arena_new(0);
        struct diag d;
        struct pkg_vec pkgs = {};
        struct sbomin_info info;
        struct sbomin_limits l;
        sbomin_limits_default(&l);
        l.max_components = 200;
        l.max_depth = 8;
        l.max_element_bytes = 4096;
        diag_init(&d);
        if (sbomin_parse((const char *) data, size, "fuzz.json", &l, a, &d, &info, &pkgs) == 0) {
                if (!info.format || info.packages != pkgs.n)
                        abort();
                VEC_FOREACH(p, &pkgs) {
                        const char *eco, *name, *version;
                        if (!p->name || !p->version || !p->purl || p->type >= _PKG_TYPE_MAX)
                                abort();
                        (void) match_lookup_key(a, p, &info.os, &eco, &name, &version);
                }
        } else if (!d.error[0])
                abort();
        VEC_FREE(&pkgs);
        diag_done(&d);
        arena_free(a);
        return 0;
}
