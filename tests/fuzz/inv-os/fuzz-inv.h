/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Shared by the cataloger fuzz targets (inv-os, inv-lang): feeds one input to the analyzers under given
 * image paths, in a fresh standalone layer pass, and checks what they recorded: every package has a
 * non-empty name and version of printable text, string vectors are NULL-terminated, facts are
 * NUL-terminated. A broken invariant aborts, so the fuzzer reports it. */

#include <stdint.h>
#include <stdlib.h>

#include "inventory/rfc822.h"
#include "layer/layer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Strong references: the analyzers must be linked out of the static library. */
extern const struct analyzer analyzer_os_release, analyzer_dpkg_status, analyzer_dpkg_list,
        analyzer_deb_copyright, analyzer_apk, analyzer_python, analyzer_npm_package, analyzer_npm_lock;

static inline void fuzz_check_str(const char *s, bool required)
{
        if (!s) {
                if (required)
                        abort();
                return;
        }
        size_t n = strlen(s);
        if (required && n == 0)
                abort();
        if (n > 0 && !text_field_ok(s, n, 1 << 20))
                abort();
}

static inline void fuzz_check_result(struct layer_result *res)
{
        VEC_FOREACH (p, &res->pkgs) {
                fuzz_check_str(p->name, true);
                fuzz_check_str(p->version, true);
                fuzz_check_str(p->arch, false);
                fuzz_check_str(p->source_name, false);
                fuzz_check_str(p->source_version, false);
                fuzz_check_str(p->inner_path, false);
                if (!p->record_path)
                        abort();
                for (size_t i = 0; p->licenses && p->licenses[i]; i++)
                        fuzz_check_str(p->licenses[i], true);
                for (size_t i = 0; p->owned_files && p->owned_files[i]; i++)
                        if (!p->owned_files[i][0] || p->owned_files[i][0] == '/')
                                abort();
        }
        VEC_FOREACH (f, &res->facts)
                if (!f->data || f->data[f->len] != 0 || !f->path)
                        abort();
}

/* Feeds the input under each path (a NULL-terminated list) and checks the result. */
static inline void fuzz_feed_paths(const uint8_t *data, size_t size, const char *const *paths)
{
        static const struct analyzer *const all[] __attribute__((used)) = {
                &analyzer_os_release, &analyzer_dpkg_status, &analyzer_dpkg_list,   &analyzer_deb_copyright,
                &analyzer_apk,        &analyzer_python,      &analyzer_npm_package, &analyzer_npm_lock,
        };
        struct layer_options opts = {};
        struct diag d;
        struct layer_ctx *c = NULL;

        /* Touch every entry: an unused one would be optimized out, and its object not linked. */
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
                if (!all[i]->match)
                        abort();
        layer_limits_default(&opts.limits);
        diag_init(&d);
        if (layer_ctx_new_standalone(&opts, &d, &c) < 0)
                abort();
        for (size_t i = 0; paths[i]; i++) {
                struct layer_file f = {.path = paths[i], .size = size, .mode = 0644, .kind = LF_REG};
                if (layer_ctx_feed_file(c, &f, data, size) < 0)
                        abort(); /* only -ENOMEM may fail, and the fuzzer's inputs are small */
        }
        fuzz_check_result(layer_ctx_result(c));
        layer_ctx_free_standalone(c);
        diag_done(&d);
}
