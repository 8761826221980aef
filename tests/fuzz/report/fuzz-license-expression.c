/* SPDX-License-Identifier: Apache-2.0 */
/* Declared license strings come from package records in untrusted images: classify and canonicalize
 * arbitrary text; a canonical form must classify to itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/report-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = malloc(size + 1);
        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = 0;
        struct arena *a = arena_new(0);
        const char *canon = NULL;
        enum spdx_license_kind k = spdx_license_classify(a, s, &canon);
        if (canon) {
                const char *again = NULL;
                enum spdx_license_kind k2 = spdx_license_classify(a, canon, &again);
                if (k2 != k || !again || strcmp(again, canon) != 0)
                        abort(); /* canonical forms are fixed points */
        }
        arena_free(a);
        free(s);
        return 0;
}
