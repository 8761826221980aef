/* SPDX-License-Identifier: Apache-2.0 */
/* Python METADATA / PKG-INFO / egg-info files. */
#include "../inv-os/fuzz-inv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const paths[] = {
                "usr/lib/python3/dist-packages/x-1.0.dist-info/METADATA",
                "usr/lib/python2.7/x.egg-info",
                NULL,
        };
        fuzz_feed_paths(data, size, paths);
        return 0;
}
