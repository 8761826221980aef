/* SPDX-License-Identifier: Apache-2.0 */
/* ELF files through the Go cataloger; anything else through the module text parser and the version
 * mapping. */

#include "fuzz-reader.h"
#include "inventory/go-buildinfo.h"

static int count(void *userdata, const struct go_module *m) {
        (*(size_t *) userdata) += strlen(m->path) + strlen(m->version);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size >= 4 && memcmp(data,
                                "\x7f"
                                "ELF",
                                4) == 0) {
                fuzz_run_stream_analyzer(&analyzer_go, "usr/bin/fuzz", data, size);
                return 0;
        }
        char *text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = 0;
        char out[64];
        (void) go_version_to_semver(text, out, sizeof out);
        size_t total = 0;
        unsigned bad = 0;
        (void) go_modinfo_parse(text, size, count, &total, &bad);
        free(text);
        return 0;
}
