/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Shared by the rpm fuzz targets: a fresh standalone layer pass per input, so nothing accumulates. */

#include <stdlib.h>

#include "core/diag.h"
#include "inventory/rpmdb.h"
#include "layer/layer.h"

static inline struct layer_ctx *fuzz_rpm_ctx(struct diag *d) {
        static struct layer_options opts;
        static bool init;
        struct layer_ctx *c;
        if (!init) {
                layer_limits_default(&opts.limits);
                opts.tmpdir = "/nonexistent"; /* the readers never write; spooling is not under test here */
                init = true;
        }
        diag_init(d);
        if (layer_ctx_new_standalone(&opts, d, &c) < 0)
                abort();
        return c;
}

static inline void fuzz_rpm_done(struct layer_ctx *c, struct diag *d) {
        layer_ctx_free_standalone(c);
        diag_done(d);
}
