/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>

#include "vec.h"

int vec_grow_(void **items, size_t *alloc, size_t need, size_t elem_size) {
        size_t n = *alloc ? *alloc : 8, bytes;
        while (n < need)
                if (!MUL_OK(n, (size_t) 2, &n))
                        return -ENOMEM;
        if (!MUL_OK(n, elem_size, &bytes))
                return -ENOMEM;
        void *p = realloc(*items, bytes);
        if (!p)
                return -ENOMEM;
        *items = p;
        *alloc = n;
        return 0;
}
