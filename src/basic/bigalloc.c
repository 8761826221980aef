/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <sys/mman.h>

#include "bigalloc.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

void *bigalloc(size_t n) {
        if (n < BIGALLOC_MIN)
                return calloc(1, n);
        void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
                return NULL;
        /* Both are hints: on kernels without them the memory simply faults in page by page. */
        (void) madvise(p, n, MADV_HUGEPAGE);
        (void) madvise(p, n, MADV_POPULATE_WRITE);
        return p;
}

void bigfree(void *p, size_t n) {
        if (!p)
                return;
        if (n < BIGALLOC_MIN)
                free(p);
        else
                munmap(p, n);
}
