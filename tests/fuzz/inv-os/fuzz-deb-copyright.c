/* SPDX-License-Identifier: Apache-2.0 */
/* Debian copyright files: DEP-5 License fields and common-licenses references. */
#include "fuzz-inv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const paths[] = {"usr/share/doc/pkg/copyright", NULL};
        fuzz_feed_paths(data, size, paths);
        return 0;
}
