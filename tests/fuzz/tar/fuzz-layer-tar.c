/* SPDX-License-Identifier: Apache-2.0 */
/* The layer pass (decompression, tar walk, every analyzer) on arbitrary bytes, then the merged view. */
#include <stdint.h>
#include <string.h>

#include "layer/layer.h"
#include "path-util.h"
#include "view/view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct src {
        const uint8_t *p;
        size_t n, pos;
};

static ssize_t rd(void *u, void *buf, size_t n) {
        struct src *s = u;
        n = n < s->n - s->pos ? n : s->n - s->pos;
        memcpy(buf, s->p + s->pos, n);
        s->pos += n;
        return (ssize_t) n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct src s = { data, size, 0 };
        struct byte_source bs = { rd, &s };
        struct layer_options o = { 0 };
        layer_limits_default(&o.limits);
        o.limits.max_tar_bytes = 64 * MiB;
        o.limits.ratio_grace = 1 * MiB;
        struct layer_expect e = { .name = "fuzz" };
        struct diag d;
        diag_init(&d);
        struct layer_result *r = NULL;
        if (layer_analyze_blob(&bs, &e, &o, &d, &r) == 0) {
                struct view *v = NULL;
                if (view_build(&r, 1, &d, &v) == 0) {
                        char out[PATH_MAX_IMAGE + 1];
                        for (size_t i = 0; i < r->files.n && i < 64; i++) {
                                (void) view_resolve(v, r->files.items[i].path, out);
                                (void) view_file_state(v, r->files.items[i].path, 0);
                        }
                        view_free(v);
                }
                layer_result_free(r);
        }
        diag_done(&d);
        return 0;
}
