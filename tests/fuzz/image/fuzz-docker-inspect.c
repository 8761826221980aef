/* SPDX-License-Identifier: Apache-2.0 */
/* The engine's image description: INSPECT-JSON "\n--\n" HISTORY-JSON. */
#include "fuzz-util.h"
#include "image/image-remote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size > (1 << 20))
                return 0;
        char *s = fuzz_strdup(data, size);
        const char *hist;
        size_t ins_len, hist_len;
        fuzz_split(s, size, &ins_len, &hist, &hist_len);
        struct fuzz_source f;
        fuzz_source_init(&f);
        if (docker_image_from_inspect(&f.s, "fuzz", s, ins_len, hist_len ? hist : NULL, hist_len) >= 0) {
                const struct image *img = &f.s.image;
                if (!digest_is_valid_sha256(img->id) || img->n_layers != img->config.n_diff_ids)
                        abort();
        }
        fuzz_source_done(&f);
        free(s);
        return 0;
}
