/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests.h"

#define MAX_TESTS 512

static struct {
        const char *name;
        test_fn fn;
} tests[MAX_TESTS];
static int n_tests;
int tests_failed_checks;

void tests_register(const char *name, test_fn fn) {
        if (n_tests < MAX_TESTS)
                tests[n_tests++] = (typeof(tests[0])){ name, fn };
}

const char *test_srcpath(const char *rel) {
        static char buf[8][4096];
        static int k;
        const char *root = getenv("STOCKADE_SRCDIR");
        char *b = buf[k++ % 8];
        snprintf(b, sizeof buf[0], "%s/%s", root ? root : ".", rel);
        return b;
}

char *test_read_file(const char *path, size_t *ret_len) {
        FILE *f = fopen(path, "rb");
        if (!f) {
                fprintf(stderr, "cannot open test data '%s': %s\n", path, strerror(errno));
                abort();
        }
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        char *p = malloc((size_t) n + 1);
        if (!p || fread(p, 1, (size_t) n, f) != (size_t) n)
                abort();
        p[n] = 0;
        fclose(f);
        if (ret_len)
                *ret_len = (size_t) n;
        return p;
}

int tests_main(int argc, char **argv) {
        int failed = 0;
        for (int i = 0; i < n_tests; i++) {
                if (argc > 1 && !strstr(tests[i].name, argv[1]))
                        continue;
                int before = tests_failed_checks;
                tests[i].fn();
                bool ok = tests_failed_checks == before;
                printf("%s %s\n", ok ? "ok  " : "FAIL", tests[i].name);
                failed += !ok;
        }
        printf("%d tests, %d failed\n", n_tests, failed);
        return failed ? 1 : 0;
}

int main(int argc, char **argv) {
        return tests_main(argc, argv);
}
