/* SPDX-License-Identifier: Apache-2.0 */
/* Version comparison on arbitrary bytes: the first byte picks the scheme, the rest is two versions
 * separated by the first NUL byte. Besides not crashing or reading out of bounds, the comparison must be
 * reflexive and antisymmetric, validity must agree with compare(), and the OSV range check must accept
 * what compare() accepts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "version/version-internal.h"
#include "version/version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *dup_exact(const uint8_t *p, size_t n) {
        char *s = malloc(n + 1); /* exact size, so that ASan sees any read past the terminator */
        if (!s)
                abort();
        memcpy(s, p, n);
        s[n] = 0;
        return s;
}

static int sign(int x) {
        return (x > 0) - (x < 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 1)
                return 0;
        enum version_scheme s = (enum version_scheme)(data[0] % _VERSION_SCHEME_MAX);
        const uint8_t *rest = data + 1, *nul = memchr(rest, 0, size - 1);
        size_t an = nul ? (size_t) (nul - rest) : size - 1;
        char *a = dup_exact(rest, an);
        char *b = nul ? dup_exact(nul + 1, size - 1 - an - 1) : dup_exact(rest, 0);

        bool va = version_valid(s, a), vb = version_valid(s, b);
        int x = 7, y = 7, z = 7;
        int r1 = version_compare(s, a, b, &x), r2 = version_compare(s, b, a, &y);
        int r3 = version_compare(s, a, a, &z);

        if (r1 != r2 || (r1 == 0) != (va && vb) || (r3 == 0) != va)
                abort(); /* validity must be a property of each version */
        if (r1 == 0 && sign(x) != -sign(y))
                abort(); /* antisymmetry */
        if (r3 == 0 && z != 0)
                abort(); /* reflexivity */

        const struct version_event ev[] = {
                {EV_INTRODUCED, b},
                {EV_FIXED, a},
                {EV_LAST_AFFECTED, b},
                {EV_LIMIT, a},
        };
        bool affected;
        int r4 = version_in_range(s, a, ev, 2, &affected);
        if ((r4 == 0) != (va && (vb || strcmp(b, "0") == 0)))
                abort(); /* introduced "0" is special, valid or not */
        if (r4 == 0 && affected)
                abort(); /* v == fixed is never affected */
        r4 = version_in_range(s, b, ev, 1, &affected);
        if (r4 == 0 && !affected)
                abort(); /* v == introduced always is */
        (void) version_in_range(s, a, ev, ELEMENTSOF(ev), &affected);
        const char *fix = NULL;
        r4 = version_in_range_fixed(s, b, ev, 2, &affected, &fix);
        if (r4 == 0 && fix && fix != a)
                abort(); /* the only fixed event */

        if (s == VS_APK) {
                /* apk's own order covers invalid versions too. */
                if (sign(version_apk_compare_any(a, b)) != -sign(version_apk_compare_any(b, a)) ||
                    version_apk_compare_any(a, a) != 0)
                        abort();
        }

        free(a);
        free(b);
        return 0;
}
