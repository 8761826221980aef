/* SPDX-License-Identifier: Apache-2.0 */
/* The documents a registry serves, through the lead's parsers the way the registry source uses them:
 * INDEX-OR-MANIFEST "\n--\n" CONFIG. The first part goes to image_pick_from_index() and
 * image_parse_manifest(), the second to image_parse_config(), and when both parse, image_set_layers(). */
#include "fuzz-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size > (1 << 20))
                return 0;
        char *s = fuzz_strdup(data, size);
        const char *cfg;
        size_t man_len, cfg_len;
        fuzz_split(s, size, &man_len, &cfg, &cfg_len);

        struct fuzz_source f;
        struct image_descriptor pick;
        fuzz_source_init(&f);
        f.o.platform = size % 2 ? "linux/arm64/v8" : NULL;
        (void) image_pick_from_index(&f.s, s, man_len, "index", &pick);
        fuzz_source_done(&f);

        fuzz_source_init(&f);
        struct image_descriptor config, *layers = NULL;
        size_t n = 0;
        int r1 = image_parse_manifest(&f.s, s, man_len, "manifest", &config, &layers, &n);
        int r2 = image_parse_config(&f.s, cfg, cfg_len, NULL);
        if (r1 >= 0 && r2 >= 0 && image_set_layers(&f.s, layers, n) >= 0) {
                if (f.s.image.n_layers != n)
                        abort();
                for (size_t i = 0; i < n; i++)
                        if (!digest_is_valid_sha256(f.s.image.layers[i].diff_id))
                                abort();
        }
        fuzz_source_done(&f);
        free(s);
        return 0;
}
