/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: an rpmdb.sqlite file (through the private read-only VFS). */

#include "fuzz-rpm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct diag d;
        struct layer_ctx *c = fuzz_rpm_ctx(&d);
        struct rpmdb_walk w = {.ctx = c, .path = "var/lib/rpm/Packages"};
        if (rpmdb_sqlite_read(&w, data, size) < 0)
                abort(); /* only -ENOMEM is possible, and these inputs are small */
        fuzz_rpm_done(c, &d);
        return 0;
}
