/* SPDX-License-Identifier: Apache-2.0 */
/* The apk installed database, with owned files. */
#include "fuzz-inv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const paths[] = {"lib/apk/db/installed", NULL};
        fuzz_feed_paths(data, size, paths);
        return 0;
}
