/* SPDX-License-Identifier: Apache-2.0 */
/* Feeds are hostile input: OSV JSON records (one, or an array of them). */
#include "fuzz-vulndb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        return fuzz_feed(vdb_parse_osv_json, data, size);
}
