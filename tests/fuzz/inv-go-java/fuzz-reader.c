/* SPDX-License-Identifier: Apache-2.0 */
#include "fuzz-reader.h"

struct blocks {
        const uint8_t *data;
        size_t n, pos, block;
};

static int next_block(void *userdata, const void **data, size_t *n, int64_t *off) {
        struct blocks *b = userdata;
        if (b->pos >= b->n)
                return 0;
        *data = b->data + b->pos;
        *n = MIN(b->block, b->n - b->pos);
        *off = (int64_t) b->pos;
        b->pos += *n;
        return 1;
}

void fuzz_run_stream_analyzer(const struct analyzer *a, const char *path, const uint8_t *data, size_t size) {
        static const size_t sizes[] = {1, 7, 64, 509, 4096, 65536, 1 << 20, 3};
        struct layer_options opts = {0};
        struct diag d = {0};
        struct layer_ctx *c = NULL;
        struct blocks b = {data, size, 0, sizes[size ? data[size - 1] % 8 : 0]};
        struct entry_reader r = {.next_block = next_block, .userdata = &b, .size = size, .limit = size};
        struct layer_file f = {.path = path, .size = size, .mode = 0755, .kind = LF_REG};

        layer_limits_default(&opts.limits);
        if (layer_ctx_new_standalone(&opts, &d, &c) < 0)
                return;
        int k = a->on_stream(c, &f, &r);
        /* Only running out of memory is an error; a malformed file is a warning. */
        if (k < 0 && k != -ENOMEM)
                abort();
        layer_ctx_free_standalone(c);
}
