/* SPDX-License-Identifier: Apache-2.0 */
/* Reads one real rpm database with analyzer_rpm and compares the packages and their files with what rpm
 * itself printed (run-real.sh makes the databases and the expectations).
 *
 * usage: test-rpm-real DATABASE IMAGE-PATH EXPECTED-PKGS EXPECTED-FILES */

#include <sys/stat.h>

#include "rpm-test.h"
#include "tests.h"

int tests_failed_checks;

static char *slurp(const char *path, size_t *ret_len) {
        FILE *f = fopen(path, "rb");
        if (!f) {
                perror(path);
                exit(2);
        }
        size_t n = 0, alloc = 65536;
        char *p = malloc(alloc + 1);
        for (size_t k; p && (k = fread(p + n, 1, alloc - n, f)) > 0;) {
                n += k;
                if (n == alloc)
                        p = realloc(p, (alloc *= 2) + 1);
        }
        fclose(f);
        if (!p)
                abort();
        p[n] = 0;
        *ret_len = n;
        return p;
}

/* Splits a file into its lines (sorted bytewise, as sort(1) with LC_ALL=C). */
static char **read_lines(const char *path, size_t *ret_n) {
        size_t len, n = 0;
        char *s = slurp(path, &len);
        for (size_t i = 0; i < len; i++)
                n += s[i] == '\n';
        char **l = calloc(n + 2, sizeof *l);
        size_t k = 0;
        for (char *p = s, *e; *p; p = e + 1) {
                e = strchrnul(p, '\n');
                l[k++] = strndup(p, (size_t) (e - p));
                if (!*e)
                        break;
        }
        free(s);
        qsort(l, k, sizeof *l, rt_cmp_lines);
        *ret_n = k;
        return l;
}

static int compare(const char *what, char **want, size_t nw, char **got, size_t ng) {
        size_t i = 0, j = 0;
        int bad = 0;
        while (i < nw || j < ng) {
                int c = i == nw ? 1 : j == ng ? -1 : strcmp(want[i], got[j]);
                if (c == 0) {
                        i++, j++;
                        continue;
                }
                if (c < 0)
                        fprintf(stderr, "  %s: rpm has    '%s'\n", what, want[i++]);
                else
                        fprintf(stderr, "  %s: we have    '%s'\n", what, got[j++]);
                bad++;
        }
        return bad;
}

/* Owned by these tests only: a directory that must stay empty (the spool file is unlinked at once). */
static bool dir_is_empty(const char *d) {
        char cmd[4200];
        snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s')\"", d);
        return system(cmd) == 0;
}

int main(int argc, char **argv) {
        if (argc != 5) {
                fprintf(stderr, "usage: %s DATABASE IMAGE-PATH EXPECTED-PKGS EXPECTED-FILES\n", argv[0]);
                return 2;
        }
        char tmp[] = "/tmp/stockade-rpm-real.XXXXXX";
        if (!mkdtemp(tmp))
                return 2;

        size_t n;
        char *db = slurp(argv[1], &n);
        struct rt t;
        rt_init(&t, tmp);
        int r = rt_feed(&t, argv[2], db, n);
        CHECK_INT(r, 0);
        CHECK_INT(rt_nwarnings(&t), 0);
        rt_print_warnings(&t, stderr);

        char **gp, **gf;
        size_t ngp, ngf, nwp, nwf;
        rt_render(&t, &gp, &ngp, &gf, &ngf);
        char **wp = read_lines(argv[3], &nwp), **wf = read_lines(argv[4], &nwf);
        CHECK(nwp > 0);
        CHECK_INT(compare("package", wp, nwp, gp, ngp), 0);
        CHECK_INT(compare("file", wf, nwf, gf, ngf), 0);

        struct layer_result *res = layer_ctx_result(t.ctx);
        for (size_t i = 0; i < res->pkgs.n; i++) {
                const struct pkg *p = &res->pkgs.items[i];
                CHECK_INT(p->type, PKG_RPM);
                CHECK_STR(p->record_path, argv[2]);
                CHECK(strcmp(p->name, "gpg-pubkey") != 0);
        }
        CHECK(dir_is_empty(tmp));
        printf("%s: %zu packages, %zu files\n", argv[1], ngp, ngf);

        rt_free_lines(gp, ngp);
        rt_free_lines(gf, ngf);
        rt_free_lines(wp, nwp);
        rt_free_lines(wf, nwf);
        rt_done(&t);
        free(db);
        rmdir(tmp);
        return tests_failed_checks ? 1 : 0;
}
