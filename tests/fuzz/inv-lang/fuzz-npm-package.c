/* SPDX-License-Identifier: Apache-2.0 */
/* package.json of installed npm packages. */
#include "../inv-os/fuzz-inv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const paths[] = {"app/node_modules/@s/x/package.json", NULL};
        fuzz_feed_paths(data, size, paths);
        return 0;
}
