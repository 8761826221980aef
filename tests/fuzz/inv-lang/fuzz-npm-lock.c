/* SPDX-License-Identifier: Apache-2.0 */
/* package-lock.json / npm-shrinkwrap.json, versions 1 to 3. */
#include "../inv-os/fuzz-inv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const paths[] = {"app/package-lock.json", NULL};
        fuzz_feed_paths(data, size, paths);
        return 0;
}
