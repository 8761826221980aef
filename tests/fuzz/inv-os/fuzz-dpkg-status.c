/* SPDX-License-Identifier: Apache-2.0 */
/* dpkg status databases (the full file and distroless status.d stanzas) and info/NAME.list files. */
#include "fuzz-inv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const paths[] = {
                "var/lib/dpkg/status",
                "var/lib/dpkg/status.d/libc6",
                "var/lib/dpkg/info/libc6:amd64.list",
                NULL,
        };
        fuzz_feed_paths(data, size, paths);
        return 0;
}
