/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Helpers shared by the rpm cataloger tests: run analyzer_rpm on a database in memory, and render what
 * it found the way `rpm -qa --qf` and `rpm -ql` print it, for comparison with rpm's own output. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/diag.h"
#include "inventory/catalogers.h"
#include "inventory/rpmdb.h"
#include "layer/layer.h"

struct rt {
        struct layer_options opts;
        struct diag diag;
        struct layer_ctx *ctx;
};

static inline void rt_init(struct rt *t, const char *tmpdir) {
        memset(t, 0, sizeof *t);
        layer_limits_default(&t->opts.limits);
        t->opts.tmpdir = tmpdir;
        diag_init(&t->diag);
        if (layer_ctx_new_standalone(&t->opts, &t->diag, &t->ctx) < 0)
                abort();
}

static inline void rt_done(struct rt *t) {
        layer_ctx_free_standalone(t->ctx);
        diag_done(&t->diag);
}

/* Feeds one database to analyzer_rpm as the file at image path `path`; returns what on_stream returned,
 * or -EINVAL if the analyzer does not claim the path. */
static inline int rt_feed(struct rt *t, const char *path, const void *data, size_t n) {
        struct layer_file f = {.path = path, .size = n, .mode = 0644, .kind = LF_REG};
        if (!&analyzer_rpm || analyzer_rpm.match(&f) != ANALYZE_STREAM)
                return -EINVAL;
        struct entry_reader *r = entry_reader_new_mem(data, n);
        if (!r)
                abort();
        int k = analyzer_rpm.on_stream(t->ctx, &f, r);
        entry_reader_free(r);
        return k;
}

static inline size_t rt_npkgs(struct rt *t) {
        return layer_ctx_result(t->ctx)->pkgs.n;
}

static inline size_t rt_nwarnings(struct rt *t) {
        return layer_ctx_result(t->ctx)->warnings.n;
}

static inline bool rt_warned(struct rt *t, const char *needle) {
        struct layer_result *res = layer_ctx_result(t->ctx);
        for (size_t i = 0; i < res->warnings.n; i++)
                if (strstr(res->warnings.items[i], needle))
                        return true;
        return false;
}

static inline void rt_print_warnings(struct rt *t, FILE *out) {
        struct layer_result *res = layer_ctx_result(t->ctx);
        for (size_t i = 0; i < res->warnings.n; i++)
                fprintf(out, "  warning: %s\n", res->warnings.items[i]);
}

static inline const struct pkg *rt_find(struct rt *t, const char *name) {
        struct layer_result *res = layer_ctx_result(t->ctx);
        for (size_t i = 0; i < res->pkgs.n; i++)
                if (res->pkgs.items[i].name && strcmp(res->pkgs.items[i].name, name) == 0)
                        return &res->pkgs.items[i];
        return NULL;
}

static inline size_t rt_nfiles(const struct pkg *p) {
        size_t n = 0;
        while (p && p->owned_files && p->owned_files[n])
                n++;
        return n;
}

static int rt_cmp_lines(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Lines like rpm -qa --qf '%{NAME} %{EPOCH} %{VERSION}-%{RELEASE} %{ARCH} %{LICENSE} %{SOURCERPM}\n' and
 * like "NAME /path" for every owned file, sorted bytewise; caller frees each line and the arrays. */
static inline void rt_render(struct rt *t, char ***ret_pkgs, size_t *ret_np, char ***ret_files,
                             size_t *ret_nf) {
        struct layer_result *res = layer_ctx_result(t->ctx);
        size_t np = res->pkgs.n, nf = 0, k = 0;
        for (size_t i = 0; i < np; i++)
                nf += rt_nfiles(&res->pkgs.items[i]);
        char **pl = calloc(np + 1, sizeof *pl), **fl = calloc(nf + 1, sizeof *fl);
        if (!pl || !fl)
                abort();
        for (size_t i = 0; i < np; i++) {
                const struct pkg *p = &res->pkgs.items[i];
                char *srpm = NULL;
                if (p->source_name) {
                        if (asprintf(&srpm, "%s-%s.src.rpm", p->source_name, p->source_version) < 0)
                                abort();
                }
                if (asprintf(&pl[i], "%s %s %s %s %s %s", p->name, p->epoch ? p->epoch : "(none)",
                             p->version ? p->version : "(none)", p->arch ? p->arch : "(none)",
                             p->licenses ? p->licenses[0] : "(none)", srpm ? srpm : "(none)") < 0)
                        abort();
                free(srpm);
                for (size_t j = 0; p->owned_files && p->owned_files[j]; j++)
                        if (asprintf(&fl[k++], "%s /%s", p->name, p->owned_files[j]) < 0)
                                abort();
        }
        qsort(pl, np, sizeof *pl, rt_cmp_lines);
        qsort(fl, nf, sizeof *fl, rt_cmp_lines);
        *ret_pkgs = pl;
        *ret_np = np;
        *ret_files = fl;
        *ret_nf = nf;
}

static inline void rt_free_lines(char **l, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(l[i]);
        free(l);
}
