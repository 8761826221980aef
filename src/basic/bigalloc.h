/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Large zeroed allocations (arena chunks, hash tables of big images) straight from the kernel, backed by
 * transparent huge pages where the system allows them and populated in one call: touching tens of
 * megabytes page by page costs more in page faults than a warm scan's whole computation. Small requests
 * fall back to calloc(). bigfree() takes the size given to bigalloc(). Thread-safe. */

#include "macro.h"

#define BIGALLOC_MIN (1 * MiB)

void *bigalloc(size_t n);
void bigfree(void *p, size_t n);
