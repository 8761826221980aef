/* SPDX-License-Identifier: Apache-2.0 */
/* The language catalogers on real installations, through the real directory walker. Run by run-real.sh:
 *   STK_PY_DIR, STK_PY_EXPECT: a site-packages directory and what importlib.metadata lists there;
 *   STK_NPM_DIR, STK_NPM_EXPECT: an npm project and what `npm ls --all --long` lists there;
 *   with STK_NPM_PREFIX, a global tree (no lockfile): only records below that prefix of STK_NPM_DIR. */

#include "../inv-os/inv-test-util.h"
#include "buf.h"
#include "path-util.h"

static struct layer_result *analyze(const char *root) {
        struct layer_options opts = {};
        struct diag d;
        struct layer_result *res = NULL;
        struct inv_test t;

        inv_begin(&t); /* links the analyzers in */
        inv_end(&t);
        layer_limits_default(&opts.limits);
        diag_init(&d);
        if (layer_analyze_dir(root, &opts, &d, &res) < 0)
                fprintf(stderr, "layer_analyze_dir: %s\n", d.error);
        diag_done(&d);
        return res;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Splits text into sorted lines (in place). */
static size_t sorted_lines(char *text, char ***ret) {
        size_t n = 0, alloc = 16;
        char **v = malloc(alloc * sizeof *v);
        if (!v)
                abort();
        for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
                if (n == alloc && !(v = realloc(v, (alloc *= 2) * sizeof *v)))
                        abort();
                v[n++] = l;
        }
        qsort(v, n, sizeof *v, cmp_str);
        *ret = v;
        return n;
}

/* Compares two sorted line lists and prints the differences; returns whether they are equal. */
static bool same_lines(char **want, size_t nw, char **got, size_t ng) {
        size_t i = 0, j = 0;
        bool ok = true;
        while (i < nw || j < ng) {
                int c = i >= nw ? 1 : j >= ng ? -1 : strcmp(want[i], got[j]);
                if (c == 0) {
                        i++, j++;
                        continue;
                }
                ok = false;
                if (c < 0)
                        fprintf(stderr, "  missing: %s\n", want[i++]);
                else
                        fprintf(stderr, "  extra:   %s\n", got[j++]);
        }
        return ok;
}

TEST(real_python_matches_importlib) {
        const char *dir = getenv("STK_PY_DIR"), *exp = getenv("STK_PY_EXPECT");
        if (!dir || !exp) {
                printf("# skipped: run through run-real.sh\n");
                return;
        }
        char root[4096];
        snprintf(root, sizeof root, "%s", dir);
        char *slash = strrchr(root, '/');
        REQUIRE(slash);
        *slash = 0;
        const char *leaf = slash + 1;
        struct layer_result *res = analyze(root[0] ? root : "/");
        REQUIRE(res);

        /* Our records below that directory, in expect-python.py's format. */
        struct buf got = BUF_INIT(0);
        size_t ll = strlen(leaf);
        VEC_FOREACH (p, &res->pkgs) {
                if (p->type != PKG_PYTHON || !strneq(p->record_path, leaf, ll) || p->record_path[ll] != '/')
                        continue;
                buf_printf(&got, "%s\t%s\t%s\t", p->record_path, p->name, p->version);
                for (size_t i = 0; p->licenses && p->licenses[i]; i++)
                        buf_printf(&got, "%s%s", i ? "|" : "", p->licenses[i]);
                buf_append_char(&got, '\n');
        }
        char *text = test_read_file(exp, NULL);
        char **w, **g;
        size_t nw = sorted_lines(text, &w), ng = sorted_lines(got.data ? got.data : (char[]){0}, &g);
        printf("# %s: %zu expected, %zu found\n", dir, nw, ng);
        CHECK(same_lines(w, nw, g, ng));
        free(w);
        free(g);
        free(text);
        buf_free(&got);
        layer_result_free(res);
}

TEST(real_npm_matches_npm_ls) {
        const char *dir = getenv("STK_NPM_DIR"), *exp = getenv("STK_NPM_EXPECT");
        const char *prefix = getenv("STK_NPM_PREFIX"); /* only records below this (a global tree) */
        bool no_lock = prefix != NULL;
        if (!dir || !exp) {
                printf("# skipped: run through run-real.sh\n");
                return;
        }
        struct layer_result *res = analyze(dir);
        REQUIRE(res);

        /* package.json records as "LOCATION NAME VERSION", lockfile records as "LOCATION NAME VERSION DEV"
         */
        struct buf inst = BUF_INIT(0), lock = BUF_INIT(0), want_inst = BUF_INIT(0);
        VEC_FOREACH (p, &res->pkgs) {
                if (p->type != PKG_NPM || (prefix && !path_is_under(p->record_path, prefix)))
                        continue;
                if (p->flags & PKG_F_LOCKFILE) {
                        CHECK_STR(p->record_path, "package-lock.json");
                        buf_printf(&lock, "%s\t%s\t%s\t%d\n", p->inner_path, p->name, p->version,
                                   (p->flags & PKG_F_NPM_DEV) ? 1 : 0);
                } else {
                        size_t dl = path_dirname_len(p->record_path);
                        buf_printf(&inst, "%.*s\t%s\t%s\n", (int) dl, p->record_path, p->name, p->version);
                }
        }
        char *text = test_read_file(exp, NULL);
        /* the installed view has no dev flag */
        for (const char *l = text; *l;) {
                const char *e = strchr(l, '\n');
                size_t n = e ? (size_t) (e - l) : strlen(l);
                const char *tab = memrchr(l, '\t', n);
                buf_printf(&want_inst, "%.*s\n", (int) (tab ? (size_t) (tab - l) : n), l);
                l += n + (e ? 1 : 0);
        }
        char **w, **g;
        size_t nw = sorted_lines(text, &w), ng = sorted_lines(lock.data ? lock.data : (char[]){0}, &g);
        if (!no_lock) {
                printf("# %s: lockfile: %zu expected, %zu found\n", dir, nw, ng);
                CHECK(same_lines(w, nw, g, ng));
        } else
                CHECK_INT(ng, 0);
        free(w);
        free(g);
        nw = sorted_lines(want_inst.data, &w);
        ng = sorted_lines(inst.data ? inst.data : (char[]){0}, &g);
        printf("# %s: installed: %zu expected, %zu found\n", dir, nw, ng);
        CHECK(same_lines(w, nw, g, ng));
        free(w);
        free(g);
        free(text);
        buf_free(&inst);
        buf_free(&lock);
        buf_free(&want_inst);
        layer_result_free(res);
}
