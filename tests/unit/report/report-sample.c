/* SPDX-License-Identifier: Apache-2.0 */
/* Writes every golden case (report-fixture.c) into a directory, for the schema validators of
 * tests/integration/t3001-report-schemas.sh: report-sample [--now] OUTDIR. With --now the documents are
 * not reproducible (random serial numbers and namespaces, the current time), as users get them. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "report-fixture.h"

int main(int argc, char **argv) {
        bool now = argc > 1 && strcmp(argv[1], "--now") == 0;
        const char *dir = argv[now ? 2 : 1];
        int failed = 0;

        if (argc != (now ? 3 : 2)) {
                fprintf(stderr, "usage: report-sample [--now] OUTDIR\n");
                return 2;
        }
        for (size_t i = 0; i < fixture_n_cases; i++) {
                const struct fixture_case *c = &fixture_cases[i];
                struct report_options o = { .kind = c->kind,
                                            .reproducible = !now,
                                            .color = c->color,
                                            .min_severity = c->min_severity };
                char path[4096];
                snprintf(path, sizeof path, "%s/%s", dir, c->file);
                FILE *f = fopen(path, "we");
                if (!f) {
                        fprintf(stderr, "cannot create '%s': %s\n", path, strerror(errno));
                        return 1;
                }
                struct scan_result *r = fixture_for(c);
                int e = report_write(f, c->format, r, &o);
                fixture_free(r);
                if (fclose(f) != 0 && e >= 0)
                        e = -EIO;
                if (e < 0) {
                        fprintf(stderr, "cannot write '%s': %s\n", path, strerror(-e));
                        failed++;
                }
        }
        return failed ? 1 : 0;
}
