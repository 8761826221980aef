/* SPDX-License-Identifier: Apache-2.0 */
/* CVSS vectors come from feeds: v3 parsed and scored (the score is in 0..10, and a vector that parses
 * scores the same when parsed again), v2 scored, v4 shape-checked. */
#include <math.h>

#include "fuzz-vulndb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char s[VDB_MAX_VECTOR + 2];
        size_t n = MIN(size, sizeof s - 1);
        memcpy(s, data, n);
        s[n] = 0;
        struct cvss3 c;
        double v3, v2;
        if (cvss3_parse(s, &c) == 0) {
                v3 = cvss3_base_score(&c);
                if (!(v3 >= 0.0 && v3 <= 10.0) || fabs(v3 * 10 - round(v3 * 10)) > 1e-9)
                        abort();
        }
        if (cvss2_score(s, &v2) == 0 && !(v2 >= 0.0 && v2 <= 10.0))
                abort();
        (void) cvss4_vector_valid(s);
        (void) vdb_severity_from_word(s);
        char buf[256];
        (void) vulndb_canonical_ecosystem(s, buf, sizeof buf);
        (void) vulndb_normalize_package("PyPI", s, buf, sizeof buf);
        return 0;
}
