/* SPDX-License-Identifier: Apache-2.0 */
/* The outer-archive indexer (docker save / OCI tar) on arbitrary bytes. */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "image/tar-index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        int fd = memfd_create("fuzz", 0);
        if (fd < 0)
                return 0;
        if (write(fd, data, size) != (ssize_t) size) {
                close(fd);
                return 0;
        }
        struct diag d;
        diag_init(&d);
        struct tar_index *t = NULL;
        if (tar_index_build(fd, size, "fuzz", &d, &t) == 0) {
                for (size_t i = 0; i < t->n_members; i++)
                        (void) tar_index_lookup(t, t->members[i].name);
                (void) tar_index_lookup(t, "manifest.json");
                tar_index_free(t);
        }
        diag_done(&d);
        close(fd);
        return 0;
}
