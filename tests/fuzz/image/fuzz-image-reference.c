/* SPDX-License-Identifier: Apache-2.0 */
/* Image references: whatever parses must print as a subject that parses back to the same thing. */
#include "fuzz-util.h"
#include "image/image-remote.h"

static bool same(const struct image_reference *a, const struct image_reference *b) {
        return streq(a->domain, b->domain) && streq(a->repository, b->repository) &&
               streq_ptr(a->tag, b->tag) && (a->tag || streq_ptr(a->digest, b->digest));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size > 4096)
                return 0;
        char *s = fuzz_strdup(data, size);
        struct image_reference r = {0}, back = {0};
        const char *why = NULL;
        if (image_reference_parse(s, &r, &why) == 0) {
                char *subject = image_reference_subject(&r), *familiar = image_reference_familiar(&r);
                if (!subject || !familiar || !image_reference_api_host(&r))
                        abort();
                if (image_reference_parse(subject, &back, &why) != 0 || !same(&r, &back))
                        abort();
                image_reference_done(&back);
                free(subject);
                free(familiar);
                image_reference_done(&r);
        } else if (!why)
                abort(); /* every refusal says why */
        free(s);
        return 0;
}
