/* SPDX-License-Identifier: Apache-2.0 */
/* purls come from SBOMs given to `scan sbom:…`: parse arbitrary text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inventory/inventory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = malloc(size + 1);
        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = 0;
        struct arena *a = arena_new(0);
        struct purl p;
        if (purl_parse(a, s, &p) == 0) {
                if (!p.type || !p.name)
                        abort();
                (void) purl_get_qualifier(&p, "distro");
        }
        arena_free(a);
        free(s);
        return 0;
}
