/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Helpers shared by the cataloger tests (inv-os, inv-lang): a standalone layer pass, feeding files to it,
 * and looking up what the analyzers recorded. */

#include <stdarg.h>

#include "layer/layer.h"
#include "tests.h"

/* The analyzers under test, declared strongly (catalogers.h declares them weak): the test must link the
 * cataloger objects out of the static library, and fails to link if one is missing. */
extern const struct analyzer analyzer_os_release, analyzer_dpkg_status, analyzer_dpkg_list,
        analyzer_deb_copyright, analyzer_apk, analyzer_python, analyzer_npm_package, analyzer_npm_lock;

struct inv_test {
        struct layer_options opts;
        struct diag diag;
        struct layer_ctx *ctx;
};

static inline struct layer_result *inv_res(struct inv_test *t)
{
        return layer_ctx_result(t->ctx);
}

static inline void inv_begin(struct inv_test *t)
{
        /* Reference every analyzer so that none is dropped at link time. */
        static const struct analyzer *const all[] __attribute__((used)) = {
                &analyzer_os_release, &analyzer_dpkg_status, &analyzer_dpkg_list,   &analyzer_deb_copyright,
                &analyzer_apk,        &analyzer_python,      &analyzer_npm_package, &analyzer_npm_lock,
        };
        for (size_t i = 0; i < ELEMENTSOF(all); i++)
                if (!all[i]->match)
                        abort();
        *t = (struct inv_test){};
        layer_limits_default(&t->opts.limits);
        diag_init(&t->diag);
        if (layer_ctx_new_standalone(&t->opts, &t->diag, &t->ctx) < 0)
                abort();
}

static inline void inv_end(struct inv_test *t)
{
        layer_ctx_free_standalone(t->ctx);
        diag_done(&t->diag);
}

/* Feeds a regular file as the layer walkers would; returns what layer_ctx_feed_file() returned. */
static inline int inv_feed(struct inv_test *t, const char *path, const void *data, size_t n)
{
        struct layer_file f = {.path = path, .size = n, .mode = 0644, .kind = LF_REG};
        return layer_ctx_feed_file(t->ctx, &f, data, n);
}

static inline int inv_feed_str(struct inv_test *t, const char *path, const char *s)
{
        return inv_feed(t, path, s, strlen(s));
}

/* Feeds a file of tests/data. */
static inline int inv_feed_data(struct inv_test *t, const char *path, const char *rel)
{
        size_t n;
        char *d = test_read_file(test_srcpath(rel), &n);
        int r = inv_feed(t, path, d, n);
        free(d);
        return r;
}

static inline size_t inv_count_type(struct inv_test *t, enum pkg_type type)
{
        size_t k = 0;
        VEC_FOREACH (p, &inv_res(t)->pkgs)
                k += p->type == type;
        return k;
}

/* The n-th (0-based) package of that name, or NULL. */
static inline const struct pkg *inv_pkg_nth(struct inv_test *t, const char *name, size_t nth)
{
        VEC_FOREACH (p, &inv_res(t)->pkgs)
                if (streq_ptr(p->name, name) && nth-- == 0)
                        return p;
        return NULL;
}

static inline const struct pkg *inv_pkg(struct inv_test *t, const char *name)
{
        return inv_pkg_nth(t, name, 0);
}

static inline const struct layer_fact *inv_fact(struct inv_test *t, enum layer_fact_kind kind,
                                                const char *key)
{
        VEC_FOREACH (f, &inv_res(t)->facts)
                if (f->kind == kind && (!key || streq_ptr(f->key, key)))
                        return f;
        return NULL;
}

static inline size_t inv_count_facts(struct inv_test *t, enum layer_fact_kind kind)
{
        size_t k = 0;
        VEC_FOREACH (f, &inv_res(t)->facts)
                k += f->kind == kind;
        return k;
}

static inline size_t inv_n_warnings(struct inv_test *t)
{
        return inv_res(t)->warnings.n;
}

static inline bool inv_warned(struct inv_test *t, const char *needle)
{
        VEC_FOREACH (w, &inv_res(t)->warnings)
                if (strstr(*w, needle))
                        return true;
        return false;
}

static inline size_t strv_len(const char *const *v)
{
        size_t n = 0;
        while (v && v[n])
                n++;
        return n;
}

/* The licenses joined with '|', for compact checks ("" when none). */
static inline const char *inv_licenses(const struct pkg *p)
{
        static char buf[1024];
        buf[0] = 0;
        for (size_t i = 0; p && p->licenses && p->licenses[i]; i++) {
                if (i)
                        strncat(buf, "|", sizeof buf - strlen(buf) - 1);
                strncat(buf, p->licenses[i], sizeof buf - strlen(buf) - 1);
        }
        return buf;
}
