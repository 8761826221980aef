/* SPDX-License-Identifier: Apache-2.0 */
/* Feeds are hostile input: OSV (and secdb) YAML documents. */
#include "fuzz-vulndb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        return fuzz_feed(vdb_parse_yaml, data, size);
}
