/* SPDX-License-Identifier: Apache-2.0 */
/* Reads "A<TAB>B" lines, prints libdpkg's dpkg_version_compare(A, B) sign per line, or E when
 * parseversion() fails with an error (warnings are ignored, as `dpkg --compare-versions` does). */
#define LIBDPKG_VOLATILE_API 1
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dpkg/dpkg-db.h>
#include <dpkg/dpkg.h>
#include <dpkg/ehandle.h>

static int parse(struct dpkg_version *v, const char *s) {
        struct dpkg_error err = DPKG_ERROR_INIT;
        int r = parseversion(v, s, &err);
        int bad = r < 0 && err.type != DPKG_MSG_WARN;
        dpkg_error_destroy(&err);
        return bad ? -1 : 0;
}

int main(void) {
        static char line[1 << 20];
        dpkg_set_progname("xcheck-dpkg");
        push_error_context();
        while (fgets(line, sizeof line, stdin)) {
                line[strcspn(line, "\n")] = 0;
                char *tab = strchr(line, '\t');
                if (!tab)
                        return 2;
                *tab = 0;
                struct dpkg_version a, b;
                if (parse(&a, line) < 0 || parse(&b, tab + 1) < 0) {
                        puts("E");
                        continue;
                }
                int r = dpkg_version_compare(&a, &b);
                printf("%d\n", (r > 0) - (r < 0));
        }
        pop_error_context(ehflag_normaltidy);
        return 0;
}
